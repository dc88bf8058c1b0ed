"""`FakeLLM`, the queue-driven stand-in that pipeline tests use instead of HTTP."""

from __future__ import annotations

import asyncio
import math
import re
import unicodedata

import pytest
from pydantic import BaseModel

from toolkit.errors import LLMOutputInvalid
from toolkit.llm import _WIDE_BLOCKS, StructuredLLM, estimate_tokens
from toolkit.testing import FakeLLM


class Claim(BaseModel):
    text: str


class Verdict(BaseModel):
    ok: bool


def ask(llm: StructuredLLM, question: str) -> Claim:
    """A stand-in pipeline stage written against the protocol both clients satisfy."""
    return llm.structured(Claim, [{"role": "user", "content": question}], prompt="claim@1")


def test_answers_in_order_and_records_what_was_sent() -> None:
    llm = FakeLLM([Claim(text="营收294亿元"), Claim(text="同比增长16.6%")])
    assert ask(llm, "第一问").text == "营收294亿元"
    assert ask(llm, "第二问").text == "同比增长16.6%"
    assert [call.messages[0]["content"] for call in llm.calls] == ["第一问", "第二问"]
    assert llm.calls[0].prompt == "claim@1"
    assert llm.pending == 0


def test_a_callable_builds_the_answer_from_the_request() -> None:
    def echo(model: type[BaseModel], messages: list[dict[str, str]]) -> BaseModel:
        return model.model_validate({"text": messages[-1]["content"].upper()})

    assert ask(FakeLLM([echo]), "q1 revenue").text == "Q1 REVENUE"


def test_a_queued_exception_is_raised_so_repair_paths_can_be_tested() -> None:
    llm = FakeLLM([LLMOutputInvalid("did not fit Claim after 3 tries"), Claim(text="ok")])
    with pytest.raises(LLMOutputInvalid):
        ask(llm, "q")
    assert ask(llm, "q").text == "ok"


def test_an_empty_queue_or_wrong_type_fails_loudly() -> None:
    with pytest.raises(LookupError, match="no answer queued for call 1"):
        ask(FakeLLM(), "q")
    with pytest.raises(TypeError, match="is a Verdict, the caller asked for Claim"):
        ask(FakeLLM([Verdict(ok=True)]), "q")


def test_usage_is_counted_and_async_works_too() -> None:
    llm = FakeLLM([Claim(text="a"), Claim(text="b")])

    async def run() -> Claim:
        with llm.track() as meter:
            answer = await llm.astructured(
                Claim, [{"role": "user", "content": "营收"}], prompt="claim@1"
            )
        assert meter.usage.calls == 1
        return answer

    assert asyncio.run(run()).text == "a"
    ask(llm, "营收")
    assert llm.usage.calls == 2
    assert llm.usage.prompt_tokens == 4  # two characters, twice
    assert llm.usage.cost_usd == 0


def test_estimate_tokens_counts_wide_characters_as_one_lookup_per_character_would() -> None:
    def plain(text: str) -> int:  # the definition: 1 per W/F character, 1 per 3 others
        wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
        return wide + math.ceil((len(text) - wide) / 3)

    # The fast path skips the lookup for whole blocks: every code point in them must be wide.
    in_fast_blocks = [
        chr(code)
        for low, high in re.findall(r"\\u(\w{4})-\\u(\w{4})", _WIDE_BLOCKS)
        for code in range(int(low, 16), int(high, 16) + 1)
    ]
    assert len(in_fast_blocks) > 30000
    assert all(unicodedata.east_asian_width(c) in ("W", "F") for c in in_fast_blocks)
    for text in ("营收294亿元，同比增长27.4%。", "Ｑ１ revenue ¥ 16.65 billion 😀 ㈱ é", "ｱｲｳ ｴ"):
        assert estimate_tokens(text) == plain(text)
