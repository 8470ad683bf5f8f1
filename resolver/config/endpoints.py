"""Which pools a config declares, and what a provider reference points at.

Shared by the semantic checks (to report a reference that goes nowhere) and
by the compiler (to build one plan per pool), so both agree by construction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from resolver.config.issues import Path
from resolver.pool.keys import CUSTOM, custom_pool_key, name_from_url, normalize_url, strip_custom_prefix


@dataclass(frozen=True, slots=True)
class EndpointDecl:
    """A custom endpoint declared in ``custom_providers`` or by name in ``providers``."""

    pool_key: str
    name: str
    path: Path  # where it is declared
    spec: Mapping[str, Any]


def registry_ids() -> frozenset[str]:
    from resolver.registry import ids

    return frozenset(ids())


def declared_endpoints(data: Mapping[str, Any]) -> list[EndpointDecl]:
    """Custom endpoints in declaration order (duplicates kept, for the checks to report)."""
    reg = registry_ids()
    out: list[EndpointDecl] = []
    providers = data.get("providers")
    if isinstance(providers, dict):
        for name, spec in providers.items():
            if not isinstance(spec, dict) or str(name).strip().lower() in reg:
                continue
            if "base_url" in spec:
                given = spec.get("name")
                display = given if isinstance(given, str) else str(name)
                out.append(
                    EndpointDecl(custom_pool_key(str(name)), strip_custom_prefix(display), ("providers", name), spec)
                )
    customs = data.get("custom_providers")
    if isinstance(customs, list):
        for i, spec in enumerate(customs):
            if isinstance(spec, dict) and isinstance(spec.get("name"), str) and spec["name"].strip():
                out.append(
                    EndpointDecl(
                        custom_pool_key(spec["name"]), strip_custom_prefix(spec["name"]), ("custom_providers", i), spec
                    )
                )
    return out


def resolve_reference(
    provider: str,
    base_url: str | None,
    endpoints: Mapping[str, EndpointDecl],
) -> str | None:
    """Pool key a ``provider:`` (+ optional inline ``base_url``) refers to, or None.

    Order: a registry id; ``custom:<name>`` / a custom name (by name first);
    ``custom`` + ``base_url``: the endpoint with that URL, else a pool named
    from the URL. A ``base_url`` with an unknown name makes an inline endpoint.
    """
    name = provider.strip()
    low = name.lower()
    if low in registry_ids():
        return low
    if low != "custom":
        key = custom_pool_key(name)
        if key in endpoints:
            return key
        if base_url:
            return key  # inline endpoint with its own name
        return None
    if not base_url:
        return None
    wanted = normalize_url(base_url)
    for key, decl in endpoints.items():
        url = decl.spec.get("base_url")
        if isinstance(url, str) and normalize_url(url) == wanted:
            return key
    return custom_pool_key(name_from_url(base_url))


def known_names(endpoints: Mapping[str, EndpointDecl]) -> list[str]:
    """Everything a reference may name, for "did you mean" suggestions."""
    names = sorted(registry_ids())
    for key, decl in endpoints.items():
        names.extend((decl.name, key, key[len(CUSTOM) :]))
    return names
