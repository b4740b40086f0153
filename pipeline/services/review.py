"""``tmpipe review``: any TMX read back, optionally aligned and scored, and QA run again."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from pathlib import Path

from ..align import align_reference
from ..exchange.tmx import read_units_tmx
from ..qa import TERM_CHECK, run_checks
from ..score import score_units
from ..textio import read_text
from ..units import RunResult, Unit


def result_from_units(doc_id: str, units: list[Unit], header: dict[str, str] | None = None,
                      source_path: str = "") -> RunResult:
    """A RunResult for units read back from a TMX (no timings; engine from the header or units).

    TM and glossary counts are left to the report, which computes them from the units.
    """
    header = header or {}
    engine_unit = next((u for u in units if u.origin == "mt" and u.engine), None)
    engine = {"name": header.get("x-engine") or (engine_unit.engine if engine_unit else None),
              "model": header.get("x-model") or (engine_unit.model if engine_unit else None),
              "sha256": header.get("x-model-sha256") or (
                  engine_unit.model_sha256 if engine_unit else None)}
    return RunResult(doc_id=doc_id, source_path=source_path,
                     segments=[u.segment for u in units], units=units, engine=engine)


def _doc_id(header: dict[str, str], units: Sequence[Unit], path: Path) -> str:
    if header.get("x-doc"):
        return header["x-doc"]
    return path.name.removesuffix(".tmx").removesuffix(".TMX") or "document"


def build_review(tmx_path: str | Path, ref_path: str | Path | None = None,
                 qa_ignore: Collection[str] = ()) -> RunResult:
    """Read a TMX, optionally align and score a reference, and re-run QA."""
    path = Path(tmx_path)
    header, units = read_units_tmx(path)
    for unit in units:  # glossary violations are errors, as in a run, whatever the TMX says
        for flag in unit.flags:
            if flag.check == TERM_CHECK:
                flag.severity = "error"
    result = result_from_units(_doc_id(header, units, path), units, header, str(path))
    if ref_path is not None:
        _score_reference(result, ref_path)
    result.qa = run_checks(units, ignore=qa_ignore)
    return result


def _score_reference(result: RunResult, ref_path: str | Path) -> None:
    text = read_text(ref_path, what="reference")
    paragraphs = max((u.segment.paragraph for u in result.units), default=0)
    align_reference(result.units, text, paragraphs)
    result.scores = score_units(result.units)
    result.reference_path = str(ref_path)
