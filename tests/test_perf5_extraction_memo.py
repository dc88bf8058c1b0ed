"""A summary sentence's quantities are extracted once, however often they are asked for.

Checking one bullet extracts its text twice, the same way (`toolkit.verify.extract_claim`, then
`toolkit.bilingual.compare_sides`); `extract_quantities` remembers short texts' results.
"""

from __future__ import annotations

from datetime import date

from toolkit import numbers
from toolkit.bilingual import compare_sides
from toolkit.numbers import extract_quantities
from toolkit.verify import prepare_source

_ZH = "一季度营收294亿元，同比增长16.6%；去年同期为252亿元。"
_EN = "Q1 revenue was RMB29.4 billion, up 16.6% year over year, from RMB25.2 billion last year."


def test_a_remembered_extraction_equals_a_fresh_one_and_is_a_list_of_its_own() -> None:
    fresh = numbers._extract_text(_ZH, None, None)
    first = extract_quantities(_ZH)
    second = extract_quantities(_ZH)
    assert first == second == fresh
    assert len(first) >= 3
    assert first is not second  # each caller may change its own list
    first.clear()
    assert extract_quantities(_ZH) == fresh


def test_language_and_document_date_are_part_of_what_is_remembered() -> None:
    undated = extract_quantities(_ZH)
    dated = extract_quantities(_ZH, doc_date=date(2024, 5, 27))
    assert dated == numbers._extract_text(_ZH, None, date(2024, 5, 27))
    assert dated != undated  # 去年 resolves to 2023 only with a document date
    as_english = extract_quantities("27%", lang="en")
    assert [q.lang for q in as_english] == ["en"]
    assert [q.lang for q in extract_quantities("27%", lang="zh")] == ["zh"]


def test_checking_a_bullet_extracts_each_side_once() -> None:
    numbers._extract_short.cache_clear()
    prepared = prepare_source("快手一季度营收294亿元，同比增长16.6%。" * 200)  # a long source
    assert numbers._extract_short.cache_info().currsize == 0  # a source is not kept
    prepared.verify(_ZH)
    prepared.verify(_EN)
    compare_sides(_ZH, _EN)
    info = numbers._extract_short.cache_info()
    assert (info.misses, info.hits) == (2, 2)
