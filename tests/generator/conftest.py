"""Fixtures of the generator tests: fixture bots generated into importable temp packages."""

from __future__ import annotations

import itertools
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from generator.pipeline import render
from generator.writer import write_tree
from tests.generator.gen_support import HERE, fixture_config

_counter = itertools.count()
Generate = Callable[..., tuple[str, str, Path]]


@pytest.fixture
def generate_package(tmp_path: Path) -> Iterator[Generate]:
    """generate(bot, fake=None|"attendance"|"drifted") -> (package, impl_package, folder).

    The packages get unique names so several can be imported in one test session.
    """
    sys.path.insert(0, str(tmp_path))

    def generate(bot: str, fake: str | None = None) -> tuple[str, str, Path]:
        n = next(_counter)
        package, impl_package = f"gen_{bot}_{n}", f"impl_{bot}_{n}"
        impl_dir = tmp_path / impl_package
        impl_dir.mkdir()
        (impl_dir / "__init__.py").write_text("")
        if fake:
            for source, target in ((f"{fake}.py.txt", "attendance.py"), ("app_hooks.py.txt", "app_hooks.py")):
                text = (HERE / "fake_impl" / source).read_text().replace("{package}", package)
                (impl_dir / target).write_text(text.replace("{{", "{").replace("}}", "}"))
        output = render(fixture_config(bot, tmp_path / package, package, impl_dir, impl_package))
        write_tree(tmp_path / package, output.files)
        for path, text in output.stubs.items():
            path.write_text(text)
        return package, impl_package, tmp_path

    yield generate
    sys.path.remove(str(tmp_path))
    for name in [m for m in sys.modules if m.startswith(("gen_", "impl_"))]:
        del sys.modules[name]
