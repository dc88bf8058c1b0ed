"""Round 0 of repair: verisum rewrites a number that is off by exactly a power of ten."""

from toolkit.checks import ItemChecker, WorkItem
from toolkit.rescale import rescale_round, rescaled

SOURCE = (
    "第一季度线上营销服务收入达到166.5亿，同比增长27.4%。"
    "公司累计回购股份约6071万股，金额约30.3亿港币。"
)
CHECKER = ItemChecker(SOURCE)


def bullet(zh: str, en: str) -> WorkItem:
    return WorkItem(id="b1", kind="bullet", zh=zh, en=en)


def test_billion_written_for_yi_is_divided_by_ten_in_the_models_own_words() -> None:
    work = bullet("线上营销服务收入166.5亿。", "Online marketing revenue reached 166.5 billion.")
    repair, updated, rechecked = rescale_round([(work, CHECKER.check(work))], CHECKER)

    assert updated["b1"].en == "Online marketing revenue reached 16.65 billion."
    assert updated["b1"].zh == work.zh and updated["b1"].repaired == 1
    assert rechecked["b1"].problems == []
    assert repair is not None and repair.entries[0].fixed


def test_million_written_for_wan_is_divided_by_a_hundred() -> None:
    work = bullet("公司回购约6071万股。", "The company bought back about 6071 million shares.")
    checked = CHECKER.check(work)
    assert rescaled(checked.verification.en) == (
        "The company bought back about 60.71 million shares."
    )


def test_thousands_separators_and_currency_words_survive_the_rewrite() -> None:
    work = bullet("回购金额约30.3亿港币。", "The buyback cost about HK$30,300 million.")
    checked = CHECKER.check(work)
    assert rescaled(checked.verification.en) == "The buyback cost about HK$3030 million."


def test_a_wrong_value_or_a_right_one_is_left_for_the_model() -> None:
    wrong = bullet("线上营销服务收入166.5亿。", "Online marketing revenue reached 15.5 billion.")
    right = bullet("线上营销服务收入166.5亿。", "Online marketing revenue reached 16.65 billion.")
    for work in (wrong, right):
        assert rescaled(CHECKER.check(work).verification.en) is None
    repair, updated, _ = rescale_round([(wrong, CHECKER.check(wrong))], CHECKER)
    assert repair is None and updated == {}


def test_a_slip_the_verifier_finds_no_source_for_is_fixed_from_the_other_language_side() -> None:
    # 100× off is too far for the verifier to pick a source number ("no number fits"), but the
    # zh side states 6071万股, which verified: the en number is rewritten to match it.
    work = bullet("公司回购约6071万股。", "Approximately 6071 million shares were repurchased.")
    checked = CHECKER.check(work)
    assert any("no number in the source fits" in p for p in checked.problems)
    _, updated, rechecked = rescale_round([(work, checked)], CHECKER)
    assert updated["b1"].en == "Approximately 60.71 million shares were repurchased."
    assert rechecked["b1"].problems == []


def test_the_other_side_must_name_one_value_in_the_same_unit() -> None:
    work = bullet("公司回购约6071万股，金额30.3亿港币。", "It bought back 6071 million units.")
    checked = CHECKER.check(work)
    assert rescaled(checked.verification.en, checked.verification.zh) is None


def test_any_contradicted_number_off_by_exactly_ten_to_the_n_is_rescaled() -> None:
    # "not exceeding" is an upper bound on both sides, so the verdict is a plain value mismatch
    checker = ItemChecker("公司将提出不超过160亿港币的新回购计划。")
    work = bullet("新回购计划不超过160亿港币。", "A new buyback of not exceeding 160 billion HKD.")
    _, updated, rechecked = rescale_round([(work, checker.check(work))], checker)
    assert updated["b1"].en == "A new buyback of not exceeding 16 billion HKD."
    assert rechecked["b1"].problems == []


def test_the_verified_other_side_fixes_a_slip_whatever_the_verifier_compared_it_with() -> None:
    source = "ARMOUR's Q4 comprehensive income was $60.2 million or $0.89 per common share."
    checker = ItemChecker(source)
    work = bullet("第四季度综合收益为 $60.2 万美元。", "Q4 comprehensive income was $60.2 million.")
    _, updated, _ = rescale_round([(work, checker.check(work))], checker)
    assert updated["b1"].zh == "第四季度综合收益为 $6020 万美元。"
