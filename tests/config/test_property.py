"""Property-based: whatever the input, validate returns a result or clean issues.

Never an unexpected exception, never a secret in the messages.
"""

from __future__ import annotations

import string
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ruamel.yaml import YAML

from resolver.config import validate
from resolver.config.issues import Issue
from resolver.config.loader import SECTIONS as OURS
from tests.conftest import CANARY, EXAMPLES

SECTIONS = [*OURS, "terminal"]  # ours, and one section of the agent's
KEYS = [
    "provider",
    "default",
    "model",
    "base_url",
    "api_key",
    "api",
    "name",
    "keys",
    "label",
    "weight",
    "priority",
    "rate_limit",
    "pools",
    "url",
    "api_mode",
    "models",
    "routing",
    "custom:x",
    "openrouter",
    "anthropic",
    "key_env",
    "headers",
]
scalars = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 10**6),
    st.floats(allow_nan=False, allow_infinity=False),
    st.sampled_from(
        [
            "openrouter",
            "http://localhost:8080/v1",
            "round_robin",
            "${env:HOME}",
            "${env:UNSET_X}",
            "${file:/nonexistent}",
            "${oops",
            CANARY,
            "",
            "custom",
            "custom:x",
            "responses",
        ]
    ),
    st.text(string.printable, max_size=12),
)
values = st.recursive(
    scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4),
        st.dictionaries(st.one_of(st.sampled_from(KEYS), st.just(CANARY)), children, max_size=5),
    ),
    max_leaves=25,
)
configs = st.dictionaries(st.sampled_from(SECTIONS), values, max_size=6)

SETTINGS = settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


def _dump(data: Any, path: Path) -> None:
    yaml = YAML()
    with path.open("w") as fh:
        yaml.dump(data, fh)


def _check(result_issues: tuple[Issue, ...]) -> None:
    for issue in result_issues:
        assert issue.line >= 1 and issue.column >= 1
        assert issue.severity in ("error", "warning")
        assert CANARY not in issue.message


@SETTINGS
@given(configs)
def test_random_structured_configs_give_clean_results(tmp_path: Path, data: dict[str, Any]) -> None:
    path = tmp_path / "c.yaml"
    _dump(data, path)
    _check(validate(str(path)).issues)


@SETTINGS
@given(st.text(max_size=300))
def test_random_text_gives_clean_results(tmp_path: Path, text: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(text.encode("utf-8", errors="replace"))
    _check(validate(str(path)).issues)


MAIN = (EXAMPLES / "config.yaml").read_text()


@SETTINGS
@given(
    st.integers(0, len(MAIN) - 1), st.integers(0, 8), st.sampled_from(["", ":", "\t", "-", "{", "'", " ", "\n", "x"])
)
def test_mutated_example_gives_clean_results(tmp_path: Path, at: int, cut: int, insert: str) -> None:
    path = tmp_path / "c.yaml"
    path.write_text(MAIN[:at] + insert + MAIN[at + cut :], encoding="utf-8")
    _check(validate(str(path)).issues)


@SETTINGS
@given(st.binary(max_size=200))
def test_random_bytes_give_clean_results(tmp_path: Path, raw: bytes) -> None:
    path = tmp_path / "c.yaml"
    path.write_bytes(raw)
    _check(validate(str(path)).issues)
