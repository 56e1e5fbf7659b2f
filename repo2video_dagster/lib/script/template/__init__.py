"""The default, offline script writer: facts from the profile, phrased by rules.

It needs no model and no network, and the same profile always gives the same
script (phrasing variants are picked by a hash of the repository name, not at
random), so renders are reproducible and cacheable. Every sentence states a fact
read from the :class:`RepoProfile`; when a fact is missing the sentence is left
out or says so, it is never guessed.

- :mod:`.writer`: :class:`~.writer.TemplateWriter`, the script's title, description and tags.
- :mod:`.scenes`: one draft per scene (hook, what, install, ..., outro), in order.
- :mod:`.code_facts`: what a scene says about a code snippet.
- :mod:`.draft`: a scene under construction, and the cuts that fit the word target.
- :mod:`.phrasing`: wording helpers: variants, lists, counts, names said aloud.
"""
