"""Han (Chinese) characters: the one definition of their code points.

``HAN_RANGES`` is the inside of a regex character class covering CJK Unified Ideographs
Extension A (U+3400–4DBF), the Unified Ideographs (U+4E00–9FFF), the Compatibility
Ideographs (U+F900–FAFF) and the supplementary-plane extensions B–H with their
compatibility supplement (U+20000–3134F, rare names and place names); patterns that need
Han beside other characters embed it.
"""

from __future__ import annotations

import re

HAN_RANGES = r"\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\U00020000-\U0003134f"
HAN = re.compile(f"[{HAN_RANGES}]")
HAN_RUN = re.compile(f"[{HAN_RANGES}]+")


def is_han(char: str) -> bool:
    """Whether the single character ``char`` is a Han character."""
    return HAN.fullmatch(char) is not None


def has_han(text: str) -> bool:
    """Whether ``text`` contains a Han character."""
    return HAN.search(text) is not None
