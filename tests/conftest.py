"""Suite-wide settings and fixtures: in CI, PostgreSQL tests must run, not skip; Gmbot's
spec and a scripted backend for the chat, Discord and Slack tests.

`.ci/run` sets GMBOT_REQUIRE_POSTGRES=1 when PostgreSQL answers; then a missing
TEST_DATABASE_URL is a usage error and any test skipped for want of it fails.
"""

from __future__ import annotations

import os
from collections.abc import Generator

import pytest

from gmbot.spec.load import load_spec_yaml
from gmbot.spec.model import BotSpec
from tests.chat.fakes import FakeBackend
from tests.support import SPEC

REQUIRED = bool(os.environ.get("GMBOT_REQUIRE_POSTGRES"))


def pytest_configure(config: pytest.Config) -> None:
    if REQUIRED and not os.environ.get("TEST_DATABASE_URL"):
        raise pytest.UsageError("GMBOT_REQUIRE_POSTGRES is set but TEST_DATABASE_URL is not")


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(
    item: pytest.Item, call: pytest.CallInfo[None]
) -> Generator[None, pytest.TestReport, pytest.TestReport]:
    report = yield
    if REQUIRED and report.skipped and "TEST_DATABASE_URL" in str(report.longrepr):
        report.outcome = "failed"
        report.longrepr = f"skipped for want of PostgreSQL, which CI requires: {report.longrepr}"
    return report


@pytest.fixture(scope="session")
def spec() -> BotSpec:
    """Gmbot's spec, read from specs/commands.yaml as the runtime reads it."""
    return load_spec_yaml(SPEC)


@pytest.fixture
def fake() -> FakeBackend:
    """A scripted backend (tests/chat/fakes.py)."""
    return FakeBackend()
