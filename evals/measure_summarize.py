"""Measure the summarizer with the configured model (by default the embedded one).

For the sample transcript and the ``--ectsum N`` shortest transcripts of
``../shared/data/ectsum/val.jsonl`` (skipped with a message when the file is absent), in each
numbers mode: numeric precision (share of the quantities stated in the summary, both languages,
that the verifier finds supported) of the model's first answer, after repair, and of the final
kept items; bullets kept; share of bullets and claims dropped; tokens and seconds per document.

    .venv/bin/python evals/measure_summarize.py --modes free grounded --ectsum 10 --out out/measure

Runs are slow on a CPU (minutes per document); the LLM response cache makes a re-run free.
Results go to OUT/results.jsonl (one row per document and mode) and OUT/summary.md.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from toolkit.llm import LLMClient  # noqa: E402
from toolkit.pipeline import summarize  # noqa: E402
from toolkit.settings import load_settings  # noqa: E402
from toolkit.summary import SummaryReport  # noqa: E402

SAMPLE = ROOT / "examples" / "kuaishou-2024q1-call.txt"
SAMPLE_DATE = date(2024, 5, 27)  # the call, as `make demo` passes it
ECTSUM = ROOT.parent / "shared" / "data" / "ectsum" / "val.jsonl"


def documents(ectsum: int, ids: list[str], sample: bool) -> list[tuple[str, str]]:
    docs = [("kuaishou-2024q1-call", SAMPLE.read_text(encoding="utf-8"))] if sample else []
    if ectsum <= 0 and not ids:
        return docs
    if not ECTSUM.is_file():
        print(f"skipping ECTSum: {ECTSUM} is absent", file=sys.stderr)
        return docs
    rows = [json.loads(line) for line in ECTSUM.read_text(encoding="utf-8").splitlines() if line]
    rows.sort(key=lambda r: (len(r["transcript"]), r["id"]))
    chosen = rows[:ectsum] + [r for r in rows if r["id"] in ids]
    docs += [(r["id"], r["transcript"]) for r in chosen]
    return docs


def row(report: SummaryReport, mode: str, seconds: float) -> dict[str, Any]:
    sent = len(report.bullets) + len(report.claims) + len(report.dropped)
    return {
        "doc": report.doc_id,
        "mode": mode,
        "precision_draft": report.draft.precision,
        "precision_repaired": report.repaired.precision,
        "precision_final": report.final.precision,
        "quantities_draft": report.draft.quantities,
        "quantities_repaired": report.repaired.quantities,
        "quantities_final": report.final.quantities,
        "bullets": len(report.bullets),
        "claims": len(report.claims),
        "dropped": len(report.dropped),
        "dropped_share": round(len(report.dropped) / sent, 4) if sent else 0.0,
        "repair_rounds": len(report.repairs),
        "prompt_tokens": report.usage.prompt_tokens,
        "completion_tokens": report.usage.completion_tokens,
        "cached_calls": report.usage.cached_calls,
        "seconds": round(seconds, 1),
        "chunks": report.chunks,
        "chars": report.chars,
    }


def pooled(rows: list[dict[str, Any]], key: str, count: str) -> str:
    """Precision pooled over documents: supported quantities / stated quantities."""
    stated = sum(r[count] for r in rows if r[key] is not None)
    if not stated:
        return "n/a"
    supported = sum(r[key] * r[count] for r in rows if r[key] is not None)
    return f"{supported / stated:.3f}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--modes", nargs="+", default=["free", "grounded"])
    parser.add_argument("--ectsum", type=int, default=10)
    parser.add_argument("--out", type=Path, default=ROOT / "out" / "measure")
    parser.add_argument("--repair-rounds", type=int, default=2)
    parser.add_argument("--ids", nargs="*", default=[], help="also these ECTSum ids (long ones)")
    parser.add_argument("--no-sample", action="store_true", help="skip the sample transcript")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    results: list[dict[str, Any]] = []
    with LLMClient(load_settings()) as llm, (args.out / "results.jsonl").open("a") as log:
        for mode in args.modes:
            for doc_id, text in documents(args.ectsum, args.ids, not args.no_sample):
                started = time.perf_counter()
                try:
                    report = summarize(
                        text,
                        doc_id=doc_id,
                        llm=llm,
                        numbers=mode,
                        repair_rounds=args.repair_rounds,
                        doc_date=SAMPLE_DATE if doc_id == SAMPLE.stem else None,
                    )
                except Exception as exc:  # one failed document must not end the run
                    print(f"{mode} {doc_id}: FAILED {type(exc).__name__}: {exc}", flush=True)
                    continue
                seconds = time.perf_counter() - started
                (args.out / f"{doc_id}.{mode}.json").write_text(report.model_dump_json(indent=1))
                results.append(row(report, mode, seconds))
                log.write(json.dumps(results[-1]) + "\n")
                log.flush()
                print(json.dumps(results[-1]), flush=True)
    lines = [
        "| mode | docs | precision draft | after repair | final | bullets/doc | dropped share "
        "| tokens/doc | s/doc |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for mode in args.modes:
        for label, subset in (
            ("sample", [r for r in results if r["mode"] == mode and r["doc"] == SAMPLE.stem]),
            ("ectsum", [r for r in results if r["mode"] == mode and r["doc"] != SAMPLE.stem]),
        ):
            if not subset:
                continue
            n = len(subset)
            lines.append(
                f"| {mode} ({label}) | {n}"
                f" | {pooled(subset, 'precision_draft', 'quantities_draft')}"
                f" | {pooled(subset, 'precision_repaired', 'quantities_repaired')}"
                f" | {pooled(subset, 'precision_final', 'quantities_final')}"
                f" | {sum(r['bullets'] for r in subset) / n:.1f}"
                f" | {sum(r['dropped_share'] for r in subset) / n:.2f}"
                f" | {sum(r['prompt_tokens'] + r['completion_tokens'] for r in subset) / n:.0f}"
                f" | {sum(r['seconds'] for r in subset) / n:.0f} |"
            )
    (args.out / "summary.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))


if __name__ == "__main__":
    main()
