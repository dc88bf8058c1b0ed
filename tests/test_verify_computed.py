"""Computed support: a claim may state what two source figures of one metric, written together
with one of them marked as the comparison base, imply by arithmetic — a growth rate from two
levels or from a level and its change, a change in points from two percentages, a difference
of two amounts. Each example has a counter-example that must stay unsupported."""

from __future__ import annotations

from decimal import Decimal

from toolkit.compare import computed_supports, growth_between, growth_from_change
from toolkit.verdict import Reason, Verdict
from toolkit.verify import prepare_source

CALL = (
    "Now turning to the consolidated results. Revenues were $652.6 million compared to "
    "$547.8 million in the 2020 period. Operating income was $93.1 million."
)


def test_growth_rate_from_two_levels_supports_the_rounded_rate() -> None:
    v = prepare_source(CALL).verify("q3 revenue rose 19 percent to $652.6 million.")
    assert v.verdict is Verdict.SUPPORTED
    rate = v.checks[0]
    assert rate.reason is Reason.COMPUTED
    assert "19.13%" in rate.message
    assert "($652.6 million − $547.8 million) / $547.8 million" in rate.message
    assert rate.location is not None and rate.location.startswith("1:")


def test_growth_rate_from_two_levels_counter_examples() -> None:
    src = prepare_source(CALL)
    # another rate, the wrong direction, more precise than two figures to 0.1 million allow
    for claim in (
        "q3 revenue rose 21 percent to $652.6 million.",
        "q3 revenue fell 19 percent to $652.6 million.",
        "q3 revenue rose 19.13 percent to $652.6 million.",
    ):
        assert src.verify(claim).verdict is not Verdict.SUPPORTED, claim
    # the pair is revenue's: a claim about another metric is not computed from it
    other = src.verify("operating income rose 19 percent.")
    assert other.verdict is not Verdict.SUPPORTED
    assert Reason.COMPUTED not in other.reasons


def test_the_two_figures_must_share_a_sentence() -> None:
    text = (
        "Revenues were $652.6 million this quarter. Compared to $547.8 million of costs in "
        "the 2020 period, margins widened."
    )
    v = prepare_source(text).verify("q3 revenue rose 19 percent to $652.6 million.")
    assert Reason.COMPUTED not in v.reasons


def test_growth_rate_from_a_level_and_its_change() -> None:
    text = "Sales were $28.8 million, up $1.6 million over last year's third quarter."
    src = prepare_source(text)
    v = src.verify("qtrly revenue of $28.8 million, up 6% over prior-year period.")
    assert v.verdict is Verdict.SUPPORTED
    assert v.checks[1].reason is Reason.COMPUTED
    assert "5.88%" in v.checks[1].message  # 1.6 / 27.2
    assert src.verify("qtrly revenue of $28.8 million, up 7%").verdict is not Verdict.SUPPORTED
    # no comparison word: "up $1.6 million" alone does not say from which base
    bare = prepare_source("Sales were $28.8 million, up $1.6 million.")
    assert Reason.COMPUTED not in bare.verify("revenue of $28.8 million, up 6%").reasons


def test_change_in_points_from_two_percentages() -> None:
    text = "截至3月15日，特斯拉车型在所有置换车辆中占比1.4%，较去年同期的0.4%大幅上升。"
    src = prepare_source(text)
    v = src.verify("特斯拉车型在所有置换车辆中的占比较去年同期上升1.0%。")
    assert v.verdict is Verdict.SUPPORTED
    assert v.checks[-1].reason is Reason.COMPUTED
    assert "1.4% − 0.4%" in v.checks[-1].message
    assert src.verify("特斯拉车型在所有置换车辆中的占比较去年同期上升1.2%。").verdict is not (
        Verdict.SUPPORTED
    )
    # a second figure that is not marked as the comparison base implies nothing
    unmarked = prepare_source("特斯拉车型在所有置换车辆中占比1.4%，其他品牌占比0.4%。")
    claim = "特斯拉车型在所有置换车辆中的占比较去年同期上升1.0%。"
    assert Reason.COMPUTED not in unmarked.verify(claim).reasons


def test_change_in_points_from_a_from_to_sentence() -> None:
    text = "消费者对特斯拉新车的购买意向率从去年11月的峰值3.3%降至上月的1.8%。"
    src = prepare_source(text)
    v = src.verify("特斯拉的消费者购买意向率较去年11月的峰值3.3%下降1.5%。")
    assert v.verdict is Verdict.SUPPORTED
    assert src.verify("特斯拉的消费者购买意向率较去年11月的峰值3.3%上升1.5%。").verdict is not (
        Verdict.SUPPORTED
    )


def test_difference_of_two_amounts() -> None:
    text = "亚马逊第一季度营收同比增长8.6%至1556.7亿美元，市场预期值1551.5亿美元。"
    src = prepare_source(text)
    v = src.verify("亚马逊公司第一季度营收超出市场预期值5.2亿美元。")
    assert v.verdict is Verdict.SUPPORTED
    assert v.checks[0].reason is Reason.COMPUTED
    assert "1556.7亿美元 − 1551.5亿美元" in v.checks[0].message
    for claim in (
        "亚马逊公司第一季度营收低于市场预期值5.2亿美元。",  # the wrong direction
        "亚马逊公司第一季度营收超出市场预期值5.3亿美元。",  # another difference
        "亚马逊公司第一季度营收超出市场预期值5.20亿美元。",  # finer than 0.1亿 the figures allow
    ):
        assert src.verify(claim).verdict is not Verdict.SUPPORTED, claim


def test_a_narrowed_loss_is_a_difference_no_finer_than_its_coarser_figure() -> None:
    src = prepare_source("百济神州净亏损9450.3万元，较上年同期亏损19.08亿元同比大幅收窄。")
    narrowed = src.verify("百济神州的净亏损同比收窄18.13亿元。")
    assert narrowed.verdict is Verdict.SUPPORTED
    assert "9450.3万元 − 19.08亿元" in narrowed.checks[0].message
    # 19.08亿 is written to 0.01亿: a difference to 0.001亿 claims more than it can give
    assert src.verify("百济神州的净亏损同比收窄18.135亿元。").verdict is not Verdict.SUPPORTED


def test_arithmetic_helpers_round_half_up_and_refuse_false_precision() -> None:
    grown = growth_between(Decimal("652.6"), Decimal("0.1"), Decimal("547.8"), Decimal("0.1"))
    assert grown is not None
    low, value, high = grown
    assert low < value < high
    assert computed_supports(Decimal(19), Decimal(1), low, value, high)
    assert not computed_supports(Decimal("19.13"), Decimal("0.01"), low, value, high)
    assert not computed_supports(Decimal(20), Decimal(1), low, value, high)
    # 2.5% exactly rounds half-up to 3%
    two_and_a_half = Decimal("2.5")
    assert computed_supports(Decimal(3), Decimal(1), two_and_a_half, two_and_a_half, two_and_a_half)
    assert growth_between(Decimal(5), Decimal(1), Decimal(0), Decimal(1)) is None  # no base
    from_change = growth_from_change(
        Decimal("28.8"), Decimal("0.1"), Decimal("1.6"), Decimal("0.1")
    )
    assert from_change is not None and round(from_change[1], 2) == Decimal("5.88")
