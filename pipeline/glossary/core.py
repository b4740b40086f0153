"""The in-memory glossary: loading, consistency checks and source-side matching."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError
from ..han import has_han
from ..units import Term, TermMatch
from .folding import fold_english, fold_source, fold_with_offsets
from .formats import ParseResult, Problem, parse_glossary
from .verify import forbidden_clashes

log = logging.getLogger(__name__)

_LATIN = frozenset("abcdefghijklmnopqrstuvwxyz0123456789")
MAX_SOURCE = 300


def source_key(source: str) -> str:
    """How a source term is compared: folded (NFKC, ASCII lower case) and stripped."""
    return fold_source(source).strip()


_ZERO_WIDTH = re.compile("[\u200b-\u200f\u2060-\u2064\ufeff\u00ad]")


def check_terms(terms: Sequence[Term]) -> ParseResult:
    """Cross-row checks: duplicates, unusable forbidden forms, odd targets.

    Returns the terms to keep (first of each duplicate source) with errors and warnings.
    """
    result = ParseResult()
    first: dict[str, Term] = {}
    for term in terms:
        key = source_key(term.source)
        if len(key) > MAX_SOURCE:
            result.errors.append(Problem(term.line, f"source longer than {MAX_SOURCE} "
                                                    "characters"))
            continue
        seen = first.get(key)
        if seen is not None:
            if fold_english(seen.target).lower() != fold_english(term.target).lower():
                result.errors.append(Problem(term.line, f"duplicate source {term.source!r} "
                                             f"with a different target ({term.target!r}; line "
                                             f"{seen.line} has {seen.target!r})"))
            else:
                result.warnings.append(Problem(term.line, f"duplicate of line {seen.line} "
                                                          f"({term.source}); ignored"))
            continue
        first[key] = term
        for bad, good in forbidden_clashes(term):
            what = "equals" if bad.lower() == good.lower() else "matches inside"
            result.errors.append(Problem(term.line, f"forbidden {bad!r} {what} accepted "
                                                    f"rendering {good!r}"))
        formula = [v for v in (term.source, term.target, *term.variants, *term.forbidden)
                   if v.startswith(("=", "+", "-", "@"))]
        if formula:
            result.warnings.append(Problem(term.line, f"{formula[0]!r} starts with "
                                   f"{formula[0][0]!r}: a spreadsheet would run it as a "
                                   "formula (CSV export neutralises it with a leading ')"))
        hidden = _ZERO_WIDTH.search(term.source + term.target)
        if hidden:
            result.warnings.append(Problem(term.line, f"term {term.source!r} holds the "
                                   f"invisible character U+{ord(hidden.group()):04X}; it "
                                   "cannot match text that lacks it"))
        if has_han(term.target):
            result.warnings.append(Problem(term.line, f"target {term.target!r} contains "
                                                      "Chinese characters"))
        result.terms.append(term)
    return result


class Glossary:
    """Terms with a precompiled matcher over their folded sources.

    Matching is leftmost-longest: scanning left to right, the longest term starting at
    the first matching position wins and the scan resumes after it. A source that
    begins (ends) with an ASCII letter or digit only matches where it is not preceded
    (followed) by one, so ``5G`` does not match in ``5GHz``.
    """

    def __init__(self, terms: Sequence[Term], path: str | Path | None = None,
                 warnings: Sequence[str] = ()):
        self.terms: list[Term] = list(terms)
        self.path = Path(path) if path is not None else None
        self.warnings: list[str] = list(warnings)
        self._index: dict[str, Term] = {}
        for term in self.terms:
            key = source_key(term.source)
            if key:
                self._index.setdefault(key, term)
        self._regex = re.compile(_trie_regex(self._index)) if self._index else None

    def __len__(self) -> int:
        return len(self.terms)

    def match(self, text: str) -> list[TermMatch]:
        """Terms found in ``text``; offsets index the original (unfolded) ``text``."""
        if self._regex is None or not text:
            return []
        folded, bounds = fold_with_offsets(text)
        if bounds is None:
            index = self._index
            out = []
            for m in self._regex.finditer(folded):
                start = m.start()
                if start and folded[start] in _LATIN and folded[start - 1] in _LATIN:
                    return self._scan(folded, None)  # rare: rescan from inside the word
                out.append(TermMatch(index[m.group()], start, m.end()))
            return out
        return self._scan(folded, bounds)

    def _scan(self, folded: str, bounds: dict[int, int] | None) -> list[TermMatch]:
        """Match position by position, skipping matches that are not real (see above)."""
        out: list[TermMatch] = []
        pos = 0
        while (m := self._regex.search(folded, pos)) is not None:
            start, end = m.span()
            if not self._acceptable(folded, start, end, bounds):
                pos = start + 1
                continue
            term = self._index[m.group()]
            if bounds is not None:
                start, end = bounds[start], bounds[end]
            out.append(TermMatch(term, start, end))
            pos = m.end()
        return out

    @staticmethod
    def _acceptable(folded: str, start: int, end: int, bounds: dict[int, int] | None) -> bool:
        if bounds is not None and (start not in bounds or end not in bounds):
            return False
        return not (start and folded[start] in _LATIN and folded[start - 1] in _LATIN)


def _trie_regex(index: dict[str, Term]) -> str:
    """One regex over all keys, shaped as a trie so that longer keys are tried first."""
    trie: dict[str, dict] = {}
    for key in index:
        node = trie
        for ch in key:
            node = node.setdefault(ch, {})
        node[""] = {}
    return _node_regex(trie)


def _node_regex(node: dict[str, dict], last: str = "") -> str:
    alternatives = [re.escape(ch) + _node_regex(child, ch)
                    for ch, child in sorted(node.items()) if ch]
    if "" in node:
        alternatives.append("(?![a-z0-9])" if last in _LATIN else "")
    if len(alternatives) == 1:
        return alternatives[0]
    return "(?:" + "|".join(alternatives) + ")"


def load_glossary(path: str | Path) -> Glossary:
    """Load a TSV, CSV or TBX glossary; :class:`UserError` (file:line) on the first error."""
    path = Path(path)
    parsed = parse_glossary(path)
    checked = check_terms(parsed.terms) if not parsed.errors else ParseResult()
    errors = parsed.errors + checked.errors
    if errors:
        first = min(errors, key=lambda p: p.line)
        more = f" (and {len(errors) - 1} more; run 'tmpipe glossary validate')" \
            if len(errors) > 1 else ""
        raise UserError(first.message + more, path, first.line or None)
    warnings = [f"{path}:{p.line}: {p.message}" if p.line else f"{path}: {p.message}"
                for p in parsed.warnings + checked.warnings]
    for warning in warnings:
        log.warning("%s", warning)
    return Glossary(checked.terms, path, warnings)
