"""The maths of ranked play, on plain values (no database): one war's rating update, the
anti-farming rule, the soft reset between seasons, and the `Ledger` that applies results
in order.

The live update of a confirmed war (standings.record) and a recompute (standings.recompute)
both apply wars through `Ledger.apply`, so a replay gives exactly what the live updates gave.

Model: openskill's Plackett-Luce with its defaults (mu 25, sigma 25/3, beta 25/6, kappa
0.0001, tau 25/300, no sigma limit, no balance). A clan is rated as a team of one (the clan
itself, a lasting team), its players as the teams of their rosters. The rating shown and
ranked by is the ordinal, mu - 3 sigma (0 for a new clan). docs/backend.md, "Ranked play".
"""

from __future__ import annotations

import bisect
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from openskill.models import PlackettLuce

MODEL = PlackettLuce()
DEFAULT_MU: float = MODEL.mu
DEFAULT_SIGMA: float = MODEL.sigma
Z = 3.0  # ordinal = mu - Z sigma: a rating the clan is ~99.9% sure to be above

# Soft reset at a new season: mu moves RESET_PULL of the way back to the default, sigma
# grows by RESET_SIGMA_RAISE, at most to the default (uncertainty raised, not wiped).
RESET_PULL = 0.5
RESET_SIGMA_RAISE = DEFAULT_SIGMA / 2

# A result from the host's side -> the ranks openskill takes (1 = first); a draw is a tie.
RANKS = {"host": [1, 2], "opponent": [2, 1], "draw": [1, 1]}
OUTCOMES = {"host": ("won", "lost"), "opponent": ("lost", "won"), "draw": ("drawn", "drawn")}

Rating = tuple[float, float]  # (mu, sigma)
PlayerKey = tuple[str, str]  # (platform, user id)


def ordinal(mu: float, sigma: float) -> float:
    return mu - Z * sigma


def soft_reset(mu: float, sigma: float) -> Rating:
    """Where a clan (or player) starts a new season from its last season's rating."""
    return (
        DEFAULT_MU + (mu - DEFAULT_MU) * (1 - RESET_PULL),
        min(DEFAULT_SIGMA, sigma + RESET_SIGMA_RAISE),
    )


def farming_factor(repeat: int) -> float:
    """Anti-farming: the `repeat`-th win over the same opponent within the window counts 1/repeat."""
    return 1.0 / max(1, repeat)


def rate(teams: Sequence[Sequence[Rating]], result: str, factor: float = 1.0) -> list[list[Rating]]:
    """Two teams' ratings after a war (`result`: host, opponent or draw, teams in that order);
    each change (of mu and of sigma) multiplied by `factor` (at 1, openskill's own numbers)."""
    rated = MODEL.rate(
        [[MODEL.create_rating([mu, sigma]) for mu, sigma in team] for team in teams],
        ranks=list(RANKS[result]),
    )
    if factor == 1.0:
        return [[(r.mu, r.sigma) for r in team] for team in rated]
    return [
        [(mu + factor * (r.mu - mu), sigma + factor * (r.sigma - sigma)) for (mu, sigma), r in zip(team, new, strict=True)]
        for team, new in zip(teams, rated, strict=True)
    ]


@dataclass(frozen=True, slots=True)
class Standing:
    """A clan's season so far."""

    mu: float = DEFAULT_MU
    sigma: float = DEFAULT_SIGMA
    played: int = 0  # rated (confirmed) wars
    won: int = 0
    lost: int = 0
    drawn: int = 0
    glory: int = 0
    streak: int = 0  # +n: n wins in a row; -n: n losses in a row; 0 after a draw

    @property
    def ordinal(self) -> float:
        return ordinal(self.mu, self.sigma)

    def after(self, outcome: str, glory: int, rating: Rating) -> Standing:
        if outcome == "won":
            return Standing(rating[0], rating[1], self.played + 1, self.won + 1, self.lost, self.drawn,
                            self.glory + glory, max(self.streak, 0) + 1)  # fmt: skip
        if outcome == "lost":
            return Standing(rating[0], rating[1], self.played + 1, self.won, self.lost + 1, self.drawn,
                            self.glory + glory, min(self.streak, 0) - 1)  # fmt: skip
        return Standing(rating[0], rating[1], self.played + 1, self.won, self.lost, self.drawn + 1,
                        self.glory + glory, 0)  # fmt: skip


@dataclass(frozen=True, slots=True)
class PlayerStanding:
    mu: float = DEFAULT_MU
    sigma: float = DEFAULT_SIGMA
    played: int = 0


@dataclass(frozen=True, slots=True)
class WarInput:
    """A settled war as a replay reads it."""

    war_id: str
    settled_at: datetime
    rated: bool  # confirmed (a result that counts); disputed wars change nothing
    result: str | None  # host, opponent, draw
    host: int  # clan ids
    opponent: int
    host_glory: int = 0
    opponent_glory: int = 0
    host_players: tuple[PlayerKey, ...] = ()
    opponent_players: tuple[PlayerKey, ...] = ()
    void: bool = False  # a referee (or the grace rule) voided it: unrated, shown as void

    @property
    def unrated_outcome(self) -> str:
        return "void" if self.void else "disputed"


@dataclass(frozen=True, slots=True)
class Side:
    clan_id: int
    opponent_id: int
    outcome: str  # won, lost, drawn, disputed
    glory: int
    before: Standing
    after: Standing


@dataclass(frozen=True, slots=True)
class Applied:
    """What one war did: each side, the anti-farming repeat and factor, the players."""

    war: WarInput
    host: Side
    opponent: Side
    repeat: int
    factor: float
    players: dict[PlayerKey, tuple[PlayerStanding, PlayerStanding]]  # before, after


@dataclass(frozen=True, slots=True)
class Known:
    """A war's rated outcome (mu, sigma after) for the clans and the players, as stored."""

    host: Rating
    opponent: Rating
    players: dict[PlayerKey, Rating]


@dataclass
class Ledger:
    """Standings of one season, applying wars in the order they were settled.

    `clans` / `players`: standings before the next war (missing ones start from `start_clan` /
    `start_player`, defaults to a new rating). `wins[(winner, loser)]`: when the winner's
    earlier wins over the loser this season were settled (sorted), for the anti-farming rule.
    """

    window: timedelta
    clans: dict[int, Standing] = field(default_factory=dict)
    players: dict[PlayerKey, PlayerStanding] = field(default_factory=dict)
    wins: dict[tuple[int, int], list[datetime]] = field(default_factory=lambda: defaultdict(list))

    def repeat(self, winner: int, loser: int, at: datetime) -> int:
        """1 + the winner's wins over the loser settled within the window before `at`."""
        times = self.wins.get((winner, loser), [])
        return 1 + len(times) - bisect.bisect_left(times, at - self.window)

    def apply(self, war: WarInput, known: Known | None = None) -> Applied:
        """Apply the war; `known`: its rated outcome, already computed from these very
        standings (a replay reusing a stored result: everything but the openskill call)."""
        host = self.clans.get(war.host, Standing())
        opponent = self.clans.get(war.opponent, Standing())
        keys = (*war.host_players, *war.opponent_players)
        players_before = {k: self.players.get(k, PlayerStanding()) for k in keys}
        if not war.rated or war.result is None:
            sides = [
                Side(war.host, war.opponent, war.unrated_outcome, 0, host, host),
                Side(war.opponent, war.host, war.unrated_outcome, 0, opponent, opponent),
            ]
            unchanged = {k: (s, s) for k, s in players_before.items()}
            return Applied(war, sides[0], sides[1], 1, 1.0, unchanged)
        repeat = 1
        if war.result != "draw":
            winner, loser = (war.host, war.opponent) if war.result == "host" else (war.opponent, war.host)
            repeat = self.repeat(winner, loser, war.settled_at)
            times = self.wins[(winner, loser)]
            times.insert(bisect.bisect_right(times, war.settled_at), war.settled_at)
        factor = farming_factor(repeat)
        if known is not None:
            host_rating, opponent_rating = known.host, known.opponent
        else:
            [[host_rating], [opponent_rating]] = rate(
                [[(host.mu, host.sigma)], [(opponent.mu, opponent.sigma)]], war.result, factor
            )
        host_outcome, opponent_outcome = OUTCOMES[war.result]
        host_after = host.after(host_outcome, war.host_glory, host_rating)
        opponent_after = opponent.after(opponent_outcome, war.opponent_glory, opponent_rating)
        self.clans[war.host], self.clans[war.opponent] = host_after, opponent_after
        players: dict[PlayerKey, tuple[PlayerStanding, PlayerStanding]] = {}
        if war.host_players and war.opponent_players:
            teams = [
                [(players_before[k].mu, players_before[k].sigma) for k in side]
                for side in (war.host_players, war.opponent_players)
            ]
            rated = (
                rate(teams, war.result, factor)
                if known is None
                else [[known.players[k] for k in side] for side in (war.host_players, war.opponent_players)]
            )
            for side, ratings in zip((war.host_players, war.opponent_players), rated, strict=True):
                for key, (mu, sigma) in zip(side, ratings, strict=True):
                    before = players_before[key]
                    after = PlayerStanding(mu, sigma, before.played + 1)
                    self.players[key] = after
                    players[key] = (before, after)
        return Applied(
            war,
            Side(war.host, war.opponent, host_outcome, war.host_glory, host, host_after),
            Side(war.opponent, war.host, opponent_outcome, war.opponent_glory, opponent, opponent_after),
            repeat,
            factor,
            players,
        )
