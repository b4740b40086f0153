"""The XLIFF round trip: a run's units out to a CAT tool, its edits back into the memory.

Export (:func:`export_run`): one ``trans-unit`` per segment, id = our tuid, in document
order, grouped by paragraph; untranslated kinds as ``translate="no"``; the target's
``state``/``state-qualifier`` from the unit's origin and state; MT and TM candidates as
``alt-trans``; QA flags, glossary requirements and provenance as ``note``\\ s. In
``source`` mode (for OmegaT, which translates the text of ``<target>``) the target is
pre-filled with the Chinese source and the MT is only in ``alt-trans``.

Import (:func:`import_xliff`): the file must belong to a known run (ids, sources and
languages checked before anything is written). Each unit is judged by its text against
the memory, never by a ``state`` a tool may not have updated: a changed target is stored
as ``human``; an unchanged MT target stays ``mt`` and becomes ``approved`` only when the
file confirms it (``approved="yes"`` or a state past review). All writes are one
transaction; then the run's outputs are rebuilt from the memory.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from . import counts
from .errors import UserError
from .exchange.xliff import AltTrans, XliffFile, XliffUnit, read_xliff, write_xliff
from .fsutil import atomic_write_text
from .han import is_han
from .memory import EditConflict, StoredUnit, TranslationMemory
from .postedit import apply_memory, load_run, rebuild_outputs
from .units import RunResult, TMMatch, Unit

#: Our state → XLIFF ``state`` (MT drafts are ``needs-review-translation``).
XLIFF_STATES = {"translated": "translated", "reviewed": "signed-off", "approved": "final",
                "rejected": "needs-translation"}
#: XLIFF ``state`` → our state, for states that record a person's decision.
STATES_BACK = {"translated": "translated", "signed-off": "reviewed", "final": "approved"}
_STATE_RANK = {"draft": 0, "rejected": 0, "translated": 1, "reviewed": 2, "approved": 3}


def _collapse(text: str | None) -> str:
    return " ".join((text or "").split())


# ----------------------------------------------------------------------------- export


def _target_state(unit: Unit) -> tuple[str, str]:
    """``(state, state-qualifier)`` of a unit's target."""
    qualifier = {"tm-exact": "exact-match", "tm-context": "leveraged-tm",
                 "tm-fuzzy": "fuzzy-match", "mt": "mt-suggestion"}.get(unit.origin, "")
    if unit.origin == "mt" and unit.state in ("draft", ""):
        return "needs-review-translation", qualifier
    return XLIFF_STATES.get(unit.state, "translated"), qualifier


def _alt_trans(unit: Unit) -> list[AltTrans]:
    alts: list[AltTrans] = []
    mt_text = unit.mt_target or (unit.target if unit.origin == "mt" else "")
    if mt_text:
        alts.append(AltTrans(target=mt_text, origin=f"mt:{unit.engine or 'unknown'}"
                             + (f"/{unit.model}" if unit.model else "")))
    match = unit.tm_match
    if match is not None:
        alts.append(AltTrans(target=match.target, origin=f"tm:{match.origin or 'memory'}",
                             match_quality=f"{match.score:g}", source=match.source))
    return alts


def _risk_note(unit: Unit) -> tuple[str, str, int] | None:
    """The unit's risk as a note, priority 1 (shown first) when it is high."""
    from .risk import VOUCHED_RISK, load_model

    if unit.risk is None or unit.risk == VOUCHED_RISK:
        return None
    if unit.risk >= load_model().high:
        why = f" ({'; '.join(unit.risk_reasons)})" if unit.risk_reasons else ""
        return ("tmpipe-risk", f"risk {unit.risk:.2f}: high, check this segment first{why}",
                1)
    return ("tmpipe-risk", f"risk {unit.risk:.2f}", 3)


def _notes(unit: Unit) -> list[tuple[str, str, int]]:
    notes = [("tmpipe", f"origin: {unit.leverage}", 3)]
    risk = _risk_note(unit)
    if risk is not None:
        notes.append(risk)
    for match in unit.terms:
        notes.append(("tmpipe-glossary",
                      f"{match.term.source} → {match.term.target} (required rendering)", 2))
    for flag in unit.flags:
        notes.append(("tmpipe-qa", f"{flag.check} ({flag.severity}): {flag.message}",
                      1 if flag.severity == "error" else 3))
    return notes


def xliff_units(result: RunResult, target_mode: str = "mt",
                versions: dict[str, int] | None = None) -> list[XliffUnit]:
    """Every segment of a run as an XLIFF record, in document order.

    ``versions`` (tuid → version of the stored unit) go into each unit's ``prop-group`` so
    that an import can tell whether the memory changed since the export.
    """
    versions = versions or {}
    units = {u.number: u for u in result.units}
    records: list[XliffUnit] = []
    for segment in result.segments:
        tuid, group = f"{result.doc_id}:{segment.number}", f"p{segment.paragraph}"
        unit = units.get(segment.number)
        if unit is None:
            records.append(XliffUnit(id=tuid, source=segment.text, translate=False,
                                     group=group, notes=[("tmpipe", f"{segment.kind}: "
                                                          "not translated", 3)]))
            continue
        state, qualifier = _target_state(unit)
        record = XliffUnit(id=tuid, source=unit.source, target=unit.target, state=state,
                           state_qualifier=qualifier, approved=unit.state == "approved",
                           group=group, notes=_notes(unit), alt_trans=_alt_trans(unit))
        if tuid in versions:
            record.props["x-version"] = str(versions[tuid])
        if unit.risk is not None:
            record.props["x-risk"] = f"{unit.risk:.3f}"
        if target_mode == "source":
            record.target, record.state, record.state_qualifier = (
                unit.source, "needs-translation", "")
            record.approved = False
            if unit.origin != "mt" and not any(a.target == unit.target
                                               for a in record.alt_trans):
                record.alt_trans.insert(0, AltTrans(target=unit.target,
                                                    origin=f"tmpipe:{unit.leverage}"))
        records.append(record)
    return records


def export_run(run_dir: str | Path, tm: TranslationMemory, output: str | Path | None = None,
               target_mode: str = "mt", segmented_source: str | Path | None = None
               ) -> tuple[Path, int]:
    """Write a run's XLIFF (default ``RUN_DIR/<doc-id>.xlf``); return its path and units."""
    run_dir = Path(run_dir)
    result, _ = load_run(run_dir)
    apply_memory(result, tm)
    versions = {u.tuid: u.version for u in tm.doc_units(result.doc_id)}
    path = Path(output) if output else run_dir / f"{result.doc_id}.xlf"
    info = XliffFile(original=result.doc_id, source_language="zh-CN", target_language="en",
                     props={"x-doc": result.doc_id, "x-run-dir": str(run_dir.resolve()),
                            "x-target-mode": target_mode})
    count = write_xliff(path, info, xliff_units(result, target_mode, versions))
    if segmented_source is not None:
        atomic_write_text(segmented_source,
                          "".join(_collapse(u.source) + "\n" for u in result.units))
    return path, count


# ----------------------------------------------------------------------------- import


@dataclass
class ImportReport:
    """What an XLIFF import did."""

    doc_id: str = ""
    run_dir: str = ""
    units: int = 0
    edited: int = 0
    confirmed: int = 0
    unchanged: int = 0
    untranslated: int = 0
    skipped: int = 0  # translate="no"


@dataclass
class _Decision:
    unit: Unit
    stored: StoredUnit | None
    target: str
    state: str
    edit: bool


def _primary(lang: str) -> str:
    return lang.replace("_", "-").split("-")[0].lower()


def _check_languages(info: XliffFile, path: Path) -> None:
    if _primary(info.source_language) != "zh":
        raise UserError(f"XLIFF source-language is {info.source_language!r}, expected zh",
                        path)
    if _primary(info.target_language) != "en":
        raise UserError(f"XLIFF target-language is {info.target_language!r}, expected en",
                        path)


def _find_run(info: XliffFile, run_dir: Path | None, path: Path) -> Path:
    candidate = run_dir or (Path(info.props["x-run-dir"]) if info.props.get("x-run-dir")
                            else None)
    if candidate is None or not (candidate / "report.json").is_file():
        raise UserError(f"document {info.original!r}: its run folder is unknown or gone; "
                        "give --run RUN_DIR", path)
    return candidate


def _not_english(target: str) -> bool:
    letters = [c for c in target if c.isalpha()]
    return bool(letters) and sum(is_han(c) for c in letters) > len(letters) / 3


def _validate(records: list[XliffUnit], result: RunResult, path: Path) -> None:
    """Ids, sources and target languages against the run; raise before anything is written."""
    sources = {f"{result.doc_id}:{s.number}": s.text for s in result.segments}
    seen: set[str] = set()
    for record in records:
        where = f"unit {record.id}"
        if record.id in seen:
            raise UserError(f"{where}: duplicated id", path, record.line)
        seen.add(record.id)
        if record.id not in sources:
            raise UserError(f"{where}: not a segment of document {result.doc_id!r}", path,
                            record.line)
        if _collapse(record.source) != _collapse(sources[record.id]):
            raise UserError(f"{where}: source text changed; export the run again", path,
                            record.line)
        if record.target_lang and _primary(record.target_lang) != "en":
            raise UserError(f"{where}: target language is {record.target_lang!r}, expected "
                            "en", path, record.line)
        target = _collapse(record.target)
        if record.translate and target and target != _collapse(record.source) \
                and _not_english(target):
            raise UserError(f"{where}: target is not English", path, record.line)


def _decide(record: XliffUnit, unit: Unit, stored: StoredUnit | None
            ) -> _Decision | str:
    """What a record means for the memory: a decision, or why nothing changes."""
    target = _collapse(record.target)
    if not target or target == _collapse(record.source):
        return "untranslated"
    decided = "approved" if record.approved else STATES_BACK.get(record.state)
    if target == _collapse(unit.target):
        if stored is None or decided is None:
            return "unchanged"
        state = "approved" if stored.origin == "mt" else decided
        if _STATE_RANK.get(state, 0) <= _STATE_RANK.get(stored.state, 0):
            return "unchanged"
        return _Decision(unit, stored, stored.target, state, edit=False)
    return _Decision(unit, stored, record.target or "", decided or "translated", edit=True)


def _previous(result: RunResult, unit: Unit) -> str | None:
    index = result.units.index(unit)
    prev = result.units[index - 1] if index else None
    return prev.source if prev and prev.segment.paragraph == unit.segment.paragraph else None


def _apply(decisions: list[_Decision], result: RunResult, tm: TranslationMemory,
           reviewer: str, path: Path) -> None:
    with tm.batch():
        for d in decisions:
            tuid = d.unit.tuid(result.doc_id)
            try:
                if d.stored is not None:
                    tm.save_edit(d.stored.id, d.target, state=d.state, reviewer=reviewer,
                                 expected_version=d.stored.version)
                    continue
                replaced = d.unit.tm_match or TMMatch(d.unit.source, d.unit.target, 100.0,
                                                      "exact", d.unit.origin)
                if replaced.target != d.unit.target:  # an example, not the fill
                    replaced = TMMatch(d.unit.source, d.unit.target, 100.0, "exact",
                                       d.unit.origin)
                tm.add_edit(d.unit.source, _previous(result, d.unit), d.target,
                            doc_id=result.doc_id, tuid=tuid, state=d.state, reviewer=reviewer,
                            replaced=replaced)
            except EditConflict as exc:
                raise UserError(f"unit {tuid}: changed in the memory meanwhile (version "
                                f"{exc.current.version}); nothing was imported", path) from exc


def import_xliff(path: str | Path, tm: TranslationMemory, reviewer: str,
                 run_dir: str | Path | None = None) -> list[ImportReport]:
    """Import an edited XLIFF into the memory and rebuild each run's outputs."""
    path = Path(path)
    plans: list[tuple[ImportReport, RunResult, Path, list[_Decision]]] = []
    for info, records in read_xliff(path):
        _check_languages(info, path)
        folder = _find_run(info, Path(run_dir) if run_dir else None, path)
        result, _ = load_run(folder)
        if result.doc_id != info.original:
            raise UserError(f"document {info.original!r} is not the run in {folder} "
                            f"({result.doc_id!r})", path)
        apply_memory(result, tm)
        _validate(records, result, path)
        stored = {u.tuid: u for u in tm.doc_units(result.doc_id)}
        units = {u.tuid(result.doc_id): u for u in result.units}
        report = ImportReport(doc_id=result.doc_id, run_dir=str(folder), units=len(records))
        decisions: list[_Decision] = []
        for record in records:
            unit = units.get(record.id)
            if not record.translate or unit is None:
                report.skipped += 1
                continue
            current = stored.get(record.id)
            if current is not None and _collapse(current.target) != _collapse(unit.target):
                current = None  # the run used another unit (a fill); edit that one's text
            outcome = _decide(record, unit, current)
            exported = record.props.get("x-version", "")
            if isinstance(outcome, _Decision) and outcome.edit and current is not None \
                    and counts.count(exported) not in (None, current.version):
                raise UserError(f"unit {record.id}: changed in the memory since the export "
                                f"(version {exported} → {current.version}); export again and "
                                "redo this edit; nothing was imported", path, record.line)
            if isinstance(outcome, _Decision):
                decisions.append(outcome)
                report.edited += outcome.edit
                report.confirmed += not outcome.edit
            elif outcome == "untranslated":
                report.untranslated += 1
            else:
                report.unchanged += 1
        plans.append((report, result, folder, decisions))
    if not plans:
        raise UserError("XLIFF has no file element", path)
    with tm.batch():
        for _, result, _, decisions in plans:
            _apply(decisions, result, tm, reviewer, path)
    for _, _, folder, _ in plans:
        rebuild_outputs(folder, tm)
    return [plan[0] for plan in plans]
