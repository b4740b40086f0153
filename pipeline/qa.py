"""QA checks over translated units: each check is a small named function returning Flags.

Unit checks (:data:`UNIT_CHECKS`) look at one unit; document checks (:data:`DOCUMENT_CHECKS`)
compare a unit with the rest of the run (learned length and content-word ratios, consistency).
:func:`run_checks` runs them all (minus ``ignore``), replaces the QA flags in ``unit.flags`` and
returns the summary stored in ``report.json["qa"]``. Glossary flags (``term-violation``) and
engine notes (``engine``: repairs the engine made, severity ``info``) are added before QA by
flow; they are counted in the summary but not produced here.
"""

from __future__ import annotations

import math
import re
import statistics
import unicodedata
from collections import Counter
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass

from .errors import UserError
from .han import HAN, HAN_RANGES, has_han
from .injection import echoes_only_latin, foreign_content
from .numbers import find_numbers, match_numbers
from .units import Flag, Unit

TERM_CHECK = "term-violation"
INJECTION_CHECK = "not-a-translation"
ENGINE_CHECK = "engine"
#: Severities, most serious first; ``info`` notes a repair already made, not a problem.
SEVERITIES = ("error", "warning", "info")
_CHINESE_PUNCT = re.compile(r"[，。、；：？！（）【】《》「」『』〈〉～]")
_WORD = re.compile(r"[A-Za-z0-9]+(?:['’][A-Za-z]+)?")
_PAIRS = (("(", ")"), ("[", "]"), ("“", "”"), ("‘", "’"))
_REPEAT_OK = frozenset({"had", "that", "is", "very"})


@dataclass(frozen=True)
class LengthRange:
    """Acceptable log(target chars / source chars), learned from the document."""

    median: float
    low: float
    high: float
    spread: float
    units: int

    def as_dict(self) -> dict:
        return {"median": round(math.exp(self.median), 3), "low": round(math.exp(self.low), 3),
                "high": round(math.exp(self.high), 3), "units": self.units}


# --------------------------------------------------------------------------- unit checks


def check_empty(unit: Unit) -> list[Flag]:
    """The target is empty or whitespace only."""
    if unit.target.strip():
        return []
    return [Flag("empty", "error", "target is empty")]


def check_identical(unit: Unit) -> list[Flag]:
    """The target repeats a Chinese source unchanged."""
    if unit.target.strip() and unit.target.strip() == unit.source.strip() and has_han(
        unit.source
    ):
        return [Flag("identical", "error", "target is identical to the Chinese source")]
    return []


def check_untranslated(unit: Unit) -> list[Flag]:
    """Chinese characters left in the target."""
    if check_identical(unit):
        return []
    left = HAN.findall(unit.target)
    if not left:
        return []
    shown = "".join(dict.fromkeys(left))[:12]
    message = f"{len(left)} Chinese characters left in target: {shown}"
    return [Flag("untranslated", "error", message)]


def check_numbers(unit: Unit) -> list[Flag]:
    """Every source number appears in the target in an acceptable English form."""
    if not unit.target.strip():
        return []
    problems = match_numbers(unit.source, unit.target)
    flags = []
    for severity in ("error", "warning"):
        messages = [p.message for p in problems if p.severity == severity]
        if messages:
            flags.append(Flag("numbers", severity, "; ".join(messages)))
    return flags


def check_punctuation(unit: Unit) -> list[Flag]:
    """Unbalanced quotes/brackets, Chinese punctuation left in English, doubled spaces."""
    target = unit.target
    problems = []
    chinese = _CHINESE_PUNCT.findall(target)
    if chinese and not has_han(target):
        problems.append(f"Chinese punctuation {''.join(dict.fromkeys(chinese))} in English")
    if target.count('"') % 2:
        problems.append('unbalanced straight quotes "')
    for opening, closing in _PAIRS:
        if opening == "‘":  # ’ doubles as the apostrophe: only a stray opening counts
            if target.count(opening) > target.count(closing):
                problems.append(f"unbalanced {opening}{closing}")
        elif target.count(opening) != target.count(closing):
            problems.append(f"unbalanced {opening}{closing}")
    if "  " in target.strip():
        problems.append("doubled space")
    if re.search(r"\s[,.;:!?]", target):
        problems.append("space before punctuation")
    return [Flag("punctuation", "warning", "; ".join(problems))] if problems else []


def _runaway(words: list[str], max_n: int = 8) -> tuple[str, int] | None:
    """The longest-running n-gram repeated three or more times in a row, if any."""
    for n in range(1, max_n + 1):
        for i in range(len(words) - 3 * n + 1):
            gram = words[i : i + n]
            times = 1
            while words[i + times * n : i + (times + 1) * n] == gram:
                times += 1
            if times >= 3:
                return " ".join(gram), times
    return None


def check_repetition(unit: Unit) -> list[Flag]:
    """Repeated words ("the the") and runaway repetition of n-grams (an LLM failure mode)."""
    words = [w.lower() for w in _WORD.findall(unit.target)]
    runaway = _runaway(words)
    if runaway:
        gram, times = runaway
        return [Flag("repetition", "error", f'runaway repetition: "{gram}" {times} times in a row')]
    doubled = sorted({a for a, b in zip(words, words[1:], strict=False)
                      if a == b and a not in _REPEAT_OK and not a.isdigit()})
    flags = []
    if doubled:
        flags.append(Flag("repetition", "warning", "repeated word: " + ", ".join(doubled)))
    grams = Counter(tuple(words[i : i + 5]) for i in range(len(words) - 4))
    frequent = [(g, c) for g, c in grams.items() if c >= 4]
    if frequent:
        gram, count = max(frequent, key=lambda item: item[1])
        flags.append(Flag("repetition", "warning", f'"{" ".join(gram)}" occurs {count} times'))
    return flags


# --------------------------------------------------------------------------- length ratio


def _log_ratio(unit: Unit) -> float | None:
    source = len(re.sub(r"\s", "", unit.source))
    target = len(unit.target.strip())
    if source < 6 or not target:
        return None
    return math.log(target / source)


def learn_length_range(units: Sequence[Unit], k: float = 4.0, min_units: int = 8,
                       min_spread: float = 0.12) -> LengthRange | None:
    """Median ± ``k`` robust deviations (MAD × 1.4826) of the log length ratio.

    Learned from units without glossary terms (terms change length unpredictably); None when
    fewer than ``min_units`` such units have a usable ratio.
    """
    ratios = [r for u in units if not u.terms and (r := _log_ratio(u)) is not None]
    if len(ratios) < min_units:
        return None
    median = statistics.median(ratios)
    mad = statistics.median(abs(r - median) for r in ratios) * 1.4826
    spread = max(mad, min_spread)
    return LengthRange(median, median - k * spread, median + k * spread, spread, len(ratios))


def check_length_ratio(unit: Unit, bounds: LengthRange | None) -> list[Flag]:
    """Target/source length ratio outside the document's learned range."""
    ratio = _log_ratio(unit)
    if bounds is None or ratio is None or bounds.low <= ratio <= bounds.high:
        return []
    far = abs(ratio - bounds.median) > 2 * (bounds.high - bounds.median)
    severity = "error" if far else "warning"
    side = "long" if ratio > bounds.high else "short"
    return [Flag("length-ratio", severity,
                 f"target too {side}: {math.exp(ratio):.2f} chars per source char, document "
                 f"range {math.exp(bounds.low):.2f}-{math.exp(bounds.high):.2f} "
                 f"(median {math.exp(bounds.median):.2f})")]


# --------------------------------------------------------------------------- not a translation


def _shares_anchor(unit: Unit) -> bool | None:
    """Whether the target keeps any of the source's numbers, Latin words or term renderings
    (None when the source has none of them)."""
    target = unit.target.lower()
    latin = {w.lower() for w in _WORD.findall(unicodedata.normalize("NFKC", unit.source))
             if len(w) > 1 and not w.isdigit()}
    renderings = {r.lower() for m in unit.terms for r in (m.term.target, *m.term.variants) if r}
    numbers = find_numbers(unit.source)
    if not (latin or renderings or numbers):
        return None
    if any(a in target for a in latin | renderings):
        return True
    missing = sum(p.kind == "missing" for p in match_numbers(unit.source, unit.target))
    return missing < len(numbers)


def check_not_a_translation(unit: Unit, bounds: LengthRange | None) -> list[Flag]:
    """The target is not a translation of the source: it has markup, code, URLs or assistant
    talk the source lacks, repeats only the source's Latin text, or shares none of its numbers,
    Latin words and term renderings while its length is far outside the learned range."""
    if not unit.target.strip():
        return []
    reasons = foreign_content(unit.source, unit.target)
    if echoes_only_latin(unit.source, unit.target):
        reasons.append("only the source's non-Chinese text, the Chinese left out")
    ratio = _log_ratio(unit)
    if (not reasons and bounds is not None and ratio is not None
            and abs(ratio - bounds.median) > 2 * (bounds.high - bounds.median)
            and _shares_anchor(unit) is False):
        reasons.append(f"none of the source's numbers, names or terms, and length ratio "
                       f"{math.exp(ratio):.2f} far outside the document's")
    if not reasons:
        return []
    return [Flag(INJECTION_CHECK, "error", "not a translation: " + "; ".join(reasons))]


# --------------------------------------------------------------------------- omission

#: English function words left out when counting content words.
ENGLISH_STOPWORDS = frozenset("""
a an the of to in on for and or but nor with by from at as is are was were be been being am
it its this that these those which who whom whose what when where why how than then there
their theirs they them we our ours us you your he his him she her i my me not no so such also
has have had do does did will would can could may might shall should must into onto over
under about after before between through during up down out off more most very just all any
each other some only own same too both either neither s t if while because although though
""".split())
#: jieba part-of-speech tags (first letter) of content words: nouns, verbs, adjectives,
#: numerals, time and place words, abbreviations, idioms, Latin-script words.
_CONTENT_POS = frozenset("nvamtsjliex")


def source_content_words(text: str) -> list[str]:
    """Content words of a Chinese text (jieba, stock dictionary, by part of speech)."""
    from .jiebautil import pos_cut

    return [w for w, flag in pos_cut(text)
            if w.strip() and flag[:1] in _CONTENT_POS and not _is_punct(w)]


def _is_punct(word: str) -> bool:
    return all(not ch.isalnum() for ch in word)


def target_content_words(text: str) -> list[str]:
    """Content words of an English text: words and numbers that are not function words."""
    return [w for w in _WORD.findall(text) if w.lower() not in ENGLISH_STOPWORDS]


@dataclass(frozen=True)
class ContentRange:
    """Learned log((target content words + 1) / (source content words + 1)) of a document."""

    median: float
    spread: float
    units: int


def _content_log_ratio(unit: Unit, source_words: int) -> float | None:
    if source_words < 4 or not unit.target.strip():
        return None
    return math.log((len(target_content_words(unit.target)) + 1) / (source_words + 1))


def learn_content_range(units: Sequence[Unit], counts: dict[int, int], min_units: int = 8,
                        min_spread: float = 0.12) -> ContentRange | None:
    """Median and robust spread of the content-word ratio; None with too few units."""
    ratios = [r for u in units
              if (r := _content_log_ratio(u, counts.get(id(u), 0))) is not None]
    if len(ratios) < min_units:
        return None
    median = statistics.median(ratios)
    mad = statistics.median(abs(r - median) for r in ratios) * 1.4826
    return ContentRange(median, max(mad, min_spread), len(ratios))


@dataclass(frozen=True)
class DocumentStats:
    """What the document checks learn from a whole run."""

    length: LengthRange | None
    content: ContentRange | None
    source_words: dict[int, int]  # id(unit) → content words in its source

    def length_z(self, unit: Unit) -> float | None:
        """Robust z-score of the unit's length ratio (negative: shorter than usual)."""
        ratio = _log_ratio(unit)
        if self.length is None or ratio is None:
            return None
        return (ratio - self.length.median) / self.length.spread

    def content_z(self, unit: Unit) -> float | None:
        """Robust z-score of the unit's content-word ratio (negative: words left out)."""
        ratio = _content_log_ratio(unit, self.source_words.get(id(unit), 0))
        if self.content is None or ratio is None:
            return None
        return (ratio - self.content.median) / self.content.spread


def document_stats(units: Sequence[Unit]) -> DocumentStats:
    """Learn the length and content-word ratios of the translatable units with a target."""
    checked = [u for u in units if u.segment.translatable and u.target.strip()]
    counts = {id(u): len(source_content_words(u.source)) for u in checked}
    return DocumentStats(learn_length_range(checked), learn_content_range(checked, counts),
                         counts)


def check_omission(unit: Unit, stats: DocumentStats, limit: float = -3.0) -> list[Flag]:
    """Part of the source left out: both the length ratio and the content-word ratio are far
    (``limit`` robust deviations) below the document's, or a source number is missing while
    the content-word ratio is low."""
    length_z, content_z = stats.length_z(unit), stats.content_z(unit)
    if content_z is None or length_z is None:
        return []
    missing = [p for p in match_numbers(unit.source, unit.target)
               if p.kind == "missing" and p.severity == "error"]
    if (length_z <= limit and content_z <= limit) or (missing and content_z <= limit / 2):
        words = stats.source_words.get(id(unit), 0)
        found = len(target_content_words(unit.target))
        return [Flag("omission", "error",
                     f"part of the source seems left out: {found} English content words for "
                     f"{words} Chinese ({content_z:.1f} deviations from the document), "
                     f"length {length_z:.1f} deviations"
                     + (f", {len(missing)} number(s) missing" if missing else ""))]
    return []


# --------------------------------------------------------------------------- consistency

_LABEL_ZH = re.compile(f"^\\s*([{HAN_RANGES}]{{1,8}})\\s*[:：]")
_LABEL_EN = re.compile(r"^\s*([^:：\n]{1,40}?)\s*[:：]")


def _norm(text: str) -> str:
    return " ".join(text.split()).casefold()


def check_consistency(units: Sequence[Unit]) -> dict[int, list[Flag]]:
    """Inconsistencies within a run, keyed by ``id(unit)``: the same source translated
    differently, the same translation for different sources, and a recurring label
    (``记者:``) rendered two ways. The later units (or the minority rendering) are flagged."""
    flags: dict[int, list[Flag]] = {}

    def add(unit: Unit, message: str) -> None:
        flags.setdefault(id(unit), []).append(Flag("consistency", "warning", message))

    by_source: dict[str, Unit] = {}
    by_target: dict[str, Unit] = {}
    labels: dict[str, dict[str, list[Unit]]] = {}
    for unit in units:
        if not unit.segment.translatable or not unit.target.strip():
            continue
        source, target = _norm(unit.source), _norm(unit.target)
        first = by_source.setdefault(source, unit)
        if first is not unit and _norm(first.target) != target:
            add(unit, f"same source as segment {first.number}, translated differently")
        other = by_target.setdefault(target, unit)
        if (other is not unit and _norm(other.source) != source
                and len(target.split()) >= 4):
            add(unit, f"same translation as segment {other.number}, whose source differs")
        zh, en = _LABEL_ZH.match(unit.source), _LABEL_EN.match(unit.target)
        if zh and en:
            labels.setdefault(zh.group(1), {}).setdefault(_norm(en.group(1)), []).append(unit)
    for label, renderings in labels.items():
        if len(renderings) < 2:
            continue
        ranked = sorted(renderings.values(), key=lambda us: (-len(us), us[0].number))
        usual = _LABEL_EN.match(ranked[0][0].target)
        shown = usual.group(1) if usual else ""
        numbers = ", ".join(str(u.number) for u in ranked[0][:5])
        for group in ranked[1:]:
            for unit in group:
                found = _LABEL_EN.match(unit.target)
                add(unit, f'{label}: rendered "{found.group(1) if found else ""}:" here, '
                          f'"{shown}:" in segment(s) {numbers}')
    return flags


def check_inline_codes(unit: Unit) -> list[Flag]:
    """Inline codes (bold, links, line breaks) the engine lost, or a translation from the
    memory that carries none: they were put at the segment's edges."""
    codes = unit.segment.codes
    if not codes or not unit.target.strip():
        return []
    placed = unit.target_codes
    if placed is None:
        return [Flag("inline-codes", "warning", f"{len(codes)} inline codes put at the "
                     "segment's edges (translation without code positions); check their place")]
    if placed.lost:
        types = {c.id: c.type for c in codes}
        lost = ", ".join(f"{types.get(i, '?')} {i}" for i in placed.lost)
        return [Flag("inline-codes", "warning",
                     f"engine lost inline codes ({lost}); put at the segment's edges")]
    return []


# --------------------------------------------------------------------------- running

UNIT_CHECKS: dict[str, Callable[[Unit], list[Flag]]] = {
    "empty": check_empty,
    "identical": check_identical,
    "untranslated": check_untranslated,
    "numbers": check_numbers,
    "punctuation": check_punctuation,
    "repetition": check_repetition,
    "inline-codes": check_inline_codes,
}
#: Checks that compare a unit with the rest of the run.
DOCUMENT_CHECKS = ("length-ratio", "omission", "consistency", INJECTION_CHECK)
CHECKS = (*UNIT_CHECKS, *DOCUMENT_CHECKS)
#: Every name ``ignore`` accepts: the checks run here and the flags added before QA.
IGNORABLE = (*CHECKS, TERM_CHECK, ENGINE_CHECK)


def _validate_ignore(ignore: Collection[str]) -> set[str]:
    unknown = sorted(set(ignore) - set(IGNORABLE))
    if unknown:
        raise UserError(f"unknown QA check {', '.join(unknown)}; known: {', '.join(IGNORABLE)}")
    return set(ignore)


def summarize(units: Sequence[Unit], ignore: Collection[str] = (),
              checks: Sequence[str] = (*CHECKS, TERM_CHECK, ENGINE_CHECK)) -> dict:
    """Counts of the flags on ``units`` (flags of ignored checks are left out).

    ``flagged_units`` counts units with an error or a warning; ``info`` notes are counted
    apart and do not make a unit flagged.
    """
    by_check = {name: 0 for name in checks if name not in ignore}
    counts = dict.fromkeys(SEVERITIES, 0)
    flagged = 0
    for unit in units:
        counted = [f for f in unit.flags if f.check not in ignore]
        flagged += any(f.severity != "info" for f in counted)
        for flag in counted:
            by_check[flag.check] = by_check.get(flag.check, 0) + 1
            severity = flag.severity if flag.severity in counts else "warning"
            counts[severity] += 1
    return {"errors": counts["error"], "warnings": counts["warning"], "info": counts["info"],
            "by_check": by_check, "flagged_units": flagged}


def run_checks(units: Sequence[Unit], ignore: Collection[str] = ()) -> dict:
    """Run every QA check not in ``ignore`` on ``units``; replace their flags; return the summary.

    Flags of QA checks already on a unit (e.g. read back from a TMX) are replaced, so running
    twice gives the same result; engine notes are made ``info``. Untranslatable segments
    (furniture, markers) are skipped. ``ignore`` may also name ``term-violation`` or
    ``engine`` to leave those flags out of the counts. Unknown names raise :class:`UserError`.
    """
    ignored = _validate_ignore(ignore)
    active = [name for name in UNIT_CHECKS if name not in ignored]
    stats = document_stats(units)
    bounds = None if {"length-ratio", INJECTION_CHECK} <= ignored else stats.length
    consistency = {} if "consistency" in ignored else check_consistency(units)
    for unit in units:
        unit.flags = [f for f in unit.flags if f.check not in CHECKS]
        for flag in unit.flags:
            if flag.check == ENGINE_CHECK:
                flag.severity = "info"
        if not unit.segment.translatable:
            continue
        if check_empty(unit):
            unit.flags.extend(check_empty(unit) if "empty" in active else [])
            continue
        for name in active:
            unit.flags.extend(UNIT_CHECKS[name](unit))
        if "length-ratio" not in ignored:
            unit.flags.extend(check_length_ratio(unit, bounds))
        if INJECTION_CHECK not in ignored:
            unit.flags.extend(check_not_a_translation(unit, bounds))
        if "omission" not in ignored:
            unit.flags.extend(check_omission(unit, stats))
        unit.flags.extend(consistency.get(id(unit), []))
    summary = summarize(units, ignored)
    summary["ignored"] = sorted(ignored)
    summary["length_ratio"] = (bounds.as_dict() if bounds and "length-ratio" not in ignored
                               else None)
    return summary
