"""The state store contract (DESIGN §8).

State is what changes at run time: per credential its status, cooldown,
last error and request count; per pool the round-robin cursor, the owned
credentials (``resolver auth add``) and the suppressed fingerprints. A plan
never holds any of it.

Layout of the state (the same in every store)::

    {"version": 1,
     "pools": {"<pool key>": {
         "cursor": "<credential id last picked>" | null,
         "credentials": {"<id>": {"fingerprint": "sha256:…", "label": "…", "source": "env:X" | "manual",
                                  "auth_type": "api_key", "priority": null, "weight": 1.0,
                                  "base_url": null, "secret": "<owned only>", "added_at": 0.0,
                                  "status": "ok" | "exhausted" | "dead", "status_at": 0.0,
                                  "cooldown_until": 0.0, "last_error_code": null,
                                  "last_error_reason": null, "request_count": 0}},
         "suppressed": {"sha256:…": {"at": 0.0, "source": "env:X"}}}}}

Contract of every store:

- ``view(pool)`` returns the freshest state of one pool that the store can
  see; a status change written by any process is visible at the next call.
- ``claim(pool, choose)`` is atomic: ``choose(view)`` picks a credential id
  (or None) and the store counts the use and moves the cursor in the same
  critical section. Counters and cursor may be persisted later, in batches,
  merged as deltas (never lost, never double-counted).
- ``transition(pool, id, mutate)`` is atomic and written through before it
  returns: read the freshest record, ``mutate`` it, persist.
- A store that cannot read its backing data raises ``StateError`` and changes
  nothing.
"""

from __future__ import annotations

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any, Protocol

    Record = dict[str, Any]
else:
    Protocol = object
    Record = dict

STATE_VERSION = 1


def new_record(**fields: Any) -> Record:
    """A credential record with every state field at its default."""
    record: Record = {
        "fingerprint": None,
        "label": None,
        "source": None,
        "auth_type": "api_key",
        "priority": None,
        "weight": 1.0,
        "base_url": None,
        "added_at": 0.0,
        "status": "ok",
        "status_at": 0.0,
        "cooldown_until": 0.0,
        "last_error_code": None,
        "last_error_reason": None,
        "request_count": 0,
    }
    record.update(fields)
    return record


class PoolView:
    """The state of one pool, as the store last saw it. Read-only for callers.

    ``membership`` changes whenever owned credentials or suppressions change,
    so callers can cache what they derive from those. A store may move
    ``cursor`` and counts in place when it claims.
    """

    __slots__ = ("credentials", "cursor", "membership", "suppressed")

    def __init__(
        self,
        credentials: Mapping[str, Record] | None = None,
        suppressed: frozenset[str] = frozenset(),
        cursor: str | None = None,
        membership: tuple[Any, ...] = (),
    ) -> None:
        self.credentials: Mapping[str, Record] = credentials if credentials is not None else {}
        self.suppressed = suppressed
        self.cursor = cursor
        self.membership = membership


def view_of(pool: Mapping[str, Any] | None, pending: Mapping[str, int] | None = None) -> PoolView:
    if not pool:
        return PoolView()
    creds: Mapping[str, Record] = pool.get("credentials") or {}
    if pending:
        creds = {
            cid: ({**rec, "request_count": rec.get("request_count", 0) + pending[cid]} if cid in pending else rec)
            for cid, rec in creds.items()
        }
    suppressed = frozenset(pool.get("suppressed") or ())
    owned = tuple(sorted(cid for cid, rec in creds.items() if rec.get("secret") is not None))
    return PoolView(creds, suppressed, pool.get("cursor"), (owned, tuple(sorted(suppressed))))


if TYPE_CHECKING:
    Chooser = Callable[[PoolView], tuple[str, Record] | None]


class StateStore(Protocol):
    """What the resolver needs from a state backend (memory, file, redis)."""

    url: str

    def view(self, pool_key: str) -> PoolView: ...

    def claim(self, pool_key: str, choose: Chooser) -> tuple[str, Record] | None:
        """Atomically pick with ``choose`` and count the use. Returns the pick.

        ``choose`` returns ``(credential_id, seed_record)``; the seed creates the
        record (fingerprint, label, source; never a borrowed secret) if missing.
        """
        ...

    def transition(self, pool_key: str, cred_id: str, mutate: Callable[[Record], None], seed: Record) -> Record:
        """Atomically apply ``mutate`` to the freshest record (created from ``seed``), write through."""
        ...

    def update(self, pool_key: str, change: Callable[[dict[str, Any]], Any]) -> Any:
        """Atomically apply ``change`` to the freshest pool document (cursor, credentials,
        suppressed) and write it through; returns what ``change`` returned. ``change`` may
        raise to refuse: then nothing is written."""
        ...

    def add(self, pool_key: str, cred_id: str, record: Record) -> None: ...

    def remove(
        self, pool_key: str, cred_id: str, *, suppress: str | None = None, source: str | None = None
    ) -> bool: ...

    def unsuppress(self, pool_key: str, fingerprint: str | None = None) -> int: ...

    def dump(self) -> dict[str, Any]:
        """The whole state (secrets of owned credentials included): for tests and export."""
        ...

    def flush(self) -> None: ...

    def close(self) -> None: ...
