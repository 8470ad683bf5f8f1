"""Compile validated config data into a :class:`Plan` (DESIGN §4–§5).

Aliases are folded here (``model.model`` → ``default``, ``model.api`` →
``api_key``, ``responses`` → ``codex_responses``, ``max_output_tokens`` →
``max_tokens``, ``models`` list → mapping). Pools: every registry provider
(overridden by ``providers.<id>``), every declared custom endpoint, and the
endpoints referenced inline by URL. Sources are ordered as DESIGN §5 says:
declared ``keys[]``, then ``model.api_key`` (for the primary), ``api_key``,
``key_env``, then the registry's environment variables.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from types import MappingProxyType
from typing import Any
from urllib.parse import urlsplit

from resolver.config.endpoints import EndpointDecl, declared_endpoints, resolve_reference
from resolver.plan.model import CooldownPolicy, FallbackStep, Plan, PoolPlan, Source, freeze
from resolver.pool.keys import name_from_url
from resolver.registry import ProviderSpec, registry
from resolver.secrets import SecretRef

DEFAULT_PROVIDER = "openrouter"
DEFAULT_STRATEGY = "fill_first"
API_MODE_ALIASES = {"responses": "codex_responses"}
SETTINGS_KEYS = ("context_length", "max_tokens", "request_timeout_seconds", "stale_timeout_seconds")


def normalize_model(raw: Any) -> dict[str, Any]:
    """The ``model:`` section with its aliases folded."""
    if isinstance(raw, str):
        return {"default": raw}
    if not isinstance(raw, dict):
        return {}
    model = dict(raw)
    if "default" not in model and "model" in model:
        model["default"] = model["model"]
    if "api_key" not in model and "api" in model:
        model["api_key"] = model["api"]
    return model


def api_mode(value: Any) -> str | None:
    if not isinstance(value, str):
        return None
    return API_MODE_ALIASES.get(value, value)


def detect_api_mode(base_url: str) -> str:
    path = urlsplit(base_url).path.rstrip("/")
    return "anthropic_messages" if path.endswith("/anthropic") else "chat_completions"


def _host(url: str) -> str:
    return (urlsplit(url).hostname or "").lower()


def _settings(*specs: Mapping[str, Any] | None) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for spec in specs:
        if not spec:
            continue
        for key in SETTINGS_KEYS:
            if spec.get(key) is not None:
                out[key] = spec[key]
        if spec.get("max_output_tokens") is not None and "max_tokens" not in spec:
            out["max_tokens"] = spec["max_output_tokens"]
        models = spec.get("models")
        if isinstance(models, list):
            out["models"] = {m: {} for m in models}
        elif isinstance(models, dict):
            out["models"] = {m: (v or {}) for m, v in models.items()}
    return out


def _ref(value: Any) -> SecretRef | None:
    return value if isinstance(value, SecretRef) else None


class _Compiler:
    def __init__(self, data: Mapping[str, Any], files: tuple[str, ...], environ: Mapping[str, str]) -> None:
        self.data = data
        self.files = files
        self.env = environ
        self.model = normalize_model(data.get("model"))
        self.registry = registry()
        self.endpoints: dict[str, EndpointDecl] = {}
        for decl in declared_endpoints(data):
            self.endpoints.setdefault(decl.pool_key, decl)
        providers = data.get("providers")
        self.overrides: dict[str, dict[str, Any]] = {}
        if isinstance(providers, dict):
            for name, spec in providers.items():
                low = str(name).strip().lower()
                if low in self.registry and isinstance(spec, dict):
                    self.overrides[low] = spec
        self.strategies = {str(k).strip().lower(): v for k, v in (data.get("credential_pool_strategies") or {}).items()}
        cooldowns = dict(data.get("cooldowns") or {})
        self.pool_cooldowns = {str(k).strip().lower(): v for k, v in (cooldowns.pop("pools", None) or {}).items()}
        self.cooldowns = cooldowns
        provider = self.model.get("provider")
        model_base = self.model.get("base_url")
        if isinstance(provider, str) and provider.strip():
            primary = resolve_reference(provider, model_base, self.endpoints)
        elif isinstance(model_base, str):
            primary = resolve_reference("custom", model_base, self.endpoints)
        else:
            primary = DEFAULT_PROVIDER
        self.primary = primary or DEFAULT_PROVIDER
        self.inline: dict[str, dict[str, Any]] = {}

    # -- helpers ---------------------------------------------------------
    def policy(self, pool_key: str) -> CooldownPolicy:
        merged = {**self.cooldowns, **(self.pool_cooldowns.get(pool_key) or {})}
        kwargs = {k: v for k, v in merged.items() if k in CooldownPolicy.__slots__}
        if "server_error_retries" in kwargs:
            kwargs["server_error_retries"] = int(kwargs["server_error_retries"])
        return CooldownPolicy(**kwargs)

    def strategy(self, pool_key: str) -> str:
        value = self.strategies.get(pool_key)
        return value if isinstance(value, str) else DEFAULT_STRATEGY

    def key_sources(self, spec: Mapping[str, Any], *, is_primary: bool) -> list[Source]:
        out: list[Source] = []
        for i, item in enumerate(spec.get("keys") or ()):
            ref = _ref(item.get("api_key")) if isinstance(item, dict) else None
            if ref is None:
                continue
            out.append(
                Source(
                    ref,
                    f"keys[{i}]",
                    str(item.get("label") or f"key{i + 1}"),
                    item.get("priority"),
                    float(item.get("weight", 1.0)),
                    item.get("base_url"),
                )
            )
        if is_primary and _ref(self.model.get("api_key")):
            out.append(Source(self.model["api_key"], "model.api_key", "model.api_key"))
        if is_primary and isinstance(self.model.get("key_env"), str):
            out.append(Source(SecretRef("env", self.model["key_env"]), "model.key_env", self.model["key_env"]))
        if _ref(spec.get("api_key")):
            out.append(Source(spec["api_key"], "api_key", "api_key"))
        if isinstance(spec.get("key_env"), str):
            out.append(Source(SecretRef("env", spec["key_env"]), "key_env", spec["key_env"]))
        return out

    # -- pools -----------------------------------------------------------
    def registry_pool(self, spec: ProviderSpec) -> PoolPlan:
        over = self.overrides.get(spec.id, {})
        is_primary = self.primary == spec.id
        base = None
        if is_primary and isinstance(self.model.get("base_url"), str):
            base = self.model["base_url"]
        base = base or over.get("base_url")
        if not base and spec.base_url_env:
            base = self.env.get(spec.base_url_env) or None
        base_url = base or spec.base_url
        sources = self.key_sources(over, is_primary=is_primary)
        env_names = over.get("api_key_env", list(spec.api_key_env))
        if isinstance(env_names, str):
            env_names = [env_names]
        if spec.id == "openrouter" and _host(base_url) != _host(spec.base_url):
            env_names = []  # OPENROUTER_API_KEY is only ever sent to openrouter.ai
        sources += [Source(SecretRef("env", n), "env", n) for n in env_names]
        extra = dict(over.get("extra_body") or {})
        if spec.id == "openrouter" and isinstance(over.get("routing"), dict):
            extra["provider"] = dict(over["routing"])
        mode = (api_mode(self.model.get("api_mode")) if is_primary else None) or api_mode(over.get("api_mode"))
        model = (self.model.get("default") if is_primary else None) or over.get("model")
        return PoolPlan(
            pool_key=spec.id,
            kind="openrouter" if spec.id == "openrouter" else "registry",
            provider=spec.id,
            name=spec.name,
            base_url=base_url,
            api_mode=mode or spec.api_mode,
            model=model,
            strategy=self.strategy(spec.id),
            cooldowns=self.policy(spec.id),
            sources=tuple(sources),
            key_required=spec.key_required,
            key_env_hint=tuple(([over["key_env"]] if isinstance(over.get("key_env"), str) else []) + list(env_names)),
            extra_body=freeze(extra),
            settings=freeze(_settings(over, self.model if is_primary else None)),
            headers=MappingProxyType(dict(over.get("headers") or {})),
        )

    def custom_pool(self, pool_key: str, name: str, spec: Mapping[str, Any]) -> PoolPlan:
        is_primary = self.primary == pool_key
        base_url = str(spec.get("base_url"))
        sources = self.key_sources(spec, is_primary=is_primary)
        key_required = bool(sources)
        hint: list[str] = [s.ref.name for s in sources if s.ref.kind == "env"]
        if not sources:
            # no key configured: a vendor's own key only for that vendor's own host
            for reg in self.registry.values():
                if reg.api_key_env and _host(reg.base_url) == _host(base_url):
                    sources = [Source(SecretRef("env", n), "env", n) for n in reg.api_key_env]
                    key_required = reg.key_required
                    hint = list(reg.api_key_env)
                    break
        mode = api_mode(spec.get("api_mode")) or (api_mode(self.model.get("api_mode")) if is_primary else None)
        model = (self.model.get("default") if is_primary else None) or spec.get("model")
        if not model:
            models = spec.get("models")
            if isinstance(models, list) and models:
                model = models[0]
            elif isinstance(models, dict) and models:
                model = next(iter(models))
        return PoolPlan(
            pool_key=pool_key,
            kind="custom",
            provider="custom",
            name=name,
            base_url=base_url,
            api_mode=mode or detect_api_mode(base_url),
            model=model,
            strategy=self.strategy(pool_key),
            cooldowns=self.policy(pool_key),
            sources=tuple(sources),
            key_required=key_required,
            key_env_hint=tuple(hint),
            extra_body=freeze(dict(spec.get("extra_body") or {})),
            settings=freeze(_settings(spec, self.model if is_primary else None)),
            headers=MappingProxyType(dict(spec.get("headers") or {})),
        )

    def inline_endpoint(self, provider: str, item: Mapping[str, Any]) -> str | None:
        """A ``custom`` (or unknown-name) reference with its own base_url becomes a pool."""
        base = item.get("base_url")
        key = resolve_reference(provider, base if isinstance(base, str) else None, self.endpoints)
        if key and key not in self.registry and key not in self.endpoints and isinstance(base, str):
            name = provider if provider.strip().lower() != "custom" else name_from_url(base)
            spec = {
                k: item[k] for k in ("base_url", "api_key", "key_env", "api_mode", "extra_body", "headers") if k in item
            }
            spec.update({k: item[k] for k in SETTINGS_KEYS if k in item})
            if item.get("model") or item.get("default"):
                spec["model"] = item.get("model") or item.get("default")
            self.inline.setdefault(key, {"name": name, "spec": spec})
        return key

    def fallbacks(self) -> tuple[FallbackStep, ...]:
        items = list(self.data.get("fallback_providers") or [])
        if isinstance(self.data.get("fallback_model"), dict):
            items.append(self.data["fallback_model"])
        steps: list[FallbackStep] = []
        for item in items:
            if not isinstance(item, dict) or not isinstance(item.get("provider"), str):
                continue
            key = self.inline_endpoint(item["provider"], item)
            if key:
                steps.append(FallbackStep(key, item.get("model")))
        return tuple(steps)

    def compile(self) -> Plan:
        if self.primary not in self.registry and self.primary not in self.endpoints:
            self.inline_endpoint(str(self.model.get("provider") or "custom"), self.model)
        fallbacks = self.fallbacks()
        pools: dict[str, PoolPlan] = {}
        for spec in self.registry.values():
            pools[spec.id] = self.registry_pool(spec)
        for key, decl in self.endpoints.items():
            pools[key] = self.custom_pool(key, decl.name, decl.spec)
        for key, entry in self.inline.items():
            pools[key] = self.custom_pool(key, entry["name"], entry["spec"])
        state = self.data.get("state") or {}
        runtime = self.data.get("runtime") or {}
        return Plan(
            primary=self.primary,
            pools=MappingProxyType(pools),
            fallbacks=fallbacks,
            reload_interval=float(runtime.get("reload_interval", 1.0)),
            state_url=state.get("url"),
            files=self.files,
        ).with_digest()


def compile_plan(
    data: Mapping[str, Any], files: tuple[str, ...] = (), environ: Mapping[str, str] | None = None
) -> Plan:
    """Validated config data → Plan. ``environ`` supplies ``*_BASE_URL`` overrides."""
    return _Compiler(data, files, os.environ if environ is None else environ).compile()


def base_url_env_names() -> tuple[str, ...]:
    """Environment variables whose *values* change a plan (they are part of the cache key)."""
    return tuple(spec.base_url_env for spec in registry().values() if spec.base_url_env)


__all__ = ["base_url_env_names", "compile_plan", "detect_api_mode", "normalize_model"]
