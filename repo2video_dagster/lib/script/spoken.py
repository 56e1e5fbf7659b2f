"""Turn README-ish or LLM-written text into narration.

The same string is spoken by the TTS engine and shown as on-screen captions, so
it must be both pronounceable and pleasant to read: no markdown, no URLs read
letter by letter, no emoji, identifiers spelled out as words. Digits are kept on
purpose: the TTS engine reads them, and caption alignment normalises them.

Everything here is pure string processing (regular expressions), deterministic,
and idempotent: cleaning already-clean text returns it unchanged, so writers can
clean defensively at every step.
"""

from __future__ import annotations

import logging
import re
import unicodedata

logger = logging.getLogger(__name__)

__all__ = [
    "clean_for_speech",
    "sentences",
    "speak_name",
    "speak_phrase",
    "speak_identifier",
    "BRANDS",
]

# Words written in mixed case that must not be split into "Git Hub" or "Java Script".
BRANDS: frozenset[str] = frozenset(
    [
        "GitHub",
        "GitLab",
        "BitBucket",
        "Bitbucket",
        "JavaScript",
        "TypeScript",
        "CoffeeScript",
        "AssemblyScript",
        "PostgreSQL",
        "MySQL",
        "SQLite",
        "MongoDB",
        "DuckDB",
        "ClickHouse",
        "CockroachDB",
        "MariaDB",
        "GraphQL",
        "NoSQL",
        "YouTube",
        "PyTorch",
        "TensorFlow",
        "NumPy",
        "SciPy",
        "FastAPI",
        "OpenAI",
        "OpenAPI",
        "ChatGPT",
        "PyPI",
        "PySpark",
        "PyYAML",
        "SQLAlchemy",
        "macOS",
        "iOS",
        "iPadOS",
        "watchOS",
        "tvOS",
        "jQuery",
        "WebAssembly",
        "WebSocket",
        "WebSockets",
        "WebGL",
        "WebGPU",
        "OpenGL",
        "DirectX",
        "PowerShell",
        "DevOps",
        "LinkedIn",
        "WordPress",
        "RabbitMQ",
        "OAuth",
        "LaTeX",
        "MacBook",
        "iPhone",
        "iPad",
        "DataFrame",
        "VSCode",
        "IntelliJ",
        "PyCharm",
        "DigitalOcean",
        "CloudFlare",
        "Cloudflare",
        "HashiCorp",
        "FreeBSD",
        "NetBSD",
        "OpenBSD",
        "ESLint",
        "OpenSSL",
        "OpenSSH",
        "LibreOffice",
        "JetBrains",
        "HuggingFace",
        "DockerHub",
        "LangChain",
        "LlamaIndex",
        "NixOS",
        "OpenStreetMap",
        "OpenCV",
        "WebKit",
        "WebRTC",
        "KDE",
        "eBay",
        "npm",
        "gRPC",
        "tRPC",
        "pnpm",
        "kB",
    ]
)

# Lower-case parts of a name that are spoken as acronyms.
_ACRONYMS: frozenset[str] = frozenset(
    [
        "api",
        "apis",
        "cli",
        "ui",
        "ux",
        "db",
        "sql",
        "http",
        "https",
        "url",
        "uri",
        "json",
        "yaml",
        "toml",
        "xml",
        "html",
        "css",
        "js",
        "ts",
        "jsx",
        "tsx",
        "io",
        "ai",
        "ml",
        "llm",
        "gpu",
        "cpu",
        "sdk",
        "orm",
        "jwt",
        "rpc",
        "grpc",
        "tts",
        "stt",
        "ocr",
        "pdf",
        "csv",
        "ssh",
        "tcp",
        "udp",
        "dns",
        "aws",
        "gcp",
        "vm",
        "os",
        "ci",
        "cd",
        "gui",
        "tui",
        "rest",
        "ssl",
        "tls",
        "id",
        "ip",
        "lsp",
        "vpn",
        "cdn",
        "ide",
        "jvm",
        "wasm",
        "nlp",
        "svg",
        "png",
        "gif",
        "mvc",
        "spa",
        "ssr",
    ]
)

_KNOWN_HOSTS: dict[str, str] = {
    "github.com": "GitHub",
    "gitlab.com": "GitLab",
    "bitbucket.org": "Bitbucket",
    "pypi.org": "PyPI",
    "npmjs.com": "npm",
    "npmjs.org": "npm",
    "crates.io": "crates dot io",
    "readthedocs.io": "Read the Docs",
    "readthedocs.org": "Read the Docs",
    "docs.rs": "docs dot rs",
    "youtube.com": "YouTube",
    "huggingface.co": "Hugging Face",
}

_ABBREVIATIONS: list[tuple[re.Pattern[str], str]] = [
    (re.compile(r"\be\.\s?g\.(?=\W|$)", re.I), "for example"),
    (re.compile(r"\bi\.\s?e\.(?=\W|$)", re.I), "that is"),
    (re.compile(r"\bvs\.?(?=\s)", re.I), "versus"),
    (re.compile(r"\betc\.(?=\s+[a-z])"), "etc"),
]

# "U.S. and" / "a.k.a. the": dotted letters mid-sentence lose their dots.
_LETTER_DOTS = re.compile(r"(?<![\w.])(?:[A-Za-z]\.){2,}(?=\s+[a-z])")

_SENTENCE_END = ".!?。！？…"

# --- block-level markdown ---------------------------------------------------------

_FENCE = re.compile(r"^[ \t]*(```|~~~)")
_HTML_COMMENT = re.compile(r"<!--.*?(-->|$)", re.S)
_HTML_DROP = re.compile(r"<(script|style|svg|picture)\b[^>]*>.*?</\1\s*>", re.S | re.I)
_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+(.*?)\s*#*\s*$")
_SETEXT = re.compile(r"^\s{0,3}(=+|-+)\s*$")
_RULE = re.compile(r"^\s{0,3}([-*_])(\s*\1){2,}\s*$")
_TABLE = re.compile(r"^\s*\|.*\|\s*$|^\s*:?-{3,}:?\s*(\|\s*:?-{3,}:?\s*)+\|?\s*$")
_QUOTE = re.compile(r"^\s{0,3}>+\s?")
_BULLET = re.compile(r"^\s*(?:[-*+•]|\d{1,3}[.)])\s+")
_REF_DEF = re.compile(r"^\s{0,3}\[[^\]]+\]:\s*\S+.*$")
_INDENTED_CODE = re.compile(r"^(?: {4}|\t)")

# --- inline markdown, HTML, URLs ---------------------------------------------------

_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)|!\[[^\]]*\]\[[^\]]*\]")
_LINKED_IMAGE = re.compile(r"\[\s*!\[[^\]]*\]\([^)]*\)\s*\]\([^)]*\)")
_LINK = re.compile(r"\[([^\]]*)\]\((?:[^()]|\([^)]*\))*\)")
_REF_LINK = re.compile(r"\[([^\]]+)\]\[[^\]]*\]")
_AUTOLINK = re.compile(r"<((?:https?|ftp)://[^>\s]+|[^>\s@]+@[^>\s]+)>")
_IMG_TAG = re.compile(r"<img\b[^>]*>", re.I)
_BR_TAG = re.compile(r"<br\s*/?>", re.I)
_TAG = re.compile(r"</?[A-Za-z][\w:-]*(?:\s[^<>]*)?/?>")
_URL = re.compile(r"\b(?:https?|ftp)://[^\s<>()\[\]{}\"']+|\bwww\.[^\s<>()\[\]{}\"']+", re.I)
_EMAIL = re.compile(r"\b[\w.+-]+@[\w-]+(?:\.[\w-]+)+\b")
_SHORTCODE = re.compile(r"(?<![\w:]):[a-z0-9_+-]*[a-z][a-z0-9_+-]*:(?![\w:])")
_INLINE_CODE = re.compile(r"(`+)(.+?)\1")
_BOLD = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_ITALIC_STAR = re.compile(r"(?<![\w*])\*(?=\S)([^*]+?)(?<=\S)\*(?![\w*])")
_ITALIC_UNDER = re.compile(r"(?<![\w_])_(?=\S)([^_]+?)(?<=\S)_(?![\w_])")
_STRIKE = re.compile(r"~~(.+?)~~")
_ENTITY = re.compile(r"&(amp|lt|gt|quot|#39|apos|nbsp);")
_ENTITIES = {"amp": "&", "lt": "<", "gt": ">", "quot": '"', "#39": "'", "apos": "'", "nbsp": " "}

# --- identifiers and symbols -------------------------------------------------------

_CPP = re.compile(r"(?<![\w+])([A-Za-z])\+\+(?![A-Za-z_+])")
_SHARP = re.compile(r"(?<![\w#])([CFJ])#(?!\w)")
_DOTNET = re.compile(r"(?<![\w.])\.NET\b")
_DOT_JS = re.compile(r"\b([A-Z][A-Za-z]*)\.js\b")
_VERSION = re.compile(r"(?<![\w.])(?:v(\d+(?:\.\d+)*)|V(\d+(?:\.\d+)+))(?![\w.]*\w)")
_FLAG = re.compile(r"(?<![\w-])--?([A-Za-z][\w-]*)")
_CALL = re.compile(r"(\w)\(\s*\)")
_DOTTED = re.compile(r"(?<![\w.])(?:[A-Za-z_]\w*)(?:\.[A-Za-z_]\w*)+(?![\w])")
_SCOPE = re.compile(r"(\w)::(\w)")
_PATH = re.compile(r"(?<![\w/])(?:\.{1,2}/|~/|/)?(?:[\w.-]+/)+[\w.-]*")
_ARROWS = re.compile(r"\s*(?:->|=>|<-|<=>|<->|→|←|⇒|↔|>>|<<|\|\|)\s*")
_DASH = re.compile(r"\s+[-–—]{1,2}\s+|—")
_HASH_NUMBER = re.compile(r"(?<!\w)#(\d+)\b")
_DOLLAR = re.compile(r"\$(\d+(?:[.,]\d+)*)")
_PERCENT = re.compile(r"(\d)\s?%")
_AMP = re.compile(r"\s*&&?\s*")
_AT = re.compile(r"(?<!\w)@(?=[A-Za-z])")
_UNSPEAKABLE = re.compile(r"[`*^\\|<>{}\[\]~=#$_]")
_CAMEL_PARTS = re.compile(r"[A-Z]+(?=[A-Z][a-z])|[A-Z]?[a-z]+|[A-Z]+|\d+")
_WORDLIKE = re.compile(r"\b[A-Za-z][A-Za-z0-9]*\b")


def _is_emoji(ch: str) -> bool:
    """Emoji, pictographs and their joiners/modifiers (not letters of any script)."""
    cp = ord(ch)
    if cp in (0x200D, 0xFE0E, 0xFE0F, 0x20E3) or 0x1F3FB <= cp <= 0x1F3FF:
        return True
    if 0x1F000 <= cp <= 0x1FAFF or 0x2600 <= cp <= 0x27BF or 0x2B00 <= cp <= 0x2BFF:
        return True
    if 0xE0000 <= cp <= 0xE007F:  # tag characters (flag sequences)
        return True
    return unicodedata.category(ch) == "So"


def _strip_emoji(text: str) -> str:
    return "".join(" " if _is_emoji(ch) else ch for ch in text)


def _speak_host(host: str) -> str:
    """How a link is said: a known site by name, else its domain with "dot"."""
    host = host.lower().split("@")[-1].split(":")[0].strip(".")
    if host.startswith("www."):
        host = host[4:]
    for known, spoken in _KNOWN_HOSTS.items():
        if host == known or host.endswith("." + known):
            if known.startswith("readthedocs") or host == known:
                return spoken
            sub = host[: -len(known) - 1].split(".")[-1]
            return f"{sub} on {spoken}" if known.endswith(".io") else spoken
    parts = [p for p in host.split(".") if p]
    if len(parts) < 2 or not all(re.fullmatch(r"[a-z0-9-]+", p) for p in parts):
        return "the project page"
    return " dot ".join(parts)


def _replace_url(match: re.Match[str]) -> str:
    url = match.group(0).rstrip(".,;:!?")
    tail = match.group(0)[len(url) :]
    rest = re.sub(r"^(?:https?|ftp)://", "", url, flags=re.I)
    return _speak_host(rest.split("/")[0]) + tail


_BRAND_IN_WORD = re.compile(
    "|".join(sorted((re.escape(b) for b in BRANDS if len(b) > 3), key=len, reverse=True))
)


def _split_camel(word: str) -> list[str]:
    """Camel humps, keeping embedded brands whole (``OAuthLib`` -> ``OAuth``, ``Lib``)."""
    parts: list[str] = []
    pos = 0
    for match in _BRAND_IN_WORD.finditer(word):
        parts.extend(_CAMEL_PARTS.findall(word[pos : match.start()]))
        parts.append(match.group(0))
        pos = match.end()
    parts.extend(_CAMEL_PARTS.findall(word[pos:]))
    return parts if "".join(parts) == word else [word]


def _camel_to_words(word: str, *, force: bool) -> str:
    """Split ``getUserName`` / ``HttpServer``; keep brands and plain words intact.

    In prose only lowerCamel and 3+ part PascalCase are split, because two-part
    PascalCase words there are usually product names (``TensorFlow``).
    """
    if word in BRANDS or word.isupper() or word.islower() or word.isdigit() or len(word) <= 3:
        return word
    parts = _split_camel(word)
    if len(parts) < 2:
        return word
    if not force and word[0].isupper() and len(parts) < 3:
        return word
    out: list[str] = []
    for i, part in enumerate(parts):
        if part.isupper() and len(part) > 1 or part.isdigit() or i == 0:
            out.append(part)
        else:
            out.append(part.lower())
    return " ".join(out)


def speak_identifier(token: str, *, force: bool = True) -> str:
    """Say a code identifier: ``foo.bar()`` -> ``foo dot bar``, ``snake_case`` -> ``snake case``."""
    token = _CALL.sub(r"\1", token)
    token = _SCOPE.sub(r"\1 \2", token)
    pieces = []
    for piece in re.split(r"\.", token):
        words = [w for w in re.split(r"_+", piece) if w]
        pieces.append(" ".join(_camel_to_words(w, force=force) for w in words))
    return " dot ".join(p for p in pieces if p)


def _speak_code_span(match: re.Match[str]) -> str:
    code = match.group(2).strip()
    # A whole command line keeps its words; each word is then spoken as an identifier.
    words = []
    for word in code.split():
        word = _FLAG.sub(lambda m: m.group(1).replace("-", " "), word)
        if _URL.fullmatch(word):
            words.append(_replace_url(_URL.match(word)))  # type: ignore[arg-type]
            continue
        word = word.strip("\"'")
        if re.fullmatch(r"[\w.:()]+", word) and re.search(r"[A-Za-z]", word):
            words.append(speak_identifier(word))
        else:
            words.append(word)
    return " ".join(w for w in words if w)


def _speak_path(match: re.Match[str]) -> str:
    path = match.group(0)
    if "://" in path or not re.search(r"[A-Za-z]", path):
        return path
    parts = [p for p in re.split(r"/+", path) if p and p not in (".", "..", "~")]
    spoken = []
    for part in parts:
        if re.fullmatch(r"[\w.-]+", part) and ("." in part.strip(".") or "_" in part):
            spoken.append(speak_identifier(part.strip(".")))
        else:
            spoken.append(part)
    return " ".join(spoken)


def _speak_dotted(match: re.Match[str]) -> str:
    token = match.group(0)
    if token in BRANDS:
        return token
    parts = token.split(".")
    if all(len(p) == 1 for p in parts):  # U.S, a.k.a: an abbreviation, not a name
        return "".join(parts)
    return speak_identifier(token, force=False)


def _speak_word(match: re.Match[str]) -> str:
    return _camel_to_words(match.group(0), force=False)


def _speak_snake(match: re.Match[str]) -> str:
    return " ".join(w for w in match.group(0).split("_") if w)


def _block_lines(text: str) -> list[str]:
    """Markdown blocks to one line per sentence-ish unit; code blocks and tables dropped."""
    lines: list[str] = []
    paragraph: list[str] = []
    in_fence: str | None = None

    def flush() -> None:
        if paragraph:
            lines.append(" ".join(paragraph))
            paragraph.clear()

    raw_lines = text.split("\n")
    for i, raw in enumerate(raw_lines):
        fence = _FENCE.match(raw)
        if in_fence:
            if fence and fence.group(1) == in_fence:
                in_fence = None
            continue
        if fence:
            flush()
            in_fence = fence.group(1)
            continue
        if not raw.strip():
            flush()
            continue
        if _INDENTED_CODE.match(raw) and not paragraph and not _BULLET.match(raw):
            continue
        if _RULE.match(raw) or _TABLE.match(raw) or _REF_DEF.match(raw):
            flush()
            continue
        if _SETEXT.match(raw):
            # An underline turns the paragraph so far into a heading.
            if paragraph:
                lines.append(_end_sentence(" ".join(paragraph)))
                paragraph.clear()
            continue
        line = _QUOTE.sub("", raw)
        heading = _HEADING.match(line)
        if heading:
            flush()
            lines.append(_end_sentence(heading.group(1)))
            continue
        if _BULLET.match(line):
            flush()
            paragraph.append(_BULLET.sub("", line).strip())
            continue
        paragraph.append(line.strip())
        next_line = raw_lines[i + 1] if i + 1 < len(raw_lines) else ""
        if line.rstrip().endswith(("  ", "\\")) or _FENCE.match(next_line):
            flush()
    flush()
    return lines


def _end_sentence(text: str) -> str:
    """Make a block end like a sentence (headings, bullets, text before a code block)."""
    text = text.strip()
    if not text:
        return text
    text = re.sub(r"\s*[:;,]+$", "", text)
    if not text:
        return text
    closing = ""
    while text and text[-1] in "\"')]»”’":
        closing = text[-1] + closing
        text = text[:-1]
    if text and text[-1] not in _SENTENCE_END:
        text += "."
    return text + closing


def _capitalise(sentence: str) -> str:
    """Upper-case a sentence's first letter, unless the word is a styled name (``npm``, ``x-y``)."""
    match = re.match(r"([\"'(]*)([a-z]+)(?![\w-])", sentence)
    if not match or match.group(2) in BRANDS:
        return sentence
    word = match.group(2)
    return sentence[: match.start(2)] + word[0].upper() + word[1:] + sentence[match.end(2) :]


def _inline(text: str) -> str:
    """Inline markdown, HTML, URLs, emoji, identifiers and symbols to words."""
    text = _LINKED_IMAGE.sub(" ", text)
    text = _IMAGE.sub(" ", text)
    text = _IMG_TAG.sub(" ", text)
    text = _AUTOLINK.sub(lambda m: m.group(1) if "://" in m.group(1) else " ", text)
    text = _LINK.sub(lambda m: f" {m.group(1)} ", text)
    text = _REF_LINK.sub(lambda m: m.group(1), text)
    text = _BR_TAG.sub(" ", text)
    text = _TAG.sub(" ", text)
    text = _ENTITY.sub(lambda m: _ENTITIES[m.group(1)], text)
    text = _TAG.sub(" ", text)  # tags that were entity-encoded
    text = _EMAIL.sub(" ", text)
    text = _URL.sub(_replace_url, text)
    text = _SHORTCODE.sub(" ", text)
    text = _strip_emoji(text)
    text = _INLINE_CODE.sub(_speak_code_span, text)
    text = _BOLD.sub(r"\2", text)
    text = _STRIKE.sub(r"\1", text)
    text = _ITALIC_STAR.sub(r"\1", text)
    text = _ITALIC_UNDER.sub(r"\1", text)
    for pattern, spoken in _ABBREVIATIONS:
        text = pattern.sub(spoken, text)
    text = _LETTER_DOTS.sub(lambda m: m.group(0).replace(".", ""), text)
    text = _CPP.sub(r"\1 plus plus ", text)
    text = _SHARP.sub(r"\1 sharp", text)
    text = _DOTNET.sub("dot net", text)
    text = _DOT_JS.sub(r"\1 JS", text)
    text = _VERSION.sub(lambda m: f"version {m.group(1) or m.group(2)}", text)
    text = _ARROWS.sub(" ", text)
    text = _DASH.sub(", ", text)
    text = _FLAG.sub(lambda m: m.group(1).replace("-", " "), text)
    text = _PATH.sub(_speak_path, text)
    text = _DOTTED.sub(_speak_dotted, text)
    text = _CALL.sub(r"\1", text)
    text = _SCOPE.sub(r"\1 \2", text)
    text = re.sub(r"\b_*[A-Za-z0-9]+(?:_+[A-Za-z0-9]+)+_*\b|\b__?\w+?__?\b", _speak_snake, text)
    text = _WORDLIKE.sub(_speak_word, text)
    text = _HASH_NUMBER.sub(r"number \1", text)
    text = _DOLLAR.sub(r"\1 dollars", text)
    text = _PERCENT.sub(r"\1 percent", text)
    text = _AMP.sub(" and ", text)
    text = _AT.sub("", text)
    text = text.replace("()", " ")
    text = _UNSPEAKABLE.sub(" ", text)
    return text


def _tidy(text: str) -> str:
    """Whitespace and punctuation after all replacements."""
    text = re.sub(r"\s+", " ", text)
    text = re.sub(r"\(\s*\)|\[\s*\]", " ", text)
    text = re.sub(r"\(\s+", "(", text)
    text = re.sub(r"\s+\)", ")", text)
    text = re.sub(r"\s+([,.;:!?。！？])", r"\1", text)
    text = re.sub(r"\.{2,}|…", ".", text)
    text = re.sub(r"([,;:])(?:\s*[,;:])+", r"\1", text)
    text = re.sub(r"[,;:]\s*([.!?])", r"\1", text)
    text = re.sub(r"([.!?])(?:\s*[.,;:])+", r"\1", text)
    text = re.sub(r"^[\s,.;:!?)-]+", "", text)
    text = re.sub(r"([,;:])(?=[A-Za-z])", r"\1 ", text)
    text = re.sub(r"(?<=[a-z])([.!?])(?=[A-Z][a-z])", r"\1 ", text)
    return text.strip()


def clean_for_speech(text: str) -> str:
    """Make README or LLM text speakable and caption-ready.

    Markdown structure becomes sentences (a heading or bullet is its own
    sentence), code blocks and tables are dropped, links keep their text, URLs
    become a site name, identifiers become words. Returns ``""`` when nothing
    speakable is left.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    text = _HTML_COMMENT.sub(" ", text)
    text = _HTML_DROP.sub(" ", text)
    out: list[str] = []
    for block in _block_lines(text):
        spoken = _tidy(_inline(block))
        if not spoken or not re.search(r"\w", spoken):
            continue
        out.append(_end_sentence(spoken))
    result = " ".join(_capitalise(s) for s in sentences(" ".join(out)))
    return _tidy(result)


def speak_phrase(text: str) -> str:
    """Clean a fragment (a file name, a command, a package) to drop into a sentence.

    Unlike :func:`clean_for_speech` it adds no sentence punctuation and keeps the
    first letter's case, so ``csv_wrangler/cli.py`` becomes ``csv wrangler cli dot py``.
    """
    if not text:
        return ""
    spoken = _tidy(_inline(unicodedata.normalize("NFC", " ".join(text.split()))))
    return spoken.rstrip(" ,;:.")


def sentences(text: str) -> list[str]:
    """Split clean narration into sentences (expects :func:`clean_for_speech` output)."""
    parts: list[str] = []
    for match in re.finditer(r".+?(?:[.!?][\"')\]”’]*(?=\s|$)|[。！？]|$)", text.strip(), re.S):
        part = match.group(0).strip()
        if part:
            parts.append(part)
    return parts


def speak_name(name: str) -> str:
    """Say a repository name: ``fast-api_tools`` -> ``fast API tools``.

    Splits on ``- _ . /`` and camelCase humps, says known short tech words as
    acronyms, keeps brands (``GitHub``) and digits as written.
    """
    name = name.strip().strip("/")
    if not name:
        return ""
    if name in BRANDS:
        return name
    name = _CPP.sub(r"\1 plus plus", name)
    name = _SHARP.sub(r"\1 sharp", name)
    name = _DOT_JS.sub(r"\1 JS", name)
    words: list[str] = []
    for chunk in re.split(r"[-_./\s]+", name):
        if not chunk:
            continue
        if chunk in BRANDS:
            words.append(chunk)
            continue
        parts = _split_camel(chunk) if not (chunk.islower() or chunk.isupper()) else [chunk]
        if chunk[0].islower():
            parts = [p if p.isupper() and len(p) > 1 else p.lower() for p in parts]
        for part in parts:
            low = part.lower()
            if low in _ACRONYMS and not (
                part[0].isupper() and part[1:].islower() and len(part) > 3
            ):
                words.append(low.upper() if low not in ("apis",) else "APIs")
            else:
                words.append(part)
    spoken = " ".join(words)
    return _strip_emoji(spoken).strip() or name
