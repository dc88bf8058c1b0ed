"""verisum: bilingual summaries and claim lists whose numbers are checked against the source."""

from __future__ import annotations

from toolkit.batch import BatchResult, asummarize_many, summarize_many
from toolkit.errors import (
    ConfigError,
    InputError,
    LLMOutputInvalid,
    LLMUnavailable,
    VerisumError,
)
from toolkit.numbers import extract_quantities
from toolkit.pipeline import asummarize, summarize
from toolkit.quantity import Basis, Kind, Period, Qualifier, Quantity, Role
from toolkit.verdict import NumberCheck, Reason, Verdict, Verification

# `toolkit.verify` is the function (issue 3's API); the module stays importable as
# `from toolkit.verify import PreparedSource`.
from toolkit.verify import PreparedSource, prepare_source, verify, verify_many

__version__ = "0.1.0"

__all__ = [
    "Basis",
    "BatchResult",
    "ConfigError",
    "InputError",
    "Kind",
    "LLMOutputInvalid",
    "LLMUnavailable",
    "NumberCheck",
    "Period",
    "PreparedSource",
    "Qualifier",
    "Quantity",
    "Reason",
    "Role",
    "Verdict",
    "Verification",
    "VerisumError",
    "__version__",
    "asummarize",
    "asummarize_many",
    "extract_quantities",
    "prepare_source",
    "summarize",
    "summarize_many",
    "verify",
    "verify_many",
]
