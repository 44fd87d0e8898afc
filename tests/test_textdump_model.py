"""The shipped text-dump model is reproducible: retraining gives the same weights.

`benchmarks/train_textdump.py` trains on the public dev sets (their dumps and true
bodies); it is deterministic (numpy only, fixed seeds, no threads in the fit), so its
output must equal `cleaners/data/textdump_model.json` byte for byte. Needs the dev sets
(`DOCPREP_EVAL_DIR`, else ../shared/eval/dev next to the repo, else /work/shared/eval/dev); skipped without them.
"""
from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
_CANDIDATES = [Path(os.environ["DOCPREP_EVAL_DIR"])] if os.environ.get("DOCPREP_EVAL_DIR") else [
    ROOT.parent / "shared" / "eval" / "dev", Path("/work/shared/eval/dev")]  # next to the repo, or this machine's
EVAL_DIR = next((p for p in _CANDIDATES if (p / "scrapinghub" / "truth.jsonl").exists()), _CANDIDATES[0])
SHIPPED = ROOT / "cleaners" / "data" / "textdump_model.json"


@pytest.mark.slow
@pytest.mark.skipif(not (EVAL_DIR / "scrapinghub" / "truth.jsonl").exists(),
                    reason=f"dev sets not found in {EVAL_DIR}")
def test_a_retrain_reproduces_the_shipped_model(tmp_path: Path) -> None:
    out = tmp_path / "model.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "train_textdump.py"), "--eval-dir", str(EVAL_DIR),
         "--out", str(out)],
        capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert out.read_bytes() == SHIPPED.read_bytes(), (
        "retraining gave other weights than the shipped model: re-run "
        "benchmarks/train_textdump.py and commit cleaners/data/textdump_model.json"
    )
