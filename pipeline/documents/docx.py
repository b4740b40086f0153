"""DOCX (Word) documents with python-docx: paragraphs from the body, formatting as codes.

The package is checked before parsing: a readable ZIP with ``word/document.xml``, at most
:data:`MAX_MEMBERS` parts, :data:`MAX_UNPACKED` bytes unpacked and no part compressed
more than :data:`MAX_RATIO` to one (a zip bomb is refused unread). python-docx parses
with entity resolution off and no network; nothing in the file is run or fetched.

Every body paragraph (tables included; text boxes, headers, footers, footnotes and
comments are kept untranslated) is one paragraph. Runs in the paragraph's most common
formatting are plain text; other runs become paired codes carrying their run properties,
hyperlinks paired codes around their runs, and line breaks, tabs, images, footnote marks,
fields and anything unknown standalone codes that are copied back unchanged. Writing
replaces each translated paragraph's runs and keeps everything else of the package.
"""

from __future__ import annotations

import copy
import io
import re
import zipfile
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from ..errors import UserError
from ..fsutil import atomic_open
from ..segment import SegmentOptions
from ..textio import input_limit
from ..units import InlineCode, Unit
from .base import (
    DocumentFormat,
    Paragraph,
    SourceDocument,
    paragraph_targets,
    register,
    segment_paragraphs,
)
from .codes import ordered

#: Most parts a DOCX may have.
MAX_MEMBERS = 5000
#: Most bytes all parts may unpack to.
MAX_UNPACKED = 512 * 1024 * 1024
#: Highest compression ratio of a part larger than 1 MiB unpacked.
MAX_RATIO = 200

W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
XML_SPACE = "{http://www.w3.org/XML/1998/namespace}space"
_NS_DECL = re.compile(r'\s+xmlns(?::\w+)?="[^"]*"')
_HOISTED = frozenset({"bookmarkStart", "bookmarkEnd", "proofErr", "permStart", "permEnd"})
_DROPPED_IN_RUN = frozenset({"rPr", "lastRenderedPageBreak"})
_HEADLINE_STYLES = ("heading", "title", "subtitle")


def w(tag: str) -> str:
    """The Clark name of a WordprocessingML tag."""
    return f"{{{W}}}{tag}"


def _local(elem: etree._Element) -> str:
    return etree.QName(elem).localname if isinstance(elem.tag, str) else ""


def _xml(elem: etree._Element | None) -> str:
    """Compact XML of ``elem`` without namespace declarations (for TMX code content)."""
    if elem is None:
        return ""
    return _NS_DECL.sub("", etree.tostring(elem, encoding="unicode"))


def check_package(path: Path) -> None:
    """Refuse a damaged DOCX, a zip bomb or a ZIP that is not a Word document, unparsed."""
    limit = input_limit()
    if path.stat().st_size > limit:
        raise UserError(f"source document is larger than {limit / 1024 / 1024:g} MB; split it, "
                        "or raise the cap with TMPIPE_MAX_INPUT_MB", path)
    try:
        with zipfile.ZipFile(path) as archive:
            infos = archive.infolist()
            if len(infos) > MAX_MEMBERS:
                raise UserError(f"DOCX has {len(infos):,} parts (at most {MAX_MEMBERS:,}): "
                                "refused as a possible zip bomb", path)
            unpacked = sum(info.file_size for info in infos)
            if unpacked > MAX_UNPACKED:
                raise UserError(f"DOCX unpacks to {unpacked:,} bytes (at most "
                                f"{MAX_UNPACKED:,}): refused as a possible zip bomb", path)
            for info in infos:
                if info.file_size > 1 << 20 and info.file_size > MAX_RATIO * max(
                        1, info.compress_size):
                    raise UserError(f"DOCX part {info.filename} is compressed "
                                    f"{info.file_size // max(1, info.compress_size):,} to 1: "
                                    "refused as a possible zip bomb", path)
            names = {info.filename for info in infos}
            if "word/document.xml" not in names or "[Content_Types].xml" not in names:
                raise UserError("a ZIP archive but not a Word document (no word/document.xml); "
                                "supported: DOCX", path)
            bad = archive.testzip()
            if bad is not None:
                raise UserError(f"damaged DOCX: part {bad} fails its CRC check", path)
    except zipfile.BadZipFile as exc:
        raise UserError(f"damaged DOCX: not a readable ZIP archive ({exc})", path) from exc
    except (OSError, EOFError, zipfile.LargeZipFile, NotImplementedError, RuntimeError) as exc:
        raise UserError(f"damaged DOCX: {exc}", path) from exc


@dataclass
class _Piece:
    """A stretch of a paragraph: text in one formatting, or one object kept whole."""

    text: str = ""
    key: str = ""  # the run properties as XML ("" without)
    rpr: Any = None
    link: int | None = None  # index of the hyperlink it sits in
    obj: Any = None  # a w:r holding an object (standalone code), or a foreign element
    type: str = "x-object"


def _code_type(rpr: etree._Element | None) -> str:
    names = {_local(c) for c in rpr} if rpr is not None else set()
    for name, kind in (("b", "bold"), ("i", "italic"), ("u", "ulined")):
        if name in names:
            return kind
    return "x-format"


def _object_type(elem: etree._Element) -> str:
    name = _local(elem)
    return {"br": "lb", "cr": "lb", "drawing": "image", "pict": "image", "tab": "x-tab",
            "footnoteReference": "fnote", "endnoteReference": "enote"}.get(name, f"x-{name}")


class _Reader:
    """Turns one ``w:p`` into a :class:`Paragraph` (plain text plus codes)."""

    def __init__(self, kind: str):
        self.kind = kind
        self.pieces: list[_Piece] = []
        self.links: list[etree._Element] = []

    def run(self, r: etree._Element, link: int | None) -> None:
        rpr = r.find(w("rPr"))
        key = _xml(rpr)
        for child in r:
            name = _local(child)
            if name in _DROPPED_IN_RUN:
                continue
            if name == "t":
                if child.text:
                    self.pieces.append(_Piece(child.text, key, rpr, link))
                continue
            holder = etree.Element(w("r"))
            if rpr is not None:
                holder.append(copy.deepcopy(rpr))
            holder.append(copy.deepcopy(child))
            self.pieces.append(_Piece(key=key, rpr=rpr, link=link, obj=holder,
                                      type=_object_type(child)))

    def paragraph(self, p: etree._Element) -> Paragraph:
        for child in p:
            name = _local(child)
            if name in ("pPr", *_HOISTED) or not name:
                continue
            if name == "r":
                self.run(child, None)
            elif name == "hyperlink":
                self.links.append(child)
                for r in child.iter(w("r")):
                    self.run(r, len(self.links) - 1)
            else:
                self.pieces.append(_Piece(obj=copy.deepcopy(child), type=f"x-{name}"))
        return self._codes(p)

    def _codes(self, p: etree._Element) -> Paragraph:
        base = _most_common(self.pieces, None)
        link_base = {i: _most_common(self.pieces, i) for i in range(len(self.links))}
        text = ""
        codes: list[InlineCode] = []
        natives: dict[int, Any] = {0: base[1]}
        open_link: tuple[int, int] | None = None  # (link index, code id)
        open_format: tuple[str, int, str] | None = None  # (key, code id, type)

        def close_format() -> None:
            nonlocal open_format
            if open_format is not None:
                codes.append(InlineCode(open_format[1], "close", len(text), open_format[2],
                                        "</w:r>"))
                open_format = None

        for piece in self.pieces:
            if piece.link != (open_link[0] if open_link else None):
                close_format()
                if open_link is not None:
                    codes.append(InlineCode(open_link[1], "close", len(text), "link",
                                            "</w:hyperlink>"))
                    open_link = None
                if piece.link is not None:
                    shell = etree.Element(self.links[piece.link].tag,
                                          dict(self.links[piece.link].attrib))
                    code_id = len(natives)
                    natives[code_id] = ("link", shell, link_base[piece.link][1])
                    codes.append(InlineCode(code_id, "open", len(text), "link",
                                            _xml(shell).replace("/>", ">")))
                    open_link = (piece.link, code_id)
            if piece.obj is not None:
                code_id = len(natives)
                natives[code_id] = ("object", piece.obj)
                codes.append(InlineCode(code_id, "standalone", len(text), piece.type,
                                        _xml(piece.obj)))
                continue
            plain_key = link_base[piece.link][0] if piece.link is not None else base[0]
            want = None if piece.key == plain_key else piece.key
            if (open_format[0] if open_format else None) != want:
                close_format()
                if want is not None:
                    code_id = len(natives)
                    natives[code_id] = ("format", piece.rpr)
                    kind = _code_type(piece.rpr)
                    codes.append(InlineCode(code_id, "open", len(text), kind,
                                            f"<w:r>{_xml(piece.rpr)}"))
                    open_format = (want, code_id, kind)
            text += piece.text
        close_format()
        if open_link is not None:
            codes.append(InlineCode(open_link[1], "close", len(text), "link", "</w:hyperlink>"))
        return Paragraph(text, tuple(codes), self.kind, natives, p)


def _most_common(pieces: Sequence[_Piece], link: int | None) -> tuple[str, Any]:
    """The run properties (key, element) covering most text of a paragraph or link."""
    counts: Counter[str] = Counter()
    elems: dict[str, Any] = {}
    for piece in pieces:
        if piece.obj is None and piece.link == link:
            counts[piece.key] += len(piece.text)
            elems.setdefault(piece.key, piece.rpr)
    if not counts:
        return "", None
    key = counts.most_common(1)[0][0]
    return key, elems[key]


def _body_paragraphs(body: etree._Element) -> list[etree._Element]:
    """Paragraphs of the body in order, tables included, not those nested in a paragraph."""
    out = []
    for p in body.iter(w("p")):
        if not any(a.tag == w("p") for a in p.iterancestors()):
            out.append(p)
    return out


def _kind(p: etree._Element, style_names: dict[str, str]) -> str:
    style = p.find(f"{w('pPr')}/{w('pStyle')}")
    name = style_names.get(style.get(w("val"), ""), "") if style is not None else ""
    name = name.lower()
    if name.startswith(_HEADLINE_STYLES):
        return "headline"
    if name.startswith("caption"):
        return "caption"
    return "body"


def _run(rpr: Any, text: str) -> etree._Element:
    r = etree.Element(w("r"))
    if rpr is not None:
        r.append(copy.deepcopy(rpr))
    t = etree.SubElement(r, w("t"))
    t.text = text
    if text != text.strip() or "  " in text:
        t.set(XML_SPACE, "preserve")
    return r


def rebuild(p: etree._Element, text: str, codes: Sequence[InlineCode],
            natives: dict[int, Any]) -> None:
    """Replace the runs of ``p`` by ``text`` formatted as ``codes`` say."""
    hoisted_start = [c for c in p if _local(c) in ("bookmarkStart", "permStart")]
    hoisted_end = [c for c in p if _local(c) in ("bookmarkEnd", "permEnd")]
    for child in list(p):
        if _local(child) != "pPr":
            p.remove(child)
    for elem in hoisted_start:
        p.append(elem)
    events = enumerate(ordered(codes))
    formats: list[int] = []
    link: tuple[int, etree._Element] | None = None
    pos = 0

    def emit(upto: int) -> None:
        nonlocal pos
        if upto > pos:
            if formats:
                rpr = natives[formats[-1]][1]
            elif link is not None:
                rpr = natives[link[0]][2]
            else:
                rpr = natives.get(0)
            (link[1] if link is not None else p).append(_run(rpr, text[pos:upto]))
            pos = upto

    for _, code in events:
        native = natives.get(code.id)
        if native is None:
            continue
        emit(min(code.offset, len(text)))
        if native[0] == "object":
            (link[1] if link is not None else p).append(copy.deepcopy(native[1]))
        elif native[0] == "link":
            if code.kind == "open" and link is None:
                shell = copy.deepcopy(native[1])
                p.append(shell)
                link = (code.id, shell)
            elif code.kind == "close" and link is not None and link[0] == code.id:
                link = None
        elif code.kind == "open":
            formats.append(code.id)
        elif code.id in formats:
            formats.remove(code.id)
    emit(len(text))
    for elem in hoisted_end:
        p.append(elem)


@register
class DocxFormat(DocumentFormat):
    """Word documents (.docx): paragraphs, headings, tables; formatting kept as codes."""

    name: ClassVar[str] = "docx"
    label: ClassVar[str] = "DOCX (.docx)"
    extensions: ClassVar[tuple[str, ...]] = (".docx",)
    output_suffix: ClassVar[str | None] = ".en.docx"

    @classmethod
    def detect(cls, path: Path, head: bytes) -> bool:
        return head.startswith(b"PK\x03\x04")

    def read(self, path: Path, layout: str = "auto",
             options: SegmentOptions | None = None) -> SourceDocument:
        import docx

        check_package(path)
        try:
            document = docx.Document(str(path))
        except Exception as exc:  # noqa: BLE001 - any parser failure is a damaged file
            raise UserError(f"damaged or unsupported DOCX: {exc}", path) from exc
        style_names = {s.style_id: s.name or "" for s in document.styles}
        paragraphs = [_Reader(_kind(p, style_names)).paragraph(p)
                      for p in _body_paragraphs(document.element.body)]
        text, segmented, kept = segment_paragraphs(paragraphs, options)
        return SourceDocument(path, self, text, segmented, kept, document)

    def write(self, document: SourceDocument, units: Sequence[Unit], out_path: Path) -> None:
        for paragraph, coded in paragraph_targets(document, units):
            rebuild(paragraph.handle, coded.text, coded.codes, paragraph.natives)
        buffer = io.BytesIO()
        document.tree.save(buffer)
        with atomic_open(out_path, "wb") as fh:
            fh.write(buffer.getvalue())
