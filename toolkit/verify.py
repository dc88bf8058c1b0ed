"""The deterministic claim verifier: is every number of a claim supported by the source?

No LLM and no randomness: the same claim and source give the same `Verification` every run.

How a claim number is judged (README "How the verifier decides" has the full rules):

1. The source is prepared once (`prepare_source`): its quantities are extracted, each gets a
   `toolkit.context.Context` (lexicon concepts, surface words, neighbouring numbers), and the
   features go into an inverted index, with the quantities also grouped by unit family.
2. A claim number is scored against the source quantities of a compatible unit family by the
   features they share (metric concepts weigh most) plus agreement of role, basis and period.
3. Only the best-fitting candidates of the *same metric* may support or contradict it (a value
   that occurs in the source for another metric is not support: ``other_metric``). Candidates
   whose metric is unknown may support but never contradict.
4. `toolkit.compare.judge` applies the value rules (rounding half-up, 10ⁿ slips, qualifiers,
   currency, basis, role, period, dates).
5. Claim verdict: any number contradicted → contradicted; all supported → supported; otherwise
   unverifiable; no numbers → unverifiable with ``no_numbers``.

Example::

    >>> src = prepare_source("第一季度线上营销服务收入达到了166.5亿。同比增长27.4%")
    >>> v = src.verify("Online marketing revenue was RMB16.7 billion, up 27% YoY")
    >>> v.verdict, [c.reason.value for c in v.checks]
    (<Verdict.SUPPORTED: 'supported'>, ['rounded', 'rounded'])
"""

from __future__ import annotations

import math
import re
import unicodedata
from bisect import bisect_right
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal

from pydantic import BaseModel

from toolkit.compare import (
    computed_supports,
    growth_between,
    growth_from_change,
    is_currency,
    judge,
    judge_value,
    period_conflict,
    resolve_year,
    round_to,
)
from toolkit.context import Context, TextLayout, describe, stated_for_other_date
from toolkit.errors import InputError
from toolkit.lexicon import Lexicon, load_lexicon
from toolkit.numerals import EN_ONES_WORDS
from toolkit.quantity import Kind, Qualifier, Quantity, Role
from toolkit.render import render
from toolkit.verdict import REASON_VERDICT, NumberCheck, Reason, Verdict, Verification

FIT_RATIO = 0.75
"""Candidates scoring at least 75% of the best same-metric candidate count as fitting: only
they can contradict a claim number."""
SUPPORT_RATIO = 0.5
"""A candidate of the same metric supports a claim number when it scores at least half the best
(the best-scoring one may be another line of the same table: 最高价 vs 最低价 share most words)."""
DISTINCTIVE_DIGITS = 4
"""An equal value with at least this many significant digits supports whatever its context."""
RANGE_GAP = 12
"""Characters between the two ends of a range written as two mentions: " to ", " and "."""
STRONG_SURFACE = 2.0
"""A claim whose metric the lexicon does not know may still be contradicted by a candidate
whose surface context (shared words, bigrams, neighbouring numbers) scores at least this."""

METRIC_BASE = 3.0
MODIFIER_BASE = 1.5
SURFACE_BASE = 0.6
NUMBER_KEY_BASE = 1.0

DOMINANT_MIN_MENTIONS = 5
DOMINANT_SHARE = 0.8
_BARE_AMOUNT_PRECISION = Decimal(10) ** 4  # 150万, 166.5亿, "10 million": amounts, not counts

_PLAIN_UNITS = frozenset({"%", "pp", "x"})
# (the lookbehind stands after the first digit, so the engine skips ahead to the next digit)
_IDENTIFIER_DIGITS = re.compile(r"\d(?<![\d.]\d)(?:\d+(?:\.\d+)?|\.\d+)(?!\d|\.\d)")
_TIME_OF_DAY = re.compile(r"(?<![\d.:：])(?P<h>[01]?\d|2[0-3])[:：](?P<m>[0-5]\d)(?![\d.])")
_HYPHEN_NAME = re.compile(r"\b[A-Za-z]+[-‐]\d+$")  # searched in the claim up to a digit run
DURATION_UNITS = frozenset(
    {"years", "months", "weeks", "days", "trading days", "quarters", "hours", "minutes"}
)
# "单位：人民币", "以港元计", "in millions of U.S. dollars" (case-insensitive). Written with the
# first character of every branch in one class up front (İ and ı are what "i" also matches
# without regard to case) and a lookbehind to tell the branches apart, so the engine skips ahead
# to those characters: the search of the whole source was 0.13 ms on the sample and 3 ms on a
# 58,000-character English transcript.
_CURRENCY_DECLARATION = re.compile(
    r"[单币货以iIoO\u0130\u0131](?i:"
    r"(?:(?<=单)位|(?<=币)种|(?<=货)币)\s*[:：]?\s*(?:[千万亿百]*\s*)?(?P<zh>人民币|港元|港币|美元)"
    r"|(?<=以)(?P<zh2>人民币|港元|港币|美元)(?:计|列示|为单位)"
    r"|(?:(?<=i)n|(?<=o)f)\s+(?:thousands|millions|billions)\s+of\s+(?P<en>U\.?S\.?\s*dollars|"
    r"Hong Kong dollars|HK\$|RMB|renminbi|yuan))"
)
_DECLARED = {
    "人民币": "CNY",
    "港元": "HKD",
    "港币": "HKD",
    "美元": "USD",
    "hong kong dollars": "HKD",
    "hk$": "HKD",
    "rmb": "CNY",
    "renminbi": "CNY",
    "yuan": "CNY",
}


def _family(quantity: Quantity) -> str:
    """Index key: "date", "money" (any currency), "bare" (no unit), or the unit itself."""
    if quantity.kind is Kind.DATE:
        return "date"
    if is_currency(quantity.unit):
        return "money"
    return quantity.unit or "bare"


def _claim_families(quantity: Quantity, known: Iterable[str]) -> list[str]:
    """Source families a claim number may be compared with: a bare source amount may be money
    or a count ("150万" vs "1.5 million users"), never a percentage or a multiple."""
    family = _family(quantity)
    if family == "date":
        return ["date"]
    if family in _PLAIN_UNITS:
        return [family]
    if family == "money":
        return ["money", "bare"]
    if family == "bare":
        return [f for f in known if f != "date" and f not in _PLAIN_UNITS]
    return [family, "bare"]


def detect_language(text: str) -> str | None:
    """ "zh" when CJK characters make up a fair share of the letters (one in five: a CJK
    character carries a word), "en" when Latin letters dominate, None when other scripts
    (Cyrillic, Arabic, kana...) dominate or there are no letters at all."""
    # Counted by regex runs rather than a loop over characters: infer_currency asks this of
    # 20,000 characters of every source, and the loop was a tenth of preparing the sample.
    # (every code point of both CJK blocks is a letter since Unicode 13; Python 3.11 has 14)
    if text.isascii():  # no CJK and no other script: the answer of the counts below, at once
        return "en" if _LATIN_LETTERS.search(text) else None  # (0.7 ms on 20,000 characters)
    rest = _NOT_OTHER.sub("", text)
    # Every character is ASCII, CJK or in ``rest``, so the CJK count is what is left: the same
    # number as summing the runs of [\u4e00-\u9fff\u3400-\u4dbf]+ (a scan of the text: 45 µs
    # of the sample's 105 µs).
    cjk = len(text) - len(text.encode("ascii", "ignore")) - len(rest)
    latin = sum(map(len, _LATIN_LETTERS.findall(text)))
    other = sum(map(str.isalpha, rest))
    if other > cjk + latin or cjk + latin == 0:
        return None
    return "zh" if cjk * 4 >= latin else "en"


_LATIN_LETTERS = re.compile(r"[A-Za-z]+")  # the ASCII letters: str.isalpha() of ASCII
_NOT_OTHER = re.compile(r"[\x00-\x7f\u4e00-\u9fff\u3400-\u4dbf]+")


def _letters(text: str) -> bool:
    return any(ch.isalpha() for ch in text)


def infer_currency(text: str, quantities: Sequence[Quantity]) -> str:
    """The currency a bare source amount is in.

    1. A declaration in the text: "单位：港元", "以人民币计", "in millions of U.S. dollars".
    2. A currency that dominates the amounts: at least 5 mentions and 80% of all amounts,
       the bare ones (166.5亿) included. A Chinese call that states its HK$ buybacks in 港币 but
       its revenue as a bare 166.5亿 keeps RMB; an English report writing HK$ before nearly
       every amount makes its few bare amounts HK$ too.
    3. Otherwise the language default: CNY for a Chinese text, USD for an English one.
    """
    m = _CURRENCY_DECLARATION.search(text[:200_000])
    if m is not None:
        word = next(g for g in m.groups() if g is not None)
        word = re.sub(r"\s+", " ", word.lower())
        if word.startswith("u"):
            return "USD"
        return _DECLARED.get(word, _DECLARED.get(m.group(0)[-2:], "CNY"))
    stated = Counter(q.unit for q in quantities if is_currency(q.unit))
    bare_amounts = sum(
        1
        for q in quantities
        if q.kind is Kind.NUMBER and q.unit is None and q.precision >= _BARE_AMOUNT_PRECISION
    )
    if stated:
        currency, count = stated.most_common(1)[0]
        amounts = sum(stated.values()) + bare_amounts
        if (
            currency is not None
            and count >= DOMINANT_MIN_MENTIONS
            and count >= (DOMINANT_SHARE * amounts)
        ):
            return currency
    sample = text[:20_000]
    return "CNY" if detect_language(sample) == "zh" else "USD"


def _extract(text: str, doc_date: date | None) -> list[Quantity]:
    from toolkit.numbers import extract_quantities  # the extractor; imported late on purpose

    return extract_quantities(text, doc_date=doc_date)


_MONTHS = (
    "january|february|march|april|may|june|july|august|september|october|november|december"
    "|jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec"
)
_CLAIM_REWRITES: list[tuple[re.Pattern[str], Callable[[re.Match[str]], str]]] = [
    # headline style writes months in lower case: "as of march 31, 2021"
    (re.compile(rf"\b(?:{_MONTHS})\b(?=\.?\s+\d)"), lambda m: m.group().capitalize()),
    # wire abbreviations: "$3.3 bln", "40 mln"
    (re.compile(r"(?<=\d)(\s*)bln\b", re.IGNORECASE), lambda m: f"{m.group(1)}billion"),
    (re.compile(r"(?<=\d)(\s*)mln\b", re.IGNORECASE), lambda m: f"{m.group(1)}million"),
    # a range written with an ampersand: "between $1.99 & $2.07"
    (re.compile(r"(?<=\d)(\s*)&(\s*)(?=[$€£¥]?\d)"), lambda m: f"{m.group(1)}and{m.group(2)}"),
]


def extract_claim(text: str, doc_date: date | None) -> list[Quantity]:
    """The claim's quantities, read after undoing headline conventions the extractor does not
    know (lower-case month names, "bln"/"mln", "X & Y" ranges). The rewrite is internal: spans
    and texts of the returned quantities point into the claim as written."""
    rewritten: list[str] = []
    origin: list[int] = []  # origin[i]: offset in ``text`` of rewritten character i
    pos = 0
    edits = sorted(
        (
            (m.start(), m.end(), fix(m))
            for pattern, fix in _CLAIM_REWRITES
            for m in pattern.finditer(text)
        ),
        key=lambda e: e[0],
    )
    for start, end, replacement in edits:
        if start < pos:
            continue
        rewritten.append(text[pos:start])
        origin.extend(range(pos, start))
        rewritten.append(replacement)
        origin.extend(min(start + k, end - 1) for k in range(len(replacement)))
        pos = end
    if not edits:
        return _extract(text, doc_date)
    rewritten.append(text[pos:])
    origin.extend(range(pos, len(text)))
    origin.append(len(text))
    quantities = _extract("".join(rewritten), doc_date)
    out: list[Quantity] = []
    for q in quantities:
        start = origin[q.span[0]]
        end = origin[q.span[1] - 1] + 1 if q.span[1] > q.span[0] else start
        out.append(q.model_copy(update={"span": (start, end), "text": text[start:end]}))
    return out


class ClaimRow(BaseModel):
    """A claim to verify, as read from a ``--claims`` JSONL file: ``{"id", "claim"}``."""

    id: str
    claim: str


@dataclass
class _Scored:
    index: int
    score: float
    relation: str  # "same", "unknown" or "other"


class PreparedSource:
    """A source text prepared once for many claims: its quantities, their contexts, an inverted
    feature index and the quantities grouped by unit family.

    Example::

        >>> src = prepare_source("回购不超过160亿港币", doc_date=date(2024, 6, 1))
        >>> src.verify("buyback of up to HK$16 billion").verdict
        <Verdict.SUPPORTED: 'supported'>
    """

    def __init__(
        self,
        text: str,
        *,
        doc_date: date | None = None,
        currency: str | None = None,
        quantities: Sequence[Quantity] | None = None,
        lexicon: Lexicon | None = None,
    ) -> None:
        if not text or not text.strip():
            raise InputError("the source text is empty; there is nothing to verify against")
        self.text = text
        self.doc_date = doc_date
        self.lexicon = lexicon or load_lexicon()
        self.quantities: list[Quantity] = (
            list(quantities) if quantities is not None else _extract(text, doc_date)
        )
        self.currency = currency or infer_currency(text, self.quantities)
        self._layout = TextLayout(text, self.lexicon)
        self.contexts: list[Context] = describe(
            text, self.quantities, self.lexicon, layout=self._layout
        )
        self._line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self._digit_strings: dict[str, tuple[int, int]] = {}
        for m in _IDENTIFIER_DIGITS.finditer(text):
            self._digit_strings.setdefault(m.group(), m.span())
        self._claim_text = ""  # the claim being verified, for the words around its numbers
        self._unfit: set[int] = set()  # source numbers that may not support the current one
        self._adjusted_cache: dict[tuple[int, int], bool] = {}
        self._forward_cache: dict[int, bool] = {}
        self._pairs: list[tuple[str, int, int]] | None = None  # see `_computed_pairs`
        self._by_family: dict[str, list[int]] = defaultdict(list)
        self._by_value: dict[Decimal, list[int]] = defaultdict(list)
        for i, q in enumerate(self.quantities):
            self._by_family[_family(q)].append(i)
            if q.kind is Kind.NUMBER:
                self._by_value[abs(q.value).normalize()].append(i)
        self._ranges = [i for i, q in enumerate(self.quantities) if q.value_high is not None]
        # respectively lists (分别有7只、5只、5只) by size: member indexes in list order
        self._lists: dict[int, list[list[int]]] = defaultdict(list)
        members: dict[int, list[int]] = defaultdict(list)
        for i, q in enumerate(self.quantities):
            if q.group is not None and q.group.kind == "respectively":
                members[q.group.id].append(i)
        for found in members.values():
            size = self.quantities[found[0]].group.size  # type: ignore[union-attr]
            if len(found) == size:
                self._lists[size].append(found)
        self._years: set[int] = set()
        for q in self.quantities:
            if q.period is not None and q.period.year is not None:
                self._years.add(q.period.year)
        current = doc_date.year if doc_date is not None else _usual_year(self.quantities)
        self._prior = {
            i for i, q in enumerate(self.quantities) if _prior_period_value(text, q, current)
        }
        self._build_index()

    # ---- index ---------------------------------------------------------------------------
    def _build_index(self) -> None:
        """Each feature's postings, (quantity index, weight in its context), in index order.

        A posting's weight in a score also has the feature's base: its kind, and for surface
        features and number keys how rare it is among the source's contexts. That is worked
        out per feature when a claim first asks for it (`_weighted`): a source has ~270
        features and its claims ask for a few dozen (the sample: weighting all of them was
        0.1 of its 0.18 ms index)."""
        postings: dict[str, list[tuple[int, float]]] = {}
        for i, ctx in enumerate(self.contexts):
            for feature, weight in ctx.features.items():
                found = postings.get(feature)
                if found is None:
                    postings[feature] = [(i, weight)]
                else:
                    found.append((i, weight))
        self._postings = postings
        self._weighted_postings: dict[str, tuple[tuple[int, float], ...]] = {}

    def _weighted(self, feature: str) -> tuple[tuple[int, float], ...]:
        """``feature``'s postings with their weights times its base (none when no source
        quantity has it)."""
        found = self._weighted_postings.get(feature)
        if found is not None:
            return found
        raw = self._postings.get(feature)
        if raw is None:
            return ()
        sign = feature[:1]
        if sign == "~" or sign == "#":  # rarer is stronger: idf over the source's contexts
            rarity = min(2.0, math.log(1.0 + len(self.contexts) / len(raw)))
            base = (SURFACE_BASE if sign == "~" else NUMBER_KEY_BASE) * rarity
        else:
            base = METRIC_BASE if self.lexicon.is_metric(feature) else MODIFIER_BASE
        found = self._weighted_postings[feature] = tuple((i, w * base) for i, w in raw)
        return found

    def location(self, span: tuple[int, int]) -> str:
        """Where a span is, as "line:col-col" (1-based, end inclusive): (22, 28) → "1:23-28"."""
        start, end = span
        k = bisect_right(self._line_starts, start) - 1
        line_start = self._line_starts[k]
        return f"{k + 1}:{start - line_start + 1}-{max(end - line_start, start - line_start + 1)}"

    # ---- verification --------------------------------------------------------------------
    def verify(self, claim: str, *, quantities: Sequence[Quantity] | None = None) -> Verification:
        """Verify one claim (``quantities`` lets a caller pass the claim's numbers it already
        extracted, e.g. hand-built ones in tests)."""
        if not claim or not claim.strip():
            return Verification(claim=claim, verdict=Verdict.UNVERIFIABLE, reason=Reason.NO_NUMBERS)
        if _letters(claim) and detect_language(claim) is None and quantities is None:
            return Verification(
                claim=claim, verdict=Verdict.UNVERIFIABLE, reason=Reason.UNSUPPORTED_LANGUAGE
            )
        self._claim_text = claim
        claim_quantities = (
            list(quantities) if quantities is not None else extract_claim(claim, self.doc_date)
        )
        if not claim_quantities:
            return self._verify_identifiers(claim)
        contexts = describe(claim, claim_quantities, self.lexicon, claim=True)
        checks = [
            self._check(q, ctx, claim, claim_quantities)
            for q, ctx in zip(claim_quantities, contexts, strict=True)
        ]
        result = _aggregate(claim, checks)
        unknown = self._unknown_identifiers(claim, claim_quantities)
        if not unknown:
            return result
        if result.verdict is Verdict.SUPPORTED:
            return result.model_copy(
                update={
                    "verdict": Verdict.UNVERIFIABLE,
                    "reason": Reason.UNKNOWN_IDENTIFIER,
                    "unknown_identifiers": unknown,
                }
            )
        return result.model_copy(update={"unknown_identifiers": unknown})

    def _identifiers(
        self, claim: str, quantities: Sequence[Quantity]
    ) -> list[tuple[str, tuple[int, int] | None, tuple[int, int]]]:
        """Digit strings of two or more digits, or decimals (3.18 of "1.26-3.18g/cm"), that no
        claim quantity covers: fund codes (516480), ranks (37/219), names (covid-19), times of
        day (13:31). Labels such as Q1,
        H1 or FY2021 (digits glued to letters) are periods, not identifiers. Each comes with
        where the source writes it (None when it does not) and its span in the claim. A name
        joined by a hyphen ("covid-19") must occur whole (COVID-19, COVID 19): "covid-91" is
        not supported by a 91 elsewhere; a time must be written as that time (13:31, 13时31分),
        its two halves elsewhere are no support."""
        spans = [q.span for q in quantities]
        found: list[tuple[str, tuple[int, int] | None, tuple[int, int]]] = []
        for m in _TIME_OF_DAY.finditer(claim):
            if any(a <= m.start() and m.end() <= b for a, b in spans):
                continue
            hour, minute = int(m.group("h")), m.group("m")
            pattern = rf"(?<!\d)0?{hour}\s*(?:[:：]\s*{minute}|时\s*{minute}\s*分)(?!\d)"
            written = re.search(pattern, self.text)
            found.append((m.group(), None if written is None else written.span(), m.span()))
            spans.append(m.span())
        for m in _IDENTIFIER_DIGITS.finditer(claim):
            start, end = m.span()
            if any(a <= start and end <= b for a, b in spans):
                continue
            if start > 0 and claim[start - 1].isascii() and claim[start - 1].isalpha():
                continue
            name = _HYPHEN_NAME.search(claim[:end])
            if name is not None:
                letters, digits = re.split(r"[-‐]", name.group(), maxsplit=1)
                pattern = rf"\b{re.escape(letters)}[-‐ ]?{digits}(?!\d)"
                written = re.search(pattern, self.text, re.IGNORECASE)
                where = None if written is None else written.span()
                found.append((name.group(), where, name.span()))
                continue
            found.append((m.group(), self._digit_strings.get(m.group()), (start, end)))
        return found

    def _unknown_identifiers(self, claim: str, quantities: Sequence[Quantity]) -> list[str]:
        """The identifiers of the claim (see `_identifiers`) that the source never writes."""
        return [text for text, where, _ in self._identifiers(claim, quantities) if where is None]

    def _verify_identifiers(self, claim: str) -> Verification:
        """A claim without quantities is unverifiable (``no_numbers``), unless it names
        identifiers ("impact of covid-19"): then their being written in the source is what
        can be checked: all written → supported, any missing → ``unknown_identifier``."""
        found = self._identifiers(claim, [])
        if not found:
            return Verification(claim=claim, verdict=Verdict.UNVERIFIABLE, reason=Reason.NO_NUMBERS)
        unknown = [text for text, where, _ in found if where is None]
        if unknown:
            return Verification(
                claim=claim,
                verdict=Verdict.UNVERIFIABLE,
                reason=Reason.UNKNOWN_IDENTIFIER,
                unknown_identifiers=unknown,
            )
        checks: list[NumberCheck] = []
        lang = detect_language(claim) or "en"
        for text, where, span in found:
            assert where is not None
            digits = re.sub(r"\D", "", text)
            mention = Quantity(
                value=Decimal(digits), precision=Decimal(1), lang=lang, span=span, text=text
            )
            written = mention.model_copy(
                update={"span": where, "text": self.text[where[0] : where[1]]}
            )
            location = self.location(where)
            checks.append(
                NumberCheck(
                    claim=mention,
                    verdict=Verdict.SUPPORTED,
                    reason=Reason.EXACT,
                    source=written,
                    location=location,
                    message=f"claim names {text}; source writes {written.text} at {location}",
                )
            )
        return _aggregate(claim, checks)

    def verify_many(self, claims: Iterable[str]) -> list[Verification]:
        """Verify each claim against this one prepared source."""
        return [self.verify(claim) for claim in claims]

    def _score(self, q: Quantity, ctx: Context) -> list[_Scored]:
        """Context scores of the compatible source quantities sharing at least one feature."""
        allowed: set[int] = set()
        for family in _claim_families(q, self._by_family.keys()):
            allowed.update(self._by_family.get(family, ()))
        if not allowed:
            return []
        totals: dict[int, float] = defaultdict(float)
        for feature, weight in ctx.features.items():
            for index, posted in self._weighted(feature):
                if index in allowed:
                    totals[index] += weight * posted
        scored: list[_Scored] = []
        for index, total in totals.items():
            source = self.quantities[index]
            total += _attribute_bonus(q, source)
            scored.append(_Scored(index, total, self._relation(ctx, self.contexts[index])))
        scored.sort(key=lambda s: (-s.score, s.index))
        return scored

    def _relation(self, claim: Context, source: Context) -> str:
        """ "same" metric (and business line), "other", or "unknown" when either side does not
        say: revenue vs 线上营销服务收入 is unknown (total or a segment?), not the same."""
        if stated_for_other_date(claim, source):
            return "other"  # the same metric for another month: a table row, not this claim
        if not claim.metrics or not source.metrics:
            return "unknown"
        if not any(self._related(a, b) for a in claim.metrics for b in source.metrics):
            return "other"
        if claim.segments and source.segments and not claim.segments & source.segments:
            return "other"
        return "same"

    def _related(self, a: str, b: str) -> bool:
        return a == b or a in self.lexicon.ancestors(b) or b in self.lexicon.ancestors(a)

    def _judge(self, claim: Quantity, index: int) -> Reason | None:
        """`toolkit.compare.judge`, plus the sign a loss word gives: "亏损2323万元" is a net
        profit of -2323万元 (supported). Only a rescue: whether a loss word governs a number
        ("loss per share $0.57") is too uncertain to refute with."""
        source = self.quantities[index]
        reason = judge(claim, source, doc_currency=self.currency, doc_date=self.doc_date)
        if claim.kind is not Kind.NUMBER or abs(claim.value) != abs(source.value):
            return reason
        signed_claim = _loss_signed(claim, self._claim_text)
        signed_source = _loss_signed(source, self.text)
        if reason is Reason.PERIOD_MISMATCH and _period_nearer(claim, source, self.text):
            return judge_value(claim, source)
        if signed_claim == claim.value and signed_source == source.value:
            return reason  # no loss word on either side: compare.judge knows the signs
        if reason is Reason.VALUE_MISMATCH and claim.value != source.value:
            return Reason.CONVERTED if signed_claim == signed_source else reason
        return reason

    def _check(
        self, q: Quantity, ctx: Context, claim: str, siblings: Sequence[Quantity]
    ) -> NumberCheck:
        if q.kind is Kind.DATE:
            return self._check_date(q, ctx)
        spelled = self._spelled_out(q, claim)
        if spelled is not None:
            return self._make(q, Reason.EXACT, None, ctx, found=spelled)
        scored = self._score(q, ctx)
        same = [s for s in scored if s.relation == "same"]
        unknown = [s for s in scored if s.relation == "unknown"]
        row = self._row_stated(q, ctx, same) or self._list_counterpart(q, ctx, siblings)
        if row is not None:
            return row
        self._unfit = self._unfit_support(q, same, claim)
        attached = self._attached_change(q, ctx, claim, siblings)
        if attached is not None:
            return attached
        checked = self._check_value(q, ctx, claim, siblings, same, unknown, scored)
        if checked.verdict is not Verdict.SUPPORTED:
            computed = self._computed(q, ctx, claim, siblings, scored)
            if computed is not None:
                return computed
        return checked

    def _check_value(
        self,
        q: Quantity,
        ctx: Context,
        claim: str,
        siblings: Sequence[Quantity],
        same: list[_Scored],
        unknown: list[_Scored],
        scored: list[_Scored],
    ) -> NumberCheck:
        decided = self._decide(q, ctx, same, may_contradict=True)
        if decided is not None and decided.verdict is Verdict.SUPPORTED:
            return decided
        fitting = [s.score for s in scored if s.relation != "other"]
        scores = {s.index: s.score for s in scored}
        equal, other = self._equal_elsewhere(q, ctx, scores, max(fitting, default=0.0), claim)
        if equal is not None:
            return equal
        ends = self._range_written(q, ctx) or self._range_split(q, ctx, siblings)
        if ends is not None:
            return ends
        if decided is not None:
            return decided
        decided = self._decide(q, ctx, unknown, may_contradict=not ctx.metrics)
        if decided is not None:
            return decided
        if other is not None:
            return self._make(q, Reason.OTHER_METRIC, other, ctx)
        return self._make(q, Reason.NO_CANDIDATE, None, ctx)

    # ---- computed support ---------------------------------------------------------------
    def _computed_pairs(self) -> list[tuple[str, int, int]]:
        """Pairs of source figures whose arithmetic a claim may state, found once per source:
        ("levels", current, base) — two figures of one unit in one sentence, the base marked by
        a comparison word ("$652.6 million compared to $547.8 million", "占比1.4%，较去年同期的
        0.4%", "从3.3%降至1.8%", "1556.7亿美元，市场预期值1551.5亿美元") — and ("change",
        level, change) — a level with an amount change right after it and a comparison word
        ("$28.8 million, up $1.6 million over last year's third quarter")."""
        if self._pairs is not None:
            return self._pairs
        pairs: list[tuple[str, int, int]] = []
        order = sorted(range(len(self.quantities)), key=lambda i: self.quantities[i].span)
        text = self.text
        for k, b in enumerate(order):
            base = self.quantities[b]
            if base.kind is not Kind.NUMBER or base.value_high is not None:
                continue
            if base.role in _CHANGE_ROLES:
                if base.unit in _PLAIN_UNITS or k == 0:
                    continue
                level = self.quantities[order[k - 1]]
                gap = text[level.span[1] : base.span[0]]
                after = text[base.span[1] : base.span[1] + COMPARISON_REACH]
                if (
                    level.kind is Kind.NUMBER
                    and level.role not in _CHANGE_ROLES
                    and level.unit == base.unit
                    and level.per == base.per
                    and level.value_high is None
                    and len(gap) <= CHANGE_GAP
                    and not _SENTENCE_END.search(gap)
                    and (_COMPARISON_WORD.search(gap) or _COMPARISON_WORD.search(after))
                ):
                    pairs.append(("change", order[k - 1], b))
                continue
            before = text[max(0, base.span[0] - COMPARISON_REACH) : base.span[0]]
            marker = _BASE_BEFORE.search(before)
            if marker is None:
                continue
            partner = None
            if marker.group("from"):  # "from $547.8 million to $652.6 million", "从3.3%降至1.8%"
                partner = self._operand(order, k, base, step=1, to_word=True)
            if partner is None:
                partner = self._operand(order, k, base, step=-1, to_word=False)
            if partner is not None:
                pairs.append(("levels", partner, b))
        self._pairs = pairs
        return pairs

    def _operand(
        self, order: list[int], k: int, base: Quantity, *, step: int, to_word: bool
    ) -> int | None:
        """The nearest figure of the base's unit in its sentence, before or after it."""
        j = k + step
        while 0 <= j < len(order):
            other = self.quantities[order[j]]
            lo, hi = sorted((other.span, base.span))
            gap = self.text[lo[1] : hi[0]]
            if len(gap) > OPERAND_GAP or _SENTENCE_END.search(gap):
                return None
            if other.unit == base.unit and other.kind is Kind.NUMBER:
                if (
                    other.role in _CHANGE_ROLES
                    or other.per != base.per
                    or other.value_high is not None
                    or (to_word and not _TO_WORD.search(gap))
                ):
                    return None
                return order[j]
            j += step
        return None

    def _computed(
        self,
        q: Quantity,
        ctx: Context,
        claim: str,
        siblings: Sequence[Quantity],
        scored: list[_Scored],
    ) -> NumberCheck | None:
        """Support by arithmetic on two source figures of one metric written together (see
        `_computed_pairs`): a growth rate from two levels or from a level and its change, a
        change in points from two percentages, a difference of two amounts. The claim's value
        must equal the computed one at the claim's precision (half-up), the figures' own
        precision must allow that precision, the claim must say a change (rose 19%, 上升1.0%,
        超出…5.2亿美元) in the right direction, and the pair must be the claim's metric: one
        of the two figures is also written in the claim, or the lexicon says same metric."""
        if q.kind is not Kind.NUMBER or q.qualifier is not Qualifier.EXACT:
            return None
        if q.value_high is not None or q.value == 0:
            return None
        before = claim[max(0, q.span[0] - DIFFERENCE_REACH) : q.span[0]]
        percent = q.unit in ("%", "pp") and q.role in _CHANGE_ROLES
        amount = q.unit not in _PLAIN_UNITS and (
            q.role in _CHANGE_ROLES or _DIFFERENCE_BEFORE.search(before) is not None
        )
        if not percent and not amount:
            return None
        down = q.role is Role.DECLINE or q.value < 0 or _LOWER_BEFORE.search(before) is not None
        want = -abs(q.value) if down else abs(q.value)
        for kind, a, b in self._computed_pairs():
            first, second = self.quantities[a], self.quantities[b]
            result = self._arithmetic(q, kind, first, second, percent)
            if result is None:
                continue
            low, value, high, formula = result
            if (kind == "levels" and first.unit == "%") or amount:
                step = max(first.precision, second.precision)
                if q.precision < step or round_to(value, q.precision) != want:
                    continue
            elif not computed_supports(want, q.precision, low, value, high):
                continue
            if not self._computed_fits(q, ctx, siblings, scored, a, b):
                continue
            span = (min(first.span[0], second.span[0]), max(first.span[1], second.span[1]))
            location = self.location(span)
            if percent:
                rate = value if low == high else value.quantize(Decimal("0.01"), ROUND_HALF_UP)
                shown = f"{rate:f}%"
            else:  # an amount, written like the claim's: "RMB1.813 billion"
                shown = render(q.model_copy(update={"value": value, "role": None}), "en")
            message = (
                f"claim says {_show(q, None)}; source implies {shown} = {formula} "
                f"at {location} ({_EXPLAIN[Reason.COMPUTED]})"
            )
            return NumberCheck(
                claim=q,
                verdict=Verdict.SUPPORTED,
                reason=Reason.COMPUTED,
                source=first,
                location=location,
                matched_on=sorted(ctx.concepts & self.contexts[a].concepts),
                message=message,
            )
        return None

    def _arithmetic(
        self, q: Quantity, kind: str, first: Quantity, second: Quantity, percent: bool
    ) -> tuple[Decimal, Decimal, Decimal, str] | None:
        """(low, value, high, formula) of what the pair implies for a claim of ``q``'s kind."""
        if kind == "change":
            if not percent or q.unit != "%":
                return None
            change = -abs(second.value) if second.role is Role.DECLINE else second.value
            found = growth_from_change(first.value, first.precision, change, second.precision)
            if found is None:
                return None
            base = f"({first.text} {'+' if change < 0 else '−'} {second.text})"
            return (*found, f"{'−' if change < 0 else ''}{second.text} / {base}")
        if percent and first.unit == "%":
            value = first.value - second.value
            return value, value, value, f"{first.text} − {second.text}"
        if percent:
            if q.unit != "%":
                return None
            grown = growth_between(first.value, first.precision, second.value, second.precision)
            if grown is None:
                return None
            return (*grown, f"({first.text} − {second.text}) / {second.text}")
        if first.unit == "%" or not self._same_unit(q, first):
            return None
        value = first.value - second.value
        return value, value, value, f"{first.text} − {second.text}"

    def _same_unit(self, claim: Quantity, source: Quantity) -> bool:
        """A claim amount and a source amount in the same currency (a bare source amount in
        the document's) or of the same counted noun."""
        if claim.per != source.per:
            return False
        if is_currency(claim.unit):
            return source.unit == claim.unit or (
                source.unit is None and self.currency == claim.unit
            )
        return claim.unit == source.unit

    def _computed_fits(
        self,
        q: Quantity,
        ctx: Context,
        siblings: Sequence[Quantity],
        scored: list[_Scored],
        a: int,
        b: int,
    ) -> bool:
        """The pair is the claim's metric and period: another number of the claim is one of
        the two figures ("rose 19 percent to $652.6 million", "较…峰值3.3%下降1.5%"), or the
        lexicon puts claim and figure under the same metric, or (percentages) the current
        figure is among the claim number's best-fitting candidates by context ("所有置换车辆中
        的占比…上升1.0%" and "在所有置换车辆中占比1.4%")."""
        first = self.quantities[a]
        if period_conflict(q.period, first.period, self.doc_date) and q.unit != "%":
            return False
        for other in siblings:
            if other is q or other.kind is not Kind.NUMBER or other.role in _CHANGE_ROLES:
                continue
            for index in (a, b):
                reason = judge_value(other, self.quantities[index])
                if _is(reason, Verdict.SUPPORTED) and (
                    other.unit == self.quantities[index].unit
                    or self._same_unit(other, self.quantities[index])
                ):
                    return True
        if self._relation(ctx, self.contexts[a]) == "same":
            return True
        fitting = [s for s in scored if s.relation != "other"]
        if not fitting or fitting[0].score <= 0:
            return False
        floor = fitting[0].score * FIT_RATIO
        return any(s.index == a and s.score >= floor for s in fitting)

    def _unfit_support(self, q: Quantity, same: list[_Scored], claim: str) -> set[int]:
        """Source numbers that may not *support* this claim number (they may still refute):

        - a prior-period value ("up 17% from $0.29 in the third quarter of last year") when the
          claim makes no comparison itself: the claim's $0.29 is then this period's figure;
        - a number without the claim's basis modifier (adjusted / non-GAAP, or GAAP) when a
          fitting candidate of the claim's metric has it: "adjusted EPS $0.47" is not the
          GAAP "earnings per share was $0.47" when the call also gives a non-GAAP EPS."""
        unfit: set[int] = set()
        if self._prior and not _COMPARATIVE_CLAIM.search(claim):
            unfit |= self._prior
        if not same or same[0].score <= 0:
            return unfit
        if q.lang == "en" and _GUIDANCE_CLAIM.search(_part_before(claim, q.span[0])):
            unfit |= {
                i
                for i, other in enumerate(self.quantities)
                if other.lang == "en" and not self._forward_said(i)
            }
        if q.value_high is not None or not _ADJUSTED.search(claim):
            return unfit  # a range is distinctive enough (guidance has no GAAP twin)
        floor = same[0].score * SUPPORT_RATIO
        near = [s.index for s in same if s.score >= floor]
        if any(self._adjusted_near(i, ADJUSTED_OWN) for i in near):
            unfit |= {
                i
                for i, q in enumerate(self.quantities)
                if q.lang == "en" and not self._adjusted_near(i, ADJUSTED_SENTENCE)
            }
        return unfit

    def _attached_change(
        self, q: Quantity, ctx: Context, claim: str, siblings: Sequence[Quantity]
    ) -> NumberCheck | None:
        """ "q1 sales rose 1 percent to $429.8 million": a change the claim ties to a level
        ("X% to $Y", "$Y, up X%") must be the change the source ties to that level. Where the
        source writes the level with a change right next to it ("net sales of $429.8 million
        increased 14%") and none of those changes supports the claim's, the claim's change is
        refuted by it, even if its value occurs elsewhere ("this 1% improvement" of a margin)."""
        if q.kind is not Kind.NUMBER or q.unit != "%" or q.role not in _CHANGE_ROLES:
            return None
        k = next((i for i, s in enumerate(siblings) if s is q), None)
        if k is None:
            return None
        level: Quantity | None = None
        if k + 1 < len(siblings) and _CHANGE_TO.fullmatch(
            claim, q.span[1], siblings[k + 1].span[0]
        ):
            level = siblings[k + 1]
        elif k > 0 and _LEVEL_THEN_CHANGE.fullmatch(claim, siblings[k - 1].span[1], q.span[0]):
            level = siblings[k - 1]
        if level is None or level.kind is not Kind.NUMBER or level.unit in (None, "%"):
            return None
        changes: list[int] = []
        for index in self._by_value.get(abs(level.value).normalize(), ()):
            mention = self.quantities[index]
            if mention.unit != level.unit:
                continue
            for near in (index - 1, index + 1):
                if not 0 <= near < len(self.quantities):
                    continue
                other = self.quantities[near]
                a, b = sorted((mention.span, other.span))
                if (
                    other.unit == "%"
                    and other.role in _CHANGE_ROLES
                    and _ATTACHED_GAP.fullmatch(self.text, a[1], b[0])
                ):
                    changes.append(near)
                    if near > index:  # "down 2% from the second quarter and 11% year-over-year"
                        changes.extend(self._more_changes(near, mention.span[1]))
        if not changes:
            return None
        judged = [(i, self._judge(q, i)) for i in changes]
        if any(r is not None and _is(r, Verdict.SUPPORTED) for _, r in judged):
            return None
        index, reason = judged[0]
        return self._make(q, reason or Reason.VALUE_MISMATCH, index, ctx)

    def _more_changes(self, first: int, level_end: int) -> list[int]:
        """The changes following ``first`` in its sentence (ATTACHED_REACH characters from the
        level at most, nothing but changes between): all of them are said of that level."""
        more: list[int] = []
        for near in range(first + 1, len(self.quantities)):
            other = self.quantities[near]
            gap = self.text[self.quantities[near - 1].span[1] : other.span[0]]
            if (
                other.unit != "%"
                or (other.role is not None and other.role not in _CHANGE_ROLES)
                or other.span[0] - level_end > ATTACHED_REACH
                or _SENTENCE_END.search(gap)
            ):
                break
            more.append(near)
        return more

    def _sentence_start(self, start: int, reach: int) -> int:
        """Where the sentence holding ``start`` begins, looking back at most ``reach``."""
        lo = max(0, start - reach)
        for stop in _SENTENCE_END.finditer(self.text, lo, start):
            lo = stop.end()
        return lo

    def _forward_said(self, index: int) -> bool:
        """Whether the number's sentence looks ahead (expect, guidance, outlook, will …)."""
        said = self._forward_cache.get(index)
        if said is None:
            start, end = self.quantities[index].span
            lo = self._sentence_start(start, ADJUSTED_SENTENCE)
            hi = min(len(self.text), end + 80)
            after = _SENTENCE_END.search(self.text, end, hi)
            said = bool(_FORWARD_SAID.search(self.text, lo, after.start() if after else hi))
            self._forward_cache[index] = said
        return said

    def _adjusted_near(self, index: int, reach: int) -> bool:
        """Whether "adjusted" / "non-GAAP" is written at most ``reach`` characters before the
        number, in its sentence (or right after it: "$0.90 on an adjusted basis")."""
        key = (index, reach)
        said = self._adjusted_cache.get(key)
        if said is None:
            start, end = self.quantities[index].span
            lo = self._sentence_start(start, reach)
            said = bool(
                _ADJUSTED_SAID.search(self.text, lo, start)
                or _ADJUSTED_AFTER.match(self.text, end, end + 40)
            )
            self._adjusted_cache[key] = said
        return said

    def _row_stated(self, q: Quantity, ctx: Context, same: list[_Scored]) -> NumberCheck | None:
        """A table row stated for exactly the claim's date decides: a claim "2025年3月，PPI生产资料
        环比为-0.5%" over a series "…2025年4月为-0.5%，2025年3月为-0.4%…" is refuted by the March
        row; the same -0.5% written elsewhere (April's, or another line's) does not rescue it,
        and a loosely dated "3月的-0.4%" does not decide instead of the row. Only fitting
        same-metric candidates that are table cells (`Group` kind "table", see
        `toolkit.numbers`) whose row date equals the claim's date (month or day) count;
        any of them supporting supports, else the best-fitting one's verdict stands."""
        anchor = ctx.anchor
        period = q.period if q.period is not None and q.period.part is not None else None
        if period is not None and period.year is None:
            period = None
        if (anchor is None or anchor.month is None) and period is None:
            return None
        if not same or same[0].score <= 0:
            return None
        floor = same[0].score * FIT_RATIO
        rows: list[tuple[int, Reason]] = []
        for s in same:
            if s.score < floor:
                break
            group = self.quantities[s.index].group
            row = self.contexts[s.index].anchor
            if group is None or group.kind != "table":
                continue
            if (
                anchor is not None
                and anchor.month is not None
                and row is not None
                and (row.year, row.month, row.day) == (anchor.year, anchor.month, anchor.day)
            ) or (
                # a quarter's row: "2020一季度为-12.5%" for a claim about 2020 Q1
                period is not None
                and (anchor is None or anchor.month is None)
                and self.quantities[s.index].period == period
            ):
                reason = self._judge(q, s.index)
                if reason is not None:
                    rows.append((s.index, reason))
        if not rows:
            return None
        index, reason = next(((i, r) for i, r in rows if _is(r, Verdict.SUPPORTED)), rows[0])
        return self._make(q, reason, index, ctx)

    def _list_counterpart(
        self, q: Quantity, ctx: Context, siblings: Sequence[Quantity]
    ) -> NumberCheck | None:
        """A member of a claim list said respectively ("分别有7只、6只、5只") is checked against
        the member at its place in a source list of the same size and unit whose every other
        member equals the claim's at the same place ("分别有7只、5只、5只"): the lists are the
        same statement, so 6只 is refuted by 5只 even though a 6只 occurs elsewhere. Lists of
        at least three members only, so that two others agree."""
        group = q.group
        if group is None or group.kind != "respectively" or group.size < LIST_MIN:
            return None
        mine = [s for s in siblings if s.group is not None and s.group.id == group.id]
        if len(mine) != group.size:
            return None
        for found in self._lists.get(group.size, ()):
            theirs = [self.quantities[i] for i in found]
            if any(t.unit != q.unit for t in theirs):
                continue
            if all(
                a.value == b.value
                for k, (a, b) in enumerate(zip(mine, theirs, strict=True))
                if k != group.index
            ):
                index = found[group.index]
                reason = self._judge(q, index)
                if reason is not None:
                    return self._make(q, reason, index, ctx)
        return None

    def _equal_elsewhere(
        self, q: Quantity, ctx: Context, scores: dict[int, float], best: float, claim: str
    ) -> tuple[NumberCheck | None, int | None]:
        """The same value, written elsewhere in the source with a compatible unit, supports the
        claim number when its context fits about as well as the best candidate of the claim's
        metric does:

        - a mention whose words do not name another metric supports;
        - a mention whose nearby words name another metric still supports when it would
          count as fitting (FIT_RATIO of the best candidate that may be the claim's
          metric): metric words are found by proximity and "扣除价格因素，实际增长6.1%" is
          income growth, not a price. A metric paired by 分别/respectively, or a date anchor
          of another month (a table row), is stated, not guessed, and always counts.

        A length of time (近60日, 三年) names a window rather than a metric, so for it any
        equal mention counts. Returns the supporting check, or the index of an equal value of
        another metric."""
        families = set(_claim_families(q, self._by_family.keys()))
        duration = q.unit in DURATION_UNITS
        other: int | None = None
        for index in self._by_value.get(abs(q.value).normalize(), ()):
            if _family(self.quantities[index]) not in families or index in self._unfit:
                continue
            if q.per is not None and _bare_count(self.quantities[index]):
                continue  # "$1.00 per share" is not rescued by a bare "1" (a rank, a count)
            reason = self._judge(q, index)
            if reason is None or not _is(reason, Verdict.SUPPORTED):
                continue
            score = scores.get(index, 0.0)
            relation = self._relation(ctx, self.contexts[index])
            group = self.quantities[index].group
            # a stated pairing (分别/respectively) or a row of another month is not rescued
            stated = (group is not None and group.kind == "respectively") or (
                stated_for_other_date(ctx, self.contexts[index])
            )
            fits = score >= best * FIT_RATIO > 0 or _distinctive(q)
            if duration or relation != "other" or (not stated and fits):
                return self._make(q, reason, index, ctx), None
            if other is None:
                other = index
        return None, other

    def _range_written(self, q: Quantity, ctx: Context) -> NumberCheck | None:
        """A claim range ("$260 million to $290 million") is supported when the source writes
        both ends next to each other as two mentions ("range from $260 million to $290
        million", which the extractor may read as two numbers), the same unit on both."""
        if q.value_high is None:
            return None
        families = set(_claim_families(q, self._by_family.keys()))
        high = abs(q.value_high).normalize()
        for index in self._by_value.get(abs(q.value).normalize(), ()):
            low = self.quantities[index]
            if _family(low) not in families or low.unit != q.unit:
                continue
            following = self.quantities[index + 1] if index + 1 < len(self.quantities) else None
            if (
                following is not None
                and following.unit == low.unit
                and abs(following.value).normalize() == high
                and following.span[0] - low.span[1] <= RANGE_GAP
                and self._relation(ctx, self.contexts[index]) != "other"
            ):
                return self._make(q, Reason.EXACT, index, ctx)
        if q.value == 0:
            # "flat to 6% growth" / "持平至6%": the low end is written as a word
            for index in self._by_value.get(high, ()):
                upper = self.quantities[index]
                before = self.text[max(0, upper.span[0] - 12) : upper.span[0]]
                if (
                    _family(upper) in families
                    and upper.unit == q.unit
                    and _FLAT_TO.search(before)
                    and self._relation(ctx, self.contexts[index]) != "other"
                ):
                    return self._make(q, Reason.EXACT, index, ctx)
        return None

    def _range_split(
        self, q: Quantity, ctx: Context, siblings: Sequence[Quantity]
    ) -> NumberCheck | None:
        """The converse of `_range_written`: the claim writes a range as two mentions ("from
        $12.90 to $13.10") and the source as one range quantity ("range of $12.90 to $13.10");
        each claim end is supported by that source range."""
        k = next((i for i, s in enumerate(siblings) if s is q), None)
        if k is None:
            return None
        ends: list[Quantity] = []
        if k > 0 and q.span[0] - siblings[k - 1].span[1] <= RANGE_GAP:
            ends.append(siblings[k - 1])
        if k + 1 < len(siblings) and siblings[k + 1].span[0] - q.span[1] <= RANGE_GAP:
            ends.append(siblings[k + 1])
        for other in ends:
            if other.unit != q.unit or other.kind is not Kind.NUMBER:
                continue
            pair = sorted([q.value, other.value])
            for index in self._ranges:
                source = self.quantities[index]
                if (
                    source.unit == q.unit
                    and source.value == pair[0]
                    and source.value_high == pair[1]
                    and self._relation(ctx, self.contexts[index]) != "other"
                ):
                    return self._make(q, Reason.EXACT, index, ctx)
        return None

    def _decide(
        self, q: Quantity, ctx: Context, pool: list[_Scored], *, may_contradict: bool
    ) -> NumberCheck | None:
        """Judge ``q`` against the fitting part of ``pool`` (scores within FIT_RATIO of the
        best): supported if any supports; undecided if any cannot decide; contradicted if the
        rest contradict and contradiction is allowed; None when the pool says nothing."""
        if not pool or pool[0].score <= 0:
            return None
        support_floor = pool[0].score * SUPPORT_RATIO
        top_refutes: bool | None = None
        for s in pool:
            if s.score < support_floor:
                break
            if s.index in self._unfit:
                continue
            reason = self._judge(q, s.index)
            if reason is not None and _is(reason, Verdict.SUPPORTED):
                if reason is Reason.WITHIN_BOUND and s is not pool[0]:
                    if top_refutes is None:
                        top_refutes = self._firmly_refutes(q, pool[0].index)
                    if top_refutes:
                        continue  # "more than 158 million tests": not $1.9 billion of sales
                return self._make(q, reason, s.index, ctx)
        floor = pool[0].score * FIT_RATIO
        fitting = [s for s in pool if s.score >= floor]
        judged = [(s, self._judge(q, s.index)) for s in fitting]
        # A stated value of the same metric (same kind of qualifier) refutes; a bound of it
        # ("不超过160亿") can only leave the claim undecided.
        near = [s for s in pool if s.score >= support_floor]
        firm = [
            (s, r)
            for s, r in ((s, self._judge(q, s.index)) for s in near)
            if r is not None
            and _is(r, Verdict.CONTRADICTED)
            and self.quantities[s.index].qualifier is q.qualifier
        ]
        undecided = [(s, r) for s, r in judged if r is not None and _is(r, Verdict.UNVERIFIABLE)]
        close = [(s, r) for s, r in undecided if r is not Reason.BOUND_UNDECIDED]
        if close or (undecided and not firm):
            s0, r0 = (close or undecided)[0]
            return self._make(q, r0, s0.index, ctx)
        contradicted = firm or [(s, r) for s, r in judged if r is not None]
        if not contradicted:
            return None
        top, reason = contradicted[0]
        if may_contradict or (not ctx.metrics and top.score >= STRONG_SURFACE):
            return self._make(q, reason, top.index, ctx)
        return self._make(q, Reason.NO_CANDIDATE, None, ctx)

    def _firmly_refutes(self, q: Quantity, index: int) -> bool:
        """Whether the source number at ``index``, bounded the way the claim is, refutes it by
        its value: the best candidate "more than 225 million COVID tests" refutes "more than
        158 million tests", so a looser candidate merely inside the claim's bound ($1.9 billion
        of test sales) may not support it instead. A scale slip of the best candidate refutes
        too: "not exceeding 160 billion HKD" for 不超过160亿港币 is not supported by 40亿港币."""
        if self.quantities[index].qualifier is not q.qualifier or index in self._unfit:
            return False
        return self._judge(q, index) in (Reason.VALUE_MISMATCH, Reason.SCALE_MISMATCH)

    def _check_date(self, q: Quantity, ctx: Context) -> NumberCheck:
        """A claim date is supported by the same date anywhere in the source (a bare year also
        by a period of that year); otherwise the best-fitting source date decides."""
        dates = self._by_family.get("date", [])
        unresolved: int | None = None
        for index in dates:
            reason = self._judge(q, index)
            if reason is not None and _is(reason, Verdict.SUPPORTED):
                return self._make(q, reason, index, ctx)
            if reason is Reason.UNRESOLVED_DATE and unresolved is None:
                unresolved = index
        d = q.date
        if d is not None and d.year is not None and d.month is None and d.year in self._years:
            index = next(
                i
                for i, s in enumerate(self.quantities)
                if s.period is not None and s.period.year == d.year
            )
            return self._make(q, Reason.EXACT, index, ctx)
        quarter = self._quarter_end(q)
        if quarter is not None:
            return self._make(q, Reason.EXACT, None, ctx, found=quarter)
        written = self._date_written(q)
        if written is not None:
            return self._make(q, Reason.EXACT, None, ctx, found=written)
        if unresolved is not None:
            return self._make(q, Reason.UNRESOLVED_DATE, unresolved, ctx)
        scored = [s for s in self._score(q, ctx) if s.relation != "other"]
        concepts = [s for s in scored if self.contexts[s.index].concepts & ctx.concepts]
        for s in concepts[:1]:
            reason = self._judge(q, s.index)
            if reason is not None:
                return self._make(q, reason, s.index, ctx)
        return self._make(q, Reason.NO_CANDIDATE, None, ctx)

    def _quarter_end(self, q: Quantity) -> Quantity | None:
        """A claim date that ends a quarter ("as of march 31, 2021", "quarter ending june 30,
        2021") is supported where the source names that quarter of that year ("the first
        quarter 2021", "2021年第一季度", "Q1 2021", "1Q21"): calls name the quarter, not its
        last day."""
        d = q.date
        if (
            d is None
            or d.year is None
            or d.month not in _QUARTER_END
            or d.day != _QUARTER_END[d.month]
        ):
            return None
        words = _PART_WORDS[f"Q{d.month // 3}"]
        year = rf"(?:fiscal\s+)?{d.year}(?!\d)"
        pattern = (
            rf"(?i:(?<![a-z0-9])(?:{words})(?:\s+of|\s*,)?\s*{year}"
            rf"|(?<!\d){d.year}\s*年?\s*(?:{words})"
            rf"|(?<![a-z0-9]){d.month // 3}Q\s*'?{d.year % 100:02d}(?!\d))"
        )
        found = re.search(pattern, self.text)
        if found is None:
            return None
        return q.model_copy(update={"span": found.span(), "text": found.group()})

    def _spelled_out(self, q: Quantity, claim: str) -> Quantity | None:
        """A small count the claim writes in digits before a word ("11 stores and 1 collision
        center") and the source spells out before that same word ("one collision center"),
        which the extractor leaves alone (a bare "one" is rarely a quantity)."""
        if (
            q.kind is not Kind.NUMBER
            or q.lang != "en"
            or q.unit is not None
            or q.per is not None
            or q.value_high is not None
            or not 1 <= q.value < len(EN_ONES_WORDS) + 1
            or q.value != q.value.to_integral_value()
        ):
            return None
        after = _NEXT_WORD.match(claim, q.span[1])
        if after is None or after.group(1).lower() in _SPELLED_STOP:
            return None
        word = EN_ONES_WORDS[int(q.value) - 1]
        found = re.search(
            rf"(?<![A-Za-z-]){word}\s+{re.escape(after.group(1))}\b", self.text, re.IGNORECASE
        )
        if found is None:
            return None
        return q.model_copy(update={"span": found.span(), "text": found.group()})

    def _date_written(self, q: Quantity) -> Quantity | None:
        """The claim's date as the source writes it in a notation the extractor does not read
        as a date: spaced "5 月 12 日", dotted or dashed "2025.05.12" (also glued to a table's
        cells on both sides when zero-padded: "468.472025.05.122.73"), a month opening a range
        or list ("1—9月份", "1~2月", "8、9月份"), a two-digit year ("24年" for 2024). A year
        written before the match must agree with the claim's year."""
        d = q.date
        if d is None:
            return None
        m = str(d.month)
        if d.month is None:
            if d.year is None:
                return None
            # a year alone: "24年" (read as 24 years by the extractor) or "2024年"
            patterns = [rf"(?<![\d.])(?:{d.year}|{d.year % 100:02d})\s*年(?![\d度])"]
        elif d.day is not None:
            day = str(d.day)
            patterns = [rf"(?<![\d.])0?{m}\s*月\s*0?{day}\s*[日号]"]
            if d.year is not None:
                patterns.append(rf"{d.year}[./-]{d.month:02d}[./-]{d.day:02d}")
                patterns.append(rf"(?<!\d){d.year}\s*[./-]\s*{m}\s*[./-]\s*{day}(?!\d)")
        else:
            patterns = [
                rf"(?<![\d.])0?{m}\s*月?份?\s*(?:[-—–~～至到、]|和)\s*\d{{1,2}}\s*月",
                rf"(?<![\d.]){d.year}\s*年\s*0?{m}\s*月" if d.year is not None else "(?!)",
            ]
        for pattern in patterns:
            for found in re.finditer(pattern, self.text):
                if any(
                    self.quantities[i].span[0] <= found.start() < self.quantities[i].span[1]
                    for i in self._by_family.get("date", ())
                ):
                    continue  # the extractor read this date (去年12月18日): judged above
                before = self.text[max(0, found.start() - 8) : found.start()]
                if re.search(r"[去今前明上本]年\s*$", before):
                    continue
                year = re.search(r"(\d{4})\s*年\s*$", before)
                if year is not None and d.year is not None and int(year.group(1)) != d.year:
                    continue
                written = d if str(d.year) in found.group() else d.model_copy(update={"year": None})
                return q.model_copy(
                    update={
                        "span": found.span(),
                        "text": found.group(),
                        "lang": "zh",
                        "date": written,
                    }
                )
        return None

    # ---- messages ------------------------------------------------------------------------
    def _make(
        self,
        q: Quantity,
        reason: Reason,
        index: int | None,
        ctx: Context,
        *,
        found: Quantity | None = None,
    ) -> NumberCheck:
        """A check of ``q`` against source quantity ``index`` (or ``found``, a mention located
        in the source text without the extractor)."""
        source = found if index is None else self.quantities[index]
        location = None if source is None else self.location(source.span)
        matched: list[str] = []
        if index is not None:
            shared = ctx.concepts & self.contexts[index].concepts
            matched = sorted(shared)
        return NumberCheck(
            claim=q,
            verdict=REASON_VERDICT[reason],
            reason=reason,
            source=source,
            location=location,
            matched_on=matched,
            message=self._message(q, reason, source, location),
        )

    def _message(
        self, q: Quantity, reason: Reason, source: Quantity | None, location: str | None
    ) -> str:
        said = f"claim says {_show(q, None)}"
        if source is None or location is None:
            return f"{said}; {_EXPLAIN[reason]}"
        currency = self.currency if is_currency(q.unit) and source.unit is None else None
        explain = _EXPLAIN[reason]
        if reason is Reason.CONVERTED and q.value == -source.value:
            explain = "the source states it as a loss"
        return f"{said}; source says {_show(source, currency)} at {location} ({explain})"


_QUARTER_END = {3: 31, 6: 30, 9: 30, 12: 31}


def _bare_count(source: Quantity) -> bool:
    """A source number with no unit (no currency, no counted noun) and nothing it is per, such
    as a rank ("ranked Nos. 1 and 2"): never an amount per share by itself."""
    return source.unit is None and source.per is None and source.kind is Kind.NUMBER


def _is(reason: Reason, verdict: Verdict) -> bool:
    return REASON_VERDICT[reason] is verdict


_SUPPORT_ORDER = [
    Reason.EXACT,
    Reason.CONVERTED,
    Reason.ROUNDED,
    Reason.QUALIFIER_DROPPED,
    Reason.WITHIN_BOUND,
    Reason.APPROXIMATE,
    Reason.COMPUTED,
]


def _support_rank(reason: Reason) -> int:
    return _SUPPORT_ORDER.index(reason) if reason in _SUPPORT_ORDER else len(_SUPPORT_ORDER)


_LOSS_BEFORE = re.compile(
    r"(?:亏损|亏|loss(?:es)?)\s*(?:为|了|达到?|约|额|金额|人民币|of|was|were|totaled|at)?\s*[:：]?\s*$",
    re.IGNORECASE,
)


def _loss_signed(q: Quantity, text: str) -> Decimal:
    """The value with a loss word in front counted as negative: "亏损2323万元", "net loss of
    $5 million" → -value; "-2323万元" stays -value."""
    before = text[max(0, q.span[0] - 12) : q.span[0]]
    return -q.value if _LOSS_BEFORE.search(before) else q.value


_CHANGE_ROLES = frozenset((Role.GROWTH, Role.DECLINE))
# Computed support (`PreparedSource._computed`): words that mark the figure after them as the
# comparison base, words that make an amount a difference, and how far they may stand.
COMPARISON_REACH = 24
CHANGE_GAP = 24
OPERAND_GAP = 80
DIFFERENCE_REACH = 12
_BASE_BEFORE = re.compile(
    r"(?:(?P<from>\bfrom|从|由)|\bcompared\s+(?:to|with)|\bversus|\bvs\.?|\bagainst"
    r"|\brelative\s+to|较|相比|对比|高于|低于|比(?:去年|上年|上月|上季)|预期|预估)"
    r"(?:\s+(?:the|a|an)\b)?[^，。；,;%\d]{0,8}(?:\d{1,2}月[^，。；,;%\d]{0,6})?\s*$",
    re.IGNORECASE,
)
_TO_WORD = re.compile(r"\bto\b|至|到")
_COMPARISON_WORD = re.compile(
    r"\b(?:over|from|versus|compared|vs|year[- ]over[- ]year|year[- ]ago|prior[- ]year"
    r"|last year)\b|同比|较上年|较去年|比上年|比去年",
    re.IGNORECASE,
)
_DIFFERENCE_BEFORE = re.compile(
    r"超出|高出|高于|低于|多出|少于|\b(?:beat|above|below|ahead of|short of)\b", re.IGNORECASE
)
_LOWER_BEFORE = re.compile(r"低于|少于|\b(?:below|short of)\b", re.IGNORECASE)
ATTACHED_REACH = 80
_NEXT_WORD = re.compile(r"\s+([A-Za-z][A-Za-z-]{2,})")
_SPELLED_STOP = frozenset(("and", "the", "for", "from", "per", "percent", "million", "billion"))
LIST_MIN = 3  # members of a respectively list matched place by place (`_list_counterpart`)
_CHANGE_TO = re.compile(r"(?:\s+[a-z][a-z-]*){0,6}?\s+to\s+", re.IGNORECASE)
"""Between a claim's change and its level: "rose 1 percent to $429.8 million", "10% year-over-year
increase in home closing revenue to $1.3 billion"."""
_LEVEL_THEN_CHANGE = re.compile(
    r"\s*,?\s*(?:up|down|an? (?:increase|decrease|rise|decline) of)\s+|"
    r"\s*[，,]\s*(?:同比|环比)\s*(?:增长|下降|上涨|下跌|增加|减少)?\s*",
    re.IGNORECASE,
)
_ATTACHED_GAP = re.compile(
    r"\s*,?\s*(?:(?:which|that)\s+)?(?:(?:was|were|is)\s+)?(?:an?\s+)?"
    r"(?:up|down|increased|decreased|rose|fell|grew|declined|increase|decrease|growth|decline|"
    r"improved|an increase of|a decrease of|a decline of)(?:\s+(?:by|of))?\s*|"
    r"\s+(?:[a-z][a-z-]*\s+){0,6}?(?:to|of)\s+|"
    r"\s+(?:in|for|during)\s+(?:the\s+)?(?:[a-z]+\s+){0,2}(?:quarter|year|period)\s*,\s*|"
    r"\s*[，,]\s*(?:同比|环比)\s*(?:增长|下降|上涨|下跌|增加|减少)?\s*|\s*至\s*",
    re.IGNORECASE,
)
"""A source change written right next to a level: "$429.8 million increased 14%", "up 208% to
$914 million", "$1.3 billion, up 10%", "increased 16% in third quarter, $4.6 billion";
"18.7 万辆，同比+45%", "同比下降32.24%至40.65亿元"."""
_GUIDANCE_CLAIM = re.compile(
    r"\b(?:sees|expects?|anticipates?|guidance|outlook|forecasts?|projects?|will be)\b", re.I
)
_FORWARD_SAID = re.compile(
    # "better than our outlook", "ahead of guidance": a result measured against a forecast
    r"(?<!than our )(?<!than the )(?<!ahead of our )(?<!ahead of )(?<!than )"
    r"\b(?:expect\w*|anticipat\w*|guid\w*|outlook|forecast\w*|project\w*|will|would|"
    r"should|target\w*|sees?|estimat\w*|plan\w*|assum\w*|range|continue to|going to|"
    r"next|remain\w*|full[- ]year|fiscal|for (?:the )?(?:year|quarter))\b",
    re.IGNORECASE,
)
_ADJUSTED = re.compile(
    r"\b(?:adjusted|adj\.|non-?\s?gaap|pro[- ]forma|"
    r"excluding (?:special |certain |one-time )?items)\b",
    re.IGNORECASE,
)
_ADJUSTED_SAID = re.compile(
    r"\b(?:adjusted|adj\.|non-?\s?gaap|pro[- ]forma|exclud(?:ing|es?)|"
    r"before (?:special |certain )?items)\b",
    re.IGNORECASE,
)
"""How a source says a figure is adjusted: also "Excluding the $40 million cost …, we lost
$0.12 per share" and "Adjusted EPS, which excludes certain items, totaled $0.90"."""
_ADJUSTED_AFTER = re.compile(
    r"[^.;!?\n]{0,12}?\b(?:adjusted|non-?\s?gaap)\b|"
    r"[^.;!?\n]{0,25}?\bon an? (?:adjusted|non-gaap|underlying|pro[- ]forma) basis",
    re.IGNORECASE,
)
ADJUSTED_OWN = 60
"""A rival candidate is the claim's adjusted figure when "adjusted" stands this close before it."""
ADJUSTED_SENTENCE = 240
"""A candidate is taken as unadjusted only when its whole sentence (this far back) never says
"adjusted": "Adjusted EPS, which excludes certain items, totaled $0.90" is adjusted."""
_COMPARATIVE_CLAIM = re.compile(
    r"\b(?:vs|versus|compared|from|against|prior|previous|last|ago|earlier|year-ago)\b|"
    r"同比|环比|较|去年|上年|上期|此前|前值",
    re.IGNORECASE,
)
"""Words with which a claim makes a comparison itself (then a prior-period value may be its)."""
_PRIOR_BEFORE = re.compile(
    r"(?:\bfrom|\bcompared (?:to|with)|\bversus|\bvs\.?|\bagainst)\s+"
    r"(?:(?:[^.;!?\n]|\.(?=\d)){0,40}?\band\s+)?(?:an?\s+|the\s+)?(?:[a-z-]+\s+)?$",
    re.IGNORECASE,
)
_PRIOR_AFTER = re.compile(
    r"\s*(?:per (?:diluted )?share\s*)?(?:,\s*)?(?:in|for|during|at)?\s*(?:the\s+)?"
    r"(?:(?:last|prior|previous|year-ago|prior-year|same)\b|a year (?:ago|earlier)|"
    r"(?:(?:first|second|third|fourth)\s+quarter|quarter|period|year)\s+(?:of\s+)?"
    r"(?:last|the prior|the previous|(?P<year>(?:19|20)\d\d))\b)",
    re.IGNORECASE,
)


PRIOR_YEAR_SHARE = 0.5


def _part_before(text: str, start: int) -> str:
    """The claim's words before a number, back to the last ";" or sentence end: in "reports 2021
    earnings of $3.23 per share; initiates 2022 guidance of …" the $3.23 is no guidance."""
    cut = max(text.rfind(";", 0, start), text.rfind(". ", 0, start))
    return text[cut + 1 : start]


def _usual_year(quantities: Sequence[Quantity]) -> int | None:
    """The year the source reports on: the latest year that tags at least PRIOR_YEAR_SHARE
    as many numbers as the most common one (a call compares with last year's figures so often
    that the prior year can be the most common tag; a far target year tags only a few)."""
    years = Counter(
        q.period.year for q in quantities if q.period is not None and q.period.year is not None
    )
    if not years:
        return None
    most = years.most_common(1)[0][1]
    return max(y for y, n in years.items() if n >= most * PRIOR_YEAR_SHARE)


def _prior_period_value(text: str, q: Quantity, current: int | None) -> bool:
    """ "up 17% from $0.29 in the third quarter of last year", "compared to $0.16 last quarter
    and $0.29 in the third quarter of 2019": an English figure introduced as the comparison
    base (from / compared to / versus …) and followed by a prior period (last year, a year ago,
    a year before the one the source reports on) is the earlier period's value."""
    if q.kind is not Kind.NUMBER or q.lang != "en":
        return False
    start, end = q.span
    if not _PRIOR_BEFORE.search(text, max(0, start - 70), start):
        return False
    after = _PRIOR_AFTER.match(text, end, end + 60)
    if after is None:
        return False
    year = after.group("year")
    return year is None or (current is not None and int(year) < current)


_FLAT_TO = re.compile(r"(?:\bflat|持平)\s*(?:to|-|–|至|到|~|～)\s*(?:up\s+)?$", re.IGNORECASE)
_PART_WORDS = {
    "Q1": r"Q1|1Q|第一季度|一季度|1季度|first quarter",
    "Q2": r"Q2|2Q|第二季度|二季度|2季度|second quarter",
    "Q3": r"Q3|3Q|第三季度|三季度|3季度|third quarter",
    "Q4": r"Q4|4Q|第四季度|四季度|4季度|fourth quarter",
    "H1": r"H1|1H|上半年|first half",
    "H2": r"H2|2H|下半年|second half",
    "9M": r"9M|前三季度|nine months",
    "FY": r"全年|年度|full[- ]year|for the year|fiscal year",
}
_SENTENCE_END = re.compile(r"[。！？；\n]|\.\s")
PERIOD_BEFORE = 80  # characters of the source number's sentence searched for period words
PERIOD_AFTER = 40


def _period_pattern(year: int | None, part: str | None) -> re.Pattern[str] | None:
    """Words that write a period: 2025 / 25年, and Q1 / 一季度 / first quarter."""
    words = []
    if year is not None:
        words.append(rf"(?<!\d){year}(?!\d)|(?<!\d){year % 100:02d}(?=年)")
    if part is not None and part in _PART_WORDS:
        words.append(_PART_WORDS[part])
    return re.compile("|".join(words), re.IGNORECASE) if words else None


def _period_distance(pattern: re.Pattern[str] | None, text: str, start: int, end: int) -> int:
    """How far from the number [start, end) the nearest match of ``pattern`` is within the
    number's sentence; a large number when there is none."""
    if pattern is None:
        return 1 << 30
    before = text[max(0, start - PERIOD_BEFORE) : start]
    ends = list(_SENTENCE_END.finditer(before))
    if ends:
        before = before[ends[-1].end() :]
    after = text[end : end + PERIOD_AFTER]
    stop = _SENTENCE_END.search(after)
    if stop:
        after = after[: stop.start()]
    best = 1 << 30
    for m in pattern.finditer(before):
        best = min(best, len(before) - m.end())
    for m in pattern.finditer(after):
        best = min(best, m.start())
    return best


def _period_nearer(claim: Quantity, source: Quantity, text: str) -> bool:
    """The source's period tag is a guess from context; when the sentence of the source number
    writes the claim's period closer to the number than the tagged one ("2024年实现…，2025Q1实现
    销售毛利率28%"; "18% to 21% range for the year"), the number belongs to the claim's period.
    Only the fields that conflict are looked for."""
    cp, sp = claim.period, source.period
    if cp is None or sp is None:
        return False
    cy, sy = resolve_year(cp.year, None, None), resolve_year(sp.year, None, None)
    years = cy is not None and sy is not None and cy != sy
    parts = cp.part is not None and sp.part is not None and cp.part != sp.part
    if not (years or parts):
        return False
    start, end = source.span
    claim_side = _period_pattern(cy if years else None, cp.part if parts else None)
    source_side = _period_pattern(sy if years else None, sp.part if parts else None)
    near = _period_distance(claim_side, text, start, end)
    return near < (1 << 30) and near < _period_distance(source_side, text, start, end)


def _significant_digits(q: Quantity) -> int:
    """Digits written: 3014.27万 → 6, 1.140万股 → 4, 10% → 2, 0.6bp → 1."""
    if q.precision <= 0:
        return 0
    return len(str(abs(q.value / q.precision).to_integral_value()).lstrip("0"))


def _distinctive(q: Quantity) -> bool:
    """A value written with DISTINCTIVE_DIGITS or more significant digits (3014.27万元,
    1.140万股) is unlikely to recur by chance: where the source writes exactly it, that is the
    claim's number even when the nearby words suggest another metric."""
    return q.kind is Kind.NUMBER and _significant_digits(q) >= DISTINCTIVE_DIGITS


def _attribute_bonus(claim: Quantity, source: Quantity) -> float:
    """Small bonuses that break ties between same-metric candidates: same unit, basis, role,
    period part. Conflicts are not penalised here; `judge` reports them."""
    bonus = 0.0
    if claim.unit is not None and claim.unit == source.unit:
        bonus += 0.2
    if claim.basis is not None and claim.basis == source.basis:
        bonus += 0.5
    if claim.role is not None and claim.role == source.role:
        bonus += 0.3
    cp, sp = claim.period, source.period
    if cp is not None and sp is not None and cp.part is not None and cp.part == sp.part:
        bonus += 0.5
    return bonus


_EXPLAIN: dict[Reason, str] = {
    Reason.EXACT: "same value",
    Reason.CONVERTED: "same value, converted",
    Reason.ROUNDED: "the source rounds to the claim",
    Reason.APPROXIMATE: "within the claim's 'about'",
    Reason.QUALIFIER_DROPPED: "same value; the claim drops the source's qualifier",
    Reason.WITHIN_BOUND: "the source value lies within the claim's bound",
    Reason.COMPUTED: "computed from two source figures",
    Reason.VALUE_MISMATCH: "different value",
    Reason.SCALE_MISMATCH: "off by a power of ten",
    Reason.CURRENCY_MISMATCH: "different currency",
    Reason.BASIS_MISMATCH: "year-on-year vs quarter-on-quarter",
    Reason.ROLE_MISMATCH: "growth vs share or level",
    Reason.PERIOD_MISMATCH: "different period",
    Reason.DATE_MISMATCH: "different date",
    Reason.BOUND_CONFLICT: "the bounds point the other way",
    Reason.NO_CANDIDATE: "no number in the source fits this metric",
    Reason.OTHER_METRIC: "the value occurs in the source, but for another metric",
    Reason.TOO_PRECISE: "the claim is more precise than the source",
    Reason.BOUND_UNDECIDED: "the source's bound neither confirms nor refutes the claim",
    Reason.UNRESOLVED_DATE: "the source's date is relative (去年) and no document date was given",
    Reason.NO_NUMBERS: "the claim states no number",
    Reason.UNSUPPORTED_LANGUAGE: "the claim is neither Chinese nor English",
    Reason.UNKNOWN_IDENTIFIER: "the claim names an identifier the source never writes",
}


def _show(q: Quantity, currency: str | None) -> str:
    """The mention as written, plus its normalized English form when that differs:
    "166.5亿 = RMB16.65 billion"; attributes that matter follow in brackets."""
    if q.kind is Kind.DATE and q.date is not None:
        d = q.date
        parts = [str(d.year) if d.year is not None else "?"]
        if d.relative_year is not None and d.year is None:
            parts = [f"year{d.relative_year:+d}"]
        if d.month is not None:
            parts.append(f"{d.month:02d}")
        if d.day is not None:
            parts.append(f"{d.day:02d}")
        normalized = "-".join(parts)
    else:
        shown = q if currency is None else q.model_copy(update={"unit": currency})
        normalized = render(shown, "en")
    text = unicodedata.normalize("NFKC", q.text).strip()
    out = text if normalized in (text, q.text) else f"{text} = {normalized}"
    tags: list[str] = [str(v) for v in (q.basis, q.role) if v is not None and v != "level"]
    if q.qualifier != "exact":
        tags.insert(0, str(q.qualifier))
    if q.period is not None and (q.period.part or q.period.year):
        tags.append(" ".join(str(p) for p in (q.period.year, q.period.part) if p))
    return f"{out} [{', '.join(str(t) for t in tags)}]" if tags else out


def _aggregate(claim: str, checks: list[NumberCheck]) -> Verification:
    """Any contradicted → contradicted; all supported → supported; else unverifiable."""
    for verdict in (Verdict.CONTRADICTED, Verdict.UNVERIFIABLE):
        for check in checks:
            if check.verdict is verdict:
                return Verification(
                    claim=claim, verdict=verdict, reason=check.reason, checks=checks
                )
    return Verification(
        claim=claim, verdict=Verdict.SUPPORTED, reason=checks[0].reason, checks=checks
    )


def prepare_source(
    source: str,
    *,
    doc_date: date | None = None,
    currency: str | None = None,
    quantities: Sequence[Quantity] | None = None,
) -> PreparedSource:
    """Extract and index the source once; then call ``.verify(claim)`` as often as needed."""
    return PreparedSource(source, doc_date=doc_date, currency=currency, quantities=quantities)


def verify(
    claim: str,
    source: str | PreparedSource,
    *,
    doc_date: date | None = None,
    currency: str | None = None,
) -> Verification:
    """Verify one claim against a source text (or a `PreparedSource`).

    >>> verify("营销收入同比增长28%", "线上营销服务收入达到了166.5亿。同比增长27.4%").verdict
    <Verdict.CONTRADICTED: 'contradicted'>
    """
    prepared = (
        source
        if isinstance(source, PreparedSource)
        else prepare_source(source, doc_date=doc_date, currency=currency)
    )
    return prepared.verify(claim)


def verify_many(
    claims: Iterable[str],
    source: str | PreparedSource,
    *,
    doc_date: date | None = None,
    currency: str | None = None,
) -> list[Verification]:
    """Verify many claims against one source, extracting the source's quantities once."""
    prepared = (
        source
        if isinstance(source, PreparedSource)
        else prepare_source(source, doc_date=doc_date, currency=currency)
    )
    return prepared.verify_many(claims)


__all__ = [
    "ClaimRow",
    "PreparedSource",
    "Verification",
    "detect_language",
    "infer_currency",
    "prepare_source",
    "verify",
    "verify_many",
]
