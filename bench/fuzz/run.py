"""Large-budget fuzzing (hypothesis) of the readers, doc-ids, terminal output and memories.

Targets: TMX reader, glossary reader, segmenter, doc-ids, control characters (terminal
output, TSV import), numeric TMX props (review, score), damaged memories (every ``tm``
command), named pipes (bounded readers, TSV import).

Usage: ``python bench/fuzz/run.py [--examples N] [--target NAME ...]
[--json FILE]``. Each target gets N generated inputs (default 2000) built from format
fragments, random text and random bytes. A *crash* is any exception other than
:class:`pipeline.errors.UserError` (the one-line refusal users see) or a broken invariant;
hypothesis shrinks it to a minimal input, which is printed. Exit 1 when a target crashed.
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sqlite3
import sys
import tempfile
import time
import traceback
from collections import Counter
from collections.abc import Callable
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))

from pipeline.errors import UserError  # noqa: E402

WORK = Path(tempfile.mkdtemp(prefix="tmpipe-fuzz-"))

# ----------------------------------------------------------------------------- inputs

TMX_FRAGMENTS = [
    '<?xml version="1.0" encoding="UTF-8"?>', '<?xml version="1.0" encoding="GB18030"?>',
    '<!DOCTYPE tmx SYSTEM "tmx14.dtd">', '<!DOCTYPE tmx [<!ENTITY a "aa">]>',
    '<tmx version="1.4">', "</tmx>", '<header srclang="zh-CN" datatype="plaintext"/>',
    '<header srclang="*all*">', "</header>", "<header/>", "<body>", "</body>",
    '<tu tuid="1">', "<tu>", "</tu>", '<tu srclang="en">', '<tuv xml:lang="zh-CN">',
    '<tuv xml:lang="en">', '<tuv lang="EN-us">', "<tuv>", "</tuv>", "<seg>", "</seg>",
    "世界互联网大会", "World Internet Conference", '<ph type="x-ctrl">U+0001</ph>',
    '<ph type="x-ctrl">U+D800</ph>', '<ph type="x-ctrl">U+110000</ph>', "<bpt i=\"1\">&lt;b&gt;",
    "</bpt>", '<ept i="1">&lt;/b&gt;</ept>', "<hi>", "</hi>", "<sub>", "</sub>",
    '<prop type="x-origin">mt</prop>', '<prop type="x-paragraph">x</prop>',
    '<prop type="x-match">nan</prop>', '<prop type="x-terms">a → b | c</prop>',
    "<note>n</note>", "&amp;", "&#0;", "&#xD800;", "&#1;", "&a;", "<![CDATA[x]]>",
    "<!-- c -->", "<?pi x?>", "\n", " ",
]
PIECES = ["世界", "互联网", "大会", "乌镇", "峰会", "开幕", "本报记者", "摄", "（上接第一版）",
          "。", "，", "；", "！", "？", "……", "“", "”", "《", "》", "（", "）", "、", "：",
          "2023年", "11月8日", "15.6%", "0571-85910479", "www.wicinternet.org", "U.S.", "Mr.",
          "GSMA", "5G", " ", "\u3000", "\n", "\n\n", "责任编辑：张三", "a@b.cn", "!", "?", ".",
          "编者按", "第十届", "3万多", "\t", "本报讯（记者 李四）", "——", "·"]
GLOSSARY_FRAGMENTS = [
    "source\ttarget\tvariants\tforbidden\tnote\n", "source,target,variants,forbidden,note\n",
    "世界互联网大会", "World Internet Conference", "\t", ",", "|", '"', "\n", "\r\n", "#",
    "5G", "Wuzhen", "WIC", "乌镇", " ", "\ufeff", "<martif>", "<termEntry>", "</termEntry>",
    '<langSet xml:lang="zh">', '<langSet xml:lang="en">', "</langSet>", "<tig><term>",
    "</term></tig>", '<termNote type="administrativeStatus">deprecatedTerm-admn-sts</termNote>',
    "</martif>", "<tmx>", "&amp;", "\x00",
]


def _mixed(fragments: list[str], size: int) -> st.SearchStrategy[bytes]:
    part = (st.sampled_from(fragments).map(str.encode) | st.text(max_size=4).map(
        lambda t: t.encode("utf-8", "surrogatepass")) | st.binary(max_size=4))
    return st.lists(part, max_size=size).map(b"".join)


TMX_VALID_HEAD = (b'<?xml version="1.0"?>\n<tmx version="1.4"><header srclang="zh-CN"/>'
                  b"<body>")
LANGS = ["zh-CN", "zh", "ZH-hans", "en", "en-US", "EN", "fr", "", "zh_TW"]
INLINE = ['<ph type="x-ctrl">U+0001</ph>', '<bpt i="1">&lt;b&gt;</bpt>', '<ept i="1">&lt;/b&gt;'
          "</ept>", "<hi>x</hi>", '<ph type="x-ctrl">U+ZZZZ</ph>', "<it pos=\"begin\">x</it>",
          "<sub>s</sub>", "&#13;", "&#x9;", "&lt;", "<bad/>"]


def _xml_text(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;")


xml_chars = st.characters(exclude_categories=("Cs", "Cc")) | st.sampled_from("\t\n\r")
seg_content = st.lists(st.text(xml_chars, max_size=6).map(_xml_text) | st.sampled_from(INLINE),
                       max_size=6).map("".join)
tuv = st.builds(lambda lang, body: f'<tuv xml:lang="{lang}"><seg>{body}</seg></tuv>',
                st.sampled_from(LANGS), seg_content)


def tuv_in(langs: list[str]) -> st.SearchStrategy[str]:
    return st.builds(lambda lang, body: f'<tuv xml:lang="{lang}"><seg>{body}</seg></tuv>',
                     st.sampled_from(langs), seg_content)


prop = st.builds(lambda k, v: f'<prop type="{_xml_text(k)}">{_xml_text(v)}</prop>',
                 st.sampled_from(["x-origin", "x-paragraph", "x-match", "x-terms", "x-qa",
                                  "x-kind"]) | st.text(xml_chars, max_size=4),
                 st.text(xml_chars, max_size=10))
good_pair = st.tuples(tuv_in(["zh-CN", "zh", "ZH-hans"]), tuv_in(["en", "en-US", "EN"]))
tu = st.builds(lambda tuid, props, tuvs: f'<tu tuid="{_xml_text(tuid)}">{"".join(props)}'
               f'{"".join(tuvs)}</tu>\n',
               st.text(xml_chars, max_size=5).map(lambda t: t.replace('"', "")),
               st.lists(prop, max_size=3),
               st.one_of(good_pair, good_pair, good_pair, st.lists(tuv, max_size=3)))


def _corrupt(doc: bytes, at: int, junk: bytes) -> bytes:
    cut = at % (len(doc) + 1)
    return doc[:cut] + junk + doc[cut:]


structured_tmx = st.builds(lambda tus: TMX_VALID_HEAD + "".join(tus).encode() + b"</body></tmx>",
                           st.lists(tu, max_size=8))
tmx_inputs = (structured_tmx | structured_tmx
              | st.builds(_corrupt, structured_tmx, st.integers(0, 10**6),
                          _mixed(TMX_FRAGMENTS, 3))
              | _mixed(TMX_FRAGMENTS, 60))

cell = st.sampled_from(["世界互联网大会", "World Internet Conference", "乌镇", "Wuzhen", "5G",
                        "WIC|W.I.C.", "", " ", "网络空间", "a|b", "#x"]) | st.text(max_size=6)
row = st.lists(cell, min_size=1, max_size=6)
HEADERS = [["source", "target"], ["source", "target", "variants", "forbidden", "note"],
           ["Source", "Target", "extra"], ["target", "source"], ["src", "tgt"]]


def _table(header: list[str], rows: list[list[str]], sep: str, newline: str) -> bytes:
    if sep == ",":
        import csv
        import io

        buffer = io.StringIO()
        csv.writer(buffer, lineterminator=newline).writerows([header, *rows])
        return buffer.getvalue().encode("utf-8", "surrogatepass")
    return "".join(sep.join(r) + newline for r in [header, *rows]).encode("utf-8",
                                                                            "surrogatepass")


tables = st.builds(_table, st.sampled_from(HEADERS), st.lists(row, max_size=10),
                   st.sampled_from(["\t", ","]), st.sampled_from(["\n", "\r\n"]))
tbx = st.builds(
    lambda entries: ('<?xml version="1.0"?><martif type="TBX"><text><body>' + "".join(
        f'<termEntry><langSet xml:lang="{a}"><tig><term>{_xml_text(s)}</term></tig></langSet>'
        f'<langSet xml:lang="{b}"><tig><term>{_xml_text(t)}</term><termNote '
        f'type="administrativeStatus">{st_}</termNote></tig></langSet></termEntry>'
        for a, s, b, t, st_ in entries) + "</body></text></martif>").encode(
            "utf-8", "surrogatepass"),
    st.lists(st.tuples(st.sampled_from(["zh", "zh-CN", "en", "fr"]), cell,
                       st.sampled_from(["en", "en-GB", "zh", "de"]), cell,
                       st.sampled_from(["preferredTerm-admn-sts", "deprecatedTerm-admn-sts",
                                        "admitted", ""])), max_size=6))
glossary_bytes = tables | tbx | _mixed(GLOSSARY_FRAGMENTS, 50) | st.builds(
    _corrupt, tables | tbx, st.integers(0, 10**6), _mixed(GLOSSARY_FRAGMENTS, 2))
glossary_inputs = st.tuples(glossary_bytes,
                            st.sampled_from([".tsv", ".csv", ".tbx", ".txt", ".xml", ""]))
segment_inputs = st.lists(st.sampled_from(PIECES) | st.text(max_size=3), max_size=120).map(
    "".join).map(lambda t: re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\r]", "", t))


DOC_ID_PIECES = ["..", ".", "/", "\\", "a", "doc", "-", "_", " ", "\n", "\x1b", "\x00", "~",
                 "con", "zh", "\u202e", "\u3000", ":", "*"]
doc_id_inputs = st.lists(st.sampled_from(DOC_ID_PIECES) | st.text(max_size=3),
                         max_size=40).map("".join)
control_inputs = st.text(alphabet=st.characters(codec=None, max_codepoint=0x2100) |
                         st.sampled_from("\x1b\x07\x00\x7f\x9b\t\n\r\u202e"), max_size=40)
NUMBERS = ["²", "³", "٣", "1" * 4301, "-1", "1e9", "nan", "inf", "0", "12", " 7", "", "x"]
number_inputs = st.lists(st.tuples(st.sampled_from(NUMBERS) | st.text(max_size=5),
                                   st.sampled_from(NUMBERS) | st.text(max_size=5),
                                   st.sampled_from(NUMBERS) | st.text(max_size=5),
                                   st.sampled_from(NUMBERS) | st.text(max_size=5)),
                         min_size=1, max_size=4)
damage_inputs = st.lists(st.tuples(st.integers(min_value=100, max_value=1 << 20),
                                   st.binary(min_size=1, max_size=64)), min_size=1, max_size=8)
fifo_inputs = st.binary(max_size=4096) | _mixed(["今天\t", "Today\n", "\t", "\n", "\x1b",
                                                  "\x1f\x8b", "\x00"], 200)


# ----------------------------------------------------------------------------- targets


def fuzz_tmx(data: bytes) -> str:
    """Read any bytes as TMX: TUs or a UserError; what was read writes back and re-reads."""
    from pipeline.exchange.tmx import iter_tus, write_tus

    path = WORK / "in.tmx"
    path.write_bytes(data)
    try:
        tus = list(iter_tus(path))
    except UserError:
        return "refused"
    out = WORK / "out.tmx"
    write_tus(out, tus)
    again = list(iter_tus(out))
    assert [(t.source, t.target) for t in again] == [(t.source, t.target) for t in tus]
    return "read" if tus else "read-empty"


def fuzz_glossary(case: tuple[bytes, str]) -> str:
    """Load any bytes as a glossary: terms or a UserError; validate never raises; match runs."""
    from pipeline.glossary import load_glossary, validate_glossary

    data, suffix = case
    path = WORK / f"g{suffix}"
    path.write_bytes(data)
    report = validate_glossary(path)
    try:
        glossary = load_glossary(path)
    except UserError:
        assert not report.ok or report.terms == 0, "load refused what validate accepted"
        return "refused"
    text = data.decode("utf-8", "replace")
    matches = glossary.match(text)
    for m in matches:
        assert 0 <= m.start < m.end <= len(text)
    return "matched" if matches else "loaded"


def fuzz_segment(text: str) -> str:
    """Segment any decoded text in both layouts; segments cover every non-blank character."""
    from pipeline.segment import segment_document

    for layout in ("auto", "lines"):
        doc = segment_document(text, layout=layout)
        spans = sorted(span for s in doc.segments for span in s.spans)
        for s in doc.segments:
            assert "".join(text[a:b] for a, b in s.spans) == s.text and s.text.strip()
        for (_, end), (start, _) in zip(spans, spans[1:], strict=False):
            assert end <= start
        kept = "".join(text[a:b] for a, b in spans)
        assert re.sub(r"\s", "", kept) == re.sub(r"\s", "", text)
    return "segments" if doc.segments else "no-segments"


def _cli(args: list[object]) -> str:
    """Run ``tmpipe`` in-process: "ok", "refused" (exit 1/2) or raise the crash."""
    from click.testing import CliRunner

    from pipeline.cli import main as cli_main

    result = CliRunner().invoke(cli_main, [str(a) for a in args])
    if result.exception is not None and not isinstance(result.exception, SystemExit):
        raise result.exception
    assert "Traceback" not in result.output
    return "ok" if result.exit_code == 0 else "refused"


def fuzz_doc_id(doc_id: str) -> str:
    """An accepted doc-id always names files inside the output folder."""
    from pipeline.fsutil import check_doc_id

    if check_doc_id(doc_id) is not None:
        return "refused"
    out = (WORK / "out").resolve()
    for suffix in (".tmx", ".en.txt"):
        assert (out / f"{doc_id}{suffix}").resolve().parent == out, doc_id
    return "accepted"


def fuzz_control(text: str) -> str:
    """visible() leaves no control characters; TSV import refuses them or stores clean text."""
    from pipeline.memory import iter_tsv_pairs
    from pipeline.terminal import visible
    from pipeline.textio import CONTROL_CHARS

    shown = visible(text)
    assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", shown)
    path = WORK / "c.tsv"
    path.write_text(f"今天{text}\tToday {text}\n", encoding="utf-8", errors="surrogatepass")
    try:
        pairs = list(iter_tsv_pairs(path))
    except UserError:
        return "refused"
    assert all(not CONTROL_CHARS.search(s + t) for s, t in pairs)
    return "stored"


def fuzz_numbers(units: list[tuple[str, str, str, str]]) -> str:
    """Random tuids and numeric props through TMX: review and score never crash."""
    from xml.sax.saxutils import escape, quoteattr

    clean = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")
    body = "".join(
        f"<tu tuid={quoteattr(clean.sub('', tuid))}>"
        + "".join(f'<prop type="{k}">{escape(clean.sub("", v))}</prop>' for k, v in
                  (("x-paragraph", para), ("x-retries", retries), ("x-bleu", score)))
        + f'<tuv xml:lang="zh-CN"><seg>今天{i}。</seg></tuv><tuv xml:lang="en"><seg>Today '
        f"{i}.</seg></tuv></tu>" for i, (tuid, para, retries, score) in enumerate(units))
    path = WORK / "n.tmx"
    path.write_text(f'<?xml version="1.0"?><tmx version="1.4"><header srclang="zh-CN"/>'
                    f"<body>{body}</body></tmx>", encoding="utf-8")
    ref = WORK / "n.en.txt"
    ref.write_text("".join(f"Today {i}.\n" for i in range(len(units))), encoding="utf-8")
    outcomes = {_cli(["review", path, "--format", "text"]),
                _cli(["review", path, "-o", WORK / "n.html"]),
                _cli(["score", path, "--ref", ref])}
    return "+".join(sorted(outcomes))


_MEMORY: list[bytes] = []


def fuzz_damaged(flips: list[tuple[int, bytes]]) -> str:
    """Byte flips in a small memory: every tm command gives a result or a one-line error."""
    from pipeline.memory import TranslationMemory

    if not _MEMORY:
        seed = WORK / "seed.sqlite"
        with TranslationMemory(seed) as tm:
            tm.import_pairs([(f"第{i}句，今天天气很好。", f"Sentence {i}.") for i in range(400)])
        with sqlite3.connect(seed) as conn:
            conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        _MEMORY.append(seed.read_bytes())
    data = bytearray(_MEMORY[0])
    for at, junk in flips:
        at %= len(data)
        data[at:at + len(junk)] = junk
    db = WORK / "d.sqlite"
    for extra in ("-wal", "-shm"):
        Path(f"{db}{extra}").unlink(missing_ok=True)
    db.write_bytes(bytes(data[:len(_MEMORY[0])]))
    outcomes = {_cli(args) for args in (
        ["tm", "lookup", "第7句，今天天气很好。", "--tm", db], ["tm", "stats", "--tm", db],
        ["tm", "check", "--tm", db], ["tm", "export", "--tm", db, "-o", WORK / "d.tmx"])}
    return "+".join(sorted(outcomes))


def fuzz_fifo(data: bytes) -> str:
    """Random bytes through a named pipe: read_user_bytes and TSV import refuse or read."""
    import os
    import threading

    from pipeline.memory import iter_tsv_pairs
    from pipeline.textio import read_user_bytes

    path = WORK / "p.tsv"
    path.unlink(missing_ok=True)
    os.mkfifo(path)

    def feed() -> None:
        try:
            with open(path, "wb") as fh:
                fh.write(data)
        except BrokenPipeError:
            pass

    outcomes = []
    for read in (lambda: read_user_bytes(path, limit=2048), lambda: list(iter_tsv_pairs(path))):
        writer = threading.Thread(target=feed, daemon=True)
        writer.start()
        try:
            read()
            outcomes.append("read")
        except UserError:
            outcomes.append("refused")
        writer.join(timeout=10)
        assert not writer.is_alive(), "reader left the writer blocked"
    return "+".join(outcomes)


TARGETS: dict[str, tuple[Callable, st.SearchStrategy]] = {
    "tmx": (fuzz_tmx, tmx_inputs),
    "glossary": (fuzz_glossary, glossary_inputs),
    "segment": (fuzz_segment, segment_inputs),
    "doc-id": (fuzz_doc_id, doc_id_inputs),
    "control": (fuzz_control, control_inputs),
    "numbers": (fuzz_numbers, number_inputs),
    "damaged-memory": (fuzz_damaged, damage_inputs),
    "fifo": (fuzz_fifo, fifo_inputs),
}


# ----------------------------------------------------------------------------- driver


def run_target(name: str, examples: int) -> dict:
    func, strategy = TARGETS[name]
    outcomes: Counter[str] = Counter()

    def counted(value: object) -> None:
        outcomes["(running)"] += 1
        outcomes[func(value)] += 1
        outcomes["(running)"] -= 1

    test = settings(max_examples=examples, deadline=None, database=None,
                    suppress_health_check=list(HealthCheck))(given(strategy)(counted))
    started = time.perf_counter()
    crash = None
    try:
        test()
    except Exception as exc:  # noqa: BLE001 - a crash is what we are looking for
        crash = "".join(traceback.format_exception(exc))[-3000:]
    seconds = round(time.perf_counter() - started, 1)
    inputs = sum(outcomes.values())
    del outcomes["(running)"]
    return {"target": name, "inputs": inputs, "seconds": seconds, "outcomes": dict(outcomes),
            "crash": crash}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--examples", type=int, default=2000)
    parser.add_argument("--target", action="append", choices=sorted(TARGETS))
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    logging.disable(logging.WARNING)  # encoding notes would flood the output
    results = []
    for name in args.target or list(TARGETS):
        result = run_target(name, args.examples)
        status = "CRASH" if result["crash"] else "ok"
        print(f"{name:14} {result['inputs']:7} inputs {result['seconds']:7.1f} s  {status}  "
              f"{result['outcomes']}", flush=True)
        if result["crash"]:
            print(result["crash"], flush=True)
        results.append(result)
    if args.json:
        args.json.write_text(json.dumps(results, indent=2, ensure_ascii=False), encoding="utf-8")
    return 1 if any(r["crash"] for r in results) else 0


if __name__ == "__main__":
    sys.exit(main())
