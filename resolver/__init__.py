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

TYPE_CHECKING = False  # typing.TYPE_CHECKING without importing typing on the start-up path
if TYPE_CHECKING:
    from typing import Any

    from resolver.api import load
    from resolver.plan.model import Plan
    from resolver.runtime import Observer, Resolver, Runtime

__version__ = "0.1.0"

__all__ = [
    "ConfigError",
    "NoCredentialAvailable",
    "Observer",
    "Plan",
    "Resolver",
    "ResolverError",
    "Runtime",
    "StateError",
    "UnknownProviderError",
    "__version__",
    "load",
]

_LAZY = {
    "load": "resolver.api",
    "Plan": "resolver.plan.model",
    "Observer": "resolver.runtime",
    "Resolver": "resolver.runtime",
    "Runtime": "resolver.runtime",
}


def __getattr__(name: str) -> Any:
    """Import the heavier parts on first use, so ``import resolver`` stays cheap."""
    module = _LAZY.get(name)
    if module is None:
        raise AttributeError(f"module 'resolver' has no attribute {name!r}")
    import importlib

    value = getattr(importlib.import_module(module), name)
    globals()[name] = value
    return value
