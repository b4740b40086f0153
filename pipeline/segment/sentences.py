"""Sentence boundaries inside one paragraph of Chinese (or mixed) text.

Boundary detection works on a *folded* copy of the paragraph in which half-width
punctuation (``! ? ; : , ( )``) is mapped to its full-width form; folding keeps every
character in place, so offsets found on the folded copy are offsets into the original.
Segments always keep the original characters.

Rules, in order:

* break after ``。！？`` (and ``! ?``), after ``…``/``……`` that end a sentence, and after
  an English full stop; closing quotes and brackets stay with the sentence they close;
* never break inside numbers, e-mail addresses, URLs, dotted abbreviations, nor inside a
  bracketed or quoted span of at most ``quote_keep`` characters (unless the sentence
  ends together with the span, as in ``“……成功。”随后离开。``);
* ``；`` breaks when both sides are long (``semicolon="long"``), always, or never;
* a piece longer than ``max_chars`` is split at ``；`` or ``，`` near its middle.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from ..han import HAN_RANGES, is_han

_FOLD = str.maketrans({"!": "！", "?": "？", ";": "；", ":": "：", ",": "，", "(": "（", ")": "）"})

ELLIPSIS = "…⋯"
CLOSERS = '”’」』）》】〕〉"'
PAIRS = {
    "“": "”",
    "‘": "’",
    "「": "」",
    "『": "』",
    "（": "）",
    "《": "》",
    "【": "】",
    "〔": "〕",
    "〈": "〉",
}
OPENERS = "".join(PAIRS)
_CLOSER_TO_OPENER = {close: open_ for open_, close in PAIRS.items()}

_CANDIDATE = re.compile(r"[。！？]+|[…⋯]+|\.")
_TRAIL = re.compile(r"[。！？…⋯”’」』）》】〕〉\"]*")
_PAIR_CHAR = re.compile("[" + re.escape(OPENERS + "".join(PAIRS.values())) + "]")
_PROTECTED = re.compile(
    rf"(?:https?://|ftp://|www\.)[^\s，。！？；、“”‘’（）《》【】{HAN_RANGES}]+"  # URL
    r"|[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)+"  # e-mail
    r"|[A-Za-z0-9_-]+(?:\.[A-Za-z0-9_-]+)+"  # dotted token: 110.93, example.com, v1.2
    r"|\d+(?:[:/-]\d+)+"  # 0571-85910479, 10:30, 2023/11/7
    r"|(?:[A-Za-z]\.){2,}"  # U.S.A., e.g.
)
_URL_TAIL = ".,;:!?)'\""
_RISKY = re.compile(r"[.!?;:/@-]")
#: Characters that cannot open a sentence (structural particles): after “……。” they
#: show the quote sits inside a longer sentence.
_NON_INITIAL = "的地得之等般似"
_LATIN_WORD_END = re.compile(r"[A-Za-z]+$")
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st no nos vs etc fig inc ltd co corp jr sr dept gov univ approx".split()
)


@dataclass
class Piece:
    """A sentence-like piece ``[start, end)`` of a paragraph (whitespace trimmed)."""

    start: int
    end: int
    split_group: int | None = None  # pieces cut from one over-long sentence share a group
    flags: list[str] = field(default_factory=list)


@dataclass
class SplitStats:
    """How an over-long sentence was split, for the layout notes."""

    length: int
    parts: int
    marks: str


def fold(text: str) -> str:
    """Map half-width sentence punctuation to full width, keeping every offset."""
    return text.translate(_FOLD)


def is_wordchar(char: str) -> bool:
    """A character a word can end or start with (Han, Latin letter, digit)."""
    return is_han(char) or char.isalnum()


def protected_spans(text: str) -> list[tuple[int, int]]:
    """Spans that must not contain a boundary: URLs, e-mails, numbers, abbreviations."""
    if not _RISKY.search(text):
        return []
    spans = []
    for match in _PROTECTED.finditer(text):
        start, end = match.span()
        while end > start + 1 and text[end - 1] in _URL_TAIL:
            end -= 1
        spans.append((start, end))
    return spans


def matched_pairs(folded: str) -> list[tuple[int, int]]:
    """``(open, close)`` positions of balanced brackets and quotes in ``folded``."""
    stack: list[tuple[str, int]] = []
    pairs = []
    for match in _PAIR_CHAR.finditer(folded):
        char, pos = match.group(), match.start()
        opener = _CLOSER_TO_OPENER.get(char)
        if opener is None:
            stack.append((char, pos))
            continue
        for depth in range(len(stack) - 1, -1, -1):
            if stack[depth][0] == opener:
                pairs.append((stack[depth][1], pos))
                del stack[depth:]
                break
    return pairs


def _mask(length: int, spans: list[tuple[int, int]]) -> bytearray:
    """1 at every position covered by ``spans``."""
    mask = bytearray(length)
    for start, end in spans:
        mask[start:end] = b"\x01" * (end - start)
    return mask


class _Enclosures:
    """The pairs enclosing increasing positions (pairs are properly nested or disjoint)."""

    def __init__(self, pairs: list[tuple[int, int]]):
        self._pairs = sorted(pairs)
        self._next = 0
        self._active: list[tuple[int, int]] = []

    def at(self, pos: int) -> list[tuple[int, int]]:
        while self._next < len(self._pairs) and self._pairs[self._next][0] < pos:
            self._active.append(self._pairs[self._next])
            self._next += 1
        self._active = [pair for pair in self._active if pair[1] > pos]
        return self._active


def _english_full_stop(text: str, pos: int, after_link: bool = False) -> bool:
    """Whether the ``.`` at ``pos`` ends an English sentence (or a URL/e-mail at its end)."""
    prev = text[pos - 1] if pos else ""
    nxt = text[pos + 1] if pos + 1 < len(text) else ""
    latin = prev.isascii() and prev.isalpha()
    if not (after_link or latin or prev in CLOSERS or prev == ")"):
        return False
    if nxt and not (nxt.isspace() or is_han(nxt) or nxt in CLOSERS or nxt in OPENERS):
        return False
    word = None if after_link else _LATIN_WORD_END.search(text, max(0, pos - 12), pos)
    if word and (len(word.group()) == 1 or word.group().lower() in _ABBREVIATIONS):
        return False
    if nxt.isspace():
        rest = text[pos + 1 : pos + 40].lstrip()
        if rest and rest[0].isascii() and not (rest[0].isupper() or rest[0] in "\"'("):
            return False
    return True


def _straight_quote_trail(folded: str, start: int, end: int) -> int:
    """Cut the trail before a straight ``"`` that opens a quote (even count before it)."""
    for pos in range(start, end):
        if folded[pos] == '"' and folded.count('"', 0, pos) % 2 == 0:
            return pos
    return end


def _sentence_ends(
    text: str, folded: str, protected: list[tuple[int, int]], pairs: list[tuple[int, int]]
) -> list[int]:
    """Offsets just after each sentence end (closers included).

    ``protected`` spans never hold a boundary; inside the short ``pairs`` (brackets,
    quotes) a sentence may only end together with the pair.
    """
    link_ends = {end for _, end in protected}
    inside = _mask(len(text), protected)
    enclosures = _Enclosures(pairs)
    ends: list[int] = []
    sentence_start = 0
    last = 0
    for match in _CANDIDATE.finditer(folded):
        pos = match.start()
        if pos < last or inside[pos]:
            continue
        char = folded[pos]
        if char == "." and not _english_full_stop(text, pos, pos in link_ends):
            continue
        end = _TRAIL.match(folded, match.end()).end()
        if '"' in folded[match.end() : end]:
            end = _straight_quote_trail(folded, match.end(), end)
        if end < len(folded) and (
            folded[end] in "，、；："
            or (folded[end - 1] in CLOSERS and folded[end] in _NON_INITIAL)
        ):
            continue  # “……。”的说法: the quote ends inside a longer sentence
        if char in ELLIPSIS:
            head = folded[sentence_start:pos].strip().lstrip(OPENERS + " ")
            if not head:
                continue
        if any(c >= end for _, c in enclosures.at(pos)):
            continue  # inside a short quote or bracket that goes on after this point
        ends.append(end)
        sentence_start = last = end
    return ends


def _semicolon_cuts(
    folded: str, start: int, end: int, mode: str, minimum: int, blocked: bytearray
) -> list[int]:
    """Cut offsets after ``；`` inside the sentence ``[start, end)``."""
    if mode == "never":
        return []
    cuts = []
    left = start
    pos = folded.find("；", start, end)
    while pos != -1:
        cut = pos + 1
        if not blocked[pos] and (
            mode == "always" or (cut - left >= minimum and end - cut >= minimum)
        ):
            cuts.append(cut)
            left = cut
        pos = folded.find("；", cut, end)
    return cuts


def _long_cut(folded: str, start: int, end: int, blocked: bytearray) -> int | None:
    """Where to cut an over-long piece: after ``；`` or ``，`` (or ``、``) near the middle."""
    middle = (start + end) // 2
    quarter = (end - start) // 4
    for marks, lo, hi in (
        ("；", start + quarter, end - quarter),
        ("，", start + quarter, end - quarter),
        ("；，", start + 1, end - 1),
        ("、", start + quarter, end - quarter),
    ):
        best = None
        for pos in range(lo, hi):
            if folded[pos] in marks and not blocked[pos]:
                if best is None or abs(pos + 1 - middle) < abs(best - middle):
                    best = pos + 1
        if best is not None:
            return best
    return None


def _split_long(folded: str, start: int, end: int, max_chars: int, blocked: bytearray) -> list[int]:
    """Cut offsets that bring every part of ``[start, end)`` to at most ``max_chars``."""
    if end - start <= max_chars:
        return []
    cut = _long_cut(folded, start, end, blocked)
    if cut is None:
        return []
    return [
        *_split_long(folded, start, cut, max_chars, blocked),
        cut,
        *_split_long(folded, cut, end, max_chars, blocked),
    ]


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def split_sentences(
    text: str,
    *,
    semicolon: str = "long",
    semicolon_min: int = 40,
    max_chars: int = 200,
    quote_keep: int = 120,
    splits: dict[int, SplitStats] | None = None,
) -> list[Piece]:
    """Split one paragraph into sentence pieces covering all its non-whitespace text.

    Pieces are whitespace-trimmed and never empty. Pieces cut from one over-long
    sentence carry the ``split-long`` flag and a shared ``split_group``, described in
    ``splits`` (when given) by group id.
    """
    folded = fold(text)
    protected = protected_spans(text)
    pairs = [(o, c) for o, c in matched_pairs(folded) if c - o <= quote_keep]
    bounds = [0, *_sentence_ends(text, folded, protected, pairs), len(text)]
    blocked = _mask(len(text), protected + pairs)
    pieces: list[Piece] = []
    group = 0
    for start, end in zip(bounds, bounds[1:], strict=False):
        start, end = _trim(text, start, end)
        if start >= end:
            continue
        cuts = [start, *_semicolon_cuts(folded, start, end, semicolon, semicolon_min, blocked), end]
        for a, b in zip(cuts, cuts[1:], strict=False):
            a, b = _trim(text, a, b)
            if a >= b:
                continue
            long_cuts = _split_long(folded, a, b, max_chars, blocked)
            if not long_cuts:
                pieces.append(Piece(a, b))
                continue
            group += 1
            parts = [a, *long_cuts, b]
            for x, y in zip(parts, parts[1:], strict=False):
                x, y = _trim(text, x, y)
                if x < y:
                    pieces.append(Piece(x, y, group, ["split-long"]))
            if splits is not None:
                marks = "".join(sorted({text[c - 1] for c in long_cuts}))
                splits[group] = SplitStats(b - a, len(long_cuts) + 1, marks)
    return pieces
