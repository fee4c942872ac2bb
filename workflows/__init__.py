"""Prefect flows and their deployments.

Flows orchestrate and services decide: each task opens an app context and calls
``engage.<feature>.service``; ``now`` is always a parameter.
"""
