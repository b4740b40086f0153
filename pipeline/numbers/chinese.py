"""Numbers in Chinese text (:func:`find_numbers`).

Scope:

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
"""

from __future__ import annotations

import re
from decimal import Decimal

from .base import DAY, NumberMention, add_disjoint, overlaps

_FULLWIDTH = str.maketrans("０１２３４５６７８９．％，", "0123456789.%,")

SCALES = {
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
APPROX_PREFIX = {
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
APPROX_SUFFIX = {"多": "more than", "余": "more than"}

DIGITS = r"[0-9０-９]"
_ARABIC = (
    rf"{DIGITS}{{1,3}}(?:,{DIGITS}{{3}})+(?![0-9０-９])(?:[.．]{DIGITS}+)?"
    rf"|{DIGITS}+(?:[.．]{DIGITS}+)?"
)
_PREFIX_RE = "|".join(sorted(APPROX_PREFIX, key=len, reverse=True))
_SCALE_RE = "|".join(sorted(SCALES, key=len, reverse=True))

_DATE = re.compile(
    rf"(?:(?P<year>{DIGITS}{{4}})年)?(?P<month>{DIGITS}{{1,2}})月(?:(?P<day>{DIGITS}{{1,2}})[日号])?"
    rf"|(?<![0-9０-９月])(?P<dayonly>{DIGITS}{{1,2}})[日号]"
)
ARABIC_MENTION = re.compile(
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
    rf"(?P<half>{'|'.join(_AM_WORDS + _PM_WORDS)})?(?<![0-9０-９.．])(?P<hour>{DIGITS}{{1,2}})"
    rf"(?:(?P<unit>时(?![{_NOT_CLOCK_SHI}])|点)"
    rf"(?:(?P<minute>{DIGITS}{{1,2}})分(?!钟)(?:(?P<second>{DIGITS}{{1,2}})秒)?|(?P<halfhour>半))?"
    rf"(?P<oclock>钟|整)?(?P<about>许)?"
    rf"|[:：](?P<cminute>{DIGITS}{{2}})(?:[:：](?P<csecond>{DIGITS}{{2}}))?"
    rf"(?![0-9０-９]|[:：.．][0-9０-９]))"
)
_CN_DIGIT = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6,
             "七": 7, "八": 8, "九": 9}
_CN_UNIT = {"十": 10, "百": 100, "千": 1000}
_CLASSIFIERS = "年个家项次届位名人天岁倍条种大类批场座所支件份轮周只款国省市县章代部期"
_CN_MENTION = re.compile(
    rf"(?P<ord>第)?(?P<pre>{_PREFIX_RE})?(?P<num>[零〇一二两三四五六七八九十百千]+)(?P<post>[多余])?"
    rf"(?P<cls>[{_CLASSIFIERS}])?"
)


def to_decimal(digits: str) -> Decimal:
    """The value of Arabic or full-width digits with ``,`` separators."""
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


def to_int(digits: str) -> int:
    """The value of a run of Arabic or full-width digits."""
    return int(digits.translate(_FULLWIDTH))


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
    hour = to_int(m.group("hour"))
    minute = to_int(m.group("minute") or m.group("cminute") or "0")
    second = to_int(m.group("second") or m.group("csecond") or "0")
    minute += 30 if m.group("halfhour") else 0
    if hour * 60 + minute > DAY or minute > 59 or second > 59:
        return None
    if m.group("unit") == "点" and not _clock_context(text, m):
        return None  # 3点建议: three suggestions
    if m.group("half") in _PM_WORDS and 1 <= hour <= 11:
        hour += 12
    return NumberMention(m.group(), m.start(), m.end(), hour * 60 + minute + second / 60, "time",
                         "about" if m.group("about") else None)


def find_times(text: str) -> list[NumberMention]:
    """The clock times in ``text`` (see the module docstring)."""
    found = (_time_mention(m, text) for m in _CN_TIME.finditer(text))
    return [t for t in found if t is not None]


def _arabic_mention(m: re.Match) -> NumberMention:
    value = to_decimal(m.group("num"))
    scale = m.group("scale")
    if scale:
        value *= SCALES[scale]
    approx = APPROX_PREFIX.get(m.group("pre") or "")
    approx = approx or APPROX_SUFFIX.get(m.group("mid") or m.group("post") or "")
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
    approx = APPROX_PREFIX.get(m.group("pre") or "") or APPROX_SUFFIX.get(m.group("post") or "")
    return NumberMention(m.group(), m.start(), m.end(), float(value),
                         "ordinal" if ordinal else "count", approx)


def find_numbers(text: str) -> list[NumberMention]:
    """All numbers mentioned in Chinese ``text``, in order (see the module docstring)."""
    found = _find_dates(text)
    spans = [(n.start, n.end) for n in found]
    add_disjoint(found, spans, find_times(text))
    for m in ARABIC_MENTION.finditer(text):
        if overlaps(spans, m.start("num"), m.end("num")):
            continue
        if m.start() > 0 and text[m.start() - 1] in ".．" and not m.group("pre"):
            continue  # tail of "163.com"-like tokens is read with its head below
        found.append(_arabic_mention(m))
        spans.append((m.start(), m.end()))
    for m in _CN_MENTION.finditer(text):
        if overlaps(spans, m.start(), m.end()):
            continue
        mention = _cn_mention(m)
        if mention:
            found.append(mention)
    return sorted(found, key=lambda n: n.start)

