"""Where MT runs for a batch: in this process, or in Ray actors on one machine or a cluster.

Both executors hand the translation step an :class:`~pipeline.engines.base.Engine` per
document (:meth:`Executor.engine`): the step calls ``translate_batch`` on it as on any
engine, and closing it leaves the shared engine (or the actors) loaded for the next
document. :meth:`Executor.close` releases them at the end of the batch.

:class:`InProcessExecutor` loads one engine in this process; Ray is not imported.
:class:`RayExecutor` starts ``workers`` actors, each loading its engine once with as many
threads as the CPUs it reserves. A request list is cut into paragraph groups (a request
whose ``previous`` is the source before it continues the group), and each group goes to
one actor in order, preferring the actor that translated the segment the group continues
(an engine keeps the paragraph's conversation). Only requests, terms and translations
cross processes; the memory stays with the driver. A group whose actor dies is sent to
another actor (a fresh one is started in the dead one's place). The translation step gets
a call's translations only when every group has come back, so nothing is lost or stored
twice.
"""

from __future__ import annotations

import os
import time
from abc import ABC, abstractmethod
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from ..engines.base import Engine, EngineOutput
from ..errors import UserError
from ..units import MTRequest, Term, Translation

EngineFactory = Callable[..., Engine]
"""``factory(name, **options) -> Engine``, like :func:`pipeline.engines.create_engine`."""

#: Attempts per paragraph group before the batch gives up (each on a different actor).
MAX_ATTEMPTS = 3


#: Paragraph ends remembered for sending a paragraph's continuation to the same actor.
CONTINUATIONS_KEPT = 10_000


class ExecutorError(UserError):
    """The engine cannot be loaded or the workers keep failing: the whole batch stops."""


def default_factory(name: str, **options: Any) -> Engine:
    """The product's engine registry (imported where it runs, e.g. inside an actor)."""
    from ..engines import create_engine

    return create_engine(name, **options)


@dataclass
class ExecutorStats:
    """What the executor did over the batch: calls, segments, time in engines and overall."""

    calls: int = 0
    groups: int = 0
    segments: int = 0
    engine_s: float = 0.0  # seconds inside the engines
    wall_s: float = 0.0  # seconds the translation step waited for MT
    retried_groups: int = 0
    dead_workers: int = 0
    workers: int = 1
    load_s: float = 0.0

    def as_dict(self) -> dict[str, float]:
        overhead = max(0.0, self.wall_s - self.engine_s / max(1, self.workers))
        return {
            "workers": self.workers, "calls": self.calls, "groups": self.groups,
            "segments": self.segments, "engine_s": round(self.engine_s, 3),
            "wall_s": round(self.wall_s, 3), "load_s": round(self.load_s, 3),
            "retried_groups": self.retried_groups, "dead_workers": self.dead_workers,
            "overhead_per_call_ms": round(1000 * overhead / max(1, self.calls), 2),
        }


class Executor(ABC):
    """Runs MT for a batch; see the module docstring."""

    def __init__(self, name: str = "auto", options: dict | None = None,
                 factory: EngineFactory | None = None):
        self.engine_name = name
        self.options = dict(options or {})
        self.factory = factory or default_factory
        self.stats = ExecutorStats()

    def engine(self) -> Engine:
        """An engine for one document's translation step (closing it keeps the model)."""
        return DocumentEngine(self)

    @abstractmethod
    def describe(self) -> EngineDescription:
        """What the loaded engine(s) are: name, model, hash, settings."""

    @abstractmethod
    def stream(self, requests: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
               ) -> Iterator[tuple[list[int], list[Translation], dict[str, float]]]:
        """Yield ``(indices, translations, usage)`` as each part of the requests is done:
        every index once; ``usage`` is what the engine spent on that part."""

    @abstractmethod
    def close(self) -> None:
        """Release the engine(s)."""

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


@dataclass(frozen=True)
class EngineDescription:
    """The engine an executor runs, as the run report records it."""

    name: str
    model: str
    model_sha256: str
    settings: dict = field(default_factory=dict)

    @classmethod
    def of(cls, engine: Engine) -> EngineDescription:
        return cls(engine.name, engine.model, engine.model_sha256, engine.settings_record())


class DocumentEngine(Engine):
    """One document's view of an executor: an :class:`Engine` whose usage is the
    document's and whose ``close`` keeps the executor's engines loaded."""

    name = "batch"

    def __init__(self, executor: Executor):
        self.executor = executor
        self.description = executor.describe()
        self.name = self.description.name
        self.model, self.model_sha256 = self.description.model, self.description.model_sha256
        self._usage: dict[str, float] = {}

    @classmethod
    def available(cls) -> str | None:
        return None

    def _translate(self, segments: Sequence[MTRequest], terms: Sequence[Sequence[Term]]
                   ) -> Iterator[tuple[int, EngineOutput]]:
        for indices, translations, usage in self.executor.stream(segments, terms):
            for key, value in usage.items():
                self._usage[key] = round(self._usage.get(key, 0) + value, 3)
            for i, t in zip(indices, translations, strict=True):
                yield i, EngineOutput(text=t.text, raw=t.raw, notes=list(t.notes),
                                      retries=t.retries, seconds=t.seconds)

    def settings_record(self) -> dict:
        return dict(self.description.settings)

    def usage(self) -> dict[str, float]:
        return dict(self._usage)

    def close(self) -> None:
        """The executor owns the engines; nothing to release per document."""


def usage_delta(after: dict[str, float], before: dict[str, float]) -> dict[str, float]:
    """Numeric usage spent between two ``Engine.usage()`` readings (load time excluded)."""
    return {k: v - before.get(k, 0) for k, v in after.items()
            if isinstance(v, int | float) and k != "load_s"}


class InProcessExecutor(Executor):
    """One engine in this process, loaded at first use and kept for every document."""

    def __init__(self, name: str = "auto", options: dict | None = None,
                 factory: EngineFactory | None = None):
        super().__init__(name, options, factory)
        self._engine: Engine | None = None

    def _loaded(self) -> Engine:
        if self._engine is None:
            start = time.perf_counter()
            try:
                self._engine = self.factory(self.engine_name, **self.options)
            except ExecutorError:
                raise
            except UserError as exc:
                raise ExecutorError(exc.message, exc.path, exc.line) from exc
            self.stats.load_s = time.perf_counter() - start
        return self._engine

    def describe(self) -> EngineDescription:
        return EngineDescription.of(self._loaded())

    def stream(self, requests, terms):
        engine = self._loaded()
        start = time.perf_counter()
        before = engine.usage()
        translations = engine.translate_batch(requests, terms)
        seconds = time.perf_counter() - start
        self.stats.calls += 1
        self.stats.groups += 1
        self.stats.segments += len(requests)
        self.stats.engine_s += seconds
        self.stats.wall_s += seconds
        yield list(range(len(requests))), translations, usage_delta(engine.usage(), before)

    def close(self) -> None:
        if self._engine is not None:
            self._engine.close()
            self._engine = None


def paragraph_groups(requests: Sequence[MTRequest]) -> list[list[int]]:
    """Indices of ``requests`` cut where a request does not continue the one before it."""
    groups: list[list[int]] = []
    for i, request in enumerate(requests):
        continues = (i > 0 and request.previous is not None
                     and request.previous == requests[i - 1].source)
        if continues:
            groups[-1].append(i)
        else:
            groups.append([i])
    return groups


class EngineWorker:
    """The actor: loads its engine once and translates paragraph groups in order."""

    def __init__(self, factory: EngineFactory, name: str, options: dict):
        start = time.perf_counter()
        self.error: UserError | None = None
        try:
            self.engine = factory(name, **options)
        except UserError as exc:  # reported by describe(), as the driver's own error
            self.error = exc
        self.load_s = time.perf_counter() - start

    def describe(self) -> tuple[EngineDescription, float, int]:
        if self.error is not None:
            raise self.error
        return EngineDescription.of(self.engine), self.load_s, os.getpid()

    def translate(self, requests: list[MTRequest], terms: list[list[Term]]
                  ) -> tuple[list[Translation], dict[str, float], float]:
        start = time.perf_counter()
        before = self.engine.usage()
        translations = self.engine.translate_batch(requests, terms)
        return translations, usage_delta(self.engine.usage(), before), \
            time.perf_counter() - start

    def close(self) -> None:
        if self.error is None:
            self.engine.close()


@dataclass
class _Job:
    indices: list[int]
    attempts: int = 0
    tried: set[int] = field(default_factory=set)


class RayExecutor(Executor):
    """``workers`` Ray actors, each with its own engine; see the module docstring.

    ``address``: None starts a local Ray instance; ``"auto"`` or ``host:port`` joins a
    running cluster. ``cpus_per_worker`` CPUs are reserved per actor and become the
    engine's ``threads`` unless ``threads`` is set in ``options``. ``python_paths`` are
    added to the actors' ``PYTHONPATH`` (this package's own folder always is).
    """

    def __init__(self, name: str = "auto", options: dict | None = None,
                 factory: EngineFactory | None = None, *, workers: int = 1,
                 address: str | None = None, cpus_per_worker: int | None = None,
                 python_paths: Sequence[str | Path] = ()):
        super().__init__(name, options, factory)
        self.workers = workers
        self.address = address
        self.cpus_per_worker = cpus_per_worker
        self.python_paths = [str(p) for p in python_paths]
        self._ray: Any = None
        self._actors: dict[int, Any] = {}  # actor number → handle
        self._next_number = 0
        self._started_ray = False
        self._description: EngineDescription | None = None
        self._continues: dict[str, int] = {}  # source last translated → actor number
        self.stats.workers = workers

    # -- start-up

    def _start(self) -> None:
        if self._ray is not None:
            return
        try:
            import ray
        except ImportError as exc:
            raise ExecutorError("--workers and --ray need Ray: pip install 'tmpipe[cluster]'"
                                ) from exc
        self._ray = ray
        if not ray.is_initialized():
            try:
                ray.init(address=self.address, include_dashboard=False, log_to_driver=False)
            except Exception as exc:  # noqa: BLE001 - Ray raises plain Exception too
                where = self.address or "a local Ray instance"
                raise ExecutorError(f"cannot start or join {where}: {exc}") from exc
            self._started_ray = True
        total = int(ray.cluster_resources().get("CPU", 1))
        if self.workers > total:
            raise ExecutorError(f"--workers {self.workers} needs at least one CPU each; the Ray "
                                f"cluster has {total}")
        if self.cpus_per_worker is None:  # an actor lives on one node: at most a node's CPUs
            largest = max((int(n["Resources"].get("CPU", 0)) for n in ray.nodes()
                           if n.get("Alive")), default=1)
            self.cpus_per_worker = max(1, min(largest, total // self.workers))
        start = time.perf_counter()
        for _ in range(self.workers):
            self._spawn()
        first = next(iter(self._actors.values()))
        try:
            self._description = self._get(first.describe.remote())[0]
        except UserError as exc:
            raise ExecutorError(exc.message, exc.path, exc.line) from exc
        except ray.exceptions.RayActorError as exc:
            raise ExecutorError("MT worker could not start: "
                                + str(exc).strip().splitlines()[0]) from exc
        self.stats.load_s = time.perf_counter() - start

    def _runtime_env(self) -> dict:
        package_root = str(Path(__file__).resolve().parents[2])
        paths = [package_root, *self.python_paths]
        if os.environ.get("PYTHONPATH"):
            paths.append(os.environ["PYTHONPATH"])
        return {"env_vars": {"PYTHONPATH": os.pathsep.join(dict.fromkeys(paths))}}

    def _spawn(self) -> int:
        ray = self._ray
        options = dict(self.options)
        options.setdefault("threads", self.cpus_per_worker)
        actor_class = ray.remote(EngineWorker).options(
            num_cpus=self.cpus_per_worker, max_restarts=0, max_task_retries=0,
            runtime_env=self._runtime_env())
        number = self._next_number
        self._next_number += 1
        self._actors[number] = actor_class.remote(self.factory, self.engine_name, options)
        return number

    def describe(self) -> EngineDescription:
        self._start()
        assert self._description is not None
        return self._description

    def actor_handles(self) -> dict[int, Any]:
        """The live actors by number (tests kill one to check that its work is retried)."""
        return dict(self._actors)

    # -- dispatch

    def _choose(self, job: _Job, requests: Sequence[MTRequest], load: dict[int, int]) -> int:
        first = requests[job.indices[0]]
        sticky = self._continues.get(first.previous) if first.previous else None
        if sticky in self._actors and sticky not in job.tried:
            return sticky
        candidates = [n for n in self._actors if n not in job.tried] or list(self._actors)
        return min(candidates, key=lambda n: (load.get(n, 0), n))

    def _get(self, ref: Any) -> Any:
        """``ray.get``; an error raised by the engine inside an actor is raised as itself."""
        ray = self._ray
        try:
            return ray.get(ref)
        except ray.exceptions.RayTaskError as exc:
            cause = getattr(exc, "cause", None)
            if isinstance(cause, UserError):
                raise UserError(cause.message, cause.path, cause.line) from None
            raise

    def stream(self, requests, terms):
        self._start()
        ray = self._ray
        start = time.perf_counter()
        load: dict[int, int] = {}
        pending: dict[Any, tuple[_Job, int]] = {}

        def submit(job: _Job) -> None:
            number = self._choose(job, requests, load)
            job.tried.add(number)
            job.attempts += 1
            load[number] = load.get(number, 0) + len(job.indices)
            if len(self._continues) > CONTINUATIONS_KEPT:
                self._continues.clear()
            self._continues[requests[job.indices[-1]].source] = number
            ref = self._actors[number].translate.remote(
                [requests[i] for i in job.indices], [list(terms[i]) for i in job.indices])
            pending[ref] = (job, number)

        for indices in paragraph_groups(requests):
            submit(_Job(indices))
        while pending:
            ready, _ = ray.wait(list(pending), num_returns=1)
            job, number = pending.pop(ready[0])
            try:
                translations, spent, seconds = self._get(ready[0])
            except (ray.exceptions.RayActorError, ray.exceptions.WorkerCrashedError) as exc:
                self._replace(number)
                if job.attempts >= MAX_ATTEMPTS:
                    raise ExecutorError(f"MT worker failed {job.attempts} times on one "
                                        f"paragraph: {exc}") from exc
                self.stats.retried_groups += 1
                submit(job)
                continue
            self.stats.engine_s += seconds
            self.stats.groups += 1
            yield job.indices, translations, spent
        self.stats.calls += 1
        self.stats.segments += len(requests)
        self.stats.wall_s += time.perf_counter() - start

    def _replace(self, number: int) -> None:
        """Drop a dead actor and start another in its place."""
        if self._actors.pop(number, None) is None:
            return
        self.stats.dead_workers += 1
        self._continues = {k: v for k, v in self._continues.items() if v != number}
        self._spawn()

    def close(self) -> None:
        ray = self._ray
        if ray is None:
            return
        for actor in self._actors.values():
            try:
                ray.get(actor.close.remote(), timeout=30)
            except Exception:  # noqa: BLE001 - a dead actor has nothing left to release
                pass
            ray.kill(actor)
        self._actors.clear()
        if self._started_ray:
            ray.shutdown()
        self._ray = None


def make_executor(name: str = "auto", options: dict | None = None, *, workers: int = 1,
                  ray_address: str | None = None, factory: EngineFactory | None = None,
                  python_paths: Sequence[str | Path] = ()) -> Executor:
    """In-process for one worker without ``ray_address`` (Ray is not imported), else Ray."""
    if workers <= 1 and not ray_address:
        return InProcessExecutor(name, options, factory)
    return RayExecutor(name, options, factory, workers=max(1, workers), address=ray_address,
                       python_paths=python_paths)
