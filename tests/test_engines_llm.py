"""The LLM engine's logic with an injected completion function (never the real model)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from pipeline.engines import llm
from pipeline.engines.llamacpp import Completion
from pipeline.engines.llm import LlmEngine, LlmSettings
from pipeline.errors import UserError
from pipeline.units import MTRequest, Term

WIC = Term("世界互联网大会", "World Internet Conference")


@pytest.fixture(autouse=True)
def _no_user_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.delenv("TMPIPE_LLM_MODEL", raising=False)
    monkeypatch.setenv("TMPIPE_HOME", str(tmp_path / "tmpipe-home"))


class FakeModel:
    """Answers from a script of (predicate on the last user message → reply) rules."""

    def __init__(self, reply: Callable[[list[dict[str, str]], int], str | Completion]):
        self.reply = reply
        self.calls: list[tuple[list[dict[str, str]], dict[str, Any]]] = []

    def __call__(self, messages: list[dict[str, str]], settings: dict[str, Any]) -> Completion:
        self.calls.append((messages, settings))
        out = self.reply(messages, len(self.calls))
        return out if isinstance(out, Completion) else Completion(out, prompt_tokens=10,
                                                                  completion_tokens=5)


def engine(reply: Callable[..., str | Completion], **options: Any) -> tuple[LlmEngine, FakeModel]:
    fake = FakeModel(reply)
    return LlmEngine(settings=LlmSettings(**options), complete=fake, show_progress=False), fake


def test_translates_batch_with_progress_and_provenance() -> None:
    eng, fake = engine(lambda m, n: f"Translation: Sentence {n}.")
    done: list[int] = []
    out = eng.translate_batch([MTRequest("第一句。"), MTRequest("第二句。")], [[], []],
                              progress=done.append)
    assert [t.text for t in out] == ["Sentence 1.", "Sentence 2."]
    assert out[0].raw == "Translation: Sentence 1." and out[0].engine == "llm"
    assert out[0].retries == 0 and "cleaned label: Translation:" in out[0].notes
    assert done == [1, 1] and len(fake.calls) == 2
    settings = fake.calls[0][1]
    assert settings["cache_prompt"] is True and settings["max_tokens"] == 4 * 2 + 24


def test_terms_reach_the_prompt_written_into_the_text_by_default() -> None:
    eng, fake = engine(lambda m, n: "The World Internet Conference opened.")
    eng.translate_batch([MTRequest("世界互联网大会开幕。")], [[WIC]])
    prompt = fake.calls[0][0][-1]["content"]
    assert "Translate:\nWorld Internet Conference 开幕。" in prompt
    assert "Required renderings" not in prompt


def test_terms_listed_when_not_inlined() -> None:
    eng, fake = engine(lambda m, n: "The World Internet Conference opened.",
                       inline_terms=False)
    eng.translate_batch([MTRequest("世界互联网大会开幕。")], [[WIC]])
    assert "世界互联网大会 = World Internet Conference" in fake.calls[0][0][-1]["content"]


def test_untranslated_chinese_gets_one_stricter_retry() -> None:
    replies = {1: "We build a 命运共同体 in cyberspace.",
               2: "We build a community with a shared future in cyberspace."}
    eng, fake = engine(lambda m, n: replies[n], max_retries=1, word_repair=False)
    [t] = eng.translate_batch([MTRequest("我们构建网络空间命运共同体。")], [[]])
    assert t.text == replies[2] and t.retries == 1 and "retry: untranslated" in t.notes
    retry_msgs = fake.calls[1][0]
    assert retry_msgs[-2] == {"role": "assistant", "content": replies[1]}
    assert "命运" in retry_msgs[-1]["content"] and "共同体" in retry_msgs[-1]["content"]
    assert eng.stats.retries == 1 and eng.stats.retry_reasons == {"untranslated": 1}


def test_retry_is_bounded_and_leftover_is_noted() -> None:
    eng, fake = engine(lambda m, n: "Still 携手 here.", max_retries=1, word_repair=False)
    [t] = eng.translate_batch([MTRequest("携手共进。")], [[]])
    assert len(fake.calls) == 2 and t.retries == 1
    assert "untranslated Chinese left: 携手" in t.notes


def test_no_retry_when_disabled() -> None:
    eng, fake = engine(lambda m, n: "Still 携手 here.", max_retries=0, word_repair=False)
    [t] = eng.translate_batch([MTRequest("携手共进。")], [[]])
    assert len(fake.calls) == 1 and t.retries == 0


def test_chinese_in_a_required_rendering_is_not_untranslated() -> None:
    keep = Term("乌镇", "乌镇 (Wuzhen)")
    eng, fake = engine(lambda m, n: "乌镇 (Wuzhen) welcomes guests.")
    [t] = eng.translate_batch([MTRequest("乌镇欢迎客人。")], [[keep]])
    assert len(fake.calls) == 1 and t.retries == 0


def test_runaway_output_is_retried_then_cut() -> None:
    loop = Completion("It opened. " * 30, finish_reason="length")
    eng, fake = engine(lambda m, n: loop, max_retries=1, word_repair=False)
    [t] = eng.translate_batch([MTRequest("开幕了。")], [[]])
    assert len(fake.calls) == 2 and t.retries == 1
    assert t.text == "It opened." and "runaway output cut" in t.notes


def test_runaway_then_good_answer() -> None:
    answers = {1: Completion("It opened. " * 30, finish_reason="length"),
               2: Completion("It opened.")}
    eng, _ = engine(lambda m, n: answers[n], max_retries=1, word_repair=False)
    [t] = eng.translate_batch([MTRequest("开幕了。")], [[]])
    assert t.text == "It opened." and t.retries == 1 and "runaway output cut" not in t.notes


def test_numbers_rewritten_in_one_place(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(llm, "rewrite_for_mt",
                        lambda text: text.replace("2万多", "more than 20,000"))
    eng, fake = engine(lambda m, n: "More than 20,000 people came.")
    [t] = eng.translate_batch([MTRequest("来了2万多人。")], [[]])
    assert "来了more than 20,000人。" in fake.calls[0][0][-1]["content"]
    eng2, fake2 = engine(lambda m, n: "x.", number_rewrite=False)
    eng2.translate_batch([MTRequest("来了2万多人。")], [[]])
    assert "来了2万多人。" in fake2.calls[0][0][-1]["content"]


def test_context_extends_the_previous_conversation() -> None:
    eng, fake = engine(lambda m, n: f"Sentence {n}.")
    reqs = [MTRequest("一。"), MTRequest("二。", previous="一。"),
            MTRequest("三。", previous="二。"), MTRequest("四。", previous="不相干。")]
    eng.translate_batch(reqs, [[]] * 4)
    second, third, fourth = (fake.calls[i][0] for i in (1, 2, 3))
    assert second[1]["content"].endswith("一。") and second[2]["content"] == "Sentence 1."
    assert third[: len(second)] == second  # a pure extension: its prefix is cached
    assert len(fourth) == 2  # previous is not what we just translated: fresh conversation


def test_context_off_sends_single_turns() -> None:
    eng, fake = engine(lambda m, n: "Done.", context=False)
    eng.translate_batch([MTRequest("一。"), MTRequest("二。", previous="一。")], [[]] * 2)
    assert all(len(call[0]) == 2 for call in fake.calls)


def test_context_restarts_when_budget_exceeded() -> None:
    big = Completion("Done.", prompt_tokens=1500, completion_tokens=10)
    eng, fake = engine(lambda m, n: big, ctx_size=2048)
    eng.translate_batch([MTRequest("一。"), MTRequest("二。", previous="一。"),
                         MTRequest("三。", previous="二。")], [[]] * 3)
    assert len(fake.calls[2][0]) == 4  # system + last turn pair + new user


def test_model_error_falls_back_to_minimal_prompt() -> None:
    def reply(messages: list[dict[str, str]], n: int) -> str:
        if n == 1:
            raise RuntimeError("llama.cpp error: context exceeded")
        return "Fine."

    eng, fake = engine(reply)
    req = MTRequest("好。", examples=(("甲。", "A."),))
    [t] = eng.translate_batch([req], [[]])
    assert t.text == "Fine." and len(fake.calls[1][0]) == 2


def test_mismatched_terms_length_is_a_bug() -> None:
    eng, _ = engine(lambda m, n: "x")
    with pytest.raises(ValueError):
        eng.translate_batch([MTRequest("一。")], [])


def test_model_path_must_be_gguf(tmp_path: Path) -> None:
    bad = tmp_path / "model.bin"
    bad.write_bytes(b"not a model")
    with pytest.raises(UserError, match="not a GGUF"):
        LlmEngine(bad, complete=FakeModel(lambda m, n: "x"))
    with pytest.raises(UserError, match="not found"):
        LlmEngine(tmp_path / "missing.gguf", complete=FakeModel(lambda m, n: "x"))


def test_custom_model_hash_is_computed_and_cached(tmp_path: Path,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    monkeypatch.setenv("TMPIPE_HOME", str(tmp_path / "home"))
    model = tmp_path / "tiny.gguf"
    model.write_bytes(b"GGUF" + b"\0" * 100)
    eng = LlmEngine(model, complete=FakeModel(lambda m, n: "x"))
    assert eng.model == "tiny.gguf"
    assert eng.model_sha256 == hashlib.sha256(model.read_bytes()).hexdigest()
    monkeypatch.setattr(llm.modelstore, "hash_file", lambda *a, **k: pytest.fail("re-hashed"))
    assert LlmEngine(model, complete=FakeModel(lambda m, n: "x")).model_sha256 == eng.model_sha256


# -- the registry ---------------------------------------------------------------------------


def test_auto_prefers_llm_then_argos_then_explains(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import engines

    registry = engines.load_engines()
    assert "llm" in registry
    argos = registry.get("argos")
    monkeypatch.setattr(LlmEngine, "available", classmethod(lambda cls: None))
    assert engines.auto_engine() == "llm"
    monkeypatch.setattr(LlmEngine, "available", classmethod(lambda cls: "no model"))
    if argos is not None:
        monkeypatch.setattr(argos, "available", classmethod(lambda cls: None))
        assert engines.auto_engine() == "argos"
        monkeypatch.setattr(argos, "available", classmethod(lambda cls: "no package"))
    with pytest.raises(UserError) as err:
        engines.create_engine("auto")
    message = str(err.value)
    assert "tmpipe models prepare" in message and "tmpipe models install" in message
    assert "\n" not in message


def test_create_engine_explicit_and_errors(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import engines

    fake = FakeModel(lambda m, n: "Hello.")
    eng = engines.create_engine("llm", complete=fake, context=False, threads=None)
    assert isinstance(eng, LlmEngine) and eng.settings.context is False
    assert eng.settings.threads >= 1 and eng.prompt_options.context is False
    with pytest.raises(UserError, match="unknown engine 'nope'"):
        engines.create_engine("nope")
    with pytest.raises(UserError, match="has no option beam_width"):
        engines.create_engine("llm", complete=fake, beam_width=3)
    monkeypatch.setattr(LlmEngine, "available", classmethod(lambda cls: "no model here"))
    with pytest.raises(UserError, match="not available: no model here"):
        engines.create_engine("llm", complete=fake)


def test_auto_drops_options_of_the_other_engine(monkeypatch: pytest.MonkeyPatch) -> None:
    from pipeline import engines

    monkeypatch.setattr(LlmEngine, "available", classmethod(lambda cls: None))
    fake = FakeModel(lambda m, n: "Hello.")
    eng = engines.create_engine("auto", complete=fake, beam_size=4)
    assert isinstance(eng, LlmEngine)


def test_names_become_required_renderings() -> None:
    eng, fake = engine(lambda m, n: "Li Xiaofeng arrived in Lishui.", names=True,
                       inline_terms=False)
    eng.translate_batch([MTRequest("李晓峰抵达丽水。")], [[]])
    prompt = fake.calls[0][0][-1]["content"]
    assert "李晓峰 = Li Xiaofeng" in prompt and "丽水 = Lishui" in prompt
    eng, fake = engine(lambda m, n: "Li Xiaofeng arrived in Lishui.", names=True)
    eng.translate_batch([MTRequest("李晓峰抵达丽水。")], [[]])
    assert "Translate:\nLi Xiaofeng 抵达 Lishui。" in fake.calls[0][0][-1]["content"]


def test_lean_defaults_measured_best() -> None:
    s = engine(lambda m, n: "Done.")[0].settings
    assert s.max_retries == 0 and s.names and s.word_repair and s.number_rewrite
    assert s.context and s.examples
    assert s.inline_terms and not s.term_lines and s.date_rewrite


def test_names_off_by_request() -> None:
    eng, fake = engine(lambda m, n: "Li Xiaofeng arrived.", names=False)
    eng.translate_batch([MTRequest("李晓峰抵达丽水。")], [[]])
    prompt = fake.calls[0][0][-1]["content"]
    assert "Required renderings" not in prompt and "Translate:\n李晓峰抵达丽水。" in prompt


def test_echoed_source_is_retried_as_a_fresh_request() -> None:
    source = "首届自行车赛在桐乡举行。"
    eng, fake = engine(lambda m, n: source if n == 1 else "The first cycling race was held.",
                       max_retries=1, word_repair=False, names=False)
    out = eng.translate_batch([MTRequest(source)], [[]])[0]
    assert out.text == "The first cycling race was held." and out.retries == 1
    assert "retry: echo" in out.notes
    retry = fake.calls[1][0]
    assert [m["role"] for m in retry] == ["system", "user"]  # not a follow-up turn
    assert "into English" in retry[-1]["content"] and source in retry[-1]["content"]


def test_worse_retry_answer_is_discarded() -> None:
    replies = {1: "The 乒乓球 final.", 2: "乒乓球世界杯决赛。"}
    eng, _ = engine(lambda m, n: replies[n], max_retries=1, word_repair=False)
    out = eng.translate_batch([MTRequest("乒乓球世界杯决赛。")], [[]])[0]
    assert out.text == "The 乒乓球 final." and out.retries == 1
    assert "retry answer discarded: more Chinese left" in out.notes


def test_word_repair_splices_the_english_in() -> None:
    def reply(messages: list[dict[str, str]], n: int) -> str:
        if messages[-1]["role"] == "assistant":  # the begun answer: continued
            return messages[-1]["content"] + "netizens”."
        return "Let's hear the网友, and their hopes."

    eng, fake = engine(reply, word_repair=True, max_retries=0)
    out = eng.translate_batch([MTRequest("听听网友的期待。")], [[]])[0]
    assert out.text == "Let's hear the netizens, and their hopes."
    assert "word repaired: 网友 → netizens" in out.notes
    assert fake.calls[-1][1]["max_tokens"] == 16


def test_word_repair_rejects_chinese_answers() -> None:
    def reply(messages: list[dict[str, str]], n: int) -> str:
        return "网友" if messages[-1]["role"] == "assistant" else "The 网友 spoke."

    eng, _ = engine(reply, word_repair=True, max_retries=0)
    out = eng.translate_batch([MTRequest("网友说。")], [[]])[0]
    assert out.text == "The 网友 spoke." and "untranslated Chinese left: 网友" in out.notes


def test_inline_terms_are_written_into_the_text_instead_of_listed() -> None:
    qualcomm = Term("高通", "Qualcomm")
    eng, fake = engine(lambda m, n: "The World Internet Conference improves traffic.",
                       inline_terms=True, term_lines=False, names=False)
    eng.translate_batch([MTRequest("世界互联网大会提高通行效率。")], [[WIC, qualcomm]])
    prompt = fake.calls[0][0][-1]["content"]
    assert "Translate:\nWorld Internet Conference 提高通行效率。" in prompt
    assert "世界互联网大会 =" not in prompt  # written in, so not listed
    assert "高通 = Qualcomm" in prompt  # not on word boundaries here: listed instead


def test_inline_terms_with_lines_lists_them_too() -> None:
    eng, fake = engine(lambda m, n: "The World Internet Conference opened.",
                       inline_terms=True, term_lines=True)
    eng.translate_batch([MTRequest("世界互联网大会开幕。")], [[WIC]])
    prompt = fake.calls[0][0][-1]["content"]
    assert "世界互联网大会 = World Internet Conference" in prompt
    assert "Translate:\nWorld Internet Conference 开幕。" in prompt


def test_dates_and_times_reach_the_model_in_english() -> None:
    eng, fake = engine(lambda m, n: "An earthquake struck at 14:37 on November 6.")
    eng.translate_batch([MTRequest("11月6日14时37分发生地震。")], [[]])
    assert "November 6 14:37 发生地震。" in fake.calls[0][0][-1]["content"]
    eng2, fake2 = engine(lambda m, n: "x.", date_rewrite=False)
    eng2.translate_batch([MTRequest("11月6日发生地震。")], [[]])
    assert "11月6日发生地震。" in fake2.calls[0][0][-1]["content"]


def test_expected_engine_names_the_model_a_run_would_use(monkeypatch: pytest.MonkeyPatch,
                                                         tmp_path: Path) -> None:
    from pipeline import engines
    from pipeline.engines import modelstore

    monkeypatch.setattr(LlmEngine, "available", classmethod(lambda cls: None))
    assert engines.expected_engine("auto") == ("llm", modelstore.MODEL_NAME)
    own = tmp_path / "my-model.gguf"
    assert engines.expected_engine("auto", model_path=own) == ("llm", "my-model.gguf")
    monkeypatch.setenv("TMPIPE_LLM_MODEL", str(own))
    assert engines.expected_engine("llm") == ("llm", "my-model.gguf")
    assert engines.expected_engine("argos") == ("argos", None)


def test_cached_mt_is_reused_only_from_the_same_engine_and_model() -> None:
    from pipeline.memory import same_engine as _same_engine
    from pipeline.units import TMMatch

    def cached(engine: str, model: str) -> TMMatch:
        return TMMatch(source="甲", target="A", score=100.0, kind="exact", origin="mt",
                       engine=engine, model=model)

    embedded = ("llm", "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf")
    assert _same_engine(cached(*embedded), embedded)
    assert not _same_engine(cached(*embedded), ("llm", "my-model.gguf"))
    assert not _same_engine(cached("argos", "translate-zh_en"), embedded)
    assert _same_engine(cached("argos", "translate-zh_en"), ("argos", None))
    assert _same_engine(cached("argos", "translate-zh_en"), None)  # nothing else to use


def test_usage_reports_requests_tokens_and_seconds() -> None:
    def reply(messages: list[dict[str, str]], n: int) -> Completion:
        return Completion("It opened.", prompt_tokens=40, cached_tokens=30,
                          completion_tokens=4, prompt_ms=110.0, predicted_ms=120.0)

    eng, _ = engine(reply)
    eng.translate_batch([MTRequest("开幕。"), MTRequest("闭幕。")], [[], []])
    usage = eng.usage()
    assert usage["segments"] == 2 and usage["requests"] == 2
    assert usage["prompt_tokens"] == 80 and usage["prompt_tokens_cached"] == 60
    assert usage["completion_tokens"] == 8 and usage["generation_s"] == 0.24


def test_word_repair_is_a_follow_up_turn_of_the_segment() -> None:
    def reply(messages: list[dict[str, str]], n: int) -> str:
        if messages[-1]["role"] == "assistant":
            return messages[-1]["content"] + "netizens”."
        return "Let's hear the网友."

    eng, fake = engine(reply)
    out = eng.translate_batch([MTRequest("听听网友的期待。")], [[]])[0]
    assert out.text == "Let's hear the netizens."
    first, repair = fake.calls[0][0], fake.calls[1][0]
    assert repair[: len(first)] == first  # the segment's conversation, then the question
    assert repair[len(first)] == {"role": "assistant", "content": "Let's hear the网友."}
    assert "“网友”" in repair[-2]["content"] and repair[-1]["role"] == "assistant"
    eng, fake = engine(reply, word_turn=False)
    eng.translate_batch([MTRequest("听听网友的期待。")], [[]])
    assert [m["role"] for m in fake.calls[1][0]] == ["system", "user", "assistant"]


def test_one_rule_chooses_the_model(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from pipeline.engines import modelstore

    assert modelstore.choose_model().embedded
    assert modelstore.choose_model().path == modelstore.embedded_model_path()
    monkeypatch.setenv("TMPIPE_LLM_MODEL", str(tmp_path / "env.gguf"))
    env = modelstore.choose_model()
    assert (env.source, env.name) == ("TMPIPE_LLM_MODEL", "env.gguf")
    given = modelstore.choose_model(tmp_path / "given.gguf")
    assert (given.source, given.name) == ("--model", "given.gguf")
    assert LlmEngine.available() == f"TMPIPE_LLM_MODEL={tmp_path / 'env.gguf'}: no such file"
    with pytest.raises(UserError, match="model file not found"):
        LlmEngine(complete=FakeModel(lambda m, n: "x"))  # the environment's file is loaded
