"""Which language a file is written in, and the project's languages by lines of code."""

from __future__ import annotations

import os
from collections import Counter

from repo2video_dagster.lib.core.records import LanguageShare
from repo2video_dagster.lib.source.profile.files import ScannedFile, is_doc, is_test

_CODE_EXT: dict[str, str] = {}
for _lang, _exts in {
    "Python": ".py .pyi .pyw .pyx",
    "JavaScript": ".js .mjs .cjs .jsx",
    "TypeScript": ".ts .tsx .mts .cts",
    "Go": ".go",
    "Rust": ".rs",
    "Java": ".java",
    "Kotlin": ".kt .kts",
    "Swift": ".swift",
    "C": ".c .h",
    "C++": ".cc .cpp .cxx .hpp .hh .hxx .c++ .h++ .ipp",
    "C#": ".cs",
    "Objective-C": ".m .mm",
    "Ruby": ".rb .rake .gemspec",
    "PHP": ".php",
    "Shell": ".sh .bash .zsh .fish",
    "PowerShell": ".ps1 .psm1",
    "HTML": ".html .htm",
    "CSS": ".css",
    "SCSS": ".scss .sass .less",
    "Vue": ".vue",
    "Svelte": ".svelte",
    "Scala": ".scala .sc",
    "Dart": ".dart",
    "Lua": ".lua",
    "R": ".r",
    "Julia": ".jl",
    "Haskell": ".hs",
    "Elixir": ".ex .exs",
    "Erlang": ".erl .hrl",
    "Clojure": ".clj .cljs .cljc",
    "OCaml": ".ml .mli",
    "F#": ".fs .fsx",
    "Perl": ".pl .pm",
    "Zig": ".zig",
    "Nim": ".nim",
    "SQL": ".sql",
    "Groovy": ".groovy .gradle",
    "Terraform": ".tf",
    "Solidity": ".sol",
    "CMake": ".cmake",
    "Makefile": ".mk",
    "Assembly": ".s .asm",
}.items():
    for _ext in _exts.split():
        _CODE_EXT[_ext] = _lang

_CODE_NAMES = {
    "makefile": "Makefile",
    "gnumakefile": "Makefile",
    "dockerfile": "Dockerfile",
    "containerfile": "Dockerfile",
    "cmakelists.txt": "CMake",
    "rakefile": "Ruby",
    "jenkinsfile": "Groovy",
}


PYGMENTS_NAMES = {
    "Python": "python",
    "JavaScript": "javascript",
    "TypeScript": "typescript",
    "Go": "go",
    "Rust": "rust",
    "Java": "java",
    "Kotlin": "kotlin",
    "Swift": "swift",
    "C": "c",
    "C++": "cpp",
    "C#": "csharp",
    "Objective-C": "objective-c",
    "Ruby": "ruby",
    "PHP": "php",
    "Shell": "bash",
    "PowerShell": "powershell",
    "HTML": "html",
    "CSS": "css",
    "SCSS": "scss",
    "Vue": "html",
    "Svelte": "html",
    "Scala": "scala",
    "Dart": "dart",
    "Lua": "lua",
    "R": "r",
    "Julia": "julia",
    "Haskell": "haskell",
    "Elixir": "elixir",
    "Erlang": "erlang",
    "Clojure": "clojure",
    "OCaml": "ocaml",
    "F#": "fsharp",
    "Perl": "perl",
    "Zig": "zig",
    "Nim": "nim",
    "SQL": "sql",
    "Groovy": "groovy",
    "Terraform": "terraform",
    "Solidity": "solidity",
    "CMake": "cmake",
    "Makefile": "make",
    "Dockerfile": "docker",
    "Assembly": "nasm",
}
"""Pygments lexer name of each language, for highlighting code on slides."""


def language_of(name: str) -> str | None:
    """The language of a file by its name or extension; None for data and prose."""
    low = name.lower()
    if low in _CODE_NAMES:
        return _CODE_NAMES[low]
    if low.endswith(".dockerfile"):
        return "Dockerfile"
    return _CODE_EXT.get(os.path.splitext(low)[1])


def language_shares(files: list[ScannedFile]) -> list[LanguageShare]:
    """Languages the project is written in, by non-blank lines.

    Tests, docs and examples count only in languages the main code also uses:
    fixtures such as a syntax highlighter's sample files in twenty languages (or a
    vendored jquery.js used as a benchmark input) are not what the project is made of.
    """
    main = {
        f.language for f in files if f.language and f.lines and not is_test(f) and not is_doc(f)
    }
    lines: Counter[str] = Counter()
    counts: Counter[str] = Counter()
    for f in files:
        if f.language and f.lines and (not main or f.language in main):
            lines[f.language] += f.lines
            counts[f.language] += 1
    total = sum(lines.values())
    return [
        LanguageShare(name=name, files=counts[name], lines=n, share=round(n / total, 4))
        for name, n in sorted(lines.items(), key=lambda kv: (-kv[1], kv[0]))
    ]
