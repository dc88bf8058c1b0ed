"""The verifier's output contract: one `Verification` per claim, one `NumberCheck` per number.

The summarizer, the repair loop and the reports read these models, never the verifier's
internals, so every decision carries its evidence: the source quantity it was judged against,
where that quantity sits in the source ("line:col-col", 1-based, end inclusive) and one human
sentence saying why.

Example: the claim "Online marketing revenue was RMB16.5 billion" against
"线上营销服务收入达到了166.5亿" gives
``Verification(verdict="contradicted", reason="value_mismatch")`` with one check whose message reads
"claim says RMB16.5 billion = RMB16.5bn; source says 166.5亿 = RMB16.65bn at 1:12-17".
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from toolkit.quantity import Quantity


class Verdict(StrEnum):
    """What the source says about a claim or one of its numbers."""

    SUPPORTED = "supported"
    CONTRADICTED = "contradicted"
    UNVERIFIABLE = "unverifiable"


class Reason(StrEnum):
    """Why a number got its verdict. Each code belongs to exactly one verdict (`REASON_VERDICT`)."""

    # supported
    EXACT = "exact"
    CONVERTED = "converted"
    ROUNDED = "rounded"
    APPROXIMATE = "approximate"
    QUALIFIER_DROPPED = "qualifier_dropped"
    WITHIN_BOUND = "within_bound"
    COMPUTED = "computed"  # two source figures imply it: "19%" from $652.6M vs $547.8M
    # contradicted
    VALUE_MISMATCH = "value_mismatch"
    SCALE_MISMATCH = "scale_mismatch"
    CURRENCY_MISMATCH = "currency_mismatch"
    BASIS_MISMATCH = "basis_mismatch"
    ROLE_MISMATCH = "role_mismatch"
    PERIOD_MISMATCH = "period_mismatch"
    DATE_MISMATCH = "date_mismatch"
    BOUND_CONFLICT = "bound_conflict"
    # unverifiable
    NO_CANDIDATE = "no_candidate"
    OTHER_METRIC = "other_metric"
    TOO_PRECISE = "too_precise"
    BOUND_UNDECIDED = "bound_undecided"
    UNRESOLVED_DATE = "unresolved_date"
    NO_NUMBERS = "no_numbers"
    UNSUPPORTED_LANGUAGE = "unsupported_language"
    UNKNOWN_IDENTIFIER = "unknown_identifier"


_SUPPORTED = {
    Reason.EXACT,
    Reason.CONVERTED,
    Reason.ROUNDED,
    Reason.APPROXIMATE,
    Reason.QUALIFIER_DROPPED,
    Reason.WITHIN_BOUND,
    Reason.COMPUTED,
}
_CONTRADICTED = {
    Reason.VALUE_MISMATCH,
    Reason.SCALE_MISMATCH,
    Reason.CURRENCY_MISMATCH,
    Reason.BASIS_MISMATCH,
    Reason.ROLE_MISMATCH,
    Reason.PERIOD_MISMATCH,
    Reason.DATE_MISMATCH,
    Reason.BOUND_CONFLICT,
}

REASON_VERDICT: dict[Reason, Verdict] = {
    reason: (
        Verdict.SUPPORTED
        if reason in _SUPPORTED
        else Verdict.CONTRADICTED
        if reason in _CONTRADICTED
        else Verdict.UNVERIFIABLE
    )
    for reason in Reason
}


class NumberCheck(BaseModel):
    """The verdict on one number of a claim, with the source quantity it was judged against.

    ``source`` is None when nothing in the source fits (reason ``no_candidate``);
    ``location`` is "line:col-col" of ``source.span`` in the source text (1-based, end inclusive);
    ``matched_on`` lists the lexicon concepts that tied the two numbers together, so a reader
    can see *why* this source number was chosen ("revenue", "online_marketing").
    """

    model_config = ConfigDict(frozen=True)

    claim: Quantity
    verdict: Verdict
    reason: Reason
    source: Quantity | None = None
    location: str | None = None
    matched_on: list[str] = Field(default_factory=list)
    message: str


class Verification(BaseModel):
    """The verdict on a whole claim: any number contradicted → contradicted; all supported →
    supported; otherwise (or with no numbers at all) unverifiable. A claim whose numbers are all
    supported but which names an identifier the source never writes (a fund code, "covid-22")
    is unverifiable with ``unknown_identifier``: it may be about something else.

    ``reason`` is the reason of the check that decided the verdict (the first contradicted one,
    else the first unverifiable one, else the first supported one), or ``no_numbers``.
    """

    model_config = ConfigDict(frozen=True)

    claim: str
    verdict: Verdict
    reason: Reason
    checks: list[NumberCheck] = Field(default_factory=list)
    unknown_identifiers: list[str] = Field(
        default_factory=list,
        description="digit strings of the claim that are not quantities (fund codes, 37/219, "
        "covid-19) and do not occur in the source; they make a supported claim unverifiable",
    )

    @property
    def reasons(self) -> list[Reason]:
        """The reason of every check in claim order (just ``[reason]`` when there are none)."""
        return [check.reason for check in self.checks] or [self.reason]
