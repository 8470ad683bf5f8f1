"""The recovery policy (DESIGN §7) as data: what a failure means and what to do.

``classify()`` turns (status, message, network error) into an outcome name;
``POLICY`` says, for each outcome, whether to retry the same credential, which
cooldown of the pool applies, whether the credential is dead, and the reason
shown in listings. The durations themselves come from ``cooldowns:`` in the
config (per pool), so the table holds names, not numbers.
"""

from __future__ import annotations

import re
from typing import NamedTuple


class Action(NamedTuple):
    reason: str  # shown as "rate-limited (429) 42m left"
    cooldown: str | None  # which duration of the pool's CooldownPolicy, None = no cooldown
    retry_same: str | None = None  # "once_per_lease" | "server_retries" | None
    refresh: bool = False  # try the credential's refresh hook first (OAuth)
    dead: bool = False  # never comes back on a timer
    sole_cap: bool = True  # capped at sole_credential_max when it is the last credential
    rotate: bool = True  # move on to another credential / fallback


POLICY: dict[str, Action] = {
    # 429, first for this lease: retry the same credential once
    "rate_limited": Action("rate-limited", "rate_limit", retry_same="once_per_lease"),
    # 429 again, or a message saying a plan / usage limit is reached
    "usage_limit": Action("usage limit", "rate_limit"),
    # 402, or a billing message on 400/403: bench it for the billing period
    "billing": Action("billing", "billing", sole_cap=False),
    # 401: refresh (OAuth) and retry; else cool down and rotate
    "auth": Action("auth", "auth", refresh=True),
    # 401 saying the grant itself is gone
    "revoked": Action("dead", None, dead=True),
    # 403 that is not about billing
    "forbidden": Action("forbidden", "default"),
    # 5xx and network failures: retry the same credential with backoff, then rotate
    "server_error": Action("server error", "default", retry_same="server_retries"),
    "network": Action("network", "default", retry_same="server_retries"),
    # other 4xx (a bad request): the credential is not at fault
    "request_error": Action("request error", None, rotate=False),
}

_USAGE_LIMIT = re.compile(
    r"usage limit|quota exceeded|exceeded your current quota|insufficient_quota|plan limit|"
    r"limit reached for|daily limit|monthly limit|resource_exhausted|resource has been exhausted",
    re.I,
)
_BILLING = re.compile(
    r"insufficient credits?|insufficient (?:account )?balance|credit balance|key limit exceeded|"
    r"spending limit|billing|payment required|out of credits|add more credits",
    re.I,
)
_REVOKED = re.compile(r"invalid_grant|token_revoked|invalid_token|unauthorized_client|refresh_token_reused", re.I)


def classify(status: int | None, message: str | None = None, error: str | None = None) -> str:
    """The outcome name of a failed call (a key of ``POLICY``)."""
    text = message or ""
    if status is None:
        return "network"
    if status == 429:
        return "usage_limit" if _USAGE_LIMIT.search(text) else "rate_limited"
    if status == 402:
        return "billing"
    if status in (400, 403) and _BILLING.search(text):
        return "billing"
    if status == 401:
        return "revoked" if _REVOKED.search(text) else "auth"
    if status == 403:
        return "forbidden"
    if status >= 500:
        return "server_error"
    return "request_error"


def backoff(attempt: int) -> float:
    """Seconds to wait before same-credential retry number ``attempt`` (1, 2, …): 1, 2, 4, … ≤ 30."""
    return float(min(2 ** max(attempt - 1, 0), 30))


def cooldown_seconds(action: Action, durations: object, provider_reset: float | None, sole: bool) -> float:
    """How long the credential rests (DESIGN §7).

    The provider's reset time wins over the table (capped at ``max_reset`` by
    the caller); otherwise the pool's duration for this outcome, capped at
    ``sole_credential_max`` when this is the last credential standing (never
    for billing).
    """
    if provider_reset is not None:
        return provider_reset
    base = float(getattr(durations, action.cooldown or "default"))
    if sole and action.sole_cap:
        base = min(base, float(getattr(durations, "sole_credential_max")))  # noqa: B009 - duck-typed policy
    return base


def failure_mutation(action: Action, *, now: float, until: float, code: int | None, reason: str):  # type: ignore[no-untyped-def]
    """The state change of a failure, as a function the store applies atomically.

    A later, longer cooldown extends an earlier one; it never shortens it.
    """

    def mutate(rec: dict) -> None:  # type: ignore[type-arg]
        rec["status_at"] = now
        rec["last_error_code"] = code
        rec["last_error_reason"] = reason
        if action.dead:
            rec["status"] = "dead"
            return
        if rec.get("status") != "dead":
            rec["status"] = "exhausted"
        rec["cooldown_until"] = max(float(rec.get("cooldown_until") or 0.0), until)

    return mutate
