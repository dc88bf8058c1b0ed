"""The one place verisum talks to a model: structured outputs, retries, usage and cache.

Two retry loops, kept apart so they never multiply behind each other's back:

* **transport** (tenacity, around each HTTP request): timeouts, connection errors, 408, 429
  (honouring ``Retry-After``), 5xx and unparseable bodies, with exponential backoff and jitter,
  at most ``max_attempts`` tries and no new try after ``retry_max_time`` seconds. The openai SDK's
  own retries are off (``max_retries=0``). 400/401/403/404 are never retried.
* **validation** (instructor, around the transport loop): an answer that does not fit the schema
  is re-asked with the validation error, at most ``reasks`` times. Only schema failures are
  re-asked; instructor's default of retrying *every* exception (auth errors included) is replaced
  by a tenacity policy that lets anything else through at once. A re-ask carries the failed
  answer and the errors; its error text is capped (`MAX_REASK_ERROR_CHARS`), and one that would
  still overflow the embedded model's context is sent as the original prompt plus a short note
  of the errors instead (a looping 3,000-token answer, re-asked, asked for 20,551 tokens of
  8,192: HTTP 400, the document lost).

When a loop gives up the caller gets `LLMUnavailable` or `LLMOutputInvalid`, naming the model,
the endpoint, the number of tries and the last cause.

Example::

    >>> class Revenue(BaseModel):
    ...     company: str
    ...     revenue: str
    >>> with LLMClient() as llm:                                      # doctest: +SKIP
    ...     llm.structured(Revenue, [{"role": "user", "content": "快手一季度营收294亿元"}],
    ...                    prompt="extract-revenue@1")
    Revenue(company='快手', revenue='294亿元')
"""

from __future__ import annotations

import asyncio
import contextlib
import contextvars
import email.utils
import functools
import hashlib
import json
import logging
import math
import random
import re
import threading
import time
import unicodedata
import urllib.request
import weakref
from collections.abc import Awaitable, Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol, Self, TypeVar, cast

import httpx
import instructor
import openai
from instructor.core.exceptions import IncompleteOutputException, InstructorRetryException
from instructor.processing.function_calls import openai_schema
from openai.types.chat import ChatCompletion
from pydantic import BaseModel, ValidationError
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    Retrying,
    retry_if_exception,
    retry_if_exception_type,
    stop_after_attempt,
    stop_before_delay,
)

from toolkit.cache import Canonical, ResponseCache, cache_key, canonical_json
from toolkit.errors import ConfigError, LLMOutputInvalid, LLMOutputTruncated, LLMUnavailable
from toolkit.local_model import LocalServer, model_alias
from toolkit.settings import Settings, load_settings
from toolkit.usage import Usage

T = TypeVar("T", bound=BaseModel)
AsyncHttpHooks = Mapping[str, Sequence[Callable[[Any], Awaitable[None]]]]
log = logging.getLogger(__name__)

_PROMPT_ID = re.compile(r"^[\w.\-/]+@[\w.\-]+$")
_MODES = {"tools": instructor.Mode.TOOLS, "json_schema": instructor.Mode.JSON_SCHEMA}
_REASKABLE = (ValidationError, json.JSONDecodeError, AssertionError)
# Validation errors passed back in a re-ask: the first ones say what to fix; 400 of them (one
# per item of a runaway list) only fill the context.
MAX_REASK_ERROR_CHARS = 2000
_TRANSIENT_STATUS = {408, 429}


class MalformedResponse(Exception):
    """A 2xx answer whose body is not a chat completion (retried like a 5xx)."""


def _is_transient(exc: BaseException) -> bool:
    """Whether a transport failure is worth another try (never 400/401/403/404)."""
    if isinstance(exc, openai.APIConnectionError | MalformedResponse):  # includes timeouts
        return True
    if isinstance(exc, openai.APIStatusError):
        if exc.status_code == 429 and _error_code(exc) == "insufficient_quota":
            return False  # out of credit: waiting will not help
        return exc.status_code in _TRANSIENT_STATUS or exc.status_code >= 500
    return False


def _error_code(exc: openai.APIStatusError) -> str | None:
    body = exc.body
    if isinstance(body, dict):
        inner = body.get("error", body)
        if isinstance(inner, dict) and isinstance(inner.get("code"), str):
            return str(inner["code"])
    return None


def retry_after_seconds(exc: BaseException | None) -> float | None:
    """The server's requested wait from ``retry-after-ms`` or ``Retry-After`` (seconds or date)."""
    if not isinstance(exc, openai.APIStatusError):
        return None
    return retry_after_from_headers(exc.response.headers)


def retry_after_from_headers(headers: httpx.Headers) -> float | None:
    """`retry_after_seconds` from a response's headers (also used by batch's rate limiter)."""
    with contextlib.suppress(ValueError):
        if (millis := headers.get("retry-after-ms")) is not None:
            return max(float(millis) / 1000, 0.0)
    value = headers.get("retry-after")
    if value is None:
        return None
    with contextlib.suppress(ValueError):
        return max(float(value), 0.0)
    try:  # an HTTP date; anything unreadable is ignored rather than breaking the retry loop
        when = email.utils.parsedate_to_datetime(value)
        return max(when.timestamp() - time.time(), 0.0)
    except (TypeError, ValueError, IndexError, OverflowError):
        return None


@dataclass(frozen=True)
class Backoff:
    """Exponential backoff with jitter that yields to the server's ``Retry-After``.

    Try n waits ``min(maximum, initial * 2**(n-1)) + uniform(0, jitter)`` seconds.
    """

    initial: float
    maximum: float
    jitter: float

    def __call__(self, state: RetryCallState) -> float:
        exc = state.outcome.exception() if state.outcome is not None else None
        asked = retry_after_seconds(exc)
        if asked is not None:
            return asked
        exponential: float = self.initial * 2.0 ** (state.attempt_number - 1)
        return min(self.maximum, exponential) + random.uniform(0, self.jitter)


class StructuredLLM(Protocol):
    """What a pipeline stage needs from a model; `LLMClient` and `toolkit.testing.FakeLLM` fit."""

    model_name: str

    @property
    def endpoint(self) -> str: ...

    @property
    def usage(self) -> Usage: ...

    def structured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T: ...

    async def astructured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T: ...

    def count_tokens(self, text: str) -> int: ...

    def track(self) -> contextlib.AbstractContextManager[UsageMeter]: ...

    def close(self) -> None: ...


@dataclass
class UsageMeter:
    """Usage of the calls made inside one `LLMClient.track` block (e.g. one document)."""

    usage: Usage = field(default_factory=Usage)


class UsageMeters:
    """The `track` blocks open in the current context, kept in a contextvar so that concurrent
    documents under asyncio each meter only their own calls. Shared by every `StructuredLLM`
    implementation (the real client, the fake, the Batch API engine)."""

    def __init__(self, name: str) -> None:
        self._open: contextvars.ContextVar[tuple[UsageMeter, ...]] = contextvars.ContextVar(
            name, default=()
        )

    @contextlib.contextmanager
    def track(self) -> Iterator[UsageMeter]:
        meter = UsageMeter()
        token = self._open.set((*self._open.get(), meter))
        try:
            yield meter
        finally:
            self._open.reset(token)

    def add(self, usage: Usage) -> None:
        """Count ``usage`` in every open block (nested blocks each see the call)."""
        for meter in self._open.get():
            meter.usage = meter.usage + usage


_meters = UsageMeters("verisum_usage_meters")


@dataclass
class _CallState:
    """Per-call bookkeeping shared by the transport wrapper and the caller."""

    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0


# The transport wrapper runs inside instructor, which owns the call's kwargs; the per-call
# counters travel beside them in a context variable (asyncio tasks each get their own).
_call_state: contextvars.ContextVar[_CallState | None] = contextvars.ContextVar(
    "verisum_call_state", default=None
)


class LLMClient:
    """A structured-output client for an OpenAI-compatible endpoint or the embedded model.

    ``model_name`` and ``endpoint`` are safe to print (no secrets). For the local backend the
    server starts on first use (a fully cached run never starts it) and `close` stops it.
    """

    def __init__(
        self,
        settings: Settings | None = None,
        *,
        use_cache: bool = True,
        async_http_hooks: AsyncHttpHooks | None = None,
    ) -> None:
        """``async_http_hooks``: httpx event hooks (``{"request": [...], "response": [...]}``,
        coroutine functions) for the async client; they see every HTTP attempt, transport
        retries included, so a rate limiter can pace requests and read each 429's Retry-After.
        """
        self.settings = settings if settings is not None else load_settings()
        self._async_http_hooks = async_http_hooks
        self.backend = self.settings.resolved_backend
        self.use_cache = use_cache and not self.settings.no_cache
        self._server: LocalServer | None = None
        self._server_lock = threading.Lock()
        self._usage_lock = threading.Lock()
        self._usage = Usage()
        self._cache: ResponseCache | None = None
        self._sync: openai.OpenAI | None = None
        self._async: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, openai.AsyncOpenAI] = (
            weakref.WeakKeyDictionary()
        )
        self._semaphores: weakref.WeakKeyDictionary[
            asyncio.AbstractEventLoop, asyncio.Semaphore
        ] = weakref.WeakKeyDictionary()
        self._api_key: str | None = None
        self._token_counts: dict[str, int] = {}
        if self.backend == "local":
            self.model_name = model_alias(self.settings)
            self.mode = instructor.Mode.TOOLS  # llama.cpp's json_schema response_format -> 500
        else:
            self.model_name = self.settings.resolved_model
            self.mode = _MODES[self.settings.mode]
            key = self.settings.openai_api_key
            if key is None and self.settings.openai_base_url is None:
                raise ConfigError(
                    "no API key for the openai backend: set OPENAI_API_KEY (or OPENAI_BASE_URL "
                    "for a server that needs none, or VERISUM_BACKEND=local for the embedded model)"
                )
            # Self-hosted servers (vLLM, Ollama) ignore the key but the SDK requires one.
            self._api_key = key.get_secret_value() if key is not None else "not-needed"

    # ----------------------------------------------------------------- public API

    @property
    def endpoint(self) -> str:
        """The base URL requests go to (no credentials in it)."""
        if self.backend == "local":
            if self._server is not None and self._server.running():
                return self._server.base_url
            return "embedded llama.cpp server (not started)"
        return self.settings.endpoint

    @property
    def usage(self) -> Usage:
        """Running totals for this client; immutable, so keep one as a snapshot and subtract."""
        with self._usage_lock:
            return self._usage

    def track(self) -> contextlib.AbstractContextManager[UsageMeter]:
        """Meter the calls made in this block, also under asyncio concurrency (contextvars).

        >>> with llm.track() as meter:                                   # doctest: +SKIP
        ...     summarize(doc, llm)
        >>> meter.usage.prompt_tokens                                    # doctest: +SKIP
        2210
        """
        return _meters.track()

    def structured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T:
        """Ask for one ``response_model`` instance; cached, retried, metered.

        ``prompt`` is the prompt's ``id@version`` (part of the cache key and of error messages).
        """
        key, cached = self._lookup(response_model, messages, prompt, temperature, max_tokens)
        if cached is not None:
            return cached
        create = self._instructor_sync()
        state = _CallState()
        token = _call_state.set(state)
        started = time.monotonic()
        try:
            result = create(
                response_model=_for_instructor(response_model),
                messages=messages,
                model=self.model_name,
                temperature=temperature,
                max_retries=self._reask_policy(Retrying),
                strict=False,
                **({"max_tokens": max_tokens} if max_tokens is not None else {}),
            )
        except InstructorRetryException as exc:
            self._spent(state)
            raise self._output_invalid(response_model, prompt, exc) from exc
        except IncompleteOutputException as exc:
            self._spent(state)
            raise self._truncated(response_model, prompt, max_tokens, exc) from exc
        finally:
            _call_state.reset(token)
        return self._finish(key, _exact(response_model, result), prompt, state, started)

    async def astructured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T:
        """`structured` for asyncio; at most ``concurrency`` requests are in flight at once."""
        key, cached = self._lookup(response_model, messages, prompt, temperature, max_tokens)
        if cached is not None:
            return cached
        if self.backend == "local":
            await asyncio.to_thread(self._ensure_server)
        async with self._semaphore():
            create = self._instructor_async()
            state = _CallState()
            token = _call_state.set(state)
            started = time.monotonic()
            try:
                result = await create(
                    response_model=_for_instructor(response_model),
                    messages=messages,
                    model=self.model_name,
                    temperature=temperature,
                    max_retries=self._reask_policy(AsyncRetrying),
                    strict=False,
                    **({"max_tokens": max_tokens} if max_tokens is not None else {}),
                )
            except InstructorRetryException as exc:
                self._spent(state)
                raise self._output_invalid(response_model, prompt, exc) from exc
            except IncompleteOutputException as exc:
                self._spent(state)
                raise self._truncated(response_model, prompt, max_tokens, exc) from exc
            finally:
                _call_state.reset(token)
        return self._finish(key, _exact(response_model, result), prompt, state, started)

    def count_tokens(self, text: str) -> int:
        """Tokens ``text`` takes in this model's context.

        Local backend: the exact count from the llama.cpp server's tokenizer
        (``/extras/tokenize/count``), remembered in memory and in the cache, so a re-run answered
        from the cache does not start the server just to count. Hosted backends expose no
        tokenize endpoint and OpenAI's tiktoken downloads its vocabulary at run time (not possible
        offline, and wrong for DeepSeek/Qwen anyway), so they use `estimate_tokens`, which errs
        high.
        """
        if self.backend != "local":
            return estimate_tokens(text)
        key = hashlib.sha256(f"{self.model_name}\0{text}".encode()).hexdigest()
        count = self._token_counts.get(key)
        if count is None and self.use_cache:
            count = self._response_cache().get_count(key)
        if count is None:
            count = self._tokenize(text)
            if self.use_cache:
                self._response_cache().put_count(key, count)
        self._token_counts[key] = count
        return count

    def _tokenize(self, text: str) -> int:
        """Ask the embedded server's tokenizer (starting the server if needed)."""
        server = self._ensure_server()
        request = urllib.request.Request(
            f"{server.root_url}/extras/tokenize/count",
            data=json.dumps({"input": text}).encode("utf-8"),
            headers={"Content-Type": "application/json"},
            method="POST",
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.request_timeout) as resp:
                return int(json.load(resp)["count"])
        except (OSError, ValueError, KeyError) as exc:
            raise LLMUnavailable(
                f"model {self.model_name} at {self.endpoint}: tokenize failed: {exc}"
            ) from exc

    def close(self) -> None:
        """Release connections and the cache, and stop an embedded server this client started."""
        if self._sync is not None:
            self._sync.close()
            self._sync = None
        self._async.clear()
        if self._cache is not None:
            self._cache.close()
            self._cache = None
        if self._server is not None:
            self._server.stop()
            self._server = None

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    # ----------------------------------------------------------------- cache and usage

    def _lookup(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        prompt: str,
        temperature: float,
        max_tokens: int | None,
    ) -> tuple[str | None, T | None]:
        if not _PROMPT_ID.match(prompt):
            raise ValueError(f"prompt must be 'id@version', got {prompt!r}")
        if not self.use_cache:
            return None, None
        key = cache_key(
            model=self.model_name,
            messages=messages,
            schema=_canonical_schema(response_model),
            params={
                "temperature": temperature,
                "max_tokens": max_tokens,
                "mode": self.mode.value,
            },
            prompt=prompt,
        )
        raw = self._response_cache().get(key)
        if raw is None:
            return key, None
        try:
            value = response_model.model_validate_json(raw)
        except ValidationError:
            return key, None  # validators changed since it was stored: ask again
        self._record(Usage.cached())
        log.debug("cache hit: %s %s", self.model_name, prompt)
        return key, value

    def _response_cache(self) -> ResponseCache:
        if self._cache is None:
            self._cache = ResponseCache(self.settings.cache_dir)
        return self._cache

    def _spent(self, state: _CallState) -> None:
        """Record what a call's requests used, whether or not it ended in a usable answer (a
        failed call's tokens are paid for too)."""
        usage = Usage.of_call(
            self.model_name,
            self.backend,
            prompt_tokens=state.prompt_tokens,
            completion_tokens=state.completion_tokens,
            requests=state.requests,
        )
        self._record(usage)

    def _finish(self, key: str | None, result: T, prompt: str, state: _CallState, t0: float) -> T:
        self._spent(state)
        log.debug(
            "%s %s: %d requests, %d+%d tokens, %.1f s",
            self.model_name,
            prompt,
            state.requests,
            state.prompt_tokens,
            state.completion_tokens,
            time.monotonic() - t0,
        )
        if key is not None:
            self._response_cache().put(
                key, result.model_dump_json(), prompt=prompt, model=self.model_name
            )
        return result

    def _record(self, usage: Usage) -> None:
        with self._usage_lock:
            self._usage = self._usage + usage
            _meters.add(usage)

    # ----------------------------------------------------------------- transport

    def _ensure_server(self) -> LocalServer:
        with self._server_lock:
            if self._server is None or not self._server.running():
                self._server = LocalServer(self.settings).start()
                log.info(
                    "embedded model %s on %s (started in %.1f s)",
                    self.model_name,
                    self._server.base_url,
                    self._server.startup_seconds or 0.0,
                )
            return self._server

    def _base_url(self) -> str:
        if self.backend == "local":
            return self._ensure_server().base_url
        return self.settings.endpoint

    def _timeout(self) -> openai.Timeout:
        return openai.Timeout(self.settings.request_timeout, connect=self.settings.connect_timeout)

    def _openai_sync(self) -> openai.OpenAI:
        if self._sync is None:
            self._sync = openai.OpenAI(
                api_key=self._api_key or "local",
                base_url=self._base_url(),
                timeout=self._timeout(),
                max_retries=0,
            )
        return self._sync

    def _openai_async(self) -> openai.AsyncOpenAI:
        loop = asyncio.get_running_loop()
        client = self._async.get(loop)
        if client is None:
            http = None
            if self._async_http_hooks:
                http = openai.DefaultAsyncHttpxClient(
                    event_hooks={k: list(v) for k, v in self._async_http_hooks.items()}
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

    def _semaphore(self) -> asyncio.Semaphore:
        loop = asyncio.get_running_loop()
        semaphore = self._semaphores.get(loop)
        if semaphore is None:
            semaphore = asyncio.Semaphore(self.settings.concurrency)
            self._semaphores[loop] = semaphore
        return semaphore

    def _transport_policy(self, retrying: type[Retrying] | type[AsyncRetrying]) -> Any:
        s = self.settings
        return retrying(
            stop=stop_after_attempt(s.max_attempts) | stop_before_delay(s.retry_max_time),
            wait=Backoff(s.backoff_initial, s.backoff_max, s.backoff_jitter),
            retry=retry_if_exception(_is_transient),
            reraise=True,
        )

    def _reask_policy(self, retrying: type[Retrying] | type[AsyncRetrying]) -> Any:
        return retrying(
            stop=stop_after_attempt(self.settings.reasks + 1),
            retry=retry_if_exception_type(_REASKABLE),
        )

    def _instructor_sync(self) -> Callable[..., Any]:
        client = self._openai_sync()

        def create(**kwargs: Any) -> ChatCompletion:
            tries = 0
            started = time.monotonic()
            kwargs = self._fitted(kwargs, self.count_tokens)
            try:
                for attempt in self._transport_policy(Retrying):
                    with attempt:
                        tries += 1
                        try:
                            raw: object = _send_chat(client, kwargs)
                        except json.JSONDecodeError as exc:
                            raise MalformedResponse(f"body is not JSON ({exc.msg})") from exc
                        response = _checked(raw)
                        _flag_truncation(response, kwargs.get("max_tokens"))
            except (openai.OpenAIError, MalformedResponse) as exc:
                raise self._unavailable(exc, tries, started) from exc
            _count(response)
            return response

        return cast(Callable[..., Any], instructor.patch(create=create, mode=self.mode))

    def _instructor_async(self) -> Callable[..., Awaitable[Any]]:
        client = self._openai_async()

        async def create(**kwargs: Any) -> ChatCompletion:
            tries = 0
            started = time.monotonic()
            if _reasked(kwargs["messages"]) is not None:
                kwargs = await asyncio.to_thread(self._fitted, kwargs, self.count_tokens)
            try:
                async for attempt in self._transport_policy(AsyncRetrying):
                    with attempt:
                        tries += 1
                        try:
                            raw: object = await _send_chat(client, kwargs)
                        except json.JSONDecodeError as exc:
                            raise MalformedResponse(f"body is not JSON ({exc.msg})") from exc
                        response = _checked(raw)
                        _flag_truncation(response, kwargs.get("max_tokens"))
            except (openai.OpenAIError, MalformedResponse) as exc:
                raise self._unavailable(exc, tries, started) from exc
            _count(response)
            return response

        return cast(Callable[..., Awaitable[Any]], instructor.patch(create=create, mode=self.mode))

    def _fitted(self, kwargs: dict[str, Any], count: Callable[[str], int]) -> dict[str, Any]:
        """``kwargs`` to send: a re-ask with its error text capped, and, when that still cannot
        fit the embedded model's context, the original prompt plus a note of the errors.

        instructor extends the caller's message list in place on every re-ask, so this builds a
        new list and leaves that one alone.
        """
        messages: list[dict[str, Any]] = kwargs["messages"]
        first = _reasked(messages)
        if first is None:
            return kwargs
        capped = [_capped(m) if i > first else m for i, m in enumerate(messages)]
        fitted = {**kwargs, "messages": capped}
        if self.backend != "local":
            return fitted  # a hosted model's context is not known here; its limits are large
        needed = sum(count(_message_text(m)) + 8 for m in capped) + kwargs.get("max_tokens", 0)
        if needed <= self.settings.local_n_ctx:
            return fitted
        errors = next(
            (_message_text(m) for m in reversed(capped) if m.get("role") in ("tool", "user")), ""
        )
        note = {
            "role": "user",
            "content": (
                "Your previous answer could not be used and was too long to show again.\n"
                f"{errors}\nAnswer again, shorter: keep every list within its limit and do not "
                "repeat items."
            ),
        }
        log.warning(
            "re-ask of %s tokens cannot fit the %s-token context: asking again with the original "
            "prompt and the errors",
            needed,
            self.settings.local_n_ctx,
        )
        return {**kwargs, "messages": [*messages[:first], note]}

    # ----------------------------------------------------------------- errors

    def _where(self) -> str:
        return f"model {self.model_name} at {self.endpoint}"

    def _scrub(self, text: str) -> str:
        if self._api_key and len(self._api_key) > 8:
            text = text.replace(self._api_key, self.settings.masked_key())
        return text

    def _unavailable(self, exc: Exception, tries: int, started: float) -> LLMUnavailable:
        elapsed = time.monotonic() - started
        plural = "try" if tries == 1 else "tries"
        cause = self._scrub(_describe(exc))
        if isinstance(exc, openai.AuthenticationError):
            hint = "the API key was rejected: set OPENAI_API_KEY to a valid key for this endpoint"
        elif isinstance(exc, openai.PermissionDeniedError):
            hint = "the API key may not use this model: check OPENAI_API_KEY and VERISUM_MODEL"
        elif isinstance(exc, openai.NotFoundError):
            hint = "no such model or path: check VERISUM_MODEL and OPENAI_BASE_URL"
        elif _is_transient(exc):
            hint = (
                f"gave up (VERISUM_MAX_ATTEMPTS={self.settings.max_attempts}, "
                f"VERISUM_RETRY_MAX_TIME={self.settings.retry_max_time:g} s)"
            )
            asked = retry_after_seconds(exc)
            if asked is not None:
                hint += f"; the server asked to wait {asked:.0f} s (Retry-After)"
        else:
            hint = "the request was refused and was not retried"
        return LLMUnavailable(
            f"{self._where()}: {hint}; {tries} {plural} in {elapsed:.1f} s; last error: {cause}"
        )

    def _output_invalid(
        self, response_model: type[BaseModel], prompt: str, exc: InstructorRetryException
    ) -> LLMOutputInvalid:
        last: BaseException | None = None
        if exc.failed_attempts:
            last = exc.failed_attempts[-1].exception
        cause = _describe(last) if last is not None else str(exc)
        return LLMOutputInvalid(
            f"{self._where()}: the answer to {prompt} did not fit {response_model.__name__} "
            f"after {exc.n_attempts} tries (VERISUM_REASKS={self.settings.reasks}); "
            f"last error: {cause}"
        )

    def _truncated(
        self,
        response_model: type[BaseModel],
        prompt: str,
        max_tokens: int | None,
        exc: IncompleteOutputException,
    ) -> LLMOutputTruncated:
        return LLMOutputTruncated(
            f"{self._where()}: the answer to {prompt} ({response_model.__name__}) was cut off at "
            f"max_tokens={max_tokens} (or the context size); raise max_tokens or shorten the input",
            partial=_answer_text(exc.last_completion),
        )


def _reasked(messages: Sequence[Mapping[str, Any]]) -> int | None:
    """Index of the first answer the model gave (a re-ask follows it), or None for a first ask."""
    return next((i for i, m in enumerate(messages) if m.get("role") == "assistant"), None)


def _capped(message: Mapping[str, Any]) -> Mapping[str, Any]:
    content = message.get("content")
    if message.get("role") == "assistant" or not isinstance(content, str):
        return message
    if len(content) <= MAX_REASK_ERROR_CHARS:
        return message
    cut = len(content) - MAX_REASK_ERROR_CHARS
    return {**message, "content": f"{content[:MAX_REASK_ERROR_CHARS]}… ({cut} more characters)"}


def _message_text(message: Mapping[str, Any]) -> str:
    """What of a message takes room in the context: its text and its tool calls' arguments."""
    parts = [message.get("content") or ""]
    for call in message.get("tool_calls") or []:
        function = call.get("function") or {}
        parts.append(str(function.get("name", "")) + str(function.get("arguments", "")))
    return "\n".join(p if isinstance(p, str) else json.dumps(p) for p in parts)


@functools.lru_cache(maxsize=256)
def schema_of(response_model: type[BaseModel]) -> dict[str, Any]:
    """The model's JSON schema, generated once per class (pydantic regenerates it on every
    ``model_json_schema()`` call: ~0.7 ms for `DraftSummary`). Shared: do not mutate it."""
    return response_model.model_json_schema()


@functools.lru_cache(maxsize=256)
def _canonical_schema(response_model: type[BaseModel]) -> Canonical:
    """`schema_of` as the cache key encodes it, once per class (re-encoding the sample's
    `DraftSummary` schema cost 0.09 ms a request)."""
    return Canonical(canonical_json(schema_of(response_model)))


@functools.lru_cache(maxsize=256)
def _for_instructor(response_model: type[BaseModel]) -> type[BaseModel]:
    """The model wrapped as instructor's `OpenAISchema`, once per class.

    Given a plain pydantic model, instructor wraps it in a *new* class on every request
    (`create_model` plus a fresh tool schema, its schema cache missing every time): 3.6 ms of
    CPU per request, measured on the sample's `DraftSummary`; already wrapped, 0.1 ms. The
    request sent is the same; `_exact` still turns the answer into ``response_model`` itself.
    """
    return cast(type[BaseModel], openai_schema(response_model))


def _exact(response_model: type[T], result: object) -> T:
    """The answer as ``response_model`` itself (instructor returns a subclass it made)."""
    if type(result) is response_model:
        return result
    if not isinstance(result, BaseModel):
        raise TypeError(f"instructor returned {type(result).__name__}, not a pydantic model")
    return response_model.model_validate(dict(result))


# The body parameters verisum sends (instructor's tools and json_schema modes), in the order the
# SDK's ``chat.completions.create`` writes them into the request body: messages, model, then the
# rest alphabetically (a test checks this order against the SDK's).
_BODY_ORDER = (
    "messages",
    "model",
    "max_tokens",
    "response_format",
    "temperature",
    "tool_choice",
    "tools",
    "top_p",
)
_BODY_PARAMS = frozenset(_BODY_ORDER)
_PLAIN_JSON = (dict, list, str, int, float, bool, type(None))
_CHAT_PATH = "/chat/completions"


def _chat_body(kwargs: dict[str, Any]) -> dict[str, Any] | None:
    """The JSON body ``chat.completions.create(**kwargs)`` would send, to hand to the client's
    ``post`` (what ``create`` itself calls); None when only ``create`` can build it.

    Why not ``create``: it walks every parameter against its TypedDicts (renaming aliased keys,
    formatting dates, dumping pydantic objects) — on the sample's `DraftSummary` request ~1 ms of
    CPU, for plain JSON values that walk leaves as they are (chat parameters have no aliases or
    formats) — and the first ``client.chat`` imports all of the SDK's resources (assistants,
    realtime, evals, fine-tuning…): 0.1-0.15 s at the start of every process that calls a model.
    ``post`` with ``cast_to=ChatCompletion`` is the SDK's documented way to send a body of one's
    own (its README, "Undocumented endpoints"): the same client options, headers and response
    parsing. The body has ``create``'s key order — messages, model, then the rest in
    `_BODY_ORDER` — so the bytes sent are the same (tested against ``create``). Anything else (a
    parameter not listed, an object that is not plain JSON, a caller's ``extra_body``) goes
    through ``create``, which places, dumps or refuses it itself.
    """
    if (
        "model" not in kwargs
        or not isinstance(kwargs.get("messages"), list)
        or not isinstance(kwargs.get("tools", []), list)
        or not kwargs.keys() <= _BODY_PARAMS
        or not all(type(value) in _PLAIN_JSON for value in kwargs.values())
    ):
        return None
    return {name: kwargs[name] for name in _BODY_ORDER if name in kwargs}


def _send_chat(client: openai.OpenAI | openai.AsyncOpenAI, kwargs: dict[str, Any]) -> Any:
    """One chat request: ``post`` of `_chat_body` when it has one, else ``create`` (the result,
    or for the async client the awaitable)."""
    body = _chat_body(kwargs)
    if body is None:
        return client.chat.completions.create(**kwargs)
    return client.post(_CHAT_PATH, body=body, cast_to=ChatCompletion)


def _checked(response: object) -> ChatCompletion:
    """A real chat completion, or `MalformedResponse` (HTML error pages, empty choices...)."""
    if not isinstance(response, ChatCompletion) or not response.choices:
        preview = str(response)[:200] if not isinstance(response, ChatCompletion) else "no choices"
        raise MalformedResponse(f"not a chat completion: {preview!r}")
    return response


def _flag_truncation(response: ChatCompletion, max_tokens: int | None) -> None:
    """Mark an answer that used up ``max_tokens`` without finishing as cut off (``"length"``).

    llama.cpp's server reports a tool call cut off at ``max_tokens`` as ``finish_reason
    "tool_calls"``, so instructor took the broken JSON for a validation error and re-asked, and
    the 1.5B model, asked again at temperature 0, ran into the limit again: on ECTSum
    RES_q4_2019 three ~10-minute calls, then a failure. Marked, instructor raises
    `IncompleteOutputException` after the first, and the caller decides (see
    `toolkit.pipeline`: it asks once more with every text capped).
    """
    choice = response.choices[0]
    usage = response.usage
    if max_tokens is None or usage is None or choice.finish_reason == "length":
        return
    if usage.completion_tokens < max_tokens:
        return
    try:
        json.loads(_answer_text(response) or "")
    except json.JSONDecodeError:
        choice.finish_reason = "length"


def _answer_text(completion: object) -> str | None:
    """The text the model wrote: its tool call's arguments, else the message content."""
    if not isinstance(completion, ChatCompletion) or not completion.choices:
        return None
    message = completion.choices[0].message
    for call in message.tool_calls or []:
        if call.type == "function":
            return call.function.arguments
    return message.content


def _count(response: ChatCompletion) -> None:
    state = _call_state.get()
    if state is None:
        return
    state.requests += 1
    if response.usage is not None:
        state.prompt_tokens += response.usage.prompt_tokens
        state.completion_tokens += response.usage.completion_tokens


def _describe(exc: BaseException) -> str:
    """A short one-line cause: HTTP status and server message, or the exception text."""
    if isinstance(exc, openai.APIStatusError):
        body = exc.body
        detail = exc.message
        if isinstance(body, dict):
            inner = body.get("error", body)
            if isinstance(inner, dict) and inner.get("message"):
                detail = str(inner["message"])
        return f"HTTP {exc.status_code}: {' '.join(detail.split())}"[:500]
    if isinstance(exc, openai.APITimeoutError):
        return "request timed out"
    if isinstance(exc, openai.APIConnectionError):
        inner = exc.__cause__
        return f"connection failed ({type(inner).__name__ if inner else 'no detail'})"
    if isinstance(exc, json.JSONDecodeError):
        return f"response body is not JSON ({exc.msg})"
    if isinstance(exc, ValidationError):
        first = exc.errors()[0]
        loc = ".".join(str(p) for p in first["loc"])
        return f"{exc.error_count()} validation error(s), first: {loc}: {first['msg']}"
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text}"[:500]


def estimate_tokens(text: str) -> int:
    """A deliberately high token estimate for hosted models: 1 per CJK character, 1 per 3 others.

    On the sample transcript (3005 characters) this gives 2764 where Qwen2.5's tokenizer counts
    1792; tokenizers of current hosted models (o200k, DeepSeek, Qwen) are also under one token
    per Chinese character, so budgets computed with it stay on the safe side.

    >>> estimate_tokens("营收294亿元")
    5
    """
    if text.isascii():  # JSON schemas and English prompts: no wide characters to look up
        return math.ceil(len(text) / 3)
    # Most characters are CJK ideographs, kana, hangul, fullwidth punctuation (all wide) or
    # ASCII (never wide): only the few others are looked up one by one. They are found by one
    # regex scan in C, and the surely-wide ones counted as the non-ASCII characters that are
    # not among them (the ASCII encoder drops the rest), with no copy of the text built.
    rest = _NEITHER_WIDE_NOR_ASCII.findall(text)
    wide = len(text) - len(text.encode("ascii", "ignore")) - len(rest)
    wide += sum(map(_WIDE.__contains__, map(unicodedata.east_asian_width, rest)))
    return wide + math.ceil((len(text) - wide) / 3)


_WIDE = frozenset({"W", "F"})
# Blocks whose every code point has East Asian Width W or F (a test checks it against
# unicodedata): CJK punctuation, kana, CJK ideographs (extension A and unified), hangul
# syllables, fullwidth forms.
_WIDE_BLOCKS = (
    r"\u3000-\u303e\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7a3"
    r"\uff01-\uff60\uffe0-\uffe6"
)
_NEITHER_WIDE_NOR_ASCII = re.compile(f"[^\\x00-\\x7f{_WIDE_BLOCKS}]")
