"""Benchmarks behind `make bench`: figures for BENCHMARKS.md and bench/results.json."""
