"""The engine interface and its registry.

An engine turns a batch of :class:`~pipeline.units.MTRequest` into
:class:`~pipeline.units.Translation`, given the glossary terms matched in each
segment. Engines are loaded once per run; adding one means writing a subclass and
decorating it with :func:`register`; the flow never names an engine.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Sequence
from typing import ClassVar

from ..units import MTRequest, Term, Translation

Progress = Callable[[int], None]
"""Called with the number of segments just finished."""


class Engine(ABC):
    """Base class of every MT engine."""

    #: registry name, used by ``--engine``
    name: ClassVar[str]

    #: human-readable model identifier (file name or package name)
    model: str = ""
    #: sha256 of the model file(s), for provenance
    model_sha256: str = ""

    @classmethod
    @abstractmethod
    def available(cls) -> str | None:
        """Return ``None`` when this engine can run here, else why not and how to fix it."""

    @abstractmethod
    def translate_batch(
        self,
        segments: Sequence[MTRequest],
        terms: Sequence[Sequence[Term]],
        progress: Progress | None = None,
    ) -> list[Translation]:
        """Translate ``segments``; ``terms[i]`` are the glossary entries matched in segment i."""

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
