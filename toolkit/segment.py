"""Split a transcript into question and answer turns, so chunks end where a speaker changes.

Chinese call transcripts mark turns with ``Q:``/``A:`` or ``问:``/``答:`` (ASCII or full-width
colon), often inline after a full stop rather than on a new line, and OCR often reads ``Q`` as
``0`` or ``O``. A marker only counts at the start of the text or after whitespace or closing
punctuation, so ``10:30``, ``版本2.0:`` and ``DATA:`` are not turns. Text before the first
marker (or a whole document without markers, such as an English prepared-remarks transcript)
is one turn of speaker ``text``.

Example::

    >>> [(t.speaker.value, t.marker, t.body) for t in segment("Q:收入多少? 0:增速? A:166.5亿。")]
    [('question', 'Q:', '收入多少?'), ('question', '0:', '增速?'), ('answer', 'A:', '166.5亿。')]
"""

from __future__ import annotations

import re
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Speaker(StrEnum):
    """Who speaks in a turn, as far as its marker tells."""

    QUESTION = "question"
    ANSWER = "answer"
    TEXT = "text"


_QUESTION_MARKS = {"Q", "0", "O", "问", "提问"}
# What may stand before a marker, checked right after the marker's first character (so the
# lookbehinds are one character longer): the start of the text, whitespace or closing
# punctuation, and not the "2." of "2.0:".
_AFTER_FIRST = r"(?<![^\s。！？!?；;…”\"」』）)】].)(?<!\d\..)"
# Every branch starts with a literal: sre skips ahead to the next 提回问答QA0O instead of trying
# two lookbehinds at every position (the sample: 95 → 29 µs). The same matches as the plain
# form ``(?<![^\s。！？!?；;…”"」』）)】])(?<!\d\.)(?P<mark>提问|回答|问|答|[QA0O])\s{0,2}[:：]``
# (tests/test_fast_paths.py).
_MARKS = ("提问", "回答", "问", "答", "Q", "A", "0", "O")
_MARKER = re.compile(
    "(?P<mark>"
    + "|".join(f"{mark[0]}{_AFTER_FIRST}{mark[1:]}" for mark in _MARKS)
    + r")\s{0,2}[:：]"
)


class Turn(BaseModel):
    """One turn: its marker as written and the (start, end) offsets of the body in the text."""

    model_config = ConfigDict(frozen=True)

    index: int
    speaker: Speaker
    marker: str | None = Field(description='the marker as written ("0:" stays "0:"), or None')
    span: tuple[int, int] = Field(description="the whole turn, marker included")
    body_span: tuple[int, int] = Field(description="the turn without its marker")
    body: str


def segment(text: str) -> list[Turn]:
    """Turns of ``text`` in order; together their spans cover the text from the first non-space."""
    starts = [m for m in _MARKER.finditer(text)]
    turns: list[Turn] = []
    first = starts[0].start() if starts else len(text)
    if text[:first].strip():
        turns.append(_turn(text, 0, None, Speaker.TEXT, 0, 0, first))
    for i, match in enumerate(starts):
        end = starts[i + 1].start() if i + 1 < len(starts) else len(text)
        mark = match.group("mark")
        speaker = Speaker.QUESTION if mark in _QUESTION_MARKS else Speaker.ANSWER
        turns.append(
            _turn(text, len(turns), match.group(0), speaker, match.start(), match.end(), end)
        )
    return turns


def _turn(
    text: str, index: int, marker: str | None, speaker: Speaker, start: int, body: int, end: int
) -> Turn:
    # Trim surrounding whitespace from the body so spans point at text, not at padding.
    while body < end and text[body].isspace():
        body += 1
    stop = end
    while stop > body and text[stop - 1].isspace():
        stop -= 1
    if marker is None:
        start = body
    return Turn(
        index=index,
        speaker=speaker,
        marker=marker,
        span=(start, stop),
        body_span=(body, stop),
        body=text[body:stop],
    )
