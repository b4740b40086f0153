"""HTML pages with lxml.html: block text as paragraphs, inline markup as codes.

Parsed with lxml's HTML parser without network access; scripts, styles, templates,
``pre``/``code``, SVG, MathML, forms and embedded objects are never run and never
translated: they are written back unchanged. Each stretch of text between block-level
elements (``p``, ``h1``…``h6``, ``li``, ``td``, ``figcaption``, ``div`` …) is one paragraph;
inline elements (``b``, ``strong``, ``i``, ``em``, ``a``, ``span``, ``sup`` …) become paired
codes around their text, ``br``, images, inline scripts, comments and code standalone codes.
Attributes (``alt``, ``title``) are not translated. The English page is written as UTF-8
with ``lang`` set to ``en`` where the page declared a language.
"""

from __future__ import annotations

import codecs
import copy
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import lxml.html
from lxml import etree

from ..errors import UserError
from ..fsutil import atomic_write_text
from ..segment import SegmentOptions
from ..textio import decode_bytes, read_user_bytes
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
from .sniff import looks_like_html

INLINE = frozenset({
    "a", "abbr", "b", "bdi", "bdo", "big", "cite", "data", "del", "dfn", "em", "font", "i",
    "ins", "label", "mark", "q", "rb", "rp", "rt", "ruby", "s", "small", "span", "strike",
    "strong", "sub", "sup", "time", "tt", "u",
})
#: Elements kept whole: never translated, copied back as they are.
OPAQUE = frozenset({
    "audio", "br", "button", "canvas", "code", "embed", "iframe", "img", "input", "kbd",
    "math", "noscript", "object", "picture", "pre", "samp", "script", "select", "style",
    "svg", "template", "textarea", "var", "video", "wbr",
})
_HEADLINES = frozenset({"h1", "h2", "h3", "h4", "h5", "h6", "title"})
_CAPTIONS = frozenset({"figcaption", "caption"})
_TYPES = {"b": "bold", "strong": "bold", "i": "italic", "em": "italic", "u": "ulined",
          "a": "link", "br": "lb", "img": "image"}
_WHITESPACE = re.compile(r"[ \t\n\r\f]+")
_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_\-]+)""", re.I)
_XML_DECL = re.compile(r"^\s*<\?xml[^>]*\?>")


def _tag(elem: Any) -> str:
    return elem.tag.lower() if isinstance(elem.tag, str) else ""


def _is_inline(elem: Any) -> bool:
    """Text-level content: an inline element holding only inline content, or an opaque one."""
    tag = _tag(elem)
    if not tag:
        return True  # comments and processing instructions sit inside the text
    if tag in OPAQUE:
        return True
    if tag not in INLINE:
        return False
    return all(_is_inline(child) for child in elem)


def _start_tag(elem: Any) -> str:
    attrs = "".join(f' {k}="{v}"' for k, v in elem.attrib.items())
    return f"<{_tag(elem)}{attrs}>"


@dataclass
class _Group:
    """A run of inline content between blocks: where it starts and the elements in it."""

    parent: Any
    after: Any = None  # the block child it follows (its tail is the lead text), or None
    children: list[Any] = field(default_factory=list)

    def lead(self) -> str:
        return (self.after.tail if self.after is not None else self.parent.text) or ""

    def set_lead(self, text: str | None) -> None:
        if self.after is not None:
            self.after.tail = text
        else:
            self.parent.text = text


@dataclass
class _Builder:
    """Collects a group's plain text (whitespace collapsed) and its codes."""

    text: str = ""
    codes: list[InlineCode] = field(default_factory=list)
    natives: dict[int, Any] = field(default_factory=dict)

    def add_text(self, raw: str | None) -> None:
        if not raw:
            return
        chunk = _WHITESPACE.sub(" ", raw)
        if self.text.endswith(" ") and chunk.startswith(" "):
            chunk = chunk[1:]
        self.text += chunk

    def add(self, elem: Any) -> None:
        tag = _tag(elem)
        code_id = len(self.natives) + 1
        if not tag or tag in OPAQUE:
            shell = copy.deepcopy(elem)
            shell.tail = None
            self.natives[code_id] = ("object", shell)
            native = lxml.html.tostring(shell, encoding="unicode") if tag else str(shell)
            self.codes.append(InlineCode(code_id, "standalone", len(self.text),
                                         _TYPES.get(tag, f"x-{tag or 'comment'}"), native))
        else:
            shell = etree.Element(elem.tag, dict(elem.attrib))
            self.natives[code_id] = ("element", shell)
            kind = _TYPES.get(tag, f"x-{tag}")
            self.codes.append(InlineCode(code_id, "open", len(self.text), kind, _start_tag(elem)))
            self.add_text(elem.text)
            for child in elem:
                self.add(child)
            self.codes.append(InlineCode(code_id, "close", len(self.text), kind, f"</{tag}>"))
        self.add_text(elem.tail)


def _kind(elem: Any) -> str:
    for node in (elem, *elem.iterancestors()):
        tag = _tag(node)
        if tag in _HEADLINES:
            return "headline"
        if tag in _CAPTIONS:
            return "caption"
    return "body"


def _groups(elem: Any, out: list[_Group]) -> None:
    """Every inline group under ``elem`` in document order (opaque elements skipped)."""
    tag = _tag(elem)
    if tag in OPAQUE or not tag:
        return
    group = _Group(elem)
    for child in elem:
        if _is_inline(child):
            group.children.append(child)
            continue
        out.append(group)
        _groups(child, out)
        group = _Group(elem, after=child)
    out.append(group)


def _paragraph(group: _Group) -> Paragraph:
    builder = _Builder()
    builder.add_text(group.lead())
    for child in group.children:
        builder.add(child)
    text = builder.text
    lead = len(text) - len(text.lstrip(" "))
    text = text.strip(" ")
    codes = tuple(
        InlineCode(c.id, c.kind, min(max(c.offset - lead, 0), len(text)), c.type, c.native)
        for c in builder.codes)
    return Paragraph(text, codes, _kind(group.parent), builder.natives, group)


def _decode(data: bytes, path: Path) -> str:
    declared = _CHARSET.search(data[:4096])
    if declared:
        try:
            codec = codecs.lookup(declared.group(1).decode("ascii")).name
        except LookupError:
            codec = ""
        if codec:
            name = "gb18030" if codec in ("gb2312", "gbk") else codec
            try:
                return data.decode(name).replace("\r\n", "\n")
            except UnicodeDecodeError as exc:
                line = data[: exc.start].count(b"\n") + 1
                raise UserError(f"not valid {name} as the page declares", path, line) from exc
    text, _ = decode_bytes(data, path)
    return text


def rebuild(group: _Group, text: str, codes: Sequence[InlineCode],
            natives: dict[int, Any]) -> None:
    """Replace the group's content by ``text`` marked up as ``codes`` say."""
    parent = group.parent
    lead = group.lead()
    head = lead[: len(lead) - len(lead.lstrip())]
    last = group.children[-1] if group.children else None
    source_end = (last.tail if last is not None else lead) or ""
    trail = source_end[len(source_end.rstrip()):]
    index = 0 if group.after is None else parent.index(group.after) + 1
    for child in group.children:
        parent.remove(child)
    top: list[Any] = []
    stack: list[tuple[int, Any]] = []
    group.set_lead(head)

    def append_text(chunk: str) -> None:
        if not chunk:
            return
        if stack:
            holder = stack[-1][1]
            if len(holder):
                holder[-1].tail = (holder[-1].tail or "") + chunk
            else:
                holder.text = (holder.text or "") + chunk
        elif top:
            top[-1].tail = (top[-1].tail or "") + chunk
        else:
            group.set_lead((group.lead() or "") + chunk)

    def append_node(node: Any) -> None:
        if stack:
            stack[-1][1].append(node)
        else:
            top.append(node)

    pos = 0
    for _, code in enumerate(ordered(codes)):
        native = natives.get(code.id)
        if native is None:
            continue
        offset = min(code.offset, len(text))
        append_text(text[pos:offset])
        pos = max(pos, offset)
        if native[0] == "object":
            append_node(copy.deepcopy(native[1]))
        elif code.kind == "open":
            node = copy.deepcopy(native[1])
            append_node(node)
            stack.append((code.id, node))
        elif any(cid == code.id for cid, _ in stack):
            reopen = []
            while stack and stack[-1][0] != code.id:
                reopen.append(stack.pop())
            stack.pop()
            for cid, node in reversed(reopen):  # overlapping pairs: reopen the inner ones
                again = etree.Element(node.tag, dict(node.attrib))
                append_node(again)
                stack.append((cid, again))
    append_text(text[pos:])
    stack.clear()
    append_text(trail)
    for offset, node in enumerate(top):
        parent.insert(index + offset, node)


def _set_english(root: Any) -> None:
    """Declare the page English and UTF-8."""
    if root.get("lang") is not None:
        root.set("lang", "en")
    for meta in root.iter("meta"):
        if meta.get("charset") is not None:
            meta.set("charset", "utf-8")
        elif (meta.get("http-equiv") or "").lower() == "content-type":
            meta.set("content", "text/html; charset=utf-8")


@register
class HtmlFormat(DocumentFormat):
    """HTML pages (.html, .htm): text of block elements, inline markup kept as codes."""

    name: ClassVar[str] = "html"
    label: ClassVar[str] = "HTML (.html, .htm)"
    extensions: ClassVar[tuple[str, ...]] = (".html", ".htm", ".xhtml")
    output_suffix: ClassVar[str | None] = ".en.html"

    @classmethod
    def detect(cls, path: Path, head: bytes) -> bool:
        body = head[3:] if head.startswith(codecs.BOM_UTF8) else head
        return looks_like_html(body) or (
            path.suffix.lower() in cls.extensions and b"\x00" not in head
            and b"<" in head and not head.startswith((b"PK", b"%PDF")))

    def read(self, path: Path, layout: str = "auto",
             options: SegmentOptions | None = None) -> SourceDocument:
        data = read_user_bytes(path, "source document")
        text = _XML_DECL.sub("", _decode(data, path))
        if not text.strip():
            raise UserError("source document is empty", path)
        parser = lxml.html.HTMLParser(no_network=True, remove_comments=False,
                                      remove_pis=False, default_doctype=False)
        try:
            root = lxml.html.document_fromstring(text, parser=parser)
        except (etree.ParserError, ValueError) as exc:
            raise UserError(f"damaged HTML: {exc}", path) from exc
        groups: list[_Group] = []
        _groups(root, groups)
        paragraphs = [_paragraph(g) for g in groups]
        plain, segmented, kept = segment_paragraphs(paragraphs, options)
        return SourceDocument(path, self, plain, segmented, kept, root)

    def write(self, document: SourceDocument, units: Sequence[Unit], out_path: Path) -> None:
        for paragraph, coded in paragraph_targets(document, units):
            rebuild(paragraph.handle, coded.text, coded.codes, paragraph.natives)
        root = document.tree
        _set_english(root)
        doctype = root.getroottree().docinfo.doctype
        body = lxml.html.tostring(root, encoding="unicode", method="html")
        atomic_write_text(out_path, (doctype + "\n" if doctype else "") + body + "\n")
