"""Pack turns into chunks that fit the model's context, counting tokens, never cutting silently.

A chunk is a run of whole turns when they fit. A turn longer than the budget is split at
sentence ends; a sentence longer than the budget (a table flattened by OCR, a transcript with
no punctuation) is cut at the longest prefix that fits, and the chunk says so in ``cut`` so the
caller can report it. Nothing is ever dropped: the chunks' spans cover every turn.

Tokens are counted with the model's own tokenizer (`LLMClient.count_tokens`), once per piece
while packing (a chunk's estimate is the sum of its pieces plus two per joint: a tokenizer can
merge across a boundary by at most one token, and the whitespace between turns is one more),
then once more per finished chunk, which is the count reported.

Example::

    >>> chunks = chunk_turns(text, segment(text), budget=3000, count_tokens=llm.count_tokens)
    >>> [(c.span, c.tokens, c.cut) for c in chunks]
    [((0, 1725), 2870, False), ((1726, 3005), 2204, False)]
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from itertools import pairwise

from pydantic import BaseModel, ConfigDict, Field

from toolkit.segment import Turn

# Where a turn may be split: right after 。！？!?；; (nothing taken), after a full stop and the
# whitespace behind it, after a run of line breaks. Written so that every branch starts with
# its character, then tells by lookbehind which one it was: sre skips ahead to the next
# candidate character instead of trying three branches at every position (the sample's four
# long answers: 148 → 29 µs). The same cuts as ``(?<=[。！？!?；;])|(?<=[.])\s+|\n+``
# (tests/test_fast_paths.py).
_SENTENCE_END = re.compile(r"[\n。！？!?；;.](?:(?<=\n)\n*|(?<=\.)\s+|(?<=[。！？!?；;]))")


class Chunk(BaseModel):
    """A contiguous slice of the text that fits the budget, and what had to be split for it."""

    model_config = ConfigDict(frozen=True)

    index: int
    span: tuple[int, int]
    text: str
    tokens: int
    turns: tuple[int, ...] = Field(description="indices of the turns it holds (or part of)")
    split_turn: bool = Field(default=False, description="a turn continues in another chunk")
    cut: bool = Field(default=False, description="a sentence was cut to fit the budget")


@dataclass(slots=True)
class _Piece:
    """A run of text packed whole (internal: a plain class, a fifth of a pydantic model's cost
    to build, and a long document has one per sentence)."""

    start: int
    end: int
    turn: int
    tokens: int
    whole_turn: bool
    cut: bool = False


def chunk_turns(
    text: str, turns: Sequence[Turn], *, budget: int, count_tokens: Callable[[str], int]
) -> list[Chunk]:
    """Greedily pack ``turns`` of ``text`` into chunks of at most ``budget`` tokens."""
    if budget < 16:
        raise ValueError(f"a chunk budget of {budget} tokens is too small to hold any text")
    pieces: list[_Piece] = []
    for turn in turns:
        start, end = turn.span
        tokens = count_tokens(text[start:end])
        if tokens <= budget:
            pieces.append(
                _Piece(start=start, end=end, turn=turn.index, tokens=tokens, whole_turn=True)
            )
        else:
            pieces.extend(_split_turn(text, turn, budget, count_tokens))
    return _pack(text, pieces, budget, count_tokens)


def _split_turn(
    text: str, turn: Turn, budget: int, count_tokens: Callable[[str], int]
) -> list[_Piece]:
    start, end = turn.span
    cuts = [m.end() for m in _SENTENCE_END.finditer(text[start:end])]
    bounds = sorted({start, *(start + c for c in cuts if 0 < c < end - start), end})
    pieces: list[_Piece] = []
    for lo, hi in pairwise(bounds):
        if not text[lo:hi].strip():
            continue
        tokens = count_tokens(text[lo:hi])
        if tokens <= budget:
            pieces.append(
                _Piece(start=lo, end=hi, turn=turn.index, tokens=tokens, whole_turn=False)
            )
            continue
        while lo < hi:
            cut = _longest_prefix(text, lo, hi, budget, count_tokens)
            pieces.append(
                _Piece(
                    start=lo,
                    end=cut,
                    turn=turn.index,
                    tokens=count_tokens(text[lo:cut]),
                    whole_turn=False,
                    cut=cut < hi,
                )
            )
            lo = cut
    return pieces


def _longest_prefix(
    text: str, lo: int, hi: int, budget: int, count_tokens: Callable[[str], int]
) -> int:
    """The largest ``end`` in (lo, hi] with text[lo:end] within budget (binary search)."""
    good, bad = lo + 1, hi
    if count_tokens(text[lo:hi]) <= budget:
        return hi
    while bad - good > 1:
        mid = (good + bad) // 2
        if count_tokens(text[lo:mid]) <= budget:
            good = mid
        else:
            bad = mid
    return good


def _pack(
    text: str, pieces: list[_Piece], budget: int, count_tokens: Callable[[str], int]
) -> list[Chunk]:
    chunks: list[Chunk] = []
    group: list[_Piece] = []
    total = 0

    def flush() -> None:
        if not group:
            return
        start, end = group[0].start, group[-1].end
        turn_ids = tuple(dict.fromkeys(p.turn for p in group))
        split = any(not p.whole_turn for p in group)
        chunks.append(
            Chunk(
                index=len(chunks),
                span=(start, end),
                text=text[start:end],
                tokens=count_tokens(text[start:end]),
                turns=turn_ids,
                split_turn=split,
                cut=any(p.cut for p in group),
            )
        )

    for piece in pieces:
        # A joint may merge tokens across the boundary (+1) and carry whitespace (+1).
        joint = (1 + (piece.start > group[-1].end)) if group else 0
        if group and total + joint + piece.tokens > budget:
            flush()
            group, total, joint = [], 0, 0
        group.append(piece)
        total += joint + piece.tokens
    flush()
    return chunks
