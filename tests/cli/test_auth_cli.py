"""`resolver auth ...` through the real entry point, every refusal included."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import stat

import pytest

from resolver.cli.auth_cmd import render_pools
from tests.conftest import CANARY, EXAMPLES

NOW = "1800000000"
CONFIG = """\
# my agent
model: {provider: openrouter, default: a/b}

providers:
  openrouter:
    keys:
      - {label: team, api_key: '${env:OR_TEAM}'}
      - {label: spare, api_key: '${env:OR_SPARE}'}
credential_pool_strategies:
  openrouter: round_robin   # rotate
"""
TEAM, SPARE = "sk-or-v1-team-key-00000000a1b2", "sk-or-v1-spare-key-0000000c3d4"


@pytest.fixture
def setup(write, monkeypatch, tmp_path):  # type: ignore[no-untyped-def]
    path = write("config.yaml", CONFIG)
    monkeypatch.setenv("RESOLVER_CONFIG", str(path))
    monkeypatch.setenv("RESOLVER_STATE_URL", f"file://{tmp_path}/state/auth.json")
    monkeypatch.setenv("RESOLVER_FAKE_TIME", NOW)
    monkeypatch.setenv("OR_TEAM", TEAM)
    monkeypatch.setenv("OR_SPARE", SPARE)
    return path


def test_list_marks_the_next_pick_and_masks_keys(cli, setup) -> None:
    r = cli("auth", "list", "openrouter")
    assert r.code == 0
    lines = r.out.splitlines()
    assert lines[0] == "openrouter  (OpenRouter; strategy round_robin)"
    assert lines[2].startswith("  > 1 team") and "sk-or-…a1b2" in lines[2] and lines[2].endswith(" ok")
    assert "2 spare" in lines[3] and "sk-or-…c3d4" in lines[3]
    assert "unavailable: OPENROUTER_API_KEY is not set" in lines[4]
    assert TEAM not in r.out and SPARE not in r.out
    assert "\033[" not in r.out  # not a terminal: no colour


def test_list_shows_cooldowns_and_dead_with_time_left(cli, setup) -> None:
    import resolver

    r = resolver.load(str(setup), clock=lambda: float(NOW))
    rt = r.resolve()
    r.report(r.report(rt, 429), 429)  # team: rate-limited for an hour
    with pytest.raises(resolver.NoCredentialAvailable):
        r.report(r.resolve(), 401, message="token_revoked")  # spare: dead, and nothing is left
    r.close()
    out = cli("auth", "list", "openrouter").out
    assert "rate-limited (429) 1h left" in out
    assert "dead: token_revoked — re-add or reset" in out
    data = json.loads(cli("auth", "list", "openrouter", "--format", "json").out)
    [pool] = data["pools"]
    team = pool["credentials"][0]
    assert (team["label"], team["available"], team["last_error_code"]) == ("team", False, 429)
    assert team["cooldown_until"] == float(NOW) + 3600
    assert set(team) == {"index", "label", "id", "auth_type", "source", "priority", "weight", "request_count",
                         "status", "available", "cooldown_until", "last_error_code", "key", "next"}  # fmt: skip


def test_list_all_and_default_selection(cli, setup) -> None:
    default = cli("auth", "list").out
    everything = cli("auth", "list", "--all").out
    assert "openrouter" in default and "groq" not in default
    assert "groq  (Groq; strategy fill_first)" in everything


def test_colour_only_for_terminals() -> None:
    pools = [{"pool_key": "p", "name": "P", "strategy": "fill_first", "key_required": True, "key_env": [], "removed": [],
              "credentials": [{"next": True, "index": 1, "label": "a", "id": "x", "auth_type": "api_key", "source": "manual",
                               "priority": None, "weight": 1.0, "request_count": 0, "key": "sk-…0000", "status": "ok"}]}]  # fmt: skip
    assert "\033[32m" in render_pools(pools, colour=True)
    assert "\033[" not in render_pools(pools, colour=False)


def test_add_with_stdin_and_flags_then_listed(cli, setup, monkeypatch) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(CANARY + "\n"))
    r = cli("auth", "add", "openrouter", "--api-key-stdin", "--label", "canary", "--priority", "0", "--weight", "3")
    assert r.code == 0 and r.out == 'Added openrouter credential #1 "canary"\n'
    listing = cli("auth", "list", "openrouter")
    assert "1 canary" in listing.out and "0/3" in listing.out and "manual" in listing.out
    assert CANARY not in listing.out + r.out + r.err
    r = cli("auth", "add", "openrouter", "--api-key", "sk-or-v1-another-0000000000ffff")
    assert r.out == 'Added openrouter credential #5 "key-5"\n'


@pytest.mark.parametrize(
    ("args", "stdin", "code", "message"),
    [
        (["openruter", "--api-key", "sk-x-000000000000"], None, 1, "did you mean 'openrouter'"),
        (["openrouter", "--api-key", "   "], None, 1, "the key is empty"),
        (["openrouter", "--api-key-stdin"], "\n", 1, "the key is empty"),
        (["openrouter", "--api-key", TEAM], None, 1, "already in openrouter: credential #1 'team' (env:OR_TEAM)"),
        (["openrouter", "--api-key", "sk-new-0000000000", "--label", "TEAM"], None, 1, "label 'TEAM' is already used"),
        (["openrouter"], "", 2, "no key given and no terminal"),
        (["openrouter", "--api-key", "a", "--api-key-stdin"], None, 2, "not allowed with"),
        (["openrouter", "--api-key", "sk-new-0000000000", "--weight", "0"], None, 2, "--weight must be > 0"),
    ],
)
def test_add_refusals(cli, setup, monkeypatch, args, stdin, code, message) -> None:
    import io

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin or ""))
    r = cli("auth", "add", *args)
    assert r.code == code, r.err
    assert message in r.err and r.out == ""


def test_remove_by_id_label_and_index_and_refusals(cli, setup) -> None:
    cli("auth", "add", "openrouter", "--api-key", "sk-or-v1-owned-000000000001", "--label", "own")
    ids = {
        c["label"]: c["id"]
        for c in json.loads(cli("auth", "list", "openrouter", "-f", "json").out)["pools"][0]["credentials"]
    }
    assert cli("auth", "remove", "openrouter", ids["own"]).out == 'Removed openrouter credential #4 "own" (manual)\n'
    r = cli("auth", "remove", "openrouter", "SPARE")
    assert r.code == 0 and "borrowed from env:OR_SPARE" in r.err and "--unsuppress" in r.err
    assert "spare" not in cli("auth", "list", "openrouter").out.split("removed:")[0]
    assert "removed: spare [env:OR_SPARE]" in cli("auth", "list", "openrouter").out
    assert cli("resolve", "--format", "json", "--peek").out.count('"spare"') == 0
    r = cli("auth", "remove", "openrouter", "1")
    assert r.code == 0 and '"team"' in r.out
    r = cli("auth", "remove", "openrouter", "nope")
    assert r.code == 1 and "no credential 'nope' in openrouter" in r.err
    r = cli("auth", "remove", "openrouter", "1")  # OPENROUTER_API_KEY is not set here
    assert r.code == 1 and "nothing to remove" in r.err


def test_ambiguous_label(cli, setup, monkeypatch, write) -> None:
    import resolver

    r = resolver.load(str(setup))
    r.store.add("openrouter", "aaaaaaaaaaaa", {"label": "dup", "secret": "sk-dup-one-00000000", "added_at": 1.0})
    r.store.add("openrouter", "bbbbbbbbbbbb", {"label": "Dup", "secret": "sk-dup-two-00000000", "added_at": 2.0})
    r.close()
    res = cli("auth", "remove", "openrouter", "dup")
    assert res.code == 1 and "ambiguous" in res.err and "aaaaaaaaaaaa" in res.err


def test_reset_clears_cooldowns_and_unsuppresses(cli, setup) -> None:
    import resolver

    r = resolver.load(str(setup), clock=lambda: float(NOW))
    r.report(r.resolve(), 402)
    with pytest.raises(resolver.NoCredentialAvailable):
        r.report(r.resolve(), 401, message="invalid_grant")
    r.close()
    cli("auth", "remove", "openrouter", "team")
    assert cli("auth", "reset", "openrouter", "spare").out == "Reset 1 credential in openrouter\n"
    r = cli("auth", "reset", "openrouter", "--unsuppress")
    assert r.out == "Reset 1 credential in openrouter\nBrought back 1 removed credential\n"
    listing = cli("auth", "list", "openrouter").out
    assert "1 team" in listing and "rate-limited" not in listing and "billing" not in listing and "dead" not in listing


def test_adding_a_removed_borrowed_key_brings_it_back(cli, setup) -> None:
    cli("auth", "remove", "openrouter", "team")
    r = cli("auth", "add", "openrouter", "--api-key", TEAM)
    assert r.code == 0 and '"team"' in r.out
    assert "removed:" not in cli("auth", "list", "openrouter").out


def test_strategy_edits_in_place_keeping_everything_else(cli, setup) -> None:
    odd = (
        "# agent config  \n\nmodel:   {provider: openrouter, default: 'a/b'}   # primary\n"
        'providers:\n    openrouter:\n        keys: [ {label: team, api_key: "${env:OR_TEAM}"} ]\n\n'
        "credential_pool_strategies:\n    anthropic:   'least_used'   # quoted\n    openrouter: \"round_robin\"\n\n\n# tail comment\n"
    )
    setup.write_text(odd)
    setup.chmod(0o640)
    r = cli("auth", "strategy", "openrouter", "weighted")
    assert r.code == 0 and "Set the strategy of openrouter to weighted" in r.out
    new = setup.read_text()
    changed = [(a, b) for a, b in zip(odd.splitlines(), new.splitlines(), strict=True) if a != b]
    assert changed == [('    openrouter: "round_robin"', '    openrouter: "weighted"')]
    assert stat.S_IMODE(setup.stat().st_mode) == 0o640
    r = cli("auth", "strategy", "custom:nope", "random")
    assert r.code == 1 and "unknown provider or pool key" in r.err
    assert cli("auth", "strategy", "openrouter", "fastest").code == 2


def test_strategy_adds_the_section_or_the_file(cli, setup, tmp_path, monkeypatch) -> None:
    setup.write_text("model: {provider: openrouter}\n")
    assert cli("auth", "strategy", "openrouter", "least_used").code == 0
    assert setup.read_text() == "model: {provider: openrouter}\ncredential_pool_strategies:\n  openrouter: least_used\n"
    fresh = tmp_path / "new" / "dir" / "config.yaml"
    monkeypatch.setenv("RESOLVER_CONFIG", str(fresh))
    r = cli("auth", "strategy", "anthropic", "random")
    assert r.code == 0, r.err
    assert fresh.read_text() == "credential_pool_strategies:\n  anthropic: random\n"
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o600
    assert stat.S_IMODE(fresh.parent.stat().st_mode) == 0o700
    assert cli("auth", "strategy", "custom:nope", "random").code == 1  # no config: registry pools only
    fresh.write_text("")  # an empty file is not a config: refused, untouched
    assert cli("auth", "strategy", "anthropic", "random").code == 1
    assert fresh.read_text() == ""


def test_an_edit_that_would_leave_the_file_invalid_is_refused(cli, setup) -> None:
    text = CONFIG + "cooldowns:\n  rate_limit: 60\n"
    setup.write_text(text)
    import resolver

    resolver.load(str(setup)).close()  # the plan is cached now
    from resolver.config.edit import set_strategy
    from resolver.errors import ConfigError

    broken = text.replace("rate_limit: 60", "rate_limit: -60")
    setup.write_text(broken)
    with pytest.raises(ConfigError, match="would make the config invalid"):
        set_strategy(str(setup), "openrouter", "random")
    assert setup.read_text() == broken


def test_no_command_prints_the_list_and_a_hint_without_a_terminal(cli, setup) -> None:
    r = cli("auth")
    assert r.code == 0 and "openrouter  (OpenRouter" in r.out and "not a terminal" in r.err


def test_every_auth_subcommand_has_help(cli) -> None:
    for sub in ("list", "add", "remove", "reset", "strategy"):
        r = cli("auth", sub, "--help")
        assert r.code == 0 and "examples:" in r.out
    assert "visible in 'ps'" in cli("auth", "add", "--help").out


def _adder(config: str, state: str, worker: int, n: int) -> None:
    from resolver.cli import main

    os.environ["RESOLVER_CONFIG"] = config
    os.environ["RESOLVER_STATE_URL"] = state
    for i in range(n):
        code = main(
            [
                "auth",
                "add",
                "openrouter",
                "--api-key",
                f"sk-conc-{worker:02d}-{i:03d}-00000000",
                "--label",
                f"w{worker}-{i}",
            ]
        )
        assert code == 0


@pytest.mark.slow
def test_eight_processes_adding_at_once_lose_nothing(setup, tmp_path) -> None:
    state = f"file://{tmp_path}/state/auth.json"
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_adder, args=(str(setup), state, w, 25)) for w in range(8)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    path = tmp_path / "state" / "auth.json"
    doc = json.loads(path.read_text())
    owned = [c for c in doc["pools"]["openrouter"]["credentials"].values() if c.get("secret")]
    assert len(owned) == 200 and len({c["label"] for c in owned}) == 200
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_readme_walkthrough_add_two_keys_cool_one_reset(cli, write, monkeypatch, tmp_path) -> None:
    monkeypatch.setenv("RESOLVER_STATE_URL", f"file://{tmp_path}/s.json")
    monkeypatch.setenv("RESOLVER_FAKE_TIME", NOW)
    path = str(EXAMPLES / "openrouter-minimal.yaml")
    assert cli("auth", "add", "openrouter", "--api-key", "sk-or-v1-first-000000000001", "--config", path).code == 0
    assert cli("auth", "add", "openrouter", "--api-key", "sk-or-v1-second-00000000002", "--config", path).code == 0
    import resolver

    r = resolver.load(path, clock=lambda: float(NOW))
    r.report(r.report(r.resolve(), 429), 429)
    r.close()
    assert "rate-limited (429) 1h left" in cli("auth", "list", "openrouter", "--config", path).out
    assert cli("auth", "reset", "openrouter", "--config", path).out == "Reset 1 credential in openrouter\n"
