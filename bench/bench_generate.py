"""Benchmark `gmbot generate` (issue 2, section 6) and record it in docs/benchmarks.md.

    .venv/bin/python bench/bench_generate.py [--rounds 11] [--no-write]

1. On the Gmbot spec pair: the whole generator against datamodel-code-generator alone on the
   same openapi.yaml, interleaved in the same run; in-process (warm imports) and as fresh
   processes (what `gmbot generate` costs from a shell). Target: ratio <= 1.5.
2. A synthetic spec of 100 commands (and 100 operations): under 3 s as a fresh process.
3. `--check` against generating into an empty folder: `--check` must be no slower.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import os
import platform
import resource
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from bench.docs_section import replace_section  # noqa: E402
from generator import cli, template_scan  # noqa: E402
from generator.models_gen import generate_models  # noqa: E402
from generator.pipeline import Config, render  # noqa: E402

PY = sys.executable


def _sources() -> tuple[Path, Path]:
    spec, api = ROOT / "specs" / "commands.yaml", ROOT / "openapi.yaml"
    if spec.exists() and api.exists():
        return spec, api
    fixture = ROOT / "tests" / "generator" / "fixtures" / "gmbot"
    return fixture / "commands.yaml", fixture / "openapi.yaml"


def _cpu() -> float:
    """CPU seconds of this process and of its finished children: what the work costs,
    whatever else the machine is busy with (wall time is reported beside it)."""
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


def _time(fn: Callable[[], object]) -> tuple[float, float]:
    cpu, wall = _cpu(), time.perf_counter()
    fn()
    return _cpu() - cpu, time.perf_counter() - wall


class Timing:
    def __init__(self, samples: list[tuple[float, float]]) -> None:
        self.cpu = statistics.median(s[0] for s in samples)
        self.wall = statistics.median(s[1] for s in samples)

    def __str__(self) -> str:
        return f"{self.cpu:.3f} s ({self.wall:.3f} s)"


def _interleaved(rounds: int, **fns: Callable[[], object]) -> dict[str, Timing]:
    """Median CPU and wall seconds of each function, run in turn in every round."""
    samples: dict[str, list[tuple[float, float]]] = {name: [] for name in fns}
    for fn in fns.values():
        fn()  # warm-up: imports, compiled templates
    for round_ in range(rounds):
        order = list(fns.items())
        for name, fn in order if round_ % 2 == 0 else reversed(order):  # cancel drift in load
            samples[name].append(_time(fn))
    return {name: Timing(values) for name, values in samples.items()}


def _quiet(argv: list[str]) -> Callable[[], int]:
    def run() -> int:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            return cli.main(argv)

    return run


def _process(code: str, cwd: Path) -> Callable[[], object]:
    return lambda: subprocess.run([PY, "-c", code], cwd=cwd, check=True, capture_output=True)


def _fresh_generate_code(args: list[str], tmp: Path) -> str:
    """`gmbot generate` in a new process, into a new empty folder (nothing to reuse)."""
    return (
        "import sys, tempfile; from generator.cli import main\n"
        f"out = tempfile.mkdtemp(dir={str(tmp)!r}) + '/generated'\n"
        f"sys.exit(main({args!r} + ['--out', out]))"
    )


def bench_gmbot(rounds: int, tmp: Path) -> list[str]:
    spec, api = _sources()
    text = api.read_text(encoding="utf-8")
    config = Config(spec=spec, openapi=api, out=tmp / "gmbot_out", root=ROOT, impl_dir=ROOT / "backend_impl")

    def whole() -> object:
        template_scan.analyse.cache_clear()  # no help from a previous round
        return render(config)

    warm = _interleaved(rounds, dmcg=lambda: generate_models(text), generate=whole)
    # the same datamodel-code-generator call the generator makes (same options), nothing else
    dmcg_code = f"from generator.models_gen import generate_models; generate_models(open({str(api)!r}).read())"
    gen_code = _fresh_generate_code(["--spec", str(spec), "--openapi", str(api)], tmp)
    cold = _interleaved(max(3, rounds // 2), dmcg=_process(dmcg_code, ROOT), generate=_process(gen_code, ROOT))
    rows = [
        f"Sources: `{spec.relative_to(ROOT)}` + `{api.relative_to(ROOT)}` ({len(text) // 1024} KiB).",
        "",
        "| measure | datamodel-code-generator alone | `gmbot generate` | ratio, CPU (wall) (target <= 1.5) |",
        "|---|---|---|---|",
        f"| in-process, warm imports (median of {rounds}) | {warm['dmcg']} | {warm['generate']}"
        f" | {_ratio(warm['generate'], warm['dmcg'])} |",
        f"| fresh process, `python -c` (median of {max(3, rounds // 2)}) | {cold['dmcg']}"
        f" | {cold['generate']} | {_ratio(cold['generate'], cold['dmcg'])} |",
    ]
    return rows


def _ratio(a: Timing, b: Timing) -> str:
    return f"**{a.cpu / b.cpu:.2f}** ({a.wall / b.wall:.2f})"


def synthetic(folder: Path, count: int = 100) -> tuple[Path, Path]:
    """A spec of `count` commands, each with 4 options, a body and a card, and its OpenAPI."""
    folder.mkdir(parents=True, exist_ok=True)
    api = ["openapi: 3.0.3", "info: {title: Synthetic, version: '1'}", "security: [{ApiKeyAuth: []}]", "paths:"]
    spec = ["version: 1", "bot: {name: Synthetic, client: SYNTH}", "commands:"]
    for i in range(count):
        api += [
            f"  /things{i}/{{thingId}}:",
            "    post:",
            f"      operationId: doThing{i}",
            f"      tags: [group{i % 10}]",
            "      parameters:",
            "        - {name: thingId, in: path, required: true, schema: {type: string}}",
            "        - {name: client, in: header, required: true, schema: {type: string}}",
            f"      requestBody: {{required: true, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Body{i}'}}}}}}}}",
            f"      responses: {{'200': {{description: ok, content: {{application/json: {{schema: {{$ref: '#/components/schemas/Thing{i}'}}}}}}}}}}",
        ]
        spec += [
            f"  thing{i}:",
            f"    description: Do thing number {i}",
            f"    operation: doThing{i}",
            f"    aliases: [t{i}]",
            "    options:",
            "      name: {type: string, description: A name, required: true, max_length: 50}",
            "      count: {type: integer, description: How many, min: 1, max: 10}",
            "      who: {type: users, description: Who takes part}",
            "      mode: {type: choice, description: Mode, choices: [{name: Fast, value: fast}, {name: Slow, value: slow}]}",
            "    request:",
            "      path: {thingId: $server.id}",
            "      body: {server: $server, actor: $author, name: $name, count: $count, who: $who, mode: $mode}",
            "    replies:",
            "      '200':",
            "        title: '{{ reply.name }} done'",
            "        fields:",
            "          - {name: Count, value: '{{ reply.count }}', inline: true}",
            "          - {each: reply.who, name: '{{ item.name }}', value: '{{ item.id }}'}",
        ]
    api += ["components:", "  securitySchemes: {ApiKeyAuth: {type: apiKey, in: header, name: x-api-key}}",
            "  schemas:", "    Ref: {type: object, required: [id, name], properties: {id: {type: string}, name: {type: string}}}"]
    for i in range(count):
        api += [
            f"    Body{i}:",
            "      type: object",
            "      required: [server, actor, name]",
            "      properties: {server: {$ref: '#/components/schemas/Ref'}, actor: {$ref: '#/components/schemas/Ref'},"
            " name: {type: string}, count: {type: integer}, who: {type: array, items: {$ref: '#/components/schemas/Ref'}},"
            " mode: {type: string, enum: [fast, slow]}}",
            f"    Thing{i}:",
            "      type: object",
            "      required: [name, count, who]",
            "      properties: {name: {type: string}, count: {type: integer}, who: {type: array, items: {$ref: '#/components/schemas/Ref'}}}",
        ]
    (folder / "commands.yaml").write_text("\n".join(spec) + "\n")
    (folder / "openapi.yaml").write_text("\n".join(api) + "\n")
    return folder / "commands.yaml", folder / "openapi.yaml"


def bench_synthetic(rounds: int, tmp: Path) -> list[str]:
    spec, api = synthetic(tmp / "synthetic")
    base = ["--spec", str(spec), "--openapi", str(api), "--impl", str(tmp / "synthetic" / "impl")]
    cold = _interleaved(max(3, rounds // 2), generate=_process(_fresh_generate_code(base, tmp), ROOT))["generate"]
    counter = iter(range(10**6))

    def fresh() -> int:  # generate into an empty folder every time: the full write
        return _quiet([*base, "--out", str(tmp / f"syn_{next(counter)}")])()

    _quiet([*base, "--out", str(tmp / "syn_ref")])()
    warm = _interleaved(rounds, generate=fresh, check=_quiet([*base, "--out", str(tmp / "syn_ref"), "--check"]))
    return [
        "",
        "Synthetic spec of 100 commands (4 options, a body and a card each) and 100 operations:",
        "",
        "| measure | CPU (wall) | target |",
        "|---|---|---|",
        f"| `gmbot generate`, fresh process (median of {max(3, rounds // 2)}) | {cold} | < 3 s |",
        f"| `gmbot generate` into an empty folder, in-process (median of {rounds}) | {warm['generate']} | |",
        f"| `gmbot generate --check` on up-to-date output, in-process | {warm['check']}"
        f" | no slower than generate ({_ratio(warm['check'], warm['generate'])}x) |",
        "",
        "Every `gmbot generate` measured here writes into an empty folder, so datamodel-code-generator",
        "really runs. `--check` (like a no-op `generate`) reuses the code of an intact `models.py` made",
        "from the same openapi.yaml, tool version and options (see generator/models_gen.py): that is",
        "why it is the faster of the two.",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=11)
    parser.add_argument("--no-write", action="store_true", help="print only; leave docs/benchmarks.md alone")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        tmp = Path(folder)
        load = os.getloadavg()[0]
        lines = [
            "Written by `.venv/bin/python bench/bench_generate.py` "
            f"(Python {platform.python_version()}, {platform.machine()}, {os.cpu_count()} CPUs,"
            f" load average {load:.1f} at the start, {args.rounds} rounds).",
            "Times are medians of CPU seconds (this process and its children), with wall seconds in",
            "brackets: CPU time does not grow when other work shares the machine, wall time does.",
            "",
            *bench_gmbot(args.rounds, tmp),
            *bench_synthetic(args.rounds, tmp),
        ]
    print("\n".join(lines))
    if not args.no_write:
        replace_section("## Generator", "## Generator\n\n" + "\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
