"""The pipeline's faster forms give what the plain ones gave (they exist to save CPU per document).

Each rewritten pattern is checked against its plain form on random strings over the characters
it cares about; the lazy and shared parts against building them afresh.
"""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from toolkit import chunk, segment
from toolkit.evidence import SourceText, locate
from toolkit.normalize import _normalize, normalize
from toolkit.prompts import PromptError, load_prompt, load_prompt_set
from toolkit.verify import detect_language

SAMPLE = Path(__file__).resolve().parent.parent / "examples" / "kuaishou-2024q1-call.txt"

PLAIN_CHUNK_SENTENCE_END = re.compile(r"(?<=[。！？!?；;])|(?<=[.])\s+|\n+")
PLAIN_MARKER = re.compile(
    r"(?<![^\s。！？!?；;…”\"」』）)】])(?<!\d\.)(?P<mark>提问|回答|问|答|[QA0O])\s{0,2}[:：]"
)


def _random_texts(alphabet: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choices(alphabet, k=rng.randint(0, 16))) for _ in range(count)]


def test_chunk_sentence_ends_are_the_plain_patterns_cuts() -> None:
    texts = _random_texts("。！？!?；;.\n\r \t\u3000a1中，", 30_000, seed=7)
    texts.append(SAMPLE.read_text(encoding="utf-8"))
    for text in texts:
        plain = [m.end() for m in PLAIN_CHUNK_SENTENCE_END.finditer(text)]
        assert [m.end() for m in chunk._SENTENCE_END.finditer(text)] == plain, repr(text)


def test_turn_markers_are_the_plain_patterns_matches() -> None:
    alphabet = '提问回答问答QA0Oq2.:： \n\t。！？!?；;…”"」』）)】a中，'
    texts = _random_texts(alphabet, 60_000, seed=11)
    texts.append(SAMPLE.read_text(encoding="utf-8"))
    for text in texts:
        plain = [(m.span(), m.group("mark")) for m in PLAIN_MARKER.finditer(text)]
        fast = [(m.span(), m.group("mark")) for m in segment._MARKER.finditer(text)]
        assert fast == plain, repr(text)


def test_a_long_answer_is_still_split_at_sentence_ends() -> None:
    text = "A:第一句话说收入。第二句说利润！Third one. Fourth\n\n第五句；结束"
    turns = segment.segment(text)
    chunks = chunk.chunk_turns(text, turns, budget=16, count_tokens=len)
    assert [c.text for c in chunks] == [
        "A:第一句话说收入。",
        "第二句说利润！",
        "Third one. ",
        "Fourth\n\n第五句；结束",
    ]
    assert all(c.split_turn for c in chunks)


def test_evidence_builds_its_compact_form_only_for_a_quote_not_found_as_written() -> None:
    text = "第--季度线上营销服务收入达到166.5亿元，同比增长27.4%。"
    source = SourceText(text)
    assert locate("线上营销服务收入达到166.5亿元", source).method == "exact"
    assert "compact" not in vars(source)
    found = locate("第一季度线上营销服务收入达到166.5亿元", source)
    assert found.method == "normalized"
    assert text[found.span[0] : found.span[1]] == "第--季度线上营销服务收入达到166.5亿元"
    assert "compact" in vars(source)


def test_normalize_gives_the_same_result_again_for_the_same_text() -> None:
    text = "第--季度收入１６６．５亿，1O0家"
    first = normalize(text)
    assert normalize(text) is first
    fresh = _normalize(text)
    assert first == fresh
    assert first.text == "第一季度收入166.5亿，100家"


def test_a_prompt_set_is_each_prompt_loaded_alone() -> None:
    names = ("summarize", "summarize_map", "summarize_reduce", "translate", "repair")
    assert load_prompt_set(names) == {name: load_prompt(name) for name in names}


def test_a_prompt_set_names_the_missing_prompt(tmp_path: Path) -> None:
    (tmp_path / "p.j2").write_text(
        '+++\nid = "p"\nversion = 1\n+++\n{% block system %}s{% endblock %}'
        "{% block user %}{{ x }}{% endblock %}\n",
        encoding="utf-8",
    )
    assert load_prompt_set(["p"], tmp_path)["p"].ref == "p@1"
    with pytest.raises(PromptError, match="no prompt 'nope'"):
        load_prompt_set(["p", "nope"], tmp_path)
    with pytest.raises(PromptError, match="no prompt 'p'"):
        load_prompt_set(["p"], tmp_path / "missing")


def _plain_detect_language(text: str) -> str | None:
    cjk = sum(map(len, re.findall(r"[\u4e00-\u9fff\u3400-\u4dbf]+", text)))
    latin = sum(map(len, re.findall(r"[A-Za-z]+", text)))
    other = sum(map(str.isalpha, re.sub(r"[\x00-\x7f\u4e00-\u9fff\u3400-\u4dbf]+", "", text)))
    if other > cjk + latin or cjk + latin == 0:
        return None
    return "zh" if cjk * 4 >= latin else "en"


def test_detect_language_counts_as_the_plain_definition() -> None:
    alphabet = "ab Z1.收入增长㐀䶵鿿一\u4dc0\u3400\uff21ДжカナØ\ud800\U00020000，。"
    texts = _random_texts(alphabet, 30_000, seed=3)
    texts.append(SAMPLE.read_text(encoding="utf-8"))
    for text in texts:
        assert detect_language(text) == _plain_detect_language(text), repr(text)
