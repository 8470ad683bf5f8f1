"""``resolver resolve [POOL_KEY]``: what to use now (a claim, like ``Resolver.resolve()``)."""

from __future__ import annotations

import json
import shlex
import sys
from collections.abc import Callable
from typing import Any

from resolver.cli import Options

FORMATS = ("text", "json", "env")
ANTHROPIC_MODES = ("anthropic_messages",)


def add_parser(sub: Any, make: Callable[..., Any]) -> None:
    p = make(
        "resolve",
        help="print the endpoint, model and credential to use now",
        description=(
            "Answer 'which endpoint, model and credential now?' for POOL_KEY (default: the\n"
            "primary). Counts as a use (round-robin moves on) unless --peek. The key is masked,\n"
            "except with --format env, which prints shell export lines WITH the secret, for\n"
            'programs in other languages: eval "$(resolver resolve --format env)".'
        ),
        examples=[
            "resolver resolve --config examples/config.yaml",
            "resolver resolve custom:together.ai --format json",
            'eval "$(resolver resolve --format env)"',
            "resolver resolve --peek",
        ],
    )
    p.add_argument("pool_key", nargs="?", metavar="POOL_KEY", help="pool to resolve (default: model.provider)")
    p.add_argument("--peek", action="store_true", help="answer without counting a use or moving the cursor")


def env_lines(rt: Any) -> str:
    values = {
        "RESOLVER_PROVIDER": rt.provider,
        "RESOLVER_POOL_KEY": rt.pool_key,
        "RESOLVER_MODEL": rt.model or "",
        "RESOLVER_API_MODE": rt.api_mode,
        "RESOLVER_BASE_URL": rt.base_url,
        "RESOLVER_API_KEY": rt.api_key or "",
    }
    prefix = "ANTHROPIC" if rt.api_mode in ANTHROPIC_MODES else "OPENAI"
    values[f"{prefix}_BASE_URL"] = rt.base_url
    values[f"{prefix}_API_KEY"] = rt.api_key or ""
    return "".join(f"export {k}={shlex.quote(v)}\n" for k, v in values.items())


def render_text(rt: Any, fallbacks: int) -> str:
    where = "primary" if rt.fallback_index == 0 else f"fallback {rt.fallback_index} of {fallbacks}"
    cred = rt.source if rt.credential_id is None else f"{rt.source} ({rt.label}, id {rt.credential_id})"
    rows = [
        ("provider", rt.provider),
        ("pool", rt.pool_key),
        ("base_url", rt.base_url),
        ("model", rt.model or "-"),
        ("api_mode", rt.api_mode),
        ("source", cred),
        ("api_key", rt.masked_key if rt.api_key else "none (keyless endpoint)"),
        ("position", where),
    ]
    return "".join(f"{k + ':':<10} {v}\n" for k, v in rows)


def run(opts: Options) -> int:
    fmt = opts.fmt(FORMATS)
    with opts.load() as resolver:
        key = opts.args.get("pool_key")
        rt = resolver.peek(key) if opts.args.get("peek") else resolver.resolve(key)
        if fmt == "json":
            sys.stdout.write(json.dumps(rt.as_dict(), indent=2, sort_keys=True, ensure_ascii=False) + "\n")
        elif fmt == "env":
            sys.stdout.write(env_lines(rt))
        else:
            sys.stdout.write(render_text(rt, len(resolver.plan.fallbacks)))
    return 0
