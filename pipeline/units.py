"""Plain dataclasses that flow between the pipeline stages.

Data flows one way: ``segment`` produces :class:`Segment`; ``glossary`` attaches
:class:`TermMatch`; ``memory`` attaches :class:`TMMatch`; ``engines`` return
:class:`Translation`; ``flow`` assembles a :class:`Unit` per translatable segment,
which ``qa``, ``memory``/``tmx``, ``score`` and ``report`` read.
"""

from __future__ import annotations

from dataclasses import dataclass, field

#: Segment kinds produced by the segmenter (``Segment.kind``).
SEGMENT_KINDS = (
    "headline",  # headline or subheading: short, standalone, no terminal punctuation
    "body",  # running text
    "byline",  # byline / dateline (本报记者 …, 本报讯(记者 …))
    "caption",  # photo caption with credit (… 本报记者 X 摄)
    "furniture",  # page furniture: date / editor / phone / e-mail header line
    "marker",  # continuation marker such as (上接第一版)
    "ellipsis",  # a line holding only …… or …
)

#: Kinds that are not translated and are left out of the English edition.
UNTRANSLATED_KINDS = frozenset({"furniture", "marker", "ellipsis"})

#: Unit origins (``Unit.origin``) written to TMX ``prop type="x-origin"``.
ORIGINS = ("mt", "tm-exact", "tm-context", "tm-fuzzy", "aligned")

#: Review states of a stored unit, in the order a unit moves through them.
STATES = ("draft", "translated", "reviewed", "approved", "rejected")
#: States in which a person has confirmed the target (a CAT tool's "translated" included).
CONFIRMED_STATES = frozenset({"translated", "reviewed", "approved"})


#: Kinds of :class:`InlineCode`: a pair (``open``/``close``, same ``id``) or one ``standalone``.
CODE_KINDS = ("open", "close", "standalone")


@dataclass(frozen=True)
class InlineCode:
    """Formatting or an object inside a paragraph, kept through MT as a placeholder.

    ``offset`` is the code's position in the plain text it belongs to; ``open`` and
    ``close`` codes with the same ``id`` enclose formatted text (bold, a link), a
    ``standalone`` code marks a point (line break, image, footnote mark). ``type`` is the
    TMX ``type`` (``bold``, ``italic``, ``link``, ``lb``, ...); ``native`` the source
    format's markup, shown inside the TMX code element.
    """

    id: int
    kind: str
    offset: int
    type: str = "x-format"
    native: str = ""


@dataclass(frozen=True)
class CodedText:
    """A plain text with inline codes at offsets into it (an engine's answer, placed)."""

    text: str
    codes: tuple[InlineCode, ...] = ()
    lost: tuple[int, ...] = ()  # ids of codes the engine lost, put back at the edges


@dataclass
class Segment:
    """One sentence (or sentence-like piece) of the source document.

    ``number`` counts from 1 over all segments in repaired reading order.
    ``paragraph`` counts from 1 over output paragraphs (after layout repair); the
    English edition writes one line per paragraph. ``source_paragraphs`` are the
    1-based indices of the non-empty lines of the original file that contributed.
    ``spans`` are ``(start, end)`` character offsets into the original (decoded)
    text; a segment joined across a column break has several spans and its
    ``text`` is the concatenation of those slices.
    """

    number: int
    paragraph: int
    text: str
    spans: list[tuple[int, int]]
    kind: str = "body"
    flags: list[str] = field(default_factory=list)
    source_paragraphs: list[int] = field(default_factory=list)
    codes: tuple[InlineCode, ...] = ()  # inline codes, offsets into ``text``

    @property
    def start(self) -> int:
        return self.spans[0][0]

    @property
    def end(self) -> int:
        return self.spans[-1][1]

    @property
    def translatable(self) -> bool:
        return self.kind not in UNTRANSLATED_KINDS


@dataclass(frozen=True)
class Term:
    """A glossary entry: the approved rendering of a source term."""

    source: str
    target: str
    variants: tuple[str, ...] = ()
    forbidden: tuple[str, ...] = ()
    note: str = ""
    line: int = 0  # line in the glossary file, for messages

    @property
    def do_not_translate(self) -> bool:
        return self.source == self.target

    @property
    def accepted(self) -> tuple[str, ...]:
        return (self.target, *self.variants)


@dataclass(frozen=True)
class TermMatch:
    """A glossary term found in a source text at ``[start, end)``."""

    term: Term
    start: int
    end: int


@dataclass(frozen=True)
class TMMatch:
    """A translation-memory hit for one source segment."""

    source: str
    target: str
    score: float  # 101 context, 100 exact, < 100 fuzzy
    kind: str  # "context", "exact" or "fuzzy"
    origin: str  # origin of the stored unit: mt, human, tm-import, aligned
    engine: str = ""
    model_sha256: str = ""
    differences: tuple[str, ...] = ()  # what a reviewer must fix (e.g. "number 2015→2016")
    model: str = ""  # model id of an MT unit
    unit_id: int | None = None
    notes: tuple[str, ...] = ()  # engine notes stored with an MT unit (e.g. placeholder repairs)
    retries: int = 0  # engine retries recorded with an MT unit
    state: str = ""  # review state of the stored unit: draft, translated, reviewed, approved, ...
    changed_by: str = ""  # who last changed the stored unit (the approver of approved MT)
    leverage: str = ""  # how the memory's leverage policy shows it, e.g. "MT, approved by Ann"
    source_xml: str = ""  # the stored units' TMX inline markup (inline codes), if any
    target_xml: str = ""
    confidence: dict[str, float] = field(default_factory=dict)  # an MT unit's, when stored


@dataclass(frozen=True)
class MTRequest:
    """What an engine needs to translate one segment."""

    source: str
    previous: str | None = None  # previous source segment, for context
    examples: tuple[tuple[str, str], ...] = ()  # TM (source, target) pairs shown as examples
    hint: str | None = None  # a targeted instruction for a retry (e.g. "render X as Y")
    codes: tuple[InlineCode, ...] = ()  # inline codes of ``source`` to keep through MT


@dataclass
class Translation:
    """An engine's output for one segment, with what a reviewer needs to trust it."""

    text: str
    engine: str
    model: str
    model_sha256: str = ""
    raw: str = ""
    retries: int = 0
    notes: list[str] = field(default_factory=list)
    seconds: float = 0.0
    confidence: dict[str, float] = field(default_factory=dict)  # token log-probability stats
    codes: CodedText | None = None  # where the request's inline codes went in ``text``


@dataclass
class Flag:
    """A QA or glossary finding on a unit."""

    check: str  # e.g. "numbers", "untranslated", "term-violation"
    severity: str  # "error" or "warning"
    message: str

    def __str__(self) -> str:
        return f"{self.check}: {self.message}"


@dataclass
class Unit:
    """A translated segment: the record that is checked, stored, exported and scored."""

    segment: Segment
    target: str = ""
    origin: str = ""  # see ORIGINS
    match_score: float | None = None  # TM match % for tm-* origins
    engine: str = ""
    model: str = ""
    model_sha256: str = ""
    retries: int = 0
    terms: list[TermMatch] = field(default_factory=list)
    tm_match: TMMatch | None = None
    flags: list[Flag] = field(default_factory=list)
    reference: str | None = None
    alignment_confidence: float | None = None
    scores: dict[str, float] = field(default_factory=dict)  # sentence bleu/chrf
    state: str = ""  # review state once stored/edited: draft, translated, reviewed, approved
    changed_by: str = ""  # who last changed it (the reviewer of an edited or approved unit)
    mt_target: str = ""  # the MT a person's target replaced (post-editing)
    postedit: dict[str, float] = field(default_factory=dict)  # effort: ter, chrf, chars
    confidence: dict[str, float] = field(default_factory=dict)  # Translation.confidence
    risk: float | None = None  # estimated chance the target is poor (pipeline.risk)
    risk_reasons: list[str] = field(default_factory=list)  # why it is high, in words
    target_codes: CodedText | None = None  # inline codes as the engine placed them

    @property
    def source(self) -> str:
        return self.segment.text

    @property
    def leverage(self) -> str:
        """Where the target came from, as reviewers see it (``MT, approved by Ann``, …)."""
        if self.origin.startswith("tm-") and self.tm_match is not None:
            return self.tm_match.leverage or self.tm_match.origin or self.origin
        return leverage_label(self.origin, self.state, self.changed_by)

    @property
    def number(self) -> int:
        return self.segment.number

    def tuid(self, doc_id: str) -> str:
        return f"{doc_id}:{self.segment.number}"


def leverage_label(origin: str, state: str, changed_by: str = "") -> str:
    """The provenance shown to reviewers: ``human``, ``MT, approved by NAME``, ``MT``, …"""
    if origin == "mt":
        if state == "approved":
            return f"MT, approved by {changed_by or 'unknown'}"
        return "MT" if state in ("draft", "translated", "") else f"MT, {state}"
    return origin if state in ("translated", "") else f"{origin}, {state}"


@dataclass
class LayoutNote:
    """A layout repair made (or refused) by the segmenter, for the report."""

    kind: str  # "join" (sentence rejoined across a column break), "incomplete", "split"
    paragraphs: list[int]  # 1-based original paragraph (non-empty line) numbers involved
    segment: int | None  # segment number concerned
    evidence: str  # why, in words (e.g. "jieba word 重要 spans the junction")


@dataclass
class RunResult:
    """Everything one ``tmpipe run`` produced; ``report`` renders it."""

    doc_id: str
    source_path: str
    segments: list[Segment]
    units: list[Unit]
    layout: list[LayoutNote] = field(default_factory=list)
    engine: dict = field(default_factory=dict)  # name, model, sha256 (None when no MT ran)
    tm: dict = field(default_factory=dict)  # exact, context, fuzzy, mt counts
    glossary: dict = field(default_factory=dict)  # checked, terms_checked, violations, ...
    qa: dict = field(default_factory=dict)  # counts per check, errors, warnings
    scores: dict | None = None  # bleu, chrf, ter, signatures; None without a reference
    timings: dict = field(default_factory=dict)  # total_s, mt_s, per_segment_s, ...
    reference_path: str | None = None
    options: dict = field(default_factory=dict)  # the run's settings, for reproducibility
    postedit: dict | None = None  # document post-edit effort (segments, edited, ter, chrf, chars)
