"""Pre-translation analysis of a batch: what CAT tools call "analysis" or "statistics".

Per document and in total: translatable segments, Chinese characters, an English-word
estimate, repetitions (within the document and across the batch, in batch order), the
translation-memory match bands of :data:`BANDS`, glossary terms found, and the segments
that would still need MT with an estimated MT time. No engine is loaded.

Each segment falls in exactly one band, checked in this order: a context match (101 %),
an exact match (100 %), a repetition of an earlier segment of the same document, a
repetition of a segment of an earlier document, the best fuzzy match's band, no match.
Bands count memory units of every origin; "needs MT" counts what ``tmpipe batch`` would
send to the engine: not a repetition, not filled from a human or imported unit at or
above ``fill_min``, not cached MT of the engine the batch would use.
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from ..errors import UserError
from ..han import HAN
from ..memory import choose_leverage
from ..normalize import normalize_key
from .inputs import BatchDocument

#: Match bands, best first: (name, label, lowest score, highest score).
BANDS: tuple[tuple[str, str, float, float], ...] = (
    ("context", "101 %", 101.0, 101.0),
    ("exact", "100 %", 100.0, 100.0),
    ("repetition", "repetitions", 0.0, 0.0),
    ("batch_repetition", "batch repetitions", 0.0, 0.0),
    ("95-99", "95–99 %", 95.0, 99.99),
    ("85-94", "85–94 %", 85.0, 94.99),
    ("75-84", "75–84 %", 75.0, 84.99),
    ("50-74", "50–74 %", 50.0, 74.99),
    ("no_match", "no match", 0.0, 0.0),
)
BAND_NAMES = tuple(name for name, *_ in BANDS)
FUZZY_FLOOR = 50.0

#: English words per Chinese character (news prose; see README "Batch" for the measurement).
WORDS_PER_HAN = 0.75
#: Seconds of MT per segment with the embedded model on 2 cores (README "Performance").
MT_SECONDS_PER_SEGMENT = 1.86

_LATIN_OR_NUMBER = re.compile(r"[A-Za-z0-9][A-Za-z0-9'.,%\-]*")


@dataclass
class Counts:
    """Segments, Chinese characters and estimated English words."""

    segments: int = 0
    han: int = 0
    words: int = 0

    def add(self, other: Counts) -> None:
        self.segments += other.segments
        self.han += other.han
        self.words += other.words

    def as_dict(self) -> dict[str, int]:
        return {"segments": self.segments, "han": self.han, "words": self.words}


@dataclass
class DocumentAnalysis:
    """The analysis of one document (``error`` set when it could not be read)."""

    doc_id: str
    path: str
    total: Counts = field(default_factory=Counts)
    bands: dict[str, Counts] = field(default_factory=lambda: {b: Counts() for b in BAND_NAMES})
    terms_found: int = 0
    distinct_terms: int = 0
    mt_segments: int = 0
    mt_seconds: float = 0.0
    error: str | None = None

    def as_dict(self) -> dict:
        if self.error is not None:
            return {"doc_id": self.doc_id, "path": self.path, "error": self.error}
        return {
            "doc_id": self.doc_id, "path": self.path, **self.total.as_dict(),
            "bands": {name: counts.as_dict() for name, counts in self.bands.items()},
            "glossary": {"occurrences": self.terms_found, "terms": self.distinct_terms},
            "mt": {"segments": self.mt_segments, "seconds": round(self.mt_seconds, 1)},
        }


@dataclass
class BatchAnalysis:
    """All documents' analyses and their totals."""

    documents: list[DocumentAnalysis]
    seconds_per_segment: float
    engine: tuple[str, str | None] | None
    tm_path: str | None
    glossary_path: str | None
    elapsed_s: float = 0.0
    distinct_terms: int = 0

    @property
    def analysed(self) -> list[DocumentAnalysis]:
        return [d for d in self.documents if d.error is None]

    @property
    def failures(self) -> list[DocumentAnalysis]:
        return [d for d in self.documents if d.error is not None]

    def totals(self) -> DocumentAnalysis:
        total = DocumentAnalysis(doc_id="total", path="")
        for doc in self.analysed:
            total.total.add(doc.total)
            for name in BAND_NAMES:
                total.bands[name].add(doc.bands[name])
            total.terms_found += doc.terms_found
            total.mt_segments += doc.mt_segments
            total.mt_seconds += doc.mt_seconds
        total.distinct_terms = self.distinct_terms
        return total

    def as_dict(self) -> dict:
        totals = self.totals().as_dict()
        del totals["doc_id"], totals["path"]
        return {
            "documents": [d.as_dict() for d in self.analysed],
            "totals": {"documents": len(self.analysed), **totals},
            "failures": [{"path": d.path, "error": d.error} for d in self.failures],
            "bands": [{"name": n, "label": label} for n, label, *_ in BANDS],
            "settings": {
                "tm": self.tm_path, "glossary": self.glossary_path,
                "engine": list(self.engine) if self.engine else None,
                "seconds_per_segment": self.seconds_per_segment,
                "words_per_han": WORDS_PER_HAN,
            },
            "elapsed_s": round(self.elapsed_s, 3),
        }


def count_text(text: str) -> Counts:
    """One segment's Chinese characters and English-word estimate (Latin words and numbers
    count as one word each)."""
    han = len(HAN.findall(text))
    words = round(han * WORDS_PER_HAN) + len(_LATIN_OR_NUMBER.findall(text))
    return Counts(segments=1, han=han, words=max(1, words))


def band_of(score: float | None) -> str:
    """The fuzzy band of a match score (``no_match`` below :data:`FUZZY_FLOOR` or None)."""
    if score is None:
        return "no_match"
    for name, _, low, high in BANDS:
        if name in ("repetition", "batch_repetition", "no_match"):
            continue
        if low <= score <= high:
            return name
    return "no_match"


def analyze_documents(
    documents: Sequence[BatchDocument],
    *,
    tm_path: Path | None = None,
    glossary_path: Path | None = None,
    layout: str = "auto",
    fill_min: float = 100.0,
    engine: str = "auto",
    engine_options: dict | None = None,
    seconds_per_segment: float = MT_SECONDS_PER_SEGMENT,
) -> BatchAnalysis:
    """Analyse ``documents`` in order; an unreadable document is recorded, not raised."""
    from ..glossary import load_glossary
    from ..memory import TranslationMemory

    started = time.perf_counter()
    glossary = load_glossary(glossary_path) if glossary_path else None
    now = _expected_engine(engine, engine_options or {})
    memory = TranslationMemory(tm_path) if tm_path is not None and tm_path.exists() else None
    batch_keys: set[str] = set()
    all_terms: set[str] = set()
    analyses = []
    try:
        for document in documents:
            analysis = DocumentAnalysis(doc_id=document.doc_id, path=str(document.path))
            try:
                sources = _document_segments(document.path, layout)
            except UserError as exc:
                analysis.error = str(exc)
                analyses.append(analysis)
                continue
            doc_keys: set[str] = set()
            doc_terms: set[str] = set()
            for source, previous in sources:
                counts = count_text(source)
                analysis.total.add(counts)
                key = normalize_key(source)
                band, needs_mt = _classify(source, previous, key, doc_keys, batch_keys,
                                           memory, fill_min, now)
                analysis.bands[band].add(counts)
                analysis.mt_segments += needs_mt
                doc_keys.add(key)
                if glossary is not None:
                    found = [m.term.source for m in glossary.match(source)]
                    analysis.terms_found += len(found)
                    doc_terms.update(found)
            analysis.distinct_terms = len(doc_terms)
            all_terms |= doc_terms
            analysis.mt_seconds = analysis.mt_segments * seconds_per_segment
            batch_keys |= doc_keys
            analyses.append(analysis)
    finally:
        if memory is not None:
            memory.close()
    return BatchAnalysis(
        documents=analyses, seconds_per_segment=seconds_per_segment, engine=now,
        tm_path=str(tm_path) if tm_path else None,
        glossary_path=str(glossary_path) if glossary_path else None,
        elapsed_s=time.perf_counter() - started, distinct_terms=len(all_terms),
    )


def _document_segments(path: Path, layout: str) -> list[tuple[str, str | None]]:
    """``(source, previous source in the paragraph)`` for each translatable segment."""
    from ..documents import read_document

    document = read_document(path, layout=layout)
    segments = [s for s in document.segments if s.translatable]
    if not segments:
        raise UserError("no translatable text found", path)
    out: list[tuple[str, str | None]] = []
    for i, segment in enumerate(segments):
        previous = segments[i - 1] if i else None
        same = previous is not None and previous.paragraph == segment.paragraph
        out.append((segment.text, previous.text if same else None))
    return out


def _classify(source: str, previous: str | None, key: str, doc_keys: set[str],
              batch_keys: set[str], memory, fill_min: float,
              now: tuple[str, str | None] | None) -> tuple[str, bool]:
    """``(band, needs MT)`` of one segment."""
    matches = memory.lookup(source, previous=previous, fuzzy_min=FUZZY_FLOOR, limit=5) \
        if memory is not None else []
    best = matches[0] if matches else None
    leverage = choose_leverage(matches, fill_min, lambda: now)  # the run's policy
    filled, cached = leverage.fill is not None, leverage.cached_mt is not None
    repeated = key in doc_keys or key in batch_keys
    needs_mt = not (filled or cached or repeated)
    if best is not None and best.score >= 100:
        return ("context" if best.score > 100 else "exact"), needs_mt
    if key in doc_keys:
        return "repetition", needs_mt
    if key in batch_keys:
        return "batch_repetition", needs_mt
    return band_of(best.score if best is not None else None), needs_mt


def _expected_engine(engine: str, options: dict) -> tuple[str, str | None] | None:
    """The engine (and model) a batch would translate with, without loading it; None when
    no engine is available (then cached MT of any engine is counted as reusable)."""
    from ..engines import expected_engine

    try:
        return expected_engine(engine, **options)
    except UserError:
        return None

