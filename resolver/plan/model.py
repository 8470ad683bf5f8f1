"""The compiled, immutable resolution plan.

A :class:`Plan` is what the config *says*, ready to answer fast: one
:class:`PoolPlan` per pool key, each with its endpoint, model, strategy,
cooldown policy and ordered credential sources as :class:`SecretRef` (never
values), plus the fallback chain. Plans are frozen and hashable, can be cached
on disk (``to_dict`` / ``from_dict``), shared and diffed. What *changes*
(cooldowns, counters, added keys) lives in the state store, never here.
"""

from __future__ import annotations

from types import MappingProxyType

from resolver._frozen import Frozen, _set
from resolver.secrets import SecretRef

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

PLAN_FORMAT = 1

_EMPTY: MappingProxyType[str, Any] = MappingProxyType({})


def freeze(value: Any) -> Any:
    """Deep-freeze plain data: dict → MappingProxyType, list → tuple."""
    if isinstance(value, dict):
        return MappingProxyType({k: freeze(v) for k, v in value.items()})
    if isinstance(value, (list, tuple)):
        return tuple(freeze(v) for v in value)
    return value


def thaw(value: Any) -> Any:
    if isinstance(value, (dict, MappingProxyType)):
        return {k: thaw(v) for k, v in value.items()}
    if isinstance(value, tuple):
        return [thaw(v) for v in value]
    return value


class Source(Frozen):
    """One declared credential source of a pool (borrowed: the secret stays where it is).

    ``origin`` says where the config declares it: ``keys[0]``, ``api_key``,
    ``key_env``, ``model.api_key``, ``env`` (a registry variable).
    """

    __slots__ = ("base_url", "label", "origin", "priority", "ref", "weight")
    ref: SecretRef
    origin: str
    label: str
    priority: int | None
    weight: float
    base_url: str | None

    def __init__(
        self,
        ref: SecretRef,
        origin: str,
        label: str,
        priority: int | None = None,
        weight: float = 1.0,
        base_url: str | None = None,
    ) -> None:
        _set(self, "ref", ref)
        _set(self, "origin", origin)
        _set(self, "label", label)
        _set(self, "priority", priority)
        _set(self, "weight", weight)
        _set(self, "base_url", base_url)

    def to_dict(self) -> dict[str, Any]:
        return {
            "ref": _ref_to_dict(self.ref),
            "origin": self.origin,
            "label": self.label,
            "priority": self.priority,
            "weight": self.weight,
            "base_url": self.base_url,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Source:
        return cls(_ref_from_dict(d["ref"]), d["origin"], d["label"], d["priority"], float(d["weight"]), d["base_url"])


def _ref_to_dict(ref: SecretRef) -> dict[str, Any]:
    return {
        "kind": ref.kind,
        "name": ref.name,
        "path": list(ref.path),
        "default": _ref_to_dict(ref.default) if ref.default else None,
    }


def _ref_from_dict(d: dict[str, Any]) -> SecretRef:
    default = _ref_from_dict(d["default"]) if d.get("default") else None
    return SecretRef(str(d["kind"]), str(d["name"]), tuple(d.get("path") or ()), default)


class CooldownPolicy(Frozen):
    """Durations in seconds (DESIGN §7), after per-pool overrides."""

    __slots__ = ("auth", "billing", "default", "max_reset", "rate_limit", "server_error_retries", "sole_credential_max")
    rate_limit: float
    billing: float
    auth: float
    default: float
    sole_credential_max: float
    max_reset: float
    server_error_retries: int

    def __init__(
        self,
        rate_limit: float = 3600.0,
        billing: float = 86400.0,
        auth: float = 300.0,
        default: float = 3600.0,
        sole_credential_max: float = 60.0,
        max_reset: float = 604800.0,
        server_error_retries: int = 2,
    ) -> None:
        _set(self, "rate_limit", float(rate_limit))
        _set(self, "billing", float(billing))
        _set(self, "auth", float(auth))
        _set(self, "default", float(default))
        _set(self, "sole_credential_max", float(sole_credential_max))
        _set(self, "max_reset", float(max_reset))
        _set(self, "server_error_retries", int(server_error_retries))

    def to_dict(self) -> dict[str, Any]:
        return {k: getattr(self, k) for k in self.__slots__}


class FallbackStep(Frozen):
    """One entry of the fallback chain: a pool, and optionally the model to use there."""

    __slots__ = ("model", "pool_key")
    pool_key: str
    model: str | None

    def __init__(self, pool_key: str, model: str | None = None) -> None:
        _set(self, "pool_key", pool_key)
        _set(self, "model", model)


class PoolPlan(Frozen):
    """Everything static about one pool. ``kind``: registry | custom | openrouter."""

    __slots__ = (
        "api_mode",
        "base_url",
        "cooldowns",
        "extra_body",
        "headers",
        "key_env_hint",
        "key_required",
        "kind",
        "model",
        "name",
        "pool_key",
        "provider",
        "settings",
        "sources",
        "strategy",
    )  # fmt: skip
    pool_key: str
    kind: str
    provider: str
    name: str
    base_url: str
    api_mode: str
    model: str | None
    strategy: str
    cooldowns: CooldownPolicy
    sources: tuple[Source, ...]
    key_required: bool
    key_env_hint: tuple[str, ...]
    extra_body: MappingProxyType[str, Any]
    settings: MappingProxyType[str, Any]
    headers: MappingProxyType[str, Any]

    def __init__(
        self,
        *,
        pool_key: str,
        kind: str,
        provider: str,
        name: str,
        base_url: str,
        api_mode: str,
        model: str | None,
        strategy: str,
        cooldowns: CooldownPolicy,
        sources: tuple[Source, ...],
        key_required: bool,
        key_env_hint: tuple[str, ...] = (),
        extra_body: MappingProxyType[str, Any] = _EMPTY,
        settings: MappingProxyType[str, Any] = _EMPTY,
        headers: MappingProxyType[str, Any] = _EMPTY,
    ) -> None:
        for field_name, value in (
            ("pool_key", pool_key), ("kind", kind), ("provider", provider), ("name", name),
            ("base_url", base_url), ("api_mode", api_mode), ("model", model), ("strategy", strategy),
            ("cooldowns", cooldowns), ("sources", tuple(sources)), ("key_required", key_required),
            ("key_env_hint", tuple(key_env_hint)), ("extra_body", extra_body), ("settings", settings),
            ("headers", headers),
        ):  # fmt: skip
            _set(self, field_name, value)

    def __hash__(self) -> int:  # the read-only mappings are not hashable themselves
        return hash((self.pool_key, self.base_url, self.api_mode, self.model, self.strategy, self.sources))

    def to_dict(self) -> dict[str, Any]:
        return {
            "pool_key": self.pool_key,
            "kind": self.kind,
            "provider": self.provider,
            "name": self.name,
            "base_url": self.base_url,
            "api_mode": self.api_mode,
            "model": self.model,
            "strategy": self.strategy,
            "cooldowns": self.cooldowns.to_dict(),
            "sources": [s.to_dict() for s in self.sources],
            "key_required": self.key_required,
            "key_env_hint": list(self.key_env_hint),
            "extra_body": thaw(self.extra_body),
            "settings": thaw(self.settings),
            "headers": {k: (_ref_to_dict(v) if isinstance(v, SecretRef) else v) for k, v in self.headers.items()},
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> PoolPlan:
        return cls(
            pool_key=d["pool_key"],
            kind=d["kind"],
            provider=d["provider"],
            name=d["name"],
            base_url=d["base_url"],
            api_mode=d["api_mode"],
            model=d["model"],
            strategy=d["strategy"],
            cooldowns=CooldownPolicy(**d["cooldowns"]),
            sources=tuple(Source.from_dict(s) for s in d["sources"]),
            key_required=bool(d["key_required"]),
            key_env_hint=tuple(d["key_env_hint"]),
            extra_body=freeze(d["extra_body"]),
            settings=freeze(d["settings"]),
            headers=MappingProxyType(
                {k: (_ref_from_dict(v) if isinstance(v, dict) else v) for k, v in d["headers"].items()}
            ),
        )


class Plan(Frozen):
    """The whole compiled config: every pool, the primary, the fallback chain.

    Two plans are equal when their content is (``digest``, a sha256 of the
    canonical JSON form); a plan is hashable and can key a cache.
    """

    __slots__ = ("digest", "fallbacks", "files", "pools", "primary", "reload_interval", "state_url")
    primary: str
    pools: MappingProxyType[str, PoolPlan]
    fallbacks: tuple[FallbackStep, ...]
    reload_interval: float
    state_url: str | None
    files: tuple[str, ...]
    digest: str

    def __init__(
        self,
        primary: str,
        pools: MappingProxyType[str, PoolPlan],
        fallbacks: tuple[FallbackStep, ...] = (),
        reload_interval: float = 1.0,
        state_url: str | None = None,
        files: tuple[str, ...] = (),
        digest: str = "",
    ) -> None:
        _set(self, "primary", primary)
        _set(self, "pools", pools)
        _set(self, "fallbacks", tuple(fallbacks))
        _set(self, "reload_interval", float(reload_interval))
        _set(self, "state_url", state_url)
        _set(self, "files", tuple(files))
        _set(self, "digest", digest)

    def __repr__(self) -> str:
        return f"Plan(primary={self.primary!r}, pools={len(self.pools)}, fallbacks={list(self.fallbacks)!r}, digest={self.digest[:12]!r})"

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Plan) and other.digest == self.digest

    def __hash__(self) -> int:
        return hash(self.digest)

    def with_digest(self) -> Plan:
        import json

        from resolver.secrets import sha256_hex

        body = {k: v for k, v in self.to_dict().items() if k != "digest"}
        text = json.dumps(body, sort_keys=True, separators=(",", ":"))
        new: Plan = self._replace(digest=sha256_hex(text.encode()))  # type: ignore[assignment]
        return new

    def pool(self, pool_key: str) -> PoolPlan:
        from resolver.errors import UnknownProviderError

        key = pool_key.strip().lower()
        found = self.pools.get(key)
        if found is None:
            raise UnknownProviderError(pool_key, list(self.pools))
        return found

    def to_dict(self) -> dict[str, Any]:
        return {
            "format": PLAN_FORMAT,
            "primary": self.primary,
            "pools": {k: p.to_dict() for k, p in self.pools.items()},
            "fallbacks": [{"pool_key": f.pool_key, "model": f.model} for f in self.fallbacks],
            "reload_interval": self.reload_interval,
            "state_url": self.state_url,
            "files": list(self.files),
            "digest": self.digest,
        }

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Plan:
        if d.get("format") != PLAN_FORMAT:
            raise ValueError("plan format mismatch")
        return cls(
            primary=d["primary"],
            pools=MappingProxyType({k: PoolPlan.from_dict(v) for k, v in d["pools"].items()}),
            fallbacks=tuple(FallbackStep(f["pool_key"], f["model"]) for f in d["fallbacks"]),
            reload_interval=float(d["reload_interval"]),
            state_url=d["state_url"],
            files=tuple(d["files"]),
            digest=str(d.get("digest", "")),
        )
