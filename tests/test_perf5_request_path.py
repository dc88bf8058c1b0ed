"""The request path's shortcuts send exactly what the plain calls send.

`toolkit.llm._as_extra_body` hands the messages and tools to the openai SDK as ``extra_body``
(skipping the SDK's parameter walk); `estimate_tokens` counts wide characters without copying
the text; `toolkit.batch_workers.preload` builds before the fork what every worker needs.
"""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
import unicodedata
from typing import Any

import httpx
import openai
import pytest

from toolkit.llm import _as_extra_body, estimate_tokens

_SCHEMA = {
    "type": "object",
    "properties": {"company": {"type": "string"}, "revenue": {"type": "string"}},
    "required": ["company", "revenue"],
}
_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "Revenue",
            "description": "营收 and growth",
            "parameters": _SCHEMA,
        },
    }
]
_FIRST_ASK = [
    {"role": "system", "content": "Extract the revenue. 只用文中的数字。"},
    {"role": "user", "content": "快手一季度营收294亿元，同比增长16.6%。\n“线上营销”…"},
]
# A re-ask as instructor builds it in tools mode: the answer's tool call, then the errors.
_REASK = [
    *_FIRST_ASK,
    {
        "role": "assistant",
        "content": None,
        "tool_calls": [
            {
                "id": "call_1",
                "type": "function",
                "function": {"name": "Revenue", "arguments": '{"company": "快手"}'},
            }
        ],
    },
    {"role": "tool", "tool_call_id": "call_1", "content": "Validation error: revenue missing"},
]
_CASES: list[dict[str, Any]] = [
    {
        "messages": _FIRST_ASK,
        "model": "m",
        "temperature": 0.0,
        "max_tokens": 512,
        "tools": _TOOLS,
        "tool_choice": {"type": "function", "function": {"name": "Revenue"}},
        "top_p": 1.0,  # after "tools" in the SDK's order: tools must keep its place
    },
    {"messages": _REASK, "model": "m", "temperature": 0.0, "tools": _TOOLS},
    {
        "messages": _FIRST_ASK,
        "model": "m",
        "temperature": 0.0,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Revenue", "schema": _SCHEMA},
        },
    },
]
_ANSWER = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {
            "index": 0,
            "finish_reason": "stop",
            "message": {"role": "assistant", "content": "{}"},
        }
    ],
}


def _sent(kwargs: dict[str, Any]) -> tuple[bytes, dict[str, str]]:
    """The body and headers one async ``chat.completions.create(**kwargs)`` sends."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        return httpx.Response(200, json=_ANSWER)

    async def send() -> None:
        http = httpx.AsyncClient(transport=httpx.MockTransport(handler))
        client = openai.AsyncOpenAI(
            api_key="k", base_url="http://127.0.0.1:9/v1", max_retries=0, http_client=http
        )
        await client.chat.completions.create(**kwargs)
        await client.close()

    asyncio.run(send())
    (request,) = seen
    headers = {k: v for k, v in request.headers.items() if k != "x-stainless-read-timeout"}
    return request.content, headers


@pytest.mark.parametrize("kwargs", _CASES, ids=["first-ask", "re-ask", "json-schema"])
def test_messages_and_tools_as_extra_body_send_the_same_bytes(kwargs: dict[str, Any]) -> None:
    plain_body, plain_headers = _sent(kwargs)
    fast = _as_extra_body(kwargs)
    assert fast["messages"] == []  # the SDK walks an empty list, not the messages
    fast_body, fast_headers = _sent(fast)
    assert fast_body == plain_body  # byte for byte: key order, spacing, unicode escapes
    assert fast_headers == plain_headers
    assert json.loads(fast_body)["messages"] == kwargs["messages"]
    assert kwargs["messages"] is not fast["messages"]  # the caller's kwargs are left alone


def test_kwargs_the_shortcut_cannot_keep_identical_are_passed_unchanged() -> None:
    extra = {**_CASES[0], "extra_body": {"seed": 1}}
    assert _as_extra_body(extra) is extra  # the caller's own extra_body is not overwritten
    as_tuple = {**_CASES[0], "messages": tuple(_FIRST_ASK)}
    assert _as_extra_body(as_tuple) is as_tuple  # the SDK turns a tuple into a list itself


def test_estimate_tokens_equals_its_definition_on_every_code_point() -> None:
    def plain(text: str) -> int:  # 1 per W/F character, 1 per 3 others
        wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
        return wide + math.ceil((len(text) - wide) / 3)

    every = "".join(chr(c) for c in range(sys.maxunicode + 1))
    for start in range(0, len(every), 97):  # chunks that straddle every block boundary
        chunk = every[start : start + 97]
        assert estimate_tokens(chunk) == plain(chunk), hex(start)
    mixed = "营收294亿元，同比增长27.4%。“线上营销” ÷ … ｱ 😀 \ud800 é Ｑ１"
    assert estimate_tokens(mixed) == plain(mixed)


def test_preload_builds_what_every_forked_worker_needs() -> None:
    # In a fresh interpreter: this one has imported and loaded both long ago.
    script = """
import sys
from toolkit.batch_workers import preload
from toolkit.lexicon import load_lexicon
before = ("openai.resources.chat" in sys.modules, load_lexicon.cache_info().currsize)
preload()
after = ("openai.resources.chat" in sys.modules, load_lexicon.cache_info().currsize)
print(before, after)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "(False, 0) (True, 1)"
