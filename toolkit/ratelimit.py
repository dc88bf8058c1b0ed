"""Pacing requests to an endpoint: requests/minute and tokens/minute limits that adapt to 429s.

Hosted APIs meter requests and tokens per minute and answer 429 beyond them. Concurrency alone
does not respect such a limit (32 fast requests a second can exceed 1,000 RPM), and retrying
each 429 on its own makes every in-flight request hammer the endpoint at once. So every HTTP
attempt of a batch first takes a slot from one shared `AdaptiveLimiter`:

* **rpm / tpm** (optional): requests are spaced ``60/rpm`` seconds apart, and a request of ``n``
  estimated tokens holds the token lane for ``60·n/tpm`` seconds (a leaky bucket per lane);
* **429**: the limiter pauses everyone for the server's ``Retry-After`` (capped), and halves the
  request rate (from the configured rpm, or, when none was given, from the rate actually seen
  over the last minute), at most once per second, never below ``min_rpm``;
* **recovery**: every ``recover_after`` successes without a 429 raise the rate by a quarter,
  up to the configured rpm (or back to unlimited when none was configured).

The limiter never refuses: it only delays, and its delays are bounded (pause ≤ ``max_pause``,
spacing ≤ ``60/min_rpm``), so a batch against an endpoint that only answers 429 still ends when
the client's own retry budget runs out.

Example::

    >>> limiter = AdaptiveLimiter(rpm=600)
    >>> await limiter.acquire(tokens=1200)                              # doctest: +SKIP
    >>> limiter.on_rate_limited(retry_after=2.0)                        # a 429 arrived
    >>> limiter.rpm
    300.0
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

Clock = Callable[[], float]
Sleep = Callable[[float], Awaitable[None]]


@dataclass(frozen=True)
class LimiterStats:
    """What the limiter did, for run.json and the progress line."""

    requests: int
    rate_limited: int
    waited_seconds: float
    rpm: float | None
    tpm: float | None


class AdaptiveLimiter:
    """Shared by all requests of one batch; see the module docstring."""

    def __init__(
        self,
        *,
        rpm: float | None = None,
        tpm: float | None = None,
        min_rpm: float = 6.0,
        max_pause: float = 60.0,
        recover_after: int = 20,
        clock: Clock = time.monotonic,
        sleep: Sleep = asyncio.sleep,
    ) -> None:
        if (rpm is not None and rpm <= 0) or (tpm is not None and tpm <= 0):
            raise ValueError("rpm and tpm must be positive")
        self.ceiling_rpm = rpm
        self.ceiling_tpm = tpm
        self.rpm = rpm
        self.tpm = tpm
        self.min_rpm = min_rpm
        self.max_pause = max_pause
        self.recover_after = recover_after
        self._clock = clock
        self._sleep = sleep
        self._next_request = 0.0
        self._next_token = 0.0
        self._paused_until = 0.0
        self._last_cut = -1e9
        self._streak = 0
        self._recent: deque[float] = deque()
        self.requests = 0
        self.rate_limited = 0
        self.waited = 0.0

    # ------------------------------------------------------------------ the request side

    async def acquire(self, tokens: int = 0) -> None:
        """Wait until a request of about ``tokens`` tokens may be sent, and book it."""
        now = self._clock()
        start = max(now, self._paused_until)
        if self.rpm is not None:
            start = max(start, self._next_request)
            self._next_request = start + 60.0 / self.rpm
        if self.tpm is not None and tokens > 0:
            start = max(start, self._next_token)
            self._next_token = start + 60.0 * tokens / self.tpm
        self.requests += 1
        self._recent.append(start)
        # Only the last minute is ever read (`_observed_rpm`): without a 429 nothing else would
        # trim it, and a batch's limiter would keep one timestamp per request (~3 MB per 100,000).
        self._forget_before(start - 60.0)
        wait = start - now
        if wait > 0:
            self.waited += wait
            await self._sleep(wait)

    # ------------------------------------------------------------------ what came back

    def on_success(self) -> None:
        """A request was answered (not 429): after a streak, allow a faster rate again."""
        self._streak += 1
        if self._streak < self.recover_after or self.rpm is None:
            return
        self._streak = 0
        faster = self.rpm * 1.25
        if self.ceiling_rpm is None and faster >= self._observed_rpm() * 2:
            self.rpm = None  # no configured limit and we are far above what we send: unlimit
        else:
            self.rpm = min(faster, self.ceiling_rpm) if self.ceiling_rpm else faster
        if self.tpm is not None and self.ceiling_tpm is not None:
            self.tpm = min(self.tpm * 1.25, self.ceiling_tpm)

    def on_rate_limited(self, retry_after: float | None = None) -> None:
        """A 429 arrived: pause everyone and (once per second at most) halve the rate."""
        self.rate_limited += 1
        self._slow_down(retry_after)

    def relayed_rate_limit(self, retry_after: float | None = None) -> None:
        """Another process sharing the budget got a 429 (`toolkit.batch_workers`): pause and
        slow down the same way, without counting it as this limiter's own."""
        self._slow_down(retry_after)

    def _slow_down(self, retry_after: float | None) -> None:
        now = self._clock()
        self._streak = 0
        pause = min(self.max_pause, retry_after if retry_after is not None else 1.0)
        self._paused_until = max(self._paused_until, now + pause)
        if now - self._last_cut < 1.0:
            return  # the other in-flight requests of the same burst: one cut is enough
        self._last_cut = now
        current = self.rpm if self.rpm is not None else self._observed_rpm()
        self.rpm = max(self.min_rpm, current / 2)
        if self.tpm is not None:
            self.tpm = max(1.0, self.tpm / 2)

    def stats(self) -> LimiterStats:
        return LimiterStats(
            requests=self.requests,
            rate_limited=self.rate_limited,
            waited_seconds=round(self.waited, 3),
            rpm=None if self.rpm is None else round(self.rpm, 2),
            tpm=None if self.tpm is None else round(self.tpm, 2),
        )

    # ------------------------------------------------------------------ helpers

    def _observed_rpm(self) -> float:
        """Requests booked over the last minute, per minute (at least ``min_rpm``)."""
        now = self._clock()
        self._forget_before(now - 60.0)
        if not self._recent:
            return self.min_rpm
        span = max(now - self._recent[0], 1.0)
        return max(self.min_rpm, len(self._recent) * 60.0 / span)

    def _forget_before(self, moment: float) -> None:
        while self._recent and self._recent[0] < moment:
            self._recent.popleft()
