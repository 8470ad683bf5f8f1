"""The public API is small and exactly what __all__ says."""

from __future__ import annotations

import resolver
from resolver import errors

PUBLIC = {
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
}


def test_all_is_exactly_the_public_api() -> None:
    assert set(resolver.__all__) == PUBLIC
    for name in resolver.__all__:
        assert hasattr(resolver, name)


def test_error_tree() -> None:
    assert issubclass(errors.ConfigError, errors.ResolverError)
    assert issubclass(errors.ConfigError, ValueError)
    assert issubclass(errors.UnknownProviderError, KeyError)
    assert issubclass(errors.NoCredentialAvailable, errors.ResolverError)
    assert issubclass(errors.StateError, errors.ResolverError)
    assert errors.ConfigFileError("f", "gone").exit_code == 2
    assert str(errors.UnknownProviderError("openruter", ["openrouter"])).endswith("(did you mean 'openrouter'?)")
