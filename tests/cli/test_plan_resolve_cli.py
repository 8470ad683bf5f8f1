"""`resolver plan` and `resolver resolve` through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import CANARY, EXAMPLES, run_process

CONFIG = str(EXAMPLES / "config.yaml")


@pytest.fixture
def team_key(monkeypatch) -> str:
    monkeypatch.setenv("OR_TEAM_KEY", CANARY)
    return CANARY


def test_resolve_text_masks_the_key(cli, team_key) -> None:
    r = cli("resolve", "--config", CONFIG)
    assert r.code == 0, r.err
    assert "pool:      openrouter" in r.out
    assert "source:    env:OR_TEAM_KEY (team, id " in r.out
    assert "api_key:   sk-or-…a8e2" in r.out
    assert "position:  primary" in r.out
    assert CANARY not in r.out + r.err


def test_resolve_json_is_one_object_with_runtime_fields(cli, team_key) -> None:
    r = cli("--config", CONFIG, "resolve", "--format", "json")
    data = json.loads(r.out)
    assert {"provider", "pool_key", "base_url", "api_key", "api_mode", "model", "source", "credential_id",
            "fallback_index", "extra_body", "retry_after"} <= set(data)  # fmt: skip
    assert data["api_key"] == "sk-or-…a8e2" and data["extra_body"]["provider"]["sort"] == "throughput"
    assert CANARY not in r.out


def test_resolve_env_exports_the_secret_for_other_programs(team_key) -> None:
    r = run_process("resolve", "--config", CONFIG, "--format", "env")
    assert r.code == 0, r.err
    out = subprocess.run(
        ["bash", "-c", r.out + 'printf "%s|%s|%s" "$RESOLVER_API_KEY" "$OPENAI_API_KEY" "$RESOLVER_POOL_KEY"'],
        capture_output=True, text=True, check=True,
    ).stdout  # fmt: skip
    assert out == f"{CANARY}|{CANARY}|openrouter"


def test_resolve_env_uses_anthropic_variables_for_anthropic_mode(cli, monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_KEY_MAIN", "sk-ant-test-main-0001")
    r = cli("resolve", "--config", EXAMPLES / "multi-key-pool.yaml", "--format", "env")
    assert "export ANTHROPIC_API_KEY=sk-ant-test-main-0001" in r.out
    assert "OPENAI_API_KEY" not in r.out


def test_resolve_claims_and_peek_does_not(cli, team_key, monkeypatch) -> None:
    monkeypatch.setenv("OR_PERSONAL_KEY", "sk-or-personal-test-0002")
    labels = []
    for args in (["--peek"], ["--peek"], [], [], ["--peek"]):
        r = cli("resolve", "--config", CONFIG, "--format", "json", *args)
        labels.append(json.loads(r.out)["label"])
    assert labels == ["team", "team", "team", "personal", "team"]  # round_robin moves only on claims


def test_resolve_falls_back_and_says_where(cli) -> None:
    r = cli("resolve", "--config", CONFIG)
    assert r.code == 0
    assert "custom:local-(localhost:8080)" in r.out and "fallback 2 of 2" in r.out
    assert "none (keyless endpoint)" in r.out


def test_no_credential_exits_1_with_reasons_on_stderr(cli, write) -> None:
    path = write("c.yaml", "model: {provider: anthropic}\n")
    r = cli("resolve", "--config", path)
    assert r.code == 1 and r.out == ""
    assert "no credential available for 'anthropic'" in r.err and "ANTHROPIC_API_KEY is not set" in r.err


def test_unknown_pool_key_exits_1_with_suggestion(cli) -> None:
    r = cli("resolve", "custom:togther.ai", "--config", CONFIG)
    assert r.code == 1 and "did you mean 'custom:together.ai'" in r.err


def test_invalid_config_exits_1_with_positions(cli, write) -> None:
    path = write("c.yaml", "model: {provider: openruter}\n")
    r = cli("resolve", "--config", path)
    assert r.code == 1 and f"{path}:1:19: error: unknown provider 'openruter'" in r.err


def test_plan_text_json_and_mermaid(cli, monkeypatch) -> None:
    monkeypatch.setenv("OR_TEAM_KEY", CANARY)
    text = cli("plan", "--config", CONFIG)
    assert text.code == 0
    assert "primary: openrouter" in text.out and "precedence:" in text.out
    assert "1. team                 env:OR_TEAM_KEY" in text.out
    assert "fallbacks:\n  1. custom:together.ai" in text.out
    data = json.loads(cli("plan", "--config", CONFIG, "--format", "json").out)
    assert data["primary"] == "openrouter" and data["pools"]["openrouter"]["strategy"] == "round_robin"
    mermaid = cli("plan", "--config", CONFIG, "--format", "mermaid").out
    assert mermaid.startswith("flowchart LR") and "NoCredentialAvailable" in mermaid
    everything = cli("plan", "--config", CONFIG, "--all").out
    assert "groq" in everything and "groq" not in text.out
    for out in (text.out, json.dumps(data), mermaid, everything):
        assert CANARY not in out


@pytest.mark.parametrize("command", ["plan", "resolve"])
def test_help_has_examples(cli, command) -> None:
    r = cli(command, "--help")
    assert r.code == 0 and "examples:" in r.out


def test_state_option_and_env_select_the_store(cli, team_key, tmp_path, monkeypatch) -> None:
    path = tmp_path / "s" / "auth.json"
    assert cli("resolve", "--config", CONFIG, "--state", f"file://{path}").code == 0
    assert path.exists() and oct(path.stat().st_mode & 0o777) == "0o600"
    other = tmp_path / "t" / "auth.json"
    monkeypatch.setenv("RESOLVER_STATE_URL", f"file://{other}")
    assert cli("resolve", "--config", CONFIG).code == 0
    assert other.exists()
    assert cli("resolve", "--config", CONFIG, "--state", "ftp://x").code == 1


def test_readme_first_command_works_on_a_fresh_home(tmp_path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.endswith("_KEY")}
    env["RESOLVER_HOME"] = str(tmp_path / "fresh")
    proc = subprocess.run(
        [os.path.join(os.path.dirname(sys.executable), "resolver"), "resolve", "--config", CONFIG],
        capture_output=True, text=True, env=env, check=False,
        cwd=EXAMPLES.parent,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr


def test_the_fleet_example_resolves_through_redis(cli, redis_url, monkeypatch) -> None:
    monkeypatch.setenv("OR_KEY_2", "sk-or-v1-fleet-two-000000000002")
    r = cli("resolve", "--config", EXAMPLES / "fleet.yaml", "--state", redis_url, "--format", "json")
    assert r.code == 0, r.err
    assert json.loads(r.out)["label"] == "gw-2"


def test_an_unreachable_store_is_a_clear_error(cli) -> None:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    r = cli("resolve", "--config", EXAMPLES / "fleet.yaml", "--state", f"redis://127.0.0.1:{port}/0")
    assert r.code == 1 and f"redis://127.0.0.1:{port}/0" in r.err and "Traceback" not in r.err
