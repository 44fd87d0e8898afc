#!/usr/bin/env python3
"""What the text-dump cleaner's later passes remove, against the truth.

usage: python benchmarks/later_passes.py [SET_DIR ...]
  SET_DIR  folders with dumps/*.txt and truth.jsonl (default: both dev sets in
           /work/shared/eval/dev; w3m / lynx renderings from eval_textdump_renderers.py
           --save-dumps work too).

`clean_dump` repeats its pass on the kept text until nothing more goes, so that its output
is a fixed point (`clean_dump(clean_dump(x).text).text == clean_dump(x).text`). A later pass
re-scores the kept units without the page around them: the model then reads an article's
last lines as the end of the text, where on a whole page the footer stands. This script
labels every unit of each dump's first pass as the training script does
(`train_textdump.label_units`: body when half its 4-gram shingles are in the true body),
and counts the units the first pass kept and a later pass removed, body or not, in units
and characters; with the share of the cleaner's time the later passes take (wall time of
`_one_pass` calls after the first).

Measured 2026-12-04 (shipped model; units the first pass kept and a later one removed,
body / boilerplate by the training labels, characters and units; the later passes' share
of the cleaner's wall time):

| dumps | body removed | boilerplate removed | later passes' time |
|---|---|---|---|
| scrapinghub, html_text | 814 (8) | 1,578 (41) | 14% |
| wcxb-articles, html_text | 6,781 (257) | 2,318 (46) | 15% |
| scrapinghub, w3m | 470 (6) | 686 (18) | 13% |
| wcxb-articles, w3m | 14,631 (322) | 10,200 (283) | 14% |
| scrapinghub, lynx | 727 (14) | 661 (15) | 12% |
| wcxb-articles, lynx | 11,257 (259) | 5,434 (165) | 13% |

Both are small beside the bodies (wcxb-articles holds 8.5 million body characters): with
one pass only (`textdump.MAX_PASSES = 1`, which gives up the fixed point) the six F1s are
0.913 / 0.932 / 0.898 / 0.915 / 0.887 / 0.919 against 0.914 / 0.932 / 0.898 / 0.915 /
0.887 / 0.918 with the later passes. So the later passes buy idempotence, not quality, for
an eighth to a seventh of the cleaner's time, and remove more body than boilerplate on
wcxb-articles. A cleaner whose one pass removes nothing from its own output (a line model
also trained on first-pass outputs as all-body documents, say) would need no later pass.
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from cleaners import textdump  # noqa: E402
from train_textdump import label_units  # noqa: E402

DEV = Path("/work/shared/eval/dev")


def later_removals(dump: str, body: str) -> tuple[list[tuple[int, int]], float, float]:
    """(label, characters) of each unit the first pass kept and a later one removed, and
    the seconds of the first pass and of the later ones."""
    first, seconds = [], [0.0, 0.0]
    one_pass = textdump._one_pass

    def timed(content, cfg, model, prior=None, title_model=None):
        t = time.perf_counter()
        out = one_pass(content, cfg, model, prior, title_model)
        seconds[prior is not None] += time.perf_counter() - t
        if prior is None:
            first.append(out[1])
        return out

    textdump._one_pass = timed
    try:
        result = textdump.clean_dump(dump)
    finally:
        textdump._one_pass = one_pass
    units, reasons = first[0].units, first[0].reasons
    labels = label_units(units, body)
    out = [(int(y), len(u.text)) for u, r, y in zip(units, reasons, labels)
           if r == "body" and not result.lines[u.first].keep]
    return out, seconds[0], seconds[1]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", type=Path, default=[DEV / "scrapinghub", DEV / "wcxb-articles"])
    args = ap.parse_args(argv)
    textdump.clean_dump("warm up the stop lists and the model")
    for set_dir in args.sets:
        units, chars, t_first, t_later = [0, 0], [0, 0], 0.0, 0.0
        for line in open(set_dir / "truth.jsonl", encoding="utf-8"):
            truth = json.loads(line)
            path = set_dir / "dumps" / f"{truth['id']}.txt"
            if not path.exists():
                continue
            removed, a, b = later_removals(path.read_text(encoding="utf-8"), truth["body"])
            t_first, t_later = t_first + a, t_later + b
            for y, n in removed:
                units[y] += 1
                chars[y] += n
        print(f"{set_dir}: later passes removed body {chars[1]:,} characters ({units[1]} units), "
              f"boilerplate {chars[0]:,} ({units[0]}); later passes {t_later / (t_first + t_later):.0%} "
              f"of the cleaner's time")


if __name__ == "__main__":
    main()
