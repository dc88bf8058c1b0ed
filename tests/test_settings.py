"""Settings precedence (argument > environment > verisum.toml > default) and `verisum config`."""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from toolkit.cli import cli
from toolkit.errors import ConfigError
from toolkit.settings import load_settings


@pytest.fixture
def workdir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_no_key_and_no_base_url_means_the_embedded_model(workdir: Path) -> None:
    settings = load_settings()
    assert settings.backend == "local"
    assert settings.resolved_model == "qwen2.5-coder-1.5b-instruct-q4_k_m"
    assert (settings.max_attempts, settings.retry_max_time, settings.reasks) == (5, 30.0, 2)


def test_a_key_selects_openai(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-live-abcdefghijkl")
    settings = load_settings()
    assert settings.backend == "openai"
    assert settings.endpoint == "https://api.openai.com/v1"
    assert settings.resolved_model == "gpt-4o-mini"


def test_a_base_url_alone_selects_openai_for_vllm_or_ollama(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OPENAI_BASE_URL", "http://127.0.0.1:11434/v1/")
    settings = load_settings()
    assert settings.backend == "openai"
    assert settings.endpoint == "http://127.0.0.1:11434/v1"


def test_argument_beats_environment_beats_file_beats_default(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    (workdir / "verisum.toml").write_text(
        'model = "qwen-plus"\nconcurrency = 7\nreasks = 1\n', encoding="utf-8"
    )
    monkeypatch.setenv("VERISUM_CONCURRENCY", "3")
    monkeypatch.setenv("VERISUM_REASKS", "0")
    settings = load_settings(reasks=4)
    assert settings.reasks == 4  # argument
    assert settings.concurrency == 3  # environment
    assert settings.model == "qwen-plus"  # file
    assert settings.max_attempts == 5  # default


def test_none_arguments_do_not_mask_the_environment(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERISUM_MODEL", "deepseek-chat")
    assert load_settings(model=None).model == "deepseek-chat"


def test_cache_dir_defaults_to_the_user_cache(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("VERISUM_CACHE_DIR")
    monkeypatch.setenv("XDG_CACHE_HOME", str(workdir / "xdg"))
    assert load_settings().cache_dir == workdir / "xdg" / "verisum"


def test_unknown_key_in_the_file_is_a_config_error_naming_it(workdir: Path) -> None:
    (workdir / "verisum.toml").write_text("modle = 'typo'\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"modle: Extra inputs are not permitted.*verisum\.toml"):
        load_settings()


def test_malformed_file_is_a_config_error_naming_the_file(workdir: Path) -> None:
    (workdir / "verisum.toml").write_text("model = \n", encoding="utf-8")
    with pytest.raises(ConfigError, match=r"verisum\.toml: not valid TOML"):
        load_settings()


def test_bad_value_from_the_environment_is_a_config_error(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERISUM_BACKEND", "anthropic")
    with pytest.raises(ConfigError, match="backend"):
        load_settings()


def test_the_embedded_server_only_binds_loopback(workdir: Path) -> None:
    with pytest.raises(ConfigError, match="loopback"):
        load_settings(local_host="0.0.0.0")


def test_config_command_masks_the_key(workdir: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OPENAI_API_KEY", "sk-proj-SECRETSECRET1234")
    result = CliRunner().invoke(cli, ["config", "--model", "gpt-4.1-mini"])
    assert result.exit_code == 0, result.output
    assert "SECRETSECRET" not in result.output
    assert "openai_api_key = sk-…1234" in result.output
    assert "model = gpt-4.1-mini" in result.output
    assert "backend = openai" in result.output


def test_no_cache_flag_reaches_the_settings(workdir: Path) -> None:
    result = CliRunner().invoke(cli, ["config", "--no-cache"])
    assert result.exit_code == 0, result.output
    assert "no_cache = True" in result.output


def test_config_errors_are_one_line_not_a_traceback(
    workdir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("VERISUM_MAX_ATTEMPTS", "zero")
    result = CliRunner().invoke(cli, ["config"])
    assert result.exit_code == 1
    assert result.output.startswith("Error: invalid settings (max_attempts")
