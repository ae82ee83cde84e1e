"""Benchmarks: the in-process toll table, and (report.py) the full matrix and report."""
