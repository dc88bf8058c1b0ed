"""The batch client's HTTP transport (aiohttp under the openai SDK's httpx client) and the
benchmark's cheap fake endpoint.

The transport is swapped for speed only: requests, timeouts, connection failures and the pacing
hooks must behave as with httpx's own transport, and every connection must be closed before the
event loop ends.
"""

from __future__ import annotations

import json
import socket
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from httpx_aiohttp import AiohttpTransport

import toolkit.batch
import toolkit.batch_client
from benchmarks.fake_endpoint import serving
from tests.batch_support import doc, quick
from tests.fake_batch_api import FakeBatchAPI, completion
from toolkit import summarize_many
from toolkit.batch_output import read_jsonl


@pytest.fixture(autouse=True)
def _short_pauses(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(toolkit.batch, "RETRY_PAUSE", 0.01)


@pytest.fixture
def clients(monkeypatch: pytest.MonkeyPatch) -> list[httpx.AsyncClient]:
    """Every HTTP client the batch makes, kept to look at after the run."""
    made: list[httpx.AsyncClient] = []
    real = toolkit.batch_client.http_client

    def recording(*hooks: Any) -> httpx.AsyncClient:
        client = real(*hooks)
        made.append(client)
        return client

    monkeypatch.setattr(toolkit.batch_client, "http_client", recording)
    return made


def test_requests_go_over_aiohttp_paced_and_the_connections_are_closed_at_the_end(
    tmp_path: Path, clients: list[httpx.AsyncClient]
) -> None:
    with FakeBatchAPI(delay=0.02) as api:
        settings = quick(api.base_url, tmp_path)
        result = summarize_many(
            [doc(n) for n in range(4)], out=tmp_path / "out", settings=settings, concurrency=4
        )
        assert api.stats()["chat_requests"] == 4
    assert result.counts.succeeded == 4
    (client,) = clients  # one per event loop
    assert isinstance(client._transport, AiohttpTransport)
    assert client.is_closed  # closed in its loop: no aiohttp session left open
    limiter = json.loads((tmp_path / "out" / "run.json").read_text())["limiter"]
    assert limiter["requests"] == 4  # the pacing hooks saw every request


def test_a_request_that_outlives_the_timeout_fails_its_document_in_bounded_time(
    tmp_path: Path,
) -> None:
    with FakeBatchAPI(delay=3.0) as api:
        settings = quick(api.base_url, tmp_path, timeout=0.3, max_attempts=1)
        started = time.monotonic()
        result = summarize_many([doc(0)], out=tmp_path / "out", settings=settings, concurrency=1)
        elapsed = time.monotonic() - started
    assert result.counts.failed == 1
    assert elapsed < 2.5  # 2 document attempts of one 0.3 s try, not the server's 3 s
    (row,) = read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert row["error"] == "LLMUnavailable"
    assert "request timed out" in row["message"]


def test_nothing_listening_is_a_connection_failure(tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port that was free a moment ago
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    settings = quick(f"http://127.0.0.1:{port}/v1", tmp_path, max_attempts=1)
    result = summarize_many([doc(0)], out=tmp_path / "out", settings=settings, concurrency=1)
    assert result.counts.failed == 1
    (row,) = read_jsonl(tmp_path / "out" / "errors.jsonl")
    assert row["error"] == "LLMUnavailable"
    assert "connection failed" in row["message"]


def test_without_httpx_aiohttp_the_batch_uses_httpx_transport(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, clients: list[httpx.AsyncClient]
) -> None:
    monkeypatch.setattr(toolkit.batch_client, "AiohttpTransport", None)
    with FakeBatchAPI() as api:
        settings = quick(api.base_url, tmp_path)
        result = summarize_many(
            [doc(0), doc(1)], out=tmp_path / "out", settings=settings, concurrency=2
        )
    assert result.counts.succeeded == 2
    (client,) = clients
    assert isinstance(client._transport, httpx.AsyncHTTPTransport)
    assert client.is_closed


# ---------------------------------------------------------------- the benchmark's fake endpoint


@pytest.fixture
def endpoint() -> Iterator[str]:
    """``benchmarks/fake_endpoint.py`` in its own process, as the benchmark runs it."""
    with serving(0.05) as (base_url, _):
        yield base_url.removesuffix("/v1")


def _stats(root: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{root}/stats", timeout=10) as response:
        data: dict[str, Any] = json.load(response)
    return data


def test_the_benchmark_endpoint_answers_a_batch_with_the_recorded_summary(
    tmp_path: Path, endpoint: str
) -> None:
    docs = [doc(n) for n in range(5)]
    settings = quick(f"{endpoint}/v1", tmp_path)
    result = summarize_many(docs, out=tmp_path / "out", settings=settings, concurrency=5)
    assert result.counts.succeeded == 5
    seen = _stats(endpoint)
    assert (seen["chat_requests"], seen["max_in_flight"]) == (5, 5)
    again = summarize_many(docs, out=tmp_path / "out", settings=settings, concurrency=5)
    assert again.counts.resumed == 5
    assert _stats(endpoint)["chat_requests"] == 5  # second run: no model call
    report = json.loads((tmp_path / "out" / "call-0.json").read_text())
    assert report["final"]["supported"] == report["final"]["quantities"] > 0


def test_the_benchmark_endpoint_gives_the_same_answer_as_the_test_fake(endpoint: str) -> None:
    schema = {"type": "object", "properties": {"items": {"type": "array"}}, "required": ["items"]}
    for extra in ({}, {"response_format": {"type": "json_schema"}}):
        body = {
            "model": "m",
            "messages": [{"role": "user", "content": "x"}],
            "tools": [
                {"type": "function", "function": {"name": "RepairedItems", "parameters": schema}}
            ],
            **extra,
        }
        request = urllib.request.Request(
            f"{endpoint}/v1/chat/completions",
            data=json.dumps(body).encode(),
            headers={"content-type": "application/json"},
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert json.load(response) == completion(body)
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(f"{endpoint}/v1/files", timeout=10)
    assert refused.value.code == 404
