"""Compile: config → Plan. Pool keys, precedence of URLs and modes, source order, no secrets."""

from __future__ import annotations

import json

import pytest

from resolver.api import compile_files
from resolver.errors import ConfigError, UnknownProviderError
from resolver.plan.model import Plan
from resolver.registry import ids
from tests.conftest import CANARY, EXAMPLES


@pytest.fixture
def plan_of(write):  # type: ignore[no-untyped-def]
    def _plan(text: str, *sets: str) -> Plan:
        path = write("config.yaml", text)
        return compile_files((str(path),), sets)

    return _plan


def test_every_registry_id_is_a_pool_and_customs_are_normalized(plan_of) -> None:
    plan = plan_of(
        "custom_providers:\n"
        "  - {name: Together.ai, base_url: 'https://api.together.xyz/v1'}\n"
        "  - {name: 'Local (localhost:8080)', base_url: 'http://localhost:8080/v1'}\n"
        "  - {name: 'custom:Ollama', base_url: 'http://localhost:11434/v1'}\n"
    )
    assert set(ids()) <= set(plan.pools)
    assert {"custom:together.ai", "custom:local-(localhost:8080)", "custom:ollama"} <= set(plan.pools)
    assert plan.pools["custom:ollama"].name == "Ollama"
    assert plan.primary == "openrouter"  # nothing said: the default provider


def test_plan_is_frozen_hashable_and_round_trips(plan_of) -> None:
    plan = plan_of((EXAMPLES / "config.yaml").read_text())
    with pytest.raises(AttributeError):
        plan.primary = "x"  # type: ignore[misc]
    with pytest.raises(TypeError):
        plan.pools["x"] = plan.pools["openrouter"]  # type: ignore[index]
    with pytest.raises(AttributeError):
        plan.pools["openrouter"].strategy = "random"  # type: ignore[misc]
    again = Plan.from_dict(json.loads(json.dumps(plan.to_dict())))
    assert again == plan and hash(again) == hash(plan)
    assert {plan: 1}[again] == 1
    assert plan.pools["openrouter"].sources[0].ref.describe() == "env:OR_TEAM_KEY"


def test_openrouter_base_url_precedence_and_key_host_rule(plan_of, monkeypatch) -> None:
    assert plan_of("model: {provider: openrouter}\n").pools["openrouter"].base_url == "https://openrouter.ai/api/v1"
    monkeypatch.setenv("OPENROUTER_BASE_URL", "https://openrouter.ai/api/v2")
    assert plan_of("model: {provider: openrouter}\n").pools["openrouter"].base_url == "https://openrouter.ai/api/v2"
    plan = plan_of("model: {provider: openrouter, base_url: 'https://proxy.example.com/v1'}\n")
    pool = plan.pools["openrouter"]
    assert pool.base_url == "https://proxy.example.com/v1"
    # OPENROUTER_API_KEY is only ever sent to openrouter.ai
    assert all(s.ref.name != "OPENROUTER_API_KEY" for s in pool.sources)
    # model.base_url overrides a registry URL only when model.provider names it
    plan = plan_of("model: {provider: anthropic, base_url: 'https://gw.example.com'}\n")
    assert plan.pools["anthropic"].base_url == "https://gw.example.com"
    assert plan.pools["openrouter"].base_url == "https://openrouter.ai/api/v2"
    assert plan.pools["openai"].base_url == "https://api.openai.com/v1"


def test_routing_reaches_extra_body_provider(plan_of) -> None:
    plan = plan_of("providers:\n  openrouter:\n    routing: {order: [anthropic], allow_fallbacks: false}\n")
    assert dict(plan.pools["openrouter"].extra_body["provider"]) == {"order": ("anthropic",), "allow_fallbacks": False}


def test_api_mode_from_config_then_registry_then_url(plan_of) -> None:
    plan = plan_of(
        "model: {provider: openai, api_mode: responses}\n"
        "custom_providers:\n"
        "  - {name: mm, base_url: 'https://api.minimax.io/anthropic'}\n"
        "  - {name: plain, base_url: 'http://box:8000/v1'}\n"
        "  - {name: forced, base_url: 'http://box:9000/anthropic', api_mode: chat_completions}\n"
    )
    assert plan.pools["openai"].api_mode == "codex_responses"  # alias folded
    assert plan.pools["anthropic"].api_mode == "anthropic_messages"  # registry
    assert plan.pools["custom:mm"].api_mode == "anthropic_messages"  # detected from the URL
    assert plan.pools["custom:plain"].api_mode == "chat_completions"
    assert plan.pools["custom:forced"].api_mode == "chat_completions"


def test_source_order_priority_then_declaration_then_env(plan_of) -> None:
    plan = plan_of(
        "model: {provider: anthropic, api_key: '${env:MODEL_KEY}'}\n"
        "providers:\n  anthropic:\n    key_env: EXTRA_KEY\n    api_key: ${env:SINGLE}\n    keys:\n"
        "      - {label: a, api_key: '${env:A}'}\n      - {label: b, api_key: '${env:B}', priority: 0}\n"
    )
    sources = plan.pools["anthropic"].sources
    assert [s.label for s in sources] == [
        "a", "b", "model.api_key", "api_key", "EXTRA_KEY",
        "ANTHROPIC_API_KEY", "ANTHROPIC_TOKEN", "CLAUDE_CODE_OAUTH_TOKEN",
    ]  # fmt: skip
    assert sources[1].priority == 0  # the runtime puts explicit priorities first
    off = plan_of("providers:\n  anthropic:\n    api_key_env: []\n")
    assert off.pools["anthropic"].sources == ()


def test_vendor_key_only_for_its_own_host(plan_of) -> None:
    plan = plan_of(
        "custom_providers:\n"
        "  - {name: oai, base_url: 'https://api.openai.com/v1'}\n"
        "  - {name: other, base_url: 'https://llm.example.com/v1'}\n"
        "  - {name: own, base_url: 'https://api.openai.com/v1/', key_env: MY_KEY}\n"
    )
    assert [s.ref.name for s in plan.pools["custom:oai"].sources] == ["OPENAI_API_KEY"]
    assert plan.pools["custom:oai"].key_required
    assert plan.pools["custom:other"].sources == () and not plan.pools["custom:other"].key_required
    assert [s.ref.name for s in plan.pools["custom:own"].sources] == ["MY_KEY"]


def test_endpoints_by_url_match_by_name_then_url(plan_of) -> None:
    plan = plan_of(
        "custom_providers:\n"
        "  - {name: A, base_url: 'http://gpu:8000/v1', key_env: KEY_A}\n"
        "  - {name: B, base_url: 'http://gpu:8000/v1/', key_env: KEY_B}\n"
        "model: {provider: custom, base_url: 'http://gpu:8000/v1/'}\n"
        "fallback_providers:\n"
        "  - {provider: B}\n"
        "  - {provider: custom, base_url: 'http://127.0.0.1:9000/v1', model: small}\n"
    )
    assert plan.primary == "custom:a"  # by URL (trailing / ignored): the first endpoint with it
    assert [s.ref.name for s in plan.pools["custom:a"].sources] == ["KEY_A"]
    assert [s.ref.name for s in plan.pools["custom:b"].sources] == ["KEY_B"]  # same URL, own pool
    assert [f.pool_key for f in plan.fallbacks] == ["custom:b", "custom:local-(127.0.0.1:9000)"]
    assert plan.pools["custom:local-(127.0.0.1:9000)"].model == "small"


def test_aliases_are_folded(plan_of) -> None:
    plan = plan_of("model:\n  provider: openai\n  model: gpt-5\n  api: ${env:OAI}\n  max_output_tokens: 99\n")
    pool = plan.pools["openai"]
    assert pool.model == "gpt-5"
    assert pool.sources[0].ref.describe() == "env:OAI"
    assert pool.settings["max_tokens"] == 99
    assert plan_of("model: some/model\n").pools["openrouter"].model == "some/model"


def test_fallback_model_follows_fallback_providers(plan_of) -> None:
    plan = plan_of(
        "model: {provider: anthropic}\nfallback_providers: [{provider: openai, model: gpt-5}]\n"
        "fallback_model: {provider: openrouter, model: x/y}\n"
    )
    assert [(f.pool_key, f.model) for f in plan.fallbacks] == [("openai", "gpt-5"), ("openrouter", "x/y")]


def test_strategies_and_cooldowns_per_pool(plan_of) -> None:
    plan = plan_of(
        "credential_pool_strategies: {openrouter: round_robin}\n"
        "cooldowns: {rate_limit: 100, pools: {openrouter: {rate_limit: 5, server_error_retries: 0}}}\n"
    )
    assert plan.pools["openrouter"].strategy == "round_robin"
    assert plan.pools["anthropic"].strategy == "fill_first"
    assert plan.pools["openrouter"].cooldowns.rate_limit == 5
    assert plan.pools["openrouter"].cooldowns.server_error_retries == 0
    assert plan.pools["anthropic"].cooldowns.rate_limit == 100
    assert plan.pools["anthropic"].cooldowns.billing == 86400


def test_invalid_config_raises_config_error_with_issues(plan_of) -> None:
    with pytest.raises(ConfigError) as err:
        plan_of("model: {provider: openruter}\n")
    assert err.value.issues and err.value.issues[0].json_path == "model.provider"


def test_unknown_pool_key(plan_of) -> None:
    plan = plan_of("model: {provider: openrouter}\n")
    with pytest.raises(UnknownProviderError) as err:
        plan.pool("openruter")
    assert "did you mean 'openrouter'" in str(err.value)


def test_plan_never_holds_a_secret(plan_of, monkeypatch) -> None:
    monkeypatch.setenv("CANARY_ENV", CANARY)
    plan = plan_of(
        f"model: {{provider: openrouter, api_key: '${{env:CANARY_ENV}}'}}\n"
        f"custom_providers:\n  - {{name: x, base_url: 'http://x:1/v1', api_key: {CANARY}, headers: {{Authorization: '{CANARY}'}}}}\n",
        f"providers.anthropic.api_key={CANARY}",
    )
    text = json.dumps(plan.to_dict()) + repr(plan) + repr(plan.pools["custom:x"])
    assert CANARY not in text
