"""Review workspace benchmark: first paint in Chromium and save latency at 156 and 5,000 segments.

For each size a run is made with ``flow.run`` (the bundled article; for the large size its
segments cycled one per line, numbered to keep them distinct) by a stand-in engine that
writes a plain English sentence carrying the source's numbers: the workspace is measured,
not MT. The workspace is then served on a
free port over the real memory; Chromium (Debian's, through Playwright) opens it and we read:

- first paint: navigation start → the first page of rows painted (``tmpipe-first-rows``
  mark: the page, its script, ``GET /api/units`` and 200 rows);
- page turn: the next 200 rows painted after a click on ▶;
- scrolling: frame times while the page of rows scrolls top to bottom, 600 px per frame;
- save latency: wall time of ``POST /api/units/N`` (edit + QA + glossary + memory
  transaction) over HTTP, ``--saves`` edits of different segments; and ``GET /api/units``.

Prints a table and writes ``output/bench/review.json``.
``.venv/bin/python bench/bench_review.py [--sizes 156 5000] [--saves 40] [--loads 3]``
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import re
import statistics
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from pipeline.engines.base import Engine, EngineOutput  # noqa: E402
from pipeline.units import MTRequest, Term  # noqa: E402

ARTICLE = REPO / "segments" / "zjrb-2023-11-07" / "source.zh.txt"
GLOSSARY = REPO / "glossary" / "wic.tsv"
CHROMIUM = Path("/usr/bin/chromium")
TOKEN = "bench-review-token"
_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")


class StandInEngine(Engine):
    """Plain English with the source's numbers and term renderings (not a translation)."""

    name = "bench"
    model = "stand-in"
    model_sha256 = ""

    @classmethod
    def available(cls) -> str | None:
        return None

    def _translate(self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
                   ) -> Iterator[tuple[int, EngineOutput]]:
        for i, (request, seg_terms) in enumerate(zip(segments, terms, strict=True)):
            words = ["The", "segment", "of", "length", *_NUMBER.findall(request.source)]
            words += [t.target for t in seg_terms]
            text = " ".join(words) + "."
            yield i, EngineOutput(text=text, raw=text)


def make_run(work: Path, size: int) -> tuple[Path, Path, int]:
    """A run of ``size`` segments (156: the bundled article as it is)."""
    from pipeline import flow
    from pipeline.segment import segment_document

    if size == 156:
        source, layout = ARTICLE, "auto"
    else:
        text = ARTICLE.read_text(encoding="utf-8")
        sentences = [s.text for s in segment_document(text).segments if s.translatable]
        source, layout = work / "large.zh.txt", "lines"
        lines = (f"（{i + 1}）{sentences[i % len(sentences)]}\n" for i in range(size))
        source.write_text("".join(lines), encoding="utf-8")
    engine = StandInEngine()
    options = flow.RunOptions(source=source, doc_id=f"bench{size}", out_dir=work / "out",
                              tm_path=work / "tm.sqlite", glossary=GLOSSARY, layout=layout,
                              reference=None, batch_size=64)
    result = flow.run(options, flow.Hooks(engine_factory=lambda name, **kw: engine))
    return work / "out", work / "tm.sqlite", len(result.units)


PAGE_TURN = """async () => {
  const started = performance.now();
  document.getElementById('next-page').click();
  await new Promise(r => requestAnimationFrame(() => setTimeout(r, 0)));
  return performance.now() - started;
}"""

SCROLL = """async () => {
  const grid = document.getElementById('grid');
  const frames = [];
  let last = performance.now();
  while (grid.scrollTop + grid.clientHeight < grid.scrollHeight - 1) {
    grid.scrollTop += 600;
    await new Promise(r => requestAnimationFrame(r));
    const now = performance.now();
    frames.push(now - last);
    last = now;
  }
  return frames;
}"""


def _marks(page) -> dict:
    return page.evaluate("""() => Object.fromEntries(performance.getEntriesByType('mark')
        .map(m => [m.name, m.startTime]))""")


def measure_page(url: str, loads: int) -> dict:
    from playwright.sync_api import sync_playwright

    first, turns, scroll = [], [], []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                    args=["--no-sandbox", "--disable-gpu"])
        for _ in range(loads):
            context = browser.new_context(viewport={"width": 1400, "height": 900})
            page = context.new_page()
            page.goto(url)
            page.wait_for_selector("body[data-ready=all]", timeout=120_000)
            page.wait_for_function("() => performance.getEntriesByName('tmpipe-first-rows')"
                                   ".length > 0", timeout=120_000)
            first.append(_marks(page)["tmpipe-first-rows"])
            scroll.extend(page.evaluate(SCROLL))
            if page.is_enabled("#next-page"):
                turns.append(page.evaluate(PAGE_TURN))
            context.close()
        browser.close()
    scroll.sort()
    return {"first_rows_ms": round(statistics.median(first)),
            "page_turn_ms": round(statistics.median(turns)) if turns else None,
            "scroll_frames": len(scroll),
            "scroll_frame_p50_ms": round(statistics.median(scroll), 1),
            "scroll_frame_p95_ms": round(scroll[int(0.95 * (len(scroll) - 1))], 1),
            "scroll_frame_max_ms": round(scroll[-1], 1)}


def measure_saves(base: str, count: int, saves: int) -> dict:
    import httpx

    headers = {"X-Tmpipe-Token": TOKEN}
    with httpx.Client(base_url=base, headers=headers, timeout=60) as client:
        started = time.perf_counter()
        units = client.get("/api/units").json()["units"]
        listing = (time.perf_counter() - started) * 1000
        step = max(1, len(units) // saves)
        timings = []
        for unit in units[::step][:saves]:
            body = {"target": unit["target"] + " Edited.", "state": "translated",
                    "version": unit["version"]}
            started = time.perf_counter()
            response = client.post(f"/api/units/{unit['n']}", json=body)
            timings.append((time.perf_counter() - started) * 1000)
            response.raise_for_status()
    timings.sort()
    return {"listing_ms": round(listing, 1), "saves": len(timings),
            "save_p50_ms": round(statistics.median(timings), 1),
            "save_p95_ms": round(timings[int(0.95 * (len(timings) - 1))], 1),
            "save_max_ms": round(timings[-1], 1)}


def bench(size: int, saves: int, loads: int) -> dict:
    from pipeline.review import BackgroundServer, open_workspace

    with tempfile.TemporaryDirectory() as tmp:
        run_dir, tm_path, count = make_run(Path(tmp), size)
        started = time.perf_counter()
        workspace = open_workspace(run_dir, tm_path, GLOSSARY, "bench")
        opened = (time.perf_counter() - started) * 1000
        with BackgroundServer(workspace, TOKEN) as server:
            page = measure_page(server.url, loads)
            save = measure_saves(server.base, count, saves)
    return {"segments": count, "workspace_open_ms": round(opened), **page, **save}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes", type=int, nargs="+", default=[156, 5000])
    parser.add_argument("--saves", type=int, default=40)
    parser.add_argument("--loads", type=int, default=3, help="page loads per size (median)")
    args = parser.parse_args()
    if not CHROMIUM.exists():
        sys.exit(f"{CHROMIUM} missing: install Debian's chromium (make browser)")
    rows = [bench(size, args.saves, args.loads) for size in args.sizes]
    header = ("segments", "first paint ms", "page turn ms", "scroll frame p95/max ms",
              "GET /api/units ms", "save p50/p95 ms")
    print(" | ".join(header))
    for r in rows:
        print(" | ".join((str(r["segments"]), str(r["first_rows_ms"]), str(r["page_turn_ms"]),
                          f"{r['scroll_frame_p95_ms']}/{r['scroll_frame_max_ms']}",
                          str(r["listing_ms"]), f"{r['save_p50_ms']}/{r['save_p95_ms']}")))
    out = REPO / "output" / "bench" / "review.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({
        "date": time.strftime("%Y-%m-%d"), "python": platform.python_version(),
        "load_average": os.getloadavg(), "results": rows}, indent=2) + "\n", encoding="utf-8")


if __name__ == "__main__":
    main()
