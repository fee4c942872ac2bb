"""Tenants (organisations), their users, roles and API tokens."""
