"""Reading user text files: encoding detection with clear, one-line refusals."""

from __future__ import annotations

import codecs
import logging
import re
from pathlib import Path

from .errors import UserError

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
_CJK = re.compile(r"[\u3400-\u9fff\uf900-\ufaff]")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def decode_bytes(data: bytes, path: str | Path) -> tuple[str, str]:
    """Decode ``data`` and return ``(text, encoding)``.

    UTF-8 (with or without BOM), UTF-16/32 with BOM, then GB18030 and Big5 when the
    bytes are valid in exactly one of them or clearly Chinese. Line endings are
    normalised to ``\\n``. Raises :class:`UserError` for binary or undecodable data.
    """
    encoding = None
    for bom, name in _BOMS:
        if data.startswith(bom):
            encoding = name
            break
    if encoding is None:
        if b"\x00" in data:
            line = data[: data.index(b"\x00")].count(b"\n") + 1
            raise UserError("NUL byte in text: binary file or UTF-16 without BOM", path, line)
        encoding = _guess_encoding(data, path)
    try:
        text = data.decode(encoding)
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise UserError(f"not valid {encoding} text", path, line) from exc
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    bad = _CONTROL.search(text)
    if bad:
        line = text.count("\n", 0, bad.start()) + 1
        raise UserError(f"control character U+{ord(bad.group()):04X} in text", path, line)
    return text, encoding


def _guess_encoding(data: bytes, path: str | Path) -> str:
    try:
        data.decode("utf-8")
        return "utf-8"
    except UnicodeDecodeError as exc:
        utf8_error = exc
    candidates = []
    for name in ("gb18030", "big5"):
        try:
            text = data.decode(name)
        except UnicodeDecodeError:
            continue
        cjk = len(_CJK.findall(text))
        candidates.append((cjk / max(1, len(text)), name))
    candidates.sort(reverse=True)
    if candidates and candidates[0][0] > 0.2:
        name = candidates[0][1]
        log.warning("%s: not UTF-8; decoded as %s", path, name)
        return name
    line = data[: utf8_error.start].count(b"\n") + 1
    raise UserError("not UTF-8 text, and not recognisably GB18030 or Big5", path, line)


def read_text(path: str | Path, *, what: str = "file") -> str:
    """Read a user's text file, refusing missing, empty, binary or undecodable files."""
    path = Path(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise UserError(f"{what} not found", path) from exc
    except IsADirectoryError as exc:
        raise UserError(f"{what} is a folder, expected a file", path) from exc
    except OSError as exc:
        raise UserError(f"cannot read {what}: {exc.strerror or exc}", path) from exc
    text, _ = decode_bytes(data, path)
    if not text.strip():
        raise UserError(f"{what} is empty", path)
    return text
