"""llama.cpp in-process (xllamacpp): chat completions from a GGUF model, for the llm engine."""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .. import extras
from ..errors import UserError

log = logging.getLogger(__name__)


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
    token_logprobs: list[float] = field(default_factory=list)  # when asked with ``n_probs``


def confidence(logprobs: Sequence[float], low: float = -2.3) -> dict[str, float]:
    """The model's confidence in a completion from its token log-probabilities.

    ``mean`` and ``min`` log-probability, ``low_share`` (tokens below ``low``, i.e. under
    10 % probability) and ``tokens``; empty when no log-probabilities were returned.
    """
    if not logprobs:
        return {}
    return {"mean": round(sum(logprobs) / len(logprobs), 4), "min": round(min(logprobs), 4),
            "low_share": round(sum(lp < low for lp in logprobs) / len(logprobs), 4),
            "tokens": len(logprobs)}


CompleteFn = Callable[[list[dict[str, str]], dict[str, Any]], Completion]
"""``complete(messages, settings)``; settings: max_tokens, cache_prompt, repeat_penalty."""


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
        try:
            import xllamacpp
        except ImportError as exc:
            raise UserError(f"the llm engine needs xllamacpp: {extras.install_hint('llm')}") \
                from exc

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
        tokens = (choice.get("logprobs") or {}).get("content") or []
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
            token_logprobs=[t["logprob"] for t in tokens if isinstance(t.get("logprob"), float)],
        )

    def close(self) -> None:
        self._server = None
