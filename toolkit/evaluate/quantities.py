"""Score quantity extraction against hand-labelled spans, field by field.

Two label files live in ``evals/datasets/quantities/``:

- ``spans.jsonl``: snippets whose text is in the repository (the sample transcript and sentences
  written for this data set), ``{id, lang, text, doc_date?, quantities: [{start, text, ...}]}``;
- ``shared-spans.jsonl``: references into ``../shared/data`` that carry **no text** (those data
  sets may not be copied into the repository), ``{id, source: "ectsum-val#ID" |
  "fineval_rigor-dev#ID", lang, start, end, sha256, quantities: [{start, end, ...}]}``.
  ``start``/``end`` of a row are offsets into the document's ``transcript`` (ECTSum) or
  ``context`` (FinEval) field; label offsets are relative to the snippet; ``sha256`` (first 16
  hex digits of the snippet's UTF-8) detects a changed source. :func:`resolve_shared` turns them
  into rows of the first kind.

Each snippet is extracted on its own (as a summary sentence would be), and every labelled span
is compared with the extracted mention at the same place: what it *is* (kind, value,
precision, unit, per, date, repaired) and how the text *frames* it (qualifier, role, basis,
period, list group). Anything extracted that no label covers is counted as an extra.

Example::

    >>> rows = load_rows(Path("evals/datasets/quantities/spans.jsonl"))
    >>> result = score(rows)
    >>> result.spans, round(result.accuracy("value"), 3)
    (191, 1.0)
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from toolkit.errors import InputError
from toolkit.numbers import extract_quantities
from toolkit.quantity import Quantity

CORE_FIELDS = ("kind", "value", "value_high", "precision", "unit", "per", "date", "repaired")
CONTEXT_FIELDS = ("qualifier", "role", "basis", "period", "group")
FIELDS = CORE_FIELDS + CONTEXT_FIELDS
# Shared document sets and the field holding each document's text.
SHARED_SOURCES = {
    "ectsum-val": ("ectsum/val.jsonl", "transcript"),
    "fineval_rigor-dev": ("fineval_rigor/dev.jsonl", "context"),
}

Row = dict[str, Any]
SpanKey = tuple[int, int]


def load_rows(path: Path) -> list[Row]:
    """The rows of a JSONL label file; a line that is not a JSON object raises `InputError`."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    rows: list[Row] = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise InputError(f"not JSON ({exc.msg})", path=str(path), line=number) from exc
        if not isinstance(row, dict) or "quantities" not in row:
            raise InputError("expected an object with quantities", path=str(path), line=number)
        rows.append(row)
    return rows


def resolve_shared(rows: list[Row], data_dir: Path) -> tuple[list[Row], list[str]]:
    """Rows with their snippet text read from ``data_dir`` (``../shared/data``).

    Returns the resolved rows and one problem per row that could not be resolved (missing
    document set, unknown id, changed text); a missing ``data_dir`` gives no rows and one
    problem, so callers can skip with a message.
    """
    if not data_dir.is_dir():
        return [], [f"{data_dir} not found: shared-data references skipped"]
    docs: dict[str, dict[str, str]] = {}
    resolved: list[Row] = []
    problems: list[str] = []
    for row in rows:
        set_name, _, doc_id = str(row["source"]).partition("#")
        if set_name not in SHARED_SOURCES:
            problems.append(f"{row['id']}: unknown source {row['source']!r}")
            continue
        if set_name not in docs:
            docs[set_name] = _read_docs(data_dir, set_name)
        doc = docs[set_name].get(doc_id)
        if doc is None:
            problems.append(f"{row['id']}: {row['source']} not found under {data_dir}")
            continue
        text = doc[row["start"] : row["end"]]
        if hashlib.sha256(text.encode("utf-8")).hexdigest()[:16] != row["sha256"]:
            problems.append(f"{row['id']}: text of {row['source']} changed (checksum differs)")
            continue
        labels = [
            {**q, "text": text[q["start"] : q["end"]]}
            for q in row["quantities"]  # label offsets are relative to the snippet
        ]
        resolved.append({**row, "text": text, "quantities": labels})
    return resolved, problems


def _read_docs(data_dir: Path, set_name: str) -> dict[str, str]:
    rel, text_field = SHARED_SOURCES[set_name]
    path = data_dir / rel
    if not path.is_file():
        return {}
    out: dict[str, str] = {}
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.strip():
            doc = json.loads(line)
            out[str(doc["id"])] = str(doc[text_field])
    return out


def observed(q: Quantity) -> dict[str, Any]:
    """A quantity in the label format (absent keys mean null/false/exact)."""
    out: dict[str, Any] = {"kind": q.kind.value, "repaired": q.repaired}
    if q.kind.value == "date":
        assert q.date is not None
        out["date"] = {k: v for k, v in q.date.model_dump().items() if v is not None}
        return out
    out.update(
        value=str(q.value),
        value_high=None if q.value_high is None else str(q.value_high),
        precision=str(q.precision),
        unit=q.unit,
        per=q.per,
        qualifier=q.qualifier.value,
        role=q.role.value if q.role else None,
        basis=q.basis.value if q.basis else None,
        period=(
            {k: v for k, v in q.period.model_dump().items() if v is not None} if q.period else None
        ),
        group=(
            {"kind": q.group.kind, "index": q.group.index, "size": q.group.size}
            if q.group
            else None
        ),
    )
    return out


def expected(label: dict[str, Any]) -> dict[str, Any]:
    """A label with its defaults filled in, comparable with :func:`observed`."""
    out: dict[str, Any] = {"kind": label["kind"], "repaired": label.get("repaired", False)}
    if label["kind"] == "date":
        out["date"] = label["date"]
        return out
    for name in ("value", "precision", "unit"):
        out[name] = label[name]
    out["value_high"] = label.get("value_high")
    out["per"] = label.get("per")
    out["qualifier"] = label.get("qualifier", "exact")
    for name in ("role", "basis", "period", "group"):
        out[name] = label.get(name)
    return out


def label_key(label: dict[str, Any]) -> SpanKey:
    start = int(label["start"])
    end = int(label["end"]) if "end" in label else start + len(label["text"])
    return start, end


def extract_row(row: Row) -> dict[SpanKey, dict[str, Any]]:
    """Every mention the extractor finds in a row's text, by span, in the label format."""
    doc_date = date.fromisoformat(row["doc_date"]) if row.get("doc_date") else None
    found = extract_quantities(row["text"], doc_date=doc_date)
    return {q.span: observed(q) for q in found}


@dataclass
class Score:
    """Per-field accuracy over labelled spans, with every miss spelled out."""

    spans: int = 0
    extras: list[str] = field(default_factory=list)
    right: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def accuracy(self, name: str) -> float:
        return self.right.get(name, 0) / self.spans if self.spans else 0.0


def score(rows: list[Row]) -> Score:
    """Per-field accuracy over every labelled span of ``rows`` (a missed span misses all)."""
    result = Score()
    for row in rows:
        got = extract_row(row)
        labelled = {label_key(label) for label in row["quantities"]}
        for key in sorted(set(got) - labelled):
            result.extras.append(f"{row['id']} extra {row['text'][key[0] : key[1]]!r} at {key}")
        for label in row["quantities"]:
            result.spans += 1
            want = expected(label)
            have = got.get(label_key(label), {})
            for name in FIELDS:
                if have.get(name) == want.get(name):
                    result.right[name] = result.right.get(name, 0) + 1
                else:
                    result.misses.setdefault(name, []).append(
                        f"{row['id']} {label['text']!r}: want {want.get(name)!r}, "
                        f"got {have.get(name)!r}"
                    )
    return result


def format_score(title: str, result: Score, *, details: bool = True) -> str:
    """A plain-text table: one line per field, then (with ``details``) every miss."""
    lines = [f"{title}: {result.spans} spans, {len(result.extras)} extra mentions"]
    for name in FIELDS:
        misses = result.misses.get(name, [])
        lines.append(f"  {name:<11} {result.accuracy(name):.3f}  ({len(misses)} misses)")
        if details:
            lines.extend(f"      {miss}" for miss in misses)
    if details:
        lines.extend(f"      {extra}" for extra in result.extras)
    return "\n".join(lines)


def run_quantities_eval(dataset_dir: Path, data_dir: Path) -> tuple[dict[str, Score], list[str]]:
    """Score ``spans.jsonl`` and, when ``data_dir`` holds the shared sets, the resolved
    ``shared-spans.jsonl``; returns scores by set name and the problems met (skips)."""
    scores = {"in-repo": score(load_rows(dataset_dir / "spans.jsonl"))}
    problems: list[str] = []
    shared_file = dataset_dir / "shared-spans.jsonl"
    if shared_file.is_file():
        rows, problems = resolve_shared(load_rows(shared_file), data_dir)
        if rows:
            scores["shared"] = score(rows)
    return scores, problems
