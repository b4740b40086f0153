"""Translation memory: matching, provenance, durability and refusals."""

from __future__ import annotations

import gzip
import multiprocessing
import sqlite3
from pathlib import Path

import pytest
from rapidfuzz.distance import Levenshtein

from pipeline.errors import UserError
from pipeline.exchange.tmx import TU, write_tus
from pipeline.memory import SCHEMA_VERSION, TranslationMemory, iter_tsv_pairs, score_fuzzy
from pipeline.normalize import normalize_key
from pipeline.units import Flag, Segment, Unit

PAIRS = [
    ("2015年浙江日报发表了这篇文章。", "In 2015 Zhejiang Daily published this article."),
    ("第十届世界互联网大会在乌镇开幕。", "The 10th World Internet Conference opened in Wuzhen."),
    ("他用iPhone拍了照片。", "He took the photo with an iPhone."),
    ("今天天气很好。", "The weather is fine today."),
]


def _unit(number: int, source: str, target: str, origin: str = "mt", **kw) -> Unit:
    seg = Segment(number=number, paragraph=1, text=source, spans=[(0, len(source))])
    return Unit(segment=seg, target=target, origin=origin, **kw)


@pytest.fixture
def tm(tmp_path: Path):
    with TranslationMemory(tmp_path / "tm.sqlite") as memory:
        memory.import_pairs(PAIRS, origin="human")
        yield memory


def test_normalize_key_folds_width_spaces_and_punctuation() -> None:
    assert normalize_key("２０１５年，浙江  日报。") == normalize_key("2015年,浙江日报.")
    assert normalize_key("“你好” ") == normalize_key('"你好"')
    assert normalize_key("a  b") == "a b"


def test_exact_match_on_normalised_key(tm: TranslationMemory) -> None:
    (match,) = tm.lookup("２０１５年浙江日报发表了这篇文章。")
    assert (match.score, match.kind, match.origin) == (100.0, "exact", "human")
    assert match.target == PAIRS[0][1]


def test_changed_year_is_never_100_and_is_reported(tm: TranslationMemory) -> None:
    (match,) = tm.lookup("2016年浙江日报发表了这篇文章。")
    assert match.kind == "fuzzy" and 75 <= match.score < 100
    assert "number 2015 → 2016" in match.differences
    base, _ = score_fuzzy(normalize_key("2016年浙江日报发表了这篇文章。"),
                          normalize_key("2016年浙江日报发表了这篇文章!"))
    assert base == 99.0  # punctuation-only difference costs 1 point


def test_number_and_latin_penalties() -> None:
    plain, _ = score_fuzzy("第十届大会在乌镇开幕了", "第十届大会在杭州开幕了")
    numbers, diffs = score_fuzzy("第11届大会在乌镇开幕了", "第10届大会在乌镇开幕了")
    assert "number 10 → 11" in diffs
    base = Levenshtein.normalized_similarity("第11届大会在乌镇开幕了", "第10届大会在乌镇开幕了")
    assert numbers == pytest.approx(round(base * 100 - 5, 1))
    latin, diffs = score_fuzzy("他用Android拍了照片.", "他用iPhone拍了照片.")
    assert "word iPhone → Android" in diffs
    assert latin < plain


def test_fuzzy_threshold_and_text_differences(tm: TranslationMemory) -> None:
    matches = tm.lookup("第十届世界互联网大会在杭州开幕。")
    assert matches and matches[0].target == PAIRS[1][1]
    assert 'text "乌镇" → "杭州"' in matches[0].differences
    assert tm.lookup("第十届世界互联网大会在杭州开幕。", fuzzy_min=95) == []
    assert tm.lookup("完全不同的一句话没有关系") == []


def test_context_match_is_101(tm: TranslationMemory) -> None:
    units = [_unit(1, "会议开始。", "The meeting began."), _unit(2, "大家好。", "Hello all.")]
    tm.add_units(units, "doc", [None, "会议开始。"])
    best = tm.lookup("大家好。", previous="会议开始。")[0]
    assert (best.score, best.kind) == (101.0, "context")
    assert tm.lookup("大家好。", previous="别的句子。")[0].score == 100.0
    assert tm.lookup("大家好。")[0].kind == "exact"


def test_mt_units_keep_origin_and_rank_below_human(tm: TranslationMemory) -> None:
    unit = _unit(3, PAIRS[3][0], "Nice weather today.", engine="llm", model_sha256="f" * 64,
                 flags=[Flag("numbers", "warning", "x")])
    tm.add_units([unit], "doc", [None])
    matches = tm.lookup(PAIRS[3][0])
    assert [m.origin for m in matches] == ["human", "mt"]
    assert matches[1].engine == "llm" and matches[1].model_sha256 == "f" * 64
    stored = next(tm.iter_units(origin="mt"))
    assert stored.flags == [{"check": "numbers", "severity": "warning", "message": "x"}]
    assert stored.tuid == "doc:3" and stored.doc_id == "doc"


def test_newest_first_and_tm_origins_not_readded(tmp_path: Path) -> None:
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        tm.add_units([_unit(1, "你好。", "Hello.", origin="human")], "d1", [None])
        tm.add_units([_unit(1, "你好。", "Hi.", origin="human")], "d2", [None])
        tm.add_units([_unit(1, "你好。", "Hey.", origin="tm-exact")], "d3", [None])
        assert [m.target for m in tm.lookup("你好。")] == ["Hi.", "Hello."]
        tm.add_units([_unit(1, "你好。", "Hello.", origin="human")], "d4", [None])
        assert tm.stats()["units"] == 2
        assert [u.doc_id for u in tm.iter_units()] == ["d4", "d2"]
        assert [u.doc_id for u in tm.iter_units(doc="d2")] == ["d2"]


def test_short_queries_without_fts(tm: TranslationMemory) -> None:
    tm.import_pairs([("好", "good"), ("好的", "OK")])
    assert tm.lookup("好")[0].target == "good"
    assert tm.lookup("好的")[0].target == "OK"
    assert tm.lookup("") == []


def test_import_tmx_keeps_mt_origin_and_xml(tmp_path: Path) -> None:
    tmx = tmp_path / "in.tmx"
    write_tus(tmx, [
        TU("d:1", "机器翻译", "machine translation", "zh-CN", "en", props={"x-origin": "mt"}),
        TU("d:2", "加粗文字", "bold text", "zh-CN", "en",
           source_xml='<bpt i="1">&lt;b&gt;</bpt>加粗<ept i="1">&lt;/b&gt;</ept>文字',
           target_xml='<bpt i="1">&lt;b&gt;</bpt>bold<ept i="1">&lt;/b&gt;</ept> text'),
    ])
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        assert tm.import_file(tmx, origin="human") == 2
        assert tm.import_file(tmx, origin="human") == 0  # duplicates skipped
        units = list(tm.iter_units())
        assert [u.origin for u in units] == ["mt", "human"]
        assert units[1].to_tu().source_xml.startswith('<bpt i="1">')
        assert tm.lookup("加粗文字")[0].target == "bold text"


def test_tsv_reader_gzip_and_line_errors(tmp_path: Path) -> None:
    good = tmp_path / "p.tsv.gz"
    with gzip.open(good, "wt", encoding="utf-8") as fh:
        fh.write("一\tone\n\n二\ttwo\r\n")
    assert list(iter_tsv_pairs(good)) == [("一", "one"), ("二", "two")]
    bad = tmp_path / "bad.tsv"
    bad.write_text("一\tone\n二 two\n", encoding="utf-8")
    with pytest.raises(UserError, match=r"bad\.tsv:2: expected 2"):
        list(iter_tsv_pairs(bad))
    binary = tmp_path / "bin.tsv"
    binary.write_bytes("一\tone\n".encode() + b"\xff\xfe\x00\tx\n")
    with pytest.raises(UserError, match="UTF-8"):
        list(iter_tsv_pairs(binary))


def test_not_sqlite_foreign_sqlite_and_newer_schema(tmp_path: Path) -> None:
    junk = tmp_path / "junk.sqlite"
    junk.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(UserError, match="not a translation memory"):
        TranslationMemory(junk)
    foreign = tmp_path / "foreign.sqlite"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE other (x)")
    with pytest.raises(UserError, match="not a tmpipe translation memory"):
        TranslationMemory(foreign)
    newer = tmp_path / "newer.sqlite"
    TranslationMemory(newer).close()
    with sqlite3.connect(newer) as conn:
        conn.execute("UPDATE schema_version SET version = 99")
    with pytest.raises(UserError, match="newer"):
        TranslationMemory(newer)
    with pytest.raises(UserError, match="folder"):
        TranslationMemory(tmp_path)


def test_reopen_keeps_data_and_uses_wal(tmp_path: Path) -> None:
    path = tmp_path / "tm.sqlite"
    with TranslationMemory(path) as tm:
        tm.import_pairs(PAIRS)
    with TranslationMemory(path) as tm:
        assert tm.stats()["units"] == len(PAIRS)
        assert tm.conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
        assert tm.stats()["schema_version"] == SCHEMA_VERSION == 2


def test_failed_batch_is_rolled_back(tmp_path: Path) -> None:
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:

        def pairs():
            yield ("一", "one")
            raise RuntimeError("crash")

        with pytest.raises(RuntimeError):
            tm.import_pairs(pairs())
        assert tm.stats()["units"] == 0
        assert not tm.conn.in_transaction


def _writer(path: str, tag: str, count: int) -> None:
    with TranslationMemory(path) as tm:
        for i in range(count):
            unit = _unit(i + 1, f"{tag}句子{i}。", f"{tag} sentence {i}.")
            tm.add_units([unit], tag, [None])


def test_two_processes_write_at_once(tmp_path: Path) -> None:
    path = str(tmp_path / "tm.sqlite")
    TranslationMemory(path).close()
    ctx = multiprocessing.get_context("spawn")
    procs = [ctx.Process(target=_writer, args=(path, tag, 40)) for tag in ("甲", "乙")]
    for proc in procs:
        proc.start()
    for proc in procs:
        proc.join(60)
    assert [p.exitcode for p in procs] == [0, 0]
    with TranslationMemory(path) as tm:
        assert tm.stats()["units"] == 80
        assert tm.lookup("乙句子39。")[0].target == "乙 sentence 39."
