"""Safe, bounded XML reading shared by the TMX and XLIFF readers.

Parsing never loads a DTD, resolves entities or touches the network; a document that
declares entities (billion laughs, external entities) or leaves an entity reference
unresolved is refused. Readers stream with ``iterparse`` and clear what they have read;
:func:`open_bounded` refuses files over a size limit before parsing.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path
from typing import IO

from lxml import etree

from ..errors import UserError
from ..textio import open_user_file

PARSE_OPTIONS = {"resolve_entities": False, "load_dtd": False, "no_network": True,
                 "remove_comments": True, "remove_pis": True, "huge_tree": False}


def open_bounded(path: Path, what: str, max_bytes: int | None = None) -> IO[bytes]:
    """Open ``path`` for reading bytes; refuse it when larger than ``max_bytes``."""
    if max_bytes is not None:
        try:
            size = path.stat().st_size
        except OSError:
            size = 0  # open_user_file reports a missing or unreadable file
        if size > max_bytes:
            raise UserError(f"{what} is {size / 1e6:.0f} MB, over the "
                            f"{max_bytes / 1e6:.0f} MB limit; refused", path)
    return open_user_file(path, what)


def refuse_declared_entities(root: etree._Element, path: Path, what: str) -> None:
    """Refuse a document whose DTD declares entities (expansion or external entities)."""
    docinfo = root.getroottree().docinfo
    dtd = docinfo.internalDTD
    if dtd is not None and any(True for _ in dtd.iterentities()):
        raise UserError(f"{what} declares XML entities (entity expansion or external "
                        "entity); refused", path, root.sourceline)


def refuse_entity_refs(elem: etree._Element, path: Path) -> None:
    """An entity reference left unresolved (its DTD is never loaded) is refused, not dropped."""
    for node in elem.iter(etree.Entity):
        raise UserError(f"undefined entity {node.text}", path, node.sourceline)


def check_root_first(fh: IO[bytes], path: Path,
                     check: Callable[[etree._Element, Path], None]) -> bool:
    """Run ``check`` on the root element as soon as its start tag is read; False when that
    was not possible here (unseekable input, a syntax error first). The file is rewound.

    A syntax error is left for the main pass to report, at the same place and in the
    same words.
    """
    if not fh.seekable():
        return False
    parser = etree.XMLPullParser(events=("start",), **PARSE_OPTIONS)
    try:
        while chunk := fh.read(65536):
            parser.feed(chunk)
            for _, elem in parser.read_events():
                check(elem, path)
                return True
    except etree.XMLSyntaxError:
        return False
    finally:
        fh.seek(0)
    return False


_ENTITY_REF = re.compile(rb"&([A-Za-z_:][\w.:-]{0,100});")
_PREDEFINED = frozenset({b"amp", b"lt", b"gt", b"quot", b"apos"})


def undefined_entity(path: Path) -> UserError | None:
    """The first ``&name;`` that XML does not predefine, read line by line (bounded)."""
    try:
        with open(path, "rb") as fh:
            for number, line in enumerate(iter(lambda: fh.readline(1 << 20), b""), start=1):
                for found in _ENTITY_REF.finditer(line):
                    if found.group(1) not in _PREDEFINED:
                        name = found.group(1).decode("utf-8", "replace")
                        return UserError(f"undefined entity &{name};", path, number)
    except OSError:
        return None
    return None


def syntax_error(exc: etree.XMLSyntaxError, path: Path, what: str) -> UserError:
    """The one-line :class:`UserError` for a syntax error (file and line).

    libxml2 reports an undefined entity in a file without a DTD as "no element found"
    with no line; that case names the entity and its line.
    """
    line = exc.lineno if exc.lineno else None
    if line is None and path.is_file():
        entity = undefined_entity(path)
        if entity is not None:
            return entity
    msg = str(exc.msg if hasattr(exc, "msg") else exc).split(", line ")[0]
    return UserError(f"malformed {what}: {msg}", path, line)
