"""``resolver auth``: look after the keys of every pool.

``list``, ``add``, ``remove``, ``reset``, ``strategy``; with no subcommand on a
terminal, an interactive manager (``auth_interactive``). Every change goes
through one atomic operation of the state store (or, for ``strategy``, an
atomic, validated edit of config.yaml). No output ever contains a full key.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable
from typing import Any

from resolver.cli import Options
from resolver.errors import ResolverError, UsageError
from resolver.secrets import mask

FORMATS = ("text", "json")
STRATEGIES = ("fill_first", "round_robin", "least_used", "random", "weighted")


class Refused(ResolverError):
    """The operation was refused (no match, a duplicate, an invalid result): exit 1."""


def add_parser(sub: Any, make: Callable[..., Any]) -> None:
    p = make(
        "auth",
        help="list, add, remove and reset credentials; set a pool's strategy",
        description=(
            "Look after the credentials of every pool. Without a subcommand on a terminal:\n"
            "an interactive manager. Keys are always shown masked (sk-or-…a1b2)."
        ),
        examples=["resolver auth list", "resolver auth add openrouter --api-key-stdin < key.txt", "resolver auth"],
    )
    nested = p.add_subparsers(dest="auth_command", metavar="SUBCOMMAND")
    ls = make(
        "list",
        under=nested,
        help="every pool with its strategy and credentials",
        description=(
            "Every pool (or POOL_KEY) with its strategy and credentials: index, label, id, type,\n"
            "source, priority/weight, uses, status, masked key. '>' marks the credential the next\n"
            "'resolver resolve' would pick (computed without claiming anything)."
        ),
        examples=["resolver auth list", "resolver auth list openrouter --format json", "resolver auth list --all"],
    )
    ls.add_argument("pool_key", nargs="?", metavar="POOL_KEY")
    ls.add_argument("--all", action="store_true", help="include registry pools that have no credential")
    add = make(
        "add",
        under=nested,
        help="add a credential to a pool",
        description=(
            "Add an owned credential (kept in the state store, mode 0600). Without --api-key or\n"
            "--api-key-stdin it asks on the terminal with hidden input. Note: --api-key KEY is\n"
            "visible in 'ps' and your shell history; prefer --api-key-stdin or the prompt."
        ),
        examples=[
            "resolver auth add openrouter",
            'printf %s "$KEY" | resolver auth add openrouter --api-key-stdin --label team',
            "resolver auth add custom:together.ai --api-key-stdin --priority 0 < key.txt",
        ],
    )
    add.add_argument("pool_key", metavar="POOL_KEY")
    add.add_argument("--type", dest="auth_type", choices=("api-key", "oauth"), default="api-key")
    keys = add.add_mutually_exclusive_group()
    keys.add_argument("--api-key", metavar="KEY", help="the key (visible in ps and shell history)")
    keys.add_argument("--api-key-stdin", action="store_true", help="read the key from standard input")
    add.add_argument("--label", metavar="L", help="a name unique in the pool (default: key-N)")
    add.add_argument("--priority", type=int, metavar="N", help="lower is tried first (fill_first)")
    add.add_argument("--weight", type=float, metavar="W", help="share under the weighted strategy (default 1)")
    add.add_argument("--base-url", metavar="URL", help="endpoint for this credential only")
    rm = make(
        "remove",
        under=nested,
        help="remove a credential (a borrowed one is hidden until reset)",
        description=(
            "Remove the credential TARGET: an id, a label (case-insensitive, unique) or a 1-based\n"
            "index, tried in that order. A credential borrowed from the environment or the config\n"
            "is suppressed (it does not come back at the next load) until 'auth reset --unsuppress'."
        ),
        examples=["resolver auth remove openrouter 2", "resolver auth remove openrouter team"],
    )
    rm.add_argument("pool_key", metavar="POOL_KEY")
    rm.add_argument("target", metavar="TARGET")
    rs = make(
        "reset",
        under=nested,
        help="clear cooldowns and dead status",
        description="Clear cooldowns and dead status of every credential of POOL_KEY, or of TARGET only.",
        examples=[
            "resolver auth reset openrouter",
            "resolver auth reset openrouter team",
            "resolver auth reset openrouter --unsuppress",
        ],
    )
    rs.add_argument("pool_key", metavar="POOL_KEY")
    rs.add_argument("target", nargs="?", metavar="TARGET")
    rs.add_argument("--unsuppress", action="store_true", help="also bring back removed borrowed credentials")
    st = make(
        "strategy",
        under=nested,
        help="set a pool's strategy in config.yaml",
        description=(
            "Write credential_pool_strategies[POOL_KEY] = STRATEGY into config.yaml, in place:\n"
            "comments, order, quoting and blank lines are kept; the result is validated first."
        ),
        examples=["resolver auth strategy openrouter round_robin"],
    )
    st.add_argument("pool_key", metavar="POOL_KEY")
    st.add_argument("strategy", metavar="STRATEGY", help=", ".join(STRATEGIES))


# -- listing -------------------------------------------------------------------


def _left(seconds: float) -> str:
    from resolver.runtime import _duration

    return _duration(seconds)


def status_of(member: Any, rec: dict[str, Any] | None, now: float) -> tuple[str, bool]:
    """(status text, available) of one credential, as people read it."""
    if member.fingerprint is None:
        what = f"{member.ref.name} is not set" if member.ref and member.ref.kind == "env" else "source missing"
        return f"unavailable: {what}", False
    if not rec:
        return "ok", True
    reason = rec.get("last_error_reason") or "failed"
    code = rec.get("last_error_code")
    if rec.get("status") == "dead":
        return f"dead: {reason} — re-add or reset", False
    until = float(rec.get("cooldown_until") or 0.0)
    if until > now:
        label = f"{reason} ({code})" if code else reason
        return f"{label} {_left(until - now)} left", False
    return "ok", True


def pool_listing(r: Any, pool_key: str, now: float) -> dict[str, Any]:
    pool = r.plan.pool(pool_key)
    view = r.store.view(pool.pool_key)
    members = r.members(pool.pool_key)
    try:
        nxt = r.peek(pool.pool_key)
        next_id = nxt.credential_id if nxt.pool_key == pool.pool_key else None
    except ResolverError:
        next_id = None
    creds = []
    for i, m in enumerate(members, 1):
        rec = view.credentials.get(m.id)
        status, available = status_of(m, rec, now)
        secret = m.read(view.credentials, os.environ) if m.present else None
        creds.append({
            "index": i,
            "label": m.label,
            "id": m.id,
            "auth_type": m.auth_type,
            "source": m.source,
            "priority": m.priority,
            "weight": m.weight,
            "request_count": int((rec or {}).get("request_count", 0)),
            "status": status,
            "available": available,
            "cooldown_until": (rec or {}).get("cooldown_until") or None,
            "last_error_code": (rec or {}).get("last_error_code"),
            "key": mask(secret) if secret else None,
            "next": m.id == next_id,
        })  # fmt: skip
    suppressed = [
        {"source": s.ref.describe(), "label": s.label} for s in pool.sources
        if (val := s.ref.read(os.environ)) and _fp(val) in view.suppressed
    ]  # fmt: skip
    return {
        "pool_key": pool.pool_key,
        "name": pool.name,
        "kind": pool.kind,
        "strategy": pool.strategy,
        "key_required": pool.key_required,
        "key_env": list(pool.key_env_hint),
        "credentials": creds,
        "removed": suppressed,
    }


def _fp(value: str) -> str:
    from resolver.secrets import fingerprint

    return fingerprint(value)


def _colour(text: str, status: str, enabled: bool) -> str:
    if not enabled:
        return text
    code = "32" if status == "ok" else ("31" if status.startswith(("dead", "unavailable")) else "33")
    return f"\033[{code}m{text}\033[0m"


def render_pools(pools: list[dict[str, Any]], *, colour: bool) -> str:
    out: list[str] = []
    headers = ("", "#", "label", "id", "type", "source", "prio/weight", "uses", "key", "status")
    for p in pools:
        out.append(f"{p['pool_key']}  ({p['name']}; strategy {p['strategy']})")
        if not p["credentials"]:
            hint = f"set {', '.join(p['key_env'])} or " if p["key_env"] else ""
            out.append(
                f"  no credentials — {hint}resolver auth add {p['pool_key']}"
                if p["key_required"]
                else "  keyless endpoint: no key needed"
            )
        else:
            rows = [headers] + [
                (
                    ">" if c["next"] else "",
                    str(c["index"]),
                    c["label"],
                    c["id"],
                    c["auth_type"].replace("_", "-"),
                    c["source"],
                    f"{'-' if c['priority'] is None else c['priority']}/{c['weight']:g}",
                    str(c["request_count"]),
                    c["key"] or "-",
                    c["status"],
                )
                for c in p["credentials"]
            ]  # fmt: skip
            widths = [max(len(row[i]) for row in rows) for i in range(len(headers))]
            for n, row in enumerate(rows):
                cells = [row[i].ljust(widths[i]) if i < len(row) - 1 else row[i] for i in range(len(row))]
                line = "  " + " ".join(cells)
                out.append(_colour(line, row[-1], colour and n > 0))
        for s in p["removed"]:
            out.append(
                f"  removed: {s['label']} [{s['source']}] — bring back: resolver auth reset {p['pool_key']} --unsuppress"
            )
        out.append("")
    return "\n".join(out).rstrip("\n") + "\n"


def _now(opts: Options) -> float:
    clock = opts.clock()
    if clock is not None:
        return clock()
    import time

    return time.time()


def _wants_colour(stream: Any) -> bool:
    return bool(getattr(stream, "isatty", lambda: False)()) and not os.environ.get("NO_COLOR")


def listed_pools(r: Any, pool_key: str | None, everything: bool, now: float) -> list[dict[str, Any]]:
    if pool_key:
        return [pool_listing(r, pool_key, now)]
    """Pools the config uses or that hold a usable credential (``everything``: every pool)."""
    plan = r.plan
    referenced = {plan.primary, *(f.pool_key for f in plan.fallbacks)}
    chain = [plan.primary, *(f.pool_key for f in plan.fallbacks)]
    order = sorted(plan.pools, key=lambda k: (chain.index(k) if k in chain else len(chain), k))
    out = []
    for key in order:
        pool = plan.pools[key]
        if not everything and not (
            key in referenced
            or pool.kind == "custom"
            or pool.strategy != "fill_first"
            or any(s.origin != "env" for s in pool.sources)
            or any(m.present for m in r.members(key))
        ):
            continue
        out.append(pool_listing(r, key, now))
    return out


def cmd_list(opts: Options) -> int:
    fmt = opts.fmt(FORMATS)
    with opts.load() as r:
        pools = listed_pools(r, opts.args.get("pool_key"), bool(opts.args.get("all")), _now(opts))
    if fmt == "json":
        sys.stdout.write(json.dumps({"pools": pools}, indent=2, sort_keys=True, ensure_ascii=False) + "\n")
    else:
        sys.stdout.write(render_pools(pools, colour=_wants_colour(sys.stdout)))
    return 0


# -- changes -------------------------------------------------------------------


def find_target(r: Any, pool_key: str, target: str) -> tuple[int, Any]:
    """TARGET as an id, then a label (case-insensitive, unique), then a 1-based index."""
    members = r.members(pool_key)
    for i, m in enumerate(members, 1):
        if m.id == target:
            return i, m
    by_label = [(i, m) for i, m in enumerate(members, 1) if m.label.lower() == target.strip().lower()]
    if len(by_label) > 1:
        ids = ", ".join(f"#{i} {m.id}" for i, m in by_label)
        raise Refused(f"label {target!r} is ambiguous in {pool_key}: {ids}; use an id or an index")
    if by_label:
        return by_label[0]
    if target.isdigit() and 1 <= int(target) <= len(members):
        return int(target), members[int(target) - 1]
    known = ", ".join(f"#{i} {m.label} ({m.id})" for i, m in enumerate(members, 1)) or "none"
    raise Refused(f"no credential {target!r} in {pool_key}; it has: {known}")


def read_key(opts: Options, pool_key: str) -> str:
    given = opts.args.get("api_key")
    if given is not None:
        return str(given)
    if opts.args.get("api_key_stdin"):
        return sys.stdin.read()
    if sys.stdin.isatty():
        import getpass

        return getpass.getpass(f"API key for {pool_key} (input hidden): ")
    raise UsageError(
        f"no key given and no terminal to ask on: use --api-key-stdin (e.g. resolver auth add {pool_key} "
        "--api-key-stdin < key.txt) or --api-key KEY"
    )


def add_credential(
    r: Any,
    pool_key: str,
    secret: str,
    *,
    label: str | None = None,
    auth_type: str = "api_key",
    priority: int | None = None,
    weight: float | None = None,
    base_url: str | None = None,
    now: float,
) -> tuple[int, str]:
    """Add an owned credential atomically; returns (index, label). Raises Refused."""
    from resolver.pool.members import borrowed_id
    from resolver.secrets import fingerprint

    pool = r.plan.pool(pool_key)
    key = pool.pool_key
    secret = secret.strip()
    if not secret:
        raise Refused("the key is empty; nothing was added")
    if any(c.isspace() for c in secret):
        raise Refused("the key contains whitespace; nothing was added")
    fp = fingerprint(secret)
    members = r.members(key)
    for i, m in enumerate(members, 1):
        if m.fingerprint == fp:
            raise Refused(f"this key is already in {key}: credential #{i} {m.label!r} ({m.source})")
    cid = borrowed_id(fp)
    # the same secret as a borrowed source that was removed: adding it brings that source back
    borrowed: dict[str, str] = {_fp(v): s.label for s in pool.sources if (v := s.ref.read(os.environ))}

    def change(doc_pool: dict[str, Any]) -> str:
        if fp in borrowed and fp in doc_pool["suppressed"]:
            doc_pool["suppressed"].pop(fp)
            return borrowed[fp]
        creds = doc_pool["credentials"]
        owned = [c for c in creds.values() if c.get("secret") is not None]
        if any(c.get("fingerprint") == fp for c in owned):
            raise Refused(f"this key is already in {key} (added meanwhile)")
        taken = {m.label.lower() for m in members} | {str(c.get("label") or "").lower() for c in owned}
        name = (
            label.strip()
            if label
            else next(f"key-{n}" for n in range(len(members) + 1, 10**6) if f"key-{n}" not in taken)
        )
        if name.lower() in taken:
            raise Refused(f"label {name!r} is already used in {key}; choose another with --label")
        from resolver.state.base import new_record

        record = {
            "fingerprint": fp, "label": name, "source": "manual", "auth_type": auth_type, "priority": priority,
            "weight": 1.0 if weight is None else float(weight), "base_url": base_url, "secret": secret, "added_at": now,
        }  # fmt: skip
        creds[cid] = new_record(**record)
        doc_pool["suppressed"].pop(fp, None)  # re-adding brings back a removed borrowed source
        return name

    name: str = r.store.update(key, change)
    index = next((i for i, m in enumerate(r.members(key), 1) if m.id == cid), len(members) + 1)
    return index, name


def cmd_add(opts: Options) -> int:
    fmt = opts.fmt(FORMATS)
    pool_key = str(opts.args["pool_key"])
    weight = opts.args.get("weight")
    if weight is not None and weight <= 0:
        raise UsageError("--weight must be > 0")
    with opts.load() as r:
        pool = r.plan.pool(pool_key)  # an unknown pool fails before asking for a key
        secret = read_key(opts, pool.pool_key)
        index, name = add_credential(
            r, pool.pool_key, secret,
            label=opts.args.get("label"),
            auth_type="oauth" if opts.args.get("auth_type") == "oauth" else "api_key",
            priority=opts.args.get("priority"), weight=weight, base_url=opts.args.get("base_url"), now=_now(opts),
        )  # fmt: skip
    if fmt == "json":
        sys.stdout.write(
            json.dumps({"added": {"pool_key": pool.pool_key, "index": index, "label": name}}, ensure_ascii=False) + "\n"
        )
    else:
        print(f'Added {pool.pool_key} credential #{index} "{name}"')
    return 0


def remove_credential(r: Any, pool_key: str, target: str) -> tuple[int, Any]:
    """Forget an owned credential, or suppress a borrowed one; returns (index, member)."""
    index, m = find_target(r, pool_key, target)
    if m.owned:
        r.store.remove(pool_key, m.id)
    elif m.fingerprint is None:
        raise Refused(f"credential #{index} {m.label!r} has no value here ({m.source} is not set): nothing to remove")
    else:
        r.store.remove(pool_key, m.id, suppress=m.fingerprint, source=m.source)
    return index, m


def cmd_remove(opts: Options) -> int:
    fmt = opts.fmt(FORMATS)
    with opts.load() as r:
        pool = r.plan.pool(str(opts.args["pool_key"]))
        index, m = remove_credential(r, pool.pool_key, str(opts.args["target"]))
    if fmt == "json":
        sys.stdout.write(
            json.dumps(
                {
                    "removed": {
                        "pool_key": pool.pool_key,
                        "index": index,
                        "label": m.label,
                        "id": m.id,
                        "borrowed": not m.owned,
                    }
                }
            )
            + "\n"
        )
    else:
        print(f'Removed {pool.pool_key} credential #{index} "{m.label}" ({m.source})', flush=True)
        if not m.owned:
            print(
                f"It is borrowed from {m.source}, so it stays hidden from now on; undo with: "
                f"resolver auth reset {pool.pool_key} --unsuppress",
                file=sys.stderr,
            )
    return 0


def reset_credentials(r: Any, pool_key: str, ids: set[str] | None, now: float) -> int:
    def change(doc_pool: dict[str, Any]) -> int:
        n = 0
        for cid, rec in doc_pool["credentials"].items():
            if ids is not None and cid not in ids:
                continue
            if rec.get("status") != "ok" or float(rec.get("cooldown_until") or 0.0) > 0:
                n += 1
            rec.update(status="ok", status_at=now, cooldown_until=0.0, last_error_code=None, last_error_reason=None)
        return n

    n: int = r.store.update(pool_key, change)
    return n


def cmd_reset(opts: Options) -> int:
    fmt = opts.fmt(FORMATS)
    with opts.load() as r:
        pool = r.plan.pool(str(opts.args["pool_key"]))
        target = opts.args.get("target")
        ids = {find_target(r, pool.pool_key, str(target))[1].id} if target else None
        n = reset_credentials(r, pool.pool_key, ids, _now(opts))
        lifted = r.store.unsuppress(pool.pool_key) if opts.args.get("unsuppress") else 0
    if fmt == "json":
        sys.stdout.write(
            json.dumps({"reset": n, "unsuppressed": lifted, "pool_key": pool.pool_key}, ensure_ascii=False) + "\n"
        )
    else:
        print(f"Reset {n} credential{'s' if n != 1 else ''} in {pool.pool_key}")
        if opts.args.get("unsuppress"):
            print(f"Brought back {lifted} removed credential{'s' if lifted != 1 else ''}")
    return 0


def set_pool_strategy(opts: Options, pool_key: str, strategy: str) -> str:
    from resolver.config.edit import set_strategy

    if strategy not in STRATEGIES:
        raise UsageError(f"unknown strategy {strategy!r}; choose from {', '.join(STRATEGIES)}")
    path = opts.config_path()
    if os.path.exists(path):
        with opts.load() as r:
            key: str = r.plan.pool(pool_key).pool_key
    else:  # no config yet: the registry's pools exist all the same, and the edit creates the file
        from resolver.plan.compile import compile_plan

        key = compile_plan({}).pool(pool_key).pool_key
    set_strategy(path, key, strategy)
    return key


def cmd_strategy(opts: Options) -> int:
    fmt = opts.fmt(FORMATS)
    strategy = str(opts.args["strategy"])
    key = set_pool_strategy(opts, str(opts.args["pool_key"]), strategy)
    if fmt == "json":
        sys.stdout.write(
            json.dumps({"pool_key": key, "strategy": strategy, "config": opts.config_path()}, ensure_ascii=False) + "\n"
        )
    else:
        print(f"Set the strategy of {key} to {strategy} in {opts.config_path()}")
    return 0


def run(opts: Options) -> int:
    sub = opts.args.get("auth_command")
    commands = {"list": cmd_list, "add": cmd_add, "remove": cmd_remove, "reset": cmd_reset, "strategy": cmd_strategy}
    if sub is None:
        from resolver.cli.auth_interactive import interactive

        return interactive(opts)
    return commands[sub](opts)
