"""``tmpipe xliff export|import``: the post-editing round trip with CAT tools."""

from __future__ import annotations

import getpass
from pathlib import Path

import click

from .params import existing_memory, tm_option

_PATH = click.Path(path_type=Path, dir_okay=False)
_DIR = click.Path(path_type=Path, file_okay=False)


def _default_reviewer() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "reviewer"


@click.group("xliff")
def xliff_group() -> None:
    """XLIFF 1.2 for CAT tools: export a run, import the post-edited file."""


@xliff_group.command("export")
@click.argument("run_dir", type=_DIR)
@click.option("-o", "--output", type=_PATH, help="XLIFF file [default: RUN_DIR/<doc-id>.xlf].")
@click.option("--target", "target_mode", type=click.Choice(["mt", "source"]), default="mt",
              show_default=True, help="What <target> holds: the MT/TM text, or the Chinese "
              "source (for OmegaT, which translates <target>; the MT is then in alt-trans).")
@click.option("--segmented-source", type=_PATH,
              help="Also write the source, one segment per line in reading order.")
@tm_option
def export_command(run_dir: Path, output: Path | None, target_mode: str,
                   segmented_source: Path | None, tm_path: Path) -> None:
    """Write RUN_DIR's segments as XLIFF 1.2 (one trans-unit per segment, id = tuid)."""
    from ..roundtrip import export_run

    with existing_memory(tm_path) as tm:
        path, count = export_run(run_dir, tm, output, target_mode, segmented_source)
    click.echo(f"exported {count} units to {path}"
               + (f"; segmented source in {segmented_source}" if segmented_source else ""))


@xliff_group.command("import")
@click.argument("file", type=_PATH)
@tm_option
@click.option("--reviewer", default=None,
              help="Who edited and confirmed the targets [default: the login name].")
@click.option("--run", "run_dir", type=_DIR,
              help="The run folder [default: the one recorded in the file].")
def import_command(file: Path, tm_path: Path, reviewer: str | None,
                   run_dir: Path | None) -> None:
    """Store FILE's edits in the memory and rebuild the run's outputs.

    An edited target is stored as human; an unchanged MT target the file confirms
    (approved="yes", or state translated/signed-off/final) stays MT, approved.
    """
    from ..roundtrip import import_xliff

    with existing_memory(tm_path) as tm:
        reports = import_xliff(file, tm, reviewer or _default_reviewer(), run_dir)
    for r in reports:
        click.echo(f"{r.doc_id}: {r.units} units: {r.edited} edited (stored as human), "
                   f"{r.confirmed} confirmed, {r.unchanged} unchanged, {r.untranslated} "
                   f"untranslated, {r.skipped} not for translation; rebuilt {r.run_dir}")


COMMANDS: list[click.Command] = [xliff_group]
