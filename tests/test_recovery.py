"""report() / report_success(): every row of the policy table, reset times, leases, fallbacks.

Time moves with the ``clock=`` of ``resolver.load``; nothing sleeps.
"""

from __future__ import annotations

import logging

import pytest

import resolver
from resolver.errors import NoCredentialAvailable
from resolver.pool.members import borrowed_id
from resolver.runtime import Observer
from resolver.secrets import fingerprint
from tests.conftest import Clock

K1, K2, K3 = "sk-rec-key-one-1111", "sk-rec-key-two-2222", "sk-rec-key-three-3333"
NOW = 1_800_000_000.0

POOL = """
model: {{provider: openrouter, default: a/b}}
providers:
  openrouter:
    api_key_env: []
    keys:
{keys}
credential_pool_strategies: {{openrouter: {strategy}}}
fallback_providers:
  - {{provider: anthropic, model: claude}}
  - {{provider: ollama, model: llama}}
"""


class Events(Observer):
    def __init__(self) -> None:
        self.log: list[tuple[str, str]] = []

    def cooled_down(self, runtime, until, reason) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("cooled_down", f"{runtime.label}:{reason}"))

    def marked_dead(self, runtime, reason) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("marked_dead", f"{runtime.label}:{reason}"))

    def rotated(self, old, new) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("rotated", f"{old.label}->{new.label}"))

    def recovered(self, pool_key, credential_id) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("recovered", credential_id))

    def fell_back(self, runtime, reasons) -> None:  # type: ignore[no-untyped-def]
        self.log.append(("fell_back", runtime.pool_key))


@pytest.fixture
def env(monkeypatch) -> None:
    monkeypatch.setenv("K1", K1)
    monkeypatch.setenv("K2", K2)
    monkeypatch.setenv("K3", K3)


@pytest.fixture
def clock() -> Clock:
    return Clock()


def make(write, clock, *, n: int = 3, strategy: str = "fill_first", state: str = "memory://", extra: str = "", **kw):  # type: ignore[no-untyped-def]
    keys = "\n".join(f"      - {{label: k{i + 1}, api_key: '${{env:K{i + 1}}}'}}" for i in range(n)) or "      []"
    text = POOL.format(keys=keys, strategy=strategy) + extra
    return resolver.load(write("config.yaml", text), state=state, clock=clock, **kw)


def record(r, key: str, pool: str = "openrouter") -> dict:  # type: ignore[no-untyped-def]
    return r.store.view(pool).credentials.get(borrowed_id(fingerprint(key))) or {}


def test_first_429_retries_the_same_credential_then_rotates(write, env, clock) -> None:
    events = Events()
    r = make(write, clock, observer=events)
    rt = r.resolve()
    again = r.report(rt, 429, headers={"Retry-After": "2"})
    assert again.credential_id == rt.credential_id and again.retry_after == 2
    nxt = r.report(again, 429, headers={"retry-after": "20"})
    assert nxt.label == "k2"
    rec = record(r, K1)
    assert rec["status"] == "exhausted" and rec["cooldown_until"] == NOW + 20  # the provider's word wins
    assert rec["last_error_code"] == 429
    assert ("rotated", "k1->k2") in events.log


def test_second_429_without_a_reset_uses_rate_limit(write, env, clock) -> None:
    r = make(write, clock)
    rt = r.resolve()
    r.report(r.report(rt, 429), 429)
    assert record(r, K1)["cooldown_until"] == NOW + 3600


@pytest.mark.parametrize("body", ["Usage limit reached for your plan", '{"error": {"code": "insufficient_quota"}}'])
def test_usage_limit_cools_at_once(write, env, clock, body) -> None:
    r = make(write, clock)
    nxt = r.report(r.resolve(), 429, message=body)
    assert nxt.label == "k2" and record(r, K1)["cooldown_until"] == NOW + 3600


@pytest.mark.parametrize(
    ("status", "body"), [(402, "Payment required"), (403, "Key limit exceeded"), (400, "insufficient credits")]
)
def test_billing_benches_for_a_day_even_when_sole(write, env, clock, status, body) -> None:
    r = make(write, clock, n=1)
    rt = r.resolve()
    nxt = r.report(rt, status, message=body)  # the sole key benched; anthropic has none; ollama is keyless
    assert nxt.pool_key == "ollama" and nxt.fallback_index == 2
    assert record(r, K1)["cooldown_until"] == NOW + 86400  # not capped at sole_credential_max
    assert record(r, K1)["last_error_reason"] == "billing"


def test_401_without_refresh_cools_for_auth(write, env, clock) -> None:
    r = make(write, clock)
    nxt = r.report(r.resolve(), 401, message="invalid api key")
    assert nxt.label == "k2" and record(r, K1)["cooldown_until"] == NOW + 300


def test_401_refreshes_an_owned_oauth_credential(write, env, clock) -> None:
    calls = []

    def refresh(runtime):  # type: ignore[no-untyped-def]
        calls.append(runtime.credential_id)
        return "sk-fresh-access-token-0001"

    r = make(write, clock, n=0, extra="", refresher=refresh)
    r.store.add(
        "openrouter",
        "oauth1",
        {"label": "me", "auth_type": "oauth", "secret": "sk-old-access-token-0000", "added_at": 1.0},
    )
    rt = r.resolve()
    assert rt.credential_id == "oauth1"
    nxt = r.report(rt, 401)
    assert calls == ["oauth1"] and nxt.credential_id == "oauth1" and nxt.api_key == "sk-fresh-access-token-0001"
    assert r.resolve().api_key == "sk-fresh-access-token-0001"
    assert r.store.view("openrouter").credentials["oauth1"]["status"] == "ok"


def test_401_when_refresh_fails_cools_and_rotates(write, env, clock) -> None:
    r = make(write, clock, refresher=lambda rt: None)
    r.store.add(
        "openrouter",
        "oauth1",
        {"label": "me", "auth_type": "oauth", "secret": "sk-old-0000000000", "added_at": 1.0, "priority": -1},
    )
    rt = r.resolve()
    assert rt.credential_id == "oauth1"
    nxt = r.report(rt, 401)
    assert nxt.label == "k1"
    assert r.store.view("openrouter").credentials["oauth1"]["cooldown_until"] == NOW + 300


@pytest.mark.parametrize(
    "body",
    ['{"error": "invalid_grant"}', "token_revoked", "invalid_token", "unauthorized_client", "refresh_token_reused"],
)
def test_revoked_grant_is_dead_and_never_comes_back_on_a_timer(write, env, clock, body) -> None:
    events = Events()
    r = make(write, clock, observer=events)
    nxt = r.report(r.resolve(), 401, message=body)
    assert nxt.label == "k2"
    rec = record(r, K1)
    assert rec["status"] == "dead"
    clock.now += 365 * 86400
    assert {r.resolve().label for _ in range(5)} == {"k2"}
    assert any(e[0] == "marked_dead" for e in events.log)
    with pytest.raises(NoCredentialAvailable) as err:
        resolver.load(
            write(
                "single.yaml",
                "model: {provider: openrouter}\nproviders: {openrouter: {api_key_env: [], keys: [{label: k1, api_key: '${env:K1}'}]}}\n",
            ),
            state=r.store,
            clock=clock,
        ).resolve()
    assert "dead: " in str(err.value) and "re-add or reset" in str(err.value)


def test_403_that_is_not_billing_cools_for_default(write, env, clock) -> None:
    r = make(write, clock)
    nxt = r.report(r.resolve(), 403, message="region not allowed")
    assert nxt.label == "k2" and record(r, K1)["cooldown_until"] == NOW + 3600


@pytest.mark.parametrize(("status", "error"), [(500, None), (503, None), (None, "timeout"), (None, "connect")])
def test_server_and_network_errors_retry_with_backoff_then_rotate(write, env, clock, status, error) -> None:
    r = make(write, clock, extra="cooldowns: {default: 120}\n")
    rt = r.resolve()
    first = r.report(rt, status, error=error)
    second = r.report(first, status, error=error)
    assert (first.credential_id, first.retry_after) == (rt.credential_id, 1)
    assert (second.credential_id, second.retry_after) == (rt.credential_id, 2)
    third = r.report(second, status, error=error)
    assert third.label == "k2" and third.retry_after is None
    assert record(r, K1)["cooldown_until"] == NOW + 120
    if error:
        assert record(r, K1)["last_error_reason"] == f"network: {error}"


def test_sole_credential_is_capped_unless_the_provider_says(write, env, clock) -> None:
    r = make(write, clock, n=1)
    rt = r.resolve()
    r.report(r.report(rt, 429), 429)
    assert record(r, K1)["cooldown_until"] == NOW + 60
    clock.now += 61
    rt = r.resolve()
    assert rt.label == "k1"
    r.report(r.report(rt, 429), 429, headers={"retry-after": "300"})
    assert record(r, K1)["cooldown_until"] == clock.now + 300


def test_reset_times_are_capped_and_bad_ones_ignored(write, env, clock) -> None:
    r = make(write, clock, extra="cooldowns: {max_reset: 1000}\n")
    rt = r.resolve()
    r.report(r.report(rt, 429), 429, headers={"retry-after": str(30 * 86400)})
    assert record(r, K1)["cooldown_until"] == NOW + 1000
    rt2 = r.resolve()
    r.report(r.report(rt2, 429), 429, headers={"retry-after": "whenever"})
    assert record(r, K2)["cooldown_until"] == NOW + 3600


def test_a_later_shorter_cooldown_never_shortens(write, env, clock) -> None:
    r = make(write, clock)
    rt = r.resolve()
    r.report(r.report(rt, 429), 429)  # 3600
    r.report(r.report(rt, 429), 429, headers={"retry-after": "10"})  # a late report about the same lease
    assert record(r, K1)["cooldown_until"] == NOW + 3600
    r.report(rt, 402)  # longer: extends
    assert record(r, K1)["cooldown_until"] == NOW + 86400


def test_report_success_resets_the_free_429_retry(write, env, clock) -> None:
    r = make(write, clock)
    rt = r.resolve()
    assert r.report(rt, 429).credential_id == rt.credential_id
    r.report_success(rt)
    assert r.report(rt, 429).credential_id == rt.credential_id  # free again
    assert r.report(rt, 429).credential_id != rt.credential_id


@pytest.mark.parametrize(
    "headers",
    [
        {"x-ratelimit-remaining-requests": "0", "x-ratelimit-reset-requests": "30s"},
        {"X-RateLimit-Remaining-Tokens": "0", "X-RateLimit-Reset-Tokens": "30s"},
        {"anthropic-ratelimit-requests-remaining": "0", "anthropic-ratelimit-requests-reset": "2027-01-15T08:00:30Z"},
    ],
)
def test_proactive_cooldown_when_success_says_the_limit_is_spent(write, env, clock, headers) -> None:
    if "anthropic-ratelimit-requests-reset" in headers:
        from datetime import datetime

        clock.now = datetime.fromisoformat("2027-01-15T08:00:00+00:00").timestamp()
    r = make(write, clock)
    rt = r.resolve()
    r.report_success(rt, headers=headers)
    assert record(r, K1)["cooldown_until"] == pytest.approx(clock.now + 30)
    assert r.resolve().label == "k2"
    r.report_success(r.resolve(), headers={"x-ratelimit-remaining-requests": "12"})
    assert record(r, K2).get("status", "ok") == "ok"


def test_success_after_a_cooldown_marks_the_credential_recovered(write, env, clock) -> None:
    events = Events()
    r = make(write, clock, observer=events)
    rt = r.resolve()
    r.report(r.report(rt, 429), 429)
    clock.now += 3601
    back = r.resolve()
    assert back.label == "k1"
    r.report_success(back)
    assert record(r, K1)["status"] == "ok" and ("recovered", rt.credential_id) in events.log


def test_a_late_report_blames_its_own_lease_not_the_current_one(write, env, clock) -> None:
    r = make(write, clock, strategy="round_robin")
    a, b = r.resolve(), r.resolve()
    assert (a.label, b.label) == ("k1", "k2")
    r.report(r.report(a, 429), 429)  # about A, arriving after B was handed out
    assert record(r, K1)["status"] == "exhausted"
    assert record(r, K2).get("status", "ok") == "ok"


def test_a_fallbacks_429_changes_only_the_fallback_pool(write, env, clock, monkeypatch) -> None:
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-fallback-0001")
    r = make(write, clock, n=1)
    primary = r.resolve()
    fb = r.report(primary, 402)
    assert (fb.pool_key, fb.fallback_index, fb.model) == ("anthropic", 1, "claude")
    before = dict(record(r, K1))
    nxt = r.report(r.report(fb, 429), 429)
    assert nxt.pool_key == "ollama"
    assert record(r, K1) == before
    ant = r.store.view("anthropic").credentials[borrowed_id(fingerprint("sk-ant-fallback-0001"))]
    assert ant["status"] == "exhausted" and ant["cooldown_until"] == NOW + 60  # sole there: capped


def test_a_report_about_a_removed_credential_changes_nothing(write, env, clock, monkeypatch) -> None:
    r = make(write, clock)
    rt = r.resolve()
    r.store.remove("openrouter", rt.credential_id, suppress=fingerprint(K1), source="env:K1")
    nxt = r.report(r.report(rt, 429), 429)
    assert nxt.label == "k2"
    rec = record(r, K1)  # hidden, its state kept, and not touched by the late report
    assert rec.get("status") == "ok" and not rec.get("cooldown_until")


def test_resolve_returns_to_the_primary_when_its_cooldown_ends(write, env, clock) -> None:
    events = Events()
    r = make(write, clock, n=1, observer=events)
    fb = r.report(r.report(r.resolve(), 429), 429)
    assert fb.pool_key == "ollama" and ("fell_back", "ollama") in events.log
    clock.now += 59
    assert r.resolve().pool_key == "ollama"
    clock.now += 2
    assert r.resolve().pool_key == "openrouter"


def test_a_failing_keyless_endpoint_rests_and_the_chain_moves_on(write, clock) -> None:
    text = "model: {provider: ollama, default: m}\nfallback_providers: [{provider: lmstudio, model: n}]\ncooldowns: {default: 100}\n"
    r = resolver.load(write("c.yaml", text), state="memory://", clock=clock)
    rt = r.resolve()
    for _ in range(2):
        rt = r.report(rt, 503)
        assert rt.pool_key == "ollama" and rt.retry_after
    nxt = r.report(rt, 503)
    assert (nxt.pool_key, nxt.fallback_index) == ("lmstudio", 1)
    clock.now += 101
    assert r.resolve().pool_key == "ollama"


def test_everything_out_raises_with_the_next_time(write, env, clock) -> None:
    text = "model: {provider: openrouter}\nproviders: {openrouter: {api_key_env: [], keys: [{label: k1, api_key: '${env:K1}'}, {label: k2, api_key: '${env:K2}'}]}}\n"
    r = resolver.load(write("c.yaml", text), state="memory://", clock=clock)
    rt = r.resolve()
    rt2 = r.report(rt, 402)
    with pytest.raises(NoCredentialAvailable) as err:
        r.report(r.report(rt2, 429), 429, headers={"retry-after": "600"})
    assert err.value.next_available_at == NOW + 600
    assert "billing (402)" in str(err.value) and "rate-limited (429)" in str(err.value)


def test_a_bad_request_is_not_the_credentials_fault(write, env, clock) -> None:
    r = make(write, clock)
    rt = r.resolve()
    assert r.report(rt, 400, message="messages: field required") is rt
    assert record(r, K1).get("status", "ok") == "ok"


def test_a_bench_survives_a_restart(write, env, clock, tmp_path) -> None:
    state = f"file://{tmp_path}/auth.json"
    r = make(write, clock, state=state)
    r.report(r.resolve(), 402)
    r.close()
    again = make(write, clock, state=state)
    assert again.resolve().label == "k2"
    clock.now += 86401
    assert again.resolve().label == "k1"


def test_exhausted_pool_is_logged_at_most_once_a_minute(write, clock, caplog) -> None:
    r = resolver.load(write("c.yaml", "model: {provider: anthropic}\n"), state="memory://", clock=clock)
    with caplog.at_level(logging.WARNING, logger="resolver"):
        for _ in range(50):
            with pytest.raises(NoCredentialAvailable):
                r.resolve()
    assert len([m for m in caplog.messages if "no credential available" in m]) == 1


def test_logs_and_events_name_the_credential_never_the_secret(write, env, clock, caplog) -> None:
    events = Events()
    r = make(write, clock, observer=events)
    with caplog.at_level(logging.DEBUG, logger="resolver"):
        r.report(r.resolve(), 402)
        r.report(r.resolve(), 401, message="token_revoked")
    text = " ".join(caplog.messages) + repr(events.log)
    assert "k1" in text and "openrouter" in text
    assert K1 not in text and K2 not in text
