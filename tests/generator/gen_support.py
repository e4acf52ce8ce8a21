"""Shared paths and helpers of the generator tests (and of `python -m tests.generator.regen`)."""

from __future__ import annotations

from pathlib import Path

from generator.pipeline import Config, Output, render
from tests.support import ROOT

HERE = ROOT / "tests" / "generator"
FIXTURES = HERE / "fixtures"
GOLDEN = HERE / "golden"
BAD_SPECS = HERE / "bad_specs"
BOTS = sorted(p.name for p in FIXTURES.iterdir() if (p / "commands.yaml").exists())
DEFAULT_BAD_OPENAPI = FIXTURES / "attendance" / "openapi.yaml"


def fixture_config(bot: str, out: Path, package: str = "generated", impl_dir: Path | None = None,
                   impl_package: str = "backend_impl") -> Config:
    folder = FIXTURES / bot
    return Config(
        spec=folder / "commands.yaml",
        openapi=folder / "openapi.yaml",
        out=out,
        package=package,
        impl_dir=impl_dir or folder / "impl",
        impl_package=impl_package,
        root=ROOT,
    )


def render_fixture(bot: str, package: str = "generated") -> Output:
    """The golden output of a fixture bot: no implementations found, default package name.

    Rendered as if into an empty folder, so datamodel-code-generator really runs.
    """
    return render(fixture_config(bot, HERE / ".nothing-here", package))


def bad_spec_config(case: Path) -> Config:
    openapi = case / "openapi.yaml"
    return Config(
        spec=case / "commands.yaml",
        openapi=openapi if openapi.exists() else DEFAULT_BAD_OPENAPI,
        out=case / "generated",
        impl_dir=case / "impl",
        root=case,
    )
