"""Per-segment risk: how likely a translation is poor, estimated without a reference.

:func:`unit_signals` measures a unit (the engine's token log-probabilities, the share of
dictionary-known source words the target does not render (:mod:`pipeline.lexicon`), the
length and content-word ratios against the document's, numbers, Chinese left, glossary
terms, repetition and echo, retries and engine repairs); :func:`assess` combines them with the
logistic model in ``risk_model.json`` into ``Unit.risk`` in [0, 1]: the estimated chance that
the segment is among the worst 30 % of its document by sentence chrF++ against a reference;
a segment with a definite QA error (:data:`CRITICAL_CHECKS`) gets at least 0.5.
A target a person vouched for (:func:`vouched_by_person`: written or approved by a person,
or a 100 % memory match of such a unit) is not modelled: it gets :data:`VOUCHED_RISK`.
How the model was fitted is in ``bench/quality/README.md``.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from .han import has_han
from .lexicon import coverage
from .numbers import match_numbers
from .qa import DocumentStats, document_stats
from .units import CONFIRMED_STATES, Unit

MODEL_PATH = Path(__file__).with_name("risk_model.json")

#: Risk of a target a person vouched for (see :func:`vouched_by_person`).
VOUCHED_RISK = 0.02

#: Every signal :func:`unit_signals` measures, in the order of the model's features.
SIGNALS = (
    "lp_mean",  # minus the mean token log-probability of the engine's answer
    "lp_min",  # minus the lowest token log-probability
    "lp_low",  # share of tokens under 10 % probability
    "lp_missing",  # 1 when the engine gave no log-probabilities
    "uncovered",  # share of dictionary-known source words with no gloss in the target
    "length_short",  # robust deviations below the document's length ratio
    "length_long",  # robust deviations above it
    "content_short",  # robust deviations below the document's content-word ratio
    "numbers",  # source numbers missing or wrong in the target
    "untranslated",  # 1 when Chinese is left in the target
    "terms",  # glossary term violations
    "repetition",  # repetition or echo flags
    "retries",  # retries the segment needed
    "repairs",  # repairs the engine made (word repairs, cuts, cleaning)
    "source_chars",  # log of the source length in characters
    "critical",  # 1 when a QA check found a definite error (see CRITICAL_CHECKS)
)

#: QA checks whose errors mean the target is wrong somewhere, whatever the model says.
CRITICAL_CHECKS = frozenset({"empty", "identical", "untranslated", "numbers", "omission",
                             "echo", "repetition"})


def unit_signals(unit: Unit, stats: DocumentStats) -> dict[str, float]:
    """The reference-free signals of one translated unit."""
    confidence = unit.confidence or {}
    length_z = stats.length_z(unit) or 0.0
    content_z = stats.content_z(unit) or 0.0
    numbers = [p for p in match_numbers(unit.source, unit.target) if p.severity == "error"]
    checks = [f.check for f in unit.flags]
    return {
        "lp_mean": -confidence["mean"] if "mean" in confidence else math.nan,
        "lp_min": -confidence["min"] if "min" in confidence else math.nan,
        "lp_low": confidence["low_share"] if "low_share" in confidence else math.nan,
        "lp_missing": 0.0 if "mean" in confidence else 1.0,
        "uncovered": coverage(unit.source, unit.target).uncovered,
        "length_short": max(0.0, -length_z),
        "length_long": max(0.0, length_z),
        "content_short": max(0.0, -content_z),
        "numbers": float(len(numbers)),
        "untranslated": 1.0 if has_han(unit.target) else 0.0,
        "terms": float(checks.count("term-violation")),
        "repetition": float(checks.count("repetition") + checks.count("echo")),
        "retries": float(unit.retries),
        "repairs": float(checks.count("engine")),
        "source_chars": math.log(1 + len(unit.source)),
        "critical": float(any(f.severity == "error" and f.check in CRITICAL_CHECKS
                              for f in unit.flags)),
    }


#: What a signal that raises the risk says to a reviewer (see :func:`explain`).
REASONS = {
    "lp_mean": "the engine was unsure of its wording",
    "uncovered": "source words with no rendering found",
    "length_short": "shorter than this document's translations usually are",
    "numbers": "a number missing or changed",
    "untranslated": "Chinese left in the translation",
    "terms": "a required glossary term missing",
    "repetition": "repeated text",
}
#: A signal is a reason when it adds at least this much to the model's log-odds.
REASON_MIN = 0.3


def explain(unit: Unit, signals: Mapping[str, float], model: RiskModel,
            limit: int = 3) -> list[str]:
    """Why a unit's risk is high, in words: its critical QA errors, then the signals that
    raise the model's log-odds most (at least :data:`REASON_MIN`), at most ``limit``."""
    reasons = sorted({f"QA error: {f.check}" for f in unit.flags
                      if f.severity == "error" and f.check in CRITICAL_CHECKS})
    raised = sorted(((name, model.contribution(name, signals)) for name in model.features
                     if name in REASONS), key=lambda item: -item[1])
    for name, amount in raised:
        if amount < REASON_MIN or len(reasons) >= limit:
            break
        text = REASONS[name]
        if name == "uncovered":
            text += ": " + ", ".join(coverage(unit.source, unit.target).missing[:4])
        reasons.append(text)
    return reasons[:limit]


def with_floor(risk: float, signals: Mapping[str, float]) -> float:
    """A segment with a critical QA error gets at least 0.5 (``0.5 + risk / 2``): ranked
    above the segments the model alone finds more likely fine than not."""
    return max(risk, 0.5 + risk / 2) if signals.get("critical") else risk


@dataclass(frozen=True)
class RiskModel:
    """A logistic model over standardised signals; missing values take ``impute``."""

    features: tuple[str, ...]
    mean: tuple[float, ...]
    scale: tuple[float, ...]
    weights: tuple[float, ...]
    bias: float
    impute: Mapping[str, float]
    high: float  # risk from which a segment counts as high risk

    def predict(self, signals: Mapping[str, float]) -> float:
        z = self.bias + sum(self.contribution(name, signals) for name in self.features)
        return 1.0 / (1.0 + math.exp(-max(-30.0, min(30.0, z))))

    def contribution(self, name: str, signals: Mapping[str, float]) -> float:
        """What feature ``name`` adds to the log-odds (0 for an average value)."""
        i = self.features.index(name)
        value = signals.get(name, math.nan)
        if math.isnan(value):
            value = self.impute.get(name, self.mean[i])
        return self.weights[i] * (value - self.mean[i]) / self.scale[i]

    @classmethod
    def from_dict(cls, data: Mapping) -> RiskModel:
        return cls(tuple(data["features"]), tuple(data["mean"]), tuple(data["scale"]),
                   tuple(data["weights"]), float(data["bias"]), dict(data.get("impute", {})),
                   float(data.get("high", 0.5)))

    def as_dict(self) -> dict:
        return {"features": list(self.features), "mean": list(self.mean),
                "scale": list(self.scale), "weights": list(self.weights), "bias": self.bias,
                "impute": dict(self.impute), "high": self.high}


@lru_cache(maxsize=4)
def load_model(path: Path = MODEL_PATH) -> RiskModel:
    """The committed risk model."""
    return RiskModel.from_dict(json.loads(path.read_text(encoding="utf-8")))


def decided_by_person(origin: str, state: str) -> bool:
    """Whether a stored target is a person's: written by one, or confirmed by one."""
    return origin == "human" or state in CONFIRMED_STATES


def vouched_by_person(unit: Unit) -> bool:
    """Whether a person wrote or confirmed the target: a human target, machine translation
    in a confirmed state, or a memory match of 100 % or more of a human, imported or
    confirmed unit whose source differs in nothing a reviewer must fix (a number)."""
    if unit.origin in ("human", "mt"):
        return decided_by_person(unit.origin, unit.state)
    if unit.origin in ("tm-exact", "tm-context"):
        match = unit.tm_match
        if match is None:
            return True
        return not match.differences and (match.origin != "mt"
                                          or match.state in CONFIRMED_STATES)
    return False


def settle(units: Sequence[Unit]) -> int:
    """Give every unit a person vouched for :data:`VOUCHED_RISK` (after post-editing);
    the others keep the risk the run estimated. Returns how many changed."""
    changed = 0
    for unit in units:
        if unit.target.strip() and vouched_by_person(unit) and unit.risk != VOUCHED_RISK:
            unit.risk, unit.risk_reasons, changed = VOUCHED_RISK, [], changed + 1
    return changed


def assess(units: Sequence[Unit], model: RiskModel | None = None,
           stats: DocumentStats | None = None) -> None:
    """Set ``unit.risk`` on every translatable unit with a target (None on the others),
    and ``unit.risk_reasons`` (:func:`explain`) on those at or above the model's ``high``."""
    model = model or load_model()
    stats = stats or document_stats(units)
    for unit in units:
        unit.risk_reasons = []
        if not unit.segment.translatable or not unit.target.strip():
            unit.risk = 1.0 if unit.segment.translatable else None
        elif vouched_by_person(unit):
            unit.risk = VOUCHED_RISK
        else:
            signals = unit_signals(unit, stats)
            unit.risk = round(with_floor(model.predict(signals), signals), 3)
            if unit.risk >= model.high:
                unit.risk_reasons = explain(unit, signals, model)


def summary(units: Sequence[Unit], model: RiskModel | None = None,
            risk_max: float | None = None) -> dict:
    """``report.json["risk"]``: the high-risk threshold and how many units reach it."""
    model = model or load_model()
    risks = [u.risk for u in units if u.risk is not None]
    out = {"high": model.high, "high_units": sum(r >= model.high for r in risks),
           "max": max(risks, default=None),
           "mean": round(sum(risks) / len(risks), 3) if risks else None}
    if risk_max is not None:
        out["risk_max"] = risk_max
        out["over_max"] = sum(r > risk_max for r in risks)
    return out
