"""Resolution: precedence, strategies over real stores, availability, leases, threads."""

from __future__ import annotations

import threading
from collections import Counter
from random import Random

import pytest

import resolver
from resolver.errors import NoCredentialAvailable, UnknownProviderError
from resolver.pool.members import borrowed_id
from resolver.runtime import Runtime
from resolver.secrets import fingerprint
from tests.conftest import CANARY, Clock

K1, K2, K3 = "sk-test-key-one-1111", "sk-test-key-two-2222", "sk-test-key-three-3333"

POOL = """
model: {{provider: openrouter, default: a/b}}
providers:
  openrouter:
    api_key_env: []
    keys:
      - {{label: one, api_key: '${{env:K1}}'}}
      - {{label: two, api_key: '${{env:K2}}', weight: 3}}
      - {{label: three, api_key: '${{env:K3}}'}}
credential_pool_strategies: {{openrouter: {strategy}}}
"""


@pytest.fixture
def keys(monkeypatch) -> None:
    monkeypatch.setenv("K1", K1)
    monkeypatch.setenv("K2", K2)
    monkeypatch.setenv("K3", K3)


@pytest.fixture(params=["memory", "file", "redis"])
def store_url(request, tmp_path) -> str:
    """Every strategy test runs against each store (STYLE: one test table of all stores)."""
    if request.param == "redis":
        return request.getfixturevalue("redis_url")
    return "memory://" if request.param == "memory" else f"file://{tmp_path}/state/auth.json"


def make(write, text: str, state: str = "memory://", **kw):  # type: ignore[no-untyped-def]
    return resolver.load(write("config.yaml", text), state=state, **kw)


def cool(r: resolver.Resolver, pool: str, key: str, until: float, status: str = "exhausted") -> None:
    def mutate(rec: dict) -> None:
        rec.update(status=status, cooldown_until=until, last_error_code=429, last_error_reason="rate-limited")

    cid = borrowed_id(fingerprint(key))
    r.store.transition(pool, cid, mutate, {"fingerprint": fingerprint(key), "label": "x", "source": "env"})


def test_fill_first_uses_the_first_until_it_is_out(write, keys, store_url) -> None:
    clock = Clock()
    r = make(write, POOL.format(strategy="fill_first"), store_url, clock=clock)
    assert [r.resolve().api_key for _ in range(3)] == [K1, K1, K1]
    cool(r, "openrouter", K1, clock.now + 60)
    assert r.resolve().api_key == K2
    clock.now += 61
    assert r.resolve().api_key == K1  # came back after its cooldown


def test_round_robin_cycles_and_skips_unavailable(write, keys, store_url) -> None:
    clock = Clock()
    r = make(write, POOL.format(strategy="round_robin"), store_url, clock=clock)
    assert [r.resolve().label for _ in range(4)] == ["one", "two", "three", "one"]
    cool(r, "openrouter", K2, clock.now + 60)
    assert [r.resolve().label for _ in range(3)] == ["three", "one", "three"]


def test_least_used_balances_counts(write, keys, store_url) -> None:
    r = make(write, POOL.format(strategy="least_used"), store_url)
    got = Counter(r.resolve().label for _ in range(30))
    assert got == {"one": 10, "two": 10, "three": 10}


def test_random_and_weighted_only_pick_available(write, keys) -> None:
    clock = Clock()
    r = make(write, POOL.format(strategy="random"), clock=clock)
    r._rng_given = Random(7)
    cool(r, "openrouter", K3, clock.now + 60)
    got = Counter(r.resolve().label for _ in range(200))
    assert set(got) == {"one", "two"} and min(got.values()) > 60
    w = make(write, POOL.format(strategy="weighted"), clock=clock)
    w._rng_given = Random(11)
    got = Counter(w.resolve().label for _ in range(2000))
    assert 0.5 < got["two"] / 2000 < 0.7  # weight 3 of 5


def test_peek_claims_nothing(write, keys) -> None:
    r = make(write, POOL.format(strategy="round_robin"))
    assert {r.peek().label for _ in range(5)} == {"one"}
    assert r.resolve().label == "one"
    assert r.peek().label == "two"
    counts = {c["label"]: c["request_count"] for c in r.store.dump()["pools"]["openrouter"]["credentials"].values()}
    assert counts == {"one": 1}


def test_dead_and_exhausted_keys_are_never_handed_out(write, keys) -> None:
    clock = Clock()
    r = make(write, POOL.format(strategy="round_robin"), clock=clock)
    cool(r, "openrouter", K1, clock.now + 10**9, status="dead")
    cool(r, "openrouter", K2, clock.now + 30)
    assert {r.resolve().api_key for _ in range(20)} == {K3}


def test_no_credential_lists_every_reason_and_next_time(write, keys, monkeypatch) -> None:
    monkeypatch.delenv("K3")
    clock = Clock()
    r = make(write, POOL.format(strategy="fill_first"), clock=clock)
    cool(r, "openrouter", K1, clock.now + 120)
    cool(r, "openrouter", K2, clock.now + 60)
    with pytest.raises(NoCredentialAvailable) as err:
        r.resolve()
    e = err.value
    assert e.next_available_at == clock.now + 60
    text = str(e)
    assert "K3 is not set" in text and "back in 1m" in text and "back in 2m" in text
    assert K1 not in text and K2 not in text


def test_registry_provider_without_key_names_the_variable(write) -> None:
    r = make(write, "model: {provider: anthropic}\n")
    with pytest.raises(NoCredentialAvailable) as err:
        r.resolve()
    assert "ANTHROPIC_API_KEY is not set" in str(err.value)
    assert err.value.next_available_at is None


def test_keyless_endpoints(write) -> None:
    r = make(write, "model: {provider: ollama, default: llama3.3}\n")
    rt = r.resolve()
    assert (rt.api_key, rt.source, rt.base_url, rt.model) == (None, "none", "http://localhost:11434/v1", "llama3.3")
    r = make(write, "model: {provider: custom, base_url: 'http://localhost:8080/v1', default: m}\n")
    rt = r.resolve()
    assert rt.pool_key == "custom:local-(localhost:8080)" and rt.api_key is None


def test_fallback_chain_in_order_with_index(write, monkeypatch) -> None:
    text = (
        "model: {provider: anthropic, default: claude}\n"
        "fallback_providers:\n  - {provider: openai, model: gpt-5}\n  - {provider: ollama, model: llama}\n"
    )
    r = make(write, text)
    rt = r.resolve()
    assert (rt.pool_key, rt.fallback_index, rt.model, rt.api_key) == ("ollama", 2, "llama", None)
    monkeypatch.setenv("OPENAI_API_KEY", "sk-openai-test-0000")
    r.reload()
    rt = r.resolve()
    assert (rt.pool_key, rt.fallback_index, rt.model) == ("openai", 1, "gpt-5")
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-test-0000")
    r.reload()
    rt = r.resolve()
    assert (rt.pool_key, rt.fallback_index, rt.model) == ("anthropic", 0, "claude")


def test_same_secret_through_two_references_is_one_credential(write, monkeypatch) -> None:
    monkeypatch.setenv("A_KEY", K1)
    monkeypatch.setenv("OPENROUTER_API_KEY", K1)
    r = make(write, "providers:\n  openrouter:\n    keys: [{label: a, api_key: '${env:A_KEY}'}]\n")
    members = r.members("openrouter")
    assert [m.label for m in members] == ["a"]


def test_owned_credentials_come_after_declared_and_suppression_hides(write, keys) -> None:
    r = make(write, POOL.format(strategy="round_robin"))
    owned = "sk-owned-key-9999"
    r.store.add(
        "openrouter",
        "own1",
        {"fingerprint": fingerprint(owned), "label": "added", "source": "manual", "secret": owned, "added_at": 1.0},
    )
    assert [m.label for m in r.members("openrouter")] == ["one", "two", "three", "added"]
    assert [r.resolve().api_key for _ in range(4)][-1] == owned
    r.store.remove("openrouter", borrowed_id(fingerprint(K2)), suppress=fingerprint(K2), source="env:K2")
    assert [m.label for m in r.members("openrouter")] == ["one", "three", "added"]
    r.store.unsuppress("openrouter")
    assert [m.label for m in r.members("openrouter")] == ["one", "two", "three", "added"]


def test_missing_env_is_unavailable_and_a_changed_value_is_noticed(write, keys, monkeypatch) -> None:
    r = make(write, POOL.format(strategy="fill_first"))
    assert r.resolve().api_key == K1
    monkeypatch.setenv("K1", "sk-rotated-key-5555")
    rt = r.resolve()
    assert rt.api_key == "sk-rotated-key-5555" and rt.credential_id == borrowed_id(fingerprint("sk-rotated-key-5555"))
    monkeypatch.delenv("K1")
    assert r.resolve().api_key == K2


def test_unknown_pool_key_raises(write, keys) -> None:
    r = make(write, POOL.format(strategy="fill_first"))
    with pytest.raises(UnknownProviderError):
        r.resolve("custom:nope")


def test_runtime_masks_its_key_everywhere(write, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", CANARY)
    rt = make(write, "model: {provider: openrouter, default: x}\n").resolve()
    assert rt.api_key == CANARY
    assert CANARY not in repr(rt) + str(rt) + str(rt.as_dict()) + f"{rt}"
    assert rt.as_dict()["api_key"] == "sk-or-…a8e2"
    assert rt.as_dict(reveal=True)["api_key"] == CANARY
    assert isinstance(rt, Runtime)
    with pytest.raises(AttributeError):
        rt.api_key = "x"  # type: ignore[misc]


def test_threads_never_get_a_cooling_key_and_counts_are_exact(write, keys, store_url) -> None:
    clock = Clock()
    r = make(write, POOL.format(strategy="round_robin"), store_url, clock=clock)
    cool(r, "openrouter", K2, clock.now + 3600)
    seen: list[str] = []
    lock = threading.Lock()

    def work() -> None:
        mine = [r.resolve().api_key for _ in range(250)]
        with lock:
            seen.extend(mine)

    threads = [threading.Thread(target=work) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert K2 not in seen and len(seen) == 2000
    assert Counter(seen) == {K1: 1000, K3: 1000}
    r.store.flush()
    creds = r.store.dump()["pools"]["openrouter"]["credentials"]
    assert sum(c["request_count"] for c in creds.values()) == 2000
    assert all(CANARY not in str(c) for c in creds.values())
    assert all("secret" not in c for c in creds.values())  # borrowed: fingerprint only
