"""Translation-memory benchmark: import, fuzzy lookup, TMX export and re-import.

    .venv/bin/python bench/bench_tm.py [--data ../shared/data/jiyu-zh-en.tsv.gz] [--limit N]

Imports the pairs (less 1,000 held-out sentences) into a fresh memory, times 1,000
lookups of the held-out sentences (p50/p95), exports the memory as TMX and imports that
TMX into a second memory. Prints a table and writes ``output/bench/tm.json``.
"""

from __future__ import annotations

import argparse
import json
import platform
import random
import resource
import shutil
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from pipeline.exchange.tmx import iter_tus, write_tus  # noqa: E402
from pipeline.fsutil import atomic_write_text  # noqa: E402
from pipeline.memory import TranslationMemory, iter_tsv_pairs  # noqa: E402

DEFAULT_DATA = ROOT.parent / "shared" / "data" / "jiyu-zh-en.tsv.gz"


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def _count_lines(path: Path, limit: int | None) -> int:
    count = 0
    for _ in iter_tsv_pairs(path):
        count += 1
        if limit and count >= limit:
            break
    return count


def _training_pairs(path: Path, held: set[int], queries: list[str], limit: int | None):
    for index, (source, target) in enumerate(iter_tsv_pairs(path)):
        if limit and index >= limit:
            return
        if index in held:
            queries.append(source)
        else:
            yield source, target


def bench_import(data: Path, db: Path, limit: int | None, n_queries: int) -> tuple[dict, list]:
    total = _count_lines(data, limit)
    held = set(random.Random(7).sample(range(total), min(n_queries, total // 10)))
    queries: list[str] = []
    started = time.perf_counter()
    with TranslationMemory(db) as tm:
        added = tm.import_pairs(_training_pairs(data, held, queries, limit), origin="tm-import")
    seconds = time.perf_counter() - started
    return {"pairs": total - len(held), "stored": added, "seconds": round(seconds, 2),
            "units_per_s": round(added / seconds), "peak_rss_mb": round(_rss_mb(), 1),
            "db_mb": round(db.stat().st_size / 1e6, 1)}, queries


def _lookup_pass(tm: TranslationMemory, queries: list[str]) -> tuple[list[float], int, int]:
    times, hits, exact = [], 0, 0
    for query in queries:
        started = time.perf_counter()
        matches = tm.lookup(query, fuzzy_min=75, limit=5)
        times.append((time.perf_counter() - started) * 1000)
        hits += bool(matches)
        exact += bool(matches) and matches[0].score >= 100
    times.sort()
    return times, hits, exact


def bench_lookup(db: Path, queries: list[str]) -> dict:
    """Two passes over the queries: the first on a cold cache, the second warm."""
    with TranslationMemory(db) as tm:
        cold, hits, exact = _lookup_pass(tm, queries)
        warm, _, _ = _lookup_pass(tm, queries)
    return {"queries": len(queries), "p50_ms": round(statistics.median(warm), 2),
            "p95_ms": round(warm[int(len(warm) * 0.95) - 1], 2),
            "max_ms": round(warm[-1], 2), "cold_p50_ms": round(statistics.median(cold), 2),
            "cold_p95_ms": round(cold[int(len(cold) * 0.95) - 1], 2),
            "with_match": hits, "exact": exact}


def bench_tmx(db: Path, work: Path) -> dict:
    tmx = work / "export.tmx"
    started = time.perf_counter()
    with TranslationMemory(db) as tm:
        exported = write_tus(tmx, (u.to_tu() for u in tm.iter_units()), {"x-bench": "1"})
    export_s = time.perf_counter() - started
    started = time.perf_counter()
    parsed = sum(1 for _ in iter_tus(tmx))
    parse_s = time.perf_counter() - started
    started = time.perf_counter()
    with TranslationMemory(work / "reimport.sqlite") as tm:
        reimported = tm.import_file(tmx)
    reimport_s = time.perf_counter() - started
    return {"exported": exported, "tmx_mb": round(tmx.stat().st_size / 1e6, 1),
            "export_units_per_s": round(exported / export_s),
            "parse_units_per_s": round(parsed / parse_s),
            "reimport_units": reimported, "reimport_units_per_s": round(reimported / reimport_s)}


def _table(result: dict) -> str:
    imp, look, tmx = result["import"], result["lookup"], result["tmx"]
    rows = [
        ("import", f"{imp['stored']:,} units in {imp['seconds']} s = {imp['units_per_s']:,}/s, "
                   f"peak RSS {imp['peak_rss_mb']} MB, db {imp['db_mb']} MB"),
        ("lookup", f"{look['queries']} held-out queries: p50 {look['p50_ms']} ms, "
                   f"p95 {look['p95_ms']} ms, max {look['max_ms']} ms (first, cold pass: "
                   f"p50 {look['cold_p50_ms']} ms, p95 {look['cold_p95_ms']} ms), "
                   f"{look['with_match']} with a match ≥75 ({look['exact']} exact)"),
        ("tmx export", f"{tmx['exported']:,} units, {tmx['export_units_per_s']:,}/s, "
                       f"{tmx['tmx_mb']} MB"),
        ("tmx parse", f"{tmx['parse_units_per_s']:,} units/s (iter_tus)"),
        ("tmx import", f"{tmx['reimport_units']:,} units, {tmx['reimport_units_per_s']:,}/s"),
    ]
    return "\n".join(f"{name:<11} {text}" for name, text in rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--limit", type=int, default=None, help="Use only the first N pairs.")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--out", type=Path, default=ROOT / "output" / "bench" / "tm.json")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"bench_tm: skipped, data not found: {args.data}")
        return
    work = Path(tempfile.mkdtemp(prefix="bench-tm-"))
    try:
        imported, queries = bench_import(args.data, work / "tm.sqlite", args.limit, args.queries)
        result = {"import": imported, "lookup": bench_lookup(work / "tm.sqlite", queries),
                  "tmx": bench_tmx(work / "tm.sqlite", work)}
    finally:
        shutil.rmtree(work, ignore_errors=True)
    result["machine"] = {"python": platform.python_version(), "cpu": platform.processor(),
                         "note": "shared CPU cores; timings are indicative"}
    print(_table(result))
    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"written {args.out}")


if __name__ == "__main__":
    main()
