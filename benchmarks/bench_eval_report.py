"""Measure `verisum eval verifier` with its HTML report on fineval-dev (target: under 20 s).

Run: ``.venv/bin/python benchmarks/bench_eval_report.py [DATASET_DIR]`` (default
``../shared/data/verifier/fineval-dev``; exits 0 with a note when it is absent).

Printed, all measured in this run (wall clock, best of 3): the whole command as a user runs
it (a fresh process: imports, loading, verifying, writing predictions, metrics, Markdown and
HTML), and inside one process the share of the time spent rendering the HTML report.
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
import time
from pathlib import Path

from toolkit.evaluate.report_html import render_verifier_html
from toolkit.evaluate.verifier import evaluate_verifier, load_verifier_dataset

ROOT = Path(__file__).resolve().parent.parent
DEFAULT = ROOT.parent / "shared" / "data" / "verifier" / "fineval-dev"
VERISUM = Path(sys.executable).parent / "verisum"
TARGET_SECONDS = 20.0


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not folder.is_dir():
        print(f"skipping: {folder} is absent")
        return
    runs = []
    with tempfile.TemporaryDirectory() as out:
        for _ in range(3):
            started = time.perf_counter()
            subprocess.run(
                [str(VERISUM), "eval", "verifier", str(folder), "--out", out],
                check=True,
                capture_output=True,
            )
            runs.append(time.perf_counter() - started)
        html_bytes = (Path(out) / "report.html").stat().st_size
    dataset = load_verifier_dataset(folder)
    started = time.perf_counter()
    predictions, verifications, metrics = evaluate_verifier(dataset)
    evaluated = time.perf_counter()
    render_verifier_html(dataset, predictions, verifications, metrics)
    rendered = time.perf_counter()
    best = min(runs)
    print(
        f"{folder.name}: {metrics.cases} cases; `verisum eval verifier` best of 3: {best:.2f} s "
        f"(runs {', '.join(f'{r:.2f}' for r in runs)}; target < {TARGET_SECONDS:.0f} s: "
        f"{'met' if best < TARGET_SECONDS else 'NOT met'})"
    )
    print(
        f"in-process: evaluate {evaluated - started:.2f} s, HTML {rendered - evaluated:.3f} s "
        f"({(rendered - evaluated) / (rendered - started):.1%} of the two), "
        f"report.html {html_bytes / 1024:.0f} KiB"
    )


if __name__ == "__main__":
    main()
