"""The redis store against a real redis-server that the tests start on a free loopback port."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import sys

import pytest

import resolver
from resolver.errors import ConfigError, StateError
from resolver.pool.members import borrowed_id
from resolver.secrets import fingerprint
from tests.conftest import Clock

CONFIG = """
model: {provider: openrouter, default: a/b}
providers:
  openrouter:
    api_key_env: []
    keys:
      - {label: one, api_key: '${env:K1}'}
      - {label: two, api_key: '${env:K2}'}
credential_pool_strategies: {openrouter: round_robin}
"""
K1, K2 = "sk-redis-test-one-1111", "sk-redis-test-two-2222"


@pytest.fixture
def keys(monkeypatch) -> None:
    monkeypatch.setenv("K1", K1)
    monkeypatch.setenv("K2", K2)


def test_two_hosts_see_each_others_status_changes_at_the_next_call(write, keys, redis_url) -> None:
    config = str(write("c.yaml", CONFIG.replace("round_robin", "fill_first")))
    clock = Clock()
    a = resolver.load(config, state=redis_url, clock=clock)
    b = resolver.load(config, state=redis_url, clock=clock)  # another client: another host
    assert a.resolve().label == b.resolve().label == "one"
    a.report(a.resolve(), 402)
    assert b.resolve().label == "two"  # no reload, no wait
    rec = b.store.view("openrouter").credentials[borrowed_id(fingerprint(K1))]
    assert rec["last_error_reason"] == "billing" and rec["cooldown_until"] == clock.now + 86400
    assert "secret" not in rec and rec["fingerprint"] == fingerprint(K1)
    b.store.update(
        "openrouter", lambda pool: pool["credentials"][borrowed_id(fingerprint(K1))].update(cooldown_until=0.0)
    )
    assert a.resolve().label == "one"


def _claimer(config: str, url: str, n: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    os.environ["K1"], os.environ["K2"] = K1, K2
    r = resolver.load(config, state=url)
    out.put([r.resolve().label for _ in range(n)])
    r.close()


@pytest.mark.slow
def test_processes_on_one_server_lose_no_count(write, redis_url) -> None:
    config = str(write("c.yaml", CONFIG))
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_claimer, args=(config, redis_url, 100, out)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(len(r) for r in results) == 400
    os.environ["K1"], os.environ["K2"] = K1, K2
    dump = resolver.load(config, state=redis_url).store.dump()
    assert sum(c["request_count"] for c in dump["pools"]["openrouter"]["credentials"].values()) == 400


def _adder(config: str, url: str, worker: int, n: int) -> None:
    from resolver.cli import main

    os.environ["RESOLVER_CONFIG"], os.environ["RESOLVER_STATE_URL"] = config, url
    for i in range(n):
        assert (
            main(
                [
                    "auth",
                    "add",
                    "openrouter",
                    "--api-key",
                    f"sk-redis-add-{worker}-{i:03d}-0000",
                    "--label",
                    f"w{worker}-{i}",
                ]
            )
            == 0
        )


@pytest.mark.slow
def test_concurrent_adds_from_many_processes_all_land(write, redis_url) -> None:
    config = str(write("c.yaml", CONFIG))
    ctx = mp.get_context("spawn")
    procs = [ctx.Process(target=_adder, args=(config, redis_url, w, 10)) for w in range(6)]
    for p in procs:
        p.start()
    for p in procs:
        p.join(timeout=240)
        assert p.exitcode == 0
    dump = resolver.load(config, state=redis_url).store.dump()
    owned = [c for c in dump["pools"]["openrouter"]["credentials"].values() if c.get("secret")]
    assert len(owned) == 60 and len({c["label"] for c in owned}) == 60


def test_a_server_that_goes_away_is_a_state_error_and_comes_back(write, keys, redis_server, redis_url) -> None:
    config = str(write("c.yaml", CONFIG))
    r = resolver.load(config, state=redis_url)
    assert r.resolve().label == "one"
    redis_server.stop()
    try:
        with pytest.raises(StateError) as err:
            r.resolve()
        assert f"127.0.0.1:{redis_server.port}" in str(err.value)
    finally:
        redis_server.start()
    assert r.resolve().label in ("one", "two")  # the same client reconnects


def test_errors_never_show_the_password(write, keys) -> None:
    import socket

    with socket.socket() as s:  # a port where nothing listens
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"redis://:hunter2-secret@127.0.0.1:{port}/0"
    config = str(write("c.yaml", CONFIG))
    with pytest.raises(StateError) as err:
        resolver.load(config, state=url).resolve()
    assert "hunter2" not in str(err.value) and f"127.0.0.1:{port}" in str(err.value)


def test_corrupt_stored_state_is_reported_and_left_alone(write, keys, redis_url) -> None:
    import redis

    client = redis.Redis.from_url(redis_url)
    client.set("provider-resolver:openrouter:doc", b"{not json")
    client.set("provider-resolver:openrouter:ver", b"7")
    r = resolver.load(str(write("c.yaml", CONFIG)), state=redis_url)
    with pytest.raises(StateError, match="corrupt"):
        r.resolve()
    assert client.get("provider-resolver:openrouter:doc") == b"{not json"


def test_cli_against_redis(cli, write, keys, redis_url, monkeypatch) -> None:
    monkeypatch.setenv("RESOLVER_CONFIG", str(write("c.yaml", CONFIG)))
    assert cli("auth", "add", "openrouter", "--api-key", "sk-redis-cli-000000001", "--state", redis_url).code == 0
    out = cli("auth", "list", "openrouter", "--state", redis_url).out
    assert "…0001" in out and "sk-redis-cli-000000001" not in out and "manual" in out
    data = json.loads(cli("resolve", "--format", "json", "--state", redis_url).out)
    assert data["label"] == "one"


def test_missing_redis_client_says_how_to_install(monkeypatch) -> None:
    from resolver.state import state_from_url

    monkeypatch.setitem(sys.modules, "redis", None)
    with pytest.raises(ConfigError, match=r"pip install 'provider-resolver\[redis\]'"):
        state_from_url("redis://127.0.0.1:1/0")
