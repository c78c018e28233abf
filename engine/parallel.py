"""Evaluating many fact sets on a pool of processes, verdicts in input order.

`evaluate_many(factsets, packs, jobs=N)` gives exactly what evaluating each fact set in turn
gives (the same verdict JSON, byte for byte): every worker process loads the same packs (checked
by content hash) and decides with its own engine, one commune at a time as `evaluate` does.

Verdicts travel back pickled, with one twist that makes the pool worth having: a verdict keeps
references to its pack's and the catalogue's pydantic objects (thresholds' comparisons, sources,
labels), and unpickling pydantic models costs ~10 µs each, several hundred per commune, which
measured as 4× the evaluation itself. Those objects are the same in every process, so they travel
as references (pickle's persistent ids: the object's place in a deterministic walk of the pack or
catalogue) and come back as the parent's own objects. A verdict's criteria travel as the
evaluator's arrays (statuses, values read, the results a kind built), laid out again on the parent's
own pack table, so no result object is made only to be sent. Anything else pickles as usual.

`EvaluationPool` is the pool itself, for callers whose per-item work is more than evaluating a fact
set (`ntmcert batch` reads a sheet row, evaluates it and renders the output row in the worker): its
`work(evaluator, item)` hook runs in the worker with the worker's own library, packs and engine.
"""

from __future__ import annotations

import dataclasses
import gc
import io
import itertools
import multiprocessing
import multiprocessing.context
import os
import pickle
import signal
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from fractions import Fraction
from pathlib import Path
from typing import Any, Literal, cast

from ntmcert.api import default_library
from ntmcert.core.errors import EngineError, InputError, NtmcertError, Problem
from ntmcert.evaluation.engines import get_engine
from ntmcert.evaluation.evaluate import evaluate_pack, restore_outcome
from ntmcert.evaluation.outcome import CriteriaOutcome
from ntmcert.inputs.catalogue import Catalogue
from ntmcert.inputs.factset import FactSet, FactSetInput, load_factset
from ntmcert.packs.library import Pack, PackLibrary
from ntmcert.packs.params import load_params
from ntmcert.packs.resolve import OfficerValue
from pydantic import BaseModel

FactsIn = str | Path | dict[str, Any] | FactSetInput | FactSet
PackRef = str | Pack
SharedKey = tuple[str, int]  # (owner: "catalogue" or a pack's sha256, place in the walk)
CHUNK = 16  # fact sets per task: hides the pool's per-task cost (~0.1 ms)
Work = Callable[["Evaluator", Any], Any]


def evaluate_many(factsets: Iterable[FactsIn], packs: PackRef | Sequence[PackRef], *, jobs: int | None = None,
                  engine: str = "durable", params: str | Path | dict[str, list[OfficerValue]] | None = None,
                  derive_prerequisites: bool = False, library: PackLibrary | None = None,
                  on_error: Literal["raise", "yield"] = "raise", chunk_size: int = CHUNK,
                  transform: Callable[[Any], Any] | None = None) -> Iterator[Any]:
    """Evaluate every fact set against `packs`, on `jobs` processes (default: one per core).

    Yields, in input order, a Verdict per fact set when `packs` is one pack (id or Pack), or a tuple
    of verdicts (in the order of `packs`) when it is a sequence. A fact set that cannot be read or
    evaluated raises its NtmcertError at its place in the order, after every earlier verdict was
    yielded; with `on_error="yield"` the error is yielded in its place instead and the run goes on.
    `jobs=1` evaluates in this process. The input is consumed lazily, a few chunks ahead of what
    was yielded, so memory stays bounded however long it is.

    `transform` (a picklable function: module level, or e.g. `Verdict.to_json`) is applied to each
    result (Verdict or tuple) in the worker, and its return value is yielded instead. Rendering
    in the workers is where a pool pays: a verdict's explanations are built when first read and
    cost several times its evaluation, and a Verdict object costs about as much to send between
    processes as to build, while its JSON text is one string.
    """
    if on_error not in ("raise", "yield"):
        raise ValueError(f"on_error must be 'raise' or 'yield', not {on_error!r}")
    job, library, pack_list, jobs = _job(packs, jobs, engine, params, derive_prerequisites, library, transform, None)
    with EvaluationPool(job, library, pack_list, jobs, chunk_size) as pool:
        for result in pool.map(factsets):
            if isinstance(result, NtmcertError):
                if on_error == "raise":
                    raise result
                yield result
            else:
                yield result


class EvaluationPool:
    """`jobs` processes (none when `jobs` is 1: the work is done in this process) that each hold the
    caller's library, packs and engine; `map(items)` gives each item's result in input order.

    The processes start when the pool is made: make it before starting any thread (a progress bar's)
    so they are forked, which is quicker than a fork server's fresh start. Use as a context manager.
    """

    def __init__(self, job: _Job, library: PackLibrary, packs: list[Pack], jobs: int, chunk_size: int = CHUNK):
        if chunk_size < 1:
            raise ValueError("chunk_size must be at least 1")
        self.jobs, self.chunk_size = jobs, chunk_size
        self._runner: _Runner | None = None
        self._pool: ProcessPoolExecutor | None = None
        if jobs == 1:
            self._runner = job.runner(library, packs)
            return
        self._shared = _shared_objects(library, packs, job.derive)
        self._pool = ProcessPoolExecutor(max_workers=jobs, mp_context=_context(), initializer=_init_worker,
                                         initargs=(job,))
        self._pool.submit(_ready)  # the processes are made at the first task: now, not later

    @classmethod
    def of(cls, packs: PackRef | Sequence[PackRef], work: Work, *, jobs: int | None = None, engine: str = "durable",
           params: str | Path | dict[str, list[OfficerValue]] | None = None, derive_prerequisites: bool = False,
           library: PackLibrary | None = None, chunk_size: int = CHUNK) -> EvaluationPool:
        """A pool whose `map` yields `work(evaluator, item)` for each item (`work` picklable: a
        module-level function or an instance of a module-level class). An NtmcertError raised by
        `work` is yielded in its item's place; any other exception ends the run."""
        job, library, pack_list, jobs = _job(packs, jobs, engine, params, derive_prerequisites, library, None, work)
        return cls(job, library, pack_list, jobs, chunk_size)

    def map(self, items: Iterable[Any]) -> Iterator[Any]:
        """Results in input order; the input is read a few chunks ahead of what was yielded."""
        if self._runner is not None:
            return _evaluate_one(self._runner, items, self.chunk_size)
        if self._pool is None:
            raise ValueError("the pool is closed")
        return _pooled(self._pool, self._shared, items, self.jobs, self.chunk_size)

    def close(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            pool.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> EvaluationPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _job(packs: PackRef | Sequence[PackRef], jobs: int | None, engine: str,
         params: str | Path | dict[str, list[OfficerValue]] | None, derive: bool, library: PackLibrary | None,
         transform: Callable[[Any], Any] | None, work: Work | None) -> tuple[_Job, PackLibrary, list[Pack], int]:
    library = library or default_library()
    single = isinstance(packs, (str, Pack))
    refs: Sequence[PackRef] = [packs] if isinstance(packs, (str, Pack)) else packs
    pack_list = [_pack(p, library) for p in refs]
    get_engine(engine)  # an unknown engine name fails here, before any process starts
    officer = load_params(params, library) if isinstance(params, (str, Path)) else params
    jobs = default_jobs() if jobs is None else jobs
    if jobs < 1:
        raise ValueError("jobs must be at least 1")
    job = _Job(library.root, library.catalogue, _extra_files(library), tuple(p.id for p in pack_list),
               tuple(p.sha256 for p in pack_list), engine, officer, derive, single, transform, work)
    return job, library, pack_list, jobs


def default_jobs() -> int:
    """The cores this process may run on (os.cpu_count() where that cannot be known)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _pack(ref: PackRef, library: PackLibrary) -> Pack:
    if isinstance(ref, str):
        return library.get(ref)
    if ref.id not in library.ids() or library.get(ref.id).sha256 != ref.sha256:
        raise ValueError(f"pack {ref.id!r} is not the one of this library; pass the library it was loaded from")
    return ref


def _extra_files(library: PackLibrary) -> tuple[Path, ...]:
    return tuple(loaded.path for loaded in getattr(library, "_extra", {}).values())


@dataclasses.dataclass(frozen=True)
class _Job:
    """What a worker process needs to rebuild the caller's library, packs and engine."""

    root: Path
    catalogue: Catalogue
    extra_files: tuple[Path, ...]
    pack_ids: tuple[str, ...]
    pack_hashes: tuple[str, ...]
    engine: str
    officer: dict[str, list[OfficerValue]] | None
    derive: bool
    single: bool
    transform: Callable[[Any], Any] | None
    work: Work | None = None

    def runner(self, library: PackLibrary, packs: list[Pack]) -> _Runner:
        return _Runner(library, packs, get_engine(self.engine), self.officer, self.derive, self.single,
                       self.transform, self.work)


@dataclasses.dataclass
class _Runner:
    """What a process evaluates with: its library, packs and engine (`work` hooks get it as their
    evaluator)."""

    library: PackLibrary
    packs: list[Pack]
    engine: Any
    officer: dict[str, list[OfficerValue]] | None
    derive: bool
    single: bool
    transform: Callable[[Any], Any] | None
    work: Work | None = None

    def evaluate(self, factset: FactSet) -> Any:
        """The verdict of `factset` (a tuple of verdicts when the pool was given several packs)."""
        verdicts = tuple(evaluate_pack(factset, pack, self.engine, officer=self.officer,
                                       catalogue=self.library.catalogue, library=self.library,
                                       derive_prerequisites=self.derive) for pack in self.packs)
        return verdicts[0] if self.single else verdicts

    def run(self, chunk: list[Any]) -> list[Any]:
        """Each fact set's verdict (or tuple of verdicts), transformed, or each item's work; or the
        NtmcertError that stopped it."""
        if self.work is not None:
            return [self._work(self.work, item) for item in chunk]
        catalogue = self.library.catalogue
        loaded: list[Any] = []
        for facts in chunk:
            try:
                loaded.append(facts if isinstance(facts, FactSet) else load_factset(facts, catalogue=catalogue))
            except NtmcertError as exc:
                loaded.append(exc)
        out: list[Any] = []
        for item in loaded:
            if not isinstance(item, FactSet):
                out.append(item)
                continue
            try:
                verdicts = tuple(evaluate_pack(item, pack, self.engine, officer=self.officer, catalogue=catalogue,
                                               library=self.library, derive_prerequisites=self.derive)
                                 for pack in self.packs)
            except NtmcertError as exc:
                out.append(exc)
                continue
            result = verdicts[0] if self.single else verdicts
            out.append(result if self.transform is None else self.transform(result))
        return out

    def _work(self, work: Work, item: Any) -> Any:
        try:
            return work(self, item)
        except NtmcertError as exc:
            return exc


Evaluator = _Runner  # the name `work` hooks know it by


def _evaluate_one(runner: _Runner, factsets: Iterable[Any], chunk_size: int) -> Iterator[Any]:
    source = iter(factsets)
    while chunk := list(itertools.islice(source, chunk_size)):
        yield from runner.run(chunk)


# ----------------------------------------------------------------------------- the pool

_worker: tuple[_Runner, dict[int, SharedKey]] | None = None


def _init_worker(job: _Job) -> None:
    global _worker
    # Ctrl-C reaches the whole process group: the parent stops the run and shuts the pool down, so a
    # worker ignores it (no traceback per process); SIGTERM ends a worker at once, whatever handler
    # the parent had when it forked
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    library = PackLibrary(root=job.root, catalogue=job.catalogue, extra_files=job.extra_files)
    packs = [library.get(pack_id) for pack_id in job.pack_ids]
    if tuple(p.sha256 for p in packs) != job.pack_hashes:
        raise EngineError("a pack changed on disk while evaluate_many started its processes")
    shared = _shared_objects(library, packs, job.derive)
    ids = {id(obj): key for key, obj in shared.items()}
    _SHARED_TYPES[id(ids)] = {type(obj) for obj in shared.values()}
    _worker = (job.runner(library, packs), ids)
    # what the worker holds from now on (modules, packs, and a forked parent's objects) is never
    # garbage: the collector leaves it alone instead of walking it again in every full collection
    gc.freeze()


def _ready() -> None:
    """A first task, so that the pool makes its processes when it is made."""


def _run_chunk(chunk: list[Any]) -> bytes:
    if _worker is None:
        raise EngineError("evaluate_many's worker process was not initialised")
    runner, ids = _worker
    return _dump([_Failure.of(r) if isinstance(r, NtmcertError) else r for r in runner.run(chunk)], ids)


def _pooled(pool: ProcessPoolExecutor, shared: dict[SharedKey, Any], items: Iterable[Any], jobs: int,
            chunk_size: int) -> Iterator[Any]:
    pending: deque[Future[bytes]] = deque()
    source = iter(items)
    try:
        while True:
            while len(pending) < 2 * jobs:  # bounded read-ahead: two chunks per process
                chunk = list(itertools.islice(source, chunk_size))
                if not chunk:
                    break
                pending.append(pool.submit(_run_chunk, chunk))
            if not pending:
                return
            for item in _load(pending.popleft().result(), shared):
                yield item.error() if isinstance(item, _Failure) else item
    finally:
        for future in pending:
            future.cancel()


def _context() -> multiprocessing.context.BaseContext:
    """fork where it is safe (a caller with one thread: nothing can hold a lock mid-fork), which
    needs no `if __name__ == "__main__"` guard in the caller's script and starts at once; else a
    fork server, whose children start from a clean process."""
    if threading.active_count() == 1 and "fork" in multiprocessing.get_all_start_methods():
        return multiprocessing.get_context("fork")
    context = multiprocessing.get_context("forkserver")
    context.set_forkserver_preload([__name__])
    return context


@dataclasses.dataclass(frozen=True)
class _Failure:
    """An NtmcertError in transit (InputError's constructor takes problems, not its message)."""

    kind: type[NtmcertError]
    problems: list[Problem] | None
    message: str

    @classmethod
    def of(cls, exc: NtmcertError) -> _Failure:
        return cls(type(exc), exc.problems if isinstance(exc, InputError) else None, str(exc))

    def error(self) -> NtmcertError:
        if self.problems is not None:  # an InputError, or a subclass of it
            return cast(type[InputError], self.kind)(self.problems)
        return self.kind(self.message)


# ----------------------------------------------------------------------------- shared objects

def _shared_objects(library: PackLibrary, packs: list[Pack], derive: bool) -> dict[SharedKey, Any]:
    """Every pydantic object of the catalogue and of the packs (with their prerequisites' packs
    when those are derived), keyed by (owner, place in a deterministic walk)."""
    owners: list[tuple[str, Any]] = [("catalogue", library.catalogue)]
    todo, seen = list(packs), set()
    while todo:
        pack = todo.pop(0)
        if pack.sha256 in seen:
            continue
        seen.add(pack.sha256)
        owners.append((pack.sha256, pack))
        if derive:
            todo.extend(library.get(p.pack) for p in pack.prerequisites if p.pack)
    shared: dict[SharedKey, Any] = {}
    visited: set[int] = set()
    for owner, root in owners:
        if isinstance(root, Pack):  # the pack itself, which a verdict's compact outcome names
            shared[(f"pack {owner}", 0)] = root
        found: list[Any] = []
        _walk(root, found, visited)
        shared.update(((owner, n), obj) for n, obj in enumerate(found))
    return shared


def _walk(obj: Any, found: list[Any], visited: set[int]) -> None:
    if isinstance(obj, (str, int, float, bool, type(None))) or id(obj) in visited:
        return
    visited.add(id(obj))
    if isinstance(obj, BaseModel):
        found.append(obj)
        for name in type(obj).model_fields:
            _walk(getattr(obj, name), found, visited)
    elif dataclasses.is_dataclass(obj) and not isinstance(obj, type):
        for f in dataclasses.fields(obj):
            if f.name != "memo":  # per-process caches keyed by id(): never shared
                _walk(getattr(obj, f.name), found, visited)
    elif isinstance(obj, (list, tuple)):
        for item in obj:
            _walk(item, found, visited)
    elif isinstance(obj, dict):
        for item in obj.values():
            _walk(item, found, visited)


def _dump(results: list[Any], ids: dict[int, SharedKey]) -> bytes:
    """Pickle a chunk's results, shared objects as references and fractions as two integers
    (pickle's own Fraction spelling is a string that must be parsed again)."""
    def shared_or_value(obj: Any) -> Any:
        key = ids.get(id(obj))
        return (_shared, (key,)) if key is not None else obj.__reduce_ex__(pickle.HIGHEST_PROTOCOL)

    buffer = io.BytesIO()
    pickler = pickle.Pickler(buffer, protocol=pickle.HIGHEST_PROTOCOL)
    table: dict[type, Any] = dict.fromkeys(_SHARED_TYPES.get(id(ids), ()), shared_or_value)
    table[Fraction] = _fraction_reduce
    table[CriteriaOutcome] = _outcome_reduce
    pickler.dispatch_table = table
    pickler.dump(results)
    return buffer.getvalue()


def _outcome_reduce(outcome: CriteriaOutcome) -> tuple[Any, tuple[Any, ...]]:
    # a verdict's criteria travel as their arrays, and are laid out again on the parent's own pack
    # table (the pack and catalogue go as references): no result object is made to be sent
    return restore_outcome, (outcome.table.pack, outcome.table.catalogue, outcome.statuses,
                             outcome.indicator_statuses, outcome.values, outcome.built)


def _fraction_reduce(value: Fraction) -> tuple[type[Fraction], tuple[int, int]]:
    return Fraction, (value.numerator, value.denominator)


_SHARED_TYPES: dict[int, set[type]] = {}  # the classes of a worker's shared objects, by id of its table
_loading: dict[SharedKey, Any] = {}  # the parent's shared objects while it unpickles a chunk


def _shared(key: SharedKey) -> Any:
    try:
        return _loading[key]
    except KeyError:  # the walk differs between processes: a bug, never a silent mix-up
        raise EngineError(f"evaluate_many: no shared object {key!r} in this process") from None


def _load(data: bytes, shared: dict[SharedKey, Any]) -> list[Any]:
    """Unpickle a chunk with the collector paused: it makes hundreds of objects per verdict, none
    of them garbage, and the collector's passes over them measured as 40% of the time."""
    global _loading
    _loading = shared
    paused = gc.isenabled()
    gc.disable()
    try:
        loaded: list[Any] = pickle.loads(data)  # noqa: S301 - bytes our own worker process just pickled
        return loaded
    finally:
        _loading = {}
        if paused:
            gc.enable()
