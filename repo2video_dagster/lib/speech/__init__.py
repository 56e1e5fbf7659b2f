"""Stage 3, speech: narration, recognition, word timings and subtitles (assets/speech.py)."""
