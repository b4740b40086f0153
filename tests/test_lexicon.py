"""Dictionary coverage (CC-CEDICT): which source words a translation renders."""

from __future__ import annotations

from pathlib import Path

import pytest

from pipeline.errors import UserError
from pipeline.lexicon import (
    MAX_BYTES,
    Coverage,
    coverage,
    data_path,
    gloss_stems,
    load_lexicon,
    target_prefixes,
)

SOURCE = "乌镇峰会于周二开幕，来自许多国家的领导人出席了会议。"


def test_the_shipped_dictionary_is_read_once_into_gloss_stems() -> None:
    lexicon = load_lexicon()
    assert len(lexicon) > 100_000
    assert "leader" in lexicon["领导人"] and "meetin" in lexicon["会议"]
    assert load_lexicon() is lexicon  # cached
    assert data_path().name.startswith("cedict")


def test_a_full_translation_covers_what_a_dropped_clause_leaves_out() -> None:
    full = coverage(SOURCE, "The Wuzhen summit opened on Tuesday, with leaders from many "
                            "countries attending the meeting.")
    cut = coverage(SOURCE, "The summit opened.")
    assert full.known == cut.known >= 6
    assert {"国家", "领导人", "出席", "会议"} <= set(cut.missing)
    assert not {"国家", "领导人", "出席", "会议"} & set(full.missing)
    assert full.uncovered < 0.2 < 0.5 < cut.uncovered


def test_numbers_dates_and_unknown_words_are_not_counted() -> None:
    # 11月6日 is the numbers check's business; 洪耀庄 is not in the dictionary
    got = coverage("11月6日，洪耀庄嫁接了。", "On November 6, John Hoffman grafted.")
    assert got.known == 1 and got.missing == ()
    assert coverage("。", "").uncovered == 0.0 == Coverage(0, ()).uncovered


def test_stems_match_by_prefix_and_skip_function_words() -> None:
    assert gloss_stems("to open (a conference)") == {"open", "confer"}
    assert gloss_stems("the one and only thing") == {"thing"}
    assert "open" in target_prefixes("It opened.") and "opened" in target_prefixes("opened")
    lexicon = {"开幕": ("open",)}
    assert coverage("开幕", "The fair opened", lexicon).missing == ()
    assert coverage("开幕", "The fair began", lexicon).missing == ("开幕",)


def test_a_broken_dictionary_file_is_refused_with_its_name(tmp_path: Path) -> None:
    big = tmp_path / "cedict.txt"
    with open(big, "wb") as fh:
        fh.truncate(MAX_BYTES + 1)
    with pytest.raises(UserError) as caught:
        load_lexicon(big)
    assert str(big) in str(caught.value)
    with pytest.raises(UserError, match="cannot read"):
        load_lexicon(tmp_path)  # a folder
    odd = tmp_path / "odd.txt"
    odd.write_bytes(b"# comment\n\xff\xfe not an entry\n"
                    + "詞 词 [ci2] /word/term/\n".encode())
    assert load_lexicon(odd) == {"词": ("term", "word")}
