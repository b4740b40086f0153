"""Plain text: decoded with :func:`pipeline.textio.read_text`, newspaper layout repaired."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import ClassVar

from ..segment import SegmentOptions, segment_document
from ..textio import read_text
from ..units import Unit
from .base import DocumentFormat, SourceDocument, register


@register
class TextFormat(DocumentFormat):
    """UTF-8/GB18030/Big5 text, one paragraph per line; the English edition is the .en.txt."""

    name: ClassVar[str] = "text"
    label: ClassVar[str] = "plain text (.txt)"
    extensions: ClassVar[tuple[str, ...]] = (".txt", ".text")

    @classmethod
    def detect(cls, path: Path, head: bytes) -> bool:
        from .sniff import sniff

        return sniff(head) in ("text", "binary")  # the reader names the line of a NUL byte

    def read(self, path: Path, layout: str = "auto",
             options: SegmentOptions | None = None) -> SourceDocument:
        text = read_text(path, what="source document")
        return SourceDocument(path, self, text, segment_document(text, layout, options))

    def write(self, document: SourceDocument, units: Sequence[Unit], out_path: Path) -> None:
        """Nothing: the English edition of a text is the run's ``.en.txt``."""
