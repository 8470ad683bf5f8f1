"""The interactive `resolver auth`, driven through a real pseudo-terminal (pexpect)."""

from __future__ import annotations

import json
import os
import sys

import pexpect
import pytest

from tests.cli.test_auth_cli import CONFIG, NOW, SPARE, TEAM

SECRET = "sk-or-v1-typed-at-the-prompt-7777"


@pytest.fixture
def session_env(write, tmp_path):  # type: ignore[no-untyped-def]
    path = write("config.yaml", CONFIG)
    env = {k: v for k, v in os.environ.items() if not k.startswith("RESOLVER_")}
    env.update(
        RESOLVER_CONFIG=str(path),
        RESOLVER_STATE_URL=f"file://{tmp_path}/state/auth.json",
        RESOLVER_HOME=str(tmp_path / "home"),
        RESOLVER_FAKE_TIME=NOW,
        OR_TEAM=TEAM,
        OR_SPARE=SPARE,
        TERM="xterm",
    )
    return path, env, tmp_path / "state" / "auth.json"


def spawn(env: dict[str, str]) -> pexpect.spawn:
    return pexpect.spawn(sys.executable, ["-m", "resolver", "auth"], env=env, encoding="utf-8", timeout=30)


def test_add_with_hidden_input_set_a_strategy_then_ctrl_c(session_env) -> None:
    path, env, state = session_env
    child = spawn(env)
    child.expect("What next\\?")
    child.expect(">: ")
    child.sendline("1")
    child.expect(r"Pool \[openrouter\]: ")
    child.sendline("")
    child.expect(r"API key for openrouter \(input hidden\): ")
    child.sendline(SECRET)
    child.expect(r"Label \(optional\): ")
    typed = child.before
    child.sendline("mine")
    child.expect('Added openrouter credential #4 "mine"')
    assert SECRET not in typed + child.before  # never echoed
    child.expect(">: ")
    child.sendline("4")
    child.expect(r"Pool \[openrouter\]: ")
    child.sendline("")
    child.expect(r"2\) round_robin  \(current\)")
    child.expect("Strategy: ")
    child.sendline("3")
    child.expect("Set the strategy of openrouter to least_used")
    child.expect(">: ")
    child.sendline("1")
    child.expect(r"Pool \[openrouter\]: ")
    child.sendintr()  # Ctrl-C in the middle of an add
    child.expect("nothing was left half-done")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 130
    assert "openrouter: least_used" in path.read_text()
    doc = json.loads(state.read_text())
    owned = [c for c in doc["pools"]["openrouter"]["credentials"].values() if c.get("secret")]
    assert [c["label"] for c in owned] == ["mine"]


def test_oauth_or_api_key_is_asked_where_the_provider_supports_both(session_env) -> None:
    _, env, state = session_env
    child = spawn(env)
    child.expect(">: ")
    child.sendline("1")
    child.expect(r"Pool \[openrouter\]: ")
    child.sendline("anthropic")
    child.expect("2\\) OAuth access token")
    child.expect("Type: ")
    child.sendline("2")
    child.expect(r"Access token for anthropic \(input hidden\): ")
    child.sendline("sk-ant-oat01-typed-token-0000")
    child.expect(r"Label \(optional\): ")
    child.sendline("")
    child.expect('Added anthropic credential #4 "key-4"')
    child.expect(">: ")
    child.sendeof()
    child.expect(pexpect.EOF)
    child.close()
    doc = json.loads(state.read_text())
    [cred] = doc["pools"]["anthropic"]["credentials"].values()
    assert cred["auth_type"] == "oauth"


def test_refusals_keep_the_menu_and_colour_follows_no_color(session_env) -> None:
    _, env, _ = session_env
    child = spawn(env)
    child.expect("\033\\[32m")  # a terminal: ok in green
    child.expect(">: ")
    child.sendline("2")
    child.expect(r"Pool \[openrouter\]: ")
    child.sendline("")
    child.expect(r"Credential \(id, label or #\): ")
    child.sendline("nobody")
    child.expect("no credential 'nobody' in openrouter")
    child.expect(">: ")
    child.sendline("5")
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    child = spawn({**env, "NO_COLOR": "1"})
    child.expect(">: ")
    assert "\033[" not in child.before
    child.sendline("5")
    child.expect(pexpect.EOF)


def test_auth_add_prompts_with_hidden_input_on_a_terminal(session_env) -> None:
    _, env, state = session_env
    child = pexpect.spawn(
        sys.executable,
        ["-m", "resolver", "auth", "add", "openrouter", "--label", "typed"],
        env=env,
        encoding="utf-8",
        timeout=30,
    )
    child.expect(r"API key for openrouter \(input hidden\): ")
    child.sendline(SECRET)
    child.expect('Added openrouter credential #4 "typed"')
    assert SECRET not in child.before
    child.expect(pexpect.EOF)
    child.close()
    assert child.exitstatus == 0
    assert any(
        c.get("label") == "typed" for c in json.loads(state.read_text())["pools"]["openrouter"]["credentials"].values()
    )
