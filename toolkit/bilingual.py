"""Bilingual consistency: the zh and en sides of an item must state the same quantities.

Both sides are run through the extractor and matched one to one in base units with the
verifier's own value rule (`toolkit.compare`), so ``166.5亿元`` matches ``RMB16.65 billion``
and ``16.7 billion`` (a rounding), but not ``166.5 billion`` (a 10× slip) or a growth rate
stated year on year on one side and quarter on quarter on the other. A side's quantity with no
partner makes the item inconsistent, which the repair loop treats like a failed verification.

Example::

    >>> compare_sides("收入166.5亿元，同比增长27.4%。", "Revenue was RMB166.5 billion, up 27.4%.")
    Consistency(consistent=False, zh_only=['166.5亿元'], en_only=['RMB166.5 billion'], message=...)
"""

from __future__ import annotations

from toolkit.compare import attribute_conflict, judge_date, judge_value
from toolkit.numbers import extract_quantities
from toolkit.quantity import Kind, Quantity
from toolkit.summary import Consistency
from toolkit.verdict import REASON_VERDICT, Verdict

_PLAIN_UNITS = {"%", "pp", "x"}


def compare_sides(zh: str, en: str) -> Consistency:
    """Match the quantities of ``zh`` and ``en`` one to one; see the module docstring."""
    left = extract_quantities(zh)
    right = extract_quantities(en)
    unmatched = list(right)
    zh_only: list[Quantity] = []
    for quantity in left:
        partner = next((q for q in unmatched if same_quantity(quantity, q)), None)
        if partner is None:
            zh_only.append(quantity)
        else:
            unmatched.remove(partner)
    # A date on one side only is not a mismatch: a translation may make the period explicit
    # ("一季度" → "Q1 2024", "去年12月18日" → "December 18, 2023"), and each side's dates are
    # still verified against the source. Dates left over on both sides do disagree.
    zh_dates = [q for q in zh_only if q.kind is Kind.DATE]
    en_dates = [q for q in unmatched if q.kind is Kind.DATE]
    if not (zh_dates and en_dates):
        zh_only = [q for q in zh_only if q.kind is not Kind.DATE]
        unmatched = [q for q in unmatched if q.kind is not Kind.DATE]
    if not zh_only and not unmatched:
        return Consistency(consistent=True)
    zh_words = [q.text for q in zh_only]
    en_words = [q.text for q in unmatched]
    return Consistency(
        consistent=False,
        zh_only=zh_words,
        en_only=en_words,
        message=(
            "zh and en state different numbers: "
            f"zh has {', '.join(zh_words) or 'nothing'} that en lacks, "
            f"en has {', '.join(en_words) or 'nothing'} that zh lacks"
        ),
    )


def same_quantity(a: Quantity, b: Quantity) -> bool:
    """True when ``a`` and ``b`` state the same thing (either may be the rounder one)."""
    if a.kind is not b.kind:
        return False
    if a.kind is Kind.DATE:
        if _fields_agree(a, b):
            return True
        return any(
            (reason := judge_date(x, y, doc_date=None)) is not None
            and REASON_VERDICT[reason] is Verdict.SUPPORTED
            for x, y in ((a, b), (b, a))
        )
    # A "per share" stated on one side only is not a conflict: the extractor reads 每股 and "per
    # share" but not every way of writing it (每份普通股 $12.32 for "$12.32 per common share").
    if not _units_compatible(a.unit, b.unit) or (a.per and b.per and a.per != b.per):
        return False
    if attribute_conflict(a, b, doc_currency=None, doc_date=None) is not None:
        return False
    return any(REASON_VERDICT[judge_value(x, y)] is Verdict.SUPPORTED for x, y in ((a, b), (b, a)))


def _units_compatible(a: str | None, b: str | None) -> bool:
    if a == b:
        return True
    if a in _PLAIN_UNITS or b in _PLAIN_UNITS:
        return False
    # A bare amount on one side ("166.5亿") matches a currency or a counted noun on the other.
    return a is None or b is None


def _fields_agree(a: Quantity, b: Quantity) -> bool:
    """Two dates agree on every field both state (12月18日 and December 18, 2023 do)."""
    if a.date is None or b.date is None:
        return False
    pairs = [(a.date.year, b.date.year), (a.date.month, b.date.month), (a.date.day, b.date.day)]
    stated = [(x, y) for x, y in pairs if x is not None and y is not None]
    return bool(stated) and all(x == y for x, y in stated)
