"""Reading and writing glossary files: TSV (primary), CSV and TBX.

Parsers never raise on bad rows: they collect :class:`Problem` s so that ``validate``
can list them all; :func:`parse_glossary` returns them with the terms.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from lxml import etree

from ..errors import UserError
from ..fsutil import atomic_open
from ..textio import decode_bytes, read_user_bytes
from ..units import Term

COLUMNS = ("source", "target", "variants", "forbidden", "note")
REQUIRED = ("source", "target")
FORMATS = ("tsv", "csv", "tbx", "omegat")
_XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Problem:
    """A finding in a glossary file; ``line`` 0 means the whole file."""

    line: int
    message: str


@dataclass
class ParseResult:
    """Terms read from a file, in file order, with what was wrong on the way."""

    terms: list[Term] = field(default_factory=list)
    errors: list[Problem] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)


# ----------------------------------------------------------------------------- detection


def detect_format(path: Path, data: bytes) -> str:
    """``tsv``, ``csv`` or ``tbx`` from the content (XML) and else the extension."""
    head = data[:512].lstrip(b"\xef\xbb\xbf \t\r\n")
    if head.startswith(b"<") or path.suffix.lower() in (".tbx", ".xml"):
        return "tbx"
    if path.suffix.lower() == ".csv":
        return "csv"
    if path.suffix.lower() in (".tsv", ".tab", ".txt"):
        return "tsv"
    first = head.split(b"\n", 1)[0]
    return "csv" if b"\t" not in first and b"," in first else "tsv"


def parse_glossary(path: str | Path) -> ParseResult:
    """Read ``path`` in whatever supported format it is in.

    Raises :class:`UserError` only when the file cannot be read at all (missing,
    empty, not a glossary such as a TMX, not decodable); row-level trouble is returned.
    """
    path = Path(path)
    data = read_user_bytes(path, "glossary")
    if not data.strip(b"\xef\xbb\xbf \t\r\n"):
        raise UserError("glossary is empty", path)
    kind = detect_format(path, data)
    if kind == "tbx":
        return _parse_tbx(path, data)
    text, _ = decode_bytes(data, path)
    return _parse_table(text, kind)


# ----------------------------------------------------------------------------- tables


def _rows(text: str, kind: str) -> Iterable[tuple[int, list[str]]]:
    if kind == "tsv":
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip() and not line.lstrip().startswith("#"):
                yield number, line.split("\t")
        return
    reader = csv.reader(io.StringIO(text), strict=True)
    start = 1
    try:
        for row in reader:
            if any(cell.strip() for cell in row) and not row[0].lstrip().startswith("#"):
                yield start, row
            start = reader.line_num + 1
    except csv.Error as exc:
        detail = "a quoted field is never closed" if "end of data" in str(exc) else str(exc)
        yield start, [f"\0CSV error: {detail}"]


def _unneutralise(cell: str) -> str:
    """Undo :func:`neutralise_formula` on reading, so an exported CSV reads back the same."""
    return cell[1:] if cell.startswith("'") and is_formula_like(cell[1:]) else cell


def _split_list(cell: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in cell.split("|") if item.strip())


def _parse_header(cells: list[str], kind: str, line: int, result: ParseResult) -> list[str]:
    names = [cell.strip().lower() for cell in cells]
    if not all(name in names for name in REQUIRED):
        sep = "tab" if kind == "tsv" else "comma"
        hint = " (commas: is it a CSV file?)" if kind == "tsv" and "," in cells[0] else ""
        got = "|".join(cell.strip() for cell in cells)[:80]
        result.errors.append(Problem(line, f"wrong header: expected {sep}-separated columns "
                                           f"{', '.join(COLUMNS)}; got {got!r}{hint}"))
        return []
    for name in names:
        if name not in COLUMNS:
            result.warnings.append(Problem(line, f"extra column {name!r} ignored"))
    return names


def _parse_table(text: str, kind: str) -> ParseResult:
    result = ParseResult()
    header: list[str] | None = None
    for line, cells in _rows(text, kind):
        if cells and cells[0].startswith("\0"):
            result.errors.append(Problem(line, cells[0][1:]))
            break
        if header is None:
            header = _parse_header(cells, kind, line, result)
            if not header:
                return result
            continue
        term = _row_term(cells, header, line, result)
        if term is not None:
            result.terms.append(term)
    if header is not None and not result.terms and not result.errors:
        result.errors.append(Problem(0, "no terms (only a header)"))
    return result


def _row_term(cells: list[str], header: list[str], line: int,
              result: ParseResult) -> Term | None:
    if len(cells) > len(header) and any(c.strip() for c in cells[len(header):]):
        result.errors.append(Problem(line, f"{len(cells)} fields but the header has "
                                           f"{len(header)}"))
        return None
    row = {name: _unneutralise(cells[i]) if i < len(cells) else ""
           for i, name in enumerate(header)}
    source, target = row["source"].strip(), row["target"].strip()
    for name, value in (("source", source), ("target", target)):
        if not value:
            result.errors.append(Problem(line, f"empty {name}"))
    if not source or not target:
        return None
    return Term(
        source=source,
        target=target,
        variants=_split_list(row.get("variants", "")),
        forbidden=_split_list(row.get("forbidden", "")),
        note=_SPACE.sub(" ", row.get("note", "")).strip(),
        line=line,
    )


# ----------------------------------------------------------------------------- TBX


def _local(elem: etree._Element) -> str:
    tag = elem.tag
    return etree.QName(tag).localname if isinstance(tag, str) else ""


def _text(elem: etree._Element) -> str:
    return _SPACE.sub(" ", "".join(elem.itertext())).strip()


def _status(tig: etree._Element) -> str:
    """``preferred``, ``admitted``, ``forbidden`` or ``""`` from administrativeStatus."""
    for node in tig.iter():
        if _local(node) in ("termNote", "descrip") and node.get("type") == "administrativeStatus":
            value = _text(node).lower()
            for word, status in (("preferred", "preferred"), ("admitted", "admitted"),
                                 ("deprecated", "forbidden"), ("superseded", "forbidden"),
                                 ("forbidden", "forbidden"), ("notrecommended", "forbidden")):
                if word in value.replace(" ", ""):
                    return status
    return ""


def _lang_terms(lang_set: etree._Element) -> list[tuple[str, str]]:
    out = []
    for tig in lang_set:
        if _local(tig) not in ("tig", "ntig", "termSec"):
            continue
        term = next((n for n in tig.iter() if _local(n) == "term"), None)
        if term is not None and _text(term):
            out.append((_text(term), _status(tig)))
    return out


def _entry_note(entry: etree._Element) -> str:
    notes = []
    for node in entry:
        if _local(node) == "note" or (_local(node) == "descrip" and node.get("type") == "note"):
            notes.append(_text(node))
    return "; ".join(n for n in notes if n)


def _entry_terms(entry: etree._Element, langs_seen: set[str]) -> list[Term]:
    zh: list[tuple[str, str]] = []
    en: list[tuple[str, str]] = []
    for lang_set in entry:
        if _local(lang_set) not in ("langSet", "langSec"):
            continue
        lang = (lang_set.get(_XML_LANG) or lang_set.get("lang") or "").lower()
        langs_seen.add(lang)
        if lang.split("-")[0].split("_")[0] == "zh":
            zh += _lang_terms(lang_set)
        elif lang.split("-")[0].split("_")[0] == "en":
            en += _lang_terms(lang_set)
    sources = [t for t, status in zh if status != "forbidden"]
    allowed = [(t, s) for t, s in en if s != "forbidden"]
    if not sources or not allowed:
        return []
    preferred = [t for t, s in allowed if s == "preferred"] or [allowed[0][0]]
    target = preferred[0]
    variants = tuple(dict.fromkeys(t for t, _ in allowed if t != target))
    forbidden = tuple(dict.fromkeys(t for t, s in en if s == "forbidden"))
    note = _entry_note(entry)
    line = entry.sourceline or 0
    return [Term(source, target, variants, forbidden, note, line) for source in sources]


def _refuse_dtd(root: etree._Element, path: Path) -> None:
    """A DOCTYPE with entity declarations or any entity reference is refused, as in TMX."""
    dtd = root.getroottree().docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UserError("TBX declares XML entities (entity expansion or external entity); "
                        "refused", path, root.sourceline)
    for node in root.iter(etree.Entity):
        raise UserError(f"undefined entity {node.text} in TBX; refused", path, node.sourceline)


def _parse_tbx(path: Path, data: bytes) -> ParseResult:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False,
                             huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise UserError(f"malformed XML: {exc.msg}", path, exc.lineno or None) from exc
    _refuse_dtd(root, path)
    name = _local(root).lower()
    if name == "tmx":
        raise UserError("this is a TMX translation memory, not a glossary (TSV, CSV or TBX)",
                        path)
    if name not in ("martif", "tbx"):
        raise UserError(f"not a TBX file (root element <{_local(root)}>)", path)
    result = ParseResult()
    langs: set[str] = set()
    for entry in root.iter():
        if _local(entry) not in ("termEntry", "conceptEntry"):
            continue
        terms = _entry_terms(entry, langs)
        if not terms:
            result.warnings.append(Problem(entry.sourceline or 0,
                                           "entry has no Chinese and English term; skipped"))
        result.terms += terms
    if not result.terms:
        found = ", ".join(sorted(lang for lang in langs if lang)) or "none"
        result.errors.append(Problem(0, "no entry with both a Chinese (zh*) and an English "
                                        f"(en*) term (languages found: {found})"))
    return result


# ----------------------------------------------------------------------------- writing

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def is_formula_like(cell: str) -> bool:
    """Whether a spreadsheet would run ``cell`` as a formula (CSV injection)."""
    return cell.startswith(FORMULA_STARTS)


def neutralise_formula(cell: str) -> str:
    """Prefix a formula-like cell with an apostrophe, which spreadsheets show as text."""
    return "'" + cell if is_formula_like(cell) else cell



def format_for_output(path: Path, to: str | None) -> str:
    """The output format: ``to`` when given, else from the file extension."""
    if to:
        return to
    suffix = path.suffix.lower().lstrip(".")
    if suffix in ("tsv", "tab", "txt"):
        return "tsv"
    if suffix in FORMATS:
        return suffix
    raise UserError("cannot tell the output format from the extension; use --to "
                    "tsv, csv or tbx", path)


def write_glossary(path: str | Path, terms: Sequence[Term], fmt: str,
                   source: str | Path | None = None) -> None:
    """Write ``terms`` to ``path`` atomically as ``fmt`` (tsv, csv, tbx or omegat).

    A term that cannot be written is named at its line in ``source`` (the file it was
    read from) when given, else by the output file alone.
    """
    path = Path(path)
    if fmt == "omegat":
        from .omegat import write_omegat

        write_omegat(path, terms, source)
        return
    if fmt == "tbx":
        with atomic_open(path, "wb", encoding=None) as fh:
            fh.write(tbx_bytes(terms))
        return
    if fmt == "tsv":
        for term in terms:
            for value in (term.source, term.target, *term.variants, *term.forbidden):
                if "\t" in value or "\n" in value or "|" in value:
                    where = (source, term.line or None) if source else (path, None)
                    raise UserError(f"term {value!r} holds a tab, newline or '|' and cannot "
                                    f"be written as TSV to {path}", *where)
    rows = [list(COLUMNS)] + [
        [term.source, term.target, "|".join(term.variants), "|".join(term.forbidden),
         _SPACE.sub(" ", term.note).strip()]
        for term in terms
    ]
    if fmt == "tsv":
        text = "".join("\t".join(row) + "\n" for row in rows)
    else:
        buffer = io.StringIO()
        csv.writer(buffer, lineterminator="\n").writerows(
            [[neutralise_formula(cell) for cell in row] for row in rows])
        text = buffer.getvalue()
    with atomic_open(path, "w") as fh:
        fh.write(text)


def tbx_bytes(terms: Sequence[Term]) -> bytes:
    """A TBX-Basic style document with one ``termEntry`` per term."""
    root = etree.Element("martif", {"type": "TBX-Basic", _XML_LANG: "en"})
    header = etree.SubElement(root, "martifHeader")
    desc = etree.SubElement(etree.SubElement(header, "fileDesc"), "sourceDesc")
    etree.SubElement(desc, "p").text = "tmpipe glossary (zh to en)"
    body = etree.SubElement(etree.SubElement(root, "text"), "body")
    for number, term in enumerate(terms, 1):
        entry = etree.SubElement(body, "termEntry", id=f"t{number}")
        if term.note:
            etree.SubElement(entry, "note").text = term.note
        _add_lang(entry, "zh", [(term.source, "preferredTerm-admn-sts")])
        english = [(term.target, "preferredTerm-admn-sts")]
        english += [(v, "admittedTerm-admn-sts") for v in term.variants]
        english += [(f, "deprecatedTerm-admn-sts") for f in term.forbidden]
        _add_lang(entry, "en", english)
    etree.indent(root, space="  ")
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8") + b"\n"


def _add_lang(entry: etree._Element, lang: str, terms: list[tuple[str, str]]) -> None:
    lang_set = etree.SubElement(entry, "langSet", {_XML_LANG: lang})
    for text, status in terms:
        tig = etree.SubElement(lang_set, "tig")
        etree.SubElement(tig, "term").text = text
        etree.SubElement(tig, "termNote", type="administrativeStatus").text = status
