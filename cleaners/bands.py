"""The LSH band table of the dedup index, in memory: band key -> the documents holding it.

`cleaners.dedup` keeps its index on disk (SQLite) and loads this table from there when a
run begins. Each (document, band) pair is one uint64, the band key's 32-bit fingerprint
above the document's 32-bit sequence number, so 29 bands cost 232 bytes per indexed
document (232 MB per million). The pairs live in a few sorted arrays of geometrically
growing size (a log-structured merge): a lookup is two binary searches per array, an
insert goes to a small unsorted tail (a dict, also searched) that is sorted into a new
array every `tail_pairs` pairs, and arrays of similar size are merged (numpy's stable sort
of two concatenated sorted runs is a linear merge). Each pair is merged O(log n) times.

Why not an SQLite table: at 300k indexed documents the band table's GROUP BY, fetching
its rows and the 29 random B-tree inserts per document were half the cost of a check+add
(profiled with py-spy; the figures are in cleaners/dedup.py), and they grow with the index.

In front of the arrays sits a bitmap of fingerprint prefixes (2^28 bits, 32 MB): a
fingerprint whose prefix bit is clear is in no array, so most of a check's fingerprints are
answered by one memory access instead of a binary search per array (at a million indexed
documents 11% of the bits are set).

A fingerprint is 32 bits of a 64-bit band key, so two different keys share one with
probability 2^-32: at a million indexed documents (29M pairs) a check meets ~0.2 spurious
candidates, which the sketch pre-filter and verification discard like any chance candidate.
"""
from __future__ import annotations

import numpy as np

_LOW = np.uint64(0xFFFFFFFF)
_SHIFT = np.uint64(32)
_PREFIX_BITS = 28
_TO_PREFIX = np.uint64(32 - _PREFIX_BITS)


def fingerprints(band_keys: np.ndarray) -> np.ndarray:
    """uint32 fingerprints of signed or unsigned 64-bit band keys (their low 32 bits)."""
    return (np.asarray(band_keys).view(np.uint64) & _LOW).astype(np.uint32)


def _run_starts(sorted_values: np.ndarray) -> np.ndarray:
    """Where each run of equal values starts in a sorted array (np.unique does this, but is
    ~100x slower on large uint64 arrays in numpy 2.4)."""
    if not len(sorted_values):
        return np.zeros(0, dtype=bool)
    return np.concatenate(([True], sorted_values[1:] != sorted_values[:-1]))


class BandTable:
    """A multimap uint32 fingerprint -> uint32 seq, filled in increasing seq order."""

    def __init__(self, tail_pairs: int = 1 << 15) -> None:
        self._runs: list[np.ndarray] = []  # sorted uint64 (fingerprint << 32 | seq)
        self._tail: dict[int, list[int]] = {}  # fingerprint -> seqs, for lookups
        self._tail_docs: list[tuple[int, list[int]]] = []  # (seq, fingerprints), for flush
        self._tail_pairs = 0
        self._tail_limit = tail_pairs
        self._bitmap = np.zeros(1 << (_PREFIX_BITS - 3), dtype=np.uint8)

    def __len__(self) -> int:  # (document, fingerprint) pairs
        return sum(len(r) for r in self._runs) + self._tail_pairs

    def load(self, seqs: np.ndarray, prints: np.ndarray) -> None:
        """Bulk-add documents (any order): seqs uint32[n], prints uint32[n, bands] (a
        document's repeated fingerprint counts once, as in `add`)."""
        seqs = np.asarray(seqs, dtype=np.uint64)
        prints = np.asarray(prints, dtype=np.uint64)
        if not len(seqs):
            return
        self._mark(prints.ravel())
        packed = (prints << _SHIFT) | seqs[:, None]
        packed = np.sort(packed.ravel())
        self._push(packed[_run_starts(packed)])

    def add(self, seq: int, prints: np.ndarray) -> None:
        """Add one document's fingerprints (a document's repeated fingerprint counts once)."""
        ps = prints.tolist()
        if len(set(ps)) != len(ps):
            ps = sorted(set(ps))
        tail = self._tail
        for p in ps:
            bucket = tail.get(p)
            if bucket is None:
                tail[p] = [seq]
            else:
                bucket.append(seq)
        self._tail_docs.append((seq, ps))
        self._tail_pairs += len(ps)
        if self._tail_pairs >= self._tail_limit:
            self.flush()

    def flush(self) -> None:
        """Sort the tail into the arrays (and mark it in the prefix bitmap)."""
        if not self._tail_docs:
            return
        prints = np.fromiter((p for _, ps in self._tail_docs for p in ps), dtype=np.uint64, count=self._tail_pairs)
        seqs = np.repeat(np.array([s for s, _ in self._tail_docs], dtype=np.uint64),
                         [len(ps) for _, ps in self._tail_docs])
        self._tail, self._tail_docs, self._tail_pairs = {}, [], 0
        self._mark(prints)
        self._push(np.sort((prints << _SHIFT) | seqs))

    def lookup(self, prints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(seqs, hits): the documents sharing at least one of `prints`, in seq order, and
        how many of them each shares."""
        q = np.sort(np.asarray(prints, dtype=np.uint64))
        q = q[_run_starts(q)]
        found: list[np.ndarray] = []
        if self._tail:  # not in the bitmap yet
            tail = [s for p in q.tolist() for s in self._tail.get(p, ())]
            if tail:
                found.append(np.array(tail, dtype=np.uint64))
        q = q[self._marked(q)]
        lo_keys = q << _SHIFT
        for run in self._runs if len(q) else ():
            lo = np.searchsorted(run, lo_keys)
            # Most fingerprints are in no run: look for the end of a range only where the
            # first pair at or after it has the same fingerprint.
            at = run[np.minimum(lo, len(run) - 1)] >> _SHIFT
            hit = (at == q) & (lo < len(run))
            if not hit.any():
                continue
            starts = lo[hit]
            ends = np.searchsorted(run, lo_keys[hit] | _LOW, side="right")
            cnt = ends - starts
            # the positions start..end-1 of every range, concatenated
            idx = np.arange(int(cnt.sum())) + np.repeat(starts - (np.cumsum(cnt) - cnt), cnt)
            found.append(run[idx] & _LOW)
        if not found:
            empty = np.empty(0, dtype=np.int64)
            return empty, empty
        seqs = np.sort(np.concatenate(found)).astype(np.int64)
        first = np.flatnonzero(_run_starts(seqs))
        return seqs[first], np.diff(np.append(first, len(seqs)))

    def forget_from(self, first_seq: int) -> None:
        """Drop every pair with seq >= first_seq (a discarded run's documents)."""
        self.flush()
        kept = [r[(r & _LOW) < np.uint64(first_seq)] for r in self._runs]
        self._runs = []
        self._bitmap[:] = 0
        for r in kept:
            if len(r):
                self._mark(r >> _SHIFT)
                self._push(r)

    def _mark(self, prints: np.ndarray) -> None:
        prefix = prints >> _TO_PREFIX
        np.bitwise_or.at(self._bitmap, prefix >> np.uint64(3), (1 << (prefix & np.uint64(7))).astype(np.uint8))

    def _marked(self, prints: np.ndarray) -> np.ndarray:
        prefix = prints >> _TO_PREFIX
        return ((self._bitmap[prefix >> np.uint64(3)] >> (prefix & np.uint64(7)).astype(np.uint8)) & 1).astype(bool)

    def _push(self, run: np.ndarray) -> None:
        """Add a sorted array, then merge while the newest is at least half the size of
        the one before it (so there are O(log n) arrays)."""
        self._runs.append(run)
        while len(self._runs) > 1 and 2 * len(self._runs[-1]) >= len(self._runs[-2]):
            newer = self._runs.pop()
            older = self._runs.pop()
            merged = np.concatenate((older, newer))
            merged.sort(kind="stable")  # timsort: a linear merge of the two sorted runs
            self._runs.append(merged)
