"""End to end over real HTTP: a local fake provider, the example's call loop, real recovery."""

from __future__ import annotations

import importlib.util
import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import pytest

import resolver
from tests.conftest import EXAMPLES

spec = importlib.util.spec_from_file_location("recovery_demo", EXAMPLES / "recovery_demo.py")
assert spec and spec.loader
demo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(demo)


class Script(BaseHTTPRequestHandler):
    """Answers per key from a script: a list of (status, headers, body) consumed in order."""

    scripts: ClassVar[dict[str, list[tuple[int, dict[str, str], dict]]]] = {}  # type: ignore[type-arg]
    seen: ClassVar[list[str]] = []

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        self.seen.append(key[-4:])
        queue = self.scripts.get(key) or [(200, {}, {"choices": [{"message": {"content": f"ok {key[-4:]}"}}]})]
        status, headers, body = queue.pop(0) if len(queue) > 1 else queue[0]
        data = json.dumps(body).encode()
        self.send_response(status)
        for k, v in {"Content-Length": str(len(data)), **headers}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


@pytest.fixture
def provider():  # type: ignore[no-untyped-def]
    server = ThreadingHTTPServer(("127.0.0.1", 0), Script)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    Script.scripts, Script.seen = {}, []
    yield server
    server.shutdown()
    server.server_close()


A, B, C = "sk-http-test-aaaa", "sk-http-test-bbbb", "sk-http-test-cccc"
OK = (200, {}, {"choices": [{"message": {"content": "fine"}}]})


def config(write, port: int, extra: str = ""):  # type: ignore[no-untyped-def]
    return write(
        "c.yaml",
        "model: {provider: fake, default: m}\n"
        f"custom_providers:\n  - name: fake\n    base_url: http://127.0.0.1:{port}/v1\n"
        "    keys:\n      - {label: a, api_key: '${env:KA}'}\n      - {label: b, api_key: '${env:KB}'}\n"
        "      - {label: c, api_key: '${env:KC}'}\n" + extra,
    )


@pytest.fixture
def keys(monkeypatch) -> None:
    monkeypatch.setenv("KA", A)
    monkeypatch.setenv("KB", B)
    monkeypatch.setenv("KC", C)


def test_429_then_402_then_an_answer(write, provider, keys, tmp_path) -> None:
    Script.scripts = {
        A: [(429, {"Retry-After": "30"}, {"error": "slow down"})],
        B: [(402, {}, {"error": {"message": "Insufficient credits"}})],
    }
    r = resolver.load(config(write, provider.server_port), state=f"file://{tmp_path}/auth.json")
    text, rt = demo.complete(r, "hi", sleep=False)
    assert text == "ok cccc" and rt.label == "c"
    assert Script.seen == ["aaaa", "aaaa", "bbbb", "cccc"]  # a's free retry, then rotation
    creds = {c["label"]: c for c in r.store.dump()["pools"]["custom:fake"]["credentials"].values()}
    assert creds["a"]["last_error_code"] == 429 and creds["a"]["cooldown_until"] > 0
    assert creds["b"]["last_error_reason"] == "billing"
    assert all("secret" not in c and A not in json.dumps(c) for c in creds.values())
    # the bench holds for the next call (and the next process: it is in the file)
    text, rt = demo.complete(r, "again", sleep=False)
    assert rt.label == "c" and Script.seen[-1] == "cccc"


def test_server_errors_retry_the_same_key_then_move_on(write, provider, keys) -> None:
    Script.scripts = {A: [(503, {}, {"error": "overloaded"})]}
    r = resolver.load(config(write, provider.server_port, "cooldowns: {server_error_retries: 2}\n"), state="memory://")
    _text, rt = demo.complete(r, "hi", sleep=False)
    assert rt.label == "b" and Script.seen == ["aaaa", "aaaa", "aaaa", "bbbb"]


def test_a_dead_endpoint_falls_back_to_the_next_provider(write, provider, keys, monkeypatch) -> None:
    # the primary points at a closed port: connection refused → retries → the fallback answers
    text = (
        "model: {provider: dead, default: m}\n"
        "custom_providers:\n  - {name: dead, base_url: 'http://127.0.0.1:9/v1'}\n"
        f"  - {{name: alive, base_url: 'http://127.0.0.1:{provider.server_port}/v1', key_env: KA}}\n"
        "fallback_providers: [{provider: alive, model: m2}]\ncooldowns: {server_error_retries: 1}\n"
    )
    r = resolver.load(write("c.yaml", text), state="memory://")
    answer, rt = demo.complete(r, "hi", sleep=False)
    assert (rt.pool_key, rt.fallback_index, rt.model) == ("custom:alive", 1, "m2")
    assert answer == "ok aaaa"
