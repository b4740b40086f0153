"""Numbers in English text (:func:`english_numbers`).

Digits with separators, ``thousand``/``million``/``billion``/``trillion``, ``%``/``percent``/
``per cent``, ordinals ``18th``, number words zero-ninety-nine and ``first``-``twentieth``,
``decade`` (10), ``two decades`` (20), dates ``November 6``/``6 November``/``Nov. 6``, and clock
times ``14:37``, ``2:37 p.m.``/``2:37pm``/``2 PM``, ``9 in the morning``, ``2 o'clock``,
``noon``/``midnight``. A time with no a.m./p.m. on a 12-hour clock (``2:37``, ``2 o'clock``) is
``ambiguous`` and matches a source time modulo 12 hours.
"""

from __future__ import annotations

import re
from decimal import Decimal

from .base import DAY, MONTHS, EnglishNumber, add_disjoint, overlaps

_MONTH_ABBR = {"jan": 1, "feb": 2, "mar": 3, "apr": 4, "jun": 6, "jul": 7, "aug": 8, "sep": 9,
               "sept": 9, "oct": 10, "nov": 11, "dec": 12}
_ONES = ("zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen "
         "fifteen sixteen seventeen eighteen nineteen").split()
_TENS = {"twenty": 20, "thirty": 30, "forty": 40, "fifty": 50, "sixty": 60, "seventy": 70,
         "eighty": 80, "ninety": 90}
_ORDINAL_WORDS = {w: i + 1 for i, w in enumerate(
    ("first second third fourth fifth sixth seventh eighth ninth tenth eleventh twelfth "
     "thirteenth fourteenth fifteenth sixteenth seventeenth eighteenth nineteenth twentieth"
     ).split())}
_SCALE_WORDS = {"hundred": 100, "thousand": 10**3, "million": 10**6, "billion": 10**9,
                "trillion": 10**12}
_WORD_VALUES = {w: i for i, w in enumerate(_ONES)} | _TENS

_MONTH_RE = (r"(?:January|February|March|April|May|June|July|August|September|October|November"
             r"|December|(?:Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept?|Oct|Nov|Dec)\.?)")
_EN_DATE = re.compile(
    rf"\b(?P<m1>{_MONTH_RE})\s+(?P<d1>\d{{1,2}})(?:st|nd|rd|th)?\b(?!,\d)"
    rf"|\b(?:the\s+)?(?P<d2>\d{{1,2}})(?:st|nd|rd|th)?\s+(?:of\s+)?(?P<m2>{_MONTH_RE})"
    rf"|\b(?P<m3>{_MONTH_RE})(?![\w])"
)
_EN_NUMBER = re.compile(
    r"(?<![\d.,])(?P<num>\d{1,3}(?:,\d{3})+(?!\d)(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)"
    r"(?:(?P<ord>st|nd|rd|th)\b)?"
    r"(?:\s*(?P<pct>%|percent\b|per\s+cent\b))?"
    r"(?:[\s-]+(?P<scale>hundred|thousand|million|billion|trillion)\b)?"
)
_EN_TIME = re.compile(
    r"(?:\b12\s+)?\b(?P<word>noon|midnight)\b"
    r"|(?<![\d.,:])(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"(?![\d:]|[.,]\d)(?:\s*(?P<mer>[ap])\.?\s?m\b\.?|\s+(?P<oclock>o['’]clock)\b"
    r"|\s+(?P<part>in\s+the\s+(?:morning|afternoon|evening)|at\s+night)\b)?",
    re.IGNORECASE,
)
YEAR_LIKE = re.compile(r"1\d{3}|2[01]\d{2}")
_WORD_ALT = "|".join([*_TENS, *reversed(_ONES)])
_EN_WORD = re.compile(
    rf"\b(?P<word>(?:{'|'.join(_TENS)})(?:-(?:{'|'.join(_ONES[1:10])}))?|{_WORD_ALT}|a|an)"
    rf"(?:\s+(?P<scale>hundred|thousand|million|billion|trillion))?\b"
    rf"(?:\s*(?P<pct>%|percent\b|per\s+cent\b))?"
    rf"|\b(?P<ordw>{'|'.join(_ORDINAL_WORDS)})\b|\b(?P<decade>decade)\b",
    re.IGNORECASE,
)


def _month_number(name: str) -> int | None:
    key = name.lower().rstrip(".")
    if key in MONTHS:
        return MONTHS.index(key) + 1
    return _MONTH_ABBR.get(key)


def _sentence_initial(text: str, start: int) -> bool:
    before = text[:start].rstrip()
    return not before or before[-1] in ".!?\"'“"


def _english_dates(text: str) -> list[EnglishNumber]:
    found = []
    for m in _EN_DATE.finditer(text):
        month_name = m.group("m1") or m.group("m2") or m.group("m3")
        if month_name == "May" and m.group("m3") and _sentence_initial(text, m.start()):
            continue  # sentence-initial bare "May" is usually the verb
        month = _month_number(month_name)
        day_text = m.group("d1") or m.group("d2")
        day = int(day_text) if day_text else None
        if month is None or (day is not None and not 1 <= day <= 31):
            continue
        kind = "date" if day else "month"
        found.append(EnglishNumber(m.group(), m.start(), m.end(), day or month, kind, month, day))
    return found


def _english_time(m: re.Match) -> EnglishNumber | None:
    if m.group("word"):
        value = 720 if m.group("word").lower() == "noon" else 0
        return EnglishNumber(m.group(), m.start(), m.end(), value, "time")
    hour, minute = int(m.group("hour")), int(m.group("minute") or 0)
    second = int(m.group("second") or 0)
    half = (m.group("mer") or m.group("part") or "").lower()
    if not (m.group("minute") or half or m.group("oclock")) or minute > 59 or second > 59:
        return None  # a plain number
    if half and 1 <= hour <= 12:
        hour = hour % 12 + (0 if half == "a" or half.endswith("morning") else 12)
    elif (half and not 13 <= hour <= 23) or (m.group("oclock") and not 1 <= hour <= 12):
        return None
    ambiguous = not half and 1 <= hour <= 12 and not m.group("hour").startswith("0")
    return EnglishNumber(m.group(), m.start(), m.end(), hour * 60 + minute + second / 60, "time",
                         ambiguous=ambiguous)


def _word_value(m: re.Match) -> tuple[float, str] | None:
    if m.group("decade"):
        return 10.0, "word"
    if m.group("ordw"):
        return float(_ORDINAL_WORDS[m.group("ordw").lower()]), "ordinal"
    word = m.group("word").lower()
    if word in ("a", "an"):
        if not m.group("scale"):
            return None
        base = 1
    elif "-" in word:
        tens, ones = word.split("-")
        base = _TENS[tens] + _ONES.index(ones)
    else:
        base = _WORD_VALUES[word]
    value = base * _SCALE_WORDS[m.group("scale").lower()] if m.group("scale") else base
    return float(value), "percent" if m.group("pct") else "word"


_EN_DECADES = re.compile(
    rf"\b(?P<count>\d+|{'|'.join(_ONES[2:11])})\s+decades\b", re.IGNORECASE)


def _english_decades(text: str) -> list[EnglishNumber]:
    """``two decades`` → 20 (years): how 20年 is often rendered."""
    found = []
    for m in _EN_DECADES.finditer(text):
        count = m.group("count").lower()
        n = int(count) if count.isdigit() else _ONES.index(count)
        found.append(EnglishNumber(m.group(), m.start(), m.end(), float(10 * n), "word"))
    return found


def english_numbers(text: str) -> list[EnglishNumber]:
    """All numbers in English ``text``, in order (see the module docstring)."""
    found = [t for t in map(_english_time, _EN_TIME.finditer(text)) if t and t.value <= DAY]
    found += _english_decades(text)
    spans = [(n.start, n.end) for n in found]
    add_disjoint(found, spans, _english_dates(text))
    for m in _EN_NUMBER.finditer(text):
        if overlaps(spans, m.start(), m.end()):
            continue
        value = Decimal(m.group("num").replace(",", ""))
        if m.group("scale"):
            value *= _SCALE_WORDS[m.group("scale").lower()]
        kind = "percent" if m.group("pct") else "ordinal" if m.group("ord") else "number"
        found.append(EnglishNumber(m.group(), m.start(), m.end(), float(value), kind))
        spans.append((m.start(), m.end()))
    for m in _EN_WORD.finditer(text):
        if overlaps(spans, m.start(), m.end()):
            continue
        parsed = _word_value(m)
        if parsed:
            found.append(EnglishNumber(m.group(), m.start(), m.end(), parsed[0], parsed[1]))
    return sorted(found, key=lambda n: n.start)


def english_values(text: str) -> list[float]:
    """Just the values of :func:`english_numbers` (dates give their day, times minutes)."""
    return [n.value for n in english_numbers(text)]
