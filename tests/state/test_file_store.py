"""The file store with real files and real processes."""

from __future__ import annotations

import json
import multiprocessing as mp
import os
import stat
import subprocess
import sys

import pytest

import resolver
from resolver.errors import StateError
from resolver.state import state_from_url
from resolver.state.file import FileStore

CONFIG = """
model: {provider: openrouter, default: a/b}
providers:
  openrouter:
    api_key_env: []
    keys:
      - {label: one, api_key: '${env:K1}'}
      - {label: two, api_key: '${env:K2}'}
credential_pool_strategies: {openrouter: round_robin}
"""
K1, K2 = "sk-file-test-one-1111", "sk-file-test-two-2222"


def _claimer(config: str, state: str, n: int, out: mp.Queue) -> None:  # type: ignore[type-arg]
    os.environ["K1"], os.environ["K2"] = K1, K2
    r = resolver.load(config, state=state)
    got = [r.resolve().label for _ in range(n)]
    r.close()
    out.put(got)


def test_files_are_private(tmp_path) -> None:
    store = FileStore(str(tmp_path / "deep" / "dir" / "auth.json"))
    store.add("openrouter", "x", {"label": "a", "secret": "sk-owned-0000000000"})
    for path in (tmp_path / "deep", tmp_path / "deep" / "dir"):
        assert stat.S_IMODE(path.stat().st_mode) == 0o700
    for name in ("auth.json", "auth.json.lock"):
        assert stat.S_IMODE((tmp_path / "deep" / "dir" / name).stat().st_mode) == 0o600
    assert [p.name for p in (tmp_path / "deep" / "dir").iterdir() if p.name.endswith(".tmp")] == []


@pytest.mark.parametrize(
    ("content", "words"),
    [
        (b"{not json", "corrupt"),
        (b"\xff\xfe", "corrupt"),
        (b"[1, 2]", "corrupt"),
        (b'{"version": 99, "pools": {}}', "newer"),
    ],
)
def test_bad_state_file_is_reported_and_never_touched(tmp_path, write, content, words, monkeypatch) -> None:
    path = tmp_path / "auth.json"
    path.write_bytes(content)
    before = path.stat()
    monkeypatch.setenv("K1", K1)
    r = resolver.load(write("c.yaml", CONFIG), state=f"file://{path}")
    with pytest.raises(StateError) as err:
        r.resolve()
    assert str(path) in str(err.value) and words in str(err.value)
    with pytest.raises(StateError):
        r.store.add("openrouter", "x", {"label": "a", "secret": "sk-x-0000000000"})
    assert path.read_bytes() == content and path.stat().st_mtime_ns == before.st_mtime_ns


def test_unreadable_state_file_is_a_state_error_in_the_cli(tmp_path, write) -> None:
    path = tmp_path / "auth.json"
    path.write_text("{}")
    path.chmod(0)
    cfg = write("c.yaml", "model: {provider: ollama}\n")
    prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"] if os.geteuid() == 0 else []
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "resolver", "resolve", "--config", str(cfg), "--state", f"file://{path}"],
        capture_output=True, text=True, check=False,
    )  # fmt: skip
    assert proc.returncode == 1, proc.stderr
    assert "cannot read state" in proc.stderr and "Traceback" not in proc.stderr


def test_unknown_state_scheme_is_a_config_error() -> None:
    with pytest.raises(resolver.ConfigError, match="unknown kind of URL"):
        state_from_url("ftp://x")


def test_processes_lose_no_update_and_merge_counts(tmp_path, write) -> None:
    config = str(write("c.yaml", CONFIG))
    state = f"file://{tmp_path}/auth.json"
    ctx = mp.get_context("spawn")
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_claimer, args=(config, state, 150, out)) for _ in range(6)]
    for p in procs:
        p.start()
    results = [out.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert sum(len(r) for r in results) == 900
    doc = json.loads((tmp_path / "auth.json").read_text())
    counts = {c["label"]: c["request_count"] for c in doc["pools"]["openrouter"]["credentials"].values()}
    assert sum(counts.values()) == 900
    assert set(counts) == {"one", "two"}


def test_status_change_by_another_process_is_seen_at_the_next_call(tmp_path, write, monkeypatch) -> None:
    monkeypatch.setenv("K1", K1)
    monkeypatch.setenv("K2", K2)
    config = str(write("c.yaml", CONFIG.replace("round_robin", "fill_first")))
    state = f"file://{tmp_path}/auth.json"
    r = resolver.load(config, state=state)
    assert r.resolve().label == "one"
    code = (
        "import os, time, resolver\n"
        "from resolver.pool.members import borrowed_id\n"
        "from resolver.secrets import fingerprint\n"
        f"os.environ['K1'] = {K1!r}\n"
        f"r = resolver.load({config!r}, state={state!r})\n"
        f"fp = fingerprint({K1!r})\n"
        "r.store.transition('openrouter', borrowed_id(fp), lambda rec: rec.update(status='exhausted', cooldown_until=time.time() + 600), {'fingerprint': fp})\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True, env={**os.environ})
    assert r.resolve().label == "two"  # no reload, no wait: the next call sees it


def _resolver_loop(config: str, state: str, stop: str, ready: mp.Queue, out: mp.Queue) -> None:  # type: ignore[type-arg]
    import time

    os.environ["K1"], os.environ["K2"] = K1, K2
    r = resolver.load(config, state=state)
    seen: list[tuple[float, str]] = []
    ready.put(os.getpid())
    deadline = time.time() + 20
    while not os.path.exists(stop) and time.time() < deadline:
        started = time.time()
        seen.append((started, r.resolve().label or ""))
    r.close()
    out.put(seen)


@pytest.mark.slow
def test_no_process_hands_out_a_key_after_another_process_benched_it(tmp_path, write, monkeypatch) -> None:
    import time

    from resolver.pool.members import borrowed_id
    from resolver.secrets import fingerprint

    config = str(write("c.yaml", CONFIG))
    state = f"file://{tmp_path}/auth.json"
    stop = str(tmp_path / "stop")
    ctx = mp.get_context("spawn")
    ready: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    out: mp.Queue = ctx.Queue()  # type: ignore[type-arg]
    procs = [ctx.Process(target=_resolver_loop, args=(config, state, stop, ready, out)) for _ in range(4)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=60)
    time.sleep(0.3)
    monkeypatch.setenv("K1", K1)
    bench = resolver.load(config, state=state)
    fp = fingerprint(K1)
    bench.store.transition(
        "openrouter", borrowed_id(fp),
        lambda rec: rec.update(status="exhausted", cooldown_until=time.time() + 600, last_error_code=402),
        {"fingerprint": fp, "label": "one"},
    )  # fmt: skip
    benched_at = time.time()
    time.sleep(0.5)
    open(stop, "w").close()
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
        assert p.exitcode == 0
    before = [label for r in results for t, label in r if t < benched_at]
    after = [label for r in results for t, label in r if t > benched_at]
    assert "one" in before and len(after) > 100  # both phases really ran
    assert "one" not in after


def test_counts_of_a_forgotten_resolver_are_written_at_exit(tmp_path, write) -> None:
    config = str(write("c.yaml", CONFIG))
    state = tmp_path / "auth.json"
    code = (
        "import os, resolver\n"
        f"os.environ['K1'], os.environ['K2'] = {K1!r}, {K2!r}\n"
        "def work():\n"
        f"    r = resolver.load({config!r}, state='file://{state}')\n"
        "    for _ in range(7):\n"
        "        r.resolve()\n"
        "work()  # the resolver is garbage by the time the interpreter exits\n"
        "import gc; gc.collect()\n"
    )
    subprocess.run([sys.executable, "-c", code], check=True)
    doc = json.loads(state.read_text())
    assert sum(c["request_count"] for c in doc["pools"]["openrouter"]["credentials"].values()) == 7


def test_the_state_file_follows_its_schema(tmp_path, write, monkeypatch) -> None:
    from jsonschema import Draft202012Validator

    from tests.conftest import ROOT

    schema = json.loads((ROOT / "schemas" / "state.schema.json").read_text())
    Draft202012Validator.check_schema(schema)
    monkeypatch.setenv("K1", K1)
    monkeypatch.setenv("K2", K2)
    r = resolver.load(str(write("c.yaml", CONFIG)), state=f"file://{tmp_path}/auth.json")
    r.report(r.resolve(), 402)
    r.store.add("openrouter", "ownedid00001", {"label": "own", "secret": "sk-owned-00000000", "added_at": 1.0})
    r.store.remove("openrouter", "x", suppress="sha256:" + "0" * 64, source="env:K9")
    r.close()
    doc = json.loads((tmp_path / "auth.json").read_text())
    errors = sorted(Draft202012Validator(schema).iter_errors(doc), key=str)
    assert not errors, errors[0]
