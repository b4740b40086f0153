"""Issue 10, durability: a killed ``tmpipe run`` resumes re-translating only what was not
committed, Ctrl-C says what was saved, and two runs share one memory safely.

Every run is a real subprocess (``python -m pipeline run``) with the real argos engine
on the tiny fixture package; the bundled article has 156 translatable segments.
"""

from __future__ import annotations

import json
import os
import re
import signal
import sqlite3
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
from argos_fixture import argos_package_file  # noqa: F401
from conftest import SEED

DOC_ID = "zjrb"
BATCH = 4


@dataclass
class Run:
    """A finished (or killed) run: exit code, stderr, and where its files are."""

    code: int
    stderr: str
    tm: Path
    out: Path
    committed: int = 0  # units in the TM after the process ended
    wrote_tmx: bool = False  # whether the TMX existed when the process ended

    @property
    def report(self) -> dict:
        return json.loads((self.out / "report.json").read_text(encoding="utf-8"))

    @property
    def tmx(self) -> str:
        return (self.out / f"{DOC_ID}.tmx").read_text(encoding="utf-8")


@pytest.fixture(scope="module")
def work(tmp_path_factory: pytest.TempPathFactory,
         argos_package_file: Path,  # noqa: F811
         ) -> dict:
    """A work folder with the article (no reference beside it) and installed packages."""
    from pipeline.engines import argos_packages as ap

    root = tmp_path_factory.mktemp("durability")
    packages = root / "packages"
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARGOS_PACKAGES_DIR", str(packages))
        ap.install(argos_package_file)
    (root / "doc").mkdir()
    source = root / "doc" / "article.zh.txt"
    source.write_text(SEED.read_text(encoding="utf-8"), encoding="utf-8")
    env = {"ARGOS_PACKAGES_DIR": str(packages), "PYTHONUNBUFFERED": "1"}
    return {"root": root, "source": source, "env": env}


def start(work: dict, name: str, source: Path | None = None,
          doc_id: str = DOC_ID) -> tuple[subprocess.Popen, Path, Path]:
    tm, out = work["root"] / f"{name}.sqlite", work["root"] / name
    proc = subprocess.Popen(
        [sys.executable, "-m", "pipeline", "run", str(source or work["source"]),
         "--engine", "argos", "--batch-size", str(BATCH), "--tm", str(tm), "--out", str(out),
         "--doc-id", doc_id, "--no-glossary", "-q"],
        cwd=work["root"], env={**os.environ, **work["env"]},
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    return proc, tm, out


def finish(proc: subprocess.Popen, tm: Path, out: Path, timeout: float = 240) -> Run:
    _, stderr = proc.communicate(timeout=timeout)
    return Run(proc.returncode, stderr, tm, out, committed=units_in(tm),
               wrote_tmx=(out / f"{DOC_ID}.tmx").exists())


def units_in(tm: Path) -> int:
    """Committed units in the TM, read through a read-only connection (0 before it exists)."""
    try:
        conn = sqlite3.connect(f"file:{tm}?mode=ro", uri=True, timeout=5)
    except sqlite3.OperationalError:
        return 0
    try:
        return conn.execute("SELECT count(*) FROM units").fetchone()[0]
    except sqlite3.OperationalError:  # no file or schema yet
        return 0
    finally:
        conn.close()


def wait_for_units(proc: subprocess.Popen, tm: Path, at_least: int, timeout: float = 120) -> int:
    """Poll the TM until it holds ``at_least`` committed units (the run is then mid-MT)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        count = units_in(tm)
        if count >= at_least:
            return count
        if proc.poll() is not None:
            pytest.fail(f"run ended (exit {proc.returncode}) before committing {at_least} "
                        f"units: {proc.stderr.read() if proc.stderr else ''}")
        time.sleep(0.01)  # poll interval of the real signal (the TM's unit count)
    proc.kill()
    pytest.fail(f"TM never reached {at_least} units")


def interrupt(work: dict, name: str, sig: signal.Signals, at_least: int) -> Run:
    proc, tm, out = start(work, name)
    wait_for_units(proc, tm, at_least)
    proc.send_signal(sig)
    return finish(proc, tm, out)


def without_dates(tmx: str) -> str:
    return re.sub(r' (creation|change)date="[0-9TZ]*"', "", tmx)


@pytest.fixture(scope="module")
def baseline(work: dict) -> Run:
    """An uninterrupted run."""
    run = finish(*start(work, "baseline"))
    assert run.code == 0, run.stderr
    return run


@pytest.fixture(scope="module")
def killed(work: dict) -> dict[str, Run]:
    """Runs interrupted mid-MT, by signal name (each done once per module)."""
    return {}


def _interrupted(work: dict, killed: dict[str, Run], sig: signal.Signals,
                 at_least: int) -> Run:
    if sig.name not in killed:
        killed[sig.name] = interrupt(work, sig.name.lower(), sig, at_least)
    return killed[sig.name]


def resume(work: dict, interrupted: Run, baseline: Run) -> Run:
    """Rerun on the interrupted run's TM; check that exactly the uncommitted segments were
    translated again and that targets, tuids and provenance match the uninterrupted run."""
    total = baseline.report["tm"]["mt"]
    assert 0 < interrupted.committed < total, "the kill did not land mid-run"
    again = finish(*start(work, interrupted.tm.stem))
    assert again.code == 0, again.stderr
    tm = again.report["tm"]
    new_mt = tm["mt"] - tm["mt_reused"]
    print(f"{interrupted.tm.stem}: killed with {interrupted.committed} of {total} committed; "
          f"resume re-translated {new_mt}, reused {tm['mt_reused']}")
    assert tm["mt_reused"] == interrupted.committed
    assert new_mt == total - interrupted.committed
    assert tm["mt"] == total and again.committed == baseline.committed
    assert tus(again) == tus(baseline)
    return again


def tus(run: Run, ignore: frozenset[str] = frozenset()) -> list[tuple]:
    """The run's TMX units: tuid, source, target, creationid and props (dates left out)."""
    from pipeline.exchange.tmx import iter_tus

    return [(tu.tuid, tu.source, tu.target, tu.creationid,
             sorted((k, v) for k, v in tu.props.items() if k not in ignore))
            for tu in iter_tus(run.out / f"{DOC_ID}.tmx")]


@pytest.fixture(scope="module")
def resumed(work: dict, killed: dict[str, Run], baseline: Run) -> Run:
    """The SIGKILLed run, resumed."""
    return resume(work, _interrupted(work, killed, signal.SIGKILL, at_least=12), baseline)


# ----------------------------------------------------------------------------- SIGKILL


def test_baseline_translates_every_segment(baseline: Run) -> None:
    report = baseline.report
    assert report["tm"]["mt"] == baseline.committed > 100
    assert report["tm"]["mt_reused"] == 0


def test_sigkill_then_resume_retranslates_only_uncommitted(
    killed: dict[str, Run], resumed: Run
) -> None:
    run = killed["SIGKILL"]
    assert run.code == -signal.SIGKILL
    assert not run.wrote_tmx  # outputs are written only at the end
    with sqlite3.connect(run.tm) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert run.committed % BATCH == 0  # whole batches only: one transaction each
    assert resumed.code == 0  # the counts and units were checked by resume()


def test_resumed_tmx_equals_uninterrupted_tmx(resumed: Run, baseline: Run) -> None:
    assert without_dates(resumed.tmx) == without_dates(baseline.tmx)


# ----------------------------------------------------------------------------- SIGINT


def test_ctrl_c_exits_130_saying_what_was_saved_and_resumes(
    work: dict, killed: dict[str, Run], baseline: Run
) -> None:
    run = _interrupted(work, killed, signal.SIGINT, at_least=60)
    assert run.code == 130, run.stderr
    assert "Traceback" not in run.stderr
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1, run.stderr
    match = re.fullmatch(r"tmpipe: error: interrupted: (\d+) of (\d+) new translations saved "
                         r"in (.+); run the same command again to resume", lines[0])
    assert match, lines[0]
    assert int(match.group(2)) == baseline.report["tm"]["mt"]
    # == committed, except when Ctrl-C lands in a commit (see the xfail test below)
    assert run.committed <= int(match.group(1)) <= run.committed + BATCH
    assert match.group(3) == str(run.tm)
    resume(work, run, baseline)


# ----------------------------------------------------------------------------- SIGTERM


def test_sigterm_loses_no_committed_batch(work: dict, killed: dict[str, Run]) -> None:
    run = _interrupted(work, killed, signal.SIGTERM, at_least=8)
    assert run.code in (130, -signal.SIGTERM), run.stderr
    assert run.committed >= 8 and run.committed % BATCH == 0
    with sqlite3.connect(run.tm) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_sigterm_is_handled_like_ctrl_c(work: dict, killed: dict[str, Run]) -> None:
    run = _interrupted(work, killed, signal.SIGTERM, at_least=8)
    assert run.code == 130
    assert "new translations saved" in run.stderr and "run the same command again" in run.stderr


# ----------------------------------------------------------------------------- two at once


def test_two_runs_on_one_tm_at_once_lose_nothing(work: dict) -> None:
    """Two documents (the article's halves) translated at the same time into one TM."""
    lines = work["source"].read_text(encoding="utf-8").splitlines(keepends=True)
    half = len(lines) // 2
    sources = []
    for name, part in (("first", lines[:half]), ("second", lines[half:])):
        path = work["root"] / "doc" / f"{name}.zh.txt"
        path.write_text("".join(part), encoding="utf-8")
        sources.append(path)
    tm = work["root"] / "shared.sqlite"
    procs = [start(work, "shared", source=source, doc_id=name)[0]
             for name, source in zip(("first", "second"), sources, strict=True)]
    overlapped = False
    while any(proc.poll() is None for proc in procs):
        docs = _docs_in(tm)
        if {"first", "second"} <= docs and all(proc.poll() is None for proc in procs):
            overlapped = True  # both have committed batches while both are running
        time.sleep(0.01)
    runs = []
    for proc, name in zip(procs, ("first", "second"), strict=True):
        _, stderr = proc.communicate(timeout=240)
        assert proc.returncode == 0, stderr
        runs.append(name)
    assert overlapped, "the two runs did not write to the TM at the same time"
    with sqlite3.connect(tm) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        stored = set(conn.execute("SELECT doc_id, tuid, source, target FROM units"))
    from pipeline.exchange.tmx import iter_tus

    expected = set()
    for name in runs:
        tmx = work["root"] / "shared" / f"{name}.tmx"
        expected |= {(name, tu.tuid, tu.source, tu.target) for tu in iter_tus(tmx)}
    assert expected and expected <= stored


def _docs_in(tm: Path) -> set[str]:
    try:
        conn = sqlite3.connect(f"file:{tm}?mode=ro", uri=True, timeout=5)
        try:
            return {row[0] for row in conn.execute("SELECT DISTINCT doc_id FROM units")}
        finally:
            conn.close()
    except sqlite3.OperationalError:
        return set()


# ----------------------------------------------------------------------------- in process


def _fake_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interrupt_at: int,
              where: str) -> tuple[str, int]:
    """Run the flow with the fake engine; Ctrl-C arrives at the N-th MT batch or commit.
    Returns the interruption message and the units then in the TM."""
    from fakes import FakeEngine

    from pipeline import flow
    from pipeline.errors import Interrupted
    from pipeline.memory import TranslationMemory

    calls = {"n": 0}
    engine = FakeEngine()
    target = engine if where == "mt" else TranslationMemory
    name = "translate_batch" if where == "mt" else "add_units"
    real = getattr(target, name)

    def hit(*args, **kwargs):
        calls["n"] += 1
        if calls["n"] == interrupt_at:
            raise KeyboardInterrupt
        return real(*args, **kwargs)

    monkeypatch.setattr(target, name, hit)
    # number_retry off: the fake writes no dates, so retries would shift which call is N-th
    options = flow.RunOptions(source=SEED, doc_id="d", out_dir=tmp_path / "o",
                              tm_path=tmp_path / "tm.sqlite", batch_size=BATCH, engine="fake",
                              number_retry=False)
    with pytest.raises(Interrupted) as err:
        flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: engine))
    assert engine.closed and err.value.exit_code == 130
    return str(err.value), units_in(tmp_path / "tm.sqlite")


def test_interrupt_during_mt_reports_the_committed_count(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, stored = _fake_run(tmp_path, monkeypatch, interrupt_at=3, where="mt")
    assert stored == 2 * BATCH
    assert message.startswith(f"interrupted: {stored} of 156 new translations saved in ")
    assert not (tmp_path / "o").exists()


def test_interrupt_during_commit_does_not_overstate_what_was_saved(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    message, stored = _fake_run(tmp_path, monkeypatch, interrupt_at=3, where="commit")
    assert stored == 2 * BATCH
    assert message.startswith(f"interrupted: {stored} of 156 new translations saved in ")
