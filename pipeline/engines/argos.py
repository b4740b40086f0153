"""The ``argos`` engine: an installed argostranslate zh→en package, run directly.

We load the package's CTranslate2 model and tokenizer once and translate our own segments
in length-sorted batches; argostranslate's ``translate()`` is not used because it re-splits
sentences (stanza) and re-tokenizes per call. Glossary terms are protected with
placeholders (:mod:`.placeholders`) and restored with the approved renderings. An NMT model
takes no instructions, so ``MTRequest.previous``, ``examples`` and ``hint`` are not used.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import ClassVar, Protocol

from .. import extras
from ..errors import UserError
from ..units import MTRequest, Term
from . import argos_packages as packages
from .base import Engine, EngineOutput, register
from .placeholders import Protected, protect, restore


class Tokenizer(Protocol):
    def encode(self, text: str) -> list[str]: ...
    def decode(self, tokens: list[str]) -> str: ...


class SentencePieceTokenizer:
    """The package's ``sentencepiece.model``."""

    def __init__(self, path: Path):
        import sentencepiece as spm

        self.processor = spm.SentencePieceProcessor(model_file=str(path))

    def encode(self, text: str) -> list[str]:
        return self.processor.encode(text, out_type=str)

    def decode(self, tokens: list[str]) -> str:
        return self.processor.decode_pieces(tokens).replace("▁", " ").strip()


def load_tokenizer(package: Path, from_code: str, to_code: str) -> Tokenizer:
    """SentencePiece when the package has it, else argos' Moses+BPE tokenizer."""
    if (package / "sentencepiece.model").is_file():
        return SentencePieceTokenizer(package / "sentencepiece.model")
    if (package / "bpe.model").is_file():
        from argostranslate.tokenizer import BPETokenizer

        return BPETokenizer(package / "bpe.model", from_code, to_code)
    raise UserError("argos package has no sentencepiece.model or bpe.model", package)


def _no_package_message() -> str:
    return (
        f"no zh→en argos package installed in {packages.packages_dir()}; get a "
        "translate-zh_en-*.argosmodel file and run `tmpipe models install FILE.argosmodel`"
    )


@dataclass(frozen=True)
class ArgosSettings:
    """How the ``argos`` engine translates: beam width, segments per CTranslate2 batch, CPU
    threads (None: every core), and the output length cap as a multiple of the input's."""

    beam_size: int = 4
    batch_size: int = 32
    threads: int | None = None
    max_length_ratio: float = 3.0


@register
class ArgosEngine(Engine):
    """Translate with an installed argos zh→en package (CTranslate2 + its tokenizer)."""

    name: ClassVar[str] = "argos"
    settings_type: ClassVar[type] = ArgosSettings

    def __init__(self, package: str | Path | None = None, settings: ArgosSettings | None = None):
        """``package``: an installed package name or a package folder; default: best zh→en."""
        self.info = self._resolve(package)
        settings = settings or ArgosSettings()
        if settings.beam_size < 1 or settings.batch_size < 1:
            raise UserError("beam size and batch size must be at least 1")
        self.settings = settings
        version = self.info.version
        self.model = f"{self.info.name}@{version}" if version else self.info.name
        self.model_sha256 = self.info.sha256
        meta = packages.read_metadata(self.info.path)
        self.target_prefix = str(meta.get("target_prefix") or "")
        try:
            import ctranslate2

            self.tokenizer = load_tokenizer(self.info.path, self.info.from_code, self.info.to_code)

            self.translator = ctranslate2.Translator(
                str(self.info.path / "model"),
                device="cpu",
                inter_threads=1,
                intra_threads=settings.threads or os.cpu_count() or 1,
            )
        except ImportError as exc:
            hint = extras.install_hint("argos")
            raise UserError(f"the argos engine needs {exc.name}: {hint}") from exc
        except (RuntimeError, ValueError, OSError) as exc:
            raise UserError(f"cannot load the package's model: {exc}", self.info.path) from exc

    @staticmethod
    def _resolve(package: str | Path | None) -> packages.PackageInfo:
        if package is None:
            info = packages.find_package("zh", "en")
            if info is None:
                raise UserError(_no_package_message())
            return info
        path = Path(package)
        if not (path / "metadata.json").is_file():
            path = packages.packages_dir() / str(package)
            if not (path / "metadata.json").is_file():
                raise UserError(f"no argos package {package!r} (not installed, not a folder)")
        info = packages.read_package(path)
        if packages.lang(info.from_code) not in ("zh", "zt") or packages.lang(info.to_code) != "en":
            raise UserError(
                f"argos package translates {info.from_code}→{info.to_code}, not zh→en", path
            )
        if not info.sha256:
            raise UserError(f"argos package has no {packages.MODEL_FILE}", path)
        return info

    @classmethod
    def available(cls) -> str | None:
        try:
            import ctranslate2  # noqa: F401
            import sentencepiece  # noqa: F401
        except ImportError as exc:
            return f"the argos engine needs {exc.name}: {extras.install_hint('argos')}"
        return None if packages.find_package("zh", "en") else _no_package_message()

    def _translate(
        self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
    ) -> Iterator[tuple[int, EngineOutput]]:
        """Empty segments first, then the rest in length-sorted batches."""
        protected = [protect(r.source, t) for r, t in zip(segments, terms, strict=True)]
        tokens = [self.tokenizer.encode(p.text) if p.text.strip() else [] for p in protected]
        for i in range(len(segments)):
            if not tokens[i]:
                yield i, self._output(protected[i], "", 0.0, [])
        order = sorted((i for i in range(len(segments)) if tokens[i]), key=lambda i: len(tokens[i]))
        for start in range(0, len(order), self.settings.batch_size):
            chunk = order[start : start + self.settings.batch_size]
            began = time.perf_counter()
            outputs, cut, limit = self._run([tokens[i] for i in chunk])
            share = (time.perf_counter() - began) / len(chunk)
            for i, raw, was_cut in zip(chunk, outputs, cut, strict=True):
                notes = [f"MT output cut at {limit} tokens (runaway?)"] if was_cut else []
                yield i, self._output(protected[i], raw, share, notes)

    def _run(self, batch: list[list[str]]) -> tuple[list[str], list[bool], int]:
        """Translate token lists; return texts, whether each hit the length limit, the limit."""
        limit = min(512, int(max(len(t) for t in batch) * self.settings.max_length_ratio) + 10)
        prefix = [[self.target_prefix]] * len(batch) if self.target_prefix else None
        results = self.translator.translate_batch(
            batch,
            target_prefix=prefix,
            beam_size=self.settings.beam_size,
            max_batch_size=self.settings.batch_size,
            max_decoding_length=limit,
            replace_unknowns=True,
            length_penalty=0.2,
        )
        texts, cut = [], []
        for result in results:
            hypothesis = list(result.hypotheses[0])
            if self.target_prefix and hypothesis[:1] == [self.target_prefix]:
                hypothesis = hypothesis[1:]
            texts.append(self.tokenizer.decode(hypothesis).strip())
            cut.append(len(result.hypotheses[0]) >= limit)
        return texts, cut, limit

    @staticmethod
    def _output(protected: Protected, raw: str, seconds: float, notes: list[str]) -> EngineOutput:
        """The approved renderings put back in place of the placeholders."""
        restored = restore(raw, protected)
        return EngineOutput(text=restored.text, raw=raw, notes=[*notes, *restored.notes],
                            seconds=seconds)

    def close(self) -> None:
        self.translator = None
