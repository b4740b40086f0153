"""The ``--json FILE`` option shared by the commands that report results.

``--json FILE`` writes the results to FILE atomically, next to the usual terminal display;
``--json -`` prints them to standard output instead of that display.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import click

from ..fsutil import atomic_write_text

STDOUT = "-"
_F = TypeVar("_F", bound=Callable)


def json_option(what: str) -> Callable[[_F], _F]:
    """The ``--json FILE`` option (parameter ``json_path``) for results described by ``what``."""
    return click.option(
        "--json", "json_path", metavar="FILE", type=click.Path(dir_okay=False, allow_dash=True),
        help=f"Write {what} as JSON to FILE ('-': print them instead of the summary).")


def to_stdout(json_path: str | Path | None) -> bool:
    """Whether the JSON replaces the terminal display."""
    return json_path is not None and str(json_path) == STDOUT


def emit_json(json_path: str | Path | None, data: object) -> None:
    """Write ``data`` to ``json_path`` (nothing when None; standard output for ``-``)."""
    if json_path is None:
        return
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if to_stdout(json_path):
        click.echo(text, nl=False)
    else:
        atomic_write_text(json_path, text)
