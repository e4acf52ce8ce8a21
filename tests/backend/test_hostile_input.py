"""Hostile input over real HTTP, as an operator would probe before going on the internet.

Every answer is a 4xx application/problem+json (never a 500, never a traceback in the
log), the server keeps answering /health, and oversized requests cost no lasting memory.
"""

from __future__ import annotations

import contextlib
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from tests.backend.backend_support import Api, Key, is_problem, setup_clan
from tests.backend.conftest import Backend, Server, prepare_database, start_server

MIB = 1024 * 1024


def rss_bytes(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def log_from(server: Server) -> int:
    return server.log.stat().st_size


def log_since(server: Server, offset: int) -> str:
    with server.log.open("rb") as handle:
        handle.seek(offset)
        return handle.read().decode("utf-8", "replace")


def raw(api: Api, path: str, content: bytes | Iterator[bytes], **headers: str) -> httpx.Response:
    return api.http.post(path, content=content, headers=api.headers(headers))


def chunks(total: int, size: int = 64 * 1024) -> Iterator[bytes]:
    block = b" " * size
    for _ in range(total // size):
        yield block


def address(url: str) -> tuple[str, int]:
    host, port = url.removeprefix("http://").split(":")
    return host, int(port)


def http_exchange(url: str, request: bytes, read_timeout: float = 10) -> bytes:
    """Send raw bytes, return what the server answered before closing (or the timeout)."""
    with socket.create_connection(address(url)) as sock:
        sock.settimeout(read_timeout)
        with contextlib.suppress(OSError):  # refused mid-send: the answer may still be readable
            sock.sendall(request)
        received = b""
        try:
            while chunk := sock.recv(65536):
                received += chunk
        except (TimeoutError, ConnectionResetError):
            pass
        return received


def test_bad_json_is_400(api: Api, backend: Backend) -> None:
    clan = setup_clan(api, "Json")
    before = api.get(f"/clans/{clan.server_id}").json()
    offset = log_from(backend.server)
    bodies = {
        "deep arrays": b"[" * 10_000 + b"]" * 10_000,
        "deep objects": b'{"a":' * 10_000 + b"1" + b"}" * 10_000,
        "deep in a field": b'{"name": ' + b"[" * 10_000 + b"]" * 10_000 + b"}",
        "5000-digit integer": b'{"name": ' + b"7" * 5000 + b"}",
        "NaN": b'{"server": {"id": "1", "name": "x"}, "duration": NaN}',
        "Infinity": b'{"duration": Infinity}',
        "-Infinity": b'{"duration": -Infinity}',
        "NUL in a string": b'{"name": "a\\u0000b"}',
        "lone surrogate": b'{"name": "\\ud800"}',
        "trailing garbage": b'{"name": "x"} {}',
    }
    for what, body in bodies.items():
        for path in ("/clans", "/wars", f"/clans/{clan.server_id}/promote"):
            reply = raw(api, path, body, **{"Content-Type": "application/json"})
            assert 400 <= reply.status_code < 500, (what, path, reply.status_code, reply.text)
            assert reply.headers["content-type"].startswith("application/problem+json"), (what, reply.text)
    assert api.get(f"/clans/{clan.server_id}").json() == before
    log = log_since(backend.server, offset)
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


def test_query_numbers_must_be_finite(api: Api) -> None:
    for wait in ("NaN", "nan", "-nan", "inf", "-inf", "Infinity", "1e999"):
        reply = api.get("/events", wait=wait)
        body = is_problem(reply, 400)
        assert "wait" in body["detail"], body
    for limit in ("NaN", "1e999", "2.5"):
        is_problem(api.get("/events", limit=limit), 400)


def test_content_type_is_required_with_a_body(api: Api) -> None:
    clan = setup_clan(api, "Typed")
    body = b'{"actor": {"id": "1", "name": "x"}, "games": [4]}'
    missing = api.http.post(f"/clans/{clan.server_id}/subscriptions", content=body, headers=api.headers())
    assert "content-type" not in missing.request.headers
    problem = is_problem(missing, 415)
    assert "Content-Type" in problem["detail"]
    is_problem(raw(api, f"/clans/{clan.server_id}/subscriptions", body, **{"Content-Type": "text/plain"}), 415)


def test_oversized_bodies_are_413_before_being_read(api: Api, backend: Backend) -> None:
    pid = backend.server.process.pid
    for _ in range(3):  # warm up: pools, first-request allocations
        is_problem(raw(api, "/wars", b" " * (2 * MIB), **{"Content-Type": "application/json"}), 413)
    start = rss_bytes(pid)
    # one 1 MiB body is fine (and a bad request), one byte more is not
    at_limit = raw(api, "/wars", b" " * MIB, **{"Content-Type": "application/json"})
    assert at_limit.status_code == 400, at_limit.text
    over = is_problem(raw(api, "/wars", b" " * (MIB + 1), **{"Content-Type": "application/json"}), 413)
    assert over["maxBodyBytes"] == MIB
    for n in range(100):
        if n % 2:  # declared length: refused from the header alone
            reply = raw(api, "/wars", b" " * (8 * MIB), **{"Content-Type": "application/json"})
        else:  # chunked: refused once the limit is passed
            reply = raw(api, "/wars", chunks(8 * MIB), **{"Content-Type": "application/json"})
        is_problem(reply, 413)
    assert api.get("/games").status_code == 200
    grown = rss_bytes(pid) - start
    assert grown < 50 * MIB, f"the server grew by {grown / MIB:.0f} MB"


def test_the_401_never_echoes_a_malformed_client_header(api: Api, backend: Backend) -> None:
    offset = log_from(backend.server)
    marker = "Q" * 10_000
    for client in (marker, "bad client!", "A" * 65):
        headers = {"x-api-key": api.key.key, "client": client}
        reply = api.http.get("/games", headers=headers)
        body = is_problem(reply, 401)
        assert client not in reply.text and "malformed" in body["detail"], body
    wrong = is_problem(api.http.get("/games", headers={"x-api-key": api.key.key, "client": "OTHER-BFF"}), 401)
    assert "'OTHER-BFF'" in wrong["detail"]  # a well-formed one is named: it helps
    huge_key = is_problem(api.http.get("/games", headers={"x-api-key": marker, "client": api.key.client}), 401)
    assert marker not in str(huge_key)
    assert marker not in log_since(backend.server, offset)


def test_huge_headers_are_431_and_the_server_stays_up(backend: Backend) -> None:
    pid = backend.server.process.pid
    start = rss_bytes(pid)
    for _ in range(8):
        answer = http_exchange(
            backend.url,
            b"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (32 * MIB) + b"\r\n\r\n",
        )
        assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
        assert b"application/problem+json" in answer
    many = "".join(f"X-{n}: {'b' * 100}\r\n" for n in range(1000)).encode()
    answer = http_exchange(backend.url, b"GET /health HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n")
    assert answer.startswith(b"HTTP/1.1 431 "), answer[:200]
    assert httpx.get(f"{backend.url}/health").status_code == 200
    assert rss_bytes(pid) - start < 50 * MIB


def test_unknown_query_parameters_and_disconnects_are_not_errors(api: Api, backend: Backend) -> None:
    offset = log_from(backend.server)
    assert api.get("/games", _method="DELETE", other="1").status_code == 200
    clan = setup_clan(api, "Gone")
    # a client that goes away in the middle of its body
    half = b'{"actor": {"id": "1", "name": "x"}, "ga'
    head = (
        f"POST /clans/{clan.server_id}/subscriptions HTTP/1.1\r\nHost: x\r\n"
        f"x-api-key: {api.key.key}\r\nclient: {api.key.client}\r\n"
        f"Content-Type: application/json\r\nContent-Length: 500\r\n\r\n"
    ).encode()
    for _ in range(3):
        with socket.create_connection(address(backend.url)) as sock:
            sock.sendall(head + half)
            time.sleep(0.2)
    time.sleep(0.5)
    assert httpx.get(f"{backend.url}/health").status_code == 200
    log = log_since(backend.server, offset)
    assert " ERROR " not in log and "Traceback" not in log and " 400 " not in log, log[-3000:]


@pytest.fixture(scope="module")
def impatient_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Server, Key]]:
    """A backend with short time limits (SQLite): slow clients are cut off quickly."""
    directory = tmp_path_factory.mktemp("impatient")
    url = f"sqlite+aiosqlite:///{directory / 'gmbot.sqlite3'}"
    keys = prepare_database(url)
    server = start_server(url, directory / "server.log", GMBOT_BODY_TIMEOUT="1", GMBOT_HEADER_TIMEOUT="1")
    try:
        yield server, keys["discord"]
    finally:
        server.stop()


def test_slow_clients_are_cut_off(impatient_server: tuple[Server, Key]) -> None:
    server, key = impatient_server
    started = time.monotonic()
    nothing = http_exchange(server.url, b"GET /health HTTP/1.1\r\n", read_timeout=10)
    assert nothing == b"" and time.monotonic() - started < 5  # an idle, incomplete head: closed
    started = time.monotonic()
    head = (
        f"POST /clans HTTP/1.1\r\nHost: x\r\nx-api-key: {key.key}\r\nclient: {key.client}\r\n"
        "Content-Type: application/json\r\nContent-Length: 100\r\n\r\n{"
    ).encode()
    answer = http_exchange(server.url, head, read_timeout=10)
    assert answer.startswith(b"HTTP/1.1 408 "), answer[:300]
    assert b"application/problem+json" in answer and time.monotonic() - started < 5
    assert httpx.get(f"{server.url}/health").status_code == 200
