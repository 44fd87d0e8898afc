#!/usr/bin/env python3
"""trafilatura's default `extract()` and docprep's `extract_html` side by side on HTML eval sets.

usage: eval_html.py [SET_DIR ...] [--out DIR] [--limit N] [--set KEY=VALUE ...]
  SET_DIR  an evaluation set folder (html/<id>.html.gz + truth.jsonl); default: both
           dev sets in /work/shared/eval/dev.
  --out    where the two output folders go (default benchmarks/results/eval_html,
           git-ignored): OUT/<set>/trafilatura and OUT/<set>/docprep, each a docprep-style
           output folder (manifest.json + data/part-00000.jsonl) that score.py reads.
  --set    an ExtractConfig override for docprep's side, value as JSON
           (e.g. --set html_favor='"balanced"' --set html_rescue=false), to measure a variant.

example: .venv/bin/python benchmarks/eval_html.py /work/shared/eval/dev/wcxb-articles --limit 100

For each set it prints score.py's line for both (F1 / P / R / leak / title), date accuracy
against the truth's `date` (first 10 characters, over the pages whose truth has one),
F1 on the two halves of the set (even and odd positions in truth.jsonl: a 2-fold check
that a gain is not carried by a few pages), and pages per CPU-second, measured on one
core with both extractors run on each page in turn so machine load hits both alike.

The baseline is what a trafilatura user gets by default: `trafilatura.extract(html)`
for text, and `trafilatura.extract_metadata(tree)` for title and date (timed apart:
`extract()` alone is the speed reference; `extract + metadata` is the like-for-like one,
as docprep also returns metadata). Both get the same decoded string
(`trafilatura.utils.decode_file` of the page bytes).
"""
from __future__ import annotations

import argparse
import gzip
import json
import logging
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import trafilatura  # noqa: E402
from trafilatura.metadata import extract_metadata  # noqa: E402
from trafilatura.utils import decode_file, load_html  # noqa: E402

from cleaners.config import ExtractConfig  # noqa: E402
from cleaners.html import extract_html  # noqa: E402
from scored_output import score, write_scored_folder  # noqa: E402

EVAL = Path("/work/shared/eval")
DEFAULT_SETS = [EVAL / "dev" / "scrapinghub", EVAL / "dev" / "wcxb-articles"]


def load_set(set_dir: Path, limit: int | None) -> list[tuple[dict, Path, str]]:
    truth = [json.loads(line) for line in open(set_dir / "truth.jsonl", encoding="utf-8")]
    if limit:
        truth = truth[:limit]
    pages = []
    for t in truth:
        path = set_dir / "html" / f"{t['id']}.html.gz"
        pages.append((t, path, decode_file(gzip.decompress(path.read_bytes()))))
    return pages


def run_set(set_dir: Path, out_root: Path, limit: int | None, cfg: ExtractConfig) -> None:
    pages = load_set(set_dir, limit)
    base, ours = [], []
    t_base = t_meta = t_ours = 0.0
    for t, path, html in pages:
        c0 = time.process_time()
        text = trafilatura.extract(html, url=t.get("url")) or ""
        c1 = time.process_time()
        meta = extract_metadata(load_html(html), t.get("url"))
        c2 = time.process_time()
        r = extract_html(html, t.get("url"), cfg)
        c3 = time.process_time()
        t_base, t_meta, t_ours = t_base + c1 - c0, t_meta + c2 - c1, t_ours + c3 - c2
        uri = str(path)
        base.append({"text": text, "title": meta.title, "date": meta.date, "source": {"uri": uri}})
        ours.append({"text": r.text, "title": r.title, "date": r.date, "source": {"uri": uri},
                     "method": r.method, "removed": list(r.removed)})
    n = len(pages)
    print(f"== {set_dir.name} ({n} pages)")
    for name, records in (("trafilatura", base), ("docprep", ours)):
        out = out_root / set_dir.name / name
        line = score(set_dir, write_scored_folder(out, records))
        print(f"  {name:12s} {line}")
        print(f"  {'':12s} {date_line(pages, records)}  {folds_line(pages, records)}")
    print(f"  speed (pages per CPU-second, one core): trafilatura extract {n / t_base:.1f}, "
          f"extract + metadata {n / (t_base + t_meta):.1f}, docprep extract_html {n / t_ours:.1f} "
          f"({t_ours / (t_base + t_meta):.2f}x extract + metadata, {t_ours / t_base:.2f}x extract alone)")


def date_line(pages: list, records: list[dict]) -> str:
    dated = [(t["date"][:10], (r.get("date") or "")[:10]) for (t, _, _), r in zip(pages, records) if t.get("date")]
    if not dated:
        return "date n/a"
    return f"date {sum(a == b for a, b in dated) / len(dated):.3f} ({len(dated)} dated)"


def folds_line(pages: list, records: list[dict]) -> str:
    sys.path.insert(0, str(EVAL))
    from textmetrics import shingle_prf

    pairs = [(t["body"], r["text"]) for (t, _, _), r in zip(pages, records)]
    f_even = shingle_prf(pairs[0::2])[0]
    f_odd = shingle_prf(pairs[1::2])[0] if len(pairs) > 1 else float("nan")
    return f"F1 fold even {f_even:.3f}  fold odd {f_odd:.3f}"


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog="example: eval_html.py /work/shared/eval/dev/wcxb-articles --limit 100")
    ap.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    ap.add_argument("--out", type=Path, default=ROOT / "benchmarks" / "results" / "eval_html")
    ap.add_argument("--limit", type=int, default=None, help="only the first N pages of each set")
    ap.add_argument("--set", action="append", default=[], metavar="KEY=VALUE",
                    help="ExtractConfig override for docprep, VALUE as JSON (repeatable)")
    args = ap.parse_args(argv)
    overrides = {k: json.loads(v) for k, v in (item.split("=", 1) for item in args.set)}
    cfg = ExtractConfig(**overrides)
    logging.disable(logging.WARNING)  # trafilatura logs every page it discards
    for set_dir in args.sets:
        run_set(set_dir, args.out, args.limit, cfg)


if __name__ == "__main__":
    main()
