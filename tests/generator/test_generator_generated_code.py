"""The generated code imports, passes ruff and mypy, and mypy catches a drifted implementation."""

from __future__ import annotations

import importlib
import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from tests.generator.conftest import Generate
from tests.generator.gen_support import BOTS, ROOT

BIN = Path(sys.executable).parent
MYPY_CACHE = Path(tempfile.gettempdir()) / "gmbot-generator-tests-mypy-cache"


def _ruff(folder: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    first_party = ", ".join(repr(p) for p in ("gmbot", *packages))
    return subprocess.run(
        [str(BIN / "ruff"), "check", "--no-cache", "--config", str(ROOT / "pyproject.toml"),
         "--config", f"lint.isort.known-first-party = [{first_party}]", *packages],
        cwd=folder, capture_output=True, text=True, check=False,
    )


def _mypy(folder: Path, *packages: str) -> subprocess.CompletedProcess[str]:
    args = [str(BIN / "mypy"), "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(MYPY_CACHE)]
    for package in packages:
        args += ["-p", package]
    env = {**os.environ, "MYPYPATH": str(ROOT)}
    return subprocess.run(args, cwd=folder, capture_output=True, text=True, check=False, env=env)


@pytest.mark.parametrize("bot", BOTS)
def test_generated_code_imports(bot: str, generate_package: Generate) -> None:
    package, _, _ = generate_package(bot)
    for module in ("models", "server.contract", "server.operations", "chat", "discord.commands", "application"):
        importlib.import_module(f"{package}.{module}")
    spec = importlib.import_module(f"{package}.chat").load_spec()
    assert spec.commands


@pytest.mark.parametrize("bot", BOTS)
def test_generated_code_passes_ruff_and_mypy(bot: str, generate_package: Generate) -> None:
    fake = "attendance" if bot == "attendance" else None
    package, impl, folder = generate_package(bot, fake)
    ruff = _ruff(folder, package, impl)
    assert ruff.returncode == 0, ruff.stdout + ruff.stderr
    mypy = _mypy(folder, package, impl)
    assert mypy.returncode == 0, mypy.stdout + mypy.stderr


def test_mypy_reports_an_implementation_that_drifted_from_the_contract(generate_package: Generate) -> None:
    package, impl, folder = generate_package("attendance", "drifted")
    mypy = _mypy(folder, package, impl)
    assert mypy.returncode == 1
    assert "operations.py" in mypy.stdout and "CheckIn" in mypy.stdout, mypy.stdout
