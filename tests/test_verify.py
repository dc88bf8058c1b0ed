"""The verifier end to end (real extractor): a Chinese span in, the verdict and reason out.

Spans come from the sample transcript (examples/kuaishou-2024q1-call.txt), OCR noise included.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.errors import InputError
from toolkit.verdict import Reason, Verdict
from toolkit.verify import prepare_source, verify, verify_many

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kuaishou-2024q1-call.txt"
REVENUE = "第--季度线上营销服务收入达到了166.5亿。同比增长27.4%"
BUYBACK = "回购不超过160亿港币"
SHARES = "约30.3亿港币，回购股份约6071万股，约占总股本的1.7%"
RESPECTIVELY = "日均动销商家数商品数环比分别增长19%和38%"


@pytest.mark.parametrize(
    ("source", "claim", "verdict", "reason"),
    [
        (
            REVENUE,
            "Q1 online marketing revenue was RMB16.65 billion, up 27.4% YoY",
            Verdict.SUPPORTED,
            Reason.CONVERTED,
        ),
        (
            REVENUE,
            "Online marketing revenue was RMB16.7 billion",
            Verdict.SUPPORTED,
            Reason.ROUNDED,
        ),
        (
            REVENUE,
            "Online marketing revenue was RMB16.5 billion",
            Verdict.CONTRADICTED,
            Reason.VALUE_MISMATCH,
        ),
        (
            REVENUE,
            "Online marketing revenue was HK$16.65 billion",
            Verdict.CONTRADICTED,
            Reason.CURRENCY_MISMATCH,
        ),
        (REVENUE, "营销收入同比增长28%", Verdict.CONTRADICTED, Reason.VALUE_MISMATCH),
        (
            REVENUE,
            "Online marketing was 27.4% of total revenue",
            Verdict.CONTRADICTED,
            Reason.ROLE_MISMATCH,
        ),
        (
            REVENUE,
            "Full-year online marketing revenue was RMB16.65 billion",
            Verdict.CONTRADICTED,
            Reason.PERIOD_MISMATCH,
        ),
        (
            REVENUE,
            "Online marketing revenue was RMB166.5 billion",
            Verdict.CONTRADICTED,
            Reason.SCALE_MISMATCH,
        ),
        (BUYBACK, "buyback of up to HK$16 billion", Verdict.SUPPORTED, Reason.CONVERTED),
        (BUYBACK, "buyback of at least HK$16 billion", Verdict.CONTRADICTED, Reason.BOUND_CONFLICT),
        (
            SHARES,
            "repurchased about 60.71 million shares, 1.7% of total",
            Verdict.SUPPORTED,
            Reason.CONVERTED,
        ),
        (SHARES, "repurchased 6.071 million shares", Verdict.CONTRADICTED, Reason.SCALE_MISMATCH),
        (
            RESPECTIVELY,
            "daily active merchants grew 38% QoQ",
            Verdict.CONTRADICTED,
            Reason.VALUE_MISMATCH,
        ),
        (
            RESPECTIVELY,
            "daily active merchants grew 19% YoY",
            Verdict.CONTRADICTED,
            Reason.BASIS_MISMATCH,
        ),
        (RESPECTIVELY, "日均动销商品数环比增长38%", Verdict.SUPPORTED, Reason.EXACT),
    ],
)
def test_claims_against_transcript_spans(
    source: str, claim: str, verdict: Verdict, reason: Reason
) -> None:
    result = verify(claim, source)
    assert (result.verdict, result.reason) == (verdict, reason), result.checks


def test_last_year_needs_the_document_date() -> None:
    source = "自去年12月18日开始执行自动股份回购计划"
    claim = "the automatic buyback started on December 18, 2023"
    assert verify(claim, source, doc_date=date(2024, 6, 1)).verdict is Verdict.SUPPORTED
    undated = verify(claim, source)
    assert (undated.verdict, undated.reason) == (Verdict.UNVERIFIABLE, Reason.UNRESOLVED_DATE)


def test_identifiers_are_not_numbers() -> None:
    result = verify("175B-parameter model close to GPT-4", "1750亿规模大语言模型……GPT4.0")
    assert result.verdict is Verdict.SUPPORTED
    assert [c.claim.value for c in result.checks] == [Decimal("175e9")]  # GPT-4 is a name


def test_verify_many_extracts_the_source_once() -> None:
    prepared = prepare_source(SAMPLE.read_text(encoding="utf-8"), doc_date=date(2024, 5, 27))
    results = verify_many(
        [
            "Q1 online marketing revenue was RMB16.65 billion",
            "一季度线上营销服务收入同比增长28%",
            "Kuaishou plans to keep investing in large models",
        ],
        prepared,
    )
    assert [r.verdict for r in results] == [
        Verdict.SUPPORTED,
        Verdict.CONTRADICTED,
        Verdict.UNVERIFIABLE,
    ]
    assert results[2].reason is Reason.NO_NUMBERS
    check = results[0].checks[0]
    assert check.location is not None and check.location.startswith("1:")
    start, end = check.source.span if check.source else (0, 0)
    assert prepared.text[start:end] == "166.5亿"


def test_bad_input_gives_clear_errors_or_verdicts() -> None:
    with pytest.raises(InputError, match="empty"):
        verify("revenue was RMB1 billion", "   ")
    assert verify("", REVENUE).reason is Reason.NO_NUMBERS
    assert verify("Выручка выросла на 27,4%", REVENUE).reason is Reason.UNSUPPORTED_LANGUAGE


def test_cli_verify_reads_a_gbk_source_and_prints_a_table(tmp_path: Path) -> None:
    source = tmp_path / "call.txt"
    source.write_bytes(REVENUE.encode("gbk"))
    result = CliRunner().invoke(
        cli,
        [
            "verify",
            str(source),
            "营销收入同比增长27%",
            "Online marketing revenue was RMB16.5 billion",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.output.splitlines()
    assert lines[0] == "[1] SUPPORTED (rounded): 营销收入同比增长27%"
    assert lines[2].startswith("[2] CONTRADICTED (value_mismatch)")
    assert "source says 166.5亿 = RMB16.65 billion [Q1] at 1:" in lines[3]


def test_cli_verify_claims_file_as_json(tmp_path: Path) -> None:
    source = tmp_path / "call.txt"
    source.write_text(BUYBACK, encoding="utf-8")
    claims = tmp_path / "claims.jsonl"
    claims.write_text(
        '{"id": "c1", "claim": "buyback of up to HK$16 billion"}\nnot json\n', encoding="utf-8"
    )
    result = CliRunner().invoke(cli, ["verify", str(source), "--claims", str(claims), "--json"])
    assert result.exit_code == 0, result.output
    assert f"{claims}:2: not JSON" in result.stderr
    first = result.stdout.splitlines()[0]
    assert first.startswith('{"id": "c1", "claim": "buyback of up to HK$16 billion"')
    assert '"verdict": "supported"' in first


def test_cli_verify_errors(tmp_path: Path) -> None:
    missing = CliRunner().invoke(cli, ["verify", str(tmp_path / "none.txt"), "claim 1"])
    assert missing.exit_code == 1 and "none.txt: no such file" in missing.output
    source = tmp_path / "s.txt"
    source.write_text(BUYBACK, encoding="utf-8")
    no_claims = CliRunner().invoke(cli, ["verify", str(source)])
    assert no_claims.exit_code == 2 and "give at least one CLAIM" in no_claims.output
