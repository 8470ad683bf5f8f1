"""Read YAML into plain data while remembering where every node came from.

ruamel.yaml composes the document (with its C parser when available, which
keeps the marks of every node); this module turns the node tree into plain
Python data plus a table ``path → (line, column)`` (1-based) for values and
one for mapping keys, so that every later problem can point at the place a
person edits. Duplicate keys, tabs, syntax errors, an empty file, a root that
is not a mapping and undecodable bytes all become :class:`Issue` objects.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from resolver.config.issues import Issue, Path, json_path, shown

_STR = "tag:yaml.org,2002:str"
_MERGE = "tag:yaml.org,2002:merge"
_SIMPLE = {
    "tag:yaml.org,2002:null",
    "tag:yaml.org,2002:bool",
    "tag:yaml.org,2002:int",
    "tag:yaml.org,2002:float",
}


@dataclass
class Document:
    """One parsed YAML source: data, value positions and key positions."""

    source: str
    data: Any = None
    values: dict[Path, tuple[int, int]] = field(default_factory=dict)
    keys: dict[Path, tuple[int, int]] = field(default_factory=dict)
    issues: list[Issue] = field(default_factory=list)

    def pos(self, path: Path) -> tuple[int, int]:
        """Best position for ``path``: its value, else its key, else its parent's."""
        p = tuple(path)
        while p:
            if p in self.values:
                return self.values[p]
            if p in self.keys:
                return self.keys[p]
            p = p[:-1]
        return self.values.get((), (1, 1))


_yaml: Any = None


def _fast_resolver() -> type:
    """ruamel's resolver, minus a per-scalar lookup of the document's YAML version.

    Config files are read as YAML 1.2 (ruamel's default); resolving the implicit
    tag of each plain scalar from one prepared table is ~3x faster on big files.
    """
    from ruamel.yaml.nodes import ScalarNode
    from ruamel.yaml.resolver import VersionedResolver

    class FastResolver(VersionedResolver):
        _by_char: dict[str, list[tuple[Any, Any]]]

        def resolve(self, kind: Any, value: Any, implicit: Any) -> Any:
            if kind is ScalarNode and implicit[0] and not self.yaml_path_resolvers:
                first = value[0] if value else ""
                try:
                    candidates = self._by_char[first]
                except AttributeError:
                    self._by_char = {}
                    return self.resolve(kind, value, implicit)
                except KeyError:
                    from ruamel.yaml.tag import Tag

                    table = self.versioned_resolver
                    candidates = self._by_char[first] = [
                        (Tag(suffix=tag), regexp) for tag, regexp in [*table.get(first, ()), *table.get(None, ())]
                    ]
                for tag, regexp in candidates:
                    if regexp.match(value):
                        return tag
                return self.DEFAULT_SCALAR_TAG
            return super().resolve(kind, value, implicit)

    return FastResolver


def _loader() -> Any:
    global _yaml
    if _yaml is None:
        from ruamel.yaml import YAML

        try:
            _yaml = YAML(typ="safe", pure=False)
        except Exception:  # pragma: no cover - no C extension on this interpreter
            _yaml = YAML(typ="safe", pure=True)
        _yaml.Resolver = _fast_resolver()
    return _yaml


def decode(raw: bytes, source: str) -> tuple[str | None, Issue | None]:
    """Bytes → text (UTF-8, BOM allowed), or an Issue at the first bad byte."""
    try:
        return raw.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        before = raw[: exc.start]
        line = before.count(b"\n") + 1
        col = exc.start - (before.rfind(b"\n") + 1) + 1
        return None, Issue(
            source,
            line,
            col,
            "error",
            f"file is not valid UTF-8 (byte 0x{raw[exc.start]:02x}); save it as UTF-8",
        )


def parse(text: str, source: str, *, require_mapping: bool = True) -> Document:
    """Parse YAML text. Problems land in ``Document.issues``; nothing raises."""
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    doc = Document(source)
    yaml = _loader()
    try:
        node = yaml.compose(text)
    except MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line, col = (mark.line + 1, mark.column + 1) if mark is not None else (1, 1)
        problem = " ".join(p for p in (exc.context, exc.problem) if p) or "invalid YAML"
        if mark is not None and _char_at(text, mark.line, mark.column) == "\t":
            problem += " (a tab: YAML indents with spaces only)"
        doc.issues.append(Issue(source, line, col, "error", f"YAML syntax error: {problem}"))
        return doc
    except YAMLError as exc:  # pragma: no cover - ruamel raises marked errors in practice
        doc.issues.append(Issue(source, 1, 1, "error", f"YAML error: {type(exc).__name__}"))
        return doc
    if node is None:
        if require_mapping:
            doc.issues.append(Issue(source, 1, 1, "error", "file is empty; expected a mapping such as 'model: {...}'"))
        return doc
    doc.data = _build(node, (), doc)
    if require_mapping and not isinstance(doc.data, dict):
        line, col = _mark(node)
        kind = type(doc.data).__name__ if doc.data is not None else "null"
        doc.issues.append(
            Issue(
                source,
                line,
                col,
                "error",
                f"the top level must be a mapping of sections (model:, providers:, ...), not a {_kind(kind)}",
            )
        )
        doc.data = None
    return doc


def _char_at(text: str, line: int, column: int) -> str:
    lines = text.splitlines()
    return lines[line][column : column + 1] if 0 <= line < len(lines) else ""


def _kind(name: str) -> str:
    return {"list": "list", "str": "string", "int": "number", "float": "number", "bool": "boolean"}.get(name, name)


def _mark(node: Any) -> tuple[int, int]:
    m = node.start_mark
    return m.line + 1, m.column + 1


def _build(node: Any, path: Path, doc: Document) -> Any:
    from ruamel.yaml.nodes import MappingNode, SequenceNode

    doc.values[path] = _mark(node)
    if isinstance(node, MappingNode):
        out: dict[str, Any] = {}
        merged: list[Any] = []
        for key_node, value_node in node.value:
            if key_node.tag == _MERGE:
                merged.append(value_node)
                continue
            if isinstance(key_node, (MappingNode, SequenceNode)):
                line, col = _mark(key_node)
                doc.issues.append(
                    Issue(
                        doc.source,
                        line,
                        col,
                        "error",
                        "a key must be a plain name, not a list or mapping",
                        json_path(path),
                    )
                )
                continue
            key = str(key_node.value)
            child = (*path, key)
            if key in out:
                line, col = _mark(key_node)
                first = doc.keys.get(child, (0, 0))[0]
                doc.issues.append(
                    Issue(
                        doc.source,
                        line,
                        col,
                        "error",
                        f"duplicate key {shown(key)} (first defined on line {first}); keep one",
                        json_path(child),
                    )
                )
                continue
            doc.keys[child] = _mark(key_node)
            out[key] = _build(value_node, child, doc)
        for m in merged:  # YAML merge keys (<<: *anchor): explicit keys win
            sources = m.value if isinstance(m, SequenceNode) else [m]
            for src in sources:
                if not isinstance(src, MappingNode):
                    continue
                extra = _build(src, path, doc)
                for k, v in extra.items():
                    out.setdefault(k, v)
        return out
    if isinstance(node, SequenceNode):
        return [_build(item, (*path, i), doc) for i, item in enumerate(node.value)]
    return _scalar(node)


def _scalar(node: Any) -> Any:
    tag = node.tag
    if tag == _STR:
        return node.value
    if tag in _SIMPLE:
        try:
            return _loader().constructor.construct_object(node, deep=True)
        except (ValueError, TypeError, ArithmeticError):  # e.g. "+_" matches ruamel's int pattern
            return node.value
    if tag == "tag:yaml.org,2002:timestamp":
        return str(node.value)
    # binary, custom tags (!Ref ...): keep the text, the schema will judge it
    value = node.value
    return value if isinstance(value, str) else str(value)


def scalar_from_text(text: str) -> Any:
    """Parse a ``--set`` value the way YAML would (``600`` → int, ``[a, b]`` → list)."""
    doc = parse(text, "<--set>", require_mapping=False)
    if doc.issues:
        return text
    value = doc.data
    return "" if value is None and text.strip() == "" else value
