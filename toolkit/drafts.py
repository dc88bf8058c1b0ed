"""What the model fills in: small, flat schemas, so a 1.5B model in tools mode gets them right.

These are the wire format between prompts and the pipeline, deliberately apart from the
`SummaryReport` contract: the model only ever writes text (both languages and a quoted
evidence sentence); ids, verdicts, spans and rendering are verisum's job.

Example::

    >>> DraftItem(zh="第二季度电商收入82.3亿元。", en="Q2 e-commerce revenue was RMB8.23 billion.")
"""

from __future__ import annotations

from pydantic import BaseModel, Field, field_validator


def _clean(value: str) -> str:
    return " ".join(value.split())


class DraftItem(BaseModel):
    """One fact in both languages."""

    zh: str = Field(description="the fact in Simplified Chinese")
    en: str = Field(description="the same fact in English, with the same numbers")

    @field_validator("zh", "en")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("must not be empty")
        return value


class DraftClaim(DraftItem):
    """A fact with the sentence of the document that proves it."""

    evidence: str = Field(description="one sentence copied exactly from the document")

    @field_validator("evidence")
    @classmethod
    def _strip_evidence(cls, value: str) -> str:
        return value.strip()


class ChunkNotes(BaseModel):
    """Map step: the facts found in one part of a long document."""

    claims: list[DraftClaim] = Field(description="facts with numbers, most important first")


class DraftSummary(BaseModel):
    """Reduce step (or the single call for a short document)."""

    headline_zh: str = Field(description="one sentence in Chinese: the main message")
    headline_en: str = Field(description="the same sentence in English")
    bullets: list[DraftItem] = Field(min_length=1, description="key facts, most important first")
    claims: list[DraftClaim] = Field(description="facts with numbers and their evidence")

    @field_validator("headline_zh", "headline_en")
    @classmethod
    def _headline(cls, value: str) -> str:
        value = _clean(value)
        if not value:
            raise ValueError("must not be empty")
        return value


class RepairedItem(BaseModel):
    """Repair step: the corrected text of one item, by its id."""

    id: str = Field(description="the id of the item, as given")
    zh: str
    en: str
    evidence: str = Field(default="", description="for claims: the sentence that proves it")


class RepairedItems(BaseModel):
    """Repair step: one corrected item per item sent."""

    items: list[RepairedItem]
