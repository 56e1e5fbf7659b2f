"""Hand-built :class:`RepoProfile` fixtures for the script and blog tests.

They mirror what the profiler reads from real repositories of different shapes,
so writer tests do not depend on cloning or analysing anything.
"""

from __future__ import annotations

from repo2video_dagster.lib.core.records import (
    CodeSnippet,
    Contributor,
    GitHistory,
    LanguageShare,
    RepoProfile,
)
from repo2video_devtools.reliability.fake_services import llm_script  # noqa: F401 (moved there)


def python_cli() -> RepoProfile:
    """A mid-sized Python command-line tool with full metadata."""
    return RepoProfile(
        name="csv-wrangler",
        full_name="acme/csv-wrangler",
        description="A fast command-line tool to clean, join and reshape CSV files.",
        readme_path="README.md",
        readme_excerpt=(
            "csv-wrangler cleans, joins and reshapes CSV files from the terminal. "
            "It streams rows, so files larger than memory are fine. "
            "Every command reads from standard input and writes to standard output."
        ),
        languages=[
            LanguageShare("Python", files=38, lines=11_850, share=0.86),
            LanguageShare("Shell", files=4, lines=1_240, share=0.09),
            LanguageShare("Makefile", files=1, lines=690, share=0.05),
        ],
        total_files=57,
        total_lines=13_780,
        key_files=["README.md", "pyproject.toml", "LICENSE", "csv_wrangler/cli.py"],
        entry_points=["csvw"],
        dependencies={"pyproject.toml": ["click", "rich", "pyarrow"]},
        license="MIT",
        top_level=["csv_wrangler/", "tests/", "docs/", "README.md", "pyproject.toml", "LICENSE"],
        tree=[
            "csv_wrangler/",
            "  __init__.py",
            "  cli.py",
            "  join.py",
            "  reshape.py",
            "tests/",
            "  test_cli.py",
            "docs/",
            "README.md",
            "pyproject.toml",
        ],
        modules=["csv_wrangler/cli.py", "csv_wrangler/join.py", "csv_wrangler/reshape.py"],
        history=GitHistory(
            commits=1_234,
            contributors=[Contributor("Ada", 900), Contributor("Bob", 300), Contributor("Cy", 34)],
            first_commit="2021-03-14T10:00:00+00:00",
            last_commit="2024-05-02T08:30:00+00:00",
            recent_subjects=["Add join --left", "Fix quoting of empty fields"],
        ),
        install_commands=["pip install csv-wrangler"],
        usage=CodeSnippet(
            code="csvw join --on id users.csv orders.csv > joined.csv\ncsvw pivot --rows city sales.csv",
            language="bash",
            source="README.md",
        ),
        code_sample=CodeSnippet(
            code=(
                "def join_rows(left, right, key):\n"
                "    index = {row[key]: row for row in right}\n"
                "    for row in left:\n"
                "        match = index.get(row[key])\n"
                "        if match is not None:\n"
                "            yield {**row, **match}\n"
            ),
            language="python",
            source="csv_wrangler/join.py",
            start_line=12,
        ),
        homepage="https://github.com/acme/csv-wrangler",
        stars=3_400,
        forks=120,
        topics=["csv", "data-cleaning", "cli"],
    )


def js_library() -> RepoProfile:
    """A JavaScript library: npm install, no stars known, truncated history."""
    return RepoProfile(
        name="tinyDate",
        full_name="dates/tinyDate",
        description="Tiny immutable date helpers for the browser and Node.js.",
        readme_path="README.md",
        readme_excerpt="tinyDate formats, parses and compares dates in under 2 kB.",
        languages=[
            LanguageShare("JavaScript", files=22, lines=2_300, share=0.7),
            LanguageShare("TypeScript", files=6, lines=980, share=0.3),
        ],
        total_files=41,
        total_lines=3_280,
        key_files=["package.json", "README.md", "src/index.js"],
        entry_points=[],
        dependencies={"package.json": ["rollup", "vitest"]},
        license="Apache-2.0",
        top_level=["src/", "test/", "package.json", "README.md"],
        tree=["src/", "  index.js", "  format.js", "  parse.js", "test/", "package.json"],
        modules=["src/format.js", "src/parse.js"],
        history=GitHistory(
            commits=480,
            contributors=[Contributor("Dee", 400), Contributor("Eve", 80)],
            first_commit="2019-11-02T00:00:00Z",
            last_commit="2023-01-20T00:00:00Z",
            truncated=True,
        ),
        install_commands=["npm install tinydate"],
        usage=CodeSnippet(
            code="import { format } from 'tinydate';\nformat(new Date(), 'YYYY-MM-DD');",
            language="javascript",
            source="README.md",
        ),
        code_sample=None,
    )


def go_service() -> RepoProfile:
    """A large Go service: no usage snippet (falls back to the source excerpt), no license."""
    return RepoProfile(
        name="ledgerd",
        full_name="fin/ledgerd",
        description="An append-only ledger service with a gRPC API.",
        readme_path="README.md",
        readme_excerpt="ledgerd stores double-entry transactions and serves them over gRPC.",
        languages=[
            LanguageShare("Go", files=310, lines=98_000, share=0.92),
            LanguageShare("Protocol Buffer", files=12, lines=5_100, share=0.05),
            LanguageShare("Dockerfile", files=2, lines=60, share=0.03),
        ],
        total_files=402,
        total_lines=106_400,
        key_files=["go.mod", "cmd/ledgerd/main.go", "Dockerfile"],
        entry_points=["cmd/ledgerd"],
        dependencies={"go.mod": ["google.golang.org/grpc", "github.com/jackc/pgx/v5"]},
        license=None,
        top_level=["cmd/", "internal/", "api/", "go.mod", "Dockerfile"],
        tree=["cmd/", "  ledgerd/", "internal/", "  store/", "  server/", "api/", "go.mod"],
        modules=["internal/store", "internal/server", "cmd/ledgerd"],
        history=GitHistory(
            commits=5_210,
            contributors=[Contributor(f"dev{i}", 100) for i in range(31)],
            first_commit="2018-06-01T12:00:00+00:00",
            last_commit="2024-09-30T12:00:00+00:00",
        ),
        install_commands=["go install ./cmd/ledgerd", "docker build -t ledgerd ."],
        usage=None,
        code_sample=CodeSnippet(
            code="func (s *Store) Append(ctx context.Context, tx Tx) error {\n\treturn s.db.Insert(ctx, tx)\n}\n",
            language="go",
            source="internal/store/store.go",
            start_line=40,
        ),
        stars=None,
    )


def tiny_repo() -> RepoProfile:
    """Only a README and one script, one commit, one author, nothing else known."""
    return RepoProfile(
        name="hello",
        full_name="hello",
        description="",
        readme_path="README.md",
        readme_excerpt="",
        languages=[LanguageShare("Python", files=1, lines=12, share=1.0)],
        total_files=2,
        total_lines=12,
        key_files=["README.md", "hello.py"],
        entry_points=["hello.py"],
        dependencies={},
        license=None,
        top_level=["README.md", "hello.py"],
        tree=["README.md", "hello.py"],
        modules=["hello.py"],
        history=GitHistory(
            commits=1,
            contributors=[Contributor("Solo", 1)],
            first_commit="2024-02-10T09:00:00+00:00",
            last_commit="2024-02-10T09:00:00+00:00",
        ),
        install_commands=[],
        usage=None,
        code_sample=None,
    )


def no_data_repo() -> RepoProfile:
    """Everything optional missing: no languages, no history, no snippets, no tree."""
    return RepoProfile(
        name="empty_ish",
        full_name="someone/empty_ish",
        description="",
        readme_path=None,
        readme_excerpt="",
        languages=[],
        total_files=1,
        total_lines=0,
        key_files=[],
        entry_points=[],
        dependencies={},
        license=None,
        top_level=["data.bin"],
        tree=[],
        modules=[],
        history=GitHistory(commits=0, contributors=[], first_commit=None, last_commit=None),
        install_commands=[],
        usage=None,
        code_sample=None,
    )


LONG_NAME = "an-extremely-long-repository-name-for-testing-titles-and-slides-that-never-ends-ok"


def long_non_latin() -> RepoProfile:
    """A long name and a Chinese description (the English voice cannot read it)."""
    return RepoProfile(
        name=LONG_NAME,
        full_name=f"例子/{LONG_NAME}",
        description="一个用于处理中文文本的快速分词工具，支持自定义词典。",
        readme_path="README.md",
        readme_excerpt="一个用于处理中文文本的快速分词工具。支持自定义词典和并行处理。",
        languages=[
            LanguageShare("Rust", files=40, lines=21_000, share=0.8),
            LanguageShare("Python", files=10, lines=5_200, share=0.2),
        ],
        total_files=80,
        total_lines=26_200,
        key_files=["Cargo.toml", "README.md"],
        entry_points=[],
        dependencies={"Cargo.toml": ["serde", "rayon", "clap"]},
        license="MIT OR Apache-2.0",
        top_level=["src/", "python/", "Cargo.toml", "README.md"],
        tree=["src/", "  lib.rs", "  dict.rs", "python/", "Cargo.toml"],
        modules=["src/lib.rs", "src/dict.rs"],
        history=GitHistory(
            commits=88,
            contributors=[Contributor("张三", 80), Contributor("Li", 8)],
            first_commit="2022-07-01T00:00:00+08:00",
            last_commit="2022-12-24T00:00:00+08:00",
        ),
        install_commands=["cargo add fenci"],
        usage=CodeSnippet(
            code='let words = fenci::cut("我爱北京天安门");', language="rust", source="README.md"
        ),
        code_sample=None,
        topics=["nlp", "中文", "tokenizer"],
    )


def hostile_repo() -> RepoProfile:
    """Repository-provided text that tries to inject HTML/JS into pages and YAML."""
    profile = python_cli()
    profile.name = "evil<script>alert(1)</script>"
    profile.full_name = 'evil/"><img src=x onerror=alert(2)>'
    profile.description = (
        "<script>alert(1)</script> [click](javascript:alert(3)) \"quoted\" 'x'\n---\nkey: value"
    )
    profile.readme_excerpt = '"><img src=x onerror=alert(4)>'
    profile.license = "<b onmouseover=alert(5)>MIT</b>"
    profile.homepage = "javascript:alert(6)"
    profile.topics = ["<svg onload=alert(7)>", "ok"]
    profile.languages[0].name = "<i>Py</i>"
    return profile


ALL = {
    "python_cli": python_cli,
    "js_library": js_library,
    "go_service": go_service,
    "tiny_repo": tiny_repo,
    "no_data_repo": no_data_repo,
    "long_non_latin": long_non_latin,
}
