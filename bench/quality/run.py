"""Translation quality harness: sets × configurations, scores, paired significance.

    .venv/bin/python bench/quality/run.py [--sets a,b,c] [--configs base,gloss,...]
        [--limit N] [--b-size 300] [--b-limit 300] [--b-configs base,numretry]
        [--resamples 1000] [--force]

Sets: (a) the bundled article, segmented and aligned to its hand reference as ``tmpipe run``
does; (b) pairs sampled with a fixed seed from ``../shared/data/jiyu-zh-en.tsv.gz``, held
out from the memory that supplies TM examples (skipped when the file is absent); (c)
``bench/quality/news40.tsv``. Configurations are cumulative levers over the plain prompt
(see ``CONFIGS``). Segments go through the run's own translation step
(:class:`pipeline.translate.TranslationStep`: batches of 8, the retry of a repeated previous
translation, the hinted term/number retry when a configuration has one, the
do-not-translate repair, magnitude slips repaired) with an :class:`LlmEngine` whose
:class:`LlmSettings` follow the configuration's levers.

Model calls are cached by their exact messages and settings (greedy decoding, so an identical
request gives the same answer) in ``output/bench/quality-completions.jsonl`` with the seconds
each call took when it ran; a configuration's s/segment is the sum of those seconds for the
calls it made, so cumulative levers only pay for the segments they change. The model loads
lazily, once per process, only on a cache miss. Outputs per (set, config) go to
``output/bench/quality-<set>-<config>.json``; the summary to ``output/bench/quality-summary.json``.
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import random
import sys
import time
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from pipeline.engines.cleaning import cjk_words  # noqa: E402
from pipeline.engines.llamacpp import Completion, default_threads  # noqa: E402
from pipeline.engines.llm import LlmEngine, LlmSettings  # noqa: E402
from pipeline.engines.prompt import SYSTEM_PROMPT  # noqa: E402
from pipeline.translate import Pending, StepOptions, TranslationStep, in_context  # noqa: E402
from pipeline.units import Segment, TMMatch, Unit  # noqa: E402

OUT = REPO / "output" / "bench"
ARTICLE = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
REFERENCE = REPO / "segments" / "zjrb-2023-11-07" / "reference.en.txt"
NEWS40 = REPO / "bench" / "quality" / "news40.tsv"
JIYU = REPO.parent / "shared" / "data" / "jiyu-zh-en.tsv.gz"  # ../shared beside the checkout
GLOSSARY = REPO / "glossary" / "wic.tsv"
TM_PATH = OUT / "quality-tm.sqlite"
CACHE = OUT / "quality-completions.jsonl"
B_SEED = 20231107
BATCH = 8

LEVERS = ("glossary", "numbers", "retries", "termretry", "names", "tm", "context", "wordfix",
          "inline", "nolines", "dates", "numretry", "penalty", "sampling", "tmlow",
          "prompt2", "wordturn", "logprobs")
#: Cumulative configurations: each adds one lever to the one before.
CONFIGS: dict[str, set[str]] = {
    "base": set(),
    "gloss": {"glossary"},
    "num": {"glossary", "numbers"},
    "retry": {"glossary", "numbers", "retries"},
    "names": {"glossary", "numbers", "retries", "names"},
    "tm": {"glossary", "numbers", "retries", "names", "tm"},
    "full": {"glossary", "numbers", "retries", "names", "tm", "context"},
    "fix": {"glossary", "numbers", "retries", "names", "tm", "context", "wordfix"},
    # no engine retry (CJK/runaway); the flow's glossary retry and the word repair stay
    "lean": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix"},
    # required renderings (glossary and names) written into the source text as well
    "inline": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
               "inline"},
    # ... instead of listed above it
    "inline-only": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
                    "inline", "nolines"},
    # + dates and clock times rewritten into English before MT, magnitude slips repaired
    "dates": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
              "inline", "nolines", "dates"},
    # the same levers after two engine fixes: numbers the model split ("146, 600") rejoined,
    # and the word repair's answer begun for the model (it repeated the Chinese word)
    "final": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
              "inline", "nolines", "dates"},
    # final without the previous-segment context, and without the flow's glossary retry
    "final-noctx": {"glossary", "numbers", "termretry", "names", "tm", "wordfix",
                    "inline", "nolines", "dates"},
    "final-noctx-noretry": {"glossary", "numbers", "names", "tm", "wordfix",
                            "inline", "nolines", "dates"},
    # final + the flow's retry also for numbers left out (one hinted retry per segment)
    "numretry": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
                 "inline", "nolines", "dates", "numretry"},
    # lever 6, decoding, on top of numretry: repetition penalty 1.1; temperature 0.3
    "penalty": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
                "inline", "nolines", "dates", "numretry", "penalty"},
    "sampling": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
                 "inline", "nolines", "dates", "numretry", "sampling"},
    # lever 4 with a lower bar: TM examples from 60 % similarity (--tm-low) instead of 75 %
    "tmlow": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
              "inline", "nolines", "dates", "numretry", "tmlow"},
    # lever 6, wording: one more rule, to keep the English already written into the text
    "prompt2": {"glossary", "numbers", "termretry", "names", "tm", "context", "wordfix",
                "inline", "nolines", "dates", "numretry", "prompt2"},
}
# the word repair as a follow-up turn of the segment's conversation (prompt cache kept)
CONFIGS["wordturn"] = CONFIGS["numretry"] | {"wordturn"}
# the default with each token's log-probability returned (risk signals, bench/quality/risk.py)
CONFIGS["logprobs"] = CONFIGS["wordturn"] | {"logprobs"}
PROMPT2_RULE = ("\n- English words, names and numbers already in the text are required: keep "
                "them exactly as written.")


def engine_options(levers: set[str]) -> dict[str, Any]:
    """The LlmSettings fields a set of levers sets (the rest keep their defaults)."""
    return {
        "context": "context" in levers,
        "examples": "tm" in levers,
        "max_examples": 1,
        "number_rewrite": "numbers" in levers,
        "date_rewrite": "dates" in levers,
        "repeat_penalty": 1.1 if "penalty" in levers else 1.0,
        "temperature": 0.3 if "sampling" in levers else 0.0,
        "system_prompt": SYSTEM_PROMPT + PROMPT2_RULE if "prompt2" in levers else None,
        "max_retries": 1 if "retries" in levers else 0,
        "names": "names" in levers,
        "word_repair": "wordfix" in levers,
        "word_turn": "wordturn" in levers,
        "inline_terms": "inline" in levers,
        "term_lines": "nolines" not in levers,
        "logprobs": "logprobs" in levers,
    }


# --------------------------------------------------------------------------- model calls


class CachedModel:
    """``complete(messages, settings)`` with a persistent cache; the model loads on a miss."""

    def __init__(self, path: Path = CACHE, threads: int = 0):
        self.path = path
        self.threads = threads or default_threads()
        self.cache: dict[str, dict] = {}
        if path.is_file():
            for line in path.read_text(encoding="utf-8").splitlines():
                if line.strip():
                    row = json.loads(line)
                    self.cache[row["key"]] = row
        self.backend = None
        self.spent = 0.0  # seconds of the calls made (as measured when each ran)
        self.tokens = 0  # tokens evaluated: prompt not in the KV cache + generated
        self.misses = 0
        self.load_seconds = 0.0

    @staticmethod
    def key(messages, settings) -> str:
        blob = json.dumps([messages, settings], ensure_ascii=False, sort_keys=True)
        return hashlib.sha256(blob.encode()).hexdigest()

    def _load(self):
        from pipeline.engines import modelstore
        from pipeline.engines.llamacpp import XllamaBackend

        start = time.perf_counter()
        self.backend = XllamaBackend(modelstore.embedded_model_path(), self.threads, 2048)
        self.load_seconds = time.perf_counter() - start

    def __call__(self, messages, settings) -> Completion:
        k = self.key(messages, settings)
        row = self.cache.get(k)
        if row is None:
            if self.backend is None:
                self._load()
            start = time.perf_counter()
            c = self.backend(messages, settings)
            seconds = time.perf_counter() - start
            row = {"key": k, "seconds": seconds, **c.__dict__}
            self.cache[k] = row
            self.misses += 1
            with open(self.path, "a", encoding="utf-8") as fh:
                fh.write(json.dumps(row, ensure_ascii=False) + "\n")
        self.spent += row["seconds"]
        self.tokens += row["prompt_tokens"] - row["cached_tokens"] + row["completion_tokens"]
        fields = {f: row[f] for f in Completion.__dataclass_fields__}
        return Completion(**fields)


# --------------------------------------------------------------------------- sets


def load_set_a(glossary):
    from pipeline.segment import segment_document
    from pipeline.textio import read_text

    document = segment_document(read_text(ARTICLE, what="source"))
    units = [Unit(segment=s) for s in document.segments if s.translatable]
    for unit in units:
        unit.terms = list(glossary.match(unit.source))
    previous = [record.previous_source for record in in_context(units)]
    return units, previous, None, document.paragraphs


def _sentence_units(pairs, glossary):
    units = []
    for i, (zh, _en) in enumerate(pairs, start=1):
        unit = Unit(segment=Segment(i, i, zh, [(0, len(zh))]))
        unit.terms = list(glossary.match(zh))
        units.append(unit)
    return units, [None] * len(units), [en for _, en in pairs], 0


def load_set_c(glossary):
    rows = [line.split("\t") for line in NEWS40.read_text(encoding="utf-8").splitlines()[1:]]
    return _sentence_units([(r[0], r[1]) for r in rows if len(r) >= 2], glossary)


def jiyu_split(size: int) -> tuple[list[tuple[str, str]], set[int]]:
    """The held-out sample (fixed seed) and the line indices it came from."""
    with gzip.open(JIYU, "rt", encoding="utf-8") as fh:
        lines = [line.rstrip("\r\n") for line in fh]
    rng = random.Random(B_SEED)
    picked = sorted(rng.sample(range(len(lines)), size))
    sample = []
    for i in picked:
        zh, _, en = lines[i].partition("\t")
        sample.append((zh.strip(), en.strip()))
    return sample, set(picked)


def build_tm(size: int) -> None:
    """The example memory: every jiyu pair except the held-out ones (and their sources)."""
    from pipeline.memory import TranslationMemory, iter_tsv_pairs

    stamp = TM_PATH.with_suffix(".json")
    if TM_PATH.is_file() and stamp.is_file() and json.loads(stamp.read_text()) == {
        "seed": B_SEED, "held_out": size}:
        return
    sample, _ = jiyu_split(size)
    held = {zh for zh, _ in sample}
    for p in (TM_PATH, Path(f"{TM_PATH}-wal"), Path(f"{TM_PATH}-shm"), stamp):
        p.unlink(missing_ok=True)
    start = time.perf_counter()
    with TranslationMemory(TM_PATH) as tm:
        n = tm.import_pairs(pair for pair in iter_tsv_pairs(JIYU) if pair[0] not in held)
    print(f"built {TM_PATH.name}: {n} units in {time.perf_counter() - start:.0f}s",
          file=sys.stderr)
    stamp.write_text(json.dumps({"seed": B_SEED, "held_out": size}))


def load_set_b(glossary, size: int, limit: int):
    sample, _ = jiyu_split(size)
    return _sentence_units(sample[:limit], glossary)


# --------------------------------------------------------------------------- translate


def tm_examples(tm, units, previous, threshold: float) -> list[TMMatch | None]:
    """The human fuzzy match shown to the engine as an example, per unit (None: none)."""
    out: list[TMMatch | None] = []
    for unit, prev in zip(units, previous, strict=True):
        matches = tm.lookup(unit.source, previous=prev, fuzzy_min=threshold, limit=5) if tm else []
        human = [m for m in matches if m.origin != "mt" and m.score < 100]
        out.append(human[0] if human else None)
    return out


def translate(units, previous, examples, levers: set[str], model: CachedModel) -> dict:
    """Translate ``units`` in place with the run's translation step; return per-unit records
    and counters. Without the glossary lever the engine gets no terms (the metrics still
    judge them)."""
    engine = LlmEngine(settings=LlmSettings(threads=1, **engine_options(levers)),
                       complete=model, show_progress=False)
    terms = [u.terms for u in units]
    for unit, example in zip(units, examples, strict=True):
        unit.tm_match = example if "tm" in levers else None
        if "glossary" not in levers:
            unit.terms = []
    records = [Pending(u, units[i - 1] if prev is not None else None)
               for i, (u, prev) in enumerate(zip(units, previous, strict=True))]
    options = StepOptions(batch_size=BATCH, context="context" in levers,
                          number_retry="numretry" in levers,
                          hinted_retry=bool(levers & {"retries", "termretry", "numretry"}))
    step = TranslationStep(engine, options)
    tokens_before, spent_before = model.tokens, model.spent
    step.run(records)
    for unit, matched in zip(units, terms, strict=True):
        unit.terms = matched
    return {
        "units": [{"source": u.source, "target": u.target, "retries": u.retries,
                   "notes": [f.message for f in u.flags if f.check == "engine"],
                   "confidence": u.confidence} for u in units],
        "seconds": round(model.spent - spent_before, 3),
        "glossary_retries": step.counts.hinted,
        "repeat_retries": step.counts.repeats,
        "tokens": model.tokens - tokens_before,
        "engine_retry_reasons": engine.stats.retry_reasons,
    }


# --------------------------------------------------------------------------- metrics


def product_metrics(units) -> dict:
    from pipeline.glossary import verify_terms
    from pipeline.numbers import find_numbers, match_numbers

    terms = wrong_terms = numbers = wrong_numbers = cjk = retried = 0
    for u in units:
        distinct = {id(m.term) for m in u.terms}
        terms += len(distinct)
        wrong_terms += len({id(v.term) for v in verify_terms(u.target, u.terms)})
        numbers += len(find_numbers(u.source))
        wrong_numbers += sum(1 for p in match_numbers(u.source, u.target)
                             if (p.kind == "missing" and p.severity == "error")
                             or p.kind == "rounded")
        allowed = {w for m in u.terms for w in cjk_words(m.term.target)}
        cjk += bool([w for w in cjk_words(u.target) if w not in allowed])
        retried += u.retries > 0
    n = max(1, len(units))
    return {
        "term_accuracy": round(100 * (1 - wrong_terms / terms), 1) if terms else None,
        "terms": terms,
        "number_accuracy": round(100 * (1 - wrong_numbers / numbers), 1) if numbers else None,
        "numbers": numbers,
        "cjk_rate": round(100 * cjk / n, 1),
        "retry_rate": round(100 * retried / n, 1),
    }


def scores_for(units, refs, paragraphs) -> dict:
    from pipeline.score import corpus_scores, score_units

    if refs is None:  # set (a): align and score the way flow does
        from pipeline.align import align_reference

        align_reference(units, REFERENCE.read_text(encoding="utf-8"), paragraphs)
        s = score_units(units)
    else:
        s = corpus_scores([u.target for u in units], refs)
    return {k: round(s[k], 2) for k in ("bleu", "chrf", "ter")} | {"signature": s["signature"]}


def significance(units_a, units_b, refs, paragraphs, resamples: int) -> dict:
    """B vs A on one alignment (paired bootstrap, sacrebleu, via pipeline.score)."""
    from pipeline.score import METRIC_KEYS, compare_units, corpus_scores, paired_significance

    if refs is None:
        r = compare_units(units_a, units_b, REFERENCE.read_text(encoding="utf-8"), paragraphs,
                          resamples=resamples, seed=12345)
        delta, p = r["delta"], r["p_value"]
    else:
        ha, hb = [u.target for u in units_a], [u.target for u in units_b]
        sa, sb = corpus_scores(ha, refs), corpus_scores(hb, refs)
        delta = {k: sb[k] - sa[k] for k in METRIC_KEYS}
        p = paired_significance(ha, hb, refs, resamples, 12345)
    return {"delta": {k: round(v, 2) for k, v in delta.items()},
            "p": {k: round(v, 4) for k, v in p.items()},
            "significant": {k: v < 0.05 for k, v in p.items()}}


# --------------------------------------------------------------------------- main


def run_config(set_name, loaded, examples, config, model, force) -> dict:
    path = OUT / f"quality-{set_name}-{config}.json"
    units0, previous, refs, paragraphs = loaded
    units = [Unit(segment=u.segment, terms=list(u.terms)) for u in units0]
    if path.is_file() and not force:
        data = json.loads(path.read_text(encoding="utf-8"))
        if [r["source"] for r in data["units"]] != [u.source for u in units]:
            raise SystemExit(f"{path}: cached output is for other segments; use --force")
    else:
        data = translate(units, previous, examples, CONFIGS[config], model)
        data.update(set=set_name, config=config, levers=sorted(CONFIGS[config]),
                    engine_options=engine_options(CONFIGS[config]))
        path.write_text(json.dumps(data, ensure_ascii=False, indent=1), encoding="utf-8")
    for unit, row in zip(units, data["units"], strict=True):
        unit.target, unit.retries = row["target"], row["retries"]
    n = len(units)
    # outputs written before the harness ran the translation step kept seconds per unit
    seconds = data["seconds"] if "seconds" in data else sum(r["seconds"] for r in data["units"])
    result = {"segments": n, **scores_for(units, refs, paragraphs), **product_metrics(units),
              "s_per_segment": round(seconds / n, 3),
              "tokens_per_segment": round(data.get("tokens", 0) / n, 1),
              "glossary_retries": data.get("glossary_retries", 0),
              "engine_retry_reasons": data.get("engine_retry_reasons", {})}
    return {"result": result, "units": units}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sets", default="a,c,b")
    ap.add_argument("--configs", default=",".join(CONFIGS))
    ap.add_argument("--limit", type=int, default=0, help="first N segments of sets a and c")
    ap.add_argument("--b-size", type=int, default=300, help="held-out pairs sampled for (b)")
    ap.add_argument("--b-limit", type=int, default=300, help="of which the first N are run")
    ap.add_argument("--b-configs", default="base,numretry",
                    help="configurations run on set b (default: the plain prompt and the "
                         "default configuration; the levers one by one were measured on "
                         "100 pairs, bench/quality/README.md)")
    ap.add_argument("--tm-threshold", type=float, default=75.0)
    ap.add_argument("--tm-low", type=float, default=60.0,
                    help="example threshold of the tmlow configuration")
    ap.add_argument("--resamples", type=int, default=1000)
    ap.add_argument("--threads", type=int, default=0,
                    help="model threads (default: all CPUs; 1 when sharing the machine)")
    ap.add_argument("--force", action="store_true", help="retranslate cached outputs")
    args = ap.parse_args(argv)

    from pipeline.glossary import load_glossary
    from pipeline.memory import TranslationMemory

    OUT.mkdir(parents=True, exist_ok=True)
    glossary = load_glossary(GLOSSARY)
    model = CachedModel(threads=args.threads)
    summary: dict[str, Any] = {"sets": {}, "configs": {k: sorted(v) for k, v in CONFIGS.items()},
                               "resamples": args.resamples, "b_seed": B_SEED}
    configs = [c for c in args.configs.split(",") if c]
    for set_name in [s for s in args.sets.split(",") if s]:
        set_configs = configs
        if set_name == "a":
            loaded = load_set_a(glossary)
        elif set_name == "c":
            loaded = load_set_c(glossary)
        elif set_name == "b":
            if not JIYU.is_file():
                print(f"set b skipped: {JIYU} not found", file=sys.stderr)
                summary["sets"]["b"] = {"skipped": f"{JIYU} not found"}
                continue
            build_tm(args.b_size)
            loaded = load_set_b(glossary, args.b_size, args.b_limit)
            set_configs = [c for c in args.b_configs.split(",") if c]
        else:
            raise SystemExit(f"unknown set {set_name!r}")
        if args.limit and set_name != "b":
            units, previous, refs, paragraphs = loaded
            loaded = (units[: args.limit], previous[: args.limit],
                      refs[: args.limit] if refs else None, paragraphs)
        tm = TranslationMemory(TM_PATH) if TM_PATH.is_file() else None
        examples = tm_examples(tm, loaded[0], loaded[1], args.tm_threshold)
        low_examples = tm_examples(tm, loaded[0], loaded[1], args.tm_low) if any(
            "tmlow" in CONFIGS[c] for c in set_configs) else examples
        if tm:
            tm.close()
        rows: dict[str, dict] = {}
        runs = {}
        for config in set_configs:
            t0 = time.perf_counter()
            chosen = low_examples if "tmlow" in CONFIGS[config] else examples
            runs[config] = run_config(set_name, loaded, chosen, config, model, args.force)
            rows[config] = runs[config]["result"]
            print(f"[{set_name}/{config}] done in {time.perf_counter() - t0:.0f}s "
                  f"(model calls so far: {model.misses} new)", file=sys.stderr, flush=True)
        base = runs.get("base")
        order = list(runs)
        for k, config in enumerate(order):
            if base is not None and config != "base":
                rows[config]["vs_base"] = significance(
                    base["units"], runs[config]["units"], loaded[2], loaded[3], args.resamples)
                rows[config]["time_vs_base"] = round(
                    rows[config]["s_per_segment"] / max(1e-9, rows["base"]["s_per_segment"]), 2)
            if k > 1:
                prev = order[k - 1]
                rows[config]["vs_previous"] = {"previous": prev, **significance(
                    runs[prev]["units"], runs[config]["units"], loaded[2], loaded[3],
                    args.resamples)}
        summary["sets"][set_name] = {
            "segments": len(loaded[0]),
            "tm_examples": sum(1 for e in examples if e),
            "tm_examples_low": sum(1 for e in low_examples if e),
            "configs": rows,
        }
    summary["model_load_s"] = round(model.load_seconds, 1)
    path = OUT / "quality-summary.json"
    if path.is_file():  # keep the sets this invocation did not run
        try:
            earlier = json.loads(path.read_text(encoding="utf-8"))
            summary["sets"] = {**earlier.get("sets", {}), **summary["sets"]}
        except (json.JSONDecodeError, AttributeError):
            pass
    path.write_text(json.dumps(summary, ensure_ascii=False, indent=1),
                                              encoding="utf-8")
    print_table(summary)
    return 0


def _mark(sig: dict | None, key: str) -> str:
    if not sig:
        return ""
    d, p = sig["delta"][key], sig["p"][key]
    star = "*" if p < 0.05 else ""
    return f" ({d:+.1f}{star})"


def print_table(summary: dict) -> None:
    head = (f"{'set':3} {'config':13} {'n':>4} {'BLEU':>13} {'chrF++':>13} {'TER':>13} "
            f"{'term%':>6} {'num%':>6} {'CJK%':>5} {'retry%':>6} {'s/seg':>6} {'×base':>5}")
    print(head)
    print("-" * len(head))
    for set_name, data in summary["sets"].items():
        if "skipped" in data:
            print(f"{set_name:3} skipped: {data['skipped']}")
            continue
        for config, r in data["configs"].items():
            sig = r.get("vs_base")
            print(f"{set_name:3} {config:13} {r['segments']:>4} "
                  f"{r['bleu']:>5.1f}{_mark(sig, 'bleu'):>8} {r['chrf']:>5.1f}"
                  f"{_mark(sig, 'chrf'):>8} {r['ter']:>5.1f}{_mark(sig, 'ter'):>8} "
                  f"{_fmt(r['term_accuracy']):>6} {_fmt(r['number_accuracy']):>6} "
                  f"{r['cjk_rate']:>5.1f} {r['retry_rate']:>6.1f} {r['s_per_segment']:>6.2f} "
                  f"{r.get('time_vs_base', 1.0):>5.2f}")
    print("(Δ vs base in brackets; * = p < 0.05, paired bootstrap, "
          f"{summary['resamples']} resamples)")
    print("\nEach lever vs the configuration before it (Δ, p-value):")
    for set_name, data in summary["sets"].items():
        for config, r in data.get("configs", {}).items():
            step = r.get("vs_previous")
            if not step:
                continue
            cells = "  ".join(f"{k} {step['delta'][k]:+.2f} (p={step['p'][k]:.3f})"
                              for k in ("bleu", "chrf", "ter"))
            print(f"{set_name:3} {step['previous']:>6} → {config:13} {cells}")
    sigs = next((d["configs"][c]["signature"] for d in summary["sets"].values()
                 if "configs" in d for c in d["configs"]), None)
    if sigs:
        for k, v in sigs.items():
            print(f"{k}: {v}")


def _fmt(x) -> str:
    return "-" if x is None else f"{x:.1f}"


if __name__ == "__main__":
    raise SystemExit(main())
