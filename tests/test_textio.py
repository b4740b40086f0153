"""Reading user text: encodings, refusals with file and line."""

from __future__ import annotations

import codecs

import pytest

from pipeline.errors import UserError
from pipeline.textio import decode_bytes, read_text

TEXT = "世界互联网大会乌镇峰会开幕。\n第二行。\n"


@pytest.mark.parametrize(
    "data",
    [
        TEXT.encode("utf-8"),
        codecs.BOM_UTF8 + TEXT.encode("utf-8"),
        TEXT.encode("utf-16"),  # with BOM
        TEXT.encode("gb18030"),
        TEXT.replace("\n", "\r\n").encode("utf-8"),
    ],
    ids=["utf8", "utf8-bom", "utf16", "gb18030", "crlf"],
)
def test_decodes_common_encodings(data: bytes) -> None:
    text, _ = decode_bytes(data, "x.txt")
    assert text == TEXT


def test_big5_is_detected() -> None:
    text, encoding = decode_bytes("網際網路大會在烏鎮舉行。".encode("big5"), "x.txt")
    assert encoding == "big5"
    assert text == "網際網路大會在烏鎮舉行。"


def test_nul_byte_names_line() -> None:
    with pytest.raises(UserError, match=r"x\.txt:2: NUL byte"):
        decode_bytes(b"ok\nbad\x00\n", "x.txt")


def test_garbage_is_refused() -> None:
    with pytest.raises(UserError, match="not UTF-8"):
        decode_bytes(bytes(range(128, 256)) * 3, "x.bin")


def test_empty_and_missing(tmp_path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("  \n\n", encoding="utf-8")
    with pytest.raises(UserError, match="empty"):
        read_text(empty)
    with pytest.raises(UserError, match="not found"):
        read_text(tmp_path / "nope.txt")
