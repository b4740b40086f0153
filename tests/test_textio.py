"""Reading user text: encodings, refusals with file and line."""

from __future__ import annotations

import codecs
import logging
from pathlib import Path

import pytest

from pipeline import textio
from pipeline.errors import UserError
from pipeline.textio import (
    TRADITIONAL_MIN,
    check_line_lengths,
    decode_bytes,
    read_text,
    script_note,
    traditional_share,
)

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


# --------------------------------------------------------------------------- issue 10


@pytest.mark.parametrize(
    "data",
    [
        codecs.BOM_UTF16_BE + TEXT.encode("utf-16-be"),
        codecs.BOM_UTF16_LE + TEXT.encode("utf-16-le"),
        TEXT.encode("utf-32"),
        TEXT.replace("\n", "\r").encode("utf-8"),  # old Mac line endings
        TEXT.encode("gbk"),
    ],
    ids=["utf16-be", "utf16-le", "utf32", "cr", "gbk"],
)
def test_more_encodings_and_line_endings(data: bytes) -> None:
    text, _ = decode_bytes(data, "x.txt")
    assert text == TEXT


def test_non_utf8_is_converted_with_a_warning(caplog: pytest.LogCaptureFixture) -> None:
    for codec in ("gb18030", "big5"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="pipeline.textio"):
            text, encoding = decode_bytes("網際網路大會在烏鎮舉行。\n".encode(codec), "x.txt")
        assert encoding == codec and text == "網際網路大會在烏鎮舉行。\n"
        assert f"x.txt: not UTF-8; decoded as {codec}" in caplog.text


def test_control_character_names_line() -> None:
    with pytest.raises(UserError, match=r"x\.txt:3: control character U\+001B"):
        decode_bytes("一\n二\n三\x1b[0m\n".encode(), "x.txt")


def test_utf16_without_bom_is_refused_not_garbled() -> None:
    with pytest.raises(UserError, match="NUL byte.*UTF-16 without BOM"):
        decode_bytes(TEXT.encode("utf-16-le"), "x.txt")


def test_traditional_share() -> None:
    assert traditional_share("世界互联网大会乌镇峰会开幕。") == 0.0
    assert traditional_share("網際網路大會在烏鎮舉行。") > 0.5
    assert traditional_share("Only English here.") == 0.0
    simplified = "今年是世界互联网大会乌镇峰会第十年。" * 20
    assert traditional_share(simplified + "網路") < TRADITIONAL_MIN  # a quoted word or two


def test_fallback_list_without_opencc(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(textio, "_t2s", lambda: None)
    assert traditional_share("這個會議在烏鎮舉行。") > 0.3
    assert traditional_share("这个会议在乌镇举行。") == 0.0


def test_fallback_list_agrees_with_opencc() -> None:
    """Every character of the built-in list is one opencc maps to simplified."""
    convert = textio._t2s()
    if convert is None:
        pytest.skip("opencc is not installed")
    chars = sorted(textio._TRADITIONAL_ONLY)
    assert [c for c in chars if convert(c) == c] == []


def test_traditional_source_is_read_with_a_note(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "trad.txt"
    path.write_text("網際網路大會在烏鎮舉行。\n", encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pipeline.textio"):
        assert read_text(path) == "網際網路大會在烏鎮舉行。\n"
    assert "looks like traditional Chinese" in caplog.text and str(path) in caplog.text
    caplog.clear()
    path.write_text(TEXT, encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="pipeline.textio"):
        read_text(path)
    assert caplog.text == ""
    assert script_note(TEXT, path) is None


def test_overlong_line_is_refused_with_its_number(tmp_path: Path) -> None:
    path = tmp_path / "long.txt"
    path.write_text("第一行。\n第二行。\n" + "长" * 1001 + "\n末行。\n", encoding="utf-8")
    with pytest.raises(UserError, match=rf"{path}:3: line is 1,001 characters"):
        read_text(path, max_line=1000)
    assert read_text(path, max_line=1001).endswith("末行。\n")
    check_line_lengths("x" * 10, "f", limit=10)  # at the limit: fine
    with pytest.raises(UserError, match="f:1:"):
        check_line_lengths("x" * 11, "f", limit=10)
