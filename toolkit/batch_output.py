"""The files a batch writes, written so that no crash can leave a half-written one visible.

``DIR/<name>.json``   one document's `SummaryReport` (one JSON line) plus a ``batch`` object with
                      its resume key; written to a temp file in DIR, flushed, fsynced, then
                      ``os.replace``-d, so a reader (or a resumed run) sees the old file or the
                      whole new one, never a part.
``DIR/errors.jsonl``  one row per failed document of *this* run: id, source, error type,
                      message, attempts (rewritten each run: a failure is retried on resume).
``DIR/summaries.jsonl`` every successful document of the input set, in input order, assembled
                      at the end from the per-document files (streamed: memory stays flat).
``DIR/run.json``      what the run was (see `toolkit.batch`), replaced atomically as it goes.
``DIR/<name>.partial.json`` what a document's failed run had produced (notes), if anything.

Only one run may use a folder at a time (``DIR/.lock``, an advisory ``flock``); stale temp files
of a killed run are removed when the next one starts.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import IO, Any

from toolkit.errors import InputError

try:
    import fcntl
except ImportError:  # Windows: no advisory lock, one run per folder is then up to the user
    fcntl = None  # type: ignore[assignment]

RESERVED = {"run", "errors", "summaries"}
_UNSAFE = re.compile(r"[^\w.\-]+")
_TMP_PREFIX = ".tmp-"
MAX_NAME = 120


def file_name(doc_id: str) -> str:
    """A safe file stem for ``doc_id``: unsafe characters become ``_``; a name that had to change
    (or is reserved) gets a short hash of the id, so two ids never share a file."""
    name = _UNSAFE.sub("_", doc_id).strip("._") or "doc"
    name = name[:MAX_NAME]
    if name != doc_id or name.lower() in RESERVED or name.endswith(".partial"):
        digest = hashlib.sha256(doc_id.encode("utf-8", "surrogatepass")).hexdigest()[:10]
        name = f"{name}-{digest}"
    return name


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` so that ``path`` is never seen partly written."""
    tmp = path.with_name(f"{_TMP_PREFIX}{os.getpid()}-{path.name}.part")
    with tmp.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def dump_json(data: Any, *, indent: int | None = None) -> bytes:
    return json.dumps(data, ensure_ascii=False, indent=indent, default=str).encode("utf-8")


class OutputDir:
    """DIR of one batch; use as a context manager (takes the lock, cleans stale temp files)."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self._lock: IO[bytes] | None = None
        self._errors: IO[bytes] | None = None

    def __enter__(self) -> OutputDir:
        try:
            self.root.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            message = f"cannot create the output folder ({exc.strerror or exc})"
            raise InputError(message, path=str(self.root)) from None
        lock = (self.root / ".lock").open("ab")
        try:
            if fcntl is not None:
                fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            lock.close()
            raise InputError(
                "another verisum batch is writing to this folder; wait for it or use another --out",
                path=str(self.root),
            ) from None
        self._lock = lock
        for stale in self.root.glob(f"{_TMP_PREFIX}*"):
            with contextlib.suppress(OSError):
                stale.unlink()
        self._errors = (self.root / "errors.jsonl").open("wb")
        return self

    def __exit__(self, *exc: object) -> None:
        if self._errors is not None:
            self._errors.close()
            self._errors = None
        if self._lock is not None:
            if fcntl is not None:
                fcntl.flock(self._lock.fileno(), fcntl.LOCK_UN)
            self._lock.close()
            self._lock = None

    def fds(self) -> tuple[int, ...]:
        """The descriptors this object holds open (a forked worker closes its copies)."""
        return tuple(f.fileno() for f in (self._lock, self._errors) if f is not None)

    # ------------------------------------------------------------------ per document

    def doc_path(self, name: str) -> Path:
        return self.root / f"{name}.json"

    def read_doc(self, name: str) -> dict[str, Any] | None:
        """The stored result of a document, or None when absent or unreadable."""
        try:
            data = json.loads(self.doc_path(name).read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def write_doc(self, name: str, data: bytes) -> None:
        """Write a document's result (one JSON object, no newline inside) atomically."""
        write_atomic(self.doc_path(name), data)
        with contextlib.suppress(OSError):
            (self.root / f"{name}.partial.json").unlink()

    def write_partial(self, name: str, data: dict[str, Any]) -> Path:
        path = self.root / f"{name}.partial.json"
        write_atomic(path, dump_json(data, indent=2))
        return path

    def record_error(self, row: dict[str, Any]) -> None:
        """Append one errors.jsonl row now (flushed: a killed run keeps its errors)."""
        assert self._errors is not None, "use OutputDir as a context manager"
        self._errors.write(dump_json(row) + b"\n")
        self._errors.flush()

    # ------------------------------------------------------------------ run level

    def write_run(self, data: dict[str, Any]) -> None:
        write_atomic(self.root / "run.json", dump_json(data, indent=2))

    def read_run(self) -> dict[str, Any] | None:
        try:
            data = json.loads((self.root / "run.json").read_bytes())
        except (OSError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    def assemble(self, names: Iterable[str]) -> int:
        """Write summaries.jsonl from the per-document files ``names`` (in that order)."""
        count = 0
        tmp = self.root / f"{_TMP_PREFIX}{os.getpid()}-summaries.jsonl"
        with tmp.open("wb") as out:
            for name in names:
                try:
                    data = self.doc_path(name).read_bytes().strip()
                except OSError:
                    continue
                out.write(data + b"\n")
                count += 1
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp, self.root / "summaries.jsonl")
        return count


def read_jsonl(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a JSONL file this module wrote (for tests and the batch engine's resume)."""
    with path.open("rb") as handle:
        for line in handle:
            if line.strip():
                yield json.loads(line)
