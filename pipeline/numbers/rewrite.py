"""Chinese numbers rewritten into English forms for MT input.

:func:`rewrite_for_mt` applies :func:`rewrite_dates_times` (``2023年11月6日`` → ``November 6,
2023``, ``下午2时37分`` → ``14:37``) then :func:`rewrite_scale_words` (``215万`` → ``2.15
million``).
"""

from __future__ import annotations

import re
from decimal import Decimal

from .base import MONTHS, format_clock, format_plain, overlaps
from .chinese import (
    APPROX_PREFIX,
    APPROX_SUFFIX,
    ARABIC_MENTION,
    DIGITS,
    SCALES,
    find_times,
    to_decimal,
    to_int,
)

_MT_DATE = re.compile(
    rf"(?<![0-9０-９.．])(?:(?P<year>{DIGITS}{{4}})年)?"
    rf"(?:(?P<first>{DIGITS}{{1,2}})(?P<sep>[-—–~～至到]))?(?P<month>{DIGITS}{{1,2}})月"
    rf"(?:(?P<day>{DIGITS}{{1,2}})(?:(?P<dsep>[-—–~～至到])(?P<last>{DIGITS}{{1,2}}))?[日号]|份)?"
)


def _short(value: Decimal) -> str:
    text = f"{value.normalize():f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def format_english(value: Decimal) -> str:
    """English form of a large value: ``2150000`` → ``2.15 million``, ``146600`` → ``146,600``."""
    for size, word in ((Decimal(10) ** 12, "trillion"), (Decimal(10) ** 9, "billion"),
                       (Decimal(10) ** 6, "million")):
        if value >= size:
            return f"{_short(value / size)} {word}"
    return format_plain(value)


def rewrite_scale_words(text: str) -> str:
    """Rewrite Chinese numbers written with 万/亿 into English forms for MT input.

    ``2万多`` → ``more than 20,000``, ``215万`` → ``2.15 million``, ``13.21万亿`` →
    ``13.21 trillion``, ``近9万`` → ``nearly 90,000``. Everything else is left unchanged.
    """

    def replace(m: re.Match) -> str:
        if not m.group("scale") or m.group("pct") or m.group("year"):
            return m.group()
        value = to_decimal(m.group("num")) * SCALES[m.group("scale")]
        approx = APPROX_PREFIX.get(m.group("pre") or "")
        approx = approx or APPROX_SUFFIX.get(m.group("mid") or m.group("post") or "")
        words = format_english(value)
        return f"{approx} {words}" if approx else words

    return ARABIC_MENTION.sub(replace, text)


def _joint(sep: str) -> str:
    return " to " if sep in "至到" else "-"


def _mt_date(m: re.Match) -> str | None:
    """English for a :data:`_MT_DATE` match, None when a part is out of range."""
    parts = {k: to_int(v) for k, v in m.groupdict().items() if v and k not in ("sep", "dsep")}
    ok = {"year": (1000, 2199), "first": (1, 12), "month": (1, 12), "day": (1, 31),
          "last": (1, 31)}
    if any(not ok[k][0] <= v <= ok[k][1] for k, v in parts.items()) or (
            "first" in parts and "day" in parts):
        return None
    words = MONTHS[parts["month"] - 1].capitalize()
    if "first" in parts:  # 1-10月: January-October
        words = MONTHS[parts["first"] - 1].capitalize() + _joint(m.group("sep")) + words
    if "day" in parts:
        words += f" {parts['day']}"
        words += f"{_joint(m.group('dsep'))}{parts['last']}" if "last" in parts else ""
        words += f", {parts['year']}" if "year" in parts else ""
    elif "year" in parts:
        words += f" {parts['year']}"
    return words


def _splice(text: str, edits: list[tuple[int, int, str]]) -> str:
    """Replace ``[start, end)`` spans by English, spaced from adjacent letters, digits and Han."""
    result, pos = "", 0
    for start, end, english in sorted(edits):
        result += text[pos:start]
        result += " " + english if result[-1:].isalnum() else english
        result += " " if text[end:end + 1].isalnum() else ""
        pos = end
    return result + text[pos:]


def rewrite_dates_times(text: str) -> str:
    """Rewrite Chinese dates and clock times into English forms for MT input.

    ``2023年11月6日`` → ``November 6, 2023``, ``11月6日``/``11月6号`` → ``November 6``,
    ``2023年11月`` → ``November 2023``, ``11月``/``11月份`` → ``November``, ``1-10月`` →
    ``January-October``, ``11月6-8日`` → ``November 6-8``; clock times (see
    :func:`find_numbers`) become 24-hour ``H:MM`` (``下午2时37分`` → ``14:37``, ``上午9时`` →
    ``9:00``, ``14时许`` → ``about 14:00``), which :func:`english_numbers` reads back as the same
    time. Invalid months or days, ``6日`` and ``2023年`` alone, and everything else are left
    unchanged; the English is spaced from adjacent Chinese (``在 November 6 举行``).
    """
    edits = []
    for m in _MT_DATE.finditer(text):
        words = _mt_date(m)
        if words:
            edits.append((m.start(), m.end(), words))
    spans = [(start, end) for start, end, _ in edits]
    for time in find_times(text):
        if re.search("[时点]", time.text) and not overlaps(spans, time.start, time.end):
            clock = format_clock(time.value)
            edits.append((time.start, time.end, f"about {clock}" if time.approx else clock))
    return _splice(text, edits)


def rewrite_for_mt(text: str) -> str:
    """The MT input: :func:`rewrite_dates_times`, then :func:`rewrite_scale_words`."""
    return rewrite_scale_words(rewrite_dates_times(text))
