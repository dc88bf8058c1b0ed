"""Shared test setup: a clean environment for settings, and replay-only cassettes.

Cassettes (pytest-recording) replay by default (`make test` passes ``--record-mode=none``): a
request that is not in the cassette fails, and so does a cassette with unplayed interactions.
Credentials are filtered out before anything is written.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The shared batch checks assert too: show their values on failure like a test's own asserts.
pytest.register_assert_rewrite("tests.batch_support")

_SECRET_HEADERS = ["authorization", "api-key", "x-api-key", "cookie", "set-cookie"]


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Tests marked ``local`` run the real model (minutes of CPU): only when asked by ``-m``.

    ``pytest -m local`` (inside ``flock /tmp/verisum-model.lock``) runs them; the default run
    shows them as skipped so it never needs the model.
    """
    if re.search(r"\blocal\b", config.option.markexpr or ""):
        return
    skip = pytest.mark.skip(reason="runs the real embedded model; select with: pytest -m local")
    for item in items:
        if item.get_closest_marker("local") is not None:
            item.add_marker(skip)


@pytest.fixture(autouse=True)
def _isolated_settings(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """No test sees the developer's keys, endpoint or cache; the cache goes to a temp dir."""
    for name in list(os.environ):
        if name.startswith(("VERISUM_", "OPENAI_")):
            monkeypatch.delenv(name)
    monkeypatch.setenv("VERISUM_CACHE_DIR", str(tmp_path / "verisum-cache"))


@pytest.fixture(scope="module")
def vcr_config() -> dict[str, Any]:
    # Host and port are not matched: the embedded server records on a random free port.
    return {
        "filter_headers": _SECRET_HEADERS,
        "match_on": ["method", "path", "query", "body"],
        "decode_compressed_response": True,
    }


@pytest.fixture(autouse=True)
def _cassette_fully_played(vcr: Any, record_mode: str) -> Iterator[None]:
    """A replayed test must use every recorded interaction (a stale cassette fails)."""
    yield
    if vcr is not None and record_mode == "none" and not vcr.all_played:
        pytest.fail(f"cassette {vcr._path} has interactions this test did not replay")
