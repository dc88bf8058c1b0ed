import pytest

from toolkit.chunk import chunk_turns
from toolkit.segment import segment


def chars(text: str) -> int:
    """A stand-in tokenizer: one token per character."""
    return len(text)


def test_whole_turns_are_packed_together_when_they_fit() -> None:
    text = "Q:一二三? A:四五六七。 Q:八九? A:十。"
    chunks = chunk_turns(text, segment(text), budget=100, count_tokens=chars)
    assert len(chunks) == 1
    assert chunks[0].span == (0, len(text))
    assert not chunks[0].split_turn and not chunks[0].cut


def test_chunks_cover_every_turn_in_order_within_budget() -> None:
    text = " ".join(f"Q:问题{i}? A:回答{i}，收入增长{i}%。" for i in range(40))
    turns = segment(text)
    chunks = chunk_turns(text, turns, budget=60, count_tokens=chars)
    assert len(chunks) > 1
    assert all(c.tokens <= 60 for c in chunks)
    covered = [i for c in chunks for i in c.turns]
    assert covered == [t.index for t in turns]
    assert all(text[c.span[0] : c.span[1]] == c.text for c in chunks)


def test_a_long_turn_is_split_at_sentence_ends_and_says_so() -> None:
    sentences = [f"第{i}句话说收入增长了{i}%。" for i in range(30)]
    text = "A:" + "".join(sentences)
    chunks = chunk_turns(text, segment(text), budget=50, count_tokens=chars)
    assert len(chunks) > 1
    assert all(c.split_turn for c in chunks)
    assert not any(c.cut for c in chunks)
    assert all(c.text.endswith("。") for c in chunks)
    assert "".join(c.text for c in chunks) == text


def test_a_sentence_longer_than_the_budget_is_cut_and_flagged_not_dropped() -> None:
    text = "A:" + "无标点的很长一段文字" * 20
    chunks = chunk_turns(text, segment(text), budget=30, count_tokens=chars)
    assert any(c.cut for c in chunks)
    assert "".join(c.text for c in chunks) == text
    assert all(c.tokens <= 30 for c in chunks)


def test_a_budget_too_small_for_any_text_is_refused() -> None:
    with pytest.raises(ValueError, match="too small"):
        chunk_turns("Q:x", segment("Q:x"), budget=4, count_tokens=chars)
