"""The shipped schema: valid, documented, identical wherever it is shipped."""

from __future__ import annotations

import json
import subprocess
import sys
from typing import Any

from jsonschema import Draft202012Validator

from resolver.config.schema import schema
from tests.conftest import ROOT


def _properties(node: Any, path: str = "$") -> list[tuple[str, dict[str, Any]]]:
    out = []
    if isinstance(node, dict):
        for name, sub in node.get("properties", {}).items():
            out.append((f"{path}.{name}", sub))
        for key, sub in node.items():
            if isinstance(sub, (dict, list)):
                out.extend(_properties(sub, f"{path}/{key}"))
    elif isinstance(node, list):
        for i, sub in enumerate(node):
            out.extend(_properties(sub, f"{path}[{i}]"))
    return out


def test_schema_is_valid_draft_2020_12() -> None:
    Draft202012Validator.check_schema(schema())
    assert schema()["$schema"] == "https://json-schema.org/draft/2020-12/schema"


def test_every_property_has_a_description() -> None:
    defs = schema()["$defs"]
    missing = []
    for where, node in _properties(schema()):
        target = node
        if "$ref" in node and "description" not in node:
            target = defs[node["$ref"].split("/")[-1]]
        if not target.get("description"):
            missing.append(where)
    assert not missing, missing


def test_top_level_schema_file_is_the_package_one() -> None:
    top = ROOT / "schemas" / "config.schema.json"
    assert json.loads(top.read_text()) == schema()


def test_config_reference_is_current() -> None:
    r = subprocess.run(
        [sys.executable, str(ROOT / "scripts" / "gen_config_reference.py"), "--check"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert r.returncode == 0, r.stderr


def test_examples_point_editors_at_the_schema() -> None:
    for path in (ROOT / "examples").glob("*.yaml"):
        assert path.read_text().startswith("# yaml-language-server: $schema="), path.name


def test_secret_fields_in_schema_and_loader_agree() -> None:
    from resolver.config.loader import SECRET_PATHS, is_secret_path

    defs = schema()["$defs"]

    def secret_at(node: Any, path: tuple[str, ...]) -> bool:
        if "$ref" in node:
            node = {**defs[node["$ref"].split("/")[-1]], **{k: v for k, v in node.items() if k != "$ref"}}
        if not path:
            return bool(node.get("x-secret"))
        head, rest = path[0], path[1:]
        for alt in node.get("anyOf", []):
            if secret_at(alt, path):
                return True
        if head == "#":
            return "items" in node and secret_at(node["items"], rest)
        if head == "*":
            sub = node.get("additionalProperties")
            return isinstance(sub, dict) and secret_at(sub, rest)
        sub = node.get("properties", {}).get(head)
        return sub is not None and secret_at(sub, rest)

    for pattern in SECRET_PATHS:
        assert secret_at(schema(), pattern), pattern
    assert not is_secret_path(("providers", "headers", "model"))
    assert is_secret_path(("providers", "openrouter", "keys", 0, "api_key"))
