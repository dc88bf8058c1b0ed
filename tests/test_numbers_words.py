"""Qualifier and per-unit words: "not exceeding X" is at most X, "no less than X" at least X;
"$0.89 per common share" is per share."""

import pytest

from toolkit.numbers import extract_quantities
from toolkit.quantity import Qualifier


@pytest.mark.parametrize(
    ("text", "qualifier"),
    [
        ("a new share buyback plan not exceeding 160 billion HKD", Qualifier.AT_MOST),
        ("a buyback that does not exceed $16 billion", Qualifier.AT_MOST),
        ("capex not to exceed $2 billion", Qualifier.AT_MOST),
        ("no less than 5 million users", Qualifier.AT_LEAST),
        ("not fewer than 300 stores", Qualifier.AT_LEAST),
        ("exceeding 160 billion HKD", Qualifier.AT_LEAST),  # the plain word keeps its sense
        ("less than 5 million users", Qualifier.AT_MOST),
    ],
)
def test_negation_flips_the_bound(text: str, qualifier: Qualifier) -> None:
    (quantity,) = extract_quantities(text)
    assert quantity.qualifier is qualifier


@pytest.mark.parametrize(
    "text",
    [
        "$0.89 per common share",
        "$1.10 per diluted common share",
        "$0.50 per ordinary share",
        "$2 per share of common stock",
    ],
)
def test_the_kind_of_share_does_not_hide_that_an_amount_is_per_share(text: str) -> None:
    (quantity,) = extract_quantities(f"Net income was $60.2 million or {text}.")[1:]
    assert quantity.per == "share"


@pytest.mark.parametrize("text", ["以及上一年第二季度的恢复", "比上一季度增长", "这一年", "下一年"])
def test_last_year_and_this_year_are_not_a_length_of_one_year(text: str) -> None:
    assert extract_quantities(text) == []


def test_a_length_of_one_year_still_is() -> None:
    (quantity,) = extract_quantities("回放将持续一年。")
    assert (quantity.value, quantity.unit) == (1, "years")
