"""When does the provider say a limit resets? Parsed from headers and error bodies.

Every function returns *seconds from now* (a float >= 0) or None when nothing
usable was said; unparsable values are ignored, never guessed. Header names
are case-insensitive. Formats understood:

- ``Retry-After``: seconds, or an HTTP date
- ``retry-after-ms``: milliseconds
- ``x-ratelimit-reset-requests`` / ``x-ratelimit-reset-tokens``: Go-style
  durations (``1s``, ``6m0s``, ``20ms``, ``1h2m3.5s``)
- ``x-ratelimit-reset``: seconds, or epoch seconds
- ``anthropic-ratelimit-*-reset``: RFC 3339 times
- in the body: ``reset_at`` / ``resets_at`` (epoch seconds or milliseconds,
  or ISO 8601), ``quotaResetDelay`` (``"56.9s"``), "retry after N seconds",
  "try again in 20s", "resets in 4hr 5min"
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from datetime import UTC
from typing import Any

_DURATION_PART = re.compile(
    r"(\d+(?:\.\d+)?)\s*(milliseconds?|ms|hours?|hrs?|h|minutes?|mins?|m|seconds?|secs?|s|days?|d)(?![a-z])", re.I
)
_UNIT = {"ms": 0.001, "h": 3600.0, "m": 60.0, "s": 1.0, "d": 86400.0}


def normalize_headers(headers: Any) -> dict[str, str]:
    """Any mapping (dict, httpx.Headers, …) or list of pairs → ``{lower-case name: value}``."""
    if not headers:
        return {}
    items: Iterable[tuple[Any, Any]] = headers.items() if hasattr(headers, "items") else headers
    return {str(k).lower(): str(v) for k, v in items}


def parse_duration(text: str) -> float | None:
    """``6m0s`` → 360.0, ``20ms`` → 0.02, ``4hr 5min`` → 14700.0, ``12`` → 12.0."""
    text = text.strip().strip("\"'")
    if not text:
        return None
    try:
        return max(float(text), 0.0)
    except ValueError:
        pass
    if re.sub(r"[\s,]|\band\b", "", _DURATION_PART.sub("", text)):
        return None  # something that is not a duration is left over
    total, seen = 0.0, False
    for m in _DURATION_PART.finditer(text):
        unit = m.group(2).lower()
        key = "ms" if unit.startswith(("ms", "milli")) else unit[0]
        total += float(m.group(1)) * _UNIT[key]
        seen = True
    return total if seen else None


def _epoch_or_seconds(value: float, now: float) -> float | None:
    if value > 1e12:  # epoch milliseconds
        return value / 1000.0 - now
    if value > 1e9:  # epoch seconds
        return value - now
    return value


def _timestamp(text: str, now: float) -> float | None:
    """ISO 8601 / RFC 3339 / HTTP date → seconds from now."""
    from datetime import datetime

    text = text.strip().strip("\"'")
    try:
        dt = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        from email.utils import parsedate_to_datetime

        try:
            dt = parsedate_to_datetime(text)
        except (TypeError, ValueError, IndexError):
            return None
    if dt.tzinfo is None:
        dt = dt.replace(tzinfo=UTC)
    return dt.timestamp() - now


def from_headers(headers: Mapping[str, str], now: float) -> float | None:
    found: list[float] = []
    if "retry-after-ms" in headers:
        ms = parse_duration(headers["retry-after-ms"])
        if ms is not None:
            found.append(ms / 1000.0)
    if "retry-after" in headers:
        value = headers["retry-after"].strip()
        secs = parse_duration(value) if re.fullmatch(r"\d+(\.\d+)?", value) else _timestamp(value, now)
        if secs is not None:
            found.append(secs)
    for name in ("x-ratelimit-reset-requests", "x-ratelimit-reset-tokens"):
        if name in headers:
            secs = parse_duration(headers[name])
            if secs is not None:
                found.append(secs)
    if "x-ratelimit-reset" in headers:
        try:
            secs = _epoch_or_seconds(float(headers["x-ratelimit-reset"]), now)
        except ValueError:
            secs = None
        if secs is not None:
            found.append(secs)
    for name, value in headers.items():
        if name.startswith("anthropic-ratelimit-") and name.endswith("-reset"):
            secs = _timestamp(value, now)
            if secs is not None:
                found.append(secs)
    usable = [s for s in found if s >= 0]
    return max(usable) if usable else None


_BODY_PATTERNS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"\"?resets?_at\"?\s*[:=]\s*\"?([0-9]{9,14}(?:\.[0-9]+)?)\"?", re.I), "epoch"),
    (re.compile(r"\"?resets?_at\"?\s*[:=]\s*\"([0-9]{4}-[0-9]{2}-[0-9]{2}[T ][^\"]+)\"", re.I), "iso"),
    (re.compile(r"\"?quotaResetDelay\"?\s*[:=]\s*\"([^\"]+)\"", re.I), "duration"),
    (
        re.compile(
            r"retry[ -]?after[: ]+(\d+(?:\.\d+)?\s*(?:ms|milliseconds?|s|secs?|seconds?|m|mins?|minutes?|h|hrs?|hours?)?)",
            re.I,
        ),
        "duration",
    ),
    (re.compile(r"try again in\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)", re.I), "duration"),
    (re.compile(r"resets? in\s+((?:\d+(?:\.\d+)?\s*[a-z]+[\s,]*(?:and\s+)?)+)", re.I), "duration"),
)


def from_body(message: str | None, now: float) -> float | None:
    if not message:
        return None
    for pattern, kind in _BODY_PATTERNS:
        m = pattern.search(message)
        if not m:
            continue
        raw = m.group(1)
        if kind == "epoch":
            secs = _epoch_or_seconds(float(raw), now)
        elif kind == "iso":
            secs = _timestamp(raw, now)
        else:
            text = raw.strip().rstrip(".,")
            secs = parse_duration(text if re.search(r"[a-z]", text, re.I) else text + "s")
        if secs is not None and secs >= 0:
            return secs
    return None


def provider_reset(headers: Mapping[str, str], message: str | None, now: float) -> float | None:
    """The provider's own word on when to come back, headers first, then the body."""
    secs = from_headers(headers, now)
    return secs if secs is not None else from_body(message, now)
