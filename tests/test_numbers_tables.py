"""Tables and lists whose cells the extractor must pair with their row, column or period:
glued table rows, series written out as text, year ranges and period lists for respectively
lists, per-item bases (同环比分别), spaced minus signs, and articles' own publication dates."""

from __future__ import annotations

from decimal import Decimal

from toolkit.numbers import extract_quantities
from toolkit.quantity import Basis, Kind

GLUED = (
    "近日该股表现日期当日涨跌幅（%）换手率（%）主力资金净流入（万元）"
    "2025.05.145.062.12468.472025.05.135.018.181512.232025.05.06-0.659.07-498.87证券"
)


def test_a_glued_table_cuts_into_cells_of_equal_decimals_under_their_headers() -> None:
    found = extract_quantities(GLUED)
    dates = [q.text for q in found if q.kind is Kind.DATE]
    assert dates == ["2025.05.14", "2025.05.13", "2025.05.06"]
    cells = [q for q in found if q.kind is Kind.NUMBER]
    assert [q.text for q in cells[:3]] == ["5.06", "2.12", "468.47"]
    assert [q.text for q in cells[6:]] == ["-0.65", "9.07", "-498.87"]
    turnover, inflow = cells[1], cells[2]
    assert turnover.unit == "%" and turnover.value == Decimal("2.12")
    assert inflow.unit == "CNY" and inflow.value == Decimal("4684700")
    assert turnover.group is not None and turnover.group.kind == "table"
    assert turnover.group.index == 1 and turnover.group.size == 3
    assert turnover.group.header is not None
    start, end = turnover.group.header
    assert GLUED[start:end] == "换手率"
    assert cells[6].value == Decimal("-0.65")


def test_a_glued_run_that_cuts_two_ways_or_has_no_header_is_not_a_table() -> None:
    # the first row cuts only with three decimals (12.345), the second only with two (3.21):
    # no decimal count is common to all rows
    ambiguous = "日期收盘价（元）2025.05.1412.3452025.05.133.21"
    assert not [q for q in extract_quantities(ambiguous) if q.group is not None]
    headless = "2025.05.145.062.122025.05.135.018.18"
    assert not [q for q in extract_quantities(headless) if q.kind is Kind.NUMBER]


SERIES = (
    "文章内容：中国PPI生产资料环比(月)(%)：2025年4月为-0.5%，2025年3月为-0.4%，"
    "2025年2月为-0.2%，2025年1月为-0.2%。"
)


def test_a_series_written_out_is_a_one_column_table_under_its_header() -> None:
    cells = [q for q in extract_quantities(SERIES) if q.kind is Kind.NUMBER]
    assert [q.text for q in cells] == ["-0.5%", "-0.4%", "-0.2%", "-0.2%"]
    for cell in cells:
        assert cell.group is not None and cell.group.kind == "table"
        assert cell.group.header is not None
        assert SERIES[cell.group.header[0] : cell.group.header[1]] == "中国PPI生产资料环比(月)(%)"
        assert cell.basis is Basis.QOQ  # 环比 in the header


def test_two_dated_values_are_no_series() -> None:
    text = "截至2025年3月为-0.4%，2025年2月为-0.2%。"
    assert all(q.group is None for q in extract_quantities(text))


def test_a_year_range_pairs_with_each_list_of_its_sentence() -> None:
    text = (
        "该行下调公司2024-2026年的净利润至97亿元、102亿元、113亿元，"
        "同比增速分别为-1.4%、5.6%、10.8%。"
    )
    numbers = [q for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    years = [q.period.year if q.period else None for q in numbers]
    assert years == [2024, 2025, 2026, 2024, 2025, 2026]


def test_two_digit_range_ends_and_year_lists_count_too() -> None:
    text = "预计2024/2025/2026年归母净利润分别为10亿元、12亿元、14亿元"
    numbers = [q for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    assert [q.period.year if q.period else None for q in numbers] == [2024, 2025, 2026]
    # a range with another number of years than values pairs with nothing
    text = "预计2024-2025年归母净利润分别为10亿元、12亿元、14亿元"
    numbers = [q for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    assert {q.period.year if q.period else None for q in numbers} == {2025}


def test_english_periods_after_a_respectively_list() -> None:
    text = (
        "As a result, our adjusted earnings per share were $2.22 and $0.51 for full year 2020 "
        "and the fourth quarter respectively."
    )
    first, second = (q for q in extract_quantities(text) if q.kind is Kind.NUMBER)
    assert first.period is not None and (first.period.year, first.period.part) == (2020, "FY")
    assert second.period is not None and (second.period.year, second.period.part) == (2020, "Q4")


def test_same_and_sequential_bases_respectively() -> None:
    text = "2024Q4公司营收6.3亿元，同环比分别+46.5%/+56.1%；营收同比、环比分别增长10%和5%"
    growth = [q for q in extract_quantities(text) if q.unit == "%"]
    assert [q.basis for q in growth] == [Basis.YOY, Basis.QOQ, Basis.YOY, Basis.QOQ]
    plain = [q for q in extract_quantities("收入和利润同比分别增长10%和5%") if q.unit == "%"]
    assert [q.basis for q in plain] == [Basis.YOY, Basis.YOY]


def test_a_spaced_minus_after_an_is_word_is_a_sign() -> None:
    (loss,) = extract_quantities("归属于上市公司股东的净利润为 - 2394.27 万元")
    assert loss.value == Decimal("-23942700")
    range_ = extract_quantities("growth of 5 - 6%")
    assert all(q.value >= 0 for q in range_)


def test_relative_dates_count_from_the_article_publication_date() -> None:
    text = (
        "文章标题：特斯拉 发布时间：2025年03月21日 星期五 文章内容：购买数量在去年11月达到峰值，"
        "召回涉及今年2月27日前生产的车辆。"
    )
    dates = {q.text: q.date for q in extract_quantities(text) if q.kind is Kind.DATE}
    assert dates["11月"] is not None and (dates["11月"].year, dates["11月"].month) == (2024, 11)
    assert dates["2月27日"] is not None and dates["2月27日"].year == 2025
    # without a publication date, 去年 stays relative
    (last_year,) = extract_quantities("购买数量在去年11月达到峰值")
    assert last_year.date is not None and last_year.date.year is None


def test_operands_of_arithmetic_are_amounts_not_years() -> None:
    text = "“资产总额”的季度平均值=（2000+4000）/2=3000万元；应纳税所得额=90万元。"
    found = extract_quantities(text)
    assert all(q.kind is Kind.NUMBER for q in found)
    assert all(q.period is None for q in found)  # 2000 is no year anchor for 90万元
    (year,) = extract_quantities("in 2021 revenue grew")
    assert year.kind is Kind.DATE
