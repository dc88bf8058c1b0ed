"""Check each summary item: verify both language sides against the whole source, compare the
sides' quantities, locate a claim's evidence, and list what is wrong in words the repair
prompt can pass back to the model.

The source is prepared once per document (the verifier extracts its quantities once, the
evidence locator normalizes it once), because the repair loop checks items several times.

Example::

    >>> checker = ItemChecker(source)
    >>> item = checker.check(WorkItem(id="b1", kind="bullet", zh="线上营销服务收入166.5亿元。",
    ...                               en="Online marketing revenue was RMB166.5 billion."))
    >>> item.status, item.problems
    (<ItemStatus.FLAGGED: 'flagged'>, ['en: claim says RMB166.5 billion ...; source says 166.5亿
    = RMB16.65bn at 1:37-42', 'zh and en state different numbers: ...'])
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from datetime import date
from typing import Literal

from pydantic import BaseModel

from toolkit.bilingual import compare_sides
from toolkit.evidence import SourceText, from_numbers, locate
from toolkit.grounded import Tag, fill, source_quote
from toolkit.quantity import Kind
from toolkit.summary import ClaimItem, Consistency, Item, ItemStatus, Sides
from toolkit.verdict import Verdict, Verification
from toolkit.verify import PreparedSource, prepare_source

ItemKind = Literal["headline", "bullet", "claim"]
# The one-call prompt shows the document as "[3] A:..." parts; a quote may keep that label.
_PART_LABEL = re.compile(r"^\s*\[\d+\]\s*(?:[QA]\s*[:：]\s*)?")


class WorkItem(BaseModel):
    """An item as the model wrote it (placeholders and all), while the pipeline works on it."""

    id: str
    kind: ItemKind
    zh: str
    en: str
    evidence: str | None = None
    repaired: int = 0

    def as_sent(self) -> dict[str, str]:
        sent = {"zh": self.zh, "en": self.en}
        if self.evidence is not None:
            sent["evidence"] = self.evidence
        return sent


class ItemChecker:
    """Checks items against one source; see the module docstring."""

    def __init__(
        self,
        source: str,
        *,
        doc_date: date | None = None,
        tags: Mapping[str, Tag] | None = None,
        evidence_source: SourceText | None = None,
    ) -> None:
        self.source = source
        self.doc_date = doc_date
        self.tags: Mapping[str, Tag] = tags or {}
        self.prepared: PreparedSource = prepare_source(source, doc_date=doc_date)
        self.evidence_source = evidence_source or SourceText(source)

    def check(self, work: WorkItem) -> Item | ClaimItem:
        """The item with its verdicts, consistency, evidence location and problems."""
        zh, zh_unknown = fill(work.zh, self.tags, "zh")
        en, en_unknown = fill(work.en, self.tags, "en")
        sides = Sides(zh=self._verify(zh), en=self._verify(en))
        consistency = compare_sides(zh, en)
        problems = _number_problems(sides, consistency)
        problems += [f"zh: {name} is not a tag in <quantities>" for name in zh_unknown]
        problems += [f"en: {name} is not a tag in <quantities>" for name in en_unknown]
        problems += _language_problems(zh, en)
        blocking = bool(problems)
        status = ItemStatus.FLAGGED if blocking else _clean_status(sides)
        fields = {
            "id": work.id,
            "zh": zh,
            "en": en,
            "verification": sides,
            "consistency": consistency,
            "status": status,
            "repaired": work.repaired,
        }
        if work.kind != "claim":
            return Item(**fields, problems=problems)
        quote = _PART_LABEL.sub("", source_quote(work.evidence or "", self.tags))
        evidence = locate(quote, self.evidence_source)
        if not evidence.located and not problems:
            # Amounts only: a claim's year or "three years" found in a question is no evidence.
            found = [
                check.source.span
                for check in (*sides.zh.checks, *sides.en.checks)
                if check.source is not None
                and check.claim.kind is Kind.NUMBER
                and check.claim.unit is not None
            ]
            evidence = from_numbers(quote, self.evidence_source, found)
        if not evidence.located:
            # A claim is only as good as its quote: one that cannot be found is not kept.
            problems.append(
                "evidence: this sentence is not in the document; copy one sentence exactly"
            )
            fields["status"] = ItemStatus.FLAGGED
        return ClaimItem(**fields, problems=problems, evidence=evidence)

    def _verify(self, text: str) -> Verification:
        return self.prepared.verify(text)


def is_blocking(item: Item) -> bool:
    """An item is kept only when this is False (or kept flagged with keep_unsupported)."""
    return item.status is ItemStatus.FLAGGED


def _clean_status(sides: Sides) -> ItemStatus:
    if not sides.zh.checks and not sides.en.checks:
        return ItemStatus.NO_NUMBERS
    return ItemStatus.SUPPORTED


def _number_problems(sides: Sides, consistency: Consistency) -> list[str]:
    problems: list[str] = []
    for lang, verification in (("zh", sides.zh), ("en", sides.en)):
        for check in verification.checks:
            if check.verdict is not Verdict.SUPPORTED:
                problems.append(f"{lang}: {check.message}")
    if not consistency.consistent:
        problems.append(consistency.message)
    return problems


# The problem each side gets when it is in the wrong language (the translate step looks for it).
WRONG_LANGUAGE = {
    "zh": "zh: must be written in Chinese",
    "en": "en: must be written in English, without Chinese characters",
}


def _language_problems(zh: str, en: str) -> list[str]:
    problems: list[str] = []
    if _cjk_share(zh) < 0.3:
        problems.append(WRONG_LANGUAGE["zh"])
    if _cjk_share(en) > 0.1:
        problems.append(WRONG_LANGUAGE["en"])
    return problems


def _cjk_share(text: str) -> float:
    letters = [ch for ch in text if ch.isalpha()]
    if not letters:
        return 0.0
    wide = sum(unicodedata.east_asian_width(ch) == "W" for ch in letters)
    return wide / len(letters)
