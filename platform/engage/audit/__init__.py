"""The append-only audit trail: every change, who made it, when, and why."""
