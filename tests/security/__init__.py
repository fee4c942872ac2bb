"""Attacks on Engage as a tenant admin, a member or an anonymous visitor would make them."""
