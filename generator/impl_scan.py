"""Which `backend_impl` functions exist: read, never imported (importing would run the backend)."""

from __future__ import annotations

import re
from pathlib import Path

# Top-level (column 0) definitions: `def f`, `async def f`, `f = ...`, `f: T = ...`, and
# `from x import f` / `from x import f as g` one-liners. A regex instead of `ast`: 10x faster, and a
# miss only means the operation answers 501 until the name is written in one of these forms.
_DEFINITION = re.compile(
    r"^(?:async[ \t]+def|def|class)[ \t]+(\w+)"
    r"|^(\w+)[ \t]*(?::[^=\n]*)?=(?!=)"
    r"|^from[ \t]+[\w.]+[ \t]+import[ \t]+\(?([\w ,\t]+)",
    re.MULTILINE,
)


def implemented(impl_dir: Path, modules: set[str]) -> set[tuple[str, str]]:
    """(module, name) of the top-level names defined in `impl_dir/<module>.py`."""
    found: set[tuple[str, str]] = set()
    for module in sorted(modules):
        try:
            text = (impl_dir / f"{module}.py").read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        for match in _DEFINITION.finditer(text):
            name, assigned, imported = match.groups()
            if name or assigned:
                found.add((module, name or assigned))
            elif imported:
                for part in imported.split(","):
                    words = part.split()
                    if words:
                        found.add((module, words[-1]))  # `a as b` -> b
    return found
