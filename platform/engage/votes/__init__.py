"""AGMs, voting instructions and records."""
