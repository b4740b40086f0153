"""bench/bench_engine.py --build: unpacking a build and comparing builds' outputs."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
SCRIPT = REPO / "bench" / "bench_engine.py"


def load_bench():
    spec = importlib.util.spec_from_file_location("bench_engine", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def fake_run(texts: list[str], gen_tok_per_s: float) -> dict:
    return {"variants": [{
        "variant": "prefix", "s_per_segment": 1.0, "prompt_tok_per_s": 90.0,
        "gen_tok_per_s": gen_tok_per_s, "retries": 0, "cjk_left": 0,
        "outputs": [{"text": t} for t in texts]}]}


def test_unpack_build_extracts_a_wheel(tmp_path: Path) -> None:
    wheel = tmp_path / "xllamacpp-1-cp310-abi3-linux_x86_64.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("xllamacpp/__init__.py", "BUILD = 'native'\n")
    site = load_bench().unpack_build(wheel, tmp_path / "site")
    assert (site / "xllamacpp" / "__init__.py").read_text() == "BUILD = 'native'\n"


def test_unpack_build_refuses_what_is_not_a_build(tmp_path: Path) -> None:
    bench = load_bench()
    junk = tmp_path / "junk.whl"
    junk.write_text("not a zip")
    with pytest.raises(SystemExit, match="not a wheel"):
        bench.unpack_build(junk, tmp_path / "a")
    with pytest.raises(SystemExit, match="no xllamacpp"):
        bench.unpack_build(tmp_path, tmp_path / "b")


def test_compare_builds_counts_identical_translations() -> None:
    rows = load_bench().compare_builds({
        "prebuilt": fake_run(["The city grew.", "Prices rose 5%."], 35.0),
        "native": fake_run(["The city grew.", "Prices increased by 5%."], 39.0)})
    by_build = {r["build"]: r for r in rows}
    assert by_build["prebuilt"]["identical"] == 2
    assert by_build["prebuilt"]["chrf_vs_first"] == 100.0
    assert by_build["native"]["identical"] == 1
    assert by_build["native"]["chrf_vs_first"] < 100.0
    assert by_build["native"]["gen_tok_per_s"] == 39.0


def test_one_build_alone_is_refused() -> None:
    result = subprocess.run([sys.executable, str(SCRIPT), "--build", "a=x.whl"],
                            capture_output=True, text=True)
    assert result.returncode == 2
    assert "two builds or more" in result.stderr
