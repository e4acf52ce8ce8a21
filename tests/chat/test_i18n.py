"""Localization in the chat core: which language, catalogs compiled and checked, cards and
built-in messages translated, values kept as data inside `{% trans %}` blocks, localized
command and flag names in prefix syntax, and a new locale added without touching code."""

from __future__ import annotations

import json
import logging
import shutil
from pathlib import Path

import httpx
import pytest

from generator import catalogs, yamlpos
from generator.cli import main as generate
from generator.i18n_cli import main as i18n
from gmbot.chat.cards import CardRenderer
from gmbot.chat.core import Core
from gmbot.chat.guard import guarded
from gmbot.chat.i18n import Catalog, Locales
from gmbot.chat.markup import DATA, END
from gmbot.chat.vocabulary import Invocation, Outcome, Person, Place
from gmbot.platforms import platform
from gmbot.service.shutdown import RESTARTING, RESTARTING_TITLE
from gmbot.spec.model import BotSettings, BotSpec, Card
from tests.support import ROOT

from .fakes import FakeBackend, war

LOCALES = ROOT / "generated" / "chat" / "locales"
HOSTILE = "@everyone [FREE GLORY](https://evil.example) **x** <@1>"


def shipped() -> Locales:
    return Locales.load(LOCALES)


def inv(locale: str | None = None) -> Invocation:
    return Invocation("discord", author=Person("11", "alice"), server=Place("1", "Wolves"),
                      channel=Place("5", "general"), id="m1", locale=locale)


def test_a_platform_locale_finds_the_nearest_catalog() -> None:
    locales = shipped()
    assert {"en", "es", "pt_BR"} <= set(locales.names())
    assert locales.match("es-ES") == "es" and locales.match("es-419") == "es"
    assert locales.match("pt-BR") == "pt_BR" and locales.match("pt") == "pt_BR" and locales.match("pt-br") == "pt_BR"
    assert locales.match("ko") is None and locales.match("") is None
    assert locales.choose("ko", "es") == "es"  # the person's has no catalog: the clan's
    assert locales.choose(None, None) == "en"


def test_plural_forms_follow_each_languages_rule() -> None:
    locales = shipped()
    es, pt = locales.catalog("es"), locales.catalog("pt_BR")
    one, many = "%(count)s glory point", "%(count)s glory points"
    assert es.ngettext(one, many, 1) == "%(count)s punto de gloria"
    assert es.ngettext(one, many, 0) == "%(count)s puntos de gloria"
    assert pt.ngettext(one, many, 0) == "%(count)s ponto de glória"  # Portuguese: 0 and 1 are singular
    assert pt.ngettext(one, many, 2) == "%(count)s pontos de glória"


def test_values_inside_trans_blocks_stay_data() -> None:
    es = Catalog("es", {"**%(name)s** won": "**%(name)s** ganó",
                        "%(count)s point": ["%(count)s punto", "%(count)s puntos"]})
    renderer = CardRenderer(BotSettings(name="x"), Locales([es]))
    card = Card(title="{% trans name=reply.name %}**{{ name }}** won{% endtrans %}",
                description="{% trans count=reply.n %}{{ count }} point{% pluralize %}{{ count }} points{% endtrans %}")
    rendered = renderer.render(card, {"reply": {"name": HOSTILE, "n": 3}}, "discord", "es")
    # the author's (translated) markup around a value marked as data: the hostile name is one span
    assert rendered.title == f"**{DATA}{HOSTILE}{END}** ganó"
    assert rendered.description == f"{DATA}3{END} puntos"
    # and on Discord, the name is escaped: no mention, no link, no bold of its own
    to_message = platform("discord").load(platform("discord").to_message)
    embed = to_message(rendered)["embeds"][0]
    assert "@\u200beveryone" in embed["title"] and "\\[FREE GLORY\\]" in embed["title"]
    assert embed["title"].startswith("**") and embed["title"].endswith("** ganó")


def test_a_card_text_is_translated_whole_with_its_values() -> None:
    es = Catalog("es", {"War {{ reply.id }} removed": "Guerra {{ reply.id }} retirada"})
    renderer = CardRenderer(BotSettings(name="x"), Locales([es]))
    card = Card(title="War {{ reply.id }} removed", color="#ffffff")
    assert renderer.render(card, {"reply": {"id": "ab12"}}, None, "es").title == f"Guerra {DATA}ab12{END} retirada"
    assert renderer.render(card, {"reply": {"id": "ab12"}}, None, "en").title == f"War {DATA}ab12{END} removed"
    assert renderer.render(card, {"reply": {"id": "ab12"}}, None, "fr").title.startswith("War")  # no catalog


async def test_replies_and_built_in_cards_speak_the_persons_language(spec: BotSpec) -> None:
    fake = FakeBackend()
    core = Core(spec, fake.client(), "discord", shipped())
    fake.answer = lambda request: httpx.Response(201, json=war())
    created = await core.run_prefix("createwar", "-players <@11> -game 4", inv("es-ES"), resolve_alice)
    assert created.card.title == f"Solicitud de guerra {DATA}zyo8{END} creada"
    assert [f.name for f in created.card.fields][:3] == ["Juego", "Formato", "Duración"]
    assert created.card.fields[2].value == f"{DATA}12 h{END}"
    usage = await core.run_prefix("createwar", "-game x", inv("pt-BR"))
    assert usage.card.fields[0].name == "Uso" and "@membro" in usage.card.fields[0].value
    assert usage.card.title == f"gmbot createwar: {DATA}falta a opção obrigatória -players{END}"
    bad = await core.run_prefix("createwar", "-players <@11> -game 4 -duration zz", inv("es"), resolve_alice)
    assert bad.card.title == (f"gmbot createwar: {DATA}-duration debe ser una duración como 12, 90m o 1.5h "
                              f"(horas por defecto), se recibió 'zz'{END}")  # nested words, each translated
    typo = await core.run_prefix("crearguera", "", inv("es"))
    assert typo.card.title == "Comando desconocido"
    assert "comando desconocido 'crearguera': ¿quisiste decir `gmbot createwar`?" in typo.card.description
    assert (await core.run_prefix("help", "", inv("es"))).card.title == "Comandos de Gmbot"
    fake.answer = lambda request: httpx.Response(503, json={"title": "down"})
    down = await core.run_prefix("games", "", inv("es"))
    assert down.card.title == "Algo salió mal"
    english = await core.run_prefix("games", "", inv(None))
    assert english.card.title == "Something went wrong"


async def test_the_clans_language_is_learned_from_its_events_and_replies(spec: BotSpec) -> None:
    fake = FakeBackend()
    core = Core(spec, fake.client(), "discord", shipped())
    event = {"id": 1, "type": "war.requested", "serverId": "1", "language": "pt_BR", "data": {"war": war()}}
    card = core.render_event(event)
    assert card is not None and card.title == "NOVO DESAFIO DE GUERRA DE CLÃS"
    fake.answer = lambda request: httpx.Response(200, json={"total": 0, "items": []})
    games = await core.run_prefix("games", "", inv(None))  # no locale from the platform: the clan's
    assert games.card.title == f"Jogos ({DATA}0{END})"


async def test_localized_command_and_flag_names_work_in_prefix_syntax(spec: BotSpec) -> None:
    fake = FakeBackend()
    core = Core(spec, fake.client(), "discord", shipped())
    fake.answer = lambda request: httpx.Response(201, json=war())
    outcome = await core.run_prefix("crearguerra", "-jugadores <@11> -juego 4 -duracion 2h", inv("es"), resolve_alice)
    assert outcome.kind == "reply", outcome.card
    assert fake.body()["game"] == 4 and fake.body()["duration"] == 2
    outcome = await core.run_prefix("criarguerra", "-jogadores <@11> -jogo 4", inv(None), resolve_alice)
    assert outcome.kind == "reply" and fake.body()["game"] == 4


async def resolve_alice(token: str) -> Person | None:
    return Person("11", "alice") if token == "<@11>" else None


# -- catalogs: made, checked, compiled ----------------------------------------------------
def project(tmp_path: Path) -> Path:
    """A copy of the application's sources (spec, OpenAPI, catalogs) to change freely."""
    (tmp_path / "specs").mkdir()
    shutil.copy(ROOT / "specs" / "commands.yaml", tmp_path / "specs" / "commands.yaml")
    shutil.copytree(ROOT / "specs" / "locales", tmp_path / "specs" / "locales")
    shutil.copy(ROOT / "openapi.yaml", tmp_path / "openapi.yaml")
    return tmp_path


def run_generate(root: Path) -> int:
    return generate(["--spec", str(root / "specs" / "commands.yaml"), "--openapi", str(root / "openapi.yaml"),
                     "--out", str(root / "generated"), "--impl", str(ROOT / "backend_impl")])


async def test_a_new_locale_is_a_catalog_and_no_code(tmp_path: Path, spec: BotSpec) -> None:
    root = project(tmp_path)
    spec_file = str(root / "specs" / "commands.yaml")
    assert i18n(["update", "--spec", spec_file, "--init", "fr"]) == 0
    po = root / "specs" / "locales" / "fr" / "LC_MESSAGES" / "gmbot.po"
    text = po.read_text(encoding="utf-8")
    for source, french in (("War request {{ reply.id }} created", "Demande de guerre {{ reply.id }} créée"),
                           ("Game", "Jeu")):
        text = text.replace(f'msgid "{source}"\nmsgstr ""', f'msgid "{source}"\nmsgstr "{french}"')
    po.write_text(text, encoding="utf-8")
    assert i18n(["check", "--spec", spec_file]) == 1  # French is far from complete: said, not hidden
    assert run_generate(root) == 0
    locales = Locales.load(root / "generated" / "chat" / "locales")
    assert "fr" in locales.names() and locales.match("fr-FR") == "fr"
    fake = FakeBackend()
    core = Core(spec, fake.client(), "discord", locales)
    fake.answer = lambda request: httpx.Response(201, json=war())
    created = await core.run_prefix("createwar", "-players <@11> -game 4", inv("fr"), resolve_alice)
    assert created.card.title == f"Demande de guerre {DATA}zyo8{END} créée"
    assert created.card.fields[0].name == "Jeu" and created.card.fields[1].name == "Format"  # untranslated: English
    commands = json.loads((root / "generated" / "discord" / "commands.json").read_text())["commands"]
    assert all("fr" not in (c.get("name_localizations") or {}) for c in commands)  # no French names given


@pytest.mark.parametrize(("source", "broken", "message"), [
    ("War request {{ reply.id }} created", "Solicitud {{ reply.war }} creada",
     "the translation drops the value {{ reply.id }}"),
    ("War request {{ reply.id }} created", "Solicitud {{ reply.id creada", "template error in the translation"),
    ("%(name)s is now available for wars", "%(nombre)s está disponible", "drops the placeholder 'name'"),
    ("{bot}'s service is not answering right now. Please try again in a minute.", "El servicio no responde.",
     "drops the placeholder 'bot'"),
    ("Create a war request, broadcast to the clans subscribed to the game", "x" * 101,
     "101 characters of fixed text, Discord allows 100"),
    ("NEW WAR REQUEST", "y" * 151, "151 characters of fixed text, Slack allows 150"),
    # a menu entry's name, shown on a member (Discord: 32) and on a message (Slack's shortcut: 24)
    ("Clan profile", "Perfil del clan de este miembro", "31 characters of fixed text, Slack allows 24"),
])
def test_a_broken_translation_is_reported_at_its_line(tmp_path: Path, source: str, broken: str, message: str,
                                                       capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    po = root / "specs" / "locales" / "es" / "LC_MESSAGES" / "gmbot.po"
    lines = po.read_text(encoding="utf-8").splitlines()
    at = lines.index(f'msgid "{source}"')
    lines[at + 1] = f'msgstr "{broken}"'
    po.write_text("\n".join(lines) + "\n", encoding="utf-8")
    assert run_generate(root) == 1
    err = capsys.readouterr().err
    where = f"specs/locales/es/LC_MESSAGES/gmbot.po:{at + 1}:"
    assert any(where in line and message in line for line in err.splitlines()), err
    assert not (root / "generated").exists()  # nothing written


def test_a_localized_command_name_a_platform_refuses_is_reported(tmp_path: Path,
                                                                 capsys: pytest.CaptureFixture[str]) -> None:
    root = project(tmp_path)
    po = root / "specs" / "locales" / "es" / "LC_MESSAGES" / "gmbot.po"
    po.write_text(po.read_text(encoding="utf-8").replace('msgstr "crearguerra"', 'msgstr "Crear Guerra"'), encoding="utf-8")
    assert run_generate(root) == 1
    assert "'Crear Guerra' cannot be a name on Discord" in capsys.readouterr().err


def test_the_template_holds_every_text_of_the_spec_and_the_library() -> None:
    doc, errors = yamlpos.load("specs/commands.yaml", (ROOT / "specs" / "commands.yaml").read_text(encoding="utf-8"))
    assert not errors
    pot = catalogs.template(doc)
    spec = doc.data
    for name, command in spec["commands"].items():
        assert pot.get(name, context="command") is not None
        assert pot.get(command["description"]) is not None
        for option_name, option in (command.get("options") or {}).items():
            assert pot.get(option_name, context="option") is not None and pot.get(option["description"]) is not None
    for library in ("Service unavailable", "Usage", "Not accepted", "must be at most {x}"):
        assert pot.get(library) is not None, library
    assert pot.get(("%(count)s glory point", "%(count)s glory points")) is not None  # a plural
    for locale in ("es", "pt_BR"):  # the shipped catalogs are complete and current
        report = {r.locale: r for r in catalogs.progress(ROOT / "specs" / "locales")}[locale]
        assert report.missing == [] and report.fuzzy == []
        shipped_ids = {m.id if isinstance(m.id, str) else m.id[0] for m in
                       catalogs.read_catalog(catalogs.po_path(ROOT / "specs" / "locales", locale)) if m.id}
        assert {m.id if isinstance(m.id, str) else m.id[0] for m in pot if m.id} <= shipped_ids


def test_words_inside_expressions_without_gettext_are_found() -> None:
    spec = (ROOT / "specs" / "commands.yaml").read_text(encoding="utf-8")
    assert catalogs.untranslatable(yamlpos.load("specs/commands.yaml", spec)[0]) == []  # Gmbot marks them all
    text = ("commands:\n  c:\n    replies:\n      '200':\n        title: \"{{ reply.x or 'nothing here' }} "
            "{{ _('fine') }} {{ 'a' if x == 'closed' else '' }} {{ '%.1f' | format(1) }} {{ reply['items'] }}\"\n")
    (line,) = catalogs.untranslatable(yamlpos.load("x.yaml", text)[0])
    assert line.startswith("x.yaml:5: ") and "'nothing here'" in line and "fine" not in line and "closed" not in line


async def test_notices_outside_a_command_speak_the_readers_language(spec: BotSpec) -> None:
    """A bug's card (`guarded`) and the refusal while restarting (read before any invocation
    exists: the person's tag, else the clan's language) come from the reader's catalog."""
    fake = FakeBackend()
    core = Core(spec, fake.client(), "discord", shipped())

    async def bug() -> Outcome:
        raise KeyError("x")

    failed = await guarded(logging.getLogger("gmbot.test"), core, bug(), core.words(inv("es-419")))
    assert (failed.card.title, failed.card.description) == (
        "Algo salió mal", "El bot tuvo un error inesperado; quedó registrado.")
    assert core.reader_words("pt-BR", None).gettext(RESTARTING) == "O bot está reiniciando; tente de novo em um minuto."
    assert core.reader_words(None, "1").gettext(RESTARTING) == RESTARTING  # a clan of unknown language: English
    core.learn_language("1", "es")
    assert core.reader_words(None, "1").gettext(RESTARTING_TITLE) == "Vuelve a intentarlo pronto"


def test_a_translation_that_overruns_discords_command_budget_is_reported(tmp_path: Path,
                                                                          capsys: pytest.CaptureFixture[str]) -> None:
    """Discord counts each text of a registration at its longest localization: a command whose
    English fits its 8000 characters can be pushed over by its translations."""
    root = project(tmp_path)
    spec_file = root / "specs" / "commands.yaml"
    options = "".join(
        f"      {letter}: {{type: choice, description: Pick one, choices: ["
        + ", ".join(f'{{name: "Pick {letter} {i:02}", value: {i}}}' for i in range(1, 26)) + "]}\n"
        for letter in "abcd")
    spec_file.write_text(spec_file.read_text(encoding="utf-8").replace("\ncommands:\n", (
        "\ncommands:\n  menu:\n    description: A command of many choices\n    operation: listGames\n"
        f"    options:\n{options}    request:\n      query: {{limit: $a, offset: $b}}\n"), 1), encoding="utf-8")
    assert i18n(["update", "--spec", str(spec_file)]) == 0
    assert run_generate(root) == 0  # in English it fits
    po = root / "specs" / "locales" / "es" / "LC_MESSAGES" / "gmbot.po"
    text = po.read_text(encoding="utf-8")
    for letter in "abcd":
        for i in range(1, 26):
            spanish = f"Elección {letter} {i:02} ".ljust(100, "x")
            text = text.replace(f'msgid "Pick {letter} {i:02}"\nmsgstr ""', f'msgid "Pick {letter} {i:02}"\nmsgstr "{spanish}"')
    po.write_text(text, encoding="utf-8")
    shutil.rmtree(root / "generated")
    assert run_generate(root) == 1
    err = capsys.readouterr().err
    line = spec_file.read_text(encoding="utf-8").splitlines().index("  menu:") + 1
    assert f"specs/commands.yaml:{line}:" in err and "counting each at its longest translation (es for 100)" in err, err
    assert "Discord allows 8000 per command" in err
    assert not (root / "generated").exists()  # nothing written
