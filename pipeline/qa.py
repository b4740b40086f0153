"""QA checks over translated units: each check is a small named function returning Flags.

:func:`run_checks` runs them all (minus ``ignore``), replaces the QA flags in ``unit.flags`` and
returns the summary stored in ``report.json["qa"]``. Glossary flags (``term-violation``) are
added before QA by flow; they are counted in the summary but not produced here.
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
from .han import HAN, has_han
from .injection import echoes_only_latin, foreign_content
from .numbers import find_numbers, match_numbers
from .units import Flag, Unit

TERM_CHECK = "term-violation"
INJECTION_CHECK = "not-a-translation"
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
CHECKS = (*UNIT_CHECKS, "length-ratio", INJECTION_CHECK)


def _validate_ignore(ignore: Collection[str]) -> set[str]:
    unknown = sorted(set(ignore) - set(CHECKS) - {TERM_CHECK})
    if unknown:
        raise UserError(f"unknown QA check {', '.join(unknown)}; known: "
                        f"{', '.join((*CHECKS, TERM_CHECK))}")
    return set(ignore)


def summarize(units: Sequence[Unit], ignore: Collection[str] = (),
              checks: Sequence[str] = (*CHECKS, TERM_CHECK)) -> dict:
    """Counts of the flags on ``units`` (flags of ignored checks are left out)."""
    by_check = {name: 0 for name in checks if name not in ignore}
    errors = warnings = flagged = 0
    for unit in units:
        counted = [f for f in unit.flags if f.check not in ignore]
        flagged += bool(counted)
        for flag in counted:
            by_check[flag.check] = by_check.get(flag.check, 0) + 1
            errors += flag.severity == "error"
            warnings += flag.severity != "error"
    return {"errors": errors, "warnings": warnings, "by_check": by_check, "flagged_units": flagged}


def run_checks(units: Sequence[Unit], ignore: Collection[str] = ()) -> dict:
    """Run every QA check not in ``ignore`` on ``units``; replace their flags; return the summary.

    Flags of QA checks already on a unit (e.g. read back from a TMX) are replaced, so running
    twice gives the same result. Untranslatable segments (furniture, markers) are skipped.
    ``ignore`` may also name ``term-violation`` to leave glossary flags out of the counts.
    Unknown names raise :class:`UserError`.
    """
    ignored = _validate_ignore(ignore)
    active = [name for name in UNIT_CHECKS if name not in ignored]
    bounds = (None if {"length-ratio", INJECTION_CHECK} <= ignored
              else learn_length_range(units))
    for unit in units:
        unit.flags = [f for f in unit.flags if f.check not in CHECKS]
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
    summary = summarize(units, ignored)
    summary["ignored"] = sorted(ignored)
    summary["length_ratio"] = (bounds.as_dict() if bounds and "length-ratio" not in ignored
                               else None)
    return summary
