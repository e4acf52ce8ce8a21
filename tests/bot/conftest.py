"""Fixtures of the bot tests: the real spec and a scripted fake backend."""

from __future__ import annotations

import pytest

from gmbot.spec.load import load_spec_yaml
from gmbot.spec.model import BotSpec

from .fakes import ROOT, FakeBackend


@pytest.fixture(scope="session")
def spec() -> BotSpec:
    return load_spec_yaml(ROOT / "specs" / "commands.yaml")


@pytest.fixture
def fake() -> FakeBackend:
    return FakeBackend()
