"""Batch benchmark: ``tmpipe batch`` on a corpus of ≥ 20 documents, in process and on Ray.

The corpus: the bundled article cut into documents, news40 cut into documents, each
document carrying the same boilerplate lines, and two documents that republish others'
paragraphs. Every configuration starts from an empty memory and translates the same
segments with the default engine: 1 worker in process, 1 Ray worker, 2 Ray workers (local).
Prints MT segments per minute, the segments skipped thanks to cross-document reuse and
Ray's overhead per MT call, and writes ``output/bench/batch.json``.

``--article-lines`` and ``--news`` cut the corpus down (the real model needs about 2 s per
segment on 2 cores); ``make bench`` runs the whole corpus.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.batch.driver import BatchHooks, BatchOptions, run_batch  # noqa: E402
from pipeline.batch.executors import RayExecutor  # noqa: E402

ARTICLE = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
NEWS40 = REPO / "bench" / "quality" / "news40.tsv"
GLOSSARY = REPO / "glossary" / "wic.tsv"
MIN_DOCUMENTS = 22
BOILERPLATE = (
    "来源：浙江日报",
    "责任编辑：王伟",
    "本文版权归浙江日报所有，未经授权不得转载。",
)


def build_corpus(folder: Path, article_lines: int | None, news: int | None,
                 article_docs: int = 10, news_docs: int = 10,
                 documents_min: int = MIN_DOCUMENTS) -> list[Path]:
    """Write the documents; returns their paths in batch order.

    The article's lines and the news sentences are cut into up to ``article_docs`` and
    ``news_docs`` documents; documents that republish two earlier documents' first
    paragraphs are added until there are ``documents_min``; every document ends with the
    boilerplate lines.
    """
    lines = [line for line in ARTICLE.read_text(encoding="utf-8").splitlines() if line.strip()]
    lines = lines[:article_lines] if article_lines else lines
    rows = NEWS40.read_text(encoding="utf-8").splitlines()[1:]
    sentences = [row.split("\t")[0] for row in rows if row.strip()][:news]
    documents: list[list[str]] = []
    for chunks, count in ((lines, article_docs), (sentences, news_docs)):
        size = max(1, -(-len(chunks) // count))
        documents += [chunks[i:i + size] for i in range(0, len(chunks), size)]
    originals = len(documents)
    for n in range(max(2, documents_min - originals)):
        documents.append([documents[n % originals][0], documents[(n + 1) % originals][0]])
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for n, paragraphs in enumerate(documents, start=1):
        path = folder / f"doc{n:02d}.zh.txt"
        path.write_text("\n\n".join([*paragraphs, *BOILERPLATE]) + "\n", encoding="utf-8")
        paths.append(path)
    return paths


def run_config(corpus: Path, workdir: Path, workers: int, ray: bool, engine: str) -> dict:
    """One batch from an empty memory; the executor's record and the batch's totals."""
    options = BatchOptions(inputs=[str(corpus)], out_dir=workdir / "out",
                           tm_path=workdir / "tm.sqlite", glossary=GLOSSARY, engine=engine,
                           workers=workers)
    hooks = BatchHooks()
    if ray and workers == 1:  # one worker runs in process unless told otherwise
        hooks.executor = lambda o: RayExecutor(o.engine, o.engine_options, workers=1)
    started = time.perf_counter()
    result = run_batch(options, hooks)
    wall = time.perf_counter() - started
    totals = result.totals()
    executor = result.executor
    mt_segments = totals["mt_translated"]
    mt_wall = executor["wall_s"]
    groups = max(1, executor["groups"])
    return {
        "workers": workers, "ray": ray, "wall_s": round(wall, 2),
        "documents": totals["documents"], "segments": totals["translated"],
        "mt_segments": mt_segments, "batch_reused": totals["batch_reused"],
        "mt_wall_s": mt_wall, "engine_s": executor["engine_s"],
        "load_s": executor["load_s"], "calls": executor["calls"], "groups": executor["groups"],
        "segments_per_minute": round(60 * mt_segments / max(1e-9, mt_wall), 2),
        "overhead_per_call_ms": executor["overhead_per_call_ms"],
        "overhead_per_group_ms": round(
            1000 * max(0.0, mt_wall - executor["engine_s"] / workers) / groups, 2),
        "failures": totals["failed"],
    }


def main() -> None:
    # a loaded machine starts Ray's node manager slowly; give it time rather than fail
    os.environ.setdefault("RAY_raylet_start_wait_time_s", "120")
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--article-lines", type=int, default=None,
                        help="Use only the article's first N non-empty lines.")
    parser.add_argument("--news", type=int, default=None, help="Use only N news40 sentences.")
    parser.add_argument("--engine", default="auto")
    parser.add_argument("--configs", default="inprocess,ray1,ray2",
                        help="Comma-separated: inprocess, ray1, ray2.")
    args = parser.parse_args()
    configs = {"inprocess": (1, False), "ray1": (1, True), "ray2": (2, True)}
    results = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        paths = build_corpus(tmp_path / "corpus", args.article_lines, args.news)
        for name in args.configs.split(","):
            workers, ray = configs[name]
            print(f"running {name} ...", file=sys.stderr, flush=True)
            row = run_config(tmp_path / "corpus", tmp_path / name, workers, ray, args.engine)
            results.append({"config": name, **row})
    data = {
        "date": time.strftime("%Y-%m-%d"), "python": sys.version.split()[0],
        "cpu_count": os.cpu_count(), "loadavg": os.getloadavg(),
        "corpus": {"documents": len(paths), "article_lines": args.article_lines,
                   "news": args.news, "boilerplate_lines": len(BOILERPLATE)},
        "engine": args.engine, "results": results,
    }
    out = REPO / "output" / "bench" / "batch.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(data, indent=2), encoding="utf-8")
    print(f"batch of {len(paths)} documents, {os.cpu_count()} cores, load "
          f"{os.getloadavg()[0]:.1f}")
    print(f"  {'config':<10} {'segments':>8} {'MT':>5} {'reused':>6} {'MT wall':>8} "
          f"{'seg/min':>8} {'load':>6} {'overhead/call':>13} {'/group':>8}")
    for r in results:
        print(f"  {r['config']:<10} {r['segments']:>8} {r['mt_segments']:>5} "
              f"{r['batch_reused']:>6} {r['mt_wall_s']:>7.1f}s {r['segments_per_minute']:>8.1f} "
              f"{r['load_s']:>5.1f}s {r['overhead_per_call_ms']:>11.1f}ms "
              f"{r['overhead_per_group_ms']:>6.1f}ms")
    print(f"  wrote {out.relative_to(REPO)}")


if __name__ == "__main__":
    main()
