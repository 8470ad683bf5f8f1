"""An agent's call loop with provider-resolver doing the recovery.

    python examples/recovery_demo.py --config examples/config.yaml "Say hi"
    python examples/recovery_demo.py --fake-provider        # no keys needed: a local fake provider
    python examples/recovery_demo.py --fake-provider --config my.yaml   # your pool, answered by the fake

`complete()` is the part to copy: resolve, call, and on failure `report()` and
use whatever runtime comes back (the same key after `retry_after`, another
key, or a fallback provider) until one answers or NoCredentialAvailable says
nothing is left. With --fake-provider a local HTTP server plays an
OpenAI-compatible provider that rate-limits the first key it sees, so you can
watch that key cool down (`resolver auth list`) and the next one take over.
With --config as well, the config's primary pool is pointed at the fake
(``--set model.base_url=…``) and its real state store records what happened.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import ClassVar

import resolver

MAX_ATTEMPTS = 10  # a bound: never loop forever on a misbehaving provider


def complete(r: resolver.Resolver, prompt: str, *, sleep: bool = True) -> tuple[str, resolver.Runtime]:
    """One chat completion, recovering from 429/402/401/5xx/network errors."""
    rt = r.resolve()
    for _ in range(MAX_ATTEMPTS):
        if rt.retry_after and sleep:
            time.sleep(min(rt.retry_after, 5))
        body = {"model": rt.model, "messages": [{"role": "user", "content": prompt}], **dict(rt.extra_body)}
        req = urllib.request.Request(  # noqa: S310 - the URL is the configured endpoint
            rt.base_url.rstrip("/") + "/chat/completions",
            data=json.dumps(body).encode(),
            headers={
                "Content-Type": "application/json",
                **({"Authorization": f"Bearer {rt.api_key}"} if rt.api_key else {}),
            },
        )
        try:
            with urllib.request.urlopen(req, timeout=30) as resp:  # noqa: S310 - the URL comes from the config
                data = json.load(resp)
                r.report_success(rt, headers=resp.headers)
                return data["choices"][0]["message"]["content"], rt
        except urllib.error.HTTPError as exc:
            rt = r.report(rt, exc.code, headers=exc.headers, message=exc.read().decode("utf-8", "replace"))
        except (urllib.error.URLError, TimeoutError, ConnectionError) as exc:
            rt = r.report(rt, None, error=type(exc).__name__)
    raise RuntimeError(f"gave up after {MAX_ATTEMPTS} attempts")


class FakeProvider(BaseHTTPRequestHandler):
    """OpenAI-compatible enough: the first key it sees gets 429s, any other key an answer."""

    limited: ClassVar[list[str]] = []  # shared by the handler instances of one server

    def do_POST(self) -> None:
        self.rfile.read(int(self.headers.get("Content-Length") or 0))
        key = (self.headers.get("Authorization") or "").removeprefix("Bearer ")
        if key and not self.limited:
            self.limited.append(key)
        if key and key in self.limited:
            self._send(429, {"error": {"message": "Rate limit exceeded, try again in 30s"}}, {"Retry-After": "30"})
        elif not key:
            self._send(401, {"error": {"message": "missing api key"}})
        else:
            self._send(200, {"choices": [{"message": {"role": "assistant", "content": f"hello from key …{key[-4:]}"}}]})

    def _send(self, code: int, body: dict, headers: dict | None = None) -> None:  # type: ignore[type-arg]
        data = json.dumps(body).encode()
        self.send_response(code)
        for k, v in {"Content-Type": "application/json", "Content-Length": str(len(data)), **(headers or {})}.items():
            self.send_header(k, v)
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: object) -> None:
        pass


def fake_server() -> ThreadingHTTPServer:
    server = ThreadingHTTPServer(("127.0.0.1", 0), FakeProvider)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def fake_setup(directory: str) -> tuple[str, ThreadingHTTPServer]:
    server = fake_server()
    config = os.path.join(directory, "config.yaml")
    with open(config, "w") as fh:
        fh.write(
            "model: {provider: demo, default: demo-model}\n"
            "custom_providers:\n"
            f"  - name: demo\n    base_url: http://127.0.0.1:{server.server_port}/v1\n"
            "    keys:\n"
            "      - {label: limited, api_key: '${env:DEMO_KEY_LIMITED}'}\n"
            "      - {label: spare, api_key: '${env:DEMO_KEY_SPARE}'}\n"
        )
    os.environ.setdefault("DEMO_KEY_LIMITED", "sk-demo-limited-0000000001")
    os.environ.setdefault("DEMO_KEY_SPARE", "sk-demo-spare-0000000002")
    return config, server


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("prompt", nargs="?", default="Say hi")
    ap.add_argument("--config", default=None)
    ap.add_argument("--fake-provider", action="store_true", help="run against a local fake provider")
    args = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        config, overrides = args.config, []
        if args.fake_provider and config:
            overrides = [f"model.base_url=http://127.0.0.1:{fake_server().server_port}/v1"]
        elif args.fake_provider:
            config, _server = fake_setup(tmp)
        r = resolver.load(config, overrides=overrides)
        try:
            text, rt = complete(r, args.prompt)
        except resolver.NoCredentialAvailable as exc:
            print(exc, file=sys.stderr)
            return 1
        print(f"{rt.pool_key} [{rt.label or 'keyless'}]: {text}")
        for m in r.members(rt.pool_key):
            rec = r.store.view(rt.pool_key).credentials.get(m.id) or {}
            print(f"  {m.label}: {rec.get('status', 'ok')} {rec.get('last_error_reason') or ''}".rstrip())
    return 0


if __name__ == "__main__":
    sys.exit(main())
