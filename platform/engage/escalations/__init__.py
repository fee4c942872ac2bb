"""Escalation ladders, reviews, decisions and the divestment review.

``service.py`` (the escalation engine's rules) is what the Prefect flows call.
"""
