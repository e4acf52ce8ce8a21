"""What a card template uses, without rendering it: fixed text, names, `reply` fields.

Most card texts are plain text with `{{ name.attr }}` outputs: those are read with a
regular expression (they cannot hold a syntax error or a filter); anything else is
parsed and compiled by Jinja2 in the environment the runtime renders with
(`gmbot.chat.templating.card_environment`), which reports syntax errors and unknown
filters and tests as `TemplateSyntaxError`.
"""

from __future__ import annotations

import difflib
import functools
import re
from typing import Any

from jinja2 import TemplateAssertionError, TemplateSyntaxError, nodes
from jinja2.runtime import LoopContext

from gmbot.chat.templating import CARD_FILTERS, card_environment

_ENV = card_environment()
GLOBALS = frozenset(_ENV.globals)


_OUTPUT = re.compile(r"\{\{(.*?)\}\}", re.S)
_SIMPLE = re.compile(r"\s*([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\['[^'\\]*'\])*)\s*")


Chain = tuple[str, ...]  # a name and the attributes read from it: ("reply", "host", "players")
Analysis = tuple[int, frozenset[str], frozenset[Chain]]
_STEP = re.compile(r"\.(\w+)|\['([^']*)'\]")


def _analyse_simple(source: str) -> Analysis | None:
    """The common case without parsing: text with `{{ name.attr['key'] }}` outputs only."""
    if "{%" in source or "{#" in source:
        return None
    static = len(source)
    names: set[str] = set()
    chains: set[Chain] = set()
    for output in _OUTPUT.finditer(source):
        simple = _SIMPLE.fullmatch(output.group(1))
        if simple is None:
            return None
        static -= len(output.group(0))
        names.add(simple.group(1))
        chain = tuple(a or b for a, b in _STEP.findall(simple.group(2)))
        chains.update((simple.group(1), *chain[:k]) for k in range(1, len(chain) + 1))  # as Jinja does
    rest = _OUTPUT.sub("", source)
    if "{{" in rest or "}}" in rest:
        return None
    return static, frozenset(names), frozenset(chains)


@functools.lru_cache(maxsize=4096)
def analyse(source: str) -> Analysis:
    """(characters of fixed text, names read but never set, attribute chains read from names)."""
    simple = _analyse_simple(source)
    if simple is not None:
        return simple
    tree = _ENV.parse(source)
    _check_names(tree)
    # Compiling catches what only the compiler checks (e.g. a block defined twice), as in the runtime.
    _ENV.compile(tree)
    static = sum(len(n.data) for n in tree.find_all(nodes.TemplateData))
    loaded: set[str] = set()
    stored: set[str] = set()
    for name in tree.find_all(nodes.Name):
        (stored if name.ctx in ("store", "param") else loaded).add(name.name)
    return static, frozenset(loaded - stored), frozenset(_chains(tree, loaded - stored))


# `reply.items` in Jinja is the dict's items() method, not the field `items` (Jinja tries the
# attribute before the key): the field must be read as reply['items'].
DICT_METHODS = frozenset(name for name in dir(dict) if not name.startswith("_"))
_METHOD_READ = re.compile(r"\.\s*(?:" + "|".join(sorted(DICT_METHODS)) + r")\b")


@functools.lru_cache(maxsize=4096)
def method_reads(source: str) -> frozenset[Chain]:
    """Chains whose last step is `.items`, `.keys`, `.values`... read with a dot and not called.

    Call after `analyse` succeeded (the source parses)."""
    if _METHOD_READ.search(source) is None:  # the common case: no parsing
        return frozenset()
    tree = _ENV.parse(source)
    called = {id(call.node) for call in tree.find_all(nodes.Call)}
    chains = set()
    for node in tree.find_all(nodes.Getattr):
        if node.attr in DICT_METHODS and id(node) not in called:
            chain = _chain(node)
            if chain:
                chains.add(chain)
    return frozenset(chains)


def _check_names(tree: nodes.Template) -> None:
    """Unknown filters and tests: Jinja's compiler lets them pass inside `{% if %}` (it defers
    them to run time there), so every Filter and Test node is looked up here."""
    for node in tree.find_all((nodes.Filter, nodes.Test)):
        is_filter = isinstance(node, nodes.Filter)
        known = _ENV.filters if is_filter else _ENV.tests
        if node.name not in known:
            kind = "filter" if is_filter else "test"
            close = difflib.get_close_matches(node.name, known, n=1)
            hint = f"did you mean '{close[0]}'? " if close else ""
            extra = f"card filters: {', '.join(sorted(CARD_FILTERS))}, and Jinja's built-in ones" if is_filter \
                else "Jinja's built-in tests"
            raise TemplateAssertionError(f"unknown {kind} '{node.name}' ({hint}{extra})", node.lineno)


def _chains(tree: nodes.Template, free: set[str]) -> set[Chain]:
    called = {id(call.node) for call in tree.find_all(nodes.Call)}  # reply.get(...): a method
    chains = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        chain = _chain(node)
        if chain and chain[0] in free and id(node) not in called:
            chains.add(chain)
    return chains


def _chain(node: nodes.Node) -> Chain | None:
    """`reply.a['b'].c` -> ("reply", "a", "b", "c"); None when a step is not a constant."""
    steps: list[str] = []
    while True:
        if isinstance(node, nodes.Getattr):
            steps.append(node.attr)
        elif isinstance(node, nodes.Getitem) and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
            steps.append(node.arg.value)
        elif isinstance(node, nodes.Name) and steps:
            return (node.name, *reversed(steps))
        else:
            return None
        node = node.node


# ---- what the sandbox refuses -------------------------------------------------------------
# The sandbox answers an unsafe attribute (`__class__`, `mro`, `func_globals`, a list's
# `append` in the immutable sandbox...) with an undefined value, which renders as nothing: a
# card would silently lose the text. So every attribute a template names is asked of the
# sandbox, on one value of each kind a reply or the context can hold, at generate time.
def _generator() -> Any:
    yield 0


async def _coroutine() -> None:  # pragma: no cover - never awaited, only inspected
    return None


def _samples() -> list[Any]:
    coroutine = _coroutine()
    coroutine.close()
    made_by: dict[str, Any] = dict(_ENV.globals)
    made = [LoopContext(iter([1]), _ENV.undefined), made_by["cycler"](1), made_by["joiner"](),
            made_by["namespace"]()]  # `loop` and what the globals make
    return ["", {}, [], (), set(), 0, 0.5, True, None, _generator(), coroutine, _samples, "".upper, str, object(),
            *made, *_ENV.globals.values()]


_SAMPLES = _samples()
# filters whose `attribute` argument the sandbox reads from each item (`map(attribute='x.y')`)
_ATTRIBUTE_FILTERS = frozenset({"map", "sort", "groupby", "selectattr", "rejectattr", "sum", "unique", "min",
                                "max", "join", "dictsort"})


_DUNDER = re.compile(r"__\w+__")


@functools.lru_cache(maxsize=1024)
def unsafe(attribute: str) -> bool:
    """Whether the sandbox refuses `x.attribute` for some value `x` a template may meet (a
    dunder always; `reply._links` is fine: no value has that attribute, so the key is read)."""
    if _DUNDER.fullmatch(attribute):
        return True  # on every value
    for value in _SAMPLES:
        try:
            found = getattr(value, attribute)
        except AttributeError:
            continue
        if not _ENV.is_safe_attribute(value, attribute, found):
            return True
    return False


@functools.lru_cache(maxsize=4096)
def unsafe_reads(source: str) -> tuple[str, ...]:
    """The attributes `source` reads that the sandbox refuses, in order of appearance
    (call after `analyse` succeeded: the source parses)."""
    if "{" not in source:
        return ()
    tree = _ENV.parse(source)
    # `x.name` and `x|attr('name')` read the attribute first; `x['name']` and `attribute=`
    # read the key first, and fall back to the attribute only when there is no such key
    attributes: list[str] = []
    keys: list[str] = []
    for node in tree.find_all((nodes.Getattr, nodes.Getitem, nodes.Filter)):
        if isinstance(node, nodes.Getattr):
            attributes.append(node.attr)
        elif isinstance(node, nodes.Getitem):
            if isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str):
                keys.append(node.arg.value)
        elif not isinstance(node, nodes.Filter):
            continue
        elif node.name == "attr" and node.args and isinstance(node.args[0], nodes.Const):
            attributes.append(str(node.args[0].value))
        elif node.name in _ATTRIBUTE_FILTERS:
            for keyword in node.kwargs:
                if keyword.key == "attribute" and isinstance(keyword.value, nodes.Const):
                    keys += str(keyword.value.value).split(".")
    found = [n for n in attributes if unsafe(n)] + [k for k in keys if _DUNDER.fullmatch(k)]
    return tuple(dict.fromkeys(found))


# filters that keep a list's items as they are: `each: reply['items'] | reverse` repeats items
_SAME_ITEMS = frozenset({"reverse", "sort", "unique", "list", "select", "reject", "selectattr", "rejectattr"})


@functools.lru_cache(maxsize=1024)
def each_literal(each: str) -> str | None:
    """What an `each:` written as a literal is when it is no list (`'abc'` -> "a string")."""
    try:
        tree = _ENV.parse("{{ " + each + " }}")
    except TemplateSyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output) or len(tree.body[0].nodes) != 1:
        return None
    node = tree.body[0].nodes[0]
    if isinstance(node, nodes.Dict):
        return "a mapping"
    if isinstance(node, nodes.Const):
        value = node.value
        return "a text" if isinstance(value, str) else "nothing" if value is None else \
            "a boolean" if isinstance(value, bool) else "a number"
    return None


@functools.lru_cache(maxsize=1024)
def each_chain(each: str) -> Chain | None:
    """The name and attributes an `each:` expression lists (`reply['items'] | reverse` ->
    ("reply", "items")); None when it is no such plain read."""
    try:
        tree = _ENV.parse("{{ " + each + " }}")
    except TemplateSyntaxError:
        return None
    if len(tree.body) != 1 or not isinstance(tree.body[0], nodes.Output) or len(tree.body[0].nodes) != 1:
        return None
    node = tree.body[0].nodes[0]
    while isinstance(node, nodes.Filter) and node.name in _SAME_ITEMS and node.node is not None:
        node = node.node
    if isinstance(node, nodes.Name):
        return (node.name,)
    return _chain(node)


def command_calls(source: str) -> list[tuple[str | None, list[str]]]:
    """The command references of a template (`command('accept', war=...)`): each one's
    command name (None when it is not a literal string) and option names."""
    if "command" not in source:
        return []
    try:
        tree = _ENV.parse(source)
    except TemplateAssertionError:
        return []
    calls = []
    for call in tree.find_all(nodes.Call):
        if isinstance(call.node, nodes.Name) and call.node.name == "command":
            first = call.args[0] if call.args else None
            name = first.value if isinstance(first, nodes.Const) and isinstance(first.value, str) else None
            calls.append((name, [keyword.key for keyword in call.kwargs]))
    return calls
