"""Stage 4, render: slides, caption bands and the encoded videos (assets/render.py)."""
