"""`gmbot i18n`: the translator's commands (docs/i18n.md).

  extract   write the catalog template (specs/locales/gmbot.pot) from the spec and the library
  update    merge the template into every locale's catalog, keeping translations
            (`--init LOCALE` starts a new locale from the template)
  check     per locale: what is missing or fuzzy, and every broken translation (exit 1 if any)

The compiled catalogs are written by `gmbot generate` (generated/chat/locales/), never by hand.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from babel.core import Locale, UnknownLocaleError

from generator import catalogs, yamlpos
from generator.errors import SpecErrors


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmbot i18n", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("action", choices=("extract", "update", "check"))
    parser.add_argument("--spec", type=Path, default=Path("specs/commands.yaml"), help="the bot spec (default: %(default)s)")
    parser.add_argument("--locales", type=Path, default=None,
                        help="the catalogs' directory (default: locales/ beside the spec)")
    parser.add_argument("--init", metavar="LOCALE", help="update: start a catalog for a new locale (e.g. fr, de, pt_BR)")
    parser.add_argument("--verbose", action="store_true", help="check: list every missing and fuzzy message")
    return parser


def _document(spec: Path) -> yamlpos.Document:
    try:
        text = spec.read_text(encoding="utf-8")
    except OSError as error:
        raise SystemExit(f"cannot read {spec}: {error}") from None
    doc, errors = yamlpos.load(spec.as_posix(), text)
    if errors:
        raise SpecErrors(errors)
    return doc


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    directory: Path = args.locales or catalogs.locales_dir(args.spec)
    try:
        doc = _document(args.spec)
    except SpecErrors as errors:
        for error in errors.errors:
            print(error, file=sys.stderr)
        return 1
    if args.action == "check":
        return _check(directory, doc, args.verbose)
    pot = catalogs.template(doc)
    pot_path = directory / f"{catalogs.DOMAIN}.pot"
    catalogs.write_catalog(pot, pot_path)
    print(f"{pot_path}: {len(pot)} messages")
    if args.action == "update":
        if args.init:
            try:
                Locale.parse(args.init)
            except (ValueError, UnknownLocaleError) as error:
                print(f"unknown locale {args.init!r}: {error}", file=sys.stderr)
                return 2
            path = catalogs.po_path(directory, args.init)
            if path.exists():
                print(f"{path} exists already: `gmbot i18n update` merges into it", file=sys.stderr)
                return 2
            fresh = catalogs.template(doc)
            fresh.locale = Locale.parse(args.init)
            catalogs.write_catalog(fresh, path)
            print(f"{path}: started ({len(fresh)} messages to translate)")
        for line in catalogs.update(pot, directory):
            print(line)
    return 0


def _check(directory: Path, doc: yamlpos.Document, verbose: bool) -> int:
    failed = False
    for report in catalogs.progress(directory):
        done = report.total - len(report.missing) - len(report.fuzzy)
        print(f"{report.locale}: {done}/{report.total} translated, {len(report.missing)} missing, "
              f"{len(report.fuzzy)} fuzzy")
        for label in report.missing if verbose else report.missing[:10]:
            print(f"  missing: {label}")
        for label in report.fuzzy if verbose else report.fuzzy[:10]:
            print(f"  fuzzy:   {label}")
        failed |= bool(report.missing or report.fuzzy)
    _, errors = catalogs.compile_catalogs(directory, doc, directory.as_posix())
    for error in errors:
        print(error)
    unseen = catalogs.untranslatable(doc)  # words of the spec no catalog can hold
    for line in unseen:
        print(line)
    failed |= bool(unseen)
    if not catalogs.shipped(directory):
        print(f"no catalogs in {directory} (start one: gmbot i18n update --init es)")
    return 1 if failed or errors else 0


if __name__ == "__main__":
    sys.exit(main())
