"""`verisum eval verifier` with the HTML report: the verifier eval of
`toolkit.evaluate.verifier`, plus ``report.html`` (`toolkit.evaluate.report_html`).

The verifier eval module writes predictions, metrics and the Markdown report; the HTML needs
the `Verification` objects (evidence spans), which only exist during the run, so this wrapper
runs the same steps once and writes all four files.
"""

from __future__ import annotations

import json
from pathlib import Path

from toolkit.errors import InputError
from toolkit.evaluate.report_html import render_verifier_html
from toolkit.evaluate.verifier import (
    VerifierMetrics,
    evaluate_verifier,
    load_verifier_dataset,
    render_report,
)


def run_verifier_eval_html(folder: Path, out: Path) -> VerifierMetrics:
    """Like `run_verifier_eval`, and also writes ``report.html``."""
    dataset = load_verifier_dataset(folder)
    predictions, verifications, metrics = evaluate_verifier(dataset)
    try:
        out.mkdir(parents=True, exist_ok=True)
        with (out / "predictions.jsonl").open("w", encoding="utf-8") as fh:
            for p in predictions:
                fh.write(json.dumps(p.model_dump(mode="json"), ensure_ascii=False) + "\n")
        (out / "metrics.json").write_text(
            json.dumps(metrics.model_dump(mode="json"), ensure_ascii=False, indent=2) + "\n",
            encoding="utf-8",
        )
        (out / "report.md").write_text(
            render_report(dataset, predictions, verifications, metrics), encoding="utf-8"
        )
        (out / "report.html").write_text(
            render_verifier_html(dataset, predictions, verifications, metrics), encoding="utf-8"
        )
    except OSError as exc:
        raise InputError(f"cannot write the eval output ({exc.strerror})", path=str(out)) from exc
    return metrics
