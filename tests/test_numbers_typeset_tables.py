"""Typeset tables flattened to one line of text: a header of bracketed units ("持股数量（股）
持股比例（%）") gives each column's bare numbers their unit, and numbered rows give back the
row number that lost its separator and stuck to the previous row's last cell."""

from __future__ import annotations

from decimal import Decimal

from toolkit import verify
from toolkit.numbers import extract_quantities
from toolkit.quantity import Kind

HOLDERS = (
    "发行人的股本结构如下股份类别 持股数量（股） 持股比例（%）一、有限售条件股份 3,000,000 1.23"
    "二、无限售条件股份 240,000,000 98.77三、总股本 243,000,000 100.002、前十名股东持股情况如下"
    "序 股东名称 持股数量 持股比例号 （股） （%）2 上海静安国有资产经营有限公司 6,000,000 2.473 "
    "上海金兴贸易公司 3,000,000 1.234 金樟贤 1,400,000 0.58合计 10,400,000 4.28"
)


def _numbers(text: str) -> list[tuple[str, Decimal, str | None]]:
    return [(q.text, q.value, q.unit) for q in extract_quantities(text) if q.kind is Kind.NUMBER]


def test_each_column_of_a_typeset_table_takes_the_unit_of_its_header() -> None:
    found = _numbers(HOLDERS)
    assert ("3,000,000", Decimal(3000000), "shares") in found
    assert ("1.23", Decimal("1.23"), "%") in found
    assert ("98.77", Decimal("98.77"), "%") in found
    assert ("10,400,000", Decimal(10400000), "shares") in found
    assert ("4.28", Decimal("4.28"), "%") in found


def test_a_row_number_stuck_to_the_last_cell_goes_back_to_its_row() -> None:
    found = _numbers(HOLDERS)
    # rows 2, 3, 4: "2.473 上海金兴…" is 2.47% and row 3, "1.234 金樟贤" is 1.23% and row 4
    assert ("2.47", Decimal("2.47"), "%") in found
    assert ("0.58", Decimal("0.58"), "%") in found
    assert [text for text, _, unit in found if unit == "%"].count("1.23") == 2
    # "100.002、前十名": section 2 after section 1 of the same text
    text = "1、股权结构 持股数量（股） 持股比例（%）三、总股本 243,000,000 100.002、前十名股东"
    assert ("100.00", Decimal("100.00"), "%") in _numbers(text)


def test_digits_that_do_not_continue_the_numbering_stay_in_the_cell() -> None:
    # after row 2 comes row 3, not row 5: "2.475" keeps its third decimal
    text = "持股数量 持股比例号 （股） （%）2 上海静安公司 6,000,000 2.475 金樟贤 1,400,000 0.58"
    assert ("2.475", Decimal("2.475"), "%") in _numbers(text)
    # no section 1 before "2、": nothing is cut
    alone = "持股数量（股） 持股比例（%）总股本 243,000,000 100.002、其他"
    assert ("100.002", Decimal("100.002"), "%") in _numbers(alone)


def test_numbers_outside_a_two_unit_row_keep_no_unit() -> None:
    # three numbers under two units are not a row of that table
    text = "持股数量（股） 持股比例（%）合计 3,000,000 1.23 5 其他"
    assert ("1.23", Decimal("1.23"), None) in _numbers(text)
    one_unit = "持股比例（%）合计 1.23"
    assert _numbers(one_unit) == [("1.23", Decimal("1.23"), None)]


def test_a_holding_ratio_claim_is_supported_by_its_row_and_refuted_by_another_value() -> None:
    claim = "上海金兴贸易公司持有3,000,000股，持股比例为1.23%。"
    assert verify(claim, HOLDERS).verdict == "supported"
    assert verify("金樟贤持有1,400,000股，持股比例为0.585%。", HOLDERS).verdict != "supported"
    assert verify("金樟贤持有1,400,000股，持股比例为5.8%。", HOLDERS).verdict == "contradicted"
