"""End-to-end benchmark: ``tmpipe run`` on the bundled article, from an empty TM and again.

Prints a table and writes ``output/bench/e2e.json``. Run with ``make bench`` or
``.venv/bin/python bench/bench_e2e.py [--engine llm] [--source FILE]``.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
TMPIPE = [sys.executable, "-m", "pipeline"]


def run_once(source: Path, tm: Path, out: Path, engine: str) -> dict:
    """Run tmpipe in a child process; return wall time, peak RSS and the report."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    t0 = time.perf_counter()
    subprocess.run(
        [*TMPIPE, "run", str(source), "--tm", str(tm), "--out", str(out), "--engine", engine,
         "--doc-id", "bench", "-q"],
        cwd=REPO, check=True,
    )
    wall = time.perf_counter() - t0
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss
    report = json.loads((out / "report.json").read_text(encoding="utf-8"))
    return {
        "wall_s": round(wall, 2),
        "peak_rss_mb": round(max(peak, before) / 1024, 1),
        "segments": report["segments"],
        "translated": len(report.get("units", [])) or report["segments"],
        "timings": report["timings"],
        "tm": report["tm"],
        "engine": report["engine"],
        "scores": report.get("scores"),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--source", type=Path,
                        default=REPO / "segments/zjrb-2023-11-07/source.zh.txt")
    parser.add_argument("--engine", default="auto")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        tm = tmp_path / "tm.sqlite"
        first = run_once(args.source, tm, tmp_path / "first", args.engine)
        second = run_once(args.source, tm, tmp_path / "second", args.engine)
    units = max(1, first["translated"])
    mt_share = first["timings"]["mt_s"] / max(1e-9, first["timings"]["total_s"])
    result = {
        "source": str(args.source.relative_to(REPO) if args.source.is_relative_to(REPO)
                      else args.source),
        "cpu_count": os.cpu_count(),
        "first": first,
        "second": second,
        "s_per_segment_first": round(first["wall_s"] / units, 3),
        "mt_share_first": round(mt_share, 3),
        "overhead_share_first": round(1 - mt_share, 3),
        "speedup_second": round(first["wall_s"] / max(1e-9, second["wall_s"]), 1),
        "model_loaded_second": second["engine"].get("loaded", None),
    }
    out = REPO / "output" / "bench" / "e2e.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False), encoding="utf-8")
    rows = [
        ("first run (empty TM)", f"{first['wall_s']:.1f} s", f"{result['s_per_segment_first']} "
         f"s/segment, MT {mt_share:.0%} of run, peak {first['peak_rss_mb']} MB"),
        ("second run (filled TM)", f"{second['wall_s']:.1f} s",
         f"{result['speedup_second']}x faster, model loaded: {result['model_loaded_second']}"),
    ]
    width = max(len(r[0]) for r in rows)
    print(f"e2e on {result['source']} ({units} translated segments, {os.cpu_count()} cores)")
    for name, wall, note in rows:
        print(f"  {name:<{width}}  {wall:>8}  {note}")
    if first.get("scores"):
        s = first["scores"]
        print(f"  scores: BLEU {s['bleu']:.1f}  chrF++ {s['chrf']:.1f}  TER {s['ter']:.1f}")
    print(f"  wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
