"""Compare two eval runs metric by metric and flag regressions, so an eval can gate CI.

A run is an eval output folder (or its ``metrics.json``). Every numeric leaf of the metrics is
compared under its dotted path (``overall.summarizer.numeric_precision``,
``binary_per_class.supported.f1``); lists (per-document rows, problems) are left out.

A metric *regresses* when it moves the wrong way by more than the threshold:

- quality rates (``precision``, ``recall``, ``f1``, ``accuracy``, ``rouge_l``, support and
  consistency rates; higher is better; ``contradicted_rate`` and ``dropped_rate``: lower is
  better) by more than ``threshold`` **absolute** (default 0.01 = one point);
- resources (``tokens``, ``cost_usd``, ``seconds``: lower is better; ``cases_per_second``:
  higher is better) by more than ``resource_threshold`` **relative** (default 0.5 = 50%,
  because timings on a shared machine are noisy).

Baselines (paths under ``baseline`` or ``lead_n``), counts and anything else are reported but
never gate: a baseline moving is not a regression of verisum.

Example::

    >>> result = compare_runs(Path("out/run-a"), Path("out/run-b"))
    >>> [d.metric for d in result.regressions]
    ['overall.summarizer.numeric_precision']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel

from toolkit.errors import InputError

Direction = Literal["higher", "lower", "none"]

_HIGHER_RATES = {
    "precision",
    "recall",
    "f1",
    "accuracy",
    "binary_accuracy",
    "numeric_precision",
    "verbatim_precision",
    "draft_precision",
    "claim_support_rate",
    "naive_support_rate",
    "bilingual_consistency",
    "numeric_recall",
    "rouge_l",
}
_LOWER_RATES = {"contradicted_rate", "dropped_rate"}
_LOWER_RESOURCES = {"tokens", "cost_usd", "seconds"}
_HIGHER_RESOURCES = {"cases_per_second"}
_NOT_GATED = {"baseline", "lead_n", "totals"}


class Delta(BaseModel):
    """One metric in both runs."""

    metric: str
    a: float | None
    b: float | None
    delta: float | None
    direction: Direction
    kind: Literal["rate", "resource", "info"]
    regression: bool


class Comparison(BaseModel):
    """What ``compare.json`` holds."""

    run_a: str
    run_b: str
    threshold: float
    resource_threshold: float
    deltas: list[Delta]

    @property
    def regressions(self) -> list[Delta]:
        return [d for d in self.deltas if d.regression]


def load_metrics(run: Path) -> dict[str, Any]:
    """``metrics.json`` of a run folder (or the file itself)."""
    path = run / "metrics.json" if run.is_dir() else run
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"no metrics.json ({exc.strerror})", path=str(path)) from exc
    except json.JSONDecodeError as exc:
        raise InputError(f"not JSON ({exc.msg})", path=str(path)) from exc
    if not isinstance(data, dict):
        raise InputError("metrics.json must hold a JSON object", path=str(path))
    return data


def flatten(data: dict[str, Any], prefix: str = "") -> dict[str, float | None]:
    """Numeric leaves (and nulls) by dotted path; lists, strings and booleans are skipped."""
    flat: dict[str, float | None] = {}
    for key, value in data.items():
        path = f"{prefix}{key}"
        if isinstance(value, dict):
            flat.update(flatten(value, path + "."))
        elif value is None:
            flat[path] = None
        elif isinstance(value, int | float) and not isinstance(value, bool):
            flat[path] = float(value)
    return flat


def classify(metric: str) -> tuple[Direction, Literal["rate", "resource", "info"]]:
    """Which way is better for ``metric`` and which threshold applies (module docstring)."""
    parts = metric.split(".")
    leaf = parts[-1]
    if _NOT_GATED & set(parts[:-1]) or parts[0] in {"confusion", "labels", "reasons"}:
        return "none", "info"
    if leaf in _HIGHER_RATES:
        return "higher", "rate"
    if leaf in _LOWER_RATES:
        return "lower", "rate"
    if leaf in _LOWER_RESOURCES:
        return "lower", "resource"
    if leaf in _HIGHER_RESOURCES:
        return "higher", "resource"
    return "none", "info"


def _regressed(
    a: float | None,
    b: float | None,
    direction: Direction,
    kind: str,
    threshold: float,
    resource_threshold: float,
) -> bool:
    if direction == "none":
        return False
    if a is not None and b is None:
        return kind == "rate"  # a quality figure that stopped being defined
    if a is None or b is None:
        return False
    worse = (a - b) if direction == "higher" else (b - a)
    if kind == "rate":
        return worse > threshold + 1e-12
    return a > 0 and worse / a > resource_threshold


def compare_runs(
    run_a: Path, run_b: Path, *, threshold: float = 0.01, resource_threshold: float = 0.5
) -> Comparison:
    """Every metric of run B against run A (A is the reference, B the candidate)."""
    a, b = load_metrics(run_a), load_metrics(run_b)
    kind_a, kind_b = a.get("kind", "verifier"), b.get("kind", "verifier")
    if kind_a != kind_b:
        raise InputError(f"cannot compare a {kind_a} eval with a {kind_b} eval", path=str(run_b))
    flat_a, flat_b = flatten(a), flatten(b)
    deltas: list[Delta] = []
    for metric in [*flat_a, *(k for k in flat_b if k not in flat_a)]:
        va, vb = flat_a.get(metric), flat_b.get(metric)
        direction, kind = classify(metric)
        deltas.append(
            Delta(
                metric=metric,
                a=va,
                b=vb,
                delta=None if va is None or vb is None else round(vb - va, 6),
                direction=direction,
                kind=kind,
                regression=_regressed(va, vb, direction, kind, threshold, resource_threshold),
            )
        )
    return Comparison(
        run_a=str(run_a),
        run_b=str(run_b),
        threshold=threshold,
        resource_threshold=resource_threshold,
        deltas=deltas,
    )


def _num(value: float | None) -> str:
    if value is None:
        return "n/a"
    return f"{value:.4f}" if abs(value) < 10 else f"{value:,.1f}"


def render_comparison(comparison: Comparison, *, changed_only: bool = False) -> str:
    """Markdown table of the deltas; regressions marked **REGRESSION**, improvements ↑."""
    lines = [
        f"# Compare {comparison.run_a} → {comparison.run_b}",
        "",
        f"Thresholds: rates {comparison.threshold} absolute, resources "
        f"{comparison.resource_threshold:.0%} relative. "
        f"{len(comparison.regressions)} regression(s).",
        "",
        "| metric | A | B | delta | |",
        "|---|---:|---:|---:|---|",
    ]
    for d in comparison.deltas:
        if changed_only and d.a == d.b and not d.regression:
            continue
        flag = ""
        if d.regression:
            flag = "**REGRESSION**"
        elif d.delta and d.direction != "none":
            better = d.delta > 0 if d.direction == "higher" else d.delta < 0
            flag = "better" if better else "worse (within threshold)"
        sign = "" if d.delta is None else f"{d.delta:+.4f}"
        lines.append(f"| {d.metric} | {_num(d.a)} | {_num(d.b)} | {sign} | {flag} |")
    return "\n".join(lines) + "\n"
