"""``tmpipe align``: a TMX of aligned pairs from a Chinese text and its English edition."""

from __future__ import annotations

from pathlib import Path

from ..align import DEFAULT_MIN_CONFIDENCE, AlignmentLink, align_reference, pair_units_from_links
from ..errors import UserError
from ..exchange.tmx import write_units_tmx
from ..glossary import Glossary, load_glossary
from ..segment import segment_document
from ..textio import read_text
from ..units import Unit


def align_texts(
    source_text: str, reference_text: str, glossary: Glossary | None = None
) -> tuple[list[Unit], list[AlignmentLink]]:
    """Align a Chinese text with its English edition without MT.

    Evidence: length ratio, Arabic numbers and months, Latin tokens of the source, glossary
    targets (with ``glossary``) and paragraph boundaries. There is no bridge, so confidences
    stay moderate unless anchors agree.
    """
    document = segment_document(source_text)
    units = [Unit(segment=s) for s in document.segments if s.translatable]
    if glossary is not None:
        for unit in units:
            unit.terms = list(glossary.match(unit.source))
    links = align_reference(units, reference_text, document.paragraphs)
    return units, links


def align_files(
    source: Path,
    reference: Path,
    output: Path,
    glossary_path: Path | None = None,
    min_confidence: float = 0.0,
    doc_id: str | None = None,
) -> dict:
    """``tmpipe align``: write aligned pairs as TMX; returns counts for the summary line."""
    source_text = read_text(source, what="source")
    reference_text = read_text(reference, what="reference")
    glossary = load_glossary(glossary_path) if glossary_path is not None else None
    units, links = align_texts(source_text, reference_text, glossary)
    if not any(link.segments and link.text for link in links):
        raise UserError("no sentence of the reference could be aligned to the source", reference)
    pairs = pair_units_from_links(units, links, min_confidence)
    doc_id = doc_id or source.parent.name or source.stem
    evidence = "length, numbers, Latin tokens, paragraphs" + (", glossary" if glossary else "")
    header = {
        "x-doc": doc_id,
        "x-aligned-from": source.name,
        "x-reference": reference.name,
        "x-align-evidence": evidence,
    }
    write_units_tmx(output, pairs, doc_id, header)
    linked = [link for link in links if link.segments and link.text]
    return {
        "pairs": len(pairs),
        "low": sum(1 for link in linked if link.confidence < DEFAULT_MIN_CONFIDENCE),
        "dropped": len(linked) - len(pairs),
        "unmatched_source": sum(1 for link in links if link.segments and not link.text),
        "unmatched_reference": sum(len(link.reference) for link in links if not link.segments),
    }
