"""Text folding for glossary term matching and verification (the TM key: pipeline.normalize).

Chinese side: NFKC, ASCII letters lower-cased, middle-dot look-alikes folded to U+00B7.
Offsets found in the folded text are mapped back to the original text.
English side: NFKC, curly quotes and dashes folded to ASCII; case is left to the regexes.
"""

from __future__ import annotations

import functools
import re
import unicodedata

#: Applied after NFKC; every entry maps one character to one character (length-preserving).
_SOURCE_FOLD = str.maketrans(
    {
        **{chr(c): chr(c + 32) for c in range(ord("A"), ord("Z") + 1)},
        "\u2022": "\u00b7",  # • bullet
        "\u2027": "\u00b7",  # ‧ hyphenation point
        "\u2219": "\u00b7",  # ∙ bullet operator
        "\u22c5": "\u00b7",  # ⋅ dot operator
        "\u30fb": "\u00b7",  # ・ katakana middle dot
        "\u0387": "\u00b7",  # Greek ano teleia
    }
)

_ENGLISH_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u00b4": "'", "\u0060": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-", "\u00ad": "-",
    }
)


_SOURCE_FOLDED = re.compile("[" + "".join(re.escape(chr(c)) for c in _SOURCE_FOLD) + "]")
_ENGLISH_FOLDED = re.compile("[" + "".join(re.escape(chr(c)) for c in _ENGLISH_FOLD) + "]")


#: ``_SOURCE_FOLD`` as a list indexed by code point: ``str.translate`` looks a list up
#: without raising ``KeyError`` for every unmapped character, which makes it about twice
#: as fast as with a dict; characters past the end are left alone (``IndexError``).
_SOURCE_FOLD_LIST = list(range(max(_SOURCE_FOLD) + 1))
for _cp, _to in _SOURCE_FOLD.items():
    _SOURCE_FOLD_LIST[_cp] = ord(_to)
del _cp, _to


def _source_fold_nfkc(text: str) -> str:
    return text.translate(_SOURCE_FOLD_LIST) if _SOURCE_FOLDED.search(text) else text


def fold_source(text: str) -> str:
    """The matching key of a source term: NFKC, ASCII lower case, one middle dot."""
    return _source_fold_nfkc(unicodedata.normalize("NFKC", text))


def fold_english(text: str) -> str:
    """``text`` with compatibility forms, curly quotes and dashes folded."""
    if not unicodedata.is_normalized("NFKC", text):
        text = unicodedata.normalize("NFKC", text)
    return text.translate(_ENGLISH_FOLD) if _ENGLISH_FOLDED.search(text) else text


#: Blocks without decompositions or composition partners (CJK ideographs, Hangul
#: syllables, surrogates), skipped to build the tables faster.
_PLAIN_BLOCKS = ((0x3400, 0x4DBF), (0x4E00, 0x9FFF), (0xAC00, 0xD7A3), (0xD800, 0xDFFF),
                 (0x20000, 0x2A6DF), (0x2A700, 0x2EE5F))


@functools.cache
def _tables() -> tuple[dict[int, str], frozenset[str]]:
    """``(single, joins)`` computed once from the Unicode database.

    ``single`` maps each character whose compatibility decomposition is one other
    character to it (a length-preserving translate table). ``joins`` holds the
    characters that can change the normal form of what precedes them: their
    decomposition starts with a combining mark or with a character that is the second
    half of a canonical composition (Hangul vowels and trailing consonants included).
    """
    planes: list[int] = []
    start = 0
    for low, high in _PLAIN_BLOCKS:
        planes += range(start, low)
        start = high + 1
    planes += range(start, 0x30000)
    seconds = {chr(cp) for cp in range(0x1161, 0x1176)} | {chr(cp) for cp in range(0x11A8, 0x11C3)}
    for cp in planes:
        nfd = unicodedata.normalize("NFD", chr(cp))
        if len(nfd) == 2 and not unicodedata.combining(nfd[1]):
            seconds.add(nfd[1])
    single: dict[int, str] = {}
    joins: set[str] = set()
    for cp in planes:
        ch = chr(cp)
        nfkd = unicodedata.normalize("NFKD", ch)
        if len(nfkd) == 1 and nfkd != ch:
            single[cp] = nfkd
        if nfkd and (unicodedata.combining(nfkd[0]) or nfkd[0] in seconds):
            joins.add(ch)
    return single, frozenset(joins)


@functools.cache
def _unsafe() -> re.Pattern[str]:
    """Characters whose presence may make NFKC differ from a per-character mapping.

    A text without them normalises character by character: each character becomes its
    compatibility decomposition, which is one character, no canonical reordering or
    composition follows (no combining marks, no second halves of compositions), so
    ``NFKC(text) == text.translate(single)`` of :func:`_tables`. The set errs on the
    safe side: multi-character decompositions, combining marks, every second half of a
    canonical decomposition, Hangul jamo and syllables, surrogates, and everything
    outside the BMP (one range keeps the class a fast bitmap).
    """
    seconds = {chr(cp) for cp in range(0x1100, 0x1200)}
    for cp in range(0x30000):
        parts = unicodedata.decomposition(chr(cp)).split()
        if len(parts) == 2 and not parts[0].startswith("<"):
            seconds.add(chr(int(parts[1], 16)))
    bad = [(0xAC00, 0xD7A3), (0xD800, 0xDFFF), (0x10000, 0x10FFFF)]
    for cp in range(0x10000):
        ch = chr(cp)
        nfkd = unicodedata.normalize("NFKD", ch)
        if len(nfkd) != 1 or unicodedata.combining(nfkd) or nfkd in seconds or ch in seconds:
            bad.append((cp, cp))
    bad.sort()
    merged: list[list[int]] = []
    for low, high in bad:
        if merged and low <= merged[-1][1] + 1:
            merged[-1][1] = max(merged[-1][1], high)
        else:
            merged.append([low, high])
    ranges = "".join(f"\\U{low:08x}" + (f"-\\U{high:08x}" if high > low else "")
                     for low, high in merged)
    return re.compile(f"[{ranges}]")


@functools.cache
def _fast_table() -> list[int]:
    """The BMP mapped by ``single`` of :func:`_tables`, then by ``_SOURCE_FOLD``: on a text
    without :func:`_unsafe` characters one translate gives :func:`fold_source`."""
    single, _ = _tables()
    table = list(range(0x10000))
    for cp in range(0x10000):
        table[cp] = ord(single.get(cp, chr(cp)).translate(_SOURCE_FOLD))
    return table


def fold_with_offsets(text: str) -> tuple[str, dict[int, int] | None]:
    """Fold ``text`` like :func:`fold_source`; return ``(folded, boundaries)``.

    ``boundaries`` is ``None`` when folding kept every offset (the common case, also
    with full-width punctuation); otherwise it maps each folded offset that falls on a
    boundary between independently normalised spans to the original offset. Matches
    that do not start and end on a boundary are not real matches.
    """
    if unicodedata.is_normalized("NFKC", text):
        return _source_fold_nfkc(text), None
    if not _unsafe().search(text):  # the common case: full-width punctuation and the like
        return text.translate(_fast_table()), None
    single, joins = _tables()
    narrow = text.translate(single)
    if unicodedata.is_normalized("NFKC", narrow):
        return _source_fold_nfkc(narrow), None
    parts: list[str] = []
    bounds: dict[int, int] = {0: 0}
    pos = start = 0
    for i in range(1, len(text) + 1):
        if i < len(text) and text[i] in joins:
            continue
        piece = fold_source(text[start:i])
        parts.append(piece)
        pos += len(piece)
        bounds[pos] = i
        start = i
    return "".join(parts), bounds
