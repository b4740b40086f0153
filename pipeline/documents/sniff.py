"""What a file's first bytes say it is, to check its name against its content."""

from __future__ import annotations

import codecs

#: Content kinds :func:`sniff` tells apart, with the words used in messages.
KINDS = {
    "zip": "a ZIP archive (DOCX, XLSX, ODT …)",
    "pdf": "a PDF file",
    "ole": "an old binary Office file (.doc, .xls)",
    "rtf": "an RTF file",
    "image": "an image",
    "binary": "a binary file",
    "html": "an HTML page",
    "text": "text",
}

_MAGIC = (
    (b"PK\x03\x04", "zip"),
    (b"PK\x05\x06", "zip"),
    (b"%PDF-", "pdf"),
    (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1", "ole"),
    (b"{\\rtf", "rtf"),
    (b"\x89PNG", "image"),
    (b"\xff\xd8\xff", "image"),
    (b"GIF8", "image"),
)
_TEXT_BOMS = (codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE,
              codecs.BOM_UTF32_LE, codecs.BOM_UTF32_BE)


def sniff(head: bytes) -> str:
    """``zip``, ``pdf``, ``ole``, ``rtf``, ``image``, ``binary``, ``html`` or ``text``."""
    for magic, kind in _MAGIC:
        if head.startswith(magic):
            return kind
    if head.startswith(_TEXT_BOMS):
        body = head
        for bom in _TEXT_BOMS:
            if head.startswith(bom):
                body = head[len(bom):]
                break
        if bom == codecs.BOM_UTF8:
            return "html" if looks_like_html(body) else "text"
        return "text"
    if b"\x00" in head:
        return "binary"
    return "html" if looks_like_html(head) else "text"


def looks_like_html(head: bytes) -> bool:
    """The text starts with a doctype or an ``<html>``/``<head>``/``<body>`` tag."""
    start = head.lstrip()[:512].lower()
    if start.startswith(b"<?xml"):
        start = start[start.find(b"?>") + 2:].lstrip() if b"?>" in start else start
    return start.startswith((b"<!doctype html", b"<html", b"<head", b"<body", b"<!--")) and (
        b"<html" in head.lower() or b"<body" in head.lower() or b"<!doctype html" in start)
