"""Inline codes through MT: an engine wrapper writes each request's codes into its source in
the engine's code style and reads their positions back out of the answer.

The style is the engine's choice (:attr:`pipeline.engines.base.Engine.code_style`):

* ``placeholders``: each code a bare Latin token (``ZX0``, ``ZX1`` …), which NMT engines
  copy through like an acronym (argos);
* ``tags``: XML-like tags, ``<g1>…</g1>`` around formatted text, ``<x2/>`` at a point,
  ``<bx3/>``/``<ex3/>`` for half a pair (the XLIFF 1.2 names); a chat model translates
  the sentence around them as text with markup, where tokens in mid-sentence garble it.

Either way the answer comes back as plain text in ``Translation.text`` with the code
positions in ``Translation.codes``; codes the engine lost go to the segment's edges.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace

from ..engines.base import Engine, EngineOutput, Progress
from ..units import CodedText, InlineCode, MTRequest, Term, Translation
from .codes import choose_stem, from_placeholders, ordered, remove_markers, with_placeholders

Decode = Callable[[str], CodedText]
"""Reads an engine's answer back into plain text and code positions."""

_TAG = re.compile(r"<\s*(/?)\s*(g|x|bx|ex)\s*(\d+)\s*(/?)\s*>", re.IGNORECASE)


def with_tags(text: str, codes: Sequence[InlineCode]) -> str:
    """``text`` with each code written as a tag at its offset (pairs by their shared id)."""
    paired = ({c.id for c in codes if c.kind == "open"}
              & {c.id for c in codes if c.kind == "close"})
    parts: list[str] = []
    last = 0
    for code in ordered(codes):
        offset = min(max(code.offset, last), len(text))
        parts.append(text[last:offset])
        last = offset
        if code.kind == "standalone":
            parts.append(f"<x{code.id}/>")
        elif code.id in paired:
            parts.append(f"<g{code.id}>" if code.kind == "open" else f"</g{code.id}>")
        else:
            parts.append(f"<bx{code.id}/>" if code.kind == "open" else f"<ex{code.id}/>")
    parts.append(text[last:])
    return "".join(parts)


def from_tags(output: str, codes: Sequence[InlineCode]) -> CodedText:
    """Read the tags out of an engine's ``output``: the plain text and code positions."""
    index = {(code.kind, code.id): i for i, code in enumerate(codes)}

    def index_of(match: re.Match[str]) -> int | None:
        closing, name, ident = match.group(1), match.group(2).lower(), int(match.group(3))
        kind = {"x": "standalone", "bx": "open", "ex": "close"}.get(name)
        if kind is None:
            kind = "close" if closing else "open"
        return index.get((kind, ident))

    return remove_markers(output, codes, _TAG, index_of)


def _encode_placeholders(request: MTRequest) -> tuple[str, Decode] | None:
    stem = choose_stem(request.source)
    if stem is None:
        return None
    codes = request.codes
    return (with_placeholders(request.source, codes, stem),
            lambda answer: from_placeholders(answer, codes, stem))


def _encode_tags(request: MTRequest) -> tuple[str, Decode] | None:
    if _TAG.search(request.source):
        return None
    codes = request.codes
    return with_tags(request.source, codes), lambda answer: from_tags(answer, codes)


STYLES: dict[str, Callable[[MTRequest], tuple[str, Decode] | None]] = {
    "placeholders": _encode_placeholders,
    "tags": _encode_tags,
}
"""Code styles: each writes a request's codes into its source (None: it cannot here, the
codes then go to the edges) and gives the reader of the answer."""


class InlineCodeEngine(Engine):
    """Wraps an engine: requests with inline codes go through in the engine's code style.

    Requests without codes pass through unchanged; name, model, settings and usage are
    the inner engine's, and each batch goes through the inner engine's own
    :meth:`~Engine.translate_batch`. A request whose ``previous`` segment was sent with
    codes gets it as sent, so an engine that keeps the paragraph's conversation knows it.
    """

    def __init__(self, inner: Engine):
        self.inner = inner
        self.name = inner.name  # type: ignore[misc]
        self.model = inner.model
        self.model_sha256 = inner.model_sha256
        self.settings = inner.settings
        self.code_style = inner.code_style  # type: ignore[misc]
        self._last_sent: tuple[str, str] = ("", "")  # the last source, and as it was sent
        if inner.code_style not in STYLES:
            raise ValueError(f"engine {inner.name}: unknown code style {inner.code_style!r}")

    @classmethod
    def available(cls) -> str | None:
        return None

    def translate_batch(
        self,
        segments: Sequence[MTRequest],
        terms: Sequence[Sequence[Term]],
        progress: Progress | None = None,
    ) -> list[Translation]:
        """The inner engine's :meth:`~Engine.translate_batch` (its checks, progress and
        provenance) on the requests with their codes written in; the codes read back."""
        requests, decoders = self._encode(segments)
        translations = self.inner.translate_batch(requests, terms, progress=progress)
        for translation, decode in zip(translations, decoders, strict=True):
            if decode is not None:
                translation.codes = decode(translation.text)
                translation.text = translation.codes.text
        return translations

    def _translate(
        self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
    ) -> Iterator[tuple[int, EngineOutput]]:
        for i, t in enumerate(self.translate_batch(segments, terms)):
            yield i, EngineOutput(text=t.text, raw=t.raw, notes=t.notes, retries=t.retries,
                                  seconds=t.seconds, codes=t.codes)

    def _encode(self, segments: Sequence[MTRequest]) -> tuple[list[MTRequest],
                                                               list[Decode | None]]:
        """The requests as sent (codes written in the engine's style) and their readers."""
        encode = STYLES[self.code_style]
        decoders: list[Decode | None] = []
        requests: list[MTRequest] = []
        for request in segments:
            encoded = encode(request) if request.codes else None
            decoders.append(encoded[1] if encoded else None)
            sent = encoded[0] if encoded else request.source
            previous = request.previous
            if previous is not None and previous == self._last_sent[0]:
                previous = self._last_sent[1]
            requests.append(replace(request, source=sent, previous=previous, codes=()))
            self._last_sent = (request.source, sent)
        return requests, decoders

    def settings_record(self) -> dict:
        return self.inner.settings_record()

    def usage(self) -> dict[str, float]:
        return self.inner.usage()

    def close(self) -> None:
        self.inner.close()


def protect_codes(engine: Engine) -> Engine:
    """``engine`` wrapped so that requests carrying inline codes keep them through MT."""
    return engine if isinstance(engine, InlineCodeEngine) else InlineCodeEngine(engine)
