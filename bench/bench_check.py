"""``tmpipe check`` benchmark: the terminology gate on a 100k-unit TMX.

    .venv/bin/python bench/bench_check.py [--units 100000] [--repeat 3] [--compare DIR]

Builds a realistic TMX: Chinese sentences drawn from the bundled article and from
``../shared/data/jiyu-zh-en.tsv.gz`` (when present; every 8th pair), with a term of
``glossary/wic.tsv`` planted in about 30 % of the units; the English target then
carries the approved rendering, a variant, a forbidden rendering or none of them.
Times, in one process: TMX export (``write_tus``), TMX reading (``iter_tus``), source
matching (``Glossary.match``) and target verification (``verify_terms``) alone, the
library call behind the command (``check_tmx``, best of ``--repeat``), then one
``tmpipe check`` in a subprocess (start-up included). Prints a table and writes
``output/bench/check.json``.

``--compare DIR`` also times ``check_tmx``/``iter_tus``/``write_tus`` from another copy
of the code (a folder holding a ``pipeline`` package, e.g. the last commit exported with
``git archive HEAD pipeline | tar -x -C /tmp/head``), alternating the two in child
processes, and reports the speed-up.
"""

from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
REFERENCE = ROOT / "segments" / "zjrb-2023-11-07" / "reference.en.txt"
GLOSSARY = ROOT / "glossary" / "wic.tsv"
DEFAULT_DATA = ROOT.parent / "shared" / "data" / "jiyu-zh-en.tsv.gz"
TARGET_CHECK = 50_000
TARGET_EXPORT = 100_000


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# ----------------------------------------------------------------------------- corpus


def _pairs(data: Path | None, step: int, limit: int) -> list[tuple[str, str]]:
    """Every ``step``-th pair of the TSV (up to ``limit``), or none without the data."""
    if data is None or not data.exists():
        return []
    out = []
    with gzip.open(data, "rt", encoding="utf-8") as fh:
        for i, line in enumerate(fh):
            if i % step:
                continue
            zh, _, en = line.rstrip("\n").partition("\t")
            if zh.strip() and en.strip():
                out.append((zh.strip(), en.strip()))
                if len(out) >= limit:
                    break
    return out


def _seed_pairs() -> list[tuple[str, str]]:
    """Sentences of the bundled article with English sentences of its reference."""
    from pipeline.segment import segment_document

    zh = [s.text for s in segment_document(SEED.read_text(encoding="utf-8")).segments]
    en = [s.strip() + "." for line in REFERENCE.read_text(encoding="utf-8").splitlines()
          for s in line.split(". ") if s.strip()]
    return [(z, en[i % len(en)]) for i, z in enumerate(zh)]


def _plant(rng: random.Random, zh: str, en: str, term) -> tuple[str, str, str]:
    """``zh`` with ``term`` inserted, ``en`` with a rendering; returns the rendering kind."""
    cut = rng.randint(0, len(zh) // 2) if zh else 0
    zh = zh[:cut] + term.source + zh[cut:]
    roll = rng.random()  # 45 % approved, 15 % variant, 20 % forbidden, 20 % nothing
    if 0.45 <= roll < 0.60 and term.variants:
        kind, rendering = "variant", rng.choice(term.variants)
    elif 0.60 <= roll < 0.80 and term.forbidden:
        kind, rendering = "forbidden", rng.choice(term.forbidden)
    elif roll >= 0.80:
        kind, rendering = "none", ""
    else:  # also when the term has no variant or no forbidden rendering to plant
        kind, rendering = "approved", term.target
    if rendering:
        words = en.split(" ")
        at = rng.randint(0, len(words))
        en = " ".join([*words[:at], rendering, *words[at:]])
    return zh, en, kind


def build_tus(units: int, data: Path | None, share: float, seed: int = 11):
    """``units`` TUs (list) and counts of what was planted."""
    from pipeline.exchange.tmx import TU
    from pipeline.glossary import load_glossary

    rng = random.Random(seed)
    terms = load_glossary(GLOSSARY).terms
    corpus = _pairs(data, 8, units)
    seed_pairs = _seed_pairs()
    planted = {"approved": 0, "variant": 0, "forbidden": 0, "none": 0}
    tus = []
    for i in range(units):
        if corpus and rng.random() >= 0.1:
            zh, en = corpus[rng.randrange(len(corpus))]
        else:
            zh, en = seed_pairs[rng.randrange(len(seed_pairs))]
        if rng.random() < share:
            zh, en, kind = _plant(rng, zh, en, rng.choice(terms))
            planted[kind] += 1
        props = {"x-origin": "tm-import", "x-doc": f"bench-{i // 500}"}
        tus.append(TU(tuid=f"bench:{i + 1}", source=zh, target=en, srclang="zh-CN",
                      tgtlang="en", props=props))
    return tus, {"jiyu_pairs": len(corpus), "seed_sentences": len(seed_pairs),
                 "terms": len(terms), "planted": planted}


# ----------------------------------------------------------------------------- timing


def _best(fn, repeat: int) -> tuple[float, object]:
    best, value = float("inf"), None
    for _ in range(repeat):
        started = time.perf_counter()
        value = fn()
        best = min(best, time.perf_counter() - started)
    return best, value


def time_library(tmx: Path, repeat: int, export_tus=None, work: Path | None = None) -> dict:
    """Export (when ``export_tus``), parse, match, verify and ``check_tmx`` timings."""
    from pipeline.exchange.tmx import iter_tus, write_tus
    from pipeline.glossary import check_tmx, load_glossary, verify_terms

    out: dict = {}
    if export_tus is not None and work is not None:
        seconds, count = _best(lambda: write_tus(work / "export.tmx", export_tus, {"x-b": "1"},
                                                 creationdate="20240101T000000Z"), repeat)
        out["export_units_per_s"] = round(count / seconds)
    glossary = load_glossary(GLOSSARY)
    seconds, count = _best(lambda: sum(1 for _ in iter_tus(tmx)), repeat)
    out["parse_units_per_s"] = round(count / seconds)
    zh_en = [(tu.source, tu.target) for tu in iter_tus(tmx)]
    glossary.match(zh_en[0][0])
    seconds, matched = _best(lambda: [(glossary.match(zh), en) for zh, en in zh_en], repeat)
    out["match_us_per_unit"] = round(seconds / len(zh_en) * 1e6, 2)
    with_terms = [(m, en) for m, en in matched if m]
    seconds, _ = _best(lambda: [verify_terms(en, m) for m, en in with_terms], repeat)
    out["verify_us_per_checked_unit"] = round(seconds / max(1, len(with_terms)) * 1e6, 2)
    seconds, result = _best(lambda: check_tmx([tmx], glossary), repeat)
    out.update({
        "scanned": result.scanned, "checked": result.checked,
        "terms_checked": result.terms_checked, "violations": len(result.failures),
        "check_seconds": round(seconds, 3), "check_units_per_s": round(result.scanned / seconds),
    })
    return out


def _child_cmd(code: Path, tmx: Path, repeat: int, export: Path | None) -> list[str]:
    cmd = [sys.executable, __file__, "--child-time", str(tmx), "--code", str(code),
           "--repeat", str(repeat)]
    return cmd + (["--child-export", str(export)] if export is not None else [])


def compare(other: Path, tmx: Path, repeat: int, rounds: int, work: Path) -> dict:
    """Alternate this code and ``other`` in child processes; best of each."""
    keys = ("export_units_per_s", "parse_units_per_s", "check_units_per_s")
    best: dict[str, dict[str, int]] = {"new": {}, "old": {}}
    for _ in range(rounds):
        for name, code in (("old", other), ("new", ROOT)):
            proc = subprocess.run(_child_cmd(code, tmx, repeat, tmx), cwd=work, check=True,
                                  capture_output=True, text=True)
            got = json.loads(proc.stdout.strip().splitlines()[-1])
            for key in keys:
                best[name][key] = max(best[name].get(key, 0), got[key])
    return {"old_code": str(other), "rounds": rounds, **best,
            "speedup": {k: round(best["new"][k] / best["old"][k], 2) for k in keys}}


def time_cli(tmx: Path, work: Path) -> dict:
    started = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-m", "pipeline", "check", str(tmx), "--glossary", str(GLOSSARY),
         "--json", str(work / "check.json")],
        cwd=ROOT, capture_output=True, text=True,
    )
    seconds = time.perf_counter() - started
    if proc.returncode not in (0, 1):
        raise SystemExit(f"tmpipe check failed ({proc.returncode}): {proc.stderr.strip()}")
    doc = json.loads((work / "check.json").read_text(encoding="utf-8"))
    return {"exit": proc.returncode, "seconds": round(seconds, 2),
            "units_per_s": round(doc["scanned"] / seconds),
            "summary": proc.stdout.strip().splitlines()[-1]}


def _table(r: dict) -> str:
    lib, cli = r["library"], r["cli"]
    rows = [
        ("tmx", f"{r['units']:,} units, {r['tmx_mb']} MB, planted {r['corpus']['planted']}"),
        ("export", f"write_tus {lib['export_units_per_s']:,} units/s "
                   f"(target {TARGET_EXPORT:,})"),
        ("parse", f"iter_tus {lib['parse_units_per_s']:,} units/s"),
        ("match", f"Glossary.match {lib['match_us_per_unit']} µs/unit"),
        ("verify", f"verify_terms {lib['verify_us_per_checked_unit']} µs/checked unit"),
        ("check", f"check_tmx {lib['check_units_per_s']:,} units/s (target {TARGET_CHECK:,}); "
                  f"{lib['checked']:,} checked, {lib['terms_checked']:,} terms, "
                  f"{lib['violations']:,} violations"),
        ("cli", f"tmpipe check {cli['seconds']} s = {cli['units_per_s']:,} units/s with "
                f"start-up, exit {cli['exit']}"),
        ("memory", f"peak RSS {r['peak_rss_mb']} MB (bench process, TUs held in memory)"),
    ]
    if "compare" in r:
        c = r["compare"]
        rows.append(("vs old", ", ".join(f"{k.removesuffix('_units_per_s')} "
                                         f"{c['old'][k]:,} → {c['new'][k]:,}/s ×{v}"
                                         for k, v in c["speedup"].items())))
    return "\n".join(f"{name:<7} {text}" for name, text in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=100_000)
    parser.add_argument("--share", type=float, default=0.3, help="Share of units with a term.")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--repeat", type=int, default=3, help="Timed runs (best is kept).")
    parser.add_argument("--compare", type=Path, help="Folder with another 'pipeline' package.")
    parser.add_argument("--rounds", type=int, default=2, help="Alternations for --compare.")
    parser.add_argument("--keep", type=Path, help="Also copy the generated TMX here.")
    parser.add_argument("--out", type=Path, default=ROOT / "output" / "bench" / "check.json")
    parser.add_argument("--code", type=Path, default=ROOT, help=argparse.SUPPRESS)
    parser.add_argument("--child-time", type=Path, help=argparse.SUPPRESS)
    parser.add_argument("--child-export", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    sys.path.insert(0, str(args.code.resolve()))
    if args.child_time is not None:
        tus = None
        if args.child_export is not None:
            from pipeline.exchange.tmx import iter_tus

            tus = list(iter_tus(args.child_export))
        print(json.dumps(time_library(args.child_time, args.repeat, tus, Path.cwd())))
        return

    from pipeline.exchange.tmx import write_tus
    from pipeline.fsutil import atomic_write_text

    work = Path(tempfile.mkdtemp(prefix="bench-check-"))
    try:
        tus, corpus = build_tus(args.units, args.data, args.share)
        tmx = work / "bench.tmx"
        write_tus(tmx, tus, {"x-bench": "check"}, creationdate="20240101T000000Z")
        if args.keep:
            shutil.copyfile(tmx, args.keep)
        result = {"units": len(tus), "tmx_mb": round(tmx.stat().st_size / 1e6, 1),
                  "corpus": corpus, "library": time_library(tmx, args.repeat, tus, work),
                  "peak_rss_mb": round(_rss_mb(), 1), "cli": time_cli(tmx, work)}
        if args.compare is not None:
            result["compare"] = compare(args.compare.resolve(), tmx, args.repeat, args.rounds,
                                        work)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    lib = result["library"]
    result["targets"] = {
        "check_units_per_s": TARGET_CHECK, "check_met": lib["check_units_per_s"] >= TARGET_CHECK,
        "export_units_per_s": TARGET_EXPORT,
        "export_met": lib["export_units_per_s"] >= TARGET_EXPORT,
    }
    result["machine"] = {"python": platform.python_version(), "cpus": os.cpu_count(),
                         "load_avg": [round(x, 2) for x in os.getloadavg()],
                         "date": time.strftime("%Y-%m-%d %H:%M"),
                         "note": "shared CPU cores; timings are indicative"}
    print(_table(result))
    print(f"load average {result['machine']['load_avg'][0]}")
    atomic_write_text(args.out, json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
