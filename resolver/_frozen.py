"""A tiny base for immutable value objects on the start-up path.

Why not ``@dataclass(frozen=True, slots=True)``: importing ``dataclasses``
pulls in ``inspect``, ``re``, ``enum`` and friends, and each decorated class
costs ~0.4 ms to build; together ~14 ms of a 30 ms start-up budget
(measured with ``python -X importtime``, see docs/performance.md). These
classes keep the same contract: slots, no attribute can be set after
``__init__``, equality and hash by value, a readable ``repr``.

Subclasses declare ``__slots__`` (the field order) and an ``__init__`` that
sets each field with ``_set(self, name, value)``.
"""

from __future__ import annotations

_set = object.__setattr__


class Frozen:
    __slots__: tuple[str, ...] = ()

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable; use _replace()")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"{type(self).__name__} is immutable")

    def _fields(self) -> tuple[object, ...]:
        return tuple(getattr(self, name) for name in self.__slots__)

    def __eq__(self, other: object) -> bool:
        if type(other) is not type(self):
            return NotImplemented
        return self._fields() == other._fields()

    def __hash__(self) -> int:
        return hash((type(self).__name__, self._fields()))

    def __repr__(self) -> str:
        inner = ", ".join(f"{name}={getattr(self, name)!r}" for name in self.__slots__)
        return f"{type(self).__name__}({inner})"

    def _replace(self, **changes: object) -> object:
        new = object.__new__(type(self))
        for name in self.__slots__:
            _set(new, name, changes.pop(name) if name in changes else getattr(self, name))
        if changes:
            raise TypeError(f"unknown field(s) for {type(self).__name__}: {', '.join(changes)}")
        return new

    def __reduce__(self) -> tuple[object, ...]:
        return (_rebuild, (type(self), self._fields()))

    def __copy__(self) -> object:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> object:
        return self


def _rebuild(cls: type[Frozen], values: tuple[object, ...]) -> Frozen:
    new = object.__new__(cls)
    for name, value in zip(cls.__slots__, values, strict=True):
        _set(new, name, value)
    return new
