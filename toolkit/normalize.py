"""OCR normalization with an offset map, so extraction can run on clean text and still report
spans into the text the user gave us.

Two kinds of change happen here. *Folding* maps full-width digits and punctuation to ASCII
("１６６．５％" → "166.5%"); it is one character for one character and is not a repair.
*Repair* undoes OCR misreadings that would otherwise change a number's meaning:

- "--", "-", "—" or "一-" standing for 一 before 千/万/亿/季度/年/个/步/半 ("第--季度" → "第一季度",
  "--千万" → "一千万", "进-步" → "进一步");
- 〇/O/o misread for 0 between digits ("1O0" → "100");
- "0:" at the start of a turn for "Q:" ("。0:本地生活" → "。Q:本地生活").

Example::

    >>> n = normalize("第--季度收入１６６．５亿")
    >>> n.text
    '第一季度收入166.5亿'
    >>> n.span_to_original(0, 4)   # "第一季度" covers "第--季度" in the original
    (0, 5)
"""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field
from functools import lru_cache

# Full-width ASCII (U+FF01..U+FF5E) folds onto ASCII, except the Chinese clause punctuation
# ，：；！？（）: an ASCII comma between digits reads as a thousands separator ("19%，38%" must not
# become one number), and leaving the common marks alone lets most Chinese text skip folding.
_KEEP = frozenset("，：；！？（）")
_FOLD: dict[int, str] = {
    cp: chr(cp - 0xFEE0) for cp in range(0xFF01, 0xFF5F) if chr(cp) not in _KEEP
}
_FOLD.update(
    {
        0x3000: " ",  # ideographic space
        0x2212: "-",  # minus sign
        0x2013: "-",  # en dash (ranges: "$2.85–$3.10")
        0xFE6A: "%",  # small percent sign
        0xFFE5: "¥",  # full-width yen/yuan sign
        0x0130: "I",  # its lower case is two characters; folding keeps text.lower() aligned
    }
)
_FOLD_TABLE = str.maketrans(_FOLD)
_NEEDS_FOLD = re.compile("[" + "".join(re.escape(chr(cp)) for cp in sorted(_FOLD)) + "]")

_DIGITS = frozenset("0123456789")
_YI_TARGET = r"(?=千|万|亿|季度|年|个|步|半)"
# Each branch starts with the character class in front, so the engine skips clean text at C
# speed; which branch matched is read from the first character.
_REPAIR = re.compile(
    r"[\-—Oo〇0](?:"
    # 一 written as dashes: "第--季度", "-季度", "--千万", "-年半", "进-步" (one or two dashes,
    # not after a digit: "3-4年" is a range) or as "一-" (the 一 is taken in by normalize()).
    rf"(?<=[\-—])(?<![0-9\-—][\-—])[\-—]?{_YI_TARGET}"
    # O/o/〇 read for 0 when digits stand on both sides: "1O0".
    r"|(?<=[0-9][Oo〇])[Oo〇]*+(?=[0-9])"
    # "0:" opening a turn (text start, after 。/?/!/whitespace) and followed by words is "Q:".
    r"|(?<=0)(?<![^。?!？！\s]0)(?=[:：][^\W\d_])"
    r")"
)


@dataclass(frozen=True, slots=True)
class Normalized:
    """A normalized text and the way back to the original.

    ``text`` is what extraction reads. Offsets in ``text`` map to offsets in ``original`` through
    :meth:`to_original`; only repairs that change the length are stored, so the map costs nothing
    for clean text and stays linear in the number of repairs otherwise.
    """

    original: str
    text: str
    # Breakpoints: from normalized index _points[k] on, original = normalized + _shift[k].
    _points: list[int] = field(default_factory=list)
    _shift: list[int] = field(default_factory=list)
    # Sorted, disjoint normalized ranges whose characters were repaired (not merely folded).
    _repaired_starts: list[int] = field(default_factory=list)
    _repaired_ends: list[int] = field(default_factory=list)

    def to_original(self, index: int) -> int:
        """Map an offset in ``text`` to the matching offset in ``original``.

        A boundary at the end of a repaired piece maps to the end of what it replaced, so spans
        cover the whole original mention ("一" for "--" maps back to both dashes).
        """
        if not self._points:
            return index
        k = bisect_right(self._points, index)
        return index + (self._shift[k - 1] if k else 0)

    def span_to_original(self, start: int, end: int) -> tuple[int, int]:
        """Map a ``(start, end)`` span of ``text`` onto ``original``."""
        return self.to_original(start), self.to_original(end)

    def is_repaired(self, start: int, end: int) -> bool:
        """True when any character of ``text[start:end]`` came from an OCR repair."""
        if not self._repaired_starts:
            return False
        k = bisect_right(self._repaired_starts, end - 1)
        return k > 0 and self._repaired_ends[k - 1] > start

    @property
    def repair_count(self) -> int:
        """How many OCR repairs were made (folding excluded)."""
        return len(self._repaired_starts)


def _fold(text: str) -> str:
    """Fold full-width characters; one character for one, so offsets do not move.

    ``str.translate`` walks every character in Python-level table lookups (about 15 MB/s);
    when full-width characters are rare (an en dash here and there) substituting just those
    is several times faster, so look at a sample first.
    """
    first = _NEEDS_FOLD.search(text)
    if first is None:
        return text
    sample = text[first.start() : first.start() + 100_000]
    if len(_NEEDS_FOLD.findall(sample)) * 200 > len(sample):
        return text.translate(_FOLD_TABLE)
    return _NEEDS_FOLD.sub(lambda m: _FOLD[ord(m.group())], text)


def normalize(text: str) -> Normalized:
    """Fold full-width characters and repair OCR misreadings; keep the offset map.

    Runs in one regex pass after one ``str.translate``; both are linear in the input.

    >>> normalize("-季度GMV").text
    '一季度GMV'
    """
    return _normalize_recent(text)


def _normalize(text: str) -> Normalized:
    folded = _fold(text)
    pieces: list[str] = []
    points: list[int] = []
    shifts: list[int] = []
    rep_starts: list[int] = []
    rep_ends: list[int] = []
    last = 0  # end of the previous repair in `folded` (= original offsets: folding is 1:1)
    shift = 0  # original index - normalized index after the repairs so far
    for m in _REPAIR.finditer(folded):
        start, end = m.span()
        first = folded[start]
        if first in "-—":
            replacement = "一"
            if (
                start > last
                and folded[start - 1] == "一"
                and folded[start - 2 : start - 1] not in _DIGITS
            ):
                start -= 1  # "一-季度": one 一 for both
        elif first == "0":
            replacement = "Q"
        else:
            replacement = "0" * (end - start)
        pieces.append(folded[last:start])
        norm_start = start - shift
        pieces.append(replacement)
        norm_end = norm_start + len(replacement)
        rep_starts.append(norm_start)
        rep_ends.append(norm_end)
        delta = (end - start) - len(replacement)
        if delta:
            shift += delta
            points.append(norm_end)
            shifts.append(shift)
        last = end
    if not rep_starts:
        return Normalized(text, folded)
    pieces.append(folded[last:])
    return Normalized(text, "".join(pieces), points, shifts, rep_starts, rep_ends)


# The last few results, given again for the same text: the summarizer normalizes a document,
# then its extraction (`toolkit.numbers`) normalizes the same text again (0.04-0.05 ms of the
# sample's CPU). The extraction comes after the draft's answer, so in a batch with more than
# four documents in flight per process it usually finds the entry gone and normalizes again;
# a larger cache would keep whole copies of that many documents for 0.04 ms each. A
# `Normalized` is never changed after it is made, so sharing it is safe.
_normalize_recent = lru_cache(maxsize=4)(_normalize)
