"""Glossary enforcement for NMT engines: protect terms with placeholders, restore them after.

Before MT each glossary term found in the source is replaced by a placeholder; after MT the
placeholder is replaced by the approved target. The placeholder is a bare Latin token: a
two-letter stem and a number, ``ZX0``, ``ZX1`` … Why this form:

* zh→en news models copy Latin acronyms and codes (G20, 5G, C919, APEC) from the Chinese
  verbatim, so an all-caps letters+digits token is passed through far more reliably than a
  word (``TERM`` gets translated or inflected) or a CJK character;
* it has no punctuation wrapper to lose: wrappers such as ``###T01###``, ``{{…}}`` or
  ``⟦0⟧`` are what models squeeze, split or drop (LibreTranslate#944);
* ``ZX`` is not an English word, so a tolerant pattern cannot fire on normal output.

Restoration tolerates what models do to such tokens: case changes (``zx0``), inserted spaces
or joiners (``Z X 0``, ``ZX-0``), fullwidth forms (``ＺＸ０``), a plural ``s``, a token glued to
a neighbouring word, duplicates (kept once, extras removed) and unknown indices (removed).
A placeholder that is lost entirely falls back to post-edit insertion of the approved target
at the proportional position, snapped to a word boundary, with a note for the reviewer.
All functions are pure.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from ..units import Term, TermMatch

#: Placeholder stems, tried in order; a stem already present in the source is skipped.
STEMS = ("ZX", "QX", "XZ")

_TRAILING_PUNCT = ".!?;:。！？\"'”’)]…"
_CLOSING = ",.;:!?)]}%”’"


@dataclass(frozen=True)
class Slot:
    """One protected occurrence: placeholder ``<stem><index>`` stands for ``term``."""

    index: int
    term: Term
    start: int  # offsets of the term in the original source
    end: int


@dataclass(frozen=True)
class Protected:
    """A source with its terms replaced by placeholders (``text`` is what MT sees)."""

    source: str
    text: str
    stem: str
    slots: tuple[Slot, ...] = ()

    def placeholder(self, index: int) -> str:
        return f"{self.stem}{index}"


@dataclass(frozen=True)
class Restored:
    """MT output with placeholders replaced; ``inserted`` lists terms placed by post-edit."""

    text: str
    notes: tuple[str, ...] = ()
    inserted: tuple[Term, ...] = ()


def find_terms(source: str, terms: Sequence[Term]) -> list[TermMatch]:
    """Find ``terms`` in ``source`` by substring: leftmost, longest first, no overlaps."""
    ordered = sorted(
        {t.source: t for t in terms if t.source}.values(), key=lambda t: -len(t.source)
    )
    matches: list[TermMatch] = []
    i = 0
    while i < len(source):
        for term in ordered:
            if source.startswith(term.source, i):
                matches.append(TermMatch(term, i, i + len(term.source)))
                i += len(term.source)
                break
        else:
            i += 1
    return matches


def placeholder_pattern(stem: str) -> re.Pattern[str]:
    """A tolerant pattern for ``<stem><n>`` (also fullwidth, spaced, any case): group 1 is n."""
    letters = r"[\s\-_·]?".join(f"[{re.escape(c)}{chr(ord(c) + 0xFEE0)}]" for c in stem)
    return re.compile(
        rf"{letters}[\s\-_#·]{{0,2}}(\d{{1,3}})(?!\d)(?:s(?![^\W\d_]))?", re.IGNORECASE
    )


def protect(source: str, terms: Sequence[Term]) -> Protected:
    """Replace each term found in ``source`` by a placeholder the MT model passes through."""
    matches = [m for m in find_terms(source, terms) if m.term.target.strip()]
    stem = next((s for s in STEMS if not placeholder_pattern(s).search(source)), None)
    if not matches or stem is None:
        return Protected(source, source, stem or STEMS[0])
    parts: list[str] = []
    slots: list[Slot] = []
    last = 0
    for index, match in enumerate(matches):
        before, after = source[last : match.start], source[match.end : match.end + 1]
        token = f"{stem}{index}"
        if before[-1:].isascii() and before[-1:].isalnum():
            token = " " + token
        if after.isascii() and after.isalnum():
            token += " "
        parts += [before, token]
        slots.append(Slot(index, match.term, match.start, match.end))
        last = match.end
    parts.append(source[last:])
    return Protected(source, "".join(parts), stem, tuple(slots))


def _padded(left: str, middle: str, right: str) -> str:
    """``middle`` with a space added on each side where it would touch a word."""
    if left and not left[-1].isspace() and (left[-1].isalnum() or left[-1] in _CLOSING):
        middle = " " + middle
    if right[:1].isalnum():
        middle += " "
    return middle


def _word_starts(text: str, keep: Sequence[str] = ()) -> list[int]:
    """Where a term can be inserted: word starts and before the final punctuation, never
    inside an occurrence of one of the ``keep`` strings (terms already in place)."""
    end = len(text.rstrip())
    while end > 0 and text[end - 1] in _TRAILING_PUNCT:
        end -= 1
    starts = {0, end} | {
        i for i in range(1, end) if text[i - 1].isspace() and not text[i].isspace()
    }
    folded = text.casefold()
    for phrase in filter(None, (k.casefold() for k in keep)):
        for found in re.finditer(re.escape(phrase), folded):
            starts -= set(range(found.start() + 1, found.end()))
    return sorted(starts)


def insert_term(text: str, target: str, fraction: float, keep: Sequence[str] = ()) -> str:
    """Insert ``target`` at the word boundary nearest ``fraction`` of the text length,
    outside the ``keep`` phrases."""
    want = fraction * len(text)
    at = min(_word_starts(text, keep), key=lambda i: (abs(i - want), i))
    left, right = text[:at], text[at:]
    return left + _padded(left, target, right) + right


def restore(output: str, protected: Protected) -> Restored:
    """Replace placeholders in MT ``output`` by the approved targets; repair what was mangled."""
    if not protected.slots:
        return Restored(output)
    by_index = {slot.index: slot for slot in protected.slots}
    notes: list[str] = []
    seen: set[int] = set()
    text = ""
    last = 0
    for match in placeholder_pattern(protected.stem).finditer(output):
        text += output[last : match.start()]
        last = match.end()
        after = output[last:]
        index = int(match.group(1))
        slot = by_index.get(index)
        if slot is None or index in seen:
            why = "unknown" if slot is None else "duplicated"
            notes.append(f"{why} placeholder {match.group(0)!r} removed from MT output")
            if text.endswith(" ") and (after[:1].isspace() or after[:1] in _CLOSING):
                text = text[:-1]
            if text.endswith((",", ";")) and after[:1] in tuple(".!?;:,"):
                text = text[:-1]  # "X, <dup>." → "X."
            continue
        seen.add(index)
        text += _padded(text, slot.term.target, after)
    text += output[last:]
    text = re.sub(r"(?<=\S) {2,}(?=\S)", " ", text).strip()
    inserted: list[Term] = []
    for slot in protected.slots:
        if slot.index in seen:
            continue
        target = slot.term.target
        needed = sum(1 for s in protected.slots if s.term.target == target)
        lead = f"term {slot.term.source} → {target}: placeholder lost in MT"
        if text.casefold().count(target.casefold()) >= needed:
            notes.append(f"{lead}, approved rendering already present")
            continue
        fraction = slot.start / max(len(protected.source), 1)
        text = insert_term(text, target, fraction, [s.term.target for s in protected.slots])
        inserted.append(slot.term)
        notes.append(f"{lead}, rendering inserted by post-edit; check its placement")
    return Restored(text, tuple(notes), tuple(inserted))
