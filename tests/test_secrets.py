"""The canary secret never leaks: not in output, messages, reprs or loaded data."""

from __future__ import annotations

import json

import pytest

from resolver.config import validate
from resolver.errors import ConfigError
from resolver.secrets import SecretRef, fingerprint, mask
from tests.conftest import CANARY

# Places a careless user might put a real key, and mistakes around them.
LEAKY_CONFIGS = [
    f"model:\n  provider: openrouter\n  api_key: {CANARY}\n",
    f"model:\n  provider: openrouter\n  api: {CANARY}\n  api_mode: nope\n",
    f"providers:\n  openrouter:\n    keys:\n      - {{label: a, api_key: [{CANARY}]}}\n",
    f"providers:\n  openrouter:\n    keys:\n      - {{label: a, api_key: {{v: {CANARY}}}}}\n",
    f"custom_providers:\n  - name: x\n    base_url: http://x:1/v1\n    api_key: {CANARY}\n    headers: {{Authorization: Bearer {CANARY}}}\n",
    f"fallback_providers:\n  - {{provider: custom, base_url: 'http://h:1/v1', api_key: {CANARY}}}\n",
    f"model:\n  provider: openrouter\n  api_key: '${{env:X,{CANARY}}}'\n  default: [\n",
]


@pytest.mark.parametrize("text", LEAKY_CONFIGS)
def test_canary_never_reaches_validate_output(cli, write, text) -> None:
    path = write("c.yaml", text)
    for fmt in ("text", "json"):
        r = cli("validate", path, "--format", fmt)
        assert CANARY not in r.out + r.err
    result = validate(str(path))
    assert CANARY not in repr(result)
    assert CANARY not in repr(result.loaded.data) + json.dumps(result.loaded.data, default=str)
    assert CANARY not in str(ConfigError(result.issues))


def test_canary_with_overlays_and_set(cli, write) -> None:
    base = write("c.yaml", "model: {provider: openrouter}\n")
    over = write("o.yaml", f"model:\n  api_key: {CANARY}\n")
    r = cli("validate", base, "--overlay", over, "--set", f"providers.openrouter.api_key={CANARY}", "--format", "json")
    assert r.code == 0
    assert CANARY not in r.out + r.err
    result = validate(str(base), [str(over)], [f"providers.openrouter.api_key={CANARY}"])
    assert CANARY not in repr(result)
    ref = result.loaded.data["providers"]["openrouter"]["api_key"]
    assert isinstance(ref, SecretRef) and CANARY not in repr(ref) + str(ref)
    assert ref.read() == CANARY  # reachable on demand only


def test_mask_shows_prefix_and_last_four_only() -> None:
    assert mask("sk-or-v1-abcdefghijklmnopa1b2") == "sk-or-…a1b2"
    assert mask("sk-ant-api03-zzzzzzzzzzzzzzzzzz9876") == "sk-ant-…9876"
    assert mask("short") == "………"
    assert mask(None) == "<none>"
    assert CANARY not in mask(CANARY)


def test_fingerprint_is_stable_and_not_the_secret() -> None:
    fp = fingerprint(CANARY)
    assert fp.startswith("sha256:") and len(fp) == 7 + 64
    assert fp == fingerprint(CANARY) != fingerprint(CANARY + "x")
    assert CANARY not in fp


@pytest.mark.parametrize("written", [CANARY, f"'{CANARY}'", f'"{CANARY}"'])
def test_a_literal_key_given_with_set_is_read_back_without_quotes(write, written) -> None:
    import resolver

    base = write("c.yaml", "model: {provider: openrouter, default: x}\nproviders: {openrouter: {api_key_env: []}}\n")
    for _ in range(2):  # a cache miss, then a cache hit
        rt = resolver.load(base, state="memory://", overrides=[f"providers.openrouter.api_key={written}"]).resolve()
        assert rt.api_key == CANARY and rt.source.startswith("config:<--set providers.openrouter.api_key=…>")
