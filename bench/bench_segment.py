"""Segmenter benchmark: ``segment_document`` on a 10 MB Chinese text.

    .venv/bin/python bench/bench_segment.py [--mb 10] [--layout auto|lines] [--repeat 1]

The text is the bundled article (``segments/zjrb-2023-11-07/source.zh.txt``) repeated
until it reaches ``--mb`` megabytes of UTF-8, one blank line between copies. The
measured part runs in a child process so that its peak RSS is its own: the child
reports the RSS after building the text (before segmenting) and the peak after. Prints
a table and writes ``output/bench/segment.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

SEED = ROOT / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
TARGET_MB_S = 1.0


def build_text(seed: Path, megabytes: float) -> str:
    """The seed repeated (blank line between copies) to at least ``megabytes`` MB of UTF-8."""
    text = seed.read_text(encoding="utf-8").replace("\r\n", "\n").strip("\n") + "\n\n"
    size = len(text.encode("utf-8"))
    copies = max(1, -(-int(megabytes * 1e6) // size))
    return text * copies


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(megabytes: float, layout: str, repeat: int) -> dict:
    """The measured part (run in a child process): build, then segment ``repeat`` times."""
    from pipeline.segment import segment_document
    from pipeline.segment.layout import iter_lines  # noqa: F401 - imported before timing

    # Warm up jieba's dictionary and the regexes on one copy, outside the timing.
    segment_document(SEED.read_text(encoding="utf-8"), layout=layout)
    text = build_text(SEED, megabytes)
    nbytes = len(text.encode("utf-8"))
    rss_before = _rss_mb()
    times = []
    doc = None
    for _ in range(repeat):
        doc = None
        started = time.perf_counter()
        doc = segment_document(text, layout=layout)
        times.append(time.perf_counter() - started)
    best = min(times)
    assert doc is not None
    return {
        "layout": layout,
        "mb": round(nbytes / 1e6, 2),
        "chars": len(text),
        "segments": len(doc.segments),
        "paragraphs": doc.paragraphs,
        "layout_notes": len(doc.layout),
        "seconds": round(best, 2),
        "all_seconds": [round(t, 2) for t in times],
        "segments_per_s": round(len(doc.segments) / best),
        "mb_per_s": round(nbytes / 1e6 / best, 2),
        "rss_before_mb": round(rss_before, 1),
        "peak_rss_mb": round(_rss_mb(), 1),
    }


def _table(results: list[dict]) -> str:
    rows = [f"{'layout':<7} {'MB':>6} {'segments':>9} {'s':>7} {'seg/s':>8} {'MB/s':>6} "
            f"{'RSS before':>11} {'peak RSS':>9}"]
    for r in results:
        rows.append(f"{r['layout']:<7} {r['mb']:>6} {r['segments']:>9,} {r['seconds']:>7} "
                    f"{r['segments_per_s']:>8,} {r['mb_per_s']:>6} {r['rss_before_mb']:>9} MB "
                    f"{r['peak_rss_mb']:>6} MB")
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mb", type=float, default=10.0, help="Size of the text (MB).")
    parser.add_argument("--layout", choices=("auto", "lines", "both"), default="both")
    parser.add_argument("--repeat", type=int, default=1, help="Timed runs (best is kept).")
    parser.add_argument("--out", type=Path, default=ROOT / "output" / "bench" / "segment.json")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(child(args.mb, args.layout, args.repeat)))
        return
    layouts = ("auto", "lines") if args.layout == "both" else (args.layout,)
    results = []
    for layout in layouts:
        proc = subprocess.run(
            [sys.executable, __file__, "--child", "--mb", str(args.mb), "--layout", layout,
             "--repeat", str(args.repeat)],
            cwd=ROOT, check=True, capture_output=True, text=True,
        )
        results.append(json.loads(proc.stdout.strip().splitlines()[-1]))
    result = {
        "runs": results,
        "target_mb_per_s": TARGET_MB_S,
        "meets_target": all(r["mb_per_s"] >= TARGET_MB_S for r in results),
        "machine": {"python": platform.python_version(), "cpus": os.cpu_count(),
                    "load_avg": [round(x, 2) for x in os.getloadavg()],
                    "date": time.strftime("%Y-%m-%d %H:%M"),
                    "note": "shared CPU cores; timings are indicative"},
    }
    print(_table(results))
    print(f"target >= {TARGET_MB_S} MB/s: {'met' if result['meets_target'] else 'NOT met'}"
          f" (load average {result['machine']['load_avg'][0]})")
    from pipeline.fsutil import atomic_write_text

    atomic_write_text(args.out, json.dumps(result, indent=2) + "\n")
    print(f"written {args.out.relative_to(ROOT) if args.out.is_relative_to(ROOT) else args.out}")


if __name__ == "__main__":
    main()
