"""`verisum eval verifier` with the HTML report: the verifier eval of
`toolkit.evaluate.verifier`, plus ``report.html`` (`toolkit.evaluate.report_html`).

The verifier eval module writes predictions, metrics and the Markdown report
(`toolkit.evaluate.verifier.write_outputs`); the HTML needs the `Verification` objects
(evidence spans), which only exist during the run, so this wrapper runs the eval once, lets the
eval module write its three files and adds the fourth.
"""

from __future__ import annotations

from pathlib import Path

from toolkit.errors import InputError
from toolkit.evaluate.report_html import render_verifier_html
from toolkit.evaluate.verifier import (
    VerifierMetrics,
    evaluate_verifier,
    load_verifier_dataset,
    write_outputs,
)


def run_verifier_eval_html(folder: Path, out: Path) -> VerifierMetrics:
    """Like `run_verifier_eval`, and also writes ``report.html``."""
    dataset = load_verifier_dataset(folder)
    predictions, verifications, metrics = evaluate_verifier(dataset)
    write_outputs(out, dataset, predictions, verifications, metrics)
    try:
        (out / "report.html").write_text(
            render_verifier_html(dataset, predictions, verifications, metrics), encoding="utf-8"
        )
    except OSError as exc:
        raise InputError(f"cannot write the eval output ({exc.strerror})", path=str(out)) from exc
    return metrics
