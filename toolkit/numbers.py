"""Quantity extraction: every number in a Chinese or English text, with value, unit and span.

Pipeline: :func:`toolkit.normalize.normalize` repairs OCR noise and keeps an offset map; one
compiled regex (:data:`_MAIN`, named groups, built from ``units.toml``) walks the normalized
text once and yields number mentions, dates, period anchors and sentence ends in order; each
sentence is then finished in Python (ranges, lists, qualifier/role/basis from the clause,
period from the nearest anchor) and spans are mapped back onto the original text.

Why hand-written patterns: no library we tried reads "RMB16.65 billion", "超过150万" (a lower
bound) and "第--季度" correctly *with* spans. Every variable-length piece of the pattern is
possessive and anchored at the start of its run, so matching is linear in the input.

Example::

    >>> q = extract_quantities("第--季度线上营销服务收入达到了166.5亿。")[0]
    >>> q.value, q.precision, q.unit, q.period.part, q.text
    (Decimal('16650000000'), Decimal('1E+7'), None, 'Q1', '166.5亿')
"""

from __future__ import annotations

import gc
import itertools
import re
import tomllib
from bisect import bisect_left
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from functools import lru_cache
from importlib import resources
from operator import attrgetter
from typing import Any

from toolkit.normalize import Normalized, normalize
from toolkit.numerals import (
    EN_ONES_WORDS,
    EN_TENS_WORDS,
    read_arabic,
    read_chinese,
    read_english,
    shift,
)
from toolkit.quantity import (
    Basis,
    DateValue,
    Group,
    Kind,
    Period,
    Qualifier,
    Quantity,
    Role,
)

__all__ = ["extract", "extract_quantities"]


# --------------------------------------------------------------------------------------------
# Lexicon: units.toml, compiled once


def _load_lexicon() -> dict[str, Any]:
    raw = resources.files("toolkit").joinpath("units.toml").read_text(encoding="utf-8")
    return tomllib.loads(raw)


_LEX = _load_lexicon()
_ZH: dict[str, Any] = _LEX["zh"]
_EN: dict[str, Any] = _LEX["en"]


@lru_cache(maxsize=8192)
def _key(word: str) -> str:
    """Lookup key of a matched word: case and whitespace do not matter ("港 币" = "港币")."""
    return "".join(word.lower().split())


def _zh_pattern(word: str) -> str:
    # OCR line wrapping leaves single spaces inside words ("港 币"); tolerate one per gap.
    return " ?".join(re.escape(ch) for ch in word)


def _en_pattern(word: str) -> str:
    """A case-insensitive English word that starts with a plain character class.

    The regex engine skips an alternative at once when its first item is a literal or a
    class that does not match (a lookbehind or ``(?i:`` first defeats that), and unit
    alternations are tried after every number: so the first letter comes first as ``[Mm]``
    and the word-start check follows it.
    """
    first, rest = word[0], word[1:]
    head = f"[{first.upper()}{first.lower()}]" if first.isalpha() else re.escape(first)
    if first.isalpha():
        head += r"(?<![A-Za-z].)"
    body = r"\s+".join(re.escape(part) for part in rest.split(" "))
    if word[-1:].isalpha():
        body += r"(?![A-Za-z]|-[A-Za-z])"  # "year" is not the start of "year-over-year"
    return f"{head}(?i:{body})" if body else head


def _alternation(zh: Iterable[str] = (), en: Iterable[str] = ()) -> str:
    """One alternation, longest words first so "不超过" wins over "超过"; English ignores case."""
    items = [(w, _zh_pattern(w)) for w in zh] + [(w, _en_pattern(w)) for w in en]
    items.sort(key=lambda item: len(item[0]), reverse=True)
    seen: set[str] = set()
    out = []
    for _, pattern in items:
        if pattern not in seen:
            seen.add(pattern)
            out.append(pattern)
    return "|".join(out)


def _lookup(*tables: tuple[dict[str, Any], str]) -> dict[str, tuple[str, Any]]:
    out: dict[str, tuple[str, Any]] = {}
    for table, category in tables:
        for word, value in table.items():
            out.setdefault(_key(word), (category, value))
    return out


def _grouped(table: dict[str, list[str]]) -> dict[str, str]:
    return {_key(word): name for name, words in table.items() for word in words}


_SCALES: dict[str, int] = {
    _key(w): int(v)
    for table in (_ZH["scales"], _EN["scales"], _EN["scales_glued"])
    for w, v in table.items()
}
_UNITS = _lookup(
    (_ZH["units"], "unit"),
    (_EN["units"], "unit"),
    (_ZH["currencies_after"], "currency"),
    (_EN["currencies_after"], "currency"),
    (_ZH["nouns"], "noun"),
    (_EN["nouns"], "noun"),
)
_CURRENCY_BEFORE: dict[str, str] = {
    _key(w): v for t in (_ZH["currencies_before"], _EN["currencies_before"]) for w, v in t.items()
}
_PER: dict[str, str] = {_key(w): v for t in (_ZH["per"], _EN["per"]) for w, v in t.items()}
_QUAL_BEFORE = {**_grouped(_ZH["qualifiers_before"]), **_grouped(_EN["qualifiers_before"])}
_QUAL_AFTER = {**_grouped(_ZH["qualifiers_after"]), **_grouped(_EN["qualifiers_after"])}
_ROLES = {**_grouped(_ZH["roles"]), **_grouped(_EN["roles"])}
_BASIS = {**_grouped(_ZH["basis"]), **_grouped(_EN["basis"])}
_PERIOD_PARTS: dict[str, str] = {
    _key(w): v for t in (_ZH["periods"], _EN["periods"]) for w, v in t.items()
}
_RELATIVE_YEARS: dict[str, int] = {
    _key(w): int(v) for t in (_ZH["relative_years"], _EN["relative_years"]) for w, v in t.items()
}
_ZH_LABELS = tuple(_ZH["labels_before"]["words"])
_NAME_PREFIXES = tuple(_ZH["name_prefixes"]["words"])
_NUMERAL_BLOCKERS = frozenset(_ZH["numeral_blockers_before"]["chars"])


def _words(table: dict[str, list[str]]) -> list[str]:
    return [w for words in table.values() for w in words]


# --------------------------------------------------------------------------------------------
# Patterns

_CN_NUMERAL = "零〇一二两三四五六七八九十百千万亿"
_CN_DIGIT = "零〇一二三四五六七八九"
_CN_NONZERO = frozenset("一二两三四五六七八九")
_ZH_SCALE_ALT = _alternation(zh=_ZH["scales"])
# A scale word may be glued to a hyphenated noun ("175 billion-parameter model"): unlike other
# English words, it is not blocked by a hyphen and a letter after it.
_EN_SCALE_ALT = _alternation(en=[*_EN["scales"], "bn", "bln", "mn", "mln", "tn", "trn"]).replace(
    r"(?![A-Za-z]|-[A-Za-z])", r"(?![A-Za-z])"
)
_ZH_UNIT_ALT = _alternation(zh=[*_ZH["units"], *_ZH["currencies_after"], *_ZH["nouns"]])
_EN_UNIT_ALT = _alternation(
    en=[w for w in (*_EN["units"], *_EN["currencies_after"], *_EN["nouns"]) if w[0] != "-"]
)
_EN_HYPHEN_UNIT_ALT = "|".join(
    re.escape(w) + r"(?![A-Za-z])"
    for w in (*_EN["units"], *_EN["nouns"])
    if w[0] == "-"  # "10-year", "two-fold": glued with a hyphen
)
_ANY_UNIT_ALT = f"{_ZH_UNIT_ALT}|{_EN_UNIT_ALT}|{_EN_HYPHEN_UNIT_ALT}"


def _suffix(p: str) -> str:
    """Scale and unit after Arabic digits: "亿元", " billion", "bn", "% ", "万股", " users"."""
    return (
        rf"(?P<{p}duo>[多余])?"
        rf"(?:(?P<{p}gscale>(?i:mm|[bmk]))(?![A-Za-z0-9])"
        rf"|(?P<{p}sp1>[ \t]?)(?P<{p}scale>{_ZH_SCALE_ALT}|{_EN_SCALE_ALT}))?"
        rf"(?:(?P<{p}sp2>[ \t]?)(?P<{p}unit>{_ANY_UNIT_ALT}))?"
    )


_EN_NUMBER_WORD = (
    r"(?i:a\s+dozen|(?:"
    + "|".join(sorted(EN_TENS_WORDS, key=len, reverse=True))
    + r")(?:[\s-](?:"
    + "|".join(w for w in EN_ONES_WORDS[:9])
    + r")(?![A-Za-z]))?|"
    + "|".join(sorted(EN_ONES_WORDS, key=len, reverse=True))
    + r")(?:\s+(?i:hundred))?"
)
_EN_UNIT_OR_NOUN = f"{_EN_UNIT_ALT}|{_EN_HYPHEN_UNIT_ALT}"

_EN_MONTHS = (
    r"Jan(?:uary)?|Feb(?:ruary)?|Mar(?:ch)?|Apr(?:il)?|May|June?|July?|Aug(?:ust)?"
    r"|Sep(?:t(?:ember)?)?|Oct(?:ober)?|Nov(?:ember)?|Dec(?:ember)?"
)
_MONTH_NUMBER = {
    name: i + 1
    for i, name in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec")
    )
}

_PERIOD_WORD_ALT = _alternation(
    zh=[*_ZH["periods"], *_ZH["relative_years"]],
    en=[*_EN["periods"], *_EN["relative_years"]],
)

# Arabic numbers with their scale and unit: -5537.66万, 1,200, 166.5亿元, 175B, 27.4%
_NUMBER = (
    r"(?P<num>(?<![0-9.])"
    r"(?P<n_int>[0-9]{1,3}(?:,[0-9]{3}(?![0-9]))++|[0-9]++)(?:\.(?P<n_frac>[0-9]++))?"
    + _suffix("n_")
    + ")"
)
_NUMBER_RE = re.compile(_NUMBER)
_PARTS = [
    # 2025-05-15, 2025/5/15
    r"(?P<iso>(?<![0-9])(?P<iso_y>(?:19|20)[0-9]{2})(?P<iso_sep>[-/.])"
    r"(?P<iso_m>[01]?[0-9])(?P=iso_sep)(?P<iso_d>[0-3]?[0-9])"
    # a table row may glue the next cell on: "2025.05.122.73" is 2025.05.12, then 2.73
    r"(?:(?![0-9])|(?<=[0-9]{4}\.[01][0-9]\.[0-3][0-9])))",
    # 2024年, 24年, 2024年度, 2025年05月15日, 12月18日, 5月
    r"(?P<zdate>(?<![0-9.])(?:(?P<zd_y>[0-9]{4}|[0-9]{2}) ?年(?P<zd_fy>度)?"
    r"(?: ?(?P<zd_m>[0-9]{1,2}) ?月份?(?: ?(?P<zd_d>[0-9]{1,2}) ?[日号])?)?"
    r"|(?P<zd_m2>[0-9]{1,2}) ?月份?(?: ?(?P<zd_d2>[0-9]{1,2}) ?[日号])?))",
    # 六月, 十二月十八日
    r"(?P<zcdate>(?<![零〇一二两三四五六七八九十百千万亿第])(?P<zc_m>十[一二]?|[一二三四五六七八九])"
    r"月份?(?:(?P<zc_d>[一二三]?十[一二三四五六七八九]?|[一二三四五六七八九])[日号])?)",
    # Q1, 1Q24, Q1'24, Q1 2024, H1, FY2024, FY24, fiscal 2021, fiscal year 2021
    r"(?P<pcode>(?<![A-Za-z0-9])(?:(?P<pc_q>[Qq][1-4]|[1-4][Qq]|H[12]|[12]H)"
    r"(?:'?(?P<pc_qy>[0-9]{4}|[0-9]{2})|\s(?P<pc_qy2>(?:19|20)[0-9]{2}))?"
    r"|(?P<pc_fy>FY|(?i:fiscal(?:\s+year)?\s+))\s?'?(?P<pc_fyy>[0-9]{4}|[0-9]{2})?)"
    r"(?![A-Za-z0-9]))",
    # 第一季度, 上半年, 全年, 去年, first quarter, full year, last year
    rf"(?P<pword>{_PERIOD_WORD_ALT})",
    # May 22, 2024; December 18, 2023; March 2021
    rf"(?P<edate>(?<![A-Za-z])(?P<ed_mon>(?i:{_EN_MONTHS}))\.?\s+"
    r"(?:(?P<ed_day>[0-9]{1,2})(?:st|nd|rd|th)?(?![0-9])"
    r"(?:,?\s+(?P<ed_year>(?:19|20)[0-9]{2})(?![0-9]))?"
    r"|(?P<ed_year2>(?:19|20)[0-9]{2})(?![0-9])))",
    # 百分之二十七点四, 百分之5
    r"(?P<pct>百分之(?P<pct_n>[0-9]++(?:\.[0-9]++)?|[零〇一二两三四五六七八九十百]++"
    r"(?:点[零〇一二三四五六七八九]++)?))",
    _NUMBER,
    # Chinese numerals, only with a measure word or ending in a scale: 九倍, 三年, 一千万
    rf"(?P<cn>(?<![{_CN_NUMERAL}])(?P<c_num>[{_CN_NUMERAL}]++(?:点[{_CN_DIGIT}]++)?)"
    rf"(?:(?P<c_unit>{_ZH_UNIT_ALT})(?P<c_half>半)?|(?<=[十百千万亿])))",
    # English number words, only with a scale or unit: two million, nine times, twofold
    rf"(?P<en>(?<![A-Za-z\-])(?P<e_num>{_EN_NUMBER_WORD})"
    rf"(?:[\s-]+(?P<e_scale>(?i:{_EN_SCALE_ALT}))(?:[\s-]+(?P<e_unit>{_EN_UNIT_OR_NOUN}))?"
    rf"|(?:[\s-]*)(?P<e_unit2>(?i:fold)(?![A-Za-z])|{_EN_UNIT_OR_NOUN})))",
]
_PATTERNS = {re.match(r"\(\?P<(\w+)>", part).group(1): part for part in _PARTS}  # type: ignore[union-attr]


def _kinds(*names: str) -> re.Pattern[str]:
    return re.compile("|".join(_PATTERNS[name] for name in names))


# At a candidate position only the kinds that can start with its character are tried, in
# this order (dates before numbers: "2024年" is a year, not 2024 years).
_DIGIT_START = _kinds("iso", "zdate", "pcode", "pword", "num")
_LETTER_START = _kinds("pcode", "pword", "edate", "en")
_CJK_START = _kinds("zcdate", "pword", "pct", "cn")


def _rests(words: Iterable[str]) -> str:
    """Everything after the first character of each word, as one alternation."""
    rests = {w[1:].lower() for w in words if len(w) > 1}
    parts = [r"\s+".join(re.escape(p) for p in r.split(" ")) for r in rests]
    return "|".join(sorted(parts, key=len, reverse=True))


_ZH_START_WORDS = [
    w for w in (*_ZH["periods"], *_ZH["relative_years"]) if w[0] not in _CN_NUMERAL + "0123456789"
]
_ZH_FIRST = "".join(sorted({w[0] for w in _ZH_START_WORDS}))
_EN_START_WORDS = [
    *EN_ONES_WORDS,
    *EN_TENS_WORDS,
    "a dozen",
    *(w for w in (*_EN["periods"], *_EN["relative_years"]) if w[0].isalpha()),
    *(name.lower() for name in re.findall(r"[A-Z][a-z]+", _EN_MONTHS)),
    "fiscal",
]


# Where a mention can start: the character class in front lets the regex engine skip
# everything else at C speed (an alternation of groups would be tried at every position);
# the assertions keep one candidate per digit or numeral run. `_MAIN.match` does the reading.
_CANDIDATE = re.compile(
    rf"[0-9。！？!?\n.{_ZH_FIRST}{_CN_NUMERAL}]"
    r"(?:(?<=[0-9])(?<![0-9.][0-9])"
    r"|(?<=[。！？!?\n])"
    r"|(?<=\.)(?=\s|\Z)"
    rf"|(?<=[{_CN_NUMERAL}])(?<![{_CN_NUMERAL}][{_CN_NUMERAL}])"
    rf"|(?<=[{_ZH_FIRST}])(?=(?:{_rests(_ZH_START_WORDS)}))"
    r")"
)


def _first_letter_trie(words: Iterable[str]) -> str:
    """``o(?:ne)|t(?:wo|hree|en)|...``: every alternative starts with a literal, so the engine
    rejects a position after one comparison per first letter."""
    by_first: dict[str, list[str]] = {}
    for w in sorted({" ".join(w.lower().split()) for w in words}, key=len, reverse=True):
        by_first.setdefault(w[0], []).append(w[1:])
    return "|".join(
        re.escape(first)
        + "(?:"
        + "|".join(r"\s+".join(re.escape(p) for p in rest.split(" ")) for rest in rests)
        + ")"
        for first, rests in sorted(by_first.items())
    )


# English words get their own scan, on the lower-cased text: a word start (a space or bracket
# before it) followed by the first letters of a number word, month or period word. Scanning
# every letter instead costs a third of the extraction time on English text.
# Whitespace spelled out: a class holding the category \s is tested character by character,
# one of plain characters with a bitmap, twice as fast over Chinese text with no candidates.
_WHITESPACE = re.escape("".join(ch for ch in map(chr, range(0x3001)) if ch.isspace()))
_EN_CANDIDATE = re.compile(
    "["
    + _WHITESPACE
    + r"(\[\"'/\-\u2014\u201c\u2018（](?=(?:"
    + _first_letter_trie([*_EN_START_WORDS, "q1", "q2", "q3", "q4", "h1", "h2", "fy"])
    + "))"
)


def _literal_alternation(
    zh: Iterable[str] = (), en: Iterable[str] = (), *, backwards: bool = False
) -> str:
    """An alternation for lower-cased windows in which every word starts with a literal.

    Context words are looked up in short windows around each number, many times per document;
    starting every alternative with a plain character lets the regex engine reject a position
    at once (and gives ``search`` a fast first-character scan). So the window is lower-cased
    instead of using ``(?i)``, and English word boundaries are checked *after* the word.

    With ``backwards`` the words are reversed, for windows read backwards from a number:
    the nearest word is then found first, with one anchored attempt.
    """
    # (length, first character, pattern for the rest): alternatives are grouped by their first
    # character, so a position costs one comparison per distinct first character.
    items: list[tuple[int, str, str]] = []
    for w in zh:
        chars = list(reversed(w)) if backwards else list(w)
        items.append((len(w), chars[0], "".join(" ?" + re.escape(ch) for ch in chars[1:])))
    for w in en:
        w = " ".join(w.lower().split())
        body = w[::-1] if backwards else w
        rest = re.escape(body[1:])
        if body[:1].isalpha():
            rest += rf"(?<![a-z]{re.escape(body)})"
        if body[-1:].isalpha():
            rest += r"(?![a-z])"
        items.append((len(w), body[0], rest))
    groups: dict[str, list[str]] = {}
    for _, first, rest in sorted(items, key=lambda item: item[0], reverse=True):
        if rest not in groups.setdefault(first, []):
            groups[first].append(rest)
    return "|".join(
        re.escape(first) + (f"(?:{'|'.join(rests)})" if rests != [""] else "")
        for first, rests in groups.items()
    )


def _unreverse(match: re.Match[str]) -> str:
    return _key(match.group()[::-1])


def _unreverse_group(match: re.Match[str], group: str) -> str:
    return _key(match.group(group)[::-1])


# Small patterns applied at one position (bounded windows), never over the whole text.
# `_BACK_*` patterns run on reversed windows: see _reversed_alternation.
_BACK_CURRENCY = re.compile(
    r"[ \t]?(?:"
    + _literal_alternation(zh=_ZH["currencies_before"], en=_EN["currencies_before"], backwards=True)
    + ")"
)
_QUALIFIER_WORDS_BEFORE = (_words(_ZH["qualifiers_before"]), _words(_EN["qualifiers_before"]))
_BACK_QUALIFIER_WORD = re.compile(_literal_alternation(*_QUALIFIER_WORDS_BEFORE, backwards=True))
# Between a qualifier and its number: spaces and 了/达到/为 ("突破了一千万").
# A qualifier, then spaces and 了/达到/为 before the number ("突破了一千万"), read backwards.
_BACK_QUALIFIER = re.compile(
    r"[ \t]*(?:(?:了|到达|达高|达|为|到|至|有)[ \t]*)?(?P<w>"
    + _literal_alternation(*_QUALIFIER_WORDS_BEFORE, backwards=True)
    + ")"
)
_LABEL_BEFORE = re.compile(
    r"[ \t]*(?:" + _literal_alternation(en=_EN["labels_before"]["words"], backwards=True) + ")"
)
_BACK_ABOUT_SHARE = re.compile(r"[^0-9，。；,;]{0,12}?占约")
_BACK_ROLE = re.compile(
    _literal_alternation(zh=_words(_ZH["roles"]), en=_words(_EN["roles"]), backwards=True)
)
# Right before a length of time, read backwards: "by ", "了", "至" may stand between.
_DURATION_ROLE_RE = re.compile(
    r"[ \t]*(?:yb[ \t]+|了[ \t]*)?(?P<w>"
    + _literal_alternation(zh=_words(_ZH["roles"]), en=_words(_EN["roles"]), backwards=True)
    + ")"
)
_BACK_BASIS = re.compile(
    _literal_alternation(zh=_words(_ZH["basis"]), en=_words(_EN["basis"]), backwards=True)
)
_BACK_COMPARATIVE = re.compile(
    r"[ \t]*(?:(?:eht|a|elbarapmoc|emas|s'raey tsal|raey roirp|detroper)[ \t]+)*(?:"
    + _literal_alternation(
        zh=["较", "比", "与", "相比", "同比"],
        en=["versus", "vs.", "vs", "compared to", "compared with", "from", "over", "than", "since"],
        backwards=True,
    )
    + ")"
)
# A clause ends at Chinese/English clause punctuation; a comma before three digits is a
# thousands separator ("1,200" reads "002,1" backwards).
_BACK_CLAUSE_BREAK = re.compile(r"[，；;。！？!?\n：:,](?:(?<!,)|(?<![0-9]{3},))")
_PER_OR_QUALIFIER_AFTER_RE = re.compile(
    r"[ \t]?(?:(?P<per>"
    + _literal_alternation(zh=_ZH["per"], en=_EN["per"])
    + ")|(?P<qualifier>"
    + _literal_alternation(zh=_words(_ZH["qualifiers_after"]), en=_words(_EN["qualifiers_after"]))
    + "))"
)
_ROLES_AFTER = {**_grouped(_ZH["roles_after"]), **_grouped(_EN["roles_after"])}
_ROLE_AFTER_RE = re.compile(
    _literal_alternation(zh=_words(_ZH["roles_after"]), en=_words(_EN["roles_after"]))
)
_BASIS_RE = re.compile(_literal_alternation(zh=_words(_ZH["basis"]), en=_words(_EN["basis"])))
_BAND_BEFORE_RE = re.compile(
    r"(?<![a-z])(?:(?P<from>low|mid|high)(?:-|-? )to[- ])?(?P<band>low|mid|high)[- ]\Z"
)
_BANDS = {"low": 0, "mid": 4, "high": 7}
_YEAR_RANGE_AFTER_RE = re.compile(r"[ \t]*[-—~～至到][ \t]*(?:19|20)[0-9]{2}[ \t]?年")
_YEAR_PREPOSITION_RE = re.compile(
    r"(?<![A-Za-z])(?i:in|for|during|since|from|by|of|until|through|fiscal|year|calendar)"
    r"[ \t]+\Z"
)
_CURRENCY_START_RE = re.compile(
    _alternation(zh=_ZH["currencies_before"], en=_EN["currencies_before"]) + r"|[$¥€£]"
)
_MONTH_LIST_RE = re.compile(r" ?[-—~～至到、] ?[0-9]{1,2} ?月")
_DATE_JOIN_RE = re.compile(r" ?(?:(?P<list>[、和及与])|[-—~～至到]) ?")
_BASIS_NEXT_FIRST = frozenset(
    " \t"
    + "".join(w[0].lower() for t in (_ZH["basis"], _EN["basis"]) for ws in t.values() for w in ws)
)
_CONTINUATION_RE = re.compile(
    r"[ \t]*(?:"
    + _literal_alternation(
        zh=[*_words(_ZH["basis"]), *_ZH["roles"]["growth"], *_ZH["roles"]["decline"]],
        en=_words(_EN["basis"]),
    )
    + ")"
)
_AND_AFTER_BASIS_RE = re.compile(
    r"[ \t]*(?:" + _BASIS_RE.pattern + r")[ \t]*,?[ \t]*(?:and|和|及|、|，)[ \t]*"
)
_BASIS_NEXT_RE = re.compile(r"[ \t]*(?P<b>" + _BASIS_RE.pattern + ")")
_CLAUSE_BREAK_RE = re.compile(r"[，；;。！？!?\n：:,](?:(?<!,)|(?![0-9]{3}(?![0-9])))")
_RANGE_GAP_RE = re.compile(r"[ \t]*(?:-|~|至|到|—|&|(?i:to|through|and))[ \t]*")
_RANGE_FROM_RE = re.compile(r"(?<![A-Za-z])(?i:range[sd]?|ranging)[ \t]+(?i:from)[ \t]*\Z")
_BETWEEN_RE = re.compile(r"(?:(?i:between)|介于|在)[ \t]*\Z")
_FROM_RE = re.compile(r"(?:(?i:from)|从|由)[ \t]*\Z")
_BY_RE = re.compile(r"(?<![A-Za-z])(?i:by)[ \t]*\Z")
_SLASH_LIST_RE = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?(?:/[+-]?[0-9]+(?:\.[0-9]+)?)+")
_SLASH_MEMBER_RE = re.compile(r"(?P<s>[+-]?)(?P<n>(?P<i>[0-9]+)(?:\.(?P<f>[0-9]+))?)")
_LIST_GAP_RE = re.compile(r"[ \t]*(?P<sep>[,，、/])?[ \t]*(?P<and>和|与|及|以及|(?i:and)|&)?[ \t]*")
_RESPECTIVELY_AFTER_RE = re.compile(r"[^。.;；!?！？\n]{0,60}?(?<![A-Za-z])(?i:respectively)")
_OR_GAP_RE = re.compile(r"[ \t]*,?[ \t]*(?:or|或)[ \t]*")
_ENDED_GAP_RE = re.compile(r"[ \t]+(?i:ended|ending)[ \t]+")
_PERCENT_OF_RE = re.compile(r"[ \t]+of[ \t]")
_AUXILIARIES = frozenset(
    ("was", "were", "is", "are", "be", "been", "being", "has", "have", "had", "will", "would")
)
_DURATIONS = frozenset(
    ("years", "months", "weeks", "days", "trading days", "hours", "minutes", "quarters")
)
_TOKEN_TAIL_RE = re.compile(r"[A-Za-z0-9]*(?:[.\-][A-Za-z0-9]+)*")
_PHONE_RE = re.compile(
    r"(?:\+?86[ -]?)?1[3-9][0-9]{9}(?![0-9])"
    r"|[0-9]{3,4}-[0-9]{7,8}(?![0-9])"
    r"|[0-9]{3}-[0-9]{3}-[0-9]{4}(?![0-9])"
)
_TIME_AFTER_RE = re.compile(
    r"(?::[0-5][0-9]){1,2}(?![0-9])(?:\s?(?i:a\.m\.|p\.m\.|am|pm)(?![a-z]))?"
    r"|[时点][0-9]{1,2}分(?:[0-9]{1,2}秒)?|[时点]整"
)
_START = re.Match.start
_EOS_CHARS = frozenset("。！？!?\n.")


_CJK_RUNS = re.compile(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]+")
_ZH_DIGIT_VALUE = {ch: i for i, ch in enumerate("〇一二三四五六七八九")}


# --------------------------------------------------------------------------------------------
# Intermediate records


@dataclass(slots=True)
class _Atom:
    """A mention on the normalized text, before context is read."""

    start: int
    end: int
    kind: Kind
    lang: str
    mantissa: Decimal = Decimal(0)
    mant_precision: Decimal = Decimal(1)
    scale: int | None = None
    unit: str | None = None
    per: str | None = None
    qualifier: Qualifier = Qualifier.EXACT
    high: Decimal | None = None
    high_precision: Decimal | None = None
    high_scale: int | None = None
    role: Role | None = None
    basis: Basis | None = None
    period: Period | None = None
    date: DateValue | None = None
    group: Group | None = None
    core_end: int = 0  # end of the number itself, before after-qualifiers like 左右
    digits: int = 0  # digits written (Arabic), to keep huge numbers off the fast path


@dataclass(slots=True)
class _Anchor:
    start: int
    end: int
    year: int | None = None
    part: str | None = None
    relative: int | None = None
    # "up from $56 billion in the first quarter of 2020": the period of the comparison value
    # right before it only, not of the sentence's other numbers (`_period_for`)
    compared: bool = False


# --------------------------------------------------------------------------------------------
# Public API


def extract_quantities(
    text: str, *, lang: str | None = None, doc_date: date | None = None
) -> list[Quantity]:
    """Every quantity and date in ``text``, in order, with spans into ``text``.

    ``lang`` ("zh" or "en") is the language given to mentions whose neighbours do not show one
    (a bare "27%"); by default it is guessed from the text. ``doc_date`` resolves relative years
    (去年, last year) into calendar years.

    >>> [q.text for q in extract_quantities("回购不超过160亿港币，约占总股本的1.7%")]
    ['160亿港币', '1.7%']
    """
    if not text:
        return []
    if len(text) <= _REMEMBERED_CHARS:
        return list(_extract_short(text, lang, doc_date))
    return _extract_text(text, lang, doc_date)


# A summary's sentence is extracted twice, and the same way: verifying it against the source
# (`toolkit.verify.extract_claim`), then matching its Chinese and English sides
# (`toolkit.bilingual.compare_sides`), one right after the other. Short texts' quantities
# (immutable) are remembered, the last few hundred only; a source transcript, extracted once,
# is not kept.
_REMEMBERED_CHARS = 2000


@lru_cache(maxsize=256)
def _extract_short(text: str, lang: str | None, doc_date: date | None) -> tuple[Quantity, ...]:
    return tuple(_extract_text(text, lang, doc_date))


def _extract_text(text: str, lang: str | None, doc_date: date | None) -> list[Quantity]:
    # Extraction allocates tens of thousands of small objects per megabyte and makes no
    # reference cycles; the cyclic collector would rescan the growing heap again and again
    # (a fifth of the run time on the sample transcript). Reference counting still frees
    # everything; the collector is switched back on, if it was on, before returning.
    collecting = gc.isenabled()
    gc.disable()
    try:
        norm = normalize(text)
        default_lang = lang if lang in ("zh", "en") else _guess_lang(norm.text)
        return _Extractor(norm, default_lang, doc_date).run()
    finally:
        if collecting:
            gc.enable()


extract = extract_quantities  # short alias used by the summarizer


_ASCII_LETTERS = re.compile(r"[A-Za-z]+")


def _guess_lang(text: str) -> str:
    sample = text[:4000]
    # counted by runs: one string per CJK character was ~0.2 ms of every extraction
    cjk = sum(map(len, _CJK_RUNS.findall(sample)))
    letters = sum(map(len, _ASCII_LETTERS.findall(sample)))  # str.isalpha() of ASCII
    return "zh" if cjk * 2 >= letters else "en"


class _Extractor:
    """One run over one text; kept as a class so the sentence state has one home."""

    def __init__(self, norm: Normalized, default_lang: str, doc_date: date | None) -> None:
        self.norm = norm
        self.t = norm.text
        # Context words are matched on a lower-cased copy; normalize() folds the one character
        # whose lower case is two characters long (U+0130), so offsets agree.
        self.low = norm.text.lower()
        self.default_lang = default_lang
        self.doc_year = doc_date.year if doc_date else None
        self.article_year: int | None = None  # the publication date of the current article
        self.out: list[_Atom] = []
        self.atoms: list[_Atom] = []
        self.anchors: list[_Anchor] = []
        self.sentence_start = 0
        self.next_group = 0
        self.dropped_anchor_end = -1
        self.slash_member = False  # reading the last member of a slash list (`_slash_list`)
        self.sentence_end = 0
        self.last_anchor: _Anchor | None = None  # the previous sentence's last period anchor

    # -- main loop ---------------------------------------------------------------------------

    def run(self) -> list[Quantity]:
        t = self.t
        skip_until = 0
        digit_start, letter_start, cjk_start = (
            _DIGIT_START.match,
            _LETTER_START.match,
            _CJK_START.match,
        )
        handlers: dict[str, Callable[[re.Match[str]], int | None]] = {
            "num": self._number,
            "cn": self._chinese,
            "zdate": self._zh_date,
            "pword": self._period_word,
            "pcode": self._period_code,
            "pct": self._chinese_percent,
            "en": self._english,
            "edate": self._en_date,
            "iso": self._iso_date,
            "zcdate": self._zh_numeral_date,
        }
        starts = list(map(_START, _CANDIDATE.finditer(t)))
        english = [m.start() + 1 for m in _EN_CANDIDATE.finditer(self.low)]
        if t[:1].isascii() and t[:1].isalpha():
            english.insert(0, 0)  # a word at the very start has no space before it
        if english:
            starts = sorted(starts + english)  # two sorted runs: a linear merge in timsort
        for start in starts:
            if start < skip_until:
                continue
            if t[start] in _EOS_CHARS:  # the candidate pattern already checked "." + space
                if self.atoms or self.anchors:
                    self._finish_sentence(start + 1)
                else:
                    self.sentence_start = start + 1
                    self.last_anchor = None  # only the sentence right before continues
                continue
            ch = t[start]
            if "0" <= ch <= "9":
                m = digit_start(t, start)
            elif ch < "\u3000":
                m = letter_start(t, start)
            else:
                m = cjk_start(t, start)
            if m is None:
                continue
            end = handlers[m.lastgroup](m)  # type: ignore[index]
            if end is not None:
                skip_until = end
        self._finish_sentence(len(t))
        return [self._to_quantity(a) for a in self.out]

    # -- helpers -----------------------------------------------------------------------------

    def _lang_at(self, start: int, end: int) -> str:
        """The language of a mention: its own characters, else its nearest neighbours."""
        t = self.t
        if _is_cjk(t[end - 1]) or _is_cjk(t[start]):
            return "zh"
        i = start - 1
        while i >= 0 and start - i <= 3 and t[i] in " \t":
            i -= 1
        j = end
        while j < len(t) and j - end < 3 and t[j] in " \t":
            j += 1
        for ch in (t[i] if i >= 0 else "", t[j] if j < len(t) else ""):
            if ch and _is_cjk(ch):
                return "zh"
            if ch.isascii() and ch.isalpha():
                return "en"
        return self.default_lang

    def _skip_token(self, start: int) -> int:
        """End of the alphanumeric identifier starting at ``start`` (A1G0, GPT4.0, 10-K)."""
        m = _TOKEN_TAIL_RE.match(self.t, start)
        return m.end() if m else start + 1

    def _add_year_anchor(self, start: int, end: int, year: int, part: str | None) -> None:
        if self.t.startswith("以来", end):
            return  # 2020年以来: since 2020, not the period of what follows
        self._add_anchor(_Anchor(start, end, year=year, part=part))

    def _add_anchor(self, anchor: _Anchor) -> None:
        """Keep a period anchor unless it is a comparison base: "versus last year", "较去年同期",
        "from the third quarter of 2019" name what a change is measured against."""
        before = self.t[anchor.start - 1 : anchor.start]
        dropped = self.dropped_anchor_end
        if (
            before in _COMPARATIVE_LAST_CHARS
            and _BACK_COMPARATIVE.match(self.low[max(0, anchor.start - 24) : anchor.start][::-1])
        ) or (
            dropped >= 0
            and anchor.start - dropped <= 12
            and _ANCHOR_GAP_RE.fullmatch(self.t, dropped, anchor.start)
        ):
            self.dropped_anchor_end = anchor.end  # "from the third quarter of 2019": both
            return
        if _COMPARED_AMOUNT_BEFORE_RE.search(self.low, max(0, anchor.start - 64), anchor.start):
            anchor.compared = True
        self.anchors.append(anchor)

    def _date_atom(
        self,
        start: int,
        end: int,
        year: int | None,
        month: int | None = None,
        day: int | None = None,
        relative: int | None = None,
    ) -> _Atom:
        base = self.article_year if self.article_year is not None else self.doc_year
        if year is None and relative is not None and base is not None:
            year = base + relative
        elif (
            year is not None
            and day is not None
            and _PUBLISHED_RE.search(self.t, max(0, start - 12), start)
        ):
            # "发布时间：2025年03月21日": a date 去年11月 in this article is 2024-11. Only dates:
            # periods (去年同期) keep their relative year, tagged too loosely to be resolved.
            self.article_year = year
        atom = _Atom(
            start,
            end,
            Kind.DATE,
            self._lang_at(start, end),
            mantissa=Decimal(year or 0),
            date=_date_value(year, month, day, relative),
        )
        atom.core_end = end
        self.atoms.append(atom)
        return atom

    def _relative_year_before(self, start: int) -> int | None:
        window = self.t[max(0, start - 3) : start]
        for word in ("去年", "今年", "明年", "前年"):
            if window.endswith(word):
                return _RELATIVE_YEARS[word]
        return None

    # -- Arabic numbers ----------------------------------------------------------------------

    def _number(self, m: re.Match[str]) -> int | None:
        t = self.t
        start, end = m.span()
        int_part, frac, duo, gscale, scale_word, sp2, unit_word = m.group(
            "n_int", "n_frac", "n_duo", "n_gscale", "n_scale", "n_sp2", "n_unit"
        )
        digits_start = start
        # A sign directly before the digits, unless it joins two numbers ("10-15%", "GPT-4").
        sign: str | None = None
        if (
            start > 0
            and t[start - 1] in "+-"
            and (start < 2 or t[start - 2] not in _NO_SIGN_BEFORE)
        ):
            sign = t[start - 1]
            start -= 1
        elif (
            start > 2
            and t[start - 1] in " \t"
            and t[start - 2] == "-"
            and _SPACED_SIGN_AFTER_RE.search(t, max(0, start - 8), start - 2)
        ):
            sign = "-"  # typeset Chinese: "净利润为 - 2394.27 万元" is a negative amount
            start -= 2
        # What stands right before: a currency, an identifier (A1, GPT-4, v2), or nothing.
        ch = t[start - 1] if start else ""
        currency: str | None = None
        cur = (
            _BACK_CURRENCY.match(self.low[max(0, start - 6) : start][::-1])
            if ch in _CURRENCY_LAST_CHARS
            else None
        )
        if cur:
            currency = _CURRENCY_BEFORE[_unreverse(cur)]
            span_start = start - cur.end()
        else:
            span_start = start
            prev = t[start - 2] if start > 1 else ""
            if ch in "- " and prev.isalpha() and unit_word and frac is None:
                band = _BAND_BEFORE_RE.search(self.low, max(0, start - 16), start)
                if (
                    band is not None
                    and _UNITS[_key(unit_word)][1] == "%"
                    and (ch == "-" or _is_decade(int_part, band))
                ):
                    return self._band(band, int_part, end)
            if ch.isascii():
                if (
                    ch.isalpha()
                    or ch == "_"
                    or (
                        ch in "./"
                        and prev.isascii()
                        and prev.isalnum()
                        and not (self.atoms and self.atoms[-1].end == start - 1)
                        and not (self.slash_member and ch == "/")
                    )  # "4.5pcts/+2.9pcts": a list after a number, not "A1/2"
                    or (ch == "-" and prev.isascii() and prev.isalpha())
                ):
                    return self._skip_token(start)
                if ch in " #." and _LABEL_BEFORE.match(self.low[max(0, start - 10) : start][::-1]):
                    return end  # Slide 3, page 12, Note 4: a label, not an amount
            elif ch == "第":
                return end  # ordinal: 第1名
            elif (
                not unit_word
                and not scale_word
                and t[max(0, start - 4) : start].endswith(_ZH_LABELS)
            ):
                return end  # 检索3, 附注4: a label
            elif not unit_word and not scale_word:
                if t[max(0, start - 8) : start].endswith(_NAME_PREFIXES):
                    return end  # 沪深300: an index name
                if ch == "（" and frac is None and len(int_part) >= 5 and t[end : end + 1] == "）":
                    return end  # stock code: 一鸣食品（605179）
            if ch == "(" and frac is None and len(int_part) >= 5 and t[end : end + 1] == ")":
                return end
        # What comes right after: an identifier tail, a version, a time, a fraction.
        nxt = t[end : end + 1]
        if gscale or scale_word or unit_word or duo:
            # A scale or unit was read: only a glued letter makes it a name ("175Bx").
            last = t[end - 1]
            if (
                nxt.isascii()
                and (nxt.isalnum() or nxt == "_")
                and last.isascii()
                and last.isalnum()
            ):
                return self._skip_token(digits_start)
        else:
            if nxt and nxt.isascii():
                if nxt.isalnum() or nxt == "_":
                    return self._skip_token(digits_start)
                after = t[end + 1 : end + 2]
                if nxt in "-.'" and after.isascii() and after.isalpha():
                    return self._skip_token(digits_start)  # 10-K, 9988.HK, 5B's (a name)
                if nxt == "/" and (after.isdigit() or after in "+-"):
                    listed = self._slash_list(start)
                    if listed is not None:
                        return listed  # 514.43/506.01/268.5亿元: values of one unit
                if nxt in "./" and after.isdigit():
                    return self._skip_token(digits_start)  # 1.2.3; 1/27, a rank
                if nxt == ":" or nxt == "+" or nxt == "-":
                    phone = _PHONE_RE.match(t, digits_start)
                    if phone:
                        return phone.end()
                    time = _TIME_AFTER_RE.match(t, end)
                    if time:
                        return time.end()  # 21:00:00
            elif nxt in "时点":
                time = _TIME_AFTER_RE.match(t, end)
                if time:
                    return time.end()  # 20时36分
            if len(int_part) == 11 and _PHONE_RE.match(t, digits_start):
                return end  # 13800138000
        mantissa, precision = read_arabic(int_part, frac)
        if sign == "-":
            mantissa = -mantissa
        scale = _SCALES[_key(gscale or scale_word)] if (gscale or scale_word) else None
        unit: str | None = None
        if unit_word:
            if sp2 and unit_word.lower() == "x":
                end = m.start("n_sp2")  # "10 x 20" is not "10x"
            else:
                unit = _UNITS[_key(unit_word.lstrip("-"))][1]
                if unit == "%" and _key(unit_word) == "pct" and self._lang_at(start, end) == "zh":
                    unit = "pp"  # Chinese broker notes: 同比提升9pct is nine points
        if unit is None and scale is None and currency is None and not duo:
            cents = _CENTS_AFTER_RE.match(self.low, end)
            if cents is not None:  # "79¢", "79 cents": $0.79
                mantissa, precision, unit = mantissa / 100, precision / 100, "USD"
                end = cents.end()
        if currency is not None and unit not in ("%", "pp", "x"):
            unit = currency  # "$5 million" and "5 million dollars" alike; "$5 x" keeps "x"
        if (
            unit is None
            and scale is None
            and frac is None
            and sign is None
            and not duo
            and len(int_part) <= 2
            and 1 <= int(int_part) <= 12
            and _MONTH_LIST_RE.match(t, end)
        ):  # "1-8月", "1—9月份", "8、9月份": the first month of a month range or list
            year_atom = self._glued_year_before(span_start)
            if year_atom is not None and year_atom.date is not None:
                y = year_atom.date
                self._date_atom(span_start, end, y.year, int(int_part), None, y.relative_year)
            else:
                relative = self._relative_year_before(span_start)
                self._date_atom(span_start, end, None, int(int_part), None, relative)
            return end
        if (
            unit is None
            and scale is None
            and frac is None
            and len(int_part) == 8
            and int_part[:2] in ("19", "20")
            and 1 <= int(int_part[4:6]) <= 12
            and 1 <= int(int_part[6:]) <= 31
        ):
            year, month, day = int(int_part[:4]), int(int_part[4:6]), int(int_part[6:])
            self._date_atom(span_start, end, year, month, day)  # 成立时间为20191225
            return end
        # A bare four-digit year in English text: "in 2021", "for 2024".
        if (
            unit is None
            and scale is None
            and sign is None
            and frac is None
            and not duo
            and len(int_part) == 4
            and 1900 <= int(int_part) <= 2100
            and not self._starts_amount_range(span_start, end)
            and not self._chinese_amount(span_start, end)
            and not _ARITHMETIC_AFTER_RE.match(t, end)
            and not _ARITHMETIC_BEFORE_RE.search(t, max(0, span_start - 3), span_start)
        ):
            year = int(int_part)
            self._date_atom(span_start, end, year)
            self._add_year_anchor(span_start, end, year, None)
            return end
        atom = _Atom(
            span_start,
            end,
            Kind.NUMBER,
            self._lang_at(span_start, end),
            mantissa=mantissa,
            mant_precision=precision,
            scale=scale,
            unit=unit,
        )
        atom.core_end = end
        atom.digits = len(int_part) + (len(frac) if frac else 0)
        if duo:
            atom.qualifier = Qualifier.AT_LEAST
        self._after(atom)
        self.atoms.append(atom)
        return atom.end

    def _slash_list(self, start: int) -> int | None:
        """ "营业总收入/营业收入/归母净利润514.43/506.01/268.47亿元", "分别同比-1.56/0.45/-0.7pct":
        broker notes write a list of values with the unit only once, after the last member.
        Read when every member is a plain number (a sign allowed), at least one has decimals,
        and the last carries a unit or a scale: each member becomes a number of that unit.
        Integers only (a rank 37/219, a date 2025/05/01) or no unit at the end stay skipped."""
        t = self.t
        run = _SLASH_LIST_RE.match(t, start)
        if run is None or "." not in run.group():
            return None
        members = list(_SLASH_MEMBER_RE.finditer(t, start, run.end()))
        last = members[-1]
        m = _NUMBER_RE.match(t, last.start("n"))
        if m is None or not (m.group("n_unit") or m.group("n_scale") or m.group("n_gscale")):
            return None
        after = t[m.end() : m.end() + 1]
        if after == "/" or (after.isascii() and after.isalnum()):
            return None  # the unit is glued to a name, or the list goes on in another form
        count = len(self.atoms)
        self.slash_member = True
        try:
            end = self._number(m)
        finally:
            self.slash_member = False
        if len(self.atoms) != count + 1 or self.atoms[-1].kind is not Kind.NUMBER:
            return end  # the last member was read as something else (a date): leave the rest
        tail = self.atoms.pop()
        for member in members[:-1]:
            int_part, frac = member.group("i"), member.group("f")
            mantissa, precision = read_arabic(int_part, frac)
            if member.group("s") == "-":
                mantissa = -mantissa
            atom = replace(
                tail,
                start=member.start(),
                end=member.end(),
                mantissa=mantissa,
                mant_precision=precision,
                group=None,
            )
            atom.core_end = member.end()
            atom.digits = len(int_part) + (len(frac) if frac else 0)
            self.atoms.append(atom)
        self.atoms.append(tail)
        return end

    def _chinese_amount(self, start: int, end: int) -> bool:
        """In Chinese a year is written with 年 ("2000年"): a bare "收入达到了2000" is an amount,
        unless it opens a range of years ("从2020到2023年")."""
        i = start - 1
        while i >= 0 and self.t[i] in " \t":
            i -= 1
        ideograph = i >= 0 and "\u3400" <= self.t[i] <= "\u9fff"
        return ideograph and not _YEAR_RANGE_AFTER_RE.match(self.t, end)

    def _starts_amount_range(self, start: int, end: int) -> bool:
        """ "2000至3000美元", "1901-3802 shares": a four-digit number that opens a range of
        amounts (the other end has a currency, scale or unit other than years, and is larger)
        is no year; "in 2021 to 25%" keeps its year."""
        gap = _RANGE_GAP_RE.match(self.t, end, end + 12)
        if gap is None or _YEAR_PREPOSITION_RE.search(self.t, max(0, start - 12), start):
            return False
        pos = gap.end()
        # "grew in 2021 to $5 billion": after an English connector only a unit counts.
        symbol = gap.group().strip().lower() not in ("to", "through", "and")
        if symbol and _CURRENCY_START_RE.match(self.t, pos):
            return True
        other = _NUMBER_RE.match(self.t, pos)
        if other is None:
            return False
        unit_word = other.group("n_unit")
        unit = _UNITS.get(_key(unit_word.lstrip("-")), ("", ""))[1] if unit_word else None
        scaled = bool(other.group("n_scale") or other.group("n_gscale"))
        if not ((symbol and scaled) or (unit is not None and unit != "years")):
            return False
        high, _ = read_arabic(other.group("n_int").replace(",", ""), other.group("n_frac"))
        return scaled or high > int(self.t[start:end])

    def _band(self, band: re.Match[str], tens: str, end: int) -> int:
        """ "mid-20 percent range": a band of a decade, low N–N+3, mid N+4–N+6, high N+7–N+9;
        "the mid 20% range" the same, and "low to mid 20% range" runs from N to N+6."""
        if len(tens) != 2 or tens[1] != "0":
            return end
        last = band.group("band")
        first = band.group("from") or last
        if _BANDS[first] > _BANDS[last]:
            return end
        low = int(tens) + _BANDS[first]
        atom = _Atom(band.start(), end, Kind.NUMBER, "en", mantissa=Decimal(low))
        atom.unit, atom.qualifier = "%", Qualifier.RANGE
        atom.high = Decimal(int(tens) + _BANDS[last] + (3 if last == "low" else 2))
        atom.core_end = end
        self.atoms.append(atom)
        return end

    def _after(self, atom: _Atom) -> None:
        """Read "per share"/每股-style units and qualifiers written after the number."""
        after = (
            _PER_OR_QUALIFIER_AFTER_RE.match(self.low, atom.end, atom.end + 32)
            if self.low[atom.end : atom.end + 1] in _AFTER_FIRST_CHARS
            else None
        )
        if after is not None and after.group("per") and atom.unit not in _DURATIONS:
            atom.per = _PER[_key(after.group("per"))]
            atom.end = atom.core_end = after.end()
            after = _PER_OR_QUALIFIER_AFTER_RE.match(self.low, atom.end, atom.end + 12)
        elif "每股" in self.t[max(0, atom.start - 8) : atom.start]:
            atom.per = "share"  # 每股收益0.5元
        if after is not None and after.group("qualifier"):
            atom.qualifier = Qualifier(_QUAL_AFTER[_key(after.group("qualifier"))])

    # -- Chinese numerals --------------------------------------------------------------------

    def _chinese(self, m: re.Match[str]) -> int | None:
        start, end = m.span()
        if start > 0 and self.t[start - 1] in _NUMERAL_BLOCKERS:
            return None
        numeral = m.group("c_num")
        if not m.group("c_unit") and not any(ch in _CN_NONZERO for ch in numeral):
            return None  # 十分重要, 百万 without a digit: words, not numbers
        read = read_chinese(numeral)
        if read is None and numeral[0] in "百千" and m.group("c_unit"):
            read = read_chinese("一" + numeral)  # 百亿元, 千万用户: an implied 一
        if read is None:
            return None
        mantissa, precision = read
        unit: str | None = None
        unit_word = m.group("c_unit")
        if unit_word:
            unit = str(_UNITS[_key(unit_word)][1])
            if (
                numeral == "一"
                and unit_word[0] == "个"
                and unit not in ("months", "pp", "quarters")
            ):
                return None  # 最新一个交易日: "a trading day", an article, not a count
            if m.group("c_half"):
                mantissa += Decimal("0.5")
                precision = min(precision, Decimal("0.1"))
        atom = _Atom(
            start,
            end,
            Kind.NUMBER,
            "zh",
            mantissa=mantissa,
            mant_precision=precision,
            unit=unit,
        )
        atom.core_end = end
        self._after(atom)
        self.atoms.append(atom)
        return atom.end

    def _chinese_percent(self, m: re.Match[str]) -> int:
        start, end = m.span()
        raw = m.group("pct_n")
        if raw[0].isdigit():
            whole, _, frac = raw.partition(".")
            read: tuple[Decimal, Decimal] | None = read_arabic(whole, frac or None)
        else:
            read = read_chinese(raw)
        if read is None:
            return end
        atom = _Atom(start, end, Kind.NUMBER, "zh", mantissa=read[0], mant_precision=read[1])
        atom.unit = "%"
        atom.core_end = end
        self._after(atom)
        self.atoms.append(atom)
        return atom.end

    # -- English number words ----------------------------------------------------------------

    def _english(self, m: re.Match[str]) -> int | None:
        read = read_english(m.group("e_num"))
        if read is None:
            return None
        start, end = m.span()
        scale = _SCALES[_key(m.group("e_scale"))] if m.group("e_scale") else None
        unit_word = m.group("e_unit") or m.group("e_unit2")
        unit = str(_UNITS[_key(unit_word.lstrip("-"))][1]) if unit_word else None
        atom = _Atom(
            start, end, Kind.NUMBER, "en", mantissa=read[0], mant_precision=read[1], scale=scale
        )
        atom.unit = unit
        atom.core_end = end
        self._after(atom)
        self.atoms.append(atom)
        return atom.end

    # -- dates and periods -------------------------------------------------------------------

    def _zh_date(self, m: re.Match[str]) -> int | None:
        start, end = m.span()
        ytxt = m.group("zd_y")
        month_txt = m.group("zd_m") or m.group("zd_m2")
        day_txt = m.group("zd_d") or m.group("zd_d2")
        month = int(month_txt) if month_txt else None
        day = int(day_txt) if day_txt else None
        if (month is not None and not 1 <= month <= 12) or (day is not None and not 1 <= day <= 31):
            return end
        year: int | None = None
        if ytxt:
            if len(ytxt) == 4:
                year = int(ytxt)
            elif month is not None or m.group("zd_fy") or self._two_digit_year_context(start, end):
                year = 2000 + int(ytxt)
            else:  # "过去10年": ten years, a number with unit "years"
                as_number = _NUMBER_RE.match(self.t, start)
                return self._number(as_number) if as_number else None
        relative = None if year is not None else self._relative_year_before(start)
        if (
            year is None
            and relative is None
            and day is None
            and month is not None
            and self._looks_back(start)
        ):
            return self._lookback_months(start, end, month)  # 近3月: three months, not March
        prev = self.atoms[-1] if self.atoms else None
        gap = (
            _DATE_JOIN_RE.fullmatch(self.t, prev.end, start)
            if prev is not None and prev.kind is Kind.DATE and month is not None
            else None
        )
        if gap is not None and prev is not None and prev.date is not None and prev.date.month:
            if year is None and relative is None:  # 2023年1月至9月: 9月 is in 2023 too
                year, relative = prev.date.year, prev.date.relative_year
            self._date_atom(start, end, year, month, day, relative)
            self._link_dates(prev, self.atoms[-1], "list" if gap.group("list") else "range")
            return end
        self._date_atom(start, end, year, month, day, relative)
        if year is not None and month is None:
            part = "FY" if m.group("zd_fy") else None
            split = _SPLIT_YEAR_BEFORE_RE.search(self.t, max(0, start - 8), start)
            if split is not None and (int(split.group("y")) + 1) % 100 == year % 100:
                start = split.start()  # "较23/24年度": one crop year, named as a comparison base
            self._add_year_anchor(start, end, year, part)
        return end

    def _glued_year_before(self, start: int) -> _Atom | None:
        """The year date ("2024年", "今年" is read by the caller) written right before ``start``."""
        prev = self.atoms[-1] if self.atoms else None
        if (
            prev is not None
            and prev.kind is Kind.DATE
            and prev.date is not None
            and prev.date.month is None
            and not self.t[prev.end : start].strip(" \t")
        ):
            return prev
        return None

    def _link_dates(self, first: _Atom, second: _Atom, kind: str) -> None:
        """Two dates of one range or list: "1-8月" (range), "8、9月份" (list)."""
        gid = self.next_group
        self.next_group += 1
        first.group = Group.model_construct(id=gid, kind=kind, index=0, size=2)
        second.group = Group.model_construct(id=gid, kind=kind, index=1, size=2)

    def _looks_back(self, start: int) -> bool:
        t = self.t
        return t[start - 1 : start] == "近" or t[max(0, start - 2) : start] in ("过去", "最近")

    def _lookback_months(self, start: int, end: int, months: int) -> int:
        """近一月 / 近3月 / 过去三月: a look-back window of that many months, not a month."""
        atom = _Atom(start, end, Kind.NUMBER, "zh", mantissa=Decimal(months), unit="months")
        atom.core_end = end
        self.atoms.append(atom)
        return end

    def _two_digit_year_context(self, start: int, end: int) -> bool:
        """Two digits before 年: "关于24年本地生活" is 2024, "过去10年"/"10年国债" are ten years.

        A length-of-time word before ("过去/近/长达/连续 24年") or after ("24年来/内/间/以上")
        makes it years. Otherwise a year needs a sign of being one: a period or month right
        after ("24年第一季度", "24年上半年"), a preposition of time right before ("关于/在/截至
        24年"), or a value of a recent year, 15–35 ("24年收入指引", "24年的目标"): earnings
        calls say "24年" for 2024 far more often than "24 years".
        """
        t = self.t
        if t[max(0, start - 4) : start].endswith(_DURATION_BEFORE):
            return False
        after = t[end : end + 3]
        if after[:1] in _DURATION_AFTER_CHARS or after.startswith(_DURATION_AFTER):
            return False
        if after.startswith(_YEAR_FOLLOWERS):
            return True
        if t[max(0, start - 2) : start].endswith(_YEAR_PREPOSITIONS):
            return True
        year = 2000 + int(t[start : start + 2])
        if self.doc_year is not None:
            return self.doc_year - 8 <= year <= self.doc_year + 5
        return 2015 <= year <= 2035

    def _zh_numeral_date(self, m: re.Match[str]) -> int | None:
        start, end = m.span()
        month = _zh_small_number(m.group("zc_m"))
        day = _zh_small_number(m.group("zc_d")) if m.group("zc_d") else None
        if month is None or not 1 <= month <= 12 or (day is not None and not 1 <= day <= 31):
            return None
        if day is None and self._looks_back(start):
            return self._lookback_months(start, end, month)
        self._date_atom(start, end, None, month, day, self._relative_year_before(start))
        return end

    def _en_date(self, m: re.Match[str]) -> int | None:
        start, end = m.span()
        month = _MONTH_NUMBER[m.group("ed_mon")[:3].lower()]
        day = int(m.group("ed_day")) if m.group("ed_day") else None
        year_txt = m.group("ed_year") or m.group("ed_year2")
        year = int(year_txt) if year_txt else None
        if year is None and m.group("ed_mon").islower():
            return None  # headline style "march 31, 2021" needs its year: "may 5" is a verb
        if day is not None and not 1 <= day <= 31:
            return end
        self._date_atom(start, end, year, month, day)
        last = self.anchors[-1] if self.anchors else None
        if (
            year is not None
            and last is not None
            and last.year is None
            and last.relative is None
            and _ENDED_GAP_RE.fullmatch(self.t, last.end, start)
        ):
            last.year = year  # "the nine months ended September 30, 2021" is 9M 2021
        return end

    def _iso_date(self, m: re.Match[str]) -> int:
        start, end = m.span()
        month, day = int(m.group("iso_m")), int(m.group("iso_d"))
        if self.t[end : end + 1].isdigit() or _SIGNED_DIGIT_RE.match(self.t, end):
            table_end = self._glued_table(start)
            if table_end is not None:
                return table_end
        if 1 <= month <= 12 and 1 <= day <= 31:
            self._date_atom(start, end, int(m.group("iso_y")), month, day)
        return end

    def _glued_table(self, start: int) -> int | None:
        """A table whose cells lost their separators in extraction, each row a zero-padded
        date and its values: "日期当日涨跌幅(%)换手率(%)主力资金净流入(万元)2025.05.145.062.12468.47
        2025.05.135.018.181512.23…". Every value of such a table has the same number of
        decimals, so the rows cut uniquely: 5.06 | 2.12 | 468.47. Read only when at least two
        rows cut into the same number of cells for exactly one decimal count, and a header
        right before the first row names as many columns, each with its unit in brackets;
        each cell is a `Group` of kind "table" (column index, header span). Returns the end
        of the table, or None to read the text as before."""
        t = self.t
        run = _GLUED_RUN_RE.match(t, start)
        if run is None:
            return None
        rows = list(_GLUED_ROW_RE.finditer(t, start, run.end()))
        if len(rows) < 2 or rows[0].start() != start:
            return None
        bodies = [
            (row.end(), rows[i + 1].start() if i + 1 < len(rows) else run.end())
            for i, row in enumerate(rows)
        ]
        cuts: list[list[tuple[int, int]]] | None = None
        for decimals in range(1, 5):
            cut = [_cut_cells(t, lo, hi, decimals) for lo, hi in bodies]
            sizes = {len(c) if c is not None else 0 for c in cut}
            if len(sizes) == 1 and 0 not in sizes:
                if cuts is not None:
                    return None  # two decimal counts cut the rows: ambiguous
                cuts = [c for c in cut if c is not None]
        if cuts is None:
            return None
        header = self._table_header(start, len(cuts[0]))
        if header is None:
            return None
        gid = self.next_group
        self.next_group += 1
        for row, cells in zip(rows, cuts, strict=True):
            year, month, day = (int(row.group(k)) for k in ("y", "m", "d"))
            if not (1 <= month <= 12 and 1 <= day <= 31):
                return None
            self._date_atom(row.start(), row.end(), year, month, day)
            for column, (lo, hi) in enumerate(cells):
                name, unit_text = header[column]
                sign = t[lo] == "-"
                int_part, frac = t[lo + sign : hi].split(".")
                mantissa, precision = read_arabic(int_part, frac)
                atom = _Atom(
                    lo,
                    hi,
                    Kind.NUMBER,
                    "zh",
                    mantissa=-mantissa if sign else mantissa,
                    mant_precision=precision,
                )
                atom.scale, atom.unit = _header_unit(unit_text)
                basis = _BASIS_RE.search(self.low, *name)
                atom.basis = Basis(_BASIS[_key(basis.group())]) if basis else None
                atom.core_end = hi
                atom.digits = len(int_part) + len(frac)
                atom.group = Group.model_construct(
                    id=gid, kind="table", index=column, size=len(header), header=name
                )
                self.atoms.append(atom)
        return run.end()

    def _table_header(self, start: int, columns: int) -> list[tuple[tuple[int, int], str]] | None:
        """The column names and units written right before a glued table: "…日期当日涨跌幅(%)
        换手率(%)主力资金净流入(万元)" → [(span of 当日涨跌幅, "%"), (换手率, "%"), (主力资金净流入,
        "万元")]. The first name starts after a date column's name (日期/时间) when there is one."""
        t = self.t
        floor = max(0, start - 40 * columns)
        stop = _HEADER_STOP_RE.search(t[floor:start][::-1])
        if stop is not None:
            floor = start - stop.start()
        cells = list(_HEADER_CELL_RE.finditer(t, floor, start))
        if len(cells) < columns:
            return None
        found: list[tuple[tuple[int, int], str]] = []
        pos = start
        for cell in reversed(cells[-columns:]):
            if cell.end() != pos:
                return None  # words between two columns: not a header
            name_start, name_end = cell.span("name")
            date_column = _DATE_COLUMN_RE.match(t, name_start, name_end)
            if date_column is not None:
                name_start = date_column.end()
            if name_start >= name_end:
                return None
            found.append(((name_start, name_end), cell.group("unit")))
            pos = cell.start()
        found.reverse()
        return found

    def _period_word(self, m: re.Match[str]) -> int:
        start, end = m.span()
        key = _key(m.group())
        if key in _RELATIVE_YEARS:
            if _MONTH_AFTER_RE.match(self.t, end):
                return end  # 去年12月18日: the year of that date, read by the date itself
            self._add_anchor(_Anchor(start, end, relative=_RELATIVE_YEARS[key]))
        else:
            self._add_anchor(_Anchor(start, end, part=_PERIOD_PARTS[key]))
        return end

    def _period_code(self, m: re.Match[str]) -> int:
        start, end = m.span()
        code = m.group("pc_q")
        if code:
            code = code.upper()
            part = ("Q" if "Q" in code else "H") + code.strip("QH")
            year_txt = m.group("pc_qy") or m.group("pc_qy2")
            group = "pc_qy" if m.group("pc_qy") else "pc_qy2"
        else:
            part = "FY"
            year_txt = m.group("pc_fyy")
            group = "pc_fyy"
            if year_txt is None and m.group("pc_fy") != "FY":
                return end
        year = None
        if year_txt:
            year = int(year_txt) if len(year_txt) == 4 else 2000 + int(year_txt)
            self._date_atom(m.start(group), m.end(group), year)
        self._add_anchor(_Anchor(start, end, year=year, part=part))
        return end

    # -- sentence finishing ------------------------------------------------------------------

    def _finish_sentence(self, end: int) -> None:
        """Read the context of the sentence's numbers once all its anchors are known."""
        atoms = self.atoms
        if atoms:
            numbers = [a for a in atoms if a.kind is Kind.NUMBER]
            several = len(numbers) > 1
            if several:
                if self._has_spaced_header(end):
                    self._spaced_table(numbers, end)
                numbers = self._merge_ranges(numbers)
                self._groups(numbers)
                if len(numbers) >= SERIES_MIN_ROWS and len(atoms) > len(numbers):
                    self._series(sorted(atoms, key=_BY_START))
            anchors = self._merge_anchors(self.anchors) if len(self.anchors) > 1 else self.anchors
            if not anchors and self.last_anchor is not None and self._continues():
                anchors = [self.last_anchor]
            prev_end = self.sentence_start
            self.sentence_end = end
            for i, atom in enumerate(numbers):
                next_start = numbers[i + 1].start if i + 1 < len(numbers) else end
                if atom.group is not None and atom.group.kind == "table":
                    prev_end = atom.core_end
                    continue  # a table cell's words are its column header (the verifier's)
                self._context(atom, prev_end, next_start)
                if anchors and atom.unit not in _DURATIONS:
                    atom.period = self._period_for(atom, anchors, next_start)
                prev_end = atom.core_end
            if several:
                self._propagate_groups(numbers)
                self._propagate_alternatives(numbers)
                self._respective_periods(numbers, anchors)
            if len(numbers) == len(atoms):
                self.out.extend(numbers)
            else:
                dates = [a for a in atoms if a.kind is Kind.DATE]
                self.out.extend(sorted(numbers + dates, key=_BY_START))
        own = [a for a in anchors if not a.compared] if atoms else []
        self.last_anchor = own[-1] if own else None
        self.atoms = []
        self.anchors = []
        self.sentence_start = end

    def _has_spaced_header(self, end: int) -> bool:
        """Whether the sentence writes two bracketed units side by side ("（股） （%）")."""
        return _SPACED_HEADER_RE.search(self.t, self.sentence_start, end) is not None

    def _spaced_table(self, numbers: list[_Atom], end: int) -> None:
        """A typeset table flattened to one line: "股份类别 持股数量（股） 持股比例（%）一、
        有限售条件股份 3,000,000 1.23二、无限售条件股份 240,000,000 98.77…", or with
        the units on a line of their own ("持股数量 持股比例号 （股） （%）2 上海静安…
        6,000,000 2.473 上海金兴… 3,000,000 1.234 金樟贤…"). Under a header of k
        bracketed units, a row is k bare numbers separated by spaces only; its i-th number
        takes the i-th unit. Rows numbered 1, 2, 3… lose the separator before the next row's
        number: "2.473 上海金兴贸易公司" is 2.47 and row 3. A row's last cell is cut only when
        its trailing digits are exactly the next row number (the one after the previous
        row's, or after the previous "N、" section number before "、"), so "2.473" stays
        whole wherever the numbering does not continue."""
        t = self.t
        headers = [
            (m.end(), [_header_unit(u) for u in _HEADER_UNIT_RE.findall(m.group())])
            for m in _SPACED_HEADER_RE.finditer(t, self.sentence_start, end)
        ]
        bare = [
            a
            for a in numbers
            if a.unit is None and a.scale is None and a.group is None and a.high is None
        ]
        row_number: int | None = None
        h = -1
        i = 0
        while i < len(bare):
            a = bare[i]
            while h + 1 < len(headers) and headers[h + 1][0] <= a.start:
                h += 1
                row_number = None
            if h < 0:
                i += 1
                continue
            units = headers[h][1]
            j = i + 1
            while j < len(bare) and t[bare[j - 1].end : bare[j].start].isspace():
                j += 1
            run = bare[i:j]
            after = t[run[-1].end : run[-1].end + 1]
            if len(run) == 1 and a.mant_precision == 1 and after.isspace() and a.mantissa > 0:
                row_number = int(a.mantissa)  # "2 上海静安…": the row's number
            elif len(run) == len(units):
                last = run[-1]
                expected: int | None = None
                if after == "、":
                    section = _SECTION_NUMBER_RE.findall(t, self.sentence_start, last.start)
                    expected = int(section[-1]) + 1 if section else None
                elif row_number is not None:
                    expected = row_number + 1
                cut = expected is not None and self._cut_row_number(last, str(expected))
                if cut and after != "、":
                    row_number = expected
                for cell, (scale, unit) in zip(run, units, strict=True):
                    cell.scale, cell.unit = scale, unit
            i = j

    def _cut_row_number(self, cell: _Atom, digits: str) -> bool:
        """Give back the next row's number glued to a cell ("2.473" → 2.47 when row 3 follows)."""
        text = self.t[cell.start : cell.end]
        dot = text.find(".")
        if dot < 0 or not text.endswith(digits) or len(text) - dot - 1 <= len(digits):
            return False
        kept = text[: -len(digits)]
        int_part, frac = kept.lstrip("+-").split(".")
        mantissa, precision = read_arabic(int_part, frac)
        cell.mantissa = -mantissa if kept.startswith("-") else mantissa
        cell.mant_precision = precision
        cell.end = cell.core_end = cell.end - len(digits)
        cell.digits = len(int_part) + len(frac)
        return True

    def _series(self, atoms: list[_Atom]) -> None:
        """A time series written out as text, "中国PPI生产资料环比(月)(%)：2025年4月为-0.5%，
        2025年3月为-0.4%，2025年2月为-0.2%…": at least SERIES_MIN_ROWS months or days, each
        followed by its value ("为", "：" or nothing between), separated by commas. It is a
        one-column table: each value becomes a "table" cell whose header is the clause before
        the first date (the metric is named once, far from most rows)."""
        t = self.t
        i = 0
        periods: dict[int, Period | None] = {}  # a quarter's row: its period, read here
        while i < len(atoms):
            rows: list[_Atom] = []
            j = i
            while j + 1 < len(atoms):
                d, n = atoms[j], atoms[j + 1]
                if not (
                    d.kind is Kind.DATE
                    and d.date is not None
                    and d.group is None
                    and n.kind is Kind.NUMBER
                    and n.group is None
                    and n.high is None
                    and (
                        (d.date.month is not None and _SERIES_IS_RE.fullmatch(t, d.end, n.start))
                        or (  # "2020一季度为-12.5%": a quarter's row
                            d.date.month is None
                            and d.date.year is not None
                            and _SERIES_QUARTER_IS_RE.fullmatch(t, d.end, n.start)
                        )
                    )
                    and (not rows or _SERIES_SEP_RE.fullmatch(t, atoms[j - 1].end, d.start))
                    and (not rows or n.unit == rows[0].unit)
                ):
                    break
                rows.append(n)
                quarter = _SERIES_QUARTER_IS_RE.fullmatch(t, d.end, n.start)
                if d.date.month is None and quarter is not None:
                    part = _PERIOD_PARTS.get(_key(quarter.group("part")))
                    periods[id(n)] = _period(d.date.year, part, None)
                j += 2
            if len(rows) >= SERIES_MIN_ROWS:
                header = self._series_header(atoms[i].start)
                if header is not None:
                    gid = self.next_group
                    self.next_group += 1
                    basis = _BASIS_RE.search(self.low, *header)
                    for n in rows:
                        n.group = Group.model_construct(
                            id=gid, kind="table", index=0, size=1, header=header
                        )
                        n.role = None
                        n.basis = Basis(_BASIS[_key(basis.group())]) if basis else None
                        if id(n) in periods:
                            n.period = periods[id(n)]
                i = j
            else:
                i += 1

    def _series_header(self, start: int) -> tuple[int, int] | None:
        """The clause before a series' first date: "中国PPI生产资料环比(月)(%)" of
        "文章内容：中国PPI生产资料环比(月)(%)：2025年4月为-0.5%"."""
        t = self.t
        lo = max(self.sentence_start, start - SERIES_HEADER_CHARS)
        end = start
        while end > lo and t[end - 1] in " \t:：,，":
            end -= 1
        stop = _SERIES_HEADER_STOP_RE.search(t[lo:end][::-1])
        begin = end - stop.start() if stop is not None else lo
        while begin < end and t[begin] == " ":
            begin += 1
        return (begin, end) if end - begin >= 2 else None

    def _respective_periods(self, numbers: list[_Atom], anchors: list[_Anchor]) -> None:
        """A list of values that goes with a list of periods takes them one by one:
        "2024-2026年的净利润至97亿元、102亿元、113亿元，同比增速分别为-1.4%、5.6%、10.8%"
        (2024, 2025, 2026 for each list), "2024年和2025年净利润分别为3亿元和4亿元", "$2.22 and
        $0.51 for full year 2020 and the fourth quarter respectively". The periods are a year
        range or list written before the values with no other period between, or exactly as
        many period anchors as values joined by "and"/和/commas right before or after them."""
        groups: dict[int, list[_Atom]] = {}
        for atom in numbers:
            if atom.group is not None and atom.group.kind in ("respectively", "list"):
                groups.setdefault(atom.group.id, []).append(atom)
        if not groups:
            return
        t = self.t
        starts = [a.start for a in anchors]  # in text order: found by bisection, not by scans
        said: tuple[int, list[int]] | None = None  # the last year range or list: end, years
        for members in groups.values():
            n = len(members)
            first, last = members[0], members[-1]
            # "同环比分别+46.5%/+56.1%", "同比、环比分别增长10%和5%": one basis each
            lead = t[max(self.sentence_start, first.start - 12) : first.start]
            bases = _RESPECTIVE_BASIS_RE.findall(lead)
            if len(bases) == n and len(set(bases)) == n and "分别" in lead:
                for atom, word in zip(members, bases, strict=True):
                    atom.basis = Basis.YOY if word.startswith("同") else Basis.QOQ
            periods: list[Period] | None = None
            window = max(self.sentence_start, first.start - RESPECTIVE_YEARS_CHARS)
            spans = list(_YEAR_SPAN_RE.finditer(t, window, first.start))
            if spans:
                said = (spans[-1].end(), _years_of(spans[-1].group()))
            # a later list of the same sentence takes the same years: "…同比增速分别为-1.4%、…"
            between = bisect_left(starts, said[0]) if said is not None else len(starts)
            if (
                said is not None
                and len(said[1]) == n
                and not (between < len(starts) and starts[between] < first.start)
            ):
                periods = [_period(y, None, None) for y in said[1]]
            respectively = members[0].group is not None and members[0].group.kind == "respectively"
            if periods is None and respectively:
                after_at = bisect_left(starts, last.end)
                before_at = bisect_left(starts, first.start)
                while before_at > 0 and anchors[before_at - 1].end > first.start:
                    before_at -= 1
                after = anchors[after_at : after_at + n]
                before = anchors[max(0, before_at - n) : before_at]
                for chosen in (after, before):
                    if len(chosen) == n and all(
                        _PERIOD_LIST_GAP_RE.fullmatch(self.low, a.end, b.start)
                        for a, b in itertools.pairwise(chosen)
                    ):
                        periods = [_period(a.year, a.part, a.relative) for a in chosen]
                        break
            if periods is None:
                continue
            for atom, period in zip(members, periods, strict=True):
                if period.year is None and period.relative_year is not None and self.doc_year:
                    period = _period(self.doc_year + period.relative_year, period.part, None)
                atom.period = period

    def _continues(self) -> bool:
        """Does this sentence continue the previous one without a subject of its own?

        "第一季度收入166.5亿。同比增长27.4%": a sentence that opens with a comparison or
        change word ("同比", "环比", "增长", "year-over-year") reports the same thing, so it
        keeps the previous sentence's period. A line break (a new speaker turn) ends that.
        """
        start = self.sentence_start
        if start == 0 or self.t[start - 1] == "\n":
            return False
        return _CONTINUATION_RE.match(self.low, start, start + 24) is not None

    def _merge_ranges(self, numbers: list[_Atom]) -> list[_Atom]:
        """Join "2.85 to 3.10", "$2.85-$3.10", "10%-15%", "2至3倍" into one atom with a high end."""
        t = self.t
        out: list[_Atom] = []
        i = 0
        while i < len(numbers):
            a = numbers[i]
            if i + 1 < len(numbers) and a.high is None:
                b = numbers[i + 1]
                gap = _RANGE_GAP_RE.fullmatch(t, a.core_end, b.start)
                if gap and self._joins_as_range(a, b, gap.group().strip().lower()):
                    out.append(self._range(a, b))
                    i += 2
                    continue
            out.append(a)
            i += 1
        return out

    def _joins_as_range(self, a: _Atom, b: _Atom, connector: str) -> bool:
        t = self.t
        window = t[max(0, a.start - 10) : a.start]
        if connector in ("and", "&"):
            return _BETWEEN_RE.search(window) is not None
        if _FROM_RE.search(window) and not _RANGE_FROM_RE.search(t[max(0, a.start - 24) : a.start]):
            return False  # "from 10% to 15%": a change, not a range ("range from" is a range)
        if a.unit is not None and _BY_RE.search(window):
            return False  # "improved by 6 days to 58 days" (but "by 50 to 100 basis points")
        unit_a = a.unit
        unit_b = b.unit
        if unit_a is not None and unit_b is not None and unit_a != unit_b:
            return False
        if a.scale is not None and b.scale is not None and a.scale != b.scale:
            # "1亿至1.5亿" is fine (equal scales); "5亿至10万" is not a range.
            return abs(a.scale - b.scale) <= 3
        return a.mantissa >= 0 and b.mantissa >= 0

    def _range(self, a: _Atom, b: _Atom) -> _Atom:
        scale = a.scale if a.scale is not None else b.scale
        unit = a.unit or b.unit
        high_scale = b.scale if b.scale is not None else scale
        lo = shift(a.mantissa, _unit_shift(unit) + (scale or 0))
        hi = shift(b.mantissa, _unit_shift(unit) + (high_scale or 0))
        lo_p = a.mant_precision.scaleb(_unit_shift(unit) + (scale or 0))
        hi_p = b.mant_precision.scaleb(_unit_shift(unit) + (high_scale or 0))
        if unit == "bp":
            lo, hi = _trim(lo), _trim(hi)
        if hi < lo:
            lo, hi, lo_p, hi_p = hi, lo, hi_p, lo_p
        merged = _Atom(
            a.start,
            b.end,
            Kind.NUMBER,
            a.lang,
            mantissa=lo,
            mant_precision=min(lo_p, hi_p),
            scale=0,
            unit="pp" if unit == "bp" else unit,
            per=b.per or a.per,
            qualifier=Qualifier.RANGE,
            high=hi,
        )
        merged.core_end = b.core_end
        return merged

    def _groups(self, numbers: list[_Atom]) -> None:
        """Link "19%和38%" / "19%, 25% and 38%" into a list; 分别/respectively pairs them."""
        t = self.t
        i = 0
        while i < len(numbers):
            j = i
            joined_by_and = False
            while j + 1 < len(numbers):
                a, b = numbers[j], numbers[j + 1]
                gap = _LIST_GAP_RE.fullmatch(t, a.end, b.start)
                if gap is None or not (gap.group("sep") or gap.group("and")):
                    break
                if (
                    a.unit != b.unit
                    or a.qualifier is Qualifier.RANGE
                    or b.qualifier is Qualifier.RANGE
                ):
                    break
                joined_by_and = joined_by_and or bool(gap.group("and")) or gap.group("sep") == "、"
                j += 1
            if j > i:
                members = numbers[i : j + 1]
                first = members[0]
                clause = t[max(self.sentence_start, first.start - 24) : first.start]
                respectively = "分别" in clause or bool(
                    _RESPECTIVELY_AFTER_RE.match(t, members[-1].end)
                )  # "分别增长19%和38%", "grew 19% and 38%, respectively"
                if respectively or joined_by_and:
                    kind = "respectively" if respectively else "list"
                    gid = self.next_group
                    self.next_group += 1
                    for index, atom in enumerate(members):
                        atom.group = Group.model_construct(
                            id=gid, kind=kind, index=index, size=len(members)
                        )
            i = j + 1

    def _propagate_groups(self, numbers: list[_Atom]) -> None:
        """Members of a list share the role and basis said once: 同比分别增长19%和38%,
        "an 11% and 31% increase respectively"."""
        members: dict[int, list[_Atom]] = {}
        for atom in numbers:
            if atom.group is not None:
                members.setdefault(atom.group.id, []).append(atom)
        for group in members.values():
            role = next((a.role for a in group if a.role is not None), None)
            basis = next((a.basis for a in group if a.basis is not None), None)
            per = next((a.per for a in group if a.per is not None), None)
            for a in group:
                a.role = a.role or role
                a.basis = a.basis or basis
                a.per = a.per or per

    def _propagate_alternatives(self, numbers: list[_Atom]) -> None:
        """ "down 25.8% or $142.8 million": one change said two ways shares role and basis."""
        t = self.t
        for a, b in itertools.pairwise(numbers):
            if (
                a.unit == b.unit
                and b.role is None
                and a.role in (Role.GROWTH, Role.DECLINE)
                and _AND_AFTER_BASIS_RE.fullmatch(self.low, a.end, b.start)
            ):
                b.role = a.role  # "up 12% year-over-year and 3% sequentially"
                continue
            if a.unit == b.unit or not _OR_GAP_RE.fullmatch(t, a.end, b.start):
                continue
            for x, y in ((a, b), (b, a)):
                if x.role in (Role.GROWTH, Role.DECLINE) and y.role is None:
                    y.role = x.role
                if x.role in (Role.GROWTH, Role.DECLINE) and y.basis is None:
                    y.basis = x.basis

    def _context(self, atom: _Atom, prev_end: int, next_start: int) -> None:
        """Qualifier, role and basis from the words of the atom's clause.

        The text before the number is read backwards (nearest word first) up to the clause
        start; the text after it up to the clause end (basis) or the next number (role).
        """
        t = self.t
        lo = max(self.sentence_start, atom.start - 48)
        back = self.low[lo : atom.start][::-1]
        br = _BACK_CLAUSE_BREAK.search(back)
        clause_len = br.start() if br else len(back)
        hi = min(len(t), atom.core_end + 64)
        br_after = _CLAUSE_BREAK_RE.search(t, atom.core_end, hi)
        clause_end = br_after.start() if br_after else hi
        # Qualifier right before the number (after the currency sign, if any).
        limit = min(clause_len, 24)
        q = _BACK_QUALIFIER.match(back, 0, limit)
        if atom.qualifier is Qualifier.EXACT:
            if q:
                word = _key(q.group("w")[::-1])
                if not (word == "近" and atom.unit in _DURATIONS):
                    atom.qualifier = Qualifier(_QUAL_BEFORE[word])  # not 近3日: last 3 days
            elif "占约" in back[:clause_len] and _BACK_ABOUT_SHARE.match(back, 0, clause_len):
                atom.qualifier = Qualifier.ABOUT  # 约占总股本的1.7%
        if atom.unit in _DURATIONS:
            # 三年, 24小时: a length of time has no role or basis, unless a change or level
            # word stands right before it ("缩短了7天", "fell by 6 days to 58 days").
            r = _DURATION_ROLE_RE.match(back, 0, min(clause_len, max(0, atom.start - prev_end)))
            if r is not None:
                word = _unreverse_group(r, "w")
                name = _ROLES[word]
                to_after_number = (
                    word == "to"
                    and prev_end > self.sentence_start
                    and self.low[prev_end : atom.start].strip() == "to"
                )  # "by 6 days to 58 days", but not "three to five years"
                if name in ("growth", "decline", "level") or word == "为" or to_after_number:
                    atom.role = Role.LEVEL if name == "weak_level" else Role(name)
            return
        left_len = min(clause_len, max(0, atom.start - prev_end))
        right_end = min(clause_end, max(next_start, atom.core_end), atom.core_end + 32)
        skip = q.end() if q is not None and q.end() <= left_len else 0
        # 约为35%: the 为 between qualifier and number says "is", as a bare 为 would.
        is_word = q is not None and skip > 0 and "为" in back[: q.start("w")]
        role = self._role(atom, back, skip, left_len, right_end, is_word=is_word)
        if role is not None:
            atom.role = Role(role)
        elif t[atom.start] == "+" and atom.kind is Kind.NUMBER:
            atom.role = Role.GROWTH  # "（+3.0%）", "+4.5pcts": a written plus sign is a change
        # Basis: nearest before in the clause, else the first after the number, unless the
        # number is a level ("$410 million were down 25.8% year-over-year": the change is).
        b_next = (
            _BASIS_NEXT_RE.match(self.low, atom.core_end, clause_end)
            if atom.role not in (Role.LEVEL, Role.SHARE)
            and self.low[atom.core_end : atom.core_end + 1] in _BASIS_NEXT_FIRST
            else None
        )
        b = None if b_next else _BACK_BASIS.search(back, 0, clause_len)
        if b_next:  # "up 12% year-over-year and 3% sequentially": its own word wins
            atom.basis = Basis(_BASIS[_key(b_next.group("b"))])
        elif b:
            atom.basis = Basis(_BASIS[_unreverse(b)])
        elif atom.role not in (Role.LEVEL, Role.SHARE):
            b2 = _BASIS_RE.search(self.low, atom.core_end, clause_end)
            if b2:
                atom.basis = Basis(_BASIS[_key(b2.group())])

    def _role(
        self,
        atom: _Atom,
        back: str,
        skip: int,
        left_len: int,
        right_end: int,
        *,
        is_word: bool = False,
    ) -> str | None:
        """What the number measures, from the words around it (see units.toml [*.roles]).

        Order: "from X" is a level; a role word before the number (nearest first) unless a
        plain "is"-word (为, was, of) stands between it and the number; a role noun right
        after it ("a 7.5% decline", "27%的增长", "5% of total"); else an "is"-word → level.
        A role word right before the "is"-word keeps its role: "渗透率为34%" is a share.
        """
        weak_at = weak_end = -1
        weak_word = ""
        strong: str | None = None
        strong_at = -1
        for r in _BACK_ROLE.finditer(back, skip, max(skip, left_len)):
            name = _ROLES[_unreverse(r)]
            if name == "not_role":
                break  # "up to" is a bound, "than" a comparison: words beyond do not apply
            if name == "skip":
                continue  # "in a range of"
            if name == "weak_level":
                if weak_at < 0:
                    weak_at, weak_end, weak_word = r.start(), r.end(), _unreverse(r)
                continue
            strong, strong_at = name, r.start()
            break
        adjacent = weak_at >= 0 and _only_qualifiers(back[skip:weak_at])
        if is_word and not adjacent:
            adjacent, weak_at, weak_end = True, skip, skip
        if adjacent and weak_word in ("from", "从", "由"):
            return "level"  # "from 2.5% to 4%"
        if strong is not None and (not adjacent or strong_at - weak_end <= 2):
            return strong
        after = self._role_after(atom, right_end)
        if after is not None:
            return after
        return "level" if adjacent else None

    def _role_after(self, atom: _Atom, right_end: int) -> str | None:
        text = self.low[atom.core_end : right_end]
        if atom.unit == "%" and _PERCENT_OF_RE.match(text):
            return "share"  # "5% of our shares outstanding"
        r = _ROLE_AFTER_RE.search(text)
        if r is None:
            return None
        gap = text[: r.start()]
        if "、" in gap or len(gap.split()) > 2 or any(w in _AUXILIARIES for w in gap.split()):
            return None  # "$410.3 million were down": the verb is the sentence's, not a noun
        return _ROLES_AFTER[_key(r.group())]

    def _merge_anchors(self, anchors: list[_Anchor]) -> list[_Anchor]:
        """Join "2024年第一季度", "first quarter of 2021", "去年第一季度" into one anchor."""
        out: list[_Anchor] = []
        for a in anchors:
            if out:
                p = out[-1]
                gap = self.t[p.end : a.start]
                if len(gap) <= 12 and _ANCHOR_GAP_RE.fullmatch(gap):
                    p_has_year = p.year is not None or p.relative is not None
                    a_has_year = a.year is not None or a.relative is not None
                    year_src = p if p_has_year else a
                    part_src = a if p_has_year else p
                    # "the third quarter of fiscal year 2021": a quarter of that fiscal year
                    of_fiscal = year_src.part == "FY" and part_src.part not in (None, "FY")
                    if p_has_year != a_has_year and (p.part is None or a.part is None or of_fiscal):
                        out[-1] = _Anchor(
                            p.start,
                            a.end,
                            year=year_src.year,
                            part=part_src.part,
                            relative=year_src.relative,
                            compared=p.compared or a.compared,
                        )
                        continue
            out.append(a)
        # A part without a year borrows the year of an earlier anchor in the sentence.
        year: _Anchor | None = None
        for i, a in enumerate(out):
            if a.year is not None or a.relative is not None:
                year = a
            elif year is not None and a.part is not None:
                out[i] = _Anchor(a.start, a.end, year.year, a.part, year.relative, a.compared)
        return out

    def _period_for(self, atom: _Atom, anchors: list[_Anchor], next_start: int) -> Period | None:
        """The period anchor of a number within its sentence.

        First an anchor right after it in the same clause with no other number between
        ("$45 million in fiscal '23", "1,434 million shares for the full year 2021"), then the
        nearest anchor before it ("第一季度收入166.5亿"), then the nearest after it with no
        other number between.
        """
        t = self.t
        before: _Anchor | None = None
        after: _Anchor | None = None
        for a in anchors:
            if a.end <= atom.start:
                if not a.compared:
                    before = a
            elif a.start >= atom.core_end:
                if a.start <= next_start:
                    after = a
                break
        chosen = before
        same_clause = after is not None and not _CLAUSE_BREAK_RE.search(
            t, atom.core_end, after.start
        )
        if before is not None and _ANCHOR_IS_RE.fullmatch(t, before.end, atom.start):
            same_clause = False  # "其中上半年为25.2%、第三季度为13.8%": 25.2% is the half year's
            after = None
        if (
            not same_clause
            and after is not None
            and next_start < self.sentence_end
            and not _CLAUSE_BREAK_RE.search(t, after.end, next_start)
        ):
            after = None  # "每股收益为0.83元，去年同期为0.41元": 去年同期 is the next number's
        if same_clause or chosen is None:
            if (
                same_clause
                and after is not None
                and before is not None
                and before.year is None
                and before.relative is None
                and before.part not in (None, "FY")
                and after.year is not None
                and after.part in (None, "FY")
                and _FISCAL_NAME_RE.match(t, after.start)
                and not _CLAUSE_BREAK_RE.search(t, before.end, atom.start)
            ):
                # "Third quarter sales were $295.3 million in fiscal year '21": that quarter
                # of that fiscal year
                return _period(after.year, before.part, None)
            chosen = after
        if chosen is None:
            return None
        year = chosen.year
        if year is None and chosen.relative is not None and self.doc_year is not None:
            year = self.doc_year + chosen.relative
        return _period(year, chosen.part, chosen.relative)

    # -- output ------------------------------------------------------------------------------

    def _to_quantity(self, a: _Atom) -> Quantity:
        norm = self.norm
        if norm.repair_count:
            start, end = norm.span_to_original(a.start, a.end)
            repaired = norm.is_repaired(a.start, a.end)
        else:
            start, end, repaired = a.start, a.end, False
        group = a.group
        if group is not None and group.header is not None and norm.repair_count:
            header = norm.span_to_original(*group.header)
            group = group.model_copy(update={"header": header})
        if a.kind is Kind.DATE:
            value = a.mantissa
            precision = _ONE
            unit = None
        elif a.qualifier is Qualifier.RANGE:
            value, precision, unit = a.mantissa, a.mant_precision, a.unit
        else:
            places = a.scale or 0
            unit = a.unit
            if unit == "bp":  # 400 basis points → 4 percentage points
                unit = "pp"
                value = _trim(shift(a.mantissa, places - 2))
                precision = a.mant_precision.scaleb(places - 2)
            else:
                value = _scaled(a, places)
                precision = a.mant_precision.scaleb(places) if places else a.mant_precision
        return _quantity(
            {
                "kind": a.kind,
                "value": value,
                "value_high": a.high,
                "precision": precision,
                "unit": unit,
                "per": a.per,
                "qualifier": a.qualifier,
                "role": a.role,
                "basis": a.basis,
                "period": a.period,
                "date": a.date,
                "group": group,
                "lang": a.lang,
                "span": (start, end),
                "text": norm.original[start:end],
                "repaired": repaired,
            }
        )


def _is_decade(tens: str, band: re.Match[str]) -> bool:
    """Whether "mid 20%" names a band of a decade (20, 30…), the bands in rising order."""
    first, last = band.group("from") or band.group("band"), band.group("band")
    return len(tens) == 2 and tens[1] == "0" and _BANDS[first] <= _BANDS[last]


def _years_of(span: str) -> list[int]:
    """The years a year range or list names: "2024-2026年" → [2024, 2025, 2026], "2024-26年"
    the same, "2024/2025年" → [2024, 2025]; [] when a range runs backwards or over 10 years."""
    found = [int(y) for y in re.findall(r"[0-9]{2,4}", span)]
    if re.search(r"[-—–~～至到]", span) and len(found) == 2:
        low, high = found
        if high < 100:
            high += low // 100 * 100
        return list(range(low, high + 1)) if 0 < high - low <= 10 else []
    full = [y if y >= 100 else 2000 + y for y in found]
    return full if all(a < b for a, b in itertools.pairwise(full)) else []


def _cut_cells(t: str, lo: int, hi: int, decimals: int) -> list[tuple[int, int]] | None:
    """Cut t[lo:hi] into numbers of exactly ``decimals`` decimals each ("5.062.12468.47" →
    5.06, 2.12, 468.47 for two), or None when it does not cut that way."""
    cells: list[tuple[int, int]] = []
    i = lo
    while i < hi:
        j = i + 1 if t[i] == "-" else i
        dot = t.find(".", j, hi)
        if dot <= j or not t[j:dot].isdigit() or (dot - j > 1 and t[j] == "0"):
            return None
        end = dot + 1 + decimals
        if end > hi or not t[dot + 1 : end].isdigit():
            return None
        cells.append((i, end))
        i = end
    return cells or None


def _header_unit(text: str) -> tuple[int | None, str | None]:
    """The scale and unit a table header writes in brackets: "%" → (None, "%"), "万元" →
    (4, "CNY"), "亿" → (8, None)."""
    m = _NUMBER_RE.fullmatch("1" + text)
    if m is None:
        return None, None
    scale_word = m.group("n_gscale") or m.group("n_scale")
    unit_word = m.group("n_unit")
    scale = _SCALES[_key(scale_word)] if scale_word else None
    unit = _UNITS[_key(unit_word.lstrip("-"))][1] if unit_word else None
    return scale, unit


_PUBLISHED_RE = re.compile(
    r"(?:发布|发表|发稿)(?:时间|日期)\s*[:：]?\s*\Z|(?i:published(?:\s+on)?|publication\s+date:?)\s*\Z"
)
# "（2000+4000）/2=3000万元": operands of arithmetic are amounts, not years
_ARITHMETIC_AFTER_RE = re.compile(r"[ \t]*[+×*÷=]")
_ARITHMETIC_BEFORE_RE = re.compile(r"[+×*÷=][ \t]*\Z")
_SPACED_SIGN_AFTER_RE = re.compile(r"(?:为|是|[:：]|至|达)[ \t]*\Z")
_RESPECTIVE_BASIS_RE = re.compile(r"同比|环比|同(?=环)")
RESPECTIVE_YEARS_CHARS = 40
_YEAR_SPAN_RE = re.compile(
    r"(?<![0-9])(?:19|20)[0-9]{2}[ \t]*(?:年[ \t]*)?(?:(?:[-—–~～至到][ \t]*(?:(?:19|20)?[0-9]{2}))"
    r"|(?:(?:[/、,，]|和|及|与|以及)[ \t]*(?:19|20)[0-9]{2}[ \t]*年?[ \t]*)+)[ \t]*年?(?![0-9])"
)
_PERIOD_LIST_GAP_RE = re.compile(r"[ \t]*(?:,|，|、|和|及|与|(?:and|&))?[ \t]*(?:the[ \t]+)?")
SERIES_MIN_ROWS = 3
SERIES_HEADER_CHARS = 40
_SERIES_IS_RE = re.compile(r"[ \t]*(?:为|是|[:：])?[ \t]*")
_SERIES_QUARTER_IS_RE = re.compile(
    r"[ \t]*年?[ \t]*(?P<part>第?[一二三四1-4]季度|[上下]半年|前三季度)[ \t]*(?:为|是|[:：])?[ \t]*"
)
_SERIES_SEP_RE = re.compile(r"[ \t]*[,，、;；][ \t]*")
_SERIES_HEADER_STOP_RE = re.compile(r"[。；;！？!?\n:：,，]")
_GLUED_RUN_RE = re.compile(r"[0-9.\-]+")
_GLUED_ROW_RE = re.compile(
    r"(?P<y>(?:19|20)[0-9]{2})(?P<sep>[./-])(?P<m>[01][0-9])(?P=sep)(?P<d>[0-3][0-9])"
)
_SIGNED_DIGIT_RE = re.compile(r"-[0-9]")
_HEADER_CELL_RE = re.compile(
    r"(?P<name>[^()（）0-9%.。，,；;：:\s]{1,16})[(（](?P<unit>[^()（）\s]{1,4})[)）]"
)
# Two or more bracketed units side by side, each after its column's name or not: "持股数量（股）
# 持股比例（%）", "持股比例号 （股） （%）" — the header of a typeset table (`_spaced_table`).
_TABLE_UNIT = r"[(（](?:%|％|股|元|万元|亿元|万股|亿股|万|亿|倍|家|人)[)）]"
_SPACED_HEADER_RE = re.compile(
    rf"(?:{_TABLE_UNIT}[ \t]*[^()（）0-9\s。；;，,]{{0,12}}[ \t]*)+{_TABLE_UNIT}"
)
_HEADER_UNIT_RE = re.compile(r"[(（]([^()（）]+)[)）]")
# The first half of a split (crop or fiscal) year "2024/25年度", "23/24 年度" before its second.
_SPLIT_YEAR_BEFORE_RE = re.compile(r"(?<![0-9])(?:19|20)?(?P<y>[0-9]{2}) ?/ ?\Z")
# "compared to $51.7 billion in the first quarter of 2020", "up from 45% in 2019": the period
# of a comparison value, not of the sentence's own figures.
_COMPARED_AMOUNT_BEFORE_RE = re.compile(
    r"\b(?:compared (?:to|with)|versus|vs\.?|from)[ \t]+(?:approximately |about )?"
    r"\$?[0-9][0-9.,]*(?:[ \t]?(?:billion|million|thousand|%|percent))?"
    r"[ \t]+(?:in|for|during)[ \t]+(?:the[ \t]+)?\Z"
)
_ANCHOR_IS_RE = re.compile(r"[ \t]*(?:为|是|[:：])[ \t]*")
_FISCAL_NAME_RE = re.compile(r"(?i:fiscal\b|fy)")
_CENTS_AFTER_RE = re.compile(r"[ \t]?(?:¢|cents?(?![a-z]))")
_SECTION_NUMBER_RE = re.compile(r"(?<![0-9.])([0-9]{1,2})、")
_HEADER_STOP_RE = re.compile(r"[。；;！？!?\n：:]")
_DATE_COLUMN_RE = re.compile(r".*(?:日期|时间|交易日)", re.DOTALL)


_YEAR_FOLLOWERS = (
    "第",
    "一季",
    "二季",
    "三季",
    "四季",
    "上半",
    "下半",
    "全年",
    "前三",
    "Q",
    "H",
    "年底",
    "年初",
)
# Words that make "N年" a length of time, not a year (see _two_digit_year_context).
_DURATION_BEFORE = (
    *("过去", "近", "长达", "为期", "连续", "超过", "历时", "经过", "了", "满", "逾", "约", "成立"),
    *("运营", "经营", "从业", "深耕", "坚持", "持续", "至少", "多达", "每", "第", "前", "未来"),
)
_DURATION_AFTER_CHARS = frozenset("来内间期以多左后前余半零整之")
_DURATION_AFTER = ("的时间", "的历史", "的经验", "国债", "期", "的发展")
_YEAR_PREPOSITIONS = ("关于", "在", "于", "截至", "截止", "从", "自", "到", "至", "是", "为")
_CURRENCY_LAST_CHARS = frozenset(
    w[-1] for t in (_ZH["currencies_before"], _EN["currencies_before"]) for w in t
) | frozenset(" \t")
_ONE = Decimal(1)
# First characters of what _PER_OR_QUALIFIER_AFTER_RE can match: skip the match otherwise.
_AFTER_FIRST_CHARS = frozenset(
    " \t"
    + "".join(w[0].lower() for t in (_ZH["per"], _EN["per"]) for w in t)
    + "".join(
        w[0].lower()
        for t in (_ZH["qualifiers_after"], _EN["qualifiers_after"])
        for words in t.values()
        for w in words
    )
)
_COMPARATIVE_LAST_CHARS = frozenset(" \t较比与")
_BY_START = attrgetter("start")
_NO_SIGN_BEFORE = frozenset("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz%)].")
_MONTH_AFTER_RE = re.compile(r"(?:[0-9]{1,2}|十[一二]?|[一二三四五六七八九])月")
_ANCHOR_GAP_RE = re.compile(r"[ \t]*(?:(?i:of|of\s+fiscal|,)[ \t]*)?(?:的)?")


def _scaled(a: _Atom, places: int) -> Decimal:
    """The mantissa times 10**places, written out ("166.5亿" → 16650000000, not 1.665E+10).

    Decimal's own scaleb/quantize are exact within the context's 28 digits and four times
    faster than rebuilding the digit tuple, which huge inputs (100,000 digits) still need.
    """
    if not places:
        return a.mantissa
    if a.digits + places > 28:
        return shift(a.mantissa, places)
    value = a.mantissa.scaleb(places)
    return value.quantize(_ONE) if places >= -a.mant_precision.adjusted() else value


def _trim(value: Decimal) -> Decimal:
    """4.00 → 4 after a basis-point conversion; 0.50 → 0.5 (precision says how exact it is)."""
    if value == value.to_integral_value():
        return shift(Decimal(int(value)), 0)
    return value.normalize()


def _is_cjk(ch: str) -> bool:
    return "\u3000" <= ch <= "\u9fff" or "\uff00" <= ch <= "\uffef"


def _only_qualifiers(back: str) -> bool:
    """True when a reversed gap holds nothing but spaces, 了 and qualifier words."""
    gap = back.strip(" \t了")
    return not gap or _BACK_QUALIFIER_WORD.fullmatch(gap) is not None


def _unit_shift(unit: str | None) -> int:
    """Basis points are stored as percentage points: 400 bp → 4 pp."""
    return -2 if unit == "bp" else 0


def _zh_small_number(text: str) -> int | None:
    """十二 → 12, 三十一 → 31, 六 → 6 (months and days only)."""
    if "十" not in text:
        return _ZH_DIGIT_VALUE.get(text)
    tens, _, ones = text.partition("十")
    t = _ZH_DIGIT_VALUE.get(tens, 0) if tens else 1
    o = _ZH_DIGIT_VALUE.get(ones, 0) if ones else 0
    return t * 10 + o


@lru_cache(maxsize=4096)
def _period(year: int | None, part: str | None, relative: int | None) -> Period:
    return Period.model_construct(year=year, part=part, relative_year=relative)


@lru_cache(maxsize=4096)
def _date_value(
    year: int | None, month: int | None, day: int | None, relative: int | None
) -> DateValue:
    return DateValue.model_construct(year=year, month=month, day=day, relative_year=relative)


def _quantity(fields: dict[str, Any]) -> Quantity:
    """Build a `Quantity` from every field, as this module computed them, without validation.

    Same result as ``Quantity.model_construct(**fields)`` (tests check that every quantity
    round-trips through validation unchanged) at a quarter of the cost: a long transcript yields
    tens of thousands of quantities, and construction was a fifth of extraction time.
    """
    q = Quantity.__new__(Quantity)
    _set(q, "__dict__", fields)
    _set(q, "__pydantic_fields_set__", set(fields))
    _set(q, "__pydantic_extra__", None)
    _set(q, "__pydantic_private__", None)
    return q


_set = object.__setattr__
