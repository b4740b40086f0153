"""``tmpipe score`` and ``tmpipe compare``: runs and references read from disk, then scored.

A run (hypothesis) is an output folder, a TMX or an English text file; a reference is an English
text (one paragraph per line) or a TMX.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from pathlib import Path

from .. import counts
from ..align import DEFAULT_MIN_CONFIDENCE, align_reference, reference_lines, split_sentences
from ..errors import UserError
from ..exchange.tmx import iter_tus, tu_to_unit
from ..score import compare_units, score_units, scoring_items, sentence_chrf
from ..textio import read_text, require_existing
from ..units import Segment, Unit

_MIN_LIFT = 3.0  # chrF++ points aligned pairs must beat shuffled pairs by
_UNORDERED = ("its units carry no document position (tuid <doc>:<n>) and are sorted by "
              "source, as CAT tools write them, so they cannot be aligned to a text reference "
              "in file order; score the run's own TMX, or give a TMX reference (matched by "
              "source)")


def _position(tuid: str) -> int | None:
    """The segment number of a ``<doc>:<n>`` tuid (None for any other tuid)."""
    head, _, tail = tuid.rpartition(":")
    return counts.count(tail) if head else None


def _tmx_units(path: Path) -> tuple[list[Unit], bool]:
    """A TMX's translatable units in document order, and whether that order is known.

    Units whose tuids all give a document position are sorted by it. Otherwise the file
    order is kept, and reported as unknown when the units are sorted by source (what CAT
    tools such as OmegaT write), which a document's order practically never is.
    """
    units: list[Unit] = []
    positioned = True
    for index, tu in enumerate(iter_tus(path), start=1):
        number = _position(tu.tuid)
        positioned = positioned and number is not None
        units.append(tu_to_unit(tu, number or index))
    if positioned:
        units.sort(key=lambda u: u.number)
    sources = [u.source for u in units]
    by_source = len(sources) >= 3 and all(a <= b for a, b in itertools.pairwise(sources))
    return [u for u in units if u.segment.translatable], positioned or not by_source


def _is_tmx(path: Path) -> bool:
    if path.suffix.lower() == ".tmx":
        return True
    try:
        with path.open("rb") as fh:
            head = fh.read(512).lstrip(b"\xef\xbb\xbf \t\r\n")
    except OSError:
        return False
    return head.startswith(b"<?xml") or head.startswith(b"<tmx")


def _folder_tmx(folder: Path) -> Path:
    named = folder / f"{folder.name}.tmx"
    if named.is_file():
        return named
    found = sorted(folder.glob("*.tmx"))
    if len(found) == 1:
        return found[0]
    what = "no" if not found else "more than one"
    raise UserError(f"{what} .tmx file in output folder (expected {folder.name}.tmx)", folder)


def load_run(path: Path, split: bool = True) -> tuple[list[Unit], int]:
    """Units and paragraph count of a hypothesis: output folder, TMX or English text file.

    TMX units come in document order (by tuid), not file order. A text file gives one unit
    per English sentence (``split``) or per line, its line being its paragraph.
    """
    units, paragraphs, _ = _load_run(path, split)
    return units, paragraphs


def _load_run(path: Path, split: bool = True) -> tuple[list[Unit], int, bool]:
    """:func:`load_run`, and whether the units are known to be in document order."""
    if path.is_dir():
        path = _folder_tmx(path)
    require_existing(path, "hypothesis")
    if _is_tmx(path):
        units, ordered = _tmx_units(path)
        if not units:
            raise UserError("TMX holds no translation units", path)
        return units, len({u.segment.paragraph for u in units}), ordered
    units = []
    lines = reference_lines(read_text(path, what="hypothesis"))
    for paragraph, (_, line) in enumerate(lines, start=1):
        for sentence in split_sentences(line) if split else [line]:
            segment = Segment(len(units) + 1, paragraph, "", [])
            units.append(Unit(segment=segment, target=sentence))
    if not units:
        raise UserError("hypothesis has no text lines", path)
    return units, len(lines), True


def load_reference(path: Path) -> tuple[str, dict[str, str]]:
    """Reference text (one paragraph per line) and, for a TMX, its source -> target map."""
    if path.is_dir():
        raise UserError("reference is a folder, expected a text or TMX file", path)
    require_existing(path, "reference")
    if not _is_tmx(path):
        return read_text(path, what="reference"), {}
    pairs = {tu.source.strip(): tu.target.strip() for tu in iter_tus(path) if tu.target.strip()}
    if not pairs:
        raise UserError("reference TMX holds no translated units", path)
    return "\n".join(pairs.values()), pairs


def attach_reference(
    units: Sequence[Unit], ref_path: Path, paragraphs: int, min_confidence: float,
    unordered: Path | None = None,
) -> None:
    """Give ``units`` their references: exact source match for a TMX reference covering at
    least half of them, else alignment (``unordered``: the units' document order is unknown,
    so alignment is refused). Raises :class:`UserError` when unalignable."""
    text, by_source = load_reference(ref_path)
    matched = [u for u in units if u.source.strip() in by_source] if by_source else []
    if by_source and len(matched) * 2 >= len(units):
        for unit in units:
            unit.reference = by_source.get(unit.source.strip())
            unit.alignment_confidence = 1.0 if unit.reference else 0.0
        return
    if unordered is not None:
        raise UserError(f"cannot score {unordered}: {_UNORDERED}", ref_path)
    align_reference(units, text, paragraphs)
    check_alignable(units, ref_path, min_confidence)


def check_alignable(units: Sequence[Unit], ref_path: Path, min_confidence: float) -> None:
    """Refuse a reference that matches under 30 % of the units with confidence, or whose
    aligned pairs are no more alike (mean sentence chrF++) than pairs shifted by half the
    document (a reference for another text)."""
    work = [u for u in units if u.segment.translatable]
    confident = sum(
        1 for u in work if u.reference and (u.alignment_confidence or 0.0) >= min_confidence
    )
    if confident == 0 or confident < 0.3 * len(work):
        raise UserError(
            f"reference does not match the hypothesis: only {confident} of {len(work)} segments "
            f"aligned with confidence >= {min_confidence} (is it this document's reference?)",
            ref_path,
        )
    items = [i for i in scoring_items(work) if i.hyp]
    if len(items) >= 3:
        n = len(items)
        aligned = sum(sentence_chrf(i.hyp, i.ref) for i in items) / n
        shifted = (
            sum(
                sentence_chrf(items[k].hyp, items[(k + n // 2) % n].ref)
                for k in range(n)
            )
            / n
        )
        if aligned < shifted + _MIN_LIFT:
            raise UserError(
                "reference does not match the hypothesis: aligned pairs are no more alike "
                f"than shuffled ones (chrF++ {aligned:.1f} vs {shifted:.1f})",
                ref_path,
            )


def _order_like(units: Sequence[Unit], model: Sequence[Unit]) -> list[Unit]:
    """``units`` in the order of the units of ``model`` with the same source (k-th with
    k-th); units ``model`` lacks come last, in their own order."""
    positions: dict[str, list[int]] = {}
    for index, unit in enumerate(model):
        positions.setdefault(unit.source.strip(), []).append(index)
    keyed = []
    for index, unit in enumerate(units):
        queue = positions.get(unit.source.strip())
        keyed.append((queue.pop(0) if queue else len(model) + index, unit))
    keyed.sort(key=lambda item: item[0])
    for rank, (_, unit) in enumerate(keyed, start=1):
        unit.segment.number = rank
    return [unit for _, unit in keyed]


def _reference_text(units: Sequence[Unit], by_source: dict[str, str]) -> str:
    """A TMX reference as text, one line per paragraph of ``units`` (document order)."""
    lines: dict[int, list[str]] = {}
    for unit in units:
        ref = by_source.get(unit.source.strip())
        if ref:
            lines.setdefault(unit.segment.paragraph, []).append(ref)
    return "\n".join(" ".join(parts) for _, parts in sorted(lines.items()))


def score_files(hyp: Path, ref: Path, min_confidence: float = DEFAULT_MIN_CONFIDENCE) -> dict:
    """``tmpipe score``: scores plus a ``units`` list (number, source, hyp, reference,
    confidence, sentence scores)."""
    units, paragraphs, ordered = _load_run(hyp)
    attach_reference(units, ref, paragraphs, min_confidence, None if ordered else hyp)
    result = score_units(units, min_confidence)
    if result is None:
        raise UserError("no segment could be paired with the reference", ref)
    result["units"] = [
        {
            "number": u.number,
            "source": u.source,
            "hyp": u.target,
            "reference": u.reference,
            "confidence": u.alignment_confidence,
            **u.scores,
        }
        for u in units
    ]
    return result


def compare_files(
    run_a: Path,
    run_b: Path,
    ref: Path,
    *,
    resamples: int = 1000,
    seed: int = 12345,
    top: int = 5,
    alpha: float = 0.05,
) -> dict:
    """``tmpipe compare``: :func:`compare_units` on two runs read from disk (text runs:
    one unit per line, so both runs pair line by line)."""
    units_a, paragraphs, ordered_a = _load_run(run_a, split=False)
    units_b, _, ordered_b = _load_run(run_b, split=False)
    if not ordered_a and not ordered_b:
        raise UserError(f"cannot compare {run_a} and {run_b}: {_UNORDERED}", ref)
    if not ordered_a:  # pairing follows A's order: take it from B
        units_a = _order_like(units_a, units_b)
    text, by_source = load_reference(ref)
    if by_source:  # in the runs' document order, not the reference file's
        text = _reference_text(units_a, by_source) or text
    result = compare_units(
        units_a, units_b, text, paragraphs, resamples=resamples, seed=seed, top=top, alpha=alpha
    )
    if result["segments"] < 0.3 * result["paired_units"]:
        raise UserError(
            f"reference does not match the runs: only {result['segments']} of "
            f"{result['paired_units']} segments aligned",
            ref,
        )
    return result
