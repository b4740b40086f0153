"""Numbers in Chinese source and English target text, and checking that they agree.

Scope of :func:`find_numbers` (Chinese):

- Arabic and full-width digits, decimals, ``,`` thousands separators (exactly three digits
  follow; ``，`` is clause punctuation and never a separator), percentages (``%``/``％``);
- scale words after digits: ``万`` (1e4), ``十万``/``百万``/``千万``, ``亿`` (1e8), ``万亿`` (1e12);
- approximations: ``2万多``/``20多万``/``8万余`` (more than), ``超``/``超过``/``逾``/``多达`` (more
  than), ``近``/``将近``/``接近`` (nearly), ``约``/``大约`` (about), ``不到``/``不足`` (less than);
  recorded in :attr:`NumberMention.approx` but not enforced when matching;
- years (``2015年``, four digits 1000-2199), dates (``11月6日``, ``11月``, ``6日``/``6号``);
- clock times (value: minutes since midnight): ``14时37分``/``14点37分``, ``9时``, ``9点半``,
  ``14时许`` (about), ``14:37``, with ``上午``/``早上``/``凌晨`` (a.m.) or ``下午``/``晚上``/
  ``傍晚``/``中午`` (p.m.: hours 1-11 gain 12) before them. A bare ``N时`` needs N <= 24 and no
  word such as ``时间``/``时代``/``时期`` (``24小时`` is a duration, a plain number); a bare
  ``N点`` needs a clock context (``上午9点``, ``9点钟``, ``9点开始``, ``6日9点``), as ``3点建议``
  is "three suggestions";
- Chinese numerals only where unambiguous: ordinals ``第十``/``第二届`` and counts before a
  classifier (``十年``, ``三年``, ``两个``, ``六大洲``). A bare ``一`` (usually "a"/"an") and a bare
  ``百``/``千``/``万`` (idioms such as ``千家万户``) are skipped; ``百余``/``千余`` count.
- Digit runs joined by ``-`` (phone numbers) are read as separate numbers on both sides.

English (:func:`english_numbers`): digits with separators, ``thousand``/``million``/``billion``/
``trillion``, ``%``/``percent``/``per cent``, ordinals ``18th``, number words zero-ninety-nine and
``first``-``twentieth``, ``decade`` (10), ``two decades`` (20), dates ``November 6``/
``6 November``/``Nov. 6``, and
clock times ``14:37``, ``2:37 p.m.``/``2:37pm``/``2 PM``, ``9 in the morning``, ``2 o'clock``,
``noon``/``midnight``. A time with no a.m./p.m. on a 12-hour clock (``2:37``, ``2 o'clock``) is
``ambiguous`` and matches a source time modulo 12 hours.

Rewriting for MT input (:func:`rewrite_for_mt`): :func:`rewrite_dates_times` (``2023年11月6日``
→ ``November 6, 2023``, ``下午2时37分`` → ``14:37``) then :func:`rewrite_scale_words` (``215万`` →
``2.15 million``). After MT, :func:`repair_scale_slips` fixes a number copied with the wrong power
of ten (``36.7万`` → ``36,700`` is put back to ``367,000``) when exactly one candidate fits.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from functools import partial

_DAY = 24 * 60  # minutes
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
_AM_WORDS = ("上午", "早上", "早晨", "清晨", "凌晨")
_PM_WORDS = ("下午", "晚上", "晚间", "傍晚", "中午")
_NOT_CLOCK_SHI = "间代期候刻段速长差任辰尚光节效事政空报区"  # 时间, 时代, 时期 ... are no times
_CLOCK_AFTER_DIAN = ("前", "后", "起", "至", "到", "开", "左右", "以前", "以后")
_COUNT_AFTER_DIAN = ("建议", "要求", "意见", "措施", "举措", "内容", "共识", "希望", "看法", "做法",
                     "经验", "原因", "理由", "想法", "体会", "启示", "原则", "主张")  # 3点建议
_CN_TIME = re.compile(
    rf"(?P<half>{'|'.join(_AM_WORDS + _PM_WORDS)})?(?<![0-9０-９.．])(?P<hour>{_DIGITS}{{1,2}})"
    rf"(?:(?P<unit>时(?![{_NOT_CLOCK_SHI}])|点)"
    rf"(?:(?P<minute>{_DIGITS}{{1,2}})分(?!钟)(?:(?P<second>{_DIGITS}{{1,2}})秒)?|(?P<halfhour>半))?"
    rf"(?P<oclock>钟|整)?(?P<about>许)?"
    rf"|[:：](?P<cminute>{_DIGITS}{{2}})(?:[:：](?P<csecond>{_DIGITS}{{2}}))?"
    rf"(?![0-9０-９]|[:：.．][0-9０-９]))"
)
_MT_DATE = re.compile(
    rf"(?<![0-9０-９.．])(?:(?P<year>{_DIGITS}{{4}})年)?"
    rf"(?:(?P<first>{_DIGITS}{{1,2}})(?P<sep>[-—–~～至到]))?(?P<month>{_DIGITS}{{1,2}})月"
    rf"(?:(?P<day>{_DIGITS}{{1,2}})(?:(?P<dsep>[-—–~～至到])(?P<last>{_DIGITS}{{1,2}}))?[日号]|份)?"
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
            expected = _MONTHS[(self.month or 1) - 1].capitalize()
            if self.day:
                expected += f" {self.day}"
            return f"{self.text} ({expected})"
        if self.kind == "time":
            shown = _clock(self.value)
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


def _int(digits: str) -> int:
    return int(digits.translate(_FULLWIDTH))


def _clock(minutes: float) -> str:
    """``877`` → ``14:37``; seconds only when there are some (``14:37:05``)."""
    whole, second = divmod(round(minutes * 60), 60)
    hour, minute = divmod(whole, 60)
    return f"{hour}:{minute:02d}" + (f":{second:02d}" if second else "")


def _clock_context(text: str, m: re.Match) -> bool:
    """Whether ``N点`` is a clock time (``9点开始``, ``6日9点``) and not a count (``3点建议``)."""
    if m.group("half") or m.group("minute") or m.group("halfhour") or m.group("oclock"):
        return True
    if m.group("about") or m.end() == len(text) or text.startswith(_CLOCK_AFTER_DIAN, m.end()):
        return True
    if text.startswith(_COUNT_AFTER_DIAN, m.end()):
        return False
    return m.start() > 0 and text[m.start() - 1] in "日号：:"


def _time_mention(m: re.Match, text: str) -> NumberMention | None:
    hour = _int(m.group("hour"))
    minute = _int(m.group("minute") or m.group("cminute") or "0")
    second = _int(m.group("second") or m.group("csecond") or "0")
    minute += 30 if m.group("halfhour") else 0
    if hour * 60 + minute > _DAY or minute > 59 or second > 59:
        return None
    if m.group("unit") == "点" and not _clock_context(text, m):
        return None  # 3点建议: three suggestions
    if m.group("half") in _PM_WORDS and 1 <= hour <= 11:
        hour += 12
    return NumberMention(m.group(), m.start(), m.end(), hour * 60 + minute + second / 60, "time",
                         "about" if m.group("about") else None)


def _find_times(text: str) -> list[NumberMention]:
    found = (_time_mention(m, text) for m in _CN_TIME.finditer(text))
    return [t for t in found if t is not None]


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
    for mention in _find_times(text):
        if not _overlaps(spans, mention.start, mention.end):
            found.append(mention)
            spans.append((mention.start, mention.end))
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


def _joint(sep: str) -> str:
    return " to " if sep in "至到" else "-"


def _mt_date(m: re.Match) -> str | None:
    """English for a :data:`_MT_DATE` match, None when a part is out of range."""
    parts = {k: _int(v) for k, v in m.groupdict().items() if v and k not in ("sep", "dsep")}
    ok = {"year": (1000, 2199), "first": (1, 12), "month": (1, 12), "day": (1, 31),
          "last": (1, 31)}
    if any(not ok[k][0] <= v <= ok[k][1] for k, v in parts.items()) or (
            "first" in parts and "day" in parts):
        return None
    words = _MONTHS[parts["month"] - 1].capitalize()
    if "first" in parts:  # 1-10月: January-October
        words = _MONTHS[parts["first"] - 1].capitalize() + _joint(m.group("sep")) + words
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
    for time in _find_times(text):
        if re.search("[时点]", time.text) and not _overlaps(spans, time.start, time.end):
            clock = _clock(time.value)
            edits.append((time.start, time.end, f"about {clock}" if time.approx else clock))
    return _splice(text, edits)


def rewrite_for_mt(text: str) -> str:
    """The MT input: :func:`rewrite_dates_times`, then :func:`rewrite_scale_words`."""
    return rewrite_scale_words(rewrite_dates_times(text))


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
_EN_TIME = re.compile(
    r"(?:\b12\s+)?\b(?P<word>noon|midnight)\b"
    r"|(?<![\d.,:])(?P<hour>\d{1,2})(?::(?P<minute>\d{2})(?::(?P<second>\d{2}))?)?"
    r"(?![\d:]|[.,]\d)(?:\s*(?P<mer>[ap])\.?\s?m\b\.?|\s+(?P<oclock>o['’]clock)\b"
    r"|\s+(?P<part>in\s+the\s+(?:morning|afternoon|evening)|at\s+night)\b)?",
    re.IGNORECASE,
)
_YEAR_LIKE = re.compile(r"1\d{3}|2[01]\d{2}")
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
    found = [t for t in map(_english_time, _EN_TIME.finditer(text)) if t and t.value <= _DAY]
    found += _english_decades(text)
    spans = [(n.start, n.end) for n in found]
    for date in _english_dates(text):
        if not _overlaps(spans, date.start, date.end):
            found.append(date)
            spans.append((date.start, date.end))
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
    """Just the values of :func:`english_numbers` (dates give their day, times minutes)."""
    return [n.value for n in english_numbers(text)]


# --------------------------------------------------------------------------- matching


def _close(a: float, b: float, tolerance: float) -> bool:
    return a == b or abs(a - b) <= tolerance * max(abs(a), abs(b), 1e-12)


def _compatible(src: NumberMention, tgt: EnglishNumber, tolerance: float = 1e-9) -> bool:
    if src.kind == "time" or tgt.kind == "time":
        diff = (src.value - tgt.value) % _DAY  # 24:00 is midnight
        return src.kind == tgt.kind and (diff == 0 or (tgt.ambiguous and diff % (_DAY / 2) == 0))
    if src.kind == "date":
        return tgt.kind == "date" and (tgt.month, tgt.day) == (src.month, src.day)
    if src.kind == "month":
        return tgt.kind in ("date", "month") and tgt.month == src.month
    if tgt.kind == "month":
        return False
    if tgt.kind == "date":
        return src.kind == "day" and tgt.day == src.day
    return _close(src.value, tgt.value, tolerance)


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


def _pair(mentions: list[NumberMention], pool: list[EnglishNumber],
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
    for mention, near in _pair(find_numbers(source), pool, rounding):
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


# --------------------------------------------------------------------------- repair


def _significand(value: float) -> tuple[int, ...]:
    """The significant digits: ``367000`` and ``3.67`` → ``(3, 6, 7)``."""
    return Decimal(str(value)).normalize().as_tuple().digits


def _slip(src: NumberMention, tgt: EnglishNumber) -> bool:
    """Whether ``tgt`` may be ``src`` copied with the wrong power of ten."""
    if tgt.kind != src.kind or not 0 < tgt.value < math.inf or not math.isfinite(src.value):
        return False
    if not any(c.isdigit() for c in tgt.text):
        return False
    if _YEAR_LIKE.fullmatch(tgt.text):
        return False  # 2023 is a year, not 20.23万
    digits = _significand(tgt.value)
    return digits == _significand(src.value) and (len(digits) > 1 or tgt.value >= 10)


def _repaired_text(src: NumberMention, tgt: EnglishNumber) -> str | None:
    value = Decimal(str(src.value))
    if src.kind == "percent":  # keep "%"/"percent", replace the digits
        head = re.match(r"[\d.,]+", tgt.text)
        text = format_plain(value) + tgt.text[head.end():] if head else ""
    else:
        text = format_english(value)
    back = english_numbers(text)
    return text if len(back) == 1 and _close(back[0].value, src.value, 1e-9) else None


def repair_scale_slips(source: str, target: str) -> tuple[str, list[str]]:
    """Put back numbers the MT copied with the wrong power of ten (``36.7万`` → ``36,700``).

    A digit-written source number or percent missing from ``target`` is repaired only when
    exactly one unmatched target number of the same kind has the same significant digits and no
    other missing source number claims it. Returns the target (unchanged when nothing applies)
    and notes such as ``number repaired: 36,700 → 367,000``.
    """
    pool = english_numbers(target)
    missing = [m for m, near in _pair(find_numbers(source), pool, 0.01) if near is None
               and m.kind in ("number", "percent") and any(c.isdigit() for c in m.text)]
    options = {id(m): [t for t in pool if _slip(m, t)] for m in missing}
    claims = Counter(t.start for found in options.values() for t in found)
    edits: list[tuple[EnglishNumber, str]] = []
    for mention in missing:
        found = options[id(mention)]
        if len(found) != 1 or claims[found[0].start] != 1:
            continue
        text = _repaired_text(mention, found[0])
        if text is not None:
            edits.append((found[0], text))
    notes = []
    for tgt, text in sorted(edits, key=lambda edit: edit[0].start, reverse=True):
        target = target[:tgt.start] + text + target[tgt.end:]
        notes.append(f"number repaired: {tgt.text} → {text}")
    return target, notes[::-1]
