"""What the model fills in: small, flat schemas, so a 1.5B model in tools mode gets them right.

These are the wire format between prompts and the pipeline, deliberately apart from the
`SummaryReport` contract: the model only ever writes text (both languages and a quoted
evidence sentence); ids, verdicts, spans and rendering are verisum's job.

Example::

    >>> DraftBullet(part=3, zh="二季度电商收入82.3亿元。", en="Q2 e-commerce revenue: RMB8.23bn.")
"""

from __future__ import annotations

import copy
import functools
from typing import Annotated, Any, TypeVar

import pydantic_core
from pydantic import AfterValidator, BaseModel, Field, ValidationError, field_validator

# A hard cap on every list, written into the JSON schema (maxItems). llama.cpp turns the schema
# into a grammar, so the embedded model cannot run on: without it a 1.5B model at temperature 0
# may repeat items until max_tokens, the JSON is cut off, and the reask (carrying the cut answer
# twice) overflows the context. Strings are not capped: a maxLength of a few hundred compiles to
# a deeply nested grammar that made sampling several times slower (and cut sentences mid-word).
MAX_LIST = 10


def _not_blank(value: str) -> str:
    value = " ".join(value.split())
    if not value:
        raise ValueError("must not be empty")
    return value


# Whitespace folded, and refused when nothing is left (the schema sent is a plain string).
Text = Annotated[str, AfterValidator(_not_blank)]


class DraftClaim(BaseModel):
    """A fact with the sentence of the document that proves it.

    (Measured on the sample with the 1.5B model: asked for the evidence before the fact, it
    wrote the evidence in English and the zh side too; in this order it copies the source.)
    """

    zh: Text = Field(description="the fact in Simplified Chinese")
    en: Text = Field(description="the same fact in English, with the same numbers")
    evidence: str = Field(
        description="one sentence copied exactly from the document, in its language",
    )

    @field_validator("evidence")
    @classmethod
    def _strip_evidence(cls, value: str) -> str:
        return value.strip()


class DraftBullet(BaseModel):
    """A key fact of one numbered part of the document (or one numbered note when reducing).

    ``part`` comes first: a weak model asked for "bullet k from part [k]" writes 1, 2, 3… and
    then the fact of that part, so the bullets cover the whole call instead of its beginning.
    """

    part: int = Field(ge=0, le=999, description="the number [n] of the part the fact is from")
    zh: Text = Field(description="the fact in Simplified Chinese")
    en: Text = Field(description="the same fact in English, with the same numbers")


class ChunkNotes(BaseModel):
    """Map step: the facts found in one part of a long document."""

    claims: list[DraftClaim] = Field(
        max_length=MAX_LIST, description="facts with numbers, most important first"
    )


class DraftSummary(BaseModel):
    """Reduce step (or the single call for a short document)."""

    headline_zh: Text = Field(description="one sentence in Chinese: the main message")
    headline_en: Text = Field(description="the same sentence in English")
    bullets: list[DraftBullet] = Field(
        min_length=1, max_length=MAX_LIST, description="key facts, one per part, in order"
    )
    claims: list[DraftClaim] = Field(
        max_length=MAX_LIST, description="facts with numbers and their evidence"
    )


class RepairedItem(BaseModel):
    """Repair step: the corrected text of one item, by its id."""

    id: str = Field(description="the id of the item, as given")
    zh: str = Field()
    en: str = Field()
    evidence: str = Field(default="", description="for claims: the sentence that proves it")


class RepairedItems(BaseModel):
    """Repair step: one corrected item per item sent."""

    items: list[RepairedItem] = Field(max_length=2 * MAX_LIST + 1)


class TranslatedItem(BaseModel):
    """Translate step: one item's sentence in the other language, by its id."""

    id: str = Field(description="the id of the item, as given")
    text: Text = Field(description="the translated sentence")


class TranslatedItems(BaseModel):
    """Translate step: one translated sentence per item sent."""

    items: list[TranslatedItem] = Field(max_length=2 * MAX_LIST + 1)


@functools.lru_cache(maxsize=64)
def summary_for_parts(parts: tuple[int, ...], claims: int) -> type[DraftSummary]:
    """`DraftSummary` whose JSON schema fixes the bullets to one per part of ``parts``, in order,
    and allows at most ``claims`` claims.

    Told "one bullet per part", a 1.5B model still writes ten bullets about part [1]. With
    ``"part": {"const": k}`` as the k-th bullet's first field (llama.cpp compiles the schema to a
    grammar, hosted models follow it), it must write ``"part": 7`` before the seventh bullet,
    which points it at part [7]. Only the schema sent changes: validation is `DraftSummary`'s, so
    an answer is a `DraftSummary` whatever model wrote it.
    """

    def model_json_schema(cls: type[DraftSummary], *args: Any, **kwargs: Any) -> dict[str, Any]:
        schema: dict[str, Any] = DraftSummary.model_json_schema.__func__(cls, *args, **kwargs)  # type: ignore[attr-defined]
        bullet = schema["$defs"]["DraftBullet"]
        forced = []
        for part in parts:
            item = copy.deepcopy(bullet)
            item["properties"]["part"] = {"const": part, "title": "Part", "type": "integer"}
            forced.append(item)
        schema["properties"]["bullets"] = {
            "type": "array",
            "prefixItems": forced,
            "minItems": len(parts),
            "maxItems": len(parts),
            "description": "one bullet per part, in this order",
        }
        schema["properties"]["claims"]["maxItems"] = claims
        return schema

    return type(
        "DraftSummary",
        (DraftSummary,),
        {
            "__doc__": DraftSummary.__doc__,
            "__module__": __name__,
            "model_json_schema": classmethod(model_json_schema),
        },
    )


M = TypeVar("M", bound=BaseModel)


def salvage(model: type[M], text: str) -> M | None:
    """The complete part of an answer cut off at ``max_tokens``, or None when nothing usable is.

    A cut answer is valid JSON up to the cut: parsed leniently (pydantic-core's partial mode
    drops the unfinished string), it validates except for the *last* item of a list, which the
    cut left without some field. That item is dropped; an invalid item anywhere else, or a
    required field missing outside a list (a headline cut off), means the answer was not just
    cut but wrong, and nothing is kept. Measured on ECTSum RES_q4_2019: the 1.5B model copied
    whole paragraphs as bullets and ran out of its 3,000 tokens in the fourth claim; kept: the
    headline, 8 bullets and 3 claims.
    """
    try:
        data = pydantic_core.from_json(text, allow_partial=True)
    except ValueError:
        return None
    if not isinstance(data, dict):
        return None
    while True:
        try:
            return model.model_validate(data)
        except ValidationError as exc:
            errors = exc.errors()
        # Lists the cut came before were never started: empty. Any other error outside a
        # list item means the answer is wrong, not cut.
        unstarted: set[str] = set()
        broken: set[tuple[Any, Any]] = set()
        for error in errors:
            loc = error["loc"]
            if len(loc) >= 2:
                broken.add((loc[0], loc[1]))
            elif error["type"] == "missing" and _is_list(model, loc[0]):
                unstarted.add(str(loc[0]))
            else:
                return None
        data.update({field: [] for field in unstarted})
        if not broken:
            continue
        if len(broken) > 1:
            return None
        ((field, index),) = broken
        items = data.get(field) if isinstance(field, str) else None
        if not isinstance(items, list) or index != len(items) - 1:
            return None
        del items[index]


def _is_list(model: type[BaseModel], field: object) -> bool:
    info = model.model_fields.get(field) if isinstance(field, str) else None
    return info is not None and getattr(info.annotation, "__origin__", None) is list
