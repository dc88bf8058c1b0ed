"""Self-contained HTML reports for evals: one file, inline CSS and SVG, nothing fetched.

`render_summarize_html` shows the metrics table (summarizer next to the baselines), charts
(verdict distribution, per-document precision) and, per document, the bilingual summary with
every item marked by verdict next to the source, whose evidence spans are highlighted; each
number of an item links to the span it was checked against (click it: the source pane scrolls
there and the span blinks). `render_verifier_html` does the same for a verifier eval: metrics
against the naive baseline, the confusion matrix, verdict and reason charts and the misses with
their evidence.

Document text is always escaped (Jinja2 autoescape, `markupsafe.escape` for the fragments
built here), so a transcript containing ``<script>`` shows as text.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cache
from itertools import pairwise
from typing import TYPE_CHECKING, Any

from jinja2 import Environment, PackageLoader, select_autoescape
from markupsafe import Markup, escape

from toolkit.evaluate.charts import bar_chart, confusion_matrix, grouped_bars
from toolkit.summary import ClaimItem, Item, ItemStatus
from toolkit.verdict import Verdict, Verification

if TYPE_CHECKING:
    from toolkit.evaluate.summarize import DocView, SummarizeMetrics
    from toolkit.evaluate.verifier import (
        Prediction,
        VerifierDataset,
        VerifierMetrics,
    )

MAX_MISSES = 300
_MARK = {"supported": "✓", "contradicted": "✗", "unverifiable": "?", "no_numbers": "·"}

# (label, key, higher is better?) — the rows of the summarization metrics table.
SUMMARY_ROWS: tuple[tuple[str, str], ...] = (
    ("numeric precision (verifier)", "numeric_precision"),
    ("numeric precision, verbatim (naive)", "verbatim_precision"),
    ("draft precision (before repair)", "draft_precision"),
    ("claim support rate (verifier)", "claim_support_rate"),
    ("claim support rate (naive verifier)", "naive_support_rate"),
    ("contradicted rate", "contradicted_rate"),
    ("dropped by repair", "dropped_rate"),
    ("bilingual consistency", "bilingual_consistency"),
    ("numeric recall vs reference", "numeric_recall"),
    ("ROUGE-L (summary-level) F1 vs reference", "rouge_l"),
    ("quantities checked", "quantities"),
    ("tokens / doc", "tokens"),
    ("cost USD / doc", "cost_usd"),
    ("seconds / doc", "seconds"),
)


@cache
def _env() -> Environment:
    return Environment(
        loader=PackageLoader("toolkit.evaluate", "templates"),
        autoescape=select_autoescape(["html", "j2"], default=True),
        trim_blocks=True,
        lstrip_blocks=True,
    )


def fmt(value: Any) -> str:
    """A metric for a table cell: rates to 3 decimals, counts with separators, None as n/a."""
    if value is None:
        return "n/a"
    if isinstance(value, bool):
        return str(value)
    if isinstance(value, int):
        return f"{value:,}"
    if isinstance(value, float):
        return f"{value:.3f}" if abs(value) < 10 else f"{value:,.1f}"
    return str(value)


# --- the highlighted source ---------------------------------------------------------------------


@dataclass
class Span:
    """A stretch of the source to highlight: ``css`` class, the verdicts pointing at it."""

    start: int
    end: int
    css: str
    title: str

    @property
    def anchor(self) -> str:
        return f"{self.start}-{self.end}"


@dataclass
class SourceMarks:
    """Spans of one document, keyed by (start, end) so every link to a span shares its id."""

    prefix: str
    spans: dict[tuple[int, int], Span] = field(default_factory=dict)

    def add(self, start: int, end: int, css: str, title: str) -> str:
        """Register a span and return its element id for links (``d0-18-24``)."""
        key = (start, end)
        if key in self.spans:
            known = self.spans[key]
            if title not in known.title:
                known.title += "\n" + title
            # a contradicted verdict on a span outweighs a supported one
            if _severity(css) > _severity(known.css):
                known.css = css
        else:
            self.spans[key] = Span(start, end, css, title)
        return self.element_id(start, end)

    def element_id(self, start: int, end: int) -> str:
        return f"{self.prefix}-{start}-{end}"


def _severity(css: str) -> int:
    return {"ev": 0, "v-supported": 1, "v-unverifiable": 2, "v-contradicted": 3}.get(css, 0)


def highlight(text: str, marks: SourceMarks) -> Markup:
    """``text`` escaped, with every span of ``marks`` wrapped in ``<span>``; overlapping spans
    are cut at every boundary, each piece carrying the classes and ids of all spans covering it
    (an evidence sentence around a checked number, two checks on one number)."""
    spans = list(marks.spans.values())
    bounds = sorted({0, len(text), *(s.start for s in spans), *(s.end for s in spans)})
    starts: dict[int, list[Span]] = {}
    for span in spans:
        starts.setdefault(span.start, []).append(span)
    out: list[str] = []
    for left, right in pairwise(bounds):
        for span in starts.get(left, []):
            out.append(
                f'<a class="anchor" id="{escape(marks.element_id(span.start, span.end))}"></a>'
            )
        piece = escape(text[left:right])
        covering = [s for s in spans if s.start <= left and s.end >= right]
        if not covering:
            out.append(str(piece))
            continue
        classes = " ".join(sorted({s.css for s in covering}, key=_severity))
        ids = " ".join(marks.element_id(s.start, s.end) for s in covering)
        titles = "\n".join(s.title for s in covering)
        out.append(
            f'<span class="hl {escape(classes)}" data-s="{escape(ids)}" '
            f'title="{escape(titles)}">{piece}</span>'
        )
    return Markup("".join(out))


# --- summarization eval -------------------------------------------------------------------------


@dataclass
class CheckView:
    text: str
    verdict: str
    message: str
    href: str | None


@dataclass
class SideView:
    lang: str
    text: str
    verdict: str
    checks: list[CheckView]


@dataclass
class ItemView:
    id: str
    status: str
    mark: str
    sides: list[SideView]
    consistent: bool
    consistency: str
    evidence_href: str | None
    evidence_quote: str | None
    evidence_method: str | None
    dropped: bool
    problems: list[str]


def _side(lang: str, verification: Verification, marks: SourceMarks) -> SideView:
    checks: list[CheckView] = []
    for check in verification.checks:
        href = None
        if check.source is not None:
            start, end = check.source.span
            href = marks.add(start, end, f"v-{check.verdict.value}", check.message)
        checks.append(CheckView(check.claim.text, check.verdict.value, check.message, href))
    verdict = verification.verdict.value if verification.checks else "no_numbers"
    return SideView(lang, verification.claim, verdict, checks)


def _item(item: Item, marks: SourceMarks, *, dropped: bool) -> ItemView:
    zh = _side("zh", item.verification.zh, marks)
    en = _side("en", item.verification.en, marks)
    evidence_href = quote = method = None
    if isinstance(item, ClaimItem):
        quote = item.evidence.quote
        method = item.evidence.method.value
        if item.evidence.span is not None:
            start, end = item.evidence.span
            evidence_href = marks.add(start, end, "ev", f"evidence of {item.id}")
    status = item.status.value
    if item.status is ItemStatus.FLAGGED:
        worst = {zh.verdict, en.verdict}
        status = "contradicted" if "contradicted" in worst else "unverifiable"
    return ItemView(
        id=item.id,
        status=status,
        mark=_MARK.get(status, "?"),
        sides=[zh, en],
        consistent=item.consistency.consistent,
        consistency=item.consistency.message,
        evidence_href=evidence_href,
        evidence_quote=quote,
        evidence_method=method,
        dropped=dropped,
        problems=list(item.problems),
    )


def _lead_item(number: int, verification: Verification, marks: SourceMarks) -> ItemView:
    side = _side("", verification, marks)
    return ItemView(
        id=f"lead{number}",
        status=side.verdict,
        mark=_MARK.get(side.verdict, "?"),
        sides=[side],
        consistent=True,
        consistency="",
        evidence_href=None,
        evidence_quote=None,
        evidence_method=None,
        dropped=False,
        problems=[],
    )


def _verdict_counts(views: Sequence[DocView]) -> Counter[str]:
    counts: Counter[str] = Counter()
    for view in views:
        if view.report is None:
            continue
        for item in view.report.items:
            for side in (item.verification.zh, item.verification.en):
                for check in side.checks:
                    counts[check.verdict.value] += 1
    return counts


def render_summarize_html(metrics: SummarizeMetrics, views: Sequence[DocView]) -> str:
    """The summarization eval as one HTML page (see the module docstring)."""
    docs = []
    for index, view in enumerate(views):
        marks = SourceMarks(prefix=f"d{index}")
        items: list[ItemView] = []
        if view.report is not None:
            items = [_item(i, marks, dropped=False) for i in view.report.items]
            items += [_item(d.item, marks, dropped=True) for d in view.report.dropped]
        lead = [_lead_item(k, v, SourceMarks(prefix=f"l{index}")) for k, v in enumerate(view.lead)]
        docs.append(
            {
                "anchor": f"doc{index}",
                "view": view,
                "entries": items,
                "lead": lead,
                "source": highlight(view.doc.text, marks),
                "result": view.result,
            }
        )
    counts = _verdict_counts(views)
    verdict_chart = bar_chart(
        [(v.value, float(counts.get(v.value, 0)), f"v-{v.value}") for v in Verdict]
    )
    precision_chart = grouped_bars(
        [
            (
                r.id,
                [
                    (
                        "summarizer",
                        r.summarizer.numeric_precision if r.summarizer else None,
                        "s-ours",
                    ),
                    (
                        "verbatim",
                        r.summarizer.verbatim_precision if r.summarizer else None,
                        "s-naive",
                    ),
                    ("lead-N", r.lead.numeric_precision, "s-lead"),
                ],
            )
            for r in metrics.per_doc
        ]
    )
    rows = [
        (
            label,
            fmt(getattr(metrics.overall["summarizer"], key)),
            fmt(getattr(metrics.overall["lead_n"], key)),
        )
        for label, key in SUMMARY_ROWS
    ]
    return (
        _env()
        .get_template("summarize.html.j2")
        .render(
            m=metrics,
            rows=rows,
            docs=docs,
            verdict_chart=verdict_chart,
            precision_chart=precision_chart,
            fmt=fmt,
            marks=_MARK,
        )
    )


# --- verifier eval ------------------------------------------------------------------------------


def _snippet(text: str, span: tuple[int, int], radius: int = 60) -> Markup:
    start, end = span
    left = max(0, start - radius)
    right = min(len(text), end + radius)
    return Markup(
        f"{'…' if left else ''}{escape(text[left:start])}<mark>{escape(text[start:end])}</mark>"
        f"{escape(text[end:right])}{'…' if right < len(text) else ''}"
    )


def render_verifier_html(
    dataset: VerifierDataset,
    predictions: Sequence[Prediction],
    verifications: dict[str, Verification],
    metrics: VerifierMetrics,
) -> str:
    """The verifier eval as one HTML page: metrics vs the naive baseline, confusion matrix,
    verdict and reason charts, and the first `MAX_MISSES` misses with evidence snippets."""
    cases = {c.id: c for c in dataset.cases}
    misses = []
    for p in predictions:
        wrong = (
            p.label != p.verdict.value
            if p.label != "not_supported"
            else p.verdict.value == "supported"
        )
        if not wrong:
            continue
        case = cases[p.id]
        v = verifications[p.id]
        text = dataset.docs[case.doc_id].text
        misses.append(
            {
                "id": p.id,
                "doc_id": case.doc_id,
                "label": p.label,
                "verdict": p.verdict.value,
                "reason": v.reason.value,
                "claim": case.claim,
                "baseline": p.baseline,
                "checks": [
                    {
                        "text": c.claim.text,
                        "verdict": c.verdict.value,
                        "reason": c.reason.value,
                        "message": c.message,
                        "snippet": _snippet(text, c.source.span) if c.source else None,
                    }
                    for c in v.checks
                ],
            }
        )
    labels = list(metrics.confusion)
    order = [
        x for x in ("supported", "contradicted", "unverifiable", "not_supported") if x in labels
    ]
    columns = [v.value for v in Verdict]
    predicted = Counter(p.verdict.value for p in predictions)
    verdict_chart = bar_chart([(v, float(predicted.get(v, 0)), f"v-{v}") for v in columns])
    label_chart = bar_chart(
        [(label, float(metrics.labels.get(label, 0)), f"v-{label}") for label in order]
    )
    reason_chart = bar_chart(
        [(r, float(n), "s-ours") for r, n in list(metrics.reasons.items())[:15]]
    )
    rows = [
        ("binary accuracy", metrics.binary_accuracy, metrics.baseline.binary_accuracy),
        (
            f"3-way accuracy ({metrics.accuracy_cases} cases)",
            metrics.accuracy,
            metrics.baseline.accuracy,
        ),
    ]
    for cls, scores in metrics.binary_per_class.items():
        base = metrics.baseline.binary_per_class[cls]
        rows.append((f"{cls}: precision", scores.precision, base.precision))
        rows.append((f"{cls}: recall", scores.recall, base.recall))
        rows.append((f"{cls}: F1", scores.f1, base.f1))
    for cls, scores in metrics.per_class.items():
        base = metrics.baseline.per_class[cls]
        rows.append((f"3-way {cls}: F1", scores.f1, base.f1))
    return (
        _env()
        .get_template("verifier.html.j2")
        .render(
            m=metrics,
            rows=[(label, fmt(a), fmt(b)) for label, a, b in rows],
            confusion=confusion_matrix(metrics.confusion, order, columns),
            verdict_chart=verdict_chart,
            label_chart=label_chart,
            reason_chart=reason_chart,
            misses=misses[:MAX_MISSES],
            total_misses=len(misses),
            max_misses=MAX_MISSES,
            marks=_MARK,
        )
    )
