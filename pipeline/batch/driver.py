"""``tmpipe batch``: many documents through the single-document phases, one memory.

The driver owns reading, segmentation, glossary, memory, QA and outputs: each document goes
through :func:`pipeline.flow.prepare_document`, :func:`~pipeline.flow.apply_memory`,
:func:`~pipeline.flow.translate`, :func:`~pipeline.flow.check_and_store` and
:func:`~pipeline.flow.finish` exactly as in ``tmpipe run``, in batch order, with one
memory connection; only MT goes to the executor (:mod:`.executors`). What one document
translated is in the memory when the next is looked up, so a segment repeated across the
batch is translated once. A document that cannot be read or segmented is recorded and
skipped. After every document ``batch.json`` is rewritten; a document finished with the
same source and settings is not redone when the same batch runs again.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import __version__
from ..errors import Interrupted, UserError
from ..flow import DEFAULT_TM, Hooks, RunOptions
from ..normalize import normalize_key
from .executors import EngineFactory, Executor, ExecutorError, make_executor
from .inputs import BatchDocument, collect_inputs, require_documents

SUMMARY_JSON = "batch.json"
SUMMARY_HTML = "batch.html"
#: MT segments per translation-step batch for each worker (the memory is committed after
#: each step batch; a larger batch keeps more workers busy).
SEGMENTS_PER_WORKER = 8


@dataclass
class BatchOptions:
    """Settings of one ``tmpipe batch``; the per-document ones are those of ``tmpipe run``."""

    inputs: Sequence[str | Path]
    out_dir: Path = Path("output")
    tm_path: Path = DEFAULT_TM
    glossary: Path | None = None
    engine: str = "auto"
    engine_options: dict = field(default_factory=dict)
    layout: str = "auto"
    fuzzy_min: float = 75.0
    fill_min: float = 100.0
    batch_size: int | None = None  # default: SEGMENTS_PER_WORKER per worker
    context: bool = True
    qa_ignore: tuple[str, ...] = ()
    workers: int = 1
    ray_address: str | None = None
    resume: bool = True

    def step_batch_size(self) -> int:
        return self.batch_size or SEGMENTS_PER_WORKER * max(1, self.workers)

    def run_options(self, document: BatchDocument) -> RunOptions:
        """The ``tmpipe run`` options for one document of the batch."""
        return RunOptions(
            source=document.path, doc_id=document.doc_id,
            out_dir=self.out_dir / document.doc_id, reference=reference_for(document.path),
            glossary=self.glossary, tm_path=self.tm_path, engine=self.engine,
            engine_options=dict(self.engine_options), layout=self.layout,
            fuzzy_min=self.fuzzy_min, fill_min=self.fill_min,
            batch_size=self.step_batch_size(), context=self.context, qa_ignore=self.qa_ignore)

    def fingerprint(self) -> str:
        """What makes an earlier result of a document reusable: the settings and glossary."""
        glossary = _file_sha256(self.glossary) if self.glossary else None
        settings = [self.engine, sorted((k, str(v)) for k, v in self.engine_options.items()),
                    self.layout, self.fuzzy_min, self.fill_min, self.context,
                    sorted(self.qa_ignore), glossary, str(self.tm_path), __version__]
        return hashlib.sha256(json.dumps(settings).encode()).hexdigest()[:16]


@dataclass
class BatchHooks:
    """Side channels of a batch: the progress display, and the engine factory the workers
    call (tests pass a fake importable in the actors, with ``python_paths``)."""

    engine_factory: EngineFactory | None = None
    python_paths: Sequence[str | Path] = ()
    display: BatchDisplay | None = None
    executor: Callable[[BatchOptions], Executor] | None = None


class BatchDisplay:
    """Receives the batch's progress; the command line shows it with rich."""

    def start(self, documents: int, segments: int) -> None:
        """The batch begins: ``documents`` to do, holding ``segments`` translatable segments."""

    def document(self, doc_id: str) -> None:
        """A document begins."""

    def segments(self, count: int) -> None:
        """``count`` more segments are settled (from the memory or translated)."""

    def finished(self, outcome: DocumentOutcome) -> None:
        """A document is done, skipped as finished earlier, or failed."""

    def stop(self) -> None:
        """The batch ended."""


@dataclass
class DocumentOutcome:
    """One document's line in ``batch.json``."""

    doc_id: str
    source: str
    status: str  # "done", "done-earlier" or "failed"
    source_sha256: str = ""
    fingerprint: str = ""
    out_dir: str = ""
    summary: dict = field(default_factory=dict)
    error: str | None = None

    def as_dict(self) -> dict:
        data = {"doc_id": self.doc_id, "source": self.source, "status": self.status,
                "source_sha256": self.source_sha256, "fingerprint": self.fingerprint,
                "out_dir": self.out_dir, **self.summary}
        if self.error is not None:
            data["error"] = self.error
        return data


@dataclass
class BatchResult:
    """Every document's outcome, the totals, the executor's record and where they went."""

    outcomes: list[DocumentOutcome]
    problems: list[str]
    executor: dict
    elapsed_s: float
    out_dir: Path
    settings: dict

    @property
    def failures(self) -> list[DocumentOutcome]:
        return [o for o in self.outcomes if o.status == "failed"]

    def totals(self) -> dict:
        """Sums over the documents that have a result (this batch's or an earlier one)."""
        done = [o.summary for o in self.outcomes if o.status != "failed"]
        keys = ("segments", "translated", "mt_translated", "batch_reused")
        totals: dict[str, Any] = {k: sum(s.get(k, 0) for s in done) for k in keys}
        for group in ("leverage", "qa"):
            merged: dict[str, float] = {}
            for summary in done:
                for key, value in summary.get(group, {}).items():
                    if isinstance(value, int | float):
                        merged[key] = merged.get(key, 0) + value
            totals[group] = merged
        totals["glossary_violations"] = sum(s.get("glossary_violations", 0) for s in done)
        totals["total_s"] = round(sum(s.get("time", {}).get("total_s", 0) for s in done), 3)
        totals["mt_s"] = round(sum(s.get("time", {}).get("mt_s", 0) for s in done), 3)
        totals.update(documents=len(self.outcomes), done=len(done),
                      done_earlier=sum(o.status == "done-earlier" for o in self.outcomes),
                      failed=len(self.failures))
        return totals

    def as_dict(self) -> dict:
        return {
            "tmpipe": __version__, "settings": self.settings,
            "documents": [o.as_dict() for o in self.outcomes],
            "totals": self.totals(),
            "failures": [{"doc_id": o.doc_id, "source": o.source, "error": o.error}
                         for o in self.failures],
            "input_problems": self.problems, "executor": self.executor,
            "elapsed_s": round(self.elapsed_s, 3),
        }


def reference_for(source: Path) -> Path | None:
    """The English reference beside a source: ``reference.en.txt`` beside ``source.*``,
    ``NAME.en.txt`` or ``NAME.reference.en.txt`` beside ``NAME.zh.txt`` / ``NAME.txt``."""
    if source.name.startswith("source."):
        candidates = [source.parent / "reference.en.txt"]
    else:
        stem = source.name.split(".")[0]
        candidates = [source.parent / f"{stem}.en.txt", source.parent / f"{stem}.reference.en.txt"]
    return next((c for c in candidates if c.is_file() and c != source), None)


def _file_sha256(path: Path) -> str:
    """The file's sha256, or "" when it cannot be read (the document then fails on reading)."""
    from ..engines.modelstore import hash_file

    try:
        return hash_file(path)
    except UserError:
        return ""


def load_previous(out_dir: Path) -> dict[str, dict]:
    """The documents of an earlier ``batch.json`` in ``out_dir`` by document id ({} if none)."""
    path = out_dir / SUMMARY_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    documents = data.get("documents") if isinstance(data, dict) else None
    if not isinstance(documents, list):
        return {}
    return {d["doc_id"]: d for d in documents if isinstance(d, dict) and "doc_id" in d}


_OWN_KEYS = frozenset({"doc_id", "source", "status", "source_sha256", "fingerprint", "out_dir",
                       "error"})


def _finished_earlier(previous: dict | None, sha: str, fingerprint: str, out_dir: Path) -> bool:
    return (previous is not None and previous.get("status") in ("done", "done-earlier")
            and previous.get("source_sha256") == sha
            and previous.get("fingerprint") == fingerprint
            and (out_dir / "report.json").is_file())


def run_batch(options: BatchOptions, hooks: BatchHooks | None = None) -> BatchResult:
    """Translate every document of ``options.inputs``; see the module docstring."""
    from .. import flow
    from ..memory import TranslationMemory

    hooks = hooks or BatchHooks()
    display = hooks.display or BatchDisplay()
    started = time.perf_counter()
    found = collect_inputs(options.inputs)
    documents = require_documents(found)
    fingerprint = options.fingerprint()
    previous = load_previous(options.out_dir) if options.resume else {}

    outcomes: dict[str, DocumentOutcome] = {}
    todo: list[tuple[BatchDocument, int]] = []
    for document in documents:
        outcome = DocumentOutcome(document.doc_id, str(document.path), "failed",
                                  _file_sha256(document.path), fingerprint,
                                  str(options.out_dir / document.doc_id))
        outcomes[document.doc_id] = outcome
        earlier = previous.get(document.doc_id)
        if _finished_earlier(earlier, outcome.source_sha256, fingerprint,
                             options.out_dir / document.doc_id):
            assert earlier is not None
            outcome.status = "done-earlier"
            outcome.summary = {k: v for k, v in earlier.items() if k not in _OWN_KEYS}
            continue
        try:
            count = len(flow.prepare_document(options.run_options(document)).records)
        except UserError as exc:
            outcome.error = str(exc)
            continue
        todo.append((document, count))
    if not todo and all(o.status == "failed" for o in outcomes.values()):
        raise UserError("nothing could start: " + "; ".join(
            o.error or o.source for o in outcomes.values()))

    executor = (hooks.executor or _executor_for(hooks))(options)
    injected = hooks.engine_factory is not None
    fresh_keys: set[str] = set()
    display.start(len(todo), sum(count for _, count in todo))
    try:
        with TranslationMemory(options.tm_path) as memory:
            for document, _ in todo:
                outcome = outcomes[document.doc_id]
                display.document(document.doc_id)
                try:
                    outcome.summary = _translate_document(
                        options.run_options(document), memory, executor, display, fresh_keys,
                        injected)
                    outcome.status = "done"
                except Interrupted:
                    outcome.error = "interrupted"
                    raise
                except ExecutorError as exc:  # no engine: no document can be translated
                    outcome.error = str(exc)
                    raise
                except UserError as exc:
                    outcome.error = str(exc)
                display.finished(outcome)
                _write_state(options, outcomes, found.problems, executor, started)
    finally:
        executor.close()
        display.stop()
        result = _result(options, outcomes, found.problems, executor, started)
        write_summary(result)
    return result


def _executor_for(hooks: BatchHooks) -> Callable[[BatchOptions], Executor]:
    def build(options: BatchOptions) -> Executor:
        return make_executor(options.engine, options.engine_options, workers=options.workers,
                             ray_address=options.ray_address, factory=hooks.engine_factory,
                             python_paths=hooks.python_paths)
    return build


def _translate_document(options: RunOptions, memory, executor: Executor,
                        display: BatchDisplay, fresh_keys: set[str], injected: bool) -> dict:
    """One document through the single-document phases; returns its summary."""
    from .. import flow
    from ..report import build_report_json

    started = time.perf_counter()
    prepared = flow.prepare_document(options)
    flow.apply_memory(prepared, memory, options, injected=injected)
    pending = {id(p.unit) for p in prepared.pending}
    reused = sum(1 for u in prepared.units if id(u) not in pending and u.origin == "mt"
                 and normalize_key(u.source) in fresh_keys)
    display.segments(len(prepared.records) - len(prepared.pending))
    hooks = Hooks(engine_factory=lambda name, **_: executor.engine(),
                  progress=lambda label, total: display.segments)
    translated = flow.translate(prepared, memory, options, hooks)
    qa_summary = flow.check_and_store(prepared, memory, options)
    result = flow.finish(prepared, translated, qa_summary, options, started)
    fresh_keys.update(normalize_key(p.unit.source) for p in prepared.pending)
    return document_summary(build_report_json(result), len(prepared.pending), reused)


def document_summary(report: dict, mt_translated: int, batch_reused: int) -> dict:
    """A document's line in the batch summary, from its ``report.json`` data."""
    scores = report.get("scores") or None
    summary = {
        "segments": report.get("translated", 0),
        "translated": report.get("translated", 0),
        "mt_translated": mt_translated,
        "batch_reused": batch_reused,
        "leverage": report.get("tm", {}),
        "glossary_violations": report.get("glossary", {}).get("violations", 0),
        "qa": {k: v for k, v in report.get("qa", {}).items() if k in ("errors", "warnings")},
        "scores": {k: scores.get(k) for k in ("bleu", "chrf", "ter")} if scores else None,
        "time": {k: report.get("timings", {}).get(k) for k in ("total_s", "mt_s")},
        "engine": {k: report.get("engine", {}).get(k) for k in ("name", "model")},
    }
    risk = report.get("risk")
    if isinstance(risk, dict):
        summary["risk"] = {k: v for k, v in risk.items() if isinstance(v, int | float | str)}
    return summary


def _result(options: BatchOptions, outcomes: dict[str, DocumentOutcome], problems: list[str],
            executor: Executor, started: float) -> BatchResult:
    settings = {"out": str(options.out_dir), "tm": str(options.tm_path),
                "glossary": str(options.glossary) if options.glossary else None,
                "engine": options.engine, "layout": options.layout,
                "workers": options.workers, "ray": options.ray_address,
                "batch_size": options.step_batch_size()}
    return BatchResult(list(outcomes.values()), problems, executor.stats.as_dict(),
                       time.perf_counter() - started, options.out_dir, settings)


def _write_state(options, outcomes, problems, executor, started) -> None:
    """``batch.json`` after each document, so an interrupted batch knows what is finished."""
    from ..fsutil import atomic_write_text

    result = _result(options, outcomes, problems, executor, started)
    atomic_write_text(options.out_dir / SUMMARY_JSON,
                      json.dumps(result.as_dict(), ensure_ascii=False, indent=1) + "\n")


def write_summary(result: BatchResult) -> dict[str, Path]:
    """Write ``batch.json`` and ``batch.html`` into the batch's output folder."""
    from ..fsutil import atomic_write_text
    from .summary import render_html

    paths = {"json": result.out_dir / SUMMARY_JSON, "html": result.out_dir / SUMMARY_HTML}
    data = result.as_dict()
    atomic_write_text(paths["json"], json.dumps(data, ensure_ascii=False, indent=1) + "\n")
    atomic_write_text(paths["html"], render_html(data))
    return paths
