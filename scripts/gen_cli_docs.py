"""Generate docs/cli.md from docs/templates/cli.md by running every example for real.

Usage: python scripts/gen_cli_docs.py [--check]

``<!-- run: CMD -->`` is replaced by the command and its real output (stdout
and stderr, as a terminal shows them; the exit code when it is not 0);
``<!-- setup: CMD -->`` runs without being shown. Everything runs in order in
one scratch directory holding a copy of examples/config.yaml, with a pinned
clock (RESOLVER_FAKE_TIME) and fixed test keys, so the output is the same on
every machine. With --check, exit 1 when docs/cli.md is out of date.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
TEMPLATE = ROOT / "docs" / "templates" / "cli.md"
OUTPUT = ROOT / "docs" / "cli.md"
MARKER = re.compile(r"^<!-- (run|setup): (.*) -->$")


def render() -> str:
    bindir = os.path.dirname(sys.executable)
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp) / "work"
        work.mkdir()
        shutil.copy(ROOT / "examples" / "config.yaml", work / "config.yaml")
        shutil.copy(ROOT / "examples" / "config.yaml", Path(tmp) / "config.yaml.orig")
        env = {
            "PATH": f"{bindir}:/usr/bin:/bin",
            "HOME": tmp,
            "LANG": "C.UTF-8",
            "RESOLVER_HOME": str(Path(tmp) / "home"),
            "RESOLVER_CONFIG": "config.yaml",
            "RESOLVER_FAKE_TIME": "1800000000",
            "OR_TEAM_KEY": "sk-or-v1-team-key-0000000000a1b2",
            "NO_COLOR": "1",
        }
        out: list[str] = []
        for line in TEMPLATE.read_text("utf-8").splitlines():
            m = MARKER.match(line)
            if not m:
                out.append(line)
                continue
            kind, cmd = m.groups()
            proc = subprocess.run(
                ["bash", "-c", cmd + " 2>&1"], cwd=work, env=env, capture_output=True, text=True, check=False
            )
            if kind == "setup":
                continue
            text = proc.stdout.replace(tmp, "/tmp/…").rstrip("\n")
            block = ["```text", f"$ {cmd}", *([text] if text else [])]
            if proc.returncode:
                block.append(f"[exit {proc.returncode}]")
            out += [*block, "```"]
    return "\n".join(out).rstrip() + "\n"


def main(argv: list[str]) -> int:
    text = render()
    if "--check" in argv:
        if not OUTPUT.exists() or OUTPUT.read_text("utf-8") != text:
            print("docs/cli.md is out of date: run python scripts/gen_cli_docs.py", file=sys.stderr)
            return 1
        return 0
    OUTPUT.write_text(text, encoding="utf-8")
    print("wrote docs/cli.md")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
