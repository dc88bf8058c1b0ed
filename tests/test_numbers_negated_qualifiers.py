"""A negated bound reads the other way: "not exceeding X" is at most X, "no less than X" at least."""

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
