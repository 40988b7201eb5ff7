"""Benchmarks and evaluation scripts: python -m bench.<name>."""
