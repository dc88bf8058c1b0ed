"""``--engine openai-batch`` against the fake Batch API on 127.0.0.1 (never OpenAI itself)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest

import tests.fake_batch_api as fake
import toolkit.batch
from tests.fake_batch_api import FakeBatchAPI, when_text
from toolkit import summarize_many
from toolkit.batch_output import read_jsonl
from toolkit.settings import Settings
from toolkit.usage import Usage

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = (ROOT / "examples" / "kuaishou-2024q1-call.txt").read_text(encoding="utf-8")
VERISUM = [sys.executable, "-c", "from toolkit.cli import main; main()"]


def docs(count: int) -> list[dict[str, str]]:
    return [{"id": f"call-{n}", "text": f"第{n}号文件\n{SAMPLE}"} for n in range(count)]


def settings(api: FakeBatchAPI, tmp_path: Path) -> Settings:
    return Settings(
        openai_base_url=api.base_url,
        openai_api_key="sk-test-batch-0000",
        cache_dir=tmp_path / "cache",
    )


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.batch, "RETRY_PAUSE", 0.01)


def run(api: FakeBatchAPI, tmp_path: Path, items: list[dict[str, str]], **kw: Any) -> Any:
    return summarize_many(
        items,
        out=tmp_path / "out",
        settings=settings(api, tmp_path),
        engine="openai-batch",
        poll_interval=0.02,
        **kw,
    )


def test_one_batch_answers_every_document_at_half_the_price(tmp_path: Path) -> None:
    with FakeBatchAPI() as api:
        result = run(api, tmp_path, docs(6))
        stats = api.stats()
    assert result.counts.succeeded == 6 and result.exit_code == 0
    assert (stats["chat_requests"], stats["batches"], stats["batch_lines"]) == (0, 1, 6)
    full = Usage.of_call("gpt-4o-mini", "openai", prompt_tokens=1000, completion_tokens=200)
    assert result.usage.cost_usd == full.cost_usd * 6 * Decimal("0.5")
    state = json.loads((tmp_path / "out" / "run.json").read_text())["openai_batch"]
    (round_one,) = state["rounds"]
    assert round_one["status"] == "downloaded" and round_one["batch_status"] == "completed"
    assert (round_one["requests"], round_one["answered"], round_one["problems"]) == (6, 6, [])
    assert len((tmp_path / "out" / "summaries.jsonl").read_text().splitlines()) == 6


def test_documents_needing_repair_go_through_one_batch_per_round(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wrong = json.loads(json.dumps(fake.DRAFT))
    # A wrong value, not a power-of-ten slip (verisum rewrites those itself): only a repair
    # round could fix it.
    wrong["bullets"][0]["en"] = "Q1 online marketing services revenue reached 15.5 billion."
    monkeypatch.setitem(fake.ANSWERS, "DraftSummary", wrong)
    with FakeBatchAPI() as api:
        result = run(api, tmp_path, docs(3), repair_rounds=2)
        stats = api.stats()
    assert result.counts.succeeded == 3
    report = json.loads((tmp_path / "out" / "call-0.json").read_text())
    assert report["repairs"] and report["dropped"]  # sent back, never fixed: dropped
    # One batch for the three drafts, then one per repair round for all three documents at once.
    assert stats["batches"] == 1 + len(report["repairs"])
    # Identical requests go once per batch: these documents differ only in their first line, so
    # their repair requests (which quote excerpts, not the whole text) may coincide.
    assert 3 < stats["batch_lines"] <= 3 * stats["batches"]


def test_a_line_the_batch_fails_is_retried_in_the_next_round_then_recorded(
    tmp_path: Path,
) -> None:
    with FakeBatchAPI(fault=when_text("第1号文件", status=500)) as api:
        result = run(api, tmp_path, docs(4))
        stats = api.stats()
    assert (result.counts.succeeded, result.counts.failed) == (3, 1)
    assert stats["batches"] == 2
    (row,) = read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert row["id"] == "call-1" and row["error"] == "LLMUnavailable" and row["attempts"] == 2
    assert "HTTP 500" in row["message"]


def test_a_run_killed_while_the_batch_runs_resumes_by_polling_the_same_batch(
    tmp_path: Path,
) -> None:
    source = tmp_path / "calls.jsonl"
    source.write_text("".join(json.dumps(d, ensure_ascii=False) + "\n" for d in docs(5)))
    out = tmp_path / "out"
    with FakeBatchAPI(polls_to_complete=10**9) as api:
        env = {**os.environ, "OPENAI_BASE_URL": api.base_url}
        command = [*VERISUM, "batch", str(source), "--out", str(out), "--engine", "openai-batch"]
        process = subprocess.Popen(
            [*command, "--poll-interval", "0.05", "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            state = (
                json.loads((out / "run.json").read_text()) if (out / "run.json").exists() else {}
            )
            rounds = state.get("openai_batch", {}).get("rounds", [])
            if rounds and rounds[0].get("status") == "in_progress":
                break
            time.sleep(0.02)
        process.send_signal(signal.SIGKILL)
        process.wait()
        assert api.stats()["batches"] == 1

        api.polls_to_complete = 1
        rerun = subprocess.run(
            [*command, "--poll-interval", "0.05"],
            env=env,
            capture_output=True,
            text=True,
            timeout=60,
        )
        assert rerun.returncode == 0, rerun.stderr
        assert api.stats()["batches"] == 1  # the same batch, not a second one
    assert len((out / "summaries.jsonl").read_text().splitlines()) == 5
    assert json.loads((out / "run.json").read_text())["openai_batch"]["rounds"][0]["status"] == (
        "downloaded"
    )
