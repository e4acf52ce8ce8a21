"""Every check of issue 2 section 3 has a case in bad_specs/, with its exact expected errors.

A case is a folder with `commands.yaml` (and `openapi.yaml` when the OpenAPI side is what
is wrong; otherwise the attendance fixture's is used) and `expected.txt`.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from generator import cli
from generator.errors import SpecErrors
from generator.pipeline import check
from generator.writer import read_tree
from tests.generator.gen_support import BAD_SPECS, bad_spec_config

CASES = sorted(p for p in BAD_SPECS.iterdir() if p.is_dir())


def test_every_check_has_a_case() -> None:
    names = {case.name for case in CASES}
    for required in [
        "yaml_syntax", "schema_unknown_type", "schema_structure", "duplicate_command_name",
        "duplicate_alias", "openapi_not_3_0", "openapi_invalid", "unknown_operation",
        "required_not_filled", "request_mismatch", "card_reply_fields", "discord_names",
        "discord_description_length", "discord_too_many_options", "discord_too_many_choices",
        "discord_command_too_long", "discord_too_many_commands", "card_limits",
        "options_semantics", "unknown_event", "openapi_bad_ref", "openapi_operation_ids", "examples",
        "openapi_path_template", "option_bounds", "card_traps",
        # issue 17: mistakes that used to pass `gmbot generate`
        "button_reply_paths", "each_not_list", "event_data_fields", "template_unsafe", "duration_unit",
        "datetime_options",
        "paging", "confirm", "command_reference", "autocomplete", "visibility", "images", "permissions", "permissions_unknown",
        "forms",
        "menus",
        "selects",
        "image_operations", "image_operation_shape",
    ]:
        assert required in names


@pytest.mark.parametrize("case", CASES, ids=[c.name for c in CASES])
def test_bad_spec_reports_the_expected_errors(case: Path) -> None:
    with pytest.raises(SpecErrors) as caught:
        check(bad_spec_config(case))
    got = "".join(f"{e}\n" for e in caught.value.errors)
    assert got == (case / "expected.txt").read_text(encoding="utf-8")


WRITES_NOTHING = ["request_mismatch", "button_reply_paths", "each_not_list", "event_data_fields",
                  "template_unsafe", "duration_unit", "datetime_options", "selects"]


@pytest.mark.parametrize("name", WRITES_NOTHING)
def test_cli_exits_1_without_traceback_and_leaves_output_untouched(
    name: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    (out / "keep.py").write_text("# what was there before\n")
    case = BAD_SPECS / name
    monkeypatch.chdir(case)
    openapi = "openapi.yaml" if (case / "openapi.yaml").exists() else "../../fixtures/attendance/openapi.yaml"
    code = cli.main(["--spec", "commands.yaml", "--openapi", openapi,
                     "--out", str(out), "--impl", str(tmp_path / "impl")])
    captured = capsys.readouterr()
    assert code == 1
    assert "Traceback" not in captured.err
    lines = captured.err.splitlines()
    assert lines[:-1] == (case / "expected.txt").read_text().splitlines()
    assert lines[-1].endswith("left unchanged")
    assert read_tree(out) == {"keep.py": "# what was there before\n"}
    assert not (tmp_path / "impl").exists()
