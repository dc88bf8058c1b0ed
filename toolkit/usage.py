"""Token usage and cost, per call, per document and per run.

`Usage` is an immutable running total: add two to merge runs, subtract a snapshot to get what
one document cost. Prices come from ``prices.toml`` next to this module (dollars per 1M tokens),
so a price change is a data edit. The embedded model costs nothing.

Example::

    >>> before = Usage()
    >>> after = before + Usage.of_call("gpt-4o-mini", "openai", prompt_tokens=1000,
    ...                                completion_tokens=500)
    >>> (after - before).cost_usd
    Decimal('0.00045')
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field

from toolkit.errors import ConfigError

_PER_TOKEN = Decimal(1_000_000)


class Price(BaseModel):
    """Dollars per 1M input and output tokens."""

    model_config = ConfigDict(frozen=True)

    input: Decimal
    output: Decimal


@cache
def price_table() -> dict[str, Price]:
    """The packaged price table, read once."""
    text = resources.files("toolkit").joinpath("prices.toml").read_text(encoding="utf-8")
    try:
        raw = tomllib.loads(text)["models"]
        return {name: Price.model_validate(entry) for name, entry in raw.items()}
    except (tomllib.TOMLDecodeError, KeyError, ValueError) as exc:
        raise ConfigError(f"toolkit/prices.toml is malformed: {exc}") from exc


def price_for(model: str, backend: str) -> Price | None:
    """The price of ``model``: exact entry, else the longest listed prefix; None if unlisted."""
    if backend == "local":
        return Price(input=Decimal(0), output=Decimal(0))
    table = price_table()
    if model in table:
        return table[model]
    bare = model.rsplit("/", 1)[-1]  # "openai/gpt-4o" as some gateways spell it
    matches = [name for name in table if bare.startswith(name)]
    return table[max(matches, key=len)] if matches else None


class Usage(BaseModel):
    """Running totals; ``calls`` answered by the model, ``cached_calls`` served from the cache.

    ``requests`` counts model answers including validation reasks, so ``requests - calls`` is
    how many reasks a run needed. ``unpriced_calls`` counts calls to a model missing from the
    price table, whose cost is not in ``cost_usd``.
    """

    model_config = ConfigDict(frozen=True)

    calls: int = 0
    cached_calls: int = 0
    requests: int = 0
    prompt_tokens: int = 0
    completion_tokens: int = 0
    cost_usd: Decimal = Field(default=Decimal(0))
    unpriced_calls: int = 0

    @property
    def total_tokens(self) -> int:
        return self.prompt_tokens + self.completion_tokens

    @classmethod
    def of_call(
        cls,
        model: str,
        backend: str,
        *,
        prompt_tokens: int,
        completion_tokens: int,
        requests: int = 1,
    ) -> Usage:
        """The usage of one answered call (all its reasks included)."""
        price = price_for(model, backend)
        cost = Decimal(0)
        if price is not None:
            cost = (prompt_tokens * price.input + completion_tokens * price.output) / _PER_TOKEN
        return cls(
            calls=1,
            requests=requests,
            prompt_tokens=prompt_tokens,
            completion_tokens=completion_tokens,
            cost_usd=cost,
            unpriced_calls=0 if price is not None else 1,
        )

    @classmethod
    def cached(cls) -> Usage:
        """A call answered from the cache: no tokens, no cost."""
        return cls(cached_calls=1)

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            calls=self.calls + other.calls,
            cached_calls=self.cached_calls + other.cached_calls,
            requests=self.requests + other.requests,
            prompt_tokens=self.prompt_tokens + other.prompt_tokens,
            completion_tokens=self.completion_tokens + other.completion_tokens,
            cost_usd=self.cost_usd + other.cost_usd,
            unpriced_calls=self.unpriced_calls + other.unpriced_calls,
        )

    def __sub__(self, other: Usage) -> Usage:
        """What happened since the snapshot ``other`` was taken."""
        return Usage(
            calls=self.calls - other.calls,
            cached_calls=self.cached_calls - other.cached_calls,
            requests=self.requests - other.requests,
            prompt_tokens=self.prompt_tokens - other.prompt_tokens,
            completion_tokens=self.completion_tokens - other.completion_tokens,
            cost_usd=self.cost_usd - other.cost_usd,
            unpriced_calls=self.unpriced_calls - other.unpriced_calls,
        )

    def describe(self) -> str:
        """One line for the CLI: ``2 model calls, 1 cached, 1234 + 567 tokens, $0.0012``."""
        cost = f"${self.cost_usd:.4f}"
        if self.unpriced_calls:
            cost += f" (+{self.unpriced_calls} unpriced)"
        return (
            f"{self.calls} model calls, {self.cached_calls} cached, "
            f"{self.prompt_tokens} + {self.completion_tokens} tokens, {cost}"
        )
