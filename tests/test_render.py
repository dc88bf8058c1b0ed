"""Rendering a quantity and extracting it back gives the same value: the grounded-mode promise."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from toolkit.numbers import extract_quantities
from toolkit.quantity import Quantity
from toolkit.render import Lang, render


def quantity(value: str, precision: str, unit: str | None = None, **more: object) -> Quantity:
    return Quantity(
        value=Decimal(value),
        precision=Decimal(precision),
        unit=unit,
        lang="zh",
        span=(0, 1),
        text="x",
        **more,  # type: ignore[arg-type]
    )


@pytest.mark.parametrize(
    ("q", "zh", "en"),
    [
        (quantity("16650000000", "1E+7", "CNY"), "166.5亿元", "RMB16.65 billion"),
        (quantity("16000000000", "1E+8", "HKD"), "160亿港元", "HK$16 billion"),
        (quantity("60710000", "1E+4"), "6071万", "60.71 million"),
        (quantity("450000", "1E+4"), "45万", "0.45 million"),
        (quantity("27.4", "0.1", "%"), "27.4%", "27.4%"),
        (quantity("1.10", "0.01", "USD", per="share"), "每股1.10美元", "$1.10 per share"),
        (
            quantity("2.85", "0.01", "USD", value_high=Decimal("3.10")),
            "2.85至3.10美元",
            "$2.85 to $3.10",
        ),
        (quantity("4", "1", "pp"), "4个百分点", "4 percentage points"),
        (quantity("9", "1", "x"), "9倍", "9 times"),
    ],
)
def test_renders_as_a_financial_reader_expects(q: Quantity, zh: str, en: str) -> None:
    assert (render(q, "zh"), render(q, "en")) == (zh, en)


UNITS = [None, "CNY", "HKD", "USD", "EUR"]


@st.composite
def amounts(draw: st.DrawFn) -> Quantity:
    """An amount as a source writes it: digits whose last one is significant, at some place."""
    digits = draw(st.integers(min_value=1, max_value=99_999).filter(lambda d: d % 10 != 0))
    place = draw(st.integers(min_value=-2, max_value=10))
    unit = draw(st.sampled_from(UNITS))
    value = Decimal(digits).scaleb(place)
    return quantity(str(value), str(Decimal(1).scaleb(place)), unit)


@st.composite
def percents(draw: st.DrawFn) -> Quantity:
    digits = draw(st.integers(min_value=1, max_value=9_999).filter(lambda d: d % 10 != 0))
    place = draw(st.integers(min_value=-2, max_value=0))
    unit = draw(st.sampled_from(["%", "pp", "x"]))
    return quantity(str(Decimal(digits).scaleb(place)), str(Decimal(1).scaleb(place)), unit)


def roundtrip(q: Quantity, lang: Lang) -> Quantity:
    text = render(q, lang)
    found = extract_quantities(text)
    assert len(found) == 1, f"{text!r} extracted as {found}"
    return found[0]


@settings(max_examples=300, deadline=None)
@given(q=st.one_of(amounts(), percents()), lang=st.sampled_from(["zh", "en"]))
def test_render_then_extract_gives_the_same_value_never_finer(q: Quantity, lang: Lang) -> None:
    back = roundtrip(q, lang)
    assert back.value == q.value
    assert back.unit == q.unit
    assert back.precision >= q.precision  # a rendering may be coarser, never falsely precise


@settings(max_examples=100, deadline=None)
@given(q=amounts(), lang=st.sampled_from(["zh", "en"]))
def test_ranges_and_per_share_amounts_round_trip(q: Quantity, lang: Lang) -> None:
    ranged = q.model_copy(update={"value_high": q.value * 2, "unit": "USD"})
    back = roundtrip(ranged, lang)
    assert (back.value, back.value_high) == (ranged.value, ranged.value_high)
    per_share = q.model_copy(update={"unit": "USD", "per": "share"})
    assert roundtrip(per_share, lang).per == "share"
