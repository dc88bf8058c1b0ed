"""`verisum summarize` over the library, with the model replaced by `FakeLLM`."""

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from pydantic import BaseModel

import toolkit.pipeline
from tests.fake_openai import FakeOpenAI, tool_call
from toolkit.cli import cli
from toolkit.drafts import ChunkNotes, DraftBullet, DraftClaim, DraftSummary
from toolkit.errors import LLMOutputInvalid
from toolkit.testing import FakeLLM

SAMPLE = Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt"
DRAFT = DraftSummary(
    headline_zh="快手一季度日均支付用户数同比增长近九倍。",
    headline_en="Kuaishou's daily paying users grew nearly ninefold year on year in Q1.",
    bullets=[
        DraftBullet(
            part=1,
            zh="第一季度线上营销服务收入达到166.5亿。",
            en="Q1 online marketing services revenue reached 16.65 billion.",
        ),
        DraftBullet(part=1, zh="公司业务稳步发展。", en="The business grew steadily."),
    ],
    claims=[
        DraftClaim(
            zh="公司累计回购股份约6071万股。",
            en="Kuaishou repurchased about 60.71 million shares.",
            evidence="回购股份约6071万股,约占总股本的1.7%",
        )
    ],
)


def answer_draft(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
    """DRAFT in whichever `DraftSummary` shape the request asked for."""
    return model.model_validate(DRAFT.model_dump())


@pytest.fixture
def fake(monkeypatch: pytest.MonkeyPatch) -> FakeLLM:
    llm = FakeLLM([answer_draft])
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
    fake.queue(answer_draft)
    table = CliRunner().invoke(cli, ["summarize", str(SAMPLE), "--out", str(tmp_path)])
    assert table.exit_code == 0, table.output
    assert "✓" in table.stdout and "16.65 billion" in table.stdout
    as_json = CliRunner().invoke(
        cli, ["summarize", str(SAMPLE), "--out", str(tmp_path), "--format", "json"]
    )
    assert json.loads(as_json.stdout)["numbers"] in {"free", "grounded"}


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        (b"", "empty"),
        (b"\x00\x01PK\x03\x04" + bytes(range(1, 32)) * 20, "binary"),
        (b"\xff\xfe\xfd\x81\x30", "cannot decode"),
    ],
)
def test_an_empty_binary_or_undecodable_file_is_a_clean_error_naming_it(
    tmp_path: Path, content: bytes, problem: str
) -> None:
    bad = tmp_path / "call.txt"
    bad.write_bytes(content)
    result = CliRunner().invoke(cli, ["summarize", str(bad), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert problem in result.output and "call.txt" in result.output
    assert "Traceback" not in result.output


def test_a_model_that_never_answers_validly_fails_clearly_after_bounded_reasks(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    # A real client against a scripted endpoint whose every answer breaks the schema.
    monkeypatch.setenv("VERISUM_REASKS", "1")
    monkeypatch.setenv("VERISUM_NO_CACHE", "1")
    with FakeOpenAI([tool_call({"headline_zh": "快手"})] * 5) as server:
        monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
        result = CliRunner().invoke(cli, ["summarize", str(SAMPLE), "--out", str(tmp_path)])
    assert result.exit_code == 1
    assert "did not fit DraftSummary after 2 tries" in result.output
    assert len(server.requests) == 2  # the first answer and one reask, nothing more
    partial = json.loads((tmp_path / "kuaishou-2024q1-call.partial.json").read_text())
    assert partial["stage"] == "summarize"


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
