from pathlib import Path

from toolkit.segment import Speaker, segment

SAMPLE = Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt"


def test_inline_markers_and_ocr_zero_for_q() -> None:
    turns = segment("Q:收入多少? A:166.5亿。0:回购呢? A:不超过160亿港币。")
    assert [(t.speaker, t.marker, t.body) for t in turns] == [
        (Speaker.QUESTION, "Q:", "收入多少?"),
        (Speaker.ANSWER, "A:", "166.5亿。"),
        (Speaker.QUESTION, "0:", "回购呢?"),
        (Speaker.ANSWER, "A:", "不超过160亿港币。"),
    ]


def test_chinese_markers_with_full_width_colon() -> None:
    turns = segment("问：今年的指引？\n答：收入同比增长20%。")
    assert [(t.speaker, t.marker) for t in turns] == [
        (Speaker.QUESTION, "问："),
        (Speaker.ANSWER, "答："),
    ]


def test_spans_point_into_the_text() -> None:
    text = "开场白。 Q: 增长? A: 很好。"
    for turn in segment(text):
        assert text[turn.body_span[0] : turn.body_span[1]] == turn.body
        assert text[turn.span[0] : turn.span[1]].endswith(turn.body)
    assert segment(text)[0].speaker is Speaker.TEXT
    assert segment(text)[0].body == "开场白。"


def test_times_versions_and_words_are_not_markers() -> None:
    text = "The call starts at 10:30. Version 2.0: faster. DATA: none."
    turns = segment(text)
    assert len(turns) == 1
    assert turns[0].speaker is Speaker.TEXT


def test_the_sample_transcript_has_four_questions_and_four_answers() -> None:
    turns = segment(SAMPLE.read_text(encoding="utf-8"))
    assert [t.speaker for t in turns] == [Speaker.QUESTION, Speaker.ANSWER] * 4
    assert [t.marker for t in turns if t.speaker is Speaker.QUESTION] == ["Q:", "0:", "Q:", "0:"]


def test_empty_text_has_no_turns() -> None:
    assert segment("") == []
    assert segment("  \n ") == []
