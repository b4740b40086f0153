"""Whole numbers from untrusted text (TMX props, tuids, stored JSON): ASCII digits, bounded."""

from __future__ import annotations

MAX_DIGITS = 18


def count(text: object) -> int | None:
    """``text`` as a non-negative int if it is 1..18 ASCII digits, else None."""
    value = str(text)
    if not 0 < len(value) <= MAX_DIGITS or not value.isascii() or not value.isdigit():
        return None
    return int(value)


def tuid_position(tuid: str) -> int | None:
    """The number after the last ``:`` of a tuid (the whole tuid if it has none), or None."""
    return count(tuid.rsplit(":", 1)[-1])
