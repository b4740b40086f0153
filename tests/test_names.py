"""Proper names in pinyin: which names get a required rendering."""

from __future__ import annotations

from pipeline.engines.names import name_terms, person_pinyin, place_name_pinyin
from pipeline.units import Term


def test_person_surname_first() -> None:
    assert person_pinyin("李晓峰") == "Li Xiaofeng"
    assert person_pinyin("欧阳修文") == "Ouyang Xiuwen"


def test_person_rejects_words_and_foreign_names() -> None:
    assert person_pinyin("马拉松") is None  # a dictionary word jieba tags nr
    assert person_pinyin("拜登") is None  # not a Chinese surname
    assert person_pinyin("杨梅") is None  # two characters: too often a word
    assert person_pinyin("Li") is None


def test_place_names() -> None:
    assert place_name_pinyin("丽水") == "Lishui"
    assert place_name_pinyin("泸定县") == "Luding County"
    assert place_name_pinyin("四川省") == "Sichuan Province"
    assert place_name_pinyin("美国") is None  # English name is not pinyin
    assert place_name_pinyin("陕西") is None  # Shaanxi, not Shanxi
    assert place_name_pinyin("契约") is None  # jieba tags it ns; not a place


def test_name_terms_skip_glossary_and_dedupe() -> None:
    terms = name_terms("宁波舟山港的李晓峰说，宁波很好。")
    assert ("宁波", "Ningbo") in [(t.source, t.target) for t in terms]
    assert [t.source for t in terms].count("宁波") == 1
    assert ("李晓峰", "Li Xiaofeng") in [(t.source, t.target) for t in terms]
    covered = name_terms("宁波很好。", [Term("宁波舟山港", "Ningbo-Zhoushan Port")])
    assert "宁波" not in [t.source for t in covered]
    assert all(t.note.startswith("name: ") for t in terms)
