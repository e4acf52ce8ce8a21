"""Load YAML keeping the line and column of every node, and refusing duplicate keys.

The common case (a valid file) is built straight from libyaml's node tree; positions
are only worked out, from the same tree, when an error has to be reported.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import yaml

from generator.errors import Path, SpecError, format_path

try:
    _Loader: type = yaml.CSafeLoader
except AttributeError:  # pragma: no cover - PyYAML without libyaml
    _Loader = yaml.SafeLoader

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_DUPLICATES = {"commands": "command", "options": "option", "events": "event", "replies": "reply status"}


@dataclass
class Document:
    """Plain data from one YAML file plus where each value (and mapping key) starts."""

    file: str
    text: str
    data: Any = None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    node: yaml.Node | None = None  # kept to work out positions when first needed

    def where(self, path: Path) -> tuple[int, int]:
        """The position of `path` (its key if it is a mapping entry), or of its nearest parent."""
        if self.node is not None and not self.values:
            _Builder(self, positions=True).build(self.node, ())
        while True:
            if path in self.keys:
                return self.keys[path]
            if path in self.values:
                return self.values[path]
            if not path:
                return (1, 1)
            path = path[:-1]

    def error(self, path: Path, message: str) -> SpecError:
        line, column = self.where(path)
        return SpecError(self.file, line, column, format_path(path), message)


class _KeyProblem(Exception):
    """A duplicate, merge or non-scalar key met on the fast path: build again with positions."""


class _Builder:
    def __init__(self, doc: Document, positions: bool) -> None:
        self.doc = doc
        self.positions = positions
        self.errors: list[SpecError] = []
        self.constructor = yaml.constructor.SafeConstructor()

    def scalar(self, node: yaml.Node) -> Any:
        return node.value if node.tag == _STR else self.constructor.construct_object(node, deep=True)

    def build(self, node: yaml.Node, path: Path) -> Any:
        if self.positions:
            self.doc.values[path] = _pos(node)
        if isinstance(node, yaml.MappingNode):
            return self.mapping(node, path)
        if isinstance(node, yaml.SequenceNode):
            return [self.build(item, (*path, i)) for i, item in enumerate(node.value)]
        return self.scalar(node)

    def mapping(self, node: yaml.MappingNode, path: Path) -> dict[str, Any]:
        result: dict[str, Any] = {}
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                if not self.positions:
                    raise _KeyProblem
                self.errors.append(self.doc.error(path, "YAML merge keys (<<) are not supported"))
                continue
            raw = self.scalar(key_node) if isinstance(key_node, yaml.ScalarNode) else None
            if raw is None:
                if not self.positions:
                    raise _KeyProblem
                self.errors.append(self.doc.error(path, "mapping keys must be scalars"))
                continue
            key = raw if isinstance(raw, str) else str(raw)
            child = (*path, key)
            if key in result:
                if not self.positions:
                    raise _KeyProblem
                what = _DUPLICATES.get(str(path[-1]) if path else "", "key")
                line, column = _pos(key_node)
                self.errors.append(SpecError(self.doc.file, line, column, format_path(child), f"duplicate {what} '{key}'"))
                continue
            if self.positions:
                self.doc.keys[child] = _pos(key_node)
            result[key] = self.build(value_node, child)
        return result


def load(file: str, text: str) -> tuple[Document, list[SpecError]]:
    doc = Document(file=file, text=text)
    try:
        node = yaml.compose(text, Loader=_Loader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, column = (mark.line + 1, mark.column + 1) if mark else (1, 1)
        problem = exc.problem or str(exc)
        return doc, [SpecError(file, line, column, "<root>", f"invalid YAML: {problem}")]
    except yaml.YAMLError as exc:
        return doc, [SpecError(file, 1, 1, "<root>", f"invalid YAML: {exc}")]
    if node is None:
        return doc, []
    doc.node = node
    try:
        doc.data = _Builder(doc, positions=False).build(node, ())
        return doc, []
    except _KeyProblem:
        builder = _Builder(doc, positions=True)
        doc.data = builder.build(node, ())
        return doc, builder.errors


def _pos(node: yaml.Node) -> tuple[int, int]:
    return node.start_mark.line + 1, node.start_mark.column + 1
