"""The batch client's cookie jar skips only the responses that set no cookie.

`toolkit.batch_client._SetCookieJar` leaves out http.cookiejar's parse of a response without a
``Set-Cookie`` header (it would store nothing); cookies a server does set are kept and sent back
exactly as httpx's own jar does.
"""

from __future__ import annotations

import asyncio
import http.cookiejar
from typing import Any

import httpx
import pytest

from toolkit.batch_client import _AioHttpClient, _SetCookieJar, http_client

# What the server answers to the 1st, 2nd... request.
_ANSWERS: list[dict[str, str]] = [
    {},
    {"Set-Cookie": "__cf_bm=abc; Path=/; HttpOnly"},
    {},
    {"set-cookie": "_cfuvid=x1; Path=/v1"},
    {"Set-Cookie": "__cf_bm=gone; Path=/; Max-Age=0"},  # the server deletes it again
    {},
]


def _cookies_sent(client_type: Any) -> list[str | None]:
    """The Cookie header of each of six requests, through a client of ``client_type``."""
    sent: list[str | None] = []

    def handler(request: httpx.Request) -> httpx.Response:
        sent.append(request.headers.get("cookie"))
        return httpx.Response(200, headers=_ANSWERS[len(sent) - 1], json={})

    async def run() -> None:
        async with client_type(transport=httpx.MockTransport(handler)) as client:
            for _ in _ANSWERS:
                await client.post("http://127.0.0.1:9/v1/chat/completions", json={})

    asyncio.run(run())
    return sent


def test_cookies_a_server_sets_are_kept_and_sent_back_as_httpx_does() -> None:
    ours = _cookies_sent(_AioHttpClient)
    assert ours == _cookies_sent(httpx.AsyncClient)
    assert ours[2] == "__cf_bm=abc" and ours[4] == "_cfuvid=x1; __cf_bm=abc"
    assert ours[5] == "_cfuvid=x1"


def test_responses_without_set_cookie_skip_the_cookiejar(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[int] = []
    real = http.cookiejar.CookieJar.extract_cookies

    def counting(self: http.cookiejar.CookieJar, response: Any, request: Any) -> None:
        parsed.append(len(parsed))
        real(self, response, request)

    monkeypatch.setattr(http.cookiejar.CookieJar, "extract_cookies", counting)
    _cookies_sent(_AioHttpClient)
    assert len(parsed) == 3  # the three answers that set or delete a cookie
    _cookies_sent(httpx.AsyncClient)
    assert len(parsed) == 3 + len(_ANSWERS)


def test_the_batch_client_keeps_its_cookies_in_the_skipping_jar() -> None:
    async def hook(_: Any) -> None:
        return None

    client = http_client(hook, hook)
    assert isinstance(client.cookies, _SetCookieJar)
    client.cookies = {"a": "1"}  # httpx's setter still takes what httpx.Cookies takes
    assert isinstance(client.cookies, _SetCookieJar) and dict(client.cookies) == {"a": "1"}
