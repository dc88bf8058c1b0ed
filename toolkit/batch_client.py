"""`PacedLLMClient`: `LLMClient` whose every HTTP attempt goes through a shared rate limiter.

`LLMClient` retries 429s and 5xx itself (tenacity, honouring ``Retry-After``), out of sight of its
caller. A batch needs to see each attempt — to pace it under the RPM/TPM limits and to slow
*everyone* down when one of them gets a 429 — so this subclass gives the async OpenAI client an
httpx event hook on each side: before a request it awaits `AdaptiveLimiter.acquire` with the
request's estimated tokens (prompt + ``max_tokens``, as hosted rate limiters count them), after
a response it reports 429 (with its Retry-After) or success.

The hooks go in through `LLMClient`'s public ``async_http_hooks``. Everything else — retries,
cache, usage, errors, Retry-After parsing — is the parent's.
"""

from __future__ import annotations

import json
from typing import Any

import httpx

from toolkit.llm import LLMClient, estimate_tokens, retry_after_from_headers
from toolkit.ratelimit import AdaptiveLimiter
from toolkit.settings import Settings

_LIMITED_PATH = "/chat/completions"


class PacedLLMClient(LLMClient):
    """An `LLMClient` whose async requests are paced by ``limiter`` (see the module docstring)."""

    def __init__(
        self, settings: Settings | None = None, *, limiter: AdaptiveLimiter, use_cache: bool = True
    ) -> None:
        super().__init__(
            settings,
            use_cache=use_cache,
            async_http_hooks={"request": [self._before], "response": [self._after]},
        )
        self.limiter = limiter

    async def _before(self, request: httpx.Request) -> None:
        if request.url.path.endswith(_LIMITED_PATH):
            # Estimating costs a JSON parse per request: only when a token limit applies.
            tokens = request_tokens(request.content) if self.limiter.tpm is not None else 0
            await self.limiter.acquire(tokens)

    async def _after(self, response: httpx.Response) -> None:
        if not response.request.url.path.endswith(_LIMITED_PATH):
            return
        if response.status_code == 429:
            self.limiter.on_rate_limited(retry_after_from_headers(response.headers))
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
