"""The output folder `../shared/eval/score.py` reads, and running it: shared by the
extraction benchmarks (eval_html, eval_textdump, eval_textdump_renderers)."""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

_CANDIDATES = [Path(__file__).resolve().parents[2] / "shared" / "eval" / "score.py",
               Path("/work/shared/eval/score.py")]  # next to the repo, or this machine's (a worktree elsewhere)
SCORE = next((p for p in _CANDIDATES if p.exists()), _CANDIDATES[0])


def write_scored_folder(out_dir: Path, records: list[dict]) -> Path:
    """One shard of `records` plus the manifest that lists it."""
    (out_dir / "data").mkdir(parents=True, exist_ok=True)
    with open(out_dir / "data" / "part-00000.jsonl", "w", encoding="utf-8") as f:
        for rec in records:
            f.write(json.dumps(rec, ensure_ascii=False) + "\n")
    (out_dir / "manifest.json").write_text(json.dumps({"shards": [{"path": "data/part-00000.jsonl"}]}))
    return out_dir


def score(set_dir: Path, out_dir: Path) -> str:
    """score.py's line for an output folder, e.g. 'scrapinghub: F1 0.964  P …'."""
    return subprocess.run([sys.executable, str(SCORE), str(set_dir), str(out_dir)],
                          capture_output=True, text=True, check=True).stdout.strip()
