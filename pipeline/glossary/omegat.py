"""OmegaT's glossary format: ``source<TAB>target<TAB>comment`` lines, UTF-8, no header.

OmegaT offers every line's target as a suggestion, so each accepted rendering (the
approved one and its variants) gets a line; forbidden renderings are never a target,
only named in the comment column (``not: …``), with the term's note.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from pathlib import Path

from ..errors import UserError
from ..fsutil import atomic_write_text
from ..units import Term

_SPACE = re.compile(r"\s+")


def _clean(value: str, path: Path, term: Term, source: str | Path | None) -> str:
    if "\t" in value or "\n" in value:
        where = (source, term.line or None) if source else (path, None)
        raise UserError(f"term {value!r} holds a tab or newline and cannot be written for "
                        f"OmegaT to {path}", *where)
    return value


def omegat_lines(terms: Sequence[Term], path: Path = Path("glossary"),
                 source: str | Path | None = None) -> list[str]:
    """The lines of an OmegaT glossary for ``terms`` (``source``: the file they came from,
    named with the term's line when one cannot be written)."""
    lines: list[str] = []
    for term in terms:
        comment = []
        if term.forbidden:
            comment.append("not: " + ", ".join(term.forbidden))
        if term.note:
            comment.append(_SPACE.sub(" ", term.note).strip())
        text = _clean("; ".join(comment), path, term, source)
        for rendering in term.accepted:
            lines.append(f"{_clean(term.source, path, term, source)}\t"
                         f"{_clean(rendering, path, term, source)}\t{text}".rstrip("\t"))
    return lines


def write_omegat(path: str | Path, terms: Sequence[Term],
                 source: str | Path | None = None) -> None:
    """Write ``terms`` as an OmegaT glossary (atomic)."""
    path = Path(path)
    atomic_write_text(path, "".join(line + "\n" for line in omegat_lines(terms, path, source)))
