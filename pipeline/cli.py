"""The ``tmpipe`` command line: parses arguments and hands over to the stages.

Every command module under :mod:`pipeline.commands` exports ``COMMANDS``, a list
of click commands or groups added to the root group here.
"""

from __future__ import annotations

import importlib
import logging
import sqlite3
import sys

import click

from . import __version__
from .errors import UserError

COMMAND_MODULES = ("run", "segment", "glossary", "tm", "xliff", "score", "review", "models",
                   "batch")


class TmpipeGroup(click.Group):
    """Root group: turns :class:`UserError` and usage errors into one line on stderr, exit 2."""

    def invoke(self, ctx: click.Context):
        try:
            return super().invoke(ctx)
        except click.UsageError as exc:
            where = exc.ctx.command_path if exc.ctx is not None else ctx.command_path
            click.echo(f"tmpipe: error: {exc.format_message()} (see '{where} --help')",
                       err=True)
            ctx.exit(exc.exit_code)
        except UserError as exc:
            click.echo(f"tmpipe: error: {exc}", err=True)
            ctx.exit(exc.exit_code)
        except sqlite3.DatabaseError as exc:  # only the translation memory uses SQLite
            from .memory import damaged

            error = damaged(exc)
            click.echo(f"tmpipe: error: {error}", err=True)
            ctx.exit(error.exit_code)
        except KeyboardInterrupt:
            click.echo("tmpipe: interrupted", err=True)
            ctx.exit(130)


@click.group(cls=TmpipeGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="tmpipe")
@click.option("-v", "--verbose", is_flag=True, help="Log progress details to stderr.")
def main(verbose: bool) -> None:
    """tmpipe: offline Chinese-to-English translation-memory pipeline."""
    logging.basicConfig(
        level=logging.INFO if verbose else logging.WARNING,
        format="tmpipe: %(levelname)s: %(message)s",
        stream=sys.stderr,
    )
    # jieba announces its dictionary loading at DEBUG through its own handler, and sets
    # that level when imported: import it first, then quieten it.
    import jieba

    jieba.setLogLevel(logging.INFO if verbose else logging.WARNING)


for _name in COMMAND_MODULES:
    for _command in importlib.import_module(f".commands.{_name}", __package__).COMMANDS:
        main.add_command(_command)
