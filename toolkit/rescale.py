"""Deterministic repair of a number off by a power of ten, before the model is asked.

The slip the embedded 1.5B model makes most is a unit conversion: 166.5亿 written as "166.5
billion", 6071万股 as "6071 million shares". The verifier already knows which source number
the claim's number stands for and that they differ by exactly 10ⁿ (``scale_mismatch``); asked
to fix it with that reason in hand, the model returned the item unchanged in every measured run
(sample transcript, ECTSum). So verisum rewrites the digits itself, keeping the model's words
and scale word ("166.5 billion" → "16.65 billion"), and keeps the rewrite only when checking the
item again finds fewer problems. What is still wrong goes to the model's repair rounds.

Only free-mode text is rewritten: grounded items carry tags, and their numbers are verisum's.

Example::

    >>> checker = ItemChecker("第一季度线上营销服务收入达到166.5亿。")
    >>> work = WorkItem(id="b1", kind="bullet", zh="线上营销服务收入166.5亿。",
    ...                 en="Online marketing revenue reached 166.5 billion.")
    >>> repair, updated, rechecked = rescale_round([(work, checker.check(work))], checker)
    >>> updated["b1"].en
    'Online marketing revenue reached 16.65 billion.'
"""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from decimal import Decimal

from toolkit.checks import ItemChecker, WorkItem
from toolkit.summary import Item, RepairEntry, RepairRound
from toolkit.verdict import NumberCheck, Verdict, Verification

# The digits of a number as a model writes them: 1,234.5 / 166.5 / 6071 (no sign: a scale slip
# never flips one, and "-" is often a dash in these texts).
_DIGITS = re.compile(r"\d(?:[\d,]*\d)?(?:\.\d+)?")
_POWERS = {Decimal(10) ** k for k in range(-6, 7) if k}

METHOD = "rescale"


def rescaled(verification: Verification, other: Verification | None = None) -> str | None:
    """The verified text with each number that is off by exactly 10ⁿ rewritten, or None when
    there is nothing this can fix.

    The right value is the source number the verifier compared it with, or else the one verified
    number of the ``other`` language side with the same unit (a 100× slip can be too far from
    every source candidate: "6071万股" on the zh side fixes "6071 million shares"); see `_factor`.
    A range, a number written in words (一千万) or a factor that is not a power of ten is left
    for the model.
    """
    text = verification.claim
    edits: list[tuple[int, int, str]] = []
    for check in verification.checks:
        claim = check.claim
        if check.verdict is Verdict.SUPPORTED or claim.value_high is not None or not claim.value:
            continue
        factor = _factor(check, other)
        if factor is None:
            continue
        start, end = claim.span
        digits = _DIGITS.search(text, start, end)
        if digits is None:
            continue
        written = Decimal(digits.group().replace(",", ""))
        edits.append((digits.start(), digits.end(), _plain(written * factor)))
    if not edits:
        return None
    for start, end, new in sorted(set(edits), reverse=True):
        text = text[:start] + new + text[end:]
    return text


def _factor(check: NumberCheck, other: Verification | None) -> Decimal | None:
    """The power of ten that turns the claim's number into the right one, or None.

    First the source number the verifier compared it with, when the verdict is contradicted and
    the two differ by exactly 10ⁿ (``scale_mismatch``, or another reason such as a bound read
    the other way: "not exceeding 160 billion HKD" for 不超过160亿港币). Then the other language
    side: its one verified number with the same unit at exactly 10ⁿ ("$60.2 万美元" against a
    verified "$60.2 million", whatever source number the verifier tried for the slip).
    """
    claim, source = check.claim, check.source
    if (
        check.verdict is Verdict.CONTRADICTED
        and source is not None
        and source.value_high is None
        and source.value / claim.value in _POWERS
    ):
        return source.value / claim.value
    if other is None:
        return None
    factors = {
        mate.claim.value / claim.value
        for mate in other.checks
        if mate.verdict is Verdict.SUPPORTED
        and mate.claim.value_high is None
        and mate.claim.unit == claim.unit
        and mate.claim.value / claim.value in _POWERS
    }
    return factors.pop() if len(factors) == 1 else None


def rescale_round(
    failing: Sequence[tuple[WorkItem, Item]], checker: ItemChecker
) -> tuple[RepairRound | None, dict[str, WorkItem], dict[str, Item]]:
    """Rewrite the scale slips of ``failing`` items: the round (None when no item had one), the
    rewritten items by id and their new checks.

    The round lists every item it tried; a rewrite that did not reduce the item's problems is
    recorded with ``after`` None and not applied.
    """
    started = time.perf_counter()
    rows: list[RepairEntry] = []
    updated: dict[str, WorkItem] = {}
    rechecked: dict[str, Item] = {}
    for work, checked in failing:
        sides = checked.verification
        zh, en = rescaled(sides.zh, sides.en), rescaled(sides.en, sides.zh)
        if zh is None and en is None:
            continue
        candidate = work.model_copy(
            update={"zh": zh or work.zh, "en": en or work.en, "repaired": work.repaired + 1}
        )
        again = checker.check(candidate)
        better = len(again.problems) < len(checked.problems)
        if better:
            updated[work.id], rechecked[work.id] = candidate, again
        rows.append(
            RepairEntry(
                id=work.id,
                before=work.as_sent(),
                problems=checked.problems,
                after=candidate.as_sent() if better else None,
                fixed=better and not again.problems,
            )
        )
    if not rows:
        return None, updated, rechecked
    seconds = round(time.perf_counter() - started, 3)
    return RepairRound(round=0, prompt=METHOD, entries=rows, seconds=seconds), updated, rechecked


def _plain(value: Decimal) -> str:
    """16.650 → "16.65", 1E+2 → "100": no exponent, no trailing zeros."""
    return format(value.normalize(), "f")
