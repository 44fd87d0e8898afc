#!/usr/bin/env python3
"""Where the text-dump cleaner's time goes: wall time per document of each stage of
`cleaners.textdump.clean_dump`, and how many passes it runs.

usage: profile_textdump.py [SET_DIR ...] [--limit N]
  SET_DIR  folders with dumps/*.txt; default: both dev sets in /work/shared/eval/dev (892 dumps).

Each stage function is wrapped with a timer (time.perf_counter) for one run over the
dumps after a warm-up; stages nest (`_scores` holds `_trees`, `stage2_features` and `_lr`,
`unit_features` holds `_with_context` and `boilerplate_masks`), so the shares do not add up
to 100%. The wrappers cost ~1 us per call, a few calls per pass: noise beside the stages.
For the cleaner's throughput alone use eval_textdump.py (CPU time, best of N).

Measured 2026-12-03 on the 892 dev dumps (one core, the other lightly loaded; ms per
document, wall; a document is 228 units and 2,434 tokens on average, 2.12 passes), before
and after the speed-up that left every output byte as it was (textdump_snapshot.py):
  total 8.84 -> 6.73 | unit_features 2.80 -> 1.66 + stoplist_scores 0.51 (was
  doc_stoplist 0.63, inside it; _with_context 0.51 -> 0.41, boilerplate_masks 0.48 -> 0.37)
  | _scores 1.58 -> 1.06 (the stage-two trees 1.10 -> 0.73, their features 0.35 -> 0.21,
  stage one 0.11) | _take_title 1.17 -> 0.96 | _context_rules 0.59 -> 0.45 (+ _unit_reasons
  0.25, _name_removed 0.16, split out of _score_and_judge) | split_dump 0.53 -> 0.22 (later
  passes: split_paragraphs 0.05) | _take_date 0.35 -> 0.17; the rest of the passes is
  tokenising (~0.45) and the feature rows as lists for the rules (~0.15).
CPU time, five alternating runs of both versions: 8.96 -> 6.70 ms (medians), the w3m and
lynx renderings 11.1 -> 8.5 ms. No stage is a hot spot: the time is per-unit Python
(tokens, stop-word and boilerplate look-ups, rule regexes, headline candidates) and numpy
calls on arrays of a few hundred rows (the 150 depth-4 trees: six array operations per
level on 228 x 150 elements, ~0.35 ms on a first pass). 300 documents/s (3.3 ms each)
would need the feature extraction, rules and trees compiled, not rearranged.
"""
from __future__ import annotations

import argparse
import collections
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners import textdump, textdump_features  # noqa: E402

DEV = Path("/work/shared/eval/dev")
#: (module, function) pairs timed; a module's own global name is what its callers look up.
STAGES = [(textdump, n) for n in ("_one_pass", "split_dump", "split_paragraphs", "stoplist_scores",
                                  "unit_features", "_scores", "_trees", "stage2_features", "_lr", "_unit_reasons",
                                  "_context_rules", "_name_removed", "_take_title", "_take_date")]
STAGES += [(textdump_features, n) for n in ("_with_context", "boilerplate_masks")]


def timed(totals: collections.Counter, calls: collections.Counter, module, name: str) -> None:
    fn = getattr(module, name)

    def wrapper(*args, **kwargs):
        t = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            totals[name] += time.perf_counter() - t
            calls[name] += 1

    setattr(module, name, wrapper)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", type=Path, default=[DEV / "scrapinghub", DEV / "wcxb-articles"])
    ap.add_argument("--limit", type=int, default=None, help="at most N dumps per set")
    args = ap.parse_args(argv)
    texts = [p.read_text(encoding="utf-8") for s in args.sets for p in sorted((s / "dumps").glob("*.txt"))[:args.limit]]
    for text in texts[:20]:  # warm-up: stop lists, models, regex caches
        textdump.clean_dump(text)
    totals: collections.Counter = collections.Counter()
    calls: collections.Counter = collections.Counter()
    for module, name in STAGES:
        timed(totals, calls, module, name)
    start = time.perf_counter()
    for text in texts:
        textdump.clean_dump(text)
    total = time.perf_counter() - start
    n = len(texts)
    print(f"{n} dumps: {1000 * total / n:.2f} ms/doc ({n / total:.0f} docs/s wall, one process), "
          f"{calls['_one_pass'] / n:.2f} passes/doc")
    for name, seconds in totals.most_common():
        print(f"  {name:18s} {1000 * seconds / n:6.2f} ms/doc {100 * seconds / total:5.1f}%")


if __name__ == "__main__":
    main()
