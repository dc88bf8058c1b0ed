"""Show a `SummaryReport` to people: Markdown for files, a rich table for the terminal.

Every item carries a mark for how it verified, so a reader sees at a glance what to trust:
``✓`` every number on both sides supported by the source, ``·`` no numbers to check,
``✗`` not supported (kept only with ``--keep-unsupported``, or the headline).

Example::

    >>> print(to_markdown(report).splitlines()[0])
    # kuaishou-2024q1-call — bilingual summary
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from rich.console import Console
from rich.table import Table
from rich.text import Text

from toolkit.summary import ClaimItem, Item, ItemStatus, NumericStats, SummaryReport

MARKS = {ItemStatus.SUPPORTED: "✓", ItemStatus.NO_NUMBERS: "·", ItemStatus.FLAGGED: "✗"}
_STYLES = {ItemStatus.SUPPORTED: "green", ItemStatus.NO_NUMBERS: "dim", ItemStatus.FLAGGED: "red"}


def _precision(stats: NumericStats) -> str:
    value = stats.precision
    shown = "n/a" if value is None else f"{value:.2f}"
    return f"{shown} ({stats.supported}/{stats.quantities})"


def stats_line(report: SummaryReport) -> str:
    """One line: numeric precision before and after repair, what was kept and dropped."""
    return (
        f"numeric precision: draft {_precision(report.draft)}, after repair "
        f"{_precision(report.repaired)}, final {_precision(report.final)}; "
        f"{len(report.bullets)} bullets, {len(report.claims)} claims kept, "
        f"{len(report.dropped)} dropped; {len(report.repairs)} repair rounds"
    )


def cost_line(report: SummaryReport) -> str:
    """One line: model, numbers mode, tokens and seconds."""
    usage = report.usage
    # Said in full: "1 calls (1 cached)" read as one call that was cached, when it meant one
    # live call (the tokens) and one more answered from the cache (free).
    calls = f"{usage.calls} model call{'' if usage.calls == 1 else 's'}"
    if usage.cached_calls:
        calls += f" + {usage.cached_calls} answered from the cache"
    return (
        f"model {report.model}, numbers {report.numbers}, {calls}, "
        f"{usage.prompt_tokens} + {usage.completion_tokens} tokens (model calls only), "
        f"{report.timings.get('total', 0.0):.1f} s"
    )


def _evidence_note(item: ClaimItem) -> str:
    evidence = item.evidence
    if evidence.span is None:
        return f"evidence (not found in the source): “{evidence.quote}”"
    start, end = evidence.span
    how = evidence.method.value
    if evidence.method.value == "fuzzy":
        how = f"fuzzy {evidence.score:.2f}"
    note = f"evidence [{start}:{end}, {how}]: “{evidence.quote}”"
    if evidence.method.value == "numbers":
        note += f" (the sentence of its numbers; the model quoted “{evidence.as_quoted}”)"
    elif evidence.as_quoted is not None:
        note += f" (quoted inside “{evidence.as_quoted}”)"
    return note


def to_markdown(report: SummaryReport) -> str:
    """The report as a Markdown page: headline, bullets, claims, dropped, repairs, figures."""
    lines = [f"# {report.doc_id} — bilingual summary", ""]
    mark = MARKS[report.headline.status]
    lines += [f"**{mark} {report.headline.zh}**", "", f"**{report.headline.en}**", ""]
    lines += ["## 要点 / Key points", ""]
    for item in report.bullets:
        lines += _markdown_item(item)
    if report.claims:
        lines += ["", "## 可核查陈述 / Claims with evidence", ""]
        for claim in report.claims:
            lines += _markdown_item(claim)
            lines.append(f"  - {_evidence_note(claim)}")
    if report.dropped:
        lines += ["", "## Dropped after repair (numbers not supported)", ""]
        for dropped in report.dropped:
            lines.append(f"- ~~{dropped.item.en}~~ — {'; '.join(dropped.item.problems)}")
    if report.repairs:
        lines += ["", "## Repair rounds", ""]
        for repair in report.repairs:
            fixed = sum(entry.fixed for entry in repair.entries)
            status = f"error: {repair.error}" if repair.error else f"{fixed} fixed"
            lines.append(
                f"- round {repair.round} ({repair.prompt}): {len(repair.entries)} items, {status} "
                f"({repair.seconds:.1f} s)"
            )
    lines += [
        "",
        "## Figures",
        "",
        f"- {stats_line(report)}",
        f"- {cost_line(report)}",
        f"- prompts: {', '.join(report.prompts)}",
        f"- source sha256 {report.sha256}, {report.chars} characters, {report.chunks} chunk(s)",
        "",
        "✓ every number supported by the source · no numbers to check ✗ not supported",
    ]
    for warning in report.warnings:
        lines.append(f"- warning: {warning}")
    return "\n".join(lines) + "\n"


def _markdown_item(item: Item) -> list[str]:
    lines = [f"- {MARKS[item.status]} {item.zh}", f"  {item.en}"]
    if item.problems:
        lines.append(f"  - problems: {'; '.join(item.problems)}")
    return lines


def print_report(report: SummaryReport, console: Console) -> None:
    """The bilingual summary as a table with a verification mark per item."""
    console.print(Text(f"{MARKS[report.headline.status]} {report.headline.zh}", style="bold"))
    console.print(Text(f"  {report.headline.en}", style="bold"))
    table = Table(show_lines=True, expand=True)
    table.add_column("", width=1, no_wrap=True)
    table.add_column("id", no_wrap=True)
    table.add_column("中文")
    table.add_column("English")
    for item in [*report.bullets, *report.claims]:
        mark = Text(MARKS[item.status], style=_STYLES[item.status])
        english = Text(item.en)
        if isinstance(item, ClaimItem):
            english.append(f"\n{_evidence_note(item)}", style="dim")
        if item.problems:
            english.append(f"\n{'; '.join(item.problems)}", style="red")
        table.add_row(mark, Text(item.id), Text(item.zh), english)
    console.print(table)
    console.print(Text(stats_line(report)))
    console.print(Text(cost_line(report)))
    for warning in report.warnings:
        console.print(Text(f"warning: {warning}", style="yellow"))


def write_outputs(report: SummaryReport, out_dir: Path, name: str) -> tuple[Path, Path]:
    """Write ``<name>.json`` (the report) and ``<name>.md`` atomically (temp file + rename)."""
    out_dir.mkdir(parents=True, exist_ok=True)
    json_path, md_path = out_dir / f"{name}.json", out_dir / f"{name}.md"
    _atomic_write(json_path, report.model_dump_json(indent=2) + "\n")
    _atomic_write(md_path, to_markdown(report))
    return json_path, md_path


def _atomic_write(path: Path, text: str) -> None:
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
