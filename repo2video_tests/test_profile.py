"""Profiles of real sample repositories, and of hostile or odd ones."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from repo2video_dagster.lib.core.errors import EmptyRepositoryError
from repo2video_dagster.lib.core.records import RepoProfile, RepoSnapshot, RepoSource, to_jsonable
from repo2video_dagster.lib.source.checkout import clone_snapshot
from repo2video_dagster.lib.source.policy import SourcePolicy
from repo2video_dagster.lib.source.profile import (
    build_profile,
    languages_frame,
    profile_summary_markdown,
)
from repo2video_dagster.lib.source.profile.markdown import markdown_blocks, plain_text
from repo2video_dagster.lib.source.profile.readme import readme_description
from repo2video_dagster.lib.source.targets import parse_target
from repo2video_tests.repo_factory import (
    PY_CORE,
    make_go_sample,
    make_js_sample,
    make_python_sample,
    make_repo,
    make_rust_sample,
)

LOCAL = SourcePolicy(allow_local=True)


def cloned(repo: Path, tmp_path: Path) -> RepoSnapshot:
    return clone_snapshot(parse_target(str(repo), LOCAL), tmp_path / "ws", LOCAL)


def snapshot_of(path: Path, name: str = "proj") -> RepoSnapshot:
    """A snapshot of a plain directory (no clone), for tests about the reader itself."""
    source = RepoSource(
        target=str(path), kind="local", url=str(path), key=f"local__{name}", name=name
    )
    return RepoSnapshot(source, str(path), "0" * 40, "main", "2024-01-01T00:00:00+00:00", 0, 0)


def write(root: Path, files: dict[str, str | bytes]) -> Path:
    for name, content in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return root


def check_fits(snippet_code: str, lines: int) -> None:
    rows = snippet_code.splitlines()
    assert 0 < len(rows) <= lines
    assert all(len(row) <= 72 for row in rows)


def test_python_sample_profile(tmp_path: Path) -> None:
    profile = build_profile(cloned(make_python_sample(tmp_path / "tally"), tmp_path))
    # local checkout: the README title names it, not the directory
    assert profile.name == "Tally" and profile.full_name == "Tally"
    assert profile.description.startswith("Tally counts words, lines and characters")
    assert "http" not in profile.description and "[" not in profile.description
    assert "**" not in profile.description and len(profile.description) <= 300
    assert "pip install" not in profile.readme_excerpt and "```" not in profile.readme_excerpt
    assert [lang.name for lang in profile.languages] == ["Python"]
    assert profile.languages[0].share == 1.0 and profile.primary_language == "Python"
    assert profile.total_lines == profile.languages[0].lines > 40
    assert profile.license == "MIT"
    assert profile.dependencies["pyproject.toml"] == ["click", "rich", "pytest"]
    assert profile.dependencies["requirements-dev.txt"] == ["pytest", "ruff"]
    assert profile.entry_points[:2] == ["tally", "python -m tally"]
    assert profile.install_commands == ["pip install tally-words"]
    for name in ("README.md", "LICENSE", "pyproject.toml", ".github/workflows/ci.yml"):
        assert name in profile.key_files
    assert profile.top_level[:3] == [".github/", "tally/", "tests/"]
    assert "README.md" in profile.top_level and ".gitignore" not in profile.top_level
    assert profile.tree[0] == "tally/" and "  core.py" in profile.tree and len(profile.tree) <= 14
    assert profile.modules[0] == "tally/" and "tally/core.py" in profile.modules
    history = profile.history
    assert history.commits == 4 and not history.truncated
    assert [(c.name, c.commits) for c in history.contributors] == [
        ("Ada Lovelace", 3),
        ("Grace Hopper", 1),
    ]
    assert history.first_commit == "2024-03-01T10:00:00+00:00"
    assert history.last_commit == "2024-03-04T10:00:00+00:00"
    assert history.recent_subjects[0] == "Set up CI" and len(history.recent_subjects) == 4
    usage = profile.usage
    assert usage is not None and usage.language == "python" and usage.source == "README.md"
    assert usage.code.startswith("from tally import count_words")
    check_fits(usage.code, 14)
    sample = profile.code_sample
    assert sample is not None and sample.source == "tally/core.py" and sample.language == "python"
    check_fits(sample.code, 16)
    # the excerpt is real text of the file, at the line it claims
    first = sample.code.splitlines()[0]
    assert PY_CORE.splitlines()[sample.start_line - 1] == first
    assert '"""' in sample.code  # with its docstring
    assert profile.notes == []
    json.dumps(to_jsonable(profile))  # records stay JSON-compatible


def test_languages_frame_and_summary(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "mixed",
        {
            "README.md": "# Mixed\n\nA mixed project with Python and a little shell scripting.\n"
            + "text\n" * 500,
            "app/main.py": "\n".join(f"x{i} = {i}" for i in range(30)) + "\n\n\n",
            "scripts/run.sh": "#!/bin/sh\n" + "echo hi\n" * 9,
            "data/big.json": json.dumps({"k": list(range(3000))}, indent=1),
            "config.yaml": "a: 1\n" * 200,
        },
    )
    profile = build_profile(cloned(repo, tmp_path))
    names = [lang.name for lang in profile.languages]
    assert names == ["Python", "Shell"]  # no Markdown/JSON/YAML as "languages"
    assert (profile.languages[0].lines, profile.languages[1].lines) == (30, 10)
    assert abs(sum(lang.share for lang in profile.languages) - 1) < 1e-6
    frame = languages_frame(profile)
    assert list(frame.columns) == ["language", "files", "lines", "share"]
    assert frame["language"].tolist() == ["Python", "Shell"]
    assert frame["share"].tolist() == [75.0, 25.0]
    md = profile_summary_markdown(profile)
    assert md.startswith("### Mixed") and "Python 75%" in md and "| License | not found |" in md


def test_js_sample(tmp_path: Path) -> None:
    profile = build_profile(cloned(make_js_sample(tmp_path / "slugify"), tmp_path))
    assert profile.description.startswith("Turn any string into a clean, URL-safe slug.")
    assert [lang.name for lang in profile.languages] == ["JavaScript"]  # lock file not counted
    assert profile.dependencies == {"package.json": ["kleur", "jest", "eslint"]}
    assert profile.license == "ISC"
    assert "slugify" in profile.entry_points and "npm start" in profile.entry_points
    assert profile.install_commands == ["npm install slugify-lite"]
    assert profile.usage is not None and profile.usage.language == "javascript"
    assert profile.code_sample is not None and profile.code_sample.source == "index.js"
    assert "function slugify" in profile.code_sample.code
    assert {c.name for c in profile.history.contributors} == {"Ada Lovelace", "Linus Torvalds"}


def test_go_sample(tmp_path: Path) -> None:
    profile = build_profile(cloned(make_go_sample(tmp_path / "greet"), tmp_path))
    assert [lang.name for lang in profile.languages] == ["Go"]
    assert profile.dependencies == {"go.mod": ["github.com/spf13/cobra", "golang.org/x/text"]}
    assert profile.license == "BSD-3-Clause"
    assert profile.entry_points == ["go run ./cmd/greet"]
    assert profile.install_commands == ["go install github.com/example/greet/cmd/greet@latest"]
    sample = profile.code_sample
    assert (
        sample is not None
        and sample.source == "internal/greet/greet.go"
        and sample.language == "go"
    )
    assert sample.code.startswith("// Hello returns") and sample.code.rstrip().endswith("}")
    assert set(profile.modules[:2]) == {"internal/greet/", "cmd/greet/"}


def test_rust_sample(tmp_path: Path) -> None:
    profile = build_profile(cloned(make_rust_sample(tmp_path / "wc"), tmp_path))
    assert [lang.name for lang in profile.languages] == ["Rust"]
    assert profile.dependencies == {"Cargo.toml": ["clap", "anyhow", "assert_cmd"]}
    assert profile.license == "Apache-2.0"
    assert profile.entry_points[0] == "wc-rs"
    assert profile.install_commands == ["cargo install wc-rs"]
    assert profile.usage is not None and profile.usage.code == "wc-rs --lines src/main.rs"
    assert profile.code_sample is not None and profile.code_sample.language == "rust"
    assert profile.code_sample.code.startswith("///")


def test_other_manifests(tmp_path: Path) -> None:
    root = write(
        tmp_path / "poly",
        {
            "README.md": "# Poly\n\nA polyglot repository used to test manifest parsing.\n",
            "setup.cfg": "[metadata]\nname = polypkg\nlicense = BSD-2-Clause\n\n[options]\ninstall_requires =\n    requests>=2\n    attrs\n\n[options.entry_points]\nconsole_scripts =\n    poly = polypkg.cli:main\n",
            "requirements.txt": "# pinned\nnumpy==2.0  # math\n-r other.txt\n-e .\ngit+https://x/y.git\nscipy[all]>=1 ; python_version>'3'\n",
            "Gemfile": "source 'https://rubygems.org'\ngem 'rails', '~> 7.0'\n  gem \"puma\"\n",
            "composer.json": json.dumps(
                {
                    "require": {"php": ">=8", "ext-json": "*", "monolog/monolog": "^3"},
                    "require-dev": {"phpunit/phpunit": "^10"},
                }
            ),
            "pom.xml": "<project><dependencies><dependency><groupId>junit</groupId><artifactId>junit</artifactId></dependency></dependencies><build><plugins><plugin><artifactId>maven-jar-plugin</artifactId></plugin></plugins></build></project>",
            "build.gradle": "dependencies {\n  implementation 'com.google.guava:guava:33.0'\n  testImplementation(\"org.junit.jupiter:junit-jupiter:5.10\")\n}\n",
            "web/package.json": json.dumps(
                {"name": "web", "private": True, "dependencies": {"react": "^18"}}
            ),
            "pyproject.toml": "[tool.poetry]\nname = 'polypkg'\nlicense = 'MIT'\n[tool.poetry.dependencies]\npython = '^3.9'\nhttpx = '*'\n[tool.poetry.group.dev.dependencies]\nmypy = '*'\n[tool.poetry.scripts]\npolyp = 'polypkg:run'\n",
            "polypkg/__init__.py": "def run():\n    return 1\n",
        },
    )
    profile = build_profile(snapshot_of(root), require_readme=True)
    deps = profile.dependencies
    assert deps["setup.cfg"] == ["requests", "attrs"]
    assert deps["requirements.txt"] == ["numpy", "scipy"]
    assert deps["Gemfile"] == ["rails", "puma"]
    assert deps["composer.json"] == ["monolog/monolog", "phpunit/phpunit"]
    assert deps["pom.xml"] == ["junit"]
    assert deps["build.gradle"] == ["guava", "junit-jupiter"]
    assert deps["web/package.json"] == ["react"]
    assert deps["pyproject.toml"] == ["httpx"]  # not the dev group
    assert "poly" in profile.entry_points and "polyp" in profile.entry_points
    assert profile.license == "MIT"  # first manifest with a license field (no LICENSE file)
    assert profile.install_commands == ["pip install polypkg"]
    assert any("no git metadata" in n for n in profile.notes)


def test_malformed_manifests_become_notes(tmp_path: Path) -> None:
    root = write(
        tmp_path / "bad",
        {
            "README.md": "# Bad\n\nManifests in this repository are broken on purpose.\n",
            "pyproject.toml": "[project\nname = ",
            "package.json": "{not json",
            "Cargo.toml": "[package]\nname = 1 2\n",
            "main.py": "print('ok')\n",
        },
    )
    profile = build_profile(snapshot_of(root))
    notes = " ".join(profile.notes)
    for name in ("pyproject.toml", "package.json", "Cargo.toml"):
        assert f"could not parse {name}" in notes
    assert profile.dependencies == {}


@pytest.mark.parametrize(
    ("text", "spdx"),
    [
        ("GNU GENERAL PUBLIC LICENSE\n   Version 3, 29 June 2007", "GPL-3.0"),
        ("GNU GENERAL PUBLIC LICENSE\nVersion 2, June 1991", "GPL-2.0"),
        ("GNU LESSER GENERAL PUBLIC LICENSE\n Version 2.1, February 1999", "LGPL-2.1"),
        ("GNU AFFERO GENERAL PUBLIC LICENSE\nVersion 3", "AGPL-3.0"),
        ("Mozilla Public License Version 2.0\n==================", "MPL-2.0"),
        (
            "Redistribution and use in source and binary forms, with or without\nmodification... 3. Neither the name of",
            "BSD-3-Clause",
        ),
        (
            "Redistribution and use in source and binary forms, with or without\nmodification, are permitted",
            "BSD-2-Clause",
        ),
        (
            "Permission to use, copy, modify, and/or distribute this software for any\npurpose",
            "ISC",
        ),
        ("This is free and unencumbered software released into the public domain.", "Unlicense"),
        ("                 Apache License\n           Version 2.0, January 2004", "Apache-2.0"),
        ("Copyright 2020\n\nPermission is hereby granted, free of charge, to any person", "MIT"),
        ("All rights reserved. Do not copy.", None),
    ],
)
def test_license_detection(tmp_path: Path, text: str, spdx: str | None) -> None:
    root = write(
        tmp_path / "lic",
        {
            "README.md": "# L\n\nA repository to test license detection.\n",
            "LICENSE.txt": text,
            "a.py": "x = 1\n",
        },
    )
    assert build_profile(snapshot_of(root)).license == spdx


def test_readme_markup_is_stripped() -> None:
    readme = """<p align="center"><img src="logo.png" width="200"></p>
<h1 align="center">Widget</h1>

[![Build](https://ci/badge.svg)](https://ci) [![PyPI](https://img/v.svg)](https://pypi)

> **Widget** makes `widgets` from [YAML files](https://example.com/docs) &amp; templates. It is fast.
It also has a third sentence that should not be included in the description.

## Install
"""
    blocks = markdown_blocks(readme)
    assert [b.kind for b in blocks][:4] == ["html", "heading", "para", "quote"]
    assert (
        readme_description(blocks)
        == "Widget makes widgets from YAML files & templates. It is fast."
    )
    assert plain_text("Use __bold__ and *it* and ~~old~~ <b>x</b>") == "Use bold and it and old x"


def test_rst_readme(tmp_path: Path) -> None:
    root = write(
        tmp_path / "rst",
        {
            "README.rst": "=====\nTitle\n=====\n\n.. image:: https://badge\n\nThe `Title project <https://x>`_ parses ``things`` quickly and well.\n\nInstallation\n------------\n\n.. code-block:: bash\n\n    pip install title\n\nUsage\n-----\n\n::\n\n    import title\n    title.parse('x')\n",
            "title.py": "def parse(x):\n    return x\n",
        },
    )
    profile = build_profile(snapshot_of(root))
    assert profile.readme_path == "README.rst"
    assert profile.description == "The Title project parses things quickly and well."
    assert profile.install_commands == ["pip install title"]
    assert profile.usage is not None and profile.usage.code.startswith("import title")


def test_usage_falls_back_to_examples_and_lines_are_trimmed(tmp_path: Path) -> None:
    long_line = "result = compute(" + ", ".join(f"argument_{i}" for i in range(20)) + ")"
    root = write(
        tmp_path / "ex",
        {
            "README.md": "# Ex\n\nA project whose README has no code blocks at all, only prose.\n",
            "ex/core.py": "def compute(*args):\n    '''Add.'''\n    return sum(args)\n",
            "examples/demo.py": "# Demo of ex\n\nfrom ex.core import compute\n\n"
            + long_line
            + "\n"
            + "print(1)\n" * 30,
            "pyproject.toml": "[project]\nname = 'ex-tool'\n",
        },
    )
    profile = build_profile(snapshot_of(root))
    usage = profile.usage
    assert usage is not None and usage.source == "examples/demo.py" and usage.language == "python"
    assert usage.start_line == 3 and usage.code.startswith("from ex.core import compute")
    check_fits(usage.code, 14)
    assert "…" in usage.code  # the long line was visibly cut
    assert profile.install_commands == ["pip install ex-tool"]


def test_vendored_generated_and_huge_files_are_not_counted(tmp_path: Path) -> None:
    root = write(
        tmp_path / "v",
        {
            "README.md": "# V\n\nA project that vendors dependencies and ships build output.\n",
            "src/app.js": "export function run() {\n  return 1;\n}\n",
            "node_modules/left-pad/index.js": "module.exports = 1;\n" * 1000,
            "dist/app.min.js": "var a=1;" * 100,
            "static/lib.min.js": "var b=2;\n" * 10,
            "big.py": "x = 1\n" * 2000,
        },
    )
    profile = build_profile(snapshot_of(root), max_file_bytes=5000)
    assert [(lang.name, lang.lines) for lang in profile.languages] == [("JavaScript", 3)]
    notes = " ".join(profile.notes)
    assert "node_modules/" in notes and "dist/" in notes
    assert "over 5000 bytes not read: big.py" in notes
    assert profile.total_files == 6


def test_non_utf8_names_and_contents(tmp_path: Path) -> None:
    root = tmp_path / "enc"
    write(
        root,
        {"README.md": "# Enc\n\nNames and contents in legacy encodings must not crash anything.\n"},
    )
    (root / os.fsdecode(b"caf\xe9.py")).write_bytes(b"name = '\xe9t\xe9'\n\xff\xfe = 1\n")
    (root / os.fsdecode(b"d\xffir")).mkdir()
    (root / os.fsdecode(b"d\xffir") / "m.py").write_bytes(b"def f():\n    return '\x80'\n")
    profile = build_profile(snapshot_of(root))
    assert profile.languages[0].name == "Python" and profile.languages[0].files == 2
    dumped = json.dumps(to_jsonable(profile), ensure_ascii=False)  # no lone surrogates
    dumped.encode("utf-8")
    assert "caf\ufffd.py" in dumped and "d\ufffdir/" in profile.top_level
    assert any("not valid UTF-8" in n for n in profile.notes)


def test_non_utf8_through_git(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "enc",
        {
            "README.md": "# Enc\n\nA repository with a Latin-1 file name committed to git.\n",
            b"caf\xe9.py": b"x = '\xe9'\n",
            "long.py": "y = '" + "z" * 100_000 + "'\n",
        },
    )
    profile = build_profile(cloned(repo, tmp_path))
    json.dumps(to_jsonable(profile)).encode("utf-8")
    assert profile.languages[0].name == "Python"


def test_binary_only_repository_is_refused(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "bin",
        {
            "README.md": "# Bin\n\nOnly binaries here.\n",
            "logo.png": b"\x89PNG\r\n\x1a\n\0\0\0\rIHDR" + bytes(200),
            "data.bin": bytes(range(256)),
        },
    )
    with pytest.raises(EmptyRepositoryError) as info:
        build_profile(cloned(repo, tmp_path))
    assert "no text files to describe" in str(info.value) and "\n" not in str(info.value)


def test_missing_readme(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "nr", {"main.py": "print('hi')\n"})
    snap = cloned(repo, tmp_path)
    with pytest.raises(EmptyRepositoryError) as info:
        build_profile(snap)
    assert "no README" in str(info.value) and "README.md" in str(info.value)
    assert "\n" not in str(info.value)
    profile = build_profile(snap, require_readme=False)
    assert profile.description == "" and profile.readme_path is None
    assert profile.languages[0].name == "Python"


def test_readme_in_docs_is_found(tmp_path: Path) -> None:
    root = write(
        tmp_path / "d",
        {
            "docs/README.md": "# D\n\nDocumentation lives in the docs folder here.\n",
            "a.py": "x = 1\n",
        },
    )
    assert build_profile(snapshot_of(root)).readme_path == "docs/README.md"


def test_symlinked_readme_outside_is_never_read(tmp_path: Path) -> None:
    secret = tmp_path / "secret.md"
    secret.write_text("# Secret\n\nTOP-SECRET-CONTENT that must never appear in a profile.\n")
    root = write(tmp_path / "s", {"main.py": "print(1)\n"})
    (root / "README.md").symlink_to(secret)
    (root / "leak.py").symlink_to(secret)
    with pytest.raises(EmptyRepositoryError) as info:
        build_profile(snapshot_of(root))
    assert "TOP-SECRET" not in str(info.value)
    profile = build_profile(snapshot_of(root), require_readme=False)
    assert "TOP-SECRET" not in json.dumps(to_jsonable(profile))
    assert any("symbolic link" in n for n in profile.notes)
    # a real README elsewhere is used instead
    write(root, {"docs/readme.md": "# S\n\nThe real description of this small project.\n"})
    assert (
        build_profile(snapshot_of(root)).description
        == "The real description of this small project."
    )


def test_symlinked_readme_inside_is_followed_after_clone(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "inside",
        {
            "docs/guide.md": "# Guide\n\nThe guide explains the whole project in one paragraph.\n",
            "a.py": "x = 1\n",
        },
        symlinks={"README.md": "docs/guide.md"},
    )
    snap = cloned(repo, tmp_path)
    assert (Path(snap.checkout_dir) / "README.md").read_text() == "docs/guide.md"  # plain file now
    profile = build_profile(snap)
    assert profile.description == "The guide explains the whole project in one paragraph."
    assert profile.readme_path == "docs/guide.md"


def test_symlinked_readme_outside_after_clone(tmp_path: Path) -> None:
    repo = make_repo(tmp_path / "out", {"a.py": "x = 1\n"}, symlinks={"README.md": "/etc/passwd"})
    with pytest.raises(EmptyRepositoryError, match="no README"):
        build_profile(cloned(repo, tmp_path))


def test_install_commands_from_readme_sections(tmp_path: Path) -> None:
    readme = """# Tool

A command line tool that does one useful thing very well.

## Getting started

```console
$ brew install tool
$ sudo apt-get install -y tool
# or from source
$ cargo install --locked tool-cli-with-a-rather-long-name-that-keeps-going-on-and-on-and-on
$ pip install tool
```

## Usage

```
tool --help
```
"""
    root = write(tmp_path / "t", {"README.md": readme, "tool.sh": "echo tool\n"})
    profile = build_profile(snapshot_of(root))
    assert profile.install_commands == [
        "brew install tool",
        "sudo apt-get install -y tool",
        "pip install tool",
    ]
    assert profile.usage is not None and profile.usage.code == "tool --help"


def test_profile_records_are_plain_dataclasses(tmp_path: Path) -> None:
    profile = build_profile(cloned(make_python_sample(tmp_path / "tally"), tmp_path))
    assert isinstance(profile, RepoProfile)
    data = to_jsonable(profile)
    assert data["history"]["contributors"][0] == {"name": "Ada Lovelace", "commits": 3}


def test_local_checkout_named_by_manifest_when_readme_title_is_a_sentence(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "README.md": "# Helpers to pass data to untrusted environments.\n\nSigned tokens.\n",
            "pyproject.toml": '[project]\nname = "itsdangerous"\n',
            "src/itsdangerous/__init__.py": "def sign(x):\n    return x\n",
        },
    )
    profile = build_profile(cloned(repo, tmp_path))
    assert profile.name == "itsdangerous" and profile.full_name == "itsdangerous"


def test_section_heading_after_prose_is_not_the_name(tmp_path: Path) -> None:
    """Like spf13/cobra: a logo, an introduction, then ``# Overview``; go.mod names it."""
    repo = make_repo(
        tmp_path / "repo",
        {
            "README.md": '<div align="center"><img src="logo.png" alt="logo" /></div>\n\n'
            "Cobra is a library for creating powerful modern CLI applications.\n\n"
            "# Overview\n\nCommands, arguments and flags.\n",
            "go.mod": "module github.com/spf13/cobra/v2\n\ngo 1.15\n",
            "cobra.go": "package cobra\n\nfunc Run() {}\n",
        },
    )
    assert build_profile(cloned(repo, tmp_path)).name == "cobra"


def test_title_after_logo_and_badges_still_names_the_project(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "README.md": '<p align="center"><img src="logo.svg"></p>\n\n'
            "[![CI](https://example.com/ci.svg)](https://example.com/ci) "
            "![PyPI](https://example.com/pypi.svg)\n\n"
            "# Tally Ho\n\nCounts words in text files.\n",
            "tally.py": "def count(text):\n    return len(text.split())\n",
        },
    )
    assert build_profile(cloned(repo, tmp_path)).name == "Tally Ho"


def test_generic_title_falls_back_to_the_manifest(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "README.md": "# Introduction\n\nA tiny HTTP router.\n",
            "package.json": '{"name": "@acme/tiny-router", "version": "1.0.0"}\n',
            "index.js": "module.exports = function route() {};\n",
        },
    )
    assert build_profile(cloned(repo, tmp_path)).name == "tiny-router"


def test_usage_keeps_the_readmes_lead_in_sentence(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "README.md": "# cobra\n\nA CLI library.\n\n## Usage\n\n"
            "Next, include Cobra in your application:\n\n"
            '```go\nimport "github.com/spf13/cobra"\n```\n',
            "go.mod": "module github.com/spf13/cobra\n",
            "cobra.go": "package cobra\n",
        },
    )
    usage = build_profile(cloned(repo, tmp_path)).usage
    assert usage is not None and usage.code.strip() == 'import "github.com/spf13/cobra"'
    assert usage.lead == "Next, include Cobra in your application."


def test_usage_lead_in_is_only_an_introducing_sentence(tmp_path: Path) -> None:
    repo = make_repo(
        tmp_path / "repo",
        {
            "README.md": "# tally\n\n## Usage\n\nIt counts words. It is fast. Try it.\n\n"
            "```python\nfrom tally import count\nprint(count('a b'))\n```\n",
            "tally.py": "def count(text):\n    return len(text.split())\n",
        },
    )
    usage = build_profile(cloned(repo, tmp_path)).usage
    assert usage is not None and usage.lead == ""


def test_contributor_count_is_everyone_not_the_top_ten(tmp_path: Path) -> None:
    """Like sharkdp/bat: hundreds of authors. The top ten are listed; the count is all of them."""
    from repo2video_dagster.lib.script.template.writer import TemplateWriter
    from repo2video_tests.repo_factory import Commit

    commits = [
        Commit({f"f{i}.txt": f"{i}\n"}, f"change {i}", author=(f"Dev {i:02d}", f"d{i}@example.com"))
        for i in range(12)
    ]
    repo = make_repo(
        tmp_path / "repo",
        {"README.md": "# many\n\nA project with many authors.\n", "many.py": "x = 1\n"},
        commits=commits,
    )
    history = build_profile(cloned(repo, tmp_path)).history
    assert len(history.contributors) == 10
    assert history.people == 13  # twelve devs and the initial author
    script = TemplateWriter().write(build_profile(cloned(repo, tmp_path / "again")))
    activity = next(s for s in script.scenes if s.id == "activity")
    assert "13 contributors" in activity.narration
    stats = {s["label"]: s["value"] for s in activity.visual.data["stats"]}
    assert stats["Contributors"] == "13"
