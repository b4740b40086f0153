"""``tmpipe check``: the terminology gate over TMX files (exit 0 clean, 1 violations)."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import UserError
from ..fsutil import atomic_open
from ..normalize import normalize_key
from .core import Glossary
from .verify import TermViolation, verify_terms


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
    from ..tmx import iter_tus

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


def baseline_violations(path: Path, glossary: Glossary) -> dict[str, set[tuple[str, str]]]:
    """Normalised source → ``(term, kind)`` violations over all baseline units with it."""
    known: dict[str, set[tuple[str, str]]] = {}
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


def describe(v: TermViolation) -> str:
    """One-line description of a violation."""
    if v.kind == "forbidden":
        return f'{v.term.source}: forbidden "{v.found}" (use "{v.term.target}")'
    near = f' (found "{v.found}")' if v.found else ""
    return f'{v.term.source}: expected "{v.term.target}"{near}'


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
