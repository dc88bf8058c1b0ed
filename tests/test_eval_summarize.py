"""`verisum eval summarize`: data set formats, configs, the run and its outputs (no model)."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.errors import InputError
from toolkit.evaluate.sample import SAMPLE, sample_draft, scripted_llm
from toolkit.evaluate.summarize import (
    check_prompts,
    load_config,
    load_dataset,
    run_summarize_eval,
)
from toolkit.prompts import load_prompt

ROOT = Path(__file__).parent.parent


def _jsonl(path: Path, rows: list[object]) -> Path:
    path.write_text(
        "".join(
            (r if isinstance(r, str) else json.dumps(r, ensure_ascii=False)) + "\n" for r in rows
        ),
        encoding="utf-8",
    )
    return path


def test_the_shared_data_formats_are_read_as_they_are(tmp_path: Path) -> None:
    (tmp_path / "call.txt").write_text("收入166.5亿。", encoding="utf-8")
    data = _jsonl(
        tmp_path / "set.jsonl",
        [
            {"id": "ect", "transcript": "Revenue $1.5 billion.", "summary_bullets": ["a", "b"]},
            {"id": "finna", "text": "定增15.74亿元", "summary": "定增结果"},
            {"id": "file", "path": "call.txt", "reference": "收入166.5亿"},
            {"id": "bare", "text": "no reference here"},
            "not json",
            {"id": "empty", "text": "  "},
            {"id": "ect", "text": "again"},
            {"id": "gone", "path": "missing.txt"},
        ],
    )
    docs, problems = load_dataset(data)
    assert [(d.id, d.reference) for d in docs] == [
        ("ect", ["a", "b"]),
        ("finna", ["定增结果"]),
        ("file", ["收入166.5亿"]),
        ("bare", []),
    ]
    assert docs[2].text == "收入166.5亿。"
    assert [p.split(": ", 1)[0].rsplit(":", 1)[1] for p in problems] == ["5", "6", "7", "8"]
    assert "not JSON" in problems[0] and "duplicate id 'ect'" in problems[2]


def test_the_repo_data_set_points_at_the_sample_transcript() -> None:
    (doc,), problems = load_dataset(ROOT / "evals" / "datasets" / "summarize" / "kuaishou.jsonl")
    assert problems == []
    assert doc.text == SAMPLE.read_text(encoding="utf-8")
    assert len(doc.reference) == 10


def test_a_config_names_its_file_when_wrong(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text('dataset = "x.jsonl"\nrepair_round = 2\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"bad\.toml: bad eval config: repair_round"):
        load_config(bad)
    bad.write_text("dataset = ", encoding="utf-8")
    with pytest.raises(InputError, match="not valid TOML"):
        load_config(bad)


def test_a_config_pins_prompt_versions() -> None:
    current = load_prompt("summarize").ref
    check_prompts([current])
    with pytest.raises(InputError, match=f"expects prompt summarize@999, prompts/ has {current}"):
        check_prompts(["summarize@999"])


def test_the_repo_configs_load() -> None:
    configs = sorted((ROOT / "evals" / "configs").glob("*.toml"))
    assert configs
    for path in configs:
        config = load_config(path)
        assert config.prompts and config.dataset.endswith(".jsonl"), path


def test_a_run_writes_reports_per_document_and_scores_the_baselines(tmp_path: Path) -> None:
    data = ROOT / "evals" / "datasets" / "summarize" / "kuaishou.jsonl"
    metrics = run_summarize_eval(data, tmp_path, llm=scripted_llm(sample_draft()))
    ours, lead = metrics.overall["summarizer"], metrics.overall["lead_n"]
    assert (metrics.docs, metrics.failed) == (1, 0)
    # the sample draft: 9 items written, 2 dropped (16.5 billion; 23% vs 32%)
    assert ours.dropped_rate == round(2 / 9, 4)
    assert ours.numeric_precision == 1.0  # what is kept verifies
    assert ours.draft_precision is not None and ours.draft_precision < 1.0
    assert lead.tokens == 0 and lead.numeric_recall is not None
    assert ours.rouge_l is not None and lead.rouge_l is not None
    assert ours.rouge_l > lead.rouge_l  # the lead of a call is its operator's questions
    for name in ("metrics.json", "report.md", "report.html", "reports/kuaishou-2024q1-call.json"):
        assert (tmp_path / name).is_file(), name


def test_saved_reports_can_be_scored_again_without_a_model(tmp_path: Path) -> None:
    data = ROOT / "evals" / "datasets" / "summarize" / "kuaishou.jsonl"
    first = run_summarize_eval(data, tmp_path / "a", llm=scripted_llm(sample_draft()))
    result = CliRunner().invoke(
        cli,
        [
            "eval",
            "summarize",
            str(data),
            "--reports",
            str(tmp_path / "a" / "reports"),
            "--out",
            str(tmp_path / "b"),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "numeric precision 1.000" in result.output
    again = json.loads((tmp_path / "b" / "metrics.json").read_text(encoding="utf-8"))
    assert again["overall"]["summarizer"]["rouge_l"] == first.overall["summarizer"].rouge_l


def test_a_failed_document_is_reported_and_the_run_goes_on(tmp_path: Path) -> None:
    data = _jsonl(
        tmp_path / "set.jsonl",
        [{"id": "one", "text": "收入166.5亿。"}, {"id": "two", "text": "利润12亿。"}],
    )
    reports = tmp_path / "reports"
    reports.mkdir()
    run_summarize_eval(
        _jsonl(tmp_path / "solo.jsonl", [{"id": "two", "text": "利润12亿。"}]),
        tmp_path / "first",
        llm=scripted_llm(sample_draft()),
    )
    (reports / "two.json").write_bytes((tmp_path / "first" / "reports" / "two.json").read_bytes())
    metrics = run_summarize_eval(data, tmp_path / "out", reports_dir=reports)
    assert (metrics.docs, metrics.failed) == (2, 1)
    assert metrics.per_doc[0].error is not None and "one.json" in metrics.per_doc[0].error
    assert metrics.per_doc[1].summarizer is not None
    assert "one.json" in (tmp_path / "out" / "report.html").read_text(encoding="utf-8")


def test_the_command_fails_when_no_document_could_be_summarized(tmp_path: Path) -> None:
    data = _jsonl(tmp_path / "set.jsonl", [{"id": "one", "text": "收入166.5亿。"}])
    result = CliRunner().invoke(
        cli,
        ["eval", "summarize", str(data), "--reports", str(tmp_path), "--out", str(tmp_path / "o")],
    )
    assert result.exit_code == 1
    assert "no document was summarized" in result.output
    assert (tmp_path / "o" / "report.html").is_file()  # the report still says why


def test_a_config_can_pick_documents_by_id_in_its_own_order(tmp_path: Path) -> None:
    _jsonl(
        tmp_path / "set.jsonl",
        [{"id": i, "text": f"利润{n}亿。"} for n, i in enumerate(["a", "b", "c"], start=10)],
    )
    reports = tmp_path / "reports"
    run_summarize_eval(
        _jsonl(tmp_path / "solo.jsonl", [{"id": "c", "text": "利润12亿。"}]),
        tmp_path / "first",
        llm=scripted_llm(sample_draft()),
    )
    reports.mkdir()
    for name in ("c", "a"):
        (reports / f"{name}.json").write_bytes(
            (tmp_path / "first" / "reports" / "c.json").read_bytes()
        )
    config = tmp_path / "pick.toml"
    config.write_text('dataset = "set.jsonl"\nids = ["c", "a"]\n', encoding="utf-8")
    metrics = run_summarize_eval(config, tmp_path / "out", reports_dir=reports)
    assert [d.id for d in metrics.per_doc] == ["c", "a"]

    config.write_text('dataset = "set.jsonl"\nids = ["c", "zz"]\n', encoding="utf-8")
    with pytest.raises(InputError, match=r"set\.jsonl: ids not in the data set: zz"):
        run_summarize_eval(config, tmp_path / "out2", reports_dir=reports)
