"""Numbers in Chinese source and English target text, and checking that they agree.

Scope of :func:`find_numbers` (Chinese):

- Arabic and full-width digits, decimals, ``,`` thousands separators (exactly three digits
  follow; ``，`` is clause punctuation and never a separator), percentages (``%``/``％``);
- scale words after digits: ``万`` (1e4), ``十万``/``百万``/``千万``, ``亿`` (1e8), ``万亿`` (1e12);
- approximations: ``2万多``/``20多万``/``8万余`` (more than), ``超``/``超过``/``逾``/``多达`` (more
  than), ``近``/``将近``/``接近`` (nearly), ``约``/``大约`` (about), ``不到``/``不足`` (less than);
  recorded in :attr:`NumberMention.approx` but not enforced when matching;
- years (``2015年``, four digits 1000-2199), dates (``11月6日``, ``11月``, ``6日``/``6号``);
- Chinese numerals only where unambiguous: ordinals ``第十``/``第二届`` and counts before a
  classifier (``十年``, ``三年``, ``两个``, ``六大洲``). A bare ``一`` (usually "a"/"an") and a bare
  ``百``/``千``/``万`` (idioms such as ``千家万户``) are skipped; ``百余``/``千余`` count.
- Digit runs joined by ``-`` (phone numbers) are read as separate numbers on both sides.

English (:func:`english_numbers`): digits with separators, ``thousand``/``million``/``billion``/
``trillion``, ``%``/``percent``/``per cent``, ordinals ``18th``, number words zero-ninety-nine and
``first``-``twentieth``, ``decade`` (10), and dates ``November 6``/``6 November``/``Nov. 6``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal

_FULLWIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")

_SCALES = {
    "万亿": Decimal(10) ** 12,
    "千亿": Decimal(10) ** 11,
    "百亿": Decimal(10) ** 10,
    "十亿": Decimal(10) ** 9,
    "亿": Decimal(10) ** 8,
    "千万": Decimal(10) ** 7,
    "百万": Decimal(10) ** 6,
    "十万": Decimal(10) ** 5,
    "万": Decimal(10) ** 4,
}
_APPROX_PREFIX = {
    "将近": "nearly",
    "接近": "nearly",
    "近": "nearly",
    "超过": "more than",
    "超": "more than",
    "逾": "more than",
    "多达": "as many as",
    "大约": "about",
    "约": "about",
    "不到": "less than",
    "不足": "less than",
}
_APPROX_SUFFIX = {"多": "more than", "余": "more than"}

_DIGITS = r"[0-9０-９]"
_ARABIC = (
    rf"{_DIGITS}{{1,3}}(?:,{_DIGITS}{{3}})+(?![0-9０-９])(?:[.．]{_DIGITS}+)?"
    rf"|{_DIGITS}+(?:[.．]{_DIGITS}+)?"
)
_PREFIX_RE = "|".join(sorted(_APPROX_PREFIX, key=len, reverse=True))
_SCALE_RE = "|".join(sorted(_SCALES, key=len, reverse=True))

_DATE = re.compile(
    rf"(?:(?P<year>{_DIGITS}{{4}})年)?(?P<month>{_DIGITS}{{1,2}})月(?:(?P<day>{_DIGITS}{{1,2}})[日号])?"
    rf"|(?<![0-9０-９月])(?P<dayonly>{_DIGITS}{{1,2}})[日号]"
)
_ARABIC_MENTION = re.compile(
    rf"(?P<pre>{_PREFIX_RE})?(?P<num>{_ARABIC})(?P<mid>[多余])?(?P<scale>{_SCALE_RE})?"
    rf"(?P<post>[多余](?![0-9０-９]))?(?P<pct>[%％])?(?P<year>年)?"
)
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CLASSIFIERS = "年个家项次届位名人天岁倍条种大类批场座所支件份轮周只款国省市县章代部期"
_CN_MENTION = re.compile(
    rf"(?P<ord>第)?(?P<pre>{_PREFIX_RE})?(?P<num>[零〇一二两三四五六七八九十百千]+)(?P<post>[多余])?"
    rf"(?P<cls>[{_CLASSIFIERS}])?"
)


@dataclass(frozen=True)
class NumberMention:
    """A number found in Chinese text at ``[start, end)``.

    ``kind`` is ``number``, ``percent``, ``year``, ``date`` (``month`` and ``day`` set),
    ``month``, ``day``, ``ordinal`` or ``count`` (a Chinese-numeral count). ``value`` is the
    plain numeric value (``215万`` → 2150000; ``30.7%`` → 30.7; a date → its day).
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
            expected = _MONTHS[(self.month or 1) - 1].capitalize()
            if self.day:
                expected += f" {self.day}"
            return f"{self.text} ({expected})"
        shown = format_plain(Decimal(str(self.value)))
        return self.text if shown == self.text else f"{self.text} ({shown})"


@dataclass(frozen=True)
class EnglishNumber:
    """A number found in English text; dates carry ``month`` (and ``day``)."""

    text: str
    start: int
    end: int
    value: float
    kind: str = "number"  # number, percent, ordinal, word, date, month
    month: int | None = None
    day: int | None = None


@dataclass(frozen=True)
class NumberProblem:
    """A disagreement between source and target numbers, for QA."""

    kind: str  # "missing" (source number not in target), "extra", "rounded"
    severity: str  # "error" or "warning"
    message: str
    source: NumberMention | None = None
    target: EnglishNumber | None = None


# --------------------------------------------------------------------------- Chinese


def _to_decimal(digits: str) -> Decimal:
    return Decimal(digits.translate(_FULLWIDTH).replace(",", ""))


def parse_chinese_numeral(text: str) -> int | None:
    """Value of a Chinese numeral below 10,000 (``二十三`` → 23, ``两百`` → 200), else None."""
    total, current = 0, None
    for ch in text:
        if ch in _CN_DIGIT:
            if current is not None and current != 0 and ch not in "零〇":
                return None  # "一二" style lists are ambiguous
            current = _CN_DIGIT[ch]
        elif ch in _CN_UNIT:
            total += (1 if current is None else current) * _CN_UNIT[ch]
            current = None
        else:
            return None
    return total + (current or 0)


def _overlaps(spans: list[tuple[int, int]], start: int, end: int) -> bool:
    return any(start < e and s < end for s, e in spans)


def _find_dates(text: str) -> list[NumberMention]:
    found = []
    for m in _DATE.finditer(text):
        if m.group("dayonly"):
            day = int(m.group("dayonly").translate(_FULLWIDTH))
            if 1 <= day <= 31:
                found.append(NumberMention(m.group(), m.start(), m.end(), day, "day", day=day))
            continue
        month = int(m.group("month").translate(_FULLWIDTH))
        day = int(m.group("day").translate(_FULLWIDTH)) if m.group("day") else None
        if not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            continue
        start = m.start()
        if m.group("year"):
            year_end = m.start("month")
            found.append(NumberMention(text[start:year_end], start, year_end,
                                       int(m.group("year").translate(_FULLWIDTH)), "year"))
            start = year_end
        kind = "date" if day else "month"
        found.append(NumberMention(text[start:m.end()], start, m.end(), day or month, kind,
                                   month=month, day=day))
    return found


def _arabic_mention(m: re.Match) -> NumberMention:
    value = _to_decimal(m.group("num"))
    scale = m.group("scale")
    if scale:
        value *= _SCALES[scale]
    approx = _APPROX_PREFIX.get(m.group("pre") or "")
    approx = approx or _APPROX_SUFFIX.get(m.group("mid") or m.group("post") or "")
    kind = "number"
    end = m.end()
    if m.group("pct"):
        kind = "percent"
    elif m.group("year"):
        digits = m.group("num").translate(_FULLWIDTH)
        kind = "year" if len(digits) == 4 and 1000 <= int(digits) <= 2199 else "count"
    return NumberMention(m.group()[: end - m.start()], m.start(), end, float(value), kind,
                         approx, scaled=bool(scale))


def _cn_mention(m: re.Match) -> NumberMention | None:
    numeral = m.group("num")
    ordinal = bool(m.group("ord"))
    value = parse_chinese_numeral(numeral)
    if value is None or value == 0:
        return None
    if not ordinal:
        bare_unit = numeral in ("百", "千")
        if numeral == "一" or (bare_unit and not m.group("post")) or not (
            m.group("cls") or m.group("post")
        ):
            return None
    approx = _APPROX_PREFIX.get(m.group("pre") or "") or _APPROX_SUFFIX.get(m.group("post") or "")
    return NumberMention(m.group(), m.start(), m.end(), float(value),
                         "ordinal" if ordinal else "count", approx)


def find_numbers(text: str) -> list[NumberMention]:
    """All numbers mentioned in Chinese ``text``, in order (see the module docstring)."""
    found = _find_dates(text)
    spans = [(n.start, n.end) for n in found]
    for m in _ARABIC_MENTION.finditer(text):
        if _overlaps(spans, m.start("num"), m.end("num")):
            continue
        if m.start() > 0 and text[m.start() - 1] in ".．" and not m.group("pre"):
            continue  # tail of "163.com"-like tokens is read with its head below
        found.append(_arabic_mention(m))
        spans.append((m.start(), m.end()))
    for m in _CN_MENTION.finditer(text):
        if _overlaps(spans, m.start(), m.end()):
            continue
        mention = _cn_mention(m)
        if mention:
            found.append(mention)
    return sorted(found, key=lambda n: n.start)


# --------------------------------------------------------------------------- rewriting


def format_plain(value: Decimal) -> str:
    """``146600`` → ``146,600``; ``12345.6`` → ``12,345.6``; no exponent, no trailing zeros."""
    value = value.normalize()
    if value == value.to_integral_value():
        return f"{int(value):,}"
    integer, _, fraction = f"{value:f}".partition(".")
    return f"{int(integer):,}.{fraction}"


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
        value = _to_decimal(m.group("num")) * _SCALES[m.group("scale")]
        approx = _APPROX_PREFIX.get(m.group("pre") or "")
        approx = approx or _APPROX_SUFFIX.get(m.group("mid") or m.group("post") or "")
        words = format_english(value)
        return f"{approx} {words}" if approx else words

    return _ARABIC_MENTION.sub(replace, text)


# --------------------------------------------------------------------------- English

_MONTHS = ("january", "february", "march", "april", "may", "june", "july", "august",
           "september", "october", "november", "december")
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
    if key in _MONTHS:
        return _MONTHS.index(key) + 1
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


def english_numbers(text: str) -> list[EnglishNumber]:
    """All numbers in English ``text``, in order (see the module docstring)."""
    found = _english_dates(text)
    spans = [(n.start, n.end) for n in found]
    for m in _EN_NUMBER.finditer(text):
        if _overlaps(spans, m.start(), m.end()):
            continue
        value = Decimal(m.group("num").replace(",", ""))
        if m.group("scale"):
            value *= _SCALE_WORDS[m.group("scale").lower()]
        kind = "percent" if m.group("pct") else "ordinal" if m.group("ord") else "number"
        found.append(EnglishNumber(m.group(), m.start(), m.end(), float(value), kind))
        spans.append((m.start(), m.end()))
    for m in _EN_WORD.finditer(text):
        if _overlaps(spans, m.start(), m.end()):
            continue
        parsed = _word_value(m)
        if parsed:
            found.append(EnglishNumber(m.group(), m.start(), m.end(), parsed[0], parsed[1]))
    return sorted(found, key=lambda n: n.start)


def english_values(text: str) -> list[float]:
    """Just the values of :func:`english_numbers` (dates give their day)."""
    return [n.value for n in english_numbers(text)]


# --------------------------------------------------------------------------- matching


def _close(a: float, b: float, tolerance: float) -> bool:
    return abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12)


def _compatible(src: NumberMention, tgt: EnglishNumber, tolerance: float = 1e-9) -> bool:
    if src.kind == "date":
        return tgt.kind == "date" and (tgt.month, tgt.day) == (src.month, src.day)
    if src.kind == "month":
        return tgt.kind in ("date", "month") and tgt.month == src.month
    if tgt.kind == "month":
        return False
    if tgt.kind == "date":
        return src.kind == "day" and tgt.day == src.day
    return _close(src.value, tgt.value, tolerance)


def _take(src: NumberMention, pool: list[EnglishNumber], tolerance: float) -> EnglishNumber | None:
    for i, tgt in enumerate(pool):
        if _compatible(src, tgt, tolerance):
            return pool.pop(i)
    return None


def match_numbers(source: str, target: str, rounding: float = 0.01) -> list[NumberProblem]:
    """Compare numbers in a Chinese ``source`` with its English ``target``.

    Each source number must appear in the target (any accepted English form); missing ones are
    errors (warnings for Chinese-numeral counts and ordinals, often rendered as words). A value
    only within ``rounding`` (relative) is a "rounded" warning. Digit-written
    target numbers matching nothing in the source are "extra" warnings; number words are not
    (``one`` is often a pronoun).
    """
    mentions = find_numbers(source)
    pool = english_numbers(target)
    problems: list[NumberProblem] = []
    unmatched = [m for m in mentions if _take(m, pool, 1e-9) is None]
    for mention in unmatched:
        near = _take(mention, pool, rounding)
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
        if extra.kind in ("number", "percent") and any(c.isdigit() for c in extra.text):
            problems.append(NumberProblem(
                "extra", "warning", f"'{extra.text}' in target has no source number",
                target=extra))
    return problems
