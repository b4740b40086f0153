"""Reference alignment: pair source units with the sentences of an English reference.

The reference is an ordinary English edition: one paragraph per line, possibly with
leading ``#`` comment lines, not sentence-aligned to the source. Evidence used:

* **bridge** (Bleualign-style): character-trigram/word overlap (Dice) between the MT
  output of the units and the reference sentences, when units have a ``target``;
* **length**: Gale-Church-style log length ratio, with the character ratio estimated
  from the document itself;
* **anchors**: Arabic numbers (months normalised: ``3月`` ~ ``March``), Latin tokens of
  the source (``GSMA``, ``IPv6``, ``5G``) and glossary targets of ``unit.terms``;
* **structure**: paragraph boundaries on both sides.

Two modes. When the reference has as many lines as the document has paragraphs (or as
many as there are paragraphs holding translatable units), lines map to paragraphs and
sentences are distributed within each paragraph. Otherwise a first pass puts reference
paragraphs that are clearly anchored elsewhere (bridge or anchors, never length alone)
back into source order, then a monotonic dynamic programme aligns 1-1, 1-2, 2-1, 1-3,
3-1, 1-0 and 0-1 over the whole document.

Confidence is ``sigmoid(evidence)``: length alone gives about 0.6, agreeing anchors or a
good bridge push it towards 1, conflicting evidence towards 0.
"""

from __future__ import annotations

import bisect
import functools
import logging
import math
import re
import sys
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass, field

from .units import Segment, Unit

log = logging.getLogger(__name__)

#: Links below this confidence get no sentence-level scores.
DEFAULT_MIN_CONFIDENCE = 0.5

_BEADS = ((1, 1), (1, 2), (2, 1), (1, 0), (0, 1), (1, 3), (3, 1))
_PRIOR = {(1, 1): 0.0, (1, 2): -1.5, (2, 1): -1.5, (1, 3): -3.0, (3, 1): -3.0}
_SKIP = -3.5  # score of a 1-0 or 0-1 bead
_CONF_BIAS = 0.5  # length-only, mid-paragraph, perfect length ratio -> ~0.62
_W_SIM = 12.0
_SIM_MARGIN = 0.1  # Dice above the median (unrelated) pair needed for positive evidence
_W_ANCHOR = 4.0
_MAX_CELLS = 60_000  # full DP below this many cells, else a band around the diagonal
_MAX_BAND_CELLS = 400_000  # the band narrows so that a DP never holds more cells
_MAX_PLACEMENT_PAIRS = 250_000  # paragraph pairs scored exhaustively; above, by index
_RARE = 20  # an anchor or word held by more source paragraphs does not nominate any
_MAX_CANDIDATES = 30  # source paragraphs nominated by shared rare keys, per reference one
_WINDOW = 3  # and those this close to the expected place

_MONTHS = {
    m: i
    for i, names in enumerate(
        (
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ),
        start=1,
    )
    for m in names
}
_ABBREVIATIONS = frozenset(
    "mr mrs ms dr prof st jr sr vs etc inc ltd co corp no nos vol fig gen gov sen rep "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m approx "
    "dept est mt ft".split()
)
_SENTENCE_STARTERS = frozenset(
    "the a an it he she we they this that these those in on at for but and as i there "
    "his her its our their".split()
)
_BOUNDARY = re.compile(r"([.!?…]+)([\"'”’)\]]*)(\s+)(?=[\"'“‘(\[]*[A-Z0-9])")
_NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
_LATIN = re.compile(r"[A-Za-z0-9]*[A-Za-z][A-Za-z0-9]*(?:[+.\-][A-Za-z0-9]+)*")
_ZH_MONTH = re.compile(r"(\d{1,2})\s*月")
_WORD = re.compile(r"[a-z0-9]+")
_STOP = frozenset(
    "the a an of and or to in on at for by with from as is are was were be been that this "
    "it its which who will would has have had not but also more".split()
)


@dataclass(frozen=True)
class ReferenceSentence:
    """One sentence of the reference; ``paragraph`` counts non-empty, non-comment lines."""

    index: int  # 1-based over all reference sentences
    paragraph: int
    line: int  # line number in the reference file
    text: str


@dataclass(frozen=True)
class AlignmentLink:
    """Segments (by number) linked to reference sentences (by index); either may be empty."""

    segments: tuple[int, ...]
    reference: tuple[int, ...]
    text: str  # the reference sentences joined with a space
    confidence: float
    method: str  # "line", "paragraph" (sentences within a paragraph) or "sentence"


# --------------------------------------------------------------------------- reading


def reference_lines(text: str) -> list[tuple[int, str]]:
    """``(line number, text)`` of the non-empty lines, skipping leading ``#`` comment lines."""
    lines: list[tuple[int, str]] = []
    in_header = True
    for number, raw in enumerate(text.split("\n"), start=1):
        line = raw.strip()
        if in_header and (not line or line.startswith("#")):
            continue
        in_header = False
        if line:
            lines.append((number, line))
    return lines


def split_sentences(text: str) -> list[str]:
    """Split English text into sentences, keeping ``Mr.``, ``U.S.``, ``3.5``, ``"Go."`` intact."""
    text = " ".join(text.split())
    sentences: list[str] = []
    start = 0
    for match in _BOUNDARY.finditer(text):
        end = match.end(2)
        if match.group(1) == "." and not _is_boundary(text[start : match.start(1)], text, match):
            continue
        piece = text[start:end].strip()
        if piece:
            sentences.append(piece)
        start = match.end()
    tail = text[start:].strip()
    if tail:
        sentences.append(tail)
    return sentences


def _is_boundary(before: str, text: str, match: re.Match) -> bool:
    words = before.split()
    if not words:
        return False
    last = words[-1].lstrip("\"'“‘([").lower()
    acronym = re.fullmatch(r"(?:[a-z]\.)+[a-z]", last) is not None
    if last in _ABBREVIATIONS or acronym or re.fullmatch(r"[a-z]", last):
        following = _WORD.match(text[match.end() :].lstrip("\"'“‘([").lower())
        return acronym and following is not None and following.group() in _SENTENCE_STARTERS
    return True


def read_reference(text: str) -> list[ReferenceSentence]:
    """Reference sentences in file order (comment lines and empty lines skipped)."""
    sentences: list[ReferenceSentence] = []
    for paragraph, (line, content) in enumerate(reference_lines(text), start=1):
        for sentence in split_sentences(content):
            sentences.append(ReferenceSentence(len(sentences) + 1, paragraph, line, sentence))
    return sentences


# --------------------------------------------------------------------------- features


def _normalise(text: str) -> str:
    return unicodedata.normalize("NFKC", text)


def number_anchors(text: str) -> set[str]:
    """Arabic numbers (``1,000`` -> ``1000``, ``18th`` -> ``18``) plus ``month:N`` tokens."""
    text = _normalise(text)
    anchors = {f"month:{int(m)}" for m in _ZH_MONTH.findall(text) if 1 <= int(m) <= 12}
    for word in _WORD.findall(text.lower()):
        if word in _MONTHS and (word != "may" or "May" in text):
            anchors.add(f"month:{_MONTHS[word]}")
    for number in _NUMBER.findall(text):
        value = number.replace(",", "")
        if value.endswith("."):
            value = value[:-1]
        anchors.add(value)
    return anchors


def latin_tokens(text: str) -> set[str]:
    """Lowercased Latin-script tokens (``IPv6``, ``5G``, ``GSMA``); digits-only excluded."""
    return {t.lower() for t in _LATIN.findall(_normalise(text))}


def _grams(text: str) -> frozenset[str]:
    """Character trigrams of each word plus content words (lowercased)."""
    grams: set[str] = set()
    for word in _WORD.findall(_normalise(text).lower()):
        grams.update(_word_grams(word))
    return frozenset(grams)


@functools.lru_cache(maxsize=1 << 16)
def _word_grams(word: str) -> tuple[str, ...]:
    """One word's trigrams (and the word itself unless a stop word), interned: a corpus
    repeats its words, so the grams of many sentences share the same strings."""
    padded = f"_{word}_"
    grams = [padded[k : k + 3] for k in range(len(padded) - 2)]
    if word not in _STOP:
        grams.append(" " + word)
    return tuple(sys.intern(g) for g in grams)


def _length(text: str) -> int:
    return len("".join(text.split()))


@dataclass
class _Item:
    """Features of one source unit or reference sentence."""

    length: int
    grams: frozenset[str]
    anchors: frozenset[str]
    paragraph: int
    starts: bool = False


@dataclass
class _Span:
    """Features of 1-3 consecutive items."""

    length: int
    grams: frozenset[str]
    anchors: frozenset[str]
    paragraphs: int  # how many paragraphs it touches
    starts: bool


def _spans(items: Sequence[_Item]) -> dict[tuple[int, int], _Span]:
    spans: dict[tuple[int, int], _Span] = {}
    for i in range(len(items)):
        for size in (1, 2, 3):
            part = items[i : i + size]
            if len(part) < size:
                break
            spans[(i, i + size)] = _Span(
                sum(p.length for p in part),
                frozenset().union(*(p.grams for p in part)),
                frozenset().union(*(p.anchors for p in part)),
                len({p.paragraph for p in part}),
                part[0].starts,
            )
    return spans


def _source_items(units: Sequence[Unit], vocabulary: set[str]) -> list[_Item]:
    items = []
    previous = None
    for unit in units:
        source, bridge = unit.source.strip(), unit.target.strip()
        anchors = number_anchors(source or bridge)
        if source:
            anchors |= latin_tokens(source)
        else:
            anchors |= latin_tokens(bridge) & vocabulary
        anchors |= {"g:" + m.term.target.lower() for m in unit.terms}
        paragraph = unit.segment.paragraph
        items.append(
            _Item(
                _length(source or bridge),
                _grams(bridge),
                frozenset(anchors),
                paragraph,
                paragraph != previous,
            )
        )
        previous = paragraph
    return items


def _reference_items(
    sentences: Sequence[ReferenceSentence], vocabulary: set[str], terms: set[str],
    with_grams: bool = True,
) -> list[_Item]:
    items = []
    previous = None
    for sentence in sentences:
        lower = sentence.text.lower()
        anchors = number_anchors(sentence.text) | (latin_tokens(sentence.text) & vocabulary)
        anchors |= {"g:" + t for t in terms if t in lower and _contains_term(lower, t)}
        items.append(
            _Item(
                _length(sentence.text),
                _grams(sentence.text) if with_grams else frozenset(),
                frozenset(anchors),
                sentence.paragraph,
                sentence.paragraph != previous,
            )
        )
        previous = sentence.paragraph
    return items


def _contains_term(lower_text: str, term: str) -> bool:
    return re.search(rf"(?<![a-z0-9]){re.escape(term)}(?![a-z0-9])", lower_text) is not None


# --------------------------------------------------------------------------- scoring


@dataclass
class _Model:
    """Document-level parameters of the bead score."""

    ratio: float  # reference characters per source character
    bridge: bool  # units carry MT output
    sim_base: float = 0.0

    def length_term(self, src: int, ref: int) -> float:
        expected = self.ratio * src
        d = math.log((ref + 5) / (expected + 5))
        sigma = 0.25 + 1.5 / math.sqrt(expected + 4)
        return -(d * d) / (2 * sigma * sigma)

    def sim_term(self, a: frozenset[str], b: frozenset[str]) -> float:
        if not self.bridge or not a or not b:
            return 0.0
        dice = 2 * len(a & b) / (len(a) + len(b))
        return _W_SIM * (dice - self.sim_base)

    @staticmethod
    def anchor_term(a: frozenset[str], b: frozenset[str]) -> float:
        total = len(a) + len(b)
        if not total:
            return 0.0
        f1 = 2 * len(a & b) / total
        return _W_ANCHOR * (f1 - 0.4) * min(1.0, total / 2)

    def evidence(self, s: _Span, r: _Span) -> float:
        """Log-odds-like evidence that the two spans are translations of each other."""
        structure = -2.0 * ((s.paragraphs - 1) + (r.paragraphs - 1))
        if s.starts and r.starts:
            structure += 1.0
        elif s.starts != r.starts:
            structure -= 1.0
        return (
            self.length_term(s.length, r.length)
            + self.sim_term(s.grams, r.grams)
            + self.anchor_term(s.anchors, r.anchors)
            + structure
        )


def _sigmoid(x: float) -> float:
    return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, x))))


def _estimate_sim_base(src: Sequence[_Item], ref: Sequence[_Item]) -> float:
    """Median Dice of a grid of (mostly unrelated) source/reference pairs."""
    values = []
    step_s = max(1, len(src) // 40)
    step_r = max(1, len(ref) // 40)
    for a in src[::step_s]:
        for b in ref[::step_r]:
            if a.grams and b.grams:
                values.append(2 * len(a.grams & b.grams) / (len(a.grams) + len(b.grams)))
    if not values:
        return 0.0
    values.sort()
    return values[len(values) // 2]


@dataclass
class _Bead:
    src: tuple[int, int]
    ref: tuple[int, int]
    evidence: float


def _align_dp(src: Sequence[_Item], ref: Sequence[_Item], model: _Model) -> list[_Bead]:
    """Monotonic DP over beads; returns the best path, in order.

    Small problems search every cell; larger ones a band around the diagonal, stored row
    by row, narrowed so that no more than :data:`_MAX_BAND_CELLS` cells are held.
    """
    n, m = len(src), len(ref)
    s_spans, r_spans = _spans(src), _spans(ref)
    band = max(n, m) + 3
    if n * m > _MAX_CELLS:
        band = abs(n - m) + max(15, max(n, m) // 10)
        band = max(4, min(band, _MAX_BAND_CELLS // (2 * (n + 1))))
    rows = [_band_row(i, n, m, band) for i in range(n + 1)]
    neg = -math.inf
    best = [[neg] * (hi - lo) for lo, hi in rows]
    back: list[list[tuple[int, int, float] | None]] = [[None] * (hi - lo) for lo, hi in rows]
    best[0][0 - rows[0][0]] = 0.0

    def score_at(i: int, j: int) -> float:
        lo, hi = rows[i]
        return best[i][j - lo] if lo <= j < hi else neg

    for i in range(n + 1):
        lo, hi = rows[i]
        for j in range(lo, hi):
            if i == 0 and j == 0:
                continue
            for di, dj in _BEADS:
                pi, pj = i - di, j - dj
                if pi < 0 or pj < 0:
                    continue
                before = score_at(pi, pj)
                if before == neg:
                    continue
                if di == 0 or dj == 0:
                    evidence = 0.0
                    score = before + _SKIP
                else:
                    evidence = model.evidence(s_spans[(pi, i)], r_spans[(pj, j)])
                    score = before + _PRIOR[(di, dj)] + evidence
                if score > best[i][j - lo]:
                    best[i][j - lo] = score
                    back[i][j - lo] = (di, dj, evidence)
    beads: list[_Bead] = []
    i, j = n, m
    while i or j:
        step = back[i][j - rows[i][0]]
        if step is None:  # the band always holds both corners and a path between them
            raise RuntimeError("alignment band too narrow")
        di, dj, evidence = step
        beads.append(_Bead((i - di, i), (j - dj, j), evidence))
        i, j = i - di, j - dj
    beads.reverse()
    return beads


def _band_row(i: int, n: int, m: int, band: int) -> tuple[int, int]:
    """Columns ``[lo, hi)`` of row ``i`` within ``band`` of the diagonal, corners included."""
    centre = i * m / max(n, 1)
    lo = max(0, math.ceil(centre - band))
    hi = min(m + 1, math.floor(centre + band) + 1)
    if i == 0:
        lo = 0
    if i == n:
        hi = m + 1
    return lo, max(hi, lo + 1)


def _align_anchored(src: Sequence[_Item], ref: Sequence[_Item], model: _Model) -> list[_Bead]:
    """:func:`_align_dp` for small problems; large ones are cut at sure 1-1 links (a rare
    shared anchor or word, well ahead of the runner-up, in order) and each piece between
    two cuts is aligned on its own, so the work grows with the pieces, not with n × m."""
    if len(src) * len(ref) <= _MAX_CELLS:
        return _align_dp(src, ref, model)
    cuts = _sure_links(src, ref, model)
    beads: list[_Bead] = []
    start_i = start_j = 0
    for i, j in [*cuts, (len(src), len(ref))]:
        if i > start_i or j > start_j:
            for bead in _align_dp(src[start_i:i], ref[start_j:j], model):
                beads.append(_Bead((bead.src[0] + start_i, bead.src[1] + start_i),
                                   (bead.ref[0] + start_j, bead.ref[1] + start_j),
                                   bead.evidence))
        start_i, start_j = i, j
    return beads


def _sure_links(src: Sequence[_Item], ref: Sequence[_Item], model: _Model) -> list[tuple[int, int]]:
    """Cut points ``(i, j)``: source item i and reference item j start a sure 1-1 link (a
    rare shared anchor, clearly ahead of the runner-up); the longest chain of such links
    in order on both sides, so a wrong one out of order is dropped."""
    index = _Candidates(src, model.bridge)
    df: dict[str, int] = {}
    for item in src:
        for anchor in item.anchors:
            df[anchor] = df.get(anchor, 0) + 1
    pairs: list[tuple[int, int]] = []
    for j, item in enumerate(ref):
        expected = round(j * len(src) / max(1, len(ref)))
        scored = sorted(
            ((model.sim_term(src[i].grams, item.grams)
              + sum(1.0 / df[x] for x in src[i].anchors & item.anchors), i)
             for i in index.near(item, expected)),
            reverse=True,
        )
        if scored and scored[0][0] >= 1.0 and scored[0][0] - (
                scored[1][0] if len(scored) > 1 else 0.0) >= 0.75:
            pairs.append((scored[0][1], j))
    return [p for p in _longest_chain(pairs) if p[0] > 0 and p[1] > 0]


def _longest_chain(pairs: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """The longest subsequence of ``pairs`` (sorted by j) strictly increasing in i."""
    tails: list[int] = []  # smallest i ending a chain of each length
    tail_at: list[int] = []
    parent: list[int] = []
    for k, (i, _) in enumerate(pairs):
        pos = bisect.bisect_left(tails, i)
        if pos == len(tails):
            tails.append(i)
            tail_at.append(k)
        else:
            tails[pos], tail_at[pos] = i, k
        parent.append(tail_at[pos - 1] if pos else -1)
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = parent[k]
    return chain[::-1]


# --------------------------------------------------------------------------- paragraphs


def _group(items: Sequence[_Item]) -> list[list[int]]:
    """Indices of items grouped by consecutive paragraph."""
    groups: list[list[int]] = []
    for k, item in enumerate(items):
        if not groups or item.starts:
            groups.append([])
        groups[-1].append(k)
    return groups


def _merge(items: Sequence[_Item], idx: Sequence[int]) -> _Span:
    part = [items[k] for k in idx]
    return _Span(
        sum(p.length for p in part),
        frozenset().union(*(p.grams for p in part)),
        frozenset().union(*(p.anchors for p in part)),
        1,
        True,
    )


def _paragraph_order(src: Sequence[_Item], ref: Sequence[_Item], model: _Model) -> list[list[int]]:
    """Reference paragraphs (as item index lists) in source order.

    Placement score of a reference paragraph at a source paragraph: bridge similarity plus
    shared anchors, each weighted by 1 / the number of source paragraphs holding it;
    length never places a paragraph. Strong placements (score >= 2, margin >= 1.5) are
    taken; weak ones (>= 1, margin >= 1) only near a strong placement of a neighbour.
    Unplaced paragraphs follow their predecessor, so moved blocks move together, and a
    reference already in source order stays as it is. Long documents score only the
    source paragraphs that share a rare anchor or word with the reference paragraph, or
    sit near its expected place (:class:`_Candidates`), so the work stays near-linear.
    """
    src_groups = [_merge(src, g) for g in _group(src)]
    ref_groups = _group(ref)
    df: dict[str, int] = {}
    for group in src_groups:
        for anchor in group.anchors:
            df[anchor] = df.get(anchor, 0) + 1
    exhaustive = len(src_groups) * len(ref_groups) <= _MAX_PLACEMENT_PAIRS
    candidates_of = None if exhaustive else _Candidates(src_groups, model.bridge)
    candidates = []  # (score, margin, source paragraph) per reference paragraph
    for b, idx in enumerate(ref_groups):
        span = _merge(ref, idx)
        near = range(len(src_groups)) if candidates_of is None else candidates_of.near(
            span, round(b * len(src_groups) / max(1, len(ref_groups))))
        scored = sorted(
            (
                (
                    model.sim_term(src_groups[a].grams, span.grams)
                    + sum(1.0 / df[x] for x in src_groups[a].anchors & span.anchors),
                    a,
                )
                for a in near
            ),
            reverse=True,
        )
        top, where = scored[0] if scored else (0.0, 0)
        second = scored[1][0] if len(scored) > 1 else 0.0
        candidates.append((top, top - second, where))
    strong = {b: c[2] for b, c in enumerate(candidates) if c[0] >= 2.0 and c[1] >= 1.5}
    neighbours = _StrongNeighbours(strong)
    positions: list[float] = []
    for b, (top, margin, where) in enumerate(candidates):
        previous = positions[-1] if positions else -1.0
        if b in strong:
            positions.append(float(where))
        elif top >= 1.0 and margin >= 1.0 and neighbours.weak_fits(b, where, previous):
            positions.append(float(where))
        else:
            positions.append(previous + 1e-6)
    order = sorted(range(len(ref_groups)), key=lambda b: (positions[b], b))
    if order != list(range(len(ref_groups))):
        log.info("reference paragraphs reordered to follow the source: %s", order[:50])
    return [ref_groups[b] for b in order]


class _Candidates:
    """Source paragraphs worth scoring for a reference paragraph, found through an index.

    A paragraph qualifies when it shares an anchor or a bridge word-gram held by at most
    :data:`_RARE` source paragraphs (the best :data:`_MAX_CANDIDATES` by how many they
    share), or lies within :data:`_WINDOW` paragraphs of the expected place.
    """

    def __init__(self, groups: Sequence[_Span] | Sequence[_Item], bridge: bool):
        self.count = len(groups)
        index: dict[str, list[int]] = {}
        for a, group in enumerate(groups):
            keys = group.anchors | (group.grams if bridge else frozenset())
            for key in keys:
                holders = index.setdefault(key, [])
                if len(holders) <= _RARE:
                    holders.append(a)
        self.index = {k: v for k, v in index.items() if len(v) <= _RARE}
        self.bridge = bridge

    def near(self, span: _Span | _Item, expected: int) -> list[int]:
        shared: dict[int, int] = {}
        keys = span.anchors | (span.grams if self.bridge else frozenset())
        for key in keys:
            for a in self.index.get(key, ()):
                shared[a] = shared.get(a, 0) + 1
        best = sorted(shared, key=lambda a: (-shared[a], a))[:_MAX_CANDIDATES]
        window = range(max(0, expected - _WINDOW), min(self.count, expected + _WINDOW + 1))
        return sorted(set(best).union(window))


class _StrongNeighbours:
    """The strong placements before and after each reference paragraph, found by bisection."""

    def __init__(self, strong: dict[int, int]):
        self.keys = sorted(strong)
        self.strong = strong

    def weak_fits(self, b: int, where: int, previous: float) -> bool:
        """A weak placement must keep the order between its neighbours and sit within
        three paragraphs of a neighbouring strong placement."""
        k = bisect.bisect_left(self.keys, b)
        before = [self.strong[self.keys[k - 1]]] if k > 0 else []
        after_k = k + 1 if k < len(self.keys) and self.keys[k] == b else k
        after = [self.strong[self.keys[after_k]]] if after_k < len(self.keys) else []
        upper = after[0] if after else math.inf
        near = any(abs(where - a) <= 3 for a in before + after)
        return previous < where < upper and near


# --------------------------------------------------------------------------- public


def _translatable(units: Sequence[Unit]) -> list[Unit]:
    return [u for u in units if u.segment.translatable and u.source.strip() + u.target.strip()]


def align_reference(
    units: Sequence[Unit], reference_text: str, paragraphs: int
) -> list[AlignmentLink]:
    """Align ``reference_text`` to ``units``; set ``unit.reference``/``alignment_confidence``.

    ``paragraphs`` is the document's paragraph count. Untranslatable units are left out.
    Units linked to nothing get ``reference = None`` and confidence 0. Units sharing a
    2-1/3-1 link all get the same reference text (``score_units`` scores them together).
    Returns all links in source order, 0-1 links (reference sentences matched to no unit)
    included.
    """
    work = _translatable(units)
    sentences = read_reference(reference_text)
    if not work or not sentences:
        for unit in units:
            unit.reference, unit.alignment_confidence = None, 0.0 if work else None
        return []
    vocabulary = set().union(*(latin_tokens(u.source) for u in work))
    terms = {m.term.target.lower() for u in work for m in u.terms}
    bridge = any(u.target.strip() for u in work)
    src = _source_items(work, vocabulary)
    ref = _reference_items(sentences, vocabulary, terms, with_grams=bridge)
    ratio = sum(r.length for r in ref) / max(1, sum(s.length for s in src))
    model = _Model(ratio=ratio, bridge=bridge)
    if model.bridge:
        # Unrelated pairs sit at the median; a bridge showing no more than that counts against.
        model.sim_base = _estimate_sim_base(src, ref) + _SIM_MARGIN
    ref_groups = _paragraph_order(src, ref, model)
    src_groups = _group(src)
    if len(ref_groups) == len(src_groups):
        pairs = list(zip(src_groups, ref_groups, strict=True))
        links = _align_by_paragraph(pairs, src, ref, model)
    elif len(ref_groups) == paragraphs:
        by_number = {src[g[0]].paragraph: g for g in src_groups}
        pairs = [(by_number.get(k, []), g) for k, g in enumerate(ref_groups, start=1)]
        links = _align_by_paragraph(pairs, src, ref, model)
    else:
        order = [k for g in ref_groups for k in g]
        beads = _align_anchored(src, [ref[k] for k in order], model)
        links = [
            _link(b.src, [order[k] for k in range(*b.ref)], b.evidence, "sentence") for b in beads
        ]
    return _apply(links, work, sentences)


@dataclass
class _RawLink:
    src: list[int]
    ref: list[int]
    confidence: float
    method: str
    extra: dict = field(default_factory=dict)


def _link(src: tuple[int, int], ref: list[int], evidence: float, method: str) -> _RawLink:
    if src[0] == src[1] or not ref:
        return _RawLink(list(range(*src)), ref, 0.0, method)
    bonus = 1.0 if method == "paragraph" else 0.0
    return _RawLink(list(range(*src)), ref, _sigmoid(evidence + _CONF_BIAS + bonus), method)


def _align_by_paragraph(
    pairs: Sequence[tuple[list[int], list[int]]],
    src: Sequence[_Item],
    ref: Sequence[_Item],
    model: _Model,
) -> list[_RawLink]:
    """Each reference line is one source paragraph; distribute sentences within it."""
    links: list[_RawLink] = []
    moved = [r[0] for _, r in pairs] != sorted(r[0] for _, r in pairs)
    for s_idx, r_idx in pairs:
        if not s_idx:
            links.append(_RawLink([], list(r_idx), 0.0, "paragraph"))
            continue
        if len(s_idx) == 1 and not moved:
            links.append(_RawLink(s_idx, list(r_idx), 1.0, "line"))
            continue
        beads = _align_dp([src[i] for i in s_idx], [ref[j] for j in r_idx], model)
        for bead in beads:
            links.append(
                _link(
                    (s_idx[0] + bead.src[0], s_idx[0] + bead.src[1]),
                    [r_idx[j] for j in range(*bead.ref)],
                    bead.evidence,
                    "paragraph",
                )
            )
    paired = {i for s_idx, _ in pairs for i in s_idx}
    links.extend(_RawLink([i], [], 0.0, "paragraph") for i in range(len(src)) if i not in paired)
    links.sort(key=lambda link: link.src[0] if link.src else -1)
    return links


def _apply(
    links: Sequence[_RawLink], work: Sequence[Unit], sentences: Sequence[ReferenceSentence]
) -> list[AlignmentLink]:
    result = []
    for raw in links:
        text = " ".join(sentences[j].text for j in raw.ref)
        confidence = round(raw.confidence, 4)
        for i in raw.src:
            work[i].reference = text or None
            work[i].alignment_confidence = confidence if text else 0.0
        result.append(
            AlignmentLink(
                tuple(work[i].number for i in raw.src),
                tuple(sentences[j].index for j in raw.ref),
                text,
                confidence if raw.src and text else 0.0,
                raw.method,
            )
        )
    return result


def pair_units_from_links(
    units: Sequence[Unit], links: Sequence[AlignmentLink], min_confidence: float = 0.0
) -> list[Unit]:
    """One ``aligned`` unit per link with both sides and confidence >= ``min_confidence``
    (source sentences joined without spaces, reference sentences with one)."""
    by_number = {u.number: u for u in units}
    pairs: list[Unit] = []
    for link in links:
        if not link.segments or not link.text or link.confidence < min_confidence:
            continue
        members = [by_number[n] for n in link.segments]
        first = members[0].segment
        segment = Segment(
            number=len(pairs) + 1,
            paragraph=first.paragraph,
            text="".join(m.source for m in members),
            spans=[span for m in members for span in m.segment.spans],
            kind=first.kind,
        )
        pairs.append(
            Unit(
                segment=segment,
                target=link.text,
                origin="aligned",
                terms=[t for m in members for t in m.terms] if len(members) == 1 else [],
                alignment_confidence=link.confidence,
            )
        )
    return pairs
