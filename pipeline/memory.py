"""The translation memory: a SQLite file with exact, context and fuzzy leverage.

Storage: one ``units`` table (source, target, languages, normalised key, key of the
previous source, origin, provenance, dates, QA flags, scores, TMX props and inline XML)
and an FTS5 trigram index over the key. WAL mode and a busy timeout let two processes
use one memory at once; every batch is one transaction. A ``schema_version`` table
drives migrations; a newer version or a file that is not SQLite is refused.

Matching (:meth:`TranslationMemory.lookup`): 101 when the key and the previous
segment's key match, 100 when the key matches, else fuzzy: candidates from a few rare
trigrams of the query (bounded), scored ``100 × (1 − edit distance / max length)`` on
characters, minus 5 per differing number, 2 per differing Latin word; punctuation-only
differences score 99. ``TMMatch.differences`` says what a reviewer must fix.
"""

from __future__ import annotations

import gzip
import io
import json
import re
import sqlite3
import time
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from .errors import UserError
from .normalize import normalize_key, strip_punctuation
from .tmx import TU, iter_tus, tmx_date, unit_props
from .units import TMMatch, Unit

SCHEMA_VERSION = 1
DEFAULT_TM_PATH = Path("output/memory.sqlite")  # same default as flow.DEFAULT_TM
HUMAN_ORIGINS = ("human", "tm-import", "aligned")
STORED_ORIGINS = ("mt", *HUMAN_ORIGINS)
CHUNK = 5000
NUMBER_PENALTY = 5.0
LATIN_PENALTY = 2.0
PUNCT_ONLY_SCORE = 99.0
MAX_GRAMS = 10  # trigrams used to fetch fuzzy candidates
POSTING_BUDGET = 10000  # documents those trigrams may touch in total
MAX_CANDIDATES = 60

_NUMBER = re.compile(r"\d+(?:[.,:]\d+)*%?")
_LATIN = re.compile(r"[A-Za-z][A-Za-z'\-]*")
_CODEISH = re.compile(r"[0-9A-Za-z.,:%'\- ]+")

_MIGRATIONS: dict[int, tuple[str, ...]] = {
    1: (
        """CREATE TABLE units (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            target TEXT NOT NULL,
            source_lang TEXT NOT NULL DEFAULT 'zh-CN',
            target_lang TEXT NOT NULL DEFAULT 'en',
            key TEXT NOT NULL,
            prev_key TEXT NOT NULL DEFAULT '',
            origin TEXT NOT NULL,
            engine TEXT NOT NULL DEFAULT '',
            model TEXT NOT NULL DEFAULT '',
            model_sha256 TEXT NOT NULL DEFAULT '',
            doc_id TEXT NOT NULL DEFAULT '',
            tuid TEXT NOT NULL DEFAULT '',
            created_at TEXT NOT NULL,
            created_by TEXT NOT NULL DEFAULT '',
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL DEFAULT '',
            flags TEXT NOT NULL DEFAULT '[]',
            scores TEXT NOT NULL DEFAULT '{}',
            props TEXT NOT NULL DEFAULT '{}',
            source_xml TEXT,
            target_xml TEXT
        )""",
        "CREATE UNIQUE INDEX units_key ON units(key, prev_key, target)",
        "CREATE INDEX units_doc ON units(doc_id)",
        "CREATE VIRTUAL TABLE units_fts USING fts5("
        "key, content='units', content_rowid='id', tokenize='trigram')",
        "CREATE VIRTUAL TABLE units_vocab USING fts5vocab(units_fts, 'row')",
        """CREATE TRIGGER units_ai AFTER INSERT ON units BEGIN
            INSERT INTO units_fts(rowid, key) VALUES (new.id, new.key); END""",
        """CREATE TRIGGER units_ad AFTER DELETE ON units BEGIN
            INSERT INTO units_fts(units_fts, rowid, key) VALUES ('delete', old.id, old.key); END""",
        """CREATE TRIGGER units_au AFTER UPDATE OF key ON units BEGIN
            INSERT INTO units_fts(units_fts, rowid, key) VALUES ('delete', old.id, old.key);
            INSERT INTO units_fts(rowid, key) VALUES (new.id, new.key); END""",
    ),
}

_COLUMNS = (
    "source, target, source_lang, target_lang, key, prev_key, origin, engine, model, "
    "model_sha256, doc_id, tuid, created_at, created_by, changed_at, changed_by, flags, "
    "scores, props, source_xml, target_xml"
)
_PLACEHOLDERS = ", ".join("?" * len(_COLUMNS.split(",")))
_UPSERT = (
    f"INSERT INTO units ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) "
    "ON CONFLICT(key, prev_key, target) DO UPDATE SET "
    "changed_at = excluded.changed_at, changed_by = excluded.changed_by, "
    "doc_id = excluded.doc_id, tuid = excluded.tuid, flags = excluded.flags, "
    "scores = excluded.scores, props = excluded.props, engine = excluded.engine, "
    "model = excluded.model, model_sha256 = excluded.model_sha256, "
    "origin = CASE WHEN units.origin = 'mt' THEN excluded.origin ELSE units.origin END"
)
_INSERT_NEW = f"INSERT INTO units ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) ON CONFLICT DO NOTHING"
_SELECT = (
    "SELECT id, source, target, key, prev_key, origin, engine, model_sha256, changed_at, model, "
    "flags, props"
)


@dataclass
class StoredUnit:
    """A unit as stored in the memory (what :meth:`TranslationMemory.iter_units` yields)."""

    id: int
    source: str
    target: str
    source_lang: str
    target_lang: str
    origin: str
    engine: str = ""
    model: str = ""
    model_sha256: str = ""
    doc_id: str = ""
    tuid: str = ""
    created_at: str = ""
    created_by: str = ""
    changed_at: str = ""
    changed_by: str = ""
    flags: list[dict] = field(default_factory=list)
    scores: dict[str, float] = field(default_factory=dict)
    props: dict[str, str] = field(default_factory=dict)
    source_xml: str | None = None
    target_xml: str | None = None

    def to_tu(self) -> TU:
        """The TMX unit for export (props carry the stored origin and provenance)."""
        props = dict(self.props)
        props["x-origin"] = self.origin
        for name, value in (("x-engine", self.engine), ("x-model", self.model),
                            ("x-model-sha256", self.model_sha256), ("x-doc", self.doc_id)):
            if value:
                props[name] = value
        return TU(
            tuid=self.tuid or f"tm:{self.id}", source=self.source, target=self.target,
            srclang=self.source_lang, tgtlang=self.target_lang, props=props,
            source_xml=self.source_xml or "", target_xml=self.target_xml or "",
            creationdate=self.created_at, changedate=self.changed_at,
            creationid=self.created_by, changeid=self.changed_by,
        )


# ----------------------------------------------------------------------------- scoring


def _token_diffs(old: list[str], new: list[str], what: str) -> list[str]:
    """``what old → new`` for each differing token (TM source ``old``, query ``new``)."""
    out: list[str] = []
    matcher = SequenceMatcher(a=old, b=new, autojunk=False)
    for tag, i1, i2, j1, j2 in matcher.get_opcodes():
        if tag == "equal":
            continue
        a, b = old[i1:i2], new[j1:j2]
        for k in range(max(len(a), len(b))):
            if k < len(a) and k < len(b):
                out.append(f"{what} {a[k]} → {b[k]}")
            elif k < len(a):
                out.append(f"{what} {a[k]} removed")
            else:
                out.append(f"{what} {b[k]} added")
    return out


def _text_diffs(old: str, new: str, limit: int = 4) -> list[str]:
    """Character edits outside numbers and Latin words, as ``text "a" → "b"``."""
    out: list[str] = []
    for op in Levenshtein.opcodes(old, new):
        if op.tag == "equal":
            continue
        a, b = old[op.src_start : op.src_end], new[op.dest_start : op.dest_end]
        if _CODEISH.fullmatch(a or " ") and _CODEISH.fullmatch(b or " "):
            continue
        if op.tag == "replace":
            out.append(f'text "{a}" → "{b}"')
        elif op.tag == "delete":
            out.append(f'text "{a}" removed')
        else:
            out.append(f'text "{b}" added')
        if len(out) >= limit:
            break
    return out


def _engine_notes(flags_json: str | None) -> tuple[str, ...]:
    """The engine's notes among a stored unit's flags (QA flags are recomputed on reuse)."""
    return tuple(f.get("message", "") for f in _json(flags_json or "", list)
                 if isinstance(f, dict) and f.get("check") == "engine")


def _retries(props_json: str | None) -> int:
    """The engine retries recorded in a stored unit's TMX props."""
    value = _json(props_json or "", dict).get("x-retries", "0")
    return int(value) if str(value).isdigit() else 0


def score_fuzzy(query_key: str, tm_key: str) -> tuple[float, tuple[str, ...]]:
    """Fuzzy match % of a stored key against the query key, and the differences."""
    if strip_punctuation(query_key) == strip_punctuation(tm_key):
        return PUNCT_ONLY_SCORE, ("punctuation",)
    base = Levenshtein.normalized_similarity(query_key, tm_key) * 100.0
    numbers = _token_diffs(_NUMBER.findall(tm_key), _NUMBER.findall(query_key), "number")
    latin = _token_diffs(_LATIN.findall(tm_key), _LATIN.findall(query_key), "word")
    score = base - NUMBER_PENALTY * len(numbers) - LATIN_PENALTY * len(latin)
    score = max(0.0, min(score, 99.0))
    differences = tuple(numbers + latin + _text_diffs(tm_key, query_key))
    return round(score, 1), differences


def _rank(match: TMMatch, changed_at: str) -> tuple:
    return (-match.score, match.origin == "mt", _neg(changed_at), -(match.unit_id or 0))


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def _fts_quote(gram: str) -> str:
    return '"' + gram.replace('"', '""') + '"'


# ----------------------------------------------------------------------------- input


def _open_text_lines(path: Path) -> Iterator[str]:
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise UserError("file not found", path) from exc
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", path) from exc
    with raw:
        stream = gzip.GzipFile(fileobj=raw) if raw.read(2) == b"\x1f\x8b" else raw
        raw.seek(0)
        text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
        line_no = 0
        try:
            for line_no, line in enumerate(text, start=1):  # noqa: B007 - used on error
                yield line
        except UnicodeDecodeError as exc:
            raise UserError("not valid UTF-8 text", path, line_no + 1) from exc
        except (OSError, EOFError) as exc:
            raise UserError(f"cannot read: {exc}", path, line_no + 1) from exc


def iter_tsv_pairs(path: str | Path) -> Iterator[tuple[str, str]]:
    """Stream ``source<TAB>target`` pairs from a TSV file (optionally gzip-compressed)."""
    path = Path(path)
    for line_no, line in enumerate(_open_text_lines(path), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise UserError(f"expected 2 tab-separated columns, found {len(parts)}", path,
                            line_no)
        source, target = parts[0].strip(), parts[1].strip()
        if not source or not target:
            raise UserError("empty source or target", path, line_no)
        yield source, target


# ----------------------------------------------------------------------------- the store


class TranslationMemory:
    """A translation memory in one SQLite file (created when missing)."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0):
        self.path = Path(path)
        if self.path.is_dir():
            raise UserError("translation memory path is a folder", self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
        except (OSError, sqlite3.Error) as exc:
            raise UserError(f"cannot open translation memory: {exc}", self.path) from exc
        try:
            self._setup(timeout)
        except sqlite3.OperationalError as exc:
            self.conn.close()
            raise UserError(f"cannot open translation memory: {exc}", self.path) from exc
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise UserError(f"not a translation memory (SQLite said: {exc})", self.path) from exc
        except BaseException:
            self.conn.close()
            raise

    # -- lifecycle

    def _setup(self, timeout: float) -> None:
        conn = self.conn
        conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
        self._refuse_foreign()
        mode = conn.execute("PRAGMA journal_mode = WAL").fetchone()[0]
        if mode.lower() != "wal":
            raise sqlite3.DatabaseError(f"cannot switch to WAL journal (mode {mode})")
        conn.execute("PRAGMA synchronous = NORMAL")
        conn.execute("PRAGMA cache_size = -65536")
        conn.execute("PRAGMA mmap_size = 268435456")
        if self._current_version() == SCHEMA_VERSION:
            return
        with self._transaction():
            self._migrate()

    def _refuse_foreign(self) -> None:
        """Refuse, before changing anything, a SQLite file that is not a tmpipe memory."""
        tables = {r[0] for r in self.conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table'")}
        if tables and "schema_version" not in tables:
            raise UserError("SQLite file is not a tmpipe translation memory", self.path)

    def _current_version(self) -> int | None:
        """The schema version without taking the write lock (None: no version table)."""
        try:
            row = self.conn.execute("SELECT version FROM schema_version").fetchone()
        except sqlite3.OperationalError as exc:
            if "no such table" in str(exc):
                return None
            raise
        return row[0] if row else None

    def _migrate(self) -> None:
        conn = self.conn
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if "schema_version" not in tables:
            if tables:
                raise UserError("SQLite file is not a tmpipe translation memory", self.path)
            conn.execute("CREATE TABLE schema_version (version INTEGER NOT NULL)")
            conn.execute("INSERT INTO schema_version VALUES (0)")
        row = conn.execute("SELECT version FROM schema_version").fetchone()
        version = row[0] if row else 0
        if version > SCHEMA_VERSION:
            raise UserError(
                f"translation memory has schema version {version}, newer than this tmpipe "
                f"supports ({SCHEMA_VERSION}); upgrade tmpipe", self.path)
        for step in range(version + 1, SCHEMA_VERSION + 1):
            for statement in _MIGRATIONS[step]:
                conn.execute(statement)
            conn.execute("UPDATE schema_version SET version = ?", (step,))

    def _transaction(self):
        return _Transaction(self.conn, self.path)

    def close(self) -> None:
        self.conn.close()

    def __enter__(self) -> TranslationMemory:
        return self

    def __exit__(self, *exc) -> None:
        self.close()

    # -- writing

    def add_units(self, units: Sequence[Unit], doc_id: str,
                  previous_sources: Sequence[str | None]) -> None:
        """Store a batch of pipeline units in one transaction.

        ``tm-*`` units (already from the memory) and units without a target are
        skipped. Origins other than human/tm-import/aligned are stored as ``mt``.
        Storing the same source, context and target again updates its dates.
        """
        if len(units) != len(previous_sources):
            raise ValueError("units and previous_sources differ in length")
        now = tmx_date()
        rows = [
            self._unit_row(unit, doc_id, prev, now)
            for unit, prev in zip(units, previous_sources, strict=True)
            if unit.target and not unit.origin.startswith("tm-")
        ]
        if rows:
            with self._transaction():
                self.conn.executemany(_UPSERT, rows)

    @staticmethod
    def _unit_row(unit: Unit, doc_id: str, prev: str | None, now: str) -> tuple:
        origin = unit.origin if unit.origin in STORED_ORIGINS else "mt"
        flags = [{"check": f.check, "severity": f.severity, "message": f.message}
                 for f in unit.flags]
        props = unit_props(unit, doc_id)
        return (
            unit.source, unit.target, "zh-CN", "en", normalize_key(unit.source),
            normalize_key(prev) if prev else "", origin, unit.engine, unit.model,
            unit.model_sha256, doc_id, unit.tuid(doc_id), now, unit.engine or "tmpipe", now,
            unit.engine or "tmpipe", json.dumps(flags, ensure_ascii=False),
            json.dumps(unit.scores), json.dumps(props, ensure_ascii=False), None, None,
        )

    def import_pairs(self, pairs: Iterable[tuple[str, str] | TU], origin: str = "tm-import",
                     progress=None) -> int:
        """Stream ``(source, target)`` pairs or TMX :class:`TU`\\ s into the memory.

        Commits every :data:`CHUNK` units; returns how many new units were stored
        (exact duplicates are skipped). A TU whose ``x-origin`` prop is ``mt`` stays
        ``mt`` whatever ``origin`` says: MT is never laundered into human quality.
        """
        if origin not in STORED_ORIGINS:
            raise UserError(f"unknown origin {origin!r}; use one of {', '.join(STORED_ORIGINS)}")
        now = tmx_date()
        added = 0
        chunk: list[tuple] = []
        for item in pairs:
            chunk.append(self._pair_row(item, origin, now))
            if len(chunk) >= CHUNK:
                added += self._insert_chunk(chunk)
                if progress:
                    progress(len(chunk))
                chunk = []
        if chunk:
            added += self._insert_chunk(chunk)
            if progress:
                progress(len(chunk))
        return added

    def _insert_chunk(self, rows: list[tuple]) -> int:
        with self._transaction():
            return max(0, self.conn.executemany(_INSERT_NEW, rows).rowcount)

    @staticmethod
    def _pair_row(item: tuple[str, str] | TU, origin: str, now: str) -> tuple:
        if not isinstance(item, TU):
            source, target = item
            return (source, target, "zh-CN", "en", normalize_key(source), "", origin, "", "",
                    "", "", "", now, "", now, "", "[]", "{}", "{}", None, None)
        props = item.props
        unit_origin = "mt" if props.get("x-origin") in ("mt", "copy") else origin
        created = item.creationdate or now
        return (
            item.source, item.target, item.srclang, item.tgtlang, normalize_key(item.source),
            "", unit_origin, props.get("x-engine", ""), props.get("x-model", ""),
            props.get("x-model-sha256", ""), props.get("x-doc", ""), item.tuid, created,
            item.creationid, item.changedate or created, item.changeid, "[]", "{}",
            json.dumps(props, ensure_ascii=False),
            item.source_xml if "<" in item.source_xml else None,
            item.target_xml if "<" in item.target_xml else None,
        )

    def import_file(self, path: str | Path, origin: str = "tm-import", progress=None) -> int:
        """Import a ``.tmx`` file or a ``.tsv``/``.tsv.gz`` file of ``zh<TAB>en`` pairs."""
        path = Path(path)
        name = path.name.lower()
        if name.endswith(".tmx"):
            return self.import_pairs(iter_tus(path), origin, progress)
        if name.endswith((".tsv", ".tsv.gz", ".txt", ".txt.gz")):
            return self.import_pairs(iter_tsv_pairs(path), origin, progress)
        raise UserError("unknown file type: expected .tmx, .tsv or .tsv.gz", path)

    # -- reading

    def lookup(self, source: str, previous: str | None = None, fuzzy_min: float = 75,
               limit: int = 5) -> list[TMMatch]:
        """Matches for ``source``, best first (context 101, exact 100, fuzzy ≥ ``fuzzy_min``).

        At equal score human/imported units come before MT units, then newest first.
        """
        key = normalize_key(source)
        if not key or limit <= 0:
            return []
        prev_key = normalize_key(previous) if previous else ""
        ranked: list[tuple[tuple, TMMatch]] = []
        exact_ids: set[int] = set()
        for row in self.conn.execute(f"{_SELECT} FROM units WHERE key = ? LIMIT 200", (key,)):
            exact_ids.add(row[0])
            context = bool(prev_key) and row[4] == prev_key
            match = self._match(row, 101.0 if context else 100.0,
                                "context" if context else "exact", ())
            ranked.append((_rank(match, row[8]), match))
        if fuzzy_min < 100 and len(ranked) < limit:
            for row in self._fuzzy_rows(key, exact_ids):
                score, differences = score_fuzzy(key, row[3])
                if score >= fuzzy_min:
                    match = self._match(row, score, "fuzzy", differences)
                    ranked.append((_rank(match, row[8]), match))
        ranked.sort(key=lambda item: item[0])
        return [match for _, match in ranked[:limit]]

    @staticmethod
    def _match(row: tuple, score: float, kind: str, differences: tuple[str, ...]) -> TMMatch:
        return TMMatch(source=row[1], target=row[2], score=score, kind=kind, origin=row[5],
                       engine=row[6], model_sha256=row[7], differences=differences,
                       unit_id=row[0], model=row[9] or "", notes=_engine_notes(row[10]),
                       retries=_retries(row[11]))

    def _fuzzy_rows(self, key: str, exclude: set[int]) -> list[tuple]:
        ids = self._candidate_ids(key)
        ids = [i for i in ids if i not in exclude]
        if not ids:
            return []
        marks = ",".join("?" * len(ids))
        return self.conn.execute(f"{_SELECT} FROM units WHERE id IN ({marks})", ids).fetchall()

    def _candidate_ids(self, key: str) -> list[int]:
        """Ids of units sharing the rarest trigrams of ``key`` (bounded work)."""
        folded = key.lower()
        grams = sorted({folded[i : i + 3] for i in range(len(folded) - 2)})
        if not grams:
            return self._short_candidates(key)
        marks = ",".join("?" * len(grams))
        freq = self.conn.execute(
            f"SELECT term, doc FROM units_vocab WHERE term IN ({marks})", grams).fetchall()
        freq.sort(key=lambda item: item[1])
        chosen: list[str] = []
        budget = 0
        for term, docs in freq:
            if chosen and (budget + docs > POSTING_BUDGET or len(chosen) >= MAX_GRAMS):
                break
            chosen.append(term)
            budget += docs
        if not chosen:
            return []
        query = " OR ".join(_fts_quote(g) for g in chosen)
        rows = self.conn.execute(
            "SELECT rowid FROM units_fts WHERE units_fts MATCH ? ORDER BY rank LIMIT ?",
            (query, MAX_CANDIDATES)).fetchall()
        return [r[0] for r in rows]

    def _short_candidates(self, key: str) -> list[int]:
        """Candidates for keys under 3 characters: stored keys that start with them."""
        rows = self.conn.execute(
            "SELECT id FROM units WHERE key >= ? AND key < ? ORDER BY length(key) LIMIT ?",
            (key, key + "\U0010ffff", MAX_CANDIDATES)).fetchall()
        return [r[0] for r in rows]

    def iter_units(self, origin: str | None = None, doc: str | None = None
                   ) -> Iterator[StoredUnit]:
        """Stream stored units in insertion order, optionally filtered by origin/document."""
        where, args = [], []
        if origin:
            where.append("origin = ?")
            args.append(origin)
        if doc:
            where.append("doc_id = ?")
            args.append(doc)
        sql = (f"SELECT id, {_COLUMNS} FROM units"
               + (" WHERE " + " AND ".join(where) if where else "") + " ORDER BY id")
        for row in self.conn.execute(sql, args):
            yield _stored(row)

    def stats(self) -> dict:
        """Counts by origin, documents, languages, dates and file size."""
        conn = self.conn
        total = conn.execute("SELECT count(*) FROM units").fetchone()[0]
        by_origin = dict(conn.execute(
            "SELECT origin, count(*) FROM units GROUP BY origin ORDER BY origin").fetchall())
        docs = conn.execute("SELECT count(DISTINCT doc_id) FROM units WHERE doc_id != ''"
                            ).fetchone()[0]
        first, last = conn.execute("SELECT min(created_at), max(changed_at) FROM units"
                                   ).fetchone()
        pairs = [f"{a}→{b}" for a, b in conn.execute(
            "SELECT DISTINCT source_lang, target_lang FROM units LIMIT 10")]
        version = conn.execute("SELECT version FROM schema_version").fetchone()[0]
        size = sum(p.stat().st_size for p in (self.path, Path(f"{self.path}-wal"))
                   if p.exists())
        return {"path": str(self.path), "units": total, "by_origin": by_origin,
                "documents": docs, "languages": pairs, "first": first or "",
                "last": last or "", "schema_version": version, "bytes": size}


def _stored(row: tuple) -> StoredUnit:
    (uid, source, target, slang, tlang, _key, _prev, origin, engine, model, sha, doc, tuid,
     created, created_by, changed, changed_by, flags, scores, props, sxml, txml) = row
    return StoredUnit(
        id=uid, source=source, target=target, source_lang=slang, target_lang=tlang,
        origin=origin, engine=engine, model=model, model_sha256=sha, doc_id=doc, tuid=tuid,
        created_at=created, created_by=created_by, changed_at=changed, changed_by=changed_by,
        flags=_json(flags, list), scores=_json(scores, dict), props=_json(props, dict),
        source_xml=sxml, target_xml=txml,
    )


def _json(text: str, empty: type) -> list | dict:
    return json.loads(text) if len(text) > 2 else empty()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rollback on error), retrying a busy start."""

    def __init__(self, conn: sqlite3.Connection, path: Path, attempts: int = 5):
        self.conn, self.path, self.attempts = conn, path, attempts

    def __enter__(self) -> None:
        for attempt in range(self.attempts):
            try:
                self.conn.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) and "busy" not in str(exc):
                    raise
                if attempt == self.attempts - 1:
                    raise UserError("translation memory is locked by another process",
                                    self.path) from exc
                time.sleep(0.2 * (attempt + 1))

    def __exit__(self, exc_type, exc, tb) -> None:
        if exc_type is None:
            try:
                self.conn.execute("COMMIT")
                return
            except sqlite3.Error as error:
                self.conn.execute("ROLLBACK")
                raise UserError(f"cannot save translation memory: {error}", self.path) from error
        if self.conn.in_transaction:
            self.conn.execute("ROLLBACK")
        if isinstance(exc, sqlite3.OperationalError) and "disk" in str(exc):
            raise UserError(f"cannot save translation memory: {exc}", self.path) from exc
