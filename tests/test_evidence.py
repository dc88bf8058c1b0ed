from pathlib import Path

from toolkit.evidence import SourceText, locate, sentence_around
from toolkit.summary import EvidenceMethod

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
