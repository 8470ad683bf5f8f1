"""JSON Schema validation (jsonschema, Draft 2020-12) turned into readable Issues.

The schema is package data (``resolver/schemas/config.schema.json``). Each
jsonschema error becomes one Issue pointing at the key or value a person
edits, in plain words, with "did you mean" where one fits. Values are echoed
only for names (strategies, api modes), never for anything that may be a key.
"""

from __future__ import annotations

import difflib
import json
from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

from resolver.config.issues import Issue, Path, shown
from resolver.config.loader import LoadedConfig, is_secret_path
from resolver.secrets import Opaque, SecretRef

_TYPE_NAMES = {
    "string": "a string",
    "number": "a number",
    "integer": "a whole number",
    "boolean": "true or false",
    "object": "a mapping",
    "array": "a list",
    "null": "nothing (null)",
}


@cache
def schema_text() -> str:
    return resources.files("resolver").joinpath("schemas/config.schema.json").read_text("utf-8")


@cache
def schema() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads(schema_text())
    return loaded


def _inline_refs(node: Any, defs: dict[str, Any]) -> Any:
    """Replace local ``$ref``s by their target: validation then skips reference lookups.

    The config schema has no recursive definitions, so this terminates.
    """
    if isinstance(node, dict):
        out = {k: _inline_refs(v, defs) for k, v in node.items() if k != "$ref"}
        ref = node.get("$ref")
        if isinstance(ref, str) and ref.startswith("#/$defs/"):
            target = _inline_refs(defs[ref[len("#/$defs/") :]], defs)
            return (
                {**target, **out}
                if not (set(target) & set(out) - {"description", "examples"})
                else {"allOf": [target], **out}
            )
        return out
    if isinstance(node, list):
        return [_inline_refs(v, defs) for v in node]
    return node


@cache
def _validator() -> Any:
    from jsonschema import Draft202012Validator
    from jsonschema.validators import extend

    def is_string(checker: Any, instance: Any) -> bool:
        return isinstance(instance, (str, SecretRef))

    checker = Draft202012Validator.TYPE_CHECKER.redefine("string", is_string)
    cls = extend(Draft202012Validator, type_checker=checker)  # type: ignore[no-untyped-call]
    full = schema()
    inlined = _inline_refs({k: v for k, v in full.items() if k != "$defs"}, full.get("$defs", {}))
    return cls(inlined)


def describe(value: Any) -> str:
    if value is None:
        return "nothing (null)"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, (int, float)):
        return "a number"
    if isinstance(value, (str, SecretRef)):
        return "a string"
    if isinstance(value, Opaque):
        return "a " + value.type_name
    if isinstance(value, list):
        return "a list"
    if isinstance(value, dict):
        return "a mapping"
    return type(value).__name__


def did_you_mean(word: str, options: Any, cutoff: float = 0.6) -> str:
    matches = difflib.get_close_matches(str(word), [str(o) for o in options], n=1, cutoff=cutoff)
    return f" (did you mean {matches[0]!r}?)" if matches else ""


def schema_issues(loaded: LoadedConfig) -> list[Issue]:
    out: list[Issue] = []
    for error in _validator().iter_errors(loaded.data):
        out.extend(_issues_for(error, loaded))
    return out


def _issues_for(error: Any, loaded: LoadedConfig) -> Iterator[Issue]:
    path: Path = tuple(error.absolute_path)
    kind = error.validator
    inst = error.instance
    if kind == "additionalProperties" and isinstance(inst, dict):
        known = list(error.schema.get("properties", {}))
        for key in inst:
            if key in known:
                continue
            hint = did_you_mean(key, known) or (f"; expected one of: {', '.join(known)}" if known else "")
            where = _section_name(path)
            yield loaded.issue((*path, key), "error", f"unknown key {shown(key)}{where}{hint}", key=True)
        return
    if kind in ("anyOf", "oneOf"):
        yield _any_of(error, loaded, path)
        return
    yield loaded.issue(path, "error", _message(error, path), key=kind == "required")


def _section_name(path: Path) -> str:
    if not path:
        return ""
    names = [p for p in path if isinstance(p, str)]
    if not names:
        return ""
    return f" in {names[-1]}" if shown(names[-1]) == repr(names[-1]) else " in a section"


def _any_of(error: Any, loaded: LoadedConfig, path: Path) -> Issue:
    from jsonschema.exceptions import best_match

    context = list(error.context or ())
    # A branch whose type does not even fit is not the one the author meant.
    wrong_type = {e.schema_path[0] for e in context if e.validator == "type" and not e.relative_path}
    fitting = [e for e in context if e.schema_path[0] not in wrong_type]
    if fitting:
        context = fitting
    elif context:
        wanted = []
        for e in context:
            t = e.validator_value
            for name in t if isinstance(t, list) else [t]:
                if _TYPE_NAMES.get(name) and _TYPE_NAMES[name] not in wanted:
                    wanted.append(_TYPE_NAMES[name])
        return loaded.issue(path, "error", f"expected {' or '.join(wanted)}, got {describe(error.instance)}")
    best = best_match(context) if context else None
    if best is None:
        return loaded.issue(path, "error", "value does not match any accepted form")
    sub = list(_issues_for(best, loaded))
    return sub[0] if sub else loaded.issue(path, "error", _message(best, tuple(best.absolute_path)))


def _message(error: Any, path: Path) -> str:
    kind = error.validator
    value = error.validator_value
    inst = error.instance
    secret = is_secret_path(path)
    if kind == "type":
        types = value if isinstance(value, list) else [value]
        wanted = " or ".join(_TYPE_NAMES.get(str(t), str(t)) for t in types)
        return f"expected {wanted}, got {describe(inst)}"
    if kind == "enum":
        echo = "" if secret or not isinstance(inst, str) else f" {shown(inst)}"
        noun = "strategy" if path and path[0] == "credential_pool_strategies" else "value"
        hint = did_you_mean(inst, value) if isinstance(inst, str) and not secret else ""
        return f"unknown {noun}{echo}{hint}; expected one of: {', '.join(map(str, value))}"
    if kind == "const":
        if path == ("version",):
            return f"unsupported version {shown(inst)}; this resolver reads version {value} (or leave it out)"
        return f"must be {value!r}"
    if kind == "required":
        missing = [k for k in value if not isinstance(inst, dict) or k not in inst]
        return f"missing required key {missing[0]!r}" if missing else "missing a required key"
    if kind in ("minimum", "exclusiveMinimum"):
        op = ">=" if kind == "minimum" else ">"
        return f"must be a number {op} {value}, got {inst}"
    if kind == "minLength":
        return "must not be empty"
    if kind == "pattern":
        return "is not a valid environment variable name (letters, digits and _, not starting with a digit)"
    return f"invalid value ({kind})"
