"""Summary metrics, each a small pure function whose docstring is its exact definition.

Every function here scores one document; `mean` aggregates per-document values into the
overall figure (a macro average: each document weighs the same, documents where a metric is
undefined — ``None`` — are left out). They read the `SummaryReport` contract and the
extractor/verifier's public functions, never their internals, so a metric means the same thing
for every summarizer and for the lead-N baseline.

Example::

    >>> verbatim_precision(["收入166.5亿，增长27%"], "收入达到了166.5亿。同比增长27.4%")
    0.5
    >>> rouge_l("快手收入增长", "快手收入同比增长")  # character level for Chinese
    0.857...
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache

from rouge_score import rouge_scorer

from toolkit.bilingual import same_quantity
from toolkit.numbers import extract_quantities
from toolkit.quantity import Kind
from toolkit.summary import Item, ItemStatus, SummaryReport
from toolkit.verdict import Verdict, Verification

# A number as written: digits with optional thousands separators and decimals ("1,234.5").
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
_CJK = re.compile(r"[\u3400-\u9fff]")
_SENTENCE_END = re.compile(r"(?<=[。！？!?])|(?<=\.)\s+|\n+")


def is_chinese(text: str) -> bool:
    """True when at least 20% of the non-space characters of ``text`` are CJK ideographs."""
    chars = [c for c in text if not c.isspace()]
    return bool(chars) and len(_CJK.findall(text)) >= 0.2 * len(chars)


def number_strings(text: str) -> list[str]:
    """The numbers of ``text`` as digit strings, thousands separators removed ("1,234.5" →
    "1234.5"); "GPT4.0" gives "4.0": this is the surface measure, not the extractor."""
    return [m.group().replace(",", "") for m in _NUMBER.finditer(text)]


def verbatim_precision(summary: Sequence[str], source: str) -> float | None:
    """Share of the number strings of ``summary`` (`number_strings` of every text) that are
    also number strings of ``source``: whole numbers compared as written, so "27" is not found
    in "27.4" and "1,234" is found as "1234".

    This is the measure ECT-BPS and the ECTSum repository report ("numbers found in the
    source"); it credits a copied number even when it is attached to the wrong metric, and it
    cannot credit a conversion (166.5亿 → 16.65 billion). None when the summary has no numbers.
    """
    in_source = set(number_strings(source))
    found = total = 0
    for text in summary:
        for digits in number_strings(text):
            total += 1
            found += digits in in_source
    return found / total if total else None


def naive_supported(claim: str, source: str) -> bool:
    """The naive verifier: a claim is supported when each of its number strings occurs verbatim
    in the source (thousands separators ignored). A claim without numbers is supported."""
    plain_source = source.replace(",", "")
    return all(digits in plain_source for digits in number_strings(claim))


def naive_support_rate(claims: Sequence[str], source: str) -> float | None:
    """Share of the claims that contain a number and that the naive verifier
    (`naive_supported`) calls supported. None when no claim contains a number."""
    with_numbers = [c for c in claims if number_strings(c)]
    if not with_numbers:
        return None
    return sum(naive_supported(c, source) for c in with_numbers) / len(with_numbers)


def check_precision(verifications: Iterable[Verification]) -> tuple[float | None, int]:
    """(share of checked numbers whose verdict is supported, number of checked numbers) over
    every `NumberCheck` of ``verifications``; the share is None when nothing was checked."""
    total = supported = 0
    for verification in verifications:
        for check in verification.checks:
            total += 1
            supported += check.verdict is Verdict.SUPPORTED
    return (supported / total if total else None), total


def numeric_precision(report: SummaryReport) -> float | None:
    """Our measure: share of the quantities stated in the kept items (headline, bullets,
    claims; zh and en sides both counted) whose verifier verdict is supported, i.e.
    ``report.final.supported / report.final.quantities``. None when no quantity is stated."""
    stats = report.final
    return stats.supported / stats.quantities if stats.quantities else None


def draft_precision(report: SummaryReport) -> float | None:
    """`numeric_precision` of the model's first answer, before repair and dropping
    (``report.draft``): how good the model is on its own."""
    stats = report.draft
    return stats.supported / stats.quantities if stats.quantities else None


def written_items(report: SummaryReport) -> list[Item]:
    """Every item the model ended up writing: the kept ones and the dropped ones."""
    return [*report.items, *(d.item for d in report.dropped)]


def _has_numbers(item: Item) -> bool:
    return item.checks_total > 0


def claim_support_rate(report: SummaryReport) -> float | None:
    """Share of the written items with at least one number (kept or dropped, after repair) whose
    status is supported: every number on both sides supported and the sides consistent.
    None when no item has a number."""
    items = [i for i in written_items(report) if _has_numbers(i)]
    if not items:
        return None
    return sum(i.status is ItemStatus.SUPPORTED for i in items) / len(items)


def contradicted_rate(report: SummaryReport) -> float | None:
    """Share of the written items with at least one number (kept or dropped, after repair) of
    which either side has the verdict contradicted. None when no item has a number."""
    items = [i for i in written_items(report) if _has_numbers(i)]
    if not items:
        return None
    contradicted = sum(
        Verdict.CONTRADICTED in (i.verification.zh.verdict, i.verification.en.verdict)
        for i in items
    )
    return contradicted / len(items)


def dropped_rate(report: SummaryReport) -> float | None:
    """Share of the written items (kept + dropped) that were dropped after the last repair round
    because they still failed. None when the model wrote nothing."""
    written = len(report.items) + len(report.dropped)
    return len(report.dropped) / written if written else None


def bilingual_consistency(report: SummaryReport) -> float | None:
    """Share of the written items (kept + dropped) whose zh and en sides state the same
    quantities (`toolkit.bilingual.compare_sides`: matched one to one in base units).
    None when the model wrote nothing."""
    items = written_items(report)
    if not items:
        return None
    return sum(i.consistency.consistent for i in items) / len(items)


def numeric_recall(reference: Sequence[str], summary: Sequence[str]) -> tuple[float | None, int]:
    """(share of the reference's quantities that the summary also states, reference quantities).

    Quantities are extracted from every reference text and every summary text (dates
    excluded); a reference quantity is recalled when some summary quantity is the same in base
    units by the verifier's own rule (`toolkit.bilingual.same_quantity`: equal or a rounding of
    each other, compatible units, no conflict of basis/role/period), so 166.5亿 is recalled by
    "RMB16.65 billion" or "166.5亿元". Each summary quantity recalls at most one reference
    quantity. The share is None when the reference states no quantity.
    """
    wanted = [q for text in reference for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    if not wanted:
        return None, 0
    available = [q for text in summary for q in extract_quantities(text) if q.kind is Kind.NUMBER]
    recalled = 0
    for quantity in wanted:
        partner = next((q for q in available if same_quantity(quantity, q)), None)
        if partner is not None:
            available.remove(partner)
            recalled += 1
    return recalled / len(wanted), len(wanted)


class _CharTokenizer:
    """rouge-score tokenizer for Chinese: one token per character, whitespace and punctuation
    dropped, Latin letters lower-cased (the usual character-level ROUGE for Chinese)."""

    def tokenize(self, text: str) -> list[str]:
        return [
            c.lower()
            for c in unicodedata.normalize("NFKC", text)
            if not c.isspace() and not unicodedata.category(c).startswith("P")
        ]


@cache
def _scorer(chinese: bool) -> rouge_scorer.RougeScorer:
    if chinese:
        return rouge_scorer.RougeScorer(["rougeLsum"], tokenizer=_CharTokenizer())
    return rouge_scorer.RougeScorer(["rougeLsum"], use_stemmer=True)


def rouge_l(candidate: str, reference: str) -> float | None:
    """Summary-level ROUGE-L F1 of ``candidate`` against ``reference``, computed by Google's
    ``rouge-score`` package (its ``rougeLsum``: both texts split into sentences at line breaks,
    one sentence per bullet; the union longest common subsequence of each reference sentence
    with the candidate sentences; on one line each it equals plain ROUGE-L). Tokens are
    characters when the reference is Chinese (`is_chinese`; every non-space, non-punctuation
    character), otherwise the package's English tokenizer with the Porter stemmer.
    None when either text is empty."""
    if not candidate.strip() or not reference.strip():
        return None
    score = _scorer(is_chinese(reference)).score(reference, candidate)["rougeLsum"]
    return float(score.fmeasure)


def lead_sentences(source: str, n: int) -> list[str]:
    """The lead-N baseline summary: the first ``n`` sentences of ``source`` with at least one
    letter or ideograph (ends at 。！？!?, a line break, or ". " before a space)."""
    sentences: list[str] = []
    for piece in _SENTENCE_END.split(source):
        sentence = " ".join(piece.split())
        if any(c.isalpha() for c in sentence):
            sentences.append(sentence)
            if len(sentences) == n:
                break
    return sentences


def mean(values: Iterable[float | None]) -> float | None:
    """Macro average of the defined values (``None`` left out); None when none is defined."""
    defined = [v for v in values if v is not None]
    return sum(defined) / len(defined) if defined else None
