"""PostgreSQL's direct path: createWar as one prepared statement, and getClanStatus's reads,
on asyncpg connections borrowed from SQLAlchemy's pool (`DirectPool`).

The portable path (`wars._create` through SQLAlchemy sessions, which SQLite uses too)
spends most of its CPU in SQLAlchemy and in asyncpg called through it: about 1 ms per
createWar on the benchmark machine (docs/benchmarks.md#backend). Here the same rows are
written by one statement, prepared once per connection by asyncpg: it finds the clan,
records the actor and the players as members (the same upsert), checks the actor's role
and the players' availability on the rows the upsert returned, inserts the war and its
players, and writes the `war.requested` events of the subscribed clans (counter, rows and
NOTIFY, as `outbox.flush`), all in its own transaction.

Only a success commits here. When the clan is unknown (no row), a check fails (the
statement divides by zero on purpose, so PostgreSQL rolls all of it back) or PostgreSQL
aborts it (deadlock, serialization failure), `create_war` returns None and the caller
runs the portable path, which answers the 404, 403 or 409 in its own words, exactly as
before (or succeeds, if the state changed in between).

getClanStatus runs the statements it runs through SQLAlchemy (their PostgreSQL variants,
written out) on the same pool, with rows as asyncpg decodes them (the same Python types),
and renders them with the same views; its reads need no transaction (READ COMMITTED
gives each statement its own snapshot either way).
"""

from __future__ import annotations

import json
import operator
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import asyncpg
from sqlalchemy.ext.asyncio import AsyncEngine
from sqlalchemy.util import greenlet_spawn

from backend_impl.capacity import capacity
from backend_impl.outbox import EVENTS_CHANNEL
from backend_impl.warids import new_war_id

# Errors after which the portable path runs instead: a check failed (22012, raised on
# purpose), or PostgreSQL chose this statement as a deadlock victim or serialization failure.
_FALL_BACK = (
    asyncpg.exceptions.DivisionByZeroError,
    asyncpg.exceptions.DeadlockDetectedError,
    asyncpg.exceptions.SerializationError,
)

# $1 platform, $2 server id, $3/$4 actor and players as members (ids sorted, names; the
# last name given wins), $5 actor id, $6/$7 players (ids, names, in order), $8 war id,
# $9 private, $10 game, $11 format, $12 duration, $13 created_at, $14 events' created_at,
# $15 the rendered war without its id and host (the statement adds both: the reply, which
# is also the events' data and the idempotency record's body), $16 client, $17 the
# Idempotency-Key or NULL (recorded under client and platform, as idempotency.run does),
# $18 operation, $19 the request's fingerprint.
# Locks are taken in the portable path's order: member rows, the war, then the event
# counter (each step reads the previous one's rows, which makes PostgreSQL run them in order).
# With a key, the record is inserted first (ON CONFLICT DO NOTHING: a key already recorded,
# or being recorded by a concurrent retry, inserts no war, and the portable path replays
# it), and only when the war id looks free (`free`: else no record, no war, and another id
# is tried); a record whose war id was taken meanwhile rolls everything back (the guard in
# `ok`: the portable path then runs).
CREATE_WAR = """
WITH clan AS (
  SELECT id, platform, server_id, name FROM clans
  WHERE platform = $1::text AND server_id = $2::text
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
reply AS (
  SELECT $15::jsonb || jsonb_build_object('id', $8::text, 'host', jsonb_build_object(
           'server', jsonb_build_object('id', clan.server_id, 'name', clan.name),
           'platform', clan.platform,
           'players', (SELECT jsonb_agg(jsonb_build_object('id', p.user_id, 'name', p.name, 'role',
                         CASE WHEN m.role = 'Member' AND NOT m.available THEN 'Unavailable'
                              ELSE m.role END) ORDER BY p.pos)
                       FROM unnest($6::text[], $7::text[]) WITH ORDINALITY AS p(user_id, name, pos)
                       JOIN m ON m.user_id = p.user_id),
           'vote', NULL, 'glory', 0)) AS war
  FROM clan
),
free AS (
  SELECT NOT EXISTS (SELECT 1 FROM wars WHERE id = $8::text) AS id
),
idem AS (
  INSERT INTO idempotency_keys (client, platform, key, operation, request_hash, status, body, created_at)
  SELECT $16::text, $1::text, $17::text, $18::text, $19::text, 201, reply.war, $13::timestamp
  FROM reply, checked, free
  WHERE $17::text IS NOT NULL AND checked.manager AND checked.available AND free.id
  ON CONFLICT (client, platform, key) DO NOTHING
  RETURNING 1
),
w AS (
  INSERT INTO wars (id, status, private, game_id, format_id, duration, host_clan_id,
                    created_by, created_at, host_glory, opponent_glory)
  SELECT $8::text, 'open', $9::boolean, $10::integer, $11::text, $12::float8, clan.id,
         $5::text, $13::timestamp, 0, 0
  FROM clan, checked
  WHERE checked.manager AND checked.available
    AND ($17::text IS NULL OR (SELECT count(*) FROM idem) > 0)
  ON CONFLICT (id) DO NOTHING
  RETURNING id
),
pl AS (
  INSERT INTO war_players (war_id, clan_id, user_id, name, role, "position")
  SELECT w.id, clan.id, p.user_id, p.name,
         CASE WHEN m.role = 'Member' AND NOT m.available THEN 'Unavailable' ELSE m.role END,
         p.pos - 1
  FROM w, clan, unnest($6::text[], $7::text[]) WITH ORDINALITY AS p(user_id, name, pos), m
  WHERE m.user_id = p.user_id
  RETURNING user_id, name, role, "position"
),
subs AS (
  SELECT t.id, t.platform, t.server_id, t.channel_id, t.language, row_number() OVER (ORDER BY t.id) AS k
  FROM clan, subscriptions s JOIN clans t ON t.id = s.clan_id
  WHERE s.game_id = $10::integer AND s.clan_id <> clan.id AND NOT $9::boolean
),
counter AS (
  UPDATE event_counter SET last = last + (SELECT count(*) FROM subs)
  WHERE id = 1 AND (SELECT count(*) FROM subs) > 0 AND (SELECT count(*) FROM pl) > 0
  RETURNING last
),
ev AS (
  INSERT INTO events (id, platform, type, clan_id, server_id, channel_id, created_at, data, language)
  SELECT counter.last - (SELECT count(*) FROM subs) + subs.k, subs.platform, 'war.requested',
         subs.id, subs.server_id, subs.channel_id, $14::timestamp,
         jsonb_build_object('war', reply.war), subs.language
  FROM counter, subs, reply
  RETURNING 1
)
SELECT clan.id, clan.platform, clan.server_id, clan.name, (SELECT id FROM w) AS war_id,
       (SELECT array_agg(role ORDER BY "position") FROM pl) AS roles,
       (SELECT count(*) FROM idem) AS keyed, (SELECT id FROM free) AS id_free,
       1 / (CASE WHEN checked.manager AND checked.available
                  AND ((SELECT count(*) FROM idem) = 0 OR (SELECT count(*) FROM w) > 0)
            THEN 1 ELSE 0 END) AS ok,
       (SELECT count(*) FROM ev) AS events,
       CASE WHEN (SELECT count(*) FROM ev) > 0 THEN pg_notify('{channel}', '') END AS notified
FROM clan, checked
""".replace("{channel}", EVENTS_CHANNEL)


class DirectPool:
    """asyncpg connections borrowed from the engine's pool: one pool per process, so the
    direct path needs no connections of its own (docs/deployment.md#connections).

    A connection comes back as SQLAlchemy left it (no transaction open: this module opens
    none, so SQLAlchemy's reset on return costs no round trip). asyncpg's own statement
    cache on it keeps CREATE_WAR prepared per connection, except with GMBOT_PGBOUNCER
    (db.engine_options), where nothing is prepared by name.
    """

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    @asynccontextmanager
    async def acquire(self) -> AsyncIterator[asyncpg.Connection]:
        # no connection free, or PostgreSQL (PgBouncer: at the first statement) has none: 503
        async with capacity():
            borrowed = await self.engine.raw_connection()
            dropped = False
            try:
                yield borrowed.driver_connection
            except BaseException as error:
                if not isinstance(error, asyncpg.PostgresError):
                    # not an answer of the server (a lost connection, a request cancelled in
                    # the middle of a statement): the connection's state is unknown, drop it
                    dropped = True
                    await greenlet_spawn(borrowed.invalidate, error if isinstance(error, Exception) else None)
                raise
            finally:
                await self._give_back(borrowed, dropped)

    async def _give_back(self, borrowed: Any, dropped: bool) -> None:
        """Return a borrowed connection to the pool, in this task when that needs no I/O."""
        pool: Any = self.engine.sync_engine.pool
        if not dropped and pool.checkedin() < pool.size():
            # It goes back into the pool's queue with no I/O: SQLAlchemy's reset on return is
            # a rollback, which does nothing here (no transaction of SQLAlchemy's is open on it).
            # A greenlet for it costs tens of microseconds of CPU a request (bench/bench_pool.py).
            borrowed.close()
        else:  # the pool is full and closes it, or it was dropped: I/O, in SQLAlchemy's greenlet
            await greenlet_spawn(borrowed.close)


class Created:
    """What the statement returned: the host clan (a ClanLike), the war id, the players' roles."""

    __slots__ = ("events", "id", "name", "platform", "roles", "server_id", "war_id")

    def __init__(self, row: asyncpg.Record) -> None:
        self.id: int = row["id"]
        self.platform: str = row["platform"]
        self.server_id: str = row["server_id"]
        self.name: str = row["name"]
        self.war_id: str = row["war_id"]
        self.roles: list[str] = list(row["roles"])
        self.events: int = row["events"]


async def create_war(
    pool: DirectPool,
    *,
    platform: str,
    server_id: str,
    actor: tuple[str, str],
    players: list[tuple[str, str]],
    values: dict[str, Any],
    events_at: datetime,
    rendered: dict[str, Any],
    key: tuple[str, str, str, str] | None = None,
) -> Created | None:
    """Insert the war (`values`: the wars row but its id and host clan) with its players and
    events; None when the portable path must run instead (see the module's docstring).
    `rendered`: the war as answered, without its id and host (the events' data). `key`:
    (client, Idempotency-Key, operation, fingerprint) to record with the reply, as
    idempotency.run does; a key recorded already sends the request down the portable path."""
    members = sorted(dict([actor, *players]).items())  # one order everywhere: no deadlocks
    arguments = (
        platform, server_id, [u for u, _ in members], [n for _, n in members], actor[0],
        [u for u, _ in players], [n for _, n in players],
    )  # fmt: skip
    template = json.dumps(rendered)
    async with pool.acquire() as connection:
        for attempt in range(30):  # a taken id inserts nothing; try another (as warids)
            war_id = new_war_id(4 if attempt < 10 else 5 if attempt < 20 else 6)
            try:
                row = await connection.fetchrow(
                    CREATE_WAR, *arguments, war_id, values["private"], values["game_id"],
                    values["format_id"], values["duration"], values["created_at"], events_at,
                    template, *(key or (None, None, None, None)),
                )  # fmt: skip
            except _FALL_BACK:
                return None
            if row is None:
                return None  # no such clan
            if row["war_id"] is not None:
                return Created(row)
            if key is not None and row["id_free"]:
                return None  # the key is recorded: the portable path replays it (or says 422)
    raise RuntimeError("no free war id after 30 attempts")


class Row(asyncpg.Record):
    """A row whose columns are attributes too, as SQLAlchemy's (the views read `war.id`)."""

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def _row_class(name: str, columns: str) -> type[Row]:
    """A Row with a property per column: found by the normal attribute lookup, without
    `__getattr__`'s detour (the status listing reads ~20 attributes of each of its wars)."""
    names = [c.strip().rsplit(" ", 1)[-1].removeprefix("c.") for c in columns.split(",")]
    return type(name, (Row,), {n: property(operator.itemgetter(n)) for n in names})


# getClanStatus, as clans.get_clan_status and views.war_dicts read it through SQLAlchemy:
# the same statements (PostgreSQL's variants), written out, with the rows as asyncpg decodes them.
_CLAN_COLUMNS = "c.id, c.platform, c.server_id, c.name, c.channel_id"
_WAR_COLUMNS = (
    "id, status, private, game_id, format_id, duration, host_clan_id, opponent_clan_id, "
    "host_vote, opponent_vote, result, host_glory, opponent_glory, created_at, accepted_at, "
    "ends_at, ended_at"
)
ClanRow = _row_class("ClanRow", _CLAN_COLUMNS + ", subscribed_game")
WarRow = _row_class("WarRow", _WAR_COLUMNS)
PlayerRow = _row_class("PlayerRow", "war_id, clan_id, user_id, name, role, position")
CLAN_AND_GAMES = f"""
SELECT {_CLAN_COLUMNS}, s.game_id AS subscribed_game
FROM clans c LEFT OUTER JOIN subscriptions s ON s.clan_id = c.id
WHERE c.platform = $1::text AND c.server_id = $2::text ORDER BY s.game_id
"""
# The ongoing wars (part 0) and the open requests (part 1) in one round trip, each part
# in its own order and limit: `ORDER BY accepted_at DESC, id` and `ORDER BY created_at DESC,
# id`. `game_id = ANY($3)` with the subscribed games, none for the clan's own requests only.
_PARTS = f"""
SELECT * FROM (
  (SELECT 0 AS part, accepted_at AS newest, {_WAR_COLUMNS} FROM wars
   WHERE (host_clan_id = $1::integer OR opponent_clan_id = $1::integer)
     AND status IN ('ongoing', 'ended')
   ORDER BY accepted_at DESC, id LIMIT $2::bigint)
  UNION ALL
  (SELECT 1 AS part, created_at AS newest, {_WAR_COLUMNS} FROM wars
   WHERE status = 'open' AND ({{requests}})
   ORDER BY created_at DESC, id LIMIT $2::bigint)
) AS listed ORDER BY part, newest DESC, id
"""
OWN_WARS = _PARTS.replace("{requests}", "host_clan_id = $1::integer AND $3::integer[] IS NOT NULL")
WARS = _PARTS.replace(
    "{requests}",
    "host_clan_id = $1::integer OR (game_id = ANY($3::integer[]) AND private IS false)",
)
CLANS_BY_ID = f"SELECT {_CLAN_COLUMNS} FROM clans c WHERE c.id = ANY($1::integer[])"
PLAYERS_OF_WARS = """
SELECT war_id, clan_id, user_id, name, role, "position" FROM war_players
WHERE war_id = ANY($1::text[]) ORDER BY "position"
"""


class Status:
    """A clan's status as read: the clan, its subscribed games, its wars, their clans and players."""

    def __init__(self, clan: Row, subscribed: list[int]) -> None:
        self.clan = clan
        self.subscribed = subscribed
        self.ongoing: list[Row] = []
        self.requests: list[Row] = []
        self.clans: dict[int, Row] = {clan.id: clan}
        self.players: list[Row] = []


async def clan_status(pool: DirectPool, platform: str, server_id: str, limit: int) -> Status | None:
    """What getClanStatus renders; None when the server has no clan."""
    async with pool.acquire() as connection:
        rows = await connection.fetch(CLAN_AND_GAMES, platform, server_id, record_class=ClanRow)
        if not rows:
            return None
        status = Status(rows[0], [r["subscribed_game"] for r in rows if r["subscribed_game"] is not None])
        query = WARS if status.subscribed else OWN_WARS
        wars = await connection.fetch(query, status.clan.id, limit, status.subscribed, record_class=WarRow)
        status.ongoing = [w for w in wars if w["part"] == 0]
        status.requests = [w for w in wars if w["part"] == 1]
        if not wars:
            return status
        missing = {w.host_clan_id for w in wars} | {w.opponent_clan_id for w in wars if w.opponent_clan_id}
        missing -= status.clans.keys()
        if missing:
            for clan in await connection.fetch(CLANS_BY_ID, list(missing), record_class=ClanRow):
                status.clans[clan.id] = clan
        status.players = await connection.fetch(PLAYERS_OF_WARS, [w.id for w in wars], record_class=PlayerRow)
    return status
