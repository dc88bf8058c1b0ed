"""Reading a document from disk: the first stage of the pipeline.

Chinese transcripts arrive as UTF-8 (with or without a BOM) or as GBK/GB18030 from older Windows
tools. We try exactly those, in that order, instead of guessing: a guesser happily "decodes" a
binary file as some legacy code page, and we would rather say the file is not text.

>>> from pathlib import Path
>>> p = Path("/tmp/verisum-doctest.txt"); _ = p.write_bytes("收入166.5亿".encode("gb18030"))
>>> read_text(p)
'收入166.5亿'
"""

from __future__ import annotations

import os
from pathlib import Path

from toolkit.errors import InputError

# Control characters other than tab/newline/carriage return/form feed mark a binary file.
_BINARY_BYTES = frozenset(range(0x00, 0x09)) | {0x0B, 0x0E, 0x0F} | frozenset(range(0x10, 0x20))
_BINARY_SAMPLE = 8192


def _looks_binary(data: bytes) -> bool:
    sample = data[:_BINARY_SAMPLE]
    if b"\x00" in data:
        return True
    bad = sum(1 for b in sample if b in _BINARY_BYTES and b not in (0x1B, 0x0C))
    return bad > max(2, len(sample) // 100)


def decode_text(data: bytes, *, path: str | None = None) -> str:
    """Decode document bytes as UTF-8 (BOM or not) or GB18030; refuse empty or binary data.

    >>> decode_text("第一季度".encode("utf-8-sig"))
    '第一季度'
    """
    if not data.strip():
        raise InputError("the file is empty; give a text document", path=path)
    if _looks_binary(data):
        raise InputError(
            "the file looks binary (NUL or control bytes); give a UTF-8 or GB18030 text file",
            path=path,
        )
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
        except UnicodeDecodeError:
            continue
        if text.strip():
            return text
    raise InputError(
        "cannot decode the file as UTF-8 or GB18030; convert it to UTF-8 and try again",
        path=path,
    )


def read_text(path: str | os.PathLike[str]) -> str:
    """Read a text document for extraction or summarization, with a clear error when unusable.

    >>> read_text("examples/kuaishou-2024q1-call.txt")[:2]   # doctest: +SKIP
    'Q:'
    """
    p = Path(path)
    name = str(path)
    try:
        data = p.read_bytes()
    except FileNotFoundError:
        raise InputError("no such file", path=name) from None
    except IsADirectoryError:
        raise InputError("is a directory, not a text file", path=name) from None
    except PermissionError:
        raise InputError("permission denied", path=name) from None
    except OSError as exc:
        raise InputError(f"cannot read the file ({exc.strerror or exc})", path=name) from None
    return decode_text(data, path=name)
