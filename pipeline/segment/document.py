"""Assembling segments in repaired reading order from the analysed lines."""

from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import UserError
from ..units import LayoutNote, Segment
from .layout import CREDIT_PIECE, DATELINE, Line, analyse, iter_lines
from .sentences import Piece, SplitStats, split_sentences

LAYOUTS = ("auto", "lines")
SEMICOLON_MODES = ("long", "always", "never")
_WHOLE_KINDS = frozenset({"headline", "byline", "furniture", "marker", "ellipsis"})


@dataclass(frozen=True)
class SegmentOptions:
    """Tunable segmentation rules (the defaults suit newspaper text)."""

    semicolon: str = "long"  # break at ；: "long" (both sides >= semicolon_min), always, never
    semicolon_min: int = 40
    max_chars: int = 200  # longer sentences are split at ；/， near the middle
    quote_keep: int = 120  # quotes/brackets up to this length are never broken inside
    headline_max: int = 60  # longest unterminated line still taken for a headline
    join_distance: int = 40  # how many lines ahead a continuation is searched for
    split_datelines: bool = True  # 本报讯(记者 …) becomes its own byline segment

    def __post_init__(self) -> None:
        if self.semicolon not in SEMICOLON_MODES:
            raise UserError(f"semicolon mode must be one of {', '.join(SEMICOLON_MODES)}")
        for name in ("semicolon_min", "max_chars", "quote_keep", "headline_max"):
            if getattr(self, name) < 1:
                raise UserError(f"{name.replace('_', '-')} must be at least 1")
        if self.join_distance < 0:
            raise UserError("join-distance must not be negative")


@dataclass
class SegmentedDocument:
    """Segments in repaired reading order, the layout repairs made, the paragraph count."""

    segments: list[Segment]
    layout: list[LayoutNote] = field(default_factory=list)
    paragraphs: int = 0


@dataclass
class _Part:
    """One source line's slice inside a (possibly joined) output paragraph."""

    line: Line
    offset: int  # where the line starts in the paragraph string


def segment_document(
    text: str, layout: str = "auto", options: SegmentOptions | None = None
) -> SegmentedDocument:
    """Segment ``text`` (decoded, ``\\n`` line endings) into sentences.

    ``layout="auto"`` classifies paragraphs and repairs newspaper layout damage;
    ``layout="lines"`` makes every non-empty line one body paragraph, in file order.
    """
    if layout not in LAYOUTS:
        raise UserError(f"unknown layout {layout!r}: use one of {', '.join(LAYOUTS)}")
    options = options or SegmentOptions()
    builder = _Builder(text, options)
    if layout == "lines":
        for line in iter_lines(text):
            builder.add_paragraph([line], "body", auto=False)
    else:
        lines = analyse(text, options.headline_max, options.join_distance)
        by_number = {line.number: line for line in lines}
        for line in lines:
            if line.continues is not None:
                continue  # emitted with the paragraph it continues
            chain = [line]
            while chain[-1].tail is not None:
                chain.append(by_number[chain[-1].tail])
            builder.add_paragraph(chain, line.kind, auto=True)
    return SegmentedDocument(builder.segments, builder.notes, builder.paragraph)


class _Builder:
    """Accumulates segments and layout notes, numbering them in reading order."""

    def __init__(self, text: str, options: SegmentOptions):
        self.text = text
        self.options = options
        self.segments: list[Segment] = []
        self.notes: list[LayoutNote] = []
        self.paragraph = 0

    def add_paragraph(self, chain: list[Line], kind: str, auto: bool) -> None:
        """Segment one output paragraph; ``auto`` enables bylines/credits inside it."""
        self.paragraph += 1
        parts, offset = [], 0
        for line in chain:
            parts.append(_Part(line, offset))
            offset += len(line.text)
        joined = "".join(line.text for line in chain)
        splits: dict[int, SplitStats] = {}
        pieces = self._pieces(joined, kind, auto, splits)
        first_of_group: dict[int, int] = {}
        for piece, piece_kind in pieces:
            segment = self._segment(piece, piece_kind, parts, joined)
            self.segments.append(segment)
            if piece.split_group is not None and piece.split_group not in first_of_group:
                first_of_group[piece.split_group] = segment.number
                stats = splits[piece.split_group]
                self.notes.append(
                    LayoutNote(
                        "split",
                        segment.source_paragraphs,
                        segment.number,
                        f"{stats.length} characters without a sentence boundary; "
                        f"split into {stats.parts} at {stats.marks}",
                    )
                )
            if "joined" in segment.flags:
                head = next(p.line for p in parts if p.line.number == segment.source_paragraphs[0])
                self.notes.append(
                    LayoutNote("join", segment.source_paragraphs, segment.number, head.evidence)
                )
        last = chain[-1]
        if kind == "body" and last.open_end and last.tail is None and self.segments:
            segment = self.segments[-1]
            segment.flags.append("incomplete")
            self.notes.append(
                LayoutNote(
                    "incomplete",
                    [last.number],
                    segment.number,
                    f"paragraph ends mid-sentence (…{last.text[-6:]}) and none of the next "
                    f"{self.options.join_distance} paragraphs continues it",
                )
            )

    def _pieces(
        self, joined: str, kind: str, auto: bool, splits: dict[int, SplitStats]
    ) -> list[tuple[Piece, str]]:
        """Sentence pieces of one paragraph with the kind of each."""
        if kind in _WHOLE_KINDS:
            return [(Piece(0, len(joined)), kind)]
        start = 0
        pieces: list[tuple[Piece, str]] = []
        dateline = DATELINE.match(joined) if auto and self.options.split_datelines else None
        if dateline and dateline.end() < len(joined):
            start = dateline.end()
            pieces.append((Piece(0, start), "byline"))
        opts = self.options
        for piece in split_sentences(
            joined[start:],
            semicolon=opts.semicolon,
            semicolon_min=opts.semicolon_min,
            max_chars=opts.max_chars,
            quote_keep=opts.quote_keep,
            splits=splits,
        ):
            piece.start += start
            piece.end += start
            piece_kind = kind
            if auto and kind == "body" and CREDIT_PIECE.fullmatch(joined, piece.start, piece.end):
                piece_kind = "byline"
            pieces.append((piece, piece_kind))
        return pieces

    def _segment(self, piece: Piece, piece_kind: str, parts: list[_Part], joined: str) -> Segment:
        spans, numbers = [], []
        for part in parts:
            lo = max(piece.start, part.offset)
            hi = min(piece.end, part.offset + len(part.line.text))
            if lo < hi:
                base = part.line.start - part.offset
                spans.append((base + lo, base + hi))
                numbers.append(part.line.number)
        flags = list(piece.flags)
        if len(spans) > 1:
            flags.insert(0, "joined")
        return Segment(
            number=len(self.segments) + 1,
            paragraph=self.paragraph,
            text=joined[piece.start : piece.end],
            spans=spans,
            kind=piece_kind,
            flags=flags,
            source_paragraphs=numbers,
        )
