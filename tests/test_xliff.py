"""The post-editing round trip through the CLI: XLIFF export, edits, import, rebuilt outputs."""

from __future__ import annotations

import hashlib
import json
import re
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from fakes import FakeEngine
from lxml import etree

from pipeline import flow
from pipeline.cli import main
from pipeline.exchange.tmx import iter_tus

XSD = Path(__file__).resolve().parents[2] / "shared" / "interop" / "xliff12" / \
    "xliff-core-1.2-transitional.xsd"
NS = {"x": "urn:oasis:names:tc:xliff:document:1.2"}
SOURCE = (
    "(上接第一版)\n\n"
    "世界互联网大会乌镇峰会开幕\n\n"
    "今年是世界互联网大会乌镇峰会第十年。构建网络空间命运共同体是峰会的永久主题。\n\n"
    "GSMA首席执行官洪耀庄坐上了前往上海的航班。\n"
)


def _run(work: Path) -> flow.RunResult:
    options = flow.RunOptions(source=work / "doc.zh.txt", doc_id="doc", out_dir=work / "out",
                              tm_path=work / "tm.sqlite", glossary=None)
    return flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))


@pytest.fixture(scope="module")
def first_run(tmp_path_factory) -> Path:
    work = tmp_path_factory.mktemp("run")
    (work / "doc.zh.txt").write_text(SOURCE, encoding="utf-8")
    _run(work)
    return work


@pytest.fixture
def work(first_run: Path, tmp_path: Path) -> Path:
    """A copy of the first run (outputs, memory, source) at the same relative layout."""
    dest = tmp_path / "w"
    shutil.copytree(first_run, dest)
    report = dest / "out" / "report.json"
    data = json.loads(report.read_text(encoding="utf-8"))
    data["source_path"] = str(dest / "doc.zh.txt")
    report.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return dest


def _cli(*args: str):
    return CliRunner().invoke(main, [str(a) for a in args])


def _export(work: Path, *extra: str) -> Path:
    out = work / "doc.xlf"
    result = _cli("xliff", "export", work / "out", "--tm", work / "tm.sqlite", "-o", out, *extra)
    assert result.exit_code == 0, result.output
    return out


def _import(work: Path, path: Path, *extra: str):
    return _cli("xliff", "import", path, "--tm", work / "tm.sqlite", "--reviewer", "Ann", *extra)


def _stats(work: Path) -> dict:
    result = _cli("tm", "stats", "--tm", work / "tm.sqlite", "--json", "-")
    assert result.exit_code == 0, result.output
    return json.loads(result.output)["by_origin_state"]


def _edit(path: Path, edits: dict[str, str], confirm: bool = True) -> Path:
    """Change the targets of ``edits`` (id → text); mark every other MT target translated."""
    tree = etree.parse(str(path))
    for unit in tree.iterfind(".//x:trans-unit", NS):
        target = unit.find("x:target", NS)
        if target is None:
            continue
        if unit.get("id") in edits:
            target.text = edits[unit.get("id")]
            target.set("state", "translated")
        elif confirm:
            target.set("state", "translated")
    out = path.with_name("edited.xlf")
    tree.write(str(out), xml_declaration=True, encoding="UTF-8")
    return out


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_export_is_valid_xliff_in_document_order(work: Path) -> None:
    lines = work / "segments.txt"
    path = _export(work, "--segmented-source", lines)
    if XSD.is_file():
        schema = etree.XMLSchema(etree.parse(str(XSD)))
        doc = etree.parse(str(path))
        assert schema.validate(doc), schema.error_log.last_error
    root = etree.parse(str(path)).getroot()
    units = root.findall(".//x:trans-unit", NS)
    assert [u.get("id") for u in units] == [f"doc:{n}" for n in range(1, len(units) + 1)]
    assert units[0].get("translate") == "no"  # the continuation marker
    translatable = [u for u in units if u.get("translate") != "no"]
    target = translatable[0].find("x:target", NS)
    assert (target.get("state"), target.get("state-qualifier")) == (
        "needs-review-translation", "mt-suggestion")
    assert translatable[0].find("x:alt-trans", NS).get("origin") == "mt:fake/fake-model"
    assert all(u.getparent().tag.endswith("group") for u in units)
    written = lines.read_text(encoding="utf-8").splitlines()
    assert written == [u.findtext("x:source", namespaces=NS) for u in translatable]


def test_loop_edits_become_human_confirmed_mt_stays_mt(work: Path) -> None:
    path = _export(work)
    result = _import(work, _edit(path, {"doc:2": "The Wuzhen Summit opens"}))
    assert result.exit_code == 0, result.output
    assert "1 edited (stored as human), 3 confirmed" in result.output
    assert _stats(work) == {"human": {"translated": 1}, "mt": {"approved": 3}}
    english = (work / "out" / "doc.en.txt").read_text(encoding="utf-8")
    assert english.splitlines()[0] == "The Wuzhen Summit opens"
    report = json.loads((work / "out" / "report.json").read_text(encoding="utf-8"))
    assert report["postedit"]["edited"] == 1 and report["postedit"]["confirmed"] == 3
    edited = next(u for u in report["units"] if u["tuid"] == "doc:2")
    assert edited["origin"] == "human" and edited["postedit"]["chars"] > 0
    tus = {tu.tuid: tu for tu in iter_tus(work / "out" / "doc.tmx")}
    assert tus["doc:2"].props["x-origin"] == "human" and "x-pe-ter" in tus["doc:2"].props
    assert "Post-editing" in (work / "out" / "report.html").read_text(encoding="utf-8")

    second = _run(work)
    labels = {u.tuid("doc"): (u.origin, u.leverage) for u in second.units}
    assert labels["doc:2"] == ("tm-exact", "human")
    assert all(label == "MT, approved by Ann" for tuid, (_, label) in labels.items()
               if tuid != "doc:2")
    tus = list(iter_tus(work / "out" / "doc.tmx"))
    assert {tu.props.get("x-tm-origin") for tu in tus} == {"human", "mt"}


def test_unconfirmed_mt_is_never_laundered(work: Path) -> None:
    """OmegaT mode: target pre-filled with the source, the MT back unchanged, state as is."""
    path = _export(work, "--target", "source")
    tree = etree.parse(str(path))
    for unit in tree.iterfind(".//x:trans-unit", NS):
        target, alt = unit.find("x:target", NS), unit.find("x:alt-trans/x:target", NS)
        if target is not None:
            assert target.text == unit.findtext("x:source", namespaces=NS)
            target.text = alt.text  # what filling from the TMX gives
    tree.write(str(path), xml_declaration=True, encoding="UTF-8")
    result = _import(work, path)
    assert result.exit_code == 0, result.output
    assert "0 edited" in result.output and "0 confirmed" in result.output
    assert _stats(work) == {"mt": {"draft": 4}}
    assert all(u.leverage == "MT" for u in _run(work).units)


def _hostile(path: Path, kind: str) -> str:
    """A spoilt copy of an exported XLIFF, and the words its error must contain."""
    text = path.read_text(encoding="utf-8")
    body = text.split("?>", 1)[1]
    if kind == "entities":
        text = ('<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY a "aaaaaaaaaa">'
                '<!ENTITY b "&a;&a;&a;&a;&a;">]>' + body.replace("开幕", "&b;"))
        words = "declares XML entities"
    elif kind == "external":
        text = ('<?xml version="1.0"?>\n<!DOCTYPE xliff [<!ENTITY e SYSTEM '
                '"file:///etc/passwd">]>' + body.replace("开幕", "&e;"))
        words = "declares XML entities"
    elif kind == "namespace":
        text = text.replace("urn:oasis:names:tc:xliff:document:1.2", "urn:example")
        words = "namespace"
    elif kind == "version":
        text = text.replace('version="1.2"', 'version="2.0"', 1)
        words = "version"
    elif kind == "missing-id":
        text = text.replace('id="doc:2" ', "", 1)
        words = "trans-unit without id"
    elif kind == "duplicate-id":
        text = text.replace('id="doc:3" ', 'id="doc:2" ', 1)
        words = "unit doc:2: duplicated id"
    elif kind == "source":
        text = text.replace(">世界互联网大会乌镇峰会开幕<", ">世界互联网大会开幕<", 1)
        words = "unit doc:2: source text changed"
    elif kind == "other-doc":
        text = text.replace('id="doc:3" ', 'id="other:3" ', 1)
        words = "unit other:3: not a segment of document 'doc'"
    elif kind == "language":
        text = re.sub(r'(<target xml:lang="en"[^>]*>)[^<]*', r"\1乌镇峰会开幕了", text, count=1)
        words = "unit doc:2: target is not English"
    else:
        raise AssertionError(kind)
    path.write_text(text, encoding="utf-8")
    return words


@pytest.mark.parametrize("kind", ["entities", "external", "namespace", "version", "missing-id",
                                  "duplicate-id", "source", "other-doc", "language"])
def test_hostile_xliff_is_one_line_exit_2_nothing_written(work: Path, kind: str) -> None:
    path = _export(work)
    words = _hostile(path, kind)
    memory, tmx = _digest(work / "tm.sqlite"), _digest(work / "out" / "doc.tmx")
    result = _import(work, path)
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and str(path) in lines[0] and words in lines[0], lines
    assert _stats(work) == {"mt": {"draft": 4}}
    assert _digest(work / "out" / "doc.tmx") == tmx
    del memory  # the file may be checkpointed; its units are what must not change


def test_huge_xliff_is_refused_before_parsing(work: Path) -> None:
    path = work / "huge.xlf"
    with open(path, "wb") as fh:
        fh.truncate(100 * 1024 * 1024)  # sparse: 100 MB without writing them
    result = _import(work, path)
    assert result.exit_code == 2
    assert "over the" in result.stderr and str(path) in result.stderr


def test_translate_toolkit_reads_and_writes_our_xliff(work: Path) -> None:
    xliff = pytest.importorskip("translate.storage.xliff")
    path = _export(work)
    store = xliff.xlifffile.parsefile(str(path))
    units = [u for u in store.units if u.getid()]
    ids = [u.getid() for u in units]  # the toolkit prefixes the file's original
    assert ids == [f"doc\x04doc:{n}" for n in range(1, 6)]
    ours = etree.parse(str(path)).getroot()
    for unit in units:
        element = ours.find(f".//x:trans-unit[@id='{unit.getid().split(chr(4))[-1]}']", NS)
        assert unit.source == element.findtext("x:source", namespaces=NS)
        assert (unit.target or None) == element.findtext("x:target", namespaces=NS)
    units[1].target = "The summit opens in Wuzhen"
    out = work / "toolkit.xlf"
    out.write_bytes(bytes(store))
    result = _import(work, out)
    assert result.exit_code == 0, result.output
    assert "1 edited" in result.output
    # the toolkit marks a unit whose target it set approved="yes"
    assert _stats(work) == {"human": {"approved": 1}, "mt": {"draft": 3}}


def test_bundled_article_loop_five_edits(tmp_path: Path) -> None:
    """The loop on the bundled article: 5 edits, the rest confirmed, a second run."""
    seed = Path(__file__).resolve().parents[1] / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
    options = flow.RunOptions(source=seed, out_dir=tmp_path / "out", tm_path=tmp_path / "tm.sqlite",
                              glossary=None, reference=None)
    first = flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))
    work = tmp_path
    path = _export(work)
    ids = [u.tuid(first.doc_id) for u in first.units][:5]
    edits = {tuid: f"Edited sentence {k}." for k, tuid in enumerate(ids)}
    result = _import(work, _edit(path, edits))
    assert result.exit_code == 0, result.output
    mt = len(first.units) - 5
    assert _stats(work) == {"human": {"translated": 5}, "mt": {"approved": mt}}
    english = (work / "out" / f"{first.doc_id}.en.txt").read_text(encoding="utf-8")
    assert all(text in english for text in edits.values())
    report = json.loads((work / "out" / "report.json").read_text(encoding="utf-8"))
    assert (report["postedit"]["edited"], report["postedit"]["confirmed"]) == (5, mt)
    second = flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: FakeEngine()))
    labels = [u.leverage for u in second.units]
    assert labels.count("human") == 5 and labels.count("MT, approved by Ann") == mt


def test_an_edit_made_since_the_export_is_never_overwritten(work: Path) -> None:
    from pipeline.memory import TranslationMemory

    path = _export(work)
    edited = _edit(path, {"doc:2": "The summit opens"})
    with TranslationMemory(work / "tm.sqlite") as tm:
        unit = next(u for u in tm.doc_units("doc") if u.tuid == "doc:2")
        tm.save_edit(unit.id, "Wuzhen Summit opens", state="reviewed", reviewer="Bo",
                     expected_version=unit.version)
    result = _import(work, edited)
    assert result.exit_code == 2
    assert "unit doc:2: changed in the memory since the export" in result.stderr
    assert _stats(work) == {"human": {"reviewed": 1}, "mt": {"draft": 3}}
    again = _export(work)
    assert _import(work, _edit(again, {"doc:2": "The summit opens"})).exit_code == 0
    twice = _import(work, again.with_name("edited.xlf"))
    assert twice.exit_code == 0 and "0 edited" in twice.output
    assert _stats(work) == {"human": {"translated": 1}, "mt": {"approved": 3}}


def test_risk_travels_to_the_cat_tool_and_gives_way_to_a_person(work: Path) -> None:
    from pipeline.memory import TranslationMemory
    from pipeline.risk import VOUCHED_RISK, load_model

    report = json.loads((work / "out" / "report.json").read_text(encoding="utf-8"))
    risks = {u["tuid"]: u["risk"] for u in report["units"]}
    path = _export(work)
    if XSD.is_file():
        schema = etree.XMLSchema(etree.parse(str(XSD)))
        assert schema.validate(etree.parse(str(path))), schema.error_log.last_error
    units = {u.get("id"): u for u in etree.parse(str(path)).iterfind(".//x:trans-unit", NS)}
    for tuid, risk in risks.items():
        unit = units[tuid]
        assert unit.findtext(".//x:prop[@prop-type='x-risk']", namespaces=NS) == f"{risk:.3f}"
        note = next(n for n in unit.iterfind("x:note", NS) if n.get("from") == "tmpipe-risk")
        assert note.text.startswith(f"risk {risk:.2f}")
        assert (note.get("priority") == "1") == (risk >= load_model().high)
    segments = [json.loads(line) for line in
                (work / "out" / "segments.jsonl").read_text(encoding="utf-8").splitlines()]
    assert {f"doc:{s['number']}": s["risk"] for s in segments if "risk" in s} == risks

    edited = _edit(path, {"doc:2": "The Wuzhen Summit opens"}, confirm=False)
    assert _import(work, edited).exit_code == 0
    report = json.loads((work / "out" / "report.json").read_text(encoding="utf-8"))
    after = {u["tuid"]: u["risk"] for u in report["units"]}
    assert after["doc:2"] == VOUCHED_RISK
    assert {k: v for k, v in after.items() if k != "doc:2"} == {
        k: v for k, v in risks.items() if k != "doc:2"}  # unconfirmed MT keeps its risk
    with TranslationMemory(work / "tm.sqlite") as tm:
        props = {u.tuid: u.props for u in tm.doc_units("doc")}
    assert "x-risk" not in props["doc:2"] and "x-risk" in props["doc:3"]
    again = _export(work)
    unit = next(u for u in etree.parse(str(again)).iterfind(".//x:trans-unit", NS)
                if u.get("id") == "doc:2")
    assert not [n for n in unit.iterfind("x:note", NS) if n.get("from") == "tmpipe-risk"]
