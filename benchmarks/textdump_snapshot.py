#!/usr/bin/env python3
"""Every field of `clean_dump`'s result on every dump of the given sets, one JSON line per
dump: a snapshot to compare byte for byte before and after a change that must not change
output (a speed-up), as html_snapshot.py does for the HTML path.

usage: textdump_snapshot.py OUT [SET_DIR ...] [--reverse]
  OUT        the snapshot file to write (JSONL: set, id, text, title, date, and each input
             line's verdict as [keep, reason])
  SET_DIR    folders with dumps/*.txt; default: both dev sets in /work/shared/eval/dev
             (892 html_text dumps). Add renderings written by
             `eval_textdump_renderers.py --n 100000 --renderers w3m,lynx --save-dumps --out DIR`
             (DIR/w3m-scrapinghub, ...) to cover the renderer normalisation too.
  --reverse  process the dumps in reverse order (lines are still written in input order):
             output must not depend on what a process saw before (caches).

example: .venv/bin/python benchmarks/textdump_snapshot.py /tmp/before.jsonl && \\
         .venv/bin/python benchmarks/textdump_snapshot.py /tmp/after.jsonl && cmp /tmp/before.jsonl /tmp/after.jsonl
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.textdump import clean_dump  # noqa: E402

DEV = Path("/work/shared/eval/dev")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("sets", nargs="*", type=Path, default=[DEV / "scrapinghub", DEV / "wcxb-articles"])
    ap.add_argument("--reverse", action="store_true")
    args = ap.parse_args(argv)
    paths = [(s, p) for s in args.sets for p in sorted((s / "dumps").glob("*.txt"))]
    order = range(len(paths) - 1, -1, -1) if args.reverse else range(len(paths))
    rows: dict[int, dict] = {}
    for i in order:
        s, p = paths[i]
        r = clean_dump(p.read_text(encoding="utf-8"))
        rows[i] = {"set": s.name, "id": p.stem, "text": r.text, "title": r.title, "date": r.date,
                   "lines": [[v.keep, v.reason] for v in r.lines]}
    with open(args.out, "w", encoding="utf-8") as f:
        for i in range(len(paths)):
            f.write(json.dumps(rows[i], ensure_ascii=False) + "\n")
    print(f"{len(paths)} dumps -> {args.out}")


if __name__ == "__main__":
    main()
