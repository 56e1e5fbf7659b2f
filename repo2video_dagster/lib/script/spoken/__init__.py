"""Turn README-ish or LLM-written text into narration.

The same string is spoken by the TTS engine and shown as on-screen captions, so
it must be both pronounceable and pleasant to read: no markdown, no URLs read
letter by letter, no emoji, identifiers spelled out as words. Digits are kept on
purpose: the TTS engine reads them, and caption alignment normalises them.

Everything here is pure string processing (regular expressions), deterministic,
and idempotent: cleaning already-clean text returns it unchanged, so writers can
clean defensively at every step.

- :mod:`.clean`: the entry points, :func:`~.clean.clean_for_speech` and
  :func:`~.clean.speak_phrase`, and the order of the passes below.
- :mod:`.markdown`: block structure to sentence-ish lines; links, images, HTML and
  emphasis to plain text.
- :mod:`.urls`: links and hosts said as site names.
- :mod:`.identifiers`: code spans, identifiers, paths and repository names as words.
- :mod:`.symbols`: emoji, abbreviations, versions, arrows and symbols.
- :mod:`.sentences`: sentence ends, capitals, punctuation tidying, sentence splitting.
- :mod:`.vocabulary`: the brand and acronym word lists.
"""
