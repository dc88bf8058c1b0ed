"""Each summary metric on a case small enough to compute by hand (the comments show the sums)."""

import pytest

from toolkit.drafts import DraftBullet, DraftClaim, DraftSummary
from toolkit.evaluate import metrics as m
from toolkit.evaluate.sample import scripted_llm
from toolkit.pipeline import summarize
from toolkit.summary import SummaryReport

SOURCE = (
    "第一季度线上营销服务收入达到166.5亿元，同比增长27.4%。公司回购股份约6071万股。"
    "我们将继续投入大模型研发。"
)
DRAFT = DraftSummary(
    headline_zh="一季度线上营销服务收入166.5亿元，同比增长27.4%。",
    headline_en="Q1 online marketing services revenue was RMB16.65 billion, up 27.4%.",
    bullets=[
        # en slips a digit (16.5 for 16.65): contradicted; the fake repair changes nothing,
        # so the item is dropped
        DraftBullet(
            part=1,
            zh="一季度线上营销服务收入166.5亿元。",
            en="Q1 online marketing services revenue was RMB16.5 billion.",
        ),
        DraftBullet(part=2, zh="公司将继续投入大模型研发。", en="It keeps investing in models."),
    ],
    claims=[
        DraftClaim(
            evidence="公司回购股份约6071万股",
            zh="公司回购股份约6071万股。",
            en="The company bought back about 60.71 million shares.",
        )
    ],
)


@pytest.fixture(scope="module")
def report() -> SummaryReport:
    return summarize(SOURCE, doc_id="hand", llm=scripted_llm(DRAFT))


def test_the_fixture_is_what_the_hand_computations_assume(report: SummaryReport) -> None:
    assert [i.id for i in report.items] == ["headline", "b2", "c1"]
    assert [d.item.id for d in report.dropped] == ["b1"]


def test_numeric_precision_counts_both_sides_of_the_kept_items(report: SummaryReport) -> None:
    # headline: 166.5亿元, 27.4% | RMB16.65 billion, 27.4%; c1: 6071万 | 60.71 million → 6/6
    assert m.numeric_precision(report) == 1.0


def test_draft_precision_counts_the_first_answer(report: SummaryReport) -> None:
    # the 6 above + b1: 166.5亿元 (supported), RMB16.5 billion (contradicted) → 7/8
    assert m.draft_precision(report) == 7 / 8


def test_claim_support_contradiction_and_dropping_rates(report: SummaryReport) -> None:
    # written: headline, b2, c1, b1 (dropped); with numbers: headline ✓, c1 ✓, b1 ✗
    assert m.claim_support_rate(report) == 2 / 3
    assert m.contradicted_rate(report) == 1 / 3
    assert m.dropped_rate(report) == 1 / 4


def test_bilingual_consistency_is_a_share_of_written_items(report: SummaryReport) -> None:
    # b1 says 166.5亿 on one side and 16.5 billion on the other; the 3 others agree → 3/4
    assert m.bilingual_consistency(report) == 3 / 4


def test_verbatim_precision_compares_whole_numbers_as_written() -> None:
    # summary numbers: 166.5 (in source), 27 (source has 27.4 only), 1234 (source "1,234") → 2/3
    summary = ["收入166.5亿，增长27%", "users 1234"]
    assert m.verbatim_precision(summary, "收入166.5亿，同比增长27.4%，1,234名用户") == 2 / 3
    assert m.verbatim_precision(["没有数字"], "任何") is None


def test_the_naive_verifier_only_looks_for_digit_strings() -> None:
    source = "收入166.5亿，同比增长27.4%"
    assert m.naive_supported("收入166.5亿", source)
    assert m.naive_supported("增长27%", source)  # "27" occurs inside "27.4"
    assert not m.naive_supported("Revenue RMB16.65 billion", source)  # a conversion fails
    # claims with numbers: 2 of which 1 supported; the one without numbers is not counted
    assert m.naive_support_rate(["收入166.5亿", "16.65 billion", "无数字"], source) == 0.5


def test_numeric_recall_matches_reference_quantities_in_base_units() -> None:
    reference = ["收入166.5亿元，同比增长27.4%，回购6071万股。"]
    # 166.5亿 ← RMB16.65 billion; 27.4% ← 27.4%; 6071万股 is missing → 2/3
    recall, wanted = m.numeric_recall(reference, ["Revenue RMB16.65 billion, up 27.4%."])
    assert (recall, wanted) == (2 / 3, 3)
    # a summary quantity recalls one reference quantity only: 27.4% twice in the reference
    assert m.numeric_recall(["增长27.4%，利润增长27.4%"], ["up 27.4%"]) == (0.5, 2)
    assert m.numeric_recall(["没有数字"], ["up 27.4%"]) == (None, 0)


def test_rouge_l_is_character_level_for_chinese() -> None:
    # LCS(快手收入增长, 快手收入同比增长) = 6 chars; P = 6/6, R = 6/8 → F = 2·1·0.75/1.75
    assert m.rouge_l("快手收入增长", "快手收入同比增长") == pytest.approx(2 * 0.75 / 1.75)
    # punctuation and spaces are not tokens
    assert m.rouge_l("快手，收入 增长。", "快手收入同比增长") == pytest.approx(2 * 0.75 / 1.75)


def test_rouge_l_uses_words_and_stems_for_english() -> None:
    # the stemmer maps "grows" and "growing" to "grow": LCS(revenu grow, revenu grow fast) = 2,
    # P = 2/2, R = 2/3 → F = 2·1·(2/3) / (1 + 2/3) = 0.8
    assert m.rouge_l("Revenue grows", "revenue growing fast") == pytest.approx(0.8)
    assert m.rouge_l("", "anything") is None


def test_lead_sentences_skip_empty_pieces_and_stop_at_n() -> None:
    text = "Revenue was $3.2 billion. Up 5%! Thanks.\n\n第一句。第二句？"
    assert m.lead_sentences(text, 3) == ["Revenue was $3.2 billion.", "Up 5%!", "Thanks."]
    assert m.lead_sentences(text, 10)[-2:] == ["第一句。", "第二句？"]


def test_mean_leaves_undefined_values_out() -> None:
    assert m.mean([1.0, None, 0.5]) == 0.75
    assert m.mean([None]) is None


def test_check_precision_counts_every_number_check(report: SummaryReport) -> None:
    sides = [s for i in report.items for s in (i.verification.zh, i.verification.en)]
    assert m.check_precision(sides) == (1.0, 6)
    assert m.check_precision([]) == (None, 0)


def test_rouge_l_is_summary_level_over_bullets() -> None:
    # reference bullets "a b" / "c d", candidate lines "a b c d" and "x": each reference bullet
    # is fully covered (union LCS 2 + 2 = 4 of 4 tokens): R = 1, P = 4/5 → F = 8/9
    assert m.rouge_l("a b c d\nx", "a b\nc d") == pytest.approx(8 / 9)
