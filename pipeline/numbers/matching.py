"""Matching the numbers of a Chinese source with those of its English target."""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from .base import DAY, EnglishNumber, NumberMention, NumberProblem
from .chinese import find_numbers
from .english import english_numbers


def values_close(a: float, b: float, tolerance: float) -> bool:
    """Whether ``a`` and ``b`` agree within ``tolerance`` (relative)."""
    return a == b or abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12)


def _compatible(src: NumberMention, tgt: EnglishNumber, tolerance: float = 1e-9) -> bool:
    if src.kind == "time" or tgt.kind == "time":
        diff = (src.value - tgt.value) % DAY  # 24:00 is midnight
        return src.kind == tgt.kind and (diff == 0 or (tgt.ambiguous and diff % (DAY / 2) == 0))
    if src.kind == "date":
        return tgt.kind == "date" and (tgt.month, tgt.day) == (src.month, src.day)
    if src.kind == "month":
        return tgt.kind in ("date", "month") and tgt.month == src.month
    if tgt.kind == "month":
        return False
    if tgt.kind == "date":
        return src.kind == "day" and tgt.day == src.day
    return values_close(src.value, tgt.value, tolerance)


def _on_the_hour(src: NumberMention, tgt: EnglishNumber) -> bool:
    """A whole-hour time against a bare hour on the other side: ``9时`` ~ ``at 9``, ``2`` ~
    ``2 p.m.`` (where the Chinese clock time was not recognised)."""
    time, plain = (src, tgt) if src.kind == "time" else (tgt, src)
    if time.kind != "time" or plain.kind not in ("number", "count", "word") or time.value % 60:
        return False
    hour = plain.value
    return hour == int(hour) and 0 <= hour <= 24 and (time.value / 60 - hour) % 12 == 0


def _take(src: NumberMention, pool: list[EnglishNumber],
          fits: Callable[[NumberMention, EnglishNumber], bool]) -> EnglishNumber | None:
    for i, tgt in enumerate(pool):
        if fits(src, tgt):
            return pool.pop(i)
    return None


def pair_numbers(mentions: list[NumberMention], pool: list[EnglishNumber],
          rounding: float) -> list[tuple[NumberMention, EnglishNumber | None]]:
    """Take each mention's target out of ``pool`` (exact forms first, then whole hours); the
    mentions left, in order, with their target only within ``rounding`` (None when missing)."""
    exact = partial(_compatible, tolerance=1e-9)
    unmatched = [m for m in mentions if _take(m, pool, exact) is None]
    unmatched = [m for m in unmatched if _take(m, pool, _on_the_hour) is None]
    near = partial(_compatible, tolerance=rounding)
    return [(m, _take(m, pool, near)) for m in unmatched]


def match_numbers(source: str, target: str, rounding: float = 0.01) -> list[NumberProblem]:
    """Compare numbers in a Chinese ``source`` with its English ``target``.

    Each source number must appear in the target (any accepted English form); missing ones are
    errors (warnings for Chinese-numeral counts and ordinals, often rendered as words). A value
    only within ``rounding`` (relative) is a "rounded" warning; clock times must agree to the
    minute. Digit-written target numbers and times matching nothing in the source are "extra"
    warnings; number words are not (``one`` is often a pronoun).
    """
    pool = english_numbers(target)
    problems: list[NumberProblem] = []
    for mention, near in pair_numbers(find_numbers(source), pool, rounding):
        if near is not None:
            problems.append(NumberProblem(
                "rounded", "warning",
                f"{mention.describe()} rendered as '{near.text}'", mention, near))
        else:
            severity = "warning" if mention.kind in ("count", "ordinal") and not any(
                c.isdigit() for c in mention.text) else "error"  # 第一 → "leading", 十年 → "decade"
            problems.append(NumberProblem(
                "missing", severity, f"{mention.describe()} not found in target", mention))
    for extra in pool:
        if extra.kind in ("number", "percent", "time") and any(c.isdigit() for c in extra.text):
            problems.append(NumberProblem(
                "extra", "warning", f"'{extra.text}' in target has no source number",
                target=extra))
    return problems
