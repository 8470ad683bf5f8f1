"""``resolver plan``: the compiled plans — sources as references, strategy, fallbacks."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable
from typing import Any

from resolver.cli import Options
from resolver.plan.model import Plan, PoolPlan

FORMATS = ("text", "json", "mermaid")
PRECEDENCE = "available pool credential (by strategy) → keyless endpoint → fallback providers → NoCredentialAvailable"


def add_parser(sub: Any, make: Callable[..., Any]) -> None:
    p = make(
        "plan",
        help="show the compiled resolution plans",
        description=(
            "Show what the config compiles to: for each pool its endpoint, model, strategy,\n"
            "cooldowns and credential sources (as references, never values), and the\n"
            "fallback chain. By default only the pools the config uses; --all for every pool."
        ),
        examples=["resolver plan", "resolver plan --format json", "resolver plan --format mermaid > plan.mmd"],
    )
    p.add_argument("--all", action="store_true", help="include every registry pool, used or not")


def used_pools(plan: Plan, everything: bool) -> list[PoolPlan]:
    keys = [plan.primary, *(f.pool_key for f in plan.fallbacks)]
    for key, pool in plan.pools.items():
        if (
            everything
            or pool.kind == "custom"
            or any(s.origin != "env" for s in pool.sources)
            or pool.strategy != "fill_first"
        ):
            keys.append(key)
    seen: dict[str, PoolPlan] = {}
    for key in keys:
        if key in plan.pools and key not in seen:
            seen[key] = plan.pools[key]
    return list(seen.values())


def render_text(plan: Plan, everything: bool) -> str:
    lines = [f"primary: {plan.primary}", f"precedence: {PRECEDENCE}", ""]
    for pool in used_pools(plan, everything):
        role = "primary" if pool.pool_key == plan.primary else ""
        lines.append(f"{pool.pool_key}  ({pool.kind}{', ' + role if role else ''}) {pool.name}")
        lines.append(f"  base_url:  {pool.base_url}")
        lines.append(f"  api_mode:  {pool.api_mode}")
        lines.append(f"  model:     {pool.model or '-'}")
        lines.append(f"  strategy:  {pool.strategy}")
        cd = pool.cooldowns
        lines.append(
            f"  cooldowns: rate_limit {cd.rate_limit:g}s, billing {cd.billing:g}s, auth {cd.auth:g}s, "
            f"default {cd.default:g}s, sole max {cd.sole_credential_max:g}s, retries {cd.server_error_retries}"
        )
        if pool.sources:
            lines.append("  sources (in order):")
            for i, s in enumerate(pool.sources, 1):
                extra = [s.origin]
                if s.priority is not None:
                    extra.append(f"priority {s.priority}")
                if s.weight != 1.0:
                    extra.append(f"weight {s.weight:g}")
                lines.append(f"    {i}. {s.label:<20} {s.ref.describe():<36} ({', '.join(extra)})")
        elif pool.key_required:
            lines.append(f"  sources:   none — set {', '.join(pool.key_env_hint) or 'a key'}")
        else:
            lines.append("  sources:   none (keyless endpoint)")
        if pool.extra_body:
            lines.append(f"  extra_body: {json.dumps(_plain(pool.extra_body), sort_keys=True)}")
        lines.append("")
    if plan.fallbacks:
        lines.append("fallbacks:")
        for i, step in enumerate(plan.fallbacks, 1):
            lines.append(f"  {i}. {step.pool_key}" + (f" (model {step.model})" if step.model else ""))
    else:
        lines.append("fallbacks: none")
    return "\n".join(lines) + "\n"


def _plain(value: Any) -> Any:
    from resolver.plan.model import thaw

    return thaw(value)


def _node(key: str) -> str:
    return "p_" + "".join(c if c.isalnum() else "_" for c in key)


def render_mermaid(plan: Plan, everything: bool) -> str:
    lines = ["flowchart LR", '  agent(["agent: resolve()"])']
    pools = used_pools(plan, everything)
    for pool in pools:
        label = f"{pool.pool_key}<br/>{pool.strategy}<br/>{pool.model or ''}".replace('"', "'")
        lines.append(f'  {_node(pool.pool_key)}["{label}"]')
        for i, s in enumerate(pool.sources, 1):
            sid = f"{_node(pool.pool_key)}_s{i}"
            lines.append(f'  {sid}(["{s.label}: {s.ref.describe()}"]) --> {_node(pool.pool_key)}'.replace("#", "/"))
    lines.append(f"  agent --> {_node(plan.primary)}")
    prev = plan.primary
    for i, step in enumerate(plan.fallbacks, 1):
        lines.append(f'  {_node(prev)} -. "nothing available: fallback {i}" .-> {_node(step.pool_key)}')
        prev = step.pool_key
    lines.append(f'  {_node(prev)} -. "nothing left" .-> none(["NoCredentialAvailable"])')
    return "\n".join(lines) + "\n"


def run(opts: Options) -> int:
    from resolver.api import compile_files

    fmt = opts.fmt(FORMATS)
    plan = compile_files((opts.config_path(), *opts.overlays), tuple(opts.sets))
    everything = bool(opts.args.get("all"))
    if fmt == "json":
        sys.stdout.write(json.dumps(plan.to_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    elif fmt == "mermaid":
        sys.stdout.write(render_mermaid(plan, everything))
    else:
        sys.stdout.write(render_text(plan, everything) + _position(opts))
    return 0


def _position(opts: Options) -> str:
    """Where resolution stands right now (a peek: nothing is claimed)."""
    from resolver.errors import NoCredentialAvailable, StateError

    try:
        with opts.load() as r:
            rt = r.peek()
    except NoCredentialAvailable as exc:
        when = ""
        if exc.next_available_at is not None:
            import time

            when = f"; the first credential is back in {max(0, int(exc.next_available_at - time.time()))}s"
        return f"\nnow: nothing available{when} (resolver resolve says why)\n"
    except StateError as exc:
        return f"\nnow: unknown ({exc})\n"
    where = "the primary" if rt.fallback_index == 0 else f"fallback {rt.fallback_index}"
    who = f"{rt.label} [{rt.source}]" if rt.credential_id else "keyless"
    return f"\nnow: {rt.pool_key}, {where}, {who}\n"
