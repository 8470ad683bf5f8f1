"""Load config.yaml: files and overlays layered, ``--set`` overrides, interpolation.

Data flow inside this step::

    file / overlay bytes ──yamlread──▶ Document (data + line:column of every node)
        secret fields ──▶ SecretRef (env name / file path / "literal in this file")
        non-secret ``${...}`` ──▶ OmegaConf resolves them (env, file, oc.env, node refs)
    layers merged with OmegaConf (mappings merge, lists replace); ``--set`` applied last
    provenance merged with the same rule, so every value knows its file:line:column

OmegaConf is only brought in when there is something for it to do (more than
one layer, a ``--set``, or an interpolation outside secret fields): a single
plain file is read as is, which keeps ``validate`` linear on huge configs.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any

from resolver.config.issues import Issue, Path, Severity, json_path, shown
from resolver.config.literals import remember_override
from resolver.config.yamlread import Document, decode, parse, scalar_from_text
from resolver.errors import ConfigFileError, UsageError
from resolver.secrets import Opaque, SecretRef, parse_reference

# Top-level sections owned by provider-resolver; everything else belongs to the agent.
SECTIONS = (
    "version",
    "model",
    "providers",
    "custom_providers",
    "credential_pool_strategies",
    "cooldowns",
    "fallback_providers",
    "fallback_model",
    "runtime",
    "state",
)

_INTERP = re.compile(r"\$\{\s*(?:oc\.)?env:\s*([A-Za-z_][A-Za-z0-9_]*)")
_FILE_INTERP = re.compile(r"\$\{file:\s*([^},]+?)\s*\}")
_PLACEHOLDER = "\x00resolver-secret:"

Position = tuple[str, int, int]


# Where credentials live ("*": any key, "#": any list index). The schema marks the
# same fields "x-secret"; a test keeps the two in step.
_ENDPOINTS = (
    ("model",),
    ("fallback_model",),
    ("providers", "*"),
    ("custom_providers", "#"),
    ("fallback_providers", "#"),
)
SECRET_PATHS: tuple[tuple[str, ...], ...] = (
    ("model", "api"),
    *((*e, "api_key") for e in _ENDPOINTS),
    *((*e, "headers", "*") for e in _ENDPOINTS),
    ("providers", "*", "keys", "#", "api_key"),
    ("custom_providers", "#", "keys", "#", "api_key"),
)


def is_secret_path(path: Path) -> bool:
    """True for fields that hold credentials: every ``api_key``, ``model.api``, header values."""
    if not path or (path[-1] not in ("api_key", "api") and (len(path) < 2 or path[-2] != "headers")):
        return False  # the common case, decided without the pattern table
    for pattern in SECRET_PATHS:
        if len(pattern) == len(path) and all(
            (p == "*" and isinstance(x, str)) or (p == "#" and isinstance(x, int)) or p == x
            for p, x in zip(pattern, path, strict=True)
        ):
            return True
    return False


@dataclass
class LoadedConfig:
    """The merged configuration, before validation.

    ``data`` holds plain values; secret fields hold :class:`SecretRef` objects
    (or ``""`` for an empty literal), never a secret value.
    """

    data: dict[str, Any]
    files: tuple[str, ...]
    values: dict[Path, Position] = field(default_factory=dict)
    keys: dict[Path, Position] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)
    env_names: set[str] = field(default_factory=set)  # every variable the config refers to
    file_refs: set[str] = field(default_factory=set)
    plain_env: set[str] = field(default_factory=set)  # variables whose *values* end up in the data
    plain_files: set[str] = field(default_factory=set)  # files whose contents end up in the data
    top_keys: dict[str, Position] = field(default_factory=dict)

    def where(self, path: Path, *, key: bool = False) -> Position:
        """file, line, column of ``path`` (its key when ``key``), else of its closest ancestor."""
        p = tuple(path)
        if key and p in self.keys:
            return self.keys[p]
        while p:
            if p in self.values:
                return self.values[p]
            if p in self.keys:
                return self.keys[p]
            p = p[:-1]
        return self.values.get((), (self.files[0] if self.files else "<config>", 1, 1))

    def issue(self, path: Path, severity: Severity, message: str, *, key: bool = False) -> Issue:
        f, line, col = self.where(path, key=key)
        return Issue(f, line, col, severity, message, json_path(path))

    @property
    def ok(self) -> bool:
        return not any(i.severity == "error" for i in self.issues)


# ---------------------------------------------------------------------------
# reading files


def read_file(path: str) -> bytes:
    """Bytes of a config file, or ConfigFileError (exit 2) saying why it cannot be opened."""
    try:
        with open(path, "rb") as fh:
            return fh.read()
    except FileNotFoundError:
        raise ConfigFileError(path, "no such file") from None
    except IsADirectoryError:
        raise ConfigFileError(path, "is a directory, not a file") from None
    except PermissionError:
        raise ConfigFileError(path, "permission denied") from None
    except OSError as exc:
        raise ConfigFileError(path, exc.strerror or type(exc).__name__) from None


def _document(path: str) -> Document:
    text, problem = decode(read_file(path), path)
    if problem is not None:
        doc = Document(path)
        doc.issues.append(problem)
        return doc
    assert text is not None
    return parse(text, path)


# ---------------------------------------------------------------------------
# per-layer preparation: drop agent sections, extract secrets, note references


@dataclass
class _Layer:
    source: str
    data: dict[str, Any]
    values: dict[Path, Position]
    keys: dict[Path, Position]
    needs_interpolation: bool = False


def _walk(value: Any, path: Path = (), *, into_secrets: bool = True) -> Iterator[tuple[Path, Any]]:
    yield path, value
    if not into_secrets and is_secret_path(path):
        return  # a secret field is replaced whole; what is inside it is never looked at
    if isinstance(value, dict):
        for k, v in value.items():
            yield from _walk(v, (*path, k), into_secrets=into_secrets)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            yield from _walk(v, (*path, i), into_secrets=into_secrets)


def _set_at(root: Any, path: Path, value: Any) -> None:
    node = root
    for part in path[:-1]:
        node = node[part]
    node[path[-1]] = value


def _prepare(doc: Document, loaded: LoadedConfig, *, base_dir: str) -> _Layer:
    src = doc.source
    data: dict[str, Any] = {}
    raw = doc.data if isinstance(doc.data, dict) else {}
    for k, v in raw.items():
        kp = doc.keys.get((k,), (1, 1))
        loaded.top_keys.setdefault(k, (src, kp[0], kp[1]))
        if k in SECTIONS:
            data[k] = v
    layer = _Layer(
        src,
        data,
        {p: (src, *lc) for p, lc in doc.values.items() if not p or p[0] in SECTIONS},
        {p: (src, *lc) for p, lc in doc.keys.items() if p and p[0] in SECTIONS},
    )
    replacements: list[tuple[Path, Any]] = []
    for path, value in _walk(data, into_secrets=False):
        if is_secret_path(path):
            if isinstance(value, str):
                replacements.append((path, _secret(value, src, path, base_dir, loaded)))
            elif value is not None:
                replacements.append((path, Opaque(_type_name(value))))
        elif isinstance(value, str) and "${" in value:
            layer.needs_interpolation = True
            names = _INTERP.findall(value)
            loaded.env_names.update(names)
            loaded.plain_env.update(names)
            fixed = _absolute_file_refs(value, base_dir, loaded)
            if fixed != value:
                replacements.append((path, fixed))
    for path, value in replacements:
        _set_at(data, path, value)
    return layer


def _type_name(value: Any) -> str:
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, (int, float)):
        return "number"
    return {"list": "list", "dict": "mapping"}.get(type(value).__name__, type(value).__name__)


def _absolute_file_refs(value: str, base_dir: str, loaded: LoadedConfig) -> str:
    def repl(m: re.Match[str]) -> str:
        p = os.path.join(base_dir, os.path.expanduser(m.group(1)))
        loaded.file_refs.add(p)
        loaded.plain_files.add(p)
        return "${file:" + p + "}"

    return _FILE_INTERP.sub(repl, value)


def _secret(value: str, src: str, path: Path, base_dir: str, loaded: LoadedConfig) -> SecretRef | str:
    if not value.strip():
        return ""
    ref = parse_reference(value, where=src, path=path)
    if ref is None:
        return SecretRef("config", src, path)  # a literal: it stays in the file
    if ref.kind == "env":
        loaded.env_names.add(ref.name)
    elif ref.kind == "file":
        full = os.path.join(base_dir, os.path.expanduser(ref.name))
        loaded.file_refs.add(full)
        ref = SecretRef("file", full)
    return ref


# ---------------------------------------------------------------------------
# --set parsing

_SET_PART = re.compile(r"\[([^\]]*)\]|([^.\[\]]+)")


def parse_set(expr: str) -> tuple[Path, str]:
    """``a.b[custom:x.y].c=value`` → (("a", "b", "custom:x.y", "c"), "value")."""
    if "=" not in expr:
        raise UsageError(f"--set {expr!r}: expected KEY=VALUE, e.g. --set cooldowns.rate_limit=600")
    key, value = expr.split("=", 1)
    parts: list[str | int] = []
    pos = 0
    key = key.strip()
    while pos < len(key):
        if key[pos] == ".":
            pos += 1
            continue
        m = _SET_PART.match(key, pos)
        if not m:
            raise UsageError(f"--set {expr!r}: cannot read the key path at {key[pos:]!r}")
        bracket, plain = m.group(1), m.group(2)
        if bracket is not None:
            b = bracket.strip().strip("'\"")
            parts.append(int(b) if b.isdigit() else b)
        else:
            parts.append(plain)
        pos = m.end()
    if not parts:
        raise UsageError(f"--set {expr!r}: the key is empty")
    return tuple(parts), value


def set_source(raw: str, value: str, *, secret: bool) -> str:
    """How a ``--set`` is named in messages: the whole expression, or without its secret value."""
    return f"<--set {raw[: len(raw) - len(value)]}…>" if secret else f"<--set {raw}>"


# ---------------------------------------------------------------------------
# OmegaConf: resolvers registered once, never silently replaced

_RESOLVERS_READY = False


class _InterpolationProblem(Exception):
    pass


def _env_resolver(name: str, default: Any = None, *_rest: Any) -> Any:
    value = os.environ.get(str(name))
    if value is not None:
        return value
    if default is not None:
        return default
    raise _InterpolationProblem(
        f"environment variable {name} is not set (set it, or give a default: ${{env:{name},default}})"
    )


def _file_resolver(path: str) -> str:
    try:
        with open(os.path.expanduser(str(path)), encoding="utf-8") as fh:
            return fh.read().strip()
    except OSError as exc:
        raise _InterpolationProblem(f"cannot read {path}: {exc.strerror or type(exc).__name__}") from None


def _omegaconf() -> Any:
    global _RESOLVERS_READY
    from omegaconf import OmegaConf

    if not _RESOLVERS_READY:
        for name, fn in (("env", _env_resolver), ("file", _file_resolver)):
            if not OmegaConf.has_resolver(name):
                OmegaConf.register_resolver(name, fn)
        _RESOLVERS_READY = True
    return OmegaConf


def _interp_message(exc: Exception) -> str:
    text = str(exc).split("\n", 1)[0]
    text = re.sub(r"^\w+ raised while resolving interpolation: ", "", text)
    return text.strip("\"' ") or type(exc).__name__


# ---------------------------------------------------------------------------
# provenance merge: the same rule as OmegaConf.merge (mappings merge, the rest replaces)


def _merge_positions(base: dict[Path, Position], layer: dict[Path, Position], replaced: Iterable[Path]) -> None:
    for p in replaced:
        n = len(p)
        for q in [q for q in base if len(q) > n and q[:n] == p]:
            del base[q]
    base.update(layer)


def _replaced_paths(data: Any, path: Path = ()) -> Iterator[Path]:
    """Paths whose value replaces (rather than merges into) what a lower layer had."""
    if isinstance(data, dict):
        for k, v in data.items():
            yield from _replaced_paths(v, (*path, k))
    else:
        yield path


# ---------------------------------------------------------------------------


def load(
    config: str,
    overlays: Sequence[str] = (),
    sets: Sequence[str] = (),
) -> LoadedConfig:
    """Read, layer and interpolate. Problems are collected in ``.issues``.

    Raises ConfigFileError when a file cannot be opened at all and UsageError
    for a malformed ``--set``; every other mistake becomes an Issue.
    """
    files = (config, *overlays)
    loaded = LoadedConfig({}, tuple(files))
    docs = [_document(f) for f in files]
    parsed_sets = [parse_set(s) for s in sets]
    layers: list[_Layer] = []
    for doc in docs:
        loaded.issues.extend(doc.issues)
        if doc.data is not None:
            layers.append(_prepare(doc, loaded, base_dir=os.path.dirname(os.path.abspath(doc.source))))
    if not layers:
        return loaded

    need_oc = len(layers) > 1 or bool(parsed_sets) or any(lay.needs_interpolation for lay in layers)
    if not need_oc:
        only = layers[0]
        loaded.data, loaded.values, loaded.keys = only.data, only.values, only.keys
        return loaded
    _layer_with_omegaconf(loaded, layers, parsed_sets, sets)
    return loaded


def _layer_with_omegaconf(
    loaded: LoadedConfig,
    layers: list[_Layer],
    parsed_sets: list[tuple[Path, str]],
    raw_sets: Sequence[str],
) -> None:
    oc = _omegaconf()
    secrets: dict[str, SecretRef] = {}

    def hide(data: Any) -> Any:  # SecretRefs → placeholder strings OmegaConf can hold
        if isinstance(data, dict):
            return {k: hide(v) for k, v in data.items()}
        if isinstance(data, list):
            return [hide(v) for v in data]
        if isinstance(data, SecretRef):
            token = f"{_PLACEHOLDER}{len(secrets)}"
            secrets[token] = data
            return token
        return data

    merged: Any = None
    for layer in layers:
        _check_grammar(oc, layer, loaded)
        try:
            cfg = oc.create(hide(layer.data))
            merged = cfg if merged is None else oc.merge(merged, cfg)
        except Exception as exc:  # a shape OmegaConf cannot merge (mapping over scalar ...)
            loaded.issues.append(Issue(layer.source, 1, 1, "error", f"cannot merge this file: {_interp_message(exc)}"))
            continue
        _merge_positions(loaded.values, layer.values, _replaced_paths(layer.data))
        _merge_positions(loaded.keys, layer.keys, _replaced_paths(layer.data))
    if merged is None:
        return

    for (path, text), raw in zip(parsed_sets, raw_sets, strict=True):
        col = len(raw) - len(text) + 1
        secret_field = is_secret_path(path)
        source = set_source(raw, text, secret=secret_field)
        if path[0] not in SECTIONS:
            loaded.issues.append(
                Issue(
                    source,
                    1,
                    1,
                    "error",
                    f"--set: {path[0]!r} is not a section of the resolver config",
                    json_path(path),
                )
            )
            continue
        value: Any = scalar_from_text(text)
        if secret_field and isinstance(value, str):
            value = _secret(value, source, path, os.getcwd(), loaded)
            if isinstance(value, SecretRef):  # a literal, or the default of ${env:X,default}
                remember_override(source, path, text)
        elif secret_field and value is not None:
            value = Opaque(_type_name(value))
        elif isinstance(value, str) and "${" in value:
            names = _INTERP.findall(value)
            loaded.env_names.update(names)
            loaded.plain_env.update(names)
        try:
            node = merged
            for part in path[:-1]:
                if isinstance(part, int) or part in node:
                    node = node[part]
                else:
                    node[part] = {}
                    node = node[part]
            node[path[-1]] = hide(value)
        except Exception as exc:
            loaded.issues.append(
                Issue(source, 1, 1, "error", f"--set cannot apply here: {_interp_message(exc)}", json_path(path))
            )
            continue
        _merge_positions(loaded.values, {path: (source, 1, col)}, [path])
        loaded.keys[path] = (source, 1, 1)

    data = oc.to_container(merged, resolve=False)
    for path, value in list(_walk(data)):
        if isinstance(value, str) and value.startswith(_PLACEHOLDER):
            _set_at(data, path, secrets[value])
        elif isinstance(value, str) and "${" in value:
            try:
                node = merged
                for part in path:
                    node = node[part]
                resolved = oc.to_container(node, resolve=True) if oc.is_config(node) else node
            except Exception as exc:
                loaded.issues.append(
                    loaded.issue(path, "error", f"cannot resolve {shown(value)}: {_interp_message(exc)}")
                )
                resolved = None
            _set_at(data, path, resolved)
    loaded.data = data


def _check_grammar(oc: Any, layer: _Layer, loaded: LoadedConfig) -> None:
    """A malformed ``${...}`` would make OmegaConf refuse the whole file: find each one."""
    if not layer.needs_interpolation:
        return
    from omegaconf.errors import GrammarParseError

    bad: list[Path] = []
    for path, value in _walk(layer.data):
        if isinstance(value, str) and "${" in value:
            try:
                oc.create({"v": value})
            except GrammarParseError:
                bad.append(path)
    for path in bad:
        f, line, col = layer.values.get(path, (layer.source, 1, 1))
        loaded.issues.append(
            Issue(
                f,
                line,
                col,
                "error",
                "malformed interpolation; write ${env:VAR}, ${env:VAR,default} or ${file:PATH} (escape a literal as \\${...})",
                json_path(path),
            )
        )
        _set_at(layer.data, path, None)
