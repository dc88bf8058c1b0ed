"""The Markdown report of a summarization eval: the metrics table with the lead-N baseline, one
row per document, then per document every item with its verdict mark and the reasons."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from toolkit.evaluate.report_html import SUMMARY_ROWS, fmt

if TYPE_CHECKING:
    from toolkit.evaluate.summarize import DocView, SummarizeMetrics

_MARK = {"supported": "✓", "no_numbers": "·", "flagged": "✗"}


def _text(text: str) -> str:
    """Document text for Markdown: ``<`` escaped so no renderer takes it for HTML."""
    return text.replace("<", "\\<")


def _cell(text: str) -> str:
    return _text(text).replace("|", "\\|").replace("\n", " ")


def render_summarize_md(metrics: SummarizeMetrics, views: Sequence[DocView]) -> str:
    """Markdown for people and diffs; numbers as in ``metrics.json``."""
    ours, lead = metrics.overall["summarizer"], metrics.overall["lead_n"]
    lines = [
        f"# Summarization eval: {_text(metrics.dataset)}",
        "",
        f"{metrics.docs} documents ({metrics.failed} failed), model {metrics.model or 'n/a'}, "
        f"prompts {', '.join(metrics.prompts) or 'n/a'}; {metrics.totals['tokens']:,.0f} tokens, "
        f"${metrics.totals['cost_usd']:.4f}, {metrics.totals['seconds']:.1f} s.",
        "",
        "| metric (macro average) | summarizer | lead-N baseline |",
        "|---|---:|---:|",
    ]
    for label, key in SUMMARY_ROWS:
        lines.append(f"| {label} | {fmt(getattr(ours, key))} | {fmt(getattr(lead, key))} |")
    lines += [
        "",
        "## Per document",
        "",
        "| document | precision | verbatim | support | dropped | bilingual | recall | ROUGE-L "
        "| lead-N ROUGE-L |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for r in metrics.per_doc:
        s = r.summarizer
        if s is None:
            lines.append(f"| {_cell(r.id)} | failed: {_cell(r.error or '')} |||||||| ")
            continue
        lines.append(
            f"| {_cell(r.id)} | {fmt(s.numeric_precision)} | {fmt(s.verbatim_precision)} "
            f"| {fmt(s.claim_support_rate)} | {fmt(s.dropped_rate)} "
            f"| {fmt(s.bilingual_consistency)} | {fmt(s.numeric_recall)} | {fmt(s.rouge_l)} "
            f"| {fmt(r.lead.rouge_l)} |"
        )
    for view in views:
        lines += ["", f"## {_text(view.doc.id)}", ""]
        if view.result.error:
            lines += [f"Summary failed: {_text(view.result.error)}", ""]
        report = view.report
        if report is not None:
            kept = [(i, False) for i in report.items]
            dropped = [(d.item, True) for d in report.dropped]
            for item, was_dropped in kept + dropped:
                mark = _MARK.get(item.status.value, "?")
                tail = " (dropped)" if was_dropped else ""
                lines.append(f"- {mark} **{item.id}**{tail}: {_text(item.zh)} / {_text(item.en)}")
                for problem in item.problems:
                    lines.append(f"  - {_text(problem)}")
        if view.doc.reference:
            lines += ["", "Reference:", ""] + [f"- {_text(b)}" for b in view.doc.reference]
    if metrics.problems:
        lines += ["", "## Problems", ""] + [f"- {_text(p)}" for p in metrics.problems]
    return "\n".join(lines) + "\n"
