"""The repair step: send items that failed their checks back to the model with the verifier's
own reasons, and take back what it corrects.

The model sees each failing item as it wrote it (placeholders kept in grounded mode) with its
problems in plain words ("en: claim says RMB166.5 billion; source says 166.5亿 = RMB16.65bn"),
and either the whole source (when it fits the context) or the sentences around the numbers in
question. What comes back replaces the item only when the model returned its id; anything
else it returns is ignored, so one round can never add, rename or lose items.

Example::

    >>> messages = repair_messages(prompt, [(work, checked)], document=text, quantities=[],
    ...                            numbers="free")
    >>> updated = apply_repairs({"b1": work}, RepairedItems(items=[RepairedItem(
    ...     id="b1", zh="收入166.5亿元。", en="Revenue was RMB16.65 billion.")]))
    >>> updated["b1"].en, updated["b1"].repaired
    ('Revenue was RMB16.65 billion.', 1)
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from toolkit.checks import WorkItem
from toolkit.drafts import RepairedItems
from toolkit.evidence import sentence_around
from toolkit.prompts import Prompt
from toolkit.summary import ClaimItem, Item, RepairEntry


def repair_messages(
    prompt: Prompt,
    failing: Sequence[tuple[WorkItem, Item]],
    *,
    excerpts: Sequence[str],
    quantities: Sequence[Mapping[str, str]],
    numbers: str,
) -> list[dict[str, str]]:
    """The chat messages asking the model to correct ``failing`` items."""
    items: list[dict[str, Any]] = [
        {
            "id": work.id,
            "zh": work.zh,
            "en": work.en,
            "evidence": work.evidence or "",
            "problems": checked.problems,
        }
        for work, checked in failing
    ]
    return prompt.render(
        excerpts=list(excerpts), items=items, quantities=list(quantities), numbers=numbers
    )


def excerpts_for(source: str, failing: Sequence[tuple[WorkItem, Item]]) -> list[str]:
    """The source sentences a repair needs: around each checked number and each evidence."""
    spans: list[tuple[int, int]] = []
    for _, checked in failing:
        for side in (checked.verification.zh, checked.verification.en):
            spans += [c.source.span for c in side.checks if c.source is not None]
        if isinstance(checked, ClaimItem) and checked.evidence.span is not None:
            spans.append(checked.evidence.span)
    windows = sorted(sentence_around(source, span) for span in spans)
    merged: list[tuple[int, int]] = []
    for start, end in windows:
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return [source[start:end].strip() for start, end in merged]


def apply_repairs(work: Mapping[str, WorkItem], answer: RepairedItems) -> dict[str, WorkItem]:
    """The items the answer rewrote (by id), each with its ``repaired`` count raised.

    Items the model returned empty, unchanged or under an id that was not sent are left out.
    """
    updated: dict[str, WorkItem] = {}
    for returned in answer.items:
        old = work.get(returned.id.strip())
        if old is None or old.id in updated:
            continue
        zh, en = " ".join(returned.zh.split()), " ".join(returned.en.split())
        if not zh or not en:
            continue
        evidence = old.evidence
        if old.kind == "claim" and returned.evidence.strip():
            evidence = returned.evidence.strip()
        if (zh, en, evidence) == (old.zh, old.en, old.evidence):
            continue
        updated[old.id] = old.model_copy(
            update={"zh": zh, "en": en, "evidence": evidence, "repaired": old.repaired + 1}
        )
    return updated


def entries(
    sent: Sequence[tuple[WorkItem, Item]],
    updated: Mapping[str, WorkItem],
    rechecked: Mapping[str, Item],
) -> list[RepairEntry]:
    """One `RepairEntry` per item sent: before, problems, after, and whether it is now clean."""
    rows: list[RepairEntry] = []
    for work, checked in sent:
        new = updated.get(work.id)
        after = rechecked.get(work.id)
        rows.append(
            RepairEntry(
                id=work.id,
                before=work.as_sent(),
                problems=checked.problems,
                after=new.as_sent() if new is not None else None,
                fixed=after is not None and not after.problems,
            )
        )
    return rows
