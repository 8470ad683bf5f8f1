"""The built-in provider table (``providers.json``, package data) and its loader.

Every registry id is a pool key whether or not the config mentions it. The
table is data: adding a provider is an edit to the JSON file, not to code.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

__all__ = ["ProviderSpec", "get", "ids", "registry"]


@dataclass(frozen=True, slots=True)
class ProviderSpec:
    """One registry provider, as the public documentation of that provider states it."""

    id: str
    name: str
    base_url: str
    api_key_env: tuple[str, ...]
    api_mode: str
    key_required: bool
    auth_types: tuple[str, ...]
    base_url_env: str | None = None
    token_url: str | None = None

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> ProviderSpec:
        return cls(
            id=d["id"],
            name=d["name"],
            base_url=d["base_url"],
            api_key_env=tuple(d.get("api_key_env", ())),
            api_mode=d.get("api_mode", "chat_completions"),
            key_required=bool(d.get("key_required", True)),
            auth_types=tuple(d.get("auth_types", ("api_key",))),
            base_url_env=d.get("base_url_env"),
            token_url=d.get("token_url"),
        )


@cache
def registry() -> MappingProxyType[str, ProviderSpec]:
    """All registry providers by id, in table order."""
    text = resources.files(__package__).joinpath("providers.json").read_text("utf-8")
    table = json.loads(text)
    return MappingProxyType({p["id"]: ProviderSpec.from_dict(p) for p in table["providers"]})


def ids() -> tuple[str, ...]:
    return tuple(registry())


def get(provider_id: str) -> ProviderSpec | None:
    return registry().get(provider_id.strip().lower())
