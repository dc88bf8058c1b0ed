"""Preparing a source (issue 6: CPU per document) uses patterns written so that the regex engine
can skip ahead to a possible first character; they find exactly what the plain definitions
find."""

from __future__ import annotations

import importlib
import random
import re
from pathlib import Path

import pytest

from toolkit import context
from toolkit import lexicon as lexicon_module
from toolkit.lexicon import load_lexicon
from toolkit.numbers import _guess_lang

SAMPLE = Path(__file__).parent.parent / "examples" / "kuaishou-2024q1-call.txt"
verify = importlib.import_module("toolkit.verify")  # the module, not the function of that name

# the definitions, as first written (a lookbehind or a branch before the character)
PLAIN_SENTENCE_END = re.compile(r"[。！？!?；;\n\r]|\.(?=\s|$)")
PLAIN_CLAUSE_END = re.compile(r"[，、：（）()\[\]【】\"“”]|,(?!\d{3})|(?<!\d),|(?<!\d):|:(?!\d)")
PLAIN_IDENTIFIER_DIGITS = re.compile(r"(?<![\d.])(?:\d{2,}(?:\.\d+)?|\d\.\d+)(?!\d|\.\d)")


def random_texts(alphabet: str, count: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    return ["".join(rng.choice(alphabet) for _ in range(rng.randint(0, 24))) for _ in range(count)]


def spans(pattern: re.Pattern[str], text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


def test_sentence_and_clause_ends_are_the_ones_the_plain_patterns_find() -> None:
    texts = [SAMPLE.read_text(encoding="utf-8"), "Revenue was $1,234.5 million. At 09:15, up 5%."]
    texts += random_texts("。！？!?；;\n\r. \ta1中,，、：:()“\u3000", 20000, seed=4)
    for text in texts:
        assert spans(context._SENTENCE_END, text) == spans(PLAIN_SENTENCE_END, text), text
        assert spans(context._CLAUSE_END, text) == spans(PLAIN_CLAUSE_END, text), text


def test_identifier_digit_strings_are_the_ones_the_plain_pattern_finds() -> None:
    texts = ["GPT4.0, 1750亿, 3.5 and 12.34.5, v2 .5"]
    texts += random_texts("0123456789..a 中-", 20000, seed=5)
    for text in texts:
        assert spans(verify._IDENTIFIER_DIGITS, text) == spans(PLAIN_IDENTIFIER_DIGITS, text)


def test_both_english_term_patterns_find_the_same_terms() -> None:
    lexicon = load_lexicon()
    terms = [t for t in lexicon._term_concept if t.isascii()]
    rng = random.Random(6)
    pieces = [*rng.sample(terms, 60), "s", "es", " ", "1", "a", "中", "-", ".", "x9", "\n"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 8))) for _ in range(5000)]
    texts.append(SAMPLE.read_text(encoding="utf-8").lower())
    for text in texts:
        assert spans(lexicon._ascii_sparse, text) == spans(lexicon._ascii, text), text


def test_find_gives_the_same_matches_whichever_pattern_it_picks(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    lexicon = load_lexicon()
    texts = [
        "Revenues grew 10%; operating income and Non-GAAP net income rose.",
        "营收Revenue增长，Non-GAAP净利润 net income 上升。GMV的提升",
        SAMPLE.read_text(encoding="utf-8"),
    ]
    found = {}
    for every in (10**9, 0):  # a space anywhere → the English pattern; never → the other one
        monkeypatch.setattr(lexicon_module, "SPACED_TEXT", every)
        found[every] = [[(m.start, m.end, m.concept) for m in lexicon.find(t)] for t in texts]
    assert found[10**9] == found[0]
    assert all(found[0])
    assert all(lexicon.concept_of(term) == cid for term, cid in lexicon._exact.items())


def test_the_language_guess_counts_every_cjk_character() -> None:
    def plain(text: str) -> str:
        sample = text[:4000]
        cjk = sum(
            1 for ch in sample if re.fullmatch(r"[\u3000-\u303f\u3400-\u9fff\uff00-\uffef]", ch)
        )
        letters = sum(1 for ch in sample if ch.isascii() and ch.isalpha())
        return "zh" if cjk * 2 >= letters else "en"

    texts = random_texts("ab收入。，Ｑ\u3000 1", 3000, seed=7)
    texts.append(SAMPLE.read_text(encoding="utf-8"))
    for text in texts:
        assert _guess_lang(text) == plain(text), text


PLAIN_CURRENCY_DECLARATION = re.compile(
    r"(?:单位|币种|货币)\s*[:：]?\s*(?:[千万亿百]*\s*)?(?P<zh>人民币|港元|港币|美元)"
    r"|以(?P<zh2>人民币|港元|港币|美元)(?:计|列示|为单位)"
    r"|(?:in|of)\s+(?:thousands|millions|billions)\s+of\s+(?P<en>U\.?S\.?\s*dollars|"
    r"Hong Kong dollars|HK\$|RMB|renminbi|yuan)",
    re.IGNORECASE,
)


def test_the_currency_declaration_is_found_where_the_plain_pattern_finds_it() -> None:
    # its first class holds every character that "i" or "o" matches regardless of case
    assert verify._CURRENCY_DECLARATION.pattern.startswith(r"[单币货以iIoO\u0130\u0131]")
    assert {c for c in map(chr, range(0x110000)) if re.fullmatch("(?i)[io]", c)} == set(
        "iIoO\u0130\u0131"
    )
    rng = random.Random(8)
    pieces = ["单位", "币种", "货币", "以", "人民币", "港元", "美元", "计", "：", " ", "千", "In"]
    pieces += ["iN", "of", "OF", "İn", "ın", " thousands", " Millions", " of ", " U.S. dollars"]
    pieces += ["HK$", " rmb", "yuan", "x", "ſ"]
    texts = ["".join(rng.choice(pieces) for _ in range(rng.randint(1, 10))) for _ in range(20000)]
    found = 0
    for text in texts:
        ours, plain = (
            verify._CURRENCY_DECLARATION.search(text),
            PLAIN_CURRENCY_DECLARATION.search(text),
        )
        assert (ours and (ours.span(), ours.groups())) == (plain and (plain.span(), plain.groups()))
        found += plain is not None
    assert found > 1000
