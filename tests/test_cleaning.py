"""Output hygiene for LLM translations."""

from __future__ import annotations

import pytest

from pipeline.engines.cleaning import (
    cjk_words,
    clean_output,
    cut_runaway,
    dedupe_repeats,
    is_runaway,
    rejoin_split_numbers,
)

# (raw model output, source, expected clean text): the wrapper shapes issue 3 measured from
# the raw model. Under our system prompt none appeared in 106 seed outputs (bench/engine.json,
# probes); what we did observe is Chinese left inside English, tested further below.
CASES = [
    ("Translation: The 10th World Internet Conference opened today.", "",
     "The 10th World Internet Conference opened today."),
    ('"Humans need openness and sharing more than ever."', "人类比以往更需要开放共享",
     "Humans need openness and sharing more than ever."),
    ("“Humans need openness and sharing more than ever.”", "人类比以往更需要开放共享",
     "Humans need openness and sharing more than ever."),
    ("```\nThe summit opened.\n```", "", "The summit opened."),
    ("```text\nThe summit opened.\n```", "", "The summit opened."),
    ("The summit opened.\n\nNote: 乌镇 is a town in Zhejiang.", "", "The summit opened."),
    ("The summit opened. (Note: literally 'peak meeting')", "", "The summit opened."),
    ("Here is the translation:\nThe summit opened.", "", "The summit opened."),
    ("**English translation:** The summit opened.", "", "The summit opened."),
    ("English: The summit opened.", "", "The summit opened."),
    ("乌镇峰会开幕。\nThe Wuzhen Summit opened.", "乌镇峰会开幕。", "The Wuzhen Summit opened."),
    ("The summit opened.", "", "The summit opened."),
    ("We widen our global “ Circle ” of friends.", "", "We widen our global “Circle” of friends."),
]


@pytest.mark.parametrize(("raw", "source", "expected"), CASES)
def test_clean_output_table(raw: str, source: str, expected: str) -> None:
    cleaned = clean_output(raw, source)
    assert cleaned.text == expected
    assert bool(cleaned.removed) == (raw != expected)


def test_quotes_kept_when_source_is_quoted() -> None:
    raw = "“A community with a shared future in cyberspace”"
    assert clean_output(raw, "“网络空间命运共同体”").text == raw


def test_inner_quotes_kept() -> None:
    raw = '"Internet+" and "AI+" are "new" engines'
    assert clean_output(raw, "").text == raw
    raw2 = 'China proposed the "community" initiative.'
    assert clean_output(raw2, "").text == raw2


def test_words_like_note_inside_a_sentence_survive() -> None:
    raw = "Investors took note of the English translation of the report."
    assert clean_output(raw, "").text == raw


def test_cjk_words_from_real_outputs() -> None:
    # observed: "What is the "town" in U镇 …", "the concept of携手 building …"
    assert cjk_words("What is the \"town\" in U镇 that connects the world?") == ["镇"]
    assert cjk_words("the concept of携手 building a 命运共同体 and 携手") == ["携手", "命运共同体"]
    assert cjk_words("No Chinese here, only “quotes”。") == []


def test_runaway_by_length_and_by_loop() -> None:
    src = "今天开幕。"
    assert not is_runaway(src, "The event opened today.")
    assert is_runaway(src, "The event opened today and " + "then more " * 20)
    loop = "It opened. It opened. It opened."
    assert is_runaway("一" * 40, loop)
    assert dedupe_repeats(loop) == "It opened."
    phrase = "and the world and the world and the world and the world"
    assert is_runaway("一" * 40, phrase)


def test_cut_runaway_keeps_whole_sentences_within_limit() -> None:
    src = "短句。"
    text = "First sentence here. " + "Second sentence is much longer than allowed " * 3 + "end."
    cut = cut_runaway(src, text, ratio=8.0)
    assert cut == "First sentence here."
    assert cut_runaway(src, "Fine. Fine. Fine.") == "Fine."


def test_romanize_places_repairs_garbled_place_name() -> None:
    from pipeline.engines.cleaning import romanize_places

    # observed twice from the embedded model, also after a retry naming 乌镇
    text, notes = romanize_places(
        "The U镇 summit has had significant positive impacts.",
        "记者:乌镇峰会在过去十年为世界发展进步带来了哪些积极影响?", ["镇"])
    assert text == "The Wuzhen summit has had significant positive impacts."
    assert notes == ["place name romanized: 乌镇 → Wuzhen"]
    # not a place: left alone for QA to flag
    text, notes = romanize_places("related international议程 on AI", "主动参与相关国际议程",
                                  ["议程"])
    assert text == "related international议程 on AI" and notes == []


def test_romanize_places_keeps_an_english_word_glued_to_the_place() -> None:
    from pipeline.engines.cleaning import romanize_places

    # observed on the seed: "…news to this江南水乡" became "…news to tJiangnanshuixiang"
    text, _ = romanize_places("the Internet is like江南 rain.", "如江南烟雨般", ["江南"])
    assert text == "the Internet is like Jiangnan rain."
    text, _ = romanize_places("it is like 江南 rain", "如江南烟雨般", ["江南"])
    assert text == "it is like Jiangnan rain"


@pytest.mark.parametrize(
    ("text", "sent", "expected"),
    [
        ("for 146, 600 facilities", "146,600个设施", "for 146,600 facilities"),
        ("is about 2. 15 million", "约about 2.15 million个", "is about 2.15 million"),
        ("in 2019, 300 people came", "2019年，300人来了", "in 2019, 300 people came"),
        ("In 2019. 15 teams", "2019年。15支队伍", "In 2019. 15 teams"),
        ("no numbers here", "没有数字", "no numbers here"),
    ],
)
def test_rejoin_split_numbers_only_joins_numbers_that_were_sent(text, sent, expected) -> None:
    out, notes = rejoin_split_numbers(text, sent)
    assert out == expected and bool(notes) == (out != text)
