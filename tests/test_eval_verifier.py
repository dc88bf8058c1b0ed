"""`verisum eval verifier`: reading data sets (bad lines named, skipped), scoring, outputs."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.evaluate.verifier import (
    load_verifier_dataset,
    naive_baseline,
    run_verifier_eval,
)

SOURCE = "第一季度线上营销服务收入达到了166.5亿。同比增长27.4%。回购不超过160亿港币。"


def write_dataset(folder: Path, cases: list[str], docs: list[str] | None = None) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    doc_lines = docs or [json.dumps({"id": "d1", "text": SOURCE}, ensure_ascii=False)]
    (folder / "docs.jsonl").write_text("\n".join(doc_lines) + "\n", encoding="utf-8")
    (folder / "cases.jsonl").write_text("\n".join(cases) + "\n", encoding="utf-8")
    return folder


def case(cid: str, claim: str, label: str, doc: str = "d1") -> str:
    return json.dumps(
        {"id": cid, "doc_id": doc, "claim": claim, "label": label}, ensure_ascii=False
    )


GOOD = [
    case("a", "Online marketing revenue was RMB16.7 billion", "supported"),
    case("b", "Online marketing revenue was RMB16.5 billion", "contradicted"),
    case("c", "营销收入同比增长28%", "not_supported"),
    case("d", "buyback of up to HK$16 billion", "supported"),
]


def test_malformed_lines_are_named_and_skipped(tmp_path: Path) -> None:
    folder = write_dataset(
        tmp_path / "set",
        [
            GOOD[0],
            "{not json",
            json.dumps({"id": "x", "doc_id": "d1", "label": "supported"}),
            case("y", "revenue grew", "maybe"),
            case("z", "revenue grew 5%", "supported", doc="missing"),
            "[1, 2]",
            GOOD[1],
        ],
    )
    dataset = load_verifier_dataset(folder)
    assert [c.id for c in dataset.cases] == ["a", "b"]
    cases_file = folder / "cases.jsonl"
    assert (
        dataset.problems[0]
        == f"{cases_file}:2: not JSON (Expecting property name enclosed in double quotes)"
    )
    assert dataset.problems[1] == f'{cases_file}:3: missing key "claim"'
    assert dataset.problems[2].startswith(f"{cases_file}:4: label: Input should be")
    assert dataset.problems[3] == f"{cases_file}:6: expected a JSON object, got list"
    assert dataset.problems[4] == f"{cases_file}:5: unknown doc_id 'missing'"


def test_the_naive_baseline_looks_for_every_digit_string() -> None:
    assert naive_baseline("revenue of 166.5亿, up 27.4%", SOURCE) == "supported"
    assert naive_baseline("revenue of 16.65 billion", SOURCE) == "not_supported"
    assert naive_baseline("no digits at all", SOURCE) == "supported"


def test_run_writes_predictions_metrics_and_a_report(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "set", [*GOOD, "oops"])
    out = tmp_path / "out"
    metrics = run_verifier_eval(folder, out)
    assert metrics.cases == 4 and metrics.skipped_lines == 1
    assert metrics.binary_accuracy == 1.0
    assert metrics.accuracy == 1.0 and metrics.accuracy_cases == 3
    assert metrics.baseline.binary_accuracy == 0.75  # 16.7 and 16 are not in the source verbatim
    assert metrics.confusion["not_supported"]["contradicted"] == 1
    rows = [json.loads(line) for line in (out / "predictions.jsonl").read_text().splitlines()]
    assert rows[1] == {
        "id": "b",
        "label": "contradicted",
        "verdict": "contradicted",
        "reasons": ["value_mismatch"],
        "baseline": "not_supported",
    }
    saved = json.loads((out / "metrics.json").read_text())
    assert saved["per_class"]["supported"]["f1"] == 1.0
    assert saved["cases_per_second"] > 0
    report = (out / "report.md").read_text()
    assert "## Misses (0)" in report and ":5: not JSON" in report


def test_the_report_lists_each_miss_with_its_evidence(tmp_path: Path) -> None:
    wrong_label = case("w", "Online marketing revenue was RMB16.5 billion", "supported")
    folder = write_dataset(tmp_path / "set", [wrong_label])
    run_verifier_eval(folder, tmp_path / "out")
    report = (tmp_path / "out" / "report.md").read_text()
    assert "### w: label supported, verdict contradicted (value_mismatch)" in report
    assert "> Online marketing revenue was RMB16.5 billion" in report
    assert "evidence: …第一季度线上营销服务收入达到了166.5亿。" in report


def test_cli_eval_verifier(tmp_path: Path) -> None:
    folder = write_dataset(tmp_path / "set", [*GOOD, "{bad"])
    result = CliRunner().invoke(
        cli, ["eval", "verifier", str(folder), "--out", str(tmp_path / "o")]
    )
    assert result.exit_code == 0, result.output
    assert "set: 4 cases, binary accuracy 1.0000 (naive baseline 0.7500)" in result.output
    assert "cases.jsonl:5: not JSON" in result.output
    assert (tmp_path / "o" / "report.md").is_file()


def test_cli_eval_verifier_on_a_missing_folder(tmp_path: Path) -> None:
    result = CliRunner().invoke(cli, ["eval", "verifier", str(tmp_path / "nope"), "--out", "o"])
    assert result.exit_code == 1
    assert "nope: not a folder with docs.jsonl and cases.jsonl" in result.output


KUAISHOU_FULL = Path(__file__).parent.parent / "evals" / "datasets" / "verifier" / "kuaishou-full"


def test_the_full_document_set_covers_both_languages_and_is_judged(tmp_path: Path) -> None:
    dataset = load_verifier_dataset(KUAISHOU_FULL)
    claims = [c.claim for c in dataset.cases]
    chinese = [c for c in claims if any("\u4e00" <= ch <= "\u9fff" for ch in c)]
    assert len(claims) >= 40 and len(chinese) >= 20 and len(claims) - len(chinese) >= 20
    metrics = run_verifier_eval(KUAISHOU_FULL, tmp_path / "out")
    assert metrics.skipped_lines == 0
    assert metrics.binary_accuracy >= 0.95  # 1.0 when measured; the extractor may drift a little
    assert metrics.accuracy >= 0.95
