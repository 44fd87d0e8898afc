#!/usr/bin/env python3
"""Per-page CPU cost of docprep's `extract_html` against plain `trafilatura.extract`, cold and warm.

usage: profile_html.py [SET_DIR ...] [--limit N] [--top K] [--no-profile] [--set KEY=VALUE ...]
  SET_DIR  evaluation set folders (html/<id>.html.gz, truth.jsonl for URLs); default: both dev sets in
           /work/shared/eval/dev (892 pages).
  --set    an ExtractConfig override for extract_html, value as JSON (as in eval_html.py),
           e.g. --set html_fast=true.

Each extractor runs in a process of its own, two passes over the pages, timed with
time.process_time (CPU time of that process, so other load on the machine hits both
alike; compare the ratio, not the ms): the first pass is what a fresh worker pays
(cold: lazy imports, htmldate's and dateparser's caches empty), the second what a long
run pays. Then extract_html runs once more under cProfile and the top-K functions by
cumulative time are printed.

example: .venv/bin/python benchmarks/profile_html.py --top 15

Measured on the 892 dev pages (2 cores, the other one busy; compare ratios, not ms):
  2026-11-21, separate processes: cold 37.6 vs 49.5 ms/page (ratio 1.32), warm 41.0 vs
  51.0 (1.25); another run cold 37.9 vs 51.9 (1.37), warm 36.5 vs 50.2 (1.38).
  Earlier figures from this script (1.40 before the speed-ups of commit ce225b2, 1.11
  after) timed both extractors page by page in ONE process: trafilatura.extract on a page
  warmed the LRU caches extract_html then hit on the same page, which flattered
  extract_html by ~15%. The speed-ups themselves were real (cProfile cumulative over the
  pages 77.6 s -> 59.7 s, same output on every page), the 1.11 was not.
  2026-11-21, later: before / after telling dateparser the page's language and turning on
  trafilatura's fast mode (html_fast): cold 37.7 vs 48.0 (1.27) -> 38.0 vs 47.5 (1.25),
  warm 38.0 vs 48.4 (1.27) -> 40.2 vs 45.1 (1.12). The machine's speed drifts: two
  alternating runs of each (cold/warm ms) gave before 52.2/45.8 and 45.3/47.8, after
  46.5/43.1 and 49.5/43.3, i.e. ~2-3 ms/page less, as the parts measured alone (metadata
  12.2 -> 8.8 ms cold) say.
  What extract_html does beyond trafilatura.extract: metadata (title, date with htmldate's
  extensive search, sitename; trafilatura.extract skips metadata by default), the byline
  search, jusText on the few pages rescued, postclean. Under cProfile (cold) metadata is
  28% of extract_html, find_date alone 23%.
  2026-11-22, with trafilatura's metadata timed too (`trafilatura.extract(...,
  with_metadata=True)`: the fields extract_html also returns): cold 38.3 / 68.4 / 47.4
  ms/page (trafilatura / with metadata / extract_html), warm 38.1 / 58.5 / 46.4:
  extract_html is 1.22-1.24x trafilatura's body alone and 0.69-0.79x trafilatura with
  the same metadata. htmldate's extensive date search is ~4 ms/page of it (metadata 7.4
  vs 3.3 ms/page without; exact dates 0.849 vs 0.813 on the 588 dated dev pages): the
  config switch `extract.html_date_extensive`.
  2026-12-04, `page_author` asking trafilatura's byline XPaths only of the elements whose
  attributes could match them (each `//*[...]` XPath visited every element, ~2.5 ms a page
  each, five of them on the pages whose metadata names no author): the byline search 6.1 ->
  2.4 ms/page over all 892 pages (the same bylines and the same pruned trees on every
  page); extract_html warm, alternating old/new processes on a drifting machine: 30.1 ->
  28.4 and 38.5 -> 36.2 ms/page (html_snapshot.py: every field of every page identical).
"""
from __future__ import annotations

import argparse
import cProfile
import gzip
import json
import logging
import pstats
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from trafilatura.utils import decode_file  # noqa: E402

from cleaners.config import ExtractConfig  # noqa: E402
from cleaners.html import extract_html  # noqa: E402

DEV = Path("/work/shared/eval/dev")
#: Timed each in a process of its own: trafilatura's body alone (issue 8's baseline), the
#: same with its metadata (the fields extract_html also returns), docprep's extractor.
EXTRACTORS = ("trafilatura", "trafilatura+metadata", "extract_html")


def load(sets: list[Path], limit: int | None) -> list[tuple[str, str | None]]:
    """(html, url) of each page, in truth.jsonl order, decoded as eval_html.py does."""
    pages = []
    for s in sets:
        truth = [json.loads(line) for line in open(s / "truth.jsonl", encoding="utf-8")][:limit]
        pages += [(decode_file(gzip.decompress((s / "html" / f"{t['id']}.html.gz").read_bytes())), t.get("url"))
                  for t in truth]
    return pages


def _time_one(which: str, pages: list[tuple[str, str | None]], cfg: ExtractConfig) -> tuple[float, float]:
    """CPU seconds of a first (cold) and a second (warm) pass of one extractor."""
    if which == "trafilatura":
        def run(h, u): return trafilatura.extract(h, url=u)
    elif which == "trafilatura+metadata":  # what extract_html also returns: title, date, author, site
        def run(h, u): return trafilatura.extract(h, url=u, with_metadata=True)
    else:
        def run(h, u): return extract_html(h, u, cfg)
    out = []
    for _ in range(2):
        c0 = time.process_time()
        for html, url in pages:
            run(html, url)
        out.append(time.process_time() - c0)
    return out[0], out[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("sets", nargs="*", type=Path, default=sorted(DEV.iterdir()))
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    ap.add_argument("--top", type=int, default=15)
    ap.add_argument("--no-profile", action="store_true")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="ExtractConfig override, value as JSON")
    ap.add_argument("--one", choices=EXTRACTORS, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    logging.disable(logging.WARNING)
    pages = load(args.sets, args.limit)
    cfg = ExtractConfig(**{k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)})
    if args.one:
        print(json.dumps(_time_one(args.one, pages, cfg)))
        return
    # Each extractor in a process of its own: run in one process, trafilatura.extract
    # warms LRU caches (trafilatura's line trimming, htmldate's) that extract_html then
    # hits on the same page, which flattered extract_html by ~15% in an earlier version.
    n = len(pages)
    times = {}
    for which in EXTRACTORS:
        cmd = [sys.executable, __file__, *map(str, args.sets), "--one", which]
        if args.limit:
            cmd += ["--limit", str(args.limit)]
        for item in args.set:
            cmd += ["--set", item]
        times[which] = json.loads(subprocess.run(cmd, capture_output=True, text=True, check=True).stdout)
    for k, label in ((0, "cold (first pass)"), (1, "warm (second pass)")):
        base, meta, ours = (times[w][k] for w in EXTRACTORS)
        print(f"{n} pages, {label} CPU ms/page: trafilatura.extract {1000 * base / n:.1f}, "
              f"extract_html {1000 * ours / n:.1f}, ratio {ours / base:.2f}; trafilatura.extract with "
              f"metadata {1000 * meta / n:.1f}, extract_html / it {ours / meta:.2f}")
    if args.no_profile:
        return
    extract_html(*pages[0], cfg)  # imports
    prof = cProfile.Profile()
    prof.enable()
    for html, url in pages:
        extract_html(html, url, cfg)
    prof.disable()
    pstats.Stats(prof).sort_stats("cumulative").print_stats(args.top)


if __name__ == "__main__":
    main()
