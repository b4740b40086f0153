"""TMX 1.4b: a streaming, safe reader for any TMX and a streaming writer for ours.

Reading (:func:`iter_tus`) uses ``lxml.etree.iterparse`` with the safe options of
:mod:`.xmlsafe` (no DTD, entities or network; entity declarations refused). Elements
are cleared as soon as a ``tu`` is read, so memory stays bounded on files of any size.
Inline markup (Level 2: ``bpt ept ph it hi ut sub``) is kept as XML in
``source_xml``/``target_xml`` for export and stripped from ``source``/``target`` for
matching.

Writing (:func:`write_tus`, :func:`write_units_tmx`) streams through
``lxml.etree.xmlfile`` into :func:`pipeline.fsutil.atomic_open`. Characters XML 1.0
forbids are written as ``<ph type="x-ctrl">U+XXXX</ph>`` and restored by the reader.
"""

from __future__ import annotations

import math
import os
import re
import time
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO
from xml.sax.saxutils import escape

from lxml import etree

from .. import __version__, counts
from ..errors import UserError
from ..fsutil import atomic_open
from ..textio import open_user_file
from ..units import Flag, InlineCode, Segment, Term, TermMatch, TMMatch, Unit
from .xmlsafe import (
    PARSE_OPTIONS,
    check_root_first,
    refuse_declared_entities,
    refuse_entity_refs,
    syntax_error,
)

XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
INLINE_TAGS = frozenset({"bpt", "ept", "ph", "it", "hi", "ut", "sub"})
_CODE_TAGS = frozenset({"bpt", "ept", "ph", "it", "ut"})  # content is native code, not text
_CTRL_TYPE = "x-ctrl"
_FORBIDDEN = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff\ud800-\udfff]")
_CTRL_TEXT = re.compile(r"U\+([0-9A-F]{4,6})")
_DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
DEFAULT_SRCLANG = "zh-CN"
DEFAULT_TGTLANG = "en"


@dataclass
class TU:
    """One translation unit as read from (or written to) a TMX file.

    ``source``/``target`` are plain text; ``source_xml``/``target_xml`` the inner XML of
    the ``seg`` (inline tags kept). ``tuvs`` maps every language to its plain text;
    ``line`` is the line of the ``tu`` in the file (0 when not read from a file).
    """

    tuid: str
    source: str
    target: str
    srclang: str
    tgtlang: str
    props: dict[str, str] = field(default_factory=dict)
    notes: list[str] = field(default_factory=list)
    source_xml: str = ""
    target_xml: str = ""
    creationdate: str = ""
    changedate: str = ""
    creationid: str = ""
    changeid: str = ""
    tuvs: dict[str, str] = field(default_factory=dict)
    line: int = 0


# ----------------------------------------------------------------------------- dates


def tmx_date(epoch: float | None = None) -> str:
    """``YYYYMMDDThhmmssZ`` for ``epoch`` (default: ``SOURCE_DATE_EPOCH`` or now)."""
    if epoch is None:
        env = os.environ.get("SOURCE_DATE_EPOCH", "")
        epoch = float(env) if counts.count(env) is not None else time.time()
    return time.strftime("%Y%m%dT%H%M%SZ", time.gmtime(epoch))


# ----------------------------------------------------------------------------- languages


def lang_key(lang: str) -> str:
    """Canonical form of a language code: lower case, ``-`` separators."""
    return lang.strip().lower().replace("_", "-")


def primary(lang: str) -> str:
    return lang_key(lang).split("-", 1)[0]


def _tuv_lang(tuv: etree._Element) -> str:
    return tuv.get(XML_LANG) or tuv.get("lang") or tuv.get("LANG") or ""


def _pick_source(langs: list[str], srclang: str) -> int | None:
    """Index of the source tuv: exact language first, then same primary language."""
    if srclang == "*all*":
        for i, lang in enumerate(langs):
            if primary(lang) == "zh":
                return i
        return 0 if langs else None
    want = lang_key(srclang)
    for i, lang in enumerate(langs):
        if lang_key(lang) == want:
            return i
    for i, lang in enumerate(langs):
        if primary(lang) == primary(want):
            return i
    return None


def _pick_target(langs: list[str], src: int, tgtlang: str | None) -> int | None:
    """Index of the target tuv (see :func:`iter_tus`)."""
    src_lang = lang_key(langs[src])
    others = [i for i, lang in enumerate(langs) if i != src and lang_key(lang) != src_lang]
    if tgtlang:
        want = lang_key(tgtlang)
        exact = [i for i in others if lang_key(langs[i]) == want]
        if exact or "-" in want:
            return exact[0] if exact else None
        same = [i for i in others if primary(langs[i]) == want]
        return same[0] if same else None
    for i in others:
        if primary(langs[i]) == "en":
            return i
    return others[0] if others else None


# ----------------------------------------------------------------------------- reading


def _plain(seg: etree._Element) -> str:
    """Text of a ``seg`` with native codes removed (``hi`` text kept)."""
    parts = [seg.text or ""]
    for child in seg:
        tag = child.tag if isinstance(child.tag, str) else ""
        if tag == "ph" and child.get("type") == _CTRL_TYPE:
            match = _CTRL_TEXT.fullmatch(child.text or "")
            if match:
                parts.append(chr(int(match.group(1), 16)))
        elif tag and tag not in _CODE_TAGS:
            parts.append(_plain(child))
        parts.append(child.tail or "")
    return "".join(parts)


def _inner_xml(seg: etree._Element) -> str:
    """The content of ``seg`` as XML text (tags kept)."""
    if len(seg) == 0:
        return escape(seg.text or "")
    out = [escape(seg.text or "")]
    for child in seg:
        out.append(etree.tostring(child, encoding="unicode", with_tail=True))
    return "".join(out)


def _props_notes(elem: etree._Element) -> tuple[dict[str, str], list[str]]:
    props: dict[str, str] = {}
    notes: list[str] = []
    for child in elem:
        if child.tag == "prop":
            props[child.get("type", "")] = child.text or ""
        elif child.tag == "note":
            notes.append(child.text or "")
    return props, notes


@dataclass
class _Header:
    srclang: str
    props: dict[str, str]
    attrs: dict[str, str]


def _check_root(root: etree._Element, path: Path) -> None:
    refuse_declared_entities(root, path, "TMX")
    if root.tag != "tmx":
        raise UserError(f"not a TMX file: root element is <{root.tag}>, expected <tmx>", path,
                        root.sourceline)


def _read_header(elem: etree._Element, path: Path) -> _Header:
    srclang = elem.get("srclang", "").strip()
    if not srclang:
        raise UserError("TMX header has no srclang attribute", path, elem.sourceline)
    props, _ = _props_notes(elem)
    return _Header(srclang, props, dict(elem.attrib))


def _seg_text_xml(seg: etree._Element) -> tuple[str, str]:
    """``(plain text, inner XML)`` of a ``seg``; a ``seg`` without children is the fast path."""
    if len(seg) == 0:
        text = seg.text or ""
        if "&" in text or "<" in text or ">" in text:
            return text, escape(text)
        return text, text
    return _plain(seg), _inner_xml(seg)


def _find_seg(tuv: etree._Element) -> etree._Element | None:
    """``tuv.find("seg")``, faster when the ``seg`` is the first child (the usual case)."""
    if len(tuv):
        first = tuv[0]
        if first.tag == "seg":
            return first
    return tuv.find("seg")


class _Reader:
    """Per-file state of :func:`_iter_events`: the header and caches keyed by language codes
    (a TMX repeats the same few codes, so the source/target choice is made once per set)."""

    def __init__(self, path: Path, tgtlang: str | None):
        self.path = path
        self.tgtlang = tgtlang
        self.header: _Header | None = None
        self._picks: dict[tuple[str, tuple[str, ...]], tuple[int | None, int | None]] = {}
        self._keys: dict[str, str] = {}

    def _pick(self, srclang: str, langs: list[str]) -> tuple[int | None, int | None]:
        key = (srclang, tuple(langs))
        picked = self._picks.get(key)
        if picked is None:
            src = _pick_source(langs, srclang)
            tgt = _pick_target(langs, src, self.tgtlang) if src is not None else None
            picked = self._picks[key] = (src, tgt)
        return picked

    def _key(self, lang: str) -> str:
        key = self._keys.get(lang)
        if key is None:
            key = self._keys[lang] = lang_key(lang)
        return key

    def make_tu(self, elem: etree._Element, index: int) -> TU | None:
        """The :class:`TU` of a ``tu`` element (None: no tuv in the requested ``tgtlang``)."""
        path = self.path
        tuvs: list[etree._Element] = []
        langs: list[str] = []
        props: dict[str, str] = {}
        notes: list[str] = []
        for child in elem:
            tag = child.tag
            if tag == "tuv":
                tuvs.append(child)
                langs.append(child.get(XML_LANG) or child.get("lang") or child.get("LANG") or "")
            elif tag == "prop":
                props[child.get("type", "")] = child.text or ""
            elif tag == "note":
                notes.append(child.text or "")
        line = elem.sourceline or 0
        if not all(langs):
            raise UserError("tuv without xml:lang", path, line)
        srclang = elem.get("srclang") or self.header.srclang  # type: ignore[union-attr]
        src, tgt = self._pick(srclang, langs)
        if src is None:
            raise UserError(f"tu has no tuv in the source language {srclang}", path, line)
        if tgt is None:
            if self.tgtlang:
                return None
            raise UserError("tu has no tuv in a target language", path, line)
        segs = [_find_seg(tuv) for tuv in tuvs]
        for i in (src, tgt):
            seg = segs[i]
            if seg is None:
                raise UserError("tuv without seg", path, tuvs[i].sourceline)
            if len(seg):
                refuse_entity_refs(seg, path)
        texts: dict[str, str] = {}
        source = target = source_xml = target_xml = ""
        for i, seg in enumerate(segs):
            key = self._key(langs[i])
            if i == src:
                source, source_xml = _seg_text_xml(seg)
                texts.setdefault(key, source)
            elif i == tgt:
                target, target_xml = _seg_text_xml(seg)
                texts.setdefault(key, target)
            elif key not in texts:
                texts[key] = _plain(seg) if seg is not None else ""
        get = elem.get
        return TU(
            tuid=get("tuid") or str(index),
            source=source,
            target=target,
            srclang=langs[src],
            tgtlang=langs[tgt],
            props=props,
            notes=notes,
            source_xml=source_xml,
            target_xml=target_xml,
            creationdate=get("creationdate", ""),
            changedate=get("changedate", ""),
            creationid=get("creationid", ""),
            changeid=get("changeid", ""),
            tuvs=texts,
            line=line,
        )


def _iter_events(path: Path, header_out: list[_Header],
                 tgtlang: str | None) -> Iterator[TU]:
    with open_user_file(path, "TMX file") as fh:
        if check_root_first(fh, path, _check_root):  # fast: only the events used below
            root_seen = True
            context = etree.iterparse(fh, events=("end",), tag=("header", "tu"),
                                      **PARSE_OPTIONS)
        else:
            root_seen = False
            context = etree.iterparse(fh, events=("start", "end"), **PARSE_OPTIONS)
        reader = _Reader(path, tgtlang)
        index = 0
        for event, elem in context:
            if event == "start":
                if not root_seen:
                    root_seen = True
                    _check_root(elem, path)
                continue
            tag = elem.tag
            if tag == "tu":
                if reader.header is None:
                    raise UserError("tu before the TMX header", path, elem.sourceline)
                index += 1
                tu = reader.make_tu(elem, index)
                elem.clear(keep_tail=False)
                parent = elem.getparent()
                if parent is not None:
                    while elem.getprevious() is not None:
                        del parent[0]
                if tu is not None:
                    yield tu
            elif tag == "header":
                header_out.append(_read_header(elem, path))
                if reader.header is None:
                    reader.header = header_out[0]
        if not header_out:
            raise UserError("TMX has no header", path)


def iter_tus(path: str | Path, tgtlang: str | None = None) -> Iterator[TU]:
    """Stream the translation units of any TMX 1.1–1.4 file.

    The source tuv follows ``srclang`` (of the ``tu``, else the header; ``*all*``: the
    Chinese tuv, else the first). The target is ``tgtlang`` when given (units without
    it are skipped), else the first English tuv, else the first other language.
    Raises :class:`UserError` (file and line) for unsafe, malformed or invalid TMX.
    """
    path = Path(path)
    header: list[_Header] = []
    try:
        yield from _iter_events(path, header, tgtlang)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, path, "TMX") from exc


def read_header(path: str | Path) -> dict[str, str]:
    """The header props of a TMX file (reads only up to the end of the header)."""
    path = Path(path)
    header: list[_Header] = []
    try:
        for _ in _iter_events(path, header, None):
            break
    except etree.XMLSyntaxError as exc:
        raise UserError(f"malformed TMX: {exc}", path, exc.lineno or None) from exc
    return dict(header[0].props) if header else {}


# ----------------------------------------------------------------------------- writing


def _ctrl_escaped_seg(text: str) -> etree._Element:
    """A ``seg`` whose forbidden characters are ``<ph type="x-ctrl">U+XXXX</ph>``."""
    seg = etree.Element("seg")
    last: etree._Element | None = None
    pos = 0
    for match in _FORBIDDEN.finditer(text):
        chunk = text[pos : match.start()]
        if last is None:
            seg.text = (seg.text or "") + chunk
        else:
            last.tail = (last.tail or "") + chunk
        last = etree.SubElement(seg, "ph", type=_CTRL_TYPE)
        last.text = f"U+{ord(match.group()):04X}"
        pos = match.end()
    rest = text[pos:]
    if last is None:
        seg.text = rest
    else:
        last.tail = rest
    return seg


_FRAGMENT_PARSER = etree.XMLParser(resolve_entities=False, load_dtd=False, no_network=True)


def _xml_seg(inner_xml: str) -> etree._Element | None:
    """Parse stored inline XML back into a ``seg``; None if it is not valid Level 2 markup."""
    try:
        seg = etree.fromstring(f"<seg>{inner_xml}</seg>", _FRAGMENT_PARSER)
    except etree.XMLSyntaxError:
        return None
    for elem in seg.iter():
        if elem is not seg and elem.tag not in INLINE_TAGS:
            return None
    return seg


def _seg_element(text: str, inner_xml: str) -> etree._Element:
    """The ``seg`` for ``text``: stored inline XML when it still fits, control chars escaped."""
    if inner_xml and "<" in inner_xml:
        seg = _xml_seg(inner_xml)
        if seg is not None and _plain(seg) == text:
            return seg
    if _FORBIDDEN.search(text):
        return _ctrl_escaped_seg(text)
    seg = etree.Element("seg")
    seg.text = text
    return seg


def _clean(value: str) -> str:
    """Attribute/prop values: forbidden characters replaced by U+FFFD (never a broken file)."""
    return _FORBIDDEN.sub("\ufffd", value)


def _tu_element(tu: TU, date: str, srclang: str) -> etree._Element:
    elem = etree.Element(
        "tu",
        tuid=_clean(tu.tuid),
        creationdate=tu.creationdate or date,
        creationid=_clean(tu.creationid or "tmpipe"),
        changedate=tu.changedate or tu.creationdate or date,
        changeid=_clean(tu.changeid or tu.creationid or "tmpipe"),
    )
    if lang_key(tu.srclang) != lang_key(srclang):
        elem.set("srclang", tu.srclang)
    for note in tu.notes:
        etree.SubElement(elem, "note").text = _clean(note)
    for name, value in tu.props.items():
        etree.SubElement(elem, "prop", type=_clean(name)).text = _clean(value)
    for lang, text, xml in ((tu.srclang, tu.source, tu.source_xml),
                            (tu.tgtlang, tu.target, tu.target_xml)):
        tuv = etree.SubElement(elem, "tuv", {XML_LANG: lang})
        tuv.append(_seg_element(text, xml))
    elem.tail = "\n"
    return elem


_NEEDS_TEXT_ESCAPE = re.compile(r"[&<>\r]")
_NEEDS_ATTR_ESCAPE = re.compile(r"[&<>\"\r\n\t]")


def _t(text: str) -> str:
    """Escape element text (``\\r`` as a reference so that it survives parsing)."""
    if not _NEEDS_TEXT_ESCAPE.search(text):
        return text
    return (text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
            .replace("\r", "&#13;"))


def _a(text: str) -> str:
    """Escape an attribute value."""
    if not _NEEDS_ATTR_ESCAPE.search(text):
        return text
    return (_t(text).replace('"', "&quot;").replace("\n", "&#10;").replace("\t", "&#9;"))


def _tu_xml(tu: TU, date: str, srclang: str) -> str | None:
    """Fast serialisation of a plain ``tu`` (None when lxml must build it: inline XML or
    characters XML forbids)."""
    if "<" in tu.source_xml or "<" in tu.target_xml:
        return None
    props = tu.props
    joined = "".join((tu.tuid, tu.creationid, tu.changeid, tu.creationdate, tu.changedate,
                      tu.srclang, tu.tgtlang, tu.source, tu.target, *tu.notes, *props.keys(),
                      *props.values(), date))
    if _FORBIDDEN.search(joined):
        return None
    # One search decides for every field (most units need no escaping at all).
    a, t = (_a, _t) if _NEEDS_ATTR_ESCAPE.search(joined) else (str, str)
    extra = (f' srclang="{a(tu.srclang)}"'
             if tu.srclang != srclang and lang_key(tu.srclang) != lang_key(srclang) else "")
    parts = [
        f'<tu tuid="{a(tu.tuid)}" creationdate="{a(tu.creationdate or date)}" '
        f'creationid="{a(tu.creationid or "tmpipe")}" '
        f'changedate="{a(tu.changedate or tu.creationdate or date)}" '
        f'changeid="{a(tu.changeid or tu.creationid or "tmpipe")}"{extra}>'
    ]
    for note in tu.notes:
        parts.append(f"<note>{t(note)}</note>")
    for name, value in props.items():
        parts.append(f'<prop type="{a(name)}">{t(value)}</prop>')
    parts.append(f'<tuv xml:lang="{a(tu.srclang)}"><seg>{t(tu.source)}</seg></tuv>'
                 f'<tuv xml:lang="{a(tu.tgtlang)}"><seg>{t(tu.target)}</seg></tuv></tu>\n')
    return "".join(parts)


def _write_body(xf, fh: IO[bytes], tus: Iterable[TU], date: str, srclang: str) -> int:
    """Write the ``tu``s: plain ones as pre-escaped text straight to ``fh`` (fast path,
    after flushing ``xf``), the others as lxml elements through ``xf``."""
    count = 0
    pending: list[str] = []
    for tu in tus:
        text = _tu_xml(tu, date, srclang)
        if text is not None:
            pending.append(text)
            if len(pending) >= 2000:
                xf.flush()
                fh.write("".join(pending).encode("utf-8"))
                pending = []
        else:
            if pending:
                xf.flush()
                fh.write("".join(pending).encode("utf-8"))
                pending = []
            xf.write(_tu_element(tu, date, srclang))
        count += 1
    if pending:
        xf.flush()
        fh.write("".join(pending).encode("utf-8"))
    return count


def _header_element(srclang: str, props: dict[str, str], date: str) -> etree._Element:
    header = etree.Element(
        "header",
        creationtool="tmpipe",
        creationtoolversion=__version__,
        segtype="sentence",
        adminlang="en",
        srclang=srclang,
        datatype="plaintext",
        creationdate=date,
    )
    header.set("o-tmf", "tmpipe")
    for name, value in props.items():
        prop = etree.SubElement(header, "prop", type=_clean(name))
        prop.text = _clean(value)
    return header


def write_tus(path: str | Path, tus: Iterable[TU], header_props: dict[str, str] | None = None,
              srclang: str = DEFAULT_SRCLANG, creationdate: str | None = None) -> int:
    """Write ``tus`` as a TMX 1.4b file atomically, streaming; returns the count written."""
    date = creationdate or tmx_date()
    with atomic_open(path, "wb") as fh, etree.xmlfile(fh, encoding="UTF-8") as xf:
        xf.write_declaration()
        xf.write_doctype(_DOCTYPE)
        with xf.element("tmx", version="1.4"):
            xf.write("\n")
            xf.write(_header_element(srclang, header_props or {}, date))
            xf.write("\n")
            with xf.element("body"):
                xf.write("\n")
                count = _write_body(xf, fh, tus, date, srclang)
            xf.write("\n")
    return count


# ----------------------------------------------------------------------------- units


def _fmt_float(value: float) -> str:
    return f"{value:.4g}" if abs(value) < 1e4 else str(round(value))


def confidence_prop(confidence: Mapping[str, float]) -> str:
    """``Translation.confidence`` as one prop value (``mean=-0.31;min=-2.2;…``)."""
    return ";".join(f"{k}={v:.6g}" for k, v in sorted(confidence.items())
                    if isinstance(v, int | float) and math.isfinite(v))


def confidence_from_prop(value: str) -> dict[str, float]:
    """The inverse of :func:`confidence_prop`; malformed parts are left out."""
    out: dict[str, float] = {}
    for part in value.split(";")[:16]:
        key, _, number = part.partition("=")
        try:
            parsed = float(number)
        except ValueError:
            continue
        if key.strip() and math.isfinite(parsed):
            out[key.strip()] = parsed
    return out


def unit_props(unit: Unit, doc_id: str) -> dict[str, str]:
    """The ``x-*`` TMX props of a pipeline unit (see CONTRACTS.md)."""
    seg = unit.segment
    props: dict[str, str] = {
        "x-origin": unit.origin or "mt",
        "x-kind": seg.kind,
        "x-paragraph": str(seg.paragraph),
        "x-doc": doc_id,
    }
    optional = {
        "x-engine": unit.engine,
        "x-model": unit.model,
        "x-model-sha256": unit.model_sha256,
        "x-match": _fmt_float(unit.match_score) if unit.match_score is not None else "",
        "x-segment-flags": ",".join(seg.flags),
        "x-qa": " | ".join(f"{f.check} ({f.severity}): {f.message}" for f in unit.flags),
        "x-terms": " | ".join(f"{m.term.source} → {m.term.target}" for m in unit.terms),
        "x-retries": str(unit.retries) if unit.retries else "",
        "x-bleu": _fmt_float(unit.scores["bleu"]) if "bleu" in unit.scores else "",
        "x-chrf": _fmt_float(unit.scores["chrf"]) if "chrf" in unit.scores else "",
        "x-reference": unit.reference or "",
        "x-align-confidence": (
            _fmt_float(unit.alignment_confidence) if unit.alignment_confidence is not None
            else ""
        ),
        "x-tm-source": unit.tm_match.source if unit.tm_match else "",
        "x-tm-origin": unit.tm_match.origin if unit.tm_match and unit.match_score else "",
        "x-state": unit.state,
        "x-leverage": unit.leverage,
        "x-changed-by": unit.changed_by,
        "x-mt-target": unit.mt_target if unit.mt_target != unit.target else "",
        **{f"x-pe-{name}": _fmt_float(value) for name, value in unit.postedit.items()},
        "x-risk": f"{unit.risk:.3f}" if unit.risk is not None else "",
        "x-risk-why": " | ".join(unit.risk_reasons),
        "x-confidence": confidence_prop(unit.confidence),
    }
    props.update({k: v for k, v in optional.items() if v})
    return props


def inline_seg_xml(text: str, codes: Sequence[InlineCode]) -> str:
    """The inner XML of a ``seg`` holding ``text`` with ``codes`` as TMX inline elements.

    A pair in the segment is ``bpt``/``ept`` (``i`` = the code id), a standalone code
    ``ph``, half a pair (the other half is in another segment) ``it``; each holds the
    native markup as text.
    """
    from ..documents.codes import ordered

    opens = {c.id for c in codes if c.kind == "open"}
    closes = {c.id for c in codes if c.kind == "close"}
    out: list[str] = []
    pos = 0
    for code in ordered(codes):
        offset = min(max(code.offset, pos), len(text))
        out.append(escape(text[pos:offset]))
        pos = offset
        kind, native = escape(code.type, {'"': "&quot;"}), escape(code.native)
        if code.kind == "standalone":
            out.append(f'<ph x="{code.id}" type="{kind}">{native}</ph>')
        elif code.kind == "open" and code.id in closes:
            out.append(f'<bpt i="{code.id}" type="{kind}">{native}</bpt>')
        elif code.kind == "close" and code.id in opens:
            out.append(f'<ept i="{code.id}">{native}</ept>')
        else:
            pos_attr = "begin" if code.kind == "open" else "end"
            out.append(f'<it pos="{pos_attr}" x="{code.id}" type="{kind}">{native}</it>')
    out.append(escape(text[pos:]))
    return "".join(out)


def unit_inline_xml(unit: Unit) -> tuple[str, str]:
    """Source and target ``seg`` XML of a unit with inline codes (``""`` without codes)."""
    if not unit.segment.codes:
        return "", ""
    from ..documents.codes import placed_codes

    source = inline_seg_xml(unit.source, unit.segment.codes)
    if not unit.target:
        return source, ""
    placed = placed_codes(unit.segment.codes, unit.target, unit.target_codes)
    return source, inline_seg_xml(unit.target, placed.codes)


def unit_to_tu(unit: Unit, doc_id: str, srclang: str = DEFAULT_SRCLANG,
               tgtlang: str = DEFAULT_TGTLANG) -> TU:
    """The TU written for a pipeline unit (tuid ``<doc_id>:<segment number>``), inline
    codes as TMX inline elements."""
    source_xml, target_xml = unit_inline_xml(unit)
    return TU(
        tuid=unit.tuid(doc_id), source=unit.source, target=unit.target, srclang=srclang,
        tgtlang=tgtlang, props=unit_props(unit, doc_id),
        creationid=unit.engine or "tmpipe", source_xml=source_xml, target_xml=target_xml,
    )


def write_units_tmx(path: str | Path, units: Sequence[Unit], doc_id: str,
                    header_props: dict[str, str], *, creationdate: str | None = None) -> None:
    """Write a run's units as TMX 1.4b (atomic, streaming)."""
    write_tus(path, (unit_to_tu(u, doc_id) for u in units), header_props,
              creationdate=creationdate)


def _number_from_tuid(tuid: str) -> int | None:
    return counts.tuid_position(tuid)


def _float_prop(props: dict[str, str], name: str) -> float | None:
    try:
        value = float(props[name]) if props.get(name) else None
    except ValueError:
        return None
    return value if value is not None and math.isfinite(value) else None


def _terms_from_prop(value: str, source: str) -> list[TermMatch]:
    matches = []
    for item in filter(None, (part.strip() for part in value.split(" | "))):
        src, _, tgt = item.partition(" → ")
        start = source.find(src)
        if src and start >= 0:
            matches.append(TermMatch(Term(src, tgt), start, start + len(src)))
    return matches


_FLAG = re.compile(
    r"(?P<check>[^:()]+?)(?: \((?P<severity>error|warning|info)\))?: (?P<message>.*)", re.DOTALL)


def _flags_from_prop(value: str) -> list[Flag]:
    """Parse ``check (severity): message | ...``; severity defaults to warning."""
    flags = []
    for item in filter(None, (part.strip() for part in value.split(" | "))):
        found = _FLAG.fullmatch(item)
        if found is None:
            flags.append(Flag(check=item, severity="warning", message=""))
            continue
        flags.append(Flag(check=found["check"], severity=found["severity"] or "warning",
                          message=found["message"]))
    return flags


def tu_to_unit(tu: TU, number: int) -> Unit:
    """Rebuild a :class:`Unit` from a TU of our TMX (or a plain one from anyone)."""
    props = tu.props
    paragraph = props.get("x-paragraph", "")
    segment = Segment(
        number=number,
        paragraph=counts.count(paragraph) or number,
        text=tu.source,
        spans=[(0, len(tu.source))],
        kind=props.get("x-kind") or "body",
        flags=[f for f in props.get("x-segment-flags", "").split(",") if f],
    )
    origin = props.get("x-origin") or "tm-import"
    match_score = _float_prop(props, "x-match")
    scores = {k: v for k in ("bleu", "chrf") if (v := _float_prop(props, f"x-{k}")) is not None}
    tm_match = None
    if props.get("x-tm-source"):
        kind = origin.removeprefix("tm-") if origin.startswith("tm-") else "fuzzy"
        tm_match = TMMatch(source=props["x-tm-source"], target=tu.target,
                           score=match_score or 0.0, kind=kind,
                           origin=props.get("x-tm-origin", ""),
                           state=props.get("x-state", ""), changed_by=props.get("x-changed-by", ""),
                           leverage=props.get("x-leverage", ""))
    retries = props.get("x-retries", "")
    return Unit(
        segment=segment,
        target=tu.target,
        origin=origin,
        match_score=match_score,
        engine=props.get("x-engine", ""),
        model=props.get("x-model", ""),
        model_sha256=props.get("x-model-sha256", ""),
        retries=counts.count(retries) or 0,
        terms=_terms_from_prop(props.get("x-terms", ""), tu.source),
        tm_match=tm_match,
        flags=_flags_from_prop(props.get("x-qa", "")),
        reference=props.get("x-reference") or None,
        alignment_confidence=_float_prop(props, "x-align-confidence"),
        scores=scores,
        state=props.get("x-state", ""),
        changed_by=props.get("x-changed-by", ""),
        mt_target=props.get("x-mt-target", ""),
        risk=_float_prop(props, "x-risk"),
        risk_reasons=[r for r in props.get("x-risk-why", "").split(" | ") if r],
        confidence=confidence_from_prop(props.get("x-confidence", "")),
    )


def read_units_tmx(path: str | Path) -> tuple[dict[str, str], list[Unit]]:
    """Read a TMX into ``(header props, units)``; segment numbers come from the tuid."""
    units = []
    for index, tu in enumerate(iter_tus(path), start=1):
        units.append(tu_to_unit(tu, _number_from_tuid(tu.tuid) or index))
    return read_header(path), units
