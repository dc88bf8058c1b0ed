"""What the batch tests share: the sample as numbered documents, fast-failing settings for the
fake endpoint, the command line as a subprocess, and what a killed run must leave behind."""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path
from typing import Any

from tests.fake_batch_api import FakeBatchAPI
from toolkit.settings import Settings

ROOT = Path(__file__).resolve().parent.parent
VERISUM = [sys.executable, "-c", "from toolkit.cli import main; main()"]
SAMPLE = (ROOT / "examples" / "kuaishou-2024q1-call.txt").read_text(encoding="utf-8")


def doc(number: int) -> dict[str, str]:
    """A distinct document per number (a different first line, so a different input hash)."""
    return {"id": f"call-{number}", "text": f"第{number}号文件\n{SAMPLE}"}


def quick(base_url: str, tmp_path: Path, **kw: Any) -> Settings:
    """Settings for the fake server with a retry budget of a fraction of a second."""
    values: dict[str, Any] = {
        "openai_base_url": base_url,
        "cache_dir": tmp_path / "cache",
        "max_attempts": 2,
        "backoff_initial": 0.01,
        "backoff_max": 0.05,
        "backoff_jitter": 0.0,
        "retry_max_time": 1.0,
        "timeout": 10.0,
    }
    return Settings(**(values | kw))


def calls_jsonl(folder: Path, count: int) -> Path:
    """``folder/calls.jsonl`` with documents 0..count-1, the input of a command-line batch."""
    source = folder / "calls.jsonl"
    source.write_text(
        "".join(json.dumps(doc(n), ensure_ascii=False) + "\n" for n in range(count)),
        encoding="utf-8",
    )
    return source


def settled_requests(api: FakeBatchAPI) -> int:
    """The fake server's request count once it stops moving: a request sent just before a kill
    can reach the count a moment later (then a rerun seemed to make one request too many)."""
    count = -1
    while api.stats()["chat_requests"] != count:
        count = api.stats()["chat_requests"]
        time.sleep(0.3)
    return count


def assert_resumed_whole(out: Path, done: int, total: int) -> None:
    """A rerun after a kill finished: it resumed the ``done`` documents, summarized the rest,
    and left every summary and no temp file."""
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "finished"
    assert run["counts"]["resumed"] == done and run["counts"]["succeeded"] == total - done
    assert len((out / "summaries.jsonl").read_text().splitlines()) == total
    assert not list(out.glob(".tmp-*"))
