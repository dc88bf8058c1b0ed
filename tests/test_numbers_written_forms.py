"""Ways calls and reports write a figure that the extractor must read as one quantity: cents,
decade bands with a space ("the mid 20% range"), the quarter of a fiscal year named later in
the clause, and split crop years ("2024/25年度") named as a comparison base."""

from __future__ import annotations

from decimal import Decimal

from toolkit import verify
from toolkit.numbers import extract_quantities
from toolkit.quantity import Kind, Period, Qualifier


def _numbers(text: str) -> list[tuple[str, Decimal, str | None]]:
    return [(q.text, q.value, q.unit) for q in extract_quantities(text) if q.kind is Kind.NUMBER]


def test_cents_are_dollars_divided_by_a_hundred() -> None:
    assert _numbers("declares quarterly dividend of 79¢ per share") == [
        ("79¢ per share", Decimal("0.79"), "USD")
    ]
    assert _numbers("a dividend of 79 cents per share") == [
        ("79 cents per share", Decimal("0.79"), "USD")
    ]
    # a word that only starts like "cent" is not a currency
    assert _numbers("up 5 centimeters") == [("5", Decimal(5), None)]
    source = "Our Board of Directors declared a $0.79 per share quarterly dividend."
    assert verify("declares quarterly dividend of 79¢ per share.", source).verdict == "supported"
    assert verify("declares quarterly dividend of 97¢ per share.", source).verdict != "supported"


def test_a_decade_band_may_be_written_with_a_space_or_as_a_span_of_bands() -> None:
    mid = extract_quantities("We expect revenue to grow in the mid 20% range.")[0]
    assert (mid.text, mid.value, mid.value_high, mid.qualifier) == (
        "mid 20%",
        Decimal(24),
        Decimal(26),
        Qualifier.RANGE,
    )
    span = extract_quantities("a tax rate in the low to mid 20% range")[0]
    assert (span.value, span.value_high) == (Decimal(20), Decimal(26))
    source = "We expect third quarter revenue to grow in the mid 20% range."
    claim = "expects q3 revenue to grow in mid-20 percent range."
    assert verify(claim, source).verdict == "supported"


def test_a_band_word_before_a_number_that_is_not_a_decade_leaves_the_number_alone() -> None:
    assert _numbers("a high 25% margin") == [("25%", Decimal(25), "%")]
    assert _numbers("will decline to below 40% by year-end") == [("40%", Decimal(40), "%")]
    # bands out of order are not a span
    assert _numbers("the high to low 20% range") == [("20%", Decimal(20), "%")]


def test_a_quarter_named_before_takes_the_fiscal_year_named_after_the_number() -> None:
    text = "Third quarter sales were $295.3 million in fiscal year '21 compared to last year."
    sales = extract_quantities(text)[0]
    assert sales.period == Period(year=2021, part="Q3")
    assert verify("q3 sales $295.3 million.", text).verdict == "supported"
    # "full year 2021" names a period of its own, not the year of the quarter
    full = extract_quantities("Third quarter sales were $295.3 million for the full year 2021.")
    assert full[0].period == Period(year=2021, part="FY")


SOYBEANS = (
    "美国农业部 2024 年 12 月预测2024/25 年，中国大豆产量 2,070 万吨，较23/24 年度减少 14 万吨；"
    "进口量 1.09 亿吨，较 23/24 年度减少300 万吨。"
)


def test_a_split_crop_year_after_a_comparison_word_is_the_base_not_the_period() -> None:
    imports = next(q for q in extract_quantities(SOYBEANS) if q.text == "1.09 亿吨")
    assert imports.period is not None and imports.period.year == 2025
    claim = "2024/25年度中国大豆进口量1.09亿吨，较23/24年度减少300万吨。"
    assert verify(claim, SOYBEANS).verdict == "supported"
    # a year that does not continue the first ("2021/25年度") is not a split year
    other = "预测2025 年，产量 2,070 万吨，较2021/24 年度减少 14 万吨；进口量 1.09 亿吨。"
    later = next(q for q in extract_quantities(other) if q.text == "1.09 亿吨")
    assert later.period is not None and later.period.year == 2024


ROCKET = (
    "We expect closed loan volume of $98 billion to $103 billion compared to $51.7 billion in "
    "the first quarter of 2020; net rate lock volume of $88 billion to $95 billion, up from "
    "$56 billion in the first quarter of 2020."
)


def test_the_period_of_a_comparison_value_is_not_the_period_of_what_follows() -> None:
    found = {q.text: q for q in extract_quantities(ROCKET)}
    # the comparison values keep their own period …
    assert found["$51.7 billion"].period == Period(year=2020, part="Q1")
    assert found["$56 billion"].period == Period(year=2020, part="Q1")
    # … and the outlook range after them does not take it
    assert found["$88 billion to $95 billion"].period is None
    claim = "sees net rate lock volume of between $88 billion and $95 billion in q1 2021."
    source = "Our outlook for 2021 is strong.\n" + ROCKET
    assert verify(claim, source).verdict == "supported"
    # a period written right after the number itself is still that number's
    own = extract_quantities("Revenue was $5 million in the first quarter of 2020.")[0]
    assert own.period == Period(year=2020, part="Q1")


SPENDING = (
    "文章内容：中国人均消费支出累计同比(季)(%)：2025一季度为5.3%，2024四季度为5.1%，"
    "2020二季度为-9.3%，2020一季度为-12.5%。另据统计，合计支出当月同比增速12.6%（前值-8.8%）。"
)


def test_a_series_of_quarters_is_a_table_whose_rows_carry_their_quarter() -> None:
    cells = [q for q in extract_quantities(SPENDING) if q.group is not None]
    assert [q.text for q in cells] == ["5.3%", "5.1%", "-9.3%", "-12.5%"]
    assert cells[3].period == Period(year=2020, part="Q1")
    assert all(q.group is not None and q.group.kind == "table" for q in cells)
    # the row of the claim's quarter decides; -8.8% written elsewhere does not rescue
    assert verify("2020年一季度，中国人均消费支出累计同比为-12.5%。", SPENDING).verdict == (
        "supported"
    )
    assert verify("2020年一季度，中国人均消费支出累计同比为-8.8%。", SPENDING).verdict == (
        "contradicted"
    )


def test_a_period_written_with_wei_before_a_value_is_that_values_period() -> None:
    text = (
        "2024年罚没收入增长14.8%，增幅逐季回落，"
        "其中上半年为25.2%、第三季度为13.8%、第四季度为-4.4%。"
    )
    found = {q.text: q.period for q in extract_quantities(text)}
    assert found["25.2%"] == Period(year=2024, part="H1")
    assert found["13.8%"] == Period(year=2024, part="Q3")
    assert verify("2024年上半年，罚没收入增长25.2%。", text).verdict == "supported"
    assert verify("2024年上半年，罚没收入增长13.8%。", text).verdict != "supported"
    # with no 为 the period right after the number in its clause stays its own
    english = extract_quantities("Revenue was $45 million in fiscal '23.")[0]
    assert english.period == Period(year=2023, part="FY")
