"""Issue 10, bad input end to end through the CLI: one line naming the file (and line),
exit 2, no traceback, and nothing the user had is changed or left half written."""

from __future__ import annotations

import errno
import hashlib
import http.server
import os
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from argos_fixture import argos_package_file  # noqa: F401
from click.testing import CliRunner, Result
from conftest import REPO, SEED

from pipeline import fsutil
from pipeline.cli import main
from pipeline.memory import TranslationMemory

TEXT = "世界互联网大会乌镇峰会开幕。\n今年是峰会第十年，2023年11月8日开幕。\n"
TRADITIONAL = "網際網路大會在烏鎮舉行。\n今年是峰會第十年。\n"
SECRET = "TOPSECRET-5f1c"
HEADER = ('<header srclang="zh-CN" datatype="plaintext" segtype="sentence" adminlang="en" '
          'o-tmf="t" creationtool="t" creationtoolversion="1"/>')
TU = ('<tu tuid="1"><tuv xml:lang="zh-CN"><seg>世界互联网大会</seg></tuv>'
      '<tuv xml:lang="en"><seg>World Internet Conference</seg></tuv></tu>')
GLOSSARY = REPO / "glossary" / "wic.tsv"


# ----------------------------------------------------------------------------- helpers


def invoke(args: list[str], env: dict[str, str] | None = None) -> Result:
    return CliRunner().invoke(main, [str(a) for a in args], env=env)


def assert_user_error(result: Result, path: Path, line: int | None = None,
                      match: str = "", code: int = 2) -> str:
    """Exit ``code``, no traceback, one stderr line naming ``path`` (and ``line``)."""
    assert not isinstance(result.exception, Exception) or isinstance(
        result.exception, SystemExit), repr(result.exception)
    assert result.exit_code == code, result.output
    assert "Traceback" not in result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    where = f"tmpipe: error: {path}:{line}: " if line else f"tmpipe: error: {path}"
    assert lines[0].startswith(where), lines[0]
    assert match in lines[0], lines[0]
    return lines[0]


def snapshot(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` with its bytes (temp files included)."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture(scope="module")
def argos_env(tmp_path_factory: pytest.TempPathFactory,
              argos_package_file: Path,  # noqa: F811
              ) -> dict[str, str]:
    """Environment with ARGOS_PACKAGES_DIR holding the installed fixture package."""
    from pipeline.engines import argos_packages as ap

    root = tmp_path_factory.mktemp("argos-packages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARGOS_PACKAGES_DIR", str(root))
        ap.install(argos_package_file)
    return {"ARGOS_PACKAGES_DIR": str(root)}


@pytest.fixture
def old_outputs(tmp_path: Path) -> Path:
    """An output folder holding a previous run's five files (sentinel content)."""
    out = tmp_path / "out"
    out.mkdir()
    for name in ("doc.tmx", "doc.en.txt", "segments.jsonl", "report.json", "report.html"):
        (out / name).write_text(f"previous {name}\n", encoding="utf-8")
    return out


def run_args(source: Path, tmp_path: Path, out: Path, *extra: str) -> list[str]:
    return ["run", str(source), "--engine", "argos", "--tm", str(tmp_path / "tm.sqlite"),
            "--out", str(out), "--doc-id", "doc", "--no-glossary", "-q", *extra]


# ----------------------------------------------------------------------------- source text

BAD_SOURCES = [
    ("empty", b"", None, "source document is empty"),
    ("whitespace", " \r\n\t\r\n\u3000\n".encode(), None, "source document is empty"),
    ("nul", "第一行。\n第二\x00行。\n".encode(), 2, "NUL byte"),
    ("utf16-no-bom", TEXT.encode("utf-16-le"), 1, "NUL byte"),
    ("garbage-high-bytes", bytes(range(0x80, 0x100)) * 8, 1, "not UTF-8 text"),
    ("garbage-binary", b"\x7fELF\x02\x01\x01" + bytes(range(256)) * 4, 1, "NUL byte"),
    ("control", "第一行。\n第二行\x1b[31m。\n".encode(), 2, "control character U+001B"),
    ("bad-utf8-then-ascii", b"ok line\n" + "中文".encode()[:-1] + b"\n", 2, "not UTF-8"),
]


@pytest.mark.parametrize(("name", "data", "line", "message"), BAD_SOURCES,
                         ids=[c[0] for c in BAD_SOURCES])
def test_bad_source_is_refused_and_outputs_are_intact(
    tmp_path: Path, old_outputs: Path, name: str, data: bytes, line: int | None, message: str
) -> None:
    source = tmp_path / f"{name}.txt"
    source.write_bytes(data)
    before = snapshot(old_outputs)
    result = invoke(run_args(source, tmp_path, old_outputs))
    assert_user_error(result, source, line, message)
    assert snapshot(old_outputs) == before
    assert not (tmp_path / "tm.sqlite").exists()


def test_missing_and_folder_sources(tmp_path: Path) -> None:
    missing = tmp_path / "absent.txt"
    assert_user_error(invoke(run_args(missing, tmp_path, tmp_path / "o")), missing,
                      match="not found")
    folder = tmp_path / "folder.txt"
    folder.mkdir()
    result = invoke(["segment", folder])  # click's own usage error: exit 2, no traceback
    assert result.exit_code == 2 and "is a directory" in result.stderr
    assert "Traceback" not in result.output


ACCEPTED = [
    ("utf8-bom", b"\xef\xbb\xbf" + TEXT.encode()),
    ("utf16-bom", TEXT.encode("utf-16")),
    ("crlf", TEXT.replace("\n", "\r\n").encode()),
    ("gbk", TEXT.encode("gbk")),
    ("gb18030-crlf", TEXT.replace("\n", "\r\n").encode("gb18030")),
]


@pytest.mark.parametrize(("name", "data"), ACCEPTED, ids=[c[0] for c in ACCEPTED])
def test_accepted_encodings_segment_like_utf8(tmp_path: Path, name: str, data: bytes) -> None:
    plain = tmp_path / "plain.txt"
    plain.write_text(TEXT, encoding="utf-8")
    other = tmp_path / f"{name}.txt"
    other.write_bytes(data)
    expected = invoke(["segment", plain])
    got = invoke(["segment", other])
    assert expected.exit_code == got.exit_code == 0, got.output
    assert got.stdout == expected.stdout and "世界互联网大会" in got.stdout


def test_gbk_and_traditional_sources_run_end_to_end(
    tmp_path: Path, argos_env: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes(TEXT.replace("\n", "\r\n").encode("gbk"))
    result = invoke(run_args(gbk, tmp_path, tmp_path / "o1"), env=argos_env)
    assert result.exit_code == 0, result.output
    assert f"{gbk}: not UTF-8; decoded as gb18030" in caplog.text
    tmx = (tmp_path / "o1" / "doc.tmx").read_text(encoding="utf-8")
    assert "<seg>世界互联网大会乌镇峰会开幕。</seg>" in tmx

    caplog.clear()
    trad = tmp_path / "trad.txt"
    trad.write_bytes(TRADITIONAL.encode("big5"))
    result = invoke(run_args(trad, tmp_path, tmp_path / "o2"), env=argos_env)
    assert result.exit_code == 0, result.output
    assert f"{trad}: not UTF-8; decoded as big5" in caplog.text
    assert f"{trad}: looks like traditional Chinese" in caplog.text
    assert "網際網路大會在烏鎮舉行。" in (tmp_path / "o2" / "doc.tmx").read_text(encoding="utf-8")


def test_50mb_single_line_is_refused_fast_in_bounded_memory(tmp_path: Path) -> None:
    """A file without line breaks is refused (file:1) before segmentation; measured in a
    child process: time and peak RSS (the line guard lives in ``textio.read_text``)."""
    source = tmp_path / "oneline.txt"
    chunk = ("世界互联网大会乌镇峰会开幕。" * 1000).encode()
    with open(source, "wb") as fh:
        while fh.tell() < 50_000_000:
            fh.write(chunk)
    code, _, stderr, peak_mb, seconds = run_measured(
        ["run", str(source), "--engine", "argos", "--tm", str(tmp_path / "tm.sqlite"),
         "--out", str(tmp_path / "o"), "--no-glossary", "-q"], tmp_path)
    print(f"50 MB single line: refused in {seconds:.1f} s, peak RSS {peak_mb:.0f} MB")
    assert code == 2, stderr
    message = stderr.strip()
    assert message.count("\n") == 0 and message.startswith(f"tmpipe: error: {source}:1: line is")
    assert not (tmp_path / "o").exists() and not (tmp_path / "tm.sqlite").exists()
    assert peak_mb < 600 and seconds < 60


#: Spawns the measured command from a small process: a child forked from pytest (which may
#: hold the LLM by then) would report pytest's resident size as its own peak.
_MEASURE = (
    "import os, subprocess, sys, time\n"
    "t = time.perf_counter()\n"
    "p = subprocess.Popen(sys.argv[1:])\n"
    "_, status, usage = os.wait4(p.pid, 0)\n"
    "print(os.waitstatus_to_exitcode(status), usage.ru_maxrss, time.perf_counter() - t,\n"
    "      file=open(os.environ['MEASURED_TO'], 'w'))\n"
)


def run_measured(args: list[str], cwd: Path) -> tuple[int, str, str, float, float]:
    """Run ``python -m pipeline ARGS``; exit code, stdout, stderr, peak RSS (MB), seconds."""
    out, err, stats = cwd / ".measured.out", cwd / ".measured.err", cwd / ".measured.stats"
    with open(out, "wb") as fo, open(err, "wb") as fe:
        subprocess.run([sys.executable, "-c", _MEASURE, sys.executable, "-m", "pipeline", *args],
                       cwd=cwd, stdout=fo, stderr=fe, check=True,
                       env={**os.environ, "MEASURED_TO": str(stats)})
    code, maxrss_kb, seconds = stats.read_text().split()
    texts = out.read_text(encoding="utf-8"), err.read_text(encoding="utf-8")
    for path in (out, err, stats):
        path.unlink()
    return int(code), texts[0], texts[1], int(maxrss_kb) / 1024, float(seconds)


# ----------------------------------------------------------------------------- TMX


def _tmx(body: str = TU, header: str = HEADER, doctype: str = "", root: str = "tmx") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}<{root} version="1.4">\n'
            f"{header}\n<body>\n{body}\n</body>\n</{root}>\n")


def _laughs() -> str:
    entities = ['<!ENTITY l0 "lol">'] + [
        f'<!ENTITY l{i} "{("&l" + str(i - 1) + ";") * 10}">' for i in range(1, 10)]
    return "<!DOCTYPE tmx [" + "".join(entities) + "]>\n"


def bad_tmx_cases(secret_file: Path) -> list[tuple[str, str, int | None, str]]:
    uri = secret_file.as_uri()
    return [
        ("malformed", _tmx(TU + "\n<tu>"), 7, "malformed TMX"),
        ("wrong-root", _tmx(root="xliff"), 2, "root element is <xliff>"),
        ("no-srclang", _tmx(header='<header datatype="plaintext"/>'), 3, "no srclang"),
        ("no-source-tuv", _tmx('<tu><tuv xml:lang="en"><seg>a</seg></tuv>'
                               '<tuv xml:lang="fr"><seg>b</seg></tuv></tu>'), 5, "source language"),
        ("no-target-tuv", _tmx('<tu><tuv xml:lang="zh-CN"><seg>中文</seg></tuv></tu>'), 5,
         "target language"),
        ("tuv-without-lang", _tmx('<tu><tuv><seg>中文</seg></tuv></tu>'), 5, "xml:lang"),
        ("billion-laughs", _tmx('<tu><tuv xml:lang="zh"><seg>&l9;</seg></tuv>'
                                '<tuv xml:lang="en"><seg>x</seg></tuv></tu>', doctype=_laughs()),
         3, "entities"),
        ("external-entity-file",
         _tmx('<tu><tuv xml:lang="zh"><seg>中&x;</seg></tuv><tuv xml:lang="en"><seg>&x;</seg>'
              '</tuv></tu>', doctype=f'<!DOCTYPE tmx [<!ENTITY x SYSTEM "{uri}">]>\n'),
         3, "entities"),
        ("parameter-entity-file",
         _tmx(doctype=f'<!DOCTYPE tmx [<!ENTITY % p SYSTEM "{uri}"> %p;]>\n'), 3, "entities"),
        ("empty", "", None, "malformed TMX"),
        ("binary", "\x01\x02garbage", 1, "malformed TMX"),
    ]


@pytest.fixture
def secret_file(tmp_path: Path) -> Path:
    path = tmp_path / "secret.txt"
    path.write_text(SECRET + "\n", encoding="utf-8")
    return path


@pytest.fixture
def filled_tm(tmp_path: Path) -> Path:
    """A TM with one unit, closed (WAL checkpointed) so its bytes can be compared."""
    path = tmp_path / "keep.sqlite"
    with TranslationMemory(path) as tm:
        tm.import_pairs([("乌镇峰会", "Wuzhen Summit")])
    return path


def test_bad_tmx_is_refused_by_import_check_and_review(
    tmp_path: Path, secret_file: Path, filled_tm: Path
) -> None:
    tm_before = digest(filled_tm)
    html = tmp_path / "review.html"
    html.write_text("previous review\n", encoding="utf-8")
    for name, text, line, message in bad_tmx_cases(secret_file):
        path = tmp_path / f"{name}.tmx"
        path.write_text(text, encoding="utf-8", errors="surrogateescape")
        for args in (["tm", "import", path, "--tm", filled_tm],
                     ["check", path, "--glossary", GLOSSARY],
                     ["review", path, "-o", html]):
            result = invoke(args)
            shown = assert_user_error(result, path, line, message)
            assert SECRET not in result.output, (name, args[0], shown)
    assert digest(filled_tm) == tm_before
    assert html.read_text(encoding="utf-8") == "previous review\n"
    assert sorted(p.name for p in tmp_path.iterdir() if p.name.startswith(".")) == []


class _CountingHandler(http.server.BaseHTTPRequestHandler):
    requests: list[str] = []

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        type(self).requests.append(self.path)
        body = f'<!ENTITY x "{SECRET}">'.encode()
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def http_server() -> Iterator[str]:
    """A local HTTP server serving a DTD with an entity; counts the requests it gets."""
    _CountingHandler.requests = []
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), _CountingHandler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


class _FifoWatch:
    """A FIFO whose ``opened`` event is set when anyone opens it for reading."""

    def __init__(self, path: Path):
        self.path = path
        os.mkfifo(path)
        self.opened = threading.Event()
        self.thread = threading.Thread(target=self._serve, daemon=True)
        self.thread.start()

    def _serve(self) -> None:
        with open(self.path, "w", encoding="utf-8") as fh:  # blocks until a reader opens it
            self.opened.set()
            fh.write(f'<!ENTITY x "{SECRET}">\n')

    def close(self) -> None:
        fd = os.open(self.path, os.O_RDONLY | os.O_NONBLOCK)  # release the writer
        self.thread.join(timeout=5)
        os.close(fd)


def test_external_dtd_and_entities_are_never_fetched(
    tmp_path: Path, http_server: str
) -> None:
    """A DOCTYPE or entity pointing at a local file (a FIFO that records being opened)
    or at a URL (a local server that counts requests) is never read: the file is not
    opened, the server gets no request, and the secret appears in no output."""
    fifo = _FifoWatch(tmp_path / "secret.dtd")
    tm_path = tmp_path / "tm.sqlite"
    seg = '<tu><tuv xml:lang="zh-CN"><seg>中文&x;</seg></tuv><tuv xml:lang="en"><seg>en&x;</seg>' \
          '</tuv></tu>'
    try:
        cases = {
            "dtd-file": _tmx(seg, doctype=f'<!DOCTYPE tmx SYSTEM "{fifo.path.as_uri()}">\n'),
            "dtd-relative": _tmx(seg, doctype='<!DOCTYPE tmx SYSTEM "secret.dtd">\n'),
            "dtd-url": _tmx(seg, doctype=f'<!DOCTYPE tmx SYSTEM "{http_server}/tmx.dtd">\n'),
            "entity-url": _tmx(seg, doctype=f'<!DOCTYPE tmx [<!ENTITY x SYSTEM '
                                            f'"{http_server}/x">]>\n'),
            "pe-url": _tmx(TU, doctype=f'<!DOCTYPE tmx [<!ENTITY % p SYSTEM "{http_server}/p">'
                                      ' %p;]>\n'),
        }
        outputs = []
        for name, text in cases.items():
            path = tmp_path / f"{name}.tmx"
            path.write_text(text, encoding="utf-8")
            html = tmp_path / f"{name}.html"
            for args in (["tm", "import", path, "--tm", tm_path],
                         ["check", path, "--glossary", GLOSSARY],
                         ["review", path, "-o", html]):
                result = invoke(args)
                assert result.exit_code in (0, 1, 2), result.output
                assert "Traceback" not in result.output
                outputs.append(result.output)
            if html.exists():
                outputs.append(html.read_text(encoding="utf-8"))
        export = tmp_path / "export.tmx"
        if tm_path.exists():
            assert invoke(["tm", "export", "--tm", tm_path, "-o", export]).exit_code == 0
            outputs.append(export.read_text(encoding="utf-8"))
        assert not fifo.opened.is_set(), "the local DTD was opened"
        assert _CountingHandler.requests == [], "the URL was fetched"
        assert all(SECRET not in text for text in outputs)
    finally:
        fifo.close()


def test_undefined_entity_is_refused_not_dropped(tmp_path: Path) -> None:
    path = tmp_path / "entity.tmx"
    path.write_text(_tmx('<tu><tuv xml:lang="zh-CN"><seg>中文&x;</seg></tuv>'
                         '<tuv xml:lang="en"><seg>Chinese&x;</seg></tuv></tu>',
                         doctype='<!DOCTYPE tmx SYSTEM "tmx14.dtd">\n'), encoding="utf-8")
    result = invoke(["tm", "import", path, "--tm", tmp_path / "tm.sqlite"])
    assert_user_error(result, path, 6, "entity")


@pytest.mark.skipif(os.environ.get("TMPIPE_SLOW") != "1", reason="slow: set TMPIPE_SLOW=1")
def test_200mb_tmx_imports_in_bounded_memory(tmp_path: Path) -> None:
    """``tmpipe tm import`` streams a generated 200 MB TMX; peak RSS of the child is reported."""
    path = tmp_path / "big.tmx"
    count = 0
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(_tmx("").split("<body>")[0] + "<body>\n")
        while fh.tell() < 200_000_000:
            lines = []
            for _ in range(1000):
                count += 1
                lines.append(
                    f'<tu tuid="{count}"><prop type="x-doc">big</prop>'
                    f'<tuv xml:lang="zh-CN"><seg>第{count}条：世界互联网大会乌镇峰会于'
                    f"今年{count % 12 + 1}月开幕，与会代表讨论了网络空间命运共同体。</seg>"
                    '</tuv><tuv xml:lang="en"><seg>'
                    f"Item {count}: the World Internet Conference Wuzhen Summit opened in month "
                    f"{count % 12 + 1}; delegates discussed a community with a shared future in "
                    "cyberspace.</seg></tuv></tu>\n")
            fh.write("".join(lines))
        fh.write("</body>\n</tmx>\n")
    size_mb = path.stat().st_size / 1e6
    code, stdout, stderr, peak_mb, seconds = run_measured(
        ["tm", "import", str(path), "--tm", str(tmp_path / "tm.sqlite")], tmp_path)
    assert code == 0, stderr
    assert f"imported {count} new units" in stdout
    print(f"200 MB TMX: {size_mb:.0f} MB, {count} units, {seconds:.0f} s, "
          f"peak RSS {peak_mb:.0f} MB")
    assert peak_mb < 400


# ----------------------------------------------------------------------------- glossary


def test_glossary_validate_lists_every_error_with_lines(tmp_path: Path) -> None:
    path = tmp_path / "bad.tsv"
    path.write_text("source\ttarget\n世界互联网大会\tWorld Internet Conference\n"
                    "世界互联网大会\tWIC\n\tempty source\n乌镇\t\n乌镇\tWuzhen\tx\ty\tz\tw\n",
                    encoding="utf-8")
    result = invoke(["glossary", "validate", path])
    assert result.exit_code == 2 and "Traceback" not in result.output
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert [e.split(":")[2] for e in errors] == ["3", "4", "5", "6"]
    assert all(f"error: {path}:" in e for e in errors)


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("empty.tsv", b"", "glossary is empty"),
        ("header-only.tsv", b"source\ttarget\n", "no terms"),
        ("a-tmx.tsv", _tmx().encode(), "this is a TMX translation memory"),
        ("a-tmx.tmx", _tmx().encode(), "this is a TMX translation memory"),
        ("binary.tsv", b"\x00\x01\x02\x03", "NUL byte"),
    ],
)
def test_unusable_glossary_is_refused_everywhere(
    tmp_path: Path, name: str, data: bytes, message: str
) -> None:
    path = tmp_path / name
    path.write_bytes(data)
    source = tmp_path / "doc.txt"
    source.write_text(TEXT, encoding="utf-8")
    tmx = tmp_path / "ok.tmx"
    tmx.write_text(_tmx(), encoding="utf-8")
    for args in (["run", source, "--glossary", path, "--tm", tmp_path / "tm.sqlite",
                  "--out", tmp_path / "o", "--engine", "argos", "-q"],
                 ["check", tmx, "--glossary", path]):
        assert_user_error(invoke(args), path, None, message)
    result = invoke(["glossary", "validate", path])
    assert result.exit_code == 2 and message in result.stderr
    assert not (tmp_path / "o").exists() and not (tmp_path / "tm.sqlite").exists()


# ----------------------------------------------------------------------------- model packages


def test_truncated_package_via_cli_keeps_installed_package(
    tmp_path: Path, argos_env: dict[str, str],
    argos_package_file: Path,  # noqa: F811
) -> None:
    packages = Path(argos_env["ARGOS_PACKAGES_DIR"])
    before = snapshot(packages)
    data = argos_package_file.read_bytes()
    for cut in (100, len(data) // 3, len(data) - 1):
        path = tmp_path / f"cut{cut}.argosmodel"
        path.write_bytes(data[:cut])
        assert_user_error(invoke(["models", "install", path], env=argos_env), path)
    assert snapshot(packages) == before


# ----------------------------------------------------------------------------- paths


@pytest.fixture
def small_source(tmp_path: Path) -> Path:
    path = tmp_path / "small.txt"
    path.write_text(TEXT, encoding="utf-8")
    return path


def test_output_folder_under_a_regular_file(
    tmp_path: Path, small_source: Path, argos_env: dict[str, str]
) -> None:
    blocker = tmp_path / "plain-file"
    blocker.write_text("not a folder\n", encoding="utf-8")
    out = blocker / "out"
    result = invoke(run_args(small_source, tmp_path, out), env=argos_env)
    assert_user_error(result, out, None, "cannot write")  # names the folder it cannot make
    assert blocker.read_text(encoding="utf-8") == "not a folder\n"
    # the translations were committed before the outputs: a rerun elsewhere reuses them
    with TranslationMemory(tmp_path / "tm.sqlite") as tm:
        assert tm.stats()["units"] == 2


@pytest.mark.skipif(os.geteuid() == 0, reason="root can write into a read-only folder")
def test_read_only_output_folder(
    tmp_path: Path, small_source: Path, old_outputs: Path, argos_env: dict[str, str]
) -> None:
    before = snapshot(old_outputs)
    old_outputs.chmod(0o555)
    try:
        result = invoke(run_args(small_source, tmp_path, old_outputs), env=argos_env)
    finally:
        old_outputs.chmod(0o755)
    assert_user_error(result, old_outputs / "doc.tmx", None, "cannot write")
    assert snapshot(old_outputs) == before


@pytest.mark.parametrize("fail_at", [1, 3, 5])
def test_disk_full_while_writing_outputs(
    tmp_path: Path, small_source: Path, old_outputs: Path, argos_env: dict[str, str],
    monkeypatch: pytest.MonkeyPatch, fail_at: int
) -> None:
    """ENOSPC on the N-th output file: exit 2 naming that file; all five outputs are the
    previous ones (they are replaced together or not at all); no temp file is left."""
    before = snapshot(old_outputs)
    calls = {"n": 0}
    real_fsync = fsutil.os.fsync

    def fsync(fd: int) -> None:
        calls["n"] += 1
        if calls["n"] == fail_at:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        real_fsync(fd)

    monkeypatch.setattr(fsutil.os, "fsync", fsync)
    result = invoke(run_args(small_source, tmp_path, old_outputs), env=argos_env)
    order = ["doc.tmx", "doc.en.txt", "segments.jsonl", "report.json", "report.html"]
    failed = old_outputs / order[fail_at - 1]
    assert_user_error(result, failed, None, "No space left on device")
    after = snapshot(old_outputs)
    assert sorted(after) == sorted(before), "a temp file was left behind"
    assert after == before


def test_tm_that_is_not_sqlite_is_left_alone(tmp_path: Path, small_source: Path) -> None:
    for name, data in (("notes.sqlite", b"my notes, not a database\n" * 100),
                       ("truncated.sqlite", None)):
        path = tmp_path / name
        if data is None:
            real = tmp_path / "real.sqlite"
            with TranslationMemory(real) as tm:
                tm.import_pairs([(f"句子{i}", f"Sentence {i}") for i in range(200)])
            data = real.read_bytes()[:5000]
        path.write_bytes(data)
        for args in (["run", small_source, "--tm", path, "--out", tmp_path / "o",
                      "--engine", "argos", "--no-glossary", "-q"],
                     ["tm", "import", _write_ok_tmx(tmp_path), "--tm", path],
                     ["tm", "stats", "--tm", path]):
            expected = "not a translation memory" if name == "notes.sqlite" else "damaged"
            assert_user_error(invoke(args), path, None, expected)
        assert path.read_bytes() == data
        assert not Path(f"{path}-wal").exists() or Path(f"{path}-wal").stat().st_size == 0
    assert not (tmp_path / "o").exists()


def _write_ok_tmx(tmp_path: Path) -> Path:
    path = tmp_path / "ok.tmx"
    path.write_text(_tmx(), encoding="utf-8")
    return path


def _refused_everywhere(path: Path, tmp_path: Path, source: Path, message: str) -> None:
    for args in (["run", source, "--tm", path, "--out", tmp_path / "o",
                  "--engine", "argos", "--no-glossary", "-q"],
                 ["tm", "import", _write_ok_tmx(tmp_path), "--tm", path],
                 ["tm", "export", "--tm", path, "-o", tmp_path / "x.tmx"]):
        assert_user_error(invoke(args), path, None, message)
    assert not (tmp_path / "o").exists() and not (tmp_path / "x.tmx").exists()


def test_tm_from_a_newer_schema_is_refused_untouched(tmp_path: Path, small_source: Path,
                                                     filled_tm: Path) -> None:
    conn = sqlite3.connect(filled_tm)
    conn.execute("UPDATE schema_version SET version = 99")
    conn.commit()
    conn.close()
    before = digest(filled_tm)
    _refused_everywhere(filled_tm, tmp_path, small_source,
                        "schema version 99, newer than this tmpipe supports (2); upgrade")
    assert digest(filled_tm) == before


def test_sqlite_file_of_another_program_is_refused(tmp_path: Path, small_source: Path) -> None:
    foreign = tmp_path / "photos.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    _refused_everywhere(foreign, tmp_path, small_source, "not a tmpipe translation memory")


def test_sqlite_file_of_another_program_is_not_modified(tmp_path: Path) -> None:
    foreign = tmp_path / "photos.sqlite"
    conn = sqlite3.connect(foreign)
    conn.execute("CREATE TABLE photos (id INTEGER)")
    conn.commit()
    conn.close()
    before = foreign.read_bytes()
    assert_user_error(invoke(["tm", "stats", "--tm", foreign]), foreign, None, "not a tmpipe")
    assert foreign.read_bytes() == before


def test_seed_article_is_read_without_notes(caplog: pytest.LogCaptureFixture) -> None:
    """The bundled simplified article gets no traditional note and passes the line guard."""
    from pipeline.textio import read_text

    assert read_text(SEED)
    assert "traditional" not in caplog.text
