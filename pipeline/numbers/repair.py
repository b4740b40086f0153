"""Putting back numbers the MT copied with the wrong power of ten.

``36.7万`` rendered as ``36,700`` is repaired to ``367,000`` when exactly one candidate fits.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from decimal import Decimal

from .base import EnglishNumber, NumberMention, format_plain
from .chinese import find_numbers
from .english import YEAR_LIKE, english_numbers
from .matching import pair_numbers, values_close
from .rewrite import format_english


def _significand(value: float) -> tuple[int, ...]:
    """The significant digits: ``367000`` and ``3.67`` → ``(3, 6, 7)``."""
    return Decimal(str(value)).normalize().as_tuple().digits


def _slip(src: NumberMention, tgt: EnglishNumber) -> bool:
    """Whether ``tgt`` may be ``src`` copied with the wrong power of ten."""
    if tgt.kind != src.kind or not 0 < tgt.value < math.inf or not math.isfinite(src.value):
        return False
    if not any(c.isdigit() for c in tgt.text):
        return False
    if YEAR_LIKE.fullmatch(tgt.text):
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
    return text if len(back) == 1 and values_close(back[0].value, src.value, 1e-9) else None


def repair_scale_slips(source: str, target: str) -> tuple[str, list[str]]:
    """Put back numbers the MT copied with the wrong power of ten (``36.7万`` → ``36,700``).

    A digit-written source number or percent missing from ``target`` is repaired only when
    exactly one unmatched target number of the same kind has the same significant digits and no
    other missing source number claims it. Returns the target (unchanged when nothing applies)
    and notes such as ``number repaired: 36,700 → 367,000``.
    """
    pool = english_numbers(target)
    missing = [m for m, near in pair_numbers(find_numbers(source), pool, 0.01) if near is None
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
