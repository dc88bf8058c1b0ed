"""`FakeLLM`, the queue-driven stand-in that pipeline tests use instead of HTTP."""

from __future__ import annotations

import asyncio

import pytest
from pydantic import BaseModel

from toolkit.errors import LLMOutputInvalid
from toolkit.llm import StructuredLLM
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
