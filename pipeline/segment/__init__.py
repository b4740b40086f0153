"""Chinese sentence segmentation with newspaper layout repair.

``segment_document`` is the stage entry point (see ``docs/CONTRACTS.md``). Layout
analysis (paragraph kinds, sentences rejoined across columns) lives in
:mod:`.layout`, sentence boundary rules in :mod:`.sentences`.
"""

from __future__ import annotations

from .document import LAYOUTS, SegmentedDocument, SegmentOptions, segment_document
from .layout import junction_word
from .sentences import split_sentences

__all__ = [
    "LAYOUTS",
    "SegmentOptions",
    "SegmentedDocument",
    "junction_word",
    "segment_document",
    "split_sentences",
]
