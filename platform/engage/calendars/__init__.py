"""A private calendar feed (ICS) per person: milestone deadlines, review due dates, AGMs."""
