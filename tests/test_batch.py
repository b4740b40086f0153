"""``tmpipe batch`` in process: per-document outputs equal ``tmpipe run``'s, cross-document
reuse, failures, resume, the summary files; Ray is never imported."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import REPO
from fakes import FakeEngine
from lxml import etree

from pipeline import flow
from pipeline.batch.driver import BatchHooks, BatchOptions, run_batch
from pipeline.batch.executors import ExecutorError
from pipeline.cli import main
from pipeline.errors import Interrupted, UserError
from pipeline.memory import TranslationMemory

GLOSSARY = REPO / "glossary" / "wic.tsv"
BOILERPLATE = "本报记者 王伟 摄"
SHARED = "今年是世界互联网大会乌镇峰会第十年。构建网络空间命运共同体是峰会的永久主题。"
TEXTS = {
    "a": f"世界互联网大会乌镇峰会开幕\n\n{SHARED}\n\n{BOILERPLATE}\n",
    "b": f"数字经济发展迅速\n\n{SHARED}\n\nGSMA首席执行官洪耀庄坐上了前往上海的航班。\n",
    "c": f"杭州亚运会闭幕\n\n亚运会在杭州举行，共有45个国家和地区参加。\n\n{BOILERPLATE}\n",
}


def write_documents(folder: Path, texts: dict[str, str] = TEXTS) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in texts.items():
        (folder / f"{name}.zh.txt").write_text(text, encoding="utf-8")
    return folder


class Recorder:
    """A factory handing out one FakeEngine and counting what it was asked."""

    def __init__(self, **options: object):
        self.engine = FakeEngine(**options)
        self.made = 0

    def __call__(self, name: str, **options: object) -> FakeEngine:
        self.made += 1
        return self.engine

    def sources(self) -> list[str]:
        return [r.source for call in self.engine.calls for r in call]


def batch_options(tmp_path: Path, *inputs: Path, **kw) -> BatchOptions:
    return BatchOptions(inputs=[str(i) for i in inputs], out_dir=tmp_path / "out",
                        tm_path=tmp_path / "tm.sqlite", glossary=GLOSSARY, engine="fake", **kw)


def without_dates(data: bytes) -> bytes:
    root = etree.fromstring(data)
    for el in root.iter():
        for attr in ("creationdate", "changedate"):
            el.attrib.pop(attr, None)
    return etree.tostring(root)


def run_alone(tmp_path: Path, source: Path, doc_id: str) -> Path:
    """``tmpipe run`` on one document with its own empty memory; returns its output folder."""
    out = tmp_path / "alone" / doc_id
    options = flow.RunOptions(source=source, doc_id=doc_id, out_dir=out, glossary=GLOSSARY,
                              tm_path=tmp_path / "alone" / f"{doc_id}.sqlite", engine="fake")
    flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))
    return out


def assert_same_as_run_alone(tmp_path: Path, batch_out: Path, docs: Path) -> None:
    for name in TEXTS:
        alone = run_alone(tmp_path, docs / f"{name}.zh.txt", name)
        ours = batch_out / name
        assert sorted(p.name for p in ours.iterdir()) == sorted(p.name for p in alone.iterdir())
        assert (ours / f"{name}.en.txt").read_text() == (alone / f"{name}.en.txt").read_text()
        assert without_dates((ours / f"{name}.tmx").read_bytes()) == without_dates(
            (alone / f"{name}.tmx").read_bytes())
        assert (ours / "segments.jsonl").read_text() == (alone / "segments.jsonl").read_text()


def test_batch_outputs_equal_run_alone_and_repeats_are_translated_once(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")
    factory = Recorder()
    result = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=factory))
    assert [o.status for o in result.outcomes] == ["done"] * 3
    assert factory.made == 1  # one engine for the whole batch
    sources = factory.sources()
    # the shared sentences and the boilerplate were translated for the first document only
    assert sum(1 for s in sources if s.startswith("今年是世界互联网大会")) == 1
    assert sum(1 for s in sources if s == BOILERPLATE) <= 2  # a term retry may ask again
    by_doc = {o.doc_id: o.summary for o in result.outcomes}
    assert by_doc["b"]["batch_reused"] == 2 and by_doc["c"]["batch_reused"] == 1
    assert result.totals()["batch_reused"] == 3
    assert_same_as_run_alone(tmp_path, tmp_path / "out", docs)

    summary = json.loads((tmp_path / "out" / "batch.json").read_text(encoding="utf-8"))
    assert summary["totals"]["documents"] == 3 and summary["failures"] == []
    doc_a = summary["documents"][0]
    for key in ("segments", "leverage", "glossary_violations", "qa", "scores", "time"):
        assert key in doc_a
    html = (tmp_path / "out" / "batch.html").read_text(encoding="utf-8")
    assert 'href="a/report.html"' in html and "<script" not in html


def test_reference_beside_a_source_is_scored(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs", {"a": TEXTS["a"]})
    (docs / "a.en.txt").write_text(
        "The Wuzhen Summit opens\nThis is the tenth year of the summit.\nPhoto by Wang Wei\n",
        encoding="utf-8")
    result = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=Recorder()))
    assert [o.doc_id for o in result.outcomes] == ["a"]  # a.en.txt is not a source
    assert result.outcomes[0].summary["scores"]["chrf"] is not None


def test_unreadable_document_is_skipped_and_listed(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")
    (docs / "broken.txt").write_bytes(b"abc\x80\x81\xfe\xff\x80\n")
    (docs / "empty.txt").write_text("\n\n", encoding="utf-8")
    result = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=Recorder()))
    failed = {o.doc_id: o.error for o in result.failures}
    assert set(failed) == {"broken", "empty"}
    assert "broken.txt" in failed["broken"]
    assert sum(o.status == "done" for o in result.outcomes) == 3
    summary = json.loads((tmp_path / "out" / "batch.json").read_text(encoding="utf-8"))
    assert {f["doc_id"] for f in summary["failures"]} == {"broken", "empty"}
    assert "failed" in (tmp_path / "out" / "batch.html").read_text(encoding="utf-8")


def test_nothing_could_start_is_a_user_error(tmp_path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01binary")
    with pytest.raises(UserError, match="nothing could start"):
        run_batch(batch_options(tmp_path, tmp_path / "bad.txt"),
                  BatchHooks(engine_factory=Recorder()))


def test_cli_exit_2_with_one_line_when_nothing_can_start(tmp_path) -> None:
    (tmp_path / "bad.txt").write_bytes(b"\x00\x01binary")
    runner = CliRunner()
    for args in ([str(tmp_path / "bad.txt")], [str(tmp_path / "missing")]):
        result = runner.invoke(main, ["batch", *args, "--tm", str(tmp_path / "tm.sqlite"),
                                      "--out", str(tmp_path / "out"), "-q"])
        assert result.exit_code == 2, result.output
        assert result.output.startswith("tmpipe: error:") and "Traceback" not in result.output
        assert len(result.output.strip().splitlines()) == 1


def test_finished_documents_are_not_redone(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")
    first = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=Recorder()))
    again = Recorder()
    result = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=again))
    assert [o.status for o in result.outcomes] == ["done-earlier"] * 3
    assert again.made == 0
    assert result.totals()["translated"] == first.totals()["translated"] == 11  # still counted
    # a changed source is redone, from the memory where it can be
    (docs / "c.zh.txt").write_text(TEXTS["c"] + "\n新的一段。\n", encoding="utf-8")
    changed = Recorder()
    result = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=changed))
    assert [o.status for o in result.outcomes] == ["done-earlier", "done-earlier", "done"]
    assert changed.sources() == ["新的一段。"]
    redo = Recorder()
    result = run_batch(batch_options(tmp_path, docs, resume=False),
                       BatchHooks(engine_factory=redo))
    assert [o.status for o in result.outcomes] == ["done"] * 3 and redo.sources() == []


class Interrupting(FakeEngine):
    """Stops the batch (as Ctrl-C would) when it reaches a given source."""

    def __init__(self, stop_at: str):
        super().__init__()
        self.stop_at = stop_at

    def answer(self, request, terms):
        if request.source.startswith(self.stop_at):
            raise KeyboardInterrupt
        return super().answer(request, terms)


def test_interrupted_batch_resumes(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")
    engine = Interrupting(stop_at="GSMA")
    with pytest.raises(Interrupted):
        run_batch(batch_options(tmp_path, docs, batch_size=1),
                  BatchHooks(engine_factory=lambda name, **kw: engine))
    state = json.loads((tmp_path / "out" / "batch.json").read_text(encoding="utf-8"))
    assert [d["status"] for d in state["documents"]] == ["done", "failed", "failed"]
    with TranslationMemory(tmp_path / "tm.sqlite") as memory:
        saved = {u.source for u in memory.iter_units()}
    assert "数字经济发展迅速" in saved  # b's first segment was committed before the stop
    factory = Recorder()
    result = run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=factory))
    assert [o.status for o in result.outcomes] == ["done-earlier", "done", "done"]
    assert "数字经济发展迅速" not in factory.sources()
    assert_same_as_run_alone(tmp_path, tmp_path / "out", docs)


def test_one_worker_never_imports_ray(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")
    script = (
        "import sys; from fakes import FakeEngine\n"
        "from pipeline.batch.driver import BatchHooks, BatchOptions, run_batch\n"
        f"o = BatchOptions(inputs=[{str(docs)!r}], out_dir=__import__('pathlib').Path("
        f"{str(tmp_path / 'out')!r}), tm_path=__import__('pathlib').Path("
        f"{str(tmp_path / 'tm.sqlite')!r}), engine='fake')\n"
        "run_batch(o, BatchHooks(engine_factory=lambda n, **k: FakeEngine()))\n"
        "print('ray' in sys.modules)\n")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(REPO), str(REPO / "tests")])}
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env=env, cwd=tmp_path, timeout=300)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"


def test_an_engine_that_cannot_load_stops_the_batch(tmp_path) -> None:
    docs = write_documents(tmp_path / "docs")

    def no_engine(name: str, **options: object) -> FakeEngine:
        raise UserError("no MT engine available")

    with pytest.raises(ExecutorError, match="no MT engine available"):
        run_batch(batch_options(tmp_path, docs), BatchHooks(engine_factory=no_engine))
    state = json.loads((tmp_path / "out" / "batch.json").read_text(encoding="utf-8"))
    assert state["documents"][0]["error"] == "no MT engine available"
