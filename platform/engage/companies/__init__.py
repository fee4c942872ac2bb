"""Investee companies, identifiers, ESG ratings, exclusions and holdings."""
