"""`summarize_many(..., workers=N)` / ``verisum batch --workers N``: documents summarized in forked
worker processes, with every guarantee of the one-process batch (resume, failure isolation,
interrupts, kill -9, one rate budget).

The endpoint is the fake OpenAI-compatible server of `tests/fake_batch_api.py` on 127.0.0.1.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

import toolkit.batch
import toolkit.batch_output
import toolkit.batch_workers
from tests.batch_support import (
    VERISUM,
    assert_resumed_whole,
    calls_jsonl,
    doc,
    quick,
    settled_requests,
)
from tests.fake_batch_api import FakeBatchAPI, first, when_text
from toolkit import BatchResult, summarize_many
from toolkit.batch_output import read_jsonl
from toolkit.batch_workers import MAX_WORKERS, available_cores, default_workers
from toolkit.errors import ConfigError
from toolkit.ratelimit import AdaptiveLimiter
from toolkit.settings import Settings
from toolkit.testing import FakeLLM

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="workers are forked on Linux")


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.batch, "RETRY_PAUSE", 0.01)


@pytest.fixture
def writers(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Path:
    """A file listing the process id of every document write (forked workers inherit the
    patch; they append to a file because they share no memory with the test)."""
    log = tmp_path / "writers.txt"
    real = toolkit.batch_output.write_atomic

    def recording(path: Path, data: bytes) -> None:
        real(path, data)
        if path.name.startswith("call-"):
            with log.open("a", encoding="utf-8") as handle:
                handle.write(f"{os.getpid()}\n")

    monkeypatch.setattr(toolkit.batch_output, "write_atomic", recording)
    return log


def pids(log: Path) -> list[int]:
    return [int(line) for line in log.read_text().split()] if log.exists() else []


def test_two_workers_share_the_documents_and_a_second_run_forks_nothing(
    tmp_path: Path, writers: Path
) -> None:
    docs = [doc(n) for n in range(12)]
    out = tmp_path / "out"
    with FakeBatchAPI(delay=0.05) as api:
        settings = quick(api.base_url, tmp_path)
        result = summarize_many(docs, out=out, settings=settings, concurrency=4, workers=2)
        assert api.stats()["chat_requests"] == 12

        cpu = json.loads((out / "run.json").read_text())["cpu_seconds"]
        assert cpu["workers"] > cpu["parent"]  # the summarizing was done over there
        written = pids(writers)
        assert len(written) == 12
        assert len(set(written)) == 2 and os.getpid() not in written  # two other processes

        again = summarize_many(docs, out=out, settings=settings, concurrency=4, workers=2)
        assert api.stats()["chat_requests"] == 12  # no model call
    assert (result.counts.succeeded, result.counts.failed, result.exit_code) == (12, 0, 0)
    assert result.usage.calls == 12  # the workers' usage, added up by the parent
    assert result.precision.final == 1.0
    assert (again.counts.resumed, again.counts.succeeded) == (12, 0)
    assert len(pids(writers)) == 12  # resumed in the parent: no worker was started
    run = json.loads((out / "run.json").read_text())
    assert run["options"]["workers"] == 2
    ids = [row["doc_id"] for row in read_jsonl(out / "summaries.jsonl")]
    assert ids == [d["id"] for d in docs]  # input order
    stored = json.loads((out / "call-3.json").read_text())
    assert stored["batch"]["attempts"] == 1 and stored["batch"]["input_sha256"]


def test_a_document_that_always_fails_in_a_worker_is_recorded_and_the_rest_succeed(
    tmp_path: Path,
) -> None:
    docs = [doc(n) for n in range(8)]
    with FakeBatchAPI(fault=when_text("第5号文件", status=500)) as api:
        result = summarize_many(
            docs, out=tmp_path, settings=quick(api.base_url, tmp_path), concurrency=4, workers=2
        )
    assert (result.counts.succeeded, result.counts.failed, result.exit_code) == (7, 1, 2)
    (row,) = read_jsonl(tmp_path / "errors.jsonl")
    assert row["id"] == "call-5" and row["error"] == "LLMUnavailable"
    assert row["attempts"] == 2 and "HTTP 500" in row["message"]  # the parent retried it
    assert not (tmp_path / "call-5.json").exists()


def test_a_429_in_one_worker_slows_the_other_workers_too(tmp_path: Path) -> None:
    docs = [doc(n) for n in range(8)]
    with FakeBatchAPI(fault=first(1, 429, retry_after=0.3), delay=0.05) as api:
        result = summarize_many(
            docs,
            out=tmp_path,
            settings=quick(api.base_url, tmp_path, max_attempts=4),
            concurrency=4,
            workers=2,
            rpm=1200,  # 600 a minute each
        )
    assert result.counts.succeeded == 8
    limiter = json.loads((tmp_path / "run.json").read_text())["limiter"]
    assert limiter["rate_limited"] == 1  # counted once, by the worker that got it
    assert limiter["requests"] == 9  # 8 answers and the one 429
    # Both workers halved their rate: 300 + 300. Without the relay: 300 + 600.
    assert limiter["rpm"] == 600.0
    assert limiter["waited_seconds"] >= 0.3  # and paused for the Retry-After


def test_a_relayed_429_pauses_and_halves_without_counting() -> None:
    limiter = AdaptiveLimiter(rpm=120)
    limiter.relayed_rate_limit(retry_after=2.0)
    assert limiter.rpm == 60.0 and limiter.rate_limited == 0


def test_killing_the_parent_kills_its_workers_and_a_rerun_does_only_the_rest(
    tmp_path: Path,
) -> None:
    source = calls_jsonl(tmp_path, 24)
    out = tmp_path / "out"
    with FakeBatchAPI(delay=0.25) as api:
        env = {**os.environ, "OPENAI_BASE_URL": api.base_url, "VERISUM_NO_CACHE": "1"}
        command = [*VERISUM, "batch", str(source), "--out", str(out)]
        process = subprocess.Popen(
            [*command, "--concurrency", "4", "--workers", "2", "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while len(list(out.glob("call-*.json"))) < 6 and time.monotonic() < deadline:
            time.sleep(0.02)
        workers = _children(process.pid)
        assert len(workers) == 2
        process.kill()
        process.wait()

        deadline = time.monotonic() + 5
        while any(_alive(pid) for pid in workers) and time.monotonic() < deadline:
            time.sleep(0.02)
        assert not any(_alive(pid) for pid in workers)  # they died with their parent

        done = sorted(out.glob("call-*.json"))
        assert 6 <= len(done) < 24
        for path in done:  # everything visible is whole
            assert json.loads(path.read_text(encoding="utf-8"))["batch"]["input_sha256"]
        before = settled_requests(api)
        # at most the documents in flight were lost: 4 requests and 2 documents prepared ahead
        # (a document whose answer had come back but was not written yet counts among them)
        assert before - len(done) <= 4 + 4 // 2

        rerun = subprocess.run(
            [*command, "--workers", "2"], env=env, capture_output=True, text=True, timeout=60
        )
        assert rerun.returncode == 0, rerun.stderr
        assert api.stats()["chat_requests"] - before == 24 - len(done)
    assert_resumed_whole(out, len(done), 24)


def test_ctrl_c_in_the_terminal_finishes_the_workers_documents_and_takes_no_new_ones(
    tmp_path: Path,
) -> None:
    source = calls_jsonl(tmp_path, 16)
    out = tmp_path / "out"
    with FakeBatchAPI(delay=0.3) as api:
        env = {**os.environ, "OPENAI_BASE_URL": api.base_url}
        options = ["--concurrency", "4", "--workers", "2", "--no-progress"]
        process = subprocess.Popen(
            [*VERISUM, "batch", str(source), "--out", str(out), *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,  # its own process group, like a terminal's foreground job
        )
        deadline = time.monotonic() + 30
        while api.stats()["chat_requests"] < 5 and time.monotonic() < deadline:
            time.sleep(0.01)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C does: parent and workers get it
        _, stderr = process.communicate(timeout=30)
        sent = api.stats()["chat_requests"]

    assert process.returncode == 130, stderr
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "interrupted"
    assert run["counts"]["abandoned"] == 0 and run["counts"]["failed"] == 0
    assert run["counts"]["succeeded"] == sent == len(list(out.glob("call-*.json")))
    assert run["counts"]["not_started"] == 16 - sent


def test_a_second_ctrl_c_abandons_the_workers_documents_and_leaves_no_partial_file(
    tmp_path: Path,
) -> None:
    source = calls_jsonl(tmp_path, 16)
    out = tmp_path / "out"
    with FakeBatchAPI(delay=2.0) as api:
        env = {**os.environ, "OPENAI_BASE_URL": api.base_url}
        options = ["--concurrency", "4", "--workers", "2", "--no-progress"]
        process = subprocess.Popen(
            [*VERISUM, "batch", str(source), "--out", str(out), *options],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        deadline = time.monotonic() + 30
        while api.stats()["chat_requests"] < 4 and time.monotonic() < deadline:
            time.sleep(0.01)
        workers = _children(process.pid)
        os.killpg(process.pid, signal.SIGINT)
        time.sleep(0.2)
        os.killpg(process.pid, signal.SIGINT)  # again: drop what is in flight
        _, stderr = process.communicate(timeout=30)

    assert process.returncode == 130, stderr
    assert "abandoning" in stderr
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "interrupted"
    counts = run["counts"]
    in_flight = 4 + 4 // 2  # 4 requests, 2 documents prepared ahead
    assert counts["abandoned"] >= 1 and counts["abandoned"] + counts["succeeded"] == in_flight
    assert len(list(out.glob("call-*.json"))) == counts["succeeded"]  # 0 unless the box crawls
    assert not list(out.glob(".tmp-*"))
    assert not any(_alive(pid) for pid in workers)  # reaped when the run closed


def test_a_worker_that_dies_fails_only_its_documents_and_the_others_go_on(
    tmp_path: Path,
) -> None:
    docs = [doc(n) for n in range(16)]
    out = tmp_path / "out"
    results: list[BatchResult] = []
    with FakeBatchAPI(delay=0.2) as api:
        settings = quick(api.base_url, tmp_path)
        run = threading.Thread(  # the test's thread stays free to kill a worker
            target=lambda: results.append(
                summarize_many(
                    docs,
                    out=out,
                    settings=settings,
                    concurrency=4,
                    workers=2,
                    handle_signals=False,
                )
            )
        )
        run.start()
        deadline = time.monotonic() + 30
        while len(multiprocessing.active_children()) < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
        while api.stats()["chat_requests"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        victim = multiprocessing.active_children()[0]
        os.kill(victim.pid or 0, signal.SIGKILL)  # an out-of-memory kill, say
        run.join(60)
        (result,) = results
        rows = list(read_jsonl(out / "errors.jsonl"))
        assert rows and {r["error"] for r in rows} == {"WorkerExited"}
        assert 1 <= result.counts.failed <= 3  # what that worker had in flight (3 of 6)
        assert result.counts.succeeded + result.counts.failed == 16
        assert result.exit_code == 2

        again = summarize_many(docs, out=out, settings=settings, concurrency=4, workers=2)
    assert (again.counts.resumed, again.counts.succeeded, again.exit_code) == (
        16 - result.counts.failed,
        result.counts.failed,
        0,
    )


def test_when_no_worker_can_be_started_the_batch_goes_on_in_one_process(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def refused(self: object) -> None:
        raise OSError(11, "Resource temporarily unavailable")  # what fork says at a limit

    monkeypatch.setattr(toolkit.batch_workers.WorkerPool, "start", refused)
    said: list[str] = []
    with FakeBatchAPI(delay=0.05) as api:
        result = summarize_many(
            [doc(n) for n in range(4)],
            out=tmp_path,
            settings=quick(api.base_url, tmp_path),
            concurrency=4,
            workers=2,
            log=said.append,
        )
    assert (result.counts.succeeded, result.exit_code) == (4, 0)
    assert any("could not start worker processes" in line for line in said)
    assert json.loads((tmp_path / "run.json").read_text())["options"]["workers"] == 1


def test_how_many_workers_by_default_and_when_more_are_refused(tmp_path: Path) -> None:
    assert default_workers(32, "local") == 1  # the embedded model has the cores already
    assert default_workers(4, "openai") == 1  # a few documents in flight: one loop keeps up
    assert default_workers(32, "openai") == min(available_cores(), MAX_WORKERS, 4)
    with pytest.raises(ConfigError, match="embedded model"):
        summarize_many([doc(0)], out=tmp_path, settings=Settings(backend="local"), workers=2)
    hosted = Settings(openai_base_url="http://127.0.0.1:9/v1")
    with pytest.raises(ConfigError, match="given llm"):
        summarize_many([doc(0)], out=tmp_path, settings=hosted, llm=FakeLLM([]), workers=2)


def _children(pid: int) -> list[int]:
    found: list[int] = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        found += [int(p) for p in (task / "children").read_text().split()]
    return found


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for a reaper counts as gone)."""
    try:
        status = Path(f"/proc/{pid}/status").read_text()
    except OSError:
        return False
    return "\nState:\tZ" not in status


def test_spawned_workers_work_too(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:  # macOS and other POSIX systems start fresh interpreters instead of forking
    monkeypatch.setattr(toolkit.batch_workers, "START_METHOD", "spawn")
    docs = [doc(n) for n in range(4)]
    with FakeBatchAPI(delay=0.05) as api:
        result = summarize_many(
            docs, out=tmp_path, settings=quick(api.base_url, tmp_path), concurrency=4, workers=2
        )
        assert api.stats()["chat_requests"] == 4
    assert (result.counts.succeeded, result.exit_code) == (4, 0)
    assert result.usage.calls == 4
