"""Write the generated tree atomically, or compare it (`--check`) with a unified diff."""

from __future__ import annotations

import difflib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

IGNORED_DIRS = {"__pycache__", ".mypy_cache", ".ruff_cache"}


def read_tree(root: Path) -> dict[str, str]:
    """Every file under `root` (relative posix path -> text), caches excluded."""
    files: dict[str, str] = {}
    if not root.is_dir():
        return files
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames[:] = sorted(d for d in dirnames if d not in IGNORED_DIRS)
        for name in filenames:
            if name.endswith((".pyc", ".pyo")):
                continue
            path = Path(dirpath, name)
            try:
                files[path.relative_to(root).as_posix()] = path.read_text(encoding="utf-8")
            except (UnicodeDecodeError, OSError):
                files[path.relative_to(root).as_posix()] = "<unreadable>\n"
    return files


def diff(root: Path, wanted: Mapping[str, str], label: str) -> str:
    """A unified diff turning what is in `root` into `wanted`; empty when up to date."""
    current = read_tree(root)
    chunks: list[str] = []
    for name in sorted(set(current) | set(wanted)):
        old, new = current.get(name), wanted.get(name)
        if old == new:
            continue
        chunks.extend(
            difflib.unified_diff(
                (old or "").splitlines(keepends=True),
                (new or "").splitlines(keepends=True),
                fromfile=f"a/{label}/{name}" if old is not None else "/dev/null",
                tofile=f"b/{label}/{name}" if new is not None else "/dev/null",
            )
        )
    return "".join(line if line.endswith("\n") else line + "\n" for line in chunks)


def recover(root: Path) -> None:
    """Finish a swap a crash interrupted: put the previous tree back if `root` is missing."""
    if root.exists():
        for old in root.parent.glob(f".{root.name}.old-*"):
            shutil.rmtree(old, ignore_errors=True)
        return
    backups = sorted(root.parent.glob(f".{root.name}.old-*"))
    if backups:
        backups[-1].rename(root)


def write_tree(root: Path, files: Mapping[str, str]) -> bool:
    """Replace `root` with exactly `files`: build a sibling temp dir, then swap it in.

    A crash leaves either the old tree or the new one in place (at worst the old one
    under `.<name>.old-*`, which the next run puts back). Returns False when already up to date.
    """
    recover(root)
    if read_tree(root) == dict(files):
        return False
    root.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{root.name}.new-", dir=root.parent))
    try:
        for name, text in sorted(files.items()):
            path = tmp / name
            path.parent.mkdir(parents=True, exist_ok=True)
            with open(path, "w", encoding="utf-8", newline="\n") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
        old = None
        if root.exists():
            old = Path(tempfile.mkdtemp(prefix=f".{root.name}.old-", dir=root.parent))
            old.rmdir()
            root.rename(old)
        tmp.rename(root)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        recover(root)
        raise
    if old is not None:
        shutil.rmtree(old, ignore_errors=True)
    return True


def write_new(path: Path, text: str) -> None:
    """Create a file that must not exist yet (a stub); never overwrites."""
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "x", encoding="utf-8", newline="\n") as handle:
        handle.write(text)
