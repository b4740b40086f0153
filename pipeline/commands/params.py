"""Click parameter types shared by the commands."""

from __future__ import annotations

import math
from pathlib import Path

import click

from ..errors import UserError
from ..fsutil import check_doc_id
from ..memory import DEFAULT_TM_PATH, TranslationMemory

#: ``--tm`` for the commands that work on an existing memory (tm, xliff).
tm_option = click.option("--tm", "tm_path", type=click.Path(path_type=Path, dir_okay=False),
                         default=DEFAULT_TM_PATH, show_default=True,
                         help="Translation memory (SQLite).")


def existing_memory(tm_path: Path, hint: str = "run first") -> TranslationMemory:
    """Open a memory that must already exist; a missing one is a one-line error with ``hint``."""
    if not tm_path.exists():
        raise UserError(f"translation memory not found ({hint})", tm_path)
    return TranslationMemory(tm_path)


class FiniteFloatRange(click.FloatRange):
    """A float range that also refuses ``nan`` and ``inf`` (which compare as in range)."""

    name = "finite float range"

    def convert(self, value, param, ctx):  # type: ignore[override]
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def doc_id_option(ctx: click.Context, param: click.Parameter, value: str | None) -> str | None:
    """Callback for ``--doc-id``: a plain, file-name-safe token or a usage error."""
    if value is None:
        return None
    problem = check_doc_id(value)
    if problem:
        raise click.BadParameter(problem, ctx, param)
    return value
