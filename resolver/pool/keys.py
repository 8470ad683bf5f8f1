"""Pool keys: how providers and endpoints are named in pools (DESIGN §4).

- registry provider: its id, lower-cased (``openrouter``)
- custom endpoint: ``custom:`` + name stripped, lower-cased, spaces → ``-``
  (``Together.ai`` → ``custom:together.ai``); a leading ``custom:`` in the name
  is not doubled
- a name made from a URL: scheme, trailing ``/`` and ``/v1`` dropped;
  ``localhost`` / ``127.0.0.1`` → ``Local (host:port)``; otherwise the host
"""

from __future__ import annotations

from urllib.parse import urlsplit

__all__ = ["custom_pool_key", "name_from_url", "normalize_url", "strip_custom_prefix"]

CUSTOM = "custom:"
_LOCAL_HOSTS = frozenset({"localhost", "127.0.0.1", "::1", "[::1]", "0.0.0.0"})  # noqa: S104 - names, not a bind


def strip_custom_prefix(name: str) -> str:
    name = name.strip()
    while name.lower().startswith(CUSTOM):
        name = name[len(CUSTOM) :].strip()
    return name


def custom_pool_key(name: str) -> str:
    """``Together.ai`` → ``custom:together.ai``; ``custom:Ollama`` → ``custom:ollama``."""
    return CUSTOM + strip_custom_prefix(name).lower().replace(" ", "-")


def normalize_url(url: str) -> str:
    """The form used to compare two base URLs: no trailing ``/``."""
    return url.strip().rstrip("/")


def name_from_url(url: str) -> str:
    """``http://localhost:8080/v1`` → ``Local (localhost:8080)``; ``https://api.x.ai/v1`` → ``api.x.ai``."""
    text = normalize_url(url)
    if text.endswith("/v1"):
        text = text[:-3]
    parts = urlsplit(text if "://" in text else "http://" + text)
    host = parts.hostname or text
    if host in _LOCAL_HOSTS:
        netloc = parts.netloc.rsplit("@", 1)[-1]
        return f"Local ({netloc})"
    return host
