"""Risk without a reference: how well ``pipeline.risk`` finds the poor segments.

    .venv/bin/python bench/quality/risk.py [--sets a,c] [--threads N] [--write-model]
    .venv/bin/python bench/quality/risk.py --cost N [--cost-set a] [--threads N]

For each set with a reference, the article (a) and news40 (c), the segments are translated
once by ``bench/quality/run.py`` in its ``logprobs`` configuration (the default engine
settings with each token's log-probability returned; cached in
``output/bench/quality-<set>-logprobs.json``, run here when missing). The reference-free
signals of every segment (:func:`pipeline.risk.unit_signals`) and its sentence chrF++
against the reference are cached in ``output/bench/risk-signals-<set>.json``.

A logistic model (L2-regularised, standardised signals, plain numpy gradient descent) is
fitted on one set to predict "among the worst 30 % of the set by sentence chrF++" and
evaluated on the other, both ways, for each signal alone and for the combination:
Spearman ρ between risk and chrF++, precision of the riskiest 20 % (share of them among the
worst 20 %), and recall of the known-bad segments in the riskiest 20 %. Known bad, defined
mechanically: a dropped clause (target under 60 % of the reference's length, reference of
40 characters or more), a wrong number (a source number missing or wrong,
``pipeline.numbers.match_numbers`` errors), Chinese left in the target. The cost is the
harness's s/segment with log-probabilities on (``logprobs``) versus off (``wordturn``) on
the same segments, plus the time :func:`pipeline.risk.assess` takes; ``--cost N`` measures
it in one run instead: the first N segments of a set translated by the run's translation
step with risk off, on, on, off (ABBA, no cache, the model loaded once), risk on including
:func:`pipeline.risk.assess`. ``--write-model`` fits the chosen signals on both sets
together and writes ``pipeline/risk_model.json``.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from pipeline.units import Flag, Unit  # noqa: E402

OUT = REPO / "output" / "bench"
SEED_MT = REPO / "tests" / "golden" / "seed_mt.en.txt"
CONFIG = "logprobs"
BASELINE = "wordturn"
WORST = 0.2
#: The model learns "among the worst 30 %": with 40 segments, a fifth is 8 examples.
FIT_WORST = 0.3
#: The signals of the committed model (those that earned their place, bench/quality/README).
KEPT = ("lp_mean", "uncovered", "length_short", "numbers", "untranslated", "terms",
        "repetition")
#: Version of the chrF++ and known-bad labels in the signal cache (2: merged references
#: scored by group).
LABELS = 2
#: L2 penalty (on standardised weights); strong, the sets are small.
L2 = 1.0


# --------------------------------------------------------------------------- data


class _Missing(Exception):
    pass


def cached_prefix(set_name: str, cache: Path) -> dict:
    """The harness output for the longest prefix of whole batches whose model calls are all
    in ``cache`` (no model is loaded): for a run still in progress or cut short."""
    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import run as harness

    from pipeline.glossary import load_glossary

    class CacheOnly(harness.CachedModel):
        def _load(self):
            raise _Missing

    glossary = load_glossary(harness.GLOSSARY)
    units, previous, _refs, _paragraphs = {"a": harness.load_set_a,
                                           "c": harness.load_set_c}[set_name](glossary)
    best = None
    for n in range(harness.BATCH, len(units) + harness.BATCH, harness.BATCH):
        n = min(n, len(units))
        part = [Unit(segment=u.segment, terms=list(u.terms)) for u in units[:n]]
        try:
            best = harness.translate(part, previous[:n], [None] * n, harness.CONFIGS[CONFIG],
                                     CacheOnly(path=cache, threads=1))
        except _Missing:
            break
    if best is None:
        raise SystemExit(f"set {set_name}: no whole batch in {cache}")
    return best


def harness_output(set_name: str, config: str, threads: int) -> dict:
    """The harness's translation of ``set_name`` in ``config`` (run when missing).

    Set ``s`` is the article with the recorded MT of ``tests/golden/seed_mt.en.txt`` (an
    older engine, no log-probabilities): signals other than the engine's, without a model.
    """
    if set_name == "s":
        return seed_output()
    path = OUT / f"quality-{set_name}-{config}.json"
    if not path.is_file():
        subprocess.run([sys.executable, str(REPO / "bench" / "quality" / "run.py"), "--sets",
                        set_name, "--configs", config, "--threads", str(threads),
                        "--resamples", "10"], check=True)
    return json.loads(path.read_text(encoding="utf-8"))


def seed_output() -> dict:
    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import run as harness

    from pipeline.glossary import load_glossary

    units = harness.load_set_a(load_glossary(harness.GLOSSARY))[0]
    lines = SEED_MT.read_text(encoding="utf-8").splitlines()
    return {"units": [{"source": u.source, "target": t, "retries": 0, "seconds": 0.0}
                      for u, t in zip(units, lines, strict=True)]}


def _units(set_name: str, data: dict) -> tuple[list[Unit], list[str] | None, int]:
    sys.path.insert(0, str(REPO / "bench" / "quality"))
    import run as harness

    from pipeline.glossary import load_glossary

    glossary = load_glossary(harness.GLOSSARY)
    loader = {"a": harness.load_set_a, "s": harness.load_set_a,
              "c": harness.load_set_c}[set_name]
    units, _previous, refs, paragraphs = loader(glossary)
    n = len(data["units"])
    units, refs = units[:n], refs[:n] if refs else refs
    if [u.source for u in units] != [r["source"] for r in data["units"]]:
        raise SystemExit(f"set {set_name}: the cached translation is for other segments")
    for unit, row in zip(units, data["units"], strict=True):
        unit.target, unit.retries = row["target"], row["retries"]
        unit.origin, unit.confidence = "mt", dict(row.get("confidence") or {})
        unit.flags = [Flag("engine", "info", note) for note in row.get("notes", [])]
    return units, refs, paragraphs


def _check(units: list[Unit], refs) -> None:
    """Glossary verification, echo flags and QA, as ``tmpipe run`` does."""
    from pipeline.glossary import verify_terms
    from pipeline.qa import run_checks

    for i, unit in enumerate(units):
        for v in verify_terms(unit.target, unit.terms) if unit.terms else []:
            unit.flags.append(Flag("term-violation", "error", v.term.source))
        prev = units[i - 1] if i and refs is None else None
        if (prev is not None and prev.segment.paragraph == unit.segment.paragraph
                and prev.source != unit.source
                and " ".join(prev.target.split()) == " ".join(unit.target.split())):
            unit.flags.append(Flag("echo", "error", "repeats the previous translation"))
    run_checks(units)


def _chrf(units: list[Unit], refs, paragraphs: int
          ) -> list[tuple[float | None, str | None, str]]:
    """Sentence chrF++ of each unit against its reference sentence: ``(chrF++, reference,
    the target scored)``.

    The article's reference sentences are found by aligning the recorded seed MT of the
    whole article (``tests/golden/seed_mt.en.txt``) as ``tmpipe run`` does, so the mapping
    does not depend on the output scored and works for a prefix of the article too; units
    whose alignment is not confident enough to be scored by ``tmpipe run`` get None. Units
    sharing one reference sentence (a 2-1 or 3-1 link: the reference merged them) are
    scored together, as ``tmpipe run`` scores them: their targets joined, each unit getting
    the group's score.
    """
    from pipeline.score import sentence_scores

    if refs is None:
        by_number = _article_references(paragraphs)
        joined: dict[str, str] = {}
        for u in units:
            if u.number in by_number:
                ref = by_number[u.number]
                joined[ref] = f"{joined[ref]} {u.target}" if ref in joined else u.target
        return [(sentence_scores(joined[by_number[u.number]], by_number[u.number])["chrf"],
                 by_number[u.number], joined[by_number[u.number]])
                if u.number in by_number else (None, None, u.target) for u in units]
    return [(sentence_scores(u.target, ref)["chrf"], ref, u.target)
            for u, ref in zip(units, refs, strict=True)]


def _article_references(paragraphs: int) -> dict[int, str]:
    import run as harness

    from pipeline.align import align_reference
    from pipeline.glossary import load_glossary
    from pipeline.score import score_units

    units = harness.load_set_a(load_glossary(harness.GLOSSARY))[0]
    for unit, line in zip(units, SEED_MT.read_text(encoding="utf-8").splitlines(), strict=True):
        unit.target = line
    align_reference(units, harness.REFERENCE.read_text(encoding="utf-8"), paragraphs)
    score_units(units)
    return {u.number: u.reference for u in units if u.scores and u.reference}


def known_bad(unit: Unit, reference: str | None, scored: str | None = None) -> list[str]:
    """The mechanical known-bad categories a unit falls in (``scored``: the target compared
    with the reference, the group's joined targets where the reference merged units)."""
    from pipeline.han import has_han
    from pipeline.numbers import match_numbers

    bad = []
    scored = unit.target if scored is None else scored
    if reference and len(reference) >= 40 and len(scored) < 0.6 * len(reference):
        bad.append("dropped")
    if any(p.severity == "error" for p in match_numbers(unit.source, unit.target)):
        bad.append("number")
    if has_han(unit.target):
        bad.append("chinese")
    return bad


def signals_for(set_name: str, threads: int, cache: Path | None = None) -> dict:
    """Per-segment signals, chrF++ and known-bad labels of a set (cached)."""
    from pipeline.qa import document_stats
    from pipeline.risk import MODEL_PATH, SIGNALS, assess, unit_signals

    path = OUT / f"risk-signals-{set_name}.json"
    if cache is not None:
        data = cached_prefix(set_name, cache)
    else:
        data = harness_output(set_name, CONFIG, threads)
    if path.is_file():
        cached = json.loads(path.read_text(encoding="utf-8"))
        if (cached.get("targets") == [r["target"] for r in data["units"]]
                and cached.get("signal_names") == list(SIGNALS)
                and cached.get("labels") == LABELS):
            return cached
    units, refs, paragraphs = _units(set_name, data)
    _check(units, refs)
    start = time.perf_counter()
    stats = document_stats(units)
    rows = [unit_signals(u, stats) for u in units]
    if MODEL_PATH.is_file():
        assess(units, stats=stats)
    risk_seconds = time.perf_counter() - start
    scored = _chrf(units, refs, paragraphs)
    out = {"set": set_name, "labels": LABELS, "targets": [u.target for u in units],
           "signal_names": list(SIGNALS),
           "risk_seconds": risk_seconds,
           "mt_seconds": _seconds(data),
           "rows": [{"number": u.number, "signals": s, "chrf": c,
                     "bad": known_bad(u, ref, joined)}
                    for u, s, (c, ref, joined) in zip(units, rows, scored, strict=True)]}
    path.write_text(json.dumps(out, ensure_ascii=False, indent=1), encoding="utf-8")
    return out


# --------------------------------------------------------------------------- model


def _matrix(rows: list[dict], features: tuple[str, ...], impute: dict[str, float]) -> np.ndarray:
    x = np.array([[r["signals"][f] for f in features] for r in rows], dtype=float)
    for j, f in enumerate(features):
        x[np.isnan(x[:, j]), j] = impute.get(f, 0.0)
    return x


def _labels(rows: list[dict]) -> np.ndarray:
    chrf = np.array([r["chrf"] for r in rows], dtype=float)
    cut = np.quantile(chrf, FIT_WORST)
    return (chrf <= cut).astype(float)


def fit(rows: list[dict], features: tuple[str, ...], l2: float = L2) -> dict:
    """Logistic regression by gradient descent on standardised features (numpy only).

    Every weight is kept ≥ 0 (projected gradient): each signal is oriented so that more
    means worse, and a small set must not learn the opposite by chance.
    """
    impute = {}
    for f in features:
        values = [r["signals"][f] for r in rows if not math.isnan(r["signals"][f])]
        impute[f] = float(np.mean(values)) if values else 0.0
    x = _matrix(rows, features, impute)
    y = _labels(rows)
    mean, scale = x.mean(axis=0), x.std(axis=0)
    scale[scale == 0] = 1.0
    z = (x - mean) / scale
    w, b = np.zeros(len(features)), math.log(y.mean() / (1 - y.mean()))
    for _ in range(3000):
        p = 1 / (1 + np.exp(-(z @ w + b)))
        grad_w = z.T @ (p - y) / len(y) + l2 * w / len(y)
        grad_b = float(np.mean(p - y))
        w = np.maximum(0.0, w - 0.5 * grad_w)
        b -= 0.5 * grad_b
    return {"features": list(features), "mean": mean.round(5).tolist(),
            "scale": scale.round(5).tolist(), "weights": w.round(4).tolist(),
            "bias": round(b, 4), "impute": {k: round(v, 5) for k, v in impute.items()}}


def predict(model: dict, rows: list[dict], floor: bool = False) -> np.ndarray:
    from pipeline.risk import RiskModel, with_floor

    m = RiskModel.from_dict(model)
    risks = [m.predict(r["signals"]) for r in rows]
    if floor:
        risks = [with_floor(p, r["signals"]) for p, r in zip(risks, rows, strict=True)]
    return np.array(risks)


def _ranks(values: np.ndarray) -> np.ndarray:
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    ranks[order] = np.arange(len(values))
    for v in np.unique(values):  # average ranks of ties
        tied = values == v
        ranks[tied] = ranks[tied].mean()
    return ranks


def spearman(a: np.ndarray, b: np.ndarray) -> float:
    ra, rb = _ranks(a), _ranks(b)
    return float(np.corrcoef(ra, rb)[0, 1]) if ra.std() and rb.std() else 0.0


def evaluate(risk: np.ndarray, rows: list[dict]) -> dict:
    chrf = np.array([r["chrf"] for r in rows], dtype=float)
    n = len(rows)
    k = max(1, round(WORST * n))
    worst = set(np.argsort(chrf, kind="mergesort")[:k].tolist())
    # ties in risk are broken by document order, so a constant signal scores as chance
    riskiest = sorted(range(n), key=lambda i: (-risk[i], i))[:k]
    bad = [i for i, r in enumerate(rows) if r["bad"]]
    return {"rho": round(spearman(risk, chrf), 3),
            "precision": round(sum(i in worst for i in riskiest) / k, 3),
            "recall": round(sum(i in set(riskiest) for i in bad) / len(bad), 3) if bad else None,
            "bad": len(bad), "n": n}


# --------------------------------------------------------------------------- main


def _scored(data: dict) -> list[dict]:
    return [r for r in data["rows"] if r["chrf"] is not None]


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="a,c")
    ap.add_argument("--threads", type=int, default=0)
    ap.add_argument("--cached-only", action="append", default=[], metavar="SET=FILE",
                    help="use the longest prefix of SET whose model calls are in the "
                         "completion cache FILE instead of running the harness")
    ap.add_argument("--cost", type=int, default=0, metavar="N",
                    help="measure risk on vs off on the first N segments (ABBA) and stop")
    ap.add_argument("--cost-set", default="a", choices=("a", "c"))
    ap.add_argument("--write-model", action="store_true",
                    help="fit the kept signals on all sets and write pipeline/risk_model.json")
    args = ap.parse_args(argv)
    from pipeline.risk import SIGNALS

    if args.cost:
        sys.path.insert(0, str(REPO / "bench" / "quality"))
        cost = measure_cost(args.cost_set, args.cost, args.threads)
        print(f"set {cost['set']}, first {cost['segments']} segments, two passes each: risk "
              f"off {cost['off_s']} s, on {cost['on_s']} s, on vs off {cost['ratio']:.3f}×")
        OUT.mkdir(parents=True, exist_ok=True)
        (OUT / f"risk-cost-{cost['set']}.json").write_text(json.dumps(cost, indent=1))
        return 0

    names = [s for s in args.sets.split(",") if s]
    caches = {k: Path(v) for k, _, v in (c.partition("=") for c in args.cached_only)}
    data = {s: signals_for(s, args.threads, caches.get(s)) for s in names}
    results: dict = {"sets": {}, "evaluations": {}}
    for s in names:
        rows = _scored(data[s])
        results["sets"][s] = {"segments": len(data[s]["rows"]), "scored": len(rows),
                              "known_bad": sum(bool(r["bad"]) for r in rows)}
    pairs = [(f, e) for f in names for e in names if f != e] or [(names[0], names[0])]
    candidates = [(name, (name,), False) for name in SIGNALS if name != "critical"] + [
        ("combined", KEPT, False), ("combined+floor", KEPT, True),
        ("all signals", SIGNALS, False)]
    for fit_set, eval_set in pairs:
        table = {}
        rows = _scored(data[eval_set])
        chrf = np.array([r["chrf"] for r in rows], dtype=float)
        for label, features, floor in candidates:
            model = fit(_scored(data[fit_set]), features)
            table[label] = evaluate(predict(model, rows, floor), rows)
            if len(features) == 1:  # the signal itself, no fitting
                x = _matrix(rows, features, model["impute"])[:, 0]
                table[label]["rho_raw"] = round(spearman(x, chrf), 3)
        results["evaluations"][f"{fit_set}→{eval_set}"] = table
    for s in names:
        results["sets"][s]["cost"] = _cost(s, data[s])
    print_table(results)
    if args.write_model:
        rows = [r for s in names for r in _scored(data[s])]
        model = fit(rows, KEPT)
        risks = np.sort(predict(model, rows, floor=True))
        model["high"] = round(float(risks[int(len(risks) * (1 - WORST))]), 3)
        model["fitted_on"] = {s: len(_scored(data[s])) for s in names}
        model["label"] = f"sentence chrF++ among the worst {int(FIT_WORST * 100)} % of its set"
        path = REPO / "pipeline" / "risk_model.json"
        path.write_text(json.dumps(model, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {path.relative_to(REPO)}")
    (OUT / "risk-summary.json").write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


def measure_cost(set_name: str, n: int, threads: int) -> dict:
    """Wall seconds of translating the first ``n`` segments of a set with risk off and on
    (ABBA order, each pass uncached, one loaded model), risk on including the scoring."""
    import tempfile

    import run as harness

    from pipeline.engines import modelstore
    from pipeline.engines.llamacpp import XllamaBackend, default_threads
    from pipeline.glossary import load_glossary
    from pipeline.qa import document_stats
    from pipeline.risk import assess

    glossary = load_glossary(harness.GLOSSARY)
    units, previous, refs, _paragraphs = {"a": harness.load_set_a,
                                          "c": harness.load_set_c}[set_name](glossary)
    units, previous = units[:n], previous[:n]
    backend = XllamaBackend(modelstore.embedded_model_path(), threads or default_threads(),
                            2048)
    seconds = {"off": 0.0, "on": 0.0}
    with tempfile.TemporaryDirectory() as tmp:
        for k, mode in enumerate(("off", "on", "on", "off")):
            model = harness.CachedModel(path=Path(tmp) / f"pass{k}.jsonl", threads=1)
            model.backend = backend
            part = [Unit(segment=u.segment, terms=list(u.terms)) for u in units]
            start = time.perf_counter()
            harness.translate(part, previous, [None] * len(part),
                              harness.CONFIGS[CONFIG if mode == "on" else BASELINE], model)
            if mode == "on":
                _check(part, refs)
                assess(part, stats=document_stats(part))
            seconds[mode] += time.perf_counter() - start
            print(f"cost pass {k + 1}/4 ({mode}): {time.perf_counter() - start:.1f}s",
                  file=sys.stderr, flush=True)
    return {"set": set_name, "segments": len(units), "off_s": round(seconds["off"], 1),
            "on_s": round(seconds["on"], 1),
            "ratio": round(seconds["on"] / max(1e-9, seconds["off"]), 3)}


def _seconds(data: dict) -> float:
    """Model seconds of a harness output (per unit in older outputs)."""
    if "seconds" in data:
        return float(data["seconds"])
    return sum(r.get("seconds", 0.0) for r in data["units"])


def _cost(set_name: str, data: dict) -> dict:
    """s/segment with log-probabilities on vs off (when the baseline run is cached)."""
    on = OUT / f"quality-{set_name}-{CONFIG}.json"
    off = OUT / f"quality-{set_name}-{BASELINE}.json"
    n = len(data["rows"])
    out = {"risk_s_per_segment": round(data["risk_seconds"] / n, 4),
           "mt_s_per_segment": round(data["mt_seconds"] / n, 3)}
    if on.is_file() and off.is_file():
        s_on = _seconds(json.loads(on.read_text()))
        s_off = _seconds(json.loads(off.read_text()))
        out["ratio"] = round((s_on + data["risk_seconds"]) / max(1e-9, s_off), 3)
    measured = OUT / f"risk-cost-{set_name}.json"
    if measured.is_file():  # --cost: on vs off in one run
        out["measured"] = json.loads(measured.read_text())
    return out


def print_table(results: dict) -> None:
    for s, info in results["sets"].items():
        cost = info["cost"]
        ratio = f"{cost['ratio']:.3f}× (cached timings)" if "ratio" in cost else "n/a"
        if "measured" in cost:
            m = cost["measured"]
            ratio = f"{m['ratio']:.3f}× (--cost, first {m['segments']} segments, ABBA)"
        print(f"set {s}: {info['segments']} segments, {info['scored']} with a reference, "
              f"{info['known_bad']} known bad; MT {cost['mt_s_per_segment']} s/seg as "
              f"cached, risk {cost['risk_s_per_segment']} s/seg, cost with risk on vs off "
              f"{ratio}")
    for pair, table in results["evaluations"].items():
        print(f"\nfit → evaluate: {pair}")
        print(f"{'signals':16} {'ρ':>7} {'prec@20%':>9} {'recall':>7} {'ρ raw':>7}")
        for label, r in table.items():
            recall = "-" if r["recall"] is None else f"{r['recall']:.2f}"
            raw = f"{r['rho_raw']:>7.3f}" if "rho_raw" in r else ""
            print(f"{label:16} {r['rho']:>7.3f} {r['precision']:>9.2f} {recall:>7} {raw}")


if __name__ == "__main__":
    raise SystemExit(main())
