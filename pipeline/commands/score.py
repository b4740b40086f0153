"""``tmpipe score``, ``tmpipe align`` and ``tmpipe compare``: option parsing and display."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from ..align import DEFAULT_MIN_CONFIDENCE
from .jsonout import emit_json, json_option, to_stdout
from .params import FiniteFloatRange

_CONFIDENCE = FiniteFloatRange(0.0, 1.0)


def _ref_option(help_text: str) -> Callable:
    return click.option("--ref", "ref", required=True, type=click.Path(path_type=Path),
                        help=help_text)


def _console() -> Console:
    return Console(highlight=False, soft_wrap=True)


@click.command("score")
@click.argument("hyp", type=click.Path(path_type=Path))
@_ref_option("Reference: English text (one paragraph or sentence per line) or TMX.")
@json_option("the scores")
@click.option("--min-confidence", default=DEFAULT_MIN_CONFIDENCE, show_default=True,
              type=_CONFIDENCE, help="Alignment confidence needed for sentence-level scores.")
def score_command(hyp: Path, ref: Path, json_path: str | None, min_confidence: float) -> None:
    """Score HYP (TMX, English text, or output folder) against a reference."""
    from ..services.scoring import score_files

    result = score_files(hyp, ref, min_confidence)
    if not to_stdout(json_path):
        _print_scores(result)
    emit_json(json_path, result)


def _print_scores(result: dict) -> None:
    table = Table(title="Scores (sacrebleu)")
    table.add_column("metric")
    table.add_column("score", justify="right")
    table.add_column("signature")
    for key, label in (("bleu", "BLEU"), ("chrf", "chrF++"), ("ter", "TER")):
        table.add_row(label, f"{result[key]:.2f}", result["signature"][key])
    console = _console()
    console.print(table)
    console.print(
        f"{result['segments_scored']} segments scored; "
        f"{result['sentence_scored']} with sentence scores; "
        f"{len(result['excluded'])} below confidence {result['min_confidence']}"
        + (f" (segments {_numbers(result['excluded'])})" if result["excluded"] else "")
        + f"; {len(result['unreferenced'])} without reference"
        + (f" (segments {_numbers(result['unreferenced'])})" if result["unreferenced"] else "")
    )


def _numbers(numbers: list[int], limit: int = 20) -> str:
    shown = ", ".join(str(n) for n in numbers[:limit])
    return shown + (f", … ({len(numbers)} in all)" if len(numbers) > limit else "")


@click.command("align")
@click.argument("source", type=click.Path(path_type=Path))
@click.argument("reference", type=click.Path(path_type=Path))
@click.option("-o", "--output", required=True, type=click.Path(dir_okay=False, path_type=Path),
              help="TMX file to write (origin 'aligned').")
@click.option("--glossary", type=click.Path(path_type=Path),
              help="Glossary whose target terms serve as extra anchors.")
@click.option("--min-confidence", default=0.0, show_default=True, type=_CONFIDENCE,
              help="Leave out links below this alignment confidence.")
@click.option("--doc-id", help="Document id for tuids (default: the source file's folder name).")
def align_command(
    source: Path,
    reference: Path,
    output: Path,
    glossary: Path | None,
    min_confidence: float,
    doc_id: str | None,
) -> None:
    """Align a Chinese SOURCE text with its English REFERENCE edition into a TMX.

    No MT is used: the evidence is sentence length, Arabic numbers and months, Latin
    tokens (GSMA, IPv6, 5G), glossary terms (with --glossary) and paragraph boundaries.
    Each pair carries its confidence (x-align-confidence); check low ones by hand.
    """
    from ..services.alignment import align_files

    summary = align_files(source, reference, output, glossary, min_confidence, doc_id)
    _console().print(
        f"{summary['pairs']} pairs written to {output} "
        f"({summary['low']} below confidence {DEFAULT_MIN_CONFIDENCE}, "
        f"{summary['dropped']} left out below {min_confidence}; "
        f"{summary['unmatched_source']} source segments and "
        f"{summary['unmatched_reference']} reference sentences unmatched)"
    )


@click.command("compare")
@click.argument("run_a", type=click.Path(path_type=Path))
@click.argument("run_b", type=click.Path(path_type=Path))
@_ref_option("Reference: English text or TMX.")
@click.option("--fail-on-drop", is_flag=True,
              help="Exit 1 when B is significantly worse than A on a --metric.")
@click.option("--metric", "metrics", multiple=True, default=("bleu", "chrf"), show_default=True,
              type=click.Choice(["bleu", "chrf", "ter"]),
              help="Metrics checked by --fail-on-drop (repeatable).")
@click.option("--resamples", default=1000, show_default=True, type=click.IntRange(1000),
              help="Paired bootstrap resamples.")
@click.option("--seed", default=12345, show_default=True, type=click.IntRange(1),
              help="Seed of the bootstrap resampling.")
@click.option("--alpha", default=0.05, show_default=True, type=FiniteFloatRange(0.0, 1.0),
              help="Significance level.")
@click.option("--top", default=5, show_default=True, type=click.IntRange(0),
              help="How many most-changed segments to list.")
@json_option("the results")
@click.pass_context
def compare_command(
    ctx: click.Context,
    run_a: Path,
    run_b: Path,
    ref: Path,
    fail_on_drop: bool,
    metrics: tuple[str, ...],
    resamples: int,
    seed: int,
    alpha: float,
    top: int,
    json_path: str | None,
) -> None:
    """Compare runs A and B (output folders or TMX) against a reference.

    Corpus BLEU/chrF++/TER of both on one shared alignment, B - A, and sacrebleu's paired
    bootstrap p-values; lists the segments whose sentence chrF++ changed most.
    """
    from ..services.scoring import compare_files

    result = compare_files(run_a, run_b, ref, resamples=resamples, seed=seed, top=top, alpha=alpha)
    result["checked_metrics"] = list(metrics)
    if not to_stdout(json_path):
        _print_compare(result, run_a, run_b)
    emit_json(json_path, result)
    dropped = [m for m in metrics if result["drop"][m]]
    if fail_on_drop and dropped:
        click.echo(f"tmpipe: significant drop in {', '.join(dropped)}", err=True)
        ctx.exit(1)


def _print_compare(result: dict, run_a: Path, run_b: Path) -> None:
    console = _console()
    table = Table(title=f"A = {run_a}   B = {run_b}   ({result['segments']} segments)")
    for name in ("metric", "A", "B", "B - A", "p", "significant"):
        table.add_column(name, justify="left" if name == "metric" else "right")
    for key, label in (("bleu", "BLEU"), ("chrf", "chrF++"), ("ter", "TER")):
        verdict = (
            "drop" if result["drop"][key] else ("gain" if result["significant"][key] else "no")
        )
        table.add_row(
            label,
            f"{result['a'][key]:.2f}",
            f"{result['b'][key]:.2f}",
            f"{result['delta'][key]:+.2f}",
            f"{result['p_value'][key]:.4f}",
            verdict,
        )
    console.print(table)
    console.print(
        f"paired bootstrap: {result['resamples']} resamples, seed {result['seed']}, "
        f"alpha {result['alpha']}"
    )
    if result["changed"]:
        changed = Table(title="Segments that changed most (sentence chrF++)")
        for name in ("segments", "chrF A", "chrF B", "delta", "A", "B"):
            changed.add_column(name, overflow="fold")
        for row in result["changed"]:
            changed.add_row(
                ",".join(map(str, row["segments"])),
                f"{row['chrf_a']:.1f}",
                f"{row['chrf_b']:.1f}",
                f"{row['delta']:+.1f}",
                _clip(row["a"]),
                _clip(row["b"]),
            )
        console.print(changed)


def _clip(text: str, limit: int = 160) -> str:
    """Shorten a segment for the terminal table (the JSON output keeps it whole)."""
    return text if len(text) <= limit else text[: limit - 1] + "…"


COMMANDS: list[click.Command] = [score_command, align_command, compare_command]
