"""Stewardship reports (SRD II, SFDR, UK Stewardship Code) per organisation and period."""
