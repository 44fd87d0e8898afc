import json
import re
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flows.cli import app

ROOT = Path(__file__).resolve().parent.parent
runner = CliRunner()


def test_clean_seeds_without_prefect(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["clean", "seeds", "--out", str(tmp_path / "o"), "--no-prefect", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert "kept" in result.output and "languages: en 5" in result.output
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["counts"]["records"] == 5
    again = runner.invoke(app, ["clean", "seeds", "--out", str(tmp_path / "o"), "--no-prefect", "--workers", "1"])
    assert again.exit_code == 0 and "nothing new: all 5 inputs were already processed" in again.output


def test_compressed_shards(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, ["clean", "seeds", "-o", str(tmp_path / "o"), "--no-prefect", "-w", "0", "--compress", "-q"])
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "o" / "manifest.json").read_text())
    assert m["shards"][0]["path"].endswith(".jsonl.gz")
    assert runner.invoke(app, ["validate", str(tmp_path / "o")]).exit_code == 0


@pytest.mark.parametrize("args,code,message", [
    (["clean", "no/such/folder", "--no-prefect"], 2, "input not found"),
    (["clean", "seeds", "--no-prefect", "--config", "no-such.toml"], 2, "cannot read config file"),
    (["validate", "no/such/corpus"], 3, "no readable manifest.json"),
    (["clean", "seeds", "--no-prefect", "--against", "no/such/corpus"], 2, "neither a corpus folder"),
])
def test_usage_errors_have_clear_messages_and_exit_codes(tmp_path, monkeypatch, args, code, message):
    monkeypatch.chdir(ROOT)
    result = runner.invoke(app, args + (["--out", str(tmp_path / "o")] if args[0] == "clean" else []))
    assert result.exit_code == code
    assert message in result.output


def test_a_usage_error_prints_no_traceback_from_the_workers_started_ahead(tmp_path):
    """`clean` starts its worker processes before it plans; when planning stops at a usage
    error, a worker still loading its models must not print a broken-pipe traceback."""
    import subprocess
    import sys

    for _ in range(3):  # the worker may or may not have reached its first write: a race
        r = subprocess.run([sys.executable, "-c", "from flows.cli import main; main()", "clean", "no/such/folder",
                            "--no-prefect", "-w", "2", "--out", str(tmp_path / "o")],
                           cwd=ROOT, capture_output=True, text=True, timeout=120)
        assert r.returncode == 2 and "input not found" in r.stdout + r.stderr
        assert "Traceback" not in r.stderr, r.stderr


def test_bad_config_value_names_the_key(tmp_path, monkeypatch):
    monkeypatch.chdir(ROOT)
    cfg = tmp_path / "c.toml"
    cfg.write_text("[quality]\nmin_words = 'many'\n")
    result = runner.invoke(app, ["clean", "seeds", "--no-prefect", "--config", str(cfg), "--out", str(tmp_path / "o")])
    assert result.exit_code == 2 and "quality.min_words" in result.output


def commands():
    return sorted(c.name or c.callback.__name__ for c in app.registered_commands)


@pytest.mark.parametrize("command", commands())
def test_every_command_has_help_with_an_example_and_is_in_the_readme(command):
    result = runner.invoke(app, [command, "--help"])
    assert result.exit_code == 0 and "Example: docprep " + command in result.output
    readme = (ROOT / "README.md").read_text()
    assert re.search(rf"^### `docprep {command}`", readme, re.M), f"README has no section for docprep {command}"
