"""Quantity extraction, by example: a span of text in, the exact quantities out."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit import extract_quantities
from toolkit.cli import cli
from toolkit.quantity import Basis, Kind, Period, Qualifier, Quantity, Role

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kuaishou-2024q1-call.txt"


def one(text: str, *, doc_date: date | None = None) -> Quantity:
    found = [q for q in extract_quantities(text, doc_date=doc_date) if q.kind is Kind.NUMBER]
    assert len(found) == 1, [q.text for q in found]
    return found[0]


def texts(text: str) -> list[str]:
    return [q.text for q in extract_quantities(text)]


# --- the sample transcript ---------------------------------------------------------------------


def test_q1_revenue_in_the_ocr_noisy_sample() -> None:
    text = "A:第--季度线上营销服务收入达到了166.5亿。同比增长27.4%,"
    revenue, growth = extract_quantities(text)
    assert (revenue.value, revenue.precision, revenue.unit) == (
        Decimal("16650000000"),
        Decimal("1E+7"),
        None,
    )
    assert revenue.role is Role.LEVEL
    assert revenue.period == Period(part="Q1")
    assert revenue.text == "166.5亿" and text[slice(*revenue.span)] == "166.5亿"
    assert not revenue.repaired  # the period's "--" was repaired, not the number
    assert (growth.value, growth.unit, growth.role, growth.basis) == (
        Decimal("27.4"),
        "%",
        Role.GROWTH,
        Basis.YOY,
    )


def test_respectively_keeps_the_pairing() -> None:
    text = "2024年第--季度日均动销商家数商品数环比分别增长19%和38%"
    merchants, products = [q for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    assert merchants.value == 19 and products.value == 38
    assert merchants.group is not None and products.group is not None
    assert merchants.group.id == products.group.id
    assert (merchants.group.kind, merchants.group.index, products.group.index) == (
        "respectively",
        0,
        1,
    )
    assert merchants.basis is products.basis is Basis.QOQ
    assert merchants.role is products.role is Role.GROWTH
    assert merchants.period == Period(year=2024, part="Q1")


def test_buyback_bounds_currency_and_shares() -> None:
    text = "回购金额约30.3亿港 币,回购股份约6071万股,约占总股本的1.7%。拟回购不超过160亿港币"
    amount, shares, share, cap = extract_quantities(text)
    assert (amount.value, amount.unit, amount.qualifier) == (
        Decimal("3030000000"),
        "HKD",
        Qualifier.ABOUT,
    )
    assert amount.text == "30.3亿港 币"  # the OCR space stays in the original span
    assert (shares.value, shares.unit) == (Decimal("60710000"), "shares")
    assert (share.value, share.role, share.qualifier) == (
        Decimal("1.7"),
        Role.SHARE,
        Qualifier.ABOUT,
    )
    assert (cap.value, cap.unit, cap.qualifier) == (
        Decimal("16000000000"),
        "HKD",
        Qualifier.AT_MOST,
    )


def test_repaired_chinese_numerals() -> None:
    peak = one("单日消耗峰值突破了--千万。")
    assert (peak.value, peak.precision, peak.qualifier, peak.repaired) == (
        Decimal("10000000"),
        Decimal("1E+7"),
        Qualifier.AT_LEAST,
        True,
    )
    users = one("-季度日均支付用户数同比增长近九倍")
    assert (users.value, users.unit, users.qualifier, users.role, users.basis) == (
        Decimal("9"),
        "x",
        Qualifier.NEARLY,
        Role.GROWTH,
        Basis.YOY,
    )
    assert users.period == Period(part="Q1")


def test_identifiers_in_the_sample_are_not_quantities() -> None:
    text = "接近GPT4.0的水平,推出了第一个多模态模型。数字人与A1G0等方面,和0TA合作。0:本地"
    assert texts(text) == []


def test_the_whole_sample_has_its_key_figures() -> None:
    found = extract_quantities(SAMPLE.read_text(encoding="utf-8"))
    values = {(q.text, q.value, q.unit) for q in found if q.kind is Kind.NUMBER}
    for expected in [
        ("166.5亿", Decimal("16650000000"), None),
        ("1750亿", Decimal("175000000000"), None),
        ("150万", Decimal("1500000"), None),
        ("40亿港币", Decimal("4000000000"), "HKD"),
        ("九倍", Decimal("9"), "x"),
    ]:
        assert expected in values
    dates = [q.date for q in found if q.kind is Kind.DATE]
    assert any(d and (d.month, d.day, d.relative_year) == (12, 18, -1) for d in dates)


# --- scales, units, currencies -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "value", "precision"),
    [
        ("3.5万", "35000", "1E+3"),
        ("12十万", "1200000", "1E+5"),
        ("5百万", "5000000", "1E+6"),
        ("3千万", "30000000", "1E+7"),
        ("1.14万亿元", "1140000000000", "1E+10"),
        ("30多亿", "3000000000", "1E+8"),
        ("16.7 billion", "16700000000", "1E+8"),
        ("$1.5bn", "1500000000", "1E+8"),
        ("175B", "175000000000", "1E+9"),
        ("60.71 million", "60710000", "1E+4"),
        ("20k", "20000", "1E+3"),
        ("$5mm", "5000000", "1E+6"),
        ("$1.35 trillion", "1350000000000", "1E+10"),
        ("1,200", "1200", "1"),
        ("一千二百万", "12000000", "1E+6"),
    ],
)
def test_scales_give_base_units_and_precision(text: str, value: str, precision: str) -> None:
    q = one(text)
    assert (q.value, q.precision) == (Decimal(value), Decimal(precision))
    assert q.text == text


@pytest.mark.parametrize(
    ("text", "unit"),
    [
        ("166.5亿元", "CNY"),
        ("160亿港币", "HKD"),
        ("40亿港元", "HKD"),
        ("RMB16.65 billion", "CNY"),
        ("人民币166亿", "CNY"),
        ("¥300", "CNY"),
        ("US$2 billion", "USD"),
        ("HK$16 billion", "HKD"),
        ("$1.10", "USD"),
        ("6000亿美元", "USD"),
        ("€5 million", "EUR"),
        ("JPY10 billion", "JPY"),
        ("27.4%", "%"),
        ("百分之二十七点四", "%"),
        ("3个百分点", "pp"),
        ("两个百分点", "pp"),
        ("12.1 percentage points", "pp"),
        ("九倍", "x"),
        ("10x", "x"),
        ("1.8 times", "x"),
        ("twofold", "x"),
        ("6071万股", "shares"),
        ("3.8 million shares", "shares"),
        ("150 users", "users"),
        ("三年", "years"),
        ("3个月", "months"),
        ("223.89万手", "lots"),
    ],
)
def test_units_and_currencies(text: str, unit: str) -> None:
    assert one(text).unit == unit


def test_basis_points_become_percentage_points() -> None:
    q = one("margins expanded more than 400 basis points")
    assert (q.value, q.precision, q.unit, q.qualifier, q.role) == (
        Decimal("4"),
        Decimal("0.01"),
        "pp",
        Qualifier.AT_LEAST,
        Role.GROWTH,
    )


def test_per_share_and_signs() -> None:
    eps = one("earnings of $2.71 per share")
    assert (eps.value, eps.unit, eps.per) == (Decimal("2.71"), "USD", "share")
    assert one("每股收益0.5元").per == "share"
    assert one("净流入为-5537.66万").value == Decimal("-55376600")
    assert one("涨跌幅为+1.68%").value == Decimal("1.68")


# --- Chinese and English number words ----------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "一些用户",
        "一直在增长",
        "统一管理",
        "一是行业化,二是商品",
        "第一个多模态模型",
        "万一出现",
        "千万不要",
        "十分重要",
    ],
)
def test_chinese_numerals_that_are_words_are_not_quantities(text: str) -> None:
    assert texts(text) == []


@pytest.mark.parametrize(
    ("text", "value", "unit"),
    [
        ("nine times", "9", "x"),
        ("three years", "3", "years"),
        ("two million", "2000000", None),
        ("twenty-five percent", "25", "%"),
        ("a dozen stores", "12", "stores"),
    ],
)
def test_english_number_words_with_a_unit(text: str, value: str, unit: str | None) -> None:
    q = one(text)
    assert (q.value, q.unit) == (Decimal(value), unit)


def test_bare_english_number_words_are_not_quantities() -> None:
    assert texts("one of the best quarters, and two of our segments") == []


# --- identifiers, times, phones ----------------------------------------------------------------


@pytest.mark.parametrize(
    "text",
    [
        "close to GPT-4 and GPT4.0",
        "version v2.1 shipped",
        "5G rollout",
        "due to COVID-19",
        "our 10-K and 10-Q",
        "As you'll see on Slide 3",
        "call 13800138000 or 400-820-8820",
        "当前时间为20时36分",
        "at 21:00:00 today",
        "一鸣食品（605179）",
        "行业排名1/27",
        "华夏沪深300指数增强A",
        "权威金融查询检索3: 文章标题",
        "截止最新一个交易日的当前价",
    ],
)
def test_identifiers_and_times_are_not_quantities(text: str) -> None:
    assert [q.text for q in extract_quantities(text) if q.kind is Kind.NUMBER] == []


# --- qualifiers ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("约30亿", Qualifier.ABOUT),
        ("大约1.5%左右", Qualifier.ABOUT),
        ("approximately $1.5 billion", Qualifier.ABOUT),
        ("~40%", Qualifier.ABOUT),
        ("超过150万", Qualifier.AT_LEAST),
        ("突破了1000万", Qualifier.AT_LEAST),
        ("逾50亿", Qualifier.AT_LEAST),
        ("100亿以上", Qualifier.AT_LEAST),
        ("30多亿", Qualifier.AT_LEAST),
        ("more than 400 stores", Qualifier.AT_LEAST),
        ("grew 160% or more", Qualifier.AT_LEAST),
        ("不超过160亿港币", Qualifier.AT_MOST),
        ("up to HK$16 billion", Qualifier.AT_MOST),
        ("less than 1%", Qualifier.AT_MOST),
        ("近九倍", Qualifier.NEARLY),
        ("将近50%", Qualifier.NEARLY),
        ("nearly $1.7 billion", Qualifier.NEARLY),
        ("just under 7.9 million shares", Qualifier.NEARLY),
        ("27.4%", Qualifier.EXACT),
    ],
)
def test_qualifiers(text: str, qualifier: Qualifier) -> None:
    assert one(text).qualifier is qualifier


def test_recent_days_are_not_nearly() -> None:
    assert one("近3日主力净流入").qualifier is Qualifier.EXACT


# --- ranges and lists ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "low", "high", "unit"),
    [
        ("$2.85 to $3.10 per diluted share", "2.85", "3.10", "USD"),
        ("$2.85-$3.10", "2.85", "3.10", "USD"),
        ("10%-15%", "10", "15", "%"),
        ("10-15%", "10", "15", "%"),
        ("2.85至3.10元", "2.85", "3.10", "CNY"),
        ("2至3倍", "2", "3", "x"),
        ("between $1 billion and $2 billion", "1000000000", "2000000000", "USD"),
        ("2.85 to 3.10 billion", "2850000000", "3100000000", None),
    ],
)
def test_ranges_are_one_quantity(text: str, low: str, high: str, unit: str | None) -> None:
    q = one(text)
    assert (q.value, q.value_high, q.unit, q.qualifier) == (
        Decimal(low),
        Decimal(high),
        unit,
        Qualifier.RANGE,
    )


def test_from_a_to_b_is_a_change_not_a_range() -> None:
    found = extract_quantities("margins improved from 2.5% to 4% sequentially")
    assert [(q.value, q.qualifier) for q in found] == [
        (Decimal("2.5"), Qualifier.EXACT),
        (Decimal("4"), Qualifier.EXACT),
    ]


def test_english_respectively_and_plain_lists() -> None:
    a, b = extract_quantities("premiums were up 19% and 16% respectively.")
    assert a.group is not None and b.group is not None
    assert (a.group.kind, b.group.index, a.role, b.role) == (
        "respectively",
        1,
        Role.GROWTH,
        Role.GROWTH,
    )
    c, d = extract_quantities("Margins were 19% and 16%.")
    assert c.group is not None and d.group is not None
    assert (c.group.kind, d.group.index) == ("list", 1)


# --- role, basis, period ------------------------------------------------------------------------


def test_basis_does_not_leak_into_the_next_clause() -> None:
    first, second = extract_quantities("营业收入同比增长10%，毛利率为35%。")
    assert (first.basis, first.role) == (Basis.YOY, Role.GROWTH)
    assert (second.basis, second.role) == (None, Role.LEVEL)


@pytest.mark.parametrize(
    ("text", "role", "basis"),
    [
        ("a 7.5% decline versus last year", Role.DECLINE, Basis.YOY),
        ("up 19% quarter on quarter", Role.GROWTH, Basis.QOQ),
        ("sales decreased 12.7% over the prior year quarter", Role.DECLINE, Basis.YOY),
        ("a 9% sequential increase", Role.GROWTH, Basis.QOQ),
        ("外循环消耗环比增到34%", Role.LEVEL, Basis.QOQ),
        ("渗透率为34%", Role.SHARE, None),
        ("占比0.09%", Role.SHARE, None),
        ("5% of our shares outstanding", Role.SHARE, None),
        ("价格比上年下降0.6%", Role.DECLINE, Basis.YOY),
    ],
)
def test_role_and_basis(text: str, role: Role, basis: Basis | None) -> None:
    q = one(text)
    assert (q.role, q.basis) == (role, basis)


@pytest.mark.parametrize(
    ("text", "period"),
    [
        ("2024年第一季度收入166.5亿", Period(year=2024, part="Q1")),
        ("一季度收入166.5亿", Period(part="Q1")),
        ("上半年收入300亿", Period(part="H1")),
        ("全年粮食总产量70650万吨", Period(part="FY")),
        ("Q4 2021 revenue was $5 billion", Period(year=2021, part="Q4")),
        ("In 1Q24 revenue was $5 billion", Period(year=2024, part="Q1")),
        ("revenue of $5 billion in fiscal '23", Period(year=2023, part="FY")),
        ("first quarter of 2021 revenue was $5 billion", Period(year=2021, part="Q1")),
        (
            "For the nine months ended September 30, 2021, income rose 66%",
            Period(year=2021, part="9M"),
        ),
    ],
)
def test_period_anchors(text: str, period: Period) -> None:
    assert one(text).period == period


def test_comparison_bases_are_not_periods() -> None:
    assert one("declining 28.8% from the third quarter of 2019").period is None
    assert one("较去年同期增长20%").period is None


def test_relative_years_resolve_with_the_document_date() -> None:
    text = "去年第一季度宣布了40亿港币的回购计划"
    assert one(text).period == Period(part="Q1", relative_year=-1)
    assert one(text, doc_date=date(2024, 5, 22)).period == Period(
        year=2023, part="Q1", relative_year=-1
    )


# --- dates --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "year", "month", "day"),
    [
        ("12月18日", None, 12, 18),
        ("2025年05月15日", 2025, 5, 15),
        ("2024年", 2024, None, None),
        ("关于24年本地生活业务", 2024, None, None),
        ("May 22, 2024", 2024, 5, 22),
        ("as of December 18, 2023", 2023, 12, 18),
        ("for fiscal 2021", 2021, None, None),
        ("in 2021 we grew", 2021, None, None),
        ("2025-05-15", 2025, 5, 15),
        ("今年六月", None, 6, None),
        ("基金成立时间为20191225；", 2019, 12, 25),
    ],
)
def test_dates_are_their_own_kind(
    text: str, year: int | None, month: int | None, day: int | None
) -> None:
    (q,) = [q for q in extract_quantities(text) if q.kind is Kind.DATE]
    assert q.date is not None
    assert (q.date.year, q.date.month, q.date.day) == (year, month, day)


def test_last_year_dates_resolve_only_with_a_document_date() -> None:
    (q,) = extract_quantities("自去年12月18日开始")
    assert q.date is not None and (q.date.year, q.date.relative_year) == (None, -1)
    (q,) = extract_quantities("自去年12月18日开始", doc_date=date(2024, 5, 22))
    assert q.date is not None and q.date.year == 2023


def test_a_unit_glued_to_a_latin_word_is_still_a_unit() -> None:
    q = one("将近有30家A股上市公司")
    assert (q.value, q.unit, q.qualifier) == (Decimal("30"), "merchants", Qualifier.NEARLY)


def test_recent_trading_days_are_a_length() -> None:
    q = one("近5个交易日股价")
    assert (q.unit, q.qualifier, q.role) == ("trading days", Qualifier.EXACT, None)


def test_ten_years_is_a_length_not_2010() -> None:
    q = one("过去10年国债收益率")
    assert (q.value, q.unit, q.kind) == (Decimal("10"), "years", Kind.NUMBER)


# --- issue-2 follow-ups: known weaknesses and the verifier's requests ---------------------------


def test_a_subjectless_sentence_keeps_the_previous_sentence_period() -> None:
    revenue, growth = extract_quantities("第--季度线上营销服务收入达到了166.5亿。同比增长27.4%,")
    assert revenue.period == growth.period == Period(part="Q1")
    # a new subject, or a new speaker turn, starts afresh
    assert extract_quantities("第一季度收入166.5亿。公司员工100人。")[1].period is None
    assert extract_quantities("第一季度收入166.5亿。\n同比增长27.4%")[1].period is None
    assert extract_quantities("第一季度收入166.5亿。好的。同比增长27.4%")[1].period is None


@pytest.mark.parametrize(
    ("text", "kind", "value"),
    [
        ("24年收入指引保持不变", Kind.DATE, "2024"),
        ("关于24年本地生活业务", Kind.DATE, "2024"),
        ("近24年的发展", Kind.NUMBER, "24"),
        ("24年来我们", Kind.NUMBER, "24"),
        ("经营了24年", Kind.NUMBER, "24"),
        ("10年国债", Kind.NUMBER, "10"),
    ],
)
def test_two_digit_years_in_period_context(text: str, kind: Kind, value: str) -> None:
    (q,) = extract_quantities(text)
    assert (q.kind, q.value) == (kind, Decimal(value))


def test_two_digit_year_far_from_the_document_date_is_a_length() -> None:
    (q,) = extract_quantities("30年的积累", doc_date=date(2024, 5, 22))
    assert (q.kind, q.unit) == (Kind.NUMBER, "years")


@pytest.mark.parametrize(
    ("text", "value", "precision", "unit"),
    [
        ("a 175 billion-parameter model", "175000000000", "1E+9", "parameters"),
        ("our 70B-parameter model", "70000000000", "1E+9", "parameters"),
        ("a 24-hour cycle", "24", "1", "hours"),
        ("a 30-minute call", "30", "1", "minutes"),
    ],
)
def test_hyphenated_units(text: str, value: str, precision: str, unit: str) -> None:
    q = one(text)
    assert (q.value, q.precision, q.unit) == (Decimal(value), Decimal(precision), unit)


@pytest.mark.parametrize(
    "text",
    [
        "International sales made up 27.4% of total revenue.",
        "海外市场收入占比提升至19%",
    ],
)
def test_made_up_and_share_rising_to_are_shares(text: str) -> None:
    assert one(text).role is Role.SHARE


def test_an_anchor_before_the_next_clause_number_is_not_this_number_period() -> None:
    eps, prior = [q for q in extract_quantities("每股基本收益为0.83元，去年同期为0.41元。")]
    assert eps.period is None and prior.period == Period(relative_year=-1)


def test_is_word_after_a_qualifier_still_says_level() -> None:
    assert one("派息率约为35%").role is Role.LEVEL


def test_own_basis_word_wins_and_coordinated_change_shares_the_role() -> None:
    text = "Revenue was $2.41 billion, up 12% year-over-year and 3% sequentially."
    _, yoy, qoq = extract_quantities(text)
    assert (yoy.role, yoy.basis) == (Role.GROWTH, Basis.YOY)
    assert (qoq.role, qoq.basis) == (Role.GROWTH, Basis.QOQ)


def test_by_a_to_b_with_units_on_both_is_a_change_then_a_level() -> None:
    change, level = extract_quantities("Days of inventory fell by 6 days to 58 days.")
    assert (change.value, change.role, level.value, level.role) == (
        Decimal("6"),
        Role.DECLINE,
        Decimal("58"),
        Role.LEVEL,
    )
    ranged = one("margins expand by 50 to 100 basis points")
    assert (ranged.qualifier, ranged.value, ranged.value_high) == (
        Qualifier.RANGE,
        Decimal("0.5"),
        Decimal("1"),
    )


def test_chinese_basis_points_and_implied_hundred() -> None:
    assert (one("下降150个基点").value, one("下降150个基点").unit) == (Decimal("1.5"), "pp")
    q = one("连续超过百亿元")
    assert (q.value, q.precision, q.unit, q.qualifier) == (
        Decimal("10000000000"),
        Decimal("1E+10"),
        "CNY",
        Qualifier.AT_LEAST,
    )
    assert texts("千万不要") == []


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("5 月 12 日，股价上涨 2.39%", (None, 5, 12)),
        ("2025 年 4 月 23 日", (2025, 4, 23)),
        ("2025.05.122.736.27267.03", (2025, 5, 12)),
    ],
)
def test_spaced_and_table_glued_dates(text: str, want: tuple[int | None, int, int]) -> None:
    d = extract_quantities(text)[0]
    assert d.kind is Kind.DATE and d.date is not None
    assert (d.date.year, d.date.month, d.date.day) == want


@pytest.mark.parametrize(
    ("text", "months", "kind", "year"),
    [
        ("2024年1-8月，利润下降0.5%", (1, 8), "range", 2024),
        ("1—9月份，社会消费品零售总额", (1, 9), "range", None),
        ("今年1~2月", (1, 2), "range", 2024),
        ("8、9月份增速回升", (8, 9), "list", None),
        ("2023年1月至9月", (1, 9), "range", 2023),
    ],
)
def test_month_ranges_and_lists(
    text: str, months: tuple[int, int], kind: str, year: int | None
) -> None:
    dates = [
        q
        for q in extract_quantities(text, doc_date=date(2024, 6, 1))
        if q.kind is Kind.DATE and q.date is not None and q.date.month is not None
    ]
    assert [q.date.month for q in dates if q.date] == list(months)
    assert [q.date.year for q in dates if q.date] == [year, year]
    assert [(q.group.kind, q.group.index) for q in dates if q.group] == [(kind, 0), (kind, 1)]
    assert not [q for q in extract_quantities(text) if q.kind is Kind.NUMBER and q.unit is None]


@pytest.mark.parametrize(("text", "value"), [("近一月涨幅3%", "1"), ("近3月", "3")])
def test_recent_months_are_a_window_not_a_month(text: str, value: str) -> None:
    q = extract_quantities(text)[0]
    assert (q.kind, q.value, q.unit) == (Kind.NUMBER, Decimal(value), "months")


def test_broker_note_pcts_are_percentage_points() -> None:
    assert (one("同比提升9pct").unit, one("同比提升9pct").role) == ("pp", Role.GROWTH)
    a, b = extract_quantities("毛利率同比分别+4.5pcts/+2.9pcts")
    assert (a.value, b.value, a.unit, b.unit) == (Decimal("4.5"), Decimal("2.9"), "pp", "pp")
    assert a.group is not None and b.group is not None and b.group.index == 1
    assert one("growth of 5 pct").unit == "%"


def test_headline_style_periods_dates_and_scales() -> None:
    assert one("ups releases 4q 2021 revenue of $25 bln").period == Period(year=2021, part="Q4")
    d = extract_quantities("as of march 31, 2021, cash was $3.3 bln")
    assert d[0].date is not None and (d[0].date.month, d[0].date.day) == (3, 31)
    assert (d[1].value, d[1].unit) == (Decimal("3300000000"), "USD")
    assert texts("we may 5 times") == ["5 times"]


@pytest.mark.parametrize(
    "text", ["eps between $1.99 & $2.07", "revenue could range from $1.99 to $2.07"]
)
def test_ampersand_and_range_from_are_ranges(text: str) -> None:
    q = one(text)
    assert (q.qualifier, q.value, q.value_high) == (
        Qualifier.RANGE,
        Decimal("1.99"),
        Decimal("2.07"),
    )


@pytest.mark.parametrize(
    ("text", "kinds"),
    [
        ("1901至3802美元", ["number"]),
        ("2000 to 3,000 employees", ["number"]),
        ("2020至2023年", ["date", "date"]),
        ("grew in 2021 to 5 billion dollars", ["date", "number"]),
        ("2020 to 25%", ["date", "number"]),
        ("收入达到了2000，同比增长", ["number"]),
        ("从2020到2023年", ["date", "date"]),
        ("（2023）", ["date"]),
    ],
)
def test_a_four_digit_number_opening_a_range_of_amounts_is_no_year(
    text: str, kinds: list[str]
) -> None:
    assert [q.kind.value for q in extract_quantities(text)] == kinds


@pytest.mark.parametrize(
    ("text", "low", "high"),
    [("in the mid-20 percent range", 24, 26), ("a low-30% tax rate", 30, 33)],
)
def test_decade_bands_are_ranges(text: str, low: int, high: int) -> None:
    q = one(text)
    assert (q.qualifier, q.value, q.value_high, q.unit) == (
        Qualifier.RANGE,
        Decimal(low),
        Decimal(high),
        "%",
    )


def test_a_written_plus_sign_is_a_change() -> None:
    assert [q.role for q in extract_quantities("飞机制造（+1.3%）等")] == [Role.GROWTH]


def test_chinese_lengths_of_time_take_an_adjacent_change_word() -> None:
    shorter, level = extract_quantities("存货周转天数缩短了7天，降至43天。")
    assert (shorter.role, level.role) == (Role.DECLINE, Role.LEVEL)
    assert one("连续三年超过").role is None


# --- contract -----------------------------------------------------------------------------------


def test_extraction_leaves_the_garbage_collector_as_it_found_it() -> None:
    import gc

    assert gc.isenabled()
    extract_quantities("收入166.5亿")
    assert gc.isenabled()
    gc.disable()
    try:
        extract_quantities("收入166.5亿")
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_empty_text_gives_nothing() -> None:
    assert extract_quantities("") == []


def test_quantities_survive_validation_unchanged() -> None:
    for q in extract_quantities(SAMPLE.read_text(encoding="utf-8")):
        assert Quantity.model_validate(q.model_dump()) == q
        assert Quantity.model_validate_json(q.model_dump_json()) == q


# --- CLI ----------------------------------------------------------------------------------------


def test_cli_prints_a_table() -> None:
    result = CliRunner().invoke(cli, ["quantities", str(SAMPLE)])
    assert result.exit_code == 0, result.output
    assert "166.5亿" in result.output and "16,650,000,000" in result.output
    assert "respectively" in result.output


def test_cli_json_is_one_object_a_line() -> None:
    result = CliRunner().invoke(cli, ["quantities", str(SAMPLE), "--json"])
    assert result.exit_code == 0
    rows = [json.loads(line) for line in result.output.splitlines()]
    assert rows[0]["text"] == "166.5亿" and rows[0]["value"] == "16650000000"
    assert all(Quantity.model_validate(row) for row in rows)


def test_cli_reads_gb18030_and_rejects_binary(tmp_path: Path) -> None:
    gbk = tmp_path / "gbk.txt"
    gbk.write_bytes("营业收入同比增长27.4%".encode("gb18030"))
    result = CliRunner().invoke(cli, ["quantities", str(gbk), "--json"])
    assert result.exit_code == 0 and '"27.4"' in result.output
    binary = tmp_path / "blob.bin"
    binary.write_bytes(b"\x00\x01\x02PK\x03\x04" * 10)
    result = CliRunner().invoke(cli, ["quantities", str(binary)])
    assert result.exit_code == 1
    assert "blob.bin" in result.output and "binary" in result.output
