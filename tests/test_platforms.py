"""The platform registry (gmbot/platforms.py): every registered platform loads whole; a
platform of another distribution plugs in through one entry point, with no edit to the
library (the `gmbot` commands, the generator's checks, schema and outputs find it); and
the neutral modules name no platform."""

from __future__ import annotations

import ast
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from generator.targets import Target
from gmbot.platforms import Platform, platforms

ROOT = Path(__file__).resolve().parents[1]
FIXTURE = ROOT / "tests" / "generator" / "fixtures" / "attendance"

# A whole platform in its own distribution: a module and its entry point, nothing else.
PLUGIN = '''
from generator.targets import CardLimits, CommandLimits, Target
from gmbot.chat import times
from gmbot.platforms import Platform, Subcommand


class Echo(Target):
    title = "Echo"
    card_limits = CardLimits(title=200, description=4000, footer=2000, url=2000, fields=25,
                             field_name=200, field_value=1000, buttons=5, button_label=40)
    command_limits = CommandLimits(description=12)

    def name_problem(self, name):
        return "may not hold a 'q' on Echo" if "q" in name else None

    def outputs(self, out):
        return {"echo/commands.txt": "".join(c.name + "\\n" for c in out.spec.commands)}


TARGET = Echo()


def main(argv):
    print("echo front end", *argv)
    return 0


PLATFORM = Platform(
    name="echo", title="Echo", client="ECHO-BFF", key_env="GMBOT_ECHO_API_KEY",
    credentials=("ECHO_TOKEN",), command=Subcommand("echo", "echo_platform:main", "run the Echo front end"),
    write_time=times.plain, to_message="echo_platform:main", message_to_text="echo_platform:main",
    target="echo_platform:TARGET", preview="echo_platform:TARGET",
)
'''


@pytest.fixture
def plugin(tmp_path: Path) -> dict[str, str]:
    """The environment of a process that has the Echo distribution installed beside gmbot."""
    site = tmp_path / "site"
    site.mkdir()
    (site / "echo_platform.py").write_text(textwrap.dedent(PLUGIN))
    info = site / "echo_platform-0.1.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: echo-platform\nVersion: 0.1\n")
    (info / "entry_points.txt").write_text("[gmbot.platforms]\necho = echo_platform:PLATFORM\n")
    path = os.pathsep.join([str(site), str(ROOT), os.environ.get("PYTHONPATH", "")])
    return {**os.environ, "PYTHONPATH": path}


def gmbot(env: dict[str, str], *args: str, cwd: Path = ROOT) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "gmbot.cli", *args], env=env, cwd=cwd,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("platform", platforms(), ids=lambda p: p.name)
def test_every_registered_platform_loads_whole(platform: Platform) -> None:
    assert isinstance(platform.load(platform.target), Target)
    for path in (platform.to_message, platform.message_to_text, platform.preview,
                 *(c.target for c in platform.subcommands)):
        assert platform.load(path) is not None, path
    assert platform.write_time(0, "date") == platform.write_time(0, "date")  # a writer, not a stub
    assert platform.credentials and platform.client and platform.key_env


def test_a_platform_of_another_distribution_is_found_by_its_entry_point(plugin: dict[str, str]) -> None:
    listed = gmbot(plugin, "--help")
    assert "run the Echo front end" in listed.stdout, listed.stderr
    ran = gmbot(plugin, "echo", "a", "b")
    assert (ran.returncode, ran.stdout.strip()) == (0, "echo front end a b")


def test_the_generator_checks_and_writes_a_plugged_in_platform(plugin: dict[str, str], tmp_path: Path) -> None:
    # its limits: the attendance fixture's descriptions are longer than Echo's 12 characters
    refused = gmbot(plugin, "generate", "--validate", "--spec", str(FIXTURE / "commands.yaml"),
                    "--openapi", str(FIXTURE / "openapi.yaml"))
    assert refused.returncode == 1
    assert "Echo allows 12" in refused.stderr and "Traceback" not in refused.stderr
    # its outputs, and a card override keyed by its name, once the spec fits it
    spec = tmp_path / "commands.yaml"
    text = (FIXTURE / "commands.yaml").read_text()
    spec.write_text(text)
    import yaml

    data = yaml.safe_load(text)
    for command in data["commands"].values():
        command["description"] = command["description"][:12]
        for option in (command.get("options") or {}).values():
            option["description"] = option["description"][:12]
        for card in (command.get("replies") or {}).values():
            card["platforms"] = {"echo": {"title": "on echo"}}
    spec.write_text(yaml.safe_dump(data, sort_keys=False))
    out = tmp_path / "generated"
    written = gmbot(plugin, "generate", "--spec", str(spec), "--openapi", str(FIXTURE / "openapi.yaml"),
                    "--out", str(out), "--impl", str(tmp_path / "impl"), cwd=tmp_path)
    assert written.returncode == 0, written.stderr
    assert (out / "echo" / "commands.txt").read_text().split() == list(data["commands"])
    # without the plugin the same spec's `platforms: {echo: ...}` is an unknown platform
    alone = gmbot({**os.environ, "PYTHONPATH": str(ROOT)}, "generate", "--validate", "--spec", str(spec),
                  "--openapi", str(FIXTURE / "openapi.yaml"))
    assert alone.returncode == 1 and "echo" in alone.stderr


NEUTRAL = [ROOT / "gmbot" / "chat", ROOT / "gmbot" / "cli.py", ROOT / "gmbot" / "run.py",
           ROOT / "gmbot" / "preview", ROOT / "gmbot" / "playground",
           ROOT / "gmbot" / "application.py", ROOT / "gmbot" / "platforms.py",
           ROOT / "generator" / "pipeline.py", ROOT / "generator" / "checks.py",
           ROOT / "generator" / "targets" / "__init__.py"]


def test_neutral_code_names_no_platform() -> None:
    names = {p.name for p in platforms()} | {p.title for p in platforms()} | {p.client for p in platforms()}
    found = []
    for place in NEUTRAL:
        for path in sorted(place.rglob("*.py")) if place.is_dir() else [place]:
            for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
                if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in names:
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: {node.value!r}")
                if isinstance(node, ast.ImportFrom) and node.module and node.module.split(".")[:2] in (
                        ["gmbot", n] for n in names):
                    found.append(f"{path.relative_to(ROOT)}:{node.lineno}: imports {node.module}")
    assert found == []
