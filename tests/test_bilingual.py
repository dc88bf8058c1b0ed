from toolkit.bilingual import compare_sides


def test_the_same_amount_in_both_languages_is_consistent() -> None:
    result = compare_sides(
        "收入166.5亿元，同比增长27.4%。", "Revenue was RMB16.65 billion, up 27.4%."
    )
    assert result.consistent
    assert result.message == ""


def test_a_rounded_english_side_is_still_the_same_quantity() -> None:
    assert compare_sides("收入166.5亿元。", "Revenue was about RMB16.7 billion.").consistent


def test_a_ten_fold_slip_is_a_mismatch_naming_both_sides() -> None:
    result = compare_sides("收入166.5亿元。", "Revenue was RMB166.5 billion.")
    assert not result.consistent
    assert result.zh_only == ["166.5亿元"]
    assert result.en_only == ["RMB166.5 billion"]
    assert "zh has 166.5亿元 that en lacks" in result.message


def test_a_number_on_one_side_only_is_a_mismatch() -> None:
    result = compare_sides("收入166.5亿，同比增长27.4%。", "Revenue grew 27.4% year on year.")
    assert not result.consistent
    assert result.zh_only == ["166.5亿"] and result.en_only == []


def test_year_on_year_against_quarter_on_quarter_is_a_mismatch() -> None:
    assert not compare_sides("同比增长19%。", "Up 19% quarter-on-quarter.").consistent


def test_different_currencies_are_a_mismatch() -> None:
    assert not compare_sides("回购160亿港元。", "A buyback of RMB16 billion.").consistent


def test_sides_without_numbers_are_consistent() -> None:
    assert compare_sides("业务稳步发展。", "The business grew steadily.").consistent


def test_a_year_the_translation_makes_explicit_is_not_a_mismatch() -> None:
    # Seen with the embedded model: 一季度 → "Q1 2024", 去年12月18日 → "December 18, 2023".
    assert compare_sides("一季度收入增长27.4%。", "Q1 2024 revenue grew 27.4%.").consistent
    assert compare_sides(
        "自去年12月18日开始执行回购。", "Buybacks started on December 18, 2023."
    ).consistent


def test_dates_that_differ_are_a_mismatch() -> None:
    result = compare_sides("自12月18日开始执行回购。", "Buybacks started on December 19.")
    assert not result.consistent
    assert result.zh_only == ["12月18日"] and result.en_only == ["December 19"]


def test_per_share_on_one_side_only_is_not_a_mismatch_but_two_different_pers_are() -> None:
    # 每份普通股 is not read as "per share"; the en side's "per common share" is.
    assert compare_sides(
        "第四季度的账面价值为每份普通股 $12.32。",
        "Quarter-end book value was $12.32 per common share.",
    ).consistent
    assert not compare_sides("每股收益0.5元。", "EPS was RMB0.5 per unit.").consistent
