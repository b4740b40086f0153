"""Atomic writes keep the previous file on failure."""

from __future__ import annotations

import pytest

from pipeline.errors import UserError
from pipeline.fsutil import atomic_open, atomic_write_text


def test_replaces_file(tmp_path) -> None:
    path = tmp_path / "out.txt"
    atomic_write_text(path, "one")
    atomic_write_text(path, "two")
    assert path.read_text() == "two"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_crash_leaves_previous_file(tmp_path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_open(path) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert path.read_text() == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out.txt"]


def test_disk_full_is_a_user_error(tmp_path) -> None:
    path = tmp_path / "out.txt"
    path.write_text("old")
    with pytest.raises(UserError, match="No space left"):
        with atomic_open(path) as fh:
            fh.write("x")
            raise OSError(28, "No space left on device")
    assert path.read_text() == "old"


def test_unwritable_folder(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(UserError, match="cannot write"):
        atomic_write_text(blocker / "sub" / "out.txt", "x")


def test_written_file_is_readable_by_others(tmp_path) -> None:
    path = tmp_path / "report.html"
    atomic_write_text(path, "x")
    assert path.stat().st_mode & 0o044 == 0o044


def test_staged_dir_moves_all_files_or_none(tmp_path) -> None:
    from pipeline.fsutil import staged_dir

    out = tmp_path / "out"
    with staged_dir(out) as stage:
        atomic_write_text(stage / "a.txt", "new a")
        atomic_write_text(stage / "b.txt", "new b")
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt"]
    with pytest.raises(UserError):
        with staged_dir(out) as stage:
            atomic_write_text(stage / "a.txt", "newer a")
            raise OSError(28, "No space left on device")
    assert (out / "a.txt").read_text() == "new a"
    assert sorted(p.name for p in out.iterdir()) == ["a.txt", "b.txt"]
