"""Durable file writing: write to a temp file in the same folder, then rename."""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO

from .errors import UserError


@contextlib.contextmanager
def atomic_open(path: str | Path, mode: str = "w", encoding: str | None = "utf-8") -> Iterator[IO]:
    """Open a temp file beside ``path``; on success fsync and rename it over ``path``.

    On any exception the temp file is removed and the previous ``path`` is left intact.
    """
    path = Path(path)
    binary = "b" in mode
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror or exc}", path) from exc
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, 0o666 & ~_umask())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise UserError(f"cannot write: {exc.strerror or exc}", path) from exc
        raise


#: Longest document id: it becomes a file name (``<doc-id>.tmx``) and part of every tuid.
MAX_DOC_ID = 100
_DOC_ID_BAD = frozenset('/\\:*?"<>|')


def check_doc_id(doc_id: str) -> str | None:
    """Why ``doc_id`` is not a plain, file-name-safe token, or None when it is."""
    if not doc_id:
        return "document id is empty"
    if len(doc_id) > MAX_DOC_ID:
        return f"document id longer than {MAX_DOC_ID} characters"
    if doc_id.startswith(".") or doc_id.startswith("-"):
        return f"document id {doc_id!r} starts with {doc_id[0]!r}"
    for char in doc_id:
        if char in _DOC_ID_BAD or char.isspace() and char != " " or not char.isprintable():
            return f"document id {doc_id!r} holds {char!r}; use letters, digits, '-', '_' or '.'"
    if doc_id != doc_id.strip():
        return f"document id {doc_id!r} starts or ends with a space"
    return None


def _umask() -> int:
    """The process umask (read by setting and restoring it)."""
    mask = os.umask(0o022)
    os.umask(mask)
    return mask


def atomic_write_text(path: str | Path, text: str) -> None:
    """Write ``text`` to ``path`` atomically (UTF-8)."""
    with atomic_open(path, "w") as fh:
        fh.write(text)


@contextlib.contextmanager
def staged_dir(folder: str | Path) -> Iterator[Path]:
    """A staging folder inside ``folder`` for writing several files as one.

    Files written into the yielded folder are moved into ``folder`` only when the block
    finishes without error; otherwise ``folder`` keeps its previous files untouched.
    """
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
        stage = Path(tempfile.mkdtemp(prefix=".staging-", dir=folder))
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror or exc}", folder) from exc
    try:
        yield stage
        for item in sorted(stage.iterdir()):
            os.replace(item, folder / item.name)
    except UserError as exc:  # name the file the user knows, not its staged copy
        if exc.path is not None and Path(exc.path).parent == stage:
            raise UserError(exc.message, folder / Path(exc.path).name, exc.line) from exc
        raise
    except OSError as exc:
        raise UserError(f"cannot write: {exc.strerror or exc}", folder) from exc
    finally:
        shutil.rmtree(stage, ignore_errors=True)
