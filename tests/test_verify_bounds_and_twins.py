"""Which source figure may decide a claim number when the source writes several: a pro forma
figure next to the reported one, a bound claim whose best candidate refutes it, a change
written before its level, a bare rank of the same value, a comparison year, a "since" date,
a list said respectively, a count spelled out, and a result measured against the outlook."""

from __future__ import annotations

from pathlib import Path

from toolkit import verify
from toolkit.verdict import Reason, Verdict

RAYONIER = (
    "Sales for the quarter totaled $365 million, while net income attributable to Rayonier "
    "was $76 million or $0.53 per share.\nOn a pro forma basis, net income was $50 million or "
    "$0.35 per share.\nWe generated pro forma earnings per share of $0.35 per share during "
    "the third quarter."
)


def test_a_pro_forma_claim_rests_on_the_pro_forma_figure_not_its_reported_twin() -> None:
    assert verify("q3 pro forma earnings per share $0.35.", RAYONIER).verdict == "supported"
    assert verify("q3 pro forma earnings per share $0.53.", RAYONIER).verdict != "supported"
    # without "pro forma" the reported figure still supports
    assert verify("q3 earnings per share $0.53.", RAYONIER).verdict == "supported"


ABBOTT = (
    "We achieved global COVID testing-related sales of $1.9 billion in the quarter.\n"
    "In total, during the quarter, we sold more than 225 million COVID tests globally."
)


def test_a_bound_claim_refuted_by_its_best_candidate_is_not_rescued_by_a_looser_one() -> None:
    claim = "company sold more than 158 million covid tests globally in third quarter."
    assert verify(claim, ABBOTT).verdict == "contradicted"
    right = "company sold more than 225 million covid tests globally in third quarter."
    assert verify(right, ABBOTT).verdict == "supported"
    # with no test count in the source, the sales figure inside the bound still supports
    sales_only = "We achieved global COVID testing-related sales of $1.9 billion in the quarter."
    assert verify("covid testing sales of more than $1.5 billion.", sales_only).verdict == (
        "supported"
    )


MARSH = (
    "Consolidated revenue increased 16% in third quarter, $4.6 billion, reflecting underlying "
    "growth of 13%.\nU.S. and Canada underlying growth was 14% and international was up 9%."
)


def test_a_change_written_before_its_level_is_the_change_of_that_level() -> None:
    assert verify("q3 revenue rose 16 percent to $4.6 billion.", MARSH).verdict == "supported"
    # 14% is in the source, but as another line's growth
    assert verify("q3 revenue rose 14 percent to $4.6 billion.", MARSH).verdict == ("contradicted")


ROCKET = (
    "Our Board has authorized a special dividend of $1.11 per share.\n"
    "Our ads were ranked Nos. 1 and 2 on USA Today's ad meter."
)


def test_a_per_share_claim_is_not_rescued_by_a_bare_rank_of_the_same_value() -> None:
    claim = "compname reports special dividend of $1.00 per class a share of common stock."
    assert verify(claim, ROCKET).verdict == "contradicted"
    right = "compname reports special dividend of $1.11 per class a share of common stock."
    assert verify(right, ROCKET).verdict == "supported"


NPO = (
    "We expect low double-digit revenue growth over reported 2021 sales of $1.14 billion and we "
    "expect adjusted EBITDA to be in the range of $263 million to $275 million."
)


def test_a_year_named_as_the_comparison_base_is_not_the_period_of_the_outlook() -> None:
    claim = "sees 2022 adjusted ebitda of $263 million to $275 million."
    assert verify(claim, "Our 2022 outlook.\n" + NPO).verdict == "supported"
    # the outlook is still refuted by another range
    wrong = "sees 2022 adjusted ebitda of $236 million to $275 million."
    assert verify(wrong, "Our 2022 outlook.\n" + NPO).verdict != "supported"


TESLA = (
    "消费者对特斯拉新车的购买意向率从去年11月的峰值3.3%降至上月的1.8%，"
    "创下自2022年10月以来的最低水平。"
)


def test_a_since_date_in_the_claim_is_not_the_date_its_number_is_stated_for() -> None:
    claim = "自2022年10月以来，特斯拉新车的购买意向率创下最低水平1.8%。"
    assert verify(claim, TESLA).verdict == "supported"
    assert verify("自2022年10月以来，特斯拉新车的购买意向率创下最低水平1.5%。", TESLA).verdict != (
        "supported"
    )


LIMIT_UP = (
    "以所属行业来看，上榜个股居前的行业有交通运输、轻工制造、基础化工行业，上榜个股分别有7只、5只、5只。"
    "股价超百元的有1只，50元~100元的有6只。"
)


def test_a_member_of_a_respectively_list_is_checked_at_its_place_in_the_same_list() -> None:
    industries = "上榜个股居前的行业有交通运输、轻工制造、基础化工行业，上榜个股分别有"
    assert verify(industries + "7只、5只、5只。", LIMIT_UP).verdict == "supported"
    # 6只 occurs in the source, but the same list says 5只 at that place
    assert verify(industries + "7只、6只、5只。", LIMIT_UP).verdict == "contradicted"
    # a two-member list is too short to tell that it is the same statement
    assert verify("上榜个股分别有1只、6只。", LIMIT_UP).verdict == "supported"


def test_zhi_counts_securities_and_a_bond_count_is_not_a_length_of_days() -> None:
    source = "5月将发行5只附息国债、6只贴现国债和2只储蓄国债。期限为7天。"
    assert verify("5月将发行5只附息国债、6只贴现国债和2只储蓄国债。", source).verdict == (
        "supported"
    )
    assert verify("5月将发行5只附息国债、7只贴现国债和2只储蓄国债。", source).verdict != (
        "supported"
    )


AUTONATION = (
    "Today, we announced that we signed an agreement to acquire 11 stores and one collision center."
)


def test_a_count_written_in_digits_is_supported_where_the_source_spells_it_out() -> None:
    assert verify("to acquire 11 stores and 1 collision center.", AUTONATION).verdict == (
        "supported"
    )
    assert verify("to acquire 11 stores and 2 collision center.", AUTONATION).verdict == (
        "contradicted"
    )
    # the spelled-out word must stand before the same word as in the claim
    assert verify("to acquire 11 stores and 1 body shop.", AUTONATION).verdict != "supported"


CHURCH = (
    "Q1 was another exceptional quarter.\nReported sales growth was 6.3%, and adjusted earnings "
    "per share was $0.83, and that's $0.03 better than our outlook.\nFor the second quarter, "
    "we expect adjusted earnings per share of $0.69."
)


def test_a_result_measured_against_the_outlook_is_not_itself_a_forecast() -> None:
    assert verify("sees q2 adjusted earnings per share $0.69.", CHURCH).verdict == "supported"
    assert verify("sees q2 adjusted earnings per share $0.83.", CHURCH).verdict != "supported"
    # the result itself is still supported as a result
    assert verify("q1 adjusted earnings per share $0.83.", CHURCH).verdict == "supported"


CHANGAN = (
    "2025Q1 自主新能源累计销量18.7 万辆，同比+45%，对应自主新能源占比41%。"
    "4月深蓝销量达20138辆，同比增长58%。"
)
BEKE = (
    "贝壳-W 2024年全年营业收入达1009.22亿元，同比增长17.59%，但净利润同比下降32.24%至40.65亿元。"
    "2024年归属公司普通股股东的净利润40.65亿元，同比减少30.91%。"
)


def test_a_chinese_change_tied_to_a_level_must_be_the_change_of_that_level() -> None:
    claim = "长安汽车自主新能源累计销量18.7万辆，同比+{}%。"
    assert verify(claim.format(45), CHANGAN).verdict == "supported"
    # 58% is written, but for another brand's April sales
    assert verify(claim.format(58), CHANGAN).verdict == "contradicted"
    # a change written before the level with 至 counts as tied to it too
    assert verify("2024年全年，贝壳-W的净利润为40.65亿元，同比下降32.24%。", BEKE).verdict == (
        "supported"
    )


def test_a_spaced_quote_label_names_its_metric() -> None:
    quote = "今 开： 13.90 最 高： 13.96 换 手： 2.42% 市净率： 5.38 昨 收： 13.99 振 幅： 3.29%"
    assert verify("开开实业的换手率为2.42%。", quote).verdict == "supported"
    assert verify("开开实业的换手率为3.29%。", quote).verdict != "supported"


def test_a_bound_ten_times_the_sources_bound_is_a_scale_slip_not_support_by_a_smaller_figure() -> (
    None
):
    # The call says 不超过160亿港币 (at most HK$16 billion) for the new plan, 40亿港币 for the old.
    call = (Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt").read_text()
    claim = "We will propose a new share repurchase plan that does not exceed {} HKD."
    result = verify(claim.format("160 billion"), call)
    assert result.verdict is Verdict.CONTRADICTED
    assert result.checks[0].reason is Reason.SCALE_MISMATCH
    assert verify(claim.format("16 billion"), call).verdict is Verdict.SUPPORTED
