"""The verifier's value rules (toolkit.compare), on hand-built quantities: a source number and a
claim number in, the reason out."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest

from toolkit.compare import judge, judge_value, round_to
from toolkit.quantity import Basis, DateValue, Kind, Period, Qualifier, Quantity, Role
from toolkit.verdict import REASON_VERDICT, Reason, Verdict


def num(
    value: str,
    precision: str,
    text: str,
    *,
    unit: str | None = None,
    qualifier: Qualifier = Qualifier.EXACT,
    lang: str = "zh",
    high: str | None = None,
    **attrs: object,
) -> Quantity:
    return Quantity(
        value=Decimal(value),
        value_high=None if high is None else Decimal(high),
        precision=Decimal(precision),
        unit=unit,
        qualifier=qualifier,
        lang=lang,
        span=(0, len(text)),
        text=text,
        **attrs,  # type: ignore[arg-type]
    )


def day(
    text: str,
    *,
    year: int | None = None,
    month: int | None = None,
    d: int | None = None,
    relative_year: int | None = None,
    lang: str = "zh",
) -> Quantity:
    return Quantity(
        kind=Kind.DATE,
        value=Decimal(0),
        precision=Decimal(1),
        date=DateValue(year=year, month=month, day=d, relative_year=relative_year),
        lang=lang,
        span=(0, len(text)),
        text=text,
    )


REVENUE_ZH = num("16650000000", "1E+7", "166.5亿")
GROWTH_ZH = num("27.4", "0.1", "27.4%", unit="%", role=Role.GROWTH, basis=Basis.YOY)


def test_round_half_up_not_bankers() -> None:
    assert round_to(Decimal("16650000000"), Decimal("1E+8")) == Decimal("1.67E+10")
    assert round_to(Decimal("27.5"), Decimal(1)) == 28


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        (num("16700000000", "1E+8", "RMB16.7 billion", unit="CNY", lang="en"), Reason.ROUNDED),
        (num("16650000000", "1E+7", "16.65 billion", lang="en"), Reason.CONVERTED),
        (num("16650000000", "1E+6", "16.650 billion", lang="en"), Reason.CONVERTED),
        (num("16650000000", "1E+7", "166.5亿"), Reason.EXACT),
        (num("16500000000", "1E+8", "16.5 billion", lang="en"), Reason.VALUE_MISMATCH),
        (num("1665000000", "1E+6", "1.665 billion", lang="en"), Reason.SCALE_MISMATCH),
        (num("1700000000", "1E+8", "1.7 billion", lang="en"), Reason.SCALE_MISMATCH),
    ],
)
def test_revenue_of_166_5_yi(claim: Quantity, reason: Reason) -> None:
    assert judge(claim, REVENUE_ZH, doc_currency="CNY") is reason


def test_a_claim_more_precise_than_its_source_is_not_supported() -> None:
    source = num("1700000000", "1E+8", "17亿")
    claim = num("1665000000", "1E+6", "1.665 billion", lang="en")
    assert judge_value(claim, source) is Reason.TOO_PRECISE
    assert REASON_VERDICT[Reason.TOO_PRECISE] is Verdict.UNVERIFIABLE


@pytest.mark.parametrize(
    ("claim", "reason"),
    [
        (num("27", "1", "27%", unit="%", role=Role.GROWTH), Reason.ROUNDED),
        (num("28", "1", "28%", unit="%", role=Role.GROWTH), Reason.VALUE_MISMATCH),
        (num("27.4", "0.1", "27.4%", unit="%", role=Role.SHARE), Reason.ROLE_MISMATCH),
        (
            num("27.4", "0.1", "27.4%", unit="%", role=Role.GROWTH, basis=Basis.QOQ),
            Reason.BASIS_MISMATCH,
        ),
        (num("2.74", "0.01", "2.74%", unit="%", role=Role.GROWTH), Reason.SCALE_MISMATCH),
    ],
)
def test_growth_of_27_4_percent(claim: Quantity, reason: Reason) -> None:
    assert judge(claim, GROWTH_ZH) is reason


def test_currency_stated_on_both_sides_or_taken_from_the_document() -> None:
    hkd = num("16650000000", "1E+7", "HK$16.65 billion", unit="HKD", lang="en")
    assert judge(hkd, REVENUE_ZH, doc_currency="CNY") is Reason.CURRENCY_MISMATCH
    assert judge(hkd, REVENUE_ZH, doc_currency="HKD") is Reason.CONVERTED
    source_hkd = num("16000000000", "1E+9", "160亿港币", unit="HKD", qualifier=Qualifier.AT_MOST)
    rmb = num("16000000000", "1E+9", "RMB16 billion", unit="CNY", qualifier=Qualifier.AT_MOST)
    assert judge(rmb, source_hkd, doc_currency="CNY") is Reason.CURRENCY_MISMATCH


def test_a_different_figure_for_a_different_period_says_nothing() -> None:
    q1 = REVENUE_ZH.model_copy(update={"period": Period(part="Q1")})
    fy_same = num("16650000000", "1E+7", "16.65 billion", period=Period(part="FY"), lang="en")
    fy_other = num("60000000000", "1E+9", "60 billion", period=Period(part="FY"), lang="en")
    assert judge(fy_same, q1) is Reason.PERIOD_MISMATCH
    assert judge(fy_other, q1) is None


BUYBACK_CAP = num("16000000000", "1E+9", "不超过160亿港币", unit="HKD", qualifier=Qualifier.AT_MOST)
NEARLY_NINE = num("9", "1", "近九倍", unit="x", qualifier=Qualifier.NEARLY, role=Role.GROWTH)
OVER_1_5M = num("1500000", "1E+4", "超过150万", qualifier=Qualifier.AT_LEAST)
ABOUT_30_3 = num("3030000000", "1E+7", "约30.3亿港币", unit="HKD", qualifier=Qualifier.ABOUT)


@pytest.mark.parametrize(
    ("source", "claim", "reason"),
    [
        (BUYBACK_CAP, ("16000000000", "1E+9", Qualifier.AT_MOST), Reason.CONVERTED),
        (BUYBACK_CAP, ("16000000000", "1E+9", Qualifier.AT_LEAST), Reason.BOUND_CONFLICT),
        # "up to 200亿" is true of a 160亿 cap, but it names another cap: a threshold is a value
        (BUYBACK_CAP, ("20000000000", "1E+9", Qualifier.AT_MOST), Reason.VALUE_MISMATCH),
        (BUYBACK_CAP, ("10000000000", "1E+9", Qualifier.AT_MOST), Reason.BOUND_UNDECIDED),
        (NEARLY_NINE, ("9", "1", Qualifier.NEARLY), Reason.CONVERTED),
        (NEARLY_NINE, ("9", "1", Qualifier.AT_LEAST), Reason.BOUND_CONFLICT),
        (NEARLY_NINE, ("8", "1", Qualifier.AT_LEAST), Reason.WITHIN_BOUND),
        (NEARLY_NINE, ("9", "1", Qualifier.EXACT), Reason.QUALIFIER_DROPPED),
        (OVER_1_5M, ("1500000", "1E+5", Qualifier.AT_LEAST), Reason.CONVERTED),
        (OVER_1_5M, ("1500000", "1E+5", Qualifier.NEARLY), Reason.BOUND_CONFLICT),
        (OVER_1_5M, ("1500000", "1E+5", Qualifier.EXACT), Reason.QUALIFIER_DROPPED),
        (OVER_1_5M, ("3000000", "1E+6", Qualifier.EXACT), Reason.BOUND_UNDECIDED),
        (OVER_1_5M, ("15000000", "1E+6", Qualifier.AT_LEAST), Reason.SCALE_MISMATCH),
        (OVER_1_5M, ("1000000", "1E+6", Qualifier.AT_LEAST), Reason.VALUE_MISMATCH),
        (OVER_1_5M, ("1000000", "1E+6", Qualifier.EXACT), Reason.BOUND_CONFLICT),
        (ABOUT_30_3, ("3000000000", "1E+8", Qualifier.ABOUT), Reason.ROUNDED),
        (ABOUT_30_3, ("3300000000", "1E+8", Qualifier.ABOUT), Reason.VALUE_MISMATCH),
        (ABOUT_30_3, ("3030000000", "1E+7", Qualifier.EXACT), Reason.QUALIFIER_DROPPED),
        (ABOUT_30_3, ("3040000000", "1E+7", Qualifier.EXACT), Reason.TOO_PRECISE),
    ],
)
def test_qualifiers(source: Quantity, claim: tuple[str, str, Qualifier], reason: Reason) -> None:
    value, precision, qualifier = claim
    unit = source.unit
    claimed = num(
        value, precision, "claim", unit=unit, qualifier=qualifier, lang="en", role=source.role
    )
    assert judge_value(claimed, source) is reason


def test_about_allows_a_small_tolerance_on_the_claim_side() -> None:
    shares = num("60710000", "1E+4", "6071万股", unit="shares")
    about_60m = num(
        "60000000", "1E+6", "about 60 million", unit="shares", qualifier=Qualifier.ABOUT, lang="en"
    )
    exact_60m = about_60m.model_copy(update={"qualifier": Qualifier.EXACT})
    assert judge_value(about_60m, shares) is Reason.APPROXIMATE
    assert judge_value(exact_60m, shares) is Reason.VALUE_MISMATCH


def test_a_decline_compares_with_its_sign() -> None:
    fell = num("6", "1", "fell 6 percent", unit="%", role=Role.DECLINE, lang="en")
    minus = num("-6", "1", "-6%", unit="%", role=Role.GROWTH)
    up = num("6", "1", "up 6%", unit="%", role=Role.GROWTH)
    bare = num("6", "1", "6%", unit="%")
    assert judge_value(fell, minus) is Reason.CONVERTED
    assert judge_value(fell, up) is Reason.VALUE_MISMATCH
    assert judge_value(fell, bare) is Reason.CONVERTED


def test_ranges_need_both_ends() -> None:
    source = num(
        "2.85",
        "0.01",
        "$2.85 to $3.10",
        unit="USD",
        qualifier=Qualifier.RANGE,
        high="3.10",
        lang="en",
    )
    same = source.model_copy()
    wrong_end = source.model_copy(update={"value_high": Decimal("0.13"), "text": "$2.85 to $0.13"})
    point_inside = num("3", "1", "$3", unit="USD", lang="en")
    assert judge_value(same, source) is Reason.EXACT
    assert judge_value(wrong_end, source) is Reason.VALUE_MISMATCH
    assert judge_value(point_inside, source) is Reason.BOUND_UNDECIDED


def test_dates_compare_as_dates_after_resolving_last_year() -> None:
    source = day("去年12月18日", month=12, d=18, relative_year=-1)
    claim = day("December 18, 2023", year=2023, month=12, d=18, lang="en")
    assert judge(claim, source, doc_date=date(2024, 6, 1)) is Reason.EXACT
    assert judge(claim, source, doc_date=None) is Reason.UNRESOLVED_DATE
    may22 = day("5月22日", month=5, d=22)
    may21 = day("May 21", month=5, d=21, lang="en")
    assert judge(may21, may22) is Reason.DATE_MISMATCH
    year_only = day("2024", year=2024, lang="en")
    assert judge(year_only, day("24年", year=2024)) is Reason.EXACT


def test_every_reason_belongs_to_one_verdict() -> None:
    assert set(REASON_VERDICT) == set(Reason)
    assert REASON_VERDICT[Reason.SCALE_MISMATCH] is Verdict.CONTRADICTED
    assert REASON_VERDICT[Reason.OTHER_METRIC] is Verdict.UNVERIFIABLE
