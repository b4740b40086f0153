"""Term protection with placeholders: find, protect, restore (pure functions)."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pipeline.engines.placeholders import (
    find_terms,
    insert_term,
    placeholder_pattern,
    protect,
    restore,
)
from pipeline.units import Term

WIC = Term("世界互联网大会", "World Internet Conference")
WIC_SHORT = Term("互联网", "Internet")
CSF = Term("网络空间命运共同体", "community with a shared future in cyberspace")
ZJ = Term("浙江", "Zhejiang")
APEC = Term("APEC", "APEC")

SOURCE = "构建网络空间命运共同体是世界互联网大会的主题。"


def test_find_terms_longest_first_left_to_right() -> None:
    found = find_terms("世界互联网大会讨论互联网。", [WIC_SHORT, WIC])
    assert [(m.term, m.start, m.end) for m in found] == [(WIC, 0, 7), (WIC_SHORT, 9, 12)]


def test_find_terms_no_overlap_and_absent_terms_ignored() -> None:
    found = find_terms("浙江世界互联网大会", [WIC, WIC_SHORT, ZJ, CSF])
    assert [m.term for m in found] == [ZJ, WIC]
    assert find_terms("", [WIC]) == []


def test_protect_replaces_terms_in_order() -> None:
    p = protect(SOURCE, [WIC, CSF])
    assert p.text == "构建ZX0是ZX1的主题。"
    slots = [(s.index, s.term, s.start, s.end) for s in p.slots]
    assert slots == [(0, CSF, 2, 11), (1, WIC, 12, 19)]
    assert p.source == SOURCE


def test_protect_pads_next_to_latin_and_skips_colliding_stem() -> None:
    assert protect("5G浙江", [ZJ]).text == "5G ZX0"
    p = protect("型号ZX9在浙江", [ZJ])
    assert p.stem == "QX" and p.text == "型号ZX9在QX0"


def test_protect_without_terms_or_with_empty_target_is_identity() -> None:
    assert protect(SOURCE, []).text == SOURCE
    p = protect("浙江", [Term("浙江", " ")])
    assert p.text == "浙江" and not p.slots


THEME = "Building {C} is the theme of {W}."
RESTORE_TABLE = [
    # (MT output, expected text with {C}/{W} for the targets, expected number of notes)
    ("Building ZX0 is the theme of ZX1.", THEME, 0),
    ("Building zx0 is the theme of the Zx1.", "Building {C} is the theme of the {W}.", 0),
    ("Building ZX 0 is the theme of Z X 1.", THEME, 0),
    ("Building ZX-0 is the theme of ZX_1.", THEME, 0),
    ("Building ＺＸ０ is the theme of ZX１.", THEME, 0),
    ("Building ZX0s is the theme ofZX1.", THEME, 0),
    ("ZX1's theme is ZX0.", "{W}'s theme is {C}.", 0),
    ("Building ZX0 ZX0 is the theme of ZX1.", THEME, 1),
    ("Building ZX0 is the theme of ZX1 ZX7.", THEME, 1),
    ("Building ZX0 is the theme of ZX1, ZX1.", THEME, 1),
    ("ZX1ZX0", "{W} {C}", 0),
]


@pytest.mark.parametrize(("output", "expected", "notes"), RESTORE_TABLE)
def test_restore_tolerates_mangled_placeholders(output: str, expected: str, notes: int) -> None:
    restored = restore(output, protect(SOURCE, [WIC, CSF]))
    assert restored.text == expected.format(C=CSF.target, W=WIC.target)
    assert len(restored.notes) == notes
    assert restored.inserted == ()


def test_restore_lost_placeholder_is_inserted_with_note() -> None:
    restored = restore("Building a community is the theme of ZX1.", protect(SOURCE, [WIC, CSF]))
    assert restored.inserted == (CSF,)
    assert restored.text.count(CSF.target) == 1 and WIC.target in restored.text
    assert restored.text.endswith(f"{WIC.target}.")
    assert any("post-edit" in n and CSF.source in n for n in restored.notes)


def test_restore_lost_placeholder_not_reinserted_when_rendering_present() -> None:
    output = f"Building ZX0 is the theme of the {WIC.target.lower()}."
    restored = restore(output, protect(SOURCE, [WIC, CSF]))
    assert restored.text.count(WIC.target.lower()) == 1 and restored.inserted == ()
    assert any("already present" in n for n in restored.notes)


def test_restore_all_lost_in_empty_output() -> None:
    restored = restore("", protect(SOURCE, [WIC, CSF]))
    assert set(restored.inserted) == {WIC, CSF}
    assert CSF.target in restored.text and WIC.target in restored.text


def test_restore_repeated_term_needs_each_occurrence() -> None:
    p = protect("浙江和浙江", [ZJ])
    assert restore("ZX0 and ZX1", p).text == "Zhejiang and Zhejiang"
    lost = restore("ZX0 and the province", p)
    assert lost.text.count("Zhejiang") == 2 and lost.inserted == (ZJ,)


def test_restore_without_slots_returns_output_unchanged() -> None:
    assert restore("  ZX0 stays  ", protect("没有术语", [WIC])).text == "  ZX0 stays  "


@pytest.mark.parametrize(
    ("text", "fraction", "expected"),
    [
        ("The theme is clear.", 0.0, "Zhejiang The theme is clear."),
        ("The theme is clear.", 1.0, "The theme is clear Zhejiang."),
        ("The theme is clear.", 0.5, "The theme Zhejiang is clear."),
        ("", 0.3, "Zhejiang"),
    ],
)
def test_insert_term_snaps_to_word_boundaries(text: str, fraction: float, expected: str) -> None:
    assert insert_term(text, "Zhejiang", fraction) == expected


def test_insert_term_never_splits_a_kept_phrase() -> None:
    text = f"Building {CSF.target} now."
    result = insert_term(text, "Zhejiang", 0.5, keep=[CSF.target])
    assert CSF.target in result and "Zhejiang" in result


def test_pattern_does_not_fire_on_ordinary_english() -> None:
    pattern = placeholder_pattern("ZX")
    assert not pattern.search("The zebra index rose 0.5% in Zhejiang, exports 10%.")
    assert [m.group(1) for m in pattern.finditer("zx12 ZX 3")] == ["12", "3"]


MANGLE = st.sampled_from(["{s}{i}", "{l}{i}", "{s} {i}", "{s}-{i}", " {s}{i}s", "{s}{i}{s}{i}"])


@settings(max_examples=60, deadline=None)
@given(st.permutations([0, 1, 2]), st.lists(MANGLE, min_size=3, max_size=3))
def test_any_order_and_mangling_restores_every_term(order: list[int], forms: list[str]) -> None:
    p = protect("浙江参加世界互联网大会，构建网络空间命运共同体。", [ZJ, WIC, CSF])
    pieces = [f.format(s="ZX", l="zx", i=i) for f, i in zip(forms, order, strict=True)]
    restored = restore(" and ".join(pieces) + ".", p)
    for term in (ZJ, WIC, CSF):
        assert restored.text.count(term.target) == 1
    assert "zx" not in restored.text.lower().replace("zhejiang", "")
    assert restored.inserted == ()
