"""Reading written numbers into exact Decimals: Arabic digits, Chinese numerals, English words.

Kept apart from the extractor (toolkit/numbers.py) because these are pure functions with an
inverse, tested by rendering random numbers and reading them back. Every result is a
``(value, precision)`` pair of Decimals, where precision is the place of the last written digit:
"二十七点四" reads as (27.4, 0.1), "一千万" as (10000000, 1E+7).

>>> read_chinese("一千二百万")
(Decimal('12000000'), Decimal('1E+6'))
"""

from __future__ import annotations

from decimal import Decimal

_CN_DIGITS = {
    "零": 0,
    "〇": 0,
    "一": 1,
    "二": 2,
    "两": 2,
    "三": 3,
    "四": 4,
    "五": 5,
    "六": 6,
    "七": 7,
    "八": 8,
    "九": 9,
}
_CN_SMALL = {"十": 1, "百": 2, "千": 3}

_EN_ONES = {
    "one": 1,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fourteen": 14,
    "fifteen": 15,
    "sixteen": 16,
    "seventeen": 17,
    "eighteen": 18,
    "nineteen": 19,
}
_EN_TENS = {
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "seventy": 70,
    "eighty": 80,
    "ninety": 90,
}
EN_ONES_WORDS = tuple(_EN_ONES)
EN_TENS_WORDS = tuple(_EN_TENS)


def power_of_ten(exponent: int) -> Decimal:
    """``Decimal`` 10**exponent written as one digit and an exponent: 7 → 1E+7, -1 → 0.1."""
    return Decimal((0, (1,), exponent))


def shift(value: Decimal, places: int) -> Decimal:
    """Multiply by 10**places exactly (no context rounding, whatever the number of digits).

    >>> shift(Decimal("166.5"), 8)
    Decimal('16650000000')
    """
    sign, digits, exponent = value.as_tuple()
    if not isinstance(exponent, int):  # NaN or infinity never come from text
        return value
    exponent += places
    if exponent > 0:
        # Written out in full (16650000000, not 1.665E+10): values print the way people read them.
        return Decimal((sign, (*digits, *([0] * exponent)), 0))
    return Decimal((sign, digits, exponent))


def read_arabic(integer: str, fraction: str | None) -> tuple[Decimal, Decimal]:
    """Read "1,234" + "56" (the part after the decimal point) into (1234.56, 0.01)."""
    digits = integer.replace(",", "")
    if fraction:
        return Decimal(f"{digits}.{fraction}"), power_of_ten(-len(fraction))
    return Decimal(digits), Decimal(1)


def _trailing_zero_precision(value: int) -> Decimal:
    if value == 0:
        return Decimal(1)
    zeros = 0
    while value % 10 == 0:
        value //= 10
        zeros += 1
    return power_of_ten(zeros)


def _read_chinese_integer(text: str) -> int | None:
    if not text:
        return None
    if all(ch in _CN_DIGITS for ch in text):
        if len(text) == 1:
            return _CN_DIGITS[text]
        # Digit by digit ("二〇二四", a year); 两 is never used this way, and two digits
        # side by side ("三五年") are a vague range, not a number.
        if "两" in text or len(text) < 3:
            return None
        return int("".join(str(_CN_DIGITS[ch]) for ch in text))
    if not any(ch in _CN_DIGITS and ch not in "零〇" for ch in text) and text[0] != "十":
        return None  # 千万 (by all means), 万万, 十分: no digit, no quantity
    total = 0
    section = 0
    digit: int | None = None
    last_small = 99
    seen_wan = False  # a 万 since the last 亿
    seen_yi = False
    for ch in text:
        if ch in _CN_DIGITS:
            if digit is not None and digit != 0 and _CN_DIGITS[ch] != 0:
                return None  # "三五": a vague range, not one number
            digit = _CN_DIGITS[ch]
        elif ch in _CN_SMALL:
            place = _CN_SMALL[ch]
            if place >= last_small:
                return None
            last_small = place
            if digit is None:
                if ch != "十":
                    return None
                digit = 1
            section += digit * 10**place
            digit = None
        else:
            if ch == "亿":
                # 亿 scales everything before it: 一万五千亿 = 1.5E+12, 一万亿 = 1E+12.
                if seen_yi:
                    return None
                total = (total + section + (digit or 0)) * 10**8
                seen_yi = True
                seen_wan = False
            else:
                if seen_wan:
                    return None
                total += (section + (digit or 0)) * 10**4
                seen_wan = True
            section = 0
            digit = None
            last_small = 99
    return total + section + (digit or 0)


def read_chinese(text: str) -> tuple[Decimal, Decimal] | None:
    """Read a Chinese numeral ("九", "一千万", "二十七点四", "二〇二四") or None if it is not one.

    >>> read_chinese("二十七点四")
    (Decimal('27.4'), Decimal('0.1'))
    >>> read_chinese("千万") is None   # the idiom "by all means"
    True
    """
    whole, _, frac = text.partition("点")
    value = _read_chinese_integer(whole)
    if value is None:
        return None
    if not frac:
        return Decimal(value), _trailing_zero_precision(value)
    if not all(ch in _CN_DIGITS and ch != "两" for ch in frac):
        return None
    digits = "".join(str(_CN_DIGITS[ch]) for ch in frac)
    return Decimal(f"{value}.{digits}"), power_of_ten(-len(digits))


def read_english(text: str) -> tuple[Decimal, Decimal] | None:
    """Read "nine", "twenty-five", "two hundred", "a dozen" (case-insensitive) or None.

    >>> read_english("Twenty-five")
    (Decimal('25'), Decimal('1'))
    """
    words = text.lower().replace("-", " ").split()
    if words == ["a", "dozen"]:
        return Decimal(12), Decimal(1)
    value = 0
    seen = False
    for word in words:
        if word in _EN_ONES:
            value += _EN_ONES[word]
        elif word in _EN_TENS:
            value += _EN_TENS[word]
        elif word == "hundred" and seen:
            value *= 100
        else:
            return None
        seen = True
    if not seen:
        return None
    return Decimal(value), _trailing_zero_precision(value)


def render_chinese(value: int) -> str:
    """Write a non-negative integer below 10**12 in Chinese numerals (used by property tests).

    >>> render_chinese(12003000)
    '一千二百万三千'
    """
    if value == 0:
        return "零"
    digits = "零一二三四五六七八九"

    def four(n: int) -> str:
        out = ""
        zero = False
        for place, unit in ((1000, "千"), (100, "百"), (10, "十"), (1, "")):
            d = n // place % 10
            if d:
                if zero and out:
                    out += "零"
                out += digits[d] + unit
                zero = False
            else:
                zero = True
        return out

    parts: list[str] = []
    for big, unit in ((10**8, "亿"), (10**4, "万"), (1, "")):
        chunk = value // big % 10**4
        if chunk:
            text = four(chunk)
            if parts and chunk < 1000:
                text = "零" + text
            parts.append(text + unit)
    return "".join(parts)
