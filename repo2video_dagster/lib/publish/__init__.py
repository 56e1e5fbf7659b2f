"""Stage 5, publish: the blog post, the page and the site index (assets/publish.py)."""
