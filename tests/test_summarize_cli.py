"""`verisum summarize` over the library, with the model replaced by `FakeLLM`."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

import toolkit.pipeline
from toolkit.cli import cli
from toolkit.drafts import ChunkNotes, DraftClaim, DraftItem, DraftSummary
from toolkit.errors import LLMOutputInvalid
from toolkit.testing import FakeLLM

SAMPLE = Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt"
DRAFT = DraftSummary(
    headline_zh="快手一季度日均支付用户数同比增长近九倍。",
    headline_en="Kuaishou's daily paying users grew nearly ninefold year on year in Q1.",
    bullets=[
        DraftItem(
            zh="第一季度线上营销服务收入达到166.5亿。",
            en="Q1 online marketing services revenue reached 16.65 billion.",
        ),
        DraftItem(zh="公司业务稳步发展。", en="The business grew steadily."),
    ],
    claims=[
        DraftClaim(
            zh="公司累计回购股份约6071万股。",
            en="Kuaishou repurchased about 60.71 million shares.",
            evidence="回购股份约6071万股,约占总股本的1.7%",
        )
    ],
)


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM([DRAFT])
    monkeypatch.setattr(toolkit.pipeline, "LLMClient", lambda settings: llm)
    return llm


def test_prints_the_summary_with_marks_and_writes_json_and_markdown(
    fake: FakeLLM, tmp_path: Path
) -> None:
    result = CliRunner().invoke(
        cli, ["summarize", str(SAMPLE), "--out", str(tmp_path), "--format", "md"]
    )
    assert result.exit_code == 0, result.output
    assert "- ✓ 第一季度线上营销服务收入达到166.5亿。" in result.output
    assert "- · 公司业务稳步发展。" in result.output
    assert "numeric precision: draft 1.00" in result.output
    report = json.loads((tmp_path / "kuaishou-2024q1-call.json").read_text(encoding="utf-8"))
    assert report["doc_id"] == "kuaishou-2024q1-call"
    assert report["bullets"][0]["status"] == "supported"
    markdown = (tmp_path / "kuaishou-2024q1-call.md").read_text(encoding="utf-8")
    assert markdown.startswith("# kuaishou-2024q1-call — bilingual summary")
    assert fake.closed


def test_table_and_json_formats(fake: FakeLLM, tmp_path: Path) -> None:
    fake.queue(DRAFT)
    table = CliRunner().invoke(cli, ["summarize", str(SAMPLE), "--out", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "✓" in table.stdout and "16.65 billion" in table.stdout
    as_json = CliRunner().invoke(
        cli, ["summarize", str(SAMPLE), "--out", str(tmp_path), "--format", "json"]
    )
    assert json.loads(as_json.stdout)["numbers"] in {"free", "grounded"}


def test_an_empty_file_is_a_clean_error(tmp_path: Path) -> None:
    empty = tmp_path / "empty.txt"
    empty.write_text("")
    result = CliRunner().invoke(cli, ["summarize", str(empty), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "empty" in result.output and "empty.txt" in result.output
    assert "Traceback" not in result.output


def test_partial_results_are_written_when_the_model_fails(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    long_file = tmp_path / "long.txt"
    long_file.write_text("\n".join([SAMPLE.read_text(encoding="utf-8")] * 6), encoding="utf-8")
    llm = FakeLLM(
        [ChunkNotes(claims=DRAFT.claims)]
        + [LLMOutputInvalid("the answer did not fit ChunkNotes")] * 30
    )
    monkeypatch.setattr(toolkit.pipeline, "LLMClient", lambda settings: llm)
    monkeypatch.setattr(toolkit.pipeline, "HOSTED_CONTEXT_WINDOW", 6000)
    result = CliRunner().invoke(cli, ["summarize", str(long_file), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "map failed" in result.output
    partial = json.loads((tmp_path / "long.partial.json").read_text(encoding="utf-8"))
    assert partial["stage"] == "map"
    assert partial["notes"][0]["evidence"] == "回购股份约6071万股,约占总股本的1.7%"
