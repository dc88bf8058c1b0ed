"""Which source figure a claim may rest on when the call gives several of the same metric:
the prior period's comparison base, the GAAP twin of an adjusted figure, actuals for a
forecast, a change written next to another level; plus metrics named after the number ("in
gross debt") and slash lists of broker notes. Each rule has its counter-example."""

from __future__ import annotations

from toolkit.verdict import Reason, Verdict
from toolkit.verify import prepare_source


def test_a_slash_list_supports_each_member_and_refutes_another_value() -> None:
    src = prepare_source(
        "公司2025年一季度实现营业总收入/营业收入/归母净利润514.43/506.01/268.47亿元，"
        "同比10.67%/10.54%/11.56%。"
    )
    assert src.verify("2025年第一季度，营业收入为506.01亿元。").verdict is Verdict.SUPPORTED
    assert src.verify("2025年第一季度，归母净利润为268.47亿元。").verdict is Verdict.SUPPORTED
    assert src.verify("2025年第一季度，营业收入为506.91亿元。").verdict is Verdict.CONTRADICTED


DEBT = prepare_source(
    "We ended the first quarter with $1.61 billion in cash and $1.85 billion in gross debt."
)


def test_a_metric_named_after_the_number_with_in_or_of_is_its_own() -> None:
    debt = DEBT.verify("total debt of $1.85 billion")
    assert debt.verdict is Verdict.SUPPORTED
    # counter-example: the cash figure is the one "in cash", not the debt
    assert DEBT.verify("cash of $1.85 billion").verdict is not Verdict.SUPPORTED
    assert DEBT.verify("cash of $1.61 billion").verdict is Verdict.SUPPORTED


PRIOR = prepare_source(
    "Third quarter 2020 revenue was $120 million. Third quarter adjusted earnings per share "
    "was $0.34, up 17% from $0.29 in the third quarter of last year. Adjusted earnings per "
    "share were also $0.34 compared to $0.16 last quarter and $0.29 in the third quarter of "
    "2019. Revenue in 2020 grew and 2020 margins improved."
)


def test_a_prior_period_comparison_base_is_not_this_periods_figure() -> None:
    wrong = PRIOR.verify("q3 adjusted earnings per share $0.29.")
    assert wrong.verdict is Verdict.CONTRADICTED
    assert wrong.checks[0].reason is Reason.VALUE_MISMATCH
    assert PRIOR.verify("q3 adjusted earnings per share $0.34.").verdict is Verdict.SUPPORTED


def test_a_claim_that_compares_itself_may_use_the_prior_value() -> None:
    claim = "q3 adjusted earnings per share $0.34 versus $0.29 a year ago."
    assert PRIOR.verify(claim).verdict is Verdict.SUPPORTED


GAAP = prepare_source(
    "Earnings per share was $0.47 in the second quarter of 2021. Non-GAAP earnings per share "
    "was $0.36 in the second quarter of 2021."
)


def test_an_adjusted_claim_is_not_supported_by_the_gaap_twin() -> None:
    assert GAAP.verify("q2 adjusted earnings per share $0.47.").verdict is Verdict.CONTRADICTED
    assert GAAP.verify("q2 adjusted earnings per share $0.36.").verdict is Verdict.SUPPORTED
    # counter-example: a claim without "adjusted" may be the GAAP figure
    assert GAAP.verify("q2 earnings per share $0.47.").verdict is Verdict.SUPPORTED


def test_adjusted_said_earlier_in_the_sentence_or_as_excluding_still_counts() -> None:
    src = prepare_source(
        "We reported net earnings of $0.63 per share. Adjusted EPS, which excludes certain "
        "non-operational items and amortization, totaled $0.90 compared with $0.85 in the "
        "prior year. Excluding the $40 million strike cost, we earned $0.12 per share."
    )
    assert src.verify("q3 adjusted earnings per share $0.90.").verdict is Verdict.SUPPORTED
    assert src.verify("adjusted earnings were $0.12 per share.").verdict is Verdict.SUPPORTED


CHANGE = prepare_source(
    "Our record net sales of $429.8 million increased 14% from the prior year. Notably, this "
    "1% improvement year-over-year was welcome. We reported total revenues of $33.3 "
    "million, which was down 2% from the second quarter and 11% year-over-year."
)


def test_a_change_tied_to_a_level_must_be_the_change_the_source_ties_to_it() -> None:
    wrong = CHANGE.verify("q1 sales rose 1 percent to $429.8 million.")
    assert wrong.verdict is Verdict.CONTRADICTED
    assert wrong.checks[0].source is not None and wrong.checks[0].source.text == "14%"
    assert CHANGE.verify("q1 sales rose 14 percent to $429.8 million.").verdict is (
        Verdict.SUPPORTED
    )


def test_every_change_listed_after_the_level_counts() -> None:
    assert CHANGE.verify("q3 revenue fell 11 percent to $33.3 million.").verdict is (
        Verdict.SUPPORTED
    )


GUIDE = prepare_source(
    "Service and Consumables performed well and were up 12% in the quarter. For the fourth "
    "quarter of 2021, we expect local currency sales growth of approximately 8%. We earned "
    "$3.23 per share in 2021."
)


def test_a_forecast_claim_is_not_supported_by_an_actual_figure() -> None:
    claim = "anticipates local currency sales growth for q4 of 2021 will be about {}%."
    assert GUIDE.verify(claim.format(12)).verdict is not Verdict.SUPPORTED
    assert GUIDE.verify(claim.format(8)).verdict is Verdict.SUPPORTED
    # counter-example: an actual figure in a claim that also mentions guidance later
    mixed = GUIDE.verify("reports 2021 earnings of $3.23 per share; initiates guidance.")
    assert mixed.verdict is Verdict.SUPPORTED


def test_words_after_an_amount_said_two_ways_belong_to_both() -> None:
    src = prepare_source(
        "NAREIT FFO was $174 million or $0.32 per diluted share and includes $47 million or "
        "$0.08 per diluted share of merger-related expenses."
    )
    claim = "qtrly ffo of $0.32 per diluted share, including merger related costs of $47 million."
    assert src.verify(claim).verdict is Verdict.SUPPORTED
    # counter-example: the FFO total is not the merger cost
    assert src.verify("merger related costs of $174 million.").verdict is not Verdict.SUPPORTED
