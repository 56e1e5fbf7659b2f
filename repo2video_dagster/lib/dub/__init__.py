"""Dubbing an existing video into another language (``repo2video dub VIDEO --to es``).

- :mod:`.segments`: the narration heard as timed sentences (Whisper base).
- :mod:`.translate`: the sentences translated by an OpenAI-compatible chat endpoint.
- :mod:`.fit`: each translated sentence spoken into its time span (tempo within ±15 %).
- :mod:`.dub`: the new track, its captions, and the remux.
"""
