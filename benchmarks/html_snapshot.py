#!/usr/bin/env python3
"""Every field of `extract_html`'s result on every dev page, one JSON line per page: a
snapshot to compare byte for byte before and after a change that must not change output.

usage: html_snapshot.py OUT [SET_DIR ...] [--reverse]
  OUT        the snapshot file to write (JSONL: set, id, then HtmlResult's fields in order)
  SET_DIR    evaluation set folders (html/<id>.html.gz, truth.jsonl for URLs); default: both
             dev sets in /work/shared/eval/dev (892 pages).
  --reverse  process the pages in reverse order (lines are still written in page order):
             output must not depend on what a process saw before (htmldate's caches, ...).

Pages are decoded and given their URL as benchmarks/eval_html.py does; ExtractConfig() is
the default config.

example: .venv/bin/python benchmarks/html_snapshot.py /tmp/before.jsonl && \
         .venv/bin/python benchmarks/html_snapshot.py /tmp/after.jsonl && cmp /tmp/before.jsonl /tmp/after.jsonl
"""
from __future__ import annotations

import argparse
import dataclasses
import gzip
import json
import logging
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from trafilatura.utils import decode_file  # noqa: E402

from cleaners.config import ExtractConfig  # noqa: E402
from cleaners.html import HtmlResult, extract_html  # noqa: E402

DEV = Path("/work/shared/eval/dev")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("out", type=Path)
    ap.add_argument("sets", nargs="*", type=Path, default=sorted(DEV.iterdir()))
    ap.add_argument("--reverse", action="store_true")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    keys = [(s, json.loads(line)) for s in args.sets for line in open(s / "truth.jsonl", encoding="utf-8")]
    order = range(len(keys) - 1, -1, -1) if args.reverse else range(len(keys))
    results: dict[int, HtmlResult] = {}
    cfg = ExtractConfig()
    for i in order:
        s, t = keys[i]
        html = decode_file(gzip.decompress((s / "html" / f"{t['id']}.html.gz").read_bytes()))
        results[i] = extract_html(html, t.get("url"), cfg)
    fields = [f.name for f in dataclasses.fields(HtmlResult)]
    with open(args.out, "w", encoding="utf-8") as f:
        for i, (s, t) in enumerate(keys):
            r = results[i]
            row = {"set": s.name, "id": t["id"], **{k: getattr(r, k) for k in fields}}
            f.write(json.dumps(row, ensure_ascii=False) + "\n")
    print(f"{len(keys)} pages -> {args.out}")


if __name__ == "__main__":
    main()
