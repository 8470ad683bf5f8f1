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

KEYLESS = "keyless"  # the state record of a keyless endpoint (so a dead local server can rest too)


class Runtime(Frozen):
    """What to use now: endpoint, model, credential. Immutable; ``api_key`` is masked in ``repr``/``str``.

    ``fallback_index``: 0 = the asked pool, n = the n-th entry of the fallback chain;
    ``requested`` is the pool that was asked for. ``credential_id`` + ``pool_key``
    are the lease a later ``report()`` refers to. ``retry_after``: seconds to
    wait before using this runtime again (set when ``report()`` says "the same
    credential, after a pause").
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
        "requested",
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
    requested: str

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
        requested: str | None = None,
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
        _set(self, "requested", requested or pool_key)

    def __repr__(self) -> str:
        return (
            f"Runtime(provider={self.provider!r}, pool_key={self.pool_key!r}, base_url={self.base_url!r}, "
            f"api_key={mask(self.api_key)!r}, api_mode={self.api_mode!r}, model={self.model!r}, "
            f"source={self.source!r}, credential_id={self.credential_id!r}, fallback_index={self.fallback_index}"
            + (f", retry_after={self.retry_after!r}" if self.retry_after is not None else "")
            + ")"
        )

    __str__ = __repr__

    @property
    def masked_key(self) -> str:
        return mask(self.api_key)

    def _with(self, **changes: Any) -> Runtime:
        new: Runtime = self._replace(**changes)  # type: ignore[assignment]
        return new

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
            "requested": self.requested,
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

    def cooled_down(self, runtime: Runtime, until: float, reason: str) -> None:
        """``runtime``'s credential rests until ``until`` (epoch seconds on the resolver's clock)."""

    def marked_dead(self, runtime: Runtime, reason: str) -> None:
        """``runtime``'s credential will not come back by itself (reset or re-add it)."""

    def rotated(self, old: Runtime, new: Runtime) -> None:
        """After a failure of ``old``, ``report()`` handed out ``new`` (another credential or pool)."""

    def recovered(self, pool_key: str, credential_id: str) -> None:
        """A credential that had failed succeeded again."""

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
        refresher: Callable[[Runtime], str | None] | None = None,
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
        self._refresher = refresher
        self._leases: dict[tuple[str, str], list[int]] = {}  # lease → [429 retries used, 5xx/network failures]
        self._quiet_until: dict[str, float] = {}  # pool → monotonic time before which "exhausted" is not logged again

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

    def report(
        self,
        runtime: Runtime,
        status: int | None,
        *,
        headers: Any = None,
        message: str | None = None,
        error: str | None = None,
    ) -> Runtime:
        """A call made with ``runtime`` failed; returns the runtime to use next.

        ``status``: the HTTP status, or None with ``error="timeout"|"connect"|…``
        for a network failure. ``headers`` (any mapping, names case-insensitive)
        and ``message`` (the error body) may say when the limit resets.
        The answer is the same credential (first 429 of the lease; a 5xx or
        network error within the retry budget, with ``retry_after``), another
        credential of the pool, or the first usable fallback — or
        NoCredentialAvailable. Only ``runtime``'s own pool and credential (its
        lease) are changed, never "whatever is current".
        """
        from resolver.pool.policy import POLICY, backoff, classify, cooldown_seconds, failure_mutation
        from resolver.pool.resets import normalize_headers, provider_reset

        now = self._clock()
        kind = classify(status, message, error)
        action = POLICY[kind]
        cred = runtime.credential_id or KEYLESS
        lease_key = (runtime.pool_key, cred)
        pool = self._plan.pools.get(runtime.pool_key)
        if pool is None or not action.rotate:  # pool gone after a reload / a bad request: nothing to blame
            return runtime if pool is not None else self._answer(None, claim=True)
        durations = pool.cooldowns
        reset = provider_reset(normalize_headers(headers), message, now)
        if reset is not None:
            reset = min(reset, durations.max_reset)
        with self._lock:
            lease = self._leases.setdefault(lease_key, [0, 0])
            if action.retry_same == "once_per_lease":
                if lease[0] == 0:
                    lease[0] = 1
                    return runtime._with(retry_after=reset)
                # the lease's free retry is spent: now it is a rate limit that needs a rest
                kind, action = "usage_limit", POLICY["usage_limit"]._replace(reason=action.reason)
            elif action.retry_same == "server_retries":
                lease[1] += 1
                if lease[1] <= durations.server_error_retries:
                    return runtime._with(retry_after=backoff(lease[1]))
        if action.refresh:
            refreshed = self._try_refresh(runtime)
            if refreshed is not None:
                return refreshed
        view = self.store.view(pool.pool_key)
        sel = self._selector(pool, view)
        known = cred == KEYLESS or cred in sel.index_of
        if known:
            # "sole": no other credential (present in this process) that is not dead
            others = [
                m
                for m in sel.members
                if m.id != cred and m.present and (view.credentials.get(m.id) or {}).get("status") != "dead"
            ]  # fmt: skip
            seconds = cooldown_seconds(action, durations, reset, sole=not others)
            reason = action.reason if not error else f"{action.reason}: {error}"
            if action.dead:
                reason = _dead_reason(message) or reason
            seed = sel.seeds[sel.index_of[cred]] if cred in sel.index_of else {"label": KEYLESS, "source": "none"}
            mutate = failure_mutation(action, now=now, until=now + seconds, code=status, reason=reason)
            rec = self.store.transition(pool.pool_key, cred, mutate, seed)
            self._note_failure(runtime, action.dead, reason, float(rec.get("cooldown_until") or 0.0))
        with self._lock:
            self._leases.pop(lease_key, None)
        nxt = self._answer(runtime.requested, claim=True)
        self._observer.rotated(runtime, nxt)
        return nxt

    def report_success(self, runtime: Runtime, *, headers: Any = None) -> None:
        """A call made with ``runtime`` succeeded: the lease's retry flags reset.

        When the response headers say the limit is used up
        (``x-ratelimit-remaining-requests: 0``, ``…-tokens: 0``,
        ``anthropic-ratelimit-*-remaining: 0``), the credential rests until the
        stated reset, so the next call does not burn a 429.
        """
        cred = runtime.credential_id or KEYLESS
        if self._leases:
            with self._lock:
                self._leases.pop((runtime.pool_key, cred), None)
        rec = self.store.view(runtime.pool_key).credentials.get(cred)
        if headers:
            from resolver.pool.resets import from_headers, normalize_headers

            hdrs = normalize_headers(headers)
            spent = any(
                v.strip() == "0"
                for k, v in hdrs.items()
                if k in ("x-ratelimit-remaining-requests", "x-ratelimit-remaining-tokens")
                or (k.startswith("anthropic-ratelimit-") and k.endswith("-remaining"))
            )
            if spent:
                now = self._clock()
                pool = self._plan.pools.get(runtime.pool_key)
                reset = from_headers(hdrs, now)
                if pool is not None and reset is not None and reset > 0:
                    from resolver.pool.policy import POLICY, failure_mutation

                    until = now + min(reset, pool.cooldowns.max_reset)
                    reason = "rate-limited (limit used up)"
                    mutate = failure_mutation(POLICY["usage_limit"], now=now, until=until, code=None, reason=reason)
                    self.store.transition(
                        runtime.pool_key, cred, mutate, {"label": runtime.label, "source": runtime.source}
                    )
                    self._note_failure(runtime, False, reason, until)
                    return
        if rec is not None and rec.get("status") == "exhausted":

            def clear(r: dict[str, Any]) -> None:
                if r.get("status") == "exhausted" and float(r.get("cooldown_until") or 0.0) <= self._clock():
                    r["status"] = "ok"
                    r["status_at"] = self._clock()

            self.store.transition(runtime.pool_key, cred, clear, {})
            self._observer.recovered(runtime.pool_key, cred)

    # -- internals ------------------------------------------------------
    def _try_refresh(self, runtime: Runtime) -> Runtime | None:
        """401 on a credential that can refresh (an owned OAuth credential + a refresh hook)."""
        if self._refresher is None or runtime.credential_id is None:
            return None
        pool = self._plan.pools[runtime.pool_key]
        view = self.store.view(pool.pool_key)
        rec = view.credentials.get(runtime.credential_id)
        if not rec or rec.get("auth_type") != "oauth" or rec.get("secret") is None:
            return None
        try:
            token = self._refresher(runtime)
        except Exception as exc:  # a failed refresh is an auth failure like any other
            _log().warning(
                "refresh of %s credential %s failed: %s", pool.pool_key, runtime.credential_id, type(exc).__name__
            )
            return None
        if not token:
            return None
        from resolver.secrets import fingerprint

        def store_token(r: dict[str, Any]) -> None:
            r["secret"] = token
            r["fingerprint"] = fingerprint(token)
            r["status"], r["cooldown_until"] = "ok", 0.0

        self.store.transition(pool.pool_key, runtime.credential_id, store_token, {})
        self._tick += 1
        return runtime._with(api_key=token, retry_after=None)

    def _note_failure(self, runtime: Runtime, dead: bool, reason: str, until: float) -> None:
        log = _log()
        who = f"{runtime.pool_key} credential {runtime.label or 'keyless'} ({runtime.credential_id or KEYLESS})"
        if dead:
            log.warning("%s is dead: %s; re-add or reset it", who, reason)
            self._observer.marked_dead(runtime, reason)
        else:
            log.info("%s rests for %s: %s", who, _duration(until - self._clock()), reason)
            self._observer.cooled_down(runtime, until, reason)

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
        asked = first.pool_key
        reasons: list[tuple[str, str]] = []
        next_at: list[float] = []
        runtime = self._from_pool(first, None, 0, asked, claim, reasons, next_at)
        if runtime is not None:
            return runtime
        for index, step in enumerate(plan.fallbacks, start=1):
            if step.pool_key == asked:
                continue
            pool = plan.pools.get(step.pool_key)
            if pool is None:
                continue
            runtime = self._from_pool(pool, step.model, index, asked, claim, reasons, next_at)
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
        asked: str,
        claim: bool,
        reasons: list[tuple[str, str]],
        next_at: list[float],
    ) -> Runtime | None:
        store = self.store
        key = pool.pool_key
        now = self._clock()
        rng = self._rng if pool.strategy in NEEDS_RNG else None
        used: Selector | None = None

        def choose(view: PoolView) -> tuple[str, dict[str, Any]] | None:
            nonlocal used
            used = self._selector(pool, view)  # under the store's lock, on the freshest view
            return used.choose(view, now, rng)

        for _attempt in range(3):
            used = None
            picked = store.claim(key, choose) if claim else choose(store.view(key))
            if picked is None or used is None:
                break
            i = used.index_of[picked[0]]
            member = used.members[i]
            secret = member.read(used.creds, self._environ)
            cache_key = (i, model, index, asked)
            runtime = used.runtimes.get(cache_key)
            if runtime is None or runtime.api_key != secret or not secret:
                if not secret or hash(secret) != member.value_hash:
                    self._tick += 1  # the source changed under us (env var edited or unset): rebuild
                    continue
                runtime = used.runtimes[cache_key] = self._runtime(pool, model, index, asked, member, secret)
            if claim:
                self._observer.selected(runtime)
            return runtime
        view = store.view(key)
        sel = self._selector(pool, view)
        if not sel.members:
            if pool.key_required:
                env = ", ".join(pool.key_env_hint) or "a key"
                reasons.append((key, f"no key configured: set {env} or run 'resolver auth add {key}'"))
                return None
            ok, why, back = describe_state(view.credentials.get(KEYLESS), now)
            if not ok:  # a keyless endpoint that failed rests like a credential would
                if back is not None:
                    next_at.append(back)
                reasons.append((f"{key} (keyless)", why + (f", back in {_duration(back - now)}" if back else "")))
                return None
            return self._runtime(pool, model, index, asked, None, None)
        self._explain(pool, sel, view, now, reasons, next_at)
        return None

    def _runtime(
        self,
        pool: PoolPlan,
        model: str | None,
        index: int,
        asked: str,
        member: Member | None,
        secret: str | None,
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
            requested=asked,
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
        quiet = self._quiet_until.get(pool.pool_key, 0.0)
        if time.monotonic() >= quiet:  # at most one log line a minute per pool, not one per call
            self._quiet_until[pool.pool_key] = time.monotonic() + 60.0
            _log().warning("no credential available for %s or any fallback (%d reasons)", pool.pool_key, len(reasons))
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


def _log() -> Any:
    import logging  # only on failure paths: keeps start-up light

    logger = logging.getLogger("resolver")
    if not logger.handlers:  # a library stays silent unless the application configures logging
        logger.addHandler(logging.NullHandler())
    return logger


def _dead_reason(message: str | None) -> str | None:
    import re

    m = re.search(r"invalid_grant|token_revoked|invalid_token|unauthorized_client|refresh_token_reused", message or "")
    return m.group(0) if m else None
