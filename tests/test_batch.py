"""`verisum batch` / `summarize_many`: many documents, concurrent, resumable, nothing lost.

The model is `FakeLLM` or the fake OpenAI-compatible server in `tests/fake_batch_api.py`
(127.0.0.1), never a real one; retry budgets are shrunk so failure tests take a second or two.
"""

from __future__ import annotations

import asyncio
import gc
import json
import os
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest
from click.testing import CliRunner

import toolkit.batch
from tests.batch_support import (
    SAMPLE,
    VERISUM,
    assert_resumed_whole,
    calls_jsonl,
    doc,
    quick,
    settled_requests,
)
from tests.fake_batch_api import FakeBatchAPI, always, canned, first, when_text
from toolkit import batch_client, summarize_many
from toolkit.batch import default_concurrency
from toolkit.batch_output import OutputDir, file_name, read_jsonl, write_atomic
from toolkit.batch_workers import YOUNG_GC_THRESHOLD
from toolkit.cli import cli
from toolkit.inputs import Document, InputProblem, open_inputs
from toolkit.ratelimit import AdaptiveLimiter
from toolkit.settings import Settings
from toolkit.testing import FakeLLM


def fake_llm(answers: int = 200) -> FakeLLM:
    return FakeLLM([canned] * answers)


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.batch, "RETRY_PAUSE", 0.01)


# ---------------------------------------------------------------------- inputs


def test_a_jsonl_with_bad_lines_records_each_by_file_and_line_and_the_rest_go_on(
    tmp_path: Path,
) -> None:
    source = tmp_path / "calls.jsonl"
    rows = [
        json.dumps({"id": "a", "text": SAMPLE}, ensure_ascii=False),
        '{"id": "b", "text": ',  # cut off
        json.dumps({"id": "c", "transcript": SAMPLE, "doc_date": "2024-05-22"}),
        json.dumps({"text": SAMPLE}),
        json.dumps({"id": "e", "text": SAMPLE, "doc_date": "22/05/2024"}),
        json.dumps({"id": "f", "text": ""}),
    ]
    source.write_text("\n".join(rows) + "\n\n", encoding="utf-8")
    llm = fake_llm()

    result = summarize_many(source, out=tmp_path / "out", llm=llm)

    assert (result.counts.documents, result.counts.succeeded, result.counts.failed) == (6, 2, 4)
    assert result.exit_code == 2
    errors = {row["source"]: row for row in read_jsonl(tmp_path / "out" / "errors.jsonl")}
    assert errors[f"{source}:2"]["message"].startswith("not valid JSON")
    assert errors[f"{source}:4"]["id"] == f"{source}:4"  # no id in the row: named by line
    assert "doc_date" in errors[f"{source}:5"]["message"] and errors[f"{source}:5"]["id"] == "e"
    assert (
        errors[f"{source}:6"]["error"] == "InputError"
        and "empty" in errors[f"{source}:6"]["message"]
    )
    written = {row["doc_id"] for row in read_jsonl(tmp_path / "out" / "summaries.jsonl")}
    assert written == {"a", "c"}
    assert len(llm.calls) == 2


def test_a_folder_is_read_recursively_and_bad_files_are_recorded(tmp_path: Path) -> None:
    calls = tmp_path / "calls"
    (calls / "2024").mkdir(parents=True)
    (calls / "2024" / "q1.txt").write_text(SAMPLE, encoding="utf-8")
    (calls / "q2.md").write_text("第二季度\n" + SAMPLE, encoding="gb18030")
    (calls / "binary.txt").write_bytes(b"\x00\x01PK\x03\x04" * 50)
    (calls / "empty.txt").write_text("   \n")
    (calls / "notes.pdf").write_bytes(b"%PDF")  # not a .txt/.md: not an input

    result = summarize_many(calls, out=tmp_path / "out", llm=fake_llm())

    assert result.counts.documents == 4
    assert result.counts.succeeded == 2
    errors = {row["id"]: row for row in read_jsonl(tmp_path / "out" / "errors.jsonl")}
    assert set(errors) == {"binary", "empty"}
    assert "binary" in errors["binary"]["message"] and "binary.txt" in errors["binary"]["message"]
    assert (tmp_path / "out" / f"{file_name('2024/q1')}.json").exists()
    assert (tmp_path / "out" / "q2.json").exists()


def test_ids_become_safe_distinct_file_names() -> None:
    assert file_name("ABM_q1_2021") == "ABM_q1_2021"
    assert file_name("a/b") != file_name("a_b")
    assert file_name("run") != "run"  # would overwrite run.json
    assert "/" not in file_name("../../etc/passwd") and not file_name("..").startswith(".")


def test_open_inputs_names_what_is_wrong(tmp_path: Path) -> None:
    with pytest.raises(Exception, match="no such file"):
        open_inputs(tmp_path / "missing")
    with pytest.raises(Exception, match="matches no files"):
        open_inputs(str(tmp_path / "*.txt"))
    (tmp_path / "x.jsonl").write_text('{"id": 1, "text": "收入1亿"}\n[1]\n', encoding="utf-8")
    entries = list(open_inputs(tmp_path / "x.jsonl"))
    assert isinstance(entries[0], Document) and entries[0].id == "1"
    assert isinstance(entries[1], InputProblem) and entries[1].source.endswith("x.jsonl:2")


# ---------------------------------------------------------------------- resume


def test_a_second_run_makes_no_model_call_and_a_changed_document_is_redone(
    tmp_path: Path,
) -> None:
    docs = [doc(n) for n in range(5)]
    first_llm = fake_llm()
    summarize_many(docs, out=tmp_path, llm=first_llm)
    assert len(first_llm.calls) == 5

    again = fake_llm()
    result = summarize_many(docs, out=tmp_path, llm=again)
    assert len(again.calls) == 0
    assert (result.counts.resumed, result.counts.succeeded) == (5, 0)
    assert len((tmp_path / "summaries.jsonl").read_text().splitlines()) == 5

    docs[2] = {"id": "call-2", "text": docs[2]["text"] + "\n补充说明。"}
    stored = json.loads((tmp_path / "call-3.json").read_text())
    stored["prompts"] = [p.replace("summarize@", "summarize@0") for p in stored["prompts"]]
    (tmp_path / "call-3.json").write_text(json.dumps(stored, ensure_ascii=False))
    third = fake_llm()
    result = summarize_many(docs, out=tmp_path, llm=third)
    assert len(third.calls) == 2  # the edited text and the output of an older prompt version
    assert (result.counts.resumed, result.counts.succeeded) == (3, 2)


def test_a_run_killed_mid_batch_resumes_and_loses_only_in_flight_documents(
    tmp_path: Path,
) -> None:
    source = calls_jsonl(tmp_path, 16)
    out = tmp_path / "out"
    with FakeBatchAPI(delay=0.25) as api:
        env = {**os.environ, "OPENAI_BASE_URL": api.base_url, "VERISUM_NO_CACHE": "1"}
        command = [*VERISUM, "batch", str(source), "--out", str(out)]
        process = subprocess.Popen(
            [*command, "--concurrency", "2", "--no-progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + 30
        while len(list(out.glob("call-*.json"))) < 4 and time.monotonic() < deadline:
            time.sleep(0.02)
        process.kill()
        process.wait()
        assert process.returncode == -signal.SIGKILL

        done = sorted(out.glob("call-*.json"))
        assert 4 <= len(done) < 16
        for path in done:  # everything visible is whole
            assert json.loads(path.read_text(encoding="utf-8"))["batch"]["input_sha256"]
        before = settled_requests(api)
        # at most the documents in flight were lost: 2 requests and 1 document prepared ahead
        # (a document whose answer had come back but was not written yet counts among them)
        assert before - len(done) <= 2 + 2 // 2

        rerun = subprocess.run(command, env=env, capture_output=True, text=True, timeout=60)
        assert rerun.returncode == 0, rerun.stderr
        assert api.stats()["chat_requests"] - before == 16 - len(done)
    assert_resumed_whole(out, len(done), 16)


def test_ctrl_c_finishes_the_documents_in_flight_and_takes_no_new_ones(tmp_path: Path) -> None:
    source = calls_jsonl(tmp_path, 12)
    out = tmp_path / "out"
    with FakeBatchAPI(delay=0.3) as api:
        env = {**os.environ, "OPENAI_BASE_URL": api.base_url}
        command = [*VERISUM, "batch", str(source), "--out", str(out)]
        process = subprocess.Popen(
            [*command, "--concurrency", "2", "--no-progress"],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        deadline = time.monotonic() + 30
        while api.stats()["chat_requests"] < 3 and time.monotonic() < deadline:
            time.sleep(0.01)
        process.send_signal(signal.SIGINT)
        _, stderr = process.communicate(timeout=30)
        sent = api.stats()["chat_requests"]

    assert process.returncode == 130, stderr
    assert "interrupted" in stderr
    run = json.loads((out / "run.json").read_text())
    assert run["status"] == "interrupted"
    assert run["counts"]["abandoned"] == 0
    assert run["counts"]["succeeded"] == sent == len(list(out.glob("call-*.json")))
    assert run["counts"]["not_started"] == 12 - sent


# ---------------------------------------------------------------------- atomic writes


def test_a_crash_before_the_rename_leaves_the_old_file_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    target = tmp_path / "doc.json"
    write_atomic(target, b'{"version": 1}')

    def crash(src: object, dst: object) -> None:
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(KeyboardInterrupt):
        write_atomic(target, b'{"version": 2, "long": "' + b"x" * 100_000 + b'"}')
    monkeypatch.undo()
    assert json.loads(target.read_bytes()) == {"version": 1}
    assert [p.name for p in tmp_path.glob("*.json")] == ["doc.json"]
    with OutputDir(tmp_path):  # the next run removes the orphaned temp file
        pass
    assert not list(tmp_path.glob(".tmp-*"))


def test_a_reader_never_sees_a_partial_file(tmp_path: Path) -> None:
    target = tmp_path / "doc.json"
    write_atomic(target, json.dumps({"n": 0}).encode())
    stop = threading.Event()
    seen: list[int] = []

    def read() -> None:
        while not stop.is_set():
            seen.append(json.loads(target.read_bytes())["n"])  # raises on a partial file

    reader = threading.Thread(target=read)
    reader.start()
    for n in range(1, 200):
        write_atomic(target, json.dumps({"n": n, "pad": "数" * 20_000}).encode())
    stop.set()
    reader.join()
    assert seen and seen == sorted(seen)


def test_two_runs_cannot_share_an_output_folder(tmp_path: Path) -> None:
    with OutputDir(tmp_path), pytest.raises(Exception, match="another verisum batch"):
        OutputDir(tmp_path).__enter__()


# ---------------------------------------------------------------------- failures


def test_one_document_the_endpoint_always_fails_is_recorded_and_the_others_succeed(
    tmp_path: Path,
) -> None:
    docs = [doc(n) for n in range(6)]
    with FakeBatchAPI(fault=when_text("第3号文件", status=500)) as api:
        result = summarize_many(
            docs, out=tmp_path, settings=quick(api.base_url, tmp_path), concurrency=3
        )
    assert (result.counts.succeeded, result.counts.failed) == (5, 1)
    (row,) = read_jsonl(tmp_path / "errors.jsonl")
    assert row["id"] == "call-3" and row["error"] == "LLMUnavailable"
    assert row["attempts"] == 2 and "HTTP 500" in row["message"]
    assert not (tmp_path / "call-3.json").exists()


@pytest.mark.parametrize("status", [429, 500])
def test_an_endpoint_that_only_fails_ends_with_every_document_in_errors(
    tmp_path: Path, status: int
) -> None:
    docs = [doc(n) for n in range(40)]
    started = time.monotonic()
    # The default floor of 6 requests/minute would space the breaker's last tries 10 s apart.
    limiter = AdaptiveLimiter(min_rpm=600)
    with FakeBatchAPI(fault=always(status)) as api:
        result = summarize_many(
            docs,
            out=tmp_path,
            settings=quick(api.base_url, tmp_path),
            concurrency=4,
            limiter=limiter,
        )
        requests = api.stats()["chat_requests"]
    assert time.monotonic() - started < 30
    assert (result.counts.failed, result.exit_code) == (40, 2)
    rows = list(read_jsonl(tmp_path / "errors.jsonl"))
    assert sorted(r["id"] for r in rows) == sorted(d["id"] for d in docs)
    assert {r["error"] for r in rows} == {"LLMUnavailable"}
    assert requests < 40  # the breaker stopped sending long before every document was tried
    assert any("not sent" in r["message"] and r["attempts"] == 0 for r in rows)


@pytest.mark.parametrize("workers", [1, 2])
def test_tls_certificates_that_cannot_be_loaded_fail_each_document_saying_so(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, workers: int
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    monkeypatch.setattr(batch_client, "_TLS", batch_client._TLSContext())  # not built yet
    docs = [doc(n) for n in range(3)]
    with FakeBatchAPI() as api:
        result = summarize_many(
            docs,
            out=tmp_path / "out",
            settings=quick(api.base_url, tmp_path),
            concurrency=8,
            workers=workers,
        )
        requests = api.stats()["chat_requests"]
    assert (result.counts.failed, result.exit_code, requests) == (3, 2, 0)
    rows = list(read_jsonl(tmp_path / "out" / "errors.jsonl"))
    assert {r["error"] for r in rows} == {"ConfigError"}
    assert all("SSL_CERT_FILE=" in r["message"] and "missing.pem" in r["message"] for r in rows)


# ---------------------------------------------------------------------- adaptive limiter


def test_429s_slow_the_whole_batch_down_and_it_still_completes(tmp_path: Path) -> None:
    docs = [doc(n) for n in range(8)]
    with FakeBatchAPI(fault=first(4, 429, retry_after=0.2), delay=0.05) as api:
        result = summarize_many(
            docs,
            out=tmp_path,
            settings=quick(api.base_url, tmp_path, max_attempts=4),
            concurrency=4,
        )
    assert result.counts.succeeded == 8
    limiter = json.loads((tmp_path / "run.json").read_text())["limiter"]
    assert limiter["rate_limited"] == 4
    assert limiter["rpm"] is not None  # no limit was configured: the 429s imposed one
    assert limiter["waited_seconds"] >= 0.2  # the retries waited for the Retry-After pause


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def __call__(self) -> float:
        return self.now

    async def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 3))
        self.now += seconds


def test_the_limiter_spaces_requests_halves_on_429_and_recovers() -> None:
    asyncio.run(_spaces_halves_recovers())


async def _spaces_halves_recovers() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(rpm=600, clock=clock, sleep=clock.sleep, recover_after=3)
    for _ in range(3):
        await limiter.acquire()
    assert clock.slept == [0.1, 0.1]  # 600 rpm: one request every 0.1 s

    limiter.on_rate_limited(retry_after=2.0)
    limiter.on_rate_limited(retry_after=2.0)  # same burst: one cut only
    assert limiter.rpm == 300
    await limiter.acquire()
    assert clock.slept[-1] == pytest.approx(2.0)  # waits out the Retry-After pause

    for _ in range(3):
        limiter.on_success()
    assert limiter.rpm == 375  # a quarter faster after a streak, never above the ceiling
    for _ in range(9):
        limiter.on_success()
    assert limiter.rpm == 600


def test_the_limiter_paces_tokens_per_minute() -> None:
    asyncio.run(_paces_tokens())


async def _paces_tokens() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(tpm=60_000, clock=clock, sleep=clock.sleep)
    await limiter.acquire(tokens=3000)
    await limiter.acquire(tokens=3000)
    assert clock.slept == [3.0]  # 3000 tokens hold the lane for 3 s at 60k tpm


def test_the_limiter_remembers_only_the_last_minute_of_requests() -> None:
    asyncio.run(_last_minute_only())


async def _last_minute_only() -> None:
    clock = FakeClock()
    limiter = AdaptiveLimiter(clock=clock, sleep=clock.sleep)  # no limit: nothing waits
    for _ in range(10_000):  # 100 requests a second for 100 s
        await limiter.acquire()
        clock.now += 0.01
    assert limiter.requests == 10_000
    assert len(limiter._recent) <= 6_001  # memory flat in the number of requests
    limiter.on_rate_limited()
    assert round(limiter.rpm or 0) == 3000  # half of the 6,000 a minute it saw


# ---------------------------------------------------------------------- the command


def test_the_command_exits_2_with_a_summary_when_some_documents_failed(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls = tmp_path / "calls"
    calls.mkdir()
    (calls / "a.txt").write_text(SAMPLE, encoding="utf-8")
    (calls / "b.txt").write_text("")
    with FakeBatchAPI() as api:
        monkeypatch.setenv("OPENAI_BASE_URL", api.base_url)
        monkeypatch.setenv("OPENAI_API_KEY", "sk-test-secret-key-1234")
        result = CliRunner().invoke(cli, ["batch", str(calls), "--out", str(tmp_path / "o")])
        assert result.exit_code == 2, result.output
        assert "2 documents: 1 summarized, 0 already done, 1 failed" in result.output
        again = CliRunner().invoke(
            cli, ["batch", str(calls / "a.txt"), "--out", str(tmp_path / "o"), "--no-progress"]
        )
    assert again.exit_code == 0, again.output
    assert "1 already done" in again.output
    run_text = (tmp_path / "o" / "run.json").read_text()
    assert "secret" not in run_text and "1234" not in run_text
    run = json.loads(run_text)
    assert run["settings"]["openai_api_key"] == "set"
    assert run["numeric_precision"]["final"] == 1.0
    assert run["prompts"] and all("@" in p for p in run["prompts"])


def test_limit_takes_only_the_first_documents_and_a_later_run_adds_the_rest(
    tmp_path: Path,
) -> None:
    docs = [doc(n) for n in range(5)]
    first_llm = fake_llm()
    result = summarize_many(docs, out=tmp_path, llm=first_llm, limit=2)
    assert (result.counts.documents, result.counts.succeeded, len(first_llm.calls)) == (2, 2, 2)
    rest = fake_llm()
    result = summarize_many(docs, out=tmp_path, llm=rest)
    assert (result.counts.resumed, result.counts.succeeded, len(rest.calls)) == (2, 3, 3)
    ids = [row["doc_id"] for row in read_jsonl(tmp_path / "summaries.jsonl")]
    assert ids == [f"call-{n}" for n in range(5)]  # input order, not completion order


@pytest.mark.parametrize(
    "workers",
    [1, pytest.param(2, marks=pytest.mark.skipif(sys.platform != "linux", reason="forks"))],
)
def test_documents_are_prepared_ahead_but_requests_stay_within_the_concurrency(
    tmp_path: Path, workers: int
) -> None:
    """Against an endpoint, ``concurrency // 2`` documents more than requests are in flight
    (in one process or shared by workers): their numbers are extracted while every request
    slot waits on the endpoint."""
    in_flight: list[int] = []
    with FakeBatchAPI(delay=0.2) as api:
        result = summarize_many(
            [doc(n) for n in range(12)],
            out=tmp_path / "out",
            settings=quick(api.base_url, tmp_path),
            concurrency=4,
            workers=workers,
            progress=lambda snapshot: in_flight.append(snapshot.in_flight),
        )
        assert api.stats()["max_in_flight"] == 4  # the endpoint never saw more
    assert (result.counts.succeeded, max(in_flight)) == (12, 4 + 4 // 2)
    run = json.loads((tmp_path / "out" / "run.json").read_text())
    assert run["options"]["prepared_ahead"] == 2


def test_no_document_is_prepared_ahead_of_the_embedded_model_or_a_given_client() -> None:
    hosted = Settings(openai_base_url="http://127.0.0.1:9/v1")
    assert toolkit.batch.lookahead(8, hosted, own_client=True, engine="live") == 4
    # minutes per answer: an interrupt would wait for those documents' calls too
    local = Settings(backend="local", concurrency=8)
    assert toolkit.batch.lookahead(8, local, own_client=True, engine="live") == 0
    # a given llm (FakeLLM, say) is not bounded by this batch's request semaphore
    assert toolkit.batch.lookahead(8, hosted, own_client=False, engine="live") == 0
    assert toolkit.batch.lookahead(8, hosted, own_client=True, engine="openai-batch") == 0
    assert toolkit.batch.lookahead(1, hosted, own_client=True, engine="live") == 0


def test_a_batch_collects_garbage_less_often_and_restores_the_thresholds(tmp_path: Path) -> None:
    before = gc.get_threshold()
    during: list[tuple[int, int, int]] = []
    result = summarize_many(
        [doc(n) for n in range(3)],
        out=tmp_path / "out",
        llm=fake_llm(),
        progress=lambda snapshot: during.append(gc.get_threshold()),
    )
    assert result.counts.succeeded == 3
    assert during and {t[0] for t in during} == {YOUNG_GC_THRESHOLD} != {before[0]}
    assert gc.get_threshold() == before  # the caller's process is left as it was


def test_default_concurrency_is_one_for_the_embedded_model_and_higher_for_hosted(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert default_concurrency(Settings(backend="local")) == 1
    assert default_concurrency(Settings(openai_base_url="http://127.0.0.1:9/v1")) == 16
    monkeypatch.setenv("VERISUM_CONCURRENCY", "5")
    assert default_concurrency(Settings(backend="local")) == 5  # what the user set wins
