"""Post-editing: effort measures, and a run's outputs rebuilt from the memory.

A run folder (``tmpipe run``'s ``output/<doc-id>/``) holds the TMX, the English edition,
``segments.jsonl`` and the reports. After people edit or approve units in the memory
(XLIFF import, review workspace), :func:`rebuild_outputs` rewrites those files from the
memory: staged, all or nothing, through :func:`pipeline.flow.write_outputs`.

Effort (:func:`effort`) compares the MT with the final text: TER and chrF (sacrebleu,
the MT as hypothesis, the final text as reference) and characters changed
(Levenshtein distance).
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from .errors import UserError
from .memory import StoredUnit, TranslationMemory
from .textio import read_text
from .units import CONFIRMED_STATES, Flag, LayoutNote, RunResult, Segment, Unit


def effort(mt: str, final: str) -> dict[str, float]:
    """``ter``, ``chrf`` and ``chars`` changed between ``mt`` and ``final``."""
    from sacrebleu.metrics import CHRF, TER

    return {"ter": round(TER().sentence_score(mt, [final]).score, 2),
            "chrf": round(CHRF().sentence_score(mt, [final]).score, 2),
            "chars": float(Levenshtein.distance(mt, final))}


def reviewed_mt(unit: Unit) -> bool:
    """Whether a person has seen this unit's MT (edited it, or confirmed it unchanged)."""
    return bool(unit.mt_target) and unit.state in CONFIRMED_STATES and (
        unit.origin in ("mt", "human"))


def document_effort(units: Sequence[Unit]) -> dict | None:
    """Effort over every reviewed MT segment of a document (None when none was reviewed)."""
    from sacrebleu.metrics import CHRF, TER

    seen = [u for u in units if reviewed_mt(u)]
    if not seen:
        return None
    mts = [u.mt_target for u in seen]
    finals = [[u.target for u in seen]]
    edited = [u for u in seen if u.target != u.mt_target]
    return {
        "segments": len(seen), "edited": len(edited), "confirmed": len(seen) - len(edited),
        "ter": round(TER().corpus_score(mts, finals).score, 2),
        "chrf": round(CHRF().corpus_score(mts, finals).score, 2),
        "chars": sum(Levenshtein.distance(u.mt_target, u.target) for u in edited),
    }


# ----------------------------------------------------------------------------- rebuild


def _load_json(path: Path) -> dict:
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError("not a run folder (no report.json)", path.parent) from exc
    except (OSError, ValueError) as exc:
        raise UserError(f"cannot read run report: {exc}", path) from exc
    if not isinstance(data, dict) or not data.get("doc_id"):
        raise UserError("not a tmpipe run report", path)
    return data


def _segments(path: Path) -> dict[int, Segment]:
    segments: dict[int, Segment] = {}
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", path) from exc
    for line_no, line in enumerate(lines, start=1):
        try:
            r = json.loads(line)
            segments[r["number"]] = Segment(
                number=r["number"], paragraph=r["paragraph"], text=r["text"],
                spans=[tuple(s) for s in r["spans"]], kind=r["kind"], flags=list(r["flags"]),
                source_paragraphs=list(r.get("source_paragraphs", [])))
        except (ValueError, KeyError, TypeError) as exc:
            raise UserError(f"bad segment record: {exc}", path, line_no) from exc
    return segments


def load_run(run_dir: str | Path) -> tuple[RunResult, str]:
    """A run folder read back: its result (units from the TMX) and the source text."""
    from .exchange.tmx import read_units_tmx

    run_dir = Path(run_dir)
    report = _load_json(run_dir / "report.json")
    doc_id = report["doc_id"]
    segments = _segments(run_dir / "segments.jsonl")
    _, units = read_units_tmx(run_dir / f"{doc_id}.tmx")
    for unit in units:
        unit.segment = segments.get(unit.number, unit.segment)
    source_path = report.get("source_path") or ""
    source = Path(source_path)
    if not source.is_file():
        raise UserError("the run's source document is needed to rebuild its outputs",
                        source)
    text = read_text(source, what="source document")
    result = RunResult(
        doc_id=doc_id, source_path=source_path, segments=sorted(
            segments.values(), key=lambda s: s.number), units=units,
        layout=[LayoutNote(**n) for n in report.get("layout") or []],
        engine=report.get("engine") or {}, tm=report.get("tm") or {},
        glossary=report.get("glossary") or {}, timings=report.get("timings") or {},
        reference_path=report.get("reference_path"), options=report.get("options") or {})
    return result, text


def _lineage(tm: TranslationMemory, stored: StoredUnit) -> set[str]:
    return {h.target for h in tm.history(stored.id)} | {stored.mt_target}


def apply_memory(result: RunResult, tm: TranslationMemory) -> int:
    """Take each unit's latest stored version (edits, states); return how many changed.

    A stored unit of this document replaces the run's unit only when it descends from
    it (the run's target is in its history), so a later run's TM fill is never undone.
    A unit a person wrote or confirmed gets the risk of a vouched target
    (:func:`pipeline.risk.settle`).
    """
    from .risk import settle

    by_tuid = {u.tuid(result.doc_id): u for u in result.units}
    changed = 0
    for stored in tm.doc_units(result.doc_id):
        unit = by_tuid.get(stored.tuid)
        if unit is None or unit.target not in _lineage(tm, stored):
            continue
        if (unit.target, unit.state) != (stored.target, stored.state):
            changed += 1
        if stored.target != unit.target or not unit.origin.startswith("tm-"):
            unit.origin = stored.origin  # a fill keeps its tm-* origin while its text stands
            unit.match_score = None if stored.origin == "human" else unit.match_score
        if stored.target != unit.target:
            unit.flags = [f for f in unit.flags if f.check not in ("engine", "tm-difference")]
        unit.target, unit.state, unit.changed_by = stored.target, stored.state, stored.changed_by
        unit.mt_target = stored.mt_target
        unit.postedit = (effort(unit.mt_target, unit.target)
                         if reviewed_mt(unit) and unit.target != unit.mt_target else {})
    settle(result.units)
    return changed


def _recheck(result: RunResult) -> None:
    """QA, term flags and reference scores again, on the current targets."""
    from .glossary import verify_terms
    from .qa import run_checks

    for unit in result.units:
        if not unit.terms:
            continue
        unit.flags = [f for f in unit.flags if f.check != "term-violation"]
        for v in verify_terms(unit.target, unit.terms):
            unit.flags.append(Flag("term-violation", "error", f'{v.term.source}: expected '
                                   f'"{v.term.target}"' if v.kind != "forbidden" else
                                   f'{v.term.source}: forbidden "{v.found}"'))
    result.qa = run_checks(result.units, ignore=result.options.get("qa_ignore") or ())
    result.glossary["violations"] = sum(
        f.check == "term-violation" for u in result.units for f in u.flags)
    reference = result.reference_path
    if reference and Path(reference).is_file():
        from .align import align_reference
        from .score import score_units

        paragraphs = max((s.paragraph for s in result.segments), default=0)
        align_reference(result.units, read_text(reference, what="reference"), paragraphs)
        result.scores = score_units(result.units)


def rebuild_outputs(run_dir: str | Path, tm: TranslationMemory) -> RunResult:
    """Rewrite a run's TMX, English edition and reports from the memory (all or nothing)."""
    from .flow import write_outputs

    run_dir = Path(run_dir)
    result, text = load_run(run_dir)
    apply_memory(result, tm)
    _recheck(result)
    counts = {"exact": 0, "context": 0, "fuzzy": 0, "mt": 0, "copy": 0}
    for unit in result.units:
        key = unit.origin.removeprefix("tm-")
        if key in counts:
            counts[key] += 1
    result.tm = {**result.tm, **counts, "human": sum(u.origin == "human" for u in result.units)}
    result.postedit = document_effort(result.units)
    write_outputs(result, run_dir, result.options.get("layout", "auto"), text)
    return result
