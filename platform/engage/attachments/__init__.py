"""Attachments: evidence (minutes, the company's reply, a letter received) on dialogue
entries, letters and milestones."""
