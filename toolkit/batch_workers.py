"""Worker processes for `summarize_many`: use every core, not just the one the event loop runs on.

Why: one document costs verisum some 25 ms of CPU (extraction, the pipeline, verification, the
HTTP client parsing the answer, the output file) and the model's answer takes 200 ms or more. One
event loop on one core therefore finishes at most ~40 documents a second, whatever the
concurrency: at concurrency 32 against a 200 ms endpoint the loop is the bottleneck, not the
endpoint. With ``workers=N`` the batch forks N processes, each an event loop with its own
`PacedLLMClient` running a share of the documents in flight, and the parent only coordinates.

Who does what:

* the **parent** (`toolkit.batch._Run`) reads the inputs, checks resume keys, decides retries,
  the circuit breaker, counts, ``errors.jsonl``, ``run.json``, the progress bar and signals;
  it hands each document's attempt to the least loaded worker (`WorkerPool.summarize`);
* a **worker** runs `run_one` for it — the pipeline, then the atomic ``<id>.json`` write (the
  same function the in-process mode runs) — and answers with an `Outcome`: small, no report;
* workers ignore SIGINT/SIGTERM (a terminal's Ctrl-C reaches the whole process group): the
  parent stops handing out work, and on a second interrupt tells them to abandon their
  documents; if the parent dies (even ``kill -9``) the workers die with it (Linux
  ``PR_SET_PDEATHSIG``; elsewhere when their socket closes), so at most the documents in flight
  are lost, as in one process;
* the rate limits are split: each worker paces ``rpm/N`` and ``tpm/N``, and a 429 one worker
  sees is relayed to the others, which pause for the same Retry-After and halve their rate too.

Messages are pickles with a 4-byte length over a socketpair per worker (asyncio streams on both
sides, so neither loop ever blocks on the other). Processes are forked (Linux): a fork shares
the parent's imports, so a worker is ready in milliseconds instead of the ~1.3 s of CPU a fresh
interpreter spends importing the toolkit; other platforms use ``spawn``.
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import gc
import itertools
import json
import multiprocessing
import os
import pickle
import signal
import socket
import struct
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any, cast

from toolkit.batch_client import PacedLLMClient, tls_context
from toolkit.batch_output import OutputDir
from toolkit.errors import LLMUnavailable, VerisumError
from toolkit.lexicon import load_lexicon
from toolkit.llm import StructuredLLM
from toolkit.pipeline import asummarize, partial_of
from toolkit.ratelimit import AdaptiveLimiter, LimiterStats
from toolkit.settings import Settings
from toolkit.summary import NumbersMode

_HEADER = struct.Struct("!I")
_PR_SET_PDEATHSIG = 1
MAX_WORKERS = 4
CLOSE_TIMEOUT = 10.0
# fork shares the parent's imports (a worker is ready at once); macOS and others get spawn.
START_METHOD = "fork" if sys.platform == "linux" else "spawn"
SUPPORTED = os.name == "posix"  # Unix sockets and signal masks


# ---------------------------------------------------------------------- one document


@dataclass(frozen=True)
class JobOptions:
    """The pipeline options of a batch (the same for every document)."""

    numbers: NumbersMode
    repair_rounds: int
    keep_unsupported: bool


@dataclass
class Outcome:
    """What one attempt at one document came to; small, so it crosses processes cheaply."""

    ok: bool
    usage: Any = None  # toolkit.usage.Usage on success
    final: dict[str, int] = field(default_factory=dict)
    draft: dict[str, int] = field(default_factory=dict)
    cached: bool = False
    kind: str = ""  # on failure: the public error class (or a bug's class name)
    message: str = ""
    unavailable: bool = False  # LLMUnavailable: the parent may try the document again
    bug: bool = False  # not a VerisumError
    partial: dict[str, Any] | None = None  # what the failed attempt produced, if anything


async def run_one(
    llm: StructuredLLM,
    out: OutputDir,
    text: str,
    *,
    doc_id: str,
    doc_date: date | None,
    name: str,
    meta: bytes,
    options: JobOptions,
) -> Outcome:
    """Summarize one document and write ``<name>.json`` atomically (``meta``, the JSON of the
    resume key, spliced in as its ``batch`` key); errors come back as a failed `Outcome`."""
    try:
        report = await asummarize(
            text,
            doc_id=doc_id,
            llm=llm,
            numbers=options.numbers,
            repair_rounds=options.repair_rounds,
            keep_unsupported=options.keep_unsupported,
            doc_date=doc_date,
        )
        # The report serialized by pydantic-core, the batch object spliced in as its last key
        # (a third of the cost of model_dump + json.dumps).
        body = report.model_dump_json().encode("utf-8")
        # In a thread: the fsync takes 1-8 ms of waiting on the disk, which would stall every
        # other document of this event loop.
        await asyncio.to_thread(out.write_doc, name, body[:-1] + b',"batch":' + meta + b"}")
    except VerisumError as exc:
        partial = partial_of(exc)
        kept = (
            partial.model_dump(mode="json")
            if partial is not None and (partial.notes or partial.draft is not None)
            else None
        )
        return Outcome(
            ok=False,
            kind=error_type(exc),
            message=str(exc),
            unavailable=isinstance(exc, LLMUnavailable),
            partial=kept,
        )
    except Exception as exc:  # a bug on one document must not end the batch
        return Outcome(ok=False, kind=type(exc).__name__, message=str(exc) or repr(exc), bug=True)
    usage = report.usage
    return Outcome(
        ok=True,
        usage=usage,
        final={"quantities": report.final.quantities, "supported": report.final.supported},
        draft={"quantities": report.draft.quantities, "supported": report.draft.supported},
        cached=usage.calls == 0 and usage.cached_calls > 0,
    )


def error_type(exc: VerisumError) -> str:
    """The public error class name (PartialOutputInvalid → LLMOutputInvalid)."""
    for cls in type(exc).__mro__:
        if cls.__module__ == "toolkit.errors":
            return cls.__name__
    return type(exc).__name__


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def default_workers(concurrency: int, backend: str) -> int:
    """Worker processes when none are asked for: 1 against the embedded model (one llama.cpp
    server on the same cores: more processes only compete with it); otherwise one per core, at
    most `MAX_WORKERS`, and no more than one per 8 documents in flight (below that one loop
    keeps up with a 200 ms endpoint, and a fork is not worth it)."""
    if backend == "local" or not SUPPORTED:
        return 1
    return max(1, min(available_cores(), MAX_WORKERS, concurrency // 8))


# ---------------------------------------------------------------------- messages


def _frame(message: object) -> bytes:
    data = pickle.dumps(message, protocol=pickle.HIGHEST_PROTOCOL)
    return _HEADER.pack(len(data)) + data


async def _receive(reader: asyncio.StreamReader) -> Any:
    """The next message, or None when the other side has gone."""
    try:
        head = await reader.readexactly(_HEADER.size)
        return pickle.loads(await reader.readexactly(_HEADER.unpack(head)[0]))
    except (asyncio.IncompleteReadError, ConnectionError):
        return None


@dataclass(frozen=True)
class WorkerConfig:
    """What a worker needs to start (picklable, for the ``spawn`` start method)."""

    settings: Settings
    out: Path
    options: JobOptions
    rpm: float | None
    tpm: float | None
    number: int


# ---------------------------------------------------------------------- the parent side


@dataclass
class _Worker:
    number: int
    process: Any  # multiprocessing.process.BaseProcess
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    capacity: int
    load: int = 0
    alive: bool = True
    stats: LimiterStats | None = None
    cpu_seconds: float = 0.0
    pending: dict[int, asyncio.Future[Outcome]] = field(default_factory=dict)
    listener: asyncio.Task[None] | None = None


class WorkerPool:
    """``count`` worker processes sharing ``concurrency`` documents in flight (see module doc).

    Use: ``await pool.start()``, then ``await pool.summarize(...)`` from many tasks, then
    ``await pool.close()`` (or `abandon` first, on a second interrupt).
    """

    def __init__(
        self,
        *,
        count: int,
        concurrency: int,
        settings: Settings,
        out: Path,
        options: JobOptions,
        rpm: float | None = None,
        tpm: float | None = None,
        close_fds: tuple[int, ...] = (),
    ) -> None:
        self.count = max(1, min(count, concurrency))
        self.concurrency = concurrency
        self.settings = settings
        self.out = out
        self.options = options
        self.rpm = rpm
        self.tpm = tpm
        self.close_fds = close_fds
        self.workers: list[_Worker] = []
        self._ids = itertools.count()
        self._turn = 0

    async def start(self) -> None:
        method = START_METHOD
        context = multiprocessing.get_context(method)
        if method == "fork":
            preload()
        base, extra = divmod(self.concurrency, self.count)
        parent_ends: list[socket.socket] = []
        for number in range(self.count):
            share = base + (1 if number < extra else 0)
            config = WorkerConfig(
                settings=self.settings.model_copy(update={"concurrency": share}),
                out=self.out,
                options=self.options,
                rpm=self.rpm / self.count if self.rpm is not None else None,
                tpm=self.tpm / self.count if self.tpm is not None else None,
                number=number,
            )
            mine, theirs = socket.socketpair()
            # Close in the child: the parent's ends (so a dead parent means EOF), its lock/files.
            inherited = (*(s.fileno() for s in (*parent_ends, mine)), *self.close_fds)
            process = cast(Any, context).Process(
                target=worker_main,
                args=(theirs, config, inherited if method == "fork" else ()),
                name=f"verisum-batch-worker-{number}",
                daemon=True,
            )
            # Signals that arrive between the fork and the worker's own handlers must not run
            # the parent's (they would write into the parent's asyncio wakeup socket).
            blocked = {signal.SIGINT, signal.SIGTERM}
            old = signal.pthread_sigmask(signal.SIG_BLOCK, blocked)
            try:
                process.start()
            finally:
                signal.pthread_sigmask(signal.SIG_SETMASK, old)
            theirs.close()
            parent_ends.append(mine)
            reader, writer = await asyncio.open_unix_connection(sock=mine)
            worker = _Worker(number, process, reader, writer, capacity=max(1, share))
            worker.listener = asyncio.create_task(self._listen(worker))
            self.workers.append(worker)

    async def summarize(
        self, text: str, *, doc_id: str, doc_date: date | None, name: str, meta: bytes
    ) -> Outcome:
        """One attempt at one document in the least loaded live worker."""
        worker = self._pick()
        if worker is None:
            return Outcome(ok=False, kind="WorkerExited", message="no worker process left")
        job = next(self._ids)
        future: asyncio.Future[Outcome] = asyncio.get_running_loop().create_future()
        worker.pending[job] = future
        worker.load += 1
        try:
            worker.writer.write(_frame(("job", job, text, doc_id, doc_date, name, meta)))
            return await future
        finally:
            worker.load -= 1
            worker.pending.pop(job, None)

    def abandon(self) -> None:
        """Tell every worker to drop its documents in flight (a second interrupt)."""
        self._broadcast(("abandon",))

    async def close(self) -> None:
        """Let the workers finish, collect their figures, and reap them."""
        self._broadcast(("close",))
        for worker in self.workers:
            if worker.listener is not None:
                with contextlib.suppress(asyncio.TimeoutError, asyncio.CancelledError):
                    await asyncio.wait_for(worker.listener, CLOSE_TIMEOUT)
            worker.writer.close()
            await asyncio.to_thread(worker.process.join, CLOSE_TIMEOUT)
            if worker.process.is_alive():
                worker.process.kill()
                await asyncio.to_thread(worker.process.join, CLOSE_TIMEOUT)

    def stats(self) -> LimiterStats:
        """The workers' limiters added up (rates: the sum, or None when one is unlimited)."""
        seen = [w.stats for w in self.workers if w.stats is not None]
        rpms = [s.rpm for s in seen]
        tpms = [s.tpm for s in seen]
        return LimiterStats(
            requests=sum(s.requests for s in seen),
            rate_limited=sum(s.rate_limited for s in seen),
            waited_seconds=round(sum(s.waited_seconds for s in seen), 3),
            rpm=round(sum(r for r in rpms if r is not None), 2)
            if seen and None not in rpms
            else None,
            tpm=round(sum(t for t in tpms if t is not None), 2)
            if seen and None not in tpms
            else None,
        )

    @property
    def cpu_seconds(self) -> float:
        """CPU time the workers reported when they closed."""
        return sum(w.cpu_seconds for w in self.workers)

    # ------------------------------------------------------------------ internals

    def _pick(self) -> _Worker | None:
        live = [w for w in self.workers if w.alive]
        if not live:
            return None
        self._turn += 1
        rotated = live[self._turn % len(live) :] + live[: self._turn % len(live)]
        return min(rotated, key=lambda w: w.load / w.capacity)

    def _broadcast(self, message: object, *, skip: _Worker | None = None) -> None:
        data = _frame(message)
        for worker in self.workers:
            if worker.alive and worker is not skip and not worker.writer.is_closing():
                worker.writer.write(data)

    async def _listen(self, worker: _Worker) -> None:
        while True:
            message = await _receive(worker.reader)
            if message is None:
                break
            kind = message[0]
            if kind == "done":
                _, job, outcome, stats = message
                worker.stats = stats
                future = worker.pending.get(job)
                if future is not None and not future.done():
                    future.set_result(outcome)
            elif kind == "limited":
                self._broadcast(("limited", message[1]), skip=worker)
            elif kind == "closed":
                _, worker.stats, worker.cpu_seconds = message
                break
        worker.alive = False
        for future in worker.pending.values():
            if not future.done():
                future.set_result(
                    Outcome(
                        ok=False,
                        kind="WorkerExited",
                        message=f"worker process {worker.number} exited while summarizing",
                        bug=True,
                    )
                )


# ---------------------------------------------------------------------- garbage collection

YOUNG_GC_THRESHOLD = 10_000


@contextlib.contextmanager
def batch_gc() -> Iterator[None]:
    """Collect garbage less often during a batch; the thresholds are restored afterwards.

    Why: the imports' ~89,000 objects live for the whole run, so they are frozen out of every
    collection (`gc.freeze`: GC time 2.6-3.8 -> 1.1-1.4 ms per document at concurrency 32).
    Then a document's work allocates and frees hundreds of thousands of objects, nearly all
    freed at once by reference counting, yet every 700 net allocations (Python's default)
    start a young collection: 0.95-1.0 ms of CPU per document, ~440 collections in 300
    documents (one process, concurrency 16, the sample transcript). At 10,000: 0.36-0.53 ms,
    12-18 collections. Each document also leaves ~100 objects in reference cycles, so fewer
    collections keep more of them for longer: the workers' peak RSS at 500 and 2,000
    documents (`benchmarks/bench_batch.py`, concurrency 64) was 94/95 MiB at 700, 98/100 at
    10,000 — flat — but 101/110 at 50,000 (0.05-0.08 ms), which is not.
    """
    before = gc.get_threshold()
    gc.freeze()
    gc.set_threshold(YOUNG_GC_THRESHOLD, *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


# ---------------------------------------------------------------------- the worker side


def preload() -> None:
    """Build, before the workers are forked, what each of them would otherwise build for itself.

    The lexicon: every worker needs it for its first document, and parsing it compiles its term
    patterns (0.05-0.09 s of CPU). The batch client's TLS context (`toolkit.batch_client.
    tls_context`: 20 ms, built in a thread since the batch started, joined here so that no
    thread runs across the fork). Built once here, both are shared by every fork, as the
    imports are. (The openai SDK's chat resource, 0.1-0.15 s to import, used to be built here
    too; the LLM layer no longer imports it, see `toolkit.llm._chat_body`.)
    """
    load_lexicon()
    tls_context()


class _RelayingLimiter(AdaptiveLimiter):
    """A worker's limiter: its own 429s are also reported to the parent, for the others."""

    def __init__(self, report: Any, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self._report = report

    def on_rate_limited(self, retry_after: float | None = None) -> None:
        super().on_rate_limited(retry_after)
        self._report(retry_after)


def worker_main(sock: socket.socket, config: WorkerConfig, inherited: tuple[int, ...]) -> None:
    """A worker process's entry point (see the module docstring)."""
    with contextlib.suppress(ValueError, OSError):
        signal.set_wakeup_fd(-1)  # the parent's event loop's, inherited by the fork
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    if hasattr(signal, "pthread_sigmask"):  # blocked by the parent around the fork
        signal.pthread_sigmask(signal.SIG_UNBLOCK, {signal.SIGINT, signal.SIGTERM})
    if sys.platform == "linux":
        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(_PR_SET_PDEATHSIG, signal.SIGKILL)
    for fd in inherited:
        with contextlib.suppress(OSError):
            os.close(fd)
    if os.getppid() == 1:  # the parent died before the death signal was set up
        return
    with batch_gc():  # a forked worker has it already; a spawned one does not
        asyncio.run(_serve(sock, config))


async def _serve(sock: socket.socket, config: WorkerConfig) -> None:
    reader, writer = await asyncio.open_unix_connection(sock=sock)

    def relay(retry_after: float | None) -> None:
        writer.write(_frame(("limited", retry_after)))

    limiter = _RelayingLimiter(relay, rpm=config.rpm, tpm=config.tpm)
    llm = PacedLLMClient(config.settings, limiter=limiter)
    out = OutputDir(config.out)
    jobs: set[asyncio.Task[None]] = set()

    async def job(
        number: int, text: str, doc_id: str, when: date | None, name: str, meta: bytes
    ) -> None:
        outcome = await run_one(
            llm,
            out,
            text,
            doc_id=doc_id,
            doc_date=when,
            name=name,
            meta=meta,
            options=config.options,
        )
        writer.write(_frame(("done", number, outcome, limiter.stats())))

    try:
        while True:
            message = await _receive(reader)
            if message is None:  # the parent is gone: drop everything
                for task in jobs:
                    task.cancel()
                break
            kind = message[0]
            if kind == "job":
                task = asyncio.create_task(job(*message[1:]))
                jobs.add(task)
                task.add_done_callback(jobs.discard)
                # Let it start before reading the next job: a burst of jobs (the batch's start)
                # would otherwise all build their requests before the first request goes out.
                await asyncio.sleep(0)
            elif kind == "limited":
                limiter.relayed_rate_limit(message[1])
            elif kind == "abandon":
                for task in jobs:
                    task.cancel()
            elif kind == "close":
                break
        if jobs:
            await asyncio.gather(*jobs, return_exceptions=True)
        writer.write(_frame(("closed", limiter.stats(), time.process_time())))
        with contextlib.suppress(ConnectionError):
            await writer.drain()
    finally:
        await llm.aclose()
        await asyncio.to_thread(llm.close)
        writer.close()


def dump_meta(key: dict[str, Any], source: str, attempts: int) -> bytes:
    """The ``batch`` object of a document's output file (its resume key, source, attempts)."""
    return json.dumps({**key, "source": source, "attempts": attempts}, ensure_ascii=False).encode(
        "utf-8"
    )


__all__ = [
    "JobOptions",
    "Outcome",
    "WorkerPool",
    "available_cores",
    "batch_gc",
    "default_workers",
    "dump_meta",
    "error_type",
    "run_one",
]
