"""Benchmark quantity extraction: throughput, ratio to a bare digit scan, memory, bad inputs.

    python benchmarks/bench_quantities.py            # the full run (about two minutes)
    python benchmarks/bench_quantities.py --quick    # 2 MB instead of 10 MB, no 50 MB run

Every figure is measured in this run: characters per second of ``extract_quantities`` over

- the sample transcript repeated to 10 MB (UTF-8),
- all ECTSum validation transcripts (``../shared/data/ectsum/val.jsonl``; skipped when absent),

next to a bare ``re.finditer(r"\\d+")`` pass over the same text (the ratio is the target that
does not depend on the machine), peak traced memory per input character at two sizes (linear
means the two agree), a 50 MB document in one call (peak RSS of a child process), and
pathological inputs that would take quadratic time with a backtracking pattern, each in a child
process with a timeout. CPU time (``time.process_time``), best of five interleaved rounds,
so other work on the machine disturbs the figures less.

Targets (issue 2): >= 2,000,000 chars/s on one core, ratio <= 20, memory linear.
"""

from __future__ import annotations

import argparse
import json
import multiprocessing as mp
import re
import resource
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.numbers import extract_quantities  # noqa: E402

SAMPLE = ROOT / "examples" / "kuaishou-2024q1-call.txt"
ECTSUM = ROOT.parent / "shared" / "data" / "ectsum" / "val.jsonl"
MB = 1024 * 1024
TARGET_RATE = 2_000_000
TARGET_RATIO = 20.0
ROUNDS = 5


def repeat_to_bytes(text: str, size: int) -> str:
    """``text`` repeated (cut at a character) until its UTF-8 form is ``size`` bytes."""
    per_char = len(text.encode("utf-8")) / len(text)
    chars = int(size / per_char)
    return (text * (chars // len(text) + 1))[:chars]


def cpu_seconds(func: Callable[[], object]) -> float:
    start = time.process_time()
    func()
    return time.process_time() - start


def bare_scan(text: str) -> int:
    return sum(1 for _ in re.finditer(r"\d+", text))


def throughput(name: str, text: str) -> tuple[float, float]:
    found = len(extract_quantities(text))
    # Interleaved rounds, best of each: both sides see the same machine load.
    extract = bare = float("inf")
    for _ in range(ROUNDS):
        extract = min(extract, cpu_seconds(lambda: extract_quantities(text)))
        bare = min(bare, cpu_seconds(lambda: bare_scan(text)))
    rate = len(text) / extract
    ratio = extract / bare
    print(
        f"{name:<34} {len(text):>11,} chars {found:>8,} quantities  "
        f"{rate / 1e6:6.2f} M chars/s  bare \\d+ {len(text) / bare / 1e6:6.1f} M chars/s  "
        f"ratio {ratio:5.1f}"
    )
    return rate, ratio


def traced_peak_per_char(text: str) -> float:
    tracemalloc.start()
    extract_quantities(text)
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return peak / len(text)


def _extract_in_child(text: str, queue: mp.Queue[tuple[int, float, int]]) -> None:
    start = time.process_time()
    found = extract_quantities(text)
    seconds = time.process_time() - start
    queue.put((len(found), seconds, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss))


def run_in_child(text: str, timeout: float) -> tuple[int, float, int] | None:
    """Extract in a child process; None when it did not finish within ``timeout`` seconds."""
    queue: mp.Queue[tuple[int, float, int]] = mp.Queue()
    child = mp.Process(target=_extract_in_child, args=(text, queue))
    child.start()
    child.join(timeout)
    if child.is_alive():
        child.kill()
        child.join()
        return None
    return queue.get() if not queue.empty() else None


PATHOLOGICAL: dict[str, str] = {
    "100,000 digits": "7" * 100_000,
    "50,000 dashes + 季度": "-" * 50_000 + "季度",
    "万万万… ×100,000": "万" * 100_000,
    "一千万 ×30,000 glued": "一千万" * 30_000,
    "'1,' ×50,000": "1," * 50_000,
    "'1.' ×50,000": "1." * 50_000,
    "'1-' ×50,000": "1-" * 50_000,
    "'$1 to ' ×20,000": "$1 to " * 20_000,
    "'19%和' ×30,000": "19%和" * 30_000,
    "O between digits ×50,000": "1O" * 50_000,
    "100,000 letters": "a" * 100_000,
    "'Q1 ' ×30,000": "Q1 " * 30_000,
    "one sentence of 200,000 chars": ("增长10%" + "收" * 40) * 4_000,
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="2 MB sample, no 50 MB run")
    args = parser.parse_args()
    size = 2 * MB if args.quick else 10 * MB
    sample = SAMPLE.read_text(encoding="utf-8")
    ok = True

    print(f"== throughput (CPU time, best of {ROUNDS} interleaved rounds)")
    rate, ratio = throughput(
        f"sample transcript x -> {size // MB} MB", repeat_to_bytes(sample, size)
    )
    ok &= rate >= TARGET_RATE and ratio <= TARGET_RATIO
    if ECTSUM.exists():
        rows = [json.loads(line) for line in ECTSUM.read_text(encoding="utf-8").splitlines()]
        english = "\n\n".join(row["transcript"] for row in rows)
        rate, ratio = throughput(f"ECTSum val ({len(rows)} transcripts)", english)
        ok &= rate >= TARGET_RATE and ratio <= TARGET_RATIO
    else:
        print(f"ECTSum val: skipped ({ECTSUM} not found)")

    print("== memory (tracemalloc peak per input character)")
    small = traced_peak_per_char(repeat_to_bytes(sample, MB))
    large = traced_peak_per_char(repeat_to_bytes(sample, 4 * MB))
    print(f"1 MB: {small:6.1f} bytes/char   4 MB: {large:6.1f} bytes/char")
    ok &= large <= small * 1.25

    if not args.quick:
        print("== 50 MB document in one call (child process)")
        big = repeat_to_bytes(sample, 50 * MB)
        result = run_in_child(big, timeout=600)
        if result is None:
            print("did not finish within 600 s")
            ok = False
        else:
            found, seconds, rss_kb = result
            print(
                f"{len(big):,} chars, {found:,} quantities, {seconds:.1f} s CPU, "
                f"peak RSS {rss_kb / 1024:.0f} MiB ({rss_kb * 1024 / len(big):.0f} bytes/char)"
            )

    print("== pathological inputs (child process, 30 s timeout each)")
    for name, text in PATHOLOGICAL.items():
        result = run_in_child(text, timeout=30)
        if result is None:
            print(f"{name:<32} TIMEOUT")
            ok = False
        else:
            found, seconds, _ = result
            print(f"{name:<32} {len(text):>8,} chars  {seconds * 1000:8.1f} ms  {found} quantities")

    print("targets met" if ok else "TARGETS MISSED")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
