"""`FakeLLM`: a stand-in for `LLMClient` that answers from a queue, for tests without HTTP.

Queue pydantic objects (or callables that build one from the request, or exceptions to raise);
each `structured` call pops the next one and records what it was sent, so a test can check both
the rendered prompt and how a stage handles the answer (like simonw/llm's ``MockModel``).

Example::

    >>> class Revenue(BaseModel):
    ...     amount: str
    >>> llm = FakeLLM([Revenue(amount="294亿元")])
    >>> llm.structured(Revenue, [{"role": "user", "content": "营收多少？"}], prompt="rev@1")
    Revenue(amount='294亿元')
    >>> llm.calls[0].messages[0]["content"]
    '营收多少？'
"""

from __future__ import annotations

import contextlib
import json
from collections import deque
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from types import TracebackType
from typing import TYPE_CHECKING, Self, TypeVar

from pydantic import BaseModel

from toolkit.llm import LLMClient, StructuredLLM, UsageMeter, UsageMeters, estimate_tokens
from toolkit.usage import Usage

T = TypeVar("T", bound=BaseModel)

Responder = Callable[[type[BaseModel], list[dict[str, str]]], BaseModel]
Queued = BaseModel | Responder | BaseException


@dataclass(frozen=True)
class FakeCall:
    """One request `FakeLLM` received."""

    response_model: type[BaseModel]
    messages: list[dict[str, str]]
    prompt: str
    temperature: float
    max_tokens: int | None


_meters = UsageMeters("verisum_fake_meters")


class FakeLLM:
    """Answers `structured` calls from a queue; tokens are estimated so usage is not all zeros."""

    def __init__(self, responses: Iterable[Queued] = (), *, model_name: str = "fake") -> None:
        self.model_name = model_name
        self.calls: list[FakeCall] = []
        self.closed = False
        self._queue: deque[Queued] = deque(responses)
        self._usage = Usage()

    @property
    def endpoint(self) -> str:
        return "fake://"

    @property
    def usage(self) -> Usage:
        return self._usage

    @property
    def pending(self) -> int:
        """Queued answers not used yet (a test can assert it ends at 0)."""
        return len(self._queue)

    def queue(self, *responses: Queued) -> None:
        """Add answers to the end of the queue."""
        self._queue.extend(responses)

    def track(self) -> contextlib.AbstractContextManager[UsageMeter]:
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
        self.calls.append(
            FakeCall(response_model, [dict(m) for m in messages], prompt, temperature, max_tokens)
        )
        if not self._queue:
            raise LookupError(
                f"FakeLLM has no answer queued for call {len(self.calls)} ({prompt}, "
                f"{response_model.__name__})"
            )
        item = self._queue.popleft()
        if isinstance(item, BaseException):
            raise item
        answer = item if isinstance(item, BaseModel) else item(response_model, messages)
        if not isinstance(answer, response_model):
            raise TypeError(
                f"FakeLLM answer for {prompt} is a {type(answer).__name__}, "
                f"the caller asked for {response_model.__name__}"
            )
        sent = sum(estimate_tokens(m.get("content", "")) for m in messages)
        used = Usage.of_call(
            self.model_name,
            "local",
            prompt_tokens=sent,
            completion_tokens=estimate_tokens(json.dumps(answer.model_dump(mode="json"))),
        )
        self._usage = self._usage + used
        _meters.add(used)
        return answer

    async def astructured(
        self,
        response_model: type[T],
        messages: list[dict[str, str]],
        *,
        prompt: str,
        temperature: float = 0.0,
        max_tokens: int | None = None,
    ) -> T:
        return self.structured(
            response_model, messages, prompt=prompt, temperature=temperature, max_tokens=max_tokens
        )

    def count_tokens(self, text: str) -> int:
        return estimate_tokens(text)

    def close(self) -> None:
        self.closed = True

    def __enter__(self) -> Self:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


if TYPE_CHECKING:  # mypy proves both clients fit the protocol pipeline stages are typed with

    def _both_fit(fake: FakeLLM, real: LLMClient) -> tuple[StructuredLLM, StructuredLLM]:
        return fake, real
