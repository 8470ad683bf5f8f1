"""Side by side: LiteLLM's Router for the same pool of 8 keys (where LiteLLM is installable).

Usage (LiteLLM in its own venv, so it does not enter this project's dependencies):
  python3 -m venv /tmp/llvenv && /tmp/llvenv/bin/pip install litellm
  python benchmarks/bench_litellm.py --litellm-python /tmp/llvenv/bin/python [--runs 10] [--n 20000]

Measures, for each library: a fresh process doing import + init + one pick
(median wall time), and the in-process median time of one pick. LiteLLM runs
with LITELLM_LOCAL_MODEL_COST_MAP=True (no network here).
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

LITELLM_SETUP = """
from litellm import Router
router = Router(model_list=[
    {"model_name": "pool", "litellm_params": {"model": "openrouter/anthropic/claude-sonnet-4", "api_key": f"sk-bench-{i:04d}-0123456789abcdef"}}
    for i in range(8)
], routing_strategy=STRATEGY)
"""
LITELLM_PICK = 'router.get_available_deployment(model="pool")'

OURS_SETUP = """
import resolver
r = resolver.load(CONFIG, state="file://" + STATE)
"""
OURS_PICK = "r.resolve()"


def pool_config() -> str:
    keys = "\n".join(f"      - {{label: k{i}, api_key: '${{env:BENCH_KEY_{i}}}'}}" for i in range(8))
    return (
        "model: {provider: openrouter, default: anthropic/claude-sonnet-4}\n"
        f"providers:\n  openrouter:\n    api_key_env: []\n    keys:\n{keys}\n"
        "credential_pool_strategies: {openrouter: random}\n"
    )


def fresh(python: str, code: str, env: dict[str, str], runs: int) -> float:
    subprocess.run([python, "-c", code], check=True, env=env, capture_output=True)
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        subprocess.run([python, "-c", code], check=True, env=env, capture_output=True)
        times.append(time.perf_counter() - t)
    return statistics.median(times) * 1000


def inproc(python: str, setup: str, pick: str, env: dict[str, str], n: int) -> float:
    code = (
        setup
        + f"\nimport time, statistics\nfor _ in range(500): {pick}\nxs = []\n"
        + f"for _ in range({n}):\n    t = time.perf_counter_ns(); {pick}; xs.append(time.perf_counter_ns() - t)\n"
        + "print(statistics.median(xs) / 1000)\n"
    )
    out = subprocess.run([python, "-c", code], check=True, env=env, capture_output=True, text=True).stdout
    return float(out.strip().splitlines()[-1])


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--litellm-python", required=True)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--runs", type=int, default=10)
    ap.add_argument("--n", type=int, default=20000)
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        cfg = Path(tmp) / "config.yaml"
        cfg.write_text(pool_config())
        env = {**os.environ, "RESOLVER_HOME": tmp, "LITELLM_LOCAL_MODEL_COST_MAP": "True", "LITELLM_LOG": "ERROR"}
        env.update({f"BENCH_KEY_{i}": f"sk-bench-{i:04d}-0123456789abcdef" for i in range(8)})
        ours_setup = OURS_SETUP.replace("CONFIG", repr(str(cfg))).replace("STATE", repr(f"{tmp}/auth.json"))
        lite_setup = LITELLM_SETUP.replace("STRATEGY", repr("simple-shuffle"))
        rows = [
            ("provider-resolver", fresh(args.python, ours_setup + OURS_PICK, env, args.runs),
             inproc(args.python, ours_setup, OURS_PICK, env, args.n)),
            ("litellm Router (simple-shuffle)", fresh(args.litellm_python, lite_setup + LITELLM_PICK, env, args.runs),
             inproc(args.litellm_python, lite_setup, LITELLM_PICK, env, args.n)),
        ]  # fmt: skip
    print(f"{'library':<34} {'fresh process ms':>17} {'pick µs':>9}")
    for name, ms, us in rows:
        print(f"{name:<34} {ms:>17.1f} {us:>9.2f}")
    (ours_ms, ours_us), (lite_ms, lite_us) = ((r[1], r[2]) for r in rows)
    print(f"ratio (litellm / ours): start-up {lite_ms / ours_ms:.1f}x, pick {lite_us / ours_us:.1f}x")
    return 0


if __name__ == "__main__":
    sys.exit(main())
