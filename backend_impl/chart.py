"""A clan's rating over one season of a game, drawn as a PNG (matplotlib's Agg, no display).

The picture is a function of its `ChartData` only (no clock, no random, no PNG metadata
but the size), so its ETag is a digest of that data and matplotlib's version: two replicas
answer the same tag for the same bytes, and a replica that rendered a chart before serves
it from a bounded in-memory cache keyed by that digest. A new war (or a referee's
recompute) changes the points, hence the digest: the old picture is never served again
and falls out of the cache in time.

Rendering (tens of milliseconds) runs in one worker thread, so the event loop keeps
answering other requests meanwhile; two requests for a chart being drawn wait for the one
drawing. matplotlib is imported on the first render (it costs about half a second, which
a server that never draws a chart should not pay at start).
"""

from __future__ import annotations

import asyncio
import hashlib
import io
import json
import threading
import unicodedata
import warnings
from collections import OrderedDict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from importlib.metadata import version
from typing import Any

CACHE_ENTRIES = 256  # at 20-40 KB a picture: under 10 MB per process
WIDTH, HEIGHT, DPI = 6.4, 3.2, 100  # 640 x 320 pixels: a phone's width at 2x, a chat preview
_COLORS = {"won": "#2e9e44", "lost": "#d1372e", "drawn": "#8a8f98"}
_LINE = "#3b6fd6"
STYLE_VERSION = "3"  # change when the drawing changes: every ETag changes with it


@dataclass(frozen=True)
class Point:
    outcome: str  # "start" for the season's first rating, else won / lost / drawn
    rating: float  # the ordinal after that war, rounded as the API shows it
    day: str  # YYYY-MM-DD of the result ("" for the start)


@dataclass(frozen=True)
class ChartData:
    clan: str  # the clan's name (user text: drawn as plain text, never as mathtext)
    game: str
    season: str
    points: tuple[Point, ...]

    def digest(self) -> str:
        data = [STYLE_VERSION, _matplotlib_version(), self.clan, self.game, self.season,
                [(p.outcome, p.rating, p.day) for p in self.points]]  # fmt: skip
        text = json.dumps(data, separators=(",", ":"), ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:32]

    def etag(self) -> str:
        return f'"{self.digest()}"'


_version: str | None = None


def _matplotlib_version() -> str:
    global _version
    if _version is None:
        _version = version("matplotlib")
    return _version


def render(data: ChartData) -> bytes:
    """The PNG, drawn now (no cache). Thread-safe: each call builds its own Figure; calls
    are serialised anyway by the lock, since matplotlib's font cache is shared."""
    with _DRAWING:
        return _draw(data)


_DRAWING = threading.Lock()


def _draw(data: ChartData) -> bytes:
    import matplotlib

    matplotlib.use("Agg", force=True)  # before anything draws: there is no display here
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    xs = list(range(len(data.points)))
    ys = [p.rating for p in data.points]
    axes.plot(xs, ys, color=_LINE, linewidth=2, zorder=1)
    for outcome, color in _COLORS.items():
        chosen = [(x, p.rating) for x, p in zip(xs, data.points, strict=True) if p.outcome == outcome]
        if chosen:
            axes.scatter([c[0] for c in chosen], [c[1] for c in chosen], color=color, s=22, zorder=2,
                         label=outcome)  # fmt: skip
    axes.scatter([0], [ys[0]], color="#ffffff", edgecolors=_LINE, s=22, zorder=2)
    axes.axhline(0, color="#c8ccd2", linewidth=0.8, zorder=0)
    # user text (the clan's name, a season the operator named) is plain text: `$` is no math
    # a title at a fixed height: placing it above whatever the axes hold measures their
    # bounding box (~10% of the drawing); nothing is drawn above these axes, so the picture
    # is the same to the byte
    axes.set_title(_plain(data.clan, 36), fontsize=11, loc="left", parse_math=False, y=1.0, pad=6)
    axes.set_xlabel(_plain(f"wars in {data.game}, season {data.season}", 48), fontsize=9, loc="right",
                    parse_math=False)  # fmt: skip
    axes.set_ylabel("rating", fontsize=9)
    axes.tick_params(labelsize=8)
    axes.grid(True, color="#eceef1", linewidth=0.6)
    axes.set_xlim(-0.5, max(1, len(xs) - 1) + 0.5)
    # few ticks: laying out each label is most of the drawing's time
    axes.xaxis.set_major_locator(MaxNLocator(nbins=6, integer=True))  # wars are whole
    axes.yaxis.set_major_locator(MaxNLocator(nbins=5))
    if len(xs) > 1:
        # below the axis, left of the x label: never over the line ("best" would cost ~10 ms)
        axes.legend(fontsize=8, loc="upper left", bbox_to_anchor=(-0.01, -0.07), frameon=False, ncols=3,
                    handletextpad=0.2, columnspacing=1.0)  # fmt: skip
    else:
        axes.text(0.5, 0.5, "no rated war yet this season", transform=axes.transAxes, ha="center",
                  va="center", fontsize=10, color="#666a70", parse_math=False)  # fmt: skip
    for side in ("top", "right"):
        axes.spines[side].set_visible(False)
    figure.subplots_adjust(left=0.09, right=0.98, top=0.9, bottom=0.15)  # tight_layout: +20 ms
    buffer = io.BytesIO()
    with warnings.catch_warnings():  # a glyph the font lacks (an emoji in a name) is drawn as a box
        warnings.simplefilter("ignore", UserWarning)
        # no version: the same bytes everywhere; zlib level 3: a third of level 6's time, +10% size
        figure.savefig(buffer, format="png", metadata={"Software": None}, pil_kwargs={"compress_level": 3})
    return buffer.getvalue()


def _plain(text: str, most: int) -> str:
    """`text` without control or format characters (a bidi override would turn the rest of the
    title around), cut to `most` characters."""
    shown = "".join(c for c in text if unicodedata.category(c) not in ("Cc", "Cf"))
    return shown if len(shown) <= most else shown[: most - 1] + "…"


class ChartCache:
    """PNGs by their data's digest, the newest CACHE_ENTRIES kept; one render per digest at
    a time (concurrent requests for the same chart share it)."""

    def __init__(self, entries: int = CACHE_ENTRIES) -> None:
        self.entries = entries
        self._pictures: OrderedDict[str, bytes] = OrderedDict()
        self._drawing: dict[str, asyncio.Future[bytes]] = {}
        self._executor: ThreadPoolExecutor | None = None
        self.renders = 0  # how many pictures this process drew (tests and the benchmark read it)

    def __len__(self) -> int:
        return len(self._pictures)

    async def png(self, data: ChartData) -> bytes:
        key = data.digest()
        found = self._pictures.get(key)
        if found is not None:
            self._pictures.move_to_end(key)
            return found
        pending = self._drawing.get(key)
        if pending is not None:
            return await asyncio.shield(pending)
        loop = asyncio.get_running_loop()
        if self._executor is None:
            self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="gmbot-chart")
        future: asyncio.Future[bytes] = loop.run_in_executor(self._executor, render, data)
        self._drawing[key] = future
        try:
            picture = await asyncio.shield(future)
        finally:
            self._drawing.pop(key, None)
        self.renders += 1
        self._pictures[key] = picture
        while len(self._pictures) > self.entries:
            self._pictures.popitem(last=False)
        return picture


CACHE = ChartCache()


def points(start: float, rows: list[Any]) -> tuple[Point, ...]:
    """The season's first rating, then the rating after each rated war (`rows`: outcome,
    rating after, settle day), oldest first."""
    return (Point("start", start, ""), *(Point(r[0], r[1], r[2]) for r in rows))
