"""Memory schema 2: states, history, edits, the leverage policy and the schema-1 migration."""

from __future__ import annotations

import shutil
import sqlite3
from pathlib import Path

import pytest
from test_memory import _unit

from pipeline.errors import UserError
from pipeline.exchange.tmx import TU
from pipeline.memory import (
    EditConflict,
    TranslationMemory,
    choose_leverage,
    leverage_label,
)
from pipeline.units import TMMatch

SCHEMA1 = Path(__file__).parent / "data" / "memory-schema1.sqlite"
MT = {"engine": "fake", "model": "fake-model", "model_sha256": "0" * 64}


@pytest.fixture
def tm(tmp_path: Path):
    with TranslationMemory(tmp_path / "tm.sqlite") as memory:
        memory.add_units([_unit(1, "会议在乌镇举行。", "The meeting was held in Wuzhen.", **MT),
                          _unit(2, "浙江日报发表了文章。", "Zhejiang Daily ran it.", **MT)],
                         "doc", [None, "会议在乌镇举行。"])
        yield memory


def test_schema1_file_is_migrated_in_place(tmp_path: Path) -> None:
    path = tmp_path / "old.sqlite"
    shutil.copy(SCHEMA1, path)
    with sqlite3.connect(path) as raw:
        assert raw.execute("SELECT version FROM schema_version").fetchone()[0] == 1
        before = raw.execute("SELECT id, source, target, origin FROM units ORDER BY id").fetchall()
    with TranslationMemory(path) as tm:
        stats = tm.stats()
        units = list(tm.iter_units())
        assert stats["schema_version"] == 2
        assert [(u.id, u.source, u.target, u.origin) for u in units] == before
        assert stats["by_origin_state"] == {"aligned": {"translated": 1},
                                            "human": {"translated": 2}, "mt": {"draft": 2}}
        mt = [u for u in units if u.origin == "mt"]
        assert all(u.mt_target == u.target and u.version == 1 for u in mt)
        assert tm.history(mt[0].id)[-1].state == "draft"
        (match,) = tm.lookup("今天天气很好。")
        assert (match.origin, match.state, match.score) == ("human", "translated", 100.0)
    with TranslationMemory(path) as tm:  # reopening does not migrate again
        assert tm.stats()["units"] == len(before)


def test_policy_fill_cache_and_rejected() -> None:
    def match(origin: str, state: str, kind: str = "exact", score: float = 100.0,
              engine: str = "fake") -> TMMatch:
        return TMMatch("甲", "A", score, kind, origin, engine=engine, state=state,
                       changed_by="Ann")

    def any_engine():
        return None

    human = match("tm-import", "translated")
    assert choose_leverage([human], 100, any_engine).fill is human
    assert choose_leverage([match("human", "rejected")], 100, any_engine) == \
        choose_leverage([], 100, any_engine)
    approved = match("mt", "approved")
    assert choose_leverage([approved], 100, any_engine).fill is approved
    draft = match("mt", "draft")
    assert choose_leverage([draft], 100, any_engine).cached_mt is draft
    other = choose_leverage([draft], 100, lambda: ("llm", None))
    assert other.fill is None and other.cached_mt is None and other.example is draft
    fuzzy = match("human", "translated", "fuzzy", 90.0)
    assert choose_leverage([fuzzy], 100, any_engine).example is fuzzy
    assert leverage_label("mt", "approved", "Ann") == "MT, approved by Ann"
    assert leverage_label("mt", "draft") == "MT"
    assert leverage_label("human", "reviewed") == "human, reviewed"


def test_save_edit_changed_and_confirmed(tm: TranslationMemory) -> None:
    first, second = tm.doc_units("doc")
    assert (first.tuid, second.tuid) == ("doc:1", "doc:2")
    edited = tm.save_edit(first.id, "The meeting took place in Wuzhen.", state="translated",
                          reviewer="Ann", expected_version=1)
    assert (edited.origin, edited.state, edited.version) == ("human", "translated", 2)
    assert edited.mt_target == "The meeting was held in Wuzhen."
    assert edited.changed_by == "Ann"
    confirmed = tm.save_edit(second.id, "Zhejiang Daily ran it.", state="approved",
                             reviewer="Bo", expected_version=1)
    assert (confirmed.origin, confirmed.state, confirmed.leverage) == (
        "mt", "approved", "MT, approved by Bo")
    history = tm.history(first.id)
    assert [(h.version, h.origin, h.state, h.by) for h in history] == [
        (1, "mt", "draft", "fake"), (2, "human", "translated", "Ann")]
    (match,) = tm.lookup("浙江日报发表了文章。")
    assert (match.origin, match.state, match.leverage) == ("mt", "approved", "MT, approved by Bo")


def test_save_edit_conflict_keeps_the_other_edit(tm: TranslationMemory) -> None:
    unit = tm.doc_units("doc")[0]
    tm.save_edit(unit.id, "First edit.", state="translated", reviewer="Ann", expected_version=1)
    with pytest.raises(EditConflict) as caught:
        tm.save_edit(unit.id, "Second edit.", state="translated", reviewer="Bo",
                     expected_version=1)
    assert caught.value.current.target == "First edit."
    assert tm.unit(unit.id).target == "First edit."
    with pytest.raises(UserError, match="unknown state"):
        tm.save_edit(unit.id, "x", state="done", reviewer="Bo", expected_version=2)


def test_rerun_never_overwrites_a_reviewed_unit(tm: TranslationMemory) -> None:
    unit = tm.doc_units("doc")[1]
    tm.save_edit(unit.id, unit.target, state="approved", reviewer="Ann", expected_version=1)
    again = _unit(2, "浙江日报发表了文章。", "Zhejiang Daily ran it.", **MT)
    tm.add_units([again], "doc", ["会议在乌镇举行。"])
    stored = tm.unit(unit.id)
    assert (stored.state, stored.changed_by, stored.version) == ("approved", "Ann", 2)


def test_concordance_source_and_target(tm: TranslationMemory) -> None:
    assert [u.tuid for u in tm.concordance("乌镇")] == ["doc:1"]
    assert [u.tuid for u in tm.concordance("在乌镇举行")] == ["doc:1"]
    assert [u.tuid for u in tm.concordance("daily", side="target")] == ["doc:2"]
    assert tm.concordance("100%_", side="target") == []


def test_import_keeps_stored_provenance_and_links_changes(tm: TranslationMemory) -> None:
    stripped = [TU(tuid="", source="会议在乌镇举行。", target="The meeting was held in Wuzhen.",
                   srclang="zh-CN", tgtlang="en"),
                TU(tuid="", source="浙江日报发表了文章。", target="Zhejiang Daily published it.",
                   srclang="zh-CN", tgtlang="en")]
    summary = tm.import_items(stripped, "human")
    assert (summary.added, summary.present, summary.replaced) == (1, 1, 1)
    origins = {(u.target, u.origin, u.state) for u in tm.iter_units()}
    assert ("The meeting was held in Wuzhen.", "mt", "draft") in origins
    new = next(u for u in tm.iter_units(origin="human"))
    assert new.mt_target == "Zhejiang Daily ran it." and new.replaces is not None
    marked = TU(tuid="", source="今天很好。", target="Fine today.", srclang="zh-CN",
                tgtlang="en", creationid="MT!")
    summary = tm.import_items([marked], "human")
    assert summary.conflicts == 1
    assert list(tm.iter_units(origin="mt"))[-1].target == "Fine today."


def test_import_is_one_transaction(tm: TranslationMemory) -> None:
    before = tm.stats()["units"]

    def pairs():
        yield ("一。", "One.")
        raise UserError("broken line", "x.tsv", 2)

    with pytest.raises(UserError):
        tm.import_items(pairs())
    assert tm.stats()["units"] == before
