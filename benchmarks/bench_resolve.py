"""Resolve speed and start-up cost.

Usage:
  python benchmarks/bench_resolve.py inproc [--n 20000] [--redis redis://127.0.0.1:PORT/15]
      median µs per resolve() (best of 3 runs of N calls) for every strategy,
      pool of 8 and of 1,000, with the default file store and with memory://
  python benchmarks/bench_resolve.py startup [--runs 30] [--python PY]
      a fresh `python -c "import resolver; resolver.load(CFG).resolve()"` against a
      bare `python -c pass` (median wall time) and peak memory (max RSS)

Run it from a clean venv with a regular (not editable) install for start-up
numbers: an editable install adds an import hook to every interpreter start.
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
STRATEGIES = ("fill_first", "round_robin", "least_used", "random", "weighted")


def pool_config(n: int, strategy: str) -> str:
    lines = [
        "model: {provider: openrouter, default: a/b}",
        "providers:",
        "  openrouter:",
        "    api_key_env: []",
        "    keys:",
    ]
    lines += [f"      - {{label: k{i}, api_key: '${{env:BENCH_KEY_{i}}}'}}" for i in range(n)]
    lines.append(f"credential_pool_strategies: {{openrouter: {strategy}}}")
    return "\n".join(lines) + "\n"


def inproc(n_calls: int, redis_url: str | None = None, sizes: tuple[int, ...] = (8, 1000)) -> None:
    import resolver

    print(f"{'strategy':<12} {'pool':>5} {'store':<7} {'median µs':>10} {'p99 µs':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["RESOLVER_HOME"] = tmp
        for size in sizes:
            for i in range(size):
                os.environ[f"BENCH_KEY_{i}"] = f"sk-bench-{i:04d}-0123456789abcdef"
            for strategy in STRATEGIES:
                cfg = Path(tmp) / f"c-{size}-{strategy}.yaml"
                cfg.write_text(pool_config(size, strategy))
                stores = {"file": f"file://{tmp}/state-{size}-{strategy}.json", "memory": "memory://"}
                if redis_url:
                    stores["redis"] = redis_url
                for store, url in stores.items():
                    if store == "redis":
                        import redis

                        redis.Redis.from_url(url).flushdb()
                    r = resolver.load(str(cfg), state=url)
                    for _ in range(2000):  # warm up: members built, state file written once
                        r.resolve()
                    clock = time.perf_counter_ns
                    runs = []
                    for _ in range(3):  # best of 3 runs: a busy neighbour slows a run, never speeds one up
                        samples = []
                        for _ in range(n_calls):
                            t = clock()
                            r.resolve()
                            samples.append(clock() - t)
                        samples.sort()
                        runs.append(samples)
                    r.close()
                    samples = min(runs, key=statistics.median)
                    med = statistics.median(samples) / 1000
                    p99 = samples[int(len(samples) * 0.99)] / 1000
                    print(f"{strategy:<12} {size:>5} {store:<7} {med:>10.2f} {p99:>8.1f}")


def startup(runs: int, python: str) -> None:
    config = str(ROOT / "examples" / "config.yaml")
    code = f"import resolver; resolver.load({config!r}).resolve()"
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "RESOLVER_HOME": tmp}
        subprocess.run([python, "-c", code], check=True, env=env)  # fill the plan cache

        def measure(args: list[str]) -> tuple[float, float]:
            times = []
            for _ in range(runs):
                t = time.perf_counter()
                subprocess.run(args, check=True, env=env)
                times.append(time.perf_counter() - t)
            return statistics.median(times) * 1000, 0.0

        bare_ms, _ = measure([python, "-c", "pass"])
        # peak RSS read in the child from /proc (VmHWM is reset at exec; ru_maxrss is not)
        hwm = "; print(next(l.split()[1] for l in open('/proc/self/status') if l.startswith('VmHWM')))"
        bare_rss = float(subprocess.run(
            [python, "-c", "pass" + hwm], capture_output=True, text=True, check=True, env=env,
        ).stdout) / 1024  # fmt: skip
        full_rss = float(subprocess.run(
            [python, "-c", code + hwm], capture_output=True, text=True, check=True, env=env,
        ).stdout) / 1024  # fmt: skip
        full_ms, _ = measure([python, "-c", code])
    print(f"bare python -c pass:          {bare_ms:6.1f} ms   peak RSS {bare_rss:6.1f} MiB")
    print(f"import + load + resolve:      {full_ms:6.1f} ms   peak RSS {full_rss:6.1f} MiB")
    print(
        f"difference:                   {full_ms - bare_ms:6.1f} ms (goal <= 30)   {full_rss - bare_rss:6.1f} MiB (goal <= 15)"
    )


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("what", choices=["inproc", "startup"])
    ap.add_argument("--n", type=int, default=20000)
    ap.add_argument("--runs", type=int, default=30)
    ap.add_argument("--python", default=sys.executable)
    ap.add_argument("--redis", metavar="URL", help="also measure a redis:// store (its database is flushed!)")
    ap.add_argument("--sizes", default="8,1000")
    args = ap.parse_args()
    if args.what == "inproc":
        inproc(args.n, args.redis, tuple(int(s) for s in args.sizes.split(",")))
    else:
        startup(args.runs, args.python)
    return 0


if __name__ == "__main__":
    sys.exit(main())
