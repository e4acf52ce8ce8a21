"""The preview's ASGI app (Starlette): one page, a version to poll, and a re-render of one card.

GET  /         every command, event and button reply card, one column per platform
               (`?locale=es`: in that catalog's language, with where a text gets too long)
GET  /version  a digest of the two source files: the page reloads when it changes
POST /render   `id` + `sample` (JSON) [+ `locale`]: that card again with the edited sample
               (`reset` drops the edit). With `X-Fragment: 1` (the page's fetch) the
               answer is the card's HTML; a plain form post is sent back to the page.
"""

from __future__ import annotations

import contextlib
import json
import logging
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, quote

from markupsafe import Markup
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import HTMLResponse, PlainTextResponse, RedirectResponse, Response
from starlette.routing import Route

from generator.errors import SpecErrors
from generator.pipeline import Checked, Config
from gmbot.chat import menus
from gmbot.chat.cards import CardRenderer
from gmbot.platforms import Platform
from gmbot.preview.build import (
    Entry,
    Preview,
    build,
    checked,
    render_card,
    render_form,
    source_digest,
)
from gmbot.preview.render import columns, css, draw_form, environment, limit_notes, render_platform

log = logging.getLogger("gmbot.preview")


@dataclass
class State:
    config: Config
    overrides: dict[str, str] = field(default_factory=dict)  # entry id -> the author's JSON
    last_good: dict[str, Any] = field(default_factory=dict)  # entry id -> the last edit that parsed
    _cached: tuple[str, Checked | SpecErrors] | None = None
    renderer: CardRenderer | None = None  # kept across builds: its compiled templates

    def outcome(self, digest: str) -> Checked | SpecErrors:
        """`check()` once per version of the sources (editing a sample does not re-check)."""
        if self._cached is None or self._cached[0] != digest:
            self._cached = (digest, checked(self.config))
        return self._cached[1]

    def preview(self, locale: str = "en") -> tuple[str, Preview]:
        digest = source_digest(self.config)  # before reading: a save during the build reloads again
        try:
            preview = build(self.config, self.overrides, self.outcome(digest), self.last_good, self.renderer, locale)
            self.renderer = preview.renderer or self.renderer
            return digest, preview
        except Exception as exc:  # a spec the checks let through but the preview trips on
            log.exception("preview failed")
            return digest, Preview(errors=[f"the preview could not render this spec: {exc!r}"])


def render_entry(preview: Preview, entry: Entry) -> Markup:
    # rendered once per platform: a card may say something differently on one of them
    drawn: list[tuple[Platform, Markup, list[str]]] = []
    for column in columns():
        if entry.form is not None:  # a form: each platform's own (a modal, or questions one at a time)
            drawn.append((column, draw_form(column, render_form(preview, entry)), []))
            continue
        card = render_card(preview, entry, column.name)
        drawn.append((column, render_platform(column, card), limit_notes(column, card)))
    return Markup(environment().get_template("entry.jinja").render(entry=entry, columns=drawn, locale=preview.locale))


def create_app(config: Config) -> Starlette:
    state = State(config)

    async def page(request: Request) -> Response:
        digest, preview = state.preview(request.query_params.get("locale", "en"))
        html = environment().get_template("page.jinja").render(
            preview=preview, version=digest, platforms=columns(), css=css(), render_entry=render_entry,
            menu_fills=menus.filled,
            spec_file=config.display(config.spec), openapi_file=config.display(config.openapi),
        )
        return HTMLResponse(html, headers={"Cache-Control": "no-store"})

    async def version(request: Request) -> Response:
        return PlainTextResponse(source_digest(config), headers={"Cache-Control": "no-store"})

    async def rerender(request: Request) -> Response:
        form: dict[str, Any] = {k: v[-1] for k, v in parse_qs((await request.body()).decode("utf-8", "replace"),
                                                                keep_blank_values=True).items()}
        entry_id = str(form.get("id", ""))
        if form.get("reset"):
            state.overrides.pop(entry_id, None)
            state.last_good.pop(entry_id, None)
        elif "sample" in form:
            state.overrides[entry_id] = text = str(form["sample"])
            with contextlib.suppress(ValueError):
                state.last_good[entry_id] = json.loads(text)
        if not request.headers.get("x-fragment"):
            locale = str(form.get("locale") or "en")
            back = "/" if locale == "en" else f"/?locale={quote(locale)}"
            return RedirectResponse(f"{back}#{entry_id}", status_code=303)
        _, preview = state.preview(str(form.get("locale") or "en"))
        entry = preview.entry(entry_id) if preview.spec else None
        if entry is None:  # the spec changed under the page: it reloads on its next poll
            return PlainTextResponse("no such card (the spec changed): reload the page", status_code=404)
        return HTMLResponse(render_entry(preview, entry))

    return Starlette(routes=[
        Route("/", page),
        Route("/version", version),
        Route("/render", rerender, methods=["POST"]),
    ])
