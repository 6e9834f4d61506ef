"""Norma's benchmark suite: `python -m bench` (or `make bench`). See docs/performance.md."""
