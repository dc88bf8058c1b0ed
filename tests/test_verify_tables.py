"""Claims checked against table rows, dated lists and clause dates: the row of the claim's date
decides, not the same value written for another month or another line. Each rule has its
counter-example."""

from __future__ import annotations

from toolkit.verdict import Reason, Verdict
from toolkit.verify import prepare_source, verify

GLUED = prepare_source(
    "4月29日公司发布的一季报数据显示，一季度公司共实现营业总收入1.01亿元。"
    "近日该股表现日期当日涨跌幅（%）换手率（%）主力资金净流入（万元）"
    "2025.05.145.062.12468.472025.05.135.018.181512.232025.05.122.736.27267.03证券"
)


def test_a_glued_table_row_supports_its_own_date_and_column() -> None:
    assert GLUED.verify("2025年05月14日，该股的换手率为2.12%。").verdict is Verdict.SUPPORTED
    assert GLUED.verify("2025年05月13日，主力资金净流入为1512.23万元。").verdict is (
        Verdict.SUPPORTED
    )
    assert GLUED.verify("2025年05月12日，该股的当日涨跌幅为2.73%。").verdict is (Verdict.SUPPORTED)


def test_a_glued_table_value_of_another_row_or_column_contradicts() -> None:
    other_day = GLUED.verify("2025年05月13日，该股的换手率为2.12%。")
    assert other_day.verdict is Verdict.CONTRADICTED
    assert other_day.checks[-1].reason is Reason.VALUE_MISMATCH
    other_column = GLUED.verify("2025年05月14日，该股的当日涨跌幅为2.12%。")
    assert other_column.verdict is Verdict.CONTRADICTED


PPI = prepare_source(
    "文章内容：中国PPI生产资料环比(月)(%)：2025年4月为-0.5%，2025年3月为-0.4%，"
    "2025年2月为-0.2%，2025年1月为-0.2%。"
    "文章内容：中国PPI生产资料同比(月)(%)：2025年4月为-3.1%，2025年3月为-2.8%，"
    "2025年2月为-2.5%，2025年1月为-2.6%。"
    "文章内容：PPI环比降幅持平于3月的0.4%，其中生产资料环比较3月的-0.4%回落至-0.5%，"
    "而4月生活资料环比降幅收窄至0.2%。"
)


def test_the_row_of_the_claims_month_decides_over_the_same_value_elsewhere() -> None:
    assert PPI.verify("2025年3月，中国PPI生产资料环比为-0.4%。").verdict is Verdict.SUPPORTED
    # -0.5% is April's, written next to "3月" in the commentary: the March row refutes it
    march = PPI.verify("2025年3月，中国PPI生产资料环比为-0.5%。")
    assert march.verdict is Verdict.CONTRADICTED
    assert march.checks[-1].source is not None and march.checks[-1].source.text == "-0.4%"


def test_the_row_of_the_other_series_does_not_decide() -> None:
    # -2.8% is the year-on-year row of March: 环比 in the claim picks the other series
    assert PPI.verify("2025年3月，中国PPI生产资料环比为-2.8%。").verdict is Verdict.CONTRADICTED
    assert PPI.verify("2025年3月，中国PPI生产资料同比为-2.8%。").verdict is Verdict.SUPPORTED


def test_a_sub_index_the_table_does_not_list_is_not_decided_by_its_rows() -> None:
    # 生活资料 (consumer goods) is another line than the 生产资料 table
    result = PPI.verify("2025年4月，生活资料PPI环比为0.2%。")
    assert result.verdict is Verdict.SUPPORTED


def test_a_month_list_pairs_with_a_list_of_values() -> None:
    source = "8、9月份新增专项债额度分别为7965亿元、10279亿元，大幅高于7月份的2815亿元。"
    assert verify("2023年8月，新增专项债额度为7965亿元。", source).verdict is Verdict.SUPPORTED
    assert verify("2023年9月，新增专项债额度为10279亿元。", source).verdict is (Verdict.SUPPORTED)
    assert verify("2023年8月，新增专项债额度为10279亿元。", source).verdict is (
        Verdict.CONTRADICTED
    )


FUND = (
    "截止2025年05月12日平安货币B上一交易日2025年05月09日收益率为0.00%，"
    "截止2025年05月14日平安货币B今年以来收益率为0.57%，上一交易日2025年05月13日收益率为0.01%。"
)


def test_a_date_written_earlier_in_the_clause_also_dates_the_number() -> None:
    result = verify("2025年05月12日，平安货币B的上一交易日收益率为0.00%。", FUND)
    assert result.verdict is Verdict.SUPPORTED


def test_a_date_in_no_clause_of_the_number_still_keeps_it_apart() -> None:
    # 0.01% is stated for 05-13 (its clause writes no 05-12)
    result = verify("2025年05月12日，平安货币B的上一交易日收益率为0.01%。", FUND)
    assert result.verdict is not Verdict.SUPPORTED


def test_a_time_of_day_must_be_written_as_that_time() -> None:
    source = "5月14日，西部证券盘中上涨2.10%，截至13:37，报7.77元/股。换手率0.31%，成交31手。"
    assert verify("5月14日，西部证券盘中上涨2.10%，截至13:37。", source).verdict is (
        Verdict.SUPPORTED
    )
    moved = verify("5月14日，西部证券盘中上涨2.10%，截至13:31。", source)
    assert moved.verdict is Verdict.UNVERIFIABLE
    assert moved.reason is Reason.UNKNOWN_IDENTIFIER
    assert "13:31" in moved.unknown_identifiers
    chinese = "5月14日，西部证券盘中上涨2.10%，截至13时37分，报7.77元/股。"
    assert verify("5月14日，西部证券盘中上涨2.10%，截至13:37。", chinese).verdict is (
        Verdict.SUPPORTED
    )


def test_a_weaker_threshold_is_not_the_sources_threshold() -> None:
    source = "投资风格稳定：科技持仓占比≥30%，稳定保持较高占比。"
    assert verify("该基金的科技持仓占比≥30%。", source).verdict is Verdict.SUPPORTED
    assert verify("该基金的科技持仓占比≥26%。", source).verdict is Verdict.CONTRADICTED
    # an exact value still satisfies a claimed bound
    assert verify("该基金的科技持仓占比超过26%。", "科技持仓占比为30%。").verdict is (
        Verdict.SUPPORTED
    )


def test_relative_dates_on_both_sides_agree_once_the_article_dates_them() -> None:
    source = "发布时间：2025年03月21日 星期五 文章内容：购买意向率在去年11月达到峰值3.3%。"
    assert verify("截至2024年11月，购买意向率达到峰值。", source).verdict is Verdict.SUPPORTED
    assert verify("去年11月，购买意向率达到峰值3.3%。", source).verdict is Verdict.SUPPORTED
    assert verify("截至2023年11月，购买意向率达到峰值。", source).verdict is (Verdict.CONTRADICTED)


CALL = (
    "We ended the first quarter with $1.61 billion in cash. We currently expect to see a "
    "sequential improvement in RevPAR change in the first quarter 2021 versus 2020."
)


def test_a_quarter_end_date_is_supported_by_that_quarter_named() -> None:
    claim = "expects a sequential improvement in revpar change for quarter ending march 31, 2021."
    result = verify(claim, CALL)
    assert result.verdict is Verdict.SUPPORTED
    assert result.checks[0].source is not None
    assert result.checks[0].source.text == "first quarter 2021"
    assert verify("2021年3月31日，RevPAR环比改善。", "2021年第一季度RevPAR环比改善。").verdict is (
        Verdict.SUPPORTED
    )


def test_another_year_or_a_day_that_ends_no_quarter_is_not() -> None:
    late = "expects a sequential improvement in revpar change for quarter ending march 31, 2022."
    assert verify(late, CALL).verdict is not Verdict.SUPPORTED
    mid = "expects a sequential improvement in revpar change by march 15, 2021."
    assert verify(mid, CALL).verdict is not Verdict.SUPPORTED


def test_a_decimal_the_extractor_does_not_read_must_still_be_written() -> None:
    source = "文章内容：密度为1.26-1.38g/cm，相比一些金属材料较轻。"
    assert verify("PEEK材料的密度为1.26-1.38g/cm。", source).verdict is Verdict.SUPPORTED
    changed = verify("PEEK材料的密度为1.26-3.18g/cm。", source)
    assert changed.verdict is Verdict.UNVERIFIABLE
    assert changed.unknown_identifiers == ["3.18"]


def test_a_respectively_list_of_unknown_names_does_not_pair_with_one_metric_twice() -> None:
    source = (
        "2024年1—2月份，实物商品网上零售额18206亿元，增长14.4%；在实物商品网上零售额中，吃类、穿类、"
        "用类商品分别增长26.1%、17.8%、10.8%。家具类商品零售额增长3.6%。"
    )
    claim = "2024年1—2月份，实物商品网上零售额中，穿类商品增长17.8%。"
    assert verify(claim, source).verdict is Verdict.SUPPORTED


def test_a_written_minus_is_no_rise_of_the_same_size() -> None:
    source = "可穿戴智能设备制造（+3.0%）等行业价格同比上涨；煤炭开采价格同比下降2.5%。"
    rise = verify("可穿戴智能设备制造价格同比为-3.0%。", source)
    assert rise.verdict is Verdict.CONTRADICTED
    assert verify("可穿戴智能设备制造价格同比为3.0%。", source).verdict is Verdict.SUPPORTED
    # a fall of 2.5% is -2.5%, and a bare 2.5% still names its size
    assert verify("煤炭开采价格同比为-2.5%。", source).verdict is Verdict.SUPPORTED
    assert verify("煤炭开采价格同比变动2.5%。", source).verdict is Verdict.SUPPORTED
