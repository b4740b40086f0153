"""The one definition of Han characters and the stages that use it."""

from __future__ import annotations

import pytest

from pipeline.engines.cleaning import cjk_words
from pipeline.engines.names import person_pinyin
from pipeline.han import has_han, is_han
from pipeline.normalize import normalize_key
from pipeline.segment.sentences import is_wordchar


@pytest.mark.parametrize(
    ("char", "han"),
    [
        ("中", True),
        ("\u3400", True),  # Extension A, first
        ("\u4dbf", True),  # Extension A, last
        ("\u4dc0", False),  # Yijing hexagram symbol, between Extension A and the Unified block
        ("\u4e00", True),
        ("\u9fff", True),
        ("\uf900", True),  # compatibility ideograph
        ("\ufaff", True),
        ("。", False),
        ("，", False),
        ("あ", False),
        ("A", False),
        ("7", False),
    ],
)
def test_is_han_ranges(char: str, han: bool) -> None:
    assert is_han(char) is han
    assert has_han(f"x{char}y") is han


def test_stages_share_the_definition() -> None:
    ext_a = "\u3400"
    assert cjk_words(f"the {ext_a}中 left") == [f"{ext_a}中"]
    assert is_wordchar(ext_a) and not is_wordchar("。")
    assert normalize_key(f"中 {ext_a}") == f"中{ext_a}"
    assert person_pinyin("任贤良") == "Ren Xianliang"
    assert person_pinyin("Ren") is None
