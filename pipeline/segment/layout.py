"""Newspaper layout analysis: paragraph kinds and sentences rejoined across columns.

A *line* here is a non-empty line of the source (whitespace-only lines do not count);
lines are numbered from 1 and these numbers are the ``source_paragraphs`` of segments.

Joins: a body line that ends mid-word (a *head*) is joined with a later body line (a
*tail*) when a jieba dictionary word spans the junction (tokenised without HMM, so no
invented words), the tail does not start like a new paragraph (speaker label, dateline,
quote), and the tail lies within ``join_distance`` lines. Each head and tail is used at
most once; the nearest candidate (then the most frequent word) wins. Joins only look
forward: a continuation is printed after the paragraph it continues.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator
from dataclasses import dataclass

from ..han import HAN_RANGES
from ..jiebautil import stock_tokenizer
from .sentences import CLOSERS, fold, is_wordchar

_LINE = re.compile(r"^[^\S\n]*(\S(?:[^\n]*\S)?)[^\S\n]*$", re.M)

_NAME = rf"[{HAN_RANGES}·]{{2,6}}"
_SP = r"[^\S\n]"
_ORG = r"(?:本报|新华社|中新社|人民日报|人民网|新华网|央视网|中国新闻网)"
_CREDIT_ROLE = rf"(?:{_ORG}?(?:特约|特派|见习|首席|实习)?(?:摄影)?(?:记者|通讯员|实习生))"

ELLIPSIS_LINE = re.compile(r"^(?:[…⋯]+|\.{3,}|。{3,})$")
MARKER_LINE = re.compile(
    r"^[(（]\s*(?:上接|下接|上转|下转|转|接|紧接)\s*第?\s*[0-9０-９一二三四五六七八九十百零〇]+\s*版"
    r"\s*[)）]$"
)
CAPTION_CREDIT = re.compile(
    rf"(?:^|(?<=[。！？!?”）)]))(?:{_SP}*{_CREDIT_ROLE})?{_SP}*{_NAME}(?:{_SP}+{_NAME})*"
    rf"{_SP}*/?{_SP}*(?:摄|摄影|供图)$"
)
BYLINE_LINE = re.compile(
    rf"^(?:{_CREDIT_ROLE}(?:{_SP}+{_NAME})*)(?:{_SP}+{_CREDIT_ROLE}(?:{_SP}+{_NAME})+)*$"
    rf"|^[(（]{_SP}*{_CREDIT_ROLE}[^()（）\n]{{0,40}}[)）]$"
)
#: A dateline opening a body paragraph: 本报讯(记者 …), 本报乌镇11月6日电(记者 朱承).
DATELINE = re.compile(
    rf"^{_ORG}(?:讯|[{HAN_RANGES}·]{{0,10}}\d{{1,2}}月\d{{1,2}}日(?:讯|电))"
    rf"(?:{_SP}*[(（][^()（）\n]{{1,80}}[)）])?"
)
#: A parenthesised credit such as (本报记者 姜晓蓉 整理), split off as its own segment.
CREDIT_PIECE = re.compile(rf"[(（]{_SP}*{_CREDIT_ROLE}[^()（）\n]{{0,40}}[)）]")
_SPEAKER = re.compile(rf"^[{HAN_RANGES}·A-Za-z]{{1,12}}[：:]")
_FURNITURE_FEATURES = tuple(
    re.compile(p)
    for p in (
        r"\d{4}\s*年\s*\d{1,2}\s*月\s*\d{1,2}\s*日",
        r"星期[一二三四五六日天]",
        r"责任编辑|责编|美术编辑|版式设计|校对|值班编辑",
        r"联系电话|电话[:：]",
        r"邮箱|电子邮件|[Ee]-?mail",
        r"第\s*[0-9一二三四五六七八九十]+\s*版",
    )
)
_INTERNAL_END = re.compile(r"[。！？…⋯]")

log = logging.getLogger(__name__)


@dataclass
class Line:
    """One non-empty source line and what the layout analysis found about it."""

    number: int  # 1-based among non-empty lines
    start: int  # offsets of the whitespace-trimmed line in the text
    end: int
    text: str
    kind: str = "body"
    headline_like: bool = False  # short, unterminated, no sentence inside
    open_end: bool = False  # ends mid-sentence
    joinable_end: bool = False  # ends on a word character (a word may be cut)
    can_continue: bool = False  # may continue an earlier line
    tail: int | None = None  # number of the line that continues this one
    continues: int | None = None  # number of the line this one continues
    evidence: str = ""


def iter_lines(text: str) -> Iterator[Line]:
    """Non-empty lines of ``text``, trimmed, numbered from 1."""
    for number, match in enumerate(_LINE.finditer(text), 1):
        start, end = match.span(1)
        yield Line(number, start, end, match.group(1))


def classify(line: Line, headline_max: int) -> None:
    """Set ``line.kind`` and its join properties from the line's text alone."""
    text = line.text
    if ELLIPSIS_LINE.match(text):
        line.kind = "ellipsis"
    elif MARKER_LINE.match(text):
        line.kind = "marker"
    elif _is_furniture(text):
        line.kind = "furniture"
    elif BYLINE_LINE.match(text) or DATELINE.fullmatch(text):
        line.kind = "byline"
    elif CAPTION_CREDIT.search(text):
        line.kind = "caption"
    else:
        _classify_text(line, headline_max)


def _is_furniture(text: str) -> bool:
    if len(text) > 160 or "。" in text:
        return False
    return sum(1 for feature in _FURNITURE_FEATURES if feature.search(text)) >= 2


def _classify_text(line: Line, headline_max: int) -> None:
    folded = fold(line.text)
    last = folded.rstrip(CLOSERS)[-1:] or folded[-1]
    closed = last in "。！？…⋯；：" or (last == "." and not folded.endswith(".."))
    line.open_end = is_wordchar(folded[-1]) or folded[-1] in "，、"
    line.joinable_end = is_wordchar(folded[-1])
    line.headline_like = (
        not closed and len(folded) <= headline_max and not _INTERNAL_END.search(folded)
    )
    line.kind = "headline" if line.headline_like else "body"
    first = folded[0]
    line.can_continue = (
        not line.headline_like
        and is_wordchar(first)
        and not _SPEAKER.match(folded)
        and not DATELINE.match(folded)
    )


def _tokenizer():
    """jieba with its stock dictionary only: layout decisions never depend on glossary words
    other stages add to jieba's global dictionary, so the same text segments the same way."""
    return stock_tokenizer()


def _open_prefixes(head: str, freq: dict[str, int], longest: int = 5) -> list[str]:
    """Endings of ``head`` that begin some dictionary word (jieba stores all prefixes)."""
    if not head or not is_wordchar(head[-1]):
        return []
    return [head[-i:] for i in range(1, min(longest, len(head)) + 1) if head[-i:] in freq]


def junction_word(
    head: str, tail: str, window: int = 6, prefixes: list[str] | None = None
) -> str | None:
    """The jieba dictionary word spanning ``head + tail`` at their junction, if any.

    Only the last/first ``window`` characters are tokenised, without HMM (so only real
    dictionary words count, never words guessed for unknown character runs).
    """
    tok = _tokenizer()
    if prefixes is None:
        prefixes = _open_prefixes(head, tok.FREQ)
    if not tail or not any(prefix + tail[0] in tok.FREQ for prefix in prefixes):
        return None
    left, right = head[-window:], tail[:window]
    cut = len(left)
    for word, start, end in tok.tokenize(left + right, HMM=False):
        if start < cut < end:
            return word
    return None


def _route_logp(text: str) -> float:
    """Log probability of jieba's best segmentation of ``text`` (dictionary words only)."""
    tok = _tokenizer()
    route: dict[int, tuple[float, int]] = {}
    tok.calc(text, tok.get_DAG(text), route)
    return route[0][0]


def junction_gain(head: str, tail: str, window: int = 6) -> float:
    """How much more probable jieba finds the joined text than the two parts apart."""
    left, right = head[-window:], tail[:window]
    return _route_logp(left + right) - _route_logp(left) - _route_logp(right)


#: Score lost per paragraph between head and tail: nearer continuations win ties.
DISTANCE_PENALTY = 0.02


def find_joins(lines: list[Line], join_distance: int) -> None:
    """Link heads to tails (``line.tail`` / ``line.continues``) with their evidence.

    Every (head, tail) pair with a dictionary word across the junction is a candidate,
    scored by :func:`junction_gain` less a small distance penalty; pairs are taken best
    first, each line serving at most once as head and once as tail.
    """
    candidates = []
    for index, head in enumerate(lines):
        if not (head.joinable_end and head.kind in ("body", "headline")):
            continue
        prefixes = _open_prefixes(head.text, _tokenizer().FREQ)
        if not prefixes:
            continue
        for tail in lines[index + 1 : index + 1 + join_distance]:
            if not tail.can_continue:
                continue
            word = junction_word(head.text, tail.text, prefixes=prefixes)
            if word:
                distance = tail.number - head.number
                gain = junction_gain(head.text, tail.text)
                score = gain - DISTANCE_PENALTY * distance
                candidates.append((-score, distance, head.number, head, tail, word, gain))
    candidates.sort(key=lambda c: c[:3])
    for _, distance, _, head, tail, word, gain in candidates:
        if head.tail is not None or tail.continues is not None:
            continue
        head.tail, tail.continues = tail.number, head.number
        head.kind = "body"
        between = {1: "next paragraph", 2: "1 paragraph between"}.get(
            distance, f"{distance - 1} paragraphs between"
        )
        head.evidence = (
            f"jieba word {word} spans the junction {head.text[-3:]}|{tail.text[:3]} "
            f"(segmentation log-probability +{gain:.1f} when joined); "
            f"continuation starts mid-word; {between}"
        )
        log.info("join line %d + line %d: %s", head.number, tail.number, head.evidence)


def analyse(text: str, headline_max: int = 60, join_distance: int = 40) -> list[Line]:
    """Classify every non-empty line of ``text`` and find the joins."""
    lines = list(iter_lines(text))
    for line in lines:
        classify(line, headline_max)
    find_joins(lines, join_distance)
    return lines
