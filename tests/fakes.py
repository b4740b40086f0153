"""A fake engine for unit tests of pipeline logic (never used by the product)."""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence

from pipeline.engines.base import Engine, Progress
from pipeline.units import MTRequest, Term, Translation

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

    def translate_batch(
        self,
        segments: Sequence[MTRequest],
        terms: Sequence[Sequence[Term]],
        progress: Progress | None = None,
    ) -> list[Translation]:
        self.calls.append(list(segments))
        out = []
        for request, seg_terms in zip(segments, terms, strict=True):
            words = ["This", "sentence", "has", str(len(request.source)), "characters"]
            words += _NUMBER.findall(request.source)
            if seg_terms and (request.hint or not self.drop_terms_first):
                words += ["about"] + [t.target for t in seg_terms]
            text = " ".join(words) + "."
            if self.echo and request.previous and not request.hint and self.last_text:
                text = self.last_text
            self.last_text = text
            out.append(Translation(text=text, engine=self.name, model=self.model,
                                   model_sha256=self.model_sha256, raw=text))
            if progress:
                progress(1)
        return out

    def close(self) -> None:
        self.closed = True


class ScriptedEngine(FakeEngine):
    """A :class:`FakeEngine` whose text for each request is ``answer(request)``."""

    def __init__(self, answer: Callable[[MTRequest], str], **options: object):
        super().__init__(**options)
        self.answer = answer

    def translate_batch(
        self,
        segments: Sequence[MTRequest],
        terms: Sequence[Sequence[Term]],
        progress: Progress | None = None,
    ) -> list[Translation]:
        out = super().translate_batch(segments, terms, progress)
        for request, translation in zip(segments, out, strict=True):
            translation.text = translation.raw = self.answer(request)
        return out
