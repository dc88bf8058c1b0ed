"""Slash lists of broker notes ("514.43/506.01/268.47亿元", "-1.56/0.45/-0.7pct"): the unit is
written once after the last member, and every member is a number of that unit. Ranks, dates
and bare fractions stay skipped; fiscal quarters keep their quarter."""

from __future__ import annotations

from decimal import Decimal

from toolkit.numbers import extract_quantities
from toolkit.quantity import Kind


def _numbers(text: str) -> list[tuple[str, Decimal, str | None]]:
    return [(q.text, q.value, q.unit) for q in extract_quantities(text) if q.kind is Kind.NUMBER]


def test_every_member_of_a_slash_list_takes_the_unit_written_after_the_last() -> None:
    found = _numbers("营业总收入/营业收入/归母净利润/扣非净利润514.43/506.01/268.47/268.5亿元。")
    assert [value for _, value, _ in found] == [
        Decimal("51443000000"),
        Decimal("50601000000"),
        Decimal("26847000000"),
        Decimal("26850000000"),
    ]
    assert {unit for _, _, unit in found} == {"CNY"}
    assert [text for text, _, _ in found] == ["514.43", "506.01", "268.47", "268.5亿元"]


def test_signed_members_keep_their_sign_and_points_stay_points() -> None:
    found = _numbers("税金/销售/管理费用率分别同比-1.56/0.45/-0.7pct。")
    assert [(value, unit) for _, value, unit in found] == [
        (Decimal("-1.56"), "pp"),
        (Decimal("0.45"), "pp"),
        (Decimal("-0.7"), "pp"),
    ]


def test_spans_point_at_each_member_in_the_original_text() -> None:
    text = "直销/批发收入分别为232.20/273.60亿元"
    spans = [q.span for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    assert [text[a:b] for a, b in spans] == ["232.20", "273.60亿元"]


def test_ranks_dates_and_lists_without_a_unit_are_not_slash_lists() -> None:
    assert _numbers("排名37/219。") == []  # integers only: a rank
    assert _numbers("比分1.5/2。") == []  # no unit after the last member
    assert _numbers("共3/4亿元。") == []  # no decimals: could be a fraction
    dates = [q for q in extract_quantities("日期2025/05/01。") if q.kind is Kind.DATE]
    assert dates and dates[0].date is not None and dates[0].date.year == 2025


def test_a_quarter_of_a_fiscal_year_is_that_quarter() -> None:
    (sales,) = [
        q
        for q in extract_quantities(
            "For the third quarter of fiscal year 2021, the company delivered net sales of "
            "$76.3 million."
        )
        if q.kind is Kind.NUMBER
    ]
    assert sales.period is not None
    assert (sales.period.year, sales.period.part) == (2021, "Q3")
    (year,) = [
        q
        for q in extract_quantities("Net sales for fiscal year 2021 were $300.1 million.")
        if q.kind is Kind.NUMBER
    ]
    assert year.period is not None and year.period.part == "FY"
