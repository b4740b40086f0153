"""``tmpipe run``: translate one document end to end."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import click
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from ..engines.modelstore import ENV_MODEL
from ..flow import BUNDLED_SOURCE, DEFAULT_GLOSSARY, DEFAULT_TM, Hooks, RunOptions, exit_code, run
from ..units import RunResult
from .params import FiniteFloatRange, doc_id_option
from .signals import stop_on_sigterm

_PATH = click.Path(path_type=Path, dir_okay=False)


@click.command("run")
@click.argument("source", required=False, type=_PATH)
@click.option("--ref", "reference", type=_PATH, help="English reference to score against "
              "[default: reference.en.txt beside SOURCE or in segments/<doc-id>/].")
@click.option("--glossary", type=_PATH, help=f"Term glossary (TSV, CSV or TBX) [default: "
              f"{DEFAULT_GLOSSARY} when present].")
@click.option("--no-glossary", is_flag=True, help="Run without a glossary.")
@click.option("--tm", "tm_path", type=_PATH, default=DEFAULT_TM, show_default=True,
              help="Translation memory (SQLite); created when missing.")
@click.option("--engine", default="auto", show_default=True,
              help="MT engine: auto, llm or argos.")
@click.option("--model", "model_path", type=_PATH,
              help="GGUF file for the llm engine instead of the embedded model "
              f"[env: {ENV_MODEL}].")
@click.option("--threads", type=click.IntRange(1, 256), envvar="TMPIPE_THREADS",
              help="CPU threads for the engine [default: all cores; env: TMPIPE_THREADS].")
@click.option("--argos-package", metavar="NAME",
              help="Installed argos package for --engine argos [default: newest zh→en].")
@click.option("--layout", type=click.Choice(["auto", "lines"]), default="auto",
              show_default=True,
              help="auto: repair newspaper layout; lines: every non-empty line is a paragraph.")
@click.option("--out", "out_dir", type=click.Path(path_type=Path, file_okay=False),
              help="Output folder [default: output/<doc-id>/].")
@click.option("--doc-id", callback=doc_id_option, help="Document id used in tuids and file names "
              "[default: from the source file name].")
@click.option("--fuzzy-min", type=FiniteFloatRange(0, 101), default=75, show_default=True,
              help="Lowest TM match % shown and given to the engine as an example.")
@click.option("--fill-min", type=FiniteFloatRange(0, 101), default=100, show_default=True,
              help="Lowest TM match % used as the translation without MT.")
@click.option("--batch-size", type=click.IntRange(1, 512), default=8, show_default=True,
              help="Segments per MT batch; the TM is committed after every batch.")
@click.option("--context/--no-context", default=True, show_default=True,
              help="Show the engine the previous segment of the paragraph.")
@click.option("--qa-ignore", multiple=True, metavar="CHECK",
              help="Skip a QA check (repeatable), e.g. --qa-ignore length-ratio.")
@click.option("--strict", is_flag=True, help="Exit 1 when glossary or QA errors remain.")
@click.option("--risk-max", type=click.FloatRange(0, 1), metavar="X",
              help="With --strict, also exit 1 when a segment's risk exceeds X (0-1).")
@click.option("-q", "--quiet", is_flag=True, help="No progress bar or summary table.")
def run_command(source: Path | None, reference: Path | None, glossary: Path | None,
                no_glossary: bool, tm_path: Path, engine: str, model_path: Path | None,
                threads: int | None, argos_package: str | None, layout: str, out_dir: Path | None,
                doc_id: str | None, fuzzy_min: float, fill_min: float, batch_size: int,
                context: bool, qa_ignore: tuple[str, ...], strict: bool, risk_max: float | None,
                quiet: bool) -> None:
    """Translate SOURCE (default: the bundled article) and write TMX, English edition,
    segments.jsonl, report.json and report.html into the output folder."""
    if glossary is None and not no_glossary and DEFAULT_GLOSSARY.is_file():
        glossary = DEFAULT_GLOSSARY
    options = RunOptions(
        source=source or BUNDLED_SOURCE,
        doc_id=doc_id,
        out_dir=out_dir,
        reference=reference,
        glossary=None if no_glossary else glossary,
        tm_path=tm_path,
        engine=engine,
        engine_options=_engine_options(engine, model_path, argos_package, threads),
        layout=layout,
        fuzzy_min=fuzzy_min,
        fill_min=fill_min,
        batch_size=batch_size,
        context=context,
        qa_ignore=qa_ignore,
        risk_max=risk_max,
    )
    stop_on_sigterm()  # like Ctrl-C: committed batches are kept, exit 130
    console = Console(stderr=True, quiet=quiet)
    with _progress(console) as hooks:
        result = run(options, hooks)
    if not quiet:
        Console().print(summary_table(result))
    click.get_current_context().exit(exit_code(result, strict))


def _engine_options(engine: str, model_path: Path | None, argos_package: str | None,
                    threads: int | None) -> dict:
    """Route engine-specific options to the engine that takes them (``auto`` drops the rest)."""
    options: dict = {"threads": threads} if threads else {}
    if engine in ("argos", "auto") and argos_package:
        options["package"] = argos_package
    if engine in ("llm", "auto") and model_path:
        options["model_path"] = model_path
    return options


class _progress:
    """A rich progress bar on stderr for the MT stage."""

    def __init__(self, console: Console):
        self.bar = Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeElapsedColumn(), console=console, transient=False,
        )

    def __enter__(self) -> Hooks:
        return Hooks(progress=self._start, done=self.bar.stop)

    def _start(self, label: str, total: int) -> Callable[[int], None]:
        task = self.bar.add_task(label, total=total)
        self.bar.start()
        return lambda n: self.bar.advance(task, n)

    def __exit__(self, *exc: object) -> None:
        self.bar.stop()


def summary_table(result: RunResult) -> Table:
    """The short table printed at the end of a run."""
    table = Table(title=f"tmpipe run: {result.doc_id}", show_header=False)
    table.add_column(style="bold")
    table.add_column()
    tm = result.tm
    engine = result.engine
    table.add_row("segments", f"{len(result.units)} translated of {len(result.segments)}")
    table.add_row("memory", f"{tm.get('exact', 0) + tm.get('context', 0)} exact, "
                  f"{tm.get('fuzzy', 0)} fuzzy, {tm.get('mt', 0)} MT "
                  f"({tm.get('mt_reused', 0)} reused from TM)")
    table.add_row("engine", f"{engine.get('name') or '-'} {engine.get('model') or ''}".strip())
    g = result.glossary
    table.add_row("glossary", f"{g.get('terms_checked', 0)} terms in {g.get('checked', 0)} "
                  f"segments, {g.get('violations', 0)} violations "
                  f"({g.get('violations_before_retry', 0)} before retry)")
    table.add_row("QA", f"{result.qa.get('errors', 0)} errors, "
                  f"{result.qa.get('warnings', 0)} warnings")
    if any(u.risk is not None for u in result.units):
        from ..risk import summary

        risk = summary(result.units, risk_max=result.options.get("risk_max"))
        over = f", {risk['over_max']} over --risk-max" if "over_max" in risk else ""
        table.add_row("risk", f"{risk['high_units']} high-risk segments (≥ {risk['high']:.2f}), "
                      f"highest {risk['max']:.2f}{over}")
    if result.scores:
        s = result.scores
        table.add_row("scores", f"BLEU {s['bleu']:.1f}  chrF++ {s['chrf']:.1f}  TER {s['ter']:.1f}")
    else:
        table.add_row("scores", "no reference")
    t = result.timings
    table.add_row("time", f"{t['total_s']:.1f} s total, {t['mt_s']:.1f} s MT, "
                  f"{t['per_segment_s']:.2f} s/segment")
    outputs = result.options.get("outputs", {})
    if outputs:
        table.add_row("output", str(Path(outputs["tmx"]).parent))
    return table


COMMANDS = [run_command]
