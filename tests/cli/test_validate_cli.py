"""`resolver validate` and `resolver schema` through the real entry point."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from tests.conftest import EXAMPLES, run_process

BAD = "model:\n  provider: openrouter\n  defualt: x\ncooldowns:\n  rate_limit: -1\n"


def test_valid_file_exits_0_and_says_valid(cli) -> None:
    r = cli("validate", EXAMPLES / "openrouter-minimal.yaml")
    assert r.code == 0
    assert r.out.strip().endswith("openrouter-minimal.yaml: valid")


def test_invalid_file_exits_1_with_file_line_col(cli, write) -> None:
    path = write("bad.yaml", BAD)
    r = cli("validate", path)
    assert r.code == 1
    lines = r.out.splitlines()
    assert lines[0] == f"{path}:3:3: error: unknown key 'defualt' in model (did you mean 'default'?) [model.defualt]"
    assert lines[1] == f"{path}:5:15: error: must be a number >= 0, got -1 [cooldowns.rate_limit]"
    assert lines[-1] == f"{path}: invalid: 2 errors, 0 warnings"


def test_json_format_is_a_list_of_issue_objects(cli, write) -> None:
    path = write("bad.yaml", BAD)
    r = cli("validate", path, "--format", "json")
    assert r.code == 1
    data = json.loads(r.out)
    assert [set(d) for d in data] == [{"file", "line", "column", "severity", "message", "json_path"}] * 2
    assert data[0]["line"] == 3 and data[0]["column"] == 3 and data[0]["json_path"] == "model.defualt"
    ok = cli("validate", EXAMPLES / "openrouter-minimal.yaml", "--format", "json")
    assert ok.code == 0 and json.loads(ok.out) == []


@pytest.mark.parametrize("text", ["", "# only a comment\n", "- a\n- b\n", "a: [1\n", "a:\n\tb: 1\n"])
def test_broken_yaml_shapes_exit_1_without_traceback(cli, write, text) -> None:
    path = write("c.yaml", text)
    r = cli("validate", path)
    assert r.code == 1
    assert r.out.startswith(f"{path}:")
    assert "Traceback" not in r.out + r.err


def test_non_utf8_exits_1(cli, write) -> None:
    path = write("c.yaml", b"\xff\xfemodel: x\n")
    r = cli("validate", path)
    assert r.code == 1 and "not valid UTF-8" in r.out


def test_missing_file_and_directory_exit_2(cli, tmp_path) -> None:
    r = cli("validate", tmp_path / "nope.yaml")
    assert r.code == 2 and "no such file" in r.err and r.out == ""
    r = cli("validate", tmp_path)
    assert r.code == 2 and "is a directory" in r.err


def test_unreadable_file_exits_2(write) -> None:
    path = write("secret.yaml", "model: {provider: openrouter}\n")
    path.chmod(0)
    prefix: list[str] = []
    if os.geteuid() == 0:  # root reads anything: drop the capabilities that let it
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    proc = subprocess.run(
        [*prefix, sys.executable, "-m", "resolver", "validate", str(path)],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 2, proc.stderr
    assert "permission denied" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_usage_errors_exit_2(cli) -> None:
    assert cli("validate", "--format", "yaml", EXAMPLES / "config.yaml").code == 2
    assert cli("no-such-command").code == 2
    assert cli().code == 2
    assert cli("validate", "--set", "no-equals", EXAMPLES / "config.yaml").code == 2


def test_global_options_work_before_and_after_the_command(cli, write) -> None:
    path = write("bad.yaml", BAD)
    before = cli("--config", path, "--format", "json", "validate")
    after = cli("validate", "--config", path, "--format", "json")
    assert before.code == after.code == 1
    assert before.out == after.out and json.loads(before.out)


def test_overlays_before_and_after_the_command_all_apply(cli, write) -> None:
    base = write("base.yaml", "model: {provider: openrouter}\n")
    o1 = write("o1.yaml", "cooldowns: {rate_limit: -1}\n")
    o2 = write("o2.yaml", "cooldowns: {billing: -1}\n")
    r = cli("--overlay", o1, "validate", base, "--overlay", o2, "--format", "json")
    assert r.code == 1
    assert sorted(d["file"] for d in json.loads(r.out)) == [str(o1), str(o2)]


def test_config_from_environment_variable(cli, write, monkeypatch) -> None:
    path = write("bad.yaml", BAD)
    monkeypatch.setenv("RESOLVER_CONFIG", str(path))
    r = cli("validate")
    assert r.code == 1 and str(path) in r.out


def test_default_config_path_missing_is_exit_2(cli) -> None:
    r = cli("validate")
    assert r.code == 2 and "config.yaml" in r.err


@pytest.mark.parametrize("command", ["validate", "schema"])
def test_every_command_has_help_with_an_example(cli, command) -> None:
    r = cli(command, "--help")
    assert r.code == 0
    assert "examples:" in r.out and f"resolver {command}" in r.out


def test_schema_prints_and_writes(cli, tmp_path) -> None:
    r = cli("schema")
    assert r.code == 0
    schema = json.loads(r.out)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    out = tmp_path / "s.json"
    r = cli("schema", "--output", out)
    assert r.code == 0 and r.out == "" and "wrote" in r.err
    assert json.loads(out.read_text()) == schema


def test_console_script_and_python_m_run_the_same_main() -> None:
    r = run_process("validate", str(EXAMPLES / "config.yaml"))
    assert r.code == 0, r.err
    assert "config.yaml: valid" in r.out
    script = os.path.join(os.path.dirname(sys.executable), "resolver")
    assert os.path.exists(script)


def test_version(cli) -> None:
    import resolver

    r = cli("--version")
    assert r.code == 0 and resolver.__version__ in r.out


def test_several_files_are_checked_each_on_its_own(cli, write) -> None:
    good = EXAMPLES / "openrouter-minimal.yaml"
    bad = write("bad.yaml", BAD)
    r = cli("validate", good, bad)
    assert r.code == 1 and f"{bad}:3:3: error" in r.out and str(good) in r.out.splitlines()[-1]
    assert cli("validate", good, EXAMPLES / "fleet.yaml").code == 0


def test_the_pre_commit_hook_runs_the_command_it_names(write) -> None:
    from ruamel.yaml import YAML

    from tests.conftest import ROOT

    [hook] = YAML(typ="safe").load((ROOT / ".pre-commit-hooks.yaml").read_text())
    assert hook["id"] == "resolver-validate" and hook["language"] == "python"
    entry = hook["entry"].split()
    assert entry[0] == "resolver"
    bad = write("config.yaml", BAD)
    r = run_process(*entry[1:], str(EXAMPLES / "config.yaml"), str(bad))  # pre-commit appends the file names
    assert r.code == 1 and f"{bad}:3:3" in r.out
