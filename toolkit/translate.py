"""Translate step: a side that fails is derived again from the other side, which passed.

Given an English call, the embedded 1.5B model copies the English source into the zh fields
as well (measured on ECTSum ARR_q4_2020: every one of 11 items, in two runs), and when it does
write Chinese it gets the conversions wrong ("$395 million" → "395亿元"), while the English side,
close to the source, verifies. The repair prompt, which asks for everything at once, fixed none
of these; a worked English example in the summary prompt made the model copy the example's
shape and invent growth figures (first-answer precision 1.000 → 0.524 on the same call).
Translating one sentence is a task this model does. So an item whose zh side has problems of
its own (wrong language, numbers that do not verify) while its en side has none gets its zh side
translated from the en side — and the other way round — and comes back to be checked like any
answer: the verifier checks the translated numbers, and round 0's rescale fixes a 10× slip.

Example::

    >>> messages = translate_messages(prompt, "zh", [work], numbers="free")
    >>> updated = apply_translations("zh", {"b1": work}, answer)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from toolkit.checks import WorkItem
from toolkit.drafts import TranslatedItems
from toolkit.prompts import Prompt
from toolkit.summary import Item

Side = Literal["zh", "en"]
OTHER: dict[Side, Side] = {"zh": "en", "en": "zh"}


def needing(
    target: Side, work: Mapping[str, WorkItem], checked: Mapping[str, Item]
) -> list[tuple[WorkItem, Item]]:
    """The items whose ``target`` side has a problem of its own (wrong language, or a number
    that does not verify) while the other side has none: the other side is then the better
    text to derive it from. With problems on both sides there is nothing sound to translate
    from, and a mere zh/en mismatch of two verified sides has no side to prefer: those are the
    repair prompt's job."""
    source = OTHER[target]
    chosen: list[tuple[WorkItem, Item]] = []
    for key, written in work.items():
        item = checked[key]
        own = any(p.startswith(f"{target}:") for p in item.problems)
        theirs = any(p.startswith(f"{source}:") for p in item.problems)
        if own and not theirs:
            chosen.append((written, item))
    return chosen


def translate_messages(
    prompt: Prompt, target: Side, items: Sequence[WorkItem], *, numbers: str
) -> list[dict[str, str]]:
    """The chat messages asking for the ``target`` side of ``items``, from their other side."""
    source = OTHER[target]
    rows = [{"id": item.id, "text": getattr(item, source)} for item in items]
    return prompt.render(target=target, items=rows, numbers=numbers)


def apply_translations(
    target: Side, work: Mapping[str, WorkItem], answer: TranslatedItems
) -> dict[str, WorkItem]:
    """The items whose ``target`` side the answer gave (by id), each with ``repaired`` raised.

    An id that was not sent, a repeated id or a text equal to the old one is left out.
    """
    updated: dict[str, WorkItem] = {}
    for returned in answer.items:
        old = work.get(returned.id.strip())
        if old is None or old.id in updated or returned.text == getattr(old, target):
            continue
        updated[old.id] = old.model_copy(
            update={target: returned.text, "repaired": old.repaired + 1}
        )
    return updated
