"""Properties of extraction: what is written can be read back, and no input breaks it."""

from __future__ import annotations

from decimal import Decimal

from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.numbers import extract_quantities
from toolkit.numerals import read_chinese, render_chinese
from toolkit.quantity import Kind

AMOUNTS = st.decimals(
    min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2, allow_nan=False
).map(lambda d: d.normalize() if d == d.to_integral_value() else d)

ZH_SCALES = {"": 0, "万": 4, "十万": 5, "百万": 6, "千万": 7, "亿": 8, "万亿": 12}
ZH_CURRENCIES = {"": None, "元": "CNY", "港币": "HKD", "港元": "HKD", "美元": "USD", "亿元": None}
EN_SCALES = {" thousand": 3, " million": 6, " billion": 9, "bn": 9, " trillion": 12}
EN_CURRENCIES = {"$": "USD", "US$": "USD", "HK$": "HKD", "RMB": "CNY", "€": "EUR", "": None}


def plain(d: Decimal) -> str:
    return format(d, "f")


def single_number(text: str) -> tuple[Decimal, str | None]:
    found = [q for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    assert len(found) == 1, (text, [q.text for q in found])
    return found[0].value, found[0].unit


@settings(max_examples=300, deadline=None)
@given(
    amount=AMOUNTS,
    scale=st.sampled_from(sorted(ZH_SCALES)),
    currency=st.sampled_from([c for c in ZH_CURRENCIES if c != "亿元"]),
)
def test_chinese_amounts_read_back(amount: Decimal, scale: str, currency: str) -> None:
    text = f"第一季度线上营销服务收入达到了{plain(amount)}{scale}{currency}，同比增长"
    value, unit = single_number(text)
    assert value == amount.scaleb(ZH_SCALES[scale])
    assert unit == ZH_CURRENCIES[currency]


@settings(max_examples=300, deadline=None)
@given(
    amount=AMOUNTS,
    scale=st.sampled_from(sorted(EN_SCALES)),
    currency=st.sampled_from(sorted(EN_CURRENCIES)),
    grouped=st.booleans(),
)
def test_english_amounts_read_back(
    amount: Decimal, scale: str, currency: str, grouped: bool
) -> None:
    written = f"{amount:,f}" if grouped else plain(amount)
    text = f"Total revenue was {currency}{written}{scale} in the quarter."
    value, unit = single_number(text)
    assert value == amount.scaleb(EN_SCALES[scale])
    assert unit == EN_CURRENCIES[currency]


@settings(max_examples=300, deadline=None)
@given(n=st.integers(min_value=1, max_value=10**12 - 1), unit=st.sampled_from(["倍", "股", "年"]))
def test_chinese_numerals_read_back(n: int, unit: str) -> None:
    numeral = render_chinese(n)
    assert read_chinese(numeral) is not None
    value, got_unit = single_number(f"日均支付用户数同比增长{numeral}{unit}，持续增长")
    assert value == n
    assert got_unit == {"倍": "x", "股": "shares", "年": "years"}[unit]


@settings(max_examples=200, deadline=None)
@given(pct=st.decimals(min_value=0, max_value=999, places=1, allow_nan=False))
def test_percentages_read_back_both_ways(pct: Decimal) -> None:
    assert single_number(f"同比增长{plain(pct)}%。") == (pct, "%")
    assert single_number(f"revenue grew {plain(pct)} percent.") == (pct, "%")


# Pieces that meet in real documents: digits, numerals, scales, units, dashes that OCR turns
# into 一, letters that make identifiers, and words the context rules look for.
PIECES = st.sampled_from(
    list("0123456789０１２.,，。:：%％-—－+~ $¥€Oo〇")
    + list("一二两三四五六七八九十百千万亿第季度年月日号半倍个股元港币美")
    + list("QHFYqxbmkBMK ")
    + ["\n", "billion", "million", "percent", " to ", "和", "分别", "respectively", "同比"]
)
NOISY = st.lists(PIECES, max_size=60).map("".join)


@settings(max_examples=500, deadline=None)
@given(text=st.one_of(NOISY, st.text(max_size=80)))
def test_any_text_gives_spans_inside_it(text: str) -> None:
    for q in extract_quantities(text):
        start, end = q.span
        assert 0 <= start < end <= len(text)
        assert text[start:end] == q.text
        assert q.value_high is None or q.value_high >= q.value
        assert q.precision > 0
