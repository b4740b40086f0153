"""Serialising segments for inspection (``tmpipe segment``) and for ``segments.jsonl``."""

from __future__ import annotations

import bisect
import json
from typing import TextIO

from ..units import Segment
from .document import SegmentedDocument


class LineIndex:
    """Maps character offsets of a text to 1-based file line numbers."""

    def __init__(self, text: str):
        self._starts = [0]
        pos = text.find("\n")
        while pos != -1:
            self._starts.append(pos + 1)
            pos = text.find("\n", pos + 1)

    def line(self, offset: int) -> int:
        return bisect.bisect_right(self._starts, offset)


def segment_record(segment: Segment, lines: LineIndex | None = None) -> dict:
    """One segment as a JSON-ready dict (offsets are characters of the decoded text)."""
    record = {
        "number": segment.number,
        "paragraph": segment.paragraph,
        "kind": segment.kind,
        "flags": segment.flags,
        "text": segment.text,
        "start": segment.start,
        "end": segment.end,
        "spans": [list(span) for span in segment.spans],
        "source_paragraphs": segment.source_paragraphs,
    }
    if segment.codes:
        record["codes"] = [{"id": c.id, "kind": c.kind, "offset": c.offset, "type": c.type}
                           for c in segment.codes]
    if lines is not None:
        record["lines"] = [lines.line(start) for start, _ in segment.spans]
    return record


def _text_line(segment: Segment) -> str:
    flags = f" [{', '.join(segment.flags)}]" if segment.flags else ""
    text = " ".join(segment.text.split())
    return f"{segment.number:>5}  ¶{segment.paragraph:<4} {segment.kind:<9}{flags} {text}\n"


def write_segments(fh: TextIO, document: SegmentedDocument, text: str, fmt: str = "jsonl") -> None:
    """Write ``document`` as JSON lines (``fmt="jsonl"``) or a readable listing (``"text"``).

    JSON records carry ``lines``: the 1-based file line of each span, for reviewers. The
    text listing ends with the layout notes as ``#`` lines.
    """
    if fmt == "text":
        for segment in document.segments:
            fh.write(_text_line(segment))
        for note in document.layout:
            paragraphs = "+".join(str(p) for p in note.paragraphs)
            fh.write(
                f"# {note.kind} source ¶{paragraphs} segment {note.segment}: {note.evidence}\n"
            )
        return
    lines = LineIndex(text)
    for segment in document.segments:
        fh.write(json.dumps(segment_record(segment, lines), ensure_ascii=False) + "\n")
