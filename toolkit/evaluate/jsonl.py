"""Read JSONL data files line by line, keeping good rows and naming bad ones.

An eval over 4,628 cases should not die on line 1,203; it reports ``cases.jsonl:1203: not JSON
(Expecting ',' delimiter)`` and evaluates the rest. Rows are validated into pydantic models, so a
missing key or a wrong type is reported the same way.

Example::

    >>> rows, problems = read_models(Path("cases.jsonl"), Case)
    >>> problems
    ['cases.jsonl:3: missing key "claim"']
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from toolkit.errors import InputError

M = TypeVar("M", bound=BaseModel)


def read_models(path: Path, model: type[M]) -> tuple[list[tuple[int, M]], list[str]]:
    """(line number, row) for every valid line of ``path``, and one problem string per bad line.

    Blank lines are skipped silently. A file that cannot be read or decoded raises `InputError`.
    """
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise InputError(f"cannot read ({exc.strerror})", path=str(path)) from exc
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(f"not UTF-8 ({exc.reason} at byte {exc.start})", path=str(path)) from exc
    rows: list[tuple[int, M]] = []
    problems: list[str] = []
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{path}:{number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            problems.append(f"{where}: not JSON ({exc.msg})")
            continue
        if not isinstance(data, dict):
            problems.append(f"{where}: expected a JSON object, got {type(data).__name__}")
            continue
        try:
            rows.append((number, model.model_validate(data)))
        except ValidationError as exc:
            problems.append(f"{where}: {_describe(exc)}")
    return rows, problems


def _describe(exc: ValidationError) -> str:
    """The first validation error in words: 'missing key "claim"', 'label: Input should be...'."""
    parts: list[str] = []
    for error in exc.errors()[:3]:
        loc = ".".join(str(p) for p in error["loc"])
        if error["type"] == "missing":
            parts.append(f'missing key "{loc}"')
        else:
            parts.append(f"{loc}: {error['msg']}" if loc else error["msg"])
    return "; ".join(parts)
