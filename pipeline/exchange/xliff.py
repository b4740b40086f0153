"""XLIFF 1.2: writing and safely reading the files CAT tools exchange with us.

This module knows XML only: :class:`XliffUnit` records in and out. Which run units
become which records, and what an imported record means for the memory, is decided in
:mod:`pipeline.postedit`.

Writing (:func:`write_xliff`) builds one ``file`` (a document's segments) and writes it
through :func:`pipeline.fsutil.atomic_open`; units are grouped by paragraph in ``group``
elements. The output validates against the OASIS XLIFF 1.2 transitional schema.

Reading (:func:`read_xliff`) refuses files over :data:`MAX_BYTES`, DTDs with entities,
unresolved entity references, another namespace or version, and units without an id;
it streams and clears each ``trans-unit`` once read.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from .. import __version__
from ..errors import UserError
from ..fsutil import atomic_open
from .xmlsafe import (
    PARSE_OPTIONS,
    check_root_first,
    open_bounded,
    refuse_declared_entities,
    refuse_entity_refs,
    syntax_error,
)

NS = "urn:oasis:names:tc:xliff:document:1.2"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
MAX_BYTES = 64 * 1024 * 1024
_Q = {name: f"{{{NS}}}{name}" for name in (
    "xliff", "file", "header", "body", "group", "trans-unit", "source", "target", "note",
    "alt-trans", "prop-group", "prop", "tool")}


@dataclass
class AltTrans:
    """A candidate translation (MT or TM) offered beside the target."""

    target: str
    origin: str  # e.g. "mt:llm/model-name", "tm:human"
    match_quality: str = ""
    source: str = ""


@dataclass
class XliffUnit:
    """One ``trans-unit``: plain source and target text and their attributes."""

    id: str
    source: str
    target: str | None = None
    state: str = ""
    state_qualifier: str = ""
    approved: bool = False
    translate: bool = True
    group: str = ""  # id of the enclosing group (paragraph)
    notes: list[tuple[str, str, int]] = field(default_factory=list)  # (from, text, priority)
    alt_trans: list[AltTrans] = field(default_factory=list)
    target_lang: str = ""  # the target's xml:lang as read ("" when absent)
    props: dict[str, str] = field(default_factory=dict)  # a prop-group of the unit
    line: int = 0


@dataclass
class XliffFile:
    """The ``file`` element's facts: document id, languages, header props."""

    original: str
    source_language: str
    target_language: str
    props: dict[str, str] = field(default_factory=dict)


# ----------------------------------------------------------------------------- writing


def _unit_element(parent: etree._Element, unit: XliffUnit, srclang: str,
                  tgtlang: str) -> None:
    attrs = {"id": unit.id, "resname": unit.id}
    if not unit.translate:
        attrs["translate"] = "no"
    if unit.approved:
        attrs["approved"] = "yes"
    tu = etree.SubElement(parent, _Q["trans-unit"], attrs)
    etree.SubElement(tu, _Q["source"], {XML_LANG: srclang}).text = unit.source
    if unit.target is not None:
        target_attrs = {XML_LANG: tgtlang}
        if unit.state:
            target_attrs["state"] = unit.state
        if unit.state_qualifier:
            target_attrs["state-qualifier"] = unit.state_qualifier
        etree.SubElement(tu, _Q["target"], target_attrs).text = unit.target
    if unit.props:
        group = etree.SubElement(tu, _Q["prop-group"], {"name": "tmpipe"})
        for name, value in unit.props.items():
            etree.SubElement(group, _Q["prop"], {"prop-type": name}).text = value
    for origin, text, priority in unit.notes:
        note = etree.SubElement(tu, _Q["note"], {"from": origin, "priority": str(priority)})
        note.text = text
    for alt in unit.alt_trans:
        alt_attrs = {"origin": alt.origin}
        if alt.match_quality:
            alt_attrs["match-quality"] = alt.match_quality
        element = etree.SubElement(tu, _Q["alt-trans"], alt_attrs)
        if alt.source:
            etree.SubElement(element, _Q["source"], {XML_LANG: srclang}).text = alt.source
        etree.SubElement(element, _Q["target"], {XML_LANG: tgtlang}).text = alt.target


def write_xliff(path: str | Path, info: XliffFile, units: Iterable[XliffUnit]) -> int:
    """Write one XLIFF 1.2 ``file`` atomically; units grouped by their ``group``."""
    root = etree.Element(_Q["xliff"], {"version": "1.2"}, nsmap={None: NS})
    file = etree.SubElement(root, _Q["file"], {
        "original": info.original, "source-language": info.source_language,
        "target-language": info.target_language, "datatype": "plaintext",
        "tool-id": "tmpipe"})
    header = etree.SubElement(file, _Q["header"])
    etree.SubElement(header, _Q["tool"], {"tool-id": "tmpipe", "tool-name": "tmpipe",
                                          "tool-version": __version__})
    if info.props:
        group = etree.SubElement(header, _Q["prop-group"], {"name": "tmpipe"})
        for name, value in info.props.items():
            etree.SubElement(group, _Q["prop"], {"prop-type": name}).text = value
    body = etree.SubElement(file, _Q["body"])
    groups: dict[str, etree._Element] = {}
    count = 0
    for unit in units:
        parent = groups.get(unit.group)
        if parent is None:
            parent = groups[unit.group] = etree.SubElement(
                body, _Q["group"], {"id": unit.group, "resname": unit.group})
        _unit_element(parent, unit, info.source_language, info.target_language)
        count += 1
    with atomic_open(path, "wb") as fh:
        fh.write(etree.tostring(root, xml_declaration=True, encoding="UTF-8",
                                pretty_print=True))
    return count


# ----------------------------------------------------------------------------- reading


def _check_root(root: etree._Element, path: Path) -> None:
    refuse_declared_entities(root, path, "XLIFF")
    if root.tag != _Q["xliff"]:
        tag = etree.QName(root).localname if isinstance(root.tag, str) else "?"
        namespace = etree.QName(root).namespace if isinstance(root.tag, str) else None
        if tag == "xliff":
            raise UserError(f"XLIFF namespace is {namespace or 'missing'}, expected {NS} "
                            "(XLIFF 1.2)", path, root.sourceline)
        raise UserError(f"not an XLIFF file: root element is <{tag}>", path, root.sourceline)
    if root.get("version") != "1.2":
        raise UserError(f"XLIFF version {root.get('version')!r} is not supported; "
                        "expected 1.2", path, root.sourceline)


def _text(elem: etree._Element | None, path: Path) -> str | None:
    if elem is None:
        return None
    refuse_entity_refs(elem, path)
    return "".join(elem.itertext())


def _read_unit(elem: etree._Element, path: Path) -> XliffUnit:
    line = elem.sourceline or 0
    unit_id = (elem.get("id") or "").strip()
    if not unit_id:
        raise UserError("trans-unit without id", path, line)
    source = elem.find(_Q["source"])
    if source is None:
        raise UserError(f"trans-unit {unit_id} has no source", path, line)
    target = elem.find(_Q["target"])
    parent = elem.getparent()
    alts = [AltTrans(target=_text(a.find(_Q["target"]), path) or "", origin=a.get("origin", ""),
                     match_quality=a.get("match-quality", ""))
            for a in elem.iterfind(_Q["alt-trans"])]
    unit = XliffUnit(
        id=unit_id, source=_text(source, path) or "", target=_text(target, path),
        state=target.get("state", "") if target is not None else "",
        state_qualifier=target.get("state-qualifier", "") if target is not None else "",
        approved=elem.get("approved") == "yes", translate=elem.get("translate") != "no",
        group=parent.get("id", "") if parent is not None and parent.tag == _Q["group"] else "",
        alt_trans=alts, line=line,
        target_lang=target.get(XML_LANG, "") if target is not None else "",
        props={p.get("prop-type", ""): p.text or ""
               for p in elem.iterfind(f"{_Q['prop-group']}/{_Q['prop']}")})
    return unit


def _read_file(elem: etree._Element, path: Path) -> XliffFile:
    original = elem.get("original", "")
    props = {p.get("prop-type", ""): p.text or ""
             for p in elem.iterfind(f"{_Q['header']}/{_Q['prop-group']}/{_Q['prop']}")}
    return XliffFile(original=original, source_language=elem.get("source-language", ""),
                     target_language=elem.get("target-language", ""), props=props)


def read_xliff(path: str | Path, max_bytes: int = MAX_BYTES
               ) -> Iterator[tuple[XliffFile, list[XliffUnit]]]:
    """Yield each ``file`` of an XLIFF 1.2 document with its units (streamed, bounded)."""
    path = Path(path)
    try:
        with open_bounded(path, "XLIFF file", max_bytes) as fh:
            root_checked = check_root_first(fh, path, _check_root)
            events = ("start", "end") if not root_checked else ("end",)
            units: list[XliffUnit] = []
            header: XliffFile | None = None
            for event, elem in etree.iterparse(fh, events=events, **PARSE_OPTIONS):
                if event == "start":
                    if not root_checked:
                        root_checked = True
                        _check_root(elem, path)
                    continue
                if elem.tag == _Q["header"]:
                    parent = elem.getparent()
                    header = _read_file(parent, path) if parent is not None else None
                elif elem.tag == _Q["trans-unit"]:
                    units.append(_read_unit(elem, path))
                    elem.clear(keep_tail=False)
                elif elem.tag == _Q["file"]:
                    info = header if header is not None else _read_file(elem, path)
                    if not info.original:
                        raise UserError("XLIFF file element has no original", path,
                                        elem.sourceline)
                    yield info, units
                    units, header = [], None
                    elem.clear(keep_tail=False)
    except etree.XMLSyntaxError as exc:
        raise syntax_error(exc, path, "XLIFF") from exc
