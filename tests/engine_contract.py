"""The contract every MT engine keeps, as a base class each engine's tests subclass.

A subclass provides an ``engine`` fixture returning a fresh, loaded engine; the tests here
then check what the flow relies on: one translation per request, in request order, stamped
with the engine's provenance, progress for every segment, a bug (not a wrong answer) for a
mismatched batch, settings that can go into ``report.json``, and inline codes that come back
placed (kept or at the edges) through :func:`pipeline.documents.protect_codes`.
"""

from __future__ import annotations

import dataclasses
import json
import re

import pytest

from pipeline.engines.base import ENGINES, Engine
from pipeline.units import InlineCode, MTRequest, Term, Translation

WIC = Term("世界互联网大会", "World Internet Conference")
REQUESTS = [
    MTRequest("世界互联网大会乌镇峰会开幕。"),
    MTRequest("今年是峰会第十年。", previous="世界互联网大会乌镇峰会开幕。"),
    MTRequest("浙江经济发展合作很好，我们今天参加会议。", examples=(("你好。", "Hello."),)),
]
TERMS: list[list[Term]] = [[WIC], [], []]


class EngineContract:
    """Tests every engine passes; subclasses define the ``engine`` fixture."""

    @pytest.fixture
    def engine(self) -> Engine:
        raise NotImplementedError("an engine's contract test defines the engine fixture")

    def test_available_says_none_or_why(self, engine: Engine) -> None:
        why = type(engine).available()
        assert why is None or (isinstance(why, str) and why.strip())

    def test_one_stamped_translation_per_request(self, engine: Engine) -> None:
        done: list[int] = []
        out = engine.translate_batch(REQUESTS, TERMS, progress=done.append)
        assert len(out) == len(REQUESTS) and sum(done) == len(REQUESTS)
        for translation in out:
            assert isinstance(translation, Translation)
            assert translation.engine == engine.name == type(engine).name
            assert (translation.model, translation.model_sha256) == (
                engine.model, engine.model_sha256)
            assert isinstance(translation.text, str) and translation.retries >= 0
            assert all(isinstance(note, str) for note in translation.notes)

    def test_results_follow_request_order(self, engine: Engine) -> None:
        plain = [MTRequest(r.source) for r in REQUESTS]
        forward = engine.translate_batch(plain, TERMS)
        backward = engine.translate_batch(plain[::-1], TERMS[::-1])
        assert [t.text for t in forward] == [t.text for t in backward][::-1]

    def test_empty_batch(self, engine: Engine) -> None:
        done: list[int] = []
        assert engine.translate_batch([], [], progress=done.append) == []
        assert done == []

    def test_mismatched_term_lists_are_a_bug(self, engine: Engine) -> None:
        with pytest.raises(ValueError):
            engine.translate_batch(REQUESTS, TERMS[:1])

    def test_settings_are_a_plain_record(self, engine: Engine) -> None:
        record = engine.settings_record()
        assert isinstance(record, dict)
        json.dumps(record)
        settings_type = type(engine).settings_type
        if settings_type is None:
            assert record == {}
        else:
            assert isinstance(engine.settings, settings_type)
            assert dataclasses.is_dataclass(settings_type)
            assert settings_type.__dataclass_params__.frozen  # type: ignore[attr-defined]
            assert set(record) == {f.name for f in dataclasses.fields(settings_type)}

    def test_registered_under_its_name(self, engine: Engine) -> None:
        if type(engine).name in ENGINES:
            assert ENGINES[type(engine).name] is type(engine)

    def test_close_is_safe_twice(self, engine: Engine) -> None:
        with engine:
            pass
        engine.close()

    def test_inline_codes_come_back_placed(self, engine: Engine) -> None:
        from pipeline.documents.protect import STYLES, protect_codes

        assert type(engine).code_style in STYLES
        codes = (InlineCode(1, "open", 3, "bold"), InlineCode(1, "close", 5, "bold"),
                 InlineCode(2, "standalone", 9, "lb"))
        done: list[int] = []
        (out,) = protect_codes(engine).translate_batch(
            [MTRequest("今年是峰会第十年。", codes=codes)], [[]], progress=done.append)
        assert done == [1] and out.engine == engine.name
        assert out.codes is not None and out.codes.text == out.text
        assert sorted((c.id, c.kind) for c in out.codes.codes) == [
            (1, "close"), (1, "open"), (2, "standalone")]
        assert all(0 <= c.offset <= len(out.text) for c in out.codes.codes)
        assert not re.search(r"ZX\d|</?\s*(?:g|x|bx|ex)\d", out.text, re.IGNORECASE)
