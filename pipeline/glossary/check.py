"""``tmpipe check``: the terminology gate over TMX files (exit 0 clean, 1 violations).

Reports: text lines, GitHub workflow annotations, JSON, JUnit. A baseline (an older TMX,
or a file of accepted violations written by :func:`write_baseline`) makes only new
violations fail.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import UserError
from ..fsutil import atomic_open
from ..normalize import normalize_key
from ..textio import open_user_file
from .core import Glossary
from .verify import TermViolation, verify_terms

#: First key of a baseline file's header line, and the format version under it.
BASELINE_MAGIC = "tmpipe-check-baseline"
BASELINE_VERSION = 1
#: Longest line a baseline file may have (one accepted violation per line).
_BASELINE_MAX_LINE = 1 << 20

#: Normalised source text → the ``(term, kind)`` violations accepted for it.
Known = dict[str, set[tuple[str, str]]]


@dataclass
class UnitResult:
    """One translation unit whose Chinese side holds at least one glossary term."""

    file: str
    tuid: str
    line: int
    source: str
    target: str
    terms: int  # term occurrences in the source
    violations: list[TermViolation] = field(default_factory=list)  # new: these fail
    known: list[TermViolation] = field(default_factory=list)  # also in the baseline


@dataclass
class CheckResult:
    units: list[UnitResult]
    scanned: int  # zh-en units read
    baseline: bool = False

    @property
    def checked(self) -> int:
        return len(self.units)

    @property
    def terms_checked(self) -> int:
        return sum(u.terms for u in self.units)

    @property
    def failures(self) -> list[tuple[UnitResult, TermViolation]]:
        return [(u, v) for u in self.units for v in u.violations]

    @property
    def suppressed(self) -> int:
        return sum(len(u.known) for u in self.units)

    @property
    def exit_code(self) -> int:
        return 1 if self.failures else 0


def _zh_en_pairs(path: Path) -> Iterator[tuple[str, int, str, str]]:
    """``(tuid, line, zh, en)`` for units with a Chinese and an English variant."""
    from ..exchange.tmx import iter_tus

    # The first Chinese and the first English language of each set of tuv languages.
    picks: dict[tuple[str, ...], tuple[str | None, str | None]] = {}
    for tu in iter_tus(path):
        tuvs = tu.tuvs
        langs = tuple(tuvs)
        pick = picks.get(langs)
        if pick is None:
            zh = en = None
            for lang in langs:
                primary = lang.split("-", 1)[0].lower()
                if primary == "zh" and zh is None:
                    zh = lang
                elif primary == "en" and en is None:
                    en = lang
            pick = picks[langs] = (zh, en)
        if pick[0] is not None and pick[1] is not None:
            yield tu.tuid, tu.line, tuvs[pick[0]], tuvs[pick[1]]


def _violation_key(v: TermViolation) -> tuple[str, str]:
    return v.term.source, v.kind


def baseline_violations(path: Path, glossary: Glossary) -> Known:
    """The accepted violations of ``path``: a baseline file, else an older TMX checked now."""
    if _is_baseline_file(path):
        return read_baseline(path)
    return _tmx_violations(path, glossary)


def _tmx_violations(path: Path, glossary: Glossary) -> Known:
    """Normalised source → ``(term, kind)`` violations over all units of a TMX with it."""
    known: Known = {}
    for _, _, zh, en in _zh_en_pairs(path):
        matches = glossary.match(zh)
        if matches:
            keys = {_violation_key(v) for v in verify_terms(en, matches)}
            known.setdefault(normalize_key(zh), set()).update(keys)
    return known


def check_tmx(paths: Sequence[Path], glossary: Glossary,
              baseline: Path | None = None) -> CheckResult:
    """Verify every zh→en unit of ``paths`` against ``glossary``.

    With ``baseline``, a violation fails only if no baseline unit with the same
    (normalised) source text had a violation of the same term and kind.
    """
    known = baseline_violations(baseline, glossary) if baseline is not None else None
    units: list[UnitResult] = []
    scanned = 0
    for path in paths:
        before = scanned
        for tuid, line, zh, en in _zh_en_pairs(path):
            scanned += 1
            matches = glossary.match(zh)
            if not matches:
                continue
            unit = UnitResult(str(path), tuid, line, zh, en, len(matches))
            old = known.get(normalize_key(zh), set()) if known is not None else set()
            for violation in verify_terms(en, matches):
                bucket = unit.known if _violation_key(violation) in old else unit.violations
                bucket.append(violation)
            units.append(unit)
        if scanned == before:
            raise UserError("no unit with both a Chinese (zh*) and an English (en*) variant: "
                            "nothing to check", path)
    return CheckResult(units, scanned, baseline is not None)


def accept_all(result: CheckResult) -> CheckResult:
    """``result`` with every violation counted as already in the baseline (exit 0)."""
    for unit in result.units:
        unit.known.extend(unit.violations)
        unit.violations = []
    result.baseline = True
    return result


# ----------------------------------------------------------------------------- baseline file


def _is_baseline_file(path: Path) -> bool:
    """A baseline file starts with ``{`` (its JSON header line); a TMX with ``<``."""
    with open_user_file(path, "baseline") as fh:
        head = fh.read(64).lstrip(b"\xef\xbb\xbf \t\r\n")
    return head.startswith(b"{")


def write_baseline(path: Path, result: CheckResult) -> int:
    """Write every violation of ``result`` (new and known) as accepted; returns the entries.

    JSON Lines: a header line, then one ``{"source", "term", "kind"}`` per line, sorted and
    without duplicates, keyed by the normalised source text (not by file, line or tuid), so
    the file survives unrelated edits and diffs line by line.
    """
    entries: dict[tuple[str, str, str], dict[str, str]] = {}
    for unit in result.units:
        for violation in (*unit.violations, *unit.known):
            term, kind = _violation_key(violation)
            key = (normalize_key(unit.source), term, kind)
            entries.setdefault(key, {"source": unit.source, "term": term, "kind": kind})
    header = {BASELINE_MAGIC: BASELINE_VERSION,
              "about": "accepted glossary violations for `tmpipe check --baseline`; "
                       "one per line, matched by source text, term and kind"}
    with atomic_open(path, "w") as fh:
        fh.write(json.dumps(header, ensure_ascii=False) + "\n")
        for key in sorted(entries):
            fh.write(json.dumps(entries[key], ensure_ascii=False) + "\n")
    return len(entries)


def read_baseline(path: Path) -> Known:
    """Read a file written by :func:`write_baseline`; UserError (file and line) if malformed."""
    known: Known = {}
    with open_user_file(path, "baseline") as fh:
        for number, raw in enumerate(iter(lambda: fh.readline(_BASELINE_MAX_LINE), b""), 1):
            if len(raw) >= _BASELINE_MAX_LINE and not raw.endswith(b"\n"):
                raise UserError("baseline line too long", path, number)
            if not raw.strip():
                continue
            try:
                item = json.loads(raw.decode("utf-8-sig" if number == 1 else "utf-8"))
            except (UnicodeDecodeError, ValueError) as exc:
                raise UserError(f"baseline line is not JSON: {exc}", path, number) from exc
            if number == 1:
                if not isinstance(item, dict) or item.get(BASELINE_MAGIC) != BASELINE_VERSION:
                    raise UserError(f"not a tmpipe check baseline (version "
                                    f"{BASELINE_VERSION} header expected)", path, number)
                continue
            entry = item if isinstance(item, dict) else {}
            source, term, kind = (entry.get(name) for name in ("source", "term", "kind"))
            if not (isinstance(source, str) and isinstance(term, str)
                    and isinstance(kind, str) and source and term and kind):
                raise UserError('baseline entry needs "source", "term" and "kind" strings',
                                path, number)
            known.setdefault(normalize_key(source), set()).add((term, kind))
    return known


# ----------------------------------------------------------------------------- reports


def describe(v: TermViolation) -> str:
    """One-line description of a violation."""
    if v.kind == "forbidden":
        return f'{v.term.source}: forbidden "{v.found}" (use "{v.term.target}")'
    near = f' (found "{v.found}")' if v.found else ""
    return f'{v.term.source}: expected "{v.term.target}"{near}'


def escape_workflow_data(text: str) -> str:
    """Escape a workflow command's message (GitHub's rules: ``%``, CR, LF)."""
    return text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def escape_workflow_property(text: str) -> str:
    """Escape a workflow command's property value (as data, plus ``:`` and ``,``)."""
    return escape_workflow_data(text).replace(":", "%3A").replace(",", "%2C")


def _workspace_path(file: str) -> str:
    """``file`` relative to the working directory when it lies below it (GitHub wants
    paths relative to the checkout), else as given."""
    path = Path(file)
    if path.is_absolute():
        try:
            return path.relative_to(Path.cwd()).as_posix()
        except ValueError:
            return file
    return file.replace(os.sep, "/")


def github_annotations(result: CheckResult) -> Iterator[str]:
    """One ``::error file=…,line=…,title=…::…`` workflow command per failing violation;
    the line is that of the ``tu`` element."""
    for unit, violation in result.failures:
        props = [f"file={escape_workflow_property(_workspace_path(unit.file))}"]
        if unit.line:
            props.append(f"line={unit.line}")
        props.append(f"title={escape_workflow_property(f'glossary: {violation.kind} rendering')}")
        message = f"{unit.tuid}: {describe(violation)}"
        yield f"::error {','.join(props)}::{escape_workflow_data(message)}"


def result_json(result: CheckResult) -> dict:
    """The ``--json`` document: ``checked``, ``terms_checked``, ``violations`` (tuid, term,
    expected, found, kind, file), ``scanned`` and, with a baseline, ``suppressed``."""
    doc = {
        "checked": result.checked,
        "terms_checked": result.terms_checked,
        "violations": [
            {"tuid": u.tuid, "term": v.term.source, "expected": v.term.target,
             "found": v.found, "kind": v.kind, "file": u.file}
            for u, v in result.failures
        ],
        "scanned": result.scanned,
    }
    if result.baseline:
        doc["suppressed"] = result.suppressed
    return doc


def write_junit(path: Path, result: CheckResult) -> None:
    """JUnit XML: one ``testcase`` per checked unit; violations are ``failure`` s."""
    failures = len({id(u) for u, _ in result.failures})
    suites = etree.Element("testsuites", name="tmpipe check", tests=str(result.checked),
                           failures=str(failures), errors="0")
    suite = etree.SubElement(suites, "testsuite", name="glossary", tests=str(result.checked),
                             failures=str(failures), errors="0", skipped="0")
    for unit in result.units:
        case = etree.SubElement(suite, "testcase", classname=Path(unit.file).name,
                                name=unit.tuid, file=unit.file, line=str(unit.line))
        if unit.violations:
            lines = [describe(v) for v in unit.violations]
            failure = etree.SubElement(case, "failure", type="term-violation",
                                       message="; ".join(lines))
            failure.text = "\n".join(lines + [f"source: {unit.source}", f"target: {unit.target}"])
        if unit.known:
            out = etree.SubElement(case, "system-out")
            out.text = "\n".join(f"in baseline: {describe(v)}" for v in unit.known)
    etree.indent(suites, space="  ")
    with atomic_open(path, "wb", encoding=None) as fh:
        fh.write(etree.tostring(suites, xml_declaration=True, encoding="UTF-8") + b"\n")
