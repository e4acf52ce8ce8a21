"""`gmbot generate`: writes atomically, is reproducible, and `--check` reports staleness with a diff."""

from __future__ import annotations

from pathlib import Path
from unittest import mock

import pytest

from generator import cli, writer
from generator.writer import read_tree
from tests.generator.gen_support import FIXTURES


def _args(tmp_path: Path, *extra: str) -> list[str]:
    folder = FIXTURES / "attendance"
    return ["--spec", str(folder / "commands.yaml"), "--openapi", str(folder / "openapi.yaml"),
            "--out", str(tmp_path / "generated"), "--impl", str(tmp_path / "impl"), *extra]


def test_generate_then_check_is_clean(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(_args(tmp_path)) == 0
    assert (tmp_path / "impl" / "app_hooks.py").exists()  # the stub, created once
    first = read_tree(tmp_path / "generated")
    assert cli.main(_args(tmp_path, "--check")) == 0
    assert cli.main(_args(tmp_path)) == 0
    assert read_tree(tmp_path / "generated") == first
    assert "up to date" in capsys.readouterr().out


def test_check_writes_nothing_and_shows_a_diff(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(_args(tmp_path)) == 0
    target = tmp_path / "generated" / "discord" / "commands.py"
    target.write_text(target.read_text().replace("Mark yourself present today", "edited by hand"))
    (tmp_path / "generated" / "stray.py").write_text("x = 1\n")
    before = read_tree(tmp_path / "generated")
    capsys.readouterr()
    assert cli.main(_args(tmp_path, "--check")) == 1
    out = capsys.readouterr().out
    assert "--- a/" in out and "+++ b/" in out
    assert '-    @bot.slash_command(name="here", description="edited by hand")' in out
    assert "stray.py" in out
    assert read_tree(tmp_path / "generated") == before


def test_check_on_missing_output_fails(tmp_path: Path) -> None:
    assert cli.main(_args(tmp_path, "--check")) == 1
    assert not (tmp_path / "generated").exists()


def test_generate_removes_stale_files(tmp_path: Path) -> None:
    assert cli.main(_args(tmp_path)) == 0
    (tmp_path / "generated" / "old.py").write_text("")
    assert cli.main(_args(tmp_path)) == 0
    assert not (tmp_path / "generated" / "old.py").exists()


def test_a_crash_while_writing_leaves_the_old_tree(tmp_path: Path) -> None:
    out = tmp_path / "generated"
    out.mkdir()
    (out / "old.py").write_text("old = True\n")
    real_rename = Path.rename
    calls = []

    def crash_on_swap(self: Path, target: Path) -> Path:
        calls.append(self)
        if self.name.startswith(".generated.new-"):
            raise OSError("disk on fire")
        return real_rename(self, target)

    with mock.patch.object(Path, "rename", crash_on_swap), pytest.raises(OSError):
        writer.write_tree(out, {"new.py": "new = True\n"})
    assert read_tree(out) == {"old.py": "old = True\n"}
    assert [p.name for p in tmp_path.iterdir()] == ["generated"]


def test_an_interrupted_swap_is_recovered(tmp_path: Path) -> None:
    backup = tmp_path / ".generated.old-abc"
    backup.mkdir()
    (backup / "a.py").write_text("a = 1\n")
    writer.recover(tmp_path / "generated")
    assert read_tree(tmp_path / "generated") == {"a.py": "a = 1\n"}


def test_models_are_reused_only_when_intact(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    from generator import models_gen

    assert cli.main(_args(tmp_path)) == 0
    calls: list[str] = []
    real = models_gen.generate_models
    monkeypatch.setattr(models_gen, "generate_models", lambda text: calls.append(text) or real(text))
    assert cli.main(_args(tmp_path, "--check")) == 0
    assert calls == []  # same openapi.yaml, tool version and options: reused
    models = tmp_path / "generated" / "models.py"
    models.write_text(models.read_text().replace("class Streak(BaseModel):", "class Streak(BaseModel):  # edited"))
    assert cli.main(_args(tmp_path, "--check")) == 1  # an edit is never kept
    assert len(calls) == 1


def test_unimplemented_operations_are_a_notice_or_with_strict_an_error(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    impl = tmp_path / "impl"
    impl.mkdir()
    (impl / "meta.py").write_text("async def get_health(ctx):\n    return {}\n")
    assert cli.main(_args(tmp_path)) == 0
    err = capsys.readouterr().err
    assert "notice: 4 operations have no implementation in" in err
    assert "listCheckIns has no implementation yet: write async def list_check_ins(" in err
    assert "getHealth" not in err  # it has its function
    written = read_tree(tmp_path / "generated")

    (impl / "meta.py").write_text("")
    assert cli.main(_args(tmp_path, "--strict")) == 1
    err = capsys.readouterr().err
    lines = err.splitlines()
    assert lines[-1].startswith("5 errors; ") and lines[-1].endswith("/ left unchanged")
    assert any(":93:5: paths./health.get: getHealth has no implementation yet" in line for line in lines)
    assert "Traceback" not in err
    assert read_tree(tmp_path / "generated") == written
