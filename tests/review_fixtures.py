"""A fixture run for the review workspace tests, and a store double (tests only)."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from conftest import REPO
from fakes import ScriptedEngine

from pipeline import flow
from pipeline.flow import Hooks, RunOptions
from pipeline.review.store import Conflict, Record

GLOSSARY = REPO / "glossary" / "wic.tsv"
DOC_ID = "rev"
XSS = ("<script>window.__xss=1</script>", "</textarea><b id=pwn>x</b>", "{{7*7}}",
       "javascript:window.__xss=2")

SOURCE = (
    "世界互联网大会乌镇峰会开幕\n\n"
    "今年是世界互联网大会乌镇峰会第十年。构建网络空间命运共同体是峰会的永久主题。\n\n"
    "目前已有来自六大洲24个国家和地区的120余家机构加入成为会员。\n\n"
    "GSMA首席执行官洪耀庄坐上了前往上海的航班。\n\n"
    f"他在页面上写了{XSS[0]}这段代码。\n\n"
    f"有人输入了{XSS[1]}和{XSS[2]}两个字符串。\n\n"
    f"链接写成{XSS[3]}的形式。\n"
)


NAMES = ("alpha", "bravo", "charlie", "delta", "echo", "foxtrot", "golf", "hotel", "india",
         "juliett", "kilo")


def _answer(request) -> str:
    """Plain English that carries the source's numbers, terms and any hostile text."""
    words = ["The", NAMES[len(request.source) % len(NAMES)], "sentence"]
    words += [n for n in ("2023", "24", "120") if n in request.source]
    words += [w for zh, w in (("第十年", "tenth"), ("六大洲", "six"), ("两个", "two"))
              if zh in request.source]
    for term, rendering in (("世界互联网大会", "World Internet Conference"),
                            ("乌镇峰会", "Wuzhen Summit"),
                            ("网络空间命运共同体", "community with a shared future in cyberspace"),
                            ("GSMA", "GSMA"), ("洪耀庄", "John Hoffman"),
                            ("上海", "Shanghai")):
        if term in request.source:
            words.append(rendering)
    text = " ".join(words) + "."
    hostile = [x for x in XSS if x in request.source]
    return f"{text} {' '.join(hostile)}" if hostile else text


def make_run(tmp_path: Path) -> tuple[Path, Path]:
    """Run the pipeline on a small document with a scripted engine; (run folder, memory)."""
    source = tmp_path / "rev.zh.txt"
    source.write_text(SOURCE, encoding="utf-8")
    out, tm = tmp_path / "out", tmp_path / "tm.sqlite"
    options = RunOptions(source=source, doc_id=DOC_ID, out_dir=out, tm_path=tm,
                         glossary=GLOSSARY)
    engine = ScriptedEngine(_answer)
    flow.run(options, Hooks(engine_factory=lambda name, **kw: engine))
    return out, tm


class StoreDouble:
    """An in-memory stand-in for the memory: the run's units with states and versions."""

    def __init__(self, run_dir: Path):
        report = json.loads((run_dir / "report.json").read_text(encoding="utf-8"))
        self.units: dict[int, Record] = {}
        self.log: dict[int, list[dict]] = {}
        self.rebuilt: list[Path] = []
        for item in report["units"]:
            record = Record(id=item["number"], tuid=item["tuid"], source=item["source"],
                            target=item["target"], origin="mt", state="draft", version=1,
                            mt_target=item["target"], engine=item["engine"])
            self.units[record.id] = record
            self.log[record.id] = []

    def stamp(self) -> None:
        return None  # no file to watch: always read the records

    def records(self, doc_id: str) -> list[Record]:
        return [r for r in self.units.values() if r.tuid.startswith(f"{doc_id}:")]

    def save(self, record_id: int, target: str, *, state: str, reviewer: str,
             expected_version: int) -> Record:
        current = self.units[record_id]
        if current.version != expected_version:
            raise Conflict(current)
        self.log[record_id].append({"state": state, "changed_by": reviewer,
                                    "replaced": current.target})
        saved = replace(current, target=target, state=state, version=current.version + 1,
                        changed_by=reviewer, changed_at="2026-12-02T00:00:00Z",
                        origin="human" if target != current.mt_target else current.origin)
        self.units[record_id] = saved
        return saved

    def add(self, source: str, previous: str | None, target: str, *, doc_id: str, tuid: str,
            state: str, reviewer: str, replaced: str, replaced_origin: str) -> Record:
        record_id = max(self.units) + 1
        self.units[record_id] = Record(id=record_id, tuid=tuid, source=source, target=target,
                                       origin="human", state=state, version=2,
                                       changed_by=reviewer)
        self.log[record_id] = [{"state": "translated", "by": "", "target": replaced,
                                "origin": replaced_origin}]
        return self.units[record_id]

    def lineage(self, record_id: int) -> set[str]:
        return {entry.get("replaced") or entry.get("target") for entry in self.log[record_id]}

    def history(self, record_id: int) -> list[dict]:
        return list(self.log[record_id])

    def matches(self, source: str, previous: str | None, exclude: int | None) -> list[dict]:
        return [{"source": r.source, "target": r.target, "score": 80.0, "kind": "fuzzy",
                 "origin": r.origin, "differences": ["text"]}
                for r in self.units.values() if r.id != exclude and source[:4] in r.source]

    def concordance(self, text: str, side: str, limit: int) -> list[dict]:
        hits = [r for r in self.units.values()
                if text.lower() in (r.source if side == "source" else r.target).lower()]
        return [{"source": r.source, "target": r.target, "origin": r.origin, "state": r.state}
                for r in hits[:limit]]

    def rebuild(self, run_dir: Path) -> list[Path]:
        self.rebuilt.append(run_dir)
        return [run_dir / "report.json"]

    def write_xliff(self, run_dir: Path, path: Path) -> Path:
        path.write_text("<xliff/>", encoding="utf-8")
        return path


def make_long_run(tmp_path: Path, size: int) -> tuple[Path, Path]:
    """A run of ``size`` one-line segments (``--layout lines``), numbered 1..size."""
    source = tmp_path / "long.zh.txt"
    source.write_text("".join(f"第{i}段今年是世界互联网大会乌镇峰会第十年。\n"
                              for i in range(1, size + 1)), encoding="utf-8")
    out, tm = tmp_path / "out", tmp_path / "tm.sqlite"
    options = RunOptions(source=source, doc_id="long", out_dir=out, tm_path=tm,
                         glossary=GLOSSARY, layout="lines", batch_size=64)
    engine = ScriptedEngine(lambda request: f"Paragraph {request.source[1:-25]}: "
                            "the tenth World Internet Conference Wuzhen Summit.")
    flow.run(options, Hooks(engine_factory=lambda name, **kw: engine))
    return out, tm
