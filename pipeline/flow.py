"""Wires the stages of ``tmpipe run``; each stage lives in its own module.

segment → glossary (match) → memory (lookup) → engines (MT, batched) → glossary
(verify, retry) → memory (store, after every batch) → qa → score → tmx/outputs → report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from . import __version__
from .engines.base import Engine
from .errors import Interrupted, UserError
from .fsutil import atomic_write_text, staged_dir
from .memory import DEFAULT_TM_PATH
from .textio import read_text
from .units import Flag, MTRequest, RunResult, Segment, TMMatch, Unit

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
    strict: bool = False

    def resolved_doc_id(self) -> str:
        """``segments/<id>/source.zh.txt`` → ``<id>``; ``paper.zh.txt`` → ``paper``."""
        if self.doc_id:
            return self.doc_id
        if self.source.name.startswith("source.") and self.source.parent.name:
            return self.source.parent.name
        return self.source.name.split(".")[0] or "document"


@dataclass
class Hooks:
    """Side channels of a run: progress display and the engine factory (tests inject fakes)."""

    engine_factory: Callable[..., Engine] | None = None
    progress: Callable[[str, int], Callable[[int], None]] | None = None  # (label, total) → advance
    done: Callable[[], None] | None = None


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
    from .glossary import load_glossary
    from .memory import TranslationMemory
    from .qa import run_checks
    from .segment import segment_document

    hooks = hooks or Hooks()
    started = time.perf_counter()
    doc_id = options.resolved_doc_id()
    out_dir = options.out_dir or Path("output") / doc_id
    reference = options.reference or default_reference(options, doc_id)

    glossary = load_glossary(options.glossary) if options.glossary else None
    if glossary is not None:
        glossary.register_jieba()
    text = read_text(options.source, what="source document")
    document = segment_document(text, layout=options.layout)
    units = [Unit(segment=s) for s in document.segments if s.translatable]
    if not units:
        raise UserError("no translatable text found", options.source)
    previous = _previous_sources(units)
    for unit in units:
        unit.terms = list(glossary.match(unit.source)) if glossary else []

    stats = {"exact": 0, "context": 0, "fuzzy": 0, "mt": 0, "mt_reused": 0}
    glossary_stats = {"violations_before_retry": 0, "retried": 0, "repaired": 0}
    mt_seconds = 0.0
    engine: Engine | None = None
    prev_of = {id(u): p for u, p in zip(units, previous, strict=True)}
    prev_unit = {id(u): units[i - 1] if previous[i] is not None else None
                 for i, u in enumerate(units)}
    with TranslationMemory(options.tm_path) as tm:
        pending = _apply_memory(units, previous, tm, options, stats,
                                injected=hooks.engine_factory is not None)
        if pending:
            engine = _make_engine(options, hooks)
            t0 = time.perf_counter()
            saved = [0]
            try:
                _translate(pending, prev_of, prev_unit, engine, tm, options, hooks, doc_id,
                           glossary_stats, saved)
            except KeyboardInterrupt:
                raise Interrupted(
                    f"interrupted: {saved[0]} of {len(pending)} new translations saved in "
                    f"{options.tm_path}; run the same command again to resume",
                ) from None
            finally:
                engine.close()
            mt_seconds = time.perf_counter() - t0
        stats["mt"] = sum(1 for u in units if u.origin == "mt")
        if hooks.done:
            hooks.done()

        verified = {id(u) for u in pending}
        for unit in units:
            if id(unit) not in verified and unit.terms:
                _flag_term_violations(unit)
        _flag_echoes(units, prev_unit)
        qa_summary = run_checks(units, ignore=options.qa_ignore)
        if pending:  # store the QA flags with this run's new units
            tm.add_units(pending, doc_id, [prev_of[id(u)] for u in pending])

    scores = None
    if reference is not None:
        scores = _score(units, reference, document.paragraphs)

    total = time.perf_counter() - started
    result = RunResult(
        doc_id=doc_id,
        source_path=str(options.source),
        segments=document.segments,
        units=units,
        layout=document.layout,
        engine=_engine_info(engine, units),
        tm={k: stats[k] for k in ("exact", "context", "fuzzy", "mt", "mt_reused")},
        glossary=_glossary_summary(units, glossary_stats),
        qa=qa_summary,
        scores=scores,
        timings={
            "total_s": round(total, 3),
            "mt_s": round(mt_seconds, 3),
            "per_segment_s": round(total / len(units), 4),
            "mt_per_segment_s": round(mt_seconds / max(1, len(pending)), 4),
        },
        reference_path=str(reference) if reference else None,
        options=_options_record(options),
    )
    write_outputs(result, out_dir, options.layout, text)
    return result


def _previous_sources(units: Sequence[Unit]) -> list[str | None]:
    """The source of the previous translatable segment in the same paragraph, for context."""
    previous: list[str | None] = []
    for i, unit in enumerate(units):
        prev = units[i - 1] if i else None
        same = prev is not None and prev.segment.paragraph == unit.segment.paragraph
        previous.append(prev.source if same else None)
    return previous


_UNSET = object()


def _apply_memory(units, previous, tm, options: RunOptions, stats: dict,
                  injected: bool = False) -> list[Unit]:
    """Fill units from the TM where allowed; return the units that still need MT.

    Human and imported units at or above ``fill_min`` are used as they are. MT units
    are reused only as a cache: an exact match produced by the engine that would
    run now keeps its ``mt`` origin and provenance. Fuzzy matches below the fill
    threshold become examples for the engine.
    """
    pending: list[Unit] = []
    now: object = _UNSET
    for unit, prev in zip(units, previous, strict=True):
        matches = tm.lookup(unit.source, previous=prev, fuzzy_min=options.fuzzy_min, limit=5)
        human = [m for m in matches if m.origin != "mt"]
        best = human[0] if human else None
        if best is not None and best.score >= options.fill_min:
            _fill_from_tm(unit, best, stats)
            continue
        cached = next((m for m in matches if m.origin == "mt" and m.kind != "fuzzy"), None)
        if cached is not None and now is _UNSET:
            now = _engine_now(options, injected)
        if cached is not None and _same_engine(cached, now):
            unit.target, unit.origin = cached.target, "mt"
            unit.engine, unit.model, unit.model_sha256 = (
                cached.engine, cached.model, cached.model_sha256)
            unit.flags.extend(Flag("engine", "warning", note) for note in cached.notes)
            unit.retries = cached.retries
            stats["mt_reused"] += 1
            continue
        example = best or (matches[0] if matches else None)
        if example is not None:  # shown to the engine as an example, origin kept visible
            unit.tm_match = example
        pending.append(unit)
    return pending


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


def _same_engine(match: TMMatch, now: tuple[str, str | None] | None) -> bool:
    """Whether a cached MT unit came from the engine (and model) this run would use."""
    if now is None:
        return True
    return match.engine == now[0] and (now[1] is None or match.model == now[1])


def _fill_from_tm(unit: Unit, match: TMMatch, stats: dict) -> None:
    unit.target = match.target
    unit.match_score = match.score
    unit.tm_match = match
    unit.origin = {"context": "tm-context", "exact": "tm-exact"}.get(match.kind, "tm-fuzzy")
    stats[match.kind if match.kind in stats else "fuzzy"] += 1
    for difference in match.differences:
        unit.flags.append(Flag("tm-difference", "warning", difference))


def _make_engine(options: RunOptions, hooks: Hooks) -> Engine:
    if hooks.engine_factory is not None:
        return hooks.engine_factory(options.engine, **options.engine_options)
    from .engines import create_engine

    return create_engine(options.engine, **options.engine_options)


def _request(unit: Unit, prev: str | None, options: RunOptions, hint: str | None = None):
    examples: tuple[tuple[str, str], ...] = ()
    if unit.tm_match is not None:
        examples = ((unit.tm_match.source, unit.tm_match.target),)
    return MTRequest(
        source=unit.source,
        previous=prev if options.context else None,
        examples=examples,
        hint=hint,
    )


def _translate(pending, prev_of, prev_unit, engine, tm, options, hooks, doc_id, glossary_stats,
               saved: list[int]) -> None:
    """MT in batches; catch echoes, verify terms, retry once, commit each batch to the TM.

    ``saved[0]`` counts the units committed so far, for the message after Ctrl-C.
    """
    advance = hooks.progress("Translating", len(pending)) if hooks.progress else None
    for start in range(0, len(pending), options.batch_size):
        batch = pending[start : start + options.batch_size]
        requests = [_request(u, prev_of[id(u)], options) for u in batch]
        terms = [[m.term for m in u.terms] for u in batch]
        translations = engine.translate_batch(requests, terms, progress=advance)
        for unit, translation in zip(batch, translations, strict=True):
            _take_translation(unit, translation)
        _retry_echoes(batch, prev_unit, engine, options)
        _verify_and_retry(batch, prev_of, engine, options, glossary_stats)
        tm.add_units(batch, doc_id, [prev_of[id(u)] for u in batch])
        saved[0] += len(batch)


def _take_translation(unit: Unit, translation) -> None:
    """Make ``translation`` the unit's; engine notes about a replaced one are dropped.

    A number copied with the wrong magnitude (367,000 → 36,700) is repaired here, so every
    translation taken (first, echo retry, hinted retry) is checked with it fixed; only the
    unambiguous case (:func:`pipeline.numbers.repair_scale_slips`), noted for reviewers.
    """
    from .numbers import repair_scale_slips

    unit.flags = [f for f in unit.flags if f.check != "engine"]
    unit.target, repaired = repair_scale_slips(unit.source, translation.text)
    unit.origin = "mt"
    unit.engine = translation.engine
    unit.model = translation.model
    unit.model_sha256 = translation.model_sha256
    unit.raw = translation.raw
    unit.retries += translation.retries
    for note in [*translation.notes, *repaired]:
        unit.flags.append(Flag("engine", "warning", note))


def _is_echo(unit: Unit, previous: Unit | None) -> bool:
    """The engine repeated the previous segment's translation for a different source."""
    return (
        previous is not None
        and bool(previous.target.strip())
        and previous.source != unit.source
        and " ".join(previous.target.split()) == " ".join(unit.target.split())
    )


def _retry_echoes(batch, prev_unit, engine, options) -> None:
    """Re-translate, without context, segments whose output echoes the previous segment's.

    A chat model shown the previous segment now and then answers it again; the retry
    drops the context. An echo that survives is flagged by :func:`_flag_echoes`.
    """
    echoes = [u for u in batch if _is_echo(u, prev_unit[id(u)])]
    if not echoes:
        return
    hint = "translate only this text; it is not the previous segment"
    requests = [MTRequest(source=u.source, examples=_request(u, None, options).examples,
                          hint=hint) for u in echoes]
    terms = [[m.term for m in u.terms] for u in echoes]
    for unit, translation in zip(echoes, engine.translate_batch(requests, terms), strict=True):
        _take_translation(unit, translation)
        unit.retries += 1


def _flag_echoes(units: Sequence[Unit], prev_unit: dict) -> None:
    """Flag every unit (new or from the TM) that still repeats the previous translation."""
    for unit in units:
        if _is_echo(unit, prev_unit[id(unit)]):
            unit.flags.append(Flag("echo", "error", "repeats the previous segment's translation"))


def missing_numbers(source: str, target: str) -> list:
    """Source numbers the target leaves out (the errors of :func:`numbers.match_numbers`)."""
    from .numbers import match_numbers

    return [p for p in match_numbers(source, target)
            if p.kind == "missing" and p.severity == "error"]


def retry_problems(unit: Unit, target: str, numbers: bool) -> tuple[list, list]:
    """What a hinted retry should fix in ``target``: term violations, numbers left out."""
    from .glossary import verify_terms

    violations = verify_terms(target, unit.terms) if unit.terms else []
    return violations, missing_numbers(unit.source, target) if numbers else []


def retry_hint(violations, numbers) -> str:
    """The instruction for a segment's one hinted retry."""
    parts = [_term_hint(violations)] if violations else []
    if numbers:
        listed = ", ".join(p.source.describe() for p in numbers if p.source is not None)
        parts.append(f"the translation must include these numbers: {listed}")
    return "; ".join(parts)


def better_retry(before: tuple[list, list], after: tuple[list, list]) -> bool:
    """Keep a retry's answer when it fixes more than it breaks, never losing a term."""
    return len(after[0]) <= len(before[0]) and (
        len(after[0]) + len(after[1]) < len(before[0]) + len(before[1]))


def _verify_and_retry(batch, prev_of, engine, options, glossary_stats) -> None:
    """One hinted retry for segments missing required renderings (or numbers), then the
    do-not-translate repair and the term-violation flags."""
    from .glossary import insert_do_not_translate, verify_terms

    checked = [(u, retry_problems(u, u.target, options.number_retry)) for u in batch]
    failing = [(u, p) for u, p in checked if p[0] or p[1]]
    glossary_stats["violations_before_retry"] += sum(len(p[0]) for _, p in failing)
    if failing:
        glossary_stats["retried"] += sum(1 for _, p in failing if p[0])
        requests = [_request(u, prev_of[id(u)], options, hint=retry_hint(*p))
                    for u, p in failing]
        terms = [[m.term for m in u.terms] for u, _ in failing]
        for (unit, before), translation in zip(
            failing, engine.translate_batch(requests, terms), strict=True
        ):
            after = retry_problems(unit, translation.text, options.number_retry)
            if better_retry(before, after):
                _take_translation(unit, translation)
            unit.retries += 1
    for unit in batch:
        if not unit.terms:
            continue
        violations = verify_terms(unit.target, unit.terms)
        if violations:
            repaired = insert_do_not_translate(
                unit.target, violations, source=unit.source, matches=unit.terms
            )
            if repaired is not None:
                unit.target = repaired
                glossary_stats["repaired"] += 1
                violations = verify_terms(unit.target, unit.terms)
        _flag_term_violations(unit, violations)


def _term_hint(violations) -> str:
    parts = []
    for v in violations:
        if v.kind == "forbidden":
            parts.append(f'do not write "{v.found}"; write "{v.term.target}" for {v.term.source}')
        else:
            parts.append(f'translate {v.term.source} exactly as "{v.term.target}"')
    return "; ".join(parts)


def _flag_term_violations(unit: Unit, violations: Sequence | None = None) -> None:
    """Replace the unit's term-violation flags (``violations`` when already computed)."""
    from .glossary import verify_terms

    if violations is None:
        violations = verify_terms(unit.target, unit.terms)
    unit.flags = [f for f in unit.flags if f.check != "term-violation"]
    for v in violations:
        expected = v.term.target
        message = (
            f'{v.term.source}: forbidden "{v.found}"'
            if v.kind == "forbidden"
            else f'{v.term.source}: expected "{expected}"'
        )
        unit.flags.append(Flag("term-violation", "error", message))


def _glossary_summary(units: Sequence[Unit], glossary_stats: dict) -> dict:
    checked = [u for u in units if u.terms]
    violations = sum(1 for u in units for f in u.flags if f.check == "term-violation")
    return {
        "checked": len(checked),
        "terms_checked": sum(len(u.terms) for u in checked),
        "violations": violations,
        **glossary_stats,
    }


def _engine_info(engine: Engine | None, units: Sequence[Unit]) -> dict:
    if engine is not None:
        return {"name": engine.name, "model": engine.model, "sha256": engine.model_sha256,
                "loaded": True, "usage": engine.usage()}
    mt = next((u for u in units if u.origin == "mt"), None)
    if mt is not None:
        return {"name": mt.engine, "model": mt.model, "sha256": mt.model_sha256, "loaded": False}
    return {"name": None, "model": None, "sha256": None, "loaded": False}


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


def segments_jsonl(segments: Sequence[Segment], text: str) -> str:
    """One JSON object per segment: number, paragraph, kind, flags, text, offsets, lines."""
    from .segment.output import LineIndex, segment_record

    lines = LineIndex(text)
    return "".join(
        json.dumps(segment_record(s, lines), ensure_ascii=False) + "\n" for s in segments
    )


def write_outputs(
    result: RunResult, out_dir: Path, layout: str, source_text: str
) -> dict[str, Path]:
    """Write the five run outputs; they replace the previous ones together or not at all."""
    from .report import write_report_html, write_report_json
    from .tmx import write_units_tmx

    names = {
        "tmx": f"{result.doc_id}.tmx",
        "english": f"{result.doc_id}.en.txt",
        "segments": "segments.jsonl",
        "report_json": "report.json",
        "report_html": "report.html",
    }
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
        atomic_write_text(stage / names["segments"], segments_jsonl(result.segments, source_text))
        write_report_json(stage / names["report_json"], result)
        write_report_html(stage / names["report_html"], result)
    paths = {key: out_dir / name for key, name in names.items()}
    result.options["outputs"] = {k: str(v) for k, v in paths.items()}
    return paths


def exit_code(result: RunResult, strict: bool) -> int:
    """0 done; 1 with ``--strict`` when glossary or QA errors remain."""
    if not strict:
        return 0
    # QA errors include the glossary's term-violation flags.
    return 1 if result.qa.get("errors", 0) else 0


__all__ = ["RunOptions", "Hooks", "run", "english_edition", "exit_code"]
