"""Translate step: a side written in the wrong language is translated from the other side.

Given an English call, the embedded 1.5B model copies the English source into the zh fields
as well (measured on ECTSum ARR_q4_2020: every one of 11 items, in two runs), and the repair
prompt, which asks for everything at once, did not change that. Nor did a worked English example
in the summary prompt: the model then copied the example's shape and invented its growth
figures (first-answer precision 1.000 → 0.524 on the same call). Translating one sentence is a
task this model does; so the items whose zh (or en) side is not in its language go to a
translation prompt with their other side, and come back to be checked like any answer: the
verifier checks the translated numbers, and round 0's rescale fixes a 10× slip in them.

Example::

    >>> messages = translate_messages(prompt, "zh", [work], numbers="free")
    >>> updated = apply_translations("zh", {"b1": work}, answer)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Literal

from toolkit.checks import WRONG_LANGUAGE, WorkItem
from toolkit.drafts import TranslatedItems
from toolkit.prompts import Prompt
from toolkit.summary import Item

Side = Literal["zh", "en"]
OTHER: dict[Side, Side] = {"zh": "en", "en": "zh"}


def needing(
    target: Side, work: Mapping[str, WorkItem], checked: Mapping[str, Item]
) -> list[tuple[WorkItem, Item]]:
    """The items whose ``target`` side is in the wrong language while the other side is not
    (with both sides wrong there is nothing to translate from: that is the repair's job)."""
    wrong, other = WRONG_LANGUAGE[target], WRONG_LANGUAGE[OTHER[target]]
    return [
        (work[i], checked[i])
        for i in work
        if wrong in checked[i].problems and other not in checked[i].problems
    ]


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
