"""Step 1 of the data flow: load config.yaml (+ overlays, --set) and validate it.

``validate()`` is the whole step: read, layer, interpolate, check against the
JSON Schema, run the semantic checks, and return every problem found.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from resolver.config.issues import Issue, has_errors, sort_issues
from resolver.config.loader import LoadedConfig

__all__ = ["Validation", "validate"]


@dataclass(frozen=True)
class Validation:
    loaded: LoadedConfig
    issues: tuple[Issue, ...]

    @property
    def ok(self) -> bool:
        return not has_errors(self.issues)


def validate(config: str, overlays: Sequence[str] = (), sets: Sequence[str] = ()) -> Validation:
    """Load and check a configuration. Raises only ConfigFileError / UsageError."""
    from resolver.config.checks import semantic_issues
    from resolver.config.loader import load
    from resolver.config.schema import schema_issues

    loaded = load(config, overlays, sets)
    issues = list(loaded.issues)
    if loaded.data or not issues:
        issues.extend(schema_issues(loaded))
        issues.extend(semantic_issues(loaded))
    return Validation(loaded, tuple(sort_issues(issues)))
