"""One run under review: its segments, the memory's units, and the checks on every edit.

The run folder's ``report.json`` gives the document (segment numbers, kinds, paragraphs,
the draft and its engine notes, the run's ``--qa-ignore``); the memory gives each unit's
current text, state and version. The flags ``tmpipe run`` computed stand while a unit's
text is the one they were computed for; a changed text is re-checked with the code of the
run: the glossary verification of :mod:`pipeline.flow` (:func:`pipeline.glossary.verify_terms`)
and :func:`pipeline.qa.run_checks`, with the length range learned once from the whole
document (as a run learns it).
"""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from ..errors import UserError
from ..glossary import Glossary, verify_terms
from ..qa import TERM_CHECK, LengthRange, check_length_ratio, learn_length_range, run_checks
from ..risk import VOUCHED_RISK, decided_by_person
from ..translate import flag_term_violations
from ..units import CONFIRMED_STATES, STATES, Flag, Segment, Unit
from .store import Conflict, Record, Store

#: Flags about the machine draft: they stop applying once a person changed the text.
DRAFT_CHECKS = frozenset({"engine", "echo", "tm-difference"})
REPORT_LIMIT = 256 * 1024 * 1024
MAX_TARGET = 20_000


class NotFound(Exception):
    """No such segment, or the segment has no unit in the memory."""


class SaveConflict(Exception):
    """A save refused because the unit changed since it was loaded: both texts."""

    def __init__(self, yours: str, theirs: dict):
        super().__init__("conflict: the unit changed since you loaded it")
        self.yours = yours
        self.theirs = theirs


@dataclass
class Row:
    """A segment of the document with its unit, its memory record and its draft."""

    unit: Unit
    tuid: str
    draft: str
    draft_flags: list[Flag]
    previous: str | None
    checked: str = ""  # the text the unit's flags were computed for
    risk: float | None = None
    risk_reasons: list[str] = field(default_factory=list)
    record: Record | None = None
    view: dict | None = None  # the grid's dict, until the record or the flags change

    @property
    def number(self) -> int:
        return self.unit.number


def _flag(data: dict) -> Flag:
    return Flag(str(data.get("check", "")), str(data.get("severity", "warning")),
                str(data.get("message", "")))


def _flag_dict(flag: Flag) -> dict:
    return {"check": flag.check, "severity": flag.severity, "message": flag.message}


def read_report(run_dir: Path) -> dict:
    """The run's ``report.json`` (UserError naming the file when missing or not ours)."""
    path = run_dir / "report.json"
    try:
        if path.stat().st_size > REPORT_LIMIT:
            raise UserError("report.json is too large", path)
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError as exc:
        raise UserError("not a tmpipe run folder: report.json missing", run_dir) from exc
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise UserError(f"cannot read report.json: {exc}", path) from exc
    if not isinstance(data, dict) or not isinstance(data.get("units"), list) or not data.get(
            "doc_id"):
        raise UserError("report.json has no doc_id or units", path)
    return data


def _rows(report: dict, glossary: Glossary | None) -> list[Row]:
    rows: list[Row] = []
    last: dict | None = None
    for item in report["units"]:
        segment = Segment(number=int(item["number"]), paragraph=int(item.get("paragraph") or 0),
                          text=str(item["source"]), spans=[], kind=str(item.get("kind", "body")),
                          flags=[str(f) for f in item.get("segment_flags") or []])
        unit = Unit(segment=segment, target=str(item.get("target") or ""),
                    origin=str(item.get("origin") or ""), match_score=item.get("match"),
                    engine=str(item.get("engine") or ""), model=str(item.get("model") or ""),
                    retries=int(item.get("retries") or 0))
        unit.terms = list(glossary.match(unit.source)) if glossary else []
        flags = [_flag(f) for f in item.get("flags") or [] if isinstance(f, dict)]
        same_paragraph = last is not None and last.get("paragraph") == item.get("paragraph")
        unit.flags = flags
        rows.append(Row(unit=unit, checked=unit.target, tuid=str(item.get("tuid") or
                                            f"{report['doc_id']}:{segment.number}"),
                        draft=unit.target, draft_flags=[f for f in flags
                                                        if f.check in DRAFT_CHECKS],
                        previous=str(last["source"]) if same_paragraph else None,
                        risk=item.get("risk") if isinstance(item.get("risk"), int | float)
                        else None,
                        risk_reasons=[str(r) for r in item.get("risk_reasons") or []
                                      if isinstance(r, str)]))
        last = item
    return rows


def _risk_view(row: Row, record: Record | None) -> dict:
    """The run's risk and its reasons, or the vouched risk once a person wrote or confirmed
    the unit."""
    if row.risk is not None and record and decided_by_person(record.origin, record.state):
        return {"risk": VOUCHED_RISK, "risk_reasons": []}
    return {"risk": row.risk, "risk_reasons": list(row.risk_reasons)}


class Workspace:
    """The state of one run under review, shared by the server's request threads."""

    def __init__(self, run_dir: Path, store: Store, *, glossary: Glossary | None = None,
                 reviewer: str):
        self.run_dir = Path(run_dir)
        self.store = store
        self.reviewer = reviewer
        report = read_report(self.run_dir)
        self.doc_id: str = str(report["doc_id"])
        self.qa_ignore = tuple(str(c) for c in (report.get("options") or {}).get("qa_ignore")
                               or ())
        self.rows = _rows(report, glossary)
        risk = report.get("risk")
        high = risk.get("high") if isinstance(risk, dict) else None
        self.risk_high: float | None = high if isinstance(high, int | float) else None
        self.by_number = {row.number: row for row in self.rows}
        self.bounds: LengthRange | None = None
        if "length-ratio" not in self.qa_ignore:
            self.bounds = learn_length_range([row.unit for row in self.rows])
        self.lock = threading.Lock()
        self._lineage: dict[tuple[int, int], bool] = {}
        self._stamp: object | None = None
        self.refresh()

    # -- reading

    def refresh(self) -> None:
        """Take every unit's current text, state and version from the memory (unless the
        memory file is unchanged since the last look); re-check the units whose text changed."""
        stamp = self.store.stamp()
        if stamp is not None and stamp == self._stamp:
            return  # the memory has not changed since the last look
        records = {r.tuid: r for r in self.store.records(self.doc_id)}
        with self.lock:
            self._stamp = stamp
            for row in self.rows:
                record = self._descendant(row, records.get(row.tuid))
                if record != row.record:
                    row.record, row.view = record, None
                row.unit.target = row.record.target if row.record else row.draft
                if row.unit.target != row.checked:
                    self._recheck(row)

    def _descendant(self, row: Row, record: Record | None) -> Record | None:
        """``record`` when it is this run's unit or an edit of it; None for a unit of the
        same segment that the run did not use (the run filled it from another unit)."""
        if record is None or row.draft in (record.target, record.mt_target):
            return record
        key = (record.id, record.version)
        if key not in self._lineage:
            self._lineage[key] = row.draft in self.store.lineage(record.id)
        return record if self._lineage[key] else None

    def _recheck(self, row: Row) -> None:
        """Glossary verification, then every QA check of the run, on the unit's text."""
        unit = row.unit
        unit.flags = list(row.draft_flags) if unit.target == row.draft else []
        if unit.terms:
            flag_term_violations(unit)
        run_checks([unit], ignore={*self.qa_ignore, "length-ratio"})
        if self.bounds is not None and unit.segment.translatable and unit.target.strip():
            unit.flags.extend(check_length_ratio(unit, self.bounds))
        row.checked = unit.target
        row.view = None

    def row_dict(self, row: Row) -> dict:
        """What the grid shows for one segment."""
        if row.view is None:
            row.view = self._view(row)
        return row.view

    @staticmethod
    def _view(row: Row) -> dict:
        unit, record = row.unit, row.record
        return {
            "n": unit.number, "tuid": row.tuid, "source": unit.source, "target": unit.target,
            "kind": unit.segment.kind, "paragraph": unit.segment.paragraph,
            "state": record.state if record else "", "origin": record.origin if record
            else unit.origin, "version": record.version if record else 0,
            "changed_by": record.changed_by if record else "",
            "changed_at": record.changed_at if record else "",
            "editable": unit.segment.translatable,
            "confirmed": bool(record and record.state in CONFIRMED_STATES),
            "flags": [_flag_dict(f) for f in unit.flags],
            "segment_flags": list(unit.segment.flags),
            "violations": sum(f.check == TERM_CHECK for f in unit.flags),
            **_risk_view(row, record),
        }

    def listing(self) -> dict:
        """The whole document for the grid."""
        self.refresh()
        with self.lock:
            rows = [self.row_dict(row) for row in self.rows]
        checks = sorted({f["check"] for r in rows for f in r["flags"]})
        origins = sorted({r["origin"] for r in rows if r["origin"]})
        return {"doc_id": self.doc_id, "reviewer": self.reviewer, "states": list(STATES),
                "checks": checks, "origins": origins,
                "has_risk": any(r["risk"] is not None for r in rows),
                "risk_high": self.risk_high, "units": rows}

    def _row(self, number: int) -> Row:
        row = self.by_number.get(number)
        if row is None:
            raise NotFound(f"no segment {number}")
        return row

    def detail(self, number: int) -> dict:
        """The side panel: glossary entries, TM matches with differences, the MT, history."""
        row = self._row(number)
        unit, record = row.unit, row.record
        found: dict[str, list] = {}
        for v in verify_terms(unit.target, unit.terms) if unit.terms else []:
            found.setdefault(v.term.source, []).append(v)
        terms = []
        for match in unit.terms:
            term = match.term
            violations = found.get(term.source, [])
            forbidden = [v.found for v in violations if v.kind == "forbidden"]
            status = "forbidden" if forbidden else "missing" if violations else "met"
            terms.append({"source": term.source, "target": term.target,
                          "variants": list(term.variants), "forbidden": list(term.forbidden),
                          "note": term.note, "status": status, "found": ", ".join(forbidden)})
        matches = self.store.matches(unit.source, row.previous,
                                     record.id if record else None)
        for m in matches:
            m["diff"] = diff_ops(m["source"], unit.source)
        mt = record.mt_target if record and record.mt_target else (
            row.draft if unit.origin == "mt" else "")
        return {"n": number, "terms": terms, "matches": matches, "mt": mt, "draft": row.draft,
                "engine": record.engine if record else unit.engine,
                "history": self.store.history(record.id) if record else [],
                "unit": self.row_dict(row)}

    def concordance(self, text: str, side: str, limit: int) -> list[dict]:
        return self.store.concordance(text, side, limit)

    # -- writing

    def save(self, number: int, target: str, state: str, version: int) -> dict:
        """Store an edit in one transaction and re-check the unit.

        Raises :class:`SaveConflict` (nothing written) when the unit changed since
        ``version``. Returns the unit as the grid shows it, with its new flags.
        """
        row = self._row(number)
        with self.lock:
            try:
                record = self._store_edit(row, target, state, version)
            except Conflict as exc:
                row.record, row.view = exc.current, None
                row.unit.target = exc.current.target
                self._recheck(row)
                raise SaveConflict(target, self.row_dict(row)) from exc
            row.record, row.view = record, None
            row.unit.target = record.target
            self._recheck(row)
            return {"unit": self.row_dict(row)}

    def _store_edit(self, row: Row, target: str, state: str, version: int) -> Record:
        """Save onto the unit's record, or add one for a segment the memory filled
        (``version`` 0: the client saw no record)."""
        if row.record is not None:
            if version == 0:
                raise Conflict(row.record)
            return self.store.save(row.record.id, target, state=state, reviewer=self.reviewer,
                                   expected_version=version)
        if version != 0:
            raise NotFound(f"segment {row.number} has no unit at version {version}")
        return self.store.add(row.unit.source, row.previous, target, doc_id=self.doc_id,
                              tuid=row.tuid, state=state, reviewer=self.reviewer,
                              replaced=row.draft, replaced_origin=row.unit.origin)

    def export(self, xliff: bool) -> list[str]:
        """Rebuild the run's outputs from the memory (and write its XLIFF)."""
        with self.lock:
            written = self.store.rebuild(self.run_dir)
            if xliff:
                written.append(self.store.write_xliff(self.run_dir,
                                                      self.run_dir / f"{self.doc_id}.xlf"))
        return [str(p) for p in written]


def diff_ops(old: str, new: str) -> list[list[str]]:
    """``[op, text]`` pieces turning a TM source into the segment's source
    (op ``=`` same, ``-`` only in the match, ``+`` only in the segment)."""
    out: list[list[str]] = []
    for tag, i1, i2, j1, j2 in SequenceMatcher(a=old, b=new, autojunk=False).get_opcodes():
        if tag == "equal":
            out.append(["=", old[i1:i2]])
            continue
        if i2 > i1:
            out.append(["-", old[i1:i2]])
        if j2 > j1:
            out.append(["+", new[j1:j2]])
    return out


__all__ = ["Workspace", "Row", "NotFound", "SaveConflict", "diff_ops", "read_report"]
