from toolkit.grounded import fill, placeholders, source_quote, tag_source
from toolkit.numbers import extract_quantities

TEXT = "第一季度线上营销服务收入达到了166.5亿。同比增长27.4%,回购股份约6071万股。"


def tagged():  # type: ignore[no-untyped-def]
    return tag_source(TEXT, extract_quantities(TEXT))


def test_each_number_is_tagged_where_it_stands_in_order() -> None:
    source = tagged()
    assert "收入达到了166.5亿⟦q1⟧。同比增长27.4%⟦q2⟧" in source.text
    assert "约6071万股⟦q3⟧" in source.text or "约6071万⟦q3⟧股" in source.text
    assert (source.tags["q1"].zh, source.tags["q1"].en) == ("166.5亿", "16.65 billion")
    assert source.text.replace("⟦q1⟧", "").replace("⟦q2⟧", "").replace("⟦q3⟧", "") == TEXT


def test_dates_are_left_untagged() -> None:
    text = "自去年12月18日开始执行"
    assert tag_source(text, extract_quantities(text)).tags == {}


def test_fill_renders_each_language() -> None:
    tags = tagged().tags
    assert fill("收入{q1}，同比增长{q2}。", tags, "zh") == ("收入166.5亿，同比增长27.4%。", [])
    assert fill("Revenue was {q1}, up {q2}.", tags, "en") == (
        "Revenue was 16.65 billion, up 27.4%.",
        [],
    )


def test_fill_drops_a_unit_the_model_wrote_twice() -> None:
    tags = tagged().tags
    assert fill("收入{q1}亿元", tags, "zh")[0] == "收入166.5亿元"
    assert fill("revenue of {q1} billion", tags, "en")[0] == "revenue of 16.65 billion"
    assert fill("up {q2}%", tags, "en")[0] == "up 27.4%"
    # "m" as a unit word is dropped, the start of "margin" is not.
    assert fill("{q2} margin", tags, "en")[0] == "27.4% margin"


def test_unknown_tags_stay_visible_and_are_reported() -> None:
    assert fill("收入{q9}", tagged().tags, "zh") == ("收入{q9}", ["{q9}"])
    assert placeholders("{q1} and { q2 }") == ["q1", "q2"]


def test_a_quote_is_turned_back_into_source_text() -> None:
    tags = tagged().tags
    assert source_quote("收入达到了166.5亿⟦q1⟧。", tags) == "收入达到了166.5亿。"
    assert source_quote("收入达到了{q1}。", tags) == "收入达到了166.5亿。"
