"""Benchmarks: `make bench` (= python -m bench). Each result is a ratio against a baseline measured in the
same run, because these machines are noisy."""
