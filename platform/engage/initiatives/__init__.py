"""Collaborative engagement programmes, their members and sign-on."""
