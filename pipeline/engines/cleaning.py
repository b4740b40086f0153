"""Output hygiene for LLM translations: strip wrappers, find Chinese left, detect runaway text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field

from ..han import HAN_RUN, is_han
from ..jiebautil import pos_cut

_FENCE = re.compile(r"^```[\w-]*\s*\n?(.*?)\n?```\s*$", re.S)
_LABEL = re.compile(
    r"^\s*(?:\*\*|__)?(?:(?:here\s+is|here's)\s+(?:the|my)\s+(?:english\s+)?translation"
    r"(?:\s+of\s+[^:\n]{0,60})?|(?:the\s+)?(?:english\s+)?translation(?:\s+in\s+english)?"
    r"|translated(?:\s+text)?|english(?:\s+text|\s+version)?|output|answer|result|target"
    r"|en)\s*(?:\*\*|__)?\s*[:：]\s*(?:\*\*|__)?\s*",
    re.I,
)
_NOTE = re.compile(
    r"(?:^|\n|\s)[(\[（*]*\s*(?:notes?|explanation|translator'?s? note|n\.b\.)\s*[:：]",
    re.I,
)
_QUOTES = (('"', '"'), ("“", "”"), ("'", "'"), ("‘", "’"), ("「", "」"), ("『", "』"))
_SENTENCE = re.compile(r"(?<=[.!?])\s+")


@dataclass
class Cleaned:
    """A cleaned model output and what was removed (for ``Translation.notes``)."""

    text: str
    removed: list[str] = field(default_factory=list)


def cjk_words(text: str) -> list[str]:
    """Runs of Chinese characters in ``text``, in order, without duplicates."""
    seen: dict[str, None] = {}
    for run in HAN_RUN.findall(text):
        seen.setdefault(run, None)
    return list(seen)


def is_echo(text: str) -> bool:
    """The model answered in Chinese (usually the source echoed back) instead of English."""
    return _mostly_cjk(text)


def _mostly_cjk(line: str) -> bool:
    letters = [c for c in line if c.isalpha()]
    return bool(letters) and sum(is_han(c) for c in letters) > len(letters) / 2


def _strip_quotes(text: str, source: str) -> tuple[str, bool]:
    src = source.strip()
    for left, right in _QUOTES:
        if len(text) > 1 and text.startswith(left) and text.endswith(right):
            inner = text[len(left) : -len(right)]
            if left in inner or right in inner:
                continue  # "a" and "b": not one wrapping pair
            if src[:1] in "“\"「『'‘" and src[-1:] in "”\"」』'’":
                return text, False  # the source itself is quoted
            return inner.strip(), True
    return text, False


def clean_output(raw: str, source: str = "") -> Cleaned:
    """Strip what the model wraps around a translation.

    Removes code fences, leading labels ("Translation:", "Here is the translation:"),
    trailing notes ("Note: …", "(Explanation: …)"), an echoed Chinese source line, and
    quotes wrapping the whole output unless the source is itself quoted.
    """
    removed: list[str] = []
    text = raw.strip()
    fence = _FENCE.match(text)
    if fence:
        text = fence.group(1).strip()
        removed.append("code fence")
    note = _NOTE.search(text)
    if note and note.start() > 0:
        removed.append("note: " + text[note.start() :].strip()[:80])
        text = text[: note.start()].strip()
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if len(lines) > 1:
        kept = [line for line in lines if not _mostly_cjk(line)]
        if kept and len(kept) < len(lines):
            removed.append("echoed source")
            lines = kept
    while lines:
        label = _LABEL.match(lines[0])
        if not label:
            break
        removed.append("label: " + label.group().strip())
        rest = lines[0][label.end() :].strip()
        lines = ([rest] if rest else []) + lines[1:]
    text = " ".join(lines)
    text = re.sub(r"\s*(?:\*\*|__)\s*$", "", text).strip()
    tidied = re.sub(r"“ +", "“", re.sub(r" +”", "”", text))  # “ Circle ” → “Circle”
    if tidied != text:
        removed.append("spaces inside quotes")
        text = tidied
    text, quoted = _strip_quotes(text, source)
    if quoted:
        removed.append("wrapping quotes")
    return Cleaned(text, removed)


def runaway_limit(source: str, ratio: float) -> int:
    """Largest plausible output length (characters) for ``source`` at ``ratio`` chars per char."""
    return int(len(source) * ratio) + 40


def dedupe_repeats(text: str) -> str:
    """Drop sentences that repeat an earlier one (the usual shape of a decoding loop)."""
    out: list[str] = []
    for sentence in _SENTENCE.split(text):
        if sentence and sentence not in out:
            out.append(sentence)
    return " ".join(out)


def is_runaway(source: str, text: str, ratio: float = 8.0) -> bool:
    """Output far longer than the source allows, or a repeated sentence or phrase."""
    if len(text) > runaway_limit(source, ratio):
        return True
    if dedupe_repeats(text) != " ".join(s for s in _SENTENCE.split(text) if s):
        return True
    words = text.split()
    for size in (3, 4, 5, 6):
        grams = [" ".join(words[i : i + size]) for i in range(len(words) - size + 1)]
        if grams and max(grams.count(g) for g in set(grams)) >= 4:
            return True
    return False


def cut_runaway(source: str, text: str, ratio: float = 8.0) -> str:
    """Best-effort repair: remove repeated sentences, then cut at a sentence end within limit."""
    text = dedupe_repeats(text)
    limit = runaway_limit(source, ratio)
    if len(text) <= limit:
        return text
    head = text[:limit]
    end = max(head.rfind(". "), head.rfind("! "), head.rfind("? "))
    return head[: end + 1] if end > 0 else head.rstrip()


def source_words(source: str, left: Sequence[str]) -> list[tuple[str, str]]:
    """The jieba words of ``source`` that hold the Chinese ``left`` in an output, with tags.

    The model often half-translates a word (乌镇 → "U镇"), so the whole source word is named.
    """
    found: dict[str, str] = {}
    for word, flag in pos_cut(source):
        if any(word in w or w in word for w in left):
            found.setdefault(word, flag)
    return list(found.items()) or [(w, "") for w in left]


def place_pinyin(word: str) -> str | None:
    """Pinyin spelling of a Chinese place name (乌镇 → Wuzhen), or None without pypinyin."""
    try:
        from pypinyin import lazy_pinyin
    except ImportError:  # pragma: no cover - pypinyin is a dependency
        return None
    return "".join(lazy_pinyin(word)).capitalize() or None


def _glued_place(tail: str) -> re.Pattern[str]:
    """``tail`` with what is glued before it: a garbled 1–2 letter start ("U镇") in group
    ``garbled``, the end of an English word ("this江南") in group ``word``, or nothing."""
    return re.compile(
        rf"(?:(?<![A-Za-z])(?P<garbled>[A-Za-z]{{1,2}})|(?P<word>(?<=[A-Za-z]))|)"
        rf"{re.escape(tail)}"
    )


def _respace(match: re.Match[str], spelled: str) -> str:
    """The pinyin spelling, replacing a garbled start, or set apart from a glued word."""
    if match.group("garbled") is not None:
        return spelled
    if match.group("word") is not None and match.start() > 0:
        return " " + spelled
    return spelled


def romanize_places(text: str, source: str, left: list[str]) -> tuple[str, list[str]]:
    """Last resort after a retry: spell Chinese place names left in ``text`` in pinyin.

    Only words jieba tags as places (``ns``) are touched; a Latin fragment glued to the
    Chinese (the model's garbled start, as in "U镇" for 乌镇) is replaced with it.
    Returns the new text and a note per replacement.
    """
    notes = []
    for word, flag in source_words(source, left):
        spelled = place_pinyin(word) if flag == "ns" else None
        if not spelled:
            continue
        tails = sorted({w for w in left if w in word}, key=len, reverse=True)
        for tail in tails:
            text, n = _glued_place(tail).subn(lambda m, s=spelled: _respace(m, s), text)
            if n:
                notes.append(f"place name romanized: {word} → {spelled}")
                break
    return text, notes


_SPLIT_NUMBER = re.compile(r"(?<![\d.,])(\d+)([.,]) (\d+)")


def rejoin_split_numbers(text: str, sent: str) -> tuple[str, list[str]]:
    """Undo a space the model put inside a number it was given (``146,600`` came back as
    ``146, 600``, ``2.15 million`` as ``2. 15 million``): only numbers that occur, joined,
    in ``sent`` (the text the model was asked to translate)."""
    notes: list[str] = []

    def join(m: re.Match) -> str:
        joined = m.group(1) + m.group(2) + m.group(3)
        if re.search(rf"(?<![\d.,]){re.escape(joined)}(?!\d)", sent):
            notes.append(f"number rejoined: {m.group()} → {joined}")
            return joined
        return m.group()

    return _SPLIT_NUMBER.sub(join, text), notes
