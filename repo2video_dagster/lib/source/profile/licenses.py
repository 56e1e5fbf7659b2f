"""The project's licence: recognised from a top-level licence file, else from a manifest."""

from __future__ import annotations

import re

from repo2video_dagster.lib.source.profile.files import CheckoutScan, dedupe
from repo2video_dagster.lib.source.profile.manifests import Manifests
from repo2video_dagster.lib.source.profile.walk import read_text

LICENSE_RE = re.compile(r"^(licen[cs]e|copying|unlicense)([.-].*)?$", re.I)


_LICENSES = [
    ("AGPL-3.0", r"GNU AFFERO GENERAL PUBLIC LICENSE"),
    ("LGPL-3.0", r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 3"),
    ("LGPL-2.1", r"GNU LESSER GENERAL PUBLIC LICENSE\s+Version 2\.1|GNU LIBRARY GENERAL PUBLIC"),
    ("LGPL", r"GNU LESSER GENERAL PUBLIC LICENSE"),
    ("GPL-3.0", r"GNU GENERAL PUBLIC LICENSE\s+Version 3"),
    ("GPL-2.0", r"GNU GENERAL PUBLIC LICENSE\s+Version 2"),
    ("GPL", r"GNU GENERAL PUBLIC LICENSE"),
    ("Apache-2.0", r"Apache License,?\s+Version 2\.0|Licensed under the Apache License"),
    ("MPL-2.0", r"Mozilla Public License,?\s+(Version|v\.?)\s*2\.0"),
    ("Unlicense", r"This is free and unencumbered software released into the public domain"),
    ("ISC", r"Permission to use, copy, modify, and(/or)? distribute this software for any"),
    ("MIT", r"Permission is hereby granted, free of charge, to any person|\bMIT License\b"),
    ("BSD-3-Clause", r"Redistribution and use in source and binary forms(?=.*Neither the name)"),
    ("BSD-2-Clause", r"Redistribution and use in source and binary forms"),
    ("CC0-1.0", r"CC0 1\.0|Creative Commons Zero"),
    ("BSL-1.0", r"Boost Software License"),
]


def detect_license(scan: CheckoutScan, manifests: Manifests, limit: int) -> str | None:
    """SPDX id(s) of the licence text at the top level (two at most), else the manifest's."""
    found: list[str] = []
    for f in scan.files:
        if len(f.parts) != 1 or f.link or not LICENSE_RE.match(f.name):
            continue
        text = read_text(scan.root, f.rel, min(limit, 200_000))
        if not text:
            continue
        flat = re.sub(r"\s+", " ", text)
        for spdx, pattern in _LICENSES:
            if re.search(pattern, flat, re.I | re.S):
                found.append(spdx)
                break
    found = dedupe(found)
    if found:
        return " OR ".join(found[:2])
    return manifests.license
