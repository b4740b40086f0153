"""``tmpipe glossary validate``: every problem in a glossary file, with file:line."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..textio import read_text
from ..units import Term
from .core import Glossary, check_terms, source_key
from .folding import fold_source
from .formats import Problem, parse_glossary


@dataclass
class ValidationReport:
    """Findings as ``file:line: message`` strings; ``ok`` when there are no errors."""

    path: Path
    errors: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    terms: int = 0
    occurring: int | None = None  # terms matched at least once in ``--against``

    @property
    def ok(self) -> bool:
        return not self.errors


def _where(path: Path, problem: Problem) -> str:
    return f"{path}:{problem.line}: {problem.message}" if problem.line \
        else f"{path}: {problem.message}"


def validate_glossary(path: str | Path, against: Path | None = None) -> ValidationReport:
    """Check ``path``; with ``against`` (a text file) warn about terms that never match it.

    A glossary that cannot be read at all (missing, empty, undecodable, a TMX) is an
    error in the report; an unreadable ``against`` file raises :class:`UserError`.
    """
    path = Path(path)
    report = ValidationReport(path)
    try:
        parsed = parse_glossary(path)
    except UserError as exc:
        report.errors.append(str(exc))
        return report
    checked = check_terms(parsed.terms)
    problems = sorted(parsed.errors + checked.errors, key=lambda p: p.line)
    report.errors = [_where(path, p) for p in problems]
    warnings = sorted(parsed.warnings + checked.warnings, key=lambda p: p.line)
    report.warnings = [_where(path, p) for p in warnings]
    report.terms = len(checked.terms)
    if against is not None:
        text = read_text(against, what="corpus")
        glossary = Glossary(checked.terms, path)
        counts = Counter(m.term for m in glossary.match(text))
        report.warnings += _coverage_warnings(glossary, counts, text, against)
        report.occurring = sum(1 for term in checked.terms if counts[term])
    return report


def _coverage_warnings(glossary: Glossary, counts: Counter, text: str,
                       against: Path) -> list[str]:
    folded = fold_source(text)
    out = []
    for term in glossary.terms:
        if counts[term]:
            continue
        where = f"{glossary.path}:{term.line}: " if term.line else f"{glossary.path}: "
        if source_key(term.source) in folded:
            longer = _covering_term(glossary, term)
            out.append(f"{where}{term.source!r} occurs in {against} only inside longer terms"
                       + (f" such as {longer!r}" if longer else ""))
        else:
            out.append(f"{where}{term.source!r} never occurs in {against}")
    return out


def _covering_term(glossary: Glossary, term: Term) -> str:
    key = source_key(term.source)
    for other in glossary.terms:
        if other is not term and key in source_key(other.source):
            return other.source
    return ""

