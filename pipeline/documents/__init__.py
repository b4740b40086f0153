"""Document formats: read any supported file into segments, write the English edition back.

:func:`read_document` chooses the format by the file's name and checks it against the
content (a ``.txt`` that is really a DOCX, a PDF, a damaged file: one-line UserError naming
the file and the supported formats). Each format is a module registering a
:class:`~.base.DocumentFormat`; adding one means adding its module to ``_MODULES``.
"""

from __future__ import annotations

import importlib
from pathlib import Path

from ..errors import UserError
from ..segment import SegmentOptions
from ..textio import open_user_file
from .base import FORMATS, HEAD_BYTES, DocumentFormat, Paragraph, SourceDocument
from .codes import codes_from_match
from .protect import protect_codes
from .sniff import KINDS, sniff

#: Format modules, in the order content detection tries them (Markdown only by name).
_MODULES = ("docx", "html", "text", "markdown")


def formats() -> list[type[DocumentFormat]]:
    """Every registered format, in detection order."""
    for name in _MODULES:
        importlib.import_module(f"{__name__}.{name}")
    return [FORMATS[name] for name in _MODULES if name in FORMATS]


def supported() -> str:
    """The supported formats in words, for messages."""
    return ", ".join(f.label for f in formats())


def format_for(path: Path) -> type[DocumentFormat] | None:
    """The format a file's name chooses (longest matching ending), or None."""
    name = path.name.lower()
    best: tuple[int, type[DocumentFormat]] | None = None
    for fmt in formats():
        for ext in fmt.extensions:
            if name.endswith(ext) and (best is None or len(ext) > best[0]):
                best = (len(ext), fmt)
    return best[1] if best else None


def read_document(path: str | Path, layout: str = "auto",
                  options: SegmentOptions | None = None) -> SourceDocument:
    """Read any supported document into paragraphs and segments (see :class:`SourceDocument`).

    ``layout`` applies to plain text (newspaper layout repair); structured formats take
    their paragraphs from their structure; ``options`` tune the sentence splitter.
    """
    path = Path(path)
    with open_user_file(path, "source document") as fh:
        head = fh.read(HEAD_BYTES)
    named = format_for(path)
    if named is not None and named.detect(path, head):
        return named().read(path, layout, options)
    content = next((f for f in formats() if f.detect(path, head)), None)
    kind = sniff(head)
    if named is None and content is not None and kind in ("text", "html", "binary"):
        return content().read(path, layout, options)
    hint = f" (rename it to {content.extensions[0]}?)" if content is not None else ""
    if named is not None:
        raise UserError(f"named as {named.label} but the content is {KINDS[kind]}{hint}; "
                        f"supported: {supported()}", path)
    raise UserError(f"{KINDS[kind]} is not a supported document{hint}; supported: "
                    f"{supported()}", path)


__all__ = [
    "DocumentFormat",
    "codes_from_match",
    "Paragraph",
    "SourceDocument",
    "format_for",
    "formats",
    "protect_codes",
    "read_document",
    "supported",
]
