"""The words around a number: what a quantity is *about*, as weighted features.

A value alone does not tell which source number a claim means: "38%" may be the growth of
products while the claim speaks of merchants. So each quantity (in the source and in the claim)
gets a bag of features read from its clause and sentence:

- lexicon concepts (``revenue``, ``merchants``, ``adjusted``...), shared across languages;
- surface features in the number's own language (Chinese character bigrams, English words), for
  the long tail of metrics no lexicon lists (性别比, 跟踪误差...);
- the neighbouring quantities as language-free keys (a date ``#d:2025-05-15``, ``#20:日``), so a
  claim's "20日主力净流入" is told apart from the source's "5日主力净流入".

Weights fall with distance: the number's own clause counts fully, earlier clauses of the
sentence less, the previous sentence only when the sentence so far names no metric. A metric word
that stands before an intervening number counts half (it belongs to that number: "revenue was
$1.7bn and operating income $200m" ties $200m to operating income). In a respectively list
(商家数商品数分别增长19%和38%) the i-th number keeps only the i-th metric.

``metrics`` is the set of metric concepts a number is about (the strongest ones), ``segments``
the business lines it belongs to (online marketing, e-commerce...); the verifier compares these
to decide "same metric", "another metric" or "unknown".

Example::

    >>> ctx = describe("日均动销商家数商品数环比分别增长19%和38%", quantities, load_lexicon())
    >>> sorted(ctx[1].metrics)        # the 38%
    ['products']
"""

from __future__ import annotations

import re
from bisect import bisect_left, bisect_right
from collections.abc import Sequence
from dataclasses import dataclass, field

from toolkit.lexicon import ConceptMatch, Lexicon
from toolkit.quantity import DateValue, Kind, Quantity

SAME_CLAUSE = 1.0
EARLIER_CLAUSE = 0.6
PREVIOUS_SENTENCE = 0.35
AFTER_NUMBER = 0.6
"""A word after the number ("$1.7 billion in revenue") counts a little less than one before."""
BEHIND_OTHER_NUMBER = 0.5
DECAY_CHARS = 40.0
"""Distance (in characters) at which a word's weight has halved."""
METRIC_KEEP = 0.6
"""A metric is one of the number's ``metrics`` when its weight is within 60% of the strongest."""

ANCHOR_CHARS = 12
"""A date anchors a number when it stands at most this far before it in the same clause, as in a
table written out as text ("2024年7月为-0.3%，2024年6月为-0.2%"). A date further away (a
publication date, "截至2025年3月31日，公司总资产为…") is often not the one a claim repeats."""
DATE_LIST_CHARS = 24
"""How far a list of dates may stand before the list of values it pairs with."""
MAX_BACK = 240
MAX_AHEAD = 80
SURFACE_BACK = 16
SURFACE_AHEAD = 6
WORDS_BACK = 8
WORDS_AHEAD = 4

# A full stop ends a sentence before a space or the end. Both patterns start with the boundary
# character (a lookbehind after it, "(?<!\.)": the character was not "."), so the engine skips
# ahead to the next candidate character instead of trying every branch at every position.
_SENTENCE_END = re.compile(r"[。！？!?；;\n\r.](?:(?<!\.)|(?=\s|$))")
# A comma is a clause end unless it groups thousands (1,234); a colon unless it is a time (09:15).
_CLAUSE_END = re.compile(r"[，、：（）()\[\]【】\"“”]|,(?:(?!\d{3})|(?<!\d,))|:(?:(?<!\d:)|(?!\d))")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_WORD = re.compile(r"[A-Za-z][A-Za-z&'\-]*")
_DIGIT = re.compile(r"[0-9]")
# "自2022年10月以来…最低水平1.8%": the start of a window, not the date the number is stated for
_SINCE_AFTER = re.compile(r"[ \t]*以来")
_OR_ALTERNATIVE = re.compile(r"[ \t]*,?[ \t]*or[ \t]+")
_OF_METRIC = re.compile(
    r"(?:[ \t]+[A-Za-z][A-Za-z'-]*){0,3}?[ \t]+(?i:in|of)(?:[ \t]+[A-Za-z][A-Za-z&'-]*){0,3}[ \t]+"
)
"""English names a number's metric after it with "in"/"of": "$1.85 billion in gross debt", "a 10%
year-over-year increase in home closing revenue": the metric word then is the number's own (full
weight), and for the next number it is the previous number's ("$1.61 billion in cash and $1.85
billion in gross debt": cash is not the debt's). At most three words on either side of the
preposition, no digits or punctuation between."""


@dataclass
class Context:
    """Features of one quantity: feature → weight (0..1], and the metric concepts it is about."""

    features: dict[str, float] = field(default_factory=dict)
    metrics: frozenset[str] = frozenset()
    segments: frozenset[str] = frozenset()
    concepts: frozenset[str] = frozenset()
    anchor: DateValue | None = None
    """The date the number is stated for: the nearest date before it in its sentence
    ("2024年6月为-0.2%"), so a table of monthly values is read month by month."""
    dates: tuple[DateValue, ...] = ()
    """Every date written before the number in its clause: "截止2025年05月11日…上一交易日
    2025年05月09日收益率为0.00%" is anchored to 05-09 but also said as of 05-11."""

    def add(self, key: str, weight: float) -> None:
        if weight > self.features.get(key, 0.0):
            self.features[key] = weight


class TextLayout:
    """Sentence and clause boundaries and lexicon matches of one text, found once, so that the
    context of each of its quantities is a few bisects rather than a rescan."""

    def __init__(self, text: str, lexicon: Lexicon) -> None:
        self.text = text
        self.lexicon = lexicon
        self.sentence_ends = [m.start() for m in _SENTENCE_END.finditer(text)]
        self.clause_ends = [m.start() for m in _CLAUSE_END.finditer(text)]
        self.matches: list[ConceptMatch] = lexicon.find(text)
        self.match_starts = [m.start for m in self.matches]

    def _last_before(self, ends: list[int], pos: int, floor: int) -> int:
        """Start of the segment containing ``pos``: one past the last boundary before it."""
        k = bisect_left(ends, pos)
        if k == 0:
            return floor
        return max(floor, ends[k - 1] + 1)

    def _first_after(self, ends: list[int], pos: int, ceiling: int) -> int:
        k = bisect_left(ends, pos)
        if k == len(ends):
            return ceiling
        return min(ceiling, ends[k])

    def bounds(self, start: int, end: int) -> tuple[int, int, int, int, int]:
        """(previous sentence start, sentence start, clause start, clause end, sentence end)."""
        floor = max(0, start - MAX_BACK)
        ceiling = min(len(self.text), end + MAX_AHEAD)
        sentence_start = self._last_before(self.sentence_ends, start, floor)
        clause_start = max(sentence_start, self._last_before(self.clause_ends, start, floor))
        sentence_end = self._first_after(self.sentence_ends, end, ceiling)
        clause_end = min(sentence_end, self._first_after(self.clause_ends, end, ceiling))
        prev_floor = max(0, sentence_start - MAX_BACK // 2)
        prev_start = (
            self._last_before(self.sentence_ends, sentence_start - 1, prev_floor)
            if sentence_start > 0
            else sentence_start
        )
        return prev_start, sentence_start, clause_start, clause_end, sentence_end

    def matches_in(self, start: int, end: int) -> list[ConceptMatch]:
        lo = bisect_left(self.match_starts, start)
        hi = bisect_left(self.match_starts, end)
        return [m for m in self.matches[lo:hi] if m.end <= end]


def anchors_conflict(a: DateValue | None, b: DateValue | None) -> bool:
    """Both numbers are stated for a date and the dates differ in a field both give
    (2024年7月 vs 2024年6月); relative years (去年) are left alone."""
    if a is None or b is None:
        return False
    fields = ((a.year, b.year), (a.month, b.month), (a.day, b.day))
    return any(x is not None and y is not None and x != y for x, y in fields)


def stated_for_other_date(claim: Context, source: Context) -> bool:
    """The source number is anchored to another date than the claim's, and its clause does
    not write the claim's date either (a table row of another month, not "截止<claim date>…
    上一交易日<other date>收益率为…")."""
    if not anchors_conflict(claim.anchor, source.anchor):
        return False
    return all(anchors_conflict(claim.anchor, d) for d in source.dates)


def _decay(distance: int) -> float:
    return 1.0 / (1.0 + max(distance, 0) / DECAY_CHARS)


def quantity_key(quantity: Quantity) -> str:
    """A language-free key for a neighbouring number: 2025年05月15日 → "#d:2025-5-15",
    20日主力 → "#20:日" (its value and unit), so both languages agree on it."""
    if quantity.kind is Kind.DATE and quantity.date is not None:
        d = quantity.date
        return f"#d:{d.year or ''}-{d.month or ''}-{d.day or ''}"
    value = quantity.value.normalize()
    return f"#{value:f}:{quantity.unit or ''}"


def describe(
    text: str,
    quantities: Sequence[Quantity],
    lexicon: Lexicon,
    *,
    layout: TextLayout | None = None,
    claim: bool = False,
) -> list[Context]:
    """The `Context` of every quantity of ``text`` (same order as ``quantities``).

    ``claim=True`` reads a claim: its date anchors every number after it in the sentence
    ("2025年2月，中国PPI生产资料环比为-0.3%"), where a source number is anchored only by a date
    right before it in its clause.
    """
    lay = layout or TextLayout(text, lexicon)
    starts = [q.span[0] for q in quantities]
    order = sorted(range(len(quantities)), key=lambda i: starts[i])
    sorted_starts = [starts[i] for i in order]
    sorted_q = [quantities[i] for i in order]
    groups: dict[int, list[int]] = {}
    for i, q in enumerate(quantities):
        if q.group is not None and q.group.kind in ("respectively", "list"):
            groups.setdefault(q.group.id, []).append(i)
    contexts = [
        _describe_one(lay, quantities[i], sorted_q, sorted_starts, claim)
        for i in range(len(quantities))
    ]
    for members in groups.values():
        _align_respectively(lay, quantities, members, contexts)
    _align_dates(lay, quantities, groups, contexts)
    return contexts


def _align_dates(
    lay: TextLayout,
    quantities: Sequence[Quantity],
    groups: dict[int, list[int]],
    contexts: list[Context],
) -> None:
    """ "8、9月份新增专项债额度分别为7965亿元、10279亿元": a list of values right after a list
    of as many dates (in its sentence, nothing but words between) is stated date by date, the
    i-th value for the i-th date."""
    dates = sorted(
        (m for m in groups.values() if quantities[m[0]].kind is Kind.DATE),
        key=lambda m: quantities[m[-1]].span[1],
    )
    if not dates:
        return
    ends = [quantities[m[-1]].span[1] for m in dates]
    for members in groups.values():
        first = quantities[members[0]]
        if first.kind is not Kind.NUMBER:
            continue
        k = bisect_right(ends, first.span[0]) - 1  # the date list ending nearest before it
        if k < 0 or first.span[0] - ends[k] > DATE_LIST_CHARS:
            continue
        listed = dates[k]
        _, sent_start, _, _, _ = lay.bounds(first.span[0], first.span[1])
        if (
            len(listed) == len(members)
            and sent_start <= quantities[listed[0]].span[0]
            and not _DIGIT.search(lay.text, ends[k], first.span[0])
        ):
            for d, n in zip(listed, members, strict=True):
                contexts[n].anchor = quantities[d].date


def _describe_one(
    lay: TextLayout, q: Quantity, sorted_q: list[Quantity], sorted_starts: list[int], claim: bool
) -> Context:
    text = lay.text
    start, end = q.span
    if q.group is not None and q.group.kind == "table" and q.group.header is not None:
        return _describe_cell(lay, q, q.group.header, sorted_q, sorted_starts)
    prev_start, sent_start, clause_start, clause_end, sent_end = lay.bounds(start, end)
    ctx = Context()
    # the nearest quantity before this one in its sentence, and the next one in its clause
    k = bisect_left(sorted_starts, start)
    prev_q_end = -1
    j = k - 1
    while j >= 0:
        other = sorted_q[j]
        if other.span[1] <= start:
            prev_q_end = other.span[1] if other.span[1] > sent_start else -1
            break
        j -= 1
    if q.kind is not Kind.DATE:
        j = k - 1
        while j >= 0:
            other = sorted_q[j]
            reach_start = sent_start if claim else clause_start
            reach = MAX_BACK if claim else ANCHOR_CHARS
            if other.span[0] < reach_start or start - other.span[1] > reach:
                break
            if (
                other.kind is Kind.DATE
                and other.span[1] <= start
                and other.date is not None
                and not _SINCE_AFTER.match(text, other.span[1])
            ):
                ctx.anchor = other.date
                break
            j -= 1
    if not claim and ctx.anchor is not None:
        j = k - 1
        dates: list[DateValue] = []
        while j >= 0 and sorted_q[j].span[0] >= clause_start:
            other = sorted_q[j]
            if other.kind is Kind.DATE and other.date is not None and other.span[1] <= start:
                dates.append(other.date)
            j -= 1
        ctx.dates = tuple(dates)
    next_q_start = clause_end
    j = bisect_right(sorted_starts, start)
    while j < len(sorted_starts):
        if sorted_starts[j] >= end:
            next_q_start = min(clause_end, sorted_starts[j])
            break
        j += 1
    # "$47 million or $0.08 per diluted share of merger-related expenses": one amount said two
    # ways; the words after the second are the first's too
    of_from = end
    if (
        j < len(sorted_q)
        and next_q_start == sorted_starts[j]
        and _OR_ALTERNATIVE.fullmatch(text, end, sorted_starts[j])
    ):
        alternative = sorted_q[j]
        of_from = alternative.span[1]
        next_q_start = clause_end
        for k2 in range(j + 1, len(sorted_starts)):
            if sorted_starts[k2] >= of_from:
                next_q_start = min(clause_end, sorted_starts[k2])
                break

    metric_weights: dict[str, float] = {}
    segment_weights: dict[str, float] = {}

    named = lay.lexicon.named

    def take(matches: list[ConceptMatch], level: float, after: bool) -> None:
        for m in matches:
            if after:
                weight = level * AFTER_NUMBER * _decay(m.start - end)
                if _OF_METRIC.fullmatch(text, end, m.start) or (
                    of_from > end and _OF_METRIC.fullmatch(text, of_from, m.start)
                ):
                    weight = level  # "$1.85 billion in gross debt", "10% increase in revenue"
            else:
                weight = level * _decay(start - m.end)
                if m.end <= prev_q_end or (
                    prev_q_end >= 0 and _OF_METRIC.fullmatch(text, prev_q_end, m.start)
                ):
                    weight *= BEHIND_OTHER_NUMBER  # "$1.61 billion in cash and $1.85 billion"
            if m.start < end and m.end > start:  # the unit word of the number itself
                weight = level
            for concept, metric, segment in named(m.concept):
                ctx.add(concept, weight)
                if metric:
                    metric_weights[concept] = max(metric_weights.get(concept, 0.0), weight)
                elif segment:
                    segment_weights[concept] = max(segment_weights.get(concept, 0.0), weight)

    take(lay.matches_in(clause_start, start), SAME_CLAUSE, after=False)
    take(lay.matches_in(start, next_q_start), SAME_CLAUSE, after=True)
    take(lay.matches_in(sent_start, clause_start), EARLIER_CLAUSE, after=False)
    if not metric_weights and prev_start < sent_start:
        take(lay.matches_in(prev_start, sent_start), PREVIOUS_SENTENCE, after=False)
    if not metric_weights:
        # "约30.3亿港币，回购股份约6071万股": the subject may only come later in the sentence
        take(lay.matches_in(next_q_start, sent_end), EARLIER_CLAUSE, after=True)

    _surface(ctx, text, q, clause_start, next_q_start, lay.lexicon.stopwords)
    # neighbouring numbers in the clause (a date, a window length "20日") as language-free keys
    for j in range(bisect_left(sorted_starts, clause_start), len(sorted_q)):
        other = sorted_q[j]
        if other.span[0] >= clause_end:
            break
        if other is q or other.span == q.span:
            continue
        ctx.add(quantity_key(other), SAME_CLAUSE * 0.8)
    _finish(ctx, lay.lexicon, metric_weights, segment_weights)
    return ctx


def _describe_cell(
    lay: TextLayout,
    q: Quantity,
    header: tuple[int, int],
    sorted_q: list[Quantity],
    sorted_starts: list[int],
) -> Context:
    """A cell of a table the extractor cut out of glued text ("2025.05.145.062.12468.47"
    under "日期 当日涨跌幅(%) 换手率(%) 主力资金净流入(万元)"): its words are its column's name,
    at full weight however far the header is, and it is stated for its row's date (the
    nearest date before it in the table), whatever the distance."""
    ctx = Context()
    metric_weights: dict[str, float] = {}
    segment_weights: dict[str, float] = {}
    h_start, h_end = header
    for m in lay.matches_in(h_start, h_end):
        weight = SAME_CLAUSE * _decay(h_end - m.end)
        for concept, metric, segment in lay.lexicon.named(m.concept):
            ctx.add(concept, weight)
            if metric:
                metric_weights[concept] = max(metric_weights.get(concept, 0.0), weight)
            elif segment:
                segment_weights[concept] = max(segment_weights.get(concept, 0.0), weight)
    name = lay.text[h_start:h_end]
    for run in _CJK.finditer(name):
        word = run.group()
        for i in range(len(word) - 1):
            ctx.add("~" + word[i : i + 2], _decay(len(name) - run.start() - i - 2))
    for rank, word in enumerate(reversed(_WORD.findall(name))):
        low = word.lower()
        if low not in lay.lexicon.stopwords and len(low) > 2:
            ctx.add("~" + _stem(low), 1.0 / (1.0 + rank / 4))
    j = bisect_left(sorted_starts, q.span[0]) - 1
    while j >= 0 and q.span[0] - sorted_q[j].span[1] <= MAX_BACK:
        row = sorted_q[j]
        if row.kind is Kind.DATE and row.date is not None:
            ctx.anchor = row.date
            ctx.add(quantity_key(row), SAME_CLAUSE * 0.8)
            break
        j -= 1
    _finish(ctx, lay.lexicon, metric_weights, segment_weights)
    return ctx


def _surface(
    ctx: Context,
    text: str,
    q: Quantity,
    clause_start: int,
    clause_end: int,
    stopwords: frozenset[str],
) -> None:
    """Chinese bigrams and English words near the number, weighted by distance."""
    start, end = q.span
    back = text[max(clause_start, start - SURFACE_BACK * 4) : start]
    ahead = text[end : min(clause_end, end + SURFACE_AHEAD * 4)]
    # Chinese: character bigrams of the CJK runs, nearest SURFACE_BACK characters before and
    # SURFACE_AHEAD after (only bigrams within the limit are visited). The loop runs ~500
    # times per source, so `Context.add` is written out and the weight, `_decay` of a distance
    # that is never negative here, is read from a table (describe: ~0.1 ms less on the sample).
    features = ctx.features
    get = features.get
    # before the number: a bigram at ``pos`` is len(back) - pos - 2 characters away
    for m in _CJK.finditer(back, max(len(back) - 2 - SURFACE_BACK, 0)):
        run = m.group()
        top = len(back) - m.start() - 2  # the distance of the run's first bigram
        for i in range(len(run) - 1):
            key = "~" + run[i : i + 2]
            weight = _BIGRAM_BEFORE[top - i]
            if weight > get(key, 0.0):
                features[key] = weight
    # after it: ``pos`` characters away, the nearest SURFACE_AHEAD + 1 positions
    for m in _CJK.finditer(ahead, 0, SURFACE_AHEAD + 2):
        run = m.group()
        base = m.start()
        for i in range(min(len(run) - 1, SURFACE_AHEAD - base + 1)):
            key = "~" + run[i : i + 2]
            weight = _BIGRAM_AFTER[base + i]
            if weight > get(key, 0.0):
                features[key] = weight
    # English: content words, nearest first
    words_back = [w.lower() for w in _WORD.findall(back)][-WORDS_BACK:]
    for rank, word in enumerate(reversed(words_back)):
        if word not in stopwords and len(word) > 2:
            ctx.add("~" + _stem(word), 1.0 / (1.0 + rank / 4))
    for rank, word in enumerate([w.lower() for w in _WORD.findall(ahead)][:WORDS_AHEAD]):
        if word not in stopwords and len(word) > 2:
            ctx.add("~" + _stem(word), AFTER_NUMBER / (1.0 + rank / 4))


# `_surface`'s bigram weights by distance, worked out once with `_decay`'s arithmetic (the same
# floats): the bigram loop runs ~500 times per source.
_BIGRAM_BEFORE = [1.0 / (1.0 + d / DECAY_CHARS) * 1.0 for d in range(SURFACE_BACK + 1)]
_BIGRAM_AFTER = [1.0 / (1.0 + d / DECAY_CHARS) * AFTER_NUMBER for d in range(SURFACE_AHEAD + 1)]


def _stem(word: str) -> str:
    for suffix in ("ies", "es", "s"):
        if word.endswith(suffix) and len(word) > len(suffix) + 2:
            return word[: -len(suffix)] + ("y" if suffix == "ies" else "")
    return word


def _strongest(weights: dict[str, float]) -> frozenset[str]:
    if not weights:
        return frozenset()
    top = max(weights.values())
    return frozenset(c for c, w in weights.items() if w >= METRIC_KEEP * top)


def _finish(
    ctx: Context,
    lexicon: Lexicon,
    metric_weights: dict[str, float],
    segment_weights: dict[str, float],
) -> None:
    """Add broader concepts at half weight and pick the strongest metrics and segments."""
    concepts = [key for key in ctx.features if not key.startswith(("~", "#"))]
    for cid in concepts:
        for parent in lexicon.ancestors(cid):
            ctx.add(parent, ctx.features[cid] * 0.5)
    ctx.concepts = frozenset(concepts)
    ctx.metrics = _strongest(metric_weights)
    ctx.segments = _strongest(segment_weights)


def _align_respectively(
    lay: TextLayout, quantities: Sequence[Quantity], members: list[int], contexts: list[Context]
) -> None:
    """商家数商品数分别增长19%和38%: give the i-th number only the i-th metric named before the
    list (when the sentence names at least as many metrics as the list has numbers)."""
    members = sorted(members, key=lambda i: quantities[i].span[0])
    n = len(members)
    if n < 2:
        return
    for attribute in ("basis", "period"):
        values = [getattr(quantities[i], attribute) for i in members]
        if None not in values and len(set(values)) == n:
            return  # 同环比分别+46.5%/+56.1%, 2024-26年分别…: it pairs bases or years, not metrics
    first_start = quantities[members[0]].span[0]
    _, sent_start, _, _, _ = lay.bounds(first_start, quantities[members[0]].span[1])
    ordered: list[str] = []
    for m in lay.matches_in(sent_start, first_start):
        if lay.lexicon.is_metric(m.concept) and (not ordered or ordered[-1] != m.concept):
            ordered.append(m.concept)
    kind = quantities[members[0]].group
    if len(ordered) < n or (kind is not None and kind.kind == "list" and len(ordered) != n):
        return
    aligned = ordered[-n:]
    if len(set(aligned)) < n:
        return  # "实物商品网上零售额中，吃类、穿类、用类商品分别…": the list names what the lexicon
        # does not know; 商品 twice is not two metrics to pair with
    for rank, index in enumerate(members):
        ctx = contexts[index]
        own = aligned[rank]
        for other in aligned:
            if other != own:
                ctx.features.pop(other, None)
                for parent in lay.lexicon.ancestors(other):
                    if parent not in lay.lexicon.ancestors(own) and parent != own:
                        ctx.features.pop(parent, None)
        ctx.features[own] = max(ctx.features.get(own, 0.0), SAME_CLAUSE)
        ctx.metrics = frozenset({own})
        ctx.concepts = frozenset(c for c in ctx.concepts if c == own or c not in aligned)
