#!/usr/bin/env python3
"""Warm per-page CPU cost of docprep's `extract_html` against plain `trafilatura.extract`.

usage: profile_html.py [SET_DIR ...] [--limit N] [--top K] [--no-profile]
  SET_DIR  evaluation set folders (html/<id>.html.gz, truth.jsonl for URLs); default: both dev sets in
           /work/shared/eval/dev (892 pages).

Every page is run once through both extractors before timing (warm caches: lxml,
trafilatura's and htmldate's lazy imports and LRU caches are then in the state a long run
sees). Then both are timed page by page in turn with time.process_time (CPU time of this
process, so other load on the machine hits both alike; compare the ratio, not the ms), and
finally extract_html runs once more under cProfile and the top-K functions by cumulative
time are printed.

example: .venv/bin/python benchmarks/profile_html.py --top 15

Measured on the 892 dev pages (2 cores, the other one busy; compare ratios, not ms):
  before: trafilatura.extract 44.5 ms/page, extract_html 62.3 ms/page, ratio 1.40
          (top costs: bare_extraction 41%, extract_metadata 31% of which categories/tags/
          licence 8%, rescue 14% of which _visible_chars 7%)
  after:  trafilatura.extract 41.8 ms/page, extract_html 46.3 ms/page, ratio 1.11
          (same output on every page; what is left above extract: trafilatura metadata
          with htmldate, the byline search, jusText on the few pages rescued, postclean)
Warm numbers flatter htmldate: its LRU caches hold every date string seen in the warm-up.
"""
from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import logging
import pstats
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from trafilatura.utils import decode_file  # noqa: E402

from cleaners.html import extract_html  # noqa: E402

DEV = Path("/work/shared/eval/dev")


def load(sets: list[Path], limit: int | None) -> list[tuple[str, str | None]]:
    """(html, url) of each page, in truth.jsonl order, decoded as eval_html.py does."""
    pages = []
    for s in sets:
        truth = [json.loads(line) for line in open(s / "truth.jsonl", encoding="utf-8")][:limit]
        pages += [(decode_file(gzip.decompress((s / "html" / f"{t['id']}.html.gz").read_bytes())), t.get("url"))
                  for t in truth]
    return pages


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="*", type=Path, default=sorted(DEV.iterdir()))
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--no-profile", action="store_true")
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    pages = load(args.sets, args.limit)
    for html, url in pages:  # warm-up
        trafilatura.extract(html, url=url)
        extract_html(html, url)
    t_base = t_ours = 0.0
    for html, url in pages:
        c0 = time.process_time()
        trafilatura.extract(html, url=url)
        c1 = time.process_time()
        extract_html(html, url)
        c2 = time.process_time()
        t_base, t_ours = t_base + c1 - c0, t_ours + c2 - c1
    n = len(pages)
    print(f"{n} pages, warm CPU ms/page: trafilatura.extract {1000 * t_base / n:.1f}, "
          f"extract_html {1000 * t_ours / n:.1f}, ratio {t_ours / t_base:.2f}")
    if args.no_profile:
        return
    prof = cProfile.Profile()
    prof.enable()
    for html, url in pages:
        extract_html(html, url)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
