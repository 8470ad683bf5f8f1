"""Where provider-resolver keeps its files (read at call time, never at import).

- config: ``--config`` / ``RESOLVER_CONFIG``, else ``<user config dir>/config.yaml``
- home (state and plan cache): ``--home`` / ``RESOLVER_HOME``, else the
  platform's user data dir (state) and user cache dir (plan cache)

Every directory the tool creates is mode 0700 and every file 0600.
"""

from __future__ import annotations

import os

APP = "provider-resolver"


def default_config_path() -> str:
    env = os.environ.get("RESOLVER_CONFIG")
    if env:
        return env
    from platformdirs import user_config_dir

    return os.path.join(user_config_dir(APP, appauthor=False), "config.yaml")


def home_dir() -> str | None:
    return os.environ.get("RESOLVER_HOME") or None


def data_dir() -> str:
    home = home_dir()
    if home:
        return os.path.expanduser(home)
    from platformdirs import user_data_dir

    return user_data_dir(APP, appauthor=False)


def cache_dir() -> str:
    home = home_dir()
    if home:
        return os.path.join(os.path.expanduser(home), "cache")
    from platformdirs import user_cache_dir

    return user_cache_dir(APP, appauthor=False)


def ensure_private_dir(path: str) -> str:
    """Create ``path`` and its missing parents, each with mode 0700; tighten ``path`` if it exists."""
    path = os.path.abspath(path)
    missing: list[str] = []
    p = path
    while not os.path.isdir(p):
        missing.append(p)
        parent = os.path.dirname(p)
        if parent == p:
            break
        p = parent
    for d in reversed(missing):
        try:
            os.mkdir(d, 0o700)
        except FileExistsError:
            pass
        os.chmod(d, 0o700)  # mkdir's mode is filtered by the umask
    try:
        if os.stat(path).st_mode & 0o077:
            os.chmod(path, 0o700)
    except OSError:
        pass
    return path
