"""In-app notifications for the people an escalation concerns, e-mailed once when SMTP is set."""
