"""The template writer's scenes, one draft each, in the order they are shown.

Each scene says only facts read from the profile; a scene whose facts are
missing says so (no README, no install steps) or is left out (no usage example,
no dependencies). Sentences carry a priority so that :mod:`.draft` can cut the
least needed ones when the script runs long.
"""

from __future__ import annotations

import re

from repo2video_dagster.lib.core.records import RepoProfile
from repo2video_dagster.lib.script.formatting import month_year
from repo2video_dagster.lib.script.slide_data import best_image
from repo2video_dagster.lib.script.spoken.clean import clean_for_speech, speak_phrase
from repo2video_dagster.lib.script.spoken.identifiers import speak_name
from repo2video_dagster.lib.script.spoken.sentences import sentences
from repo2video_dagster.lib.script.template.code_facts import describe_code, spoken_source
from repo2video_dagster.lib.script.template.draft import Draft
from repo2video_dagster.lib.script.template.phrasing import (
    count_noun,
    pick,
    spoken_dependency,
    spoken_license,
    spoken_list,
    spoken_module,
    writing_system,
)

__all__ = ["draft_scenes"]

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


def _description(profile: RepoProfile) -> str | None:
    """First spoken sentence of the description, when the voice can read it."""
    if not profile.description or writing_system(profile.description):
        return None
    first = sentences(clean_for_speech(profile.description))
    return first[0] if first else None


def _hook(profile: RepoProfile, spoken: str, description: str | None) -> Draft:
    """The opening: the project's own one-line pitch, framed one of a few ways."""
    draft = Draft("hook", profile.name, "title", profile.name)
    language = profile.primary_language
    if description:
        lowered = description.lower()
        named = lowered.startswith(profile.name.lower()) or lowered.startswith(spoken.lower())
        if named:
            draft.say(description)
        else:
            form = pick(profile, "hook", ["meet", "this", "after", "question"])
            if form == "after":
                draft.say(description)
                draft.say(
                    pick(
                        profile, "hook-after", ["That is {n}.", "That is what {n} is for."]
                    ).format(n=spoken)
                )
            elif form == "question":
                draft.say(f"Ever heard of {spoken}?")
                draft.say(description)
            else:
                draft.say(("Meet {n}." if form == "meet" else "This is {n}.").format(n=spoken))
                draft.say(description)
    else:
        kind = f"a {language} project" if language else "a small repository"
        draft.say(
            pick(profile, "hook-bare", ["Meet {n}, {k}.", "This is {n}, {k}."]).format(
                n=spoken, k=kind
            )
        )
        script = writing_system(profile.description or profile.readme_excerpt)
        if script:
            draft.say(f"Its description is written in {script}, so here are the facts.")
    draft.say(
        pick(
            profile,
            "hook-tour",
            [
                "Here is the tour in about a minute.",
                "Let's take a quick look inside.",
                "Here is what you need to know, in about a minute.",
                "One minute, and you will know whether you need it.",
            ],
        ),
        priority=2,
    )
    return draft


def _problem(profile: RepoProfile) -> Draft | None:
    """The problem the project solves, in the README's words (its "Why" section)."""
    if not profile.problem or writing_system(profile.problem):
        return None
    heading = pick(profile, "problem", ["The problem", "Why it exists", "The itch"])
    draft = Draft("problem", heading, "overview", heading)
    draft.say(
        pick(
            profile,
            "problem-lead",
            [
                "First, the problem.",
                "Why does it exist?",
                "The README puts the problem plainly.",
                "It starts with a familiar annoyance.",
            ],
        ),
        priority=2,
    )
    draft.say(profile.problem)
    return draft


def _what(profile: RepoProfile, description: str | None) -> Draft:
    heading = pick(profile, "what", ["What it is", "What it does", "In short"])
    draft = Draft("what", heading, "overview", heading)
    excerpt = profile.readme_excerpt
    features = [f for f in profile.features if not writing_system(f)][:3]
    if features:
        draft.say(
            pick(
                profile,
                "features",
                [
                    "Its README lists what it does.",
                    "Here is what it offers.",
                    "A few things stand out.",
                ],
            ),
            priority=2,
        )
        for i, feature in enumerate(features[:2]):
            draft.say(feature.rstrip(".") + ".", priority=0 if i == 0 else 1)
    if excerpt and not writing_system(excerpt):
        seen = {(description or "").lower().rstrip(".")}
        seen |= {x.lower().rstrip(".") for x in sentences(clean_for_speech(profile.problem))}
        added = 2 if features else 0
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
    size = count_noun(code_files, "file", approx=False)
    if profile.total_lines:
        size += f" and {count_noun(profile.total_lines, 'line')} of code"
    if profile.languages:
        lead = profile.languages[0]
        mostly = "entirely" if lead.share >= 0.995 else "mostly"
        draft.say(f"It is written {mostly} in {lead.name}, across {size}.")
    else:
        draft.say(f"The repository holds {size}.")
    return draft


def _install(profile: RepoProfile) -> Draft:
    heading = pick(profile, "install", ["Install", "Getting started", "Set it up"])
    draft = Draft("install", heading, "command", heading)
    commands = profile.install_commands
    if commands:
        first = commands[0].strip().lstrip("$ ").strip()
        tool = _TOOLS.get(first.split()[0] if first.split() else "", "")
        if len(first.split()) <= 6 and re.fullmatch(r"[\w@./:=+ -]+", first):
            draft.say(
                pick(
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
            draft.say(f"After that, the commands are {spoken_list(points)}.", priority=1)
    return draft


def _usage(profile: RepoProfile) -> Draft | None:
    snippet = profile.usage or profile.code_sample
    if snippet is None or not snippet.code.strip():
        return None
    heading = pick(profile, "usage", ["Usage", "How to use it", "In action"])
    draft = Draft("usage", heading, "code", heading)
    source = spoken_source(snippet)
    if profile.usage is None:
        draft.say(f"There is no usage example, so here is real code from {source}.")
        describe_code(draft, snippet)
        return draft
    if snippet.source.lower().startswith("readme"):
        draft.say(
            pick(
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
    describe_code(draft, snippet)
    return draft


def _code(profile: RepoProfile) -> Draft | None:
    if profile.usage is None or profile.code_sample is None:
        return None
    if not profile.code_sample.code.strip():
        return None
    draft = Draft("code", "Inside the code", "code", "Inside the code")
    source = spoken_source(profile.code_sample)
    draft.say(
        pick(
            profile,
            "code",
            ["Under the hood, here is {s}.", "Here is a slice of the source, from {s}."],
        ).format(s=source)
    )
    describe_code(draft, profile.code_sample, priority=1)
    return draft


def _architecture(profile: RepoProfile) -> Draft:
    heading = pick(profile, "arch", ["How it is organised", "Project layout", "The layout"])
    graph = profile.architecture or {}
    if len(graph.get("nodes") or []) >= 3:
        return _architecture_graph(profile, graph)
    draft = Draft("architecture", heading, "tree", heading)
    top = len(profile.top_level)
    modules: list[str] = []
    for module in profile.modules:
        spoken = spoken_module(module)
        if spoken and spoken not in modules:
            modules.append(spoken)
    if top:
        verb = "is" if top == 1 else "are"
        draft.say(f"At the top level there {verb} {count_noun(top, 'entry', approx=False)}.", 1)
    if len(modules) >= 2:
        draft.say(f"The main pieces are {spoken_list(modules[:4])}.")
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
        draft.say(f"It also ships {spoken_list(extras)}.", priority=1)
    return draft


def _architecture_graph(profile: RepoProfile, graph: dict) -> Draft:
    """How it works, from the imports: the parts in the order the slide lights them up,
    and the part the others build on."""
    heading = pick(profile, "arch-graph", ["How it works", "Under the hood", "How it fits"])
    draft = Draft("architecture", heading, "graph", heading)
    names = [str(n["name"]) for n in graph["nodes"]]
    spoken = [spoken_module(n) for n in names]
    root = spoken_module(str(graph.get("root") or profile.name))
    draft.say(
        pick(
            profile,
            "arch-parts",
            [
                "Inside {r}, the code splits into {p}.",
                "{r} is built from {p}.",
                "The parts are {p}.",
            ],
        ).format(r=root, p=spoken_list(spoken[:5]))
    )
    imported: dict[str, int] = {}
    for _importer, b in graph.get("edges") or []:
        imported[b] = imported.get(b, 0) + 1
    if imported:
        hub = max(imported, key=lambda n: (imported[n], n))
        if imported[hub] >= 2:
            draft.say(
                f"{spoken_module(hub)} is at the center: "
                f"{count_noun(imported[hub], 'other part', approx=False)} import it.",
                priority=1,
            )
    names_top = [t.rstrip("/").lower() for t in profile.top_level]
    if any(n in ("test", "tests", "spec", "__tests__") for n in names_top):
        draft.say("A test suite sits alongside.", priority=2)
    return draft


def _dependencies(profile: RepoProfile) -> Draft | None:
    deps: list[str] = []
    for names in profile.dependencies.values():
        for dep in names:
            spoken = spoken_dependency(dep)
            if spoken and spoken not in deps:
                deps.append(spoken)
    if not deps:
        return None
    draft = Draft("dependencies", "Built on", "overview", "Built on")
    total = len(deps)
    shown = deps[:3]
    if total > len(shown):
        draft.say(f"It depends on {total} packages, among them {spoken_list(shown)}.", priority=1)
    else:
        draft.say(f"It builds on {spoken_list(shown)}.", priority=1)
    return draft


def _languages(profile: RepoProfile) -> Draft | None:
    if not profile.languages:
        return None
    draft = Draft("languages", "Languages", "languages", "Languages")
    lead, rest = profile.languages[0], profile.languages[1:]
    pct = round(lead.share * 100)
    if pct >= 100 or not rest:
        draft.say(f"It is all {lead.name}, {count_noun(lead.lines, 'line')} of it.")
        return draft
    draft.say(f"{lead.name} makes up {pct} percent of the code.")
    others = [f"{lang.name} at {max(1, round(lang.share * 100))} percent" for lang in rest[:2]]
    draft.say(f"The rest is {spoken_list(others)}.", priority=1)
    return draft


def _activity(profile: RepoProfile) -> Draft:
    heading = pick(profile, "activity", ["Activity", "Signs of life", "Who builds it"])
    draft = Draft("activity", heading, "stats", heading)
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
            who = f" from {at_least}{count_noun(people, 'contributor')}"
        commits = f"{at_least}{count_noun(history.commits, 'commit')}{who}"
        draft.say(
            pick(
                profile,
                "activity-count",
                ["The history counts {c}.", "So far it has {c}.", "Signs of life: {c}."],
            ).format(c=commits)
        )
        if first and last and first != last:
            draft.say(f"Work started in {first}, and the latest commit is from {last}.", 1)
        elif last:
            draft.say(f"All of it happened in {last}.", priority=1)
    if profile.stars is not None:
        stars = count_noun(profile.stars, "star")
        forks = f" and {count_noun(profile.forks, 'fork')}" if profile.forks else ""
        draft.say(f"It has {stars}{forks}.", priority=1)
    return draft


def _picture(profile: RepoProfile) -> Draft | None:
    """One of the repository's own pictures (a screenshot, diagram or logo), shown whole."""
    picture = best_image(profile)
    if picture is None:
        return None
    logo = "logo" in picture.path.lower()
    heading = "The logo" if logo else pick(profile, "picture", ["A look", "In pictures", "See it"])
    draft = Draft("picture", heading, "image", heading)
    alt = picture.alt.strip()
    readable = 2 <= len(alt.split()) <= 8 and not re.search(r"[/_.]\w+$|\.(png|jpe?g|gif|svg)", alt)
    if logo:
        draft.say("This is its logo, from the repository.")
    elif readable and not writing_system(alt):
        draft.say(
            pick(
                profile,
                "picture-alt",
                [
                    "Here it is in a picture: {a}.",
                    "The README shows it: {a}.",
                    "A picture says more: {a}.",
                ],
            ).format(a=alt.rstrip("."))
        )
    else:
        draft.say(
            pick(
                profile,
                "picture-say",
                [
                    "Here is what it looks like, straight from the repository.",
                    "A picture from the README shows it at work.",
                    "This is how the project shows itself.",
                ],
            )
        )
    return draft


def _install_line(profile: RepoProfile) -> str | None:
    """The first install command when it reads well aloud (short, plain characters)."""
    if not profile.install_commands:
        return None
    first = profile.install_commands[0].strip().lstrip("$ ").strip()
    if len(first.split()) <= 6 and re.fullmatch(r"[\w@./:=+ -]+", first):
        return first
    return None


def _outro(profile: RepoProfile, spoken: str) -> Draft:
    """The call to action: how to get it and where it lives (no empty verdict)."""
    heading = pick(profile, "outro", ["Try it", "Get started", "Your turn"])
    draft = Draft("outro", heading, "outro", heading)
    command = _install_line(profile)
    if command:
        draft.say(
            pick(
                profile,
                "outro-cta",
                [
                    "Try it yourself: {c}.",
                    "To give it a go, run {c}.",
                    "Getting started takes one line: {c}.",
                    "Your next step is {c}.",
                ],
            ).format(c=f"`{command}`")
        )
    else:
        draft.say(
            pick(
                profile,
                "outro-clone",
                [
                    "To try {n}, clone the repository and follow the {d}.",
                    "Clone {n} and start with its {d}.",
                ],
            ).format(n=spoken, d="README" if profile.readme_path else "code")
        )
    homepage = profile.homepage or ""
    if re.match(r"https?://", homepage):
        draft.say(f"Find it at {homepage}.")
    elif "/" in profile.full_name and profile.full_name.isascii():
        draft.say(f"The repository is {profile.full_name}.", priority=1)
    if profile.license:
        draft.say(
            pick(
                profile,
                "outro-license",
                [
                    "It is released under the {l} license.",
                    "The {l} license covers it.",
                    "Its license is {l}.",
                ],
            ).format(l=spoken_license(profile.license)),
            priority=1,
        )
    else:
        draft.say("There is no license file, so check with the authors before reusing it.", 1)
    return draft


def draft_scenes(profile: RepoProfile) -> list[Draft]:
    """Every scene the profile has facts for, in order, before any cut for length."""
    spoken = speak_name(profile.name) or profile.name
    description = _description(profile)
    drafts = [
        _hook(profile, spoken, description),
        _problem(profile),
        _what(profile, description),
        _picture(profile),
        _architecture(profile),
        _dependencies(profile),
        _languages(profile),
        _install(profile),
        _usage(profile),
        _code(profile),
        _activity(profile),
        _outro(profile, spoken),
    ]
    return [d for d in drafts if d is not None and d.parts]
