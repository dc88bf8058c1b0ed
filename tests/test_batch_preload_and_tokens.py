"""Two shortcuts of the batch's CPU work give what the plain forms gave.

`estimate_tokens` counts wide characters without copying the text;
`toolkit.batch_workers.preload` builds before the fork what every worker needs. (That the
request path's own body sends the bytes the SDK's ``create`` sends:
tests/test_llm_request_shortcuts.py.)
"""

from __future__ import annotations

import math
import subprocess
import sys
import unicodedata

from toolkit.llm import estimate_tokens


def test_estimate_tokens_equals_its_definition_on_every_code_point() -> None:
    def plain(text: str) -> int:  # 1 per W/F character, 1 per 3 others
        wide = sum(unicodedata.east_asian_width(c) in ("W", "F") for c in text)
        return wide + math.ceil((len(text) - wide) / 3)

    every = "".join(chr(c) for c in range(sys.maxunicode + 1))
    for start in range(0, len(every), 97):  # chunks that straddle every block boundary
        chunk = every[start : start + 97]
        assert estimate_tokens(chunk) == plain(chunk), hex(start)
    mixed = "营收294亿元，同比增长27.4%。“线上营销” ÷ … ｱ 😀 \ud800 é Ｑ１"
    assert estimate_tokens(mixed) == plain(mixed)


def test_preload_builds_what_every_forked_worker_needs() -> None:
    # In a fresh interpreter: this one has imported and loaded both long ago.
    script = """
import sys
from toolkit.batch_workers import preload
from toolkit.lexicon import load_lexicon
before = load_lexicon.cache_info().currsize
preload()
print(before, load_lexicon.cache_info().currsize)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    assert done.stdout.strip() == "0 1"
