from pathlib import Path

from toolkit.checks import ItemChecker, WorkItem
from toolkit.evidence import SourceText, from_numbers, locate, sentence_around
from toolkit.summary import ClaimItem, EvidenceMethod, ItemStatus

SAMPLE = (Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt").read_text(
    encoding="utf-8"
)
SOURCE = SourceText(SAMPLE)


def found(quote: str) -> tuple[EvidenceMethod, str | None]:
    evidence = locate(quote, SOURCE)
    text = SAMPLE[evidence.span[0] : evidence.span[1]] if evidence.span else None
    return evidence.method, text


def test_an_exact_quote_is_found_as_is() -> None:
    assert found("回购股份约6071万股,约占总股本的1.7%") == (
        EvidenceMethod.EXACT,
        "回购股份约6071万股,约占总股本的1.7%",
    )


def test_a_quote_of_the_ocr_repaired_text_maps_back_to_the_noisy_original() -> None:
    assert found("第一季度线上营销服务收入达到了166.5亿") == (
        EvidenceMethod.NORMALIZED,
        "第--季度线上营销服务收入达到了166.5亿",
    )


def test_stray_spaces_and_full_width_punctuation_do_not_matter() -> None:
    method, text = found("我们的内外循环均取得了可喜的增长，")
    assert method is EvidenceMethod.NORMALIZED
    assert text == "我们的内外循 环均取得了可喜的增长"


def test_a_slightly_misquoted_sentence_is_found_fuzzily_with_its_score() -> None:
    evidence = locate("公司已累计使用回购金额约30.3亿港元，回购股份约6071万股", SOURCE)
    assert evidence.method is EvidenceMethod.FUZZY
    assert 0.85 <= evidence.score < 1
    assert evidence.span is not None
    assert "回购金额约30.3亿港" in SAMPLE[evidence.span[0] : evidence.span[1]]


def test_an_invented_quote_stays_unlocated() -> None:
    evidence = locate("快手的净利润达到了100亿元", SOURCE)
    assert evidence.method is EvidenceMethod.UNLOCATED
    assert evidence.span is None and not evidence.located


def test_a_raw_string_source_works_too() -> None:
    assert locate("增长27.4%", "收入166.5亿，同比增长27.4%。").span == (11, 18)


def test_sentence_around_gives_the_whole_sentence() -> None:
    text = "甲。收入166.5亿，增长27.4%。乙。"
    start, end = sentence_around(text, (4, 10))
    assert text[start:end] == "收入166.5亿，增长27.4%。"


def test_a_quote_wrapped_in_the_models_own_words_is_found_by_its_quoted_part() -> None:
    evidence = locate("The document states: '回购股份约6071万股,约占总股本的1.7%'", SOURCE)
    assert evidence.method is EvidenceMethod.EXACT
    assert evidence.quote == "回购股份约6071万股,约占总股本的1.7%"
    assert evidence.as_quoted == "The document states: '回购股份约6071万股,约占总股本的1.7%'"


CALL = (
    "Good morning. Net premiums earned were $134 million, a decrease of 20%. "
    "Losses were $70 million.\nNext question."
)


def claim(en: str, zh: str, quote: str) -> ClaimItem:
    checked = ItemChecker(CALL).check(WorkItem(id="c1", kind="claim", zh=zh, en=en, evidence=quote))
    assert isinstance(checked, ClaimItem)
    return checked


def test_a_correct_claim_whose_quote_is_not_in_the_source_gets_the_sentence_of_its_numbers() -> (
    None
):
    checked = claim(
        "Net premiums earned were $134 million, down 20%.",
        "净保费收入为1.34亿美元，下降20%。",
        quote="第5段第1句",
    )
    assert checked.status is ItemStatus.SUPPORTED and not checked.problems
    assert checked.evidence.method is EvidenceMethod.NUMBERS
    assert checked.evidence.quote == "Net premiums earned were $134 million, a decrease of 20%."
    assert checked.evidence.span is not None
    assert CALL[slice(*checked.evidence.span)] == checked.evidence.quote
    assert checked.evidence.as_quoted == "第5段第1句"


def test_numbers_far_apart_are_no_evidence_of_one_statement() -> None:
    source = SourceText(
        "Revenue was $134 million." + " Filler words here." * 30 + " Costs were $70 million."
    )
    spans = [(12, 24), (len(source.original) - 12, len(source.original) - 1)]
    assert not from_numbers("made up", source, spans).located


def test_a_claim_with_a_wrong_number_and_an_invented_quote_stays_flagged() -> None:
    checked = claim(
        "Net premiums earned were $143 million.", "净保费收入为1.43亿美元。", quote="第5段第1句"
    )
    assert checked.status is ItemStatus.FLAGGED
    assert checked.evidence.method is EvidenceMethod.UNLOCATED
    assert any(p.startswith("evidence:") for p in checked.problems)
