"""Click parameter types shared by the commands."""

from __future__ import annotations

import math

import click

from ..fsutil import check_doc_id


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
