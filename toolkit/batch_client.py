"""`PacedLLMClient`: `LLMClient` whose every HTTP attempt goes through a shared rate limiter.

`LLMClient` retries 429s and 5xx itself (tenacity, honouring ``Retry-After``), out of sight of its
caller. A batch needs to see each attempt — to pace it under the RPM/TPM limits and to slow
*everyone* down when one of them gets a 429 — so this subclass gives the async OpenAI client an
httpx event hook on each side: before a request it awaits `AdaptiveLimiter.acquire` with the
request's estimated tokens (prompt + ``max_tokens``, as hosted rate limiters count them), after
a response it reports 429 (with its Retry-After) or success.

The hooks go in through `LLMClient`'s public ``async_http_hooks``. Everything else — retries,
cache, usage, errors, Retry-After parsing — is the parent's.

**Transport.** A batch keeps dozens of requests in flight, and httpx's own connection pool
(httpcore 1.0) scans every connection, and for every idle one every connection again, each
time a request starts or ends; with 32 connections that scan and httpcore/anyio's per-request
layers cost ~5-8 ms of CPU per request (measured: ``benchmarks/bench_batch.py`` prints the
split). So the batch client uses the openai SDK's own aiohttp transport
(`openai.DefaultAioHttpClient`, from the ``httpx-aiohttp`` package: the same httpx client,
hooks, timeouts and errors, with aiohttp's pool and C HTTP parser underneath), and falls back
to the default httpx transport when that package is missing. Call `aclose` in the event loop
that used the client before the loop ends (aiohttp sessions belong to their loop).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import ssl
import threading
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

import httpx
import openai

try:
    from httpx_aiohttp import AiohttpTransport
except ImportError:  # pragma: no cover - an install without the batch transport
    AiohttpTransport = None  # type: ignore[assignment,misc]

from toolkit.errors import ConfigError
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

    def _openai_async(self) -> openai.AsyncOpenAI:
        """`LLMClient`'s per-loop async client, on the aiohttp transport (module docstring)."""
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            client = openai.AsyncOpenAI(
                api_key=self._api_key or "local",
                base_url=self._base_url(),
                timeout=self._timeout(),
                max_retries=0,
                http_client=http_client(self._before, self._after),
            )
            self._async[loop] = client
        return client

    async def aclose(self) -> None:
        """Close this event loop's HTTP client and its connections (before the loop ends)."""
        client = self._async.pop(asyncio.get_running_loop(), None)
        if client is not None:
            await client.close()

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


def http_client(
    before: Callable[[httpx.Request], Awaitable[None]],
    after: Callable[[httpx.Response], Awaitable[None]],
) -> httpx.AsyncClient:
    """An httpx client with the pacing hooks, on aiohttp's transport when it is installed."""
    hooks: dict[str, list[Callable[..., Any]]] = {"request": [before], "response": [after]}
    if AiohttpTransport is None:  # httpx-aiohttp is not installed: httpx's own transport
        return openai.DefaultAsyncHttpxClient(event_hooks=hooks, verify=tls_context())
    # The SDK's defaults (connection limits, timeout, redirects), as DefaultAioHttpClient has.
    return _AioHttpClient(
        event_hooks=hooks,
        transport=_AiohttpTransport(verify=tls_context(), limits=openai.DEFAULT_CONNECTION_LIMITS),
    )


class _TLSContext:
    """The TLS context of the batch's HTTP clients: httpx's default one, built once per batch,
    in a thread started before it is needed.

    Why: building it loads the CA bundle, 20 ms that each worker process paid before its first
    request and that held every first request back. OpenSSL loads the bundle without the GIL,
    so a thread started when the batch starts builds it on the other core while the batch
    reads its inputs and loads the lexicon; the workers, forked after `get` has joined that
    thread, inherit it (as they inherit aiohttp's own default contexts, built at import).
    `get` builds it in place when nothing started it. One context serves every client and
    connection (an `ssl.SSLContext` is meant to be shared); it is httpx's default
    (``httpx.create_ssl_context()``: certifi's CA bundle, or ``SSL_CERT_FILE``/``SSL_CERT_DIR``),
    exactly what each client built for itself before.
    """

    def __init__(self) -> None:
        self._context: ssl.SSLContext | None = None
        self._thread: threading.Thread | None = None
        self._lock = threading.Lock()

    @staticmethod
    def _build() -> ssl.SSLContext:
        try:
            return httpx.create_ssl_context()
        except (OSError, ssl.SSLError) as exc:
            # the one httpx used: SSL_CERT_FILE, else SSL_CERT_DIR, else certifi's bundle
            variable = next(
                (v for v in ("SSL_CERT_FILE", "SSL_CERT_DIR") if os.environ.get(v)), None
            )
            source = f"{variable}={os.environ[variable]}" if variable else "certifi's CA bundle"
            reason = getattr(exc, "strerror", None) or str(exc)
            raise ConfigError(f"cannot load TLS certificates from {source}: {reason}") from exc

    def _build_in_background(self) -> None:
        with contextlib.suppress(Exception):  # `get` builds it again and raises in its caller
            self._context = self._build()

    def start(self) -> None:
        """Begin building it in the background (once)."""
        with self._lock:
            if self._context is None and self._thread is None:
                self._thread = threading.Thread(
                    target=self._build_in_background, name="verisum-tls", daemon=True
                )
                self._thread.start()

    def get(self) -> ssl.SSLContext:
        """The context: waits for the background build, or builds it now (`ConfigError` when
        the certificates cannot be loaded, e.g. ``SSL_CERT_FILE`` names a missing file)."""
        with self._lock:
            if self._thread is not None:
                self._thread.join()
                self._thread = None
            if self._context is None:  # never started, or the thread failed: build it here
                self._context = self._build()
            return self._context


_TLS = _TLSContext()


def start_tls_context() -> None:
    """Begin building the batch clients' TLS context in the background (`_TLSContext`)."""
    _TLS.start()


def tls_context() -> ssl.SSLContext:
    """The batch clients' TLS context (`_TLSContext.get`)."""
    return _TLS.get()


class _SetCookieJar(httpx.Cookies):
    """httpx's cookie jar, without the parse of a response that sets no cookie.

    httpx hands every response to ``http.cookiejar``, which wraps the request and the response
    in urllib look-alikes (the URL parsed again, the headers copied into an email message) only
    to find no ``Set-Cookie`` header: 0.13 ms of CPU per request inside a batch (timed in
    place). Without ``Set-Cookie``/``Set-Cookie2`` that call stores nothing (cookiejar's
    ``make_cookies`` returns no cookie and only notes the time, which it notes afresh before
    every use), so it is skipped; a response that sets cookies (a hosted API's load balancer
    does) is handled exactly as before.
    """

    def extract_cookies(self, response: httpx.Response) -> None:
        headers = response.headers
        if "set-cookie" in headers or "set-cookie2" in headers:
            super().extract_cookies(response)


class _AioHttpClient(openai.DefaultAioHttpClient):
    """`openai.DefaultAioHttpClient` whose cookies are kept in a `_SetCookieJar`."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.cookies = super().cookies

    @property
    def cookies(self) -> httpx.Cookies:
        return self._set_cookie_jar

    @cookies.setter
    def cookies(self, cookies: Any) -> None:  # what httpx.Cookies accepts
        self._set_cookie_jar = _SetCookieJar(cookies)


def _not_a_timeout(exc: httpx.ConnectTimeout) -> bool:
    """httpx-aiohttp 0.2 maps every aiohttp connection error (refused, reset, closed) to
    `httpx.ConnectTimeout`; only those caused by a timeout are one."""
    return exc.__cause__ is not None and not isinstance(exc.__cause__, TimeoutError)


if AiohttpTransport is not None:

    class _AiohttpTransport(AiohttpTransport):
        """httpx-aiohttp's transport, reporting a refused or dropped connection as
        `httpx.ConnectError`/`httpx.ReadError` (so the LLM layer says "connection failed",
        as with httpx's own transport) rather than as a timeout."""

        async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
            try:
                response = await super().handle_async_request(request)
            except httpx.ConnectTimeout as exc:
                if _not_a_timeout(exc):
                    raise httpx.ConnectError(str(exc), request=request) from exc.__cause__
                raise
            response.stream = _Remapped(response.stream, request)
            return response

    class _Remapped(httpx.AsyncByteStream):
        def __init__(self, stream: Any, request: httpx.Request) -> None:
            self._stream = stream
            self._request = request

        async def __aiter__(self) -> AsyncIterator[bytes]:
            try:
                async for chunk in self._stream:
                    yield chunk
            except httpx.ConnectTimeout as exc:
                if _not_a_timeout(exc):
                    raise httpx.ReadError(str(exc), request=self._request) from exc.__cause__
                raise

        async def aclose(self) -> None:
            await self._stream.aclose()


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
