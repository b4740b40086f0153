"""The real embedded model on a handful of short seed sentences (slow: ``-m model``)."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest

from pipeline.engines import modelstore
from pipeline.engines.cleaning import cjk_words
from pipeline.engines.llm import LlmEngine
from pipeline.units import InlineCode, MTRequest, Term, Translation

pytestmark = pytest.mark.model

CYBER = Term("网络空间命运共同体", "community with a shared future in cyberspace")
WIC = Term("世界互联网大会", "World Internet Conference")
SEED = [
    ("今年是世界互联网大会乌镇峰会第十年。", [WIC]),
    ("自此,构建网络空间命运共同体成为峰会的永久主题。", [CYBER]),
    ("2015年,第二届世界互联网大会开幕式上,中国提出“网络空间命运共同体”倡议。", [WIC, CYBER]),
    ("记者:乌镇峰会在过去十年为世界发展进步带来了哪些积极影响?", []),
    ("人类比以往更需要开放共享", []),
]


@pytest.fixture(scope="session")
def engine() -> Iterator[LlmEngine]:
    why = LlmEngine.available()
    if why:
        pytest.skip(why)
    eng = LlmEngine(show_progress=False)
    yield eng
    eng.close()


@pytest.fixture(scope="session")
def translations(engine: LlmEngine) -> list[Translation]:
    requests = [MTRequest(src) for src, _ in SEED]
    return engine.translate_batch(requests, [terms for _, terms in SEED])


def test_english_without_chinese(translations: list[Translation]) -> None:
    for (src, _), t in zip(SEED, translations, strict=True):
        assert t.text, src
        assert not cjk_words(t.text), (src, t.text)
        assert len(re.findall(r"[A-Za-z]+", t.text)) >= 3, (src, t.text)


def test_glossary_renderings_present(translations: list[Translation]) -> None:
    for (src, terms), t in zip(SEED, translations, strict=True):
        for term in terms:
            assert term.target.lower() in t.text.lower(), (src, t.text)


def test_provenance_of_the_embedded_model(engine: LlmEngine,
                                          translations: list[Translation]) -> None:
    if engine.model_path == modelstore.embedded_model_path():
        assert translations[0].model_sha256 == modelstore.MODEL_SHA256
        assert translations[0].model == modelstore.MODEL_NAME
    assert all(t.engine == "llm" and t.raw for t in translations)


def test_numbers_survive(translations: list[Translation]) -> None:
    assert "2015" in translations[2].text


def test_inline_codes_through_the_model(engine: LlmEngine) -> None:
    """A bold name in a sentence: a clean English sentence, every code placed (edges allowed)."""
    from pipeline.documents.protect import protect_codes

    source = "今年是世界互联网大会乌镇峰会第十年。"
    codes = (InlineCode(1, "open", 3, "bold"), InlineCode(1, "close", 10, "bold"))
    (out,) = protect_codes(engine).translate_batch([MTRequest(source, codes=codes)], [[WIC]])
    assert out.codes is not None and out.codes.text == out.text
    assert not re.search(r"[<>]|ZX\d", out.text), out.text
    assert not cjk_words(out.text), out.text
    assert WIC.target.lower() in out.text.lower(), out.text
    assert sorted((c.id, c.kind) for c in out.codes.codes) == [(1, "close"), (1, "open")]
