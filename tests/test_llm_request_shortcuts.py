"""The request path's per-request savings change no byte and no cache key.

`toolkit.cache.cache_key` takes a response schema already encoded (`Canonical`, once per class in
the LLM layer) and must give the key the plain encoding gives, or existing caches would miss.
`toolkit.llm._chat_body` builds the body the LLM layer posts through the SDK's ``client.post``
instead of calling ``chat.completions.create``: the SDK must send the bytes ``create`` sends, and
a call through the LLM layer must not import the SDK's resources (what ``client.chat`` does).
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
import subprocess
import sys
from decimal import Decimal
from typing import Any

import httpx
import openai
import pytest
from openai.resources.chat import AsyncCompletions, Completions
from openai.types.chat import ChatCompletion
from pydantic import BaseModel

from toolkit.cache import Canonical, cache_key, canonical_json
from toolkit.llm import _BODY_ORDER, _CHAT_PATH, _canonical_schema, _chat_body, schema_of


class Figure(BaseModel):
    label: str
    value: Decimal | None = None


class Revenue(BaseModel):
    """Revenue figures, 营收."""

    company: str
    figures: list[Figure]


def plain_key(**parts: Any) -> str:
    """The key as it was first written: one ``json.dumps`` of all the parts."""
    text = json.dumps(parts, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


_MESSAGES = [
    {"role": "system", "content": 'Extract the revenue. 只用文中的数字。\n"quoted" \\ tab\t'},
    {"role": "user", "content": "快手一季度营收294亿元，同比增长16.6%。\u2028 emoji 📈"},
]
_PARAMS: list[dict[str, Any]] = [
    {"temperature": 0.0, "max_tokens": None, "mode": "tool_call"},
    {"temperature": 0.7, "max_tokens": 512, "mode": "json_schema", "z": [1, 2.5, True]},
    {},
]


@pytest.mark.parametrize("params", _PARAMS)
def test_a_canonical_schema_gives_the_key_the_plain_encoding_gives(params: dict[str, Any]) -> None:
    schema = schema_of(Revenue)
    parts = {"model": "qwen2.5-coder:1.5b", "messages": _MESSAGES, "params": params}
    expected = plain_key(schema=schema, prompt="summary/draft@3", **parts)
    assert cache_key(schema=schema, prompt="summary/draft@3", **parts) == expected
    assert cache_key(schema=_canonical_schema(Revenue), prompt="summary/draft@3", **parts) == (
        expected
    )
    assert cache_key(schema=schema, prompt="summary/draft@4", **parts) != expected


def test_the_schema_is_encoded_once_per_class_and_is_still_a_different_key_per_class() -> None:
    assert _canonical_schema(Revenue) is _canonical_schema(Revenue)
    assert _canonical_schema(Revenue) == canonical_json(schema_of(Revenue))
    assert _canonical_schema(Figure) != _canonical_schema(Revenue)
    parts = {"model": "m", "messages": _MESSAGES, "params": {}, "prompt": "p@1"}
    assert cache_key(schema=_canonical_schema(Figure), **parts) != cache_key(
        schema=_canonical_schema(Revenue), **parts
    )


def test_a_plain_string_schema_is_encoded_as_a_string_not_spliced_in() -> None:
    parts = {"model": "m", "messages": [], "params": {}, "prompt": "p@1"}
    assert cache_key(schema="{}", **parts) == plain_key(schema="{}", **parts)  # type: ignore[arg-type]
    assert cache_key(schema=Canonical("{}"), **parts) == plain_key(schema={}, **parts)


_TOOLS = [
    {
        "type": "function",
        "function": {
            "name": "Revenue",
            "description": "Revenue figures, 营收.",
            "parameters": schema_of(Revenue),
        },
    }
]
_CHOICE = {"type": "function", "function": {"name": "Revenue"}}
_REASK = [
    *_MESSAGES,
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
    {"role": "tool", "tool_call_id": "call_1", "content": "1 validation error: figures"},
]
_CASES: dict[str, dict[str, Any]] = {
    "tools": {
        "messages": _MESSAGES,
        "model": "m",
        "temperature": 0.0,
        "max_tokens": 700,
        "tools": _TOOLS,
        "tool_choice": _CHOICE,
    },
    "tools-reask-no-max-tokens": {
        "messages": _REASK,
        "model": "m",
        "temperature": 0.0,
        "tools": _TOOLS,
        "tool_choice": _CHOICE,
    },
    "json-schema": {
        "messages": _MESSAGES,
        "model": "gpt-4o-mini",
        "temperature": 0.0,
        "max_tokens": 700,
        "response_format": {
            "type": "json_schema",
            "json_schema": {"name": "Revenue", "schema": schema_of(Revenue), "strict": False},
        },
    },
    "every-listed-parameter": {  # kwargs in another order than the SDK's; None and "auto"
        "top_p": 1.0,
        "tool_choice": "auto",
        "tools": _TOOLS,
        "temperature": 0.2,
        "response_format": {"type": "json_object"},
        "max_tokens": None,
        "model": "m",
        "messages": _MESSAGES,
    },
}
_ANSWER = {
    "id": "x",
    "object": "chat.completion",
    "created": 0,
    "model": "m",
    "choices": [
        {"index": 0, "finish_reason": "stop", "message": {"role": "assistant", "content": "{}"}}
    ],
}


def _capture(seen: list[httpx.Request]) -> httpx.MockTransport:
    def handler(request: httpx.Request) -> httpx.Response:
        request.read()
        seen.append(request)
        return httpx.Response(200, json=_ANSWER)

    return httpx.MockTransport(handler)


def _wire(request: httpx.Request) -> bytes:
    """What goes to the server: method, URL, headers (but the per-call timeout one), body."""
    headers = b"".join(
        k + b":" + v + b"\n" for k, v in request.headers.raw if k != b"x-stainless-read-timeout"
    )
    start = f"{request.method} {request.url}\n".encode()
    return start + headers + request.content


def _client(seen: list[httpx.Request], *, sync: bool) -> Any:
    options: dict[str, Any] = {
        "api_key": "k",
        "base_url": "http://127.0.0.1:9/v1",
        "max_retries": 0,
    }
    if sync:
        return openai.OpenAI(**options, http_client=httpx.Client(transport=_capture(seen)))
    return openai.AsyncOpenAI(**options, http_client=httpx.AsyncClient(transport=_capture(seen)))


def _sent(kwargs: dict[str, Any], *, sync: bool, posted: bool) -> tuple[bytes, object]:
    """What the SDK sends for ``kwargs``, through ``create`` or ``post`` of `_chat_body`."""
    seen: list[httpx.Request] = []
    client = _client(seen, sync=sync)
    if sync:
        if posted:
            answer = client.post(_CHAT_PATH, body=_chat_body(kwargs), cast_to=ChatCompletion)
        else:
            answer = client.chat.completions.create(**kwargs)
        client.close()
    else:

        async def send() -> object:
            if posted:
                found = await client.post(
                    _CHAT_PATH, body=_chat_body(kwargs), cast_to=ChatCompletion
                )
            else:
                found = await client.chat.completions.create(**kwargs)
            await client.close()
            return found

        answer = asyncio.run(send())
    (request,) = seen
    return _wire(request), answer


@pytest.mark.parametrize("sync", [False, True], ids=["async", "sync"])
@pytest.mark.parametrize("case", list(_CASES))
def test_the_posted_body_sends_the_bytes_create_sends(case: str, sync: bool) -> None:
    kwargs = _CASES[case]
    body = _chat_body(kwargs)
    assert body is not None and list(body)[:2] == ["messages", "model"]
    wire, answer = _sent(kwargs, sync=sync, posted=True)
    expected_wire, expected_answer = _sent(kwargs, sync=sync, posted=False)
    assert wire == expected_wire  # byte for byte: URL, headers, key order, spacing, unicode
    assert type(answer) is ChatCompletion and answer == expected_answer
    assert kwargs == _CASES[case] and body["messages"] is kwargs["messages"]  # nothing copied


class Choice(BaseModel):
    type: str = "auto"


@pytest.mark.parametrize(
    "change",
    [
        {"extra_body": {"seed": 1}},  # the caller's own extra_body: create merges it
        {"seed": 1},  # not a listed parameter: the SDK places (or refuses) it itself
        {"messages": tuple(_MESSAGES)},  # the SDK turns a tuple into a list itself
        {"tools": (_TOOLS[0],)},
        {"tool_choice": Choice()},  # not plain JSON: the SDK dumps it
    ],
    ids=["extra_body", "unlisted", "tuple-messages", "tuple-tools", "object"],
)
def test_kwargs_only_create_can_send_get_no_body(change: dict[str, Any]) -> None:
    assert _chat_body({**_CASES["tools"], **change}) is None
    without_model = {k: v for k, v in _CASES["tools"].items() if k != "model"}
    assert _chat_body(without_model) is None  # create names what is missing


def test_a_call_through_the_llm_layer_does_not_import_the_sdks_resources() -> None:
    # In a fresh interpreter: ``client.chat`` would import every resource module (0.1-0.15 s).
    script = """
import asyncio, sys
from pydantic import BaseModel
from tests.fake_openai import FakeOpenAI, tool_call
from toolkit.llm import LLMClient
from toolkit.settings import Settings

class Revenue(BaseModel):
    company: str

with FakeOpenAI([tool_call({"company": "快手"})] * 2) as fake:
    settings = Settings(openai_api_key="k", openai_base_url=fake.base_url, model="m")
    with LLMClient(settings, use_cache=False) as llm:
        messages = [{"role": "user", "content": "快手"}]
        one = llm.structured(Revenue, messages, prompt="p@1")
        two = asyncio.run(llm.astructured(Revenue, messages, prompt="p@1"))
print(one.company, two.company, len(fake.requests), "openai.resources" in sys.modules)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.split() == ["快手", "快手", "2", "False"]


@pytest.mark.parametrize("create", [AsyncCompletions.create, Completions.create])
def test_the_listed_order_is_the_sdks_body_order(create: Any) -> None:
    order = [name for name in inspect.signature(create).parameters if name in _BODY_ORDER]
    assert order == list(_BODY_ORDER)
