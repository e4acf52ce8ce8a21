"""`gmbot keys` and `gmbot serve` as a user runs them."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import pytest
from prometheus_client.mmap_dict import MmapedDict

from gmbot import keys
from tests.backend.backend_support import cli_environment, wait_for_health
from tests.backend.conftest import APP, free_port


def test_keys_create_list_revoke(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    url = ["--database-url", f"sqlite:///{tmp_path / 'k.sqlite3'}"]
    assert keys.main([*url, "create", "--client", "DISCORD-BFF"]) == 0
    out = capsys.readouterr()
    key = out.out.strip()
    assert key.startswith("gmb_") and "not shown again" in out.err
    assert keys.main([*url, "list"]) == 0
    listing = capsys.readouterr().out
    key_id = key.split("_")[1]
    assert (
        key_id in listing
        and "DISCORD-BFF" in listing
        and "discord" in listing
        and key not in listing
    )
    assert keys.main(["revoke", key_id, *url]) == 0  # --database-url after the action too
    assert keys.main([*url, "revoke", key_id]) == 1
    assert "revoked" in capsys.readouterr().out


def test_keys_database_url_after_the_action(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("GMBOT_APP", "generated.application:application")  # pyproject.toml is not in tmp_path
    monkeypatch.chdir(tmp_path)
    monkeypatch.delenv("DATABASE_URL", raising=False)
    first, second = (f"sqlite:///{tmp_path / name}" for name in ("a.sqlite3", "b.sqlite3"))
    assert keys.main(["create", "--client", "DISCORD-BFF", "--database-url", first]) == 0
    assert keys.main(["--database-url", second, "create", "--client", "SLACK-BFF"]) == 0
    capsys.readouterr()
    assert keys.main(["list", "--database-url", first]) == 0
    listing = capsys.readouterr().out
    assert "DISCORD-BFF" in listing and "SLACK-BFF" not in listing
    assert keys.main(["--database-url", second, "list"]) == 0
    assert "SLACK-BFF" in capsys.readouterr().out
    assert not (tmp_path / "gmbot.sqlite3").exists()  # the default database was never opened


@pytest.mark.slow
def test_serve_migrates_then_serves(tmp_path: Path) -> None:
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "gmbot.cli", "serve", "--port", str(port), "--asgi-app", APP],
        cwd=tmp_path, env=cli_environment(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        reply = wait_for_health(process, port)
        assert reply.json()["status"] == "ok"
        assert (
            tmp_path / "gmbot.sqlite3"
        ).exists()  # the default database, in the working directory
        assert httpx.get(f"http://127.0.0.1:{port}/ui/").status_code == 200
    finally:
        process.terminate()
        process.wait(10)


def test_rotation_last_use_and_one_client_per_platform(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    import asyncio

    from backend_impl import apikeys, db

    url = ["--database-url", f"sqlite:///{tmp_path / 'r.sqlite3'}"]
    assert keys.main([*url, "create", "--client", "DISCORD-BFF"]) == 0
    old = capsys.readouterr().out.strip()
    assert keys.main([*url, "create", "--client", "DISCORD-BFF"]) == 0  # rotation: a second key
    new = capsys.readouterr().out.strip()
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'r.sqlite3'}"

    async def use(key: str) -> object:
        database = db.Database(database_url)
        try:
            return await apikeys.verify(database, key)
        finally:
            await database.dispose()

    assert asyncio.run(use(new)) is not None and asyncio.run(use(old)) is not None  # both valid
    assert keys.main([*url, "list"]) == 0
    listing = capsys.readouterr().out.splitlines()
    assert len(listing) == 2 and all("last used" in line for line in listing), listing
    assert keys.main([*url, "revoke", old.split("_")[1]]) == 0
    assert asyncio.run(use(old)) is None and asyncio.run(use(new)) is not None
    # a second client on the discord platform: refused, unless it is meant
    assert keys.main([*url, "create", "--client", "OTHER-BFF", "--platform", "discord"]) == 1
    assert "--share-platform" in capsys.readouterr().err
    assert keys.main([*url, "create", "--client", "OTHER-BFF", "--platform", "discord", "--share-platform"]) == 0
    assert keys.main([*url, "create", "--client", "SLACK-BFF"]) == 0  # another platform: fine
    # one client taking a second platform: refused too, unless it is meant
    assert keys.main([*url, "create", "--client", "SLACK-BFF", "--platform", "web"]) == 1
    assert "--second-platform" in capsys.readouterr().err
    assert keys.main([*url, "create", "--client", "SLACK-BFF", "--platform", "web", "--second-platform"]) == 0
    assert keys.main([*url, "create", "--client", "SLACK-BFF", "--platform", "slack"]) == 0  # its own: fine


@pytest.mark.slow
def test_serve_with_workers_sums_their_metrics(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    assert keys.main(["--database-url", url, "create", "--client", "DISCORD-BFF"]) == 0  # migrated
    port = free_port()
    environment = {**cli_environment(), "DATABASE_URL": url}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gmbot.cli", "serve", "--port", str(port), "--asgi-app", APP, "--workers", "2",
         "--log-level", "warning"],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_health(process, port)
        for _ in range(40):  # new connections: the kernel spreads them over both workers
            assert httpx.get(f"http://127.0.0.1:{port}/health", headers={"Connection": "close"}).status_code == 200
        text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
        count = next(
            float(line.rsplit(" ", 1)[1]) for line in text.splitlines()
            if line.startswith('gmbot_http_requests_total{operation="getHealth",status="200"}')
        )  # fmt: skip
        assert count >= 40, text  # every worker's requests, whichever worker answered
        pool = [line for line in text.splitlines() if line.startswith("gmbot_db_pool_connections_open")]
        assert pool, text
    finally:
        process.terminate()
        process.wait(15)


POOL_OPEN = "gmbot_db_pool_connections_open"


def _children(pid: int) -> set[int]:
    """The worker processes of a `gmbot serve --workers` supervisor."""
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        for child in (task / "children").read_text().split():
            with contextlib.suppress(FileNotFoundError):
                if b"spawn_main" in Path(f"/proc/{child}/cmdline").read_bytes():
                    found.add(int(child))
    return found


def _environment_of(pid: int) -> dict[str, str]:
    pairs = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(p.decode().split("=", 1) for p in pairs if b"=" in p)


def _metric(port: int, name: str) -> float:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics").text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith(f"{name} "))


@pytest.mark.slow
def test_workers_forget_a_killed_worker_and_remove_their_metrics_folder(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'w.sqlite3'}"
    assert keys.main(["--database-url", url, "create", "--client", "DISCORD-BFF"]) == 0  # migrated
    port = free_port()
    environment = {**cli_environment(), "DATABASE_URL": url, "GMBOT_SCHEDULER_INTERVAL": "0.2"}
    environment.pop("PROMETHEUS_MULTIPROC_DIR", None)
    process = subprocess.Popen(
        [sys.executable, "-m", "gmbot.cli", "serve", "--port", str(port), "--asgi-app", APP, "--workers", "2",
         "--log-level", "warning"],
        cwd=tmp_path, env=environment, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )  # fmt: skip
    try:
        wait_for_health(process, port)
        deadline = time.monotonic() + 30
        while len(workers := _children(process.pid)) < 2:
            assert time.monotonic() < deadline, "the workers did not start"
            time.sleep(0.1)
        folder = Path(_environment_of(min(workers))["PROMETHEUS_MULTIPROC_DIR"])

        def pools_of(pids: set[int]) -> list[float]:
            """Each worker's own pool gauge, from its file (0 until its first scheduler round)."""
            values = []
            for pid in pids:
                path = folder / f"gauge_livesum_{pid}.db"
                entries = MmapedDict.read_all_values_from_file(str(path)) if path.exists() else []
                values.append(sum(e[1] for e in entries if POOL_OPEN in e[0]))
            return values

        while not all(pools_of(workers)):
            assert time.monotonic() < deadline, sorted(p.name for p in folder.iterdir())
            time.sleep(0.1)
        assert _metric(port, POOL_OPEN) == sum(pools_of(workers))
        killed = min(workers)
        os.kill(killed, signal.SIGKILL)
        deadline = time.monotonic() + 60
        while len(alive := _children(process.pid) - {killed}) < 2 or not all(pools_of(alive)):
            assert time.monotonic() < deadline, "the killed worker was not replaced"
            time.sleep(0.1)
        assert not (folder / f"gauge_livesum_{killed}.db").exists()
        # the pool of the workers alive, not of every worker that ever was
        assert _metric(port, POOL_OPEN) == sum(pools_of(alive))
        process.send_signal(signal.SIGTERM)
        process.wait(30)
        assert not folder.exists()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(10)
