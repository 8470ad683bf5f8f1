"""The Resolver: plan × state → Runtime (DESIGN §5, §6, §9).

``resolve()`` answers "which endpoint, model and credential now?" and claims
(counts a use, moves the round-robin cursor, starts a lease); ``peek()``
answers the same without claiming. Precedence, for the asked pool and then
each fallback in order:

1. an available pool credential, chosen by the pool's strategy;
2. a keyless endpoint (nothing configured, no key required) → ``api_key=None``;
3. the next fallback provider;
4. ``NoCredentialAvailable`` naming every credential, why it is out and when
   the first comes back.

The hot path (a plan already loaded, a pool of a few keys) does one
``os.stat`` of the state file, no other I/O, and no heavy import.
"""

from __future__ import annotations

import os
import time
from _thread import RLock
from types import MappingProxyType

from resolver._frozen import Frozen, _set
from resolver.errors import NoCredentialAvailable
from resolver.plan.model import Plan, PoolPlan
from resolver.pool.members import Member, describe_state
from resolver.pool.selector import Selector
from resolver.pool.strategies import NEEDS_RNG
from resolver.secrets import mask
from resolver.state.base import PoolView, StateStore

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence
    from random import Random
    from typing import Any

_EMPTY: Mapping[str, Any] = MappingProxyType({})

log_name = "resolver"


class Runtime(Frozen):
    """What to use now: endpoint, model, credential. Immutable; ``api_key`` is masked in ``repr``/``str``.

    ``fallback_index``: 0 = the asked pool, n = the n-th entry of the fallback chain.
    ``credential_id`` + ``pool_key`` are the lease a later ``report()`` refers to.
    """

    __slots__ = (
        "api_key",
        "api_mode",
        "base_url",
        "credential_id",
        "extra_body",
        "fallback_index",
        "label",
        "model",
        "pool_key",
        "provider",
        "retry_after",
        "settings",
        "source",
    )  # fmt: skip
    provider: str
    pool_key: str
    base_url: str
    api_key: str | None
    api_mode: str
    model: str | None
    source: str
    credential_id: str | None
    fallback_index: int
    extra_body: Mapping[str, Any]
    retry_after: float | None
    label: str | None
    settings: Mapping[str, Any]

    def __init__(
        self,
        provider: str,
        pool_key: str,
        base_url: str,
        api_key: str | None,
        api_mode: str,
        model: str | None,
        source: str,
        credential_id: str | None,
        fallback_index: int = 0,
        extra_body: Mapping[str, Any] = _EMPTY,
        retry_after: float | None = None,
        label: str | None = None,
        settings: Mapping[str, Any] = _EMPTY,
    ) -> None:
        _set(self, "provider", provider)
        _set(self, "pool_key", pool_key)
        _set(self, "base_url", base_url)
        _set(self, "api_key", api_key)
        _set(self, "api_mode", api_mode)
        _set(self, "model", model)
        _set(self, "source", source)
        _set(self, "credential_id", credential_id)
        _set(self, "fallback_index", fallback_index)
        _set(self, "extra_body", extra_body)
        _set(self, "retry_after", retry_after)
        _set(self, "label", label)
        _set(self, "settings", settings)

    def __repr__(self) -> str:
        return (
            f"Runtime(provider={self.provider!r}, pool_key={self.pool_key!r}, base_url={self.base_url!r}, "
            f"api_key={mask(self.api_key)!r}, api_mode={self.api_mode!r}, model={self.model!r}, "
            f"source={self.source!r}, credential_id={self.credential_id!r}, fallback_index={self.fallback_index})"
        )

    __str__ = __repr__

    @property
    def masked_key(self) -> str:
        return mask(self.api_key)

    def as_dict(self, *, reveal: bool = False) -> dict[str, Any]:
        """The Runtime fields as plain data; the key masked unless ``reveal``."""
        from resolver.plan.model import thaw

        return {
            "provider": self.provider,
            "pool_key": self.pool_key,
            "base_url": self.base_url,
            "api_key": self.api_key if reveal else (mask(self.api_key) if self.api_key else None),
            "api_mode": self.api_mode,
            "model": self.model,
            "source": self.source,
            "credential_id": self.credential_id,
            "label": self.label,
            "fallback_index": self.fallback_index,
            "extra_body": thaw(self.extra_body),
            "retry_after": self.retry_after,
            "settings": thaw(self.settings),
        }


class Observer:
    """Hooks for what the resolver decides; every method is a no-op by default.

    Subclass and pass ``observer=`` to ``resolver.load``. Methods are called
    after the fact, outside the store's critical section, and must not raise.
    """

    def selected(self, runtime: Runtime) -> None:
        """A runtime was handed out by ``resolve()``."""

    def fell_back(self, runtime: Runtime, reasons: Sequence[tuple[str, str]]) -> None:
        """The asked pool had nothing available; ``runtime`` is from a fallback."""

    def reloaded(self, plan: Plan) -> None:
        """A changed config was compiled and swapped in."""

    def reload_failed(self, issues: Sequence[Any]) -> None:
        """A changed config did not validate; the previous plan stays."""


class Resolver:
    """Answers from a plan and a state store. Thread-safe; one per process is enough."""

    def __init__(
        self,
        plan: Plan,
        store: StateStore,
        *,
        clock: Callable[[], float] | None = None,
        environ: Mapping[str, str] | None = None,
        reloader: Callable[[], Plan | None] | None = None,
        observer: Observer | None = None,
        rng: Random | None = None,
    ) -> None:
        self._plan = plan
        self.store = store
        self._clock = clock or time.time
        self._environ = os.environ if environ is None else environ
        self._reloader = reloader
        self._observer = observer or Observer()
        self._rng_given = rng
        self._pools: dict[str, Selector] = {}
        self._tick = 0
        self._next_check = time.monotonic() + plan.reload_interval
        self._lock = RLock()

    # -- public -----------------------------------------------------------
    @property
    def plan(self) -> Plan:
        return self._plan

    def resolve(self, pool_key: str | None = None) -> Runtime:
        """What to use now, counted as a use (starts a lease). Default pool: the primary."""
        return self._answer(pool_key, claim=True)

    def peek(self, pool_key: str | None = None) -> Runtime:
        """What ``resolve()`` would answer now, without counting or moving anything."""
        return self._answer(pool_key, claim=False)

    def reload(self) -> bool:
        """Recompile the config now if it changed; True when a new plan was swapped in."""
        with self._lock:
            self._next_check = time.monotonic() + self._plan.reload_interval
            self._tick += 1  # environment may have changed too: rebuild members
            if self._reloader is None:
                return False
            new = self._reloader()
            if new is None or new == self._plan:
                return False
            self._plan = new
            self._pools.clear()
            self._observer.reloaded(new)
            return True

    def close(self) -> None:
        self.store.close()

    def __enter__(self) -> Resolver:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def members(self, pool_key: str | None = None) -> tuple[Member, ...]:
        """The credentials of a pool right now (for listings; no secrets inside)."""
        pool = self._plan.pool(pool_key or self._plan.primary)
        return self._selector(pool, self.store.view(pool.pool_key)).members

    # -- internals ------------------------------------------------------
    @property
    def _rng(self) -> Random:
        if self._rng_given is None:
            from random import Random  # only the random/weighted strategies need it

            self._rng_given = Random()  # noqa: S311 - load spreading, not cryptography
        return self._rng_given

    def _answer(self, pool_key: str | None, *, claim: bool) -> Runtime:
        if time.monotonic() >= self._next_check:
            self.reload()
        plan = self._plan
        first = plan.pool(pool_key) if pool_key else plan.pools[plan.primary]
        reasons: list[tuple[str, str]] = []
        next_at: list[float] = []
        runtime = self._from_pool(first, None, 0, claim, reasons, next_at)
        if runtime is not None:
            return runtime
        for index, step in enumerate(plan.fallbacks, start=1):
            if step.pool_key == first.pool_key:
                continue
            pool = plan.pools.get(step.pool_key)
            if pool is None:
                continue
            runtime = self._from_pool(pool, step.model, index, claim, reasons, next_at)
            if runtime is not None:
                self._observer.fell_back(runtime, reasons)
                return runtime
        raise self._exhausted(first, reasons, next_at)

    def _selector(self, pool: PoolPlan, view: PoolView) -> Selector:
        sel = self._pools.get(pool.pool_key)
        if sel is None or sel.tick != self._tick or sel.membership != view.membership:
            sel = self._pools[pool.pool_key] = Selector(pool, view, self._environ, self._tick)
        return sel

    def _from_pool(
        self,
        pool: PoolPlan,
        model: str | None,
        index: int,
        claim: bool,
        reasons: list[tuple[str, str]],
        next_at: list[float],
    ) -> Runtime | None:
        store = self.store
        key = pool.pool_key
        now = self._clock()
        rng = self._rng if pool.strategy in NEEDS_RNG else None
        for _attempt in range(3):
            used: Selector | None = None

            def choose(view: PoolView) -> tuple[str, dict[str, Any]] | None:
                nonlocal used
                used = self._selector(pool, view)  # under the store's lock, on the freshest view
                return used.choose(view, now, rng)

            picked = store.claim(key, choose) if claim else choose(store.view(key))
            if picked is None or used is None:
                break
            i = used.index_of[picked[0]]
            member = used.members[i]
            secret = member.read(used.creds, self._environ)
            cache_key = (i, model, index)
            runtime = used.runtimes.get(cache_key)
            if runtime is None or runtime.api_key != secret or not secret:
                if not secret or hash(secret) != member.value_hash:
                    self._tick += 1  # the source changed under us (env var edited or unset): rebuild
                    continue
                runtime = used.runtimes[cache_key] = self._runtime(pool, model, index, member, secret)
            if claim:
                self._observer.selected(runtime)
            return runtime
        sel = self._selector(pool, store.view(key))
        if not sel.members:
            if not pool.key_required:
                return self._runtime(pool, model, index, None, None)
            env = ", ".join(pool.key_env_hint) or "a key"
            reasons.append((key, f"no key configured: set {env} or run 'resolver auth add {key}'"))
            return None
        self._explain(pool, sel, store.view(key), now, reasons, next_at)
        return None

    def _runtime(
        self, pool: PoolPlan, model: str | None, index: int, member: Member | None, secret: str | None
    ) -> Runtime:
        return Runtime(
            provider=pool.provider,
            pool_key=pool.pool_key,
            base_url=(member.base_url if member and member.base_url else pool.base_url),
            api_key=secret,
            api_mode=pool.api_mode,
            model=model or pool.model,
            source=member.source if member else "none",
            credential_id=member.id if member else None,
            fallback_index=index,
            extra_body=pool.extra_body,
            label=member.label if member else None,
            settings=pool.settings,
        )

    def _explain(
        self,
        pool: PoolPlan,
        sel: Selector,
        view: PoolView,
        now: float,
        reasons: list[tuple[str, str]],
        next_at: list[float],
    ) -> None:
        for m in sel.members:
            who = f"{pool.pool_key} {m.label} [{m.source}]"
            if m.fingerprint is None:
                what = f"{m.ref.name} is not set" if m.ref and m.ref.kind == "env" else "source is missing"
                reasons.append((who, what))
                continue
            ok, why, back = describe_state(view.credentials.get(m.id), now)
            if back is not None:
                next_at.append(back)
                why += f", back in {_duration(back - now)}"
            reasons.append((who, why if not ok else "available"))

    def _exhausted(self, pool: PoolPlan, reasons: list[tuple[str, str]], next_at: list[float]) -> NoCredentialAvailable:
        first = min(next_at) if next_at else None
        lines = [f"no credential available for {pool.pool_key!r} (or any fallback):"]
        lines += [f"  - {who}: {why}" for who, why in reasons]
        if first is not None:
            lines.append(f"  the first comes back in {_duration(first - self._clock())}")
        return NoCredentialAvailable(pool.pool_key, "\n".join(lines), next_available_at=first, reasons=reasons)


def _duration(seconds: float) -> str:
    s = max(0, int(seconds + 0.999))
    if s < 60:
        return f"{s}s"
    m, s = divmod(s, 60)
    if m < 60:
        return f"{m}m {s}s" if s else f"{m}m"
    h, m = divmod(m, 60)
    if h < 24:
        return f"{h}h {m}m" if m else f"{h}h"
    d, h = divmod(h, 24)
    return f"{d}d {h}h" if h else f"{d}d"
