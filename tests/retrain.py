"""Shared by the retrain tests (test_textdump_model.py, test_textdump_title.py): where the
public dev sets are, and how a retrained model is compared with the shipped one."""
from __future__ import annotations

import math
import os
from pathlib import Path
from typing import Any, Iterator

ROOT = Path(__file__).resolve().parents[1]
# $DOCPREP_EVAL_DIR, else ../shared/eval/dev next to the repo, else this machine's copy.
_CANDIDATES = [Path(os.environ["DOCPREP_EVAL_DIR"])] if os.environ.get("DOCPREP_EVAL_DIR") else [
    ROOT.parent / "shared" / "eval" / "dev", Path("/work/shared/eval/dev")]
EVAL_DIR = next((p for p in _CANDIDATES if (p / "scrapinghub" / "truth.jsonl").exists()), _CANDIDATES[0])
HAVE_EVAL = (EVAL_DIR / "scrapinghub" / "truth.jsonl").exists()


def differences(shipped: Any, retrained: Any, rel_tol: float, abs_tol: float,
                where: str = "model") -> Iterator[str]:
    """Paths where two JSON models differ: anything but a float must be equal; floats
    within `rel_tol` or `abs_tol` (the noise of the fit's matrix products, or of the
    digits a model is stored with)."""
    if isinstance(shipped, float) or isinstance(retrained, float):
        if not (isinstance(shipped, (int, float)) and isinstance(retrained, (int, float))
                and math.isclose(shipped, retrained, rel_tol=rel_tol, abs_tol=abs_tol)):
            yield f"{where}: {shipped!r} != {retrained!r}"
    elif isinstance(shipped, dict) and isinstance(retrained, dict):
        if shipped.keys() != retrained.keys():
            yield f"{where}: keys {sorted(shipped)} != {sorted(retrained)}"
        for key in sorted(shipped.keys() & retrained.keys()):
            yield from differences(shipped[key], retrained[key], rel_tol, abs_tol, f"{where}.{key}")
    elif isinstance(shipped, list) and isinstance(retrained, list):
        if len(shipped) != len(retrained):
            yield f"{where}: length {len(shipped)} != {len(retrained)}"
        for i, (a, b) in enumerate(zip(shipped, retrained)):
            yield from differences(a, b, rel_tol, abs_tol, f"{where}[{i}]")
    elif shipped != retrained:
        yield f"{where}: {shipped!r} != {retrained!r}"
