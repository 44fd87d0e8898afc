"""Crash safety: SIGKILL a run at many moments; rerunning finishes the job, and the corpus
equals that of an uninterrupted run, byte for byte. No shard that looks complete is partial."""
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


from cleaners.validate import validate_corpus
from conftest import write_generated_corpus
from test_pipeline import shard_bytes

ROOT = Path(__file__).resolve().parent.parent
#: When each attempt is killed, as fractions of an uninterrupted run's wall time (measured
#: first): fixed delays let a fast machine finish the resumed run before the third kill.
KILL_AFTER = (0.15, 0.25, 0.35, 0.5, 0.65, 0.8, 1.0, 1.5, 2.5)


def clean_cmd(inp: Path, out: Path) -> list[str]:
    return [sys.executable, "-m", "flows.cli", "clean", str(inp), "--out", str(out), "--no-prefect", "--workers", "1", "--quiet"]


def test_killed_runs_resume_to_the_same_corpus(tmp_path):
    inp = tmp_path / "in"
    write_generated_corpus(inp, 240, copies_every=10)
    reference = tmp_path / "reference"
    started = time.monotonic()
    subprocess.run(clean_cmd(inp, reference), cwd=ROOT, check=True, timeout=600)
    whole = time.monotonic() - started

    out = tmp_path / "out"
    kills = 0
    for delay in (f * whole for f in KILL_AFTER):
        proc = subprocess.Popen(clean_cmd(inp, out), cwd=ROOT, start_new_session=True)
        time.sleep(delay)
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
            kills += 1
        proc.wait()
        # whatever is on disk now: every shard listed is complete, and no other shard exists
        manifest = out / "manifest.json"
        if manifest.exists():
            assert validate_corpus(out) == []
        if manifest.exists():
            break  # the run finished before the kill
    assert kills >= 3, "the run finished too fast to be killed at several points"
    if not (out / "manifest.json").exists():
        subprocess.run(clean_cmd(inp, out), cwd=ROOT, check=True, timeout=600)
    assert shard_bytes(out) == shard_bytes(reference)
    m = json.loads((out / "manifest.json").read_text())
    assert len(m["runs"]) == 1 and m["counts"]["inputs"] == 240
    leftovers = [p for p in out.rglob("*") if ".tmp-" in p.name]
    assert leftovers == []
