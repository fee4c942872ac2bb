"""Tests that each hole of the security review stays closed (SECURITY.md)."""
