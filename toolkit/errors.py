"""verisum's own errors: each says what happened, to which file or endpoint, and what to do.

The CLI turns any `VerisumError` into a one-line message and a non-zero exit; everything else
is a bug and keeps its traceback.
"""

from __future__ import annotations


class VerisumError(Exception):
    """Base of every error verisum raises on purpose."""


class ConfigError(VerisumError):
    """Settings are missing or contradictory (names the variable or file to fix)."""


class InputError(VerisumError):
    """A document or data file cannot be used: empty, binary, undecodable, malformed."""

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        where = path or ""
        if path and line is not None:
            where = f"{path}:{line}"
        super().__init__(f"{where}: {message}" if where else message)
        self.path = path
        self.line = line


class LLMUnavailable(VerisumError):
    """The model endpoint could not be reached or kept failing after the transport retries."""


class LLMOutputInvalid(VerisumError):
    """The model kept returning output that does not fit the schema after the validation reasks."""


class LLMOutputTruncated(LLMOutputInvalid):
    """The answer ran into ``max_tokens`` (or the context) before it was complete; not re-asked,
    since a model that ran out once at temperature 0 runs out again on the same question.

    ``partial`` is the cut-off answer as the model wrote it (JSON text), so a caller can keep
    the complete items before the cut (`toolkit.drafts.salvage`).
    """

    def __init__(self, message: str, *, partial: str | None = None) -> None:
        super().__init__(message)
        self.partial = partial
