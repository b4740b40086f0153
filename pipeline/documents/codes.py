"""Inline codes: spread over segments, written into MT requests, put back in place.

A paragraph's codes (:class:`~pipeline.units.InlineCode`) sit at offsets into its plain
text. :func:`split_codes` gives each segment the codes inside it. Before MT,
:func:`with_placeholders` writes each code into the source as a bare Latin token
(``ZX0``, ``ZX1`` …, the form :mod:`pipeline.engines.placeholders` uses for glossary
terms, which NMT engines pass through); :func:`from_placeholders` reads the tokens back
out of the answer as code positions (:func:`remove_markers`, shared with the tag style of
:mod:`.protect`). Codes the engine lost are put back at the segment's
edges (opening codes at the start, the others at the end) and listed in ``lost``.
:func:`placed_codes` moves the positions onto a target edited after MT (number repair,
term insertion), and :func:`join_paragraph` assembles a paragraph's translated segments.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import replace
from difflib import SequenceMatcher

from lxml import etree

from ..engines.placeholders import STEMS, placeholder_pattern
from ..units import CodedText, InlineCode

_SPACES = re.compile(r" {2,}")
_CLOSING = " .,;:!?)]}”’"


def ordered(codes: Sequence[InlineCode]) -> list[InlineCode]:
    """``codes`` in writing order: by offset; at one offset closing codes first, then
    standalone, then opening ones, except that an empty pair opens before it closes."""
    opens_at = {c.id: c.offset for c in codes if c.kind == "open"}
    rank = {"close": 0, "standalone": 1, "open": 2}

    def key(item: tuple[int, InlineCode]) -> tuple[int, int, int]:
        index, code = item
        empty = code.kind == "close" and opens_at.get(code.id) == code.offset
        return code.offset, 3 if empty else rank.get(code.kind, 1), index

    return [code for _, code in sorted(enumerate(codes), key=key)]


def split_codes(
    codes: Sequence[InlineCode], spans: Sequence[tuple[int, int]]
) -> list[tuple[InlineCode, ...]]:
    """The codes of each span (segment) of a paragraph, offsets made relative to the span.

    A code between two spans goes to the earlier one (at its end) unless it opens a pair,
    one before the first span to the first; none is dropped.
    """
    if not spans:
        return []
    out: list[list[InlineCode]] = [[] for _ in spans]
    for code in codes:
        index = 0
        for i, (start, _end) in enumerate(spans):
            if code.offset > start or (code.offset == start and code.kind == "open"):
                index = i
        start, end = spans[index]
        offset = min(max(code.offset, start), end) - start
        out[index].append(replace(code, offset=offset))
    return [tuple(part) for part in out]


def choose_stem(text: str) -> str | None:
    """A placeholder stem that does not already occur in ``text``."""
    return next((s for s in STEMS if not placeholder_pattern(s).search(text)), None)


def with_placeholders(text: str, codes: Sequence[InlineCode], stem: str) -> str:
    """``text`` with code ``i`` written as the token ``<stem><i>`` at its offset."""
    order = sorted(range(len(codes)), key=lambda i: (codes[i].offset, i))
    parts: list[str] = []
    last = 0
    for i in order:
        offset = codes[i].offset
        before, after = text[last:offset], text[offset : offset + 1]
        token = f"{stem}{i}"
        left = parts[-1][-1:] if not before and parts else before[-1:]
        if left.isascii() and left.isalnum():
            token = " " + token
        if after.isascii() and after.isalnum():
            token += " "
        parts += [before, token]
        last = offset
    parts.append(text[last:])
    return "".join(parts)


def from_placeholders(output: str, codes: Sequence[InlineCode], stem: str) -> CodedText:
    """Read the code tokens out of an engine's ``output``: the plain text and code positions.

    Unknown or repeated tokens are removed; codes missing from the output are put at the
    edges and listed in ``lost``.
    """
    return remove_markers(output, codes, placeholder_pattern(stem), lambda m: int(m.group(1)))


def remove_markers(output: str, codes: Sequence[InlineCode], pattern: re.Pattern[str],
                   index_of: Callable[[re.Match[str]], int | None]) -> CodedText:
    """``output`` without the code markers ``pattern`` finds, and where the codes were.

    ``index_of`` says which of ``codes`` a marker stands for (None: not one of them).
    Unknown or repeated markers are removed; codes missing from the output are put at the
    edges and listed in ``lost``.
    """
    pieces: list[str] = []
    found: dict[int, int] = {}
    last = length = 0
    for match in pattern.finditer(output):
        chunk = output[last : match.start()]
        after = output[match.end() : match.end() + 1]
        if chunk.endswith(" ") and (not after or after in _CLOSING):
            chunk = chunk[:-1]  # "word ZX1." → "word."
        pieces.append(chunk)
        length += len(chunk)
        index = index_of(match)
        if index is not None and 0 <= index < len(codes) and index not in found:
            found[index] = length
        last = match.end()
    pieces.append(output[last:])
    raw = "".join(pieces)
    text, positions = _tidy(raw, found)
    placed: list[InlineCode] = []
    lost: list[int] = []
    for index, code in enumerate(codes):
        if index in positions:
            placed.append(replace(code, offset=positions[index]))
        else:
            lost.append(code.id)
            placed.append(replace(code, offset=0 if code.kind == "open" else len(text)))
    return CodedText(text, tuple(_order_pairs(_snap(placed, text))), tuple(dict.fromkeys(lost)))


def _tidy(raw: str, positions: dict[int, int]) -> tuple[str, dict[int, int]]:
    """Collapse the double spaces left by removed tokens and trim, keeping positions."""
    keep = [True] * len(raw)
    for m in _SPACES.finditer(raw):
        for i in range(m.start() + 1, m.end()):
            keep[i] = False
    lead = len(raw) - len(raw.lstrip())
    trail = len(raw.rstrip())
    for i in range(len(raw)):
        if i < lead or i >= trail:
            keep[i] = False
    shift = [0] * (len(raw) + 1)
    count = 0
    for i in range(len(raw)):
        shift[i] = count
        count += keep[i]
    shift[len(raw)] = count
    text = "".join(c for c, k in zip(raw, keep, strict=True) if k)
    return text, {i: shift[min(p, len(raw))] for i, p in positions.items()}


def _snap(codes: list[InlineCode], text: str) -> list[InlineCode]:
    """Opening codes move forward over spaces, closing codes back, so they hug the words."""
    out = []
    for code in codes:
        offset = min(max(code.offset, 0), len(text))
        if code.kind == "open":
            while offset < len(text) and text[offset] == " ":
                offset += 1
        elif code.kind == "close":
            while offset > 0 and text[offset - 1] == " ":
                offset -= 1
        out.append(replace(code, offset=offset))
    return out


def _order_pairs(codes: list[InlineCode]) -> list[InlineCode]:
    """A pair the engine turned round (close before open) gets its two offsets swapped."""
    opens = {c.id: c for c in codes if c.kind == "open"}
    closes = {c.id: c for c in codes if c.kind == "close"}
    out = []
    for code in codes:
        other = (closes if code.kind == "open" else opens).get(code.id)
        if code.kind == "open" and other is not None and other.offset < code.offset:
            code = replace(code, offset=other.offset)
        elif code.kind == "close" and other is not None and other.offset > code.offset:
            code = replace(code, offset=other.offset)
        out.append(code)
    return out


def move_offsets(old: str, new: str, codes: Sequence[InlineCode]) -> tuple[InlineCode, ...]:
    """``codes`` placed in ``old`` moved to the same places in ``new`` (an edited ``old``)."""
    if old == new:
        return tuple(codes)
    opcodes = SequenceMatcher(None, old, new, autojunk=False).get_opcodes()
    moved = []
    for code in codes:
        offset = len(new)
        for tag, i1, i2, j1, j2 in opcodes:
            if i1 <= code.offset <= i2:
                if tag == "equal":
                    offset = j1 + code.offset - i1
                elif code.offset == i2 and i2 > i1:
                    offset = j2
                else:
                    offset = j1
                if not (code.offset == i2 and tag == "equal" and code.kind == "open"):
                    break
        moved.append(replace(code, offset=offset))
    return tuple(_order_pairs(_snap(moved, new)))


def placed_codes(source_codes: Sequence[InlineCode], target: str,
                 placed: CodedText | None) -> CodedText:
    """The codes of a segment positioned in its final ``target``.

    ``placed`` is where the engine put them (its answer's text may since have been
    edited); without it (a translation from the memory) every code goes to the edges.
    """
    if not source_codes:
        return CodedText(target)
    if placed is not None and {c.id for c in placed.codes} >= {c.id for c in source_codes}:
        return CodedText(target, move_offsets(placed.text, target, placed.codes), placed.lost)
    edges = tuple(replace(c, offset=0 if c.kind == "open" else len(target)) for c in source_codes)
    return CodedText(target, edges, tuple(dict.fromkeys(c.id for c in source_codes)))


def join_paragraph(parts: Sequence[CodedText], separator: str = " ") -> CodedText:
    """One paragraph from its segments' coded texts, in order (empty texts keep their codes)."""
    text = ""
    codes: list[InlineCode] = []
    lost: list[int] = []
    for part in parts:
        if text and part.text:
            end = len(text)
            text += separator
            codes = [replace(c, offset=len(text)) if c.offset == end and c.kind == "standalone"
                     else c for c in codes]  # "end.<br> Next" → "end. <br>Next"
        codes += [replace(c, offset=len(text) + c.offset) for c in part.codes]
        text += part.text
        lost += part.lost
    return CodedText(text, tuple(codes), tuple(lost))
_TMX_KINDS = {"bpt": "open", "ept": "close", "ph": "standalone"}
_SEG_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def _tmx_codes(inner_xml: str) -> list[tuple[str, str, int]] | None:
    """``(kind, TMX id, offset)`` of each inline element of a stored ``seg``, in order."""
    try:
        seg = etree.fromstring(f"<seg>{inner_xml}</seg>", _SEG_PARSER)
    except etree.XMLSyntaxError:
        return None
    found: list[tuple[str, str, int]] = []
    length = len(seg.text or "")
    for child in seg:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "it":
            kind = "open" if child.get("pos") == "begin" else "close"
        else:
            kind = _TMX_KINDS.get(tag, "")
        if kind:
            found.append((kind, child.get("i") or child.get("x") or "", length))
        else:
            length += len("".join(child.itertext()))
        length += len(child.tail or "")
    return found


def codes_from_match(codes: Sequence[InlineCode], source_xml: str, target: str,
                     target_xml: str) -> CodedText | None:
    """A memory match's code positions carried over to ``codes`` (None when the stored
    source has other codes, or the stored target lost some).

    Codes correspond by order, kind and offset in the source, whatever their format.
    """
    if not codes or "<" not in source_xml or "<" not in target_xml:
        return None
    stored, placed = _tmx_codes(source_xml), _tmx_codes(target_xml)
    mine = ordered(codes)
    if stored is None or placed is None or len(stored) != len(mine):
        return None
    by_key: dict[tuple[str, str], InlineCode] = {}
    for (kind, ident, offset), code in zip(stored, mine, strict=True):
        if kind != code.kind or offset != code.offset:
            return None
        by_key[(kind, ident)] = code
    moved = [replace(by_key[(kind, ident)], offset=min(offset, len(target)))
             for kind, ident, offset in placed if (kind, ident) in by_key]
    if len({(c.id, c.kind) for c in moved}) != len({(c.id, c.kind) for c in codes}):
        return None
    return CodedText(target, tuple(moved))
