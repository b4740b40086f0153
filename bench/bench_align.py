"""Reference alignment at scale: wall time and peak memory of ``tmpipe align`` and
``tmpipe score --ref`` on long documents (one-line paragraphs, a merged reference line
that forces sentence alignment, and one-character paragraphs).

Usage: python bench/bench_align.py [--sizes 8000,50000] [--chars 400000]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]


def write_pair(folder: Path, name: str, count: int, merged: bool) -> tuple[Path, Path]:
    """A Chinese source and an English reference of ``count`` one-line paragraphs."""
    zh = [f"第{i}段记者报道会议在乌镇召开。" for i in range(count)]
    en = [f"Paragraph {i}: the reporter says the meeting opened in Wuzhen." for i in range(count)]
    if merged:  # one reference line holds two paragraphs: counts differ, sentence alignment
        en[10:12] = [en[10] + " " + en[11]]
    source, reference = folder / f"{name}.zh.txt", folder / f"{name}.en.txt"
    source.write_text("\n".join(zh) + "\n", encoding="utf-8")
    reference.write_text("\n".join(en) + "\n", encoding="utf-8")
    return source, reference


def measure(args: list[str]) -> tuple[float, float, int]:
    """Seconds, peak RSS (MB) and exit code of ``python -m pipeline ARGS``."""
    started = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "-m", "pipeline", *args], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(proc.pid, 0)
    seconds = time.perf_counter() - started
    proc.returncode = os.waitstatus_to_exitcode(status)
    return seconds, usage.ru_maxrss / 1024, proc.returncode


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", default="8000,50000")
    parser.add_argument("--chars", type=int, default=400_000)
    options = parser.parse_args()
    print(f"{'case':<34} {'command':<7} {'seconds':>8} {'peak MB':>8} {'exit':>4}")
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        cases = []
        for size in (int(s) for s in options.sizes.split(",") if s):
            for merged in (False, True):
                name = f"{size}-{'merged' if merged else 'lines'}"
                cases.append((f"{size:,} paragraphs" + (", one merged" if merged else ""),
                              *write_pair(folder, name, size, merged)))
        if options.chars:
            source, reference = folder / "chars.zh.txt", folder / "chars.en.txt"
            source.write_text("好\n" * options.chars, encoding="utf-8")
            reference.write_text("a\n" * options.chars, encoding="utf-8")
            cases.append((f"{options.chars:,} one-character paragraphs", source, reference))
        for label, source, reference in cases:
            tmx = folder / "out.tmx"
            for command, args in (
                ("align", ["align", str(source), str(reference), "-o", str(tmx)]),
                ("score", ["score", str(tmx), "--ref", str(reference)]),
            ):
                seconds, peak, code = measure(args)
                print(f"{label:<34} {command:<7} {seconds:8.1f} {peak:8.0f} {code:>4}", flush=True)


if __name__ == "__main__":
    main()
