"""The regex fast path of template_scan agrees with Jinja2's parse wherever it answers."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from jinja2 import nodes

from generator import template_scan
from tests.generator.gen_support import BAD_SPECS, FIXTURES, ROOT


def _texts(value: Any) -> Iterator[str]:
    if isinstance(value, dict):
        for item in value.values():
            yield from _texts(item)
    elif isinstance(value, list):
        for item in value:
            yield from _texts(item)
    elif isinstance(value, str) and "{" in value:
        yield value


def _templates() -> list[str]:
    found: set[str] = set()
    for path in [*FIXTURES.glob("*/commands.yaml"), *BAD_SPECS.glob("*/commands.yaml"), ROOT / "specs" / "commands.yaml"]:
        try:
            found.update(_texts(yaml.safe_load(path.read_text())))
        except (OSError, yaml.YAMLError):
            continue
    return sorted(found)


def _by_jinja(source: str) -> tuple[int, frozenset[str], frozenset[tuple[str, ...]]]:
    tree = template_scan._ENV.parse(source)
    static = sum(len(n.data) for n in tree.find_all(nodes.TemplateData))
    names = frozenset(n.name for n in tree.find_all(nodes.Name))
    return static, names, frozenset(template_scan._chains(tree, set(names)))


@pytest.mark.parametrize("source", [t for t in _templates() if template_scan._analyse_simple(t) is not None])
def test_fast_path_matches_jinja(source: str) -> None:
    assert template_scan._analyse_simple(source) == _by_jinja(source)


def test_chains() -> None:
    _, names, chains = template_scan.analyse("{% for p in reply.host['players'] %}{{ p.name }}{% endfor %}{{ reply.get('x') }}")
    assert names == {"reply"}
    assert chains == {("reply", "host", "players"), ("reply", "host")}


def test_method_reads_are_dot_reads_of_dict_methods_not_calls() -> None:
    assert template_scan.method_reads("{{ reply['items'] }} {{ reply.get('x') }} {{ reply.total }}") == frozenset()
    assert template_scan.method_reads("{{ reply.items }} {% for k in item.page.keys %}{{ k }}{% endfor %}") == {
        ("reply", "items"), ("item", "page", "keys")}
    assert template_scan.method_reads("{{ reply.items() }}") == frozenset()
