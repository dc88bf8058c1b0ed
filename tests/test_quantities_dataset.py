"""Every labelled span of evals/datasets/quantities/spans.jsonl checked against the extractor.

The file holds the sample transcript's snippets and sentences written for this data set (the
shared-data cases are references in shared-spans.jsonl, scored by ``verisum eval quantities``,
never read here). What a mention *is* (where it is, its kind, value, precision, unit, per-unit,
date, whether OCR repair touched it) must be right for every span, and nothing unlabelled may
be extracted: one test per snippet. How the text *frames* it (qualifier, role, basis, period,
list group) is scored over the whole set, with a floor per field, because the labels record
what a careful reader sees and a few cases are knowingly beyond the extractor (each has a
`note`).

Run ``python tests/test_quantities_dataset.py`` to print the per-field accuracy and every miss.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import pytest

from toolkit.evaluate.quantities import (
    CONTEXT_FIELDS,
    CORE_FIELDS,
    expected,
    extract_row,
    format_score,
    label_key,
    resolve_shared,
    score,
)

DATASET = Path(__file__).resolve().parent.parent / "evals" / "datasets" / "quantities"
ROWS: list[dict[str, Any]] = [
    json.loads(line)
    for line in (DATASET / "spans.jsonl").read_text(encoding="utf-8").splitlines()
    if line.strip()
]
# Floors for the context fields (measured accuracy is printed by `python <this file>`).
FLOORS = {"qualifier": 0.98, "role": 0.97, "basis": 0.98, "period": 0.98, "group": 0.98}


def test_the_dataset_is_large_and_bilingual() -> None:
    zh = sum(len(r["quantities"]) for r in ROWS if r["lang"] == "zh")
    en = sum(len(r["quantities"]) for r in ROWS if r["lang"] == "en")
    assert zh + en >= 150
    assert min(zh, en) >= 0.4 * (zh + en)


def test_every_label_points_at_its_text() -> None:
    for row in ROWS:
        for label in row["quantities"]:
            start, end = label_key(label)
            assert row["text"][start:end] == label["text"], row["id"]


@pytest.mark.parametrize("row", ROWS, ids=[r["id"] for r in ROWS])
def test_every_span_is_found_with_its_value_and_unit(row: dict[str, Any]) -> None:
    got = extract_row(row)
    labelled = {label_key(q) for q in row["quantities"]}
    assert set(got) == labelled, f"extra: {set(got) - labelled}, missing: {labelled - set(got)}"
    for label in row["quantities"]:
        want = expected(label)
        have = got[label_key(label)]
        assert {k: have.get(k) for k in CORE_FIELDS} == {k: want.get(k) for k in CORE_FIELDS}


@pytest.mark.parametrize("name", CONTEXT_FIELDS)
def test_context_fields_stay_above_their_floor(name: str) -> None:
    result = score(ROWS)
    misses = "\n".join(result.misses.get(name, []))
    assert result.accuracy(name) >= FLOORS[name], f"{name} misses:\n{misses}"


def test_shared_references_carry_no_text_and_resolve_from_a_data_folder(tmp_path: Path) -> None:
    """shared-spans.jsonl points into ../shared/data; here a stand-in folder plays its part."""
    refs = [
        json.loads(line)
        for line in (DATASET / "shared-spans.jsonl").read_text(encoding="utf-8").splitlines()
        if line.strip()
    ]
    assert refs and all("text" not in r and "text" not in q for r in refs for q in r["quantities"])

    doc = "Intro. Revenue grew 12% to $2.4 billion in the quarter."
    snippet = "Revenue grew 12% to $2.4 billion in the quarter."
    start = doc.index(snippet)
    row = {
        "id": "t-1",
        "source": "ectsum-val#X",
        "lang": "en",
        "start": start,
        "end": start + len(snippet),
        "sha256": hashlib.sha256(snippet.encode()).hexdigest()[:16],
        "quantities": [
            {"start": 13, "end": 16, "kind": "number", "value": "12", "precision": "1",
             "unit": "%", "role": "growth"},
        ],
    }  # fmt: skip
    (tmp_path / "ectsum").mkdir()
    (tmp_path / "ectsum" / "val.jsonl").write_text(
        json.dumps({"id": "X", "transcript": doc}) + "\n", encoding="utf-8"
    )
    rows, problems = resolve_shared([row], tmp_path)
    assert problems == [] and rows[0]["quantities"][0]["text"] == "12%"
    result = score(rows)
    assert result.spans == 1 and result.accuracy("value") == 1.0
    assert [e.split(" extra ")[1] for e in result.extras] == ["'$2.4 billion' at (20, 32)"]

    changed = {**row, "sha256": "0" * 16}
    assert resolve_shared([changed], tmp_path)[1] == [
        "t-1: text of ectsum-val#X changed (checksum differs)"
    ]
    assert resolve_shared([row], tmp_path / "absent") == (
        [],
        [f"{tmp_path / 'absent'} not found: shared-data references skipped"],
    )


if __name__ == "__main__":
    print(format_score("spans.jsonl", score(ROWS)))
