"""``coursekit build``: plan, cache, run, student release, index."""
