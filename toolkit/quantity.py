"""The `Quantity` contract: what the extractor hands to the verifier, the summarizer and reports.

Every number is a `Decimal` in base units, so "166.5亿" and "RMB16.65 billion" compare equal
without floating-point drift (``round(16.65, 1)`` is 16.6 in float; we need 16.7).
Every span is ``(start, end)`` into the *original* text, even when OCR repair changed it.
"""

from __future__ import annotations

from decimal import Decimal
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Kind(StrEnum):
    """What sort of mention this is; dates are not amounts and never compare with them."""

    NUMBER = "number"
    DATE = "date"


class Qualifier(StrEnum):
    """How the text bounds the value: 超过X is a lower bound, 不超过X an upper one."""

    EXACT = "exact"
    ABOUT = "about"
    AT_LEAST = "at_least"
    AT_MOST = "at_most"
    NEARLY = "nearly"
    RANGE = "range"


class Role(StrEnum):
    """What the number measures, where the text says: a level, a change, or a share of a whole."""

    LEVEL = "level"
    GROWTH = "growth"
    DECLINE = "decline"
    SHARE = "share"


class Basis(StrEnum):
    """What a change is measured against: 同比 (year on year) or 环比 (quarter on quarter)."""

    YOY = "yoy"
    QOQ = "qoq"


class Period(BaseModel):
    """A reporting period a quantity is anchored to: 2024年第一季度 → year=2024, part="Q1".

    ``relative_year`` keeps 去年/last year (-1), 今年/this year (0), 明年/next year (+1) when no
    document date was given to resolve it into ``year``.
    """

    model_config = ConfigDict(frozen=True)

    year: int | None = None
    part: str | None = Field(
        default=None, description='"Q1".."Q4", "H1", "H2", "9M" or "FY" (full year)'
    )
    relative_year: int | None = None


class DateValue(BaseModel):
    """A calendar date as far as the text gives it: 12月18日 → month=12, day=18, year unknown."""

    model_config = ConfigDict(frozen=True)

    year: int | None = None
    month: int | None = None
    day: int | None = None
    relative_year: int | None = None


class Group(BaseModel):
    """Membership of a list or range: 分别增长19%和38% puts 19% at index 0 and 38% at index 1.

    ``kind`` is "respectively" when the text pairs the list with a list of metrics in order
    (分别 / respectively), "list" for a plain enumeration, "range" for "a to b", "table" for a
    cell of a table row: ``index`` is its column, ``size`` the number of columns, and ``header``
    the span of the column's name ("换手率" of a header "日期 当日涨跌幅(%) 换手率(%)").
    """

    model_config = ConfigDict(frozen=True)

    id: int
    kind: str
    index: int
    size: int
    header: tuple[int, int] | None = Field(
        default=None, description="Table cells: (start, end) of the column name in the text"
    )


class Quantity(BaseModel):
    """One number mentioned in a text.

    Example: "第--季度线上营销服务收入达到了166.5亿" yields value=16650000000, precision=10000000,
    unit=None (a bare amount; the verifier applies the document currency), qualifier=exact,
    role=level, period=Period(part="Q1"), repaired=False for this mention (the period's "--" was
    repaired, not the number), span pointing at "166.5亿" in the original text.
    """

    model_config = ConfigDict(frozen=True)

    kind: Kind = Kind.NUMBER
    value: Decimal = Field(description="In base units: 166.5亿 → 16650000000; 27.4% → 27.4")
    value_high: Decimal | None = Field(
        default=None, description="Upper end when qualifier is range ($2.85 to $3.10)"
    )
    precision: Decimal = Field(
        description="Place of the last written digit times the scale: 166.5亿 → 1E+7, 27% → 1"
    )
    unit: str | None = Field(
        default=None,
        description='ISO currency ("CNY", "HKD", "USD"), "%", "pp", "x", a counted noun '
        '("shares", "users", "years"...) or None for a bare number',
    )
    per: str | None = Field(default=None, description='"share" in "$1.10 per share"')
    qualifier: Qualifier = Qualifier.EXACT
    role: Role | None = None
    basis: Basis | None = None
    period: Period | None = None
    date: DateValue | None = Field(default=None, description="Set when kind is date")
    group: Group | None = None
    lang: str = Field(description='"zh" or "en": the language of the mention itself')
    span: tuple[int, int] = Field(description="(start, end) into the original text")
    text: str = Field(description="original[start:end], as written (OCR noise included)")
    repaired: bool = Field(
        default=False, description="OCR repair changed characters of the mention"
    )
