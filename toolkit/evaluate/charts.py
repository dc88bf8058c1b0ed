"""Inline SVG charts for the HTML reports: no script, no fonts, no network.

Every label goes through `markupsafe.escape`, so a document id or a class name cannot inject
markup. Colours come from CSS classes the report's stylesheet defines (``.v-supported`` ...).

Example::

    >>> str(bar_chart([("supported", 12, "v-supported"), ("contradicted", 3, "v-contradicted")]))
    '<svg class="chart" ...'
"""

from __future__ import annotations

from collections.abc import Sequence

from markupsafe import Markup, escape

_ROW = 22
_LABEL = 170
_BAR = 300


def _fmt(value: float, counts: bool) -> str:
    return f"{value:,.0f}" if counts else f"{value:.3f}"


def bar_chart(
    rows: Sequence[tuple[str, float | None, str]],
    *,
    maximum: float | None = None,
    counts: bool = True,
) -> Markup:
    """Horizontal bars: (label, value, css class) per row; None values are drawn as "n/a".
    Values are written as whole numbers (``counts``) or as rates to 3 decimals."""
    top = maximum or max((v for _, v, _ in rows if v is not None), default=0) or 1
    height = _ROW * len(rows) + 6
    width = _LABEL + _BAR + 80
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, value, css) in enumerate(rows):
        y = index * _ROW + 4
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y + 14}" text-anchor="end">{escape(_clip(label))}</text>'
        )
        if value is None:
            parts.append(f'<text x="{_LABEL + 4}" y="{y + 14}" class="muted">n/a</text>')
            continue
        length = max(1.0, _BAR * value / top) if value > 0 else 0.0
        parts.append(
            f'<rect x="{_LABEL}" y="{y}" width="{length:.1f}" height="{_ROW - 6}" '
            f'class="{escape(css)}"><title>{escape(label)}: {_fmt(value, counts)}</title></rect>'
        )
        parts.append(
            f'<text x="{_LABEL + length + 4:.1f}" y="{y + 14}">{_fmt(value, counts)}</text>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def grouped_bars(
    groups: Sequence[tuple[str, Sequence[tuple[str, float | None, str]]]],
) -> Markup:
    """Per group (a document) one bar per series, values in [0, 1] (precision per document)."""
    series = len(groups[0][1]) if groups else 0
    bar = 12
    block = bar * series + 10
    height = block * len(groups) + 6
    width = _LABEL + _BAR + 80
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, (label, bars) in enumerate(groups):
        y0 = index * block + 4
        parts.append(
            f'<text x="{_LABEL - 6}" y="{y0 + bar * series / 2 + 4:.1f}" text-anchor="end">'
            f"{escape(_clip(label))}</text>"
        )
        for k, (name, value, css) in enumerate(bars):
            y = y0 + k * bar
            if value is None:
                parts.append(
                    f'<text x="{_LABEL + 4}" y="{y + 10}" class="muted small">'
                    f"{escape(name)}: n/a</text>"
                )
                continue
            length = max(1.0, _BAR * value) if value > 0 else 0.0
            parts.append(
                f'<rect x="{_LABEL}" y="{y}" width="{length:.1f}" height="{bar - 2}" '
                f'class="{escape(css)}"><title>{escape(label)} · {escape(name)}: '
                f"{value:.3f}</title></rect>"
                f'<text x="{_LABEL + length + 4:.1f}" y="{y + 10}" class="small">'
                f"{value:.2f}</text>"
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def confusion_matrix(
    matrix: dict[str, dict[str, int]], rows: Sequence[str], columns: Sequence[str]
) -> Markup:
    """A heat grid: gold label per row, predicted verdict per column, count in each cell;
    diagonal cells (label == verdict) are green, the rest red, darker for larger shares of
    the row."""
    cell, left, top = 92, 120, 44
    width = left + cell * len(columns) + 10
    height = top + 40 * len(rows) + 10
    parts = [
        f'<svg class="chart" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">',
        f'<text x="{left}" y="14" class="muted">predicted verdict →</text>',
    ]
    for j, column in enumerate(columns):
        parts.append(
            f'<text x="{left + j * cell + cell / 2}" y="{top - 8}" text-anchor="middle">'
            f"{escape(column)}</text>"
        )
    for i, row in enumerate(rows):
        counts = matrix.get(row, {})
        total = sum(counts.values()) or 1
        y = top + i * 40
        parts.append(f'<text x="{left - 6}" y="{y + 24}" text-anchor="end">{escape(row)}</text>')
        for j, column in enumerate(columns):
            count = counts.get(column, 0)
            good = row == column or (row == "not_supported" and column != "supported")
            opacity = 0.12 + 0.88 * count / total
            parts.append(
                f'<rect x="{left + j * cell}" y="{y}" width="{cell - 4}" height="36" '
                f'class="{"cm-good" if good else "cm-bad"}" fill-opacity="{opacity:.2f}">'
                f"<title>label {escape(row)}, verdict {escape(column)}: {count}</title></rect>"
                f'<text x="{left + j * cell + cell / 2 - 2}" y="{y + 23}" text-anchor="middle" '
                f'class="cm-count{" on-dark" if opacity > 0.55 else ""}">{count:,}</text>'
            )
    parts.append("</svg>")
    return Markup("".join(parts))


def _clip(label: str, size: int = 26) -> str:
    return label if len(label) <= size else label[: size - 1] + "…"
