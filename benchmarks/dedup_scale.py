"""Throughput, memory and disk of `cleaners.dedup` on generated documents.

    .venv/bin/python benchmarks/dedup_scale.py                         # 10k and 100k
    .venv/bin/python benchmarks/dedup_scale.py --sizes 10000 100000 1000000
    .venv/bin/python benchmarks/dedup_scale.py --sizes 2000 --words 200  # smoke test

Each size runs in a fresh child process (so the peak RSS is that size's), single-threaded
(one core), with an on-disk index in a temporary folder. Throughput is documents per CPU
second of the process (`time.process_time`, user + system, so SQLite's I/O syscalls count),
so it reads per core even on a shared machine; `wall_s` is the whole child, generation
included. Documents are random word sequences
(`--words` words drawn from a Zipf-distributed 50,000-word vocabulary, so unrelated documents
share common words as real ones do), streamed, never held all in memory. A fraction
(`--dup-rate`, 10%) are planted copies of a recent earlier document: half exact (reformatted:
CRLF, upper case), half near (3% of the words substituted). Reported per size: signature
throughput, check+add throughput (the serial pass), both together, peak RSS of the process,
index size on disk, the planted duplicates found and unrelated documents wrongly matched,
and crash recovery: after the measured run commits, a second run adds min(10,000, n/10)
documents and is closed without `commit_run`; `recovery_s` is the next `begin_run`, which
deletes them (`recovered_docs`).

`load_s` is a clean `begin_run`, which loads the band table and sketches into memory.

Results (2026-11-21, 2 shared cores, so read the CPU-second rates, not wall_s):

    docs       sig/s  check+add/s  both/s  peak RSS  disk     wall   load   recovery
    10,000     5,852  5,481        2,830   109 MB    7 MB     6 s    0.1 s  0.1 s / 1,000 docs
    100,000    5,009  3,578        2,087   280 MB    67 MB    69 s   0.5 s  0.6 s / 10,000 docs
    1,000,000  5,173  2,553        1,709   842 MB    668 MB   794 s  5.2 s  5.7 s / 10,000 docs

Every planted copy was found and nothing else matched at every size. check+add slows as
the index grows because the LSH candidates per check grow with it; this generator's
unrelated documents share ~2x more word pairs than real articles (see cleaners/dedup.py,
which also keeps the figures of the earlier designs: 1M was 690 both/s with the bands in
SQLite, 939 with the sketch pre-filter).
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

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cleaners import dedup  # noqa: E402
from cleaners.config import DedupConfig  # noqa: E402


def generate(n: int, words: int, dup_rate: float, seed: int):
    """Yield (doc_id, text, planted) with planted in {None, 'exact', 'near'}."""
    rng = random.Random(seed)
    nprng = np.random.default_rng(seed)
    letters = np.array(list("abcdefghijklmnopqrstuvwxyz"))
    vocab = ["".join(nprng.choice(letters, size=nprng.integers(2, 10))) for _ in range(50_000)]
    ranks = np.arange(1, len(vocab) + 1)
    cdf = np.cumsum(1.0 / ranks**1.07)
    cdf /= cdf[-1]
    recent: list[str] = []
    for i in range(n):
        if recent and rng.random() < dup_rate:
            src = rng.choice(recent)
            if rng.random() < 0.5:
                yield f"d{i}", src.upper().replace(" ", "\r\n", 3), "exact"
            else:
                toks = src.split()
                for k in rng.sample(range(len(toks)), max(1, int(0.03 * len(toks)))):
                    toks[k] = vocab[rng.randrange(len(vocab))]
                yield f"d{i}", " ".join(toks), "near"
            continue
        idx = np.searchsorted(cdf, nprng.random(words))
        text = " ".join(vocab[k] for k in idx)
        if len(recent) < 1000:
            recent.append(text)
        else:
            recent[rng.randrange(1000)] = text
        yield f"d{i}", text, None


def rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_one(n: int, words: int, dup_rate: float, seed: int, cache_mb: int) -> dict:
    cfg = DedupConfig(cache_mb=cache_mb)
    baseline = rss_mb()
    with tempfile.TemporaryDirectory(prefix="dedup_scale_") as tmp:
        path = Path(tmp) / "dedup.sqlite"
        index = dedup.DedupIndex(path, cfg)
        index.begin_run("scale")
        t_sig = t_idx = 0.0
        found = {"exact": 0, "near": 0}
        planted = {"exact": 0, "near": 0}
        false_matches = 0
        wall0 = time.perf_counter()
        clock = time.process_time  # CPU seconds of this process: throughput per core
        for doc_id, text, kind in generate(n, words, dup_rate, seed):
            t0 = clock()
            sig = dedup.signature(text, cfg)
            t1 = clock()
            match = index.check(sig)
            if match is None:
                index.add(doc_id, sig)
            t_idx += clock() - t1
            t_sig += t1 - t0
            if kind:
                planted[kind] += 1
                found[kind] += match is not None
            elif match is not None:
                false_matches += 1
        t0 = time.perf_counter()
        index.commit_run()
        t_commit = time.perf_counter() - t0
        wall = time.perf_counter() - wall0
        index.close()  # checkpoints the WAL into the database file
        disk = sum(f.stat().st_size for f in Path(tmp).iterdir())
        # Crash recovery: a second run adds documents, then dies without commit_run; the
        # next begin_run must delete them (a scan of the band table).
        index = dedup.DedupIndex(path, cfg)
        index.begin_run("crashed")
        for doc_id, text, _ in generate(min(10_000, max(1, n // 10)), words, 0.0, seed + 1):
            index.add(f"c{doc_id}", dedup.signature(text, cfg))
        index.close()
        index = dedup.DedupIndex(path, cfg)
        t0 = time.perf_counter()
        index.begin_run("after-crash")
        t_recover = time.perf_counter() - t0
        discarded = index.stats()["discarded_uncommitted"]
        index.commit_run()
        index.close()
        # A clean start: begin_run loads the band table and sketches into memory.
        index = dedup.DedupIndex(path, cfg)
        t0 = time.perf_counter()
        index.begin_run("reopened")
        t_load = time.perf_counter() - t0
        index.close()
    return {
        "docs": n,
        "words": words,
        "signature_docs_s": n / t_sig,
        "index_docs_s": n / t_idx,
        "total_docs_s": n / (t_sig + t_idx),
        "commit_s": t_commit,
        "wall_s": wall,
        "recovery_s": t_recover,
        "recovered_docs": discarded,
        "load_s": t_load,
        "peak_rss_mb": rss_mb(),
        "baseline_rss_mb": baseline,
        "disk_mb": disk / 1024**2,
        "exact_found": f"{found['exact']}/{planted['exact']}",
        "near_found": f"{found['near']}/{planted['near']}",
        "false_matches": false_matches,
    }


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--sizes", type=int, nargs="+", default=[10_000, 100_000])
    ap.add_argument("--words", type=int, default=500, help="words per generated document")
    ap.add_argument("--dup-rate", type=float, default=0.10)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--cache-mb", type=int, default=DedupConfig().cache_mb)
    ap.add_argument("--one", type=int, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.one:
        print(json.dumps(run_one(args.one, args.words, args.dup_rate, args.seed, args.cache_mb)))
        return 0
    cols = ["docs", "signature_docs_s", "index_docs_s", "total_docs_s", "peak_rss_mb", "disk_mb",
            "exact_found", "near_found", "false_matches", "commit_s", "wall_s",
            "recovery_s", "recovered_docs", "load_s"]
    print(f"words/doc {args.words}, dup rate {args.dup_rate}, cache_mb {args.cache_mb}; one process; "
          "docs/s are per CPU-second of the process (process_time), wall_s includes generation")
    print(" | ".join(f"{c:>16}" for c in cols))
    for n in args.sizes:
        out = subprocess.run(
            [sys.executable, __file__, "--one", str(n), "--words", str(args.words),
             "--dup-rate", str(args.dup_rate), "--seed", str(args.seed), "--cache-mb", str(args.cache_mb)],
            check=True, capture_output=True, text=True,
        )
        row = json.loads(out.stdout.strip().splitlines()[-1])
        print(" | ".join(f"{row[c]:>16.1f}" if isinstance(row[c], float) else f"{row[c]:>16}" for c in cols), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
