"""OCR normalization: what gets repaired, what is left alone, and the way back to the original."""

from __future__ import annotations

import pytest

from toolkit.normalize import normalize


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        ("第--季度", "第一季度"),
        ("-季度外循环", "一季度外循环"),
        ("突破了--千万", "突破了一千万"),
        ("经过-年半的发展", "经过一年半的发展"),
        ("进-步增强", "进一步增强"),
        ("做好--个业务", "做好一个业务"),
        ("一-季度", "一季度"),
        ("—季度", "一季度"),
        ("1O0万", "100万"),
        ("3〇5", "305"),
        ("非常有信心。0:本地生活", "非常有信心。Q:本地生活"),
        ("0:Al大模型方面的进展", "Q:Al大模型方面的进展"),
    ],
)
def test_ocr_misreadings_are_repaired(raw: str, clean: str) -> None:
    n = normalize(raw)
    assert n.text == clean
    assert n.repair_count == 1


@pytest.mark.parametrize(
    "text",
    [
        "净流入为-5537.66万",  # a minus sign, not 一
        "3-4年",  # a range after a digit
        "---季度",  # three dashes are punctuation
        "10:30开盘",  # 0 inside a time, not a turn label
        "Oops 10 of them",  # O next to one digit only
        "涨幅为+1.68%",
    ],
)
def test_look_alikes_are_left_alone(text: str) -> None:
    n = normalize(text)
    assert n.text == text
    assert n.repair_count == 0


def test_full_width_digits_fold_but_chinese_commas_stay() -> None:
    n = normalize("收入１６６．５亿，同比增长２７．４％：")
    assert n.text == "收入166.5亿，同比增长27.4%："
    assert n.repair_count == 0  # folding is not a repair


def test_spans_map_back_over_repairs_that_change_length() -> None:
    raw = "A:第--季度收入166.5亿,--季度突破了--千万"
    n = normalize(raw)
    assert n.text == "A:第一季度收入166.5亿,一季度突破了一千万"
    start = n.text.index("166.5亿")
    orig = n.span_to_original(start, start + len("166.5亿"))
    assert raw[orig[0] : orig[1]] == "166.5亿"
    start = n.text.index("一千万")
    orig = n.span_to_original(start, start + 3)
    assert raw[orig[0] : orig[1]] == "--千万"
    assert n.is_repaired(start, start + 3)
    assert not n.is_repaired(n.text.index("166.5亿"), n.text.index("166.5亿") + 6)


def test_clean_text_is_returned_unchanged() -> None:
    text = "Total revenue was approximately $1.5 billion."
    n = normalize(text)
    assert n.text is text
    assert n.to_original(10) == 10
