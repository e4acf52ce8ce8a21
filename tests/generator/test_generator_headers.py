"""Each generated file's header names only the sources it depends on.

So a chat-only change (a command's description) rewrites only the chat side, and an
API-only change only the server side and what the chat reads from the API (its routes).
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from generator.pipeline import Config, render
from tests.generator.gen_support import FIXTURES


def _render(folder: Path) -> dict[str, str]:
    config = Config(spec=folder / "commands.yaml", openapi=folder / "openapi.yaml", out=folder / "generated",
                    impl_dir=folder / "impl", root=folder)
    return render(config).files


def _names(text: str, source: str) -> bool:
    head = text[:600]
    return f"{source} (sha256:" in head


@pytest.mark.parametrize(
    ("source", "old", "new"),
    [
        ("commands.yaml", "description: Mark yourself present today", "description: Say you are here today"),
        ("openapi.yaml", "description: A small attendance backend", "description: A tiny attendance backend"),
    ],
)
def test_a_change_rewrites_only_the_files_that_name_its_source(tmp_path: Path, source: str, old: str, new: str) -> None:
    shutil.copytree(FIXTURES / "attendance", tmp_path / "bot")
    before = _render(tmp_path / "bot")
    edited = tmp_path / "bot" / source
    text = edited.read_text(encoding="utf-8")
    assert old in text
    edited.write_text(text.replace(old, new), encoding="utf-8")
    after = _render(tmp_path / "bot")
    changed = {name for name in before if before[name] != after[name]}
    naming = {name for name in after if _names(after[name], source)}
    assert changed == naming  # content that changed is in a file naming the source, and only those
    other = "openapi.yaml" if source == "commands.yaml" else "commands.yaml"
    assert {name for name in after if not _names(after[name], other)} & changed  # some files name only it


def test_the_server_does_not_name_the_chat_spec_nor_the_chat_side_the_api() -> None:
    files = render(Config(spec=FIXTURES / "attendance" / "commands.yaml", openapi=FIXTURES / "attendance" / "openapi.yaml",
                          out=FIXTURES / ".nothing-here", impl_dir=FIXTURES / ".nothing-here",
                          root=FIXTURES / "attendance")).files
    for name, text in files.items():
        if name.startswith("server/") or name == "models.py":
            assert not _names(text, "commands.yaml"), name
        if name.startswith("discord/") or name in ("chat/spec.json", "chat/__init__.py"):
            assert not _names(text, "openapi.yaml"), name
    assert _names(files["chat/routes.py"], "openapi.yaml") and _names(files["chat/routes.py"], "commands.yaml")
