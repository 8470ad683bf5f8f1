"""The on-disk plan cache: fast path without heavy imports, never a secret, never trusted blindly."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from resolver.api import compile_files
from tests.conftest import CANARY, EXAMPLES

HEAVY = ("ruamel", "omegaconf", "jsonschema")


def _entries(home: Path) -> list[Path]:
    return sorted((home / "cache" / "plans").glob("*.json"))


def _fresh_process(code: str, env: dict[str, str]) -> str:
    proc = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env={**os.environ, **env}, check=True
    )
    return proc.stdout.strip()


PROBE = (
    "import sys, resolver\n"
    "r = resolver.load({config!r})\n"
    "print(r.peek().pool_key)\n"
    "print('heavy=' + ','.join(m for m in {heavy!r} if any(k == m or k.startswith(m + '.') for k in sys.modules)))\n"
)


def test_a_cache_hit_imports_no_heavy_module(tmp_path) -> None:
    config = str(EXAMPLES / "config.yaml")
    env = {"RESOLVER_HOME": str(tmp_path / "home")}
    first = _fresh_process(PROBE.format(config=config, heavy=HEAVY), env).splitlines()
    assert first[0] == "custom:local-(localhost:8080)"
    assert {"ruamel", "jsonschema"} <= set(first[1][len("heavy=") :].split(","))  # a miss loads and validates
    second = _fresh_process(PROBE.format(config=config, heavy=HEAVY), env).splitlines()
    assert second == ["custom:local-(localhost:8080)", "heavy="]  # a hit: none of them
    [entry] = _entries(tmp_path / "home")
    assert stat.S_IMODE(entry.stat().st_mode) == 0o600
    assert stat.S_IMODE(entry.parent.stat().st_mode) == 0o700


def test_the_cache_never_holds_a_secret(write, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("CANARY_ENV", CANARY)
    path = write(
        "c.yaml",
        f"model: {{provider: openrouter, api_key: '${{env:CANARY_ENV}}'}}\nproviders:\n  anthropic:\n    api_key: {CANARY}\n",
    )
    compile_files((str(path),), (f"providers.openai.api_key={CANARY}",))
    [entry] = _entries(tmp_path / "home")
    assert CANARY not in entry.read_text()
    assert "CANARY_ENV" in entry.read_text()  # referred to by name only


def test_any_input_change_recompiles(write, tmp_path, monkeypatch) -> None:
    path = write("c.yaml", "model:\n  provider: openrouter\n  default: ${env:MODEL_NAME,x/one}\n")
    over = write("o.yaml", "cooldowns: {rate_limit: 5}\n")
    assert compile_files((str(path),), ()).pools["openrouter"].model == "x/one"
    monkeypatch.setenv("MODEL_NAME", "x/two")  # a value that ends up in the plan
    assert compile_files((str(path),), ()).pools["openrouter"].model == "x/two"
    assert compile_files((str(path), str(over)), ()).pools["openrouter"].cooldowns.rate_limit == 5
    over.write_text("cooldowns: {rate_limit: 6}\n")
    assert compile_files((str(path), str(over)), ()).pools["openrouter"].cooldowns.rate_limit == 6
    assert compile_files((str(path),), ("cooldowns.rate_limit=7",)).pools["openrouter"].cooldowns.rate_limit == 7
    monkeypatch.setenv("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v9")
    assert compile_files((str(path),), ()).pools["openrouter"].base_url.endswith("/v9")
    path.write_text("model: {provider: anthropic}\n")
    assert compile_files((str(path),), ()).primary == "anthropic"


def test_a_damaged_entry_is_ignored_and_rewritten(write, tmp_path) -> None:
    path = write("c.yaml", "model: {provider: anthropic}\n")
    good = compile_files((str(path),), ())
    [entry] = _entries(tmp_path / "home")
    data = json.loads(entry.read_text())
    data["plan"]["primary"] = "openai"  # tampered: the checksum no longer matches
    entry.write_text(json.dumps(data))
    assert compile_files((str(path),), ()) == good
    entry.write_bytes(b"\x00garbage")
    assert compile_files((str(path),), ()) == good
    assert json.loads(entry.read_text())["plan"]["primary"] == "anthropic"  # rewritten


def test_old_entries_are_pruned(write, tmp_path, monkeypatch) -> None:
    from resolver.plan import cache

    monkeypatch.setattr(cache, "KEEP", 3)
    path = write("c.yaml", "model: {provider: anthropic}\n")
    for i in range(6):
        path.write_text(f"model: {{provider: anthropic, default: m{i}}}\n")
        compile_files((str(path),), ())
    assert len(_entries(tmp_path / "home")) == 3
    assert compile_files((str(path),), ()).pools["anthropic"].model == "m5"
