"""Demo data: a small, realistic world to explore Engage with, built from the seed documents.

``load_demo(today)`` fills an empty, migrated database in one transaction; dates are
relative to ``today``, so there are always milestones overdue, due soon and met.
"""

from engage.demo.loader import DemoError, DemoSummary, load_demo

__all__ = ["DemoError", "DemoSummary", "load_demo"]
