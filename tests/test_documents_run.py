"""DOCX, HTML and Markdown through ``tmpipe run``: the same structure back, in English,
every inline code in its place, the memory and the TMX holding the codes."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from conftest import SEED, SHARED
from documents_fixtures import (
    BOLD,
    HEADER,
    HTML_PAGE,
    ITALIC,
    LINK,
    MARKDOWN,
    SCRIPT,
    english,
    make_docx,
    run_cli,
    scripted_engine,
    use_engine,
)
from fakes import FakeEngine
from lxml import etree
from lxml import html as lxml_html

from pipeline import flow

docx = pytest.importorskip("docx")

_HAN = re.compile(r"[\u3400-\u9fff]")
W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"


def _structure(element, skip=()) -> list[str]:
    """Tags (with the attributes that carry structure) in document order."""
    return [etree.QName(e).localname for e in element.iter()
            if isinstance(e.tag, str) and etree.QName(e).localname not in skip]


def _runs(paragraph) -> list[tuple[str, bool, bool]]:
    return [(r.text, bool(r.bold), bool(r.italic)) for r in paragraph.runs]


def test_docx_comes_back_as_english_docx_with_structure_and_codes(tmp_path, monkeypatch):
    use_engine(monkeypatch, scripted_engine())
    source = make_docx(tmp_path / "article.docx")
    out = run_cli(tmp_path, source)
    assert {p.name for p in out.iterdir()} >= {"article.en.docx", "article.en.txt", "article.tmx"}

    before, after = docx.Document(str(source)), docx.Document(str(out / "article.en.docx"))
    skip = ("t", "r", "rPr", "b", "i", "bCs", "iCs")  # runs are rebuilt; all else must match
    assert _structure(after.element.body, skip) == _structure(before.element.body, skip)
    assert [p.style.name for p in after.paragraphs] == [p.style.name for p in before.paragraphs]
    assert len(after.tables) == 1 and len(after.inline_shapes) == 1
    assert after.sections[0].header.paragraphs[0].text == HEADER  # kept untouched
    assert after.tables[0].cell(1, 1).text == english("1500人")

    body = after.paragraphs[1]
    bold = [r.text for r in body.runs if r.bold]
    italic = [r.text for r in body.runs if r.italic]
    assert bold == [english(BOLD)] and italic == [english(ITALIC)]
    link = body._p.find(f"{W}hyperlink")
    assert "".join(t.text for t in link.iter(f"{W}t")) == english(LINK)
    r_id = link.get("{http://schemas.openxmlformats.org/officeDocument/2006/relationships}id")
    assert after.part.rels[r_id].target_ref == "https://www.wicinternet.org/"
    assert len(after.paragraphs[2]._p.findall(f".//{W}br")) == 1

    for paragraph in after.paragraphs:
        assert not _HAN.search(paragraph.text), paragraph.text
    lines = (out / "article.en.txt").read_text(encoding="utf-8").splitlines()
    texts = [" ".join(p.text.split()) for p in after.paragraphs if p.text.strip()]
    cells = [c.text for row in after.tables[0].rows for c in row.cells]
    assert lines == [texts[0], texts[1], texts[2], texts[3], *cells, texts[4]]

    tmx = (out / "article.tmx").read_text(encoding="utf-8")
    assert tmx.count("<bpt ") == tmx.count("<ept ") >= 6  # bold, italic, link: source+target
    assert '<ph x="' in tmx and "inline-codes" not in tmx
    dtd_path = SHARED / "interop" / "tmx14.dtd"
    if dtd_path.is_file():  # the inline elements are valid TMX 1.4b
        dtd = etree.DTD(str(dtd_path))
        assert dtd.validate(etree.parse(str(out / "article.tmx"))), dtd.error_log
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    assert report["qa"]["by_check"].get("inline-codes", 0) == 0


def test_second_run_from_memory_keeps_the_codes_in_place(tmp_path, monkeypatch):
    engine = scripted_engine()
    use_engine(monkeypatch, engine)
    source = make_docx(tmp_path / "article.docx")
    first = (run_cli(tmp_path, source) / "article.en.docx").read_bytes()
    calls = len(engine.calls)
    second = run_cli(tmp_path, source) / "article.en.docx"
    assert len(engine.calls) == calls  # every segment served from the memory
    assert docx.Document(str(second)).paragraphs[1].text == docx.Document(
        __import__("io").BytesIO(first)).paragraphs[1].text
    assert [r.text for r in docx.Document(str(second)).paragraphs[1].runs if r.bold] == [
        english(BOLD)]
    from pipeline.memory import TranslationMemory

    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        stored = [u for u in tm.iter_units() if u.target_xml]
    assert stored and all("<bpt" in u.source_xml or "<ph" in u.source_xml for u in stored)


def test_html_page_comes_back_in_english_with_scripts_untouched(tmp_path, monkeypatch):
    use_engine(monkeypatch, scripted_engine())
    source = tmp_path / "page.html"
    source.write_text(HTML_PAGE, encoding="utf-8")
    out = run_cli(tmp_path, source)
    before = lxml_html.parse(str(source)).getroot()
    after = lxml_html.parse(str(out / "page.en.html")).getroot()
    assert _structure(after) == _structure(before)
    assert [dict(e.attrib) for e in after.iter("a", "img", "p")] == [
        dict(e.attrib) for e in before.iter("a", "img", "p")]
    assert after.find(".//script").text == SCRIPT
    assert after.get("lang") == "en"
    assert after.find(".//strong").text == english(BOLD)
    assert after.find(".//em").text == english(ITALIC)
    assert after.find(".//p[@class='lead']/a").text == english(LINK)
    assert after.find(".//figcaption").text == english("图为峰会会场。")
    assert after.find(".//sup/a").text == "1"
    for element in after.iter():
        if element.tag in ("script", "style") or not isinstance(element.tag, str):
            continue
        assert not _HAN.search(element.text or ""), element.text
        if element.get("alt") is None:
            assert not _HAN.search(element.tail or ""), element.tail


def test_markdown_article_comes_back_in_english_with_the_same_blocks(tmp_path, monkeypatch):
    from markdown_it import MarkdownIt

    use_engine(monkeypatch, scripted_engine())
    source = tmp_path / "article.md"
    source.write_text(MARKDOWN, encoding="utf-8")
    out = run_cli(tmp_path, source)
    result = (out / "article.en.md").read_text(encoding="utf-8")
    parser = MarkdownIt("commonmark").enable(["table", "strikethrough"])

    def shape(text: str) -> list[tuple]:
        return [(t.type, t.tag, tuple(c.type for c in t.children or ()
                                      if c.type not in ("text", "softbreak")))
                for t in parser.parse(text)]

    assert shape(result) == shape(MARKDOWN)
    assert f"**{english(BOLD)}**" in result
    assert f"*{english(ITALIC)}*" in result
    assert f'[{english(LINK)}](https://www.wicinternet.org/ "WIC")' in result
    assert "```\n代码块不翻译\n```" in result and "![会场](photo.png)" in result
    assert f"| {english('参会人数')} | {english('1500人')} |" in result


def test_bundled_article_as_docx_translates_like_the_text(tmp_path) -> None:
    """The text path with ``--layout lines`` and the same text as a DOCX (one paragraph per
    line) give the same segments and the same English."""
    lines = [line.strip() for line in SEED.read_text(encoding="utf-8").splitlines()
             if line.strip()]
    document = docx.Document()
    for line in lines:
        document.add_paragraph(line)
    article = tmp_path / "article.docx"
    document.save(str(article))

    def run(source: Path, name: str) -> flow.RunResult:
        options = flow.RunOptions(source=source, doc_id="zjrb", out_dir=tmp_path / name,
                                  tm_path=tmp_path / f"{name}.sqlite", layout="lines")
        return flow.run(options, flow.Hooks(engine_factory=lambda *a, **k: FakeEngine()))

    text_run, docx_run = run(SEED, "text"), run(article, "docx")
    assert [u.source for u in docx_run.units] == [u.source for u in text_run.units]
    text_english = (tmp_path / "text" / "zjrb.en.txt").read_text(encoding="utf-8")
    assert (tmp_path / "docx" / "zjrb.en.txt").read_text(encoding="utf-8") == text_english
    written = docx.Document(str(tmp_path / "docx" / "zjrb.en.docx"))
    assert [p.text for p in written.paragraphs] == text_english.splitlines()
