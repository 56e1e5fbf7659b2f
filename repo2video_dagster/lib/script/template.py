"""The default, offline script writer: facts from the profile, phrased by rules.

It needs no model and no network, and the same profile always gives the same
script (phrasing variants are picked by a hash of the repository name, not at
random), so renders are reproducible and cacheable. Every sentence states a fact
read from the :class:`RepoProfile`; when a fact is missing the sentence is left
out or says so, it is never guessed.
"""

from __future__ import annotations

import hashlib
import logging
import re
import unicodedata
from dataclasses import dataclass, field
from pathlib import PurePosixPath

from repo2video_dagster.lib.core.records import (
    CodeSnippet,
    RepoProfile,
    Scene,
    VideoScript,
    dependency_name,
    format_share,
)
from repo2video_dagster.lib.script.schema import (
    MAX_SCENES,
    MAX_TITLE_CHARS,
    check_script,
    clip_heading,
    fill_visual,
    format_count,
    month_year,
    normalise_tags,
)
from repo2video_dagster.lib.script.spoken import (
    clean_for_speech,
    sentences,
    speak_identifier,
    speak_name,
    speak_phrase,
)

logger = logging.getLogger(__name__)

__all__ = ["TemplateWriter", "TARGET_MAX_WORDS", "TARGET_MIN_WORDS"]

TARGET_MIN_WORDS = 130
TARGET_MAX_WORDS = 170
_MAX_SENTENCE_WORDS = 32

_SHELL_ALIASES = {"bash", "sh", "shell", "console", "zsh", "shell-session", "powershell", "bat"}
_LANGUAGE_NAMES = {
    "python": "Python",
    "py": "Python",
    "javascript": "JavaScript",
    "js": "JavaScript",
    "typescript": "TypeScript",
    "ts": "TypeScript",
    "go": "Go",
    "rust": "Rust",
    "java": "Java",
    "ruby": "Ruby",
    "c": "C",
    "cpp": "C++",
    "csharp": "C#",
    "php": "PHP",
    "kotlin": "Kotlin",
    "swift": "Swift",
}
_TOOLS = {
    "pip": "pip",
    "pip3": "pip",
    "pipx": "pipx",
    "uv": "uv",
    "poetry": "Poetry",
    "conda": "conda",
    "npm": "npm",
    "npx": "npx",
    "yarn": "Yarn",
    "pnpm": "pnpm",
    "cargo": "Cargo",
    "go": "the go tool",
    "brew": "Homebrew",
    "apt": "apt",
    "apt-get": "apt",
    "docker": "Docker",
    "make": "make",
    "git": "git",
    "gem": "gem",
    "composer": "Composer",
    "dotnet": "dotnet",
    "mvn": "Maven",
    "gradle": "Gradle",
}
_DEFINITION = re.compile(
    r"^\s*(?:export\s+)?(?:pub(?:\(\w+\))?\s+)?(?:async\s+)?"
    r"(?:def|class|func|fn|function|struct|interface|type|impl)\s+(?:\([^)]*\)\s*)?([A-Za-z_]\w*)",
    re.M,
)


@dataclass
class _Draft:
    """A scene under construction: sentences with a priority (0 = always keep)."""

    id: str
    title: str
    kind: str
    heading: str
    parts: list[tuple[str, int]] = field(default_factory=list)

    def say(self, text: str | None, priority: int = 0) -> None:
        if not text:
            return
        for sentence in sentences(clean_for_speech(text)):
            self.parts.append((_limit_words(sentence), priority))

    @property
    def words(self) -> int:
        return sum(len(s.split()) for s, _ in self.parts)


def _limit_words(sentence: str) -> str:
    words = sentence.split()
    if len(words) <= _MAX_SENTENCE_WORDS:
        return sentence
    return " ".join(words[:_MAX_SENTENCE_WORDS]).rstrip(",;:") + "."


def _seed(profile: RepoProfile, scene_id: str) -> int:
    digest = hashlib.sha256(f"{profile.full_name}\0{scene_id}".encode()).hexdigest()
    return int(digest[:8], 16)


def _pick(profile: RepoProfile, scene_id: str, options: list[str]) -> str:
    """A phrasing that is stable for one repository but varies between repositories."""
    return options[_seed(profile, scene_id) % len(options)]


def _script_name(text: str) -> str | None:
    """The writing system of mostly non-Latin text, named for narration (else None)."""
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return None
    scripts: dict[str, int] = {}
    for ch in letters:
        try:
            script = unicodedata.name(ch).split()[0]
        except ValueError:
            script = "UNKNOWN"
        scripts[script] = scripts.get(script, 0) + 1
    if scripts.get("LATIN", 0) >= len(letters) / 2:
        return None
    if scripts.get("HIRAGANA") or scripts.get("KATAKANA"):
        return "Japanese"
    top = max(scripts, key=lambda k: scripts[k])
    return {"CJK": "Chinese", "HANGUL": "Korean"}.get(top, f"{top.title()} script")


def _join(items: list[str]) -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + " and " + items[-1]


def _plural(noun: str, n: int) -> str:
    if n == 1:
        return noun
    return noun[:-1] + "ies" if re.search(r"[^aeiou]y$", noun) else noun + "s"


def _count(n: int, noun: str, *, approx: bool = True) -> str:
    return f"{format_count(n, approx=approx)} {_plural(noun, n)}"


def _spoken_module(path: str) -> str:
    stem = PurePosixPath(path.rstrip("/")).stem or path
    return speak_identifier(stem) if re.fullmatch(r"[\w.-]+", stem) else speak_phrase(stem)


def _spoken_dependency(dep: str) -> str:
    return speak_phrase(dependency_name(dep))


def _language_label(snippet: CodeSnippet) -> str:
    alias = (snippet.language or "").lower()
    return _LANGUAGE_NAMES.get(alias, alias.title() if alias not in ("", "text") else "")


class TemplateWriter:
    """Deterministic script from facts: ``TemplateWriter().write(profile)``."""

    name = "template"

    def write(self, profile: RepoProfile) -> VideoScript:
        spoken = speak_name(profile.name) or profile.name
        description = self._description(profile)
        drafts = [
            self._hook(profile, spoken, description),
            self._what(profile, description),
            self._install(profile),
            self._usage(profile),
            self._code(profile),
            self._architecture(profile),
            self._dependencies(profile),
            self._languages(profile),
            self._activity(profile),
            self._outro(profile, spoken),
        ]
        drafts = [d for d in drafts if d is not None and d.parts]
        drafts = self._fit_scene_count(drafts)
        self._fit_words(drafts)
        script = VideoScript(
            title=self._title(profile),
            description=self._video_description(profile),
            tags=self._tags(profile),
            scenes=[
                Scene(
                    id=d.id,
                    title=clip_heading(d.title),
                    narration=" ".join(s for s, _ in d.parts),
                    visual=fill_visual(d.kind, d.heading, profile, scene_id=d.id),
                )
                for d in drafts
            ],
            writer=self.name,
        )
        check_script(script)
        logger.info(
            "template script for %s: %d scenes, %d words",
            profile.full_name,
            len(script.scenes),
            script.word_count,
        )
        return script

    # --- scenes -------------------------------------------------------------------

    @staticmethod
    def _description(profile: RepoProfile) -> str | None:
        """First spoken sentence of the description, when the voice can read it."""
        if not profile.description or _script_name(profile.description):
            return None
        first = sentences(clean_for_speech(profile.description))
        return first[0] if first else None

    def _hook(self, profile: RepoProfile, spoken: str, description: str | None) -> _Draft:
        draft = _Draft("hook", profile.name, "title", profile.name)
        language = profile.primary_language
        if description:
            lowered = description.lower()
            if not (lowered.startswith(profile.name.lower()) or lowered.startswith(spoken.lower())):
                draft.say(
                    _pick(
                        profile, "hook", ["Meet {n}.", "This is {n}.", "Say hello to {n}."]
                    ).format(n=spoken)
                )
            draft.say(description)
        else:
            kind = f"a {language} project" if language else "a small repository"
            draft.say(f"Meet {spoken}, {kind}.")
            script = _script_name(profile.description or profile.readme_excerpt)
            if script:
                draft.say(f"Its description is written in {script}, so here are the facts.")
        draft.say(
            _pick(
                profile,
                "hook-tour",
                [
                    "Here is the tour in about a minute.",
                    "Let's take a quick look inside.",
                    "Here is what you need to know, in about a minute.",
                ],
            ),
            priority=2,
        )
        return draft

    def _what(self, profile: RepoProfile, description: str | None) -> _Draft:
        heading = _pick(profile, "what", ["What it is", "What it does", "In short"])
        draft = _Draft("what", heading, "overview", heading)
        excerpt = profile.readme_excerpt
        if excerpt and not _script_name(excerpt):
            seen = {(description or "").lower().rstrip(".")}
            added = 0
            for sentence in sentences(clean_for_speech(excerpt)):
                if sentence.lower().rstrip(".") in seen or added == 2:
                    continue
                draft.say(sentence, priority=0 if added == 0 else 2)
                added += 1
        elif profile.readme_path is None:
            draft.say("There is no README, so everything here comes from the files themselves.")
        else:
            draft.say("The README is brief, so the files tell most of the story.", priority=1)
        # Count what the sentence talks about: source files, not README/LICENSE/configs.
        code_files = sum(lang.files for lang in profile.languages) or profile.total_files
        size = _count(code_files, "file", approx=False)
        if profile.total_lines:
            size += f" and {_count(profile.total_lines, 'line')} of code"
        if profile.languages:
            lead = profile.languages[0]
            mostly = "entirely" if lead.share >= 0.995 else "mostly"
            draft.say(f"It is written {mostly} in {lead.name}, across {size}.")
        else:
            draft.say(f"The repository holds {size}.")
        return draft

    def _install(self, profile: RepoProfile) -> _Draft:
        heading = _pick(profile, "install", ["Install", "Getting started", "Set it up"])
        draft = _Draft("install", heading, "command", heading)
        commands = profile.install_commands
        if commands:
            first = commands[0].strip().lstrip("$ ").strip()
            tool = _TOOLS.get(first.split()[0] if first.split() else "", "")
            if len(first.split()) <= 6 and re.fullmatch(r"[\w@./:=+ -]+", first):
                draft.say(
                    _pick(
                        profile,
                        "install-cmd",
                        ["Install it with {c}.", "To get it, run {c}.", "Setup is one line: {c}."],
                    ).format(c=f"`{first}`")
                )
            elif tool:
                draft.say(f"Installation starts with {tool}.")
            else:
                draft.say("The README spells out the install steps on screen.")
            if len(commands) > 1:
                draft.say(f"There are {len(commands)} steps in all.", priority=2)
        else:
            draft.say(
                "The README gives no install steps, so start by cloning the repository.",
            )
        # Spoken entry points: plain command names read well ("tally"); invocations
        # with flags ("python -m tally") do not, and stay on screen only.
        commands = [p for p in profile.entry_points if re.fullmatch(r"[\w.-]+", p.strip())]
        if commands:
            points = [speak_phrase(f"`{p}`") for p in commands[:2]]
            if len(points) == 1:
                draft.say(f"After that, you run it as {points[0]}.", priority=1)
            else:
                draft.say(f"After that, the commands are {_join(points)}.", priority=1)
        return draft

    def _usage(self, profile: RepoProfile) -> _Draft | None:
        snippet = profile.usage or profile.code_sample
        if snippet is None or not snippet.code.strip():
            return None
        heading = _pick(profile, "usage", ["Usage", "How to use it", "In action"])
        draft = _Draft("usage", heading, "code", heading)
        source = self._spoken_source(snippet)
        if profile.usage is None:
            draft.say(f"There is no usage example, so here is real code from {source}.")
            self._describe_code(draft, snippet)
            return draft
        if snippet.source.lower().startswith("readme"):
            draft.say(
                _pick(
                    profile,
                    "usage-src",
                    [
                        "Here is an example straight from the README.",
                        "This example comes from the README.",
                        "The README shows it in action.",
                    ],
                )
            )
        else:
            draft.say(f"Here is a usage example from {source}.")
        draft.say(snippet.lead, priority=1)
        self._describe_code(draft, snippet)
        return draft

    def _code(self, profile: RepoProfile) -> _Draft | None:
        if profile.usage is None or profile.code_sample is None:
            return None
        if not profile.code_sample.code.strip():
            return None
        draft = _Draft("code", "Inside the code", "code", "Inside the code")
        source = self._spoken_source(profile.code_sample)
        draft.say(
            _pick(
                profile,
                "code",
                ["Under the hood, here is {s}.", "Here is a slice of the source, from {s}."],
            ).format(s=source)
        )
        self._describe_code(draft, profile.code_sample, priority=1)
        return draft

    @staticmethod
    def _spoken_source(snippet: CodeSnippet) -> str:
        if snippet.source.lower().startswith("readme"):
            return "the README"
        return speak_phrase(f"`{snippet.source}`") or "the source"

    @staticmethod
    def _describe_code(draft: _Draft, snippet: CodeSnippet, priority: int = 1) -> None:
        """One factual sentence about what the snippet shows (commands or definitions)."""
        language = (snippet.language or "").lower()
        lines = [ln.strip() for ln in snippet.code.splitlines() if ln.strip()]
        if language in _SHELL_ALIASES:
            commands = []
            for line in lines:
                line = line.lstrip("$> ").strip()
                if not line or line.startswith("#"):
                    continue
                words = [w for w in line.split() if not w.startswith("-")][:2]
                spoken = speak_phrase(" ".join(f"`{w}`" for w in words))
                if spoken and spoken not in commands:
                    commands.append(spoken)
            if commands:
                draft.say(f"It runs {_join(commands[:3])}.", priority=priority)
            return
        names = []
        for match in _DEFINITION.finditer(snippet.code):
            spoken = speak_identifier(match.group(1))
            if spoken not in names:
                names.append(spoken)
        label = _language_label(snippet)
        if names:
            draft.say(f"It defines {_join(names[:3])}.", priority=priority)
        elif label:
            count = _count(len(lines), "line", approx=False)
            draft.say(f"It is {count} of {label}.", priority=priority + 1)

    def _architecture(self, profile: RepoProfile) -> _Draft:
        heading = _pick(profile, "arch", ["How it is organised", "Project layout", "The layout"])
        draft = _Draft("architecture", heading, "tree", heading)
        top = len(profile.top_level)
        modules: list[str] = []
        for module in profile.modules:
            spoken = _spoken_module(module)
            if spoken and spoken not in modules:
                modules.append(spoken)
        if top:
            verb = "is" if top == 1 else "are"
            draft.say(f"At the top level there {verb} {_count(top, 'entry', approx=False)}.", 1)
        if len(modules) >= 2:
            draft.say(f"The main pieces are {_join(modules[:4])}.")
        elif modules:
            draft.say(f"The heart of it is {modules[0]}.")
        elif not top:
            draft.say("There is no source tree to speak of.")
        extras = []
        names = [t.rstrip("/").lower() for t in profile.top_level]
        if any(n in ("test", "tests", "spec", "__tests__") for n in names):
            extras.append("a test suite")
        if any(n in ("docs", "doc", "documentation") for n in names):
            extras.append("documentation")
        if any(n in ("examples", "example") for n in names):
            extras.append("examples")
        if extras:
            draft.say(f"It also ships {_join(extras)}.", priority=1)
        return draft

    def _dependencies(self, profile: RepoProfile) -> _Draft | None:
        deps: list[str] = []
        for names in profile.dependencies.values():
            for dep in names:
                spoken = _spoken_dependency(dep)
                if spoken and spoken not in deps:
                    deps.append(spoken)
        if not deps:
            return None
        draft = _Draft("dependencies", "Built on", "overview", "Built on")
        total = len(deps)
        shown = deps[:3]
        if total > len(shown):
            draft.say(f"It depends on {total} packages, among them {_join(shown)}.", priority=1)
        else:
            draft.say(f"It builds on {_join(shown)}.", priority=1)
        return draft

    def _languages(self, profile: RepoProfile) -> _Draft | None:
        if not profile.languages:
            return None
        draft = _Draft("languages", "Languages", "languages", "Languages")
        lead, rest = profile.languages[0], profile.languages[1:]
        pct = round(lead.share * 100)
        if pct >= 100 or not rest:
            draft.say(f"It is all {lead.name}, {_count(lead.lines, 'line')} of it.")
            return draft
        draft.say(f"{lead.name} makes up {pct} percent of the code.")
        others = [f"{lang.name} at {max(1, round(lang.share * 100))} percent" for lang in rest[:2]]
        draft.say(f"The rest is {_join(others)}.", priority=1)
        return draft

    def _activity(self, profile: RepoProfile) -> _Draft:
        heading = _pick(profile, "activity", ["Activity", "History", "Who builds it"])
        draft = _Draft("activity", heading, "stats", heading)
        history = profile.history
        first, last = month_year(history.first_commit), month_year(history.last_commit)
        people = history.people
        at_least = "at least " if history.truncated else ""
        if history.commits == 0:
            draft.say("There is no commit history to look at yet.")
        elif history.commits == 1:
            when = f", made in {first}" if first else ""
            draft.say(f"The history is a single commit{when}.")
        else:
            who = ""
            if people == 1:
                who = " from a single author"
            elif people > 1:
                who = f" from {at_least}{_count(people, 'contributor')}"
            draft.say(f"The history counts {at_least}{_count(history.commits, 'commit')}{who}.")
            if first and last and first != last:
                draft.say(f"Work started in {first}, and the latest commit is from {last}.", 1)
            elif last:
                draft.say(f"All of it happened in {last}.", priority=1)
        if profile.stars is not None:
            stars = _count(profile.stars, "star")
            forks = f" and {_count(profile.forks, 'fork')}" if profile.forks else ""
            draft.say(f"It has {stars}{forks}.", priority=1)
        return draft

    def _outro(self, profile: RepoProfile, spoken: str) -> _Draft:
        heading = _pick(profile, "outro", ["The verdict", "Worth a look?", "Wrapping up"])
        draft = _Draft("outro", heading, "outro", heading)
        lines = profile.total_lines
        size = (
            "tiny"
            if lines < 1_000
            else "small"
            if lines < 10_000
            else "mid-sized"
            if lines < 100_000
            else "large"
        )
        language = profile.primary_language
        what = f"{size} {language} project" if language else f"{size} project"
        article = "an" if what[0] in "aeiou" else "a"
        draft.say(
            _pick(
                profile,
                "outro-what",
                ["That was {n}, {a} {w}.", "So that is {n}: {a} {w}.", "In short, {n} is {a} {w}."],
            ).format(n=spoken, a=article, w=what)
        )
        if profile.license:
            draft.say(
                f"It is released under the {spoken_license(profile.license)} license.", priority=1
            )
        else:
            draft.say("There is no license file, so check with the authors before reusing it.", 1)
        homepage = profile.homepage or ""
        if re.match(r"https?://", homepage):
            draft.say(f"Find it at {homepage}.")
        else:
            draft.say(
                _pick(
                    profile,
                    "outro-end",
                    ["Thanks for watching.", "That's the tour.", "Now go read the code."],
                ),
                priority=1,
            )
        return draft

    # --- fitting ------------------------------------------------------------------

    @staticmethod
    def _fit_scene_count(drafts: list[_Draft]) -> list[_Draft]:
        """Drop optional scenes (least useful first) until at most MAX_SCENES remain."""
        for optional in ("dependencies", "code", "languages"):
            if len(drafts) <= MAX_SCENES:
                break
            drafts = [d for d in drafts if d.id != optional]
        return drafts

    @staticmethod
    def _fit_words(drafts: list[_Draft]) -> None:
        """Remove low-priority sentences, last scenes first, until the total fits the target."""

        def total() -> int:
            return sum(d.words for d in drafts)

        for priority in (3, 2, 1):
            for draft in reversed(drafts):
                while total() > TARGET_MAX_WORDS:
                    index = next(
                        (
                            i
                            for i, (_, p) in reversed(list(enumerate(draft.parts)))
                            if p == priority
                        ),
                        None,
                    )
                    if index is None or len(draft.parts) == 1:
                        break
                    draft.parts.pop(index)

    # --- metadata -----------------------------------------------------------------

    @staticmethod
    def _title(profile: RepoProfile) -> str:
        suffix = " in 60 seconds"
        name = profile.name
        if len(name) + len(suffix) > MAX_TITLE_CHARS:
            name = name[: MAX_TITLE_CHARS - len(suffix) - 1].rstrip("-_. ") + "…"
        return name + suffix

    @staticmethod
    def _video_description(profile: RepoProfile) -> str:
        intro = re.sub(r"\s+", " ", profile.description or "").strip()
        if intro and intro[-1] not in ".!?。！？":
            intro += "."
        tour = (
            f"A one-minute tour of {profile.full_name}: how to install and use it, "
            "how the code is organised, and who works on it."
        )
        facts = []
        if profile.languages:
            facts.append(
                "Languages: "
                + ", ".join(
                    f"{lang.name} {format_share(lang.share)}" for lang in profile.languages[:3]
                )
            )
        facts.append(f"License: {profile.license or 'none found'}")
        facts.append(f"{profile.history.commits:,} {_plural('commit', profile.history.commits)}")
        if profile.stars is not None:
            facts.append(f"{profile.stars:,} stars")
        text = f"{intro} {tour}".strip()
        return f"{text}\n\n" + " · ".join(facts)

    @staticmethod
    def _tags(profile: RepoProfile) -> list[str]:
        tags = [lang.name for lang in profile.languages[:3]]
        tags += profile.topics
        for names in profile.dependencies.values():
            tags += [_spoken_dependency(d).replace(" dot ", ".") for d in names[:3]]
        tags.append(profile.name)
        return normalise_tags(tags)


_SPOKEN_LICENSES = {
    "Apache-2.0": "Apache 2.0",
    "GPL-2.0": "GPL version 2",
    "GPL-3.0": "GPL version 3",
    "LGPL-2.1": "LGPL version 2.1",
    "LGPL-3.0": "LGPL version 3",
    "AGPL-3.0": "AGPL version 3",
    "BSD-2-Clause": "two-clause BSD",
    "BSD-3-Clause": "three-clause BSD",
    "MPL-2.0": "Mozilla Public 2.0",
    "Unlicense": "Unlicense",
}


def spoken_license(spdx: str) -> str:
    """SPDX ids read badly aloud ("BSD dash 3 dash Clause"); say what people say."""
    return _SPOKEN_LICENSES.get(spdx, spdx.replace("-", " "))
