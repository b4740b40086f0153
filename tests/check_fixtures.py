"""A glossary and TMX units with planted term violations, for the ``tmpipe check`` tests."""

from __future__ import annotations

from pathlib import Path
from xml.sax.saxutils import escape

GLOSSARY = (
    "source\ttarget\tvariants\tforbidden\tnote\n"
    "世界互联网大会\tWorld Internet Conference\tWIC\t\t\n"
    "网络空间命运共同体\tcommunity with a shared future in cyberspace\t\t"
    "cyberspace community of common destiny\t\n"
    "GSMA\tGSMA\t\t\t\n"
    "乌镇\tWuzhen\t\t\t\n"
)

CLEAN = [
    ("u1", "世界互联网大会在乌镇举行。", "The World Internet Conference is held in Wuzhen."),
    ("u2", "没有术语的句子。", "A sentence without terms."),
]
PLANTED = [
    ("u3", "构建网络空间命运共同体。", "Build a cyberspace community of common destiny."),
    ("u4", "世界互联网大会开幕。", "The internet meeting opened."),
    ("u5", "GSMA是创始成员。", "The Gsma is a founding member."),
]


def write_tmx(path: Path, units: list[tuple[str, str, str]], zh: str = "zh-CN",
              en: str = "en-US", srclang: str | None = None) -> Path:
    """A minimal TMX 1.4 file with the given language codes."""
    body = "".join(
        f'<tu tuid="{tuid}"><tuv xml:lang="{zh}"><seg>{escape(src)}</seg></tuv>'
        f'<tuv xml:lang="{en}"><seg>{escape(tgt)}</seg></tuv></tu>\n'
        for tuid, src, tgt in units
    )
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<tmx version="1.4">\n'
        f'<header creationtool="test" creationtoolversion="1" segtype="sentence" '
        f'o-tmf="test" adminlang="en" srclang="{srclang or zh}" datatype="plaintext"/>\n'
        f"<body>\n{body}</body>\n</tmx>\n", encoding="utf-8")
    return path
