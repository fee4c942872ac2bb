"""Engagements with companies: objectives, milestones, dialogue, notes, letters."""
