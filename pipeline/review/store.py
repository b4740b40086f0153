"""The workspace's one door to the translation memory.

:class:`MemoryStore` is the only place in :mod:`pipeline.review` that calls the memory
(``doc_units``, ``save_edit``, ``history``, ``concordance``, ``lookup``) and the post-edit
rebuild; the server and the workspace see :class:`Record`\\ s and plain dicts. Each call
opens the memory for its own duration, so a server thread never shares a SQLite
connection and two servers (two reviewers) can work on one memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol


@dataclass(frozen=True)
class Record:
    """A document unit as the memory holds it now."""

    id: int
    tuid: str
    source: str
    target: str
    origin: str
    state: str
    version: int
    mt_target: str = ""
    engine: str = ""
    model: str = ""
    changed_by: str = ""
    changed_at: str = ""
    props: dict[str, str] = field(default_factory=dict)


class Conflict(Exception):
    """A save against a unit that changed since the client loaded it."""

    def __init__(self, current: Record):
        super().__init__(f"unit {current.tuid} changed (version {current.version})")
        self.current = current


class Store(Protocol):
    """What the workspace needs from a memory."""

    def records(self, doc_id: str) -> list[Record]: ...

    def stamp(self) -> object | None: ...

    def save(self, record_id: int, target: str, *, state: str, reviewer: str,
             expected_version: int) -> Record: ...

    def add(self, source: str, previous: str | None, target: str, *, doc_id: str, tuid: str,
            state: str, reviewer: str, replaced: str, replaced_origin: str) -> Record: ...

    def history(self, record_id: int) -> list[dict]: ...

    def lineage(self, record_id: int) -> set[str]: ...

    def matches(self, source: str, previous: str | None, exclude: int | None) -> list[dict]: ...

    def concordance(self, text: str, side: str, limit: int) -> list[dict]: ...

    def rebuild(self, run_dir: Path) -> list[Path]: ...

    def write_xliff(self, run_dir: Path, path: Path) -> Path: ...


def _record(unit) -> Record:
    return Record(
        id=unit.id, tuid=unit.tuid, source=unit.source, target=unit.target,
        origin=unit.origin, state=unit.state, version=unit.version,
        mt_target=unit.mt_target or "", engine=unit.engine or "", model=unit.model or "",
        changed_by=unit.changed_by or "", changed_at=unit.changed_at or "",
        props=dict(unit.props or {}),
    )


class MemoryStore:
    """:class:`Store` over a :class:`pipeline.memory.TranslationMemory` file."""

    def __init__(self, tm_path: Path):
        self.tm_path = Path(tm_path)

    def _open(self):
        from ..memory import TranslationMemory

        return TranslationMemory(self.tm_path)

    def stamp(self) -> tuple | None:
        """Changes whenever the memory file changes (size and time of the file and its WAL)."""
        stamps = []
        for path in (self.tm_path, Path(f"{self.tm_path}-wal")):
            try:
                info = path.stat()
            except FileNotFoundError:
                stamps.append(None)
                continue
            stamps.append((info.st_mtime_ns, info.st_size, info.st_ino))
        return tuple(stamps)

    def records(self, doc_id: str) -> list[Record]:
        with self._open() as tm:
            return [_record(u) for u in tm.doc_units(doc_id)]

    def save(self, record_id: int, target: str, *, state: str, reviewer: str,
             expected_version: int) -> Record:
        from ..memory import EditConflict

        with self._open() as tm:
            try:
                unit = tm.save_edit(record_id, target, state=state, reviewer=reviewer,
                                    expected_version=expected_version)
            except EditConflict as exc:
                raise Conflict(_record(exc.current)) from exc
            return _record(unit)

    def add(self, source: str, previous: str | None, target: str, *, doc_id: str, tuid: str,
            state: str, reviewer: str, replaced: str, replaced_origin: str) -> Record:
        from ..units import TMMatch

        match = TMMatch(source=source, target=replaced, score=100.0, kind="exact",
                        origin=replaced_origin)
        with self._open() as tm:
            return _record(tm.add_edit(source, previous, target, doc_id=doc_id, tuid=tuid,
                                       state=state, reviewer=reviewer, replaced=match))

    def history(self, record_id: int) -> list[dict]:
        with self._open() as tm:
            return [{"version": h.version, "at": h.at, "by": h.by, "state": h.state,
                     "origin": h.origin, "target": h.target} for h in tm.history(record_id)]

    def lineage(self, record_id: int) -> set[str]:
        with self._open() as tm:
            return {h.target for h in tm.history(record_id)}

    def matches(self, source: str, previous: str | None, exclude: int | None) -> list[dict]:
        with self._open() as tm:
            found = tm.lookup(source, previous=previous, fuzzy_min=50, limit=6)
        return [{"source": m.source, "target": m.target, "score": m.score, "kind": m.kind,
                 "origin": m.origin, "differences": list(m.differences)}
                for m in found if m.unit_id != exclude][:5]

    def concordance(self, text: str, side: str, limit: int) -> list[dict]:
        with self._open() as tm:
            return [{"source": u.source, "target": u.target, "origin": u.origin,
                     "state": u.state, "doc_id": u.doc_id, "tuid": u.tuid,
                     "changed_by": u.changed_by, "changed_at": u.changed_at}
                    for u in tm.concordance(text, side, limit)]

    def rebuild(self, run_dir: Path) -> list[Path]:
        from ..postedit import rebuild_outputs

        with self._open() as tm:
            result = rebuild_outputs(run_dir, tm)
        return [Path(p) for p in result.options.get("outputs", {}).values()]

    def write_xliff(self, run_dir: Path, path: Path) -> Path:
        from ..roundtrip import export_run

        with self._open() as tm:
            written, _ = export_run(run_dir, tm, path)
        return Path(written)
