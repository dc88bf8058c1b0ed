"""Evaluate the verifier on a labelled data set and write predictions, metrics and a report.

A data set is a folder with ``docs.jsonl`` (``{id, text, doc_date?}``) and ``cases.jsonl``
(``{id, doc_id, claim, label}``, label ``supported`` / ``contradicted`` / ``unverifiable`` /
``not_supported``), the format of ``../shared/data/verifier/*/``. Malformed lines are reported as
``FILE:LINE: problem`` and skipped.

Metrics: binary accuracy (supported vs not) over every case; 3-way accuracy only over cases
whose label is finer than ``not_supported``; per-class precision/recall/F1 for both views; a
confusion matrix (label × verdict); cases per second (source preparation included, one core);
and, computed in the same run, the naive baseline (a claim is supported when every digit string
in it, such as ``16.65``, occurs verbatim in the source).

Example::

    >>> metrics = run_verifier_eval(Path("../shared/data/verifier/seed-spans"), Path("out/seed"))
    >>> metrics.binary_accuracy, metrics.baseline.binary_accuracy
    (1.0, 0.5625)
"""

from __future__ import annotations

import json
import re
import time
from collections import Counter, defaultdict
from datetime import date
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.errors import InputError
from toolkit.evaluate.jsonl import read_models
from toolkit.verdict import Verdict, Verification
from toolkit.verify import prepare_source

Label = Literal["supported", "contradicted", "unverifiable", "not_supported"]
FINE_LABELS = ("supported", "contradicted", "unverifiable")
BINARY_LABELS = ("supported", "not_supported")
_DIGITS = re.compile(r"\d+(?:\.\d+)?")


class VerifierDoc(BaseModel):
    """One source document of a verifier data set."""

    model_config = ConfigDict(extra="ignore")

    id: str
    text: str
    doc_date: date | None = None


class VerifierCase(BaseModel):
    """One labelled claim; extra keys (``note``, ``perturbed``) are kept for the report."""

    model_config = ConfigDict(extra="allow")

    id: str
    doc_id: str
    claim: str
    label: Label


class VerifierDataset(BaseModel):
    """Docs by id, cases in file order, and the problems met while reading them."""

    name: str
    docs: dict[str, VerifierDoc]
    cases: list[VerifierCase]
    problems: list[str] = Field(default_factory=list)


class Prediction(BaseModel):
    """One row of ``predictions.jsonl``."""

    id: str
    label: Label
    verdict: Verdict
    reasons: list[str]
    baseline: Literal["supported", "not_supported"]


class ClassScores(BaseModel):
    precision: float | None
    recall: float | None
    f1: float | None
    support: int


class Scores(BaseModel):
    """Accuracy and per-class scores of one predictor (ours or the baseline)."""

    binary_accuracy: float | None
    accuracy: float | None = Field(
        description="3-way accuracy over the cases whose label is finer than not_supported"
    )
    accuracy_cases: int
    binary_per_class: dict[str, ClassScores]
    per_class: dict[str, ClassScores]


class VerifierMetrics(BaseModel):
    """What ``metrics.json`` holds."""

    kind: Literal["verifier"] = Field(
        default="verifier", description="which eval wrote it: `verisum eval compare` checks it"
    )
    dataset: str
    cases: int
    skipped_lines: int
    labels: dict[str, int]
    binary_accuracy: float | None
    accuracy: float | None
    accuracy_cases: int
    binary_per_class: dict[str, ClassScores]
    per_class: dict[str, ClassScores]
    confusion: dict[str, dict[str, int]] = Field(description="label → predicted verdict → count")
    reasons: dict[str, int]
    seconds: float
    cases_per_second: float | None
    baseline: Scores
    problems: list[str]


def load_verifier_dataset(folder: Path) -> VerifierDataset:
    """Read a data set folder; bad lines become ``problems``, a missing file an `InputError`."""
    if not folder.is_dir():
        raise InputError("not a folder with docs.jsonl and cases.jsonl", path=str(folder))
    docs_path, cases_path = folder / "docs.jsonl", folder / "cases.jsonl"
    for required in (docs_path, cases_path):
        if not required.is_file():
            raise InputError("missing; a verifier data set needs it", path=str(required))
    doc_rows, problems = read_models(docs_path, VerifierDoc)
    docs: dict[str, VerifierDoc] = {}
    for line, doc in doc_rows:
        if doc.id in docs:
            problems.append(f"{docs_path}:{line}: duplicate doc id {doc.id!r}")
            continue
        if not doc.text.strip():
            problems.append(f"{docs_path}:{line}: doc {doc.id!r} has empty text")
            continue
        docs[doc.id] = doc
    case_rows, case_problems = read_models(cases_path, VerifierCase)
    problems += case_problems
    cases: list[VerifierCase] = []
    seen: set[str] = set()
    for line, case in case_rows:
        if case.doc_id not in docs:
            problems.append(f"{cases_path}:{line}: unknown doc_id {case.doc_id!r}")
            continue
        if case.id in seen:
            problems.append(f"{cases_path}:{line}: duplicate case id {case.id!r}")
            continue
        seen.add(case.id)
        cases.append(case)
    return VerifierDataset(name=folder.name, docs=docs, cases=cases, problems=problems)


def naive_baseline(claim: str, source: str) -> Literal["supported", "not_supported"]:
    """Supported when every digit string of the claim ("16.65", "2024") occurs in the source."""
    found = all(digits in source for digits in _DIGITS.findall(claim))
    return "supported" if found else "not_supported"


def _binary(label: str) -> str:
    return "supported" if label == "supported" else "not_supported"


def _class_scores(pairs: list[tuple[str, str]], classes: tuple[str, ...]) -> dict[str, ClassScores]:
    scores: dict[str, ClassScores] = {}
    for cls in classes:
        tp = sum(1 for gold, pred in pairs if gold == cls and pred == cls)
        predicted = sum(1 for _, pred in pairs if pred == cls)
        actual = sum(1 for gold, _ in pairs if gold == cls)
        precision = tp / predicted if predicted else None
        recall = tp / actual if actual else None
        f1 = (
            2 * precision * recall / (precision + recall)
            if precision is not None and recall is not None and precision + recall > 0
            else None
        )
        scores[cls] = ClassScores(precision=precision, recall=recall, f1=f1, support=actual)
    return scores


def _accuracy(pairs: list[tuple[str, str]]) -> float | None:
    return sum(1 for gold, pred in pairs if gold == pred) / len(pairs) if pairs else None


def _scores(labels: list[str], predicted: list[str]) -> Scores:
    binary = [(_binary(g), _binary(p)) for g, p in zip(labels, predicted, strict=True)]
    fine = [(g, p) for g, p in zip(labels, predicted, strict=True) if g in FINE_LABELS]
    return Scores(
        binary_accuracy=_accuracy(binary),
        accuracy=_accuracy(fine),
        accuracy_cases=len(fine),
        binary_per_class=_class_scores(binary, BINARY_LABELS),
        per_class=_class_scores(fine, FINE_LABELS),
    )


def evaluate_verifier(
    dataset: VerifierDataset,
) -> tuple[list[Prediction], dict[str, Verification], VerifierMetrics]:
    """Verify every case (each document prepared once) and score the verdicts."""
    by_doc: dict[str, list[VerifierCase]] = defaultdict(list)
    for case in dataset.cases:
        by_doc[case.doc_id].append(case)
    verifications: dict[str, Verification] = {}
    started = time.perf_counter()
    for doc_id, cases in by_doc.items():
        doc = dataset.docs[doc_id]
        prepared = prepare_source(doc.text, doc_date=doc.doc_date)
        for case in cases:
            verifications[case.id] = prepared.verify(case.claim)
    seconds = time.perf_counter() - started
    predictions = [
        Prediction(
            id=case.id,
            label=case.label,
            verdict=verifications[case.id].verdict,
            reasons=[r.value for r in verifications[case.id].reasons],
            baseline=naive_baseline(case.claim, dataset.docs[case.doc_id].text),
        )
        for case in dataset.cases
    ]
    labels: list[str] = [p.label for p in predictions]
    ours = _scores(labels, [p.verdict.value for p in predictions])
    baseline = _scores(labels, [p.baseline for p in predictions])
    confusion: dict[str, dict[str, int]] = {}
    for p in predictions:
        row = confusion.setdefault(p.label, {v.value: 0 for v in Verdict})
        row[p.verdict.value] += 1
    reasons = Counter(r for p in predictions for r in p.reasons)
    metrics = VerifierMetrics(
        dataset=dataset.name,
        cases=len(predictions),
        skipped_lines=len(dataset.problems),
        labels=dict(Counter(labels)),
        binary_accuracy=ours.binary_accuracy,
        accuracy=ours.accuracy,
        accuracy_cases=ours.accuracy_cases,
        binary_per_class=ours.binary_per_class,
        per_class=ours.per_class,
        confusion=confusion,
        reasons=dict(reasons.most_common()),
        seconds=round(seconds, 3),
        cases_per_second=round(len(predictions) / seconds, 1) if seconds > 0 else None,
        baseline=baseline,
        problems=dataset.problems,
    )
    return predictions, verifications, metrics


def run_verifier_eval(folder: Path, out: Path) -> VerifierMetrics:
    """Load, evaluate and write ``predictions.jsonl``, ``metrics.json`` and ``report.md``."""
    dataset = load_verifier_dataset(folder)
    predictions, verifications, metrics = evaluate_verifier(dataset)
    write_outputs(out, dataset, predictions, verifications, metrics)
    return metrics


def write_outputs(
    out: Path,
    dataset: VerifierDataset,
    predictions: list[Prediction],
    verifications: dict[str, Verification],
    metrics: VerifierMetrics,
) -> None:
    """Write ``predictions.jsonl``, ``metrics.json`` and ``report.md`` into ``out`` (created if
    needed); public so that a caller adding other reports (``report.html``) writes these the
    same way. An unwritable folder is an `InputError` naming it."""
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
    except OSError as exc:
        raise InputError(f"cannot write the eval output ({exc.strerror})", path=str(out)) from exc


def _pct(value: float | None) -> str:
    return "n/a" if value is None else f"{value:.4f}"


def render_report(
    dataset: VerifierDataset,
    predictions: list[Prediction],
    verifications: dict[str, Verification],
    metrics: VerifierMetrics,
) -> str:
    """Markdown: the headline numbers against the baseline, the confusion matrix, then every
    miss with its claim, the evidence the verifier used and the reason."""
    lines = [
        f"# Verifier eval: {dataset.name}",
        "",
        f"{metrics.cases} cases, {metrics.seconds:.2f} s "
        f"({metrics.cases_per_second or 0:.0f} cases/s); "
        f"{metrics.skipped_lines} bad lines skipped.",
        "",
        "| | verifier | naive baseline |",
        "|---|---|---|",
        f"| binary accuracy | {_pct(metrics.binary_accuracy)} "
        f"| {_pct(metrics.baseline.binary_accuracy)} |",
        f"| 3-way accuracy ({metrics.accuracy_cases} cases) | {_pct(metrics.accuracy)} "
        f"| {_pct(metrics.baseline.accuracy)} |",
        "",
        "## Confusion (label → verdict)",
        "",
        "| label | supported | contradicted | unverifiable |",
        "|---|---|---|---|",
    ]
    for label, row in sorted(metrics.confusion.items()):
        lines.append(
            f"| {label} | {row['supported']} | {row['contradicted']} | {row['unverifiable']} |"
        )
    if dataset.problems:
        lines += ["", "## Skipped lines", ""] + [f"- {p}" for p in dataset.problems]
    cases = {c.id: c for c in dataset.cases}
    misses = [p for p in predictions if _is_miss(p)]
    lines += ["", f"## Misses ({len(misses)})", ""]
    for p in misses:
        case = cases[p.id]
        v = verifications[p.id]
        lines.append(f"### {p.id}: label {p.label}, verdict {p.verdict.value} ({v.reason.value})")
        lines.append("")
        lines.append(f"> {case.claim}")
        lines.append("")
        extra = {k: val for k, val in (case.model_extra or {}).items()}
        if extra:
            lines.append(f"- data: `{json.dumps(extra, ensure_ascii=False)}`")
        for check in v.checks:
            lines.append(f"- {check.claim.text!r}: **{check.reason.value}**: {check.message}")
            if check.source is not None:
                doc = dataset.docs[case.doc_id].text
                start, end = check.source.span
                snippet = doc[max(0, start - 40) : end + 20].replace("\n", " ")
                lines.append(f"  - evidence: …{snippet}…")
        if not v.checks:
            lines.append(f"- {v.reason.value}")
        lines.append("")
    return "\n".join(lines) + "\n"


def _is_miss(p: Prediction) -> bool:
    if p.label in FINE_LABELS:
        return p.label != p.verdict.value
    return p.verdict is Verdict.SUPPORTED
