"""Wires the stages of ``tmpipe run``; each stage lives in its own module.

A run has three phases, each a function another driver (a batch of documents) can call:

1. prepare: read and segment the source, match the glossary (:func:`prepare_document`), look
   the units up in the memory (:func:`apply_memory`): units filled from it are done, the
   rest are pending;
2. translate: the pending units go through :class:`~pipeline.translate.TranslationStep`
   (MT in batches, retries, repairs, term flags; the memory is updated after every batch);
3. finish: term and repeat flags for the units from the memory, QA, the new units stored
   again with their QA flags (:func:`check_and_store`); then scores against the reference,
   the :class:`RunResult` and the outputs (:func:`finish`).
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from . import __version__
from .documents import SourceDocument, codes_from_match, protect_codes, read_document
from .engines.base import Engine
from .errors import Interrupted, UserError
from .fsutil import atomic_write_text, check_doc_id, staged_dir
from .memory import DEFAULT_TM_PATH
from .textio import read_text
from .translate import (
    Pending,
    StepCounts,
    StepOptions,
    TranslationStep,
    flag_repeats,
    flag_term_violations,
    in_context,
)
from .units import CodedText, Flag, RunResult, Segment, TMMatch, Unit

if TYPE_CHECKING:
    from .memory import TranslationMemory
    from .segment import SegmentedDocument

BUNDLED_SOURCE = Path("segments/zjrb-2023-11-07/source.zh.txt")
DEFAULT_GLOSSARY = Path("glossary/wic.tsv")
DEFAULT_TM = DEFAULT_TM_PATH


@dataclass
class RunOptions:
    """Settings of one ``tmpipe run``; defaults match the command line's."""

    source: Path = BUNDLED_SOURCE
    doc_id: str | None = None
    out_dir: Path | None = None
    reference: Path | None = None
    glossary: Path | None = None
    tm_path: Path = DEFAULT_TM
    engine: str = "auto"
    engine_options: dict = field(default_factory=dict)
    layout: str = "auto"
    fuzzy_min: float = 75.0
    fill_min: float = 100.0
    batch_size: int = 8
    context: bool = True
    number_retry: bool = True  # numbers left out also earn the one hinted retry
    qa_ignore: tuple[str, ...] = ()
    risk_max: float | None = None  # with --strict, fail when a segment's risk exceeds it

    def resolved_doc_id(self) -> str:
        """``segments/<id>/source.zh.txt`` → ``<id>``; ``paper.zh.txt`` → ``paper``.

        The id names output files and tuids, so it must be a file-name-safe token; one
        derived from an odd file name is refused with a hint to pass ``--doc-id``.
        """
        if self.doc_id:
            doc_id = self.doc_id
        elif self.source.name.startswith("source.") and self.source.parent.name:
            doc_id = self.source.parent.name
        else:
            doc_id = self.source.name.split(".")[0] or "document"
        problem = check_doc_id(doc_id)
        if problem:
            raise UserError(f"{problem}; pass --doc-id", self.source)
        return doc_id

    def step_options(self) -> StepOptions:
        return StepOptions(batch_size=self.batch_size, context=self.context,
                           number_retry=self.number_retry)


@dataclass
class Hooks:
    """Side channels of a run: progress display and the engine factory (tests inject fakes)."""

    engine_factory: Callable[..., Engine] | None = None
    progress: Callable[[str, int], Callable[[int], None]] | None = None  # (label, total) → advance
    done: Callable[[], None] | None = None


@dataclass
class Prepared:
    """A document ready for MT: every translatable unit in context, and what the memory gave."""

    doc_id: str
    text: str  # the source as read
    document: SegmentedDocument
    records: list[Pending]  # every translatable unit, in reading order
    pending: list[Pending] = field(default_factory=list)  # the units that still need MT
    memory_counts: dict[str, int] = field(default_factory=dict)  # exact, context, fuzzy, ...
    source: SourceDocument | None = None  # the file as its format read it (for the writer)

    @property
    def units(self) -> list[Unit]:
        return [p.unit for p in self.records]


@dataclass
class Translated:
    """What the translation phase did: the engine's record and the step's counts."""

    engine: dict
    counts: StepCounts
    seconds: float = 0.0


def default_reference(options: RunOptions, doc_id: str) -> Path | None:
    """The reference beside the source, or ``segments/<doc-id>/reference.en.txt``."""
    for candidate in (
        options.source.parent / "reference.en.txt",
        Path("segments") / doc_id / "reference.en.txt",
    ):
        if candidate.is_file():
            return candidate
    return None


def run(options: RunOptions, hooks: Hooks | None = None) -> RunResult:
    """Run the whole pipeline on one document and write its outputs."""
    from .memory import TranslationMemory

    hooks = hooks or Hooks()
    started = time.perf_counter()
    prepared = prepare_document(options)
    with TranslationMemory(options.tm_path) as memory:
        apply_memory(prepared, memory, options, injected=hooks.engine_factory is not None)
        translated = translate(prepared, memory, options, hooks)
        qa_summary = check_and_store(prepared, memory, options)
    return finish(prepared, translated, qa_summary, options, started)


# -- prepare ---------------------------------------------------------------------------------


def prepare_document(options: RunOptions) -> Prepared:
    """Read and segment the source (any supported document format); one unit per
    translatable segment, glossary matched."""
    from .glossary import load_glossary

    glossary = load_glossary(options.glossary) if options.glossary else None
    source = read_document(options.source, layout=options.layout)
    text, document = source.text, source.segmented
    units = [Unit(segment=s) for s in document.segments if s.translatable]
    if not units:
        raise UserError("no translatable text found", options.source)
    for unit in units:
        unit.terms = list(glossary.match(unit.source)) if glossary else []
    return Prepared(options.resolved_doc_id(), text, document, in_context(units),
                    source=source)


def apply_memory(prepared: Prepared, memory: TranslationMemory, options: RunOptions,
                 injected: bool = False) -> None:
    """Fill units from the memory under its leverage policy; the rest become
    ``prepared.pending``.

    :func:`pipeline.memory.choose_leverage` decides: a fill (human-written, or MT a person
    approved) is used as it is, unreviewed MT of the engine that would run now is reused
    as MT, and the best other match becomes the engine's example. Cached MT for a
    segment with inline codes is reused only when the memory also holds where they go.
    """
    from .memory import choose_leverage

    engine_now = cache(lambda: _engine_now(options, injected))
    counts = Counter({"exact": 0, "context": 0, "fuzzy": 0, "mt_reused": 0})
    for record in prepared.records:
        unit = record.unit
        matches = memory.lookup(unit.source, previous=record.previous_source,
                                fuzzy_min=options.fuzzy_min, limit=5)
        leverage = choose_leverage(matches, options.fill_min, engine_now)
        if leverage.fill is not None:
            _fill_from_tm(unit, leverage.fill)
            kind = leverage.fill.kind
            counts[kind if kind in ("exact", "context") else "fuzzy"] += 1
            continue
        cached = leverage.cached_mt
        placed = (codes_from_match(unit.segment.codes, cached.source_xml, cached.target,
                                   cached.target_xml) if cached is not None else None)
        if cached is not None and (placed is not None or not unit.segment.codes):
            _reuse_mt(unit, cached, placed)
            counts["mt_reused"] += 1
            continue
        if leverage.example is not None:  # shown to the engine, origin kept visible
            unit.tm_match = leverage.example
        prepared.pending.append(record)
    prepared.memory_counts = dict(counts)


def _engine_now(options: RunOptions, injected: bool) -> tuple[str, str | None] | None:
    """``(engine, model)`` this run would translate with; None when that is unknown (an
    injected engine factory) or no engine is available: then any cached MT will do."""
    from .engines import expected_engine

    if injected:
        return None if options.engine == "auto" else (options.engine, None)
    try:
        return expected_engine(options.engine, **options.engine_options)
    except UserError:
        return None if options.engine == "auto" else (options.engine, None)


def _fill_from_tm(unit: Unit, match: TMMatch) -> None:
    unit.target = match.target
    unit.match_score = match.score
    unit.tm_match = match
    unit.state, unit.changed_by = match.state, match.changed_by
    unit.origin = {"context": "tm-context", "exact": "tm-exact"}.get(match.kind, "tm-fuzzy")
    unit.target_codes = codes_from_match(unit.segment.codes, match.source_xml, match.target,
                                         match.target_xml)
    for difference in match.differences:
        unit.flags.append(Flag("tm-difference", "warning", difference))


def _reuse_mt(unit: Unit, cached: TMMatch, placed: CodedText | None) -> None:
    unit.target, unit.origin, unit.state = cached.target, "mt", cached.state
    unit.target_codes = placed
    unit.engine, unit.model, unit.model_sha256 = cached.engine, cached.model, cached.model_sha256
    unit.flags.extend(Flag("engine", "warning", note) for note in cached.notes)
    unit.retries = cached.retries
    unit.confidence = dict(cached.confidence)  # the risk score's engine signal


# -- translate -------------------------------------------------------------------------------


def translate(prepared: Prepared, memory: TranslationMemory, options: RunOptions,
              hooks: Hooks) -> Translated:
    """The pending units through the engine, committed to the memory batch by batch."""
    if not prepared.pending:
        if hooks.done:
            hooks.done()
        return Translated(_engine_info(None, prepared.units), StepCounts())
    engine = protect_codes(_make_engine(options, hooks))
    progress = hooks.progress("Translating", len(prepared.pending)) if hooks.progress else None
    step = TranslationStep(engine, options.step_options(), memory, prepared.doc_id, progress)
    started = time.perf_counter()
    try:
        step.run(prepared.pending)
    except KeyboardInterrupt:
        raise Interrupted(
            f"interrupted: {step.counts.saved} of {len(prepared.pending)} new translations "
            f"saved in {options.tm_path}; run the same command again to resume",
        ) from None
    finally:
        engine.close()
    seconds = time.perf_counter() - started
    if hooks.done:
        hooks.done()
    return Translated(_engine_info(engine, prepared.units), step.counts, seconds)


def _make_engine(options: RunOptions, hooks: Hooks) -> Engine:
    if hooks.engine_factory is not None:
        return hooks.engine_factory(options.engine, **options.engine_options)
    from .engines import create_engine

    return create_engine(options.engine, **options.engine_options)


def _engine_info(engine: Engine | None, units: Sequence[Unit]) -> dict:
    """The engine of the run for ``report.json``; from the units when no engine was loaded."""
    if engine is not None:
        return {"name": engine.name, "model": engine.model, "sha256": engine.model_sha256,
                "loaded": True, "usage": engine.usage(), "settings": engine.settings_record()}
    mt = next((u for u in units if u.origin == "mt"), None)
    if mt is not None:
        return {"name": mt.engine, "model": mt.model, "sha256": mt.model_sha256, "loaded": False,
                "settings": {}}
    return {"name": None, "model": None, "sha256": None, "loaded": False, "settings": {}}


# -- finish ----------------------------------------------------------------------------------


def check_and_store(prepared: Prepared, memory: TranslationMemory, options: RunOptions) -> dict:
    """Term and repeat flags for the units from the memory, QA over all, and the new units
    stored again with their QA flags and risk; returns the QA summary."""
    from .qa import run_checks
    from .risk import assess

    translated = {id(p.unit) for p in prepared.pending}
    for unit in prepared.units:
        if id(unit) not in translated and unit.terms:
            flag_term_violations(unit)
    flag_repeats(prepared.records)
    qa_summary = run_checks(prepared.units, ignore=options.qa_ignore)
    assess(prepared.units)
    if prepared.pending:
        memory.add_units([p.unit for p in prepared.pending], prepared.doc_id,
                         [p.previous_source for p in prepared.pending])
    return qa_summary


def finish(prepared: Prepared, translated: Translated, qa_summary: dict, options: RunOptions,
           started: float) -> RunResult:
    """Score against the reference, assemble the :class:`RunResult`, write the outputs."""
    units = prepared.units
    reference = options.reference or default_reference(options, prepared.doc_id)
    scores = _score(units, reference, prepared.document.paragraphs) if reference else None
    total = time.perf_counter() - started
    mt_per_segment = translated.seconds / max(1, len(prepared.pending))
    result = RunResult(
        doc_id=prepared.doc_id,
        source_path=str(options.source),
        segments=prepared.document.segments,
        units=units,
        layout=prepared.document.layout,
        engine=translated.engine,
        tm={**_memory_counts(prepared), "mt_reused": prepared.memory_counts["mt_reused"]},
        glossary=_glossary_summary(units, translated.counts),
        qa=qa_summary,
        scores=scores,
        timings={
            "total_s": round(total, 3),
            "mt_s": round(translated.seconds, 3),
            "per_segment_s": round(total / len(units), 4),
            "mt_per_segment_s": round(mt_per_segment, 4),
        },
        reference_path=str(reference) if reference else None,
        options=_options_record(options),
    )
    write_outputs(result, options.out_dir or Path("output") / prepared.doc_id, options.layout,
                  prepared.text, prepared.source)
    return result


def _memory_counts(prepared: Prepared) -> dict[str, int]:
    counts = prepared.memory_counts
    return {"exact": counts["exact"], "context": counts["context"], "fuzzy": counts["fuzzy"],
            "mt": sum(1 for u in prepared.units if u.origin == "mt")}


def _glossary_summary(units: Sequence[Unit], counts: StepCounts) -> dict:
    checked = [u for u in units if u.terms]
    violations = sum(1 for u in units for f in u.flags if f.check == "term-violation")
    return {
        "checked": len(checked),
        "terms_checked": sum(len(u.terms) for u in checked),
        "violations": violations,
        **counts.glossary(),
    }


def _score(units: Sequence[Unit], reference: Path, paragraphs: int) -> dict | None:
    from .align import align_reference
    from .score import score_units

    reference_text = read_text(reference, what="reference")
    align_reference(units, reference_text, paragraphs)
    return score_units(units)


def _options_record(options: RunOptions) -> dict:
    return {
        "engine": options.engine,
        "layout": options.layout,
        "fuzzy_min": options.fuzzy_min,
        "fill_min": options.fill_min,
        "batch_size": options.batch_size,
        "context": options.context,
        "qa_ignore": list(options.qa_ignore),
        "risk_max": options.risk_max,
        "tmpipe": __version__,
    }


def english_edition(segments: Sequence[Segment], units: Sequence[Unit], layout: str) -> str:
    """One line per output paragraph, in reading order; untranslated kinds are left out.

    With ``layout="lines"`` every source paragraph gets a line, even an empty one, so
    the N-th non-empty source line always maps to the N-th output line.
    """
    by_number = {u.segment.number: u for u in units}
    paragraphs: dict[int, list[str]] = {}
    for segment in segments:
        unit = by_number.get(segment.number)
        if unit is None and layout != "lines":
            continue
        paragraphs.setdefault(segment.paragraph, [])
        if unit is not None and unit.target.strip():
            paragraphs[segment.paragraph].append(" ".join(unit.target.split()))
    return "".join(" ".join(parts) + "\n" for _, parts in sorted(paragraphs.items()))


def segments_jsonl(segments: Sequence[Segment], text: str,
                   units: Sequence[Unit] = ()) -> str:
    """One JSON object per segment: number, paragraph, kind, flags, text, offsets, lines,
    and the ``risk`` of its translation when it has one."""
    from .segment.output import LineIndex, segment_record

    lines = LineIndex(text)
    risks = {u.number: u.risk for u in units if u.risk is not None}
    out = []
    for segment in segments:
        record = segment_record(segment, lines)
        if segment.number in risks:
            record["risk"] = risks[segment.number]
        out.append(json.dumps(record, ensure_ascii=False) + "\n")
    return "".join(out)


def write_outputs(
    result: RunResult, out_dir: Path, layout: str, source_text: str,
    document: SourceDocument | None = None,
) -> dict[str, Path]:
    """Write the run outputs (and the English ``document`` in its own format when it has
    one); they replace the previous ones together or not at all."""
    from .exchange.tmx import write_units_tmx
    from .report import write_report_html, write_report_json

    names = {
        "tmx": f"{result.doc_id}.tmx",
        "english": f"{result.doc_id}.en.txt",
        "segments": "segments.jsonl",
        "report_json": "report.json",
        "report_html": "report.html",
    }
    if document is not None and document.output_name:
        names["document"] = f"{result.doc_id}{document.output_name}"
    header = {"x-doc": result.doc_id, "x-source": Path(result.source_path).name}
    if result.scores:
        for metric in ("bleu", "chrf", "ter"):
            if result.scores.get(metric) is not None:
                header[f"x-{metric}"] = f"{result.scores[metric]:.2f}"
                header[f"x-{metric}-signature"] = str(result.scores["signature"][metric])
    with staged_dir(out_dir) as stage:
        write_units_tmx(stage / names["tmx"], result.units, result.doc_id, header)
        atomic_write_text(
            stage / names["english"], english_edition(result.segments, result.units, layout)
        )
        atomic_write_text(stage / names["segments"],
                          segments_jsonl(result.segments, source_text, result.units))
        write_report_json(stage / names["report_json"], result)
        write_report_html(stage / names["report_html"], result)
        if document is not None and "document" in names:
            document.write(result.units, stage / names["document"])
    paths = {key: out_dir / name for key, name in names.items()}
    result.options["outputs"] = {k: str(v) for k, v in paths.items()}
    return paths


def exit_code(result: RunResult, strict: bool) -> int:
    """0 done; 1 with ``--strict`` when glossary or QA errors remain, or a segment's risk
    exceeds the run's ``risk_max``."""
    if not strict:
        return 0
    # QA errors include the glossary's term-violation flags.
    risk_max = result.options.get("risk_max")
    risky = risk_max is not None and any(
        u.risk is not None and u.risk > risk_max for u in result.units)
    return 1 if result.qa.get("errors", 0) or risky else 0


__all__ = ["Hooks", "Prepared", "RunOptions", "Translated", "apply_memory", "check_and_store",
           "english_edition", "exit_code", "finish", "prepare_document", "run", "translate",
           "write_outputs"]
