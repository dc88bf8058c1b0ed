"""Shortcuts of the batch's CPU work give what the plain forms gave.

`estimate_tokens` counts wide characters without copying the text;
`toolkit.batch_workers.preload` builds before the fork what every worker needs; every batch
client shares one TLS context, httpx's default, built in a thread when the batch starts. (That the
request path's own body sends the bytes the SDK's ``create`` sends:
tests/test_llm_request_shortcuts.py.)
"""

from __future__ import annotations

import math
import ssl
import subprocess
import sys
import unicodedata
from pathlib import Path

import httpx
import pytest

from toolkit.batch_client import _TLSContext, http_client, tls_context
from toolkit.errors import ConfigError
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
    # In a fresh interpreter: this one has imported and loaded all of it long ago.
    script = """
import threading
from toolkit import batch_client
from toolkit.batch_workers import preload
from toolkit.lexicon import load_lexicon
batch_client.start_tls_context()  # as a batch does when it starts
before = load_lexicon.cache_info().currsize
preload()
threads = [t.name for t in threading.enumerate() if t.name == "verisum-tls"]
print(before, load_lexicon.cache_info().currsize, threads, batch_client._TLS._context is not None)
"""
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=120
    )
    # the lexicon loaded, the TLS context built and its thread gone before any fork
    assert done.stdout.strip() == "0 1 [] True"


def test_every_batch_client_shares_httpx_s_default_tls_context() -> None:
    async def hook(_: object) -> None:
        return None

    shared = _TLSContext()
    shared.start()
    context = shared.get()
    assert shared.get() is context  # built once
    default = httpx.create_ssl_context()  # what each client used to build for itself
    assert context.verify_mode == default.verify_mode == ssl.CERT_REQUIRED
    assert context.check_hostname and default.check_hostname
    assert context.cert_store_stats() == default.cert_store_stats()  # the same CA bundle
    assert _TLSContext().get().cert_store_stats() == default.cert_store_stats()  # never started

    first, second = http_client(hook, hook), http_client(hook, hook)
    transports = [c._transport for c in (first, second)]  # type: ignore[attr-defined]
    assert all(t.ssl_context is tls_context() for t in transports)


def test_certificates_that_cannot_be_loaded_are_a_config_error_naming_the_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setenv("SSL_CERT_FILE", str(tmp_path / "missing.pem"))
    shared = _TLSContext()
    shared.start()  # fails in its thread, quietly: the error belongs to whoever needs the context
    with pytest.raises(ConfigError, match=r"SSL_CERT_FILE=.*missing\.pem: No such file"):
        shared.get()
    assert "Exception in thread" not in capsys.readouterr().err
