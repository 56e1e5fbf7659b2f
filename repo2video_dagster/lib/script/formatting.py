"""How counts, dates and headings are written, in narration and on slides.

Both writers and the slide data say numbers and dates the same way ("about 12
thousand lines", "March 2021" when spoken, "Mar 2021" on a slide), and cut
headings to the same width, so these live in one place.
"""

from __future__ import annotations

import re
from datetime import date, datetime

__all__ = [
    "MAX_HEADING_CHARS",
    "clip_heading",
    "clip_text",
    "format_count",
    "month_year",
    "short_date",
]

MAX_HEADING_CHARS = 60

MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def format_count(n: int, *, approx: bool = True) -> str:
    """A count as written in narration: ``1,234``, ``about 12 thousand``, ``about 1.5 million``."""
    if n < 10_000 or not approx:
        return f"{n:,}"
    if n < 1_000_000:
        return f"about {round(n / 1000):,} thousand"
    millions = round(n / 1_000_000, 1)
    text = f"{millions:.1f}".removesuffix(".0")
    return f"about {text} million"


def _parse_date(value: str | None) -> date | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
    except ValueError:
        match = re.match(r"(\d{4})-(\d{2})", value.strip())
        if match:
            try:
                return date(int(match.group(1)), int(match.group(2)), 1)
            except ValueError:
                return None
    return None


def month_year(value: str | None) -> str | None:
    """``2021-03-14T10:00:00+00:00`` -> ``March 2021`` (for narration)."""
    parsed = _parse_date(value)
    return f"{MONTHS[parsed.month - 1]} {parsed.year}" if parsed else None


def short_date(value: str | None) -> str | None:
    """``2021-03-14...`` -> ``Mar 2021`` (for slides)."""
    parsed = _parse_date(value)
    return f"{MONTHS[parsed.month - 1][:3]} {parsed.year}" if parsed else None


def clip_text(text: str, limit: int) -> str:
    """Whitespace collapsed, then cut at a word boundary to ``limit`` characters with "…"."""
    text = re.sub(r"\s+", " ", text).strip()
    if len(text) <= limit:
        return text
    cut = text[: limit - 1].rsplit(" ", 1)[0] if " " in text[: limit - 1] else text[: limit - 1]
    return cut.rstrip(" ,;:.-") + "…"


def clip_heading(text: str) -> str:
    """A chapter title or slide heading, cut to fit one line."""
    return clip_text(text, MAX_HEADING_CHARS)
