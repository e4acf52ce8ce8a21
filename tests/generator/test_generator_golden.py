"""Golden files: each fixture bot's generated tree, file by file.

Regenerate after an intended change: `.venv/bin/python -m tests.generator.regen`.
"""

from __future__ import annotations

import pytest

from generator.writer import read_tree
from tests.generator.gen_support import BOTS, GOLDEN, render_fixture


def test_two_unrelated_bots_are_covered() -> None:
    assert {"gmbot", "attendance"} <= set(BOTS)


@pytest.mark.parametrize("bot", BOTS)
def test_golden(bot: str) -> None:
    wanted = read_tree(GOLDEN / bot)
    got = render_fixture(bot).files
    assert sorted(got) == sorted(wanted), "files differ: run python -m tests.generator.regen"
    for name, text in got.items():
        assert text == wanted[name], f"{bot}/{name} differs from golden: run python -m tests.generator.regen"


@pytest.mark.parametrize("bot", BOTS)
def test_output_is_byte_identical_between_runs(bot: str) -> None:
    assert render_fixture(bot).files == render_fixture(bot).files


@pytest.mark.parametrize("bot", BOTS)
def test_every_file_has_a_header_naming_sources_and_hashes(bot: str) -> None:
    for name, text in render_fixture(bot).files.items():
        head = "\n".join(text.splitlines()[:6])
        assert "gmbot generate" in head, name
        if name == "__init__.py":  # the package marker: from no source
            continue
        # each file names the sources it depends on (test_generator_headers.py): at least one
        assert f"fixtures/{bot}/commands.yaml (sha256:" in head or f"fixtures/{bot}/openapi.yaml (sha256:" in head, name
