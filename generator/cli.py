"""`gmbot generate [--check]`: specs/commands.yaml + openapi.yaml -> generated/."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from generator.errors import SpecError, SpecErrors
from generator.pipeline import Config, check, render
from generator.writer import diff, write_new, write_tree


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="gmbot generate", description=__doc__)
    parser.add_argument("--check", action="store_true", help="write nothing; exit 1 with a diff when generated/ is stale")
    parser.add_argument("--validate", action="store_true", help="only check the sources")
    parser.add_argument("--spec", type=Path, default=Path("specs/commands.yaml"), help="the bot spec (default: %(default)s)")
    parser.add_argument("--openapi", type=Path, default=Path("openapi.yaml"), help="the REST contract (default: %(default)s)")
    parser.add_argument("--out", type=Path, default=Path("generated"), help="output package directory (default: %(default)s)")
    parser.add_argument("--package", default=None, help="import name of --out (default: its directory name)")
    parser.add_argument("--impl", type=Path, default=Path("backend_impl"), help="implementation package directory (default: %(default)s)")
    parser.add_argument("--impl-package", default=None, help="import name of --impl (default: its directory name)")
    parser.add_argument("--strict", action="store_true",
                        help="an operation without its function in --impl is an error, not a notice")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(list(sys.argv[1:] if argv is None else argv))
    config = Config(
        spec=args.spec,
        openapi=args.openapi,
        out=args.out,
        package=args.package or args.out.resolve().name,
        impl_dir=args.impl,
        impl_package=args.impl_package or args.impl.resolve().name,
    )
    out_name = config.display(config.out)
    try:
        checked = check(config)
        if args.validate:
            print(f"{config.display(config.spec)} and {config.display(config.openapi)} are valid")
            return 0
        output = render(config, checked)
        if args.strict and output.unimplemented:
            raise SpecErrors(output.unimplemented)
    except SpecErrors as exc:
        for error in exc.errors:
            print(error, file=sys.stderr)
        count = len(exc.errors)
        print(f"{count} error{'s' if count != 1 else ''}; {out_name}/ left unchanged", file=sys.stderr)
        return 1
    _notice(output.unimplemented, config.display(config.impl_dir))
    if args.check:
        text = diff(config.out, output.files, out_name)
        missing = [config.display(p) for p in output.stubs]
        if text or missing:
            sys.stdout.write(text)
            for name in missing:
                print(f"missing {name} (gmbot generate creates a stub)")
            print(f"{out_name}/ is stale: run `gmbot generate`", file=sys.stderr)
            return 1
        print(f"{out_name}/ is up to date")
        return 0
    changed = write_tree(config.out, output.files)
    for path, text in output.stubs.items():
        write_new(path, text)
        print(f"created stub {config.display(path)}")
    print(f"{out_name}/: {len(output.files)} files " + ("written" if changed else "up to date"))
    return 0


def _notice(unimplemented: list[SpecError], impl_name: str) -> None:
    if not unimplemented:
        return
    count = len(unimplemented)
    print(f"notice: {count} operation{'s have' if count != 1 else ' has'} no implementation in {impl_name}/ yet "
          "(--strict makes this an error):", file=sys.stderr)
    for error in unimplemented:
        print(f"  {error}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
