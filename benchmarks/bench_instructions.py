"""Instructions per document, counted by valgrind: verisum's CPU cost in a unit the VM cannot move.

Run: ``.venv/bin/python benchmarks/bench_instructions.py [--quick] [--only prepare pipeline batch]``
(needs ``valgrind``: ``apt install valgrind``; without it the benchmark says so and exits 0).

Why: this machine is a VM whose speed changes from minute to minute. The same code measured
10.4-17 ms of CPU per document in `bench_batch.py` within an hour (`benchmarks/README.md`), so
a change worth 0.2 ms/doc took dozens of interleaved runs to see, and a figure in ms says as
much about the VM's minute as about verisum. The number of instructions a document costs does
not depend on the minute: valgrind's cachegrind (``--cache-sim=no``: it only counts) runs the
same Python and counts every instruction it executes in user space. Two runs that differ only
in the number of documents, N1 and N2, give the cost of one document as (I(N2) - I(N1)) /
(N2 - N1): imports, warm-up and start-up cancel out. The children run with a fixed
``PYTHONHASHSEED``, so set and dict orders are the same in every run: the pipeline's count
repeats exactly; the batch's by up to ~1 % (46.03–46.49 M), with the order in which answers arrive.

Each workload runs on variants of the sample transcript (``examples/kuaishou-2024q1-call.txt``,
a different first line each, so no cache answers):

* ``prepare``: `prepare_source` (the verifier's side of a source: its numbers, their contexts,
  the lexicon matches, the feature index);
* ``pipeline``: `asummarize` with `FakeLLM` answering the recorded summaries
  (``tests/fake_batch_api.py``): the whole pipeline without HTTP — the source prepared,
  prompts rendered, the draft checked, the report built;
* ``batch``: `summarize_many` in one process (``workers=1``, concurrency 16) against the fake
  OpenAI-compatible endpoint (``benchmarks/fake_endpoint.py``, no delay, running natively in its
  own process and not counted): everything `bench_batch.py` counts as verisum's CPU — the
  pipeline, the openai/httpx/aiohttp client and instructor, the response cache, the output files.

Printed for each: instructions per document (millions), then the CPU the same workload takes
here now, natively (ms per document over N2 documents after a warm-up, best of 3), and the rate
that implies (instructions per ns of CPU): the VM's speed in this minute. Counting covers user
space only: system calls (the sockets, fsync) are not in the count but are in the CPU time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = ROOT / "examples" / "kuaishou-2024q1-call.txt"
WORKLOADS = ("prepare", "pipeline", "batch")
SIZES = {"prepare": (20, 80), "pipeline": (20, 60), "batch": (20, 60)}
QUICK_SIZES = {"prepare": (10, 30), "pipeline": (10, 25), "batch": (10, 25)}
NATIVE_ROUNDS = 3
_REFS = re.compile(r"I\s+refs:\s+([\d,]+)")


def _documents(count: int) -> list[str]:
    text = SAMPLE.read_text(encoding="utf-8")
    return [f"第{n}号文件\n{text}" for n in range(count)]


# ---------------------------------------------------------------------- the child side


def child(workload: str, count: int, base_url: str | None) -> None:
    """Run ``workload`` on ``count`` documents after a warm-up on two others; print the CPU the
    ``count`` documents took."""
    sys.path.insert(0, str(ROOT))
    docs = _documents(count + 2)
    warm, measured = docs[count:], docs[:count]
    if workload == "prepare":
        from toolkit.verify import prepare_source

        for text in warm:
            prepare_source(text)
        cpu0 = time.process_time()
        for text in measured:
            prepare_source(text)
        cpu = time.process_time() - cpu0
    elif workload == "pipeline":
        cpu = asyncio.run(_pipeline(warm, measured))
    elif workload == "batch":
        cpu = _batch(warm, measured, base_url or "")
    else:
        raise SystemExit(f"unknown workload {workload!r}")
    print(json.dumps({"cpu_ms_per_doc": cpu / count * 1000}))


async def _pipeline(warm: list[str], measured: list[str]) -> float:
    from tests.fake_batch_api import canned
    from toolkit.pipeline import asummarize
    from toolkit.testing import FakeLLM

    llm = FakeLLM([canned] * (len(warm) + len(measured)))
    for n, text in enumerate(warm):
        await asummarize(text, doc_id=f"warm-{n}", llm=llm)
    cpu0 = time.process_time()
    for n, text in enumerate(measured):
        await asummarize(text, doc_id=f"doc-{n}", llm=llm)
    return time.process_time() - cpu0


def _batch(warm: list[str], measured: list[str], base_url: str) -> float:
    from toolkit.batch import summarize_many
    from toolkit.settings import Settings

    with tempfile.TemporaryDirectory(prefix="bench-instr-") as tmp:
        settings = Settings(
            openai_base_url=base_url, openai_api_key="bench", cache_dir=Path(tmp) / "cache"
        )
        options: dict[str, Any] = {
            "settings": settings,
            "concurrency": 16,
            "workers": 1,
            "handle_signals": False,
        }
        rows = [{"id": f"warm-{n}", "text": t} for n, t in enumerate(warm)]
        summarize_many(rows, out=Path(tmp) / "warm", **options)
        rows = [{"id": f"doc-{n}", "text": t} for n, t in enumerate(measured)]
        cpu0 = time.process_time()
        result = summarize_many(rows, out=Path(tmp) / "out", **options)
        cpu = time.process_time() - cpu0  # not the temporary folder's removal
        if result.counts.failed:
            raise SystemExit(f"{result.counts.failed} documents failed: see the fake endpoint")
    return cpu


# ---------------------------------------------------------------------- the parent side


def _command(workload: str, count: int, base_url: str) -> list[str]:
    return [sys.executable, __file__, "--child", workload, str(count), "--base-url", base_url]


def instructions(workload: str, count: int, base_url: str) -> int:
    """Instructions one run of the child executes (imports and warm-up included)."""
    command = [
        "valgrind",
        "--tool=cachegrind",
        "--cache-sim=no",
        "--cachegrind-out-file=/dev/null",
        *_command(workload, count, base_url),
    ]
    done = subprocess.run(command, capture_output=True, text=True, env=_env(), check=False)
    found = _REFS.search(done.stderr)
    if done.returncode != 0 or found is None:
        raise SystemExit(f"valgrind run of {workload} failed:\n{done.stderr[-3000:]}")
    return int(found.group(1).replace(",", ""))


def native_ms(workload: str, count: int, base_url: str) -> float:
    """CPU ms per document of the same child without valgrind (best of `NATIVE_ROUNDS`)."""
    best = float("inf")
    for _ in range(NATIVE_ROUNDS):
        done = subprocess.run(
            _command(workload, count, base_url),
            capture_output=True,
            text=True,
            env=_env(),
            check=False,
        )
        if done.returncode != 0:
            raise SystemExit(f"native run of {workload} failed:\n{done.stderr[-3000:]}")
        best = min(best, json.loads(done.stdout.strip().splitlines()[-1])["cpu_ms_per_doc"])
    return best


def _env() -> dict[str, str]:
    """No VERISUM_/OPENAI_ settings from the caller's shell; a fixed hash seed, so that set and
    dict orders (and the work that follows them) are the same in every run."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VERISUM_", "OPENAI_"))}
    env["PYTHONHASHSEED"] = "0"
    return env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer documents per run")
    parser.add_argument("--only", nargs="+", choices=WORKLOADS, default=list(WORKLOADS))
    parser.add_argument("--child", nargs=2, metavar=("WORKLOAD", "COUNT"), help=argparse.SUPPRESS)
    parser.add_argument("--base-url", default="", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args.child[0], int(args.child[1]), args.base_url)
        return
    if shutil.which("valgrind") is None:
        print("valgrind is not installed (apt install valgrind): nothing measured")
        return
    sizes = QUICK_SIZES if args.quick else SIZES
    from fake_endpoint import serving  # here: the children need none of it

    with serving(0.0) as (base_url, _):
        print(
            f"sample transcript {len(SAMPLE.read_text(encoding='utf-8'))} chars; "
            f"instructions by valgrind (cachegrind, user space); CPU natively, best of "
            f"{NATIVE_ROUNDS}; load {os.getloadavg()[0]:.1f}"
        )
        print(
            f"{'workload':<9} {'N1':>4} {'N2':>4} {'M instr/doc':>11} {'CPU ms/doc':>10} "
            f"{'instr/ns':>8}"
        )
        for workload in args.only:
            low, high = sizes[workload]
            started = time.perf_counter()
            per_doc = (
                instructions(workload, high, base_url) - instructions(workload, low, base_url)
            ) / (high - low)
            ms = native_ms(workload, high, base_url)
            print(
                f"{workload:<9} {low:>4} {high:>4} {per_doc / 1e6:>11.2f} {ms:>10.2f} "
                f"{per_doc / (ms * 1e6):>8.2f}   ({time.perf_counter() - started:.0f} s)",
                flush=True,
            )


if __name__ == "__main__":
    main()
