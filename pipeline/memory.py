"""The translation memory: a SQLite file with exact, context and fuzzy leverage.

Storage: one ``units`` table (source, target, languages, normalised key, key of the
previous source, origin, review state, the MT text a human target replaced, a version
counter, provenance, dates, QA flags, scores, TMX props and inline XML), a
``unit_history`` table keeping every superseded version of a unit, and an FTS5 trigram
index over the key. WAL mode and a busy timeout let two processes use one memory at
once; every batch, edit and import is one transaction. A ``schema_version`` table drives
migrations (1 → 2 adds states and history in place); a newer version or a file that is
not SQLite is refused.

Leverage follows origin and state (:func:`choose_leverage`): human-written units fill
unless rejected, MT fills only once a person approved it, unreviewed MT is reused only
as cached MT of the same engine.

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
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from difflib import SequenceMatcher
from pathlib import Path

from rapidfuzz.distance import Levenshtein

from . import counts
from .errors import UserError
from .exchange.tmx import (
    TU,
    confidence_from_prop,
    iter_tus,
    tmx_date,
    unit_inline_xml,
    unit_props,
)
from .han import has_han
from .normalize import normalize_key, strip_punctuation
from .textio import CONTROL_CHARS, MAX_LINE_CHARS
from .units import STATES, TMMatch, Unit, leverage_label

SCHEMA_VERSION = 2
DEFAULT_TM_PATH = Path("output/memory.sqlite")  # same default as flow.DEFAULT_TM
HUMAN_ORIGINS = ("human", "tm-import", "aligned")
STORED_ORIGINS = ("mt", *HUMAN_ORIGINS)
MT_MARKS = frozenset({"mt", "mt!", "copy", "machine translation", "machine-translation",
                      "machinetranslation", "machine_translation"})
CHUNK = 5000
IMPORT_CHUNK = 500  # units per lookup of stored keys during an import
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
    2: (
        "ALTER TABLE units ADD COLUMN state TEXT NOT NULL DEFAULT 'translated'",
        "ALTER TABLE units ADD COLUMN mt_target TEXT NOT NULL DEFAULT ''",
        "ALTER TABLE units ADD COLUMN version INTEGER NOT NULL DEFAULT 1",
        "ALTER TABLE units ADD COLUMN replaces INTEGER",
        "UPDATE units SET state = 'draft', mt_target = target WHERE origin = 'mt'",
        """CREATE TABLE unit_history (
            id INTEGER PRIMARY KEY,
            unit_id INTEGER NOT NULL,
            version INTEGER NOT NULL,
            changed_at TEXT NOT NULL,
            changed_by TEXT NOT NULL DEFAULT '',
            state TEXT NOT NULL,
            origin TEXT NOT NULL,
            target TEXT NOT NULL
        )""",
        "CREATE INDEX unit_history_unit ON unit_history(unit_id, version)",
        "CREATE INDEX units_tuid ON units(doc_id, tuid)",
    ),
}

_COLUMNS = (
    "source, target, source_lang, target_lang, key, prev_key, origin, engine, model, "
    "model_sha256, doc_id, tuid, created_at, created_by, changed_at, changed_by, flags, "
    "scores, props, source_xml, target_xml, state, mt_target, version, replaces"
)
_PLACEHOLDERS = ", ".join("?" * len(_COLUMNS.split(",")))
# Storing a translation again refreshes its dates and provenance; MT never touches a
# unit a person has reviewed, and only a draft unit takes the new origin and state.
_UPSERT = (
    f"INSERT INTO units ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) "
    "ON CONFLICT(key, prev_key, target) DO UPDATE SET "
    "changed_at = excluded.changed_at, changed_by = excluded.changed_by, "
    "doc_id = excluded.doc_id, tuid = excluded.tuid, flags = excluded.flags, "
    "scores = excluded.scores, props = excluded.props, engine = excluded.engine, "
    "model = excluded.model, model_sha256 = excluded.model_sha256, "
    "source_xml = COALESCE(excluded.source_xml, units.source_xml), "
    "target_xml = CASE WHEN excluded.source_xml IS NULL THEN units.target_xml "
    "ELSE excluded.target_xml END, "
    "origin = CASE WHEN units.state = 'draft' THEN excluded.origin ELSE units.origin END, "
    "state = CASE WHEN units.state = 'draft' THEN excluded.state ELSE units.state END "
    "WHERE units.state = 'draft' OR excluded.origin != 'mt'"
)
_INSERT_NEW = f"INSERT INTO units ({_COLUMNS}) VALUES ({_PLACEHOLDERS}) ON CONFLICT DO NOTHING"
_SELECT = (
    "SELECT id, source, target, key, prev_key, origin, engine, model_sha256, changed_at, model, "
    "flags, props, state, changed_by, source_xml, target_xml"
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
    state: str = "translated"
    mt_target: str = ""  # the MT text (for an edited unit: the MT its target replaced)
    version: int = 1
    replaces: int | None = None  # id of the unit this one replaced on import

    @property
    def leverage(self) -> str:
        """How the leverage policy shows this unit (see :func:`leverage_label`)."""
        return leverage_label(self.origin, self.state, self.changed_by)

    def to_tu(self) -> TU:
        """The TMX unit for export (props carry the stored origin, state and provenance)."""
        props = dict(self.props)
        props["x-origin"] = self.origin
        props["x-state"] = self.state
        props["x-leverage"] = self.leverage
        for name, value in (("x-engine", self.engine), ("x-model", self.model),
                            ("x-model-sha256", self.model_sha256), ("x-doc", self.doc_id),
                            ("x-mt-target", self.mt_target if self.mt_target != self.target
                             else "")):
            if value:
                props[name] = value
        return TU(
            tuid=self.tuid or f"tm:{self.id}", source=self.source, target=self.target,
            srclang=self.source_lang, tgtlang=self.target_lang, props=props,
            source_xml=self.source_xml or "", target_xml=self.target_xml or "",
            creationdate=self.created_at, changedate=self.changed_at,
            creationid=self.created_by, changeid=self.changed_by,
        )


# ----------------------------------------------------------------------------- policy


class EditConflict(Exception):
    """A unit changed since the editor read it; ``current`` is the stored unit now."""

    def __init__(self, current: StoredUnit):
        super().__init__(f"unit {current.id} is at version {current.version}; "
                         "reload it before saving")
        self.current = current


@dataclass(frozen=True)
class Leverage:
    """What the memory offers one segment under the leverage policy.

    ``fill`` is used as the translation; ``cached_mt`` is reused as MT (still shown as MT);
    ``example`` is the best remaining match, shown to the engine. At most one of ``fill``
    and ``cached_mt`` is set.
    """

    fill: TMMatch | None = None
    cached_mt: TMMatch | None = None
    example: TMMatch | None = None


def human_written(origin: str) -> bool:
    """Whether a stored origin means a person wrote the text."""
    return origin in HUMAN_ORIGINS


def fills(match: TMMatch) -> bool:
    """Whether a stored unit may be used as a translation without MT.

    Human-written units fill unless rejected; MT fills only once a person approved it.
    """
    if match.state == "rejected":
        return False
    return human_written(match.origin) or (match.origin == "mt" and match.state == "approved")


def choose_leverage(matches: Sequence[TMMatch], fill_min: float,
                    engine_now: Callable[[], tuple[str, str | None] | None]) -> Leverage:
    """Apply the leverage policy to ``matches`` (best first, from :meth:`lookup`).

    A fillable match (:func:`fills`) at or above ``fill_min`` is the translation. Otherwise
    an exact, unreviewed MT unit made by the engine (and model) that would run now, as
    ``engine_now()`` says (None: any engine), is reused as cached MT. Rejected units are
    never offered, not even as examples.
    """
    usable = [m for m in matches if m.state != "rejected"]
    fillable = [m for m in usable if fills(m)]
    best = fillable[0] if fillable else None
    if best is not None and best.score >= fill_min:
        return Leverage(fill=best)
    cached = next((m for m in usable if m.origin == "mt" and m.kind != "fuzzy"
                   and not fills(m)), None)
    if cached is not None and same_engine(cached, engine_now()):
        return Leverage(cached_mt=cached)
    return Leverage(example=best or (usable[0] if usable else None))


def same_engine(match: TMMatch, now: tuple[str, str | None] | None) -> bool:
    """Whether cached MT came from the engine (and model) a run would use now (None: any)."""
    if now is None:
        return True
    return match.engine == now[0] and (now[1] is None or match.model == now[1])


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


def _engine_record(props_json: str | None) -> tuple[int, dict[str, float]]:
    """The engine retries and confidence recorded in a stored unit's TMX props."""
    props = _json(props_json or "", dict)
    retries, confidence = props.get("x-retries", "0"), props.get("x-confidence", "")
    return (counts.count(retries) or 0,
            confidence_from_prop(confidence) if isinstance(confidence, str) else {})


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
    return (-match.score, match.state == "rejected", not fills(match), match.origin == "mt",
            _neg(changed_at), -(match.unit_id or 0))


def _neg(text: str) -> tuple[int, ...]:
    return tuple(-ord(c) for c in text)


def _fts_quote(gram: str) -> str:
    return '"' + gram.replace('"', '""') + '"'


# ----------------------------------------------------------------------------- input


@dataclass
class ImportSummary:
    """What one import did: units read, added, already present, replacing a stored
    target, and how many carried a provenance mark that contradicted the requested origin."""

    read: int = 0
    added: int = 0
    present: int = 0
    replaced: int = 0
    conflicts: int = 0
    empty: int = 0  # TMX units skipped for an empty source or target
    header: tuple[int, str] | None = None  # (line, text) of a skipped TSV header


def _declared_origin(tu: TU) -> str | None:
    """The origin a TU claims: ``mt`` for MT marks (``x-origin``, ``creationid`` or
    ``changeid`` such as ``MT!``), a human origin from ``x-origin``, else None."""
    claimed = tu.props.get("x-origin", "").strip().lower()
    if claimed.startswith("tm-") and tu.props.get("x-tm-origin"):
        claimed = tu.props["x-tm-origin"].strip().lower()  # a fill from a stored unit
    if claimed in MT_MARKS:
        return "mt"
    for ident in (tu.creationid, tu.changeid):
        if ident.strip().lower() in MT_MARKS:
            return "mt"
    return claimed if claimed in HUMAN_ORIGINS else None


def _open_text_lines(path: Path) -> Iterator[str]:
    """The lines of a (gzip-compressed) UTF-8 file, streamed: pipes and devices work too.

    A line longer than :data:`MAX_LINE_CHARS` is refused, so no line grows unbounded.
    """
    try:
        raw = open(path, "rb")  # noqa: SIM115 - closed below
    except FileNotFoundError as exc:
        raise UserError("file not found", path) from exc
    except IsADirectoryError as exc:
        raise UserError("is a folder, expected a file", path) from exc
    except OSError as exc:
        raise UserError(f"cannot read: {exc.strerror or exc}", path) from exc
    with raw:
        line_no = 0
        try:
            gzipped = raw.peek(2)[:2] == b"\x1f\x8b"
            stream = gzip.GzipFile(fileobj=raw) if gzipped else raw
            text = io.TextIOWrapper(stream, encoding="utf-8-sig", newline="")
            while line := text.readline(MAX_LINE_CHARS + 1):
                line_no += 1
                if len(line) > MAX_LINE_CHARS:
                    raise UserError(f"line longer than {MAX_LINE_CHARS:,} characters", path,
                                    line_no)
                yield line
        except UnicodeDecodeError as exc:
            raise UserError("not valid UTF-8 text", path, line_no + 1) from exc
        except (OSError, EOFError) as exc:
            raise UserError(f"cannot read: {exc}", path, line_no + 1) from exc


_HEADER_WORDS = frozenset({
    "source", "target", "src", "tgt", "zh", "en", "zh-cn", "zh_cn", "en-us", "en-gb",
    "chinese", "english", "中文", "英文", "原文", "译文", "term", "translation", "text",
})


def is_header_line(source: str, target: str) -> bool:
    """Whether a TSV's first line names its columns (``source<TAB>target``, ``zh<TAB>en``)."""
    names = (source.strip().lower(), target.strip().lower())
    if all(name in _HEADER_WORDS for name in names):
        return True
    return not has_han(source) and all(
        re.fullmatch(r"[A-Za-z][A-Za-z_ -]{0,19}", name) for name in names)


def iter_tsv_pairs(path: str | Path,
                   on_header: Callable[[int, str], None] | None = None
                   ) -> Iterator[tuple[str, str]]:
    """Stream ``source<TAB>target`` pairs from a TSV file (optionally gzip-compressed).

    A first line that names the columns (:func:`is_header_line`) is skipped and reported
    to ``on_header(line_no, line)``.
    """
    path = Path(path)
    first = True
    for line_no, line in enumerate(_open_text_lines(path), start=1):
        line = line.rstrip("\r\n")
        if not line.strip():
            continue
        parts = line.split("\t")
        if len(parts) != 2:
            raise UserError(f"expected 2 tab-separated columns, found {len(parts)}", path,
                            line_no)
        bad = CONTROL_CHARS.search(line)
        if bad:
            raise UserError(f"control character U+{ord(bad.group()):04X} in text", path,
                            line_no)
        source, target = parts[0].strip(), parts[1].strip()
        if first and is_header_line(source, target):
            first = False
            if on_header:
                on_header(line_no, line)
            continue
        first = False
        if not source or not target:
            raise UserError("empty source or target", path, line_no)
        yield source, target


# ----------------------------------------------------------------------------- the store


def check_hint(path: Path) -> str:
    """How to inspect and rescue a damaged memory."""
    return (f"run 'tmpipe tm check --tm {path}', and 'tmpipe tm export --tm {path} -o FILE' "
            "to save what can still be read")


def damaged(exc: sqlite3.DatabaseError, path: Path | None = None) -> UserError:
    """The one-line error for a SQLite failure in a memory (the last opened when not given)."""
    path = path or TranslationMemory.last_path
    text = str(exc)
    if isinstance(exc, sqlite3.OperationalError) and _read_only_error(exc):
        return UserError(f"translation memory is read-only: {text}", path)
    if isinstance(exc, sqlite3.OperationalError) and "malformed" not in text \
            and "no such" not in text and "invalid text" not in text:
        return UserError(f"translation memory error: {text}", path)
    hint = check_hint(path) if path else "run 'tmpipe tm check'"
    return UserError(f"translation memory is damaged ({text}); {hint}", path)


def check_memory(path: Path) -> list[str]:
    """Problems in a memory file: SQLite's integrity check, the schema row, the search
    index and the JSON columns (empty: healthy). Opens it read-only; changes nothing."""
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)
        conn.text_factory = _lenient_text
    except sqlite3.Error as exc:
        return [f"cannot open: {exc}"]
    problems: list[str] = []
    try:
        checks = [
            ("PRAGMA integrity_check(100)",
             lambda rows: [line for r in rows for line in str(r[0]).splitlines()
                           if line != "ok"]),
            ("SELECT version FROM schema_version",
             lambda rows: [] if rows else ["schema_version row missing"]),
            ("SELECT COUNT(*) FROM units_fts WHERE units_fts MATCH 'x'", lambda rows: []),
            ("SELECT id FROM units WHERE (props IS NOT NULL AND props != '' AND "
             "json_valid(props) = 0) OR (flags IS NOT NULL AND flags != '' AND "
             "json_valid(flags) = 0) LIMIT 100",
             lambda rows: [f"unit #{r[0]}: invalid JSON in props or flags" for r in rows]),
        ]
        for sql, judge in checks:
            try:
                problems += judge(conn.execute(sql).fetchall())
            except (sqlite3.DatabaseError, UnicodeDecodeError) as exc:
                problems.append(f"{sql.split(' FROM ')[-1].split()[0]}: {exc}")
    finally:
        conn.close()
    return problems


_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")


def _unwritable(row: tuple) -> bool:
    """Whether a stored row holds text no XML can carry (a damaged page)."""
    return any(isinstance(v, str) and _NOT_XML.search(v) for v in row)


def _lenient_text(data: bytes) -> str:
    """Stored text; bytes a damaged page turned into invalid UTF-8 read as U+FFFD."""
    return data.decode("utf-8", "replace")


def _read_only_error(exc: sqlite3.Error) -> bool:
    text = str(exc).lower()
    return "readonly" in text or "read-only" in text or "unable to open" in text


class TranslationMemory:
    """A translation memory in one SQLite file (created when missing)."""

    def __init__(self, path: str | Path, *, timeout: float = 30.0):
        self.path = Path(path)
        if self.path.is_dir():
            raise UserError("translation memory path is a folder", self.path)
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            self.conn = sqlite3.connect(self.path, timeout=timeout, isolation_level=None)
            self.conn.text_factory = _lenient_text
        except (OSError, sqlite3.Error) as exc:
            raise UserError(f"cannot open translation memory: {exc}", self.path) from exc
        self.read_only = False
        TranslationMemory.last_path = self.path
        try:
            self._setup(timeout)
        except sqlite3.OperationalError as exc:
            self.conn.close()
            if not _read_only_error(exc) or not self.path.is_file():
                raise UserError(f"cannot open translation memory: {exc}", self.path) from exc
            self._open_read_only(timeout)
        except UnicodeDecodeError as exc:  # a damaged schema page
            self.conn.close()
            raise damaged(sqlite3.DatabaseError(f"invalid text in the schema: {exc.reason}"),
                          self.path) from exc
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            if "malformed" in str(exc):
                raise damaged(exc, self.path) from exc
            raise UserError(f"not a translation memory (SQLite said: {exc})", self.path) from exc
        except BaseException:
            self.conn.close()
            raise

    last_path: Path | None = None  # the memory most recently opened (names SQLite errors)

    # -- lifecycle

    def _open_read_only(self, timeout: float) -> None:
        """Open for reading only (a read-only file or file system): lookups and exports work."""
        try:
            self.conn = sqlite3.connect(f"{self.path.resolve().as_uri()}?mode=ro", uri=True,
                                        timeout=timeout, isolation_level=None)
            self.conn.text_factory = _lenient_text
            self.conn.execute(f"PRAGMA busy_timeout = {int(timeout * 1000)}")
            self._refuse_foreign()
            version = self._current_version()
        except sqlite3.DatabaseError as exc:
            self.conn.close()
            raise UserError(f"cannot open translation memory read-only: {exc}",
                            self.path) from exc
        if version != SCHEMA_VERSION:
            self.conn.close()
            raise UserError(f"translation memory is read-only and has schema version "
                            f"{version}, not {SCHEMA_VERSION}: it cannot be upgraded", self.path)
        self.read_only = True

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
        if row is None and len(tables) > 1:
            raise UserError("translation memory is damaged: its schema_version row is "
                            f"missing; {check_hint(self.path)}", self.path)
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

    def batch(self) -> _Transaction:
        """One transaction around several writes (edits, imports): all or nothing."""
        return self._transaction()

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
        skipped. Origins other than human/tm-import/aligned are stored as ``mt`` in state
        ``draft``, the MT text kept as ``mt_target``; human origins as ``translated``.
        Storing the same source, context and target again updates its dates, never the
        record of a unit a person reviewed.
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
        mt = origin == "mt"
        return (
            unit.source, unit.target, "zh-CN", "en", normalize_key(unit.source),
            normalize_key(prev) if prev else "", origin, unit.engine, unit.model,
            unit.model_sha256, doc_id, unit.tuid(doc_id), now, unit.engine or "tmpipe", now,
            unit.engine or "tmpipe", json.dumps(flags, ensure_ascii=False),
            json.dumps(unit.scores), json.dumps(props, ensure_ascii=False),
            *(xml or None for xml in unit_inline_xml(unit)),
            "draft" if mt else "translated", unit.target if mt else "", 1, None,
        )

    def import_pairs(self, pairs: Iterable[tuple[str, str] | TU], origin: str = "tm-import",
                     progress=None, *, state: str = "translated", engine: str = "") -> int:
        """Import ``(source, target)`` pairs or TMX :class:`TU`\\ s; return how many were new.

        See :meth:`import_items` for the rules.
        """
        return self.import_items(pairs, origin, state=state, engine=engine,
                                 progress=progress).added

    def import_items(self, items: Iterable[tuple[str, str] | TU], origin: str = "tm-import",
                     *, state: str = "translated", engine: str = "", progress=None,
                     source_name: str = "") -> ImportSummary:
        """Import pairs or TUs in ONE transaction: a failure leaves the memory as it was.

        Provenance survives the round trip: a unit whose source and target equal a stored
        unit (whatever its context) is skipped and the stored origin and state win; a new
        target for a stored source is stored as a new unit linked (``replaces``) to the
        newest stored one, keeping the MT text it replaced. A TU marked as MT (``x-origin``,
        ``creationid``/``changeid``) stays ``mt`` whatever ``origin`` says, and
        ``origin="mt"`` stores human-marked units as MT; either conflict is counted.
        """
        if origin not in STORED_ORIGINS:
            raise UserError(f"unknown origin {origin!r}; use one of {', '.join(STORED_ORIGINS)}")
        if state not in STATES:
            raise UserError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
        summary = ImportSummary()
        now = tmx_date()
        chunk: list[TU] = []
        with self._transaction():
            for item in items:
                if isinstance(item, TU) and not (item.source.strip() and item.target.strip()):
                    summary.empty += 1
                    continue
                chunk.append(item if isinstance(item, TU) else TU(
                    tuid="", source=item[0], target=item[1], srclang="zh-CN", tgtlang="en"))
                if len(chunk) >= IMPORT_CHUNK:
                    self._import_chunk(chunk, origin, state, engine, now, summary)
                    if progress:
                        progress(len(chunk))
                    chunk = []
            if chunk:
                self._import_chunk(chunk, origin, state, engine, now, summary)
                if progress:
                    progress(len(chunk))
        return summary

    def _stored_by_key(self, keys: Sequence[str]) -> dict[str, list[tuple]]:
        """``key → [(id, target, origin, mt_target), …]`` newest first, for ``keys``."""
        found: dict[str, list[tuple]] = {}
        marks = ",".join("?" * len(keys))
        for key, *row in self.conn.execute(
                f"SELECT key, id, target, origin, mt_target FROM units WHERE key IN ({marks}) "
                "ORDER BY changed_at DESC, id DESC", list(keys)):
            found.setdefault(key, []).append(tuple(row))
        return found

    def _import_chunk(self, tus: list[TU], origin: str, state: str, engine: str, now: str,
                      summary: ImportSummary) -> None:
        keys = [normalize_key(tu.source) for tu in tus]
        stored = self._stored_by_key(sorted(set(keys)))
        rows: list[tuple] = []
        for tu, key in zip(tus, keys, strict=True):
            summary.read += 1
            known = stored.setdefault(key, [])
            wanted = " ".join(tu.target.split())
            if any(" ".join(row[1].split()) == wanted for row in known):
                summary.present += 1
                continue
            row = self._import_row(tu, key, known[0] if known else None, origin, state,
                                   engine, now, summary)
            known.insert(0, (None, tu.target, row[6], row[22]))
            rows.append(row)
        if rows:
            added = max(0, self.conn.executemany(_INSERT_NEW, rows).rowcount)
            summary.added += added
            summary.present += len(rows) - added

    @staticmethod
    def _import_row(tu: TU, key: str, replaced: tuple | None, origin: str, state: str,
                    engine: str, now: str, summary: ImportSummary) -> tuple:
        declared = _declared_origin(tu)
        unit_origin = origin
        if declared == "mt" and origin != "mt":
            unit_origin = "mt"
            summary.conflicts += 1
        elif declared in HUMAN_ORIGINS and origin == "mt":
            summary.conflicts += 1
        unit_state = state
        if unit_origin == "mt":
            unit_state = tu.props.get("x-state", "draft")
            unit_state = unit_state if unit_state in STATES else "draft"
        mt_target = tu.target if unit_origin == "mt" else ""
        if replaced is not None and unit_origin != "mt":
            mt_target = replaced[3] or (replaced[1] if replaced[2] == "mt" else "")
            summary.replaced += 1
        props = tu.props
        created = tu.creationdate or now
        return (
            tu.source, tu.target, tu.srclang, tu.tgtlang, key, "", unit_origin,
            engine or props.get("x-engine", ""), props.get("x-model", ""),
            props.get("x-model-sha256", ""), props.get("x-doc", ""), tu.tuid, created,
            tu.creationid, tu.changedate or created, tu.changeid, "[]", "{}",
            json.dumps(props, ensure_ascii=False),
            tu.source_xml if "<" in tu.source_xml else None,
            tu.target_xml if "<" in tu.target_xml else None,
            unit_state, mt_target, 1, replaced[0] if replaced else None,
        )

    def import_file(self, path: str | Path, origin: str = "tm-import", progress=None) -> int:
        """Import a ``.tmx`` file or a ``.tsv``/``.tsv.gz`` file of ``zh<TAB>en`` pairs."""
        return self.import_path(path, origin, progress=progress).added

    def import_path(self, path: str | Path, origin: str = "tm-import", *,
                    state: str = "translated", engine: str = "",
                    progress=None) -> ImportSummary:
        """Import a ``.tmx`` or ``.tsv``/``.tsv.gz`` file in one transaction (see
        :meth:`import_items`); a TSV header line is skipped and reported."""
        path = Path(path)
        name = path.name.lower()
        header: list[tuple[int, str]] = []
        if name.endswith(".tmx"):
            items: Iterable = iter_tus(path)
        elif name.endswith((".tsv", ".tsv.gz", ".txt", ".txt.gz")):
            items = iter_tsv_pairs(path, on_header=lambda n, line: header.append((n, line)))
        else:
            raise UserError("unknown file type: expected .tmx, .tsv or .tsv.gz", path)
        summary = self.import_items(items, origin, state=state, engine=engine,
                                    progress=progress)
        summary.header = header[0] if header else None
        return summary

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
        retries, confidence = _engine_record(row[11])
        return TMMatch(source=row[1], target=row[2], score=score, kind=kind, origin=row[5],
                       engine=row[6], model_sha256=row[7], differences=differences,
                       unit_id=row[0], model=row[9] or "", notes=_engine_notes(row[10]),
                       retries=retries, state=row[12], changed_by=row[13],
                       leverage=leverage_label(row[5], row[12], row[13]),
                       source_xml=row[14] or "", target_xml=row[15] or "",
                       confidence=confidence)

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
        last = 0
        try:
            for row in self.conn.execute(sql, args):
                last = row[0]
                if self.rescue and _unwritable(row):
                    self.unreadable += 1
                    continue
                yield _stored(row)
        except sqlite3.DatabaseError:
            if not self.rescue:
                raise
            yield from self._rescue_units(last, where, args)

    rescue = False  # iter_units: read a damaged memory unit by unit, counting losses
    unreadable = 0

    def _rescue_units(self, after: int, where: list[str], args: list) -> Iterator[StoredUnit]:
        """Units after id ``after`` read one by one; unreadable ones are counted and skipped."""
        top = self.conn.execute("SELECT MAX(id) FROM units").fetchone()[0] or 0
        sql = (f"SELECT id, {_COLUMNS} FROM units WHERE id = ?"
               + "".join(f" AND {w}" for w in where))
        for unit_id in range(after + 1, top + 1):
            try:
                row = self.conn.execute(sql, [unit_id, *args]).fetchone()
            except sqlite3.DatabaseError:
                self.unreadable += 1
                continue
            if row is not None and _unwritable(row):
                self.unreadable += 1
            elif row is not None:
                yield _stored(row)

    def unit(self, unit_id: int) -> StoredUnit:
        """The stored unit ``unit_id`` (UserError when there is none)."""
        row = self.conn.execute(f"SELECT id, {_COLUMNS} FROM units WHERE id = ?",
                                (unit_id,)).fetchone()
        if row is None:
            raise UserError(f"no unit #{unit_id} in the translation memory", self.path)
        return _stored(row)

    def doc_units(self, doc_id: str) -> list[StoredUnit]:
        """The latest unit per tuid of a document, in document order (segment number)."""
        latest: dict[str, StoredUnit] = {}
        for row in self.conn.execute(
                f"SELECT id, {_COLUMNS} FROM units WHERE doc_id = ? AND tuid != '' "
                "ORDER BY changed_at, id", (doc_id,)):
            unit = _stored(row)
            latest[unit.tuid] = unit
        return sorted(latest.values(), key=lambda u: (_tuid_number(u.tuid), u.tuid))

    def save_edit(self, unit_id: int, target: str, *, state: str, reviewer: str,
                  expected_version: int) -> StoredUnit:
        """Save a person's decision on a unit in one transaction; return the stored unit.

        A changed target becomes origin ``human`` (the MT text it replaced kept in
        ``mt_target``); an unchanged target keeps its origin (MT a person confirmed stays
        ``mt``) with the new state; the machine's risk estimate and its engine signal
        (``x-risk``, ``x-risk-why``, ``x-confidence``) are dropped, a person's decision
        replaces them. The superseded version goes to the
        history. Raises :class:`EditConflict` when the unit is no longer at
        ``expected_version``.
        """
        if state not in STATES:
            raise UserError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
        if not target.strip():
            raise UserError(f"unit #{unit_id}: empty target; reject the unit instead")
        if not reviewer.strip():
            raise UserError(f"unit #{unit_id}: say who made the change (reviewer)")
        with self._transaction():
            current = self.unit(unit_id)
            if current.version != expected_version:
                raise EditConflict(current)
            changed = " ".join(target.split()) != " ".join(current.target.split())
            origin = "human" if changed else current.origin
            mt_target = current.mt_target or (current.target if current.origin == "mt" else "")
            new_target = target if changed else current.target
            clash = self.conn.execute(
                "SELECT id FROM units WHERE key = ? AND prev_key = ? AND target = ? AND id != ?",
                (normalize_key(current.source), _prev_key_of(self.conn, unit_id), new_target,
                 unit_id)).fetchone()
            if clash is not None:
                raise UserError(f"unit #{unit_id}: unit #{clash[0]} already holds this "
                                "translation of the same source; edit that one instead")
            self._record_history(current)
            self.conn.execute(
                "UPDATE units SET target = ?, origin = ?, state = ?, mt_target = ?, "
                "changed_at = ?, changed_by = ?, version = version + 1, target_xml = "
                "CASE WHEN ? THEN NULL ELSE target_xml END, props = CASE WHEN json_valid(props)"
                " THEN json_remove(props, '$.\"x-risk\"', '$.\"x-risk-why\"',"
                " '$.\"x-confidence\"') ELSE props END "
                "WHERE id = ? AND version = ?",
                (new_target, origin, state, mt_target, tmx_date(), reviewer, changed,
                 unit_id, expected_version))
            return self.unit(unit_id)

    def add_edit(self, source: str, previous: str | None, target: str, *, doc_id: str,
                 tuid: str, state: str, reviewer: str, replaced: TMMatch) -> StoredUnit:
        """Store a person's new target for a segment the memory filled from another unit.

        The new unit is ``human``, linked to the unit it replaced, whose text (and origin
        and state) is its first history entry; ``mt_target`` keeps it when it was MT.
        """
        if state not in STATES:
            raise UserError(f"unknown state {state!r}; use one of {', '.join(STATES)}")
        now = tmx_date()
        row = (source, target, "zh-CN", "en", normalize_key(source),
               normalize_key(previous) if previous else "", "human", "", "", "", doc_id, tuid,
               now, reviewer, now, reviewer, "[]", "{}", "{}", None, None, state,
               replaced.target if replaced.origin == "mt" else "", 2, replaced.unit_id)
        with self._transaction():
            cursor = self.conn.execute(_INSERT_NEW, row)
            if cursor.rowcount <= 0:
                raise UserError(f"{tuid}: this translation of the segment is already stored")
            unit_id = cursor.lastrowid
            self.conn.execute(
                "INSERT INTO unit_history (unit_id, version, changed_at, changed_by, state, "
                "origin, target) VALUES (?, 1, ?, ?, ?, ?, ?)",
                (unit_id, now, replaced.changed_by, replaced.state or "translated",
                 replaced.origin or "tm-import", replaced.target))
            return self.unit(unit_id)

    def _record_history(self, unit: StoredUnit) -> None:
        self.conn.execute(
            "INSERT INTO unit_history (unit_id, version, changed_at, changed_by, state, origin,"
            " target) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (unit.id, unit.version, unit.changed_at, unit.changed_by, unit.state, unit.origin,
             unit.target))

    def history(self, unit_id: int) -> list[HistoryEntry]:
        """Every version of a unit, oldest first; the last entry is the current one."""
        current = self.unit(unit_id)
        rows = self.conn.execute(
            "SELECT version, changed_at, changed_by, state, origin, target FROM unit_history "
            "WHERE unit_id = ? ORDER BY version", (unit_id,)).fetchall()
        entries = [HistoryEntry(*row) for row in rows]
        entries.append(HistoryEntry(current.version, current.changed_at, current.changed_by,
                                    current.state, current.origin, current.target))
        return entries

    def concordance(self, text: str, side: str = "source", limit: int = 50
                    ) -> list[StoredUnit]:
        """Units whose source (or target) contains ``text``, newest first.

        Source searches of three or more characters use the trigram index over the
        normalised key; shorter ones and target searches scan (bounded by ``limit``).
        """
        if side not in ("source", "target"):
            raise ValueError("side must be 'source' or 'target'")
        text = text.strip()
        if not text or limit <= 0:
            return []
        key = normalize_key(text)
        if side == "source" and len(key) >= 3:
            rows = self.conn.execute(
                f"SELECT id, {_COLUMNS} FROM units WHERE id IN (SELECT rowid FROM units_fts "
                "WHERE units_fts MATCH ?) ORDER BY changed_at DESC, id DESC LIMIT ?",
                (_fts_quote(key), limit)).fetchall()
        else:
            rows = self.conn.execute(
                f"SELECT id, {_COLUMNS} FROM units WHERE {side} LIKE ? ESCAPE '!' "
                "ORDER BY changed_at DESC, id DESC LIMIT ?", (_like(text), limit)).fetchall()
        return [_stored(row) for row in rows]

    def stats(self) -> dict:
        """Counts by origin and by origin × state, documents, languages, dates and size."""
        conn = self.conn
        total = conn.execute("SELECT count(*) FROM units").fetchone()[0]
        by_origin = dict(conn.execute(
            "SELECT origin, count(*) FROM units GROUP BY origin ORDER BY origin").fetchall())
        by_state: dict[str, dict[str, int]] = {}
        for origin, state, count in conn.execute(
                "SELECT origin, state, count(*) FROM units GROUP BY origin, state "
                "ORDER BY origin, state"):
            by_state.setdefault(origin, {})[state] = count
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
                "by_origin_state": by_state, "documents": docs, "languages": pairs,
                "first": first or "", "last": last or "", "schema_version": version,
                "bytes": size}


@dataclass(frozen=True)
class HistoryEntry:
    """One version of a unit: when, by whom, its state, origin and target."""

    version: int
    at: str
    by: str
    state: str
    origin: str
    target: str


def _like(text: str) -> str:
    """A LIKE pattern (escape ``!``) matching ``text`` anywhere."""
    return "%" + text.replace("!", "!!").replace("%", "!%").replace("_", "!_") + "%"


def _tuid_number(tuid: str) -> int:
    return counts.tuid_position(tuid) or 0


def _prev_key_of(conn: sqlite3.Connection, unit_id: int) -> str:
    row = conn.execute("SELECT prev_key FROM units WHERE id = ?", (unit_id,)).fetchone()
    return row[0] if row else ""


def _stored(row: tuple) -> StoredUnit:
    (uid, source, target, slang, tlang, _key, _prev, origin, engine, model, sha, doc, tuid,
     created, created_by, changed, changed_by, flags, scores, props, sxml, txml, state,
     mt_target, version, replaces) = row
    return StoredUnit(
        id=uid, source=source, target=target, source_lang=slang, target_lang=tlang,
        origin=origin, engine=engine, model=model, model_sha256=sha, doc_id=doc, tuid=tuid,
        created_at=created, created_by=created_by, changed_at=changed, changed_by=changed_by,
        flags=_json(flags, list), scores=_json(scores, dict), props=_json(props, dict),
        source_xml=sxml, target_xml=txml, state=state, mt_target=mt_target, version=version,
        replaces=replaces,
    )


def _json(text: str, empty: type) -> list | dict:
    """A stored JSON column; damaged or mistyped JSON reads as empty, never a crash."""
    try:
        value = json.loads(text) if len(text) > 2 else empty()
    except ValueError:
        return empty()
    return value if isinstance(value, empty) else empty()


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rollback on error), retrying a busy start.

    Inside an open transaction it does nothing: the outer one commits or rolls back.
    """

    def __init__(self, conn: sqlite3.Connection, path: Path, attempts: int = 5):
        self.conn, self.path, self.attempts = conn, path, attempts
        self.nested = False

    def __enter__(self) -> None:
        if self.conn.in_transaction:
            self.nested = True
            return
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
        if self.nested:
            return
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
