"""`verisum eval compare`: deltas of every metric, regressions gate with a non-zero exit."""

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.errors import InputError
from toolkit.evaluate.compare import classify, compare_runs, flatten


def _run(folder: Path, metrics: dict[str, Any]) -> Path:
    folder.mkdir()
    (folder / "metrics.json").write_text(json.dumps(metrics), encoding="utf-8")
    return folder


def _summary(precision: float, seconds: float, lead_rouge: float) -> dict[str, Any]:
    return {
        "kind": "summarize",
        "docs": 2,
        "overall": {
            "summarizer": {"numeric_precision": precision, "dropped_rate": 0.1, "seconds": seconds},
            "lead_n": {"rouge_l": lead_rouge},
        },
        "per_doc": [{"id": "x"}],
    }


def test_flatten_keeps_numeric_leaves_by_path() -> None:
    data = {"a": {"b": 1, "c": None, "d": "text", "e": [1]}, "f": True, "g": 0.5}
    assert flatten(data) == {"a.b": 1.0, "a.c": None, "g": 0.5}


def test_which_way_is_better() -> None:
    assert classify("overall.summarizer.numeric_precision") == ("higher", "rate")
    assert classify("overall.summarizer.dropped_rate") == ("lower", "rate")
    assert classify("overall.summarizer.seconds") == ("lower", "resource")
    assert classify("cases_per_second") == ("higher", "resource")
    assert classify("baseline.binary_accuracy") == ("none", "info")  # baselines never gate
    assert classify("overall.lead_n.rouge_l") == ("none", "info")
    assert classify("confusion.supported.supported") == ("none", "info")


def test_a_drop_beyond_the_threshold_is_a_regression(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", _summary(0.95, 10.0, 0.3))
    b = _run(tmp_path / "b", _summary(0.93, 14.0, 0.1))
    result = compare_runs(a, b)
    # precision -0.02 > 0.01: regression; seconds +40% < 50%: not; lead-N is a baseline
    assert [d.metric for d in result.regressions] == ["overall.summarizer.numeric_precision"]
    within = compare_runs(a, b, threshold=0.03)
    assert within.regressions == []
    slow = compare_runs(a, b, threshold=0.03, resource_threshold=0.3)
    assert [d.metric for d in slow.regressions] == ["overall.summarizer.seconds"]


def test_a_rate_that_becomes_undefined_is_a_regression(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", _summary(0.95, 10.0, 0.3))
    gone = _summary(0.95, 10.0, 0.3)
    gone["overall"]["summarizer"]["numeric_precision"] = None
    b = _run(tmp_path / "b", gone)
    assert [d.metric for d in compare_runs(a, b).regressions] == [
        "overall.summarizer.numeric_precision"
    ]


def test_the_command_prints_writes_and_exits_non_zero_on_regression(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", _summary(0.95, 10.0, 0.3))
    b = _run(tmp_path / "b", _summary(0.90, 10.0, 0.3))
    result = CliRunner().invoke(cli, ["eval", "compare", str(a), str(b)])
    assert result.exit_code == 1
    assert (
        "| overall.summarizer.numeric_precision | 0.9500 | 0.9000 | -0.0500 | **REGRESSION** |"
        in (result.output)
    )
    assert "REGRESSION: overall.summarizer.numeric_precision" in result.output
    written = json.loads((b / "compare.json").read_text(encoding="utf-8"))
    assert written["deltas"][0]["metric"] == "docs"
    assert (b / "compare.md").is_file()

    better = _run(tmp_path / "c", _summary(0.97, 9.0, 0.3))
    result = CliRunner().invoke(cli, ["eval", "compare", str(a), str(better)])
    assert result.exit_code == 0, result.output
    assert "better" in result.output
    assert "| docs |" not in result.output  # unchanged metrics are printed with --all only


def test_runs_of_different_kinds_do_not_compare(tmp_path: Path) -> None:
    a = _run(tmp_path / "a", _summary(0.95, 10.0, 0.3))
    b = _run(tmp_path / "b", {"binary_accuracy": 0.9})
    with pytest.raises(InputError, match="cannot compare a summarize eval with a verifier eval"):
        compare_runs(a, b)
    with pytest.raises(InputError, match=r"no metrics\.json"):
        compare_runs(a, tmp_path / "nowhere")
