"""Every labelled span of evals/datasets/quantities/ checked against the extractor.

What a mention *is* (where it is, its kind, value, precision, unit, per-unit, date, whether OCR
repair touched it) must be right for every span, and nothing unlabelled may be extracted: one
test per snippet. How the text *frames* it (qualifier, role, basis, period, list group) is
scored over the whole set, with a floor per field, because the labels record what a careful
reader sees and a few cases are knowingly beyond the extractor (each has a `note`).

Run ``python tests/test_quantities_dataset.py`` to print the per-field accuracy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from toolkit.numbers import extract_quantities
from toolkit.quantity import Quantity

DATASET = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "quantities"
ROWS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (DATASET / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]

CORE_FIELDS = ("kind", "value", "value_high", "precision", "unit", "per", "date", "repaired")
CONTEXT_FIELDS = ("qualifier", "role", "basis", "period", "group")
# Floors for the context fields (measured accuracy is printed by `python <this file>`).
FLOORS = {"qualifier": 0.98, "role": 0.93, "basis": 0.95, "period": 0.93, "group": 0.98}


def observed(q: Quantity) -> dict[str, Any]:
    """A quantity in the dataset's label format (absent keys mean null/false/exact)."""
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


def extract_row(row: dict[str, Any]) -> dict[tuple[int, str], dict[str, Any]]:
    doc_date = date.fromisoformat(row["doc_date"]) if row.get("doc_date") else None
    found = extract_quantities(row["text"], doc_date=doc_date)
    for q in found:
        assert row["text"][q.span[0] : q.span[1]] == q.text
    return {(q.span[0], q.text): observed(q) for q in found}


@dataclass
class Score:
    spans: int = 0
    right: dict[str, int] = field(default_factory=dict)
    misses: dict[str, list[str]] = field(default_factory=dict)

    def accuracy(self, name: str) -> float:
        return self.right.get(name, 0) / self.spans if self.spans else 0.0


def score(rows: list[dict[str, Any]]) -> Score:
    """Per-field accuracy over every labelled number/date span of ``rows``."""
    result = Score()
    for row in rows:
        got = extract_row(row)
        for label in row["quantities"]:
            result.spans += 1
            want = expected(label)
            have = got.get((label["start"], label["text"]), {})
            for name in CORE_FIELDS + CONTEXT_FIELDS:
                if have.get(name) == want.get(name):
                    result.right[name] = result.right.get(name, 0) + 1
                else:
                    result.misses.setdefault(name, []).append(
                        f"{row['id']} {label['text']!r}: want {want.get(name)!r}, "
                        f"got {have.get(name)!r}"
                    )
    return result


def test_the_dataset_is_large_and_bilingual() -> None:
    zh = sum(len(r["quantities"]) for r in ROWS if r["lang"] == "zh")
    en = sum(len(r["quantities"]) for r in ROWS if r["lang"] == "en")
    assert zh + en >= 150
    assert min(zh, en) >= 0.4 * (zh + en)


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_every_span_is_found_with_its_value_and_unit(row: dict[str, Any]) -> None:
    got = extract_row(row)
    labelled = {(q["start"], q["text"]) for q in row["quantities"]}
    assert set(got) == labelled, f"extra: {set(got) - labelled}, missing: {labelled - set(got)}"
    for label in row["quantities"]:
        want = expected(label)
        have = got[(label["start"], label["text"])]
        assert {k: have.get(k) for k in CORE_FIELDS} == {k: want.get(k) for k in CORE_FIELDS}


@pytest.mark.parametrize("name", CONTEXT_FIELDS)
def test_context_fields_stay_above_their_floor(name: str) -> None:
    result = score(ROWS)
    misses = "\n".join(result.misses.get(name, []))
    assert result.accuracy(name) >= FLOORS[name], f"{name} misses:\n{misses}"


if __name__ == "__main__":
    s = score(ROWS)
    print(f"{s.spans} spans")
    for name in CORE_FIELDS + CONTEXT_FIELDS:
        print(f"{name:<11} {s.accuracy(name):.3f}  ({len(s.misses.get(name, []))} misses)")
        for miss in s.misses.get(name, []):
            print("   ", miss)
