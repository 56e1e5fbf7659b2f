"""Stage 1, source: a safe, bounded checkout and its profile (assets/source.py)."""
