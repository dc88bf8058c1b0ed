"""Grounded numbers: the model writes ``{q12}`` and verisum writes the number, so it cannot be
invented or mis-scaled.

The source the model sees has each extracted quantity tagged where it stands
(``收入达到了166.5亿⟦q12⟧``) and a ``<quantities>`` list says how each tag reads per language.
`fill` replaces each placeholder with `toolkit.render.render` of the source quantity. A weak
model often writes the unit twice (``{q12}元`` when q12 already reads ``166.5亿元``,
``RMB{q12}``); `fill` drops such a doubled unit word next to a placeholder, and reports
placeholders that name no tag so the repair loop can send them back.

Example::

    >>> text = "收入166.5亿，增长27.4%。"
    >>> tagged = tag_source(text, extract_quantities(text))
    >>> tagged.text
    '收入166.5亿⟦q1⟧，增长27.4%⟦q2⟧。'
    >>> fill("Revenue was RMB{q1}, up {q2}.", tagged.tags, "en")
    ('Revenue was 16.65 billion, up 27.4%.', [])
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping

from pydantic import BaseModel, ConfigDict

from toolkit.quantity import Kind, Quantity
from toolkit.render import Lang, render

_PLACEHOLDER = re.compile(r"\{\s*(q\d+)\s*\}")
_INLINE_TAG = re.compile(r"⟦q\d+⟧")

# Words that, written right after a placeholder whose rendering already ends with one of the
# same group, are a doubled unit ("{q1}元" where q1 reads "166.5亿元").
_UNIT_GROUPS: tuple[tuple[str, ...], ...] = (
    ("港元", "港币"),
    ("美元",),
    ("元", "人民币"),
    ("亿",),
    ("万",),
    ("%", "％"),
    ("倍",),
    ("个百分点",),
    ("billion", "bn"),
    ("million", "mn", "m"),
    ("trillion",),
    ("percentage points",),
    ("times",),
)
# Currency marks written right before a placeholder whose rendering already starts with one.
_PREFIX_GROUPS: tuple[tuple[str, ...], ...] = (
    ("RMB", "人民币", "CNY"),
    ("HK$", "HKD"),
    ("US$", "USD", "$"),
)


class Tag(BaseModel):
    """One tagged source quantity and its rendering in each language."""

    model_config = ConfigDict(frozen=True)

    tag: str
    quantity: Quantity
    zh: str
    en: str


class TaggedSource(BaseModel):
    """The text the model sees in grounded mode, and the tags it may use."""

    model_config = ConfigDict(frozen=True)

    text: str
    tags: dict[str, Tag]


def tag_source(text: str, quantities: Iterable[Quantity]) -> TaggedSource:
    """Insert ``⟦qN⟧`` after each number of ``text`` (spans into ``text``), numbered in order.

    Dates are not tagged: their words carry their meaning and the model copies them as written.
    """
    chosen: list[Quantity] = []
    last_end = -1
    for quantity in sorted(quantities, key=lambda q: q.span):
        if quantity.kind is not Kind.NUMBER or quantity.span[0] < last_end:
            continue
        chosen.append(quantity)
        last_end = quantity.span[1]
    pieces: list[str] = []
    tags: dict[str, Tag] = {}
    cursor = 0
    for number, quantity in enumerate(chosen, start=1):
        name = f"q{number}"
        end = quantity.span[1]
        pieces.append(text[cursor:end])
        pieces.append(f"⟦{name}⟧")
        cursor = end
        tags[name] = Tag(
            tag=name, quantity=quantity, zh=render(quantity, "zh"), en=render(quantity, "en")
        )
    pieces.append(text[cursor:])
    return TaggedSource(text="".join(pieces), tags=tags)


def fill(text: str, tags: Mapping[str, Tag], lang: Lang) -> tuple[str, list[str]]:
    """``text`` with each ``{qN}`` rendered in ``lang``, and the placeholders that name no tag.

    Unknown placeholders stay in the text as written, so the problem is visible to the reader
    and to the repair loop.
    """
    unknown: list[str] = []
    pieces: list[str] = []
    cursor = 0
    for match in _PLACEHOLDER.finditer(text):
        name = match.group(1)
        tag = tags.get(name)
        if tag is None:
            unknown.append(match.group(0))
            continue
        rendered = tag.zh if lang == "zh" else tag.en
        before = _drop_doubled_prefix(text[cursor : match.start()], rendered)
        pieces.append(before)
        pieces.append(rendered)
        cursor = match.end() + _doubled_suffix_length(text[match.end() :], rendered)
    pieces.append(text[cursor:])
    return "".join(pieces), unknown


def placeholders(text: str) -> list[str]:
    """The tag names used in ``text``: ``placeholders("{q1} and {q2}")`` is ["q1", "q2"]."""
    return _PLACEHOLDER.findall(text)


def source_quote(quote: str, tags: Mapping[str, Tag]) -> str:
    """An evidence quote as it would read in the source: inline tags removed, placeholders put
    back as the source wrote the number (``{q12}`` → ``166.5亿``)."""
    without_tags = _INLINE_TAG.sub("", quote)
    return _PLACEHOLDER.sub(
        lambda m: tags[m.group(1)].quantity.text if m.group(1) in tags else m.group(0),
        without_tags,
    )


def _doubled_suffix_length(after: str, rendered: str) -> int:
    stripped = after.lstrip(" ")
    skipped = len(after) - len(stripped)
    for group in _UNIT_GROUPS:
        if not any(rendered.endswith(word) for word in group):
            continue
        for word in sorted(group, key=len, reverse=True):
            if stripped.startswith(word) and not _continues_word(stripped, len(word)):
                return skipped + len(word)
    return 0


def _drop_doubled_prefix(before: str, rendered: str) -> str:
    stripped = before.rstrip(" ")
    for group in _PREFIX_GROUPS:
        if not any(rendered.startswith(word) for word in group):
            continue
        for word in sorted(group, key=len, reverse=True):
            if stripped.endswith(word):
                return stripped[: -len(word)]
    return before


def _continues_word(text: str, at: int) -> bool:
    """True when an ASCII unit word is really the start of a longer word ("m" in "margin")."""
    return at < len(text) and text[at].isascii() and text[at].isalpha()
