"""LLM engine benchmark: s/segment, tokens and retries on the seed, variants in one run.

The model loads once; every variant gets its own :class:`LlmEngine` over the same backend,
so the comparison is within one process. Prints a table and writes
``output/bench/engine.json`` (with every output, for inspecting bad ones).

    .venv/bin/python bench/bench_engine.py [--limit 50] [--variants no-reuse,prefix,...]

With ``--build LABEL=WHEEL`` (twice or more) each llama.cpp build runs the same variants on
the same segments in its own process (the wheel unpacked ahead of the installed xllamacpp),
and a table compares their speed and how many translations come out identical:

    .venv/bin/python bench/bench_engine.py --variants prefix+context --limit 20 \
        --build prebuilt=.venv/native/prebuilt/xllamacpp-*.whl \
        --build native=.venv/native/<cpu>/xllamacpp-*.whl

Timings on shared CPUs are noisy; the token counts (prompt tokens evaluated vs reused from
the KV cache) are exact and explain the time differences.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.engines import modelstore  # noqa: E402
from pipeline.engines.cleaning import cjk_words  # noqa: E402
from pipeline.engines.llamacpp import XllamaBackend, default_threads  # noqa: E402
from pipeline.engines.llm import LlmEngine, LlmSettings  # noqa: E402
from pipeline.units import MTRequest, Term  # noqa: E402

SEED = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
GLOSSARY = REPO / "glossary" / "wic.tsv"
_CJK = re.compile(r"[\u4e00-\u9fff]")
_FURNITURE = re.compile(r"责任编辑|联系电话|邮箱|^本报记者\s*$|^\(上接|^（上接")

VARIANTS: dict[str, dict[str, Any]] = {
    "no-reuse": {"cache_prompt": False, "context": False},
    "prefix": {"cache_prompt": True, "context": False},
    "prefix+context": {"cache_prompt": True, "context": True},
    "prefix+context-noretry": {"cache_prompt": True, "context": True, "max_retries": 0},
    "prefix-tokens1.5": {"cache_prompt": True, "context": False, "max_tokens_ratio": 1.5},
    # the default engine with the required renderings written into the source
    "inline": {"inline_terms": True, "term_lines": False},
    # n-gram speculation (llama.cpp drafts from n-grams already seen; no draft model)
    "ngram-simple": {"speculative": "ngram-simple"},
    "ngram-mod": {"speculative": "ngram-mod"},
}
DEFAULT_VARIANTS = "no-reuse,prefix,prefix+context,inline,ngram-simple,ngram-mod"


def seed_requests(limit: int) -> list[MTRequest]:
    """First ``limit`` sentences of the article's translatable lines, split naively on 。？！."""
    out: list[MTRequest] = []
    for line in SEED.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or not _CJK.search(line) or _FURNITURE.search(line):
            continue
        previous = None
        for sentence in re.findall(r"[^。？！?!]+[。？！?!]*", line):
            sentence = sentence.strip()
            if not sentence:
                continue
            out.append(MTRequest(sentence, previous=previous))
            previous = sentence
            if len(out) >= limit:
                return out
    return out


def match_terms(requests: list[MTRequest]) -> list[list[Term]]:
    """Glossary terms per segment: the glossary stage's matcher when present, else substrings."""
    try:
        from pipeline.glossary import load_glossary
    except ImportError:
        rows = [line.split("\t") for line in GLOSSARY.read_text(encoding="utf-8").splitlines()[1:]]
        terms = [Term(r[0], r[1]) for r in rows if len(r) >= 2 and r[0]]
        return [[t for t in terms if t.source in r.source] for r in requests]
    glossary = load_glossary(GLOSSARY)
    return [[m.term for m in glossary.match(r.source)] for r in requests]


def run_variant(name: str, backend: XllamaBackend, requests: list[MTRequest],
                seg_terms: list[list[Term]], threads: int) -> dict[str, Any]:
    options = {k: v for k, v in VARIANTS[name].items() if k != "speculative"}
    engine = LlmEngine(settings=LlmSettings(threads=threads, **options), complete=backend,
                       show_progress=False)
    start = time.perf_counter()
    outputs = engine.translate_batch(requests, seg_terms)
    wall = time.perf_counter() - start
    s = engine.stats
    evaluated = s.prompt_tokens - s.cached_tokens
    return {
        "variant": name,
        "options": VARIANTS[name],
        "segments": len(requests),
        "wall_s": round(wall, 2),
        "s_per_segment": round(wall / len(requests), 3),
        "requests": s.requests,
        "retries": s.retries,
        "retry_rate": round(sum(t.retries > 0 for t in outputs) / len(requests), 3),
        "retry_reasons": s.retry_reasons,
        "cjk_left": sum(bool(cjk_words(t.text)) for t in outputs),
        "prompt_tokens": s.prompt_tokens,
        "prompt_tokens_evaluated": evaluated,
        "prompt_tokens_cached": s.cached_tokens,
        "completion_tokens": s.completion_tokens,
        "prompt_ms": round(s.prompt_ms),
        "predicted_ms": round(s.predicted_ms),
        "prompt_tok_per_s": round(evaluated / (s.prompt_ms / 1000), 1) if s.prompt_ms else None,
        "gen_tok_per_s": round(s.completion_tokens / (s.predicted_ms / 1000), 1)
        if s.predicted_ms else None,
        "outputs": [{"source": r.source, "text": t.text, "raw": t.raw, "retries": t.retries,
                     "notes": t.notes, "seconds": round(t.seconds, 2)}
                    for r, t in zip(requests, outputs, strict=True)],
    }


def token_floor(backend: XllamaBackend, requests: list[MTRequest],
                results: list[dict[str, Any]]) -> dict[str, Any]:
    """The least s/segment this model can take here: source tokens at the measured prompt
    rate plus the tokens of the shortest variant's output at the measured generation rate
    (no instructions, no chat scaffolding, no retries, no pipeline)."""
    source_tokens = 0
    for r in requests:
        response = backend._server.handle_completions(
            {"prompt": r.source, "max_tokens": 1, "cache_prompt": False})
        source_tokens += response.get("usage", {}).get("prompt_tokens") or response.get(
            "tokens_evaluated", 0)
    plain = [r for r in results if r["prompt_tok_per_s"] and r["gen_tok_per_s"]
             and not VARIANTS[r["variant"]].get("speculative")]
    if not plain:
        return {}
    pp = max(r["prompt_tok_per_s"] for r in plain)
    tg = max(r["gen_tok_per_s"] for r in plain)
    gen = min(r["completion_tokens"] for r in plain)
    n = len(requests)
    return {"source_tokens_per_segment": round(source_tokens / n, 1),
            "output_tokens_per_segment": round(gen / n, 1),
            "prompt_tok_per_s": pp, "gen_tok_per_s": tg,
            "s_per_segment": round((source_tokens / pp + gen / tg) / n, 3)}


def unpack_build(wheel: Path, into: Path) -> Path:
    """A folder to put ahead on ``PYTHONPATH``: the wheel unpacked, or a folder holding
    ``xllamacpp/`` as it is."""
    if wheel.is_dir():
        if not (wheel / "xllamacpp").is_dir():
            raise SystemExit(f"{wheel}: no xllamacpp/ folder in it")
        return wheel
    if not zipfile.is_zipfile(wheel):
        raise SystemExit(f"{wheel}: not a wheel file")
    with zipfile.ZipFile(wheel) as archive:
        archive.extractall(into)
    return into


def run_build(label: str, site: Path, forwarded: list[str], out: Path) -> dict[str, Any]:
    """This script in a child process whose ``xllamacpp`` comes from ``site``."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(
        [str(site), str(REPO), os.environ.get("PYTHONPATH", "")]).rstrip(os.pathsep))
    print(f"== build {label}: {site}", flush=True)
    subprocess.run([sys.executable, str(Path(__file__).resolve()), *forwarded,
                    "--out", str(out)], env=env, check=True)
    return json.loads(out.read_text(encoding="utf-8"))


def compare_builds(runs: dict[str, dict[str, Any]]) -> list[dict[str, Any]]:
    """Per variant and build: speed, and agreement with the first build's translations."""
    from sacrebleu.metrics import CHRF

    chrf = CHRF(word_order=2)
    labels = list(runs)
    base = {v["variant"]: v for v in runs[labels[0]]["variants"]}
    rows = []
    for label in labels:
        for v in runs[label]["variants"]:
            ref = [o["text"] for o in base[v["variant"]]["outputs"]]
            hyp = [o["text"] for o in v["outputs"]]
            rows.append({
                "build": label, "variant": v["variant"], "s_per_segment": v["s_per_segment"],
                "prompt_tok_per_s": v["prompt_tok_per_s"], "gen_tok_per_s": v["gen_tok_per_s"],
                "identical": sum(a == b for a, b in zip(ref, hyp, strict=True)),
                "segments": len(hyp),
                "chrf_vs_first": round(chrf.corpus_score(hyp, [ref]).score, 2),
                "retries": v["retries"], "cjk_left": v["cjk_left"]})
    return rows


def main_builds(args: argparse.Namespace, forwarded: list[str]) -> None:
    """Run every ``--build`` on the same segments and compare them."""
    builds: dict[str, Path] = {}
    for item in args.build:
        label, sep, path = item.partition("=")
        if not sep or not label or not path:
            raise SystemExit(f"--build {item!r}: expected LABEL=WHEEL")
        if label in builds:
            raise SystemExit(f"--build: label {label!r} given twice")
        builds[label] = Path(path)
    runs: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="bench-builds-") as tmp:
        for label, wheel in builds.items():
            site = unpack_build(wheel, Path(tmp) / label)
            runs[label] = run_build(label, site, forwarded, Path(tmp) / f"{label}.json")
    rows = compare_builds(runs)
    first = next(iter(runs))
    print(f"\nbuilds on the same {rows[0]['segments']} segments; identical / chrF++ "
          f"against {first} (shared CPUs: timings are noisy)")
    print(f"{'build':<12}{'variant':<24}{'s/seg':>7}{'pp t/s':>8}{'gen t/s':>8}"
          f"{'same':>6}{'chrF++':>8}{'retry':>6}{'cjk':>4}")
    for r in rows:
        print(f"{r['build']:<12}{r['variant']:<24}{r['s_per_segment']:>7.2f}"
              f"{r['prompt_tok_per_s'] or 0:>8.1f}{r['gen_tok_per_s'] or 0:>8.1f}"
              f"{r['identical']:>3}/{r['segments']:<2}{r['chrf_vs_first']:>8.2f}"
              f"{r['retries']:>6}{r['cjk_left']:>4}")
    for label, run in runs.items():
        print(f"{label}: {run['xllamacpp']['system_info'].strip()}")
    payload = {"builds": {k: {"wheel": str(builds[k]), **runs[k]} for k in runs},
               "comparison": rows}
    out = args.out.with_name(args.out.stem + "-builds.json")
    out.parent.mkdir(parents=True, exist_ok=True)
    tmp_out = out.with_suffix(".json.tmp")
    tmp_out.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp_out.replace(out)
    print(f"wrote {out}")


def build_info() -> dict[str, str]:
    """Which xllamacpp this process loaded, and the CPU features its llama.cpp uses."""
    import xllamacpp

    return {"file": str(Path(xllamacpp.__file__).parent),
            "system_info": xllamacpp.get_system_info()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--limit", type=int, default=50, help="seed sentences (default 50)")
    parser.add_argument("--variants", default=DEFAULT_VARIANTS,
                        help=f"comma-separated, from: {', '.join(VARIANTS)}")
    parser.add_argument("--threads", type=int, default=default_threads())
    parser.add_argument("--ctx-size", type=int, default=2048)
    parser.add_argument("--model", type=Path, help="GGUF file (default: the embedded model)")
    parser.add_argument("--out", type=Path, default=REPO / "output" / "bench" / "engine.json")
    parser.add_argument("--build", action="append", default=[], metavar="LABEL=WHEEL",
                        help="compare llama.cpp builds: a wheel (or a folder with xllamacpp/) "
                             "per build, each run in its own process; give it twice or more")
    args = parser.parse_args()
    names = [v.strip() for v in args.variants.split(",") if v.strip()]
    unknown = [v for v in names if v not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s): {', '.join(unknown)}")
    if args.build:
        if len(args.build) < 2:
            parser.error("--build: give two builds or more to compare")
        forwarded = ["--limit", str(args.limit), "--variants", ",".join(names),
                     "--threads", str(args.threads), "--ctx-size", str(args.ctx_size)]
        if args.model:
            forwarded += ["--model", str(args.model)]
        main_builds(args, forwarded)
        return
    model = args.model or modelstore.prepare()
    requests = seed_requests(args.limit)
    terms = match_terms(requests)
    t0 = time.perf_counter()
    backend = XllamaBackend(model, args.threads, args.ctx_size)
    load_s = time.perf_counter() - t0
    results = []
    for name in names:
        speculative = VARIANTS[name].get("speculative")
        if speculative:  # its own model instance: speculation is a load-time setting
            special = XllamaBackend(model, args.threads, args.ctx_size, speculative=speculative)
            results.append(run_variant(name, special, requests, terms, args.threads))
            special.close()
        else:
            results.append(run_variant(name, backend, requests, terms, args.threads))
    floor = token_floor(backend, requests, results)
    backend.close()

    head = (f"{'variant':<24}{'s/seg':>7}{'evaluated':>10}{'cached':>8}{'gen tok':>8}"
            f"{'gen t/s':>8}{'retry%':>7}{'cjk':>4}")
    print(f"xllamacpp {build_info()['file']}")
    print(f"model {model.name}, {len(requests)} seed segments, threads {args.threads}, "
          f"ctx {args.ctx_size}, load {load_s:.1f} s (shared CPUs: timings are noisy)")
    print(head)
    for r in results:
        print(f"{r['variant']:<24}{r['s_per_segment']:>7.2f}{r['prompt_tokens_evaluated']:>10}"
              f"{r['prompt_tokens_cached']:>8}{r['completion_tokens']:>8}"
              f"{r['gen_tok_per_s'] or 0:>8.1f}{100 * r['retry_rate']:>7.1f}{r['cjk_left']:>4}")
    if floor:
        print(f"floor: {floor['source_tokens_per_segment']} source + "
              f"{floor['output_tokens_per_segment']} output tokens/segment at "
              f"{floor['prompt_tok_per_s']}/{floor['gen_tok_per_s']} tok/s = "
              f"{floor['s_per_segment']:.2f} s/segment with no prompt, retries or pipeline")
    payload = {"xllamacpp": build_info(), "model": model.name, "threads": args.threads,
               "ctx_size": args.ctx_size,
               "load_s": round(load_s, 2), "segments": len(requests), "floor": floor,
               "variants": results}
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_suffix(".json.tmp")
    tmp.write_text(json.dumps(payload, ensure_ascii=False, indent=2), encoding="utf-8")
    tmp.replace(args.out)
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
