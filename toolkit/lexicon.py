"""The bilingual financial lexicon (``lexicon.toml``): which metric the words around a number name.

The verifier needs to know that "营收" and "revenue" are the same metric and "商家" and "商品" are
not. Terms live in the TOML file next to this module so they can grow with the data; this module
only loads them and finds them in text, in one regex pass built from a trie of all terms (fast on
a 50 MB document: the engine tries one branch per character instead of every term).

Example::

    >>> lex = load_lexicon()
    >>> [m.concept for m in lex.find("日均动销商家数商品数")]
    ['daily', 'active', 'merchants', 'products']
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from pathlib import Path
from typing import NamedTuple

from toolkit.errors import ConfigError

LEXICON_PATH = Path(__file__).with_name("lexicon.toml")

_ASCII_TERM = re.compile(r"[\x20-\x7e]+")
_CJK_GAP = "[ \u3000]?"
_GAPS = str.maketrans("", "", " \u3000")
_ASCII_LOWER = str.maketrans("ABCDEFGHIJKLMNOPQRSTUVWXYZ", "abcdefghijklmnopqrstuvwxyz")
_BY_POSITION = itemgetter(0, 1)  # (start, start - end): leftmost first, then longest
SPACED_TEXT = 12
"""A text with a space every 12 characters or more often is read as words between spaces
(English: one every ~6), which picks the faster of two equivalent patterns in `Lexicon.find`."""


@dataclass(frozen=True)
class Concept:
    """One entry of the lexicon: ``kind`` is "metric", "segment" or "modifier"; ``broader`` is
    an optional parent concept id."""

    id: str
    kind: str
    broader: str | None = None
    also: tuple[str, ...] = ()

    @property
    def is_metric(self) -> bool:
        return self.kind == "metric"

    @property
    def is_segment(self) -> bool:
        return self.kind == "segment"


class ConceptMatch(NamedTuple):
    """A lexicon term found in a text at ``[start, end)``.

    (A named tuple rather than a frozen dataclass: just as immutable, and a third of the cost to
    build; a source transcript has ~200 matches, so 0.07 ms of the sample's CPU.)
    """

    start: int
    end: int
    concept: str


_Trie = dict[str, "_Trie"]


def _trie_pattern(terms: list[str], *, gap: str = "", after_first: str = "") -> str:
    """A regex matching any of ``terms``, longest first, shaped as a trie so that the engine
    follows one branch per character: ["收入", "收益率"] → "收(?:入|益率)". ``gap`` is allowed
    between two characters of a term (OCR and typeset tables write "最 高", "换 手").
    ``after_first`` (a lookbehind) goes right after a term's first character: every branch
    then starts with a literal, and the engine skips ahead to the next possible first
    character instead of trying the pattern at every position."""
    trie: _Trie = {}
    for term in terms:
        node = trie
        for ch in term:
            node = node.setdefault(ch, {})
        node[""] = {}

    def render(node: _Trie, first: bool = True) -> str:
        branches = [
            ("" if first else gap)
            + re.escape(ch)
            + (after_first if first else "")
            + render(child, False)
            for ch, child in sorted(node.items())
            if ch
        ]
        if not branches:
            return ""
        body = branches[0] if len(branches) == 1 else "(?:" + "|".join(branches) + ")"
        return f"(?:{body})?" if "" in node else body

    return render(trie)


class Lexicon:
    """Concepts and a compiled matcher over all their terms.

    Chinese terms match anywhere; terms written in ASCII ("revenue", "GMV", "Non-GAAP") match
    case-insensitively between non-alphanumerics, with an optional plural "s"/"es", so that
    "GMV" is found in "电商GMV的提升" and "ad" is not found in "adload".
    """

    def __init__(
        self,
        concepts: dict[str, Concept],
        terms: dict[str, str],
        stopwords: frozenset[str] = frozenset(),
    ) -> None:
        self.concepts = concepts
        self.stopwords = stopwords
        self._term_concept = terms
        ascii_terms = sorted(t for t in terms if _ASCII_TERM.fullmatch(t))
        cjk_terms = sorted(t for t in terms if not _ASCII_TERM.fullmatch(t))
        # Two patterns, both without IGNORECASE so that sre can skip ahead on the first
        # character: ASCII terms run over a lowercased copy, the others over the text itself.
        self._ascii = re.compile(
            r"(?<![a-z0-9])(?:" + _trie_pattern(ascii_terms) + r")(?:e?s)?(?![a-z0-9])"
            if ascii_terms
            else r"(?!)"
        )
        # The same matches for text with few spaces (Chinese): there most characters cannot
        # start a term, and with the lookbehind after a term's first character the pattern
        # starts with a literal, so sre skips ahead to the next possible first character.
        # (In English the lookbehind first is faster: it rejects a letter inside a word at
        # once.) "." matches that first character: terms are printable ASCII.
        self._ascii_sparse = re.compile(
            r"(?:"
            + _trie_pattern(ascii_terms, after_first=r"(?<![a-z0-9].)")
            + r")(?:e?s)?(?![a-z0-9])"
            if ascii_terms
            else r"(?!)"
        )
        self._cjk = re.compile(_trie_pattern(cjk_terms, gap=_CJK_GAP) if cjk_terms else r"(?!)")
        # the terms that `concept_of` maps to their own concept as written (all but those with
        # a gap character inside): a match of one of them needs a single dict lookup
        self._exact = {term: cid for term, cid in terms.items() if self.concept_of(term) == cid}
        self._ancestors = {cid: self._walk_up(cid) for cid in concepts}
        self._named = {
            cid: tuple(
                (name, self.is_metric(name), self.is_segment(name)) for name in (cid, *concept.also)
            )
            for cid, concept in concepts.items()
        }

    def _walk_up(self, cid: str) -> tuple[str, ...]:
        chain: list[str] = []
        seen = {cid}
        parent = self.concepts[cid].broader
        while parent is not None and parent not in seen:
            chain.append(parent)
            seen.add(parent)
            parent = self.concepts[parent].broader
        return tuple(chain)

    def also(self, cid: str) -> tuple[str, ...]:
        """Concepts a match of ``cid`` also names: total_revenue → ("total",)."""
        concept = self.concepts.get(cid)
        return concept.also if concept is not None else ()

    def ancestors(self, cid: str) -> tuple[str, ...]:
        """Broader concepts of ``cid``, nearest first: net_profit → ("profit",)."""
        return self._ancestors.get(cid, ())

    def named(self, cid: str) -> tuple[tuple[str, bool, bool], ...]:
        """``cid`` and the concepts a match of it also names, each with whether it is a metric
        and whether it is a segment: the context reader asks this for every match it weighs,
        so it is worked out once here."""
        found = self._named.get(cid)
        if found is None:
            return ((cid, self.is_metric(cid), self.is_segment(cid)),)
        return found

    def is_metric(self, cid: str) -> bool:
        concept = self.concepts.get(cid)
        return concept is not None and concept.is_metric

    def is_segment(self, cid: str) -> bool:
        concept = self.concepts.get(cid)
        return concept is not None and concept.is_segment

    def concept_of(self, term: str) -> str | None:
        """The concept a matched term belongs to ("Revenues" → "revenue"), or None."""
        key = term.lower() if _ASCII_TERM.fullmatch(term) else term.translate(_GAPS)
        if key in self._term_concept:
            return self._term_concept[key]
        for suffix in ("es", "s"):
            if key.endswith(suffix) and key[: -len(suffix)] in self._term_concept:
                return self._term_concept[key[: -len(suffix)]]
        return None

    def find(self, text: str, start: int = 0, end: int | None = None) -> list[ConceptMatch]:
        """Every term in ``text[start:end]``, leftmost-longest, with offsets into ``text``."""
        stop = len(text) if end is None else end
        lowered = text.lower()
        if len(lowered) != len(text):  # a few non-ASCII letters change length when lowered
            lowered = text.translate(_ASCII_LOWER)
        exact, concept_of = self._exact.get, self.concept_of
        spaced = lowered.count(" ", start, stop) * SPACED_TEXT >= stop - start
        ascii_pattern = self._ascii if spaced else self._ascii_sparse
        raw: list[tuple[int, int, int, str]] = []
        for pattern, haystack in ((ascii_pattern, lowered), (self._cjk, text)):
            for m in pattern.finditer(haystack, start, stop):
                term = m.group()
                concept = exact(term) or concept_of(term)
                if concept is not None:
                    begin, finish = m.span()
                    raw.append((begin, begin - finish, finish, concept))
        raw.sort(key=_BY_POSITION)  # stable: the ASCII match first on a tie, as before
        found: list[ConceptMatch] = []
        last_end = -1
        for begin, _, finish, concept in raw:
            if begin >= last_end:
                found.append(ConceptMatch(begin, finish, concept))
                last_end = finish
        return found


def parse_lexicon(data: dict[str, object], *, origin: str = "lexicon") -> Lexicon:
    """Build a `Lexicon` from parsed TOML, refusing unknown kinds, dangling ``broader`` links and
    a term claimed by two concepts (that would make the match depend on dict order)."""
    raw = data.get("concepts")
    if not isinstance(raw, dict) or not raw:
        raise ConfigError(f"{origin}: no [concepts.*] tables")
    concepts: dict[str, Concept] = {}
    terms: dict[str, str] = {}
    for cid, entry in raw.items():
        if not isinstance(entry, dict):
            raise ConfigError(f"{origin}: concepts.{cid} must be a table")
        kind = entry.get("kind")
        if kind not in ("metric", "segment", "modifier"):
            raise ConfigError(
                f"{origin}: concepts.{cid}.kind must be 'metric', 'segment' or 'modifier'"
            )
        broader = entry.get("broader")
        if broader is not None and not isinstance(broader, str):
            raise ConfigError(f"{origin}: concepts.{cid}.broader must be a concept id")
        also = entry.get("also", [])
        if not isinstance(also, list) or not all(isinstance(a, str) for a in also):
            raise ConfigError(f"{origin}: concepts.{cid}.also must be a list of concept ids")
        concepts[cid] = Concept(cid, kind, broader, tuple(also))
        for lang in ("zh", "en"):
            words = entry.get(lang, [])
            if not isinstance(words, list) or not all(isinstance(w, str) and w for w in words):
                raise ConfigError(f"{origin}: concepts.{cid}.{lang} must be a list of terms")
            for word in words:
                key = word.lower() if _ASCII_TERM.fullmatch(word) else word
                owner = terms.setdefault(key, cid)
                if owner != cid:
                    raise ConfigError(
                        f"{origin}: term {word!r} is listed under both {owner!r} and {cid!r}"
                    )
    for cid, concept in concepts.items():
        for linked in (concept.broader, *concept.also):
            if linked is not None and linked not in concepts:
                raise ConfigError(f"{origin}: concepts.{cid} names unknown concept {linked!r}")
    stopwords = data.get("stopwords", [])
    if not isinstance(stopwords, list) or not all(isinstance(w, str) for w in stopwords):
        raise ConfigError(f"{origin}: stopwords must be a list of words")
    return Lexicon(concepts, terms, frozenset(w.lower() for w in stopwords))


@cache
def load_lexicon(path: Path | None = None) -> Lexicon:
    """Load and cache the lexicon shipped next to this module (or the TOML at ``path``)."""
    target = path or LEXICON_PATH
    try:
        data = tomllib.loads(target.read_text(encoding="utf-8"))
    except OSError as exc:
        raise ConfigError(f"{target}: cannot read the lexicon ({exc.strerror})") from exc
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{target}: invalid TOML ({exc})") from exc
    return parse_lexicon(data, origin=str(target))
