"""Markdown (CommonMark with tables and strikethrough) with markdown-it-py.

Headings, paragraphs, list items, block quotes and table cells are paragraphs; emphasis,
strong, strikethrough and links are paired codes, inline code, images, hard breaks and
inline HTML standalone codes. Fenced and indented code, HTML blocks, thematic breaks,
link reference definitions and blank lines are left as they are. The English file keeps
every line it did not translate; a translated paragraph becomes one line (soft line
breaks inside it are joined), with its block prefix (``#``, ``-``, ``>``, indentation)
kept; a table row is written back cell by cell.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any, ClassVar

from markdown_it import MarkdownIt
from markdown_it.token import Token

from ..fsutil import atomic_write_text
from ..han import HAN_RANGES
from ..segment import SegmentOptions
from ..textio import read_text
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
from .sniff import sniff

_PAIRED = {"strong": "bold", "em": "italic", "s": "x-strike", "link": "link"}
_CJK_END = re.compile(rf"[{HAN_RANGES}\u3000-\u303f\uff00-\uffef]$")  # Han, CJK punctuation
_ESCAPE = re.compile(r"([\\`*_\[\]<])")
_LINE_START = re.compile(r"^(#{1,6}(?=\s)|[>+-](?=\s)|\d{1,9}(?=[.)]\s))")


def _parser() -> MarkdownIt:
    return MarkdownIt("commonmark").enable(["table", "strikethrough"])


def _link_open(token: Token) -> tuple[str, str]:
    href = str(token.attrs.get("href", ""))
    title = token.attrs.get("title")
    suffix = f' "{title}"' if title else ""
    return "[", f"]({href}{suffix})"


def _image(token: Token) -> str:
    src = str(token.attrs.get("src", ""))
    title = token.attrs.get("title")
    suffix = f' "{title}"' if title else ""
    return f"![{token.content}]({src}{suffix})"


def _code_span(token: Token) -> str:
    pad = " " if token.content.startswith("`") or token.content.endswith("`") else ""
    return f"{token.markup}{pad}{token.content}{pad}{token.markup}"


def inline_paragraph(token: Token, kind: str, where: Any) -> Paragraph:
    """One inline token as plain text with codes; ``natives`` holds each code's markup."""
    text = ""
    codes: list[InlineCode] = []
    natives: dict[int, Any] = {}
    open_ids: list[tuple[str, int]] = []
    children = token.children or []
    i = 0
    while i < len(children):
        child = children[i]
        ttype = child.type
        if ttype == "text":
            text += child.content
        elif ttype == "softbreak":
            text += "" if _CJK_END.search(text) else " "
        elif ttype == "link_open" and child.markup in ("autolink", "linkify"):
            end = i
            while end < len(children) and children[end].type != "link_close":
                end += 1
            label = "".join(c.content for c in children[i + 1 : end])
            markup = f"<{label}>" if child.markup == "autolink" else label
            code_id = len(natives) + 1
            natives[code_id] = ("object", markup)
            codes.append(InlineCode(code_id, "standalone", len(text), "link", markup))
            i = end
        elif ttype.endswith("_open") and ttype[:-5] in _PAIRED:
            name = ttype[:-5]
            code_id = len(natives) + 1
            pair = _link_open(child) if name == "link" else (child.markup, child.markup)
            natives[code_id] = ("pair", *pair)
            codes.append(InlineCode(code_id, "open", len(text), _PAIRED[name], pair[0]))
            open_ids.append((name, code_id))
        elif ttype.endswith("_close") and ttype[:-6] in _PAIRED:
            name = ttype[:-6]
            index = max((k for k, (n, _) in enumerate(open_ids) if n == name), default=None)
            if index is not None:
                _, code_id = open_ids.pop(index)
                codes.append(InlineCode(code_id, "close", len(text), _PAIRED[name],
                                        natives[code_id][2]))
        else:
            if ttype == "image":
                markup, kind_name = _image(child), "image"
            elif ttype == "code_inline":
                markup, kind_name = _code_span(child), "x-code"
            elif ttype == "hardbreak":
                markup, kind_name = "<br>", "lb"
            else:
                markup, kind_name = child.content, f"x-{ttype}"
            code_id = len(natives) + 1
            natives[code_id] = ("object", markup)
            codes.append(InlineCode(code_id, "standalone", len(text), kind_name, markup))
        i += 1
    lead = len(text) - len(text.lstrip())
    stripped = text.strip()
    codes = [InlineCode(c.id, c.kind, min(max(c.offset - lead, 0), len(stripped)), c.type,
                        c.native) for c in codes]
    return Paragraph(stripped, tuple(codes), kind, natives, where)


def render(text: str, codes: Sequence[InlineCode], natives: dict[int, Any]) -> str:
    """Markdown for ``text`` with ``codes`` written back as their markup."""
    out: list[str] = []
    pos = 0
    for _, code in enumerate(ordered(codes)):
        native = natives.get(code.id)
        if native is None:
            continue
        offset = min(code.offset, len(text))
        out.append(_ESCAPE.sub(r"\\\1", text[pos:offset]))
        pos = max(pos, offset)
        if native[0] == "object":
            out.append(native[1])
        else:
            out.append(native[1] if code.kind == "open" else native[2])
    out.append(_ESCAPE.sub(r"\\\1", text[pos:]))
    line = "".join(out)
    return _LINE_START.sub(lambda m: m.group(1) + "\\" if m.group(1)[0].isdigit()
                           else "\\" + m.group(1), line)


def _kind(tokens: Sequence[Token], index: int) -> str:
    opener = tokens[index - 1] if index else None
    if opener is not None and opener.type == "heading_open":
        return "headline"
    return "body"


@register
class MarkdownFormat(DocumentFormat):
    """Markdown files (.md): block text as paragraphs, inline markup kept as codes."""

    name: ClassVar[str] = "markdown"
    label: ClassVar[str] = "Markdown (.md)"
    extensions: ClassVar[tuple[str, ...]] = (".md", ".markdown")
    output_suffix: ClassVar[str | None] = ".en.md"

    @classmethod
    def detect(cls, path: Path, head: bytes) -> bool:
        return sniff(head) in ("text", "html")

    def read(self, path: Path, layout: str = "auto",
             options: SegmentOptions | None = None) -> SourceDocument:
        source = read_text(path, what="source document")
        tokens = _parser().parse(source)
        paragraphs = []
        for index, token in enumerate(tokens):
            if token.type != "inline" or token.map is None:
                continue
            in_cell = index and tokens[index - 1].type in ("th_open", "td_open")
            where = ("cell", token.map[0]) if in_cell else ("lines", token.map[0], token.map[1],
                                                            token.content)
            paragraphs.append(inline_paragraph(token, _kind(tokens, index), where))
        cells: dict[int, list[Paragraph]] = {}
        for paragraph in paragraphs:
            if paragraph.handle[0] == "cell":
                cells.setdefault(paragraph.handle[1], []).append(paragraph)
        plain, segmented, kept = segment_paragraphs(paragraphs, options)
        return SourceDocument(path, self, plain, segmented, kept, (source, cells))

    def write(self, document: SourceDocument, units: Sequence[Unit], out_path: Path) -> None:
        source, cells = document.tree
        lines = source.split("\n")
        rendered: dict[int, str] = {}
        for paragraph, coded in paragraph_targets(document, units):
            rendered[id(paragraph)] = render(coded.text, coded.codes, paragraph.natives)
        replace: dict[int, str | None] = {}
        for paragraph in document.paragraphs:
            where = paragraph.handle
            if where[0] != "lines" or id(paragraph) not in rendered:
                continue
            first, end, content = where[1], where[2], where[3]
            head = lines[first]
            first_content = content.split("\n", 1)[0]
            at = head.find(first_content) if first_content else len(head)
            prefix = head[: max(at, 0)]
            replace[first] = prefix + rendered[id(paragraph)]
            for extra in range(first + 1, min(end, first + content.count("\n") + 1)):
                replace[extra] = None
        for row, row_cells in cells.items():
            if not any(id(c) in rendered for c in row_cells):
                continue
            texts = [rendered.get(id(c), render(c.text, c.codes, c.natives)).replace("|", "\\|")
                     for c in row_cells]
            indent = lines[row][: len(lines[row]) - len(lines[row].lstrip())]
            replace[row] = indent + "| " + " | ".join(texts) + " |"
        out = [replace.get(i, line) for i, line in enumerate(lines)]
        atomic_write_text(out_path, "\n".join(line for line in out if line is not None))
