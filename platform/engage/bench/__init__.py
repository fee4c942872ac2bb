"""Benchmark support: ``engage bench-data`` writes a large, coherent world in bulk
(tests/bench/run.py measures the app against it)."""
