"""Every shipped example validates (exit 0), and a broken copy fails at the right place."""

from __future__ import annotations

import pytest

from tests.conftest import EXAMPLES

ALL = sorted(EXAMPLES.glob("*.yaml"))


def test_the_required_examples_exist() -> None:
    names = {p.stem for p in ALL}
    assert {"config", "openrouter-minimal", "multi-key-pool", "custom-endpoints", "fleet"} <= names


@pytest.mark.parametrize("path", ALL, ids=lambda p: p.stem)
def test_example_is_valid(cli, path) -> None:
    r = cli("validate", path)
    assert r.code == 0, r.out


def test_broken_copy_of_the_main_example(cli, write) -> None:
    text = (EXAMPLES / "config.yaml").read_text()
    broken = write("config.yaml", text.replace("openrouter: round_robin", "openrouter: round_robn"))
    lineno = next(i for i, line in enumerate(text.splitlines(), 1) if "openrouter: round_robin" in line)
    r = cli("validate", broken)
    assert r.code == 1
    assert f"{broken}:{lineno}:15: error: unknown strategy 'round_robn'" in r.out
