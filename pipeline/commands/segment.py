"""``tmpipe segment``: show how a document is cut into segments (layout repair included)."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from ..documents import read_document
from ..fsutil import atomic_open
from ..segment import LAYOUTS, SegmentOptions
from ..segment.output import write_segments


@click.command("segment")
@click.argument("source", type=click.Path(dir_okay=False, path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write here (atomically) instead of standard output.",
)
@click.option(
    "--layout",
    type=click.Choice(LAYOUTS),
    default="auto",
    show_default=True,
    help="auto: classify paragraphs and rejoin sentences cut by the page layout; "
    "lines: every non-empty line is one paragraph, no repair.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(("jsonl", "text")),
    default="jsonl",
    show_default=True,
    help="jsonl: one JSON object per segment; text: one per line.",
)
@click.option(
    "--semicolon",
    type=click.Choice(("long", "always", "never")),
    default="long",
    show_default=True,
    help="When ； ends a segment (long: both sides long).",
)
@click.option(
    "--max-chars",
    type=click.IntRange(20),
    default=200,
    show_default=True,
    help="Split longer sentences at ；/， near the middle.",
)
def segment_command(
    source: Path, output: Path | None, layout: str, fmt: str, semicolon: str, max_chars: int
) -> None:
    """Segment SOURCE (Chinese text, DOCX, HTML or Markdown) into sentences with their
    character offsets (in the text, or in the document's paragraphs one per line)."""
    options = SegmentOptions(semicolon=semicolon, max_chars=max_chars)
    source_doc = read_document(source, layout=layout, options=options)
    text, document = source_doc.text, source_doc.segmented
    if output is None:
        write_segments(sys.stdout, document, text, fmt)
        return
    with atomic_open(output) as fh:
        write_segments(fh, document, text, fmt)
    joins = sum(1 for note in document.layout if note.kind == "join")
    incomplete = sum(1 for note in document.layout if note.kind == "incomplete")
    click.echo(
        f"tmpipe: {len(document.segments)} segments in {document.paragraphs} paragraphs "
        f"({joins} joins, {incomplete} incomplete) → {output}",
        err=True,
    )


COMMANDS: list[click.Command] = [segment_command]
