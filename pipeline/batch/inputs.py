"""The documents of a batch: INPUT arguments (files, folders, globs) → source files.

A folder is searched recursively for source files by the extensions of the supported
document formats; English files beside them (``*.en.txt``, ``*.en.docx`` …,
``reference.*``) and hidden files are not sources. Each document gets a document id as
``tmpipe run`` would give it, made unique within the batch.
"""

from __future__ import annotations

import glob
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from ..errors import UserError


def source_suffixes() -> tuple[str, ...]:
    """File name endings taken as source documents when a folder is searched: those of
    every supported document format."""
    from ..documents import formats

    return tuple(ext for fmt in formats() for ext in fmt.extensions)

_GLOB_CHARS = frozenset("*?[")


@dataclass(frozen=True)
class BatchDocument:
    """One source file of a batch and the document id it is translated under."""

    path: Path
    doc_id: str


@dataclass
class BatchInputs:
    """The documents found, and the INPUT arguments that named nothing usable."""

    documents: list[BatchDocument]
    problems: list[str]


def is_source_name(path: Path) -> bool:
    """Whether a file found in a folder is a source document (not an English reference)."""
    name = path.name.lower()
    if name.startswith(".") or not name.endswith(source_suffixes()):
        return False
    return not (name.startswith("reference.") or ".en." in name or name.endswith(".en.txt"))


def default_doc_id(path: Path) -> str:
    """``segments/<id>/source.zh.txt`` → ``<id>``; ``paper.zh.txt`` → ``paper`` (as ``run``)."""
    if path.name.startswith("source.") and path.parent.name:
        return path.parent.name
    return path.name.split(".")[0] or "document"


def collect_inputs(arguments: Sequence[str | Path]) -> BatchInputs:
    """Expand INPUT arguments in order; duplicates are kept once.

    A named file is taken whatever its extension; a folder contributes its source files
    (recursively, sorted); a glob pattern its matches. An argument that names nothing is a
    problem line, not an error: the caller decides whether anything is left to do.
    """
    seen: set[Path] = set()
    paths: list[Path] = []
    problems: list[str] = []
    for argument in arguments:
        found = list(_expand(str(argument), problems))
        for path in found:
            resolved = path.resolve()
            if resolved not in seen:
                seen.add(resolved)
                paths.append(path)
    return BatchInputs(documents=_with_ids(paths), problems=problems)


def _expand(argument: str, problems: list[str]) -> Iterable[Path]:
    path = Path(argument)
    if path.is_dir():
        found = sorted(p for p in path.rglob("*") if p.is_file() and is_source_name(p))
        if not found:
            problems.append(f"{argument}: no source files ({', '.join(source_suffixes())}) "
                            "in this folder")
        return found
    if path.is_file():
        return [path]
    if _GLOB_CHARS & set(argument):
        matches = sorted(Path(m) for m in glob.glob(argument, recursive=True))
        found = [m for m in matches if m.is_file() and is_source_name(m)]
        for folder in (m for m in matches if m.is_dir()):
            found.extend(sorted(p for p in folder.rglob("*") if p.is_file() and is_source_name(p)))
        if not found:
            problems.append(f"{argument}: no source files match this pattern")
        return found
    problems.append(f"{argument}: no such file or folder")
    return []


def _with_ids(paths: Sequence[Path]) -> list[BatchDocument]:
    """Documents with ids unique in the batch (a clash gets the parent folder's name, then
    a number)."""
    base = [default_doc_id(p) for p in paths]
    counts: dict[str, int] = {}
    for doc_id in base:
        counts[doc_id] = counts.get(doc_id, 0) + 1
    taken: set[str] = set()
    documents = []
    for path, doc_id in zip(paths, base, strict=True):
        if counts[doc_id] > 1 and path.parent.name and not path.name.startswith("source."):
            doc_id = f"{path.parent.name}-{doc_id}"
        unique, n = doc_id, 2
        while unique in taken:
            unique, n = f"{doc_id}-{n}", n + 1
        taken.add(unique)
        documents.append(BatchDocument(path=path, doc_id=unique))
    return documents


def require_documents(inputs: BatchInputs) -> list[BatchDocument]:
    """The documents, or a UserError (exit 2) naming the first problem when there are none."""
    if inputs.documents:
        return inputs.documents
    if inputs.problems:
        raise UserError(inputs.problems[0] if len(inputs.problems) == 1 else
                        f"nothing to do: {'; '.join(inputs.problems)}")
    raise UserError("no INPUT given: name files, folders or glob patterns")
