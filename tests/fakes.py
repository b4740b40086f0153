"""A fake engine for unit tests of pipeline logic (never used by the product)."""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence

from pipeline.engines.base import Engine, EngineOutput
from pipeline.units import MTRequest, Term

_NUMBER = re.compile(r"\d+(?:\.\d+)?%?")


class FakeEngine(Engine):
    """Writes a plain English sentence carrying the source's numbers and term renderings.

    ``drop_terms_first`` leaves the glossary renderings out unless the request carries a
    retry hint, to exercise the verify-and-retry path.
    """

    name = "fake"
    model = "fake-model"
    model_sha256 = "0" * 64

    def __init__(self, drop_terms_first: bool = False, echo: bool = False, **_: object):
        self.drop_terms_first = drop_terms_first
        self.echo = echo  # repeat the last answer for a request with context and no hint
        self.last_text = ""
        self.calls: list[list[MTRequest]] = []
        self.closed = False

    @classmethod
    def available(cls) -> str | None:
        return None

    def _translate(
        self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
    ) -> Iterator[tuple[int, EngineOutput]]:
        self.calls.append(list(segments))
        for i, (request, seg_terms) in enumerate(zip(segments, terms, strict=True)):
            text = self.answer(request, seg_terms)
            self.last_text = text
            yield i, EngineOutput(text=text, raw=text)

    def answer(self, request: MTRequest, terms: Sequence[Term]) -> str:
        """The fake's text for one request."""
        words = ["This", "sentence", "has", str(len(request.source)), "characters"]
        words += _NUMBER.findall(request.source)
        if terms and (request.hint or not self.drop_terms_first):
            words += ["about"] + [t.target for t in terms]
        text = " ".join(words) + "."
        if self.echo and request.previous and not request.hint and self.last_text:
            text = self.last_text
        return text

    def close(self) -> None:
        self.closed = True


class ScriptedEngine(FakeEngine):
    """A :class:`FakeEngine` whose text for each request is ``script(request)``."""

    def __init__(self, script: Callable[[MTRequest], str], **options: object):
        super().__init__(**options)
        self.script = script

    def answer(self, request: MTRequest, terms: Sequence[Term]) -> str:
        return self.script(request)
