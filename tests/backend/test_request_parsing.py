"""How a request is read, over real HTTP: what is not HTTP, not a charset JSON is written in,
not text (a lone surrogate) or not one object (a key named twice) is a 400 problem+json,
never a 500; a media type in capitals is still JSON.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import httpx

from tests.backend.backend_support import Api, is_problem, setup_clan, uid, user
from tests.backend.conftest import Backend
from tests.backend.test_hostile_input import http_exchange, log_from, log_since, raw

LONE = "\ud800"  # json.dumps writes it as the escape `\ud800`, as an attacker would


def new_clan_body() -> dict[str, Any]:
    return {"server": {"id": uid("9"), "name": "Parsed HQ"}, "actor": user(uid("1"), "ana"),
            "channel": {"id": uid("5"), "name": "wars"}, "name": f"Parsed-{uid()[:5]}"}  # fmt: skip


def string_paths(value: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[Any, ...]]:
    """Where `value` holds a string (keys of objects count too: `(..., KEY)`)."""
    if isinstance(value, str):
        yield path
    elif isinstance(value, dict):
        for key, item in value.items():
            yield from string_paths(item, (*path, key))
            yield (*path, key, KEY)
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from string_paths(item, (*path, index))


KEY = object()  # in a path: the key itself, not its value


def with_lone_surrogate(body: dict[str, Any], path: tuple[Any, ...]) -> dict[str, Any]:
    copy = json.loads(json.dumps(body))
    *parents, last = path
    target = copy
    if last is KEY:
        *parents, key = parents
        for step in parents:
            target = target[step]
        target[key + LONE] = target.pop(key)
        return copy
    for step in parents:
        target = target[step]
    target[last] = target[last] + LONE
    return copy


def post_escaped(api: Api, path: str, body: Any) -> httpx.Response:
    """`body` as JSON with every non-ASCII character escaped (httpx's `json=` would not encode a
    lone surrogate at all)."""
    return raw(api, path, json.dumps(body).encode(), **{"Content-Type": "application/json"})


def clan_exists(api: Api, server_id: str) -> bool:
    return api.get(f"/clans/{server_id}").status_code == 200


def test_a_lone_surrogate_in_any_string_is_400(api: Api, backend: Backend) -> None:
    offset = log_from(backend.server)
    good = new_clan_body()
    clan = setup_clan(api, "Surrogates")
    war = {"server": clan.server, "actor": clan.leader, "players": [clan.leader, user(uid("2"))], "game": 4}
    for path_name, body in (("/clans", good), ("/wars", war)):
        paths = list(string_paths(body))
        assert len(paths) > 8, paths  # every value and key of the body
        for path in paths:
            problem = is_problem(post_escaped(api, path_name, with_lone_surrogate(body, path)), 400)
            assert "surrogate" in problem["detail"], (path, problem)
    assert not clan_exists(api, good["server"]["id"])
    assert api.get(f"/clans/{clan.server_id}/status").json()["requests"] == []
    emoji = {**good, "name": "Wolves \U0001f43a"}  # a surrogate pair in the escapes is a character
    assert post_escaped(api, "/clans", emoji).status_code == 201
    log = log_since(backend.server, offset)
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


def test_a_key_named_twice_is_400(api: Api) -> None:
    body = new_clan_body()
    text = json.dumps(body)
    twice_at_top = text[:-1] + ', "name": "Other"}'
    inner = json.dumps(body["server"])
    twice_inside = text.replace(inner, inner[:-1] + ', "id": "1"}')
    for content in (twice_at_top, twice_inside):
        problem = is_problem(raw(api, "/clans", content.encode(), **{"Content-Type": "application/json"}), 400)
        assert "twice" in problem["detail"], problem
    assert not clan_exists(api, body["server"]["id"])


def test_media_types_ignore_case_and_charsets_must_be_json_ones(api: Api, backend: Backend) -> None:
    offset = log_from(backend.server)
    for content_type in ("APPLICATION/JSON", 'Application/Json; Charset="UTF-8"', "application/json;charset=utf8"):
        body = new_clan_body()
        reply = raw(api, "/clans", json.dumps(body).encode(), **{"Content-Type": content_type})
        assert reply.status_code == 201, (content_type, reply.text)
    body = new_clan_body()
    utf16 = raw(api, "/clans", json.dumps(body).encode("utf-16"), **{"Content-Type": "application/json; charset=utf-16"})
    assert utf16.status_code == 201, utf16.text
    assert api.get(f"/clans/{body['server']['id']}").json()["name"] == body["name"]
    for charset in ("bogus", "base64", "rot13", "hex", "zlib", "undefined", "utf-7", "latin-1", "x" * 300):
        for spelling in (f"application/json;charset={charset}", f"application/json; charset={charset}"):
            body = new_clan_body()
            reply = raw(api, "/clans", json.dumps(body).encode(), **{"Content-Type": spelling})
            problem = is_problem(reply, 400)
            assert problem["charset"] == charset[:64], problem
            assert not clan_exists(api, body["server"]["id"])
        # no body at all: the charset is refused before anything decodes the nothing
        empty = raw(api, "/clans", b"", **{"Content-Type": f"application/json;charset={charset}"})
        is_problem(empty, 400)
    log = log_since(backend.server, offset)
    assert "Traceback" not in log and " ERROR " not in log, log[-3000:]


def test_what_is_not_http_is_a_problem_too(backend: Backend) -> None:
    not_http = {
        "a space in a header name": b"GET /health HTTP/1.1\r\nHost: x\r\nBad Header: 1\r\n\r\n",
        "obs-fold": b"GET /health HTTP/1.1\r\nHost: x\r\nX-A: 1\r\n  folded\r\n\r\n",
        "Content-Length and Transfer-Encoding": (
            b"POST /clans HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"
        ),
    }
    for what, request in not_http.items():
        answer = http_exchange(backend.url, request)
        head, _, body = answer.partition(b"\r\n\r\n")
        assert head.startswith(b"HTTP/1.1 400 "), (what, answer[:300])
        assert b"content-type: application/problem+json" in head.lower(), (what, head)
        problem = json.loads(body)
        assert problem["status"] == 400 and "HTTP/1.1" in problem["detail"], (what, problem)
    assert httpx.get(f"{backend.url}/health").status_code == 200
