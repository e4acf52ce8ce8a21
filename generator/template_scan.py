"""What a card template uses, without rendering it: fixed text, names, `reply` fields.

Most card texts are plain text with `{{ name.attr }}` outputs: those are read with a
regular expression; anything else is parsed by Jinja2 (the sandboxed environment the
runtime renders with), which also reports syntax errors.
"""

from __future__ import annotations

import functools
import re

from jinja2 import nodes
from jinja2.sandbox import ImmutableSandboxedEnvironment

_ENV = ImmutableSandboxedEnvironment()
GLOBALS = frozenset(_ENV.globals)


_OUTPUT = re.compile(r"\{\{(.*?)\}\}", re.S)
_SIMPLE = re.compile(r"\s*([A-Za-z_]\w*)((?:\.[A-Za-z_]\w*|\['[^'\\]*'\])*)\s*")


def _analyse_simple(source: str) -> tuple[int, frozenset[str], frozenset[str]] | None:
    """The common case without parsing: text with `{{ name.attr['key'] }}` outputs only."""
    if "{%" in source or "{#" in source:
        return None
    static, names, attributes = len(source), set(), set()
    for output in _OUTPUT.finditer(source):
        simple = _SIMPLE.fullmatch(output.group(1))
        if simple is None:
            return None
        static -= len(output.group(0))
        names.add(simple.group(1))
        first = re.match(r"\.(\w+)|\['([^']*)'\]", simple.group(2))
        if simple.group(1) == "reply" and first:
            attributes.add(first.group(1) or first.group(2))
    rest = _OUTPUT.sub("", source)
    if "{{" in rest or "}}" in rest:
        return None
    return static, frozenset(names), frozenset(attributes)


@functools.lru_cache(maxsize=4096)
def analyse(source: str) -> tuple[int, frozenset[str], frozenset[str]]:
    """(characters of fixed text, names read but never set, attributes read from `reply`)."""
    simple = _analyse_simple(source)
    if simple is not None:
        return simple
    tree = _ENV.parse(source)
    static = sum(len(n.data) for n in tree.find_all(nodes.TemplateData))
    loaded: set[str] = set()
    stored: set[str] = set()
    for name in tree.find_all(nodes.Name):
        (stored if name.ctx in ("store", "param") else loaded).add(name.name)
    return static, frozenset(loaded - stored), frozenset(_reply_attributes(tree))


def _reply_attributes(tree: nodes.Template) -> set[str]:
    found = set()
    for node in tree.find_all((nodes.Getattr, nodes.Getitem)):
        if isinstance(node, nodes.Getattr) and _is_reply(node.node):
            found.add(node.attr)
        elif (isinstance(node, nodes.Getitem) and _is_reply(node.node)
              and isinstance(node.arg, nodes.Const) and isinstance(node.arg.value, str)):
            found.add(node.arg.value)
    return found


def _is_reply(node: nodes.Node) -> bool:
    return isinstance(node, nodes.Name) and node.name == "reply"
