"""The neutral core's forms (gmbot/chat/forms.py, form_runs.py): when a command opens its form
and when its flags are enough, what a submit sends, and which field a backend problem blames."""

from __future__ import annotations

import httpx

from gmbot.chat.core import Core
from gmbot.chat.forms import problem_field
from gmbot.chat.vocabulary import Invocation, Person, Place
from gmbot.spec.model import BotSpec, Request
from tests.chat.fakes import FakeBackend

WOLVES = Place("1", "Wolves")
ANN, BOB = Person("11", "ann"), Person("12", "bob")
DISPUTE = Request(path={"warId": "$war"}, body={"server": "$server", "reason": "$reason",
                                                 "evidence": ["$link", "$link2"], "q": {"$if": "$note", "then": "$note"}})
FIELDS = {"reason", "link", "link2", "note"}
LINK = "https://example.com/a.png"


def inv(who: Person = ANN, id: str = "1") -> Invocation:
    return Invocation("discord", author=who, server=WOLVES, channel=Place("77", "wars"), id=id)


def test_a_problem_blames_the_field_that_filled_what_it_names() -> None:
    assert problem_field({"pointer": "/evidence/1"}, DISPUTE, FIELDS) == "link2"
    assert problem_field({"field": "reason"}, DISPUTE, FIELDS) == "reason"
    assert problem_field({"errors": [{"detail": "x", "pointer": "#/evidence/0"}]}, DISPUTE, FIELDS) == "link"
    assert problem_field({"detail": "'' is too short - 'reason'"}, DISPUTE, FIELDS) == "reason"
    assert problem_field({"pointer": "/q"}, DISPUTE, FIELDS) == "note"  # through a conditional value
    assert problem_field({"detail": "War zyo8 is ongoing"}, DISPUTE, FIELDS) is None
    assert problem_field({"pointer": "/server"}, DISPUTE, FIELDS) is None  # the context: no field of the form
    assert problem_field({"detail": "bad - path parameter 'warId'"}, DISPUTE, FIELDS) is None  # an option's


async def test_flags_that_give_every_required_field_ask_nothing(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(409, json={"title": "Conflict", "status": 409, "detail": "not played"})
    core = Core(spec, fake.client(), "discord")
    outcome = await core.run_prefix("dispute", f"-war zyo8 -reason Five -link {LINK}", inv())
    assert outcome.kind == "problem" and fake.body()["reason"] == "Five" and fake.body()["evidence"] == [LINK]
    asked = await core.run_prefix("dispute", f"zyo8 -link {LINK}", inv())
    assert asked.kind == "form" and asked.form is not None and len(fake.requests) == 1  # nothing sent
    assert {i.name: i.value for i in asked.form.inputs} == {"reason": None, "link": LINK, "link2": None}
    assert [b.label for b in asked.card.buttons] == ["Fill in the form"]  # where no form can open at once


async def test_a_submit_runs_the_command_with_the_fields(spec: BotSpec, fake: FakeBackend) -> None:
    fake.answer = lambda r: httpx.Response(422, json={"title": "Unprocessable Content", "status": 422,
                                                      "detail": "twice", "pointer": "/evidence/1"})
    core = Core(spec, fake.client(), "discord")
    form = (await core.run("dispute", {"war": "zyo8"}, inv())).form
    assert form is not None
    stranger = await core.submit(form.id, {"reason": "Five"}, inv(BOB))
    assert stranger.kind == "usage" and "Not yours" in stranger.card.title and not fake.requests
    bad = await core.submit(form.id, {"reason": "", "link": "x", "link2": "ftp://y"}, inv())
    assert bad.kind == "invalid" and set(bad.errors) == {"reason", "link", "link2"} and not fake.requests
    blamed = await core.submit(form.id, {"reason": "Five", "link": LINK, "link2": LINK}, inv())
    assert blamed.kind == "invalid" and blamed.errors == {"link2": "twice"} and blamed.status == 422
    assert fake.body() == {"server": {"id": "1", "name": "Wolves"}, "actor": {"id": "11", "name": "ann"},
                           "reason": "Five", "evidence": [LINK, LINK]}
    assert fake.requests[0].url.path == "/wars/zyo8/disputes"


OWLS = "811150000000000077"
PROFILE = {"name": "Wolves", "game": {"id": 4, "name": "Mini Militia"}, "season": {"number": 1, "name": "1"},
           "provisional": False, "rank": 1, "rating": 1500.0, "won": 1, "lost": 0, "drawn": 0, "streak": 1,
           "glory": 3, "recent": [], "pageUrl": "https://example.com/wolves"}


def _clans(request: httpx.Request) -> httpx.Response:
    if request.url.path == "/clans":  # searchClans: what the field suggests
        return httpx.Response(200, json={"items": [{"name": "Night Owls", "serverId": OWLS, "platform": "discord"}]})
    if request.url.path.endswith("/profile"):
        return httpx.Response(200, json=PROFILE)
    return httpx.Response(404, json={"title": "Not Found", "status": 404, "detail": "no such clan"})


async def test_a_field_with_suggestions_suggests_and_a_wrong_value_gets_did_you_mean(spec: BotSpec,
                                                                                  fake: FakeBackend) -> None:
    """The profile card's "Against a clan…" asks the opponent in a form whose field suggests
    clans (searchClans): a platform that searches in its form asks Core.form_suggestions; one
    that cannot gets the suggestions under the refused field (submit, or one field at a time)."""
    button = next(b for b in spec.command("profile").replies["200"].buttons if b.form is not None)  # type: ignore[union-attr]
    field = next(f for f in button.form.fields if f.autocomplete is not None)  # type: ignore[union-attr]
    fake.answer = _clans
    core = Core(spec, fake.client(), "discord")
    card = (await core.run("profile", {}, inv())).card
    opened = await core.click(next(b.custom_id for b in card.buttons if b.label == button.label), inv())
    form = opened.form
    assert opened.kind == "form" and form is not None
    assert [i.suggested for i in form.inputs] == [f.autocomplete is not None for f in button.form.fields]  # type: ignore[union-attr]
    found = await core.form_suggestions(form.id, field.name, "Night", inv())
    assert found == [(f"Night Owls ({OWLS})", OWLS)] and fake.requests[-1].url.params["search"] == "Night"
    assert await core.form_suggestions(form.id, "nope", "Night", inv()) == []
    sent = len(fake.requests)
    refused = await core.submit(form.id, {field.name: "Night Owls"}, inv())  # a name: the id's pattern refuses it
    assert refused.kind == "invalid" and f"Did you mean: {OWLS}: Night Owls ({OWLS})" in refused.errors[field.name]
    assert "Did you mean" in refused.card.description
    asked = await core.check_field(form.id, field.name, "Night Owls", inv())
    assert asked is not None and f"{OWLS}: Night Owls" in asked
    assert all(r.url.path == "/clans" for r in fake.requests[sent:])  # nothing but the search
    await core.submit(form.id, {field.name: OWLS}, inv())
    assert fake.requests[-1].url.path == f"/clans/1/head-to-head/{OWLS}"
