"""Regenerate the golden files: `.venv/bin/python -m tests.generator.regen [--bad-specs]`.

Writes tests/generator/golden/<bot>/ for every fixture bot. With --bad-specs it also
rewrites each tests/generator/bad_specs/<case>/expected.txt from the current messages:
read the diff before committing it.
"""

from __future__ import annotations

import sys

from generator.errors import SpecErrors
from generator.pipeline import check
from generator.writer import write_tree
from tests.generator.gen_support import BAD_SPECS, BOTS, GOLDEN, bad_spec_config, render_fixture


def main(argv: list[str]) -> int:
    for bot in BOTS:
        changed = write_tree(GOLDEN / bot, render_fixture(bot).files)
        print(f"golden/{bot}: {'rewritten' if changed else 'unchanged'}")
    if "--bad-specs" in argv:
        for case in sorted(p for p in BAD_SPECS.iterdir() if p.is_dir()):
            try:
                check(bad_spec_config(case))
                text = "<no error>\n"
            except SpecErrors as exc:
                text = "".join(f"{e}\n" for e in exc.errors)
            (case / "expected.txt").write_text(text, encoding="utf-8")
            print(f"bad_specs/{case.name}: {text.count(chr(10))} error(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
