"""Throughput and memory of `docprep index` (`cleaners.reference.index_texts`): texts as
they are into a dedup reference index; and the cost of the contamination check a corpus
run makes against one built with --ngrams (`bench_check`).

    .venv/bin/python benchmarks/bench_index.py                  # 20k and 100k texts
    .venv/bin/python benchmarks/bench_index.py --sizes 2000     # smoke test

Each size is a JSONL file of generated texts (`--words` random words from a 20,000-word
vocabulary, 10% of them exact copies of an earlier one), indexed in a fresh child process
(so its peak RSS is that size's), one core. Texts per CPU second of the child (reading,
encoding repair, signature, check and add, the commit), and its peak RSS; the copies must
all be found (as rejects) and nothing else.

Results (2026-12-05, 2 shared cores; 500 words, ~3.4 KB a text):

    texts     texts/s (CPU)  peak RSS  indexed  duplicates
    20,000    4,367          118 MB    18,000   2,000
    100,000   4,155          211 MB    90,000   10,000

    contamination check: 892 bodies against 10,089 items (14 MB, built in 0.17 s):
    0.84 ms a body; planted found 89/89, other bodies matched 2

The RSS grows with the index, as `dedup_scale.py` measures it (the band table and
sketches are held in memory: 842 MB at 1M documents), not with the texts, which stream.
"""
from __future__ import annotations

import argparse
import json
import random
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def write_texts(path: Path, n: int, words: int, seed: int = 1) -> None:
    rng = random.Random(seed)
    vocab = [f"w{i}" for i in range(20_000)]
    texts: list[str] = []
    with open(path, "w") as f:
        for i in range(n):
            if i % 10 == 9:  # an exact copy of a recent text
                text = texts[rng.randrange(max(0, len(texts) - 100), len(texts))]
            else:
                text = " ".join(rng.choice(vocab) for _ in range(words))
            texts = texts[-100:] + [text]
            f.write(json.dumps({"id": f"t{i}", "text": text}) + "\n")


def child(jsonl: str, index: str) -> None:
    sys.path.insert(0, str(ROOT))
    from cleaners.config import Config
    from cleaners.reference import index_texts

    cpu = time.process_time()
    done = index_texts([jsonl], Path(index), Config())
    cpu = time.process_time() - cpu
    print(json.dumps({"cpu_s": round(cpu, 2), "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss // 1024,
                      "indexed": done["indexed"], "by_reason": done["by_reason"]}))


def bench_check(items: int, dev: Path) -> None:
    """The cost of the contamination check (`NgramTable.check`, run in the serial finalize
    for each document kept) over the dev sets' true bodies, against `items` generated test
    items of 100 words plus the first 600 characters of every tenth body (planted; one dev
    body is empty). Bodies matched besides the planted ones are real: two outlets' stories
    quoting the same passages."""
    sys.path.insert(0, str(ROOT))
    from cleaners.contamination import DEFAULT_NGRAMS, NgramTable, ngram_hashes

    bodies = [json.loads(line)["body"] for truth in sorted(dev.glob("*/truth.jsonl")) for line in open(truth)]
    rng = random.Random(0)
    vocab = [f"v{i}" for i in range(50_000)]
    rows = [(i, ngram_hashes(" ".join(rng.choice(vocab) for _ in range(100)), DEFAULT_NGRAMS).astype("<u8").tobytes())
            for i in range(items)]
    quoted = [b for b in range(0, len(bodies), 10) if len(ngram_hashes(bodies[b][:600], DEFAULT_NGRAMS))]  # not empty
    planted = {items + k: b for k, b in enumerate(quoted)}
    rows += [(seq, ngram_hashes(bodies[b][:600], DEFAULT_NGRAMS).astype("<u8").tobytes()) for seq, b in planted.items()]
    t = time.perf_counter()
    table = NgramTable.build(DEFAULT_NGRAMS, 1, rows)
    built = time.perf_counter() - t
    cpu = time.process_time()
    hits = [table.check(body) for body in bodies]
    cpu = time.process_time() - cpu
    found = sum(1 for seq, b in planted.items() if hits[b] is not None and hits[b].seq == seq)
    others = sum(1 for i, h in enumerate(hits) if h is not None and planted.get(h.seq) != i)
    print(f"contamination check: {len(bodies)} bodies against {len(rows):,} items ({table.hashes.nbytes * 2 / 2**20:.0f} MB, "
          f"built in {built:.2f} s): {cpu / len(bodies) * 1000:.2f} ms a body; planted found {found}/{len(planted)}, "
          f"other bodies matched {others}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[20_000, 100_000])
    ap.add_argument("--words", type=int, default=500)
    ap.add_argument("--check-items", type=int, default=10_000,
                    help="test items for the contamination check's measure (0: skip it)")
    ap.add_argument("--dev", type=Path, default=Path("/work/shared/eval/dev"))
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.child:
        child(*args.child)
        return
    if args.check_items and args.dev.is_dir():
        bench_check(args.check_items, args.dev)
    print(f"{'texts':>9}  {'texts/s (CPU)':>13}  {'peak RSS':>8}  {'indexed':>8}  {'duplicates':>10}")
    for n in args.sizes:
        with tempfile.TemporaryDirectory() as tmp:
            jsonl, index = Path(tmp) / "texts.jsonl", Path(tmp) / "ref.sqlite"
            write_texts(jsonl, n, args.words)
            out = subprocess.run([sys.executable, __file__, "--child", str(jsonl), str(index)],
                                 capture_output=True, text=True, check=True).stdout
            r = json.loads(out)
            dups = r["by_reason"].get("dedup/exact_duplicate", 0)
            others = sum(v for k, v in r["by_reason"].items() if k != "dedup/exact_duplicate")
            assert dups == n // 10 and others == 0 and r["indexed"] == n - dups, r
            print(f"{n:>9,}  {n / r['cpu_s']:>13,.0f}  {r['rss_mb']:>5} MB  {r['indexed']:>8,}  {dups:>10,}")


if __name__ == "__main__":
    main()
