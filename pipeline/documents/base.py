"""The document format interface, its registry, and what every reader returns.

A format reads a file into a :class:`SourceDocument` (the paragraphs, their segments and
inline codes, and the parsed file kept for writing) and writes the English edition in
the same format from the translated units. Formats register themselves with
:func:`register`; the flow never names one.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from ..segment import SegmentedDocument, SegmentOptions, segment_document
from ..units import InlineCode, Unit
from .codes import join_paragraph, placed_codes, split_codes

#: Bytes read from the head of a file to check its content against its name.
HEAD_BYTES = 8192


@dataclass
class Paragraph:
    """One paragraph of a structured document: plain text and inline codes.

    ``kind`` becomes the kind of its segments (``headline``, ``body``, ``caption``);
    ``natives`` maps a code id to what the format's writer needs to rebuild it.
    """

    text: str
    codes: tuple[InlineCode, ...] = ()
    kind: str = "body"
    natives: dict[int, Any] = field(default_factory=dict)
    handle: Any = None  # the format's node for this paragraph


@dataclass
class SourceDocument:
    """A source file read by a format, ready for the pipeline.

    ``text`` is the plain text the segments' offsets refer to (for structured formats one
    paragraph per line, in document order); ``paragraphs[i]`` is the paragraph numbered
    ``i + 1`` by the segments (empty for plain text); ``tree`` is the parsed file the
    format's writer fills in.
    """

    path: Path
    format: DocumentFormat
    text: str
    segmented: SegmentedDocument
    paragraphs: list[Paragraph] = field(default_factory=list)
    tree: Any = None

    @property
    def segments(self):
        return self.segmented.segments

    @property
    def output_name(self) -> str | None:
        """``.en.docx`` etc.: the suffix of the English edition in this format, if any."""
        return self.format.output_suffix

    def write(self, units: Sequence[Unit], out_path: Path) -> None:
        """Write the English edition of this document to ``out_path``."""
        self.format.write(self, units, out_path)


class DocumentFormat(ABC):
    """A document format: detection by content, a reader and a writer."""

    #: registry name
    name: ClassVar[str]
    #: what users call it, in messages and the README
    label: ClassVar[str]
    #: file name endings (lower case, with the dot) that choose this format
    extensions: ClassVar[tuple[str, ...]]
    #: suffix of the English edition in this format (None: only the ``.en.txt``)
    output_suffix: ClassVar[str | None] = None

    @classmethod
    @abstractmethod
    def detect(cls, path: Path, head: bytes) -> bool:
        """Whether the file's first bytes look like this format."""

    @abstractmethod
    def read(self, path: Path, layout: str = "auto",
             options: SegmentOptions | None = None) -> SourceDocument:
        """Read ``path`` (UserError naming the file when it is damaged or unsafe)."""

    @abstractmethod
    def write(self, document: SourceDocument, units: Sequence[Unit], out_path: Path) -> None:
        """Write the English edition to ``out_path`` atomically (when ``output_suffix``)."""


FORMATS: dict[str, type[DocumentFormat]] = {}


def register(cls: type[DocumentFormat]) -> type[DocumentFormat]:
    """Class decorator adding a format to :data:`FORMATS` under ``cls.name``."""
    FORMATS[cls.name] = cls
    return cls


def segment_paragraphs(paragraphs: Sequence[Paragraph], options: SegmentOptions | None = None
                       ) -> tuple[str, SegmentedDocument, list[Paragraph]]:
    """Segment structured paragraphs: one line each, sentences by the sentence splitter.

    Paragraphs without text are left out (they are written back untouched). Each segment
    takes its paragraph's kind and the inline codes inside it.
    """
    kept = [p for p in paragraphs if p.text.strip()]
    for paragraph in kept:
        paragraph.text = paragraph.text.replace("\n", " ").replace("\r", " ")
    text = "".join(p.text + "\n" for p in kept)
    document = segment_document(text, layout="lines", options=options)
    starts, pos = [], 0
    for paragraph in kept:
        starts.append(pos)
        pos += len(paragraph.text) + 1
    by_paragraph: dict[int, list] = {}
    for segment in document.segments:
        by_paragraph.setdefault(segment.paragraph, []).append(segment)
    for number, segments in by_paragraph.items():
        paragraph = kept[number - 1]
        base = starts[number - 1]
        spans = [(s.start - base, s.end - base) for s in segments]
        for segment, codes in zip(segments, split_codes(paragraph.codes, spans), strict=True):
            segment.codes = codes
            segment.kind = paragraph.kind
    return text, document, kept


def paragraph_targets(document: SourceDocument, units: Sequence[Unit]
                      ) -> list[tuple[Paragraph, Any]]:
    """Each paragraph that has segments, with its English and the codes placed in it.

    A segment without a translation keeps its source text, so nothing is dropped.
    """
    by_number = {u.segment.number: u for u in units}
    parts: dict[int, list] = {}
    for segment in document.segments:
        unit = by_number.get(segment.number)
        if unit is not None and unit.target.strip():
            coded = placed_codes(segment.codes, " ".join(unit.target.split()),
                                 unit.target_codes)
        else:
            coded = placed_codes(segment.codes, segment.text,
                                 _identity(segment.codes, segment.text))
        parts.setdefault(segment.paragraph - 1, []).append(coded)
    return [(document.paragraphs[index], join_paragraph(items))
            for index, items in parts.items()]


def _identity(codes: Sequence[InlineCode], text: str):
    from ..units import CodedText

    return CodedText(text, tuple(codes))

