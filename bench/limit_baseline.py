"""The benchmark's limit baseline: createWar as fast as Python goes, a bare ASGI callable on asyncpg.

What the backend's createWar does, with nothing between the socket and the database but
uvicorn: the API key (sha256, cached) and the `client` header (401), the body parsed and
checked against openapi.yaml's CreateWarRequest schema with jsonschema_rs (400), the
catalogue checks (unknown game or format, players listed twice, player count: 422), then
**one prepared statement** (one round trip, its own transaction) that finds the clan
(404), records the actor and the players as members, checks the actor's role (403) and
the players' availability (409), inserts the war under a fresh 4-character id with its
players, and writes a `war.requested` event for each clan subscribed to the game (the
outbox: counter, rows, NOTIFY). The reply is the same War JSON, status 201, or the same
problem+json statuses and details (400 wording is jsonschema_rs's). A failed check
rolls the statement back (a division by zero raised on purpose), then one read finds
which check it was.

No Idempotency-Key (the benchmark sends none), no access log, no framework.
Run: DATABASE_URL=postgresql+asyncpg://... uvicorn bench.limit_baseline:app
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import asyncpg
import jsonschema_rs

from backend_impl.settings import database_url

ROOT = Path(__file__).resolve().parents[1]
ALPHABET = "abcdefghijkmnpqrstuvwxyz23456789"
MANAGERS = ("Leader", "Co-Leader")
KEY_SECONDS = 5.0  # as the backend's key cache

# $1 platform, $2 server id, $3/$4 members (sorted ids, names), $5 actor id,
# $6/$7 players (ids, names, in order), $8 war id, $9 private, $10 game, $11 format,
# $12 duration, $13 created_at, $14 the war JSON without its host (for the events)
CREATE_WAR = """
WITH clan AS (
  SELECT id, platform, server_id, name FROM clans WHERE platform = $1::text AND server_id = $2::text
),
m AS (
  INSERT INTO members AS mb (clan_id, user_id, name, role, available)
  SELECT clan.id, u.user_id, u.name, 'Member', true
  FROM clan, unnest($3::text[], $4::text[]) AS u(user_id, name)
  ON CONFLICT (clan_id, user_id) DO UPDATE SET name = excluded.name
  RETURNING mb.user_id, mb.role, mb.available
),
checked AS (
  SELECT bool_or(m.user_id = $5::text AND m.role IN ('Leader', 'Co-Leader')) AS manager,
         coalesce(bool_and(m.available OR m.user_id <> ALL($6::text[])), true) AS available
  FROM m
),
w AS (
  INSERT INTO wars (id, status, private, game_id, format_id, duration, host_clan_id,
                    created_by, created_at, host_glory, opponent_glory)
  SELECT $8::text, 'open', $9::boolean, $10::integer, $11::text, $12::float8, clan.id,
         $5::text, $13::timestamp, 0, 0
  FROM clan, checked WHERE checked.manager AND checked.available
  ON CONFLICT (id) DO NOTHING
  RETURNING id
),
pl AS (
  INSERT INTO war_players (war_id, clan_id, user_id, name, role, "position")
  SELECT w.id, clan.id, p.user_id, p.name, m.role, p.pos - 1
  FROM w, clan, unnest($6::text[], $7::text[]) WITH ORDINALITY AS p(user_id, name, pos), m
  WHERE m.user_id = p.user_id
  RETURNING user_id, name, role, "position"
),
subs AS (
  SELECT t.id, t.platform, t.server_id, t.channel_id, row_number() OVER (ORDER BY t.id) AS k
  FROM clan, subscriptions s JOIN clans t ON t.id = s.clan_id
  WHERE s.game_id = $10::integer AND s.clan_id <> clan.id AND NOT $9::boolean
),
counter AS (
  UPDATE event_counter SET last = last + (SELECT count(*) FROM subs)
  WHERE id = 1 AND (SELECT count(*) FROM subs) > 0 AND (SELECT count(*) FROM pl) > 0
  RETURNING last
),
ev AS (
  INSERT INTO events (id, platform, type, clan_id, server_id, channel_id, created_at, data)
  SELECT counter.last - (SELECT count(*) FROM subs) + subs.k, subs.platform, 'war.requested',
         subs.id, subs.server_id, subs.channel_id, $13::timestamp,
         jsonb_build_object('war', $14::jsonb || jsonb_build_object('host', jsonb_build_object(
           'server', jsonb_build_object('id', clan.server_id, 'name', clan.name),
           'platform', clan.platform,
           'players', (SELECT jsonb_agg(jsonb_build_object('id', pl.user_id, 'name', pl.name,
                                                           'role', pl.role) ORDER BY pl.position)
                       FROM pl),
           'vote', NULL, 'glory', 0)))
  FROM counter, subs, clan
  RETURNING 1
)
SELECT clan.name, clan.server_id, (SELECT id FROM w) AS war_id,
       (SELECT array_agg(role ORDER BY "position") FROM pl) AS roles,
       1 / (CASE WHEN checked.manager AND checked.available THEN 1 ELSE 0 END) AS ok,
       CASE WHEN (SELECT count(*) FROM ev) > 0 THEN pg_notify('gmbot_events', '') END AS notified
FROM clan, checked
"""

# After a failed check (nothing written): who is what, to say which check failed.
MEMBERS = """
SELECT m.user_id, m.name, m.role, m.available FROM members m JOIN clans c ON c.id = m.clan_id
WHERE c.platform = $1 AND c.server_id = $2 AND m.user_id = ANY($3::text[])
"""


def _schema() -> Any:
    spec = json.loads((ROOT / "generated" / "server" / "openapi.json").read_text())

    def resolve(node: Any) -> Any:
        if isinstance(node, dict):
            if "$ref" in node:
                return resolve(spec["components"]["schemas"][node["$ref"].rsplit("/", 1)[1]])
            out = {k: resolve(v) for k, v in node.items() if k not in ("nullable", "description")}
            if node.get("nullable") and isinstance(out.get("type"), str):
                out["type"] = [out["type"], "null"]
            return out
        if isinstance(node, list):
            return [resolve(x) for x in node]
        return node

    return resolve(spec["components"]["schemas"]["CreateWarRequest"])


VALIDATOR = jsonschema_rs.Draft4Validator(_schema(), validate_formats=True)


async def _no_reset(_connection: asyncpg.Connection) -> None:
    return None


class Refused(Exception):
    def __init__(self, status: int, title: str, detail: str, **extra: Any) -> None:
        self.body = {"type": "about:blank", "title": title, "status": status, "detail": detail, **extra}
        self.status = status


class Limit:
    def __init__(self) -> None:
        self.pool: asyncpg.Pool | None = None
        self.keys: dict[str, tuple[float, tuple[str, str] | None]] = {}
        self.games: dict[int, dict[str, Any]] = {}
        self.formats: dict[str, dict[str, Any]] = {}
        self.default_format = "ft3"

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] == "lifespan":
            await self._lifespan(receive, send)
            return
        request_id = ""
        try:
            headers = {k.decode("latin-1").lower(): v.decode("latin-1") for k, v in scope["headers"]}
            request_id = headers.get("x-request-id") or uuid.uuid4().hex
            if scope["path"] == "/health":
                await self._send(send, 200, {"status": "ok"}, request_id)
                return
            if scope["path"] != "/wars" or scope["method"] != "POST":
                raise Refused(404, "Not Found", "The requested URL was not found on the server.")
            body = b""
            more = True
            while more:
                message = await receive()
                body += message.get("body", b"")
                more = message.get("more_body", False)
            platform = await self._check_key(headers)
            await self._send(send, 201, await self._create_war(platform, body), request_id)
        except Refused as refused:
            await self._send(send, refused.status, refused.body, request_id, problem=True)

    @staticmethod
    async def _send(send: Any, status: int, body: Any, request_id: str, problem: bool = False) -> None:
        data = json.dumps(body).encode()
        kind = b"application/problem+json" if problem else b"application/json"
        headers = [(b"content-type", kind), (b"content-length", str(len(data)).encode()),
                   (b"x-request-id", request_id.encode())]  # fmt: skip
        await send({"type": "http.response.start", "status": status, "headers": headers})
        await send({"type": "http.response.body", "body": data})

    async def _lifespan(self, receive: Any, send: Any) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                dsn = database_url().replace("postgresql+asyncpg://", "postgresql://", 1)
                # reset=: the pool's default runs a reset query (a round trip) on every release;
                # this app sets no session state, and asyncpg still rolls back an open transaction
                self.pool = await asyncpg.create_pool(dsn, min_size=8, max_size=20, reset=_no_reset)
                async with self.pool.acquire() as c:
                    for r in await c.fetch("SELECT id, name, min_players, max_players FROM games"):
                        self.games[r[0]] = {"id": r[0], "name": r[1], "minPlayers": r[2], "maxPlayers": r[3]}
                    for r in await c.fetch("SELECT id, name, is_default FROM formats ORDER BY position, id"):
                        self.formats[r[0]] = {"id": r[0], "name": r[1], "default": r[2]}
                        if r[2]:
                            self.default_format = r[0]
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                if self.pool is not None:
                    await self.pool.close()
                await send({"type": "lifespan.shutdown.complete"})
                return

    async def _check_key(self, headers: dict[str, str]) -> str:
        key = headers.get("x-api-key")
        if not key:
            raise Refused(401, "Unauthorized", "No authorization token provided")
        now = time.monotonic()
        cached = self.keys.get(key)
        if cached is None or cached[0] < now:
            found = None
            parts = key.split("_", 2)
            if len(parts) == 3 and parts[0] == "gmb":
                assert self.pool is not None
                row = await self.pool.fetchrow(
                    "SELECT client, platform, secret_hash FROM api_keys WHERE id = $1 AND revoked_at IS NULL",
                    parts[1],
                )
                secret = hashlib.sha256(parts[2].encode()).hexdigest()
                if row is not None and hmac.compare_digest(secret, row[2]):
                    found = (row[0], row[1])
            cached = self.keys[key] = (now + KEY_SECONDS, found)
        if cached[1] is None:
            raise Refused(401, "Unauthorized", "Unknown or revoked API key.")
        client, platform = cached[1]
        if headers.get("client") != client:
            raise Refused(401, "Unauthorized", f"This API key is issued to client '{client}'.")
        return platform

    async def _create_war(self, platform: str, raw: bytes) -> dict[str, Any]:
        try:
            body = json.loads(raw)
        except ValueError as exc:
            raise Refused(400, "Bad Request", f"The request body is not valid JSON: {exc}") from None
        if not VALIDATOR.is_valid(body):
            error = next(VALIDATOR.iter_errors(body))
            raise Refused(400, "Bad Request", error.message)
        game = self.games.get(body["game"])
        if game is None:
            raise Refused(422, "Unprocessable Content", f"Unknown game {body['game']}. See listGames.",
                          game=body["game"], knownGames=sorted(self.games))  # fmt: skip
        format_id = body.get("format") or self.default_format
        if format_id not in self.formats:
            raise Refused(422, "Unprocessable Content", f"Unknown format {format_id!r}. See listFormats.",
                          format=format_id, knownFormats=list(self.formats))  # fmt: skip
        players = body["players"]
        ids = [p["id"] for p in players]
        duplicates = sorted({i for i in ids if ids.count(i) > 1})
        if duplicates:
            raise Refused(422, "Unprocessable Content", f"Players listed twice: {', '.join(duplicates)}.",
                          duplicatePlayers=duplicates)  # fmt: skip
        if not game["minPlayers"] <= len(players) <= game["maxPlayers"]:
            raise Refused(422, "Unprocessable Content",
                          f"{game['name']} is played by {game['minPlayers']} to {game['maxPlayers']} "
                          f"players per clan; you tagged {len(players)}.", game=game["id"],
                          minPlayers=game["minPlayers"], maxPlayers=game["maxPlayers"], players=len(players))  # fmt: skip
        actor, server = body["actor"], body["server"]
        members = sorted(dict([(actor["id"], actor["name"]), *((p["id"], p["name"]) for p in players)]).items())
        duration = float(body.get("duration", 24))
        now = datetime.now(UTC).replace(tzinfo=None)
        war: dict[str, Any] = {
            "id": "", "status": "open", "private": False, "game": game,
            "format": self.formats[format_id], "duration": duration, "opponent": None, "result": None,
            "createdAt": now.isoformat() + "Z", "acceptedAt": None, "endsAt": None, "endedAt": None,
        }  # fmt: skip
        assert self.pool is not None
        async with self.pool.acquire() as c:
            for _attempt in range(30):
                war["id"] = "".join(secrets.choice(ALPHABET) for _ in range(4))
                try:
                    row = await c.fetchrow(
                        CREATE_WAR, platform, server["id"], [u for u, _ in members], [n for _, n in members],
                        actor["id"], ids, [p["name"] for p in players], war["id"], False, game["id"],
                        format_id, duration, now, json.dumps(war),
                    )  # fmt: skip
                except asyncpg.DivisionByZeroError:
                    await self._refuse_check(c, platform, server["id"], actor["id"], ids)
                    raise
                if row is None:
                    raise Refused(404, "Clan not found",
                                  f"Server {server['id']} has no clan yet: set one up first (setupClan).",
                                  serverId=server["id"])  # fmt: skip
                if row["war_id"] is not None:
                    break
            else:
                raise RuntimeError("no free war id after 30 attempts")
        roles = row["roles"]
        war["host"] = {
            "server": {"id": row["server_id"], "name": row["name"]}, "platform": platform,
            "players": [{"id": p["id"], "name": p["name"], "role": r} for p, r in zip(players, roles, strict=True)],
            "vote": None, "glory": 0,
        }  # fmt: skip
        return war

    @staticmethod
    async def _refuse_check(c: Any, platform: str, server: str, actor: str, players: list[str]) -> None:
        """The statement rolled back: the actor is no manager (403) or players are unavailable (409)."""
        rows = {r["user_id"]: r for r in await c.fetch(MEMBERS, platform, server, [actor, *players])}
        me = rows.get(actor)
        role = "Member" if me is None else me["role"]
        if role == "Member" and me is not None and not me["available"]:
            role = "Unavailable"
        if role not in MANAGERS:
            raise Refused(403, "Forbidden", f"createWar needs the role Leader or Co-Leader; you are {role}.",
                          requiredRoles=list(MANAGERS), actorRole=role, actorId=actor)  # fmt: skip
        away = [rows[p] for p in players if p in rows and not rows[p]["available"]]
        raise Refused(409, "Conflict",
                      f"These players marked themselves unavailable: {', '.join(r['name'] for r in away)}.",
                      unavailable=[r["user_id"] for r in away])  # fmt: skip


app = Limit()
