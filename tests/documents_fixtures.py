"""Documents made in the tests (DOCX with python-docx, an HTML news page, a Markdown
article) and a scripted engine that keeps placeholder tokens where a translator would."""

from __future__ import annotations

import re
import struct
import zlib
from pathlib import Path

import pytest
from fakes import ScriptedEngine

_HAN = re.compile(r"[\u3400-\u9fff]+")
_PUNCT = str.maketrans({"。": ". ", "，": ", ", "、": ", ", "：": ": ", "；": "; ",
                        "（": "(", "）": ")", "“": '"', "”": '"'})
WORDS = ("summit", "world", "internet", "digital", "future", "shared", "open", "network",
         "people", "growth", "city", "river", "light", "bridge", "north", "south")


def english(chinese: str) -> str:
    """The scripted "translation": each Han character a fixed English word, punctuation in
    English; Latin text (placeholder tokens included) is kept where it is."""
    def words(match: re.Match[str]) -> str:
        return " ".join(WORDS[ord(c) % len(WORDS)] for c in match.group())

    text = _HAN.sub(lambda m: " " + words(m) + " ", chinese).translate(_PUNCT)
    text = re.sub(r" +([.,;:)])", r"\1", re.sub(r" {2,}", " ", text))
    return text.strip()


def scripted_engine() -> ScriptedEngine:
    """An engine that translates with :func:`english` and keeps every token in place."""
    return ScriptedEngine(lambda request: english(request.source))


def use_engine(monkeypatch: pytest.MonkeyPatch, engine) -> None:
    """Make ``tmpipe run`` (the CLI) translate with ``engine``."""
    import pipeline.engines as engines

    monkeypatch.setattr(engines, "create_engine", lambda name="auto", **options: engine)
    monkeypatch.setattr(engines, "expected_engine", lambda name="auto", **options: (
        engine.name, engine.model))


def run_cli(tmp_path: Path, source: Path, *extra: str) -> Path:
    """``tmpipe run SOURCE`` into ``tmp_path/out`` (memory in ``tmp_path``); the out folder."""
    from click.testing import CliRunner

    from pipeline.cli import main

    out = tmp_path / "out"
    result = CliRunner().invoke(main, ["run", str(source), "--tm", str(tmp_path / "tm.sqlite"),
                                       "--out", str(out), "--no-glossary", "-q", *extra])
    assert result.exit_code == 0, result.output
    return out


def tiny_png(path: Path) -> Path:
    """A 4×4 red PNG."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        crc = zlib.crc32(kind + data) & 0xFFFFFFFF
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", crc)

    raw = b"".join(b"\x00" + b"\xff\x00\x00" * 4 for _ in range(4))
    path.write_bytes(b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", 4, 4, 8, 2,
                                                                     0, 0, 0))
                     + chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b""))
    return path


def add_hyperlink(paragraph, url: str, text: str) -> None:
    """Append an external hyperlink run to a python-docx paragraph."""
    from docx.opc.constants import RELATIONSHIP_TYPE
    from docx.oxml import OxmlElement
    from docx.oxml.ns import qn

    r_id = paragraph.part.relate_to(url, RELATIONSHIP_TYPE.HYPERLINK, is_external=True)
    link = OxmlElement("w:hyperlink")
    link.set(qn("r:id"), r_id)
    run = OxmlElement("w:r")
    props = OxmlElement("w:rPr")
    style = OxmlElement("w:rStyle")
    style.set(qn("w:val"), "Hyperlink")
    props.append(style)
    run.append(props)
    text_elem = OxmlElement("w:t")
    text_elem.text = text
    run.append(text_elem)
    link.append(run)
    paragraph._p.append(link)


BOLD = "第十年"
ITALIC = "网络空间命运共同体"
LINK = "大会官网"
HEADER = "浙江日报 2023年11月7日"


def make_docx(path: Path) -> Path:
    """Headings, bold and italic runs, a hyperlink, a line break, a table, an image, a
    caption and a page header."""
    import docx
    from docx.enum.text import WD_BREAK
    from docx.shared import Inches

    document = docx.Document()
    document.sections[0].header.paragraphs[0].text = HEADER
    document.add_heading("世界互联网大会乌镇峰会开幕", level=1)
    paragraph = document.add_paragraph("今年是乌镇峰会")
    paragraph.add_run(BOLD).bold = True
    paragraph.add_run("。构建")
    paragraph.add_run(ITALIC).italic = True
    paragraph.add_run("是峰会的永久主题。详见")
    add_hyperlink(paragraph, "https://www.wicinternet.org/", LINK)
    paragraph.add_run("。")
    second = document.add_paragraph("参会嘉宾来自120个国家和地区。")
    second.runs[0].add_break(WD_BREAK.LINE)
    second.add_run("会期三天。")
    document.add_heading("数字经济", level=2)
    table = document.add_table(rows=2, cols=2)
    for (row, col), text in {(0, 0): "指标", (0, 1): "数值",
                             (1, 0): "参会人数", (1, 1): "1500人"}.items():
        table.cell(row, col).text = text
    document.add_picture(str(tiny_png(path.parent / "photo.png")), width=Inches(1))
    document.add_paragraph("图为峰会会场。", style="Caption")
    document.save(str(path))
    return path


SCRIPT = 'document.documentElement.dataset.ran = "yes"; var note = "脚本里的中文";'

HTML_PAGE = f"""<!DOCTYPE html>
<html lang="zh-CN">
<head>
<meta charset="utf-8">
<title>乌镇峰会开幕</title>
<script>{SCRIPT}</script>
<style>figure {{ margin: 0 }}</style>
</head>
<body>
<article>
  <h1>世界互联网大会乌镇峰会开幕</h1>
  <p class="lead">今年是乌镇峰会<strong>{BOLD}</strong>。详见<a href="https://www.wicinternet.org/">{LINK}</a>。</p>
  <p>构建<em>{ITALIC}</em>是峰会的永久主题。<br>
  参会嘉宾来自120个国家和地区<sup><a href="#fn1">1</a></sup>。</p>
  <figure><img src="photo.png" alt="会场"><figcaption>图为峰会会场。</figcaption></figure>
  <ul><li>数字经济</li><li>人工智能</li></ul>
  <table><tr><th>指标</th><th>数值</th></tr><tr><td>参会人数</td><td>1500人</td></tr></table>
  <p id="fn1">注：数据来自大会组委会。</p>
</article>
</body>
</html>
"""

MARKDOWN = f"""# 世界互联网大会乌镇峰会开幕

今年是乌镇峰会**{BOLD}**，详见[{LINK}](https://www.wicinternet.org/ "WIC")。
构建*{ITALIC}*是峰会的永久主题。

## 数字经济

- 参会嘉宾来自120个国家和地区
- 会期`三天`

| 指标 | 数值 |
|---|---|
| 参会人数 | 1500人 |

> 引用：数据来自大会组委会。

```
代码块不翻译
```

![会场](photo.png)
"""


