"""Reading a slide spec's data, which may hold plain values, lists or records."""

from __future__ import annotations

from typing import Any


def data_list(value: Any) -> list[Any]:
    """A spec field as a list: ``None`` is empty, a string is one item."""
    if value is None:
        return []
    if isinstance(value, str):
        return [value]
    return list(value)


def data_field(item: Any, key: str, default: Any = None) -> Any:
    """Read a field from a dict or a record (``LanguageShare`` and friends)."""
    if isinstance(item, dict):
        return item.get(key, default)
    return getattr(item, key, default)
