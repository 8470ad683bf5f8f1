"""``resolver.load()``: config → plan (cached) → Resolver with its state store."""

from __future__ import annotations

import os

from resolver.runtime import Observer, Resolver, Runtime

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping, Sequence

    from resolver.plan.model import Plan
    from resolver.state.base import StateStore


def compile_files(files: Sequence[str], overrides: Sequence[str], environ: Mapping[str, str] | None = None) -> Plan:
    """Load, validate and compile, through the plan cache. Raises ConfigError when invalid."""
    from resolver.plan import cache

    env = os.environ if environ is None else environ
    key = cache.cache_key(files, overrides)
    if key is not None:
        plan = cache.lookup(key, env)
        if plan is not None:
            _remember_secret_overrides(overrides)
            return plan
    from resolver.config import validate
    from resolver.errors import ConfigError
    from resolver.plan.compile import base_url_env_names, compile_plan

    result = validate(files[0], files[1:], overrides)
    if not result.ok:
        raise ConfigError(result.issues)
    loaded = result.loaded
    plan = compile_plan(loaded.data, tuple(os.path.abspath(f) for f in files), env)
    if key is not None:
        deps = cache.dependencies([*loaded.plain_env, *base_url_env_names()], sorted(loaded.plain_files), env)
        cache.save(key, plan, deps)
    return plan


def _remember_secret_overrides(overrides: Sequence[str]) -> None:
    """A literal key given with ``--set`` lives in memory only: register it again on a cache hit."""
    if not overrides:
        return
    from resolver.config.literals import remember_override
    from resolver.config.loader import is_secret_path, parse_set, set_source

    for raw in overrides:
        path, text = parse_set(raw)
        if is_secret_path(path):
            remember_override(set_source(raw, text, secret=True), path, text)


def _signature(files: Sequence[str]) -> tuple[tuple[int, int, int] | None, ...]:
    out: list[tuple[int, int, int] | None] = []
    for f in files:
        try:
            st = os.stat(f)
            out.append((st.st_ino, st.st_mtime_ns, st.st_size))
        except OSError:
            out.append(None)
    return tuple(out)


def _reloader(files: Sequence[str], overrides: Sequence[str], observer: Observer) -> Callable[[], Plan | None]:
    seen = {"sig": _signature(files), "failed": None}

    def reload() -> Plan | None:
        sig = _signature(files)
        if sig == seen["sig"]:
            return None
        try:
            plan = compile_files(files, overrides)
        except Exception as exc:
            from resolver.errors import ConfigError

            if seen["failed"] != sig:  # report once per change, keep the old plan
                seen["failed"] = sig
                issues = exc.issues if isinstance(exc, ConfigError) else ()
                from resolver.runtime import _log

                _log().error("config changed but is not valid; keeping the previous plan:\n%s", exc)
                observer.reload_failed(issues)
            return None
        seen["sig"] = sig
        seen["failed"] = None
        from resolver.runtime import _log

        _log().info("config changed: new plan %s", plan.digest[:12])
        return plan

    return reload


def state_url(explicit: str | None, plan: Plan) -> tuple[str, str]:
    """(URL, where it came from): argument, RESOLVER_STATE_URL, config state.url, RESOLVER_HOME, user data dir."""
    if explicit:
        return explicit, "the state argument"
    env = os.environ.get("RESOLVER_STATE_URL")
    if env:
        return env, "RESOLVER_STATE_URL"
    if plan.state_url:
        return plan.state_url, "state.url in the config"
    from resolver.state import default_state_url

    return default_state_url(), "the default location"


def load(
    config: str | os.PathLike[str] | None = None,
    *,
    state: str | StateStore | None = None,
    overrides: Sequence[str] = (),
    overlays: Sequence[str | os.PathLike[str]] = (),
    clock: Callable[[], float] | None = None,
    observer: Observer | None = None,
    refresher: Callable[[Runtime], str | None] | None = None,
) -> Resolver:
    """Load config.yaml (cached plan when unchanged) and open the state store.

    ``config``: path (default ``RESOLVER_CONFIG``, else the user config dir).
    ``state``: a store URL or a StateStore (default per DESIGN §9).
    ``overrides``: ``--set`` style ``"a.b=c"`` strings. ``clock``: epoch
    seconds (default ``time.time``); tests move time with it. ``refresher``:
    called with the runtime of an OAuth credential that got a 401; returns a
    fresh access token (or None) — see docs/recovery.md.
    Raises ConfigError (with ``.issues``) when the config is invalid.
    """
    from resolver.paths import default_config_path

    path = os.fspath(config) if config is not None else default_config_path()
    files = (path, *(os.fspath(o) for o in overlays))
    plan = compile_files(files, tuple(overrides))
    if state is None or isinstance(state, str):
        from resolver.state import state_from_url

        url, origin = state_url(state, plan)
        store = state_from_url(url, origin=origin)
    else:
        store = state
    obs = observer or Observer()
    return Resolver(
        plan, store, clock=clock, reloader=_reloader(files, tuple(overrides), obs), observer=obs, refresher=refresher
    )
