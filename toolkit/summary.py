"""`SummaryReport`: the contract between the summarizer and batch, evals and reports.

One report says everything a reader or a harness needs without re-running anything: which
document (id and sha256 of its text), what was written (headline, bullets and claims in zh and
en), how each side of each item verified against the source, where each claim's evidence sits
in the *original* text, what the repair loop did round by round, what was dropped and why, and
what it cost (tokens, seconds per stage, model, prompt versions, numbers mode).

Example::

    >>> report = summarize(text, doc_id="kuaishou-2024q1")
    >>> report.bullets[0].en, report.bullets[0].status
    ('Q1 online marketing services revenue was RMB16.65 billion, up 27.4% year on year.',
     <ItemStatus.SUPPORTED: 'supported'>)
    >>> report.final.precision
    1.0
"""

from __future__ import annotations

from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from toolkit.usage import Usage
from toolkit.verdict import Verdict, Verification

NumbersMode = Literal["free", "grounded"]
SCHEMA_VERSION = 1


class EvidenceMethod(StrEnum):
    """How a quoted evidence sentence was found in the source."""

    EXACT = "exact"
    NORMALIZED = "normalized"
    FUZZY = "fuzzy"
    # The quote was not found, but every number of the claim was (the verifier says where): the
    # evidence is the source sentence holding them, and the model's own quote is kept beside it.
    NUMBERS = "numbers"
    UNLOCATED = "unlocated"


class Evidence(BaseModel):
    """A quote from the source and where it is in the original text (None when not found)."""

    model_config = ConfigDict(frozen=True)

    quote: str
    span: tuple[int, int] | None = Field(description="(start, end) into the original text")
    method: EvidenceMethod
    score: float = Field(ge=0, le=1, description="1.0 for exact and normalized matches")
    as_quoted: str | None = Field(
        default=None, description="what the model quoted, when the quote above is another text"
    )

    @property
    def located(self) -> bool:
        return self.span is not None


class Sides(BaseModel):
    """The verifier's verdict on each language side of an item."""

    model_config = ConfigDict(frozen=True)

    zh: Verification
    en: Verification


class Consistency(BaseModel):
    """Whether the zh and en sides state the same quantities (compared in base units)."""

    model_config = ConfigDict(frozen=True)

    consistent: bool
    zh_only: list[str] = Field(default_factory=list, description="as written on the zh side")
    en_only: list[str] = Field(default_factory=list, description="as written on the en side")
    message: str = ""


class ItemStatus(StrEnum):
    """The outcome for one item after verification and repair."""

    SUPPORTED = "supported"  # every number on both sides supported, sides consistent
    NO_NUMBERS = "no_numbers"  # nothing to check (qualitative), sides consistent
    FLAGGED = "flagged"  # not supported, kept because of keep_unsupported (or the headline)


class Item(BaseModel):
    """A bullet (or the headline) as it ends up in the summary."""

    id: str = Field(description='"headline", "b1", "b2"... or "c1", "c2"...')
    zh: str
    en: str
    verification: Sides
    consistency: Consistency
    status: ItemStatus
    problems: list[str] = Field(
        default_factory=list, description="what is still wrong, in the verifier's words"
    )
    repaired: int = Field(default=0, description="repair rounds that rewrote this item")

    @property
    def checks_total(self) -> int:
        return len(self.verification.zh.checks) + len(self.verification.en.checks)

    @property
    def checks_supported(self) -> int:
        return sum(
            check.verdict is Verdict.SUPPORTED
            for side in (self.verification.zh, self.verification.en)
            for check in side.checks
        )


class ClaimItem(Item):
    """A claim: an item with the quoted evidence and its location in the source."""

    evidence: Evidence


class DroppedItem(BaseModel):
    """An item removed after the last repair round, with the reasons it failed."""

    kind: Literal["headline", "bullet", "claim"]
    item: Item | ClaimItem


class RepairEntry(BaseModel):
    """One item sent back to the model in one round, and what came back."""

    id: str
    before: dict[str, str] = Field(description="zh, en (and evidence) as sent")
    problems: list[str]
    after: dict[str, str] | None = Field(default=None, description="None when not returned")
    fixed: bool = False


class RepairRound(BaseModel):
    """One round of the repair loop."""

    round: int = Field(
        description="1, 2… for the repair prompt; 0 for the steps before it: translating a side "
        "written in the wrong language, and rescaling numbers off by 10ⁿ"
    )
    prompt: str = Field(
        description="id@version of the prompt (repair, translate), or 'rescale' (no model)"
    )
    entries: list[RepairEntry]
    seconds: float
    error: str | None = Field(default=None, description="why the round failed, if it did")


class NumericStats(BaseModel):
    """How many quantities a set of items states (both sides) and how many verify supported."""

    items: int
    quantities: int
    supported: int
    contradicted: int
    unverifiable: int

    @property
    def precision(self) -> float | None:
        """Share of stated quantities that verify supported; None when there are none."""
        return round(self.supported / self.quantities, 4) if self.quantities else None


class SummaryReport(BaseModel):
    """Everything about one summarized document; see the module docstring."""

    schema_version: int = SCHEMA_VERSION
    doc_id: str
    sha256: str = Field(description="of the source text as given (UTF-8)")
    chars: int
    model: str
    endpoint: str
    numbers: NumbersMode
    prompts: list[str] = Field(description="id@version of every prompt used")
    headline: Item
    bullets: list[Item]
    claims: list[ClaimItem]
    dropped: list[DroppedItem] = Field(default_factory=list)
    repairs: list[RepairRound] = Field(default_factory=list)
    draft: NumericStats = Field(description="the model's first answer, before any repair")
    repaired: NumericStats = Field(description="after repair, before dropping")
    final: NumericStats = Field(description="the items kept in this report")
    chunks: int = Field(description="1 when the document went in one call")
    warnings: list[str] = Field(default_factory=list)
    usage: Usage
    timings: dict[str, float] = Field(description="seconds per stage, and total")

    @property
    def items(self) -> list[Item]:
        """Headline, bullets and claims in order."""
        return [self.headline, *self.bullets, *self.claims]
