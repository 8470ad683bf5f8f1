"""Data-driven: every file under tests/cases/ with its expected outcome.

An invalid case starts with ``# expect: LINE:COL SEVERITY [JSON.PATH] MESSAGE-PART``;
the validator must report exactly that issue (and the file must be invalid).
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from resolver.config import validate
from tests.conftest import CASES

EXPECT = re.compile(r"^# expect: (\d+):(\d+) (error|warning) \[(.*?)\] (.+)$")

INVALID = sorted((CASES / "invalid").glob("*.yaml"))
VALID = sorted((CASES / "valid").glob("*.yaml"))


def test_there_are_at_least_30_distinct_mistakes() -> None:
    assert len(INVALID) >= 30


@pytest.mark.parametrize("path", INVALID, ids=lambda p: p.stem)
def test_invalid_case(path: Path) -> None:
    first = path.read_text(encoding="utf-8").splitlines()[0]
    m = EXPECT.match(first)
    assert m, f"{path.name}: first line must be '# expect: ...'"
    line, col, severity, jpath, text = int(m[1]), int(m[2]), m[3], m[4], m[5]
    result = validate(str(path))
    assert not result.ok, f"{path.name} should be invalid"
    found = [
        i
        for i in result.issues
        if (i.line, i.column, i.severity, i.json_path) == (line, col, severity, jpath) and text in i.message
    ]
    assert found, f"{path.name}: expected {first[10:]!r}, got:\n" + "\n".join(i.format() for i in result.issues)
    assert all(i.file == str(path) for i in found)


@pytest.mark.parametrize("path", VALID, ids=lambda p: p.stem)
def test_valid_case(path: Path) -> None:
    result = validate(str(path))
    errors = [i.format() for i in result.issues if i.severity == "error"]
    assert result.ok, "\n".join(errors)
