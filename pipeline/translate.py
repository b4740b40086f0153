"""The translation step of a run: pending units through the engine, the flow's retries and
repairs, term flags, and each batch committed to the memory.

Per batch: the engine translates the units (the previous segment of the paragraph as
context); a unit whose translation repeats the previous segment's is asked again without
context; a unit still missing required renderings (or, with ``number_retry``, numbers) gets
one hinted retry, kept when it fixes more than it breaks; do-not-translate terms the engine
dropped are put back; the term violations left are flagged; the batch is stored.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from .engines.base import Engine, Progress
from .engines.prompt import repeated_previous_hint, retry_hint
from .units import Flag, MTRequest, Translation, Unit

if TYPE_CHECKING:
    from .memory import TranslationMemory

Problems = tuple[list, list]
"""What a hinted retry should fix: (term violations, numbers left out)."""


@dataclass(frozen=True)
class Pending:
    """A unit on its way through a run, with the unit before it in the same paragraph."""

    unit: Unit
    previous: Unit | None = None

    @property
    def previous_source(self) -> str | None:
        """The context shown to the engine and stored with the unit in the memory."""
        return self.previous.source if self.previous is not None else None


def in_context(units: Sequence[Unit]) -> list[Pending]:
    """One record per unit; the previous unit is kept only within a paragraph."""
    records = []
    for i, unit in enumerate(units):
        before = units[i - 1] if i else None
        same = before is not None and before.segment.paragraph == unit.segment.paragraph
        records.append(Pending(unit, before if same else None))
    return records


@dataclass(frozen=True)
class StepOptions:
    """How the step translates: batch size, context, which retries it makes."""

    batch_size: int = 8
    context: bool = True  # show the engine the previous segment of the paragraph
    number_retry: bool = True  # numbers left out also earn the one hinted retry
    hinted_retry: bool = True  # off only to measure what the retry is worth (bench)


@dataclass
class StepCounts:
    """What the step did, counted once; the run report reads these."""

    saved: int = 0  # units committed to the memory
    violations_before_retry: int = 0  # term violations in the engine's first answers
    retried: int = 0  # units retried for term violations
    repaired: int = 0  # do-not-translate terms put back
    hinted: int = 0  # units given the hinted retry (terms or numbers)
    repeats: int = 0  # units retried for repeating the previous segment's translation

    def glossary(self) -> dict[str, int]:
        """The glossary counts of ``report.json``."""
        return {"violations_before_retry": self.violations_before_retry,
                "retried": self.retried, "repaired": self.repaired}


class TranslationStep:
    """Translates pending units in batches with one engine, committing each batch to
    ``memory`` (when given) under ``doc_id``; ``progress`` is advanced per first answer."""

    def __init__(self, engine: Engine, options: StepOptions | None = None,
                 memory: TranslationMemory | None = None, doc_id: str = "",
                 progress: Progress | None = None):
        self.engine = engine
        self.options = options or StepOptions()
        self.memory = memory
        self.doc_id = doc_id
        self.progress = progress
        self.counts = StepCounts()

    def run(self, pending: Sequence[Pending]) -> None:
        """Translate every record, one batch at a time, storing each batch when done."""
        size = self.options.batch_size
        for start in range(0, len(pending), size):
            batch = pending[start : start + size]
            self.translate_batch(batch)
            if self.memory is not None:
                self.memory.add_units([p.unit for p in batch], self.doc_id,
                                      [p.previous_source for p in batch])
            self.counts.saved += len(batch)

    def translate_batch(self, batch: Sequence[Pending]) -> None:
        """MT, the retries, the do-not-translate repair and the term flags for one batch."""
        requests = [self._request(p) for p in batch]
        for record, translation in zip(batch, self._ask(batch, requests, self.progress),
                                       strict=True):
            take_translation(record.unit, translation)
        self._retry_repeats(batch)
        if self.options.hinted_retry:
            self._retry_with_hints(batch)
        self._repair_and_flag(batch)

    def _request(self, record: Pending, hint: str | None = None,
                 context: bool = True) -> MTRequest:
        unit = record.unit
        examples: tuple[tuple[str, str], ...] = ()
        if unit.tm_match is not None:
            examples = ((unit.tm_match.source, unit.tm_match.target),)
        shown = context and self.options.context
        return MTRequest(source=unit.source, previous=record.previous_source if shown else None,
                         examples=examples, hint=hint, codes=unit.segment.codes)

    def _ask(self, records: Sequence[Pending], requests: list[MTRequest],
             progress: Progress | None = None) -> list[Translation]:
        terms = [[m.term for m in p.unit.terms] for p in records]
        return self.engine.translate_batch(requests, terms, progress=progress)

    def _retry_repeats(self, batch: Sequence[Pending]) -> None:
        """Ask again, without context, for units that repeat the previous segment's translation.

        A chat model shown the previous segment now and then answers it again; the retry
        drops the context. A repeat that survives is flagged by :func:`flag_repeats`.
        """
        repeats = [p for p in batch if repeats_previous(p.unit, p.previous)]
        if not repeats:
            return
        requests = [self._request(p, repeated_previous_hint(), context=False) for p in repeats]
        for record, translation in zip(repeats, self._ask(repeats, requests), strict=True):
            take_translation(record.unit, translation)
            record.unit.retries += 1
        self.counts.repeats += len(repeats)

    def _retry_with_hints(self, batch: Sequence[Pending]) -> None:
        """One hinted retry for units missing required renderings (or numbers)."""
        number_retry = self.options.number_retry
        checked = [(p, retry_problems(p.unit, p.unit.target, number_retry)) for p in batch]
        failing = [(p, found) for p, found in checked if found[0] or found[1]]
        self.counts.violations_before_retry += sum(len(found[0]) for _, found in failing)
        if not failing:
            return
        self.counts.retried += sum(1 for _, found in failing if found[0])
        self.counts.hinted += len(failing)
        records = [p for p, _ in failing]
        requests = [self._request(p, retry_hint(*found)) for p, found in failing]
        for (record, before), translation in zip(failing, self._ask(records, requests),
                                                 strict=True):
            after = retry_problems(record.unit, translation.text, number_retry)
            if better_retry(before, after):
                take_translation(record.unit, translation)
            record.unit.retries += 1

    def _repair_and_flag(self, batch: Sequence[Pending]) -> None:
        """Put back do-not-translate terms the engine dropped; flag the violations left."""
        from .glossary import insert_do_not_translate, verify_terms

        for unit in (p.unit for p in batch):
            if not unit.terms:
                continue
            violations = verify_terms(unit.target, unit.terms)
            if violations:
                repaired = insert_do_not_translate(
                    unit.target, violations, source=unit.source, matches=unit.terms
                )
                if repaired is not None:
                    unit.target = repaired
                    self.counts.repaired += 1
                    violations = verify_terms(unit.target, unit.terms)
            flag_term_violations(unit, violations)


def take_translation(unit: Unit, translation: Translation) -> None:
    """Make ``translation`` the unit's (with where its inline codes went); engine notes
    about a replaced one are dropped.

    A number copied with the wrong magnitude (367,000 → 36,700) is repaired here, so every
    translation taken (first, retries) is checked with it fixed; only the unambiguous case
    (:func:`pipeline.numbers.repair_scale_slips`), noted for reviewers.
    """
    from .numbers import repair_scale_slips

    unit.flags = [f for f in unit.flags if f.check != "engine"]
    unit.target, repaired = repair_scale_slips(unit.source, translation.text)
    unit.origin, unit.state = "mt", "draft"
    unit.engine = translation.engine
    unit.model = translation.model
    unit.model_sha256 = translation.model_sha256
    unit.target_codes = translation.codes
    unit.retries += translation.retries
    unit.confidence = dict(translation.confidence)
    for note in [*translation.notes, *repaired]:
        unit.flags.append(Flag("engine", "warning", note))


def repeats_previous(unit: Unit, previous: Unit | None) -> bool:
    """The translation repeats the previous segment's, for a different source."""
    return (
        previous is not None
        and bool(previous.target.strip())
        and previous.source != unit.source
        and " ".join(previous.target.split()) == " ".join(unit.target.split())
    )


def flag_repeats(records: Sequence[Pending]) -> None:
    """Flag every unit (new or from the memory) that still repeats the previous translation."""
    for record in records:
        if repeats_previous(record.unit, record.previous):
            record.unit.flags.append(
                Flag("echo", "error", "repeats the previous segment's translation"))


def missing_numbers(source: str, target: str) -> list:
    """Source numbers the target leaves out (the errors of :func:`numbers.match_numbers`)."""
    from .numbers import match_numbers

    return [p for p in match_numbers(source, target)
            if p.kind == "missing" and p.severity == "error"]


def retry_problems(unit: Unit, target: str, numbers: bool) -> Problems:
    """What a hinted retry should fix in ``target``: term violations, numbers left out."""
    from .glossary import verify_terms

    violations = verify_terms(target, unit.terms) if unit.terms else []
    return violations, missing_numbers(unit.source, target) if numbers else []


def better_retry(before: Problems, after: Problems) -> bool:
    """Keep a retry's answer when it fixes more than it breaks, never losing a term."""
    return len(after[0]) <= len(before[0]) and (
        len(after[0]) + len(after[1]) < len(before[0]) + len(before[1]))


def flag_term_violations(unit: Unit, violations: Sequence | None = None) -> None:
    """Replace the unit's term-violation flags (``violations`` when already computed)."""
    from .glossary import verify_terms

    if violations is None:
        violations = verify_terms(unit.target, unit.terms)
    unit.flags = [f for f in unit.flags if f.check != "term-violation"]
    for v in violations:
        message = (
            f'{v.term.source}: forbidden "{v.found}"'
            if v.kind == "forbidden"
            else f'{v.term.source}: expected "{v.term.target}"'
        )
        unit.flags.append(Flag("term-violation", "error", message))
