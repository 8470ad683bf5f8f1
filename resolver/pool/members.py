"""The credentials of one pool right now: plan sources × environment × state.

A :class:`Member` is one credential as the resolver sees it: its id, place in
the pool order, where its secret lives, and a process-local hash of the
secret to notice when an environment variable changed underneath us. It never
holds the secret itself (owned secrets stay in the store's records).

Order (DESIGN §5): explicit ``priority`` first (lower first), then declared
sources in plan order, then owned credentials in the order they were added.
One secret reached through two references is one credential (same
fingerprint); suppressed fingerprints are left out.
"""

from __future__ import annotations

from resolver._frozen import Frozen, _set
from resolver.secrets import SecretRef, fingerprint, sha256_hex

TYPE_CHECKING = False
if TYPE_CHECKING:
    from collections.abc import Mapping

    from resolver.plan.model import PoolPlan
    from resolver.state.base import PoolView, Record


class Member(Frozen):
    """One credential of a pool.

    ``source``: ``env:OPENROUTER_API_KEY``, ``config:…``, ``file:…`` or ``manual``;
    ``ref`` is None for owned credentials; ``fingerprint`` is None when the
    source is missing in this process; ``value_hash`` is ``hash()`` of the
    secret at build time (process-local, 0 when missing).
    """

    __slots__ = (
        "auth_type",
        "base_url",
        "fingerprint",
        "id",
        "label",
        "order",
        "owned",
        "priority",
        "ref",
        "source",
        "value_hash",
        "weight",
    )  # fmt: skip
    id: str
    order: int
    label: str
    source: str
    ref: SecretRef | None
    fingerprint: str | None
    priority: int | None
    weight: float
    base_url: str | None
    auth_type: str
    owned: bool
    value_hash: int

    def __init__(
        self,
        *,
        id: str,
        order: int,
        label: str,
        source: str,
        ref: SecretRef | None,
        fingerprint: str | None,
        priority: int | None,
        weight: float,
        base_url: str | None,
        auth_type: str,
        owned: bool,
        value_hash: int,
    ) -> None:
        for field_name, value in (
            ("id", id), ("order", order), ("label", label), ("source", source), ("ref", ref),
            ("fingerprint", fingerprint), ("priority", priority), ("weight", weight),
            ("base_url", base_url), ("auth_type", auth_type), ("owned", owned), ("value_hash", value_hash),
        ):  # fmt: skip
            _set(self, field_name, value)

    @property
    def present(self) -> bool:
        return self.fingerprint is not None

    def seed(self) -> Record:
        """What the store may keep about this credential (never a borrowed secret)."""
        return {
            "fingerprint": self.fingerprint,
            "label": self.label,
            "source": self.source,
            "auth_type": self.auth_type,
            "priority": self.priority,
            "weight": self.weight,
            "base_url": self.base_url,
        }

    def read(self, creds: Mapping[str, Record], environ: Mapping[str, str]) -> str | None:
        """The secret now: from its source, or from the store's record for owned credentials."""
        if self.owned:
            rec = creds.get(self.id)
            value = rec.get("secret") if rec else None
            return value if isinstance(value, str) and value else None
        assert self.ref is not None
        if self.ref.kind == "env":  # the hot path: no function call chain
            value = environ.get(self.ref.name)
            if value:
                value = value.strip()
                return value or None
            return self.ref.default.read(dict(environ)) if self.ref.default else None
        return self.ref.read(dict(environ))


def borrowed_id(fp: str) -> str:
    """Credential id of a borrowed secret: stable across processes, not reversible."""
    return fp[7:19]


def missing_id(ref: SecretRef) -> str:
    return "m-" + sha256_hex(ref.describe().encode())[:10]


def build_members(pool: PoolPlan, view: PoolView, environ: Mapping[str, str]) -> tuple[Member, ...]:
    entries: list[tuple[tuple[int, int, int], Member]] = []
    index = 0
    env = dict(environ) if not isinstance(environ, dict) else environ
    for src in pool.sources:
        value = src.ref.read(env)
        fp = fingerprint(value) if value else None
        member = Member(
            id=borrowed_id(fp) if fp else missing_id(src.ref),
            order=0,
            label=src.label,
            source=src.ref.describe(),
            ref=src.ref,
            fingerprint=fp,
            priority=src.priority,
            weight=src.weight,
            base_url=src.base_url,
            auth_type="api_key",
            owned=False,
            value_hash=hash(value) if value else 0,
        )
        entries.append((_sort_key(src.priority, index), member))
        index += 1
    owned = [(cid, rec) for cid, rec in view.credentials.items() if rec.get("secret")]
    owned.sort(key=lambda item: (float(item[1].get("added_at") or 0.0), item[0]))
    for cid, rec in owned:
        secret = rec["secret"]
        member = Member(
            id=cid,
            order=0,
            label=str(rec.get("label") or cid),
            source=str(rec.get("source") or "manual"),
            ref=None,
            fingerprint=rec.get("fingerprint") or fingerprint(secret),
            priority=rec.get("priority"),
            weight=float(rec.get("weight") or 1.0),
            base_url=rec.get("base_url"),
            auth_type=str(rec.get("auth_type") or "api_key"),
            owned=True,
            value_hash=hash(secret),
        )
        entries.append((_sort_key(member.priority, index), member))
        index += 1
    entries.sort(key=lambda e: e[0])
    out: list[Member] = []
    seen: set[str] = set()
    for _key, m in entries:
        if m.fingerprint is not None:
            if m.fingerprint in seen or m.fingerprint in view.suppressed:
                continue
            seen.add(m.fingerprint)
        elif any(o.id == m.id for o in out):
            continue
        out.append(_with_order(m, len(out)))
    return tuple(out)


def _sort_key(priority: int | None, index: int) -> tuple[int, int, int]:
    return (0, priority, index) if priority is not None else (1, 0, index)


def _with_order(m: Member, order: int) -> Member:
    new: Member = m._replace(order=order)  # type: ignore[assignment]
    return new


def describe_state(rec: Record | None, now: float) -> tuple[bool, str, float | None]:
    """(available, reason, back_at) of a credential record at ``now``."""
    if rec is None:
        return True, "ok", None
    status = rec.get("status", "ok")
    if status == "dead":
        reason = rec.get("last_error_reason") or "dead"
        return False, f"dead: {reason} — re-add or reset", None
    until = float(rec.get("cooldown_until") or 0.0)
    if until > now:
        code = rec.get("last_error_code")
        kind = rec.get("last_error_reason") or "cooling down"
        label = f"{kind} ({code})" if code else str(kind)
        return False, label, until
    return True, "ok", None
