"""Reading user text files: encoding detection with clear, one-line refusals."""

from __future__ import annotations

import codecs
import functools
import logging
import os
import re
import stat
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

from .errors import UserError
from .han import HAN

log = logging.getLogger(__name__)

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)
CONTROL_CHARS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")

#: Longest line :func:`read_text` accepts. A line is a paragraph; a longer one means a
#: file without line breaks, which would make the segmenter and the memory crawl.
MAX_LINE_CHARS = 500_000
#: Largest text file read whole (bytes); ``TMPIPE_MAX_INPUT_MB`` raises or lowers it.
MAX_INPUT_BYTES = 100 * 1024 * 1024
#: Share of Chinese characters in traditional form above which a text counts as traditional.
TRADITIONAL_MIN = 0.05
_SAMPLE_CHARS = 20_000
#: Common characters that exist only in traditional form (fallback without opencc).
_TRADITIONAL_ONLY = frozenset(
    "們這個會國說來時為對與區業經發關東書長開門問間車電網際議當後過還點實現學讓種總從進種"
    "體將應們義產動務記見話認變設計團問題頭樣質術龍鄉縣歷運邊達選遠華濟資鎮烏舉灣廣數據"
)


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
    bad = CONTROL_CHARS.search(text)
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
        cjk = len(HAN.findall(text))
        candidates.append((cjk / max(1, len(text)), name))
    candidates.sort(reverse=True)
    if candidates and candidates[0][0] > 0.2:
        name = candidates[0][1]
        log.warning("%s: not UTF-8; decoded as %s", path, name)
        return name
    line = data[: utf8_error.start].count(b"\n") + 1
    raise UserError("not UTF-8 text, and not recognisably GB18030 or Big5", path, line)


def traditional_share(text: str) -> float:
    """Share (0–1) of the Chinese characters in ``text`` that are traditional forms.

    Uses opencc's ``t2s`` table when opencc is installed, else a short built-in list of
    common traditional-only characters. Looks at the first 20,000 Chinese characters.
    """
    han = HAN.findall(text[: _SAMPLE_CHARS * 4])[:_SAMPLE_CHARS]
    if not han:
        return 0.0
    counts: dict[str, int] = {}
    for char in han:
        counts[char] = counts.get(char, 0) + 1
    traditional = _traditional_chars(sorted(counts))
    return sum(counts[c] for c in traditional) / len(han)


def _traditional_chars(chars: list[str]) -> set[str]:
    """The characters of ``chars`` that opencc (or the fallback list) maps to simplified."""
    converter = _t2s()
    converted = converter("\n".join(chars)).split("\n") if converter else []
    if len(converted) != len(chars):
        return {c for c in chars if c in _TRADITIONAL_ONLY}
    return {c for c, s in zip(chars, converted, strict=True) if s != c}


@functools.cache
def _t2s() -> Callable[[str], str] | None:
    """opencc's traditional→simplified converter, or None when opencc is unusable."""
    try:
        import opencc

        return opencc.OpenCC("t2s").convert
    except Exception:  # noqa: BLE001 - missing package or data: the caller falls back
        log.debug("opencc unavailable; using the built-in traditional character list")
        return None


def script_note(text: str, path: str | Path) -> str | None:
    """A one-line note when ``text`` is traditional Chinese (accepted as it is), else None."""
    share = traditional_share(text)
    if share < TRADITIONAL_MIN:
        return None
    return (f"{path}: looks like traditional Chinese ({share:.0%} of Chinese characters are "
            "traditional forms); translated as it is, but glossary terms and memory matches "
            "are simplified: convert first (opencc -c t2s) for the best results")


def check_line_lengths(text: str, path: str | Path, limit: int = MAX_LINE_CHARS) -> None:
    """Refuse a text with a line longer than ``limit`` characters (file and line named)."""
    if len(text) <= limit:
        return
    start, number = 0, 1
    while start < len(text):
        end = text.find("\n", start)
        if end < 0:
            end = len(text)
        if end - start > limit:
            raise UserError(
                f"line is {end - start:,} characters long (at most {limit:,}): a line is a "
                "paragraph; is this a file without line breaks?", path, number)
        start, number = end + 1, number + 1


def require_existing(path: str | Path, what: str = "file") -> None:
    """Refuse a path that does not exist, telling a dangling or looping link from a missing file."""
    if os.path.exists(path):
        return
    if os.path.lexists(path):
        raise UserError(f"{what} is a broken or looping symbolic link", path)
    raise UserError(f"{what} not found", path)


def open_user_file(path: str | Path, what: str = "file") -> BinaryIO:
    """Open a user's file for reading bytes; missing, a folder or unreadable → UserError.

    ``what`` names the file in messages ("glossary", "TMX file", ...).
    """
    try:
        return open(path, "rb")  # noqa: SIM115 - closed by the caller
    except FileNotFoundError as exc:
        raise UserError(f"{what} not found", path) from exc
    except IsADirectoryError as exc:
        raise UserError(f"{what} is a folder, expected a file", path) from exc
    except OSError as exc:
        raise UserError(f"cannot read {what}: {exc.strerror or exc}", path) from exc


def input_limit() -> int:
    """The byte cap for one text input: ``TMPIPE_MAX_INPUT_MB`` or :data:`MAX_INPUT_BYTES`."""
    value = os.environ.get("TMPIPE_MAX_INPUT_MB", "")
    try:
        return int(float(value) * 1024 * 1024) if value else MAX_INPUT_BYTES
    except ValueError:
        return MAX_INPUT_BYTES


def read_user_bytes(path: str | Path, what: str = "file", limit: int | None = None) -> bytes:
    """The bytes of a user's file, at most ``limit``; larger inputs are refused, not read.

    Regular files are checked by size first; pipes and devices (``/dev/stdin``, a FIFO,
    ``/dev/zero``) are read as a stream and refused once past the cap.
    """
    limit = input_limit() if limit is None else limit
    with open_user_file(path, what) as fh:
        try:
            size = os.fstat(fh.fileno()).st_size if stat.S_ISREG(
                os.fstat(fh.fileno()).st_mode) else None
            if size is not None and size > limit:
                raise UserError(_too_large(what, limit), path)
            data = fh.read(limit + 1)
        except OSError as exc:
            raise UserError(f"cannot read {what}: {exc.strerror or exc}", path) from exc
    if len(data) > limit:
        raise UserError(_too_large(what, limit), path)
    return data


def _too_large(what: str, limit: int) -> str:
    return (f"{what} is larger than {limit / 1024 / 1024:g} MB; split it, or raise the cap "
            "with TMPIPE_MAX_INPUT_MB")


def read_text(path: str | Path, *, what: str = "file", max_line: int = MAX_LINE_CHARS) -> str:
    """Read a user's text file, refusing missing, empty, binary or undecodable files.

    Also refuses lines longer than ``max_line`` characters and logs a note when the
    text is traditional Chinese.
    """
    path = Path(path)
    data = read_user_bytes(path, what)
    text, _ = decode_bytes(data, path)
    del data
    if not text.strip():
        raise UserError(f"{what} is empty", path)
    check_line_lengths(text, path, max_line)
    note = script_note(text, path)
    if note:
        log.warning("%s", note)
    return text
