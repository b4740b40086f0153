"""The engine interface and its registry.

An engine turns a batch of :class:`~pipeline.units.MTRequest` into
:class:`~pipeline.units.Translation`, given the glossary terms matched in each
segment. :meth:`Engine.translate_batch` is a template: it checks the batch, drives the
progress display and stamps every translation with the engine's provenance; an engine
implements :meth:`Engine._translate`, which yields one :class:`EngineOutput` per request.
Engines are loaded once per run; adding one means writing a subclass and decorating it with
:func:`register`; the flow never names an engine.
"""

from __future__ import annotations

import dataclasses
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, ClassVar

from ..units import CodedText, MTRequest, Term, Translation

Progress = Callable[[int], None]
"""Called with the number of segments just finished."""


@dataclass
class EngineOutput:
    """What an engine says about one request; the base adds the provenance."""

    text: str
    raw: str = ""  # the model's answer before cleaning and repairs
    notes: list[str] = field(default_factory=list)  # repairs and doubts, for reviewers
    retries: int = 0
    seconds: float = 0.0
    confidence: dict[str, float] = field(default_factory=dict)  # see Translation.confidence
    codes: CodedText | None = None  # where the request's inline codes went in ``text``


class Engine(ABC):
    """Base class of every MT engine."""

    #: registry name, used by ``--engine``
    name: ClassVar[str]
    #: the frozen dataclass of the engine's settings (its ``settings`` attribute), or None
    settings_type: ClassVar[type | None] = None

    #: human-readable model identifier (file name or package name)
    model: str = ""
    #: sha256 of the model file(s), for provenance
    model_sha256: str = ""
    #: how the engine translates (an instance of ``settings_type``), for the run report
    settings: Any = None
    #: how a request's inline codes are written into its source for this engine (see
    #: :mod:`pipeline.documents.protect`): ``placeholders`` (bare tokens ``ZX0``, which
    #: NMT engines copy) or ``tags`` (``<g1>…</g1>``, ``<x2/>``, which keep a chat
    #: model's sentence intact)
    code_style: ClassVar[str] = "placeholders"

    @classmethod
    @abstractmethod
    def available(cls) -> str | None:
        """Return ``None`` when this engine can run here, else why not and how to fix it."""

    @abstractmethod
    def _translate(
        self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
    ) -> Iterator[tuple[int, EngineOutput]]:
        """Yield ``(i, output)`` for every request ``segments[i]``, in any order, each once."""

    def translate_batch(
        self,
        segments: Sequence[MTRequest],
        terms: Sequence[Sequence[Term]],
        progress: Progress | None = None,
    ) -> list[Translation]:
        """Translate ``segments``; ``terms[i]`` are the glossary entries matched in segment i.

        Returns one :class:`Translation` per request, in order, stamped with this engine's
        name, model and model hash; ``progress`` is called as each segment is finished.
        """
        if len(terms) != len(segments):
            raise ValueError(f"{len(segments)} segments but {len(terms)} term lists")
        results: list[Translation | None] = [None] * len(segments)
        for i, output in self._translate(segments, terms):
            if results[i] is not None:
                raise RuntimeError(f"engine {self.name} answered request {i} twice")
            results[i] = self._stamp(output)
            if progress:
                progress(1)
        missing = [i for i, r in enumerate(results) if r is None]
        if missing:
            raise RuntimeError(f"engine {self.name} left requests {missing} unanswered")
        return [r for r in results if r is not None]

    def _stamp(self, output: EngineOutput) -> Translation:
        return Translation(text=output.text, engine=self.name, model=self.model,
                           model_sha256=self.model_sha256, raw=output.raw,
                           retries=output.retries, notes=list(output.notes),
                           seconds=output.seconds, confidence=dict(output.confidence),
                           codes=output.codes)

    def settings_record(self) -> dict[str, Any]:
        """The engine's settings as plain data (``{}`` for an engine without settings)."""
        if self.settings is None or not dataclasses.is_dataclass(self.settings):
            return {}
        return dataclasses.asdict(self.settings)

    def usage(self) -> dict[str, float]:
        """What the engine spent so far (requests, tokens, seconds), for the run report."""
        return {}

    def close(self) -> None:  # noqa: B027 - optional hook, a no-op by default
        """Release the model. Engines are also context managers."""

    def __enter__(self) -> Engine:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


ENGINES: dict[str, type[Engine]] = {}


def register(cls: type[Engine]) -> type[Engine]:
    """Class decorator adding an engine to :data:`ENGINES` under ``cls.name``."""
    ENGINES[cls.name] = cls
    return cls
