"""One settings resolver for everything that talks to a model.

Precedence, highest first: explicit arguments, then the environment (``OPENAI_API_KEY``,
``OPENAI_BASE_URL``, ``VERISUM_*``), then ``verisum.toml`` in the working directory, then the
defaults below. Keeping a single resolver means ``verisum config`` shows exactly what a run uses.

Example::

    >>> Settings(backend="openai", openai_api_key="sk-test", model="gpt-4o-mini").endpoint
    'https://api.openai.com/v1'
"""

from __future__ import annotations

import os
import sys
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import (
    AliasChoices,
    Field,
    SecretStr,
    ValidationError,
    model_validator,
)
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from toolkit.errors import ConfigError

CONFIG_FILE = "verisum.toml"
OPENAI_DEFAULT_BASE_URL = "https://api.openai.com/v1"
OPENAI_DEFAULT_MODEL = "gpt-4o-mini"
LOCAL_DEFAULT_MODEL = "qwen2.5-coder-1.5b-instruct-q4_k_m"

Backend = Literal["openai", "local"]
StructuredMode = Literal["tools", "json_schema"]


def default_cache_dir() -> Path:
    """The per-user cache directory (XDG on Linux, Library/Caches on macOS, LOCALAPPDATA)."""
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or Path.home() / "AppData" / "Local")
    elif sys.platform == "darwin":
        base = Path.home() / "Library" / "Caches"
    else:
        base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    return base / "verisum"


def _env(*names: str) -> AliasChoices:
    return AliasChoices(*names)


class Settings(BaseSettings):
    """Effective configuration of the LLM layer; see the module docstring for precedence."""

    model_config = SettingsConfigDict(
        env_prefix="VERISUM_",
        toml_file=CONFIG_FILE,
        populate_by_name=True,
        extra="forbid",
        validate_default=True,
    )

    backend: Backend | None = Field(
        default=None,
        description="openai (any OpenAI-compatible endpoint) or local (the embedded model); "
        "default: openai when a key or base URL is set, else local",
    )
    openai_api_key: SecretStr | None = Field(
        default=None, validation_alias=_env("OPENAI_API_KEY", "openai_api_key")
    )
    openai_base_url: str | None = Field(
        default=None, validation_alias=_env("OPENAI_BASE_URL", "openai_base_url")
    )
    model: str | None = Field(
        default=None,
        description=f"model name; default {OPENAI_DEFAULT_MODEL} (openai) or the GGUF's name",
    )
    mode: StructuredMode = Field(
        default="tools",
        description="how structured output is requested from an openai backend; "
        "the local llama.cpp server always uses tools (its json_schema format fails)",
    )
    timeout: float = Field(default=120.0, gt=0, description="seconds per HTTP request (hosted)")
    local_timeout: float = Field(
        default=900.0, gt=0, description="seconds per HTTP request to the embedded model (CPU)"
    )
    connect_timeout: float = Field(default=10.0, gt=0)
    max_attempts: int = Field(
        default=5, ge=1, description="transport tries per request (timeouts, 429, 5xx)"
    )
    retry_max_time: float = Field(
        default=30.0, gt=0, description="no new transport try starts after this many seconds"
    )
    backoff_initial: float = Field(default=0.5, ge=0)
    backoff_max: float = Field(default=8.0, ge=0)
    backoff_jitter: float = Field(default=0.5, ge=0)
    reasks: int = Field(
        default=2, ge=0, description="validation reasks after the first answer fails the schema"
    )
    concurrency: int = Field(default=4, ge=1, description="parallel requests (async API)")
    cache_dir: Path = Field(default_factory=default_cache_dir)
    no_cache: bool = Field(default=False, description="bypass the response cache")
    local_model: Path | None = Field(
        default=None, description="a GGUF to use instead of the bundled Qwen2.5-Coder-1.5B"
    )
    local_n_ctx: int = Field(default=8192, ge=512, description="context window of the server")
    local_threads: int | None = Field(default=None, ge=1)
    local_host: str = "127.0.0.1"
    local_port: int = Field(default=0, ge=0, le=65535, description="0 picks a free port")
    local_startup_timeout: float = Field(default=180.0, gt=0)

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @model_validator(mode="after")
    def _resolve_backend(self) -> Settings:
        if self.backend is None:
            hosted = self.openai_api_key is not None or self.openai_base_url is not None
            self.backend = "openai" if hosted else "local"
        if self.local_host not in {"127.0.0.1", "localhost", "::1"}:
            raise ValueError("local_host must be a loopback address: the server is unauthenticated")
        return self

    @property
    def resolved_backend(self) -> Backend:
        """The backend after defaulting (never None once validated)."""
        return self.backend or "local"

    @property
    def resolved_model(self) -> str:
        """The model name requests carry: the setting, else the backend's default."""
        if self.model:
            return self.model
        if self.resolved_backend == "openai":
            return OPENAI_DEFAULT_MODEL
        return self.local_model.stem if self.local_model is not None else LOCAL_DEFAULT_MODEL

    @property
    def endpoint(self) -> str:
        """Where requests go, without secrets; the local server's URL is known only once started."""
        if self.resolved_backend == "local":
            return "embedded llama.cpp server (127.0.0.1, started on demand)"
        return (self.openai_base_url or OPENAI_DEFAULT_BASE_URL).rstrip("/")

    @property
    def request_timeout(self) -> float:
        return self.local_timeout if self.resolved_backend == "local" else self.timeout

    def masked_key(self) -> str:
        """The API key as ``sk-…abcd`` (never the whole key), or ``(not set)``."""
        if self.openai_api_key is None:
            return "(not set)"
        key = self.openai_api_key.get_secret_value()
        if len(key) <= 8:
            return "****"
        return f"{key[:3]}…{key[-4:]}"

    def effective(self) -> dict[str, str]:
        """Every setting as display text, key masked, for ``verisum config``."""
        shown: dict[str, str] = {}
        for name in type(self).model_fields:
            value: Any = getattr(self, name)
            if name == "openai_api_key":
                shown[name] = self.masked_key()
            elif name == "model":
                shown[name] = self.resolved_model
            elif value is None:
                shown[name] = "(default)"
            else:
                shown[name] = str(value)
        shown["endpoint"] = self.endpoint
        return shown


def load_settings(**overrides: Any) -> Settings:
    """Build `Settings`, turning validation and file errors into a `ConfigError`.

    ``overrides`` are explicit arguments (highest precedence); ``None`` values are dropped so a
    CLI option left unset does not mask the environment.
    """
    explicit = {k: v for k, v in overrides.items() if v is not None}
    try:
        return Settings(**explicit)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{Path(CONFIG_FILE).resolve()}: not valid TOML: {exc}") from exc
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(p) for p in err['loc']) or 'settings'}: {err['msg']}"
            for err in exc.errors()
        )
        raise ConfigError(
            f"invalid settings ({problems}); check the VERISUM_* / OPENAI_* environment "
            f"variables and {CONFIG_FILE} in {Path.cwd()}"
        ) from exc
