"""The built-in registry: data, complete, plausible values."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from resolver import registry

REQUIRED = {
    "openrouter",
    "anthropic",
    "openai",
    "gemini",
    "deepseek",
    "xai",
    "mistral",
    "groq",
    "together",
    "fireworks",
    "zai",
    "kimi",
    "nous",
    "alibaba",
    "ollama",
}


def test_every_required_provider_is_present() -> None:
    assert set(registry.ids()) >= REQUIRED


def test_entries_are_well_formed() -> None:
    for spec in registry.registry().values():
        url = urlsplit(spec.base_url)
        assert url.scheme in ("http", "https") and url.hostname, spec.id
        assert spec.id == spec.id.lower() and spec.name
        assert spec.api_mode in ("chat_completions", "codex_responses", "anthropic_messages")
        assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", e) for e in spec.api_key_env), spec.id
        if spec.key_required and "api_key" in spec.auth_types:
            assert spec.api_key_env, f"{spec.id} needs a key but names no env var"
        if "oauth" in spec.auth_types:
            assert spec.token_url and spec.token_url.startswith("https://"), spec.id
        if url.scheme == "http":
            assert url.hostname in ("localhost", "127.0.0.1") and not spec.key_required, spec.id


def test_known_public_values() -> None:
    get = registry.get
    assert get("openrouter").base_url == "https://openrouter.ai/api/v1"
    assert get("openrouter").api_key_env == ("OPENROUTER_API_KEY",)
    assert get("anthropic").api_mode == "anthropic_messages"
    assert get("ANTHROPIC").id == "anthropic"
    assert get("openai").base_url == "https://api.openai.com/v1"
    assert get("ollama").key_required is False and get("ollama").api_key_env == ()
    assert get("nope") is None
