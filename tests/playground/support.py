"""What the playground tests share: `gmbot chat` run as a user would run it, and a war played
to its confirmed result."""

from __future__ import annotations

import os
import subprocess
import sys

from tests.support import ROOT

# a war played and voted the same way: confirmed, with its result card (and its Dispute button)
CONFIRMED_WAR = """
as alice in Wolves
gmbot setup -name Wolves
as bruno in Bears
gmbot setup -name Bears
gmbot subscribe -games 4
as alice in Wolves
gmbot createwar -players @alice -game 4 -duration 2s
as bruno in Bears
gmbot accept -war {war} -players @bruno
wait 3.5
click We lost
as alice in Wolves
click We won
"""


def chat(lines: list[str], timeout: float = 60) -> subprocess.CompletedProcess[str]:
    """`gmbot chat` in a process of its own (its in-process backend on a fresh SQLite), fed
    `lines` as typed; what it printed."""
    return subprocess.run(
        [sys.executable, "-m", "gmbot.cli", "chat"], input="\n".join(lines) + "\n", capture_output=True,
        text=True, timeout=timeout, cwd=ROOT, env={**os.environ, "PYTHONWARNINGS": "ignore"},
    )
