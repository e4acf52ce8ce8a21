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
