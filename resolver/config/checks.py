"""Semantic checks: what a JSON Schema cannot say.

Each check reads the loaded data defensively (the schema may already have
found the value to be of the wrong type) and adds Issues; none raises.
"""

from __future__ import annotations

import difflib
import os
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

from resolver.config.endpoints import EndpointDecl, declared_endpoints, known_names, registry_ids, resolve_reference
from resolver.config.issues import Issue, Path, shown
from resolver.config.loader import SECTIONS, LoadedConfig
from resolver.config.schema import did_you_mean
from resolver.pool.keys import CUSTOM
from resolver.secrets import SecretRef

Check = Callable[[LoadedConfig, "Context"], Iterator[Issue]]


class Context:
    """Facts computed once and shared by the checks."""

    def __init__(self, loaded: LoadedConfig) -> None:
        self.data = loaded.data
        self.declared = declared_endpoints(loaded.data)
        self.endpoints: dict[str, EndpointDecl] = {}
        for decl in self.declared:
            self.endpoints.setdefault(decl.pool_key, decl)
        self.registry = registry_ids()
        self.primary: str | None = None
        model = self.data.get("model")
        if isinstance(model, dict) and isinstance(model.get("provider"), str):
            base = model.get("base_url") if isinstance(model.get("base_url"), str) else None
            self.primary = resolve_reference(model["provider"], base, self.endpoints)
        self.pool_keys = set(self.registry) | set(self.endpoints)
        for item, _path in self.fallbacks():
            ref = self.fallback_key(item)
            if ref:
                self.pool_keys.add(ref)
        if self.primary:
            self.pool_keys.add(self.primary)

    def fallbacks(self) -> Iterator[tuple[dict[str, Any], Path]]:
        items = self.data.get("fallback_providers")
        if isinstance(items, list):
            for i, item in enumerate(items):
                if isinstance(item, dict):
                    yield item, ("fallback_providers", i)
        single = self.data.get("fallback_model")
        if isinstance(single, dict):
            yield single, ("fallback_model",)

    def fallback_key(self, item: dict[str, Any]) -> str | None:
        provider = item.get("provider")
        if not isinstance(provider, str):
            return None
        base = item.get("base_url") if isinstance(item.get("base_url"), str) else None
        return resolve_reference(provider, base, self.endpoints)


def check_top_level(loaded: LoadedConfig, ctx: Context) -> Iterator[Issue]:
    for key, (f, line, col) in loaded.top_keys.items():
        if key in SECTIONS:
            continue
        close = difflib.get_close_matches(key, SECTIONS, n=1, cutoff=0.8)
        if close:
            yield Issue(f, line, col, "error", f"unknown section {shown(key)} (did you mean {close[0]!r}?)", key)


def check_endpoints(loaded: LoadedConfig, ctx: Context) -> Iterator[Issue]:
    seen: dict[str, EndpointDecl] = {}
    for decl in ctx.declared:
        first = seen.get(decl.pool_key)
        if first is None:
            seen[decl.pool_key] = decl
            continue
        _, line, _ = loaded.where(first.path)
        at = (*decl.path, "name") if decl.path[0] == "custom_providers" else decl.path
        yield loaded.issue(
            at,
            "error",
            f"{shown(decl.name)} is the same pool {shown(decl.pool_key)} as the endpoint on line {line}; give it another name",
            key=decl.path[0] == "providers",
        )
    providers = ctx.data.get("providers")
    if isinstance(providers, dict):
        for name, spec in providers.items():
            low = str(name).strip().lower()
            if not isinstance(spec, dict):
                continue
            if low not in ctx.registry and "base_url" not in spec:
                hint = did_you_mean(low, sorted(ctx.registry)) or "; a named custom endpoint needs base_url"
                yield loaded.issue(("providers", name), "error", f"unknown provider {shown(name)}{hint}", key=True)
            if "routing" in spec and low != "openrouter":
                yield loaded.issue(
                    ("providers", name, "routing"),
                    "error",
                    "routing is an OpenRouter setting; move it under providers.openrouter",
                    key=True,
                )


def _reference_issue(loaded: LoadedConfig, ctx: Context, path: Path, provider: Any, base: Any) -> Iterator[Issue]:
    if not isinstance(provider, str) or not provider.strip():
        return
    if provider.strip().lower() == "custom" and not isinstance(base, str):
        yield loaded.issue(path, "error", "provider 'custom' needs a base_url beside it (the endpoint's URL)")
        return
    if resolve_reference(provider, base if isinstance(base, str) else None, ctx.endpoints) is None:
        hint = did_you_mean(provider.strip(), known_names(ctx.endpoints))
        yield loaded.issue(
            path,
            "error",
            f"unknown provider {shown(provider)}{hint}; use a registry id, a custom endpoint name, or 'custom' with base_url",
        )


def check_references(loaded: LoadedConfig, ctx: Context) -> Iterator[Issue]:
    model = ctx.data.get("model")
    if isinstance(model, dict):
        yield from _reference_issue(loaded, ctx, ("model", "provider"), model.get("provider"), model.get("base_url"))
    seen: dict[tuple[str | None, Any], Path] = {}
    primary_model = _model_name(model)
    for item, path in ctx.fallbacks():
        yield from _reference_issue(loaded, ctx, (*path, "provider"), item.get("provider"), item.get("base_url"))
        key = ctx.fallback_key(item)
        if key is None:
            continue
        if key == ctx.primary and item.get("model") in (None, primary_model):
            yield loaded.issue(
                (*path, "provider"),
                "error",
                f"this fallback is the primary itself ({key}); it would loop back to the primary",
            )
        ident = (key, item.get("model"))
        if ident in seen:
            yield loaded.issue(
                (*path, "provider"), "warning", f"same fallback as {_fmt(seen[ident])}; it will never be reached"
            )
        else:
            seen[ident] = path


def _fmt(path: Path) -> str:
    from resolver.config.issues import json_path

    return json_path(path)


def _model_name(model: Any) -> Any:
    if isinstance(model, str):
        return model
    if isinstance(model, dict):
        return model.get("default", model.get("model"))
    return None


def _pool_key_issue(loaded: LoadedConfig, ctx: Context, path: Path, key: str, what: str) -> Iterator[Issue]:
    norm = key.strip().lower()
    if norm in ctx.pool_keys:
        return
    if not norm.startswith(CUSTOM) and CUSTOM + norm in ctx.pool_keys:
        hint = f" (did you mean {CUSTOM + norm!r}?)"
    else:
        hint = did_you_mean(norm, sorted(ctx.pool_keys))
    yield loaded.issue(path, "error", f"{what} names pool {shown(key)}, which does not exist{hint}", key=True)


def check_pool_keys(loaded: LoadedConfig, ctx: Context) -> Iterator[Issue]:
    strategies = ctx.data.get("credential_pool_strategies")
    if isinstance(strategies, dict):
        for key in strategies:
            yield from _pool_key_issue(loaded, ctx, ("credential_pool_strategies", key), str(key), "this strategy")
    cooldowns = ctx.data.get("cooldowns")
    if isinstance(cooldowns, dict) and isinstance(cooldowns.get("pools"), dict):
        for key in cooldowns["pools"]:
            yield from _pool_key_issue(loaded, ctx, ("cooldowns", "pools", key), str(key), "this cooldown override")


def _walk(value: Any, path: Path = ()) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k))
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i))


def _bad_url(url: str) -> str | None:
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises on a malformed port
    except ValueError:
        return "is not a valid URL"
    if parts.scheme not in ("http", "https"):
        return "must start with http:// or https://"
    host = parts.hostname or ""
    if not host:
        return "has no host name"
    if port == 0 or any(c.isspace() for c in url.strip()):
        return "is not a valid URL"
    label_ok = (
        all(
            part and len(part) <= 63 and (part.replace("-", "").replace("_", "").isalnum())
            for part in host.strip("[]").split(".")
        )
        or ":" in host
    )
    return None if label_ok else "has an invalid host name"


def check_values(loaded: LoadedConfig, ctx: Context) -> Iterator[Issue]:
    """base_url shape, literal secrets, unset env references, duplicate key labels."""
    for path, value in _walk(ctx.data):
        if not path:
            continue
        last = path[-1]
        if last == "base_url" and isinstance(value, str):
            problem = _bad_url(value)
            if problem:
                yield loaded.issue(
                    path, "error", f"base_url {problem} (e.g. https://api.example.com/v1 or http://localhost:8080/v1)"
                )
        elif isinstance(value, SecretRef):
            if value.kind == "config":
                yield loaded.issue(
                    path,
                    "warning",
                    "a literal key is written in the file; prefer a reference such as ${env:MY_API_KEY}",
                )
            elif value.kind == "env" and value.default is None and not os.environ.get(value.name):
                yield loaded.issue(
                    path,
                    "warning",
                    f"environment variable {value.name} is not set; this credential is unavailable until it is",
                )
            elif value.kind == "file" and not os.path.isfile(value.name):
                yield loaded.issue(
                    path, "warning", f"file {value.name} does not exist; this credential is unavailable until it does"
                )
        elif last == "keys" and isinstance(value, list):
            labels: dict[str, int] = {}
            for i, item in enumerate(value):
                label = item.get("label") if isinstance(item, dict) else None
                if isinstance(label, str):
                    low = label.strip().lower()
                    if low in labels:
                        yield loaded.issue(
                            (*path, i, "label"),
                            "error",
                            f"label {shown(label)} is already used by {_fmt((*path, labels[low]))}; labels are unique in a pool",
                        )
                    else:
                        labels[low] = i


CHECKS: tuple[Check, ...] = (check_top_level, check_endpoints, check_references, check_pool_keys, check_values)


def semantic_issues(loaded: LoadedConfig) -> list[Issue]:
    ctx = Context(loaded)
    out: list[Issue] = []
    for check in CHECKS:
        out.extend(check(loaded, ctx))
    return out
