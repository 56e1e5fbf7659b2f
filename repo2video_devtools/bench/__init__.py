"""``make bench``: reproducible timings of the whole product on a fixed sample repository."""
