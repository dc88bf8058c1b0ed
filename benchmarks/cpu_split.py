"""Where a batch's CPU goes, by part of the stack: a sampling profiler for `bench_batch.py`.

Why sampling: cProfile's per-call hooks double the cost of small Python functions, so the
shares it shows are not those of the real run. Here a ``SIGPROF`` timer (``ITIMER_PROF``, so
only CPU time, user + system, counts) interrupts the process every ``interval`` seconds of
CPU, and the handler looks at the Python stack it interrupted: the innermost frame that
belongs to a known part decides where that slice of CPU goes. A C function (a regex, a JSON
parse, pydantic-core) counts for the Python code that called it. At 2 ms the sampler costs
well under 1 % of the run.

Parts (`PARTS`):

* **http client**: openai, httpx, httpcore, h11, anyio, aiohttp, instructor, tenacity — building
  the request, the connection pool, parsing the response and the tool call;
* **llm layer**: verisum's `toolkit/llm.py`, `cache.py`, `batch_client.py` around each call
  (cache key and lookup, usage, pacing hooks);
* **pipeline**, split into ``prepare_source`` (the source side, once per document: its numbers,
  contexts and index), ``verify`` (checking the summary's claims and bullets),
  ``estimate_tokens`` (token budgets), ``prompts`` (loading and rendering templates),
  ``pydantic`` (models validated or dumped by the pipeline) and ``other`` (chunking, the
  bilingual comparison, the report...);
* **batch**: `toolkit/batch*.py`, inputs, rate limiter, usage — reading inputs, resume keys,
  the atomic output files, bookkeeping, and the worker processes' messages;
* **event loop**: asyncio and the selector, with no verisum or client frame inside;
* **other**: nothing recognisable on the stack.

A CPU slice spent in another thread (the file writes run in one) is counted for what the main
thread was doing at that moment, usually the event loop.
"""

from __future__ import annotations

import collections
import json
import os
import signal
from pathlib import Path
from types import FrameType
from typing import Any

_FILES: tuple[tuple[str, str], ...] = (
    ("/toolkit/batch_client.py", "llm layer"),
    ("/toolkit/llm.py", "llm layer"),
    ("/toolkit/cache.py", "llm layer"),
    ("/toolkit/batch", "batch"),
    ("/toolkit/inputs.py", "batch"),
    ("/toolkit/ratelimit.py", "batch"),
    ("/toolkit/usage.py", "batch"),
    ("/toolkit/", "pipeline"),
    *(
        (f"/{package}/", "http client")
        for package in (
            "openai",
            "httpx",
            "httpcore",
            "h11",
            "anyio",
            "sniffio",
            "aiohttp",
            "httpx_aiohttp",
            "yarl",
            "multidict",
            "instructor",
            "tenacity",
        )
    ),
    ("/asyncio/", "event loop"),
    ("/selectors.py", "event loop"),
)
_TOKENS = {"estimate_tokens", "count_tokens", "request_tokens"}
PARTS = (
    "http client",
    "llm layer",
    "pipeline: prepare_source",
    "pipeline: verify",
    "pipeline: estimate_tokens",
    "pipeline: prompts",
    "pipeline: pydantic",
    "pipeline: other",
    "batch",
    "event loop",
    "other",
)


class Sampler:
    """``start()``, run, ``stop()`` → samples per part (see the module docstring)."""

    def __init__(self, interval: float = 0.002) -> None:
        self.interval = interval
        self.counts: collections.Counter[str] = collections.Counter()
        self._memo: dict[str, str | None] = {}

    def _part_of_file(self, filename: str) -> str | None:
        try:
            return self._memo[filename]
        except KeyError:
            part = next((p for key, p in _FILES if key in filename), None)
            self._memo[filename] = part
            return part

    def classify(self, frame: FrameType | None) -> str:
        innermost = frame
        while frame is not None:
            code = frame.f_code
            part = self._part_of_file(code.co_filename)
            if code.co_name in _TOKENS and part in ("llm layer", "pipeline"):
                return "pipeline: estimate_tokens"
            if part == "pipeline":
                return self._pipeline_part(frame, innermost)
            if part is not None:
                return part
            frame = frame.f_back
        return "other"

    @staticmethod
    def _pipeline_part(frame: FrameType, innermost: FrameType | None) -> str:
        first = frame.f_code.co_filename
        verify = False
        walk: FrameType | None = frame
        while walk is not None:
            code = walk.f_code
            if code.co_name == "prepare_source":
                return "pipeline: prepare_source"
            if code.co_filename.endswith(("/toolkit/verify.py", "/toolkit/checks.py")):
                verify = True
            walk = walk.f_back
        if first.endswith("/toolkit/prompts.py"):
            return "pipeline: prompts"
        if verify:
            return "pipeline: verify"
        if innermost is not None and "/pydantic" in innermost.f_code.co_filename:
            return "pipeline: pydantic"
        return "pipeline: other"

    def _handler(self, signum: int, frame: FrameType | None) -> None:
        self.counts[self.classify(frame)] += 1

    def start(self) -> None:
        signal.signal(signal.SIGPROF, self._handler)
        signal.setitimer(signal.ITIMER_PROF, self.interval, self.interval)

    def stop(self) -> collections.Counter[str]:
        signal.setitimer(signal.ITIMER_PROF, 0, 0)
        signal.signal(signal.SIGPROF, signal.SIG_IGN)
        return self.counts


def sample_workers(folder: Path) -> None:
    """Make every batch worker process forked from now on sample itself and leave its counts
    in ``folder/worker-<pid>.json`` when it ends (timers are not inherited by a fork)."""
    from toolkit import batch_workers

    original = batch_workers.worker_main

    def sampled(*args: Any) -> None:
        sampler = Sampler()
        sampler.start()
        try:
            original(*args)
        finally:
            counts = sampler.stop()
            (folder / f"worker-{os.getpid()}.json").write_text(json.dumps(counts))

    batch_workers.worker_main = sampled  # type: ignore[assignment]


def worker_counts(folder: Path) -> collections.Counter[str]:
    total: collections.Counter[str] = collections.Counter()
    for path in folder.glob("worker-*.json"):
        total.update(json.loads(path.read_text()))
    return total
