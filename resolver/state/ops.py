"""Pure operations on the state document (a plain dict), shared by every store.

Each function mutates the document it is given; the store decides where the
document comes from and how the change is made atomic and durable.
"""

from __future__ import annotations

from resolver.state.base import STATE_VERSION, new_record

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Callable, Mapping
    from typing import Any

    from resolver.state.base import Record


def empty() -> dict[str, Any]:
    return {"version": STATE_VERSION, "pools": {}}


def pool_of(doc: dict[str, Any], pool_key: str) -> dict[str, Any]:
    pools = doc.setdefault("pools", {})
    pool: dict[str, Any] | None = pools.get(pool_key)
    if pool is None:
        pool = pools[pool_key] = {"cursor": None, "credentials": {}, "suppressed": {}}
    return pool


def record_of(doc: dict[str, Any], pool_key: str, cred_id: str, seed: Mapping[str, Any]) -> Record:
    creds = pool_of(doc, pool_key)["credentials"]
    rec: Record | None = creds.get(cred_id)
    if rec is None:
        rec = creds[cred_id] = new_record(**{k: v for k, v in seed.items() if k != "secret"})
    return rec


def apply_counts(
    doc: dict[str, Any], counts: Mapping[tuple[str, str], int], seeds: Mapping[tuple[str, str], Record]
) -> None:
    for (pool_key, cred_id), n in counts.items():
        rec = record_of(doc, pool_key, cred_id, seeds.get((pool_key, cred_id), {}))
        rec["request_count"] = int(rec.get("request_count", 0)) + n


def apply_cursors(doc: dict[str, Any], cursors: Mapping[str, str]) -> None:
    for pool_key, cred_id in cursors.items():
        pool_of(doc, pool_key)["cursor"] = cred_id


def transition(
    doc: dict[str, Any], pool_key: str, cred_id: str, mutate: Callable[[Record], None], seed: Record
) -> Record:
    rec = record_of(doc, pool_key, cred_id, seed)
    mutate(rec)
    return dict(rec)


def add(doc: dict[str, Any], pool_key: str, cred_id: str, record: Record) -> None:
    pool = pool_of(doc, pool_key)
    pool["credentials"][cred_id] = new_record(**record)
    fp = record.get("fingerprint")
    if fp:
        pool["suppressed"].pop(fp, None)  # re-adding lifts a suppression


def remove(
    doc: dict[str, Any], pool_key: str, cred_id: str, suppress: str | None, source: str | None, now: float
) -> bool:
    pool = pool_of(doc, pool_key)
    if suppress:  # a borrowed credential: hidden, its state kept (a bench is not escaped by remove + re-add)
        pool["suppressed"][suppress] = {"at": now, "source": source}
        found = True
    else:  # an owned credential: forgotten, secret and all
        found = pool["credentials"].pop(cred_id, None) is not None
    if pool.get("cursor") == cred_id:
        pool["cursor"] = None
    return found


def unsuppress(doc: dict[str, Any], pool_key: str, fingerprint: str | None) -> int:
    suppressed = pool_of(doc, pool_key)["suppressed"]
    if fingerprint is None:
        n = len(suppressed)
        suppressed.clear()
        return n
    return 1 if suppressed.pop(fingerprint, None) is not None else 0
