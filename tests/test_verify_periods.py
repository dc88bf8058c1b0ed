"""Period tags the extractor guesses from context, checked against what the source number's
sentence actually writes. Each rule has its counter-example."""

from __future__ import annotations

from toolkit.verdict import Reason, Verdict
from toolkit.verify import verify

TWO_YEARS = (
    "发布时间：2025年04月30日 文章内容："
    "2024年公司实现销售毛利率30.6%/+0.8pct、销售净利率12.4%/-0.5pct，"
    "2025Q1实现销售毛利率28%/-9.6pct、销售净利率7.1%/-10.5pct。"
)


def test_the_period_written_nearest_the_number_overrides_the_guessed_tag() -> None:
    result = verify("2025年第一季度，公司的销售毛利率为28%。", TWO_YEARS)
    assert result.verdict is Verdict.SUPPORTED
    assert result.checks[-1].reason is Reason.EXACT


def test_a_period_written_farther_away_still_contradicts() -> None:
    # 30.6% sits right after 2024年; 2025Q1 comes later in the sentence
    result = verify("2025年第一季度，公司的销售毛利率为30.6%。", TWO_YEARS)
    assert result.verdict is not Verdict.SUPPORTED


def test_a_period_after_the_number_in_its_sentence_counts() -> None:
    source = (
        "In the first quarter of 2021 sales rose 12%. We now expect sales to increase in the "
        "18% to 21% range for the year, up from our prior guidance."
    )
    result = verify("full year 2021 sales expected to be up 18% to 21%.", source)
    assert result.verdict is Verdict.SUPPORTED


def test_a_period_only_in_another_sentence_does_not_count() -> None:
    source = (
        "We now expect sales to increase in the 18% to 21% range in the first quarter. "
        "For the year we are cautious."
    )
    result = verify("full year 2021 sales expected to be up 18% to 21%.", source)
    assert result.verdict is not Verdict.SUPPORTED


FLAT = "We are initiating net sales guidance in the range of flat to 6% growth for 2022."


def test_a_range_from_flat_supports_a_claim_range_from_zero() -> None:
    result = verify("initiating fy 2022 net sales guidance range of 0% - 6% growth.", FLAT)
    assert result.verdict is Verdict.SUPPORTED


def test_a_range_from_flat_supports_no_other_upper_end() -> None:
    assert verify("2022 net sales guidance range of 0% - 8% growth.", FLAT).verdict is not (
        Verdict.SUPPORTED
    )
    plain = "We are initiating net sales guidance of 6% growth for 2022."
    result = verify("2022 net sales guidance range of 0% - 6% growth.", plain)
    assert result.verdict is not Verdict.SUPPORTED
