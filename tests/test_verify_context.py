"""Choosing the source number by context, on hand-built quantities (no extractor involved): the
claim's metric must match the words around the source number, not just its value."""

from __future__ import annotations

from decimal import Decimal

import pytest

from toolkit import verify
from toolkit.errors import InputError
from toolkit.quantity import Basis, DateValue, Group, Kind, Qualifier, Quantity, Role
from toolkit.verdict import Reason, Verdict
from toolkit.verify import PreparedSource, detect_language, infer_currency


def at(text: str, mention: str, value: str, precision: str, **attrs: object) -> Quantity:
    """A quantity for ``mention`` where it first occurs in ``text``."""
    start = text.index(mention)
    lang = "zh" if any("\u4e00" <= ch <= "\u9fff" for ch in text) else "en"
    return Quantity(
        value=Decimal(value),
        precision=Decimal(precision),
        lang=lang,
        span=(start, start + len(mention)),
        text=mention,
        **attrs,  # type: ignore[arg-type]
    )


MERCHANTS = "2024年第一季度日均动销商家数商品数环比分别增长19%和38%"
GROWTH_QOQ = {"unit": "%", "role": Role.GROWTH, "basis": Basis.QOQ}


def merchants_source() -> PreparedSource:
    quantities = [
        at(
            MERCHANTS,
            "19%",
            "19",
            "1",
            group=Group(id=1, kind="respectively", index=0, size=2),
            **GROWTH_QOQ,
        ),
        at(
            MERCHANTS,
            "38%",
            "38",
            "1",
            group=Group(id=1, kind="respectively", index=1, size=2),
            **GROWTH_QOQ,
        ),
    ]
    return PreparedSource(MERCHANTS, quantities=quantities)


def test_respectively_gives_each_number_its_own_metric() -> None:
    source = merchants_source()
    claim = "daily active merchants grew 38% QoQ"
    result = source.verify(claim, quantities=[at(claim, "38%", "38", "1", **GROWTH_QOQ)])
    assert result.verdict is Verdict.CONTRADICTED
    check = result.checks[0]
    assert check.reason is Reason.VALUE_MISMATCH
    assert check.source is not None and check.source.text == "19%"
    assert "merchants" in check.matched_on


def test_both_numbers_of_a_respectively_list_are_supported_in_order() -> None:
    source = merchants_source()
    claim = "daily active merchants and products grew 19% and 38% QoQ"
    quantities = [
        at(claim, "19%", "19", "1", group=Group(id=7, kind="list", index=0, size=2), **GROWTH_QOQ),
        at(claim, "38%", "38", "1", group=Group(id=7, kind="list", index=1, size=2), **GROWTH_QOQ),
    ]
    result = source.verify(claim, quantities=quantities)
    assert result.verdict is Verdict.SUPPORTED
    assert [c.source.text for c in result.checks if c.source] == ["19%", "38%"]


def test_yoy_against_a_qoq_source_is_a_basis_mismatch() -> None:
    claim = "daily active merchants grew 19% YoY"
    growth_yoy = {**GROWTH_QOQ, "basis": Basis.YOY}
    result = merchants_source().verify(
        claim, quantities=[at(claim, "19%", "19", "1", **growth_yoy)]
    )
    assert (result.verdict, result.reason) == (Verdict.CONTRADICTED, Reason.BASIS_MISMATCH)


TWO_METRICS = "收入增长10%，利润增长25%。"


def two_metrics_source() -> PreparedSource:
    growth = {"unit": "%", "role": Role.GROWTH}
    return PreparedSource(
        TWO_METRICS,
        quantities=[
            at(TWO_METRICS, "10%", "10", "1", **growth),
            at(TWO_METRICS, "25%", "25", "1", **growth),
        ],
    )


def test_a_value_of_another_metric_is_not_support() -> None:
    claim = "revenue grew 25%"
    q = at(claim, "25%", "25", "1", unit="%", role=Role.GROWTH)
    result = two_metrics_source().verify(claim, quantities=[q])
    assert result.verdict is Verdict.CONTRADICTED
    assert result.checks[0].source is not None and result.checks[0].source.text == "10%"


def test_a_metric_the_source_does_not_report_is_unverifiable() -> None:
    claim = "users grew 25%"
    q = at(claim, "25%", "25", "1", unit="%", role=Role.GROWTH)
    result = two_metrics_source().verify(claim, quantities=[q])
    assert (result.verdict, result.reason) == (Verdict.UNVERIFIABLE, Reason.OTHER_METRIC)


def test_the_message_names_both_numbers_and_where_the_source_one_is() -> None:
    text = "第一季度线上营销服务收入达到了166.5亿。"
    source = PreparedSource(text, quantities=[at(text, "166.5亿", "16650000000", "1E+7")])
    claim = "Online marketing revenue was RMB16.5 billion"
    q = at(claim, "RMB16.5 billion", "16500000000", "1E+8", unit="CNY")
    check = source.verify(claim, quantities=[q]).checks[0]
    assert check.reason is Reason.VALUE_MISMATCH
    assert check.location == "1:16-21"
    assert check.message == (
        "claim says RMB16.5 billion; source says 166.5亿 = RMB16.65 billion at 1:16-21 "
        "(different value)"
    )


def test_bounds_and_currency_through_the_engine() -> None:
    text = "未来三年拟回购不超过160亿港币的新的回购计划"
    cap = at(
        text, "不超过160亿港币", "16000000000", "1E+9", unit="HKD", qualifier=Qualifier.AT_MOST
    )
    source = PreparedSource(text, quantities=[cap])
    claim = "buyback of up to HK$16 billion"
    upto = at(
        claim, "up to HK$16 billion", "16000000000", "1E+9", unit="HKD", qualifier=Qualifier.AT_MOST
    )
    assert source.verify(claim, quantities=[upto]).verdict is Verdict.SUPPORTED
    at_least = upto.model_copy(update={"qualifier": Qualifier.AT_LEAST})
    assert source.verify(claim, quantities=[at_least]).reason is Reason.BOUND_CONFLICT
    rmb = upto.model_copy(update={"unit": "CNY"})
    assert source.verify(claim, quantities=[rmb]).reason is Reason.CURRENCY_MISMATCH


def test_claims_without_numbers_or_in_another_language() -> None:
    source = two_metrics_source()
    assert source.verify("revenue grew strongly", quantities=[]).reason is Reason.NO_NUMBERS
    assert source.verify("   ").reason is Reason.NO_NUMBERS
    russian = source.verify("Выручка выросла на 25%")
    assert (russian.verdict, russian.reason) == (Verdict.UNVERIFIABLE, Reason.UNSUPPORTED_LANGUAGE)


def test_an_empty_source_is_an_input_error() -> None:
    with pytest.raises(InputError, match="empty"):
        PreparedSource("  \n", quantities=[])


def test_document_currency() -> None:
    buyback = "回购40亿港币，累计使用约30.3亿港币，拟回购不超过160亿港币"
    hkd = [at(buyback, m, "1", "1", unit="HKD") for m in ("40亿港币", "30.3亿港币", "160亿港币")]
    assert infer_currency(buyback, hkd) == "CNY"  # three HK$ mentions do not make an HK$ report
    assert infer_currency("（单位：港元）收入100亿", []) == "HKD"
    assert infer_currency("Revenue was 5 billion.", []) == "USD"
    assert infer_currency("(in millions of U.S. dollars) Revenue 5", []) == "USD"
    many = [at(buyback, "40亿港币", "1", "1", unit="HKD")] * 6
    assert infer_currency(buyback, many) == "HKD"


def test_language_detection() -> None:
    assert detect_language("营销收入同比增长27%") == "zh"
    assert detect_language("Q1 revenue rose 14.2 percent") == "en"
    assert detect_language("电商GMV同比增长") == "zh"
    assert detect_language("Выручка выросла") is None


def month(text: str, mention: str, year: int, m: int) -> Quantity:
    start = text.index(mention)
    return Quantity(
        kind=Kind.DATE,
        value=Decimal(year),
        precision=Decimal(1),
        date=DateValue(year=year, month=m),
        lang="zh",
        span=(start, start + len(mention)),
        text=mention,
    )


def test_a_table_row_of_another_month_is_not_support() -> None:
    text = "中国PPI生产资料环比：2024年7月为-0.3%，2024年6月为-0.2%。"
    source = PreparedSource(
        text,
        quantities=[
            month(text, "2024年7月", 2024, 7),
            at(text, "-0.3%", "-0.3", "0.1", unit="%", basis=Basis.QOQ),
            month(text, "2024年6月", 2024, 6),
            at(text, "-0.2%", "-0.2", "0.1", unit="%", basis=Basis.QOQ),
        ],
    )
    claim = "2024年6月，中国PPI生产资料环比为-0.3%。"
    quantities = [
        month(claim, "2024年6月", 2024, 6),
        at(claim, "-0.3%", "-0.3", "0.1", unit="%", basis=Basis.QOQ),
    ]
    result = source.verify(claim, quantities=quantities)
    assert result.verdict is Verdict.CONTRADICTED
    assert result.checks[1].source is not None and result.checks[1].source.text == "-0.2%"
    right = [quantities[0], at(claim, "-0.3%", "-0.2", "0.1", unit="%", basis=Basis.QOQ)]
    assert source.verify(claim, quantities=right).verdict is Verdict.SUPPORTED


def test_total_revenue_is_not_a_business_line() -> None:
    text = "第一季度线上营销服务收入达到了166.5亿。"
    source = PreparedSource(text, quantities=[at(text, "166.5亿", "16650000000", "1E+7")])
    claim = "快手一季度总收入为294亿元。"
    q = at(claim, "294亿元", "29400000000", "1E+8", unit="CNY")
    assert source.verify(claim, quantities=[q]).reason is Reason.NO_CANDIDATE
    segment_claim = "一季度线上营销收入为294亿元。"
    q2 = at(segment_claim, "294亿元", "29400000000", "1E+8", unit="CNY")
    assert source.verify(segment_claim, quantities=[q2]).reason is Reason.VALUE_MISMATCH


def test_a_stated_value_refutes_where_a_bound_cannot() -> None:
    text = "原40亿港币回购计划将到期，拟回购不超过160亿港币的新的回购计划。"
    source = PreparedSource(
        text,
        quantities=[
            at(text, "40亿港币", "4000000000", "1E+8", unit="HKD"),
            at(
                text,
                "不超过160亿港币",
                "16000000000",
                "1E+9",
                unit="HKD",
                qualifier=Qualifier.AT_MOST,
            ),
        ],
    )
    claim = "原回购计划为50亿港币。"
    q = at(claim, "50亿港币", "5000000000", "1E+8", unit="HKD")
    result = source.verify(claim, quantities=[q])
    assert (result.verdict, result.reason) == (Verdict.CONTRADICTED, Reason.VALUE_MISMATCH)


def test_an_identifier_the_source_never_writes_makes_a_claim_unverifiable() -> None:
    text = "新材料ETF基金（516480）开盘跌0.33%。"
    source = PreparedSource(
        text, quantities=[at(text, "0.33%", "0.33", "0.01", unit="%", role=Role.DECLINE)]
    )
    for code, verdict in (("516480", Verdict.SUPPORTED), ("439008", Verdict.UNVERIFIABLE)):
        claim = f"新材料ETF基金（{code}）开盘跌0.33%。"
        q = at(claim, "0.33%", "0.33", "0.01", unit="%", role=Role.DECLINE)
        result = source.verify(claim, quantities=[q])
        assert result.verdict is verdict
    assert result.reason is Reason.UNKNOWN_IDENTIFIER
    assert result.unknown_identifiers == ["439008"]


def test_a_chinese_claim_names_adjusted_eps_in_any_word_order_against_an_english_call() -> None:
    call = (
        "We reported an all-time record quarter adjusted earnings per share from continuing "
        "operations of $2.38, up 102% compared to the prior year. Revenue was $5.8 billion."
    )
    for words in ("每股调整后收益", "调整后每股收益", "经调整每股收益"):
        result = verify(f"公司{words}为2.38美元，同比增长102%。", call)
        assert result.verdict is Verdict.SUPPORTED, (words, result.checks)
    assert verify("公司每股调整后收益为2.83美元。", call).verdict is Verdict.CONTRADICTED
