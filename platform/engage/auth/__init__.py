"""Single sign-on: identities from each organisation's OpenID Connect issuer."""
