"""Loading: layering, --set, interpolation, secret references, provenance."""

from __future__ import annotations

import pytest

from resolver.config import validate
from resolver.config.loader import load, parse_set
from resolver.errors import ConfigFileError, UsageError
from resolver.secrets import SecretRef


def test_overlay_merges_mappings_and_remembers_the_file(write) -> None:
    base = write("base.yaml", "model:\n  provider: openrouter\n  default: a/b\ncooldowns:\n  rate_limit: 60\n")
    over = write("over.yaml", "# prod\ncooldowns:\n  billing: -1\n")
    loaded = load(str(base), [str(over)])
    assert loaded.data["cooldowns"] == {"rate_limit": 60, "billing": -1}
    assert loaded.data["model"]["default"] == "a/b"
    assert loaded.where(("cooldowns", "billing")) == (str(over), 3, 12)
    assert loaded.where(("cooldowns", "rate_limit")) == (str(base), 5, 15)
    result = validate(str(base), [str(over)])
    [issue] = [i for i in result.issues if i.severity == "error"]
    assert (issue.file, issue.line, issue.column) == (str(over), 3, 12)


def test_later_overlay_wins_and_lists_are_replaced(write) -> None:
    base = write("a.yaml", "fallback_providers:\n  - {provider: anthropic}\n  - {provider: openai}\n")
    o1 = write("b.yaml", "fallback_providers:\n  - {provider: groq}\n")
    o2 = write("c.yaml", "model: {provider: openrouter}\n")
    loaded = load(str(base), [str(o1), str(o2)])
    assert loaded.data["fallback_providers"] == [{"provider": "groq"}]
    assert ("fallback_providers", 1) not in loaded.values
    assert loaded.where(("fallback_providers", 0, "provider"))[0] == str(o1)


def test_set_overrides_last_with_yaml_typed_values(write) -> None:
    base = write("c.yaml", "model: {provider: openrouter}\ncooldowns: {rate_limit: 60}\n")
    loaded = load(
        str(base),
        sets=[
            "cooldowns.rate_limit=600",
            "credential_pool_strategies[openrouter]=random",
            "fallback_providers=[{provider: anthropic}]",
        ],
    )
    assert loaded.data["cooldowns"]["rate_limit"] == 600
    assert loaded.data["credential_pool_strategies"] == {"openrouter": "random"}
    assert loaded.data["fallback_providers"] == [{"provider": "anthropic"}]
    f, line, col = loaded.where(("cooldowns", "rate_limit"))
    assert f == "<--set cooldowns.rate_limit=600>" and (line, col) == (1, 22)


def test_set_keys_with_dots_and_colons_in_brackets() -> None:
    assert parse_set("credential_pool_strategies[custom:together.ai]=random") == (
        ("credential_pool_strategies", "custom:together.ai"),
        "random",
    )
    assert parse_set("fallback_providers[0].model=x=y") == (("fallback_providers", 0, "model"), "x=y")
    with pytest.raises(UsageError):
        parse_set("no-equals-sign")


def test_set_error_points_at_the_set(write) -> None:
    base = write("c.yaml", "model: {provider: openrouter}\n")
    result = validate(str(base), sets=["cooldowns.rate_limit=soon"])
    [issue] = [i for i in result.issues if i.severity == "error"]
    assert issue.file == "<--set cooldowns.rate_limit=soon>"
    assert issue.json_path == "cooldowns.rate_limit"


def test_interpolation_in_plain_fields(write, monkeypatch) -> None:
    monkeypatch.setenv("MY_MODEL", "anthropic/claude-sonnet-4")
    secret_file = write("timeout.txt", "  90\n")
    cfg = write(
        "c.yaml",
        "model:\n  provider: openrouter\n  default: ${env:MY_MODEL}\n"
        "  request_timeout_seconds: ${file:timeout.txt}\n"
        "  max_tokens: ${oc.env:MISSING_TOKENS,4096}\n"
        "  context_length: ${env:ALSO_MISSING,100000}\n",
    )
    assert secret_file.exists()
    loaded = load(str(cfg))
    assert loaded.data["model"]["default"] == "anthropic/claude-sonnet-4"
    assert loaded.data["model"]["request_timeout_seconds"] == "90"
    assert str(loaded.data["model"]["max_tokens"]) == "4096"
    assert {"MY_MODEL", "MISSING_TOKENS", "ALSO_MISSING"} <= loaded.env_names


def test_secret_fields_keep_references_not_values(write, monkeypatch) -> None:
    monkeypatch.setenv("OR_KEY", "sk-or-v1-from-env-000000000000")
    cfg = write(
        "c.yaml",
        "model:\n  provider: openrouter\n  api_key: ${env:OR_KEY}\n"
        "providers:\n  openrouter:\n    keys:\n"
        "      - {label: f, api_key: '${file:key.txt}'}\n"
        "      - {label: d, api_key: '${env:NOPE,sk-default-literal-123}'}\n"
        "      - {label: l, api_key: sk-literal-in-file-456789}\n",
    )
    loaded = load(str(cfg))
    assert loaded.data["model"]["api_key"] == SecretRef("env", "OR_KEY")
    keys = loaded.data["providers"]["openrouter"]["keys"]
    assert keys[0]["api_key"].kind == "file" and keys[0]["api_key"].name.endswith("key.txt")
    assert keys[1]["api_key"].kind == "env" and keys[1]["api_key"].default is not None
    assert keys[2]["api_key"] == SecretRef("config", str(cfg), ("providers", "openrouter", "keys", 2, "api_key"))
    text = repr(loaded.data)
    for value in ("sk-or-v1-from-env", "sk-default-literal", "sk-literal-in-file"):
        assert value not in text
    # the values are still reachable on demand
    assert keys[2]["api_key"].read() == "sk-literal-in-file-456789"
    assert keys[1]["api_key"].read() == "sk-default-literal-123"
    assert loaded.data["model"]["api_key"].read() == "sk-or-v1-from-env-000000000000"


def test_unset_env_in_secret_field_is_a_warning_not_an_error(write) -> None:
    cfg = write("c.yaml", "model:\n  provider: openrouter\n  api_key: ${env:NOT_SET_ANYWHERE}\n")
    result = validate(str(cfg))
    assert result.ok
    [warning] = result.issues
    assert warning.severity == "warning" and "NOT_SET_ANYWHERE" in warning.message
    assert (warning.line, warning.column) == (3, 12)


def test_agent_sections_are_ignored_even_when_broken(write) -> None:
    cfg = write(
        "c.yaml",
        "model: {provider: openrouter}\nterminal:\n  backend: ${env:UNSET_TERMINAL}\nauxiliary:\n  api_key: sk-not-ours\n",
    )
    result = validate(str(cfg))
    assert result.issues == ()
    assert "terminal" not in result.loaded.data


@pytest.mark.parametrize(
    ("name", "make", "reason"),
    [
        ("missing.yaml", None, "no such file"),
        ("adir", "dir", "is a directory"),
    ],
)
def test_unopenable_files_raise_config_file_error(tmp_path, name, make, reason) -> None:
    path = tmp_path / name
    if make == "dir":
        path.mkdir()
    with pytest.raises(ConfigFileError) as err:
        load(str(path))
    assert reason in str(err.value)
    assert err.value.exit_code == 2


def test_non_utf8_file_is_reported_at_the_bad_byte(write) -> None:
    cfg = write("c.yaml", b"model:\n  default: caf\xe9\n")
    result = validate(str(cfg))
    [issue] = result.issues
    assert (issue.line, issue.column, issue.severity) == (2, 15, "error")
    assert "not valid UTF-8" in issue.message


def test_utf8_bom_is_accepted(write) -> None:
    cfg = write("c.yaml", "\ufeffmodel: {provider: openrouter}\n".encode())
    assert validate(str(cfg)).ok
