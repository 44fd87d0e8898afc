"""Contamination: a document that holds word sequences of a text it must not contain (a
benchmark's test item, built into a reference with `docprep index --ngrams N`).

A whole-text duplicate check cannot see a test item quoted inside a longer page: the page
shares a few percent of its shingles with the item. So a reference built with `--ngrams N`
also keeps, for each indexed text, the 64-bit hashes of its distinct N-word sequences
(words as `dedup` tokenises them: normalised, casefolded, punctuation as separators), and a
corpus cleaned against it rejects a document holding at least `min_matches` of one text's
sequences (all of them for a text with fewer) as `contaminated`, naming the text. This is
the test of GPT-3's and later models' decontamination (13-word sequences; one match), done
at the granularity of an item rather than a benchmark. A text of fewer than N words has no
sequence to look for: it is still indexed for whole-text duplicates.

The hashes of every committed text are held in memory, sorted (16 bytes a sequence: a test
set of 10,000 items of 100 words is 14 MB); a check is two binary searches per sequence of
the document.
"""
from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cleaners.dedup import normalise, shingle_hashes, tokens

#: GPT-3's (Brown et al. 2020) and most decontamination reports' sequence length.
DEFAULT_NGRAMS = 13


def ngram_hashes(text: str, n: int, distinct: bool = True) -> np.ndarray:
    """The hashes of the N-word sequences of `text` (uint64), `distinct` ones sorted (else
    in text order, repeats included); empty for a text of fewer than `n` words."""
    words = tokens(normalise(text))
    if len(words) < n:
        return np.empty(0, dtype=np.uint64)
    hashes = shingle_hashes(words, n)
    return np.unique(hashes) if distinct else hashes


@dataclass(frozen=True)
class Hit:
    """The indexed text (`seq`) a document holds `matched` of the `total` sequences of."""

    seq: int
    matched: int
    total: int


@dataclass(frozen=True)
class NgramTable:
    """Every indexed text's sequence hashes: `hashes` sorted, `seqs` the text of each."""

    n: int
    min_matches: int
    hashes: np.ndarray
    seqs: np.ndarray
    totals: dict[int, int]

    @classmethod
    def build(cls, n: int, min_matches: int, rows: list[tuple[int, bytes]]) -> "NgramTable":
        """From (seq, the text's hashes as little-endian uint64 bytes) rows."""
        parts = [np.frombuffer(blob, dtype="<u8") for _, blob in rows]
        hashes = np.concatenate(parts) if parts else np.empty(0, dtype=np.uint64)
        seqs = np.repeat(np.array([seq for seq, _ in rows], dtype=np.int64), [len(p) for p in parts])
        order = np.argsort(hashes, kind="stable")
        return cls(n, min_matches, hashes[order], seqs[order], {seq: len(p) for (seq, _), p in zip(rows, parts)})

    def check(self, text: str) -> Hit | None:
        """The indexed text `text` holds enough sequences of (at least `min_matches`, or
        all it has), the one it holds most of (then the first indexed); or None."""
        if not len(self.hashes):
            return None
        doc = ngram_hashes(text, self.n, distinct=False)  # few are found: those are made distinct
        lo = np.searchsorted(self.hashes, doc, "left")
        found = lo < len(self.hashes)
        found[found] = self.hashes[lo[found]] == doc[found]
        if not found.any():
            return None
        doc = np.unique(doc[found])
        lo, hi = np.searchsorted(self.hashes, doc, "left"), np.searchsorted(self.hashes, doc, "right")
        where = np.concatenate([np.arange(a, b) for a, b in zip(lo, hi)])
        seqs, matched = np.unique(self.seqs[where], return_counts=True)
        hits = [Hit(int(s), int(m), self.totals[int(s)]) for s, m in zip(seqs, matched)
                if m >= min(self.min_matches, self.totals[int(s)])]
        return min(hits, key=lambda h: (-h.matched, h.seq)) if hits else None
