"""The records the number modules exchange, and the shared English forms of values."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

DAY = 24 * 60  # minutes
MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
          "september", "october", "november", "december")


def overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    """Whether ``[start, end)`` overlaps one of ``spans``."""
    return any(start < e and s < end for s, e in spans)


def add_disjoint(found: list, spans: list[tuple[int, int]], candidates: Iterable) -> None:
    """Append to ``found`` each candidate (with ``start``/``end``) overlapping none of ``spans``,
    adding its span to ``spans``."""
    for candidate in candidates:
        if not overlaps(spans, candidate.start, candidate.end):
            found.append(candidate)
            spans.append((candidate.start, candidate.end))


def format_clock(minutes: float) -> str:
    """``877`` → ``14:37``; seconds only when there are some (``14:37:05``)."""
    whole, second = divmod(round(minutes * 60), 60)
    hour, minute = divmod(whole, 60)
    return f"{hour}:{minute:02d}" + (f":{second:02d}" if second else "")


def format_plain(value: Decimal) -> str:
    """``146600`` → ``146,600``; ``12345.6`` → ``12,345.6``; no exponent, no trailing zeros."""
    value = value.normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    integer, _, fraction = f"{value:f}".partition(".")
    return f"{int(integer):,}.{fraction}"


@dataclass(frozen=True)
class NumberMention:
    """A number found in Chinese text at ``[start, end)``.

    ``kind`` is ``number``, ``percent``, ``year``, ``date`` (``month`` and ``day`` set),
    ``month``, ``day``, ``time``, ``ordinal`` or ``count`` (a Chinese-numeral count). ``value``
    is the plain numeric value (``215万`` → 2150000; ``30.7%`` → 30.7; a date → its day; a time
    → minutes since midnight, ``下午2时37分`` → 877).
    """

    text: str
    start: int
    end: int
    value: float
    kind: str = "number"
    approx: str | None = None  # "more than", "nearly", "about", "less than", "as many as"
    month: int | None = None
    day: int | None = None
    scaled: bool = False  # written with 万/亿

    def describe(self) -> str:
        """The mention and its expected English value, e.g. ``215万 (2,150,000)``."""
        if self.kind in ("date", "month"):
            expected = MONTHS[(self.month or 1) - 1].capitalize()
            if self.day:
                expected += f" {self.day}"
            return f"{self.text} ({expected})"
        if self.kind == "time":
            shown = format_clock(self.value)
            return self.text if shown == self.text else f"{self.text} ({shown})"
        if not math.isfinite(self.value):
            return self.text  # hundreds of digits
        shown = format_plain(Decimal(str(self.value)))
        return self.text if shown == self.text else f"{self.text} ({shown})"


@dataclass(frozen=True)
class EnglishNumber:
    """A number found in English text; dates carry ``month`` (and ``day``).

    A ``time`` has minutes since midnight as its value; ``ambiguous`` when it has no a.m./p.m.
    on a 12-hour clock (``2:37``, ``2 o'clock``), so it may mean either half of the day.
    """

    text: str
    start: int
    end: int
    value: float
    kind: str = "number"  # number, percent, ordinal, word, date, month, time
    month: int | None = None
    day: int | None = None
    ambiguous: bool = False


@dataclass(frozen=True)
class NumberProblem:
    """A disagreement between source and target numbers, for QA."""

    kind: str  # "missing" (source number not in target), "extra", "rounded"
    severity: str  # "error" or "warning"
    message: str
    source: NumberMention | None = None
    target: EnglishNumber | None = None
