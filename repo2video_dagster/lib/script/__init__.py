"""Stage 2, script: the scenes to narrate, written offline or by an LLM (assets/script.py)."""
