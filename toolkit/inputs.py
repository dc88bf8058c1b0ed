"""What a batch reads: a folder, a glob or a JSONL file, turned into documents one at a time.

A batch of thousands of transcripts must not hold them all in memory, and one bad line must not
stop the others, so `open_inputs` returns an `InputSet` that *streams*: iterating it yields a
`Document` per usable entry and an `InputProblem` (naming the file and line) per unusable one.
Files are read lazily, when the batch gets to them, with `toolkit.read.read_text` (so an empty,
binary or undecodable file becomes that document's error, not the batch's).

Accepted inputs:

* a folder: every ``*.txt`` and ``*.md`` below it, recursively, in sorted order; the id is the
  path relative to the folder without its suffix (``q1/kuaishou``);
* a glob (``calls/**/*.txt``): the matching files, ids relative to the glob's fixed prefix;
* a ``.jsonl`` file of ``{"id", "text", "doc_date"?}`` rows (``transcript`` is accepted for
  ``text``, as in ECTSum); ``doc_date`` is ``YYYY-MM-DD``.

Example::

    >>> inputs = open_inputs("../shared/data/ectsum/val.jsonl")        # doctest: +SKIP
    >>> inputs.kind, inputs.count()                                     # doctest: +SKIP
    ('jsonl', 249)
    >>> next(iter(inputs)).id                                           # doctest: +SKIP
    'ABM_q1_2021'
"""

from __future__ import annotations

import glob
import json
import os
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any, Literal

from toolkit.errors import InputError
from toolkit.read import read_text

SUFFIXES = (".txt", ".md")
InputKind = Literal["folder", "glob", "jsonl", "documents"]


@dataclass(frozen=True)
class Document:
    """One document of a batch; ``text`` is None for a file not read yet (see `load`)."""

    id: str
    source: str  # where it came from: a file path, or "file.jsonl:12"
    text: str | None = None
    path: Path | None = None
    doc_date: date | None = None

    def load(self) -> str:
        """The text, reading the file now if needed (raises `InputError` for unusable files)."""
        if self.text is not None:
            return self.text
        if self.path is None:
            raise InputError("the document has neither text nor a file", path=self.source)
        return read_text(self.path)


@dataclass(frozen=True)
class InputProblem:
    """An input entry that cannot become a document (bad JSON, missing text...)."""

    source: str  # "file.jsonl:12"
    message: str
    id: str | None = None  # when the entry named one

    @property
    def doc_id(self) -> str:
        return self.id if self.id is not None else self.source


Entry = Document | InputProblem


class InputSet:
    """A streamed set of batch inputs; iterate it (more than once if you like) for the entries."""

    def __init__(self, spec: str, kind: InputKind, entries: Iterable[Entry] | None = None) -> None:
        self.spec = spec
        self.kind = kind
        self._entries = entries
        self._files: list[Path] | None = None
        self._root: Path | None = None

    # ------------------------------------------------------------------ public

    def count(self) -> int | None:
        """How many entries iteration will yield (cheap: lists files / counts lines), or None
        for an iterable of unknown length."""
        if self.kind in ("folder", "glob"):
            return len(self._file_list())
        if self.kind == "jsonl":
            with Path(self.spec).open("rb") as handle:
                return sum(1 for line in handle if line.strip())
        if isinstance(self._entries, list | tuple):
            return len(self._entries)
        return None

    def __iter__(self) -> Iterator[Entry]:
        if self.kind in ("folder", "glob"):
            return self._iter_files()
        if self.kind == "jsonl":
            return _iter_jsonl(Path(self.spec))
        assert self._entries is not None
        return iter(self._entries)

    # ------------------------------------------------------------------ files

    def _file_list(self) -> list[Path]:
        if self._files is None:
            if self.kind == "folder":
                root = Path(self.spec)
                files = [
                    p
                    for p in root.rglob("*")
                    if p.suffix.lower() in SUFFIXES and p.is_file() and not _hidden(p, root)
                ]
            else:
                root = _glob_root(self.spec)
                files = [Path(p) for p in glob.glob(self.spec, recursive=True)]
                files = [p for p in files if p.is_file()]
            self._root = root
            self._files = sorted(files)
        return self._files

    def _iter_files(self) -> Iterator[Entry]:
        files = self._file_list()
        root = self._root or Path(".")
        stems: dict[str, int] = {}
        ids = [_file_id(p, root) for p in files]
        for doc_id in ids:
            stems[doc_id] = stems.get(doc_id, 0) + 1
        for path, doc_id in zip(files, ids, strict=True):
            if stems[doc_id] > 1:  # q1.txt and q1.md: keep the suffix to tell them apart
                doc_id = _file_id(path, root, keep_suffix=True)
            yield Document(id=doc_id, source=str(path), path=path)


def open_inputs(spec: str | os.PathLike[str]) -> InputSet:
    """The `InputSet` for a folder, a glob or a JSONL file; `InputError` if it names nothing."""
    text = str(spec)
    path = Path(text)
    if path.is_dir():
        return InputSet(text, "folder")
    if path.is_file():
        if path.suffix.lower() in (".jsonl", ".ndjson"):
            return InputSet(text, "jsonl")
        if path.suffix.lower() in SUFFIXES:
            return InputSet(text, "glob")  # one file is a glob matching itself
        raise InputError(
            "give a folder of .txt/.md files, a glob, or a .jsonl file of {id, text} rows",
            path=text,
        )
    if glob.has_magic(text):
        inputs = InputSet(text, "glob")
        if not inputs.count():
            raise InputError("the glob matches no files", path=text)
        return inputs
    raise InputError("no such file or folder", path=text)


def documents_from(items: Iterable[Document | Mapping[str, Any] | str]) -> InputSet:
    """An `InputSet` over Python objects: `Document`, ``{"id", "text", "doc_date"?}`` dicts,
    or plain strings (ids ``doc-1``, ``doc-2``... in order)."""

    def entries() -> Iterator[Entry]:
        for number, item in enumerate(items, start=1):
            where = f"document {number}"
            if isinstance(item, Document):
                yield item
            elif isinstance(item, str):
                yield Document(id=f"doc-{number}", source=where, text=item)
            else:
                yield _row_entry(dict(item), where)

    sized = isinstance(items, list | tuple)
    return InputSet("<python>", "documents", list(entries()) if sized else entries())


# ---------------------------------------------------------------------- helpers


def _hidden(path: Path, root: Path) -> bool:
    return any(part.startswith(".") for part in path.relative_to(root).parts)


def _glob_root(pattern: str) -> Path:
    """The fixed folder a glob starts in (``calls/2024/*.txt`` → ``calls/2024``)."""
    parts: list[str] = []
    for part in Path(pattern).parts:
        if glob.has_magic(part):
            break
        parts.append(part)
    root = Path(*parts) if parts else Path(".")
    return root.parent if root.is_file() else root


def _file_id(path: Path, root: Path, *, keep_suffix: bool = False) -> str:
    try:
        relative = path.relative_to(root)
    except ValueError:
        relative = Path(path.name)
    if not keep_suffix:
        relative = relative.with_suffix("")
    return relative.as_posix()


def _iter_jsonl(path: Path) -> Iterator[Entry]:
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if not raw.strip():
                continue
            where = f"{path}:{number}"
            try:
                line = raw.decode("utf-8-sig" if number == 1 else "utf-8")
            except UnicodeDecodeError as exc:
                yield InputProblem(where, f"the line is not UTF-8 ({exc.reason})")
                continue
            try:
                row = json.loads(line)
            except json.JSONDecodeError as exc:
                yield InputProblem(where, f"not valid JSON ({exc.msg}, column {exc.colno})")
                continue
            if not isinstance(row, dict):
                yield InputProblem(where, f"expected a JSON object, got {type(row).__name__}")
                continue
            yield _row_entry(row, where)


def _row_entry(row: dict[str, Any], where: str) -> Entry:
    """A JSONL row (or dict) as a document, or the problem with it."""
    raw_id = row.get("id")
    doc_id = str(raw_id) if isinstance(raw_id, str | int) and str(raw_id).strip() else None
    if doc_id is None:
        return InputProblem(where, 'the row has no "id" (a non-empty string or integer)')
    text = row.get("text", row.get("transcript"))
    if not isinstance(text, str):
        return InputProblem(where, 'the row has no "text" (or "transcript") string', doc_id)
    doc_date: date | None = None
    raw_date = row.get("doc_date")
    if raw_date not in (None, ""):
        try:
            doc_date = date.fromisoformat(str(raw_date))
        except ValueError:
            return InputProblem(where, f'"doc_date" {raw_date!r} is not YYYY-MM-DD', doc_id)
    return Document(id=doc_id, source=where, text=text, doc_date=doc_date)
