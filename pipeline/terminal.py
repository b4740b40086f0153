"""User text made safe for a terminal: control characters shown, rich markup escaped."""

from __future__ import annotations

import re

# C0 controls but tab and newline, DEL, C1 controls, and the bidi overrides/isolates
# (which reorder what a terminal shows).
_CONTROL = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def _escape(match: re.Match[str]) -> str:
    code = ord(match.group())
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


def visible(text: str) -> str:
    """``text`` with every control character written as a ``\\x1b``-style escape."""
    return _CONTROL.sub(_escape, text)


def rich_safe(text: object) -> str:
    """User text for ``rich``: control characters shown, markup escaped."""
    from rich.markup import escape

    return escape(visible(str(text)))
