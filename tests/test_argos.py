"""The argos engine on the tiny real fixture package (random weights: nonsense output)."""

from __future__ import annotations

import hashlib
import json
import shutil
import unicodedata
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from argos_fixture import PACKAGE_NAME, argos_package_file  # noqa: F401
from engine_contract import EngineContract

from pipeline.engines import argos_packages as ap
from pipeline.engines.argos import ArgosEngine, ArgosSettings
from pipeline.engines.base import ENGINES
from pipeline.errors import UserError
from pipeline.units import MTRequest, Term

WIC = Term("世界互联网大会", "World Internet Conference")
CSF = Term("网络空间命运共同体", "community with a shared future in cyberspace")
SOURCES = [
    "第十届世界互联网大会乌镇峰会开幕。",
    "你好",
    "",
    "浙江经济发展合作很好，我们今天参加会议，讨论了很多问题。",
    "构建网络空间命运共同体。",
]
TERMS: list[list[Term]] = [[WIC], [], [], [], [CSF]]


@pytest.fixture(scope="module")
def packages(
    tmp_path_factory: pytest.TempPathFactory,
    argos_package_file: Path,  # noqa: F811
) -> Iterator[Path]:
    """ARGOS_PACKAGES_DIR holding the installed fixture package, for this module."""
    root = tmp_path_factory.mktemp("argos-packages")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("ARGOS_PACKAGES_DIR", str(root))
        ap.install(argos_package_file)
        yield root


@pytest.fixture(scope="module")
def engine(packages: Path) -> Iterator[ArgosEngine]:
    with ArgosEngine(settings=ArgosSettings(beam_size=2, batch_size=2, threads=1)) as loaded:
        yield loaded


def test_registered_and_available(packages: Path) -> None:
    assert ENGINES["argos"] is ArgosEngine
    assert ArgosEngine.available() is None


def test_unavailable_without_package_says_how(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("ARGOS_PACKAGES_DIR", str(tmp_path))
    message = ArgosEngine.available()
    assert message and "tmpipe models install" in message and ".argosmodel" in message
    with pytest.raises(UserError, match="tmpipe models install"):
        ArgosEngine()


def test_translates_a_batch_of_five(engine: ArgosEngine, packages: Path) -> None:
    done: list[int] = []
    results = engine.translate_batch([MTRequest(s) for s in SOURCES], TERMS, progress=done.append)
    assert len(results) == 5 and sum(done) == 5
    model_bin = packages / PACKAGE_NAME / "model/model.bin"
    for result, source in zip(results, SOURCES, strict=True):
        assert result.engine == "argos"
        assert result.model == f"{PACKAGE_NAME}@0.1"
        assert result.model_sha256 == hashlib.sha256(model_bin.read_bytes()).hexdigest()
        assert bool(result.text) == bool(source)
    assert results[2].text == "" and results[2].raw == ""
    for result, terms in zip(results, TERMS, strict=True):
        for term in terms:
            assert term.target in result.text
            assert term.target not in result.raw
            if "zx" not in result.raw.lower():  # the random model dropped the placeholder
                assert any("post-edit" in note for note in result.notes)
    again = engine.translate_batch([MTRequest(s) for s in SOURCES], TERMS)
    assert [r.text for r in again] == [r.text for r in results]


class EchoTranslator:
    """Stands in for ctranslate2.Translator: returns the source tokens (a perfect copier)."""

    def __init__(self) -> None:
        self.calls: list[list[int]] = []

    def translate_batch(self, batch: list[list[str]], **options: object) -> list:
        self.calls.append([len(tokens) for tokens in batch])
        return [SimpleNamespace(hypotheses=[list(tokens)]) for tokens in batch]


def test_batches_sorted_by_length_results_in_input_order(packages: Path) -> None:
    engine = ArgosEngine(settings=ArgosSettings(batch_size=2, threads=1))
    echo = EchoTranslator()
    engine.translator = echo
    results = engine.translate_batch([MTRequest(s) for s in SOURCES], TERMS)
    lengths = [n for call in echo.calls for n in call]
    assert lengths == sorted(lengths) and len(lengths) == 4
    assert all(len(call) <= 2 for call in echo.calls)
    # SentencePiece applies NFKC (fullwidth comma → ","); the echo shows exactly that
    assert results[1].text == "你好"
    assert results[3].text == unicodedata.normalize("NFKC", SOURCES[3])
    assert "ZX0" in results[0].raw
    assert results[0].text == "第十届 World Internet Conference 乌镇峰会开幕。"
    assert results[4].text == "构建 community with a shared future in cyberspace。"
    assert results[0].notes == [] and results[4].notes == []


def test_package_option_accepts_name_or_folder(packages: Path) -> None:
    by_name = ArgosEngine(package=PACKAGE_NAME, settings=ArgosSettings(threads=1))
    by_path = ArgosEngine(package=packages / PACKAGE_NAME, settings=ArgosSettings(threads=1))
    assert by_name.model == by_path.model == f"{PACKAGE_NAME}@0.1"
    with pytest.raises(UserError, match="no argos package"):
        ArgosEngine(package="translate-xx_yy")


def test_refuses_wrong_pair_and_corrupt_model(packages: Path, tmp_path: Path) -> None:
    wrong = tmp_path / "translate-en_de"
    shutil.copytree(packages / PACKAGE_NAME, wrong)
    meta = json.loads((wrong / "metadata.json").read_text())
    (wrong / "metadata.json").write_text(json.dumps({**meta, "from_code": "en", "to_code": "de"}))
    with pytest.raises(UserError, match="en→de, not zh→en"):
        ArgosEngine(package=wrong)
    broken = tmp_path / "broken"
    shutil.copytree(packages / PACKAGE_NAME, broken)
    (broken / "model/model.bin").write_bytes(b"not a model")
    with pytest.raises(UserError, match="cannot load the package's model") as err:
        ArgosEngine(package=broken)
    assert str(broken) in str(err.value)
    shutil.copy(packages / PACKAGE_NAME / "model/model.bin", broken / "model/model.bin")
    (broken / "sentencepiece.model").write_bytes(b"not a tokenizer")
    with pytest.raises(UserError, match="cannot load the package's model"):
        ArgosEngine(package=broken)


def test_rejects_bad_batch_options(packages: Path) -> None:
    with pytest.raises(UserError):
        ArgosEngine(settings=ArgosSettings(beam_size=0))
    engine = ArgosEngine(settings=ArgosSettings(threads=1))
    with pytest.raises(ValueError):
        engine.translate_batch([MTRequest("你好")], [])


class TestArgosContract(EngineContract):
    """The engine contract on the fixture package."""

    @pytest.fixture
    def engine(self, packages: Path) -> ArgosEngine:
        return ArgosEngine(settings=ArgosSettings(beam_size=2, batch_size=2, threads=1))
