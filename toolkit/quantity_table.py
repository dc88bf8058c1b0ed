"""A readable table of extracted quantities for the terminal (``verisum quantities FILE``).

Kept out of cli.py so the command stays a thin wrapper and the layout can be reused by reports.

>>> from toolkit.numbers import extract_quantities
>>> quantity_table(extract_quantities("回购不超过160亿港币"), width=100)  # doctest: +SKIP
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal

from rich.console import Console
from rich.table import Table

from toolkit.quantity import Kind, Period, Quantity


def _number(value: Decimal) -> str:
    """16650000000 → "16,650,000,000"; 27.4 → "27.4"; keeps every written digit."""
    if value == value.to_integral_value() and abs(value) < Decimal(10) ** 30:
        return f"{int(value):,}"
    return f"{value:,f}"


def _period(period: Period | None) -> str:
    if period is None:
        return ""
    year = str(period.year) if period.year is not None else ""
    if not year and period.relative_year is not None:
        year = f"year{period.relative_year:+d}"
    return " ".join(p for p in (year, period.part or "") if p)


def _value_cell(q: Quantity) -> str:
    if q.kind is Kind.DATE and q.date is not None:
        d = q.date
        year = str(d.year) if d.year else (f"year{d.relative_year:+d}" if d.relative_year else "?")
        parts = [year] + [f"{p:02d}" for p in (d.month, d.day) if p is not None]
        return "-".join(parts)
    text = _number(q.value)
    if q.value_high is not None:
        text += f" – {_number(q.value_high)}"
    return text


def quantity_table(
    quantities: Sequence[Quantity], *, title: str = "", width: int | None = None
) -> None:
    """Print one row per quantity: where, as written, value, unit, and how the text frames it."""
    table = Table(title=title or None, show_lines=False, header_style="bold")
    for name, justify in (
        ("span", "right"),
        ("text", "left"),
        ("value", "right"),
        ("precision", "right"),
        ("unit", "left"),
        ("qualifier", "left"),
        ("role", "left"),
        ("basis", "left"),
        ("period", "left"),
        ("group", "left"),
        ("notes", "left"),
    ):
        table.add_column(name, justify=justify)  # type: ignore[arg-type]
    for q in quantities:
        unit = q.unit or ""
        if q.per:
            unit = f"{unit}/{q.per}" if unit else f"per {q.per}"
        group = (
            f"{q.group.kind} #{q.group.id} {q.group.index + 1}/{q.group.size}" if q.group else ""
        )
        notes = [q.lang]
        if q.kind is Kind.DATE:
            notes.append("date")
        if q.repaired:
            notes.append("OCR-repaired")
        table.add_row(
            f"{q.span[0]}-{q.span[1]}",
            q.text.replace("\n", " "),
            _value_cell(q),
            "" if q.kind is Kind.DATE else str(q.precision),
            unit,
            "" if q.qualifier.value == "exact" else q.qualifier.value,
            q.role.value if q.role else "",
            q.basis.value if q.basis else "",
            _period(q.period),
            group,
            ", ".join(notes),
        )
    console = Console(width=width) if width else Console()
    if width is None and not console.is_terminal:
        console = Console(width=160)
    console.print(table)
