"""`PacedLLMClient`: `LLMClient` whose every HTTP attempt goes through a shared rate limiter.

`LLMClient` retries 429s and 5xx itself (tenacity, honouring ``Retry-After``), out of sight of its
caller. A batch needs to see each attempt — to pace it under the RPM/TPM limits and to slow
*everyone* down when one of them gets a 429 — so this subclass gives the async OpenAI client an
httpx event hook on each side: before a request it awaits `AdaptiveLimiter.acquire` with the
request's estimated tokens (prompt + ``max_tokens``, as hosted rate limiters count them), after
a response it reports 429 (with its Retry-After) or success.

It overrides `LLMClient._openai_async`, a private method of the LLM layer (owned by another
module); a public hook has been asked for (.scratch/batch-requests.md, R4). Everything else —
retries, cache, usage, errors — is the parent's.
"""

from __future__ import annotations

import asyncio
import json
from typing import Any

import httpx
import openai

from toolkit.llm import LLMClient, estimate_tokens
from toolkit.ratelimit import AdaptiveLimiter
from toolkit.settings import Settings

_LIMITED_PATH = "/chat/completions"


class PacedLLMClient(LLMClient):
    """An `LLMClient` whose async requests are paced by ``limiter`` (see the module docstring)."""

    def __init__(
        self, settings: Settings | None = None, *, limiter: AdaptiveLimiter, use_cache: bool = True
    ) -> None:
        super().__init__(settings, use_cache=use_cache)
        self.limiter = limiter

    def _openai_async(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            http = openai.DefaultAsyncHttpxClient(
                event_hooks={"request": [self._before], "response": [self._after]}
            )
            client = openai.AsyncOpenAI(
                api_key=self._api_key or "local",
                base_url=self._base_url(),
                timeout=self._timeout(),
                max_retries=0,
                http_client=http,
            )
            self._async[loop] = client
        return client

    async def _before(self, request: httpx.Request) -> None:
        if request.url.path.endswith(_LIMITED_PATH):
            # Estimating costs a JSON parse per request: only when a token limit applies.
            tokens = request_tokens(request.content) if self.limiter.tpm is not None else 0
            await self.limiter.acquire(tokens)

    async def _after(self, response: httpx.Response) -> None:
        if not response.request.url.path.endswith(_LIMITED_PATH):
            return
        if response.status_code == 429:
            self.limiter.on_rate_limited(_retry_after(response.headers))
        elif response.status_code < 500:
            self.limiter.on_success()


def request_tokens(body: bytes) -> int:
    """Estimated tokens a chat request may use: its messages plus ``max_tokens``."""
    try:
        payload: Any = json.loads(body)
    except ValueError:
        return len(body) // 3
    if not isinstance(payload, dict):
        return 0
    text = " ".join(
        str(m.get("content") or "") for m in payload.get("messages", []) if isinstance(m, dict)
    )
    limit = payload.get("max_tokens")
    return estimate_tokens(text) + (limit if isinstance(limit, int) else 0)


def _retry_after(headers: httpx.Headers) -> float | None:
    for name, scale in (("retry-after-ms", 0.001), ("retry-after", 1.0)):
        value = headers.get(name)
        if value is not None:
            try:
                return max(float(value) * scale, 0.0)
            except ValueError:
                continue
    return None
