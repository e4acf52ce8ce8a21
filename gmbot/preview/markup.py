"""Helpers for a platform's markup -> HTML filters (each platform's `preview.py`).

A filter escapes the text for HTML first, sets aside what must stay unformatted (code
spans, links, mentions) with `keep`, then applies its inline rules with `inline`.
Rendered simply: enough to see what the reader sees, not a full parser.
"""

from __future__ import annotations

import re

from markupsafe import Markup

CODE = re.compile(r"`([^`\n]+)`")


def keep(kept: list[str], html: str) -> str:
    """A placeholder for `html`, which `inline` puts back after its rules ran."""
    kept.append(html)
    return f"\0{len(kept) - 1}\0"


def inline(html: str, rules: list[tuple[str, str]], kept: list[str]) -> Markup:
    """Apply the inline `rules` (pattern, replacement) to escaped HTML; put the kept parts
    back; line ends become `<br>`."""
    for pattern, replacement in rules:
        html = re.sub(pattern, replacement, html)
    html = re.sub(r"\0(\d+)\0", lambda m: kept[int(m.group(1))], html)
    return Markup(html.replace("\n", "<br>"))
