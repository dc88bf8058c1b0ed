"""Judge one claim number against one source number: the verifier's matching rules.

This module knows nothing about context or documents; `toolkit.verify` picks *which* source
quantity a claim number should be compared with, and asks `judge` what that comparison says.
Values are compared in base units with `Decimal`, so 166.5亿 and "RMB16.65 billion" are equal
and 16.65 rounds half-up to 16.7 (float would give 16.6).

Example: ``judge(claim=<16.7 billion CNY>, source=<166.5亿>, doc_currency="CNY")`` returns
``Reason.ROUNDED``; with the claim in HKD it returns ``Reason.CURRENCY_MISMATCH``.
"""

from __future__ import annotations

from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation
from enum import Enum

from toolkit.quantity import Kind, Period, Qualifier, Quantity, Role
from toolkit.verdict import REASON_VERDICT, Reason, Verdict

ABOUT_TOLERANCE = Decimal("0.03")
"""A claim saying "about X" accepts source values within 3% of X (beyond what rounding allows)."""

NEARLY_TOLERANCE = Decimal("0.10")
""""Nearly X" / 近X means a value in [0.9·X, X]: just under X, not far under it."""

MAX_SCALE_SLIP = 8
"""Powers of ten checked for a scale slip: 万 vs 亿 is 10⁴, 千 vs 亿 10⁵; beyond 10⁸ it is noise."""

CURRENCIES = frozenset(
    {"CNY", "HKD", "USD", "EUR", "GBP", "JPY", "TWD", "SGD", "KRW", "AUD", "CAD"}
)


class _Rel(Enum):
    """How two point values relate once precision is taken into account."""

    EQUAL = "equal"  # the same Decimal in base units
    ROUNDED = "rounded"  # the source rounds half-up to the (coarser) claim
    TOO_PRECISE = "too_precise"  # the claim rounds to the (coarser) source but says more
    SCALE = "scale"  # equal up to a power of ten
    LESS = "less"  # claim < source
    GREATER = "greater"  # claim > source


def is_currency(unit: str | None) -> bool:
    """True for ISO currency codes such as "CNY"; False for "%", "shares" or None."""
    return unit is not None and unit in CURRENCIES


def round_to(value: Decimal, precision: Decimal) -> Decimal:
    """Round half-up to a multiple of ``precision``: round_to(Decimal("16.65E9"), Decimal("1E8"))
    is 1.67E+10. A non-positive precision leaves the value alone."""
    if precision <= 0:
        return value
    try:
        steps = (value / precision).quantize(Decimal(1), rounding=ROUND_HALF_UP)
    except InvalidOperation:
        return value
    return steps * precision


def _relation(cv: Decimal, cp: Decimal, sv: Decimal, sp: Decimal) -> _Rel:
    """Relate claim value ``cv`` (precision ``cp``) to source value ``sv`` (precision ``sp``)."""
    if cv == sv:
        return _Rel.EQUAL
    if cp > sp and round_to(sv, cp) == cv:
        return _Rel.ROUNDED
    if cp < sp and round_to(cv, sp) == sv:
        return _Rel.TOO_PRECISE
    if _is_scale_slip(cv, cp, sv, sp):
        return _Rel.SCALE
    return _Rel.LESS if cv < sv else _Rel.GREATER


def _is_scale_slip(
    claim_value: Decimal, claim_precision: Decimal, source_value: Decimal, source_precision: Decimal
) -> bool:
    """True when the claim is the source times 10ⁿ (n ≠ 0), also after rounding: 1750亿 vs
    "17.5B", 6071万 vs "6.071 million", 166.5亿 vs "1.7 billion"."""
    if claim_value == 0 or source_value == 0 or (claim_value < 0) != (source_value < 0):
        return False
    order = claim_value.adjusted() - source_value.adjusted()
    for n in (order - 1, order, order + 1):
        if n == 0 or abs(n) > MAX_SCALE_SLIP:
            continue
        scaled = source_value.scaleb(n)
        if scaled == claim_value:
            return True
        if (
            claim_precision >= source_precision.scaleb(n)
            and round_to(scaled, claim_precision) == claim_value
        ):
            return True
    return False


def _near(claim_value: Decimal, source_value: Decimal, tolerance: Decimal) -> bool:
    return abs(claim_value - source_value) <= tolerance * abs(claim_value)


def _same_reason(rel: _Rel, claim: Quantity, source: Quantity) -> Reason:
    """Supported-by-value reason: exact, converted (亿 → billion) or rounded."""
    if rel is _Rel.ROUNDED:
        return Reason.ROUNDED
    return Reason.CONVERTED if _written_differently(claim, source) else Reason.EXACT


def _written_differently(claim: Quantity, source: Quantity) -> bool:
    """166.5亿 vs "16.65 billion" (digits or scale word differ) counts as a conversion."""

    def digits(text: str) -> str:
        return "".join(ch for ch in text if ch.isdigit() or ch == ".").strip(".")

    return claim.lang != source.lang or digits(claim.text) != digits(source.text)


def _signed(quantity: Quantity, value: Decimal) -> Decimal:
    """A decline of 6% is -6 so that "fell 6%" and "-6%" agree and "rose 6%" does not."""
    if quantity.role is Role.DECLINE and value > 0:
        return -value
    return value


def _directional(quantity: Quantity) -> bool:
    return quantity.role in (Role.GROWTH, Role.DECLINE)


def _aligned(claim: Quantity, source: Quantity, quantity: Quantity, value: Decimal) -> Decimal:
    """A value of ``quantity`` (the claim or the source) made comparable with the other side:
    signed when both sides speak of a change, by magnitude when only one does (a bare "6%"
    next to "fell 6%"), unless that other side writes a minus ("同比为-3.0%" is no rise of
    3.0%, but is a fall of 3.0%); as written otherwise."""
    if _directional(claim) and _directional(source):
        return _signed(quantity, value)
    if _directional(claim) != _directional(source):
        plain = source if _directional(claim) else claim
        return _signed(quantity, value) if plain.value < 0 else abs(value)
    return value


def _values(claim: Quantity, source: Quantity) -> tuple[Decimal, Decimal, Decimal | None]:
    """Claim value, source value and source upper end, made comparable (see `_aligned`)."""
    high = source.value_high
    return (
        _aligned(claim, source, claim, claim.value),
        _aligned(claim, source, source, source.value),
        None if high is None else _aligned(claim, source, source, high),
    )


def judge_value(claim: Quantity, source: Quantity) -> Reason:
    """The value-and-qualifier rule alone (units, periods and context already agree).

    Example: source 超过150万 (at_least 1.5e6) and claim "nearly 1.5 million" → bound_conflict.
    """
    cv, sv, sv_high = _values(claim, source)
    cp, sp = claim.precision, source.precision
    cq, sq = claim.qualifier, source.qualifier
    if cq is Qualifier.RANGE or sq is Qualifier.RANGE:
        return _judge_range(claim, source, cv, sv, sv_high)
    rel = _relation(cv, cp, sv, sp)
    same = rel in (_Rel.EQUAL, _Rel.ROUNDED)
    if rel is _Rel.SCALE and cq is sq:
        return Reason.SCALE_MISMATCH

    if cq is Qualifier.EXACT:
        if same:
            if sq is Qualifier.EXACT:
                return _same_reason(rel, claim, source)
            return Reason.QUALIFIER_DROPPED
        if rel is _Rel.SCALE:
            return Reason.SCALE_MISMATCH
        if rel is _Rel.TOO_PRECISE:
            return Reason.TOO_PRECISE
        if sq is Qualifier.ABOUT:
            near = _near(cv, sv, ABOUT_TOLERANCE)
            return Reason.TOO_PRECISE if near else Reason.VALUE_MISMATCH
        if sq is Qualifier.AT_LEAST:
            return Reason.BOUND_UNDECIDED if cv > sv else Reason.BOUND_CONFLICT
        if sq is Qualifier.AT_MOST:
            return Reason.BOUND_UNDECIDED if cv < sv else Reason.BOUND_CONFLICT
        if sq is Qualifier.NEARLY:
            inside = sv * (1 - NEARLY_TOLERANCE) <= cv < sv
            return Reason.BOUND_UNDECIDED if inside else Reason.BOUND_CONFLICT
        return Reason.VALUE_MISMATCH

    if cq is Qualifier.ABOUT:
        if same:
            return (
                _same_reason(rel, claim, source)
                if sq in (cq, Qualifier.EXACT)
                else (Reason.APPROXIMATE)
            )
        if rel is _Rel.TOO_PRECISE or _near(cv, sv, ABOUT_TOLERANCE):
            return Reason.APPROXIMATE
        if rel is _Rel.SCALE:
            return Reason.SCALE_MISMATCH
        return Reason.VALUE_MISMATCH

    if cq is Qualifier.AT_LEAST:
        if sq is Qualifier.AT_MOST:
            return Reason.BOUND_CONFLICT if (same or cv > sv) else Reason.BOUND_UNDECIDED
        if sq is Qualifier.NEARLY:
            if same or cv > sv:
                return Reason.BOUND_CONFLICT
            below = cv <= sv * (1 - NEARLY_TOLERANCE)
            return Reason.WITHIN_BOUND if below else Reason.BOUND_UNDECIDED
        if sq is Qualifier.AT_LEAST:
            if same:
                return _same_reason(rel, claim, source)
            # both give a threshold: "占比≥21%" restates "占比≥30%" wrongly, however true
            return Reason.VALUE_MISMATCH if cv < sv else Reason.BOUND_UNDECIDED
        # source exact or about: "more than X" holds when the source value reaches X
        if same or cv < sv:
            return Reason.WITHIN_BOUND
        return Reason.SCALE_MISMATCH if rel is _Rel.SCALE else Reason.BOUND_CONFLICT

    if cq is Qualifier.AT_MOST:
        if sq is Qualifier.AT_LEAST:
            return Reason.BOUND_CONFLICT if (same or cv < sv) else Reason.BOUND_UNDECIDED
        if sq is Qualifier.AT_MOST:
            if same:
                return _same_reason(rel, claim, source)
            return Reason.VALUE_MISMATCH if cv > sv else Reason.BOUND_UNDECIDED
        if sq is Qualifier.NEARLY:
            if same or cv > sv:
                return Reason.WITHIN_BOUND
            return (
                Reason.BOUND_CONFLICT
                if cv < sv * (1 - NEARLY_TOLERANCE)
                else Reason.BOUND_UNDECIDED
            )
        if same or cv > sv:
            return Reason.WITHIN_BOUND
        return Reason.SCALE_MISMATCH if rel is _Rel.SCALE else Reason.BOUND_CONFLICT

    # claim NEARLY X: the value is just under X
    if sq is Qualifier.NEARLY:
        if same:
            return _same_reason(rel, claim, source)
        return Reason.SCALE_MISMATCH if rel is _Rel.SCALE else Reason.VALUE_MISMATCH
    if sq is Qualifier.AT_LEAST:
        return Reason.BOUND_CONFLICT if (same or sv > cv) else Reason.BOUND_UNDECIDED
    if sq is Qualifier.AT_MOST:
        if sv < cv * (1 - NEARLY_TOLERANCE):
            return Reason.BOUND_CONFLICT
        return Reason.BOUND_UNDECIDED
    if same or cv * (1 - NEARLY_TOLERANCE) <= sv <= cv:
        return Reason.WITHIN_BOUND if not same else Reason.QUALIFIER_DROPPED
    if rel is _Rel.SCALE:
        return Reason.SCALE_MISMATCH
    return Reason.BOUND_CONFLICT if sv > cv else Reason.VALUE_MISMATCH


def _judge_range(
    claim: Quantity, source: Quantity, cv: Decimal, sv: Decimal, sv_high: Decimal | None
) -> Reason:
    """Ranges: "$2.85 to $3.10" is supported by the same two ends only; a source point inside a
    claimed range, or a claimed point inside a source range, cannot be decided."""
    cp, sp = claim.precision, source.precision
    if claim.qualifier is Qualifier.RANGE and claim.value_high is not None:
        c_high = _aligned(claim, source, claim, claim.value_high)
        if source.qualifier is Qualifier.RANGE and sv_high is not None:
            low = _relation(cv, cp, sv, sp)
            high = _relation(c_high, cp, sv_high, sp)
            if {low, high} <= {_Rel.EQUAL, _Rel.ROUNDED}:
                worst = _Rel.ROUNDED if _Rel.ROUNDED in (low, high) else _Rel.EQUAL
                return _same_reason(worst, claim, source)
            if _Rel.SCALE in (low, high):
                return Reason.SCALE_MISMATCH
            if _Rel.TOO_PRECISE in (low, high) and {low, high} <= {
                _Rel.EQUAL,
                _Rel.ROUNDED,
                _Rel.TOO_PRECISE,
            }:
                return Reason.TOO_PRECISE
            return Reason.VALUE_MISMATCH
        # A claimed range is a forecast or a band; one source point inside it does not say the
        # source gave that band (actual Q3 EPS $1.93 is not "sees Q4 EPS $1.59 to $2.07").
        lo, hi = min(cv, c_high), max(cv, c_high)
        if lo <= sv <= hi:
            return Reason.BOUND_UNDECIDED
        return Reason.VALUE_MISMATCH
    # a point claim against a source range
    if sv_high is None:
        return Reason.VALUE_MISMATCH
    lo, hi = min(sv, sv_high), max(sv, sv_high)
    if claim.qualifier is Qualifier.AT_LEAST:
        if cv <= lo:
            return Reason.WITHIN_BOUND
        return Reason.BOUND_CONFLICT if cv >= hi else Reason.BOUND_UNDECIDED
    if claim.qualifier is Qualifier.AT_MOST:
        if cv >= hi:
            return Reason.WITHIN_BOUND
        return Reason.BOUND_CONFLICT if cv <= lo else Reason.BOUND_UNDECIDED
    for end in (lo, hi):
        if _relation(cv, cp, end, sp) in (_Rel.EQUAL, _Rel.ROUNDED) or lo <= cv <= hi:
            return Reason.BOUND_UNDECIDED
    for end in (lo, hi):
        if _relation(cv, cp, end, sp) is _Rel.SCALE:
            return Reason.SCALE_MISMATCH
    return Reason.VALUE_MISMATCH


def resolve_year(year: int | None, relative_year: int | None, doc_date: date | None) -> int | None:
    """去年 (relative_year=-1) in a document dated 2024-06-01 is 2023; without a date, None."""
    if year is not None:
        return year
    if relative_year is not None and doc_date is not None:
        return doc_date.year + relative_year
    return None


def period_conflict(claim: Period | None, source: Period | None, doc_date: date | None) -> bool:
    """Both sides state a year or a part (Q1, H1, FY) and they differ."""
    if claim is None or source is None:
        return False
    claim_year = resolve_year(claim.year, claim.relative_year, doc_date)
    source_year = resolve_year(source.year, source.relative_year, doc_date)
    if claim_year is not None and source_year is not None and claim_year != source_year:
        return True
    return claim.part is not None and source.part is not None and claim.part != source.part


def attribute_conflict(
    claim: Quantity, source: Quantity, *, doc_currency: str | None, doc_date: date | None
) -> Reason | None:
    """The first of currency / basis / role / period that both sides state differently."""
    if is_currency(claim.unit):
        source_currency = source.unit if is_currency(source.unit) else None
        if source.unit is None:
            source_currency = doc_currency
        if source_currency is not None and source_currency != claim.unit:
            return Reason.CURRENCY_MISMATCH
    if claim.basis is not None and source.basis is not None and claim.basis != source.basis:
        return Reason.BASIS_MISMATCH
    # A change (growth/decline) is not a share of a whole; "level" is what the extractor says
    # when the text does not tell ("增速为5%", "占比为3%"), so it conflicts with neither.
    if (_directional(claim) and source.role is Role.SHARE) or (
        claim.role is Role.SHARE and _directional(source)
    ):
        return Reason.ROLE_MISMATCH
    if period_conflict(claim.period, source.period, doc_date):
        return Reason.PERIOD_MISMATCH
    return None


def judge(
    claim: Quantity,
    source: Quantity,
    *,
    doc_currency: str | None = None,
    doc_date: date | None = None,
) -> Reason | None:
    """Judge a claim number against one source number of the same kind and unit family.

    Returns None when the pair says nothing about the claim: the values differ *and* the
    source number belongs to another period, basis or role (a different figure for a different
    thing is not a contradiction). When the values agree but an attribute differs, the attribute
    decides (27.4% growth does not support "27.4% of revenue": ``role_mismatch``).
    """
    if claim.kind is Kind.DATE or source.kind is Kind.DATE:
        return judge_date(claim, source, doc_date=doc_date)
    value_reason = judge_value(claim, source)
    conflict = attribute_conflict(claim, source, doc_currency=doc_currency, doc_date=doc_date)
    verdict = REASON_VERDICT[value_reason]
    if verdict is Verdict.SUPPORTED:
        return conflict or value_reason
    if conflict is None or conflict is Reason.CURRENCY_MISMATCH:
        return value_reason
    return None


def judge_date(claim: Quantity, source: Quantity, *, doc_date: date | None) -> Reason | None:
    """Dates compare field by field once 去年 is resolved; a year the source cannot anchor (去年
    without a document date) is ``unresolved_date``. A source date written without a year
    (5月22日) takes the document's year when there is a document date (last year's when it
    would lie after it) and otherwise does not contradict the claim's year: transcripts leave
    the current year implicit. A bare year in the claim ("for 2024") matches a source year
    written as a date (24年)."""
    if claim.kind is not Kind.DATE or source.kind is not Kind.DATE:
        return None
    c, s = claim.date, source.date
    if c is None or s is None:
        return None
    claim_year = resolve_year(c.year, c.relative_year, doc_date)
    source_year = resolve_year(s.year, s.relative_year, doc_date)
    if source_year is None and s.relative_year is None and doc_date is not None and s.month:
        # 5月22日 in a call dated 2024-05-27 is 2024; 12月18日 in it would be last December
        later = (s.month, s.day or 1) > (doc_date.month, doc_date.day)
        source_year = doc_date.year - 1 if later else doc_date.year
    for left, right in ((c.month, s.month), (c.day, s.day)):
        if left is not None and right is not None and left != right:
            return Reason.DATE_MISMATCH
    if claim_year is not None and source_year is not None and claim_year != source_year:
        return Reason.DATE_MISMATCH
    if (c.month is not None and s.month is None) or (c.day is not None and s.day is None):
        return None
    if c.month is None and s.year is None and s.relative_year is None:
        return None  # a bare year ("2023年") says nothing about a source date without one
    if claim_year is not None and source_year is None and s.relative_year is not None:
        return Reason.UNRESOLVED_DATE  # 去年12月18日 and no document date
    if claim_year is None and c.relative_year is not None:
        if s.relative_year is not None:  # 去年11月 both: the same whatever the year (resolved
            # on the source side from its article's date, or not at all)
            return Reason.EXACT if c.relative_year == s.relative_year else Reason.DATE_MISMATCH
        if source_year is not None:
            return Reason.UNRESOLVED_DATE
    return Reason.EXACT


def computed_supports(
    claim_value: Decimal,
    claim_precision: Decimal,
    low: Decimal,
    value: Decimal,
    high: Decimal,
) -> bool:
    """Whether a value the source implies by arithmetic (``value``, lying between ``low`` and
    ``high`` when its operands are read at their written precision) supports a claim: the value
    rounded half-up to the claim's precision equals the claim, and the operands' own rounding
    moves the result by no more than one step of the claim ("19%" from 652.6 and 547.8 =
    19.13%, between 19.11% and 19.15%: supported; "19.13%" is more precise than two figures
    written to 0.1 million allow: not supported)."""
    if claim_precision <= 0 or high - low > claim_precision:
        return False
    return round_to(value, claim_precision) == claim_value


def growth_between(
    current: Decimal, current_precision: Decimal, base: Decimal, base_precision: Decimal
) -> tuple[Decimal, Decimal, Decimal] | None:
    """Growth in percent from ``base`` to ``current`` with its bounds (low, value, high) when
    each operand may be off by half its written precision; None for a base ≤ 0 (no growth
    rate then). Example: 652.6 vs 547.8 (both to 0.1) → (19.11…, 19.13…, 19.15…)."""
    half_c, half_b = current_precision / 2, base_precision / 2
    if base - half_b <= 0:
        return None
    hundred = Decimal(100)
    value = (current - base) / base * hundred
    low = (current - half_c - (base + half_b)) / (base + half_b) * hundred
    high = (current + half_c - (base - half_b)) / (base - half_b) * hundred
    return low, value, high


def growth_from_change(
    level: Decimal, level_precision: Decimal, change: Decimal, change_precision: Decimal
) -> tuple[Decimal, Decimal, Decimal] | None:
    """Growth in percent of a level that changed by ``change`` (signed) from its base
    ``level - change``, with bounds as in `growth_between`: "$28.8 million, up $1.6 million" →
    1.6 / 27.2 = 5.88% (between 5.69% and 6.08%)."""
    half_l, half_c = level_precision / 2, change_precision / 2
    hundred = Decimal(100)
    base = level - change
    if base - half_l - half_c <= 0:
        return None
    value = change / base * hundred
    low = (change - half_c) / (level + half_l - (change - half_c)) * hundred
    high = (change + half_c) / (level - half_l - (change + half_c)) * hundred
    return low, value, high
