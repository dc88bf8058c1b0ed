"""Finding a claim's numbers as the source actually writes them, through the real extractor:
spaced or table-glued dates, month ranges, words that mislead the context, losses, names with
digits, headline-style claims and ranges split in two. Each rule has its counter-example."""

from __future__ import annotations

from decimal import Decimal

from toolkit.verdict import Reason, Verdict
from toolkit.verify import extract_claim, verify

SPACED = "短期股价：5 月 12 日，股价上涨 2.39%，收于 12.87 元；5 月 6 日，股价上涨 5.69%。"


def test_a_spaced_chinese_date_supports_the_claim_date() -> None:
    result = verify("2025年05月12日，球冠电缆股价上涨2.39%，收于12.87元。", SPACED)
    assert result.verdict is Verdict.SUPPORTED
    date_check = result.checks[0]
    assert date_check.source is not None and "12" in date_check.source.text
    assert date_check.message.startswith("claim says 2025年05月12日 = 2025-05-12; source says 5 月")


def test_a_written_date_of_another_year_is_no_support() -> None:
    source = "2025 年 5 月 12 日，股价上涨 2.39%，收于 12.87 元。"
    result = verify("2024年05月12日，球冠电缆股价上涨2.39%。", source)
    assert result.verdict is not Verdict.SUPPORTED
    assert result.checks[0].verdict is not Verdict.SUPPORTED


def test_a_month_range_supports_its_first_month() -> None:
    source = (
        "9月份，社会消费品零售总额39826亿元。1—9月份，社会消费品零售总额342107亿元，同比增长6.8%。"
    )
    result = verify("2023年1月至9月，社会消费品零售总额为342107亿元，同比增长6.8%。", source)
    assert result.verdict is Verdict.SUPPORTED
    assert verify("2023年3月，社会消费品零售总额为342107亿元。", source).verdict is not (
        Verdict.SUPPORTED
    )


def test_a_dotted_date_glued_to_the_next_table_cell_is_found() -> None:
    table = "日期 换手率（%）\n2025.05.136.27\n2025.05.128.64"
    result = verify("2025年05月12日，换手率较高。", table)
    assert result.checks[0].reason is Reason.EXACT
    assert result.checks[0].location == "3:1-10"  # the row "2025.05.12…"
    assert verify("2025年05月14日，换手率较高。", table).verdict is not Verdict.SUPPORTED


INCOME = (
    "2023年，全国居民人均可支配收入39218元，比上年名义增长6.3%，扣除价格因素，实际增长6.1%。"
    "农村居民人均可支配收入21691元，增长7.7%，扣除价格因素，实际增长7.6%。"
)


def test_an_equal_value_fitting_the_claim_supports_despite_a_misleading_word() -> None:
    # 扣除价格因素 puts a price word next to 6.1%, which is still income growth
    assert verify("2023年，全国居民人均可支配收入实际增长6.1%。", INCOME).verdict is (
        Verdict.SUPPORTED
    )
    assert verify("2023年，全国居民人均可支配收入实际增长6.2%。", INCOME).verdict is not (
        Verdict.SUPPORTED
    )


def test_a_distinctive_value_supports_whatever_words_surround_it() -> None:
    source = "三木集团今日主力资金净流入3014.27万元，换手率为2.1%，成交额为1.2亿元。"
    result = verify("三木集团的成交额为3014.27万元。", source)
    assert result.verdict is Verdict.SUPPORTED
    # a short value is not distinctive: 2.1% of turnover is no evidence for a price change
    assert verify("三木集团的股价上涨2.1%。", source).verdict is not Verdict.SUPPORTED


def test_a_loss_is_a_negative_profit() -> None:
    source = "公司发布2024年年度业绩快报，全年归母净利润亏损 2323 万元，同比暴跌 1011.52%。"
    result = verify("2024年全年，归母净利润为-2323万元。", source)
    assert result.verdict is Verdict.SUPPORTED
    assert result.checks[-1].reason is Reason.CONVERTED
    assert result.checks[-1].message.endswith("(the source states it as a loss)")
    assert verify("2024年全年，归母净利润为-2332万元。", source).verdict is not Verdict.SUPPORTED


COVID = "Sales were hurt by COVID-19 in 91 stores."


def test_a_name_with_digits_must_be_written_whole() -> None:
    named = verify("sales were hurt by covid-19.", COVID)
    assert named.verdict is Verdict.SUPPORTED
    assert named.checks[0].message == "claim names covid-19; source writes COVID-19 at 1:20-27"
    wrong = verify("sales were hurt by covid-91.", COVID)
    assert wrong.verdict is Verdict.UNVERIFIABLE
    assert wrong.reason is Reason.UNKNOWN_IDENTIFIER and wrong.unknown_identifiers == ["covid-91"]
    assert verify("sales were hurt by the pandemic.", COVID).reason is Reason.NO_NUMBERS


def test_headline_style_claims_are_read_and_keep_their_own_spans() -> None:
    claim = "as of march 31, 2021, total debt of $1.85 bln & cash of $2 mln."
    quantities = extract_claim(claim, None)
    texts = [q.text for q in quantities]
    assert "march 31, 2021" in texts and "$1.85 bln" in texts
    for q in quantities:
        assert claim[q.span[0] : q.span[1]] == q.text
    debt = next(q for q in quantities if q.text == "$1.85 bln")
    assert debt.value == Decimal("1.85e9")
    source = "As of March 31, 2021, total debt was $1.85 billion."
    assert verify("as of march 31, 2021, company had total debt of $1.85 bln.", source).verdict is (
        Verdict.SUPPORTED
    )
    wrong = verify("as of march 30, 2021, company had total debt of $1.85 bln.", source)
    assert wrong.verdict is not Verdict.SUPPORTED


def test_an_ampersand_range_is_one_range() -> None:
    (q,) = extract_claim("diluted eps between $1.99 & $2.07.", None)
    assert (q.value, q.value_high, q.text) == (Decimal("1.99"), Decimal("2.07"), "$1.99 & $2.07")


GUIDANCE = (
    "We raise our adjusted earnings per share guidance to a range of $13.15 to $13.35 versus "
    "our previous range of $12.90 to $13.10."
)


def test_a_range_written_as_two_mentions_matches_a_range() -> None:
    claim = "eps outlook raised to $13.15 to $13.35 from $12.90 to $13.10 previously."
    assert verify(claim, GUIDANCE).verdict is Verdict.SUPPORTED
    wrong = "eps outlook raised to $13.15 to $13.35 from $12.80 to $13.10 previously."
    assert verify(wrong, GUIDANCE).verdict is not Verdict.SUPPORTED
