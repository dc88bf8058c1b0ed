"""Write a `Quantity` out in Chinese or English, the way a financial reader expects it.

Grounded mode relies on this: the model writes ``{q12}`` and verisum renders the source
quantity, so ``166.5亿`` becomes ``166.5亿`` in Chinese and ``16.65 billion`` in English, and a
currency stated in the source is kept (``30.3亿港币`` → ``30.3亿港元`` / ``HK$3.03 billion``). The
rule that keeps this honest: extracting a rendered quantity gives back the same value in base
units, and never a *more* precise one than the source had (trailing zeros after a scale word
are dropped, so a rendering can be coarser: ``160亿`` → ``16 billion``, which the verifier's
rounding rule accepts; ``45万`` is ``0.45 million``, not the falsely precise ``450,000``).
A number is never rendered *finer* than its precision, which the property tests check against
the extractor (render, extract, compare).

Units that are counted nouns (shares, users) are not rendered: the model writes the noun, as in
``{q5}股`` / ``{q5} shares``.

Example::

    >>> q = Quantity(value=Decimal("16650000000"), precision=Decimal("1E+7"), unit="CNY",
    ...              lang="zh", span=(0, 7), text="166.5亿元")
    >>> render(q, "zh"), render(q, "en")
    ('166.5亿元', 'RMB16.65 billion')
"""

from __future__ import annotations

import tomllib
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Literal

from pydantic import BaseModel, ConfigDict

from toolkit.quantity import Quantity

Lang = Literal["zh", "en"]

# Scales a number is usually written with, largest first; the coarse ones only serve a number
# whose precision is coarser than its usual scale.
_ZH_SCALES = ((Decimal(10) ** 12, "万亿"), (Decimal(10) ** 8, "亿"), (Decimal(10) ** 4, "万"))
_ZH_COARSE = ((Decimal(10) ** 3, "千"),)
_EN_COARSE = ((Decimal(10) ** 3, "thousand"),)
_PLAIN_UNITS = {"%", "pp", "x"}
_ZH_PER = {"share": "股"}
_EN_SCALES = (
    (Decimal(10) ** 12, "trillion"),
    (Decimal(10) ** 9, "billion"),
    (Decimal(10) ** 6, "million"),
)


class CurrencyStyle(BaseModel):
    """How one currency is written around a number in each language."""

    model_config = ConfigDict(frozen=True)

    zh_suffix: str
    en_prefix: str


@cache
def currency_styles() -> dict[str, CurrencyStyle]:
    """Currency writing rules from ``render.toml`` next to this module."""
    text = resources.files("toolkit").joinpath("render.toml").read_text(encoding="utf-8")
    raw = tomllib.loads(text)["currency"]
    return {code: CurrencyStyle.model_validate(style) for code, style in raw.items()}


def render(quantity: Quantity, lang: Lang) -> str:
    """The quantity written in ``lang``, with its currency or percent sign; see module doc."""
    unit = quantity.unit
    high_value = quantity.value_high
    size = None if high_value is None else max(abs(quantity.value), abs(high_value))
    low = _number(quantity.value, quantity.precision, unit, lang, size=size)
    if high_value is None:
        text = _with_unit(low, unit, lang)
    else:
        high = _number(high_value, quantity.precision, unit, lang, size=size)
        if lang == "zh" and unit not in _PLAIN_UNITS:
            text = _with_unit(f"{low}至{high}", unit, lang)  # 2.85至3.10美元
        else:
            joint = "至" if lang == "zh" else " to "
            text = f"{_with_unit(low, unit, lang)}{joint}{_with_unit(high, unit, lang)}"
    if quantity.per is None:
        return text
    if lang == "zh":
        return f"每{_ZH_PER.get(quantity.per, quantity.per)}{text}"
    return f"{text} per {quantity.per}"


def _number(
    value: Decimal, precision: Decimal, unit: str | None, lang: Lang, *, size: Decimal | None = None
) -> str:
    """``size`` picks the scale (a range's ends share the scale of its larger end: "5001至
    10002" must not read as "5001至1.0002万", which means 5001万 to 1.0002万)."""
    if unit in _PLAIN_UNITS:
        return _digits(value, precision)
    usual, coarse = (_ZH_SCALES, _ZH_COARSE) if lang == "zh" else (_EN_SCALES, _EN_COARSE)
    magnitude = abs(value if size is None else size)
    scale, word = next(((s, w) for s, w in usual if magnitude >= s), (Decimal(1), ""))
    if precision > scale:
        # Trailing zeros would claim digits the source never gave: 45万 is "0.45 million",
        # not "450,000"; 5千 stays "5千", not "5000".
        every = sorted((*usual, *coarse))
        scale, word = next(((s, w) for s, w in every if s >= precision), every[-1])
    if not word:
        return _digits(value, precision, grouping=lang == "en")
    digits = _digits(value / scale, precision / scale, strip=True)
    return f"{digits}{word}" if lang == "zh" else f"{digits} {word}"


def _with_unit(number: str, unit: str | None, lang: Lang) -> str:
    if unit == "%":
        return f"{number}%"
    if unit == "pp":
        return f"{number}个百分点" if lang == "zh" else f"{number} percentage points"
    if unit == "x":
        return f"{number}倍" if lang == "zh" else f"{number} times"
    style = currency_styles().get(unit or "")
    if style is None:
        return number
    return f"{number}{style.zh_suffix}" if lang == "zh" else f"{style.en_prefix}{number}"


def _digits(
    value: Decimal, precision: Decimal, *, grouping: bool = False, strip: bool = False
) -> str:
    """``value`` to the place of ``precision`` (no finer); ``strip`` drops trailing zeros."""
    exponent = min(precision.adjusted(), 0) if precision > 0 else 0
    quantized = value.quantize(Decimal(1).scaleb(exponent))
    text = f"{quantized:,f}" if grouping else f"{quantized:f}"
    if strip and "." in text:
        text = text.rstrip("0").rstrip(".")
    return text
