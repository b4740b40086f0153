"""Document formats: readers, inline codes through MT, refusals of unsupported or unsafe files."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest
from click.testing import CliRunner
from documents_fixtures import BOLD, HTML_PAGE, ITALIC, LINK, MARKDOWN, make_docx
from fakes import FakeEngine, ScriptedEngine

from pipeline.cli import main
from pipeline.documents import format_for, read_document
from pipeline.documents.codes import (
    codes_from_match,
    from_placeholders,
    move_offsets,
    split_codes,
    with_placeholders,
)
from pipeline.documents.protect import from_tags, protect_codes, with_tags
from pipeline.errors import UserError
from pipeline.exchange.tmx import inline_seg_xml
from pipeline.units import InlineCode, MTRequest

pytest.importorskip("docx")


def _codes(*spec: tuple[int, str, int]) -> tuple[InlineCode, ...]:
    return tuple(InlineCode(i, kind, offset, "bold") for i, kind, offset in spec)


# ------------------------------------------------------------------ codes


def test_placeholders_round_trip_through_an_engine_that_keeps_them() -> None:
    codes = _codes((1, "open", 2), (1, "close", 4), (2, "standalone", 7))
    tokens = with_placeholders("今年第十年。详见", codes, "ZX")
    assert tokens == "今年ZX0第十ZX1年。详ZX2见"
    coded = from_placeholders("This year is ZX0 the tenth ZX1 year. ZX2 See", codes, "ZX")
    assert coded.text == "This year is the tenth year. See"
    placed = {(c.id, c.kind): c.offset for c in coded.codes}
    assert coded.text[placed[1, "open"] : placed[1, "close"]] == "the tenth"
    assert coded.text[placed[2, "standalone"]:].strip() == "See"
    assert coded.lost == ()


def test_lost_codes_go_to_the_edges_and_are_listed() -> None:
    codes = _codes((1, "open", 0), (1, "close", 2), (2, "standalone", 3))
    coded = from_placeholders("Only ZX1 text, zx9 unknown.", codes, "ZX")
    assert coded.text == "Only text, unknown."
    assert coded.lost == (1, 2)
    offsets = {(c.id, c.kind): c.offset for c in coded.codes}
    assert offsets[1, "open"] == 0 and offsets[1, "close"] == len("Only")
    assert offsets[2, "standalone"] == len(coded.text)


def test_a_pair_turned_round_by_the_engine_is_put_in_order() -> None:
    codes = _codes((1, "open", 0), (1, "close", 2))
    coded = from_placeholders("ZX1 bold ZX0 text", codes, "ZX")
    offsets = {c.kind: c.offset for c in coded.codes}
    assert offsets["open"] <= offsets["close"]


def test_tags_round_trip_through_an_engine_that_keeps_them() -> None:
    codes = _codes((1, "open", 2), (1, "close", 4), (2, "standalone", 6), (3, "open", 7))
    tagged = with_tags("今年第十年。详见", codes)
    assert tagged == "今年<g1>第十</g1>年。<x2/>详<bx3/>见"
    coded = from_tags("This year is the <g1>tenth</g1> year.<x2/> <bx3/>See", codes)
    assert coded.text == "This year is the tenth year. See"
    placed = {(c.id, c.kind): c.offset for c in coded.codes}
    assert coded.text[placed[1, "open"] : placed[1, "close"]] == "tenth"
    assert coded.text[placed[2, "standalone"]:].strip() == "See"
    assert coded.text[placed[3, "open"]:] == "See"
    assert coded.lost == ()


def test_tags_the_engine_bent_are_read_and_unknown_ones_removed() -> None:
    codes = _codes((1, "open", 0), (1, "close", 2), (2, "standalone", 3))
    coded = from_tags("< G1 >Only</ g1> text, <x9/>unknown.", codes)
    assert coded.text == "Only text, unknown."
    assert coded.lost == (2,)
    offsets = {(c.id, c.kind): c.offset for c in coded.codes}
    assert (offsets[1, "open"], offsets[1, "close"]) == (0, len("Only"))
    assert offsets[2, "standalone"] == len(coded.text)


def test_engine_wrapper_writes_codes_in_the_engines_style() -> None:
    seen: list[str] = []

    class TagEngine(ScriptedEngine):
        code_style = "tags"

    def answer(request: MTRequest) -> str:
        seen.append(request.source)
        return request.source.replace("今年", "This year ").replace("第十年", "the tenth")

    codes = _codes((1, "open", 2), (1, "close", 5))
    (coded,) = protect_codes(TagEngine(answer)).translate_batch(
        [MTRequest(source="今年第十年", codes=codes)], [[]])
    assert seen == ["今年<g1>第十年</g1>"]
    assert coded.text == "This year the tenth" and coded.codes is not None
    placed = {c.kind: c.offset for c in coded.codes.codes}
    assert coded.text[placed["open"] : placed["close"]] == "the tenth"


def test_the_next_segment_gets_its_previous_as_it_was_sent() -> None:
    sent: list[tuple[str, str | None]] = []

    def answer(request: MTRequest) -> str:
        sent.append((request.source, request.previous))
        return "Text."

    codes = _codes((1, "open", 0), (1, "close", 2))
    engine = protect_codes(ScriptedEngine(answer))
    engine.translate_batch([MTRequest("今年第十年。", codes=codes)], [[]])
    engine.translate_batch([MTRequest("详见。", previous="今年第十年。"),
                            MTRequest("另见。", previous="详见。")], [[], []])
    assert sent == [("ZX0今年ZX1第十年。", None), ("详见。", "ZX0今年ZX1第十年。"),
                    ("另见。", "详见。")]


def test_the_llm_engine_gets_tags_and_its_answer_is_read_back() -> None:
    from pipeline.engines.llamacpp import Completion
    from pipeline.engines.llm import LlmEngine

    prompts: list[str] = []

    def complete(messages: list[dict[str, str]], settings: dict) -> Completion:
        prompts.append(messages[-1]["content"])
        return Completion("This is the <g1>tenth</g1> year.")

    engine = protect_codes(LlmEngine(complete=complete, show_progress=False))
    codes = _codes((1, "open", 2), (1, "close", 4))
    (coded,) = engine.translate_batch([MTRequest(source="今年第十年。", codes=codes)], [[]])
    assert "今年<g1>第十</g1>年。" in prompts[0]
    assert coded.text == "This is the tenth year." and coded.codes is not None
    assert coded.codes.lost == ()
    assert [c.offset for c in coded.codes.codes] == [12, 17]


def test_codes_follow_edits_made_after_mt() -> None:
    codes = _codes((1, "open", 10), (1, "close", 16))
    old = "There are 36,700 people."
    moved = move_offsets(old, "There are 367,000 people.", codes)
    assert [c.offset for c in moved] == [10, 17]


def test_split_codes_gives_every_code_to_a_segment() -> None:
    codes = _codes((1, "open", 1), (1, "close", 5), (2, "standalone", 5))
    parts = split_codes(codes, [(0, 5), (5, 9)])
    assert [[(c.kind, c.offset) for c in part] for part in parts] == [
        [("open", 1), ("close", 5), ("standalone", 5)], []]


def test_inline_seg_xml_writes_tmx_inline_elements() -> None:
    codes = (InlineCode(1, "open", 2, "bold", "<b>"), InlineCode(1, "close", 4, "bold", "</b>"),
             InlineCode(2, "standalone", 5, "lb", "<br/>"), InlineCode(3, "open", 5, "link", "<a>"))
    xml = inline_seg_xml("今年第十年。", codes)
    assert xml == ('今年<bpt i="1" type="bold">&lt;b&gt;</bpt>第十<ept i="1">&lt;/b&gt;</ept>年'
                   '<ph x="2" type="lb">&lt;br/&gt;</ph><it pos="begin" x="3" type="link">'
                   '&lt;a&gt;</it>。')


def test_memory_positions_carry_over_by_order() -> None:
    codes = _codes((1, "open", 2), (1, "close", 4))
    source_xml = '今年<bpt i="7" type="bold">&lt;b&gt;</bpt>第十<ept i="7">x</ept>年'
    target_xml = 'This is the <bpt i="7">x</bpt>tenth<ept i="7">x</ept> year'
    coded = codes_from_match(codes, source_xml, "This is the tenth year", target_xml)
    assert coded is not None
    assert [c.offset for c in coded.codes] == [12, 17]
    other = _codes((1, "open", 1), (1, "close", 4))
    assert codes_from_match(other, source_xml, "x", target_xml) is None


def test_engine_wrapper_passes_plain_requests_unchanged() -> None:
    seen: list[str] = []

    def answer(request: MTRequest) -> str:
        seen.append(request.source)
        return request.source.replace("今年", "This year ").replace("第十年", "tenth").strip()

    engine = protect_codes(ScriptedEngine(answer))
    codes = _codes((1, "open", 2), (1, "close", 5))
    plain, coded = engine.translate_batch(
        [MTRequest(source="今年"), MTRequest(source="今年第十年", codes=codes)], [[], []])
    assert seen == ["今年", "今年ZX0第十年ZX1"]
    assert plain.codes is None and plain.text == "This year"
    assert coded.text == "This year tenth"
    assert coded.codes is not None and coded.codes.lost == ()


# ------------------------------------------------------------------ readers


def test_docx_reader_takes_paragraphs_from_the_structure(tmp_path) -> None:
    document = read_document(make_docx(tmp_path / "article.docx"))
    texts = [p.text for p in document.paragraphs]
    assert texts[0] == "世界互联网大会乌镇峰会开幕"
    assert document.paragraphs[0].kind == "headline"
    assert {"指标", "数值", "参会人数", "1500人"} <= set(texts)  # table cells
    assert "图为峰会会场。" in texts and document.paragraphs[-1].kind == "caption"
    assert not any("浙江日报" in t for t in texts)  # the page header is kept untranslated
    body = document.paragraphs[1]
    kinds = {(c.type, c.kind) for c in body.codes}
    assert {("bold", "open"), ("italic", "open"), ("link", "open"), ("link", "close")} <= kinds
    bold = [c.offset for c in body.codes if c.type == "bold"]
    assert body.text[bold[0] : bold[1]] == BOLD
    breaks = [c for c in document.paragraphs[2].codes if c.type == "lb"]
    assert len(breaks) == 1
    segments = [s for s in document.segments if s.paragraph == 2]
    assert [s.text for s in segments][0] == "今年是乌镇峰会第十年。"
    assert sum(len(s.codes) for s in segments) == len(body.codes)


def test_html_reader_skips_scripts_and_keeps_inline_markup_as_codes(tmp_path) -> None:
    path = tmp_path / "page.html"
    path.write_text(HTML_PAGE, encoding="utf-8")
    document = read_document(path)
    texts = [p.text for p in document.paragraphs]
    assert "脚本里的中文" not in document.text
    assert texts[:2] == ["乌镇峰会开幕", "世界互联网大会乌镇峰会开幕"]
    assert "图为峰会会场。" in texts
    lead = document.paragraphs[2]
    assert lead.text == f"今年是乌镇峰会{BOLD}。详见{LINK}。"
    assert [c.type for c in lead.codes] == ["bold", "bold", "link", "link"]


def test_markdown_reader_leaves_code_and_html_blocks_alone(tmp_path) -> None:
    path = tmp_path / "article.md"
    path.write_text(MARKDOWN, encoding="utf-8")
    document = read_document(path)
    texts = [p.text for p in document.paragraphs]
    assert "代码块不翻译" not in document.text
    assert texts[1] == f"今年是乌镇峰会{BOLD}，详见{LINK}。构建{ITALIC}是峰会的永久主题。"
    assert [c.type for c in document.paragraphs[1].codes] == [
        "bold", "bold", "link", "link", "italic", "italic"]
    assert "参会人数" in texts


def test_format_is_chosen_by_name() -> None:
    assert format_for(Path("a.DOCX")).name == "docx"
    assert format_for(Path("a.htm")).name == "html"
    assert format_for(Path("a.zh.md")).name == "markdown"
    assert format_for(Path("source.zh.txt")).name == "text"
    assert format_for(Path("source.zh")) is None


def test_text_with_an_unknown_ending_is_read_as_text(tmp_path) -> None:
    path = tmp_path / "source.zh"
    path.write_text("今年是第十年。\n", encoding="utf-8")
    assert read_document(path).format.name == "text"


# ------------------------------------------------------------------ refusals


def _run(tmp_path: Path, source: Path) -> object:
    return CliRunner().invoke(main, ["run", str(source), "--tm", str(tmp_path / "tm.sqlite"),
                                     "--out", str(tmp_path / "out"), "--no-glossary", "-q"])


def _one_line_refusal(result, name: str, *words: str) -> str:
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1, lines
    assert name in lines[0]
    for word in words:
        assert word in lines[0], lines[0]
    return lines[0]


def test_txt_that_is_really_docx_is_refused_with_a_hint(tmp_path) -> None:
    fake_txt = tmp_path / "article.txt"
    fake_txt.write_bytes(make_docx(tmp_path / "real.docx").read_bytes())
    line = _one_line_refusal(_run(tmp_path, fake_txt), "article.txt", ".docx", "supported")
    assert "HTML" in line and "Markdown" in line


def test_pdf_is_refused_naming_the_supported_formats(tmp_path) -> None:
    pdf = tmp_path / "article.pdf"
    pdf.write_bytes(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<<>>\nendobj\n")
    _one_line_refusal(_run(tmp_path, pdf), "article.pdf", "PDF", "DOCX (.docx)")


def test_corrupt_docx_is_refused(tmp_path) -> None:
    good = make_docx(tmp_path / "good.docx").read_bytes()
    broken = tmp_path / "broken.docx"
    broken.write_bytes(good[: len(good) // 2])
    _one_line_refusal(_run(tmp_path, broken), "broken.docx", "damaged DOCX")


def test_zip_that_is_not_word_is_refused(tmp_path) -> None:
    other = tmp_path / "sheet.docx"
    with zipfile.ZipFile(other, "w") as archive:
        archive.writestr("[Content_Types].xml", "<Types/>")
        archive.writestr("xl/workbook.xml", "<workbook/>")
    _one_line_refusal(_run(tmp_path, other), "sheet.docx", "not a Word document")


def test_zip_bomb_inside_a_docx_is_refused_before_parsing(tmp_path) -> None:
    bomb = tmp_path / "bomb.docx"
    good = make_docx(tmp_path / "good.docx")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(bomb, "w", zipfile.ZIP_DEFLATED) as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        out.writestr("word/media/filler.bin", b"\0" * (20 << 20))  # 20 MiB of zeros
    assert bomb.stat().st_size < 1 << 20
    _one_line_refusal(_run(tmp_path, bomb), "bomb.docx", "zip bomb")


def test_docx_with_too_many_parts_is_refused(tmp_path) -> None:
    crowded = tmp_path / "crowded.docx"
    good = make_docx(tmp_path / "good.docx")
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(crowded, "w") as out:
        for info in src.infolist():
            out.writestr(info, src.read(info))
        for i in range(5001 - len(src.infolist())):
            out.writestr(f"extra/part{i}.xml", b"")
    with pytest.raises(UserError, match="parts"):
        read_document(crowded)


def test_docx_external_entity_is_never_resolved(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    good = make_docx(tmp_path / "good.docx")
    evil = tmp_path / "evil.docx"
    with zipfile.ZipFile(good) as src, zipfile.ZipFile(evil, "w") as out:
        for info in src.infolist():
            data = src.read(info)
            if info.filename == "word/document.xml":
                head, _, rest = data.partition(b"?>")
                doctype = f'<!DOCTYPE d [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'.encode()
                data = head + b"?>" + doctype + rest.replace("参会人数".encode(), b"&x;")
            out.writestr(info, data)
    try:
        document = read_document(evil)
    except UserError:
        return  # refused: also fine
    assert "TOPSECRET" not in document.text


def test_html_external_entities_and_links_are_not_fetched(tmp_path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOPSECRET", encoding="utf-8")
    page = tmp_path / "page.html"
    page.write_text(f'<!DOCTYPE html [<!ENTITY x SYSTEM "{secret.as_uri()}">]>'
                    f'<html><body><p>你好&x;<img src="{secret.as_uri()}"></p></body></html>',
                    encoding="utf-8")
    document = read_document(page)
    assert "TOPSECRET" not in document.text


def test_lost_codes_are_flagged_and_kept_at_the_edges(tmp_path, monkeypatch) -> None:
    from documents_fixtures import use_engine

    use_engine(monkeypatch, FakeEngine())  # writes plain sentences: every token is lost
    source = tmp_path / "page.html"
    source.write_text(HTML_PAGE, encoding="utf-8")
    result = _run(tmp_path, source)
    assert result.exit_code == 0, result.output
    from lxml import html

    page = html.parse(str(tmp_path / "out" / "page.en.html")).getroot()
    assert len(page.findall(".//strong")) == 1 and len(page.findall(".//em")) == 1
    assert page.find(".//p[@class='lead']/a").get("href") == "https://www.wicinternet.org/"
    tmx = (tmp_path / "out" / "page.tmx").read_text(encoding="utf-8")
    assert "inline-codes (warning): engine lost inline codes" in tmx


def test_markdown_render_escapes_text_that_would_become_markup() -> None:
    from pipeline.documents.markdown import render

    assert render("1. * not a list [x]", (), {}) == "1\\. \\* not a list \\[x\\]"


def test_readers_are_bounded(tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("TMPIPE_MAX_INPUT_MB", "1")
    for name in ("big.html", "big.md"):
        big = tmp_path / name
        big.write_bytes(b"<html><body><p>" + b"x" * (1 << 20))
        with pytest.raises(UserError, match="larger than 1 MB"):
            read_document(big)


def test_html_in_a_declared_chinese_encoding_is_written_as_utf8(tmp_path, monkeypatch) -> None:
    from documents_fixtures import english, run_cli, scripted_engine, use_engine

    use_engine(monkeypatch, scripted_engine())
    page = tmp_path / "gbk.html"
    page.write_bytes('<html lang="zh"><head><meta charset="gb2312"></head>'
                     '<body><p>今年是<b>第十年</b>。</p></body></html>'.encode("gb18030"))
    written = (run_cli(tmp_path, page) / "gbk.en.html").read_text(encoding="utf-8")
    assert '<meta charset="utf-8">' in written and 'lang="en"' in written
    assert f"<b>{english('第十年')}</b>" in written


def test_segment_command_reads_documents(tmp_path) -> None:
    result = CliRunner().invoke(main, ["segment", str(make_docx(tmp_path / "a.docx")),
                                       "--format", "text"])
    assert result.exit_code == 0, result.output
    assert "headline  世界互联网大会乌镇峰会开幕" in result.output
    assert "今年是乌镇峰会第十年。" in result.output


def test_a_folder_of_documents_is_found_and_analysed(tmp_path) -> None:
    from pipeline.batch.inputs import collect_inputs

    docs = tmp_path / "docs"
    docs.mkdir()
    make_docx(docs / "word.docx")
    (docs / "page.html").write_text(HTML_PAGE, encoding="utf-8")
    (docs / "notes.md").write_text(MARKDOWN, encoding="utf-8")
    (docs / "word.en.docx").write_bytes((docs / "word.docx").read_bytes())  # an English edition
    found = collect_inputs([docs])
    assert sorted(d.path.name for d in found.documents) == ["notes.md", "page.html", "word.docx"]
    out = tmp_path / "analysis.json"
    result = CliRunner().invoke(main, ["analyze", str(docs), "--json", str(out)])
    assert result.exit_code == 0, result.output
    import json

    documents = json.loads(out.read_text(encoding="utf-8"))["documents"]
    assert len(documents) == 3 and all(d["segments"] > 0 for d in documents), documents
