"""The contamination check end to end, on pages no one here wrote: does a corpus cleaned
from real pages lose exactly the pages that quote a test item?

usage: python benchmarks/eval_contamination.py [--dev DIR] [--every K] [--words N] [--workers W]

Test items are taken from the dev sets' true bodies (`truth.jsonl`): from every K-th page
(by id, default 10) whose body has a paragraph of 20 words or more, the first N words
(default 60) of its longest paragraph, as a benchmark question quoting a web page would.
They are indexed with `docprep index --ngrams 13` (`index_texts`), then every page of both
sets is cleaned against the index (`docprep clean --against`, without Prefect), once from
its HTML and once from its text dump. Counted:

- planted: pages an item was taken from; found: those rejected as `contaminated` by their
  own item (or as a duplicate of it, a page whose text is only that passage); missed: the others, with what became of them (kept: extraction lost the
  passage or changed its words; rejected before dedup, e.g. too short);
- other pages rejected for an item, split by the truth: `real` when the page's true
  body holds a 13-word sequence of the item too (another outlet quoting the same passage),
  `false` otherwise (the extraction's text holds one, the true body does not: boilerplate
  shared with the item's page).

Results (2026-12-05, 892 pages, 89 items of 60 words; 22 s for both runs, 2 workers):

    input  planted  found  missed (kept / rejected before)  other real  other false
    html   89       87     2 (2 / 0)                        0           0
    dumps  89       88     1 (1 / 0)                        0           0

Every miss is a page whose extracted text lacks the passage (the extraction's recall: none
of its 13-word sequences is in the record's text), not a fault of the check. Two of the dumps'
finds are whole-text duplicates of their item (pages whose cleaned text is that passage
and little else: `exact_duplicate` / `near_duplicate`, checked before contamination).
With --every 3 --words 20 (292 items of 20 words): html 287/292, dumps 287/292, no other
page rejected.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cleaners.config import Config  # noqa: E402
from cleaners.contamination import NgramTable, ngram_hashes  # noqa: E402
from cleaners.pipeline import run  # noqa: E402
from cleaners.reference import index_texts  # noqa: E402

N = 13


def truth(dev: Path) -> dict[str, str]:
    bodies = {}
    for path in sorted(dev.glob("*/truth.jsonl")):
        for line in open(path, encoding="utf-8"):
            obj = json.loads(line)
            bodies[obj["id"]] = obj.get("body") or ""
    return bodies


def items_from(bodies: dict[str, str], every: int, words: int) -> dict[str, str]:
    """page id -> its test item: the first `words` words of its longest paragraph."""
    items = {}
    for k, (page, body) in enumerate(sorted(bodies.items())):
        if k % every:
            continue
        paragraph = max(body.split("\n"), key=lambda p: len(p.split()), default="")
        if len(paragraph.split()) >= 20:
            items[page] = " ".join(paragraph.split()[:words])
    return items


def page_of(uri: str) -> str:
    return uri.rstrip("/").rsplit("/", 1)[-1].split(".")[0]


def measure(kind: str, dev: Path, index: Path, items: dict[str, str], bodies: dict[str, str],
            workers: int, tmp: Path) -> dict:
    inputs = [str(d / kind) for d in sorted(dev.iterdir()) if (d / kind).is_dir()]
    out = tmp / f"corpus-{kind}"
    run(inputs, out, Config().with_overrides(dedup={"against": [str(index)]}), workers=workers)
    rejects = [json.loads(line) for line in open(out / "rejects.jsonl", encoding="utf-8")]
    outcome = {page_of(r["source"]["uri"]): r for r in rejects}
    found, missed_kept, missed_rejected, real, false = 0, [], [], [], []
    for page in items:
        r = outcome.get(page)
        if r is not None and r["stage"] == "dedup" and r.get("duplicate_of") == page:
            found += 1  # contaminated, or a copy of the item as a whole (a page that is only that passage)
        elif r is None:
            missed_kept.append(page)
        else:
            missed_rejected.append((page, f"{r['stage']}/{r['reason']}"))
    for page, r in outcome.items():
        if r["stage"] != "dedup" or r.get("duplicate_of") not in items or r["duplicate_of"] == page:
            continue
        item = NgramTable.build(N, 1, [(0, ngram_hashes(items[r["duplicate_of"]], N).astype("<u8").tobytes())])
        (real if item.check(bodies.get(page, "")) is not None else false).append((page, r["duplicate_of"]))
    return {"input": kind, "planted": len(items), "found": found, "missed_kept": missed_kept,
            "missed_rejected": missed_rejected, "other_real": real, "other_false": false}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--dev", type=Path, default=Path("/work/shared/eval/dev"))
    ap.add_argument("--every", type=int, default=10)
    ap.add_argument("--words", type=int, default=60)
    ap.add_argument("--workers", type=int, default=2)
    args = ap.parse_args()
    bodies = truth(args.dev)
    items = items_from(bodies, args.every, args.words)
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        (tmp / "items.jsonl").write_text("".join(json.dumps({"id": k, "text": v}) + "\n" for k, v in items.items()))
        index = tmp / "items.sqlite"
        done = index_texts([str(tmp / "items.jsonl")], index, Config(), ngrams=N)
        print(f"{len(bodies)} pages, {done['indexed']} items of up to {args.words} words indexed")
        print(f"{'input':6} {'planted':>7} {'found':>6} {'missed (kept / rejected before)':>32} {'other real':>10} {'other false':>11}")
        for kind in ("html", "dumps"):
            r = measure(kind, args.dev, index, items, bodies, args.workers, tmp)
            kept, before = len(r["missed_kept"]), len(r["missed_rejected"])
            missed = f"{kept + before} ({kept} / {before})"
            print(f"{kind:6} {r['planted']:>7} {r['found']:>6} {missed:>32} "
                  f"{len(r['other_real']):>10} {len(r['other_false']):>11}")
            for page, why in r["missed_rejected"]:
                print(f"    missed, rejected before dedup: {page[:16]} {why}")
            for page in r["missed_kept"]:
                print(f"    missed, kept: {page[:16]}")
            for page, item in r["other_false"]:
                print(f"    false: {page[:16]} holds a sequence of {item[:16]}, its true body does not")


if __name__ == "__main__":
    main()
