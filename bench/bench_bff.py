"""The cost of the BFF hop.

The same command two ways, interleaved in one run against one database:
- BFF: the bot's code path (`Core.run_prefix`: flags, coercion, request building,
  pooled httpx call over loopback to the real backend (uvicorn + Connexion +
  backend_impl), card choice and rendering);
- in-process (the seed's monolith): the same parsing and rendering, but the
  `backend_impl` function called directly, no HTTP.
The hop is the difference of the medians. Target: at most 2 ms at the median.

    .venv/bin/python bench/bench_bff.py [-n 2000] [--write]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import platform
import statistics
import sys
import time
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
warnings.filterwarnings("ignore", message=".*httpx2.*")

from gmbot.bot.backend import BackendClient  # noqa: E402
from gmbot.bot.core import Core, Invocation  # noqa: E402
from gmbot.bot.local_backend import local_backend  # noqa: E402
from gmbot.bot.options import Person  # noqa: E402
from gmbot.bot.specfile import load_spec  # noqa: E402
from gmbot.server.types import RequestContext  # noqa: E402

WOLVES = Person(str(4242 << 22), "Wolves")
ALICE = Person("1001", "alice")
INV = Invocation(author=ALICE, server=WOLVES, channel=Person("77", "wars"))


async def members(token: str) -> Person | None:
    return ALICE if token == "@alice" else None


async def _trivial_app(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    body = b'{"items":[],"total":0,"limit":25,"offset":0}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})


async def transport_floor(n: int, warmup: int) -> tuple[float, float]:
    """httpx over loopback to a trivial ASGI app on uvicorn: the hop without any framework."""
    import socket

    import httpx
    import uvicorn

    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind(("127.0.0.1", 0))
    server = uvicorn.Server(uvicorn.Config(_trivial_app, lifespan="off", log_level="warning"))
    task = asyncio.create_task(server.serve(sockets=[sock]))
    while not server.started:
        await asyncio.sleep(0.01)
    times: list[float] = []
    async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{sock.getsockname()[1]}") as client:
        for i in range(warmup + n):
            started = time.perf_counter()
            (await client.get("/games", params={"limit": 25, "offset": 0})).json()
            if i >= warmup:
                times.append((time.perf_counter() - started) * 1000)
    server.should_exit = True
    await task
    return statistics.median(times), pct(times, 0.99)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


async def measure(n: int, warmup: int) -> dict[str, Any]:
    from backend_impl import catalogue, clans

    spec = load_spec()
    results: dict[str, Any] = {}
    async with local_backend(spec.bot.client) as live:
        backend = BackendClient(live.url, live.api_key, spec.bot.client)
        core = Core(spec, backend)
        for line in ("setup -name Wolves", "subscribe -games 4,5", "createwar -players @alice -game 4"):
            name, _, args = line.partition(" ")
            outcome = await core.run_prefix(name, args, INV, members)
            assert outcome.kind == "reply", outcome.card
        ctx = RequestContext(client=spec.bot.client, platform="discord", request_id="bench")

        async def status_direct(options: dict[str, Any]) -> Any:
            return await clans.get_clan_status(ctx, server_id=WOLVES.id, limit=options["limit"])

        async def games_direct(options: dict[str, Any]) -> Any:
            return await catalogue.list_games(ctx, limit=options["limit"], offset=options["offset"])

        cases: dict[str, Callable[[dict[str, Any]], Awaitable[Any]]] = {"status": status_direct, "games": games_direct}
        for name, direct in cases.items():
            bff: list[float] = []
            local: list[float] = []

            async def via_bff(name: str = name) -> None:
                outcome = await core.run_prefix(name, "", INV)
                assert outcome.kind == "reply", outcome.card

            async def in_process(name: str = name, direct: Any = direct) -> None:
                command, options = await core.prepare_prefix(name, "")
                body = await direct(options)
                body = body.model_dump(mode="json", by_alias=True) if hasattr(body, "model_dump") else body
                core.renderer.render(command.replies["200"], {"reply": body, "options": options, "ctx": INV.scope()})

            for i in range(warmup + n):
                for runner, sink in ((via_bff, bff), (in_process, local)) if i % 2 else ((in_process, local), (via_bff, bff)):
                    started = time.perf_counter()
                    await runner()
                    if i >= warmup:
                        sink.append((time.perf_counter() - started) * 1000)
            results[name] = {
                "bff": (statistics.median(bff), pct(bff, 0.99)),
                "local": (statistics.median(local), pct(local, 0.99)),
            }
        await backend.aclose()
    results["floor"] = await transport_floor(n, warmup)
    return results


def report(results: dict[str, Any], n: int) -> str:
    lines = [
        "## BFF hop",
        "",
        "`bench/bench_bff.py`: one command through the bot's code path (flags, coercion, request",
        "building, pooled httpx over loopback to the real backend: uvicorn + Connexion + backend_impl",
        "on SQLite, card rendering) against the same parsing and rendering calling `backend_impl`",
        "in-process (the seed's monolith). Interleaved calls in one run, one database, server and",
        f"client in one process and event loop; {n} calls each after a warm-up. Times in ms.",
        "",
        "| command | BFF median | BFF p99 | in-process median | in-process p99 | hop (median) |",
        "|---|---|---|---|---|---|",
    ]
    floor = results.pop("floor")
    for name, r in results.items():
        (bm, bp), (lm, lp) = r["bff"], r["local"]
        lines.append(f"| {name} | {bm:.2f} | {bp:.2f} | {lm:.2f} | {lp:.2f} | **{bm - lm:.2f}** |")
    worst = max(r["bff"][0] - r["local"][0] for r in results.values())
    lines += [
        "",
        "Transport floor, same run: httpx over loopback to a trivial ASGI app on uvicorn (no Connexion,",
        f"no database): median {floor[0]:.2f} ms, p99 {floor[1]:.2f} ms. The rest of the hop is the",
        "server's framework (Connexion middleware: routing, security, request validation, JSON).",
    ]
    verdict = "met" if worst <= 2 else "NOT met"
    lines += [
        "",
        f"Target: the hop adds at most 2 ms at the median: **{verdict}** (worst {worst:.2f} ms).",
        f"Machine: Python {platform.python_version()} on {platform.system()} {platform.machine()}.",
        "Run: `.venv/bin/python bench/bench_bff.py --write`.",
        "",
    ]
    return "\n".join(lines)


def write_section(section: str, path: Path = ROOT / "docs" / "benchmarks.md") -> None:
    text = path.read_text(encoding="utf-8") if path.exists() else "# Benchmarks\n\n"
    start = text.find("## BFF hop")
    if start < 0:
        text = text.rstrip("\n") + "\n\n" + section
    else:
        end = text.find("\n## ", start + 1)
        text = text[:start] + section + (text[end + 1:] if end >= 0 else "")
    path.write_text(text, encoding="utf-8")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("-n", type=int, default=2000)
    parser.add_argument("--warmup", type=int, default=200)
    parser.add_argument("--write", action="store_true", help="update the section of docs/benchmarks.md")
    args = parser.parse_args()
    logging.disable(logging.WARNING)
    section = report(asyncio.run(measure(args.n, args.warmup)), args.n)
    print(section)
    if args.write:
        write_section(section)
    return 0


if __name__ == "__main__":
    sys.exit(main())
