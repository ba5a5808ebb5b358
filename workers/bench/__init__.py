"""Benchmarks behind `make bench`: JSON figures, never timed assertions in tests."""
