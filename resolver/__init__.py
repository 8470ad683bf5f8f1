"""provider-resolver: which LLM endpoint, model and credential an agent uses, right now.

The public API is small and listed in ``__all__``; everything else is private.
Importing this package is cheap: heavy modules load only when used.
"""

from __future__ import annotations

from resolver.errors import (
    ConfigError,
    NoCredentialAvailable,
    ResolverError,
    StateError,
    UnknownProviderError,
)

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "NoCredentialAvailable",
    "ResolverError",
    "StateError",
    "UnknownProviderError",
    "__version__",
]
