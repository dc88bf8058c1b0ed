"""How `LLMClient` behaves when the endpoint misbehaves, against a scripted local server.

Every test states what the endpoint does, request by request, and asserts the outcome and the
exact number of requests that reached it.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import time
from pathlib import Path

import httpx
import openai
import pytest
from pydantic import BaseModel, Field, field_validator

from tests.fake_openai import FakeOpenAI, Reply, error, tool_call
from toolkit.errors import LLMOutputInvalid, LLMOutputTruncated, LLMUnavailable
from toolkit.llm import MAX_REASK_ERROR_CHARS, LLMClient, retry_after_seconds
from toolkit.local_model import free_port
from toolkit.settings import Settings

KEY = "sk-test-0123456789abcdef"
MESSAGES = [{"role": "user", "content": "快手2024年第一季度总营收为人民币294亿元，同比增长16.6%。"}]
GOOD = {"company": "快手", "revenue_yi": "294", "growth_pct": "16.6"}


class Revenue(BaseModel):
    company: str
    revenue_yi: str = Field(description="revenue in 亿元, digits only")
    growth_pct: str

    @field_validator("revenue_yi")
    @classmethod
    def digits_only(cls, value: str) -> str:
        if not value.replace(".", "").isdigit():
            raise ValueError("revenue_yi must be digits only, e.g. 294")
        return value


def settings(base_url: str, tmp_path: Path, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "openai_api_key": KEY,
        "openai_base_url": base_url,
        "model": "gpt-4o-mini",
        "timeout": 2.0,
        "connect_timeout": 0.5,
        "max_attempts": 3,
        "retry_max_time": 10.0,
        "backoff_initial": 0.01,
        "backoff_max": 0.02,
        "backoff_jitter": 0.0,
        "reasks": 2,
        "cache_dir": tmp_path,
        **overrides,
    }
    return Settings(**values)  # type: ignore[arg-type]


def ask(fake: FakeOpenAI, tmp_path: Path, **overrides: object) -> Revenue:
    with LLMClient(settings(fake.base_url, tmp_path, **overrides), use_cache=False) as llm:
        return llm.structured(Revenue, MESSAGES, prompt="revenue@1")


def test_429_waits_for_retry_after_then_succeeds(tmp_path: Path) -> None:
    with FakeOpenAI(
        [error(429, "slow down", headers={"Retry-After": "1"}), tool_call(GOOD)]
    ) as fake:
        started = time.monotonic()
        assert ask(fake, tmp_path) == Revenue(**GOOD)
        assert len(fake.requests) == 2
        assert time.monotonic() - started >= 1.0  # backoff alone would be 0.01 s


def test_retry_after_beyond_the_time_budget_gives_up_at_once(tmp_path: Path) -> None:
    with FakeOpenAI([error(429, headers={"Retry-After": "60"}), tool_call(GOOD)]) as fake:
        with pytest.raises(LLMUnavailable, match=r"1 try .*HTTP 429"):
            ask(fake, tmp_path, retry_max_time=5.0)
        assert len(fake.requests) == 1


def test_429_out_of_quota_is_not_retried(tmp_path: Path) -> None:
    with FakeOpenAI([error(429, "quota", code="insufficient_quota"), tool_call(GOOD)]) as fake:
        with pytest.raises(LLMUnavailable, match="not retried"):
            ask(fake, tmp_path)
        assert len(fake.requests) == 1


def test_500_then_success(tmp_path: Path) -> None:
    with FakeOpenAI([error(500), error(503), tool_call(GOOD)]) as fake:
        assert ask(fake, tmp_path) == Revenue(**GOOD)
        assert len(fake.requests) == 3


def test_persistent_500_gives_up_after_max_attempts_naming_model_and_endpoint(
    tmp_path: Path,
) -> None:
    with FakeOpenAI([error(500, "boom")] * 5) as fake:
        with pytest.raises(LLMUnavailable) as caught:
            ask(fake, tmp_path)
        assert len(fake.requests) == 3
        message = str(caught.value)
        assert "gpt-4o-mini" in message
        assert fake.base_url in message
        assert "3 tries" in message
        assert "HTTP 500: boom" in message


def test_timeout_then_success(tmp_path: Path) -> None:
    with FakeOpenAI([Reply(delay=1.0), tool_call(GOOD)]) as fake:
        assert ask(fake, tmp_path, timeout=0.3) == Revenue(**GOOD)
        assert len(fake.requests) == 2


def test_persistent_timeout_is_unavailable(tmp_path: Path) -> None:
    with FakeOpenAI([Reply(delay=1.0)] * 3) as fake:
        with pytest.raises(LLMUnavailable, match=r"2 tries .*timed out"):
            ask(fake, tmp_path, timeout=0.3, max_attempts=2)
        assert len(fake.requests) == 2


def test_connection_refused_is_unavailable_after_max_attempts(tmp_path: Path) -> None:
    base_url = f"http://127.0.0.1:{free_port()}/v1"  # nobody listens there
    with (
        LLMClient(settings(base_url, tmp_path), use_cache=False) as llm,
        pytest.raises(LLMUnavailable, match=r"3 tries .*connection failed"),
    ):
        llm.structured(Revenue, MESSAGES, prompt="revenue@1")


def test_invalid_json_body_is_retried(tmp_path: Path) -> None:
    with FakeOpenAI([Reply(body=b"{not json"), tool_call(GOOD)]) as fake:
        assert ask(fake, tmp_path) == Revenue(**GOOD)
        assert len(fake.requests) == 2


def test_html_error_page_with_200_is_unavailable(tmp_path: Path) -> None:
    page = Reply(body=b"<html>bad gateway</html>", content_type="text/html")
    with FakeOpenAI([page] * 3) as fake:
        with pytest.raises(LLMUnavailable, match=r"3 tries .*not a chat completion"):
            ask(fake, tmp_path)
        assert len(fake.requests) == 3


def test_schema_invalid_answer_is_reasked_with_the_validation_error(tmp_path: Path) -> None:
    bad = {**GOOD, "revenue_yi": "294亿元"}
    with FakeOpenAI([tool_call(bad), tool_call(GOOD)]) as fake:
        assert ask(fake, tmp_path) == Revenue(**GOOD)
        assert len(fake.requests) == 2
        reask = fake.requests[1].body["messages"]
        assert len(reask) > len(MESSAGES)
        assert "revenue_yi must be digits only" in str(reask[-1])


def test_malformed_tool_arguments_are_reasked(tmp_path: Path) -> None:
    with FakeOpenAI([tool_call('{"company": "快手", '), tool_call(GOOD)]) as fake:
        assert ask(fake, tmp_path) == Revenue(**GOOD)
        assert len(fake.requests) == 2


def test_an_answer_cut_off_at_max_tokens_is_not_reasked(tmp_path: Path) -> None:
    # llama.cpp's server says finish_reason "tool_calls" even when the call ran out of tokens;
    # all of max_tokens used and JSON that does not parse is what shows it was cut off.
    cut = tool_call('{"company": "快手", "revenue_yi": "29', completion_tokens=50)
    with FakeOpenAI([cut, tool_call(GOOD)]) as fake:
        with LLMClient(settings(fake.base_url, tmp_path), use_cache=False) as llm:
            with pytest.raises(LLMOutputTruncated, match="cut off at max_tokens=50") as caught:
                llm.structured(Revenue, MESSAGES, prompt="revenue@1", max_tokens=50)
            assert caught.value.partial == '{"company": "快手", "revenue_yi": "29'
            assert llm.usage.completion_tokens == 50  # the cut-off answer is still counted
        assert len(fake.requests) == 1


def test_broken_json_below_max_tokens_is_still_reasked(tmp_path: Path) -> None:
    broken = tool_call('{"company": "快手", "revenue_yi": "29', completion_tokens=12)
    with FakeOpenAI([broken, tool_call(GOOD)]) as fake:
        with LLMClient(settings(fake.base_url, tmp_path), use_cache=False) as llm:
            assert llm.structured(Revenue, MESSAGES, prompt="r@1", max_tokens=50) == Revenue(**GOOD)
        assert len(fake.requests) == 2


def test_a_complete_answer_that_fills_max_tokens_exactly_is_kept(tmp_path: Path) -> None:
    exact = tool_call(GOOD, completion_tokens=50)
    with FakeOpenAI([exact]) as fake, LLMClient(settings(fake.base_url, tmp_path)) as llm:
        assert llm.structured(Revenue, MESSAGES, prompt="r@1", max_tokens=50) == Revenue(**GOOD)


def test_persistently_invalid_answer_is_output_invalid_after_reasks(tmp_path: Path) -> None:
    with FakeOpenAI([tool_call({"company": "快手"})] * 5) as fake:
        with pytest.raises(LLMOutputInvalid) as caught:
            ask(fake, tmp_path, reasks=1)
        assert len(fake.requests) == 2
        assert "after 2 tries" in str(caught.value)
        assert "revenue@1" in str(caught.value)
        assert "Revenue" in str(caught.value)


def test_transport_retries_inside_a_reask_do_not_multiply(tmp_path: Path) -> None:
    script = [tool_call({"company": "快手"}), error(502), tool_call(GOOD)]
    with FakeOpenAI(script) as fake, LLMClient(settings(fake.base_url, tmp_path)) as llm:
        assert llm.structured(Revenue, MESSAGES, prompt="revenue@1") == Revenue(**GOOD)
        assert len(fake.requests) == 3
        assert llm.usage.requests == 2  # two answers from the model, one reask


@pytest.mark.parametrize("status", [400, 403, 404])
def test_client_errors_are_not_retried(tmp_path: Path, status: int) -> None:
    with FakeOpenAI([error(status, "nope"), tool_call(GOOD)]) as fake:
        with pytest.raises(LLMUnavailable, match=rf"1 try .*HTTP {status}"):
            ask(fake, tmp_path)
        assert len(fake.requests) == 1


def test_401_is_not_retried_names_the_variable_and_hides_the_key(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    with FakeOpenAI([error(401, f"Incorrect API key provided: {KEY}"), tool_call(GOOD)]) as fake:
        with pytest.raises(LLMUnavailable) as caught:
            ask(fake, tmp_path)
        assert len(fake.requests) == 1
        assert fake.requests[0].headers["Authorization"] == f"Bearer {KEY}"
    assert "OPENAI_API_KEY" in str(caught.value)
    assert KEY not in str(caught.value)
    assert KEY not in caplog.text


def test_json_schema_mode_sends_a_response_format(tmp_path: Path) -> None:
    import json

    with FakeOpenAI([tool_call(GOOD)]) as fake:
        assert ask(fake, tmp_path, mode="json_schema") == Revenue(**GOOD)
        body = fake.requests[0].body
    assert body["response_format"]["type"] == "json_schema"
    assert "tools" not in body
    assert json.dumps(body, ensure_ascii=False).count("revenue_yi") >= 1


def test_async_calls_retry_and_respect_concurrency(tmp_path: Path) -> None:
    script = [error(500)] + [tool_call(GOOD, delay=0.2) for _ in range(4)]
    with FakeOpenAI(script) as fake:
        llm = LLMClient(settings(fake.base_url, tmp_path, concurrency=2), use_cache=False)

        async def run() -> list[Revenue]:
            calls = [llm.astructured(Revenue, MESSAGES, prompt="revenue@1") for _ in range(4)]
            return await asyncio.gather(*calls)

        with llm:
            results = asyncio.run(run())
        assert results == [Revenue(**GOOD)] * 4
        assert len(fake.requests) == 5
        assert fake.max_in_flight == 2
        assert llm.usage.calls == 4


def test_the_error_says_how_long_the_server_asked_to_wait(tmp_path: Path) -> None:
    with (
        FakeOpenAI([error(429, headers={"Retry-After": "60"})]) as fake,
        pytest.raises(LLMUnavailable, match=r"asked to wait 60 s \(Retry-After\)"),
    ):
        ask(fake, tmp_path, retry_max_time=5.0)
    assert len(fake.requests) == 1


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"retry-after": "7"}, 7.0),
        ({"retry-after": "1.5"}, 1.5),
        ({"retry-after-ms": "250", "retry-after": "9"}, 0.25),  # the finer one wins
        ({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}, 0.0),  # a date in the past
        ({"retry-after": "soon"}, None),
        ({}, None),
    ],
)
def test_retry_after_is_read_as_seconds_milliseconds_or_a_date(
    headers: dict[str, str], seconds: float | None
) -> None:
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(429, headers=headers, request=request)
    exc = openai.RateLimitError("slow down", response=response, body=None)
    assert retry_after_seconds(exc) == seconds


def test_retry_after_as_a_future_date_is_the_time_until_then() -> None:
    when = email.utils.formatdate(time.time() + 30, usegmt=True)
    request = httpx.Request("POST", "http://127.0.0.1/v1/chat/completions")
    response = httpx.Response(503, headers={"retry-after": when}, request=request)
    exc = openai.InternalServerError("busy", response=response, body=None)
    wait = retry_after_seconds(exc)
    assert wait is not None and 28 <= wait <= 30


def test_async_http_hooks_see_every_attempt_including_retries(tmp_path: Path) -> None:
    seen: list[str] = []

    async def on_request(request: httpx.Request) -> None:
        seen.append(f"{request.method} {request.url.path}")

    async def on_response(response: httpx.Response) -> None:
        seen.append(f"{response.status_code} {response.headers.get('retry-after')}")

    hooks = {"request": [on_request], "response": [on_response]}
    script = [error(429, headers={"Retry-After": "0"}), error(500), tool_call(GOOD)]
    with FakeOpenAI(script) as fake:
        llm = LLMClient(settings(fake.base_url, tmp_path), use_cache=False, async_http_hooks=hooks)
        with llm:
            answer = asyncio.run(llm.astructured(Revenue, MESSAGES, prompt="revenue@1"))
        assert answer == Revenue(**GOOD)
        assert len(fake.requests) == 3
    assert seen == [
        "POST /v1/chat/completions",
        "429 0",
        "POST /v1/chat/completions",
        "500 None",
        "POST /v1/chat/completions",
        "200 None",
    ]


class Items(BaseModel):
    items: list[Revenue]


def test_a_reask_passes_back_the_first_validation_errors_not_hundreds(tmp_path: Path) -> None:
    runaway = [{**GOOD, "revenue_yi": f"{n}亿元"} for n in range(300)]  # 300 errors, ~40k chars
    with FakeOpenAI([tool_call({"items": runaway}), tool_call({"items": [GOOD]})]) as fake:
        with LLMClient(settings(fake.base_url, tmp_path), use_cache=False) as llm:
            assert llm.structured(Items, MESSAGES, prompt="items@1").items == [Revenue(**GOOD)]
        errors = fake.requests[1].body["messages"][-1]["content"]
    assert "revenue_yi must be digits only" in errors
    assert len(errors) < MAX_REASK_ERROR_CHARS + 40
    assert errors.endswith("more characters)")


def test_a_reask_too_long_for_the_embedded_context_asks_afresh_with_the_errors(
    tmp_path: Path,
) -> None:
    llm = LLMClient(Settings(backend="local", local_n_ctx=1000, cache_dir=tmp_path))
    looping = {"name": "Revenue", "arguments": '{"company": "' + "快手" * 2000}
    answer = {"role": "assistant", "tool_calls": [{"id": "1", "function": looping}]}
    errors = {"role": "tool", "tool_call_id": "1", "content": "revenue_yi must be digits only"}
    reask = {"messages": [*MESSAGES, answer, errors], "max_tokens": 200}
    sent = llm._fitted(reask, len)  # one token per character: 4,000 + 200 > 1,000
    assert sent["messages"][:-1] == MESSAGES
    assert sent["messages"][-1]["role"] == "user"
    assert "revenue_yi must be digits only" in sent["messages"][-1]["content"]
    assert reask["messages"][-1] is errors  # instructor's own list is left alone
    roomy = LLMClient(Settings(backend="local", local_n_ctx=8192, cache_dir=tmp_path))
    assert roomy._fitted(reask, len)["messages"] == reask["messages"]
