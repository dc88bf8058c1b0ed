"""`summarize_many`: summarize thousands of documents concurrently, resumably, losing nothing.

Each document goes through `toolkit.pipeline.asummarize` (the same pipeline as ``verisum
summarize``). Around it, this module adds what a long batch needs:

* **bounded concurrency**: at most ``concurrency`` model requests in flight (default 1 against
  the embedded model — one server on two cores — and 16 against a hosted endpoint, or the
  ``VERISUM_CONCURRENCY`` you set): the client's request semaphore is set to it, and every
  HTTP attempt passes one shared `AdaptiveLimiter` (RPM/TPM, slowing down on 429s);
* **documents prepared ahead**: against an endpoint, up to ``concurrency // 2`` more documents
  than requests are in flight (`lookahead`), so the next documents' requests are built while
  every request slot waits on the endpoint, and a freed slot's next request goes out at once
  (measured: see `lookahead`);
* **worker processes** (`toolkit.batch_workers`): with ``workers`` > 1 the documents in flight
  are shared by that many forked processes, each an event loop with its own paced client, so a
  batch uses more than one core; this process keeps the inputs, resume checks, retries, counts,
  ``errors.jsonl``, ``run.json``, progress and signals;
* **streaming**: inputs are read one at a time (`toolkit.inputs`) and reports are written as they
  finish, never kept, so memory does not grow with the number of documents;
* **atomic outputs and resume** (`toolkit.batch_output`): ``DIR/<id>.json`` appears whole or not
  at all; a re-run skips every document whose output was made from the same text, ``doc_date``,
  model, options and prompt versions (so a second run makes no model call), and retries the rest;
* **failure isolation**: an empty, binary or undecodable document, a malformed JSONL line or a
  model that keeps failing becomes one row of ``errors.jsonl``; the others go on. A document that
  failed because the endpoint was unavailable is tried ``doc_attempts`` times; after
  ``breaker`` documents in a row fail that way, the rest are recorded as not sent instead of
  waiting on a dead endpoint, so a batch against one that only answers 429/500 always ends;
* **interrupts**: the first Ctrl-C (or SIGTERM) stops taking new documents and lets those in
  flight (including those prepared ahead) finish; a second one abandons them (nothing
  half-written: see atomic outputs); ``kill -9`` loses at most the documents in flight.

``run.json`` records the inputs, the settings (no secrets), model, prompt versions, counts,
tokens, cost, wall time and the numeric precision over all summaries of the set.

Example::

    >>> result = summarize_many("calls/", out=Path("out/season"), concurrency=8)  # doctest: +SKIP
    >>> result.counts.failed, result.exit_code                                   # doctest: +SKIP
    (0, 0)
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import hashlib
import json
import os
import signal
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, Field

from toolkit import batch_workers
from toolkit.batch_client import PacedLLMClient, start_tls_context
from toolkit.batch_output import OutputDir, file_name
from toolkit.batch_workers import (
    JobOptions,
    Outcome,
    WorkerPool,
    batch_gc,
    default_workers,
    dump_meta,
    run_one,
)
from toolkit.errors import ConfigError, InputError
from toolkit.inputs import Document, InputProblem, InputSet, documents_from, open_inputs
from toolkit.llm import StructuredLLM
from toolkit.pipeline import DEFAULT_NUMBERS, DEFAULT_REPAIR_ROUNDS, PROMPTS
from toolkit.prompts import load_prompt_set
from toolkit.ratelimit import AdaptiveLimiter
from toolkit.settings import Settings, load_settings
from toolkit.summary import NumbersMode, SummaryReport
from toolkit.usage import Usage

Engine = Literal["live", "openai-batch"]
Status = Literal["running", "finished", "interrupted"]
HOSTED_CONCURRENCY = 16
LOCAL_CONCURRENCY = 1
DOC_ATTEMPTS = 2
RETRY_PAUSE = 2.0
BATCH_KEY_VERSION = 1


class Counts(BaseModel):
    """Documents by outcome in one run."""

    documents: int = Field(0, description="entries taken from the input (after --limit)")
    succeeded: int = Field(0, description="summarized in this run")
    resumed: int = Field(0, description="skipped: an up-to-date output already existed")
    cached: int = Field(0, description="summarized with every model call answered by the cache")
    failed: int = Field(0, description="rows in errors.jsonl")
    not_started: int = Field(0, description="left when the run was interrupted")
    abandoned: int = Field(0, description="in flight when a second interrupt came")

    @property
    def done(self) -> int:
        return self.succeeded + self.resumed


class Precision(BaseModel):
    """Numbers stated in the summaries of the set (both languages) and how many verified."""

    documents: int = 0
    quantities: int = 0
    supported: int = 0
    draft_quantities: int = 0
    draft_supported: int = 0

    @property
    def final(self) -> float | None:
        return round(self.supported / self.quantities, 4) if self.quantities else None

    @property
    def draft(self) -> float | None:
        return (
            round(self.draft_supported / self.draft_quantities, 4)
            if self.draft_quantities
            else None
        )


class BatchResult(BaseModel):
    """What `summarize_many` did; the same facts as DIR/run.json."""

    out: Path
    status: Status
    counts: Counts
    usage: Usage
    precision: Precision
    wall_seconds: float

    @property
    def exit_code(self) -> int:
        """0 all succeeded, 2 some failed, 130 interrupted (the CLI's exit status)."""
        if self.status == "interrupted":
            return 130
        return 2 if self.counts.failed else 0

    def describe(self) -> str:
        c = self.counts
        final = self.precision.final
        shown = "n/a" if final is None else f"{final:.3f}"
        text = (
            f"{c.documents} documents: {c.succeeded} summarized, {c.resumed} already done, "
            f"{c.failed} failed"
        )
        if c.not_started or c.abandoned:
            text += f", {c.not_started} not started, {c.abandoned} abandoned"
        return (
            f"{text}; {self.usage.describe()}; numeric precision {shown} over "
            f"{self.precision.quantities} numbers; {self.wall_seconds:.1f} s"
        )


@dataclass
class Snapshot:
    """Progress at one moment, for a progress display."""

    total: int | None
    counts: Counts
    usage: Usage
    in_flight: int
    elapsed: float
    message: str = ""


ProgressSink = Callable[[Snapshot], None]


@dataclass
class BatchOptions:
    """Everything that shapes a batch run (see `summarize_many`)."""

    numbers: NumbersMode = DEFAULT_NUMBERS
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS
    keep_unsupported: bool = False
    concurrency: int | None = None
    limit: int | None = None
    rpm: float | None = None
    tpm: float | None = None
    doc_attempts: int = DOC_ATTEMPTS
    breaker: int | None = None
    engine: Engine = "live"
    poll_interval: float = 30.0
    handle_signals: bool = True
    progress: ProgressSink | None = None
    log: Callable[[str], None] | None = None
    workers: int | None = None


# ---------------------------------------------------------------------- public API


async def asummarize_many(
    docs: str | os.PathLike[str] | InputSet | Iterable[Document | Mapping[str, Any] | str],
    *,
    out: str | os.PathLike[str],
    settings: Settings | None = None,
    llm: StructuredLLM | None = None,
    numbers: NumbersMode = DEFAULT_NUMBERS,
    repair_rounds: int = DEFAULT_REPAIR_ROUNDS,
    keep_unsupported: bool = False,
    concurrency: int | None = None,
    limit: int | None = None,
    rpm: float | None = None,
    tpm: float | None = None,
    doc_attempts: int = DOC_ATTEMPTS,
    breaker: int | None = None,
    engine: Engine = "live",
    poll_interval: float = 30.0,
    handle_signals: bool = True,
    progress: ProgressSink | None = None,
    log: Callable[[str], None] | None = None,
    limiter: AdaptiveLimiter | None = None,
    workers: int | None = None,
) -> BatchResult:
    """Summarize every document of ``docs`` into the folder ``out`` (see the module docstring).

    ``docs`` is an input spec (folder, glob or JSONL path, as for ``verisum batch``), an
    `InputSet`, or an iterable of `Document`, ``{"id", "text", "doc_date"?}`` dicts or strings.
    ``llm`` replaces the client built from ``settings`` (tests pass `toolkit.testing.FakeLLM`);
    it is used as given (no pacing) and left open. ``limiter`` replaces the one built from
    ``rpm``/``tpm`` (e.g. to share one across runs, or to change its floor).
    ``engine="openai-batch"`` sends the requests through the provider's Batch API instead
    (`toolkit.openai_batch`). ``workers`` processes share the documents in flight
    (`toolkit.batch_workers`; default: one per core up to 4 against an endpoint when
    ``concurrency`` is 8 or more, else 1; always 1 with ``llm``, ``limiter``, the embedded model
    or the Batch API engine, which are objects of this process).
    """
    inputs = _as_inputs(docs)
    options = BatchOptions(
        numbers=numbers,
        repair_rounds=repair_rounds,
        keep_unsupported=keep_unsupported,
        concurrency=concurrency,
        limit=limit,
        rpm=rpm,
        tpm=tpm,
        doc_attempts=max(1, doc_attempts),
        breaker=breaker,
        engine=engine,
        poll_interval=poll_interval,
        handle_signals=handle_signals,
        progress=progress,
        log=log,
        workers=workers,
    )
    with batch_gc():
        run = _Run(inputs, Path(out), settings, llm, options, limiter)
        return await run.execute()


def summarize_many(
    docs: str | os.PathLike[str] | InputSet | Iterable[Document | Mapping[str, Any] | str],
    *,
    out: str | os.PathLike[str],
    **kwargs: Any,
) -> BatchResult:
    """`asummarize_many` for code without an event loop (same arguments)."""
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return asyncio.run(asummarize_many(docs, out=out, **kwargs))
    raise RuntimeError("summarize_many was called inside an event loop; await asummarize_many")


def current_prompt_refs() -> dict[str, str]:
    """``id -> id@version`` of the pipeline's prompts and their partials as they are now."""
    refs: dict[str, str] = {}
    for prompt in load_prompt_set(PROMPTS).values():
        for ref in prompt.refs:
            refs[ref.split("@", 1)[0]] = ref
    return refs


def default_concurrency(settings: Settings, engine: Engine = "live") -> int:
    """Documents in flight when none is asked for: ``VERISUM_CONCURRENCY`` when set, else 1
    against the embedded model (one llama.cpp server on two cores: more only queue up) and
    `HOSTED_CONCURRENCY` against an endpoint; the Batch API engine keeps a whole wave parked."""
    if engine == "openai-batch":
        return 1000
    if "concurrency" in settings.model_fields_set:
        return settings.concurrency
    return HOSTED_CONCURRENCY if settings.resolved_backend != "local" else LOCAL_CONCURRENCY


def lookahead(concurrency: int, settings: Settings, *, own_client: bool, engine: Engine) -> int:
    """Documents admitted beyond ``concurrency``; their requests wait for a slot.

    Why: a document would hold its request slot while its request is built (the text
    normalized and cut into parts, the prompt rendered: a few ms of CPU, longer when it waits
    its turn for the CPU under load). With documents built ahead, a freed slot's next request
    goes out at once, and the cores work while every slot waits on the endpoint. (Each one's
    source is prepared for checking only after its draft's answer, `toolkit.pipeline`.)
    Measured with ``benchmarks/bench_batch.py``, interleaved runs (when the numbers were still
    extracted before the request): 500 documents at concurrency 32 on 2 workers, efficiency
    0.50/0.52/0.51/0.57/0.53 without, 0.60/0.62/0.64/0.58/0.58 with ``concurrency // 2``
    (``concurrency`` more: no better); at concurrency 8 in one process 0.85/0.85 without,
    0.91/0.92 with.

    Only when this batch's own client bounds the requests (not with a given ``llm``), against
    an endpoint (the embedded model answers in minutes: a Ctrl-C would wait for those
    documents' calls too) and not with the Batch API engine.
    """
    if not own_client or engine != "live" or settings.resolved_backend == "local":
        return 0
    return concurrency // 2


# ---------------------------------------------------------------------- the run


def _as_inputs(
    docs: str | os.PathLike[str] | InputSet | Iterable[Document | Mapping[str, Any] | str],
) -> InputSet:
    if isinstance(docs, InputSet):
        return docs
    if isinstance(docs, str | os.PathLike):
        return open_inputs(docs)
    return documents_from(docs)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8", "surrogatepass")).hexdigest()


def _safe_url(url: str) -> str:
    """The endpoint without credentials, query or fragment."""
    parts = urllib.parse.urlsplit(url)
    host = parts.hostname or ""
    if parts.port:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit((parts.scheme, host, parts.path, "", ""))


def public_settings(settings: Settings) -> dict[str, str]:
    """Settings for run.json: no API key (not even masked), no credentials in URLs."""
    shown = settings.effective()
    shown["openai_api_key"] = "set" if settings.openai_api_key is not None else "(not set)"
    for name in ("openai_base_url", "endpoint"):
        if "://" in shown.get(name, ""):
            shown[name] = _safe_url(shown[name])
    return shown


class _Run:
    """One batch run over one output folder."""

    def __init__(
        self,
        inputs: InputSet,
        out: Path,
        settings: Settings | None,
        llm: StructuredLLM | None,
        options: BatchOptions,
        limiter: AdaptiveLimiter | None = None,
    ) -> None:
        self.inputs = inputs
        self.out = OutputDir(out)
        self.options = options
        self.settings = settings if settings is not None else load_settings()
        if llm is None and options.engine == "live":
            start_tls_context()  # the batch client's, on the other core (`_TLSContext`)
        self.limiter = limiter or AdaptiveLimiter(rpm=options.rpm, tpm=options.tpm)
        self.concurrency = self._concurrency()
        self.workers = self._workers(llm is not None, limiter is not None)
        self.pool: WorkerPool | None = None
        self._pool_lock = asyncio.Lock()
        self.external_llm = llm
        self.ahead = lookahead(
            self.concurrency, self.settings, own_client=llm is None, engine=options.engine
        )
        self.llm: StructuredLLM | None = llm
        self.prompts = current_prompt_refs()
        self.counts = Counts()
        self.usage = Usage()
        self.precision = Precision()
        self.done_names: list[tuple[int, str]] = []
        self.names: set[str] = set()
        self.in_flight: dict[asyncio.Task[None], str] = {}
        self.stopping = False
        self.abandoning = False
        self.producer_blocked = False
        self.producer_done = False
        self.unavailable_streak = 0
        self.breaker_open: str | None = None
        self.breaker = options.breaker or max(4, self.concurrency)
        self.started = time.monotonic()
        self.started_cpu = time.process_time()
        self.started_at = _now()
        self.total: int | None = None
        self.engine_state: dict[str, Any] = {}
        self._last_progress = 0.0

    def _concurrency(self) -> int:
        chosen = self.options.concurrency
        if chosen is not None:
            if chosen < 1:
                raise ConfigError("--concurrency must be at least 1")
            return chosen
        return default_concurrency(self.settings, self.options.engine)

    def _workers(self, own_llm: bool, own_limiter: bool) -> int:
        chosen = self.options.workers
        objects = own_llm or own_limiter or self.options.engine != "live"
        local = self.settings.resolved_backend == "local"
        if chosen is None:
            if objects or local:
                return 1
            return default_workers(self.concurrency, self.settings.resolved_backend)
        if chosen < 1:
            raise ConfigError("--workers must be at least 1")
        if chosen > 1 and not batch_workers.SUPPORTED:
            raise ConfigError("--workers > 1 needs a POSIX system (Linux, macOS)")
        if chosen > 1 and local:
            raise ConfigError(
                "--workers > 1 needs an OpenAI-compatible endpoint: the embedded model is one "
                "server on this machine's cores"
            )
        if chosen > 1 and objects:
            raise ConfigError(
                "workers > 1 cannot share a given llm or limiter, nor the Batch API engine"
            )
        return min(chosen, self.concurrency)

    # ------------------------------------------------------------------ driver

    async def execute(self) -> BatchResult:
        with self.out:
            total = self.inputs.count()
            limit = self.options.limit
            self.total = min(total, limit) if total is not None and limit is not None else total
            engine_task: asyncio.Task[None] | None = None
            owned = self.llm is None
            if self.llm is None:
                if self.options.engine == "openai-batch":
                    from toolkit.openai_batch import BatchAPIClient

                    batch_llm = BatchAPIClient(self.settings, self.out, self._save_engine_state)
                    self.llm = batch_llm
                    engine_task = asyncio.create_task(batch_llm.coordinate(self))
                else:
                    paced = self.settings.model_copy(update={"concurrency": self.concurrency})
                    self.llm = PacedLLMClient(paced, limiter=self.limiter)
            self._write_run("running")
            remove = self._install_signals()
            try:
                await self._produce()
            finally:
                remove()
                if engine_task is not None:
                    engine_task.cancel()
                    with contextlib.suppress(asyncio.CancelledError):
                        await engine_task
                if self.pool is not None:
                    if self.abandoning:
                        self.pool.abandon()
                    await self.pool.close()
                if owned and self.llm is not None:
                    if isinstance(self.llm, PacedLLMClient):
                        await self.llm.aclose()  # its connections belong to this loop
                    await asyncio.to_thread(self.llm.close)
            self.out.assemble(name for _, name in sorted(self.done_names))
            status: Status = "interrupted" if self.stopping else "finished"
            self._write_run(status)
            self._report(force=True)
            return self._result(status)

    async def _produce(self) -> None:
        # Requests are bounded by the client's semaphore (or each worker's share of it).
        slots = asyncio.Semaphore(self.concurrency + self.ahead)
        seen = 0
        for index, entry in enumerate(self.inputs):
            if self.options.limit is not None and index >= self.options.limit:
                break
            if self.stopping:
                break
            seen += 1
            self.counts.documents += 1
            if isinstance(entry, InputProblem):
                self._fail(entry.doc_id, entry.source, "InputError", entry.message, 0)
                continue
            name = file_name(entry.id)
            if name in self.names:
                self._fail(entry.id, entry.source, "InputError", "duplicate id", 0)
                continue
            self.names.add(name)
            self.producer_blocked = slots.locked()
            await slots.acquire()
            self.producer_blocked = False
            if self.stopping:
                slots.release()
                self.counts.documents -= 1
                seen -= 1
                break
            task = asyncio.create_task(self._one(index, entry, name))
            self.in_flight[task] = entry.id
            task.add_done_callback(functools.partial(self._finished, slots))
        self.producer_done = True
        if self.in_flight:
            await asyncio.gather(*list(self.in_flight), return_exceptions=True)
        if self.stopping and self.total is not None:
            self.counts.not_started = max(0, self.total - seen)

    def _finished(self, slots: asyncio.Semaphore, task: asyncio.Task[None]) -> None:
        self.in_flight.pop(task, None)
        slots.release()

    # ------------------------------------------------------------------ one document

    async def _one(self, index: int, doc: Document, name: str) -> None:
        try:
            await self._summarize_one(index, doc, name)
        except asyncio.CancelledError:
            self.counts.abandoned += 1
        except Exception as exc:  # a bug on one document must not end the batch
            self._fail(doc.id, doc.source, type(exc).__name__, str(exc) or repr(exc), 1)
        finally:
            self._report()

    async def _summarize_one(self, index: int, doc: Document, name: str) -> None:
        try:
            text = doc.load()
        except InputError as exc:
            self._fail(doc.id, doc.source, "InputError", str(exc), 0)
            return
        assert self.llm is not None
        key = self._key(text, doc)
        existing = self.out.read_doc(name)
        if existing is not None and self._reusable(existing, key):
            self.counts.resumed += 1
            self._succeeded(index, name, existing)
            return
        attempts = 0
        while True:
            if self.breaker_open is not None:
                self._fail(doc.id, doc.source, "LLMUnavailable", self.breaker_open, attempts)
                return
            attempts += 1
            outcome = await self._attempt(text, doc, name, dump_meta(key, doc.source, attempts))
            if outcome.ok:
                break
            if outcome.unavailable:
                retry = attempts < self.options.doc_attempts and not self.stopping
                if retry and self.breaker_open is None:
                    await asyncio.sleep(RETRY_PAUSE)
                    continue
                self._unavailable(outcome.message)
            if outcome.partial is not None:
                self.out.write_partial(name, outcome.partial)
            tries = 1 if outcome.bug else attempts
            self._fail(doc.id, doc.source, outcome.kind, outcome.message, tries)
            return
        self.unavailable_streak = 0
        if outcome.usage is not None:
            self.usage = self.usage + outcome.usage
        self.counts.succeeded += 1
        if outcome.cached:
            self.counts.cached += 1
        self._succeeded(index, name, {"final": outcome.final, "draft": outcome.draft})

    async def _attempt(self, text: str, doc: Document, name: str, meta: bytes) -> Outcome:
        """One try at one document: in this process, or in a worker process."""
        if self.workers > 1 and self.external_llm is None:
            pool = await self._worker_pool()
            if pool is not None:
                return await pool.summarize(
                    text, doc_id=doc.id, doc_date=doc.doc_date, name=name, meta=meta
                )
        assert self.llm is not None
        return await run_one(
            self.llm,
            self.out,
            text,
            doc_id=doc.id,
            doc_date=doc.doc_date,
            name=name,
            meta=meta,
            options=self._job_options(),
        )

    def _job_options(self) -> JobOptions:
        o = self.options
        return JobOptions(o.numbers, o.repair_rounds, o.keep_unsupported)

    async def _worker_pool(self) -> WorkerPool | None:
        """The worker processes, started when the first document needs the model (a resumed
        run that has nothing left to do never forks); None when they could not be started
        (the run then goes on in this process)."""
        async with self._pool_lock:
            if self.pool is None and self.workers > 1:
                pool = WorkerPool(
                    count=self.workers,
                    concurrency=self.concurrency,
                    settings=self.settings,
                    out=self.out.root,
                    options=self._job_options(),
                    rpm=self.options.rpm,
                    tpm=self.options.tpm,
                    close_fds=self.out.fds(),
                )
                try:
                    await pool.start()
                except OSError as exc:  # fork refused: out of processes or memory
                    await pool.close()
                    self.workers = 1
                    self._say(f"could not start worker processes ({exc}); going on in this one")
                    return None
                self.pool = pool
            return self.pool

    # ------------------------------------------------------------------ bookkeeping

    def _key(self, text: str, doc: Document) -> dict[str, Any]:
        """What must match for a stored output to be reused (prompts are checked separately)."""
        assert self.llm is not None
        fields = {
            "v": BATCH_KEY_VERSION,
            "input_sha256": _sha256(text),
            "doc_date": doc.doc_date.isoformat() if doc.doc_date else None,
            "model": self.llm.model_name,
            "numbers": self.options.numbers,
            "repair_rounds": self.options.repair_rounds,
            "keep_unsupported": self.options.keep_unsupported,
        }
        digest = hashlib.sha256(json.dumps(fields, sort_keys=True).encode()).hexdigest()
        return {**fields, "key": digest}

    def _reusable(self, existing: dict[str, Any], key: dict[str, Any]) -> bool:
        batch = existing.get("batch")
        if not isinstance(batch, dict) or batch.get("key") != key["key"]:
            return False
        used = existing.get("prompts")
        if not isinstance(used, list) or not used:
            return False
        return all(
            isinstance(ref, str) and self.prompts.get(ref.split("@", 1)[0]) == ref for ref in used
        )

    def _succeeded(self, index: int, name: str, data: dict[str, Any]) -> None:
        self.done_names.append((index, name))
        final, draft = data.get("final") or {}, data.get("draft") or {}
        p = self.precision
        p.documents += 1
        p.quantities += int(final.get("quantities", 0))
        p.supported += int(final.get("supported", 0))
        p.draft_quantities += int(draft.get("quantities", 0))
        p.draft_supported += int(draft.get("supported", 0))

    def _fail(self, doc_id: str, source: str, kind: str, message: str, attempts: int) -> None:
        self.counts.failed += 1
        self.out.record_error(
            {
                "id": doc_id,
                "source": source,
                "error": kind,
                "message": message,
                "attempts": attempts,
            }
        )

    def _unavailable(self, message: str) -> None:
        self.unavailable_streak += 1
        if self.unavailable_streak >= self.breaker and self.breaker_open is None:
            self.breaker_open = (
                f"not sent: the endpoint failed {self.unavailable_streak} documents in a row "
                f"(last: {message[:300]}); re-run the same command to retry"
            )
            self._say(
                f"endpoint keeps failing: {self.unavailable_streak} documents in a row; "
                "recording the rest as not sent"
            )

    # ------------------------------------------------------------------ signals

    def _install_signals(self) -> Callable[[], None]:
        if (
            not self.options.handle_signals
            or threading.current_thread() is not threading.main_thread()
        ):
            return lambda: None
        loop = asyncio.get_running_loop()
        installed: list[int] = []
        for sig in (signal.SIGINT, signal.SIGTERM):
            try:
                loop.add_signal_handler(sig, self._on_signal)
                installed.append(sig)
            except (NotImplementedError, RuntimeError, ValueError):
                pass

        def remove() -> None:
            for sig in installed:
                loop.remove_signal_handler(sig)

        return remove

    def _on_signal(self) -> None:
        if not self.stopping:
            self.stopping = True
            self._say(
                f"interrupted: finishing {len(self.in_flight)} documents in flight, taking no "
                "new ones (interrupt again to abandon them)"
            )
            return
        if not self.abandoning:
            self.abandoning = True
            self._say(f"abandoning {len(self.in_flight)} documents in flight")
            for task in list(self.in_flight):
                task.cancel()
            if self.pool is not None:
                self.pool.abandon()

    # ------------------------------------------------------------------ reporting

    def _say(self, message: str) -> None:
        if self.options.log is not None:
            self.options.log(message)

    def _report(self, *, force: bool = False) -> None:
        if self.options.progress is None:
            return
        now = time.monotonic()
        if not force and now - self._last_progress < 0.1:
            return
        self._last_progress = now
        self.options.progress(
            Snapshot(
                total=self.total,
                counts=self.counts.model_copy(),
                usage=self.usage,
                in_flight=len(self.in_flight),
                elapsed=now - self.started,
            )
        )

    def _save_engine_state(self, state: dict[str, Any]) -> None:
        self.engine_state = state
        self._write_run("running")

    def _write_run(self, status: Status) -> None:
        model = self.llm.model_name if self.llm is not None else self.settings.resolved_model
        endpoint = self.llm.endpoint if self.llm is not None else self.settings.endpoint
        stats = self.pool.stats() if self.pool is not None else self.limiter.stats()
        data: dict[str, Any] = {
            "status": status,
            "engine": self.options.engine,
            "started": self.started_at,
            "finished": _now() if status != "running" else None,
            "wall_seconds": round(time.monotonic() - self.started, 3),
            # CPU of this process since the run began, and of the worker processes (reported
            # when they close): divided by the documents, verisum's own cost per document.
            "cpu_seconds": {
                "parent": round(time.process_time() - self.started_cpu, 3),
                "workers": round(self.pool.cpu_seconds, 3) if self.pool is not None else 0.0,
            },
            "inputs": {
                "spec": self.inputs.spec,
                "kind": self.inputs.kind,
                "entries": self.total,
                "limit": self.options.limit,
            },
            "model": model,
            "endpoint": _safe_url(endpoint) if "://" in endpoint else endpoint,
            "prompts": sorted(self.prompts.values()),
            "options": {
                "numbers": self.options.numbers,
                "repair_rounds": self.options.repair_rounds,
                "keep_unsupported": self.options.keep_unsupported,
                "concurrency": self.concurrency,
                "prepared_ahead": self.ahead,
                "rpm": self.options.rpm,
                "tpm": self.options.tpm,
                "doc_attempts": self.options.doc_attempts,
                "breaker": self.breaker,
                "workers": self.workers,
            },
            "settings": public_settings(self.settings),
            "counts": self.counts.model_dump(),
            "usage": {
                **self.usage.model_dump(mode="json"),
                "total_tokens": self.usage.total_tokens,
            },
            "cost_usd": str(self.usage.cost_usd),
            "numeric_precision": {
                **self.precision.model_dump(),
                "final": self.precision.final,
                "draft": self.precision.draft,
            },
            "limiter": {
                "requests": stats.requests,
                "rate_limited": stats.rate_limited,
                "waited_seconds": stats.waited_seconds,
                "rpm": stats.rpm,
                "tpm": stats.tpm,
            },
        }
        if self.engine_state:
            data["openai_batch"] = self.engine_state
        self.out.write_run(data)

    def _result(self, status: Status) -> BatchResult:
        return BatchResult(
            out=self.out.root,
            status=status,
            counts=self.counts,
            usage=self.usage,
            precision=self.precision,
            wall_seconds=round(time.monotonic() - self.started, 3),
        )


def report_of(data: dict[str, Any]) -> SummaryReport:
    """A stored per-document output (DIR/<id>.json or a summaries.jsonl row) as a report."""
    return SummaryReport.model_validate({k: v for k, v in data.items() if k != "batch"})


__all__ = [
    "BatchOptions",
    "BatchResult",
    "Counts",
    "Precision",
    "Snapshot",
    "asummarize_many",
    "current_prompt_refs",
    "default_concurrency",
    "lookahead",
    "report_of",
    "summarize_many",
]
