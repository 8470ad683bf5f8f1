"""Time `resolver validate` on generated configs with 10, 1,000 and 10,000 custom providers.

Usage: python benchmarks/bench_validate.py [--runs N] [--sizes 10,1000,10000]

Each run is a fresh process (`python -m resolver validate FILE`), as a user or
a pre-commit hook runs it; the median wall time is reported. Goal: 10,000
providers under 2 s, and 10,000 within 12x of 1,000 (linear cost).
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def generate(n: int) -> str:
    lines = ["version: 1", "model:", "  provider: Provider 0", "  default: model-0", "custom_providers:"]
    for i in range(n):
        lines += [
            f"  - name: Provider {i}",
            f"    base_url: https://p{i}.example.com/v1",
            f"    api_key: ${{env:P{i}_KEY}}",
            f"    model: model-{i}",
            "    models: [a, b]",
        ]
    lines += ["credential_pool_strategies:", "  custom:provider-0: round_robin", "fallback_providers:"]
    lines += [f"  - {{provider: Provider {i}}}" for i in range(1, min(n, 4))]
    return "\n".join(lines) + "\n"


def time_validate(path: Path, runs: int) -> float:
    samples = []
    for _ in range(runs):
        t = time.perf_counter()
        proc = subprocess.run(
            [sys.executable, "-m", "resolver", "validate", str(path)], capture_output=True, check=False
        )
        samples.append(time.perf_counter() - t)
        if proc.returncode != 0:
            raise SystemExit(f"validate failed on {path}:\n{proc.stdout.decode()[-2000:]}")
    return statistics.median(samples)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--sizes", default="10,1000,10000")
    args = ap.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    results: dict[int, float] = {}
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            path = Path(tmp) / f"config-{n}.yaml"
            path.write_text(generate(n))
            results[n] = time_validate(path, args.runs)
            print(f"{n:>6} providers: median {results[n] * 1000:8.1f} ms over {args.runs} runs")
    if 1000 in results and 10000 in results:
        ratio = results[10000] / results[1000]
        print(f"10,000 / 1,000 ratio: {ratio:.1f}x (goal <= 12x); 10,000 goal < 2000 ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
