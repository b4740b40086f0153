"""Scores against a reference with sacrebleu: corpus BLEU/chrF++/TER, sentence BLEU/chrF++.

What is scored:

* Units are grouped into *scoring items*: one per alignment link, i.e. consecutive units
  carrying the same ``reference`` text (a 2-1 link) are joined and scored together.
* **Corpus** BLEU/chrF++/TER cover every item that has a reference, whatever its
  alignment confidence. Dropping low-confidence links would bias corpus scores upwards,
  because a bad translation weakens the MT bridge and so its own confidence. Units with
  no reference (source sentences missing from the reference) and reference sentences
  matched to no unit are left out and counted (``unreferenced``).
* **Sentence** BLEU (effective order, exp smoothing, as sacrebleu recommends) and chrF++
  are set on ``unit.scores`` only for items whose confidence is at least
  ``min_confidence``; the others are listed in ``excluded``.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from sacrebleu.metrics import BLEU, CHRF, TER
from sacrebleu.metrics.base import Metric

from .align import DEFAULT_MIN_CONFIDENCE, align_reference
from .errors import UserError
from .units import Unit

METRIC_KEYS = ("bleu", "chrf", "ter")


def corpus_metrics() -> dict[str, Metric]:
    """Fresh sacrebleu metric objects: BLEU (13a), chrF++ (word order 2), TER."""
    return {"bleu": BLEU(tokenize="13a"), "chrf": CHRF(word_order=2), "ter": TER()}


def corpus_scores(hyps: Sequence[str], refs: Sequence[str]) -> dict:
    """Corpus BLEU, chrF++ and TER of ``hyps`` against one reference each, with signatures."""
    if len(hyps) != len(refs):
        raise ValueError(f"{len(hyps)} hypotheses but {len(refs)} references")
    result: dict = {"signature": {}, "formatted": {}, "segments": len(hyps)}
    for key, metric in corpus_metrics().items():
        score = metric.corpus_score(list(hyps), [list(refs)])
        result[key] = score.score
        result["signature"][key] = str(metric.get_signature())
        result["formatted"][key] = score.format(width=2)
    return result


_SENT_BLEU = BLEU(tokenize="13a", effective_order=True)
_SENT_CHRF = CHRF(word_order=2)


def sentence_chrf(hyp: str, ref: str) -> float:
    """Sentence chrF++ of one pair, unrounded."""
    return _SENT_CHRF.sentence_score(hyp, [ref]).score


def sentence_scores(hyp: str, ref: str) -> dict[str, float]:
    """Sentence BLEU (effective order, exp smoothing) and chrF++ of one pair."""
    return {
        "bleu": round(_SENT_BLEU.sentence_score(hyp, [ref]).score, 2),
        "chrf": round(sentence_chrf(hyp, ref), 2),
    }


@dataclass
class ScoringItem:
    """Units of one alignment link with their joined hypothesis and reference."""

    units: list[Unit]
    hyp: str
    ref: str
    confidence: float

    @property
    def numbers(self) -> list[int]:
        return [u.number for u in self.units]


def scoring_items(units: Sequence[Unit]) -> list[ScoringItem]:
    """Group units that have a reference into scoring items (see module docstring)."""
    items: list[ScoringItem] = []
    for unit in units:
        if not unit.reference:
            continue
        last = items[-1] if items else None
        if (
            last is not None
            and last.ref == unit.reference
            and last.units[-1].number == unit.number - 1
        ):
            last.units.append(unit)
            last.hyp = f"{last.hyp} {unit.target}".strip()
            continue
        confidence = unit.alignment_confidence
        items.append(
            ScoringItem(
                [unit], unit.target, unit.reference, 1.0 if confidence is None else confidence
            )
        )
    return items


def score_units(
    units: Sequence[Unit], min_confidence: float = DEFAULT_MIN_CONFIDENCE
) -> dict | None:
    """Corpus scores over all referenced units; sentence scores on confident ones.

    Returns ``None`` when no unit has a reference. Keys: ``bleu``, ``chrf``, ``ter``,
    ``signature`` {bleu, chrf, ter}, ``formatted``, ``segments_scored`` (units in the corpus
    scores), ``aligned`` (same), ``sentence_scored``, ``excluded`` (segment numbers below
    ``min_confidence``), ``unreferenced`` (translatable segment numbers with no reference),
    ``min_confidence`` and ``basis`` (one line saying what was scored).
    """
    items = scoring_items(units)
    if not items:
        return None
    result = corpus_scores([i.hyp for i in items], [i.ref for i in items])
    excluded: list[int] = []
    scored = 0
    for item in items:
        if item.confidence < min_confidence:
            excluded.extend(item.numbers)
            for unit in item.units:
                unit.scores = {}
            continue
        values = sentence_scores(item.hyp, item.ref)
        for unit in item.units:
            unit.scores = dict(values)
            scored += 1
    referenced = {u.number for i in items for u in i.units}
    result.update(
        segments_scored=len(referenced),
        aligned=len(referenced),
        sentence_scored=scored,
        excluded=excluded,
        unreferenced=[
            u.number for u in units if u.segment.translatable and u.number not in referenced
        ],
        min_confidence=min_confidence,
        basis=(
            "corpus: all units linked to reference text (any confidence), 2-1 links joined; "
            f"sentence scores: links with confidence >= {min_confidence}"
        ),
    )
    return result


@contextlib.contextmanager
def sacrebleu_seed(seed: int) -> Iterator[None]:
    """Set ``SACREBLEU_SEED`` (how sacrebleu's significance tests are seeded) temporarily."""
    old = os.environ.get("SACREBLEU_SEED")
    os.environ["SACREBLEU_SEED"] = str(seed)
    try:
        yield
    finally:
        if old is None:
            os.environ.pop("SACREBLEU_SEED", None)
        else:
            os.environ["SACREBLEU_SEED"] = old


# --------------------------------------------------------------------------- compare

#: Metrics where a higher score is better (TER is an error rate).
HIGHER_IS_BETTER = {"bleu": True, "chrf": True, "ter": False}


def pair_units(units_a: Sequence[Unit], units_b: Sequence[Unit]) -> list[tuple[Unit, Unit]]:
    """Pair the units of two runs of one document: by segment number when the numbers carry
    the same source text, else by source text (k-th occurrence with k-th occurrence)."""
    a_by_number = {u.number: u for u in units_a}
    b_by_number = {u.number: u for u in units_b}
    common = sorted(a_by_number.keys() & b_by_number.keys())
    if common and all(a_by_number[n].source == b_by_number[n].source for n in common):
        return [(a_by_number[n], b_by_number[n]) for n in common]
    queues: dict[str, list[Unit]] = {}
    for unit in units_b:
        queues.setdefault(unit.source, []).append(unit)
    pairs = []
    for unit in units_a:
        queue = queues.get(unit.source)
        if queue:
            pairs.append((unit, queue.pop(0)))
    return pairs


def _bridge_units(pairs: Sequence[tuple[Unit, Unit]]) -> list[Unit]:
    """Units whose MT bridge is both runs' output, so the alignment favours neither."""
    return [
        Unit(segment=a.segment, target=f"{a.target} {b.target}".strip(), terms=list(a.terms))
        for a, b in pairs
    ]


def paired_significance(
    hyps_a: Sequence[str], hyps_b: Sequence[str], refs: Sequence[str], resamples: int, seed: int
) -> dict[str, float]:
    """p-values of B vs A per metric with sacrebleu's paired bootstrap resampling.

    sacrebleu returns ``1/(resamples+1)`` when the two systems score exactly the same; we
    report ``1.0`` there (no difference cannot be significant).
    """
    from sacrebleu.significance import PairedTest

    with sacrebleu_seed(seed):
        test = PairedTest(
            [("A", list(hyps_a)), ("B", list(hyps_b))],
            corpus_metrics(),
            references=[list(refs)],
            test_type="bs",
            n_samples=resamples,
        )
        _, results = test()
    names = [k for k in results if k != "System"]
    p_values: dict[str, float] = {}
    for key, name in zip(METRIC_KEYS, names, strict=True):
        base, system = results[name]
        same = list(hyps_a) == list(hyps_b) or base.score == system.score
        p_values[key] = 1.0 if same else float(system.p_value)
    return p_values


def compare_units(
    units_a: Sequence[Unit],
    units_b: Sequence[Unit],
    reference_text: str,
    paragraphs: int = 0,
    *,
    resamples: int = 1000,
    seed: int = 12345,
    top: int = 5,
    alpha: float = 0.05,
) -> dict:
    """Corpus scores of runs A and B on the same alignment, their difference, paired
    bootstrap p-values and the ``top`` items whose sentence chrF++ changed most.

    ``drop[metric]`` is true when B is worse than A and ``p < alpha``.
    """
    pairs = pair_units(units_a, units_b)
    if not pairs:
        raise UserError("the two runs share no segment (different documents?)")
    bridge = _bridge_units(pairs)
    align_reference(bridge, reference_text, paragraphs)
    by_number = {id(u): p for u, p in zip(bridge, pairs, strict=True)}
    items = scoring_items(bridge)
    if not items:
        raise UserError("no segment of the runs could be aligned to the reference")
    hyps_a, hyps_b, refs = [], [], []
    for item in items:
        hyps_a.append(" ".join(by_number[id(u)][0].target for u in item.units).strip())
        hyps_b.append(" ".join(by_number[id(u)][1].target for u in item.units).strip())
        refs.append(item.ref)
    score_a, score_b = corpus_scores(hyps_a, refs), corpus_scores(hyps_b, refs)
    p_values = paired_significance(hyps_a, hyps_b, refs, resamples, seed)
    delta = {k: score_b[k] - score_a[k] for k in METRIC_KEYS}
    drop = {
        k: p_values[k] < alpha and (delta[k] < 0 if HIGHER_IS_BETTER[k] else delta[k] > 0)
        for k in METRIC_KEYS
    }
    return {
        "a": score_a,
        "b": score_b,
        "delta": delta,
        "p_value": p_values,
        "significant": {k: p_values[k] < alpha for k in METRIC_KEYS},
        "drop": drop,
        "alpha": alpha,
        "resamples": resamples,
        "seed": seed,
        "segments": len(items),
        "paired_units": len(pairs),
        "unpaired": {"a": len(units_a) - len(pairs), "b": len(units_b) - len(pairs)},
        "changed": _most_changed(items, hyps_a, hyps_b, top),
    }


def _most_changed(
    items: Sequence[ScoringItem], hyps_a: Sequence[str], hyps_b: Sequence[str], top: int
) -> list[dict]:
    rows = []
    for item, a, b in zip(items, hyps_a, hyps_b, strict=True):
        if a == b:
            continue
        chrf_a = sentence_chrf(a, item.ref)
        chrf_b = sentence_chrf(b, item.ref)
        rows.append(
            {
                "segments": item.numbers,
                "source": "".join(u.source for u in item.units),
                "a": a,
                "b": b,
                "reference": item.ref,
                "chrf_a": round(chrf_a, 2),
                "chrf_b": round(chrf_b, 2),
                "delta": round(chrf_b - chrf_a, 2),
                "confidence": item.confidence,
            }
        )
    rows.sort(key=lambda r: (-abs(r["delta"]), r["segments"][0]))
    return rows[:top]
