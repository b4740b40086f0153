"""Checking an English target against the terms matched in its source.

Rules: an approved rendering (target or variant) must occur, case-insensitively, as
whole words, tolerant of curly/straight quotes, hyphen vs space and a plural ``s``/``es``;
a forbidden rendering anywhere is a violation even when an approved one is present. A
do-not-translate term (target == source) must occur exactly as written (case included)
unless one of its variants occurs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass

from ..units import Term, TermMatch
from .folding import fold_english

_SEP = r"[\s\-]+"
_ALNUM = re.compile(r"[A-Za-z0-9]")


@dataclass(frozen=True)
class TermViolation:
    """A term whose rendering is wrong in a target.

    ``kind`` is ``missing`` (no approved rendering; ``found`` holds a near miss of a
    do-not-translate term such as ``IPV6`` for ``IPv6``, else ``""``) or ``forbidden``
    (``found`` is the forbidden text as it appears).
    """

    term: Term
    kind: str
    found: str


def rendering_pattern(rendering: str) -> str:
    """Regex (for ``re.IGNORECASE``) matching ``rendering`` as whole words, typography-tolerant."""
    text = fold_english(rendering).strip()
    tokens = [re.escape(tok) for tok in re.split(_SEP, text) if tok]
    body = _SEP.join(tokens)
    head = r"(?<!\w)" if re.match(r"\w", text) else ""
    if text[-1:].isalpha():
        tail = r"(?:e?s)?(?!\w)"
    else:
        tail = r"(?!\w)" if re.search(r"\w$", text) else ""
    return head + body + tail


def _alternation(renderings: Sequence[str]) -> re.Pattern[str] | None:
    parts = [rendering_pattern(r) for r in sorted(renderings, key=len, reverse=True) if r.strip()]
    return re.compile("|".join(parts), re.IGNORECASE) if parts else None


def _exact_pattern(token: str) -> str:
    head = r"(?<![A-Za-z0-9])" if _ALNUM.match(token) else ""
    tail = r"(?![A-Za-z0-9])" if _ALNUM.match(token[-1]) else ""
    return head + re.escape(token) + tail


def _kind(ch: str) -> str:
    return "digit" if ch.isdigit() else "upper" if ch.isupper() else "other"


def _loose_pattern(token: str) -> str:
    """Case-insensitive DNT token; a space/hyphen may appear where digits or case change."""
    parts = []
    for i, ch in enumerate(token):
        if ch in " -":
            parts.append(r"[\s\-]?")
            continue
        if i and token[i - 1] not in " -" and _kind(token[i - 1]) != _kind(ch):
            parts.append(r"[\s\-]?")
        parts.append(re.escape(ch))
    head = r"(?<![A-Za-z0-9])" if _ALNUM.match(token) else ""
    tail = r"(?![A-Za-z0-9])" if _ALNUM.match(token[-1]) else ""
    return head + "".join(parts) + tail


def _needles(renderings: Sequence[str]) -> tuple[str, ...] | None:
    """The lower-cased first token of each rendering of an :func:`_alternation`.

    Every match of the alternation starts with one of them, so in an ASCII text that
    holds none of them (lower-cased) the alternation cannot match. ``None`` when that
    shortcut does not hold (a non-ASCII first token, a rendering without a token).
    """
    out = []
    for rendering in renderings:
        if not rendering.strip():
            continue
        tokens = [tok for tok in re.split(_SEP, fold_english(rendering).strip()) if tok]
        if not tokens or not tokens[0].isascii():
            return None
        out.append(tokens[0].lower())
    return tuple(out) or None


@dataclass(frozen=True)
class _Compiled:
    accepted: re.Pattern[str] | None
    forbidden: re.Pattern[str] | None
    exact: re.Pattern[str] | None  # do-not-translate: the source as written
    loose: re.Pattern[str] | None  # do-not-translate: case/spacing near misses
    accepted_needles: tuple[str, ...] | None = None  # see _needles
    forbidden_needles: tuple[str, ...] | None = None
    exact_needle: str = ""  # do-not-translate: the literal that ``exact`` needs


_CACHE: dict[int, tuple[Term, _Compiled]] = {}


def compiled(term: Term) -> _Compiled:
    """Regexes for ``term``, cached by identity (hashing a Term hashes all its fields)."""
    entry = _CACHE.get(id(term))
    if entry is not None and entry[0] is term:
        return entry[1]
    if len(_CACHE) > 65536:
        _CACHE.clear()
    result = _compile(term)
    _CACHE[id(term)] = (term, result)
    return result


def _compile(term: Term) -> _Compiled:
    if term.do_not_translate:
        source = unicodedata.normalize("NFKC", term.source)
        return _Compiled(
            accepted=_alternation(term.variants),
            forbidden=_alternation(term.forbidden),
            exact=re.compile(_exact_pattern(source)),
            loose=re.compile(_loose_pattern(source), re.IGNORECASE),
            accepted_needles=_needles(term.variants),
            forbidden_needles=_needles(term.forbidden),
            exact_needle=source,
        )
    return _Compiled(_alternation(term.accepted), _alternation(term.forbidden), None, None,
                     _needles(term.accepted), _needles(term.forbidden))


def _search(pattern: re.Pattern[str] | None, needles: tuple[str, ...] | None, folded: str,
            lowered: str | None) -> re.Match[str] | None:
    """``pattern.search(folded)``; with ``lowered`` (``folded`` is ASCII) and ``needles``,
    a plain substring test first rules out most texts and finds where to start."""
    if pattern is None:
        return None
    if lowered is None or needles is None:
        return pattern.search(folded)
    start = -1
    for needle in needles:
        at = lowered.find(needle)
        if at >= 0 and (start < 0 or at < start):
            start = at
    # Look-behinds still see the text before ``start``, so the match is the same.
    return pattern.search(folded, start) if start >= 0 else None


def _missing(term: Term, folded: str, lowered: str | None = None) -> TermViolation | None:
    c = compiled(term)
    if _search(c.accepted, c.accepted_needles, folded, lowered):
        return None
    if c.exact is None:
        return TermViolation(term, "missing", "")
    if c.exact_needle in folded and c.exact.search(folded):
        return None
    near = c.loose.search(folded) if c.loose is not None else None
    return TermViolation(term, "missing", near.group() if near else "")


def verify_terms(target: str, matches: Sequence[TermMatch]) -> list[TermViolation]:
    """Violations of the matched terms in ``target``: one per term and kind, source order."""
    folded = fold_english(target)
    lowered = folded.lower() if folded.isascii() else None
    out: list[TermViolation] = []
    seen: set[int] = set()
    for match in matches:
        term = match.term
        if id(term) in seen:
            continue
        seen.add(id(term))
        c = compiled(term)
        hit = _search(c.forbidden, c.forbidden_needles, folded, lowered)
        if hit:
            out.append(TermViolation(term, "forbidden", hit.group()))
        missing = _missing(term, folded, lowered)
        if missing is not None:
            out.append(missing)
    return out


def forbidden_clashes(term: Term) -> list[tuple[str, str]]:
    """``(forbidden, accepted)`` pairs where the forbidden form matches inside an accepted one.

    Such a term can never pass: every approved rendering would also be flagged.
    """
    clashes = []
    for bad in term.forbidden:
        pattern = re.compile(rendering_pattern(bad), re.IGNORECASE)
        for good in term.accepted:
            if pattern.search(fold_english(good)):
                clashes.append((bad, good))
    return clashes


# ----------------------------------------------------------------------------- repair


def _is_safe_near_miss(found: str) -> bool:
    """A near miss may be rewritten unless it could be an ordinary lower-case word."""
    return any(ch.isdigit() for ch in found) or not found.isalpha() or not found.islower()


def _fix_spelling(text: str, term: Term) -> str | None:
    loose = compiled(term).loose
    hits = list(loose.finditer(text)) if loose is not None else []
    if not hits or not all(_is_safe_near_miss(h.group()) for h in hits):
        return None
    return loose.sub(lambda _: unicodedata.normalize("NFKC", term.source), text)


def _expansion_before(term: Term, source: str, matches: Sequence[TermMatch]) -> Term | None:
    """The term written right before ``term`` in brackets: ``全称(ABBR)`` / ``全称（ABBR）``."""
    ordered = sorted(matches, key=lambda m: m.start)
    for prev, cur in zip(ordered, ordered[1:], strict=False):
        if cur.term != term or prev.term.do_not_translate:
            continue
        between = source[prev.end:cur.start].strip()
        after = source[cur.end:cur.end + 1]
        if between in ("(", "\uff08") and after in (")", "\uff09"):
            return prev.term
    return None


def _insert_after_expansion(text: str, term: Term, source: str | None,
                            matches: Sequence[TermMatch]) -> str | None:
    if source is None or not unicodedata.is_normalized("NFKC", text):
        return None
    expansion = _expansion_before(term, source, matches)
    pattern = compiled(expansion).accepted if expansion is not None else None
    hits = list(pattern.finditer(fold_english(text))) if pattern is not None else []
    if len(hits) != 1:
        return None
    end = hits[0].end()
    if text[end:].lstrip().startswith(("(", "\uff08")):
        return None
    return f"{text[:end]} ({term.source}){text[end:]}"


def insert_do_not_translate(target: str, violations: Sequence[TermViolation],
                            source: str | None = None,
                            matches: Sequence[TermMatch] = ()) -> str | None:
    """Repair the missing do-not-translate terms among ``violations``, or return ``None``.

    Safe repairs only: (1) a near miss of the token (``IPV6``, ``ipv6``, ``IP-v6`` for
    ``IPv6``) is rewritten to the exact form, unless a near miss is an ordinary lower-case
    word; (2) given ``source`` and ``matches``, an abbreviation the source writes in
    brackets right after another term (``全球移动通信系统协会(GSMA)``) is inserted as
    `` (GSMA)`` after that term's only rendering in the target. Anything else (the
    token dropped with no expansion to anchor it) returns ``None``: flag, do not rewrite.
    Other violations are ignored; re-verify the result.
    """
    dnt = [v for v in violations if v.kind == "missing" and v.term.do_not_translate]
    if not dnt:
        return None
    text = target
    for violation in dict.fromkeys(v.term for v in dnt):
        repaired = _fix_spelling(text, violation)
        if repaired is None:
            repaired = _insert_after_expansion(text, violation, source, matches)
        if repaired is None:
            return None
        text = repaired
    return text
