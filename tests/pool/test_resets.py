"""Provider reset times from headers and bodies; the outcome classification table."""

from __future__ import annotations

from datetime import UTC, datetime
from email.utils import formatdate

import pytest

from resolver.pool.policy import POLICY, backoff, classify
from resolver.pool.resets import from_body, from_headers, normalize_headers, parse_duration, provider_reset

NOW = 1_800_000_000.0


def iso(offset: float) -> str:
    return datetime.fromtimestamp(NOW + offset, UTC).isoformat().replace("+00:00", "Z")


@pytest.mark.parametrize(
    ("text", "seconds"),
    [("1s", 1), ("6m0s", 360), ("20ms", 0.02), ("1h2m3.5s", 3723.5), ("4hr 5min", 14700), ("12", 12),
     ("2 minutes and 3 seconds", 123), ("1d", 86400), ("abc", None), ("5x", None), ("", None)],
)  # fmt: skip
def test_durations(text, seconds) -> None:
    assert parse_duration(text) == seconds


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [
        ({"Retry-After": "30"}, 30),
        ({"retry-after": "2.5"}, 2.5),
        ({"RETRY-AFTER": formatdate(NOW + 120, usegmt=True)}, 120),
        ({"retry-after-ms": "1500"}, 1.5),
        ({"x-ratelimit-reset-requests": "6m0s", "x-ratelimit-reset-tokens": "20ms"}, 360),
        ({"X-RateLimit-Reset-Tokens": "1m30s"}, 90),
        ({"x-ratelimit-reset": str(int(NOW + 45))}, 45),
        ({"x-ratelimit-reset": "7"}, 7),
        ({"anthropic-ratelimit-requests-reset": iso(90)}, 90),
        ({"anthropic-ratelimit-output-tokens-reset": iso(15), "anthropic-ratelimit-input-tokens-reset": iso(40)}, 40),
        ({"retry-after": "soon"}, None),
        ({"retry-after": formatdate(NOW - 100, usegmt=True)}, None),
        ({}, None),
    ],
)
def test_reset_headers(headers, seconds) -> None:
    got = from_headers(normalize_headers(headers), NOW)
    assert got == pytest.approx(seconds, abs=1) if seconds is not None else got is None


@pytest.mark.parametrize(
    ("body", "seconds"),
    [
        (f'{{"error": {{"reset_at": {int(NOW + 300)}}}}}', 300),
        (f'{{"error": {{"resets_at": {int((NOW + 600) * 1000)}}}}}', 600),
        (f'{{"resets_at": "{iso(90)}"}}', 90),
        ('{"error": {"details": [{"quotaResetDelay": "56.918s"}]}}', 56.918),
        ("Please retry after 20 seconds.", 20),
        ("Rate limit reached for gpt-4o. Please try again in 6.5s.", 6.5),
        ("Usage limit reached, resets in 4hr 5min", 14700),
        ("retry-after: 3", 3),
        ("something went wrong", None),
        (None, None),
    ],
)
def test_reset_in_bodies(body, seconds) -> None:
    got = from_body(body, NOW)
    assert got == pytest.approx(seconds, abs=1) if seconds is not None else got is None


def test_headers_win_over_the_body() -> None:
    assert provider_reset({"retry-after": "5"}, "retry after 500 seconds", NOW) == 5
    assert provider_reset({}, "retry after 500 seconds", NOW) == 500


class HeadersLike:
    """What httpx.Headers looks like from here: items() with any case."""

    def __init__(self, pairs: list[tuple[str, str]]) -> None:
        self._pairs = pairs

    def items(self) -> list[tuple[str, str]]:
        return self._pairs


def test_any_header_container_is_case_insensitive() -> None:
    assert normalize_headers(HeadersLike([("Retry-After", "9")])) == {"retry-after": "9"}
    assert normalize_headers([("X-RateLimit-Reset-Requests", "1s")]) == {"x-ratelimit-reset-requests": "1s"}
    assert normalize_headers(None) == {}


@pytest.mark.parametrize(
    ("status", "message", "kind"),
    [
        (429, "Rate limit exceeded", "rate_limited"),
        (429, "Usage limit reached for your plan", "usage_limit"),
        (429, '{"error": {"code": "insufficient_quota"}}', "usage_limit"),
        (429, "You exceeded your current quota", "usage_limit"),
        (402, "", "billing"),
        (403, "Key limit exceeded", "billing"),
        (400, "Your credit balance is too low", "billing"),
        (400, "insufficient credits", "billing"),
        (401, "invalid api key", "auth"),
        (401, '{"error": "invalid_grant"}', "revoked"),
        (401, "token_revoked", "revoked"),
        (401, "refresh_token_reused", "revoked"),
        (403, "forbidden region", "forbidden"),
        (500, "", "server_error"),
        (503, "overloaded", "server_error"),
        (None, "", "network"),
        (400, "bad request: messages missing", "request_error"),
        (404, "model not found", "request_error"),
    ],
)
def test_classification(status, message, kind) -> None:
    assert classify(status, message) == kind
    assert kind in POLICY


def test_backoff_doubles_and_is_capped() -> None:
    assert [backoff(n) for n in (1, 2, 3, 4, 10)] == [1, 2, 4, 8, 30]
