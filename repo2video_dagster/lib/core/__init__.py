"""Records, errors, settings and reuse shared by every stage."""
