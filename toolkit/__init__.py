"""verisum: bilingual summaries and claim lists whose numbers are checked against the source."""

from __future__ import annotations

from toolkit.errors import (
    ConfigError,
    InputError,
    LLMOutputInvalid,
    LLMUnavailable,
    VerisumError,
)
from toolkit.quantity import Basis, Kind, Period, Qualifier, Quantity, Role

__version__ = "0.1.0"

__all__ = [
    "Basis",
    "ConfigError",
    "InputError",
    "Kind",
    "LLMOutputInvalid",
    "LLMUnavailable",
    "Period",
    "Qualifier",
    "Quantity",
    "Role",
    "VerisumError",
    "__version__",
]
