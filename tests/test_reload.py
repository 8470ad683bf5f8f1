"""Hot reload: a long-running Resolver follows config edits; a bad edit keeps the old plan."""

from __future__ import annotations

import logging
import os
import time

import resolver
from resolver.runtime import Observer


class Recorder(Observer):
    def __init__(self) -> None:
        self.failed: list[object] = []
        self.reloads: list[str] = []

    def reload_failed(self, issues) -> None:  # type: ignore[no-untyped-def]
        self.failed.append(issues)

    def reloaded(self, plan) -> None:  # type: ignore[no-untyped-def,override]
        self.reloads.append(plan.primary)


def _edit(path, text: str) -> None:  # type: ignore[no-untyped-def]
    path.write_text(text)
    st = path.stat()
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns + 1_000_000_000))  # a visible mtime change


def test_edits_are_picked_up_and_state_carries_over(write, monkeypatch) -> None:
    monkeypatch.setenv("OPENROUTER_API_KEY", "sk-or-reload-test-0001")
    path = write("c.yaml", "model: {provider: openrouter, default: a/one}\nruntime: {reload_interval: 0.05}\n")
    rec = Recorder()
    r = resolver.load(path, state="memory://", observer=rec)
    assert r.resolve().model == "a/one"
    _edit(path, "model: {provider: openrouter, default: a/two}\nruntime: {reload_interval: 0.05}\n")
    time.sleep(0.1)
    rt = r.resolve()
    assert rt.model == "a/two" and rec.reloads == ["openrouter"]
    counts = [c["request_count"] for c in r.store.dump()["pools"]["openrouter"]["credentials"].values()]
    assert counts == [2]  # the same credential's counter went on across the swap


def test_an_invalid_edit_keeps_the_old_plan_and_is_reported_once(write, caplog) -> None:
    path = write("c.yaml", "model: {provider: ollama, default: m1}\nruntime: {reload_interval: 0.05}\n")
    rec = Recorder()
    r = resolver.load(path, state="memory://", observer=rec)
    _edit(path, "model: {provider: olama, default: m2}\nruntime: {reload_interval: 0.05}\n")
    with caplog.at_level(logging.ERROR, logger="resolver"):
        for _ in range(3):
            time.sleep(0.06)
            assert r.resolve().model == "m1"
    assert len(rec.failed) == 1 and rec.failed[0][0].json_path == "model.provider"
    assert len([m for m in caplog.messages if "not valid" in m]) == 1
    _edit(path, "model: {provider: ollama, default: m3}\nruntime: {reload_interval: 60}\n")
    assert r.reload() is True
    assert r.resolve().model == "m3"


def test_reload_forces_and_reports_no_change(write) -> None:
    path = write("c.yaml", "model: {provider: ollama, default: m1}\nruntime: {reload_interval: 3600}\n")
    r = resolver.load(path, state="memory://")
    assert r.reload() is False
    _edit(path, "model: {provider: ollama, default: m9}\nruntime: {reload_interval: 3600}\n")
    assert r.resolve().model == "m1"  # the interval has not passed
    assert r.reload() is True and r.resolve().model == "m9"
