"""Measure the verifier's speed on the whole fineval-dev verifier set (4,628 cases, 163 docs).

Run: ``.venv/bin/python benchmarks/bench_verify.py [DATASET_DIR] [--large]`` (default
``../shared/data/verifier/fineval-dev``; exits 0 with a note when it is absent). Target: the
whole set in under 10 s on one core, source preparation (extraction, contexts, index) included.

Printed, all measured in this run:

* prepare: extracting and indexing the 163 sources once each;
* verify: the 4,628 claims against their prepared sources;
* cases per second over both, and the ratio to the naive digit-string baseline over the same
  cases (how much the real verifier costs compared with a substring search);
* a 50 MB source (the sample transcript repeated) prepared once, then one claim verified, to
  show that preparation stays linear and a claim does not scan the whole document.
"""

from __future__ import annotations

import sys
import time
from collections import defaultdict
from pathlib import Path

from toolkit.evaluate.verifier import load_verifier_dataset, naive_baseline
from toolkit.verify import prepare_source

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "verifier" / "fineval-dev"
SAMPLE = ROOT / "examples" / "kuaishou-2024q1-call.txt"
TARGET_SECONDS = 10.0


def bench_dataset(folder: Path) -> None:
    dataset = load_verifier_dataset(folder)
    by_doc = defaultdict(list)
    for case in dataset.cases:
        by_doc[case.doc_id].append(case)

    started = time.perf_counter()
    for case in dataset.cases:
        naive_baseline(case.claim, dataset.docs[case.doc_id].text)
    naive = time.perf_counter() - started

    prepare = verify = 0.0
    for doc_id, cases in by_doc.items():
        doc = dataset.docs[doc_id]
        t0 = time.perf_counter()
        prepared = prepare_source(doc.text, doc_date=doc.doc_date)
        t1 = time.perf_counter()
        for case in cases:
            prepared.verify(case.claim)
        t2 = time.perf_counter()
        prepare += t1 - t0
        verify += t2 - t1
    total = prepare + verify
    n = len(dataset.cases)
    chars = sum(len(d.text) for d in dataset.docs.values())
    print(f"{folder.name}: {n} cases over {len(by_doc)} docs ({chars:,} chars)")
    print(f"  prepare sources  {prepare:7.2f} s  ({chars / prepare:,.0f} chars/s)")
    print(f"  verify claims    {verify:7.2f} s  ({n / verify:,.0f} claims/s)")
    print(f"  total            {total:7.2f} s  ({n / total:,.0f} cases/s)")
    print(f"  naive baseline   {naive:7.3f} s  (verifier/naive = {total / naive:,.0f}x)")
    verdict = "OK" if total < TARGET_SECONDS else "SLOWER THAN TARGET"
    print(f"  target < {TARGET_SECONDS:.0f} s: {verdict}")


def bench_large_source(megabytes: int = 50) -> None:
    text = SAMPLE.read_text(encoding="utf-8")
    big = text * (megabytes * 1_000_000 // len(text.encode("utf-8")) + 1)
    t0 = time.perf_counter()
    prepared = prepare_source(big)
    t1 = time.perf_counter()
    result = prepared.verify("Q1 online marketing revenue was RMB16.65 billion, up 27.4% YoY")
    t2 = time.perf_counter()
    size = len(big.encode("utf-8")) / 1e6
    print(f"{size:.0f} MB source ({len(prepared.quantities):,} quantities)")
    print(f"  prepare          {t1 - t0:7.2f} s  ({len(big) / (t1 - t0):,.0f} chars/s)")
    print(f"  one claim        {t2 - t1:7.3f} s  → {result.verdict.value}")


def main() -> int:
    positional = [arg for arg in sys.argv[1:] if not arg.startswith("--")]
    folder = Path(positional[0]) if positional else DEFAULT
    if not (folder / "cases.jsonl").is_file():
        print(f"skipped: {folder} not found (the shared data sets are not on this machine)")
    else:
        bench_dataset(folder)
    if "--large" in sys.argv:
        bench_large_source()
    return 0


if __name__ == "__main__":
    sys.exit(main())
