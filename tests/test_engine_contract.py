"""The engine contract (:mod:`engine_contract`) for the tests' fakes and the llm engine."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from engine_contract import EngineContract
from fakes import FakeEngine, ScriptedEngine

from pipeline.engines.base import Engine
from pipeline.engines.llamacpp import Completion
from pipeline.engines.llm import LlmEngine, LlmSettings


class TestFakeEngine(EngineContract):
    @pytest.fixture
    def engine(self) -> Engine:
        return FakeEngine()


class TestScriptedEngine(EngineContract):
    @pytest.fixture
    def engine(self) -> Engine:
        return ScriptedEngine(lambda request: f"{len(request.source)} characters.")


def scripted_backend(messages: list[dict[str, str]], settings: dict[str, Any]) -> Completion:
    """A chat model that answers with the length of what it was asked to translate."""
    return Completion(f"The text has {len(messages[-1]['content'])} characters.",
                      prompt_tokens=20, completion_tokens=6)


class TestLlmEngine(EngineContract):
    @pytest.fixture
    def engine(self, monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Engine:
        monkeypatch.delenv("TMPIPE_LLM_MODEL", raising=False)
        monkeypatch.setenv("TMPIPE_HOME", str(tmp_path / "home"))
        return LlmEngine(settings=LlmSettings(threads=1), complete=scripted_backend,
                         show_progress=False)

    def test_settings_record_names_every_setting(self, engine: Engine) -> None:
        record = engine.settings_record()
        assert record["threads"] == 1 and record["max_retries"] == 0
        assert record["inline_terms"] is True and record["system_prompt"] is None


class _Skipping(FakeEngine):
    """Answers every request but the last, and the first twice when asked to."""

    def __init__(self, twice: bool = False) -> None:
        super().__init__()
        self.twice = twice

    def _translate(self, segments, terms):  # type: ignore[no-untyped-def]
        answers = list(super()._translate(segments, terms))
        yield from answers[:1] if self.twice else []
        yield from answers[:-1]


@pytest.mark.parametrize("twice", [False, True])
def test_the_template_refuses_a_batch_answered_wrongly(twice: bool) -> None:
    from pipeline.units import MTRequest

    with pytest.raises(RuntimeError, match="twice" if twice else "unanswered"):
        _Skipping(twice).translate_batch([MTRequest("一。"), MTRequest("二。")], [[], []])
