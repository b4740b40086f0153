"""``tmpipe batch`` on a real local Ray cluster: actors with the fake engine give the same
outputs as ``tmpipe run`` alone; a killed actor's work is retried elsewhere, nothing lost or
stored twice; one small batch with the embedded model (``-m model``)."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO
from fakes import FakeEngine
from test_batch import TEXTS, assert_same_as_run_alone, batch_options, write_documents

from pipeline.batch.driver import BatchDisplay, BatchHooks, run_batch
from pipeline.batch.executors import RayExecutor
from pipeline.cli import main
from pipeline.memory import TranslationMemory
from pipeline.units import MTRequest

ray = pytest.importorskip("ray", reason="Ray is not installed (pip install 'tmpipe[cluster]')")

TESTS = Path(__file__).resolve().parent


def fake_factory(name: str, **options: object) -> FakeEngine:
    """Imported by the actors (this folder is on their PYTHONPATH)."""
    return FakeEngine()


class SlowFake(FakeEngine):
    """A fake that takes a while per segment, so a kill lands mid-batch."""

    def answer(self, request, terms):
        time.sleep(0.05)
        return super().answer(request, terms)


def slow_factory(name: str, **options: object) -> FakeEngine:
    return SlowFake()


@pytest.fixture(scope="module")
def cluster():
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")  # slow on a loaded machine
    ray.init(num_cpus=2, include_dashboard=False, log_to_driver=False)
    yield
    ray.shutdown()


def ray_executor(factory, workers: int = 2) -> RayExecutor:
    return RayExecutor("fake", {}, factory, workers=workers, python_paths=[TESTS])


def test_ray_batch_outputs_equal_run_alone(tmp_path, cluster) -> None:
    docs = write_documents(tmp_path / "docs")
    executors: list[RayExecutor] = []

    def build(options):
        executors.append(ray_executor(fake_factory))
        return executors[-1]

    result = run_batch(batch_options(tmp_path, docs, workers=2),
                       BatchHooks(engine_factory=fake_factory, executor=build))
    assert [o.status for o in result.outcomes] == ["done"] * len(TEXTS)
    stats = executors[0].stats
    assert stats.workers == 2 and stats.groups > stats.calls  # paragraphs spread over actors
    assert result.outcomes[1].summary["batch_reused"] == 2
    assert_same_as_run_alone(tmp_path, tmp_path / "out", docs)


class KillOnce(BatchDisplay):
    """Kills one actor after the first translated segments come back."""

    def __init__(self):
        self.executor: RayExecutor | None = None
        self.settled = 0
        self.killed = False

    def segments(self, count: int) -> None:
        self.settled += count
        if self.executor is None or self.killed or not self.executor.stats.groups:
            return
        victim = next(iter(self.executor.actor_handles().values()))
        ray.kill(victim, no_restart=True)
        self.killed = True


def test_killed_actor_has_its_work_retried_and_nothing_is_lost_or_doubled(tmp_path,
                                                                          cluster) -> None:
    texts = {f"d{n}": "\n\n".join(f"第{n}篇第{i}段的句子，共{i * n}个字。" for i in range(1, 9))
             for n in range(1, 4)}
    docs = write_documents(tmp_path / "docs", texts)
    display = KillOnce()

    def build(options):
        display.executor = ray_executor(slow_factory)
        return display.executor

    result = run_batch(batch_options(tmp_path, docs, workers=2, batch_size=8),
                       BatchHooks(engine_factory=slow_factory, executor=build, display=display))
    assert display.killed
    stats = display.executor.stats
    assert stats.dead_workers == 1 and stats.retried_groups >= 1
    assert [o.status for o in result.outcomes] == ["done"] * 3
    with TranslationMemory(tmp_path / "tm.sqlite") as memory:
        stored = [(u.doc_id, u.tuid, u.source) for u in memory.iter_units()]
    expected = {(doc, f"{doc}:{i}") for doc in texts for i in range(1, 9)}
    assert len(stored) == len(expected) == 24  # each segment once
    assert {(d, t) for d, t, _ in stored} == expected
    for doc, text in texts.items():
        english = (tmp_path / "out" / doc / f"{doc}.en.txt").read_text().splitlines()
        assert len(english) == 8 and all(english)
        assert english == [FakeEngine().answer(MTRequest(s), []) for s in text.split("\n\n")]


@pytest.mark.model
def test_small_batch_with_the_embedded_model(tmp_path, cluster) -> None:
    from pipeline.engines.llm import LlmEngine

    if LlmEngine.available() is not None:
        pytest.skip(f"embedded model unavailable: {LlmEngine.available()}")
    texts = {"m1": "世界互联网大会乌镇峰会开幕。\n", "m2": "杭州是浙江省的省会。\n",
             "m3": "世界互联网大会乌镇峰会开幕。\n\n数字经济发展迅速。\n"}
    docs = write_documents(tmp_path / "docs", texts)
    glossary = REPO / "glossary" / "wic.tsv"
    common = ["--glossary", str(glossary), "--threads", "1", "-q"]
    runner = CliRunner()
    done = runner.invoke(main, ["batch", str(docs), "--out", str(tmp_path / "out"),
                                "--tm", str(tmp_path / "tm.sqlite"), "--workers", "2", *common])
    assert done.exit_code == 0, done.output
    for name in texts:
        alone = runner.invoke(main, ["run", str(docs / f"{name}.zh.txt"), "--doc-id", name,
                                     "--out", str(tmp_path / "alone" / name),
                                     "--tm", str(tmp_path / f"alone-{name}.sqlite"), *common])
        assert alone.exit_code == 0, alone.output
        ours = (tmp_path / "out" / name / f"{name}.en.txt").read_text()
        assert ours == (tmp_path / "alone" / name / f"{name}.en.txt").read_text()


def test_more_workers_than_cpus_is_an_error_not_a_wait(cluster) -> None:
    from pipeline.batch.executors import ExecutorError

    executor = ray_executor(fake_factory, workers=3)
    with pytest.raises(ExecutorError, match="cluster has 2"):
        executor.describe()
    executor.close()
