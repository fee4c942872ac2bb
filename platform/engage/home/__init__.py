"""The home page (the organisation's dashboard), the profile page and the health check.

Only the web layer reaches this package; features never import it. What features share
lives in ``engage.common``.
"""
