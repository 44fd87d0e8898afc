"""The in-memory band table answers exactly what a plain dict of lists would."""
from __future__ import annotations

from collections import defaultdict

import numpy as np
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners.bands import BandTable, fingerprints

# Small fingerprints so documents share them often; a tiny tail so arrays get merged.
_prints = st.lists(st.integers(0, 40), min_size=1, max_size=6)
_op = st.one_of(
    st.tuples(st.just("add"), _prints),
    st.tuples(st.just("load"), st.lists(_prints.map(lambda p: (p * 6)[:6]), min_size=1, max_size=5)),
    st.tuples(st.just("flush"), st.none()),
    st.tuples(st.just("forget"), st.integers(0, 60)),
)


def _reference_lookup(ref: dict[int, set[int]], prints: list[int]) -> tuple[list[int], list[int]]:
    hits: dict[int, int] = defaultdict(int)
    for p in set(prints):
        for s in ref.get(p, ()):
            hits[s] += 1
    seqs = sorted(hits)
    return seqs, [hits[s] for s in seqs]


@settings(max_examples=200, deadline=None)
@given(st.lists(_op, max_size=40), st.lists(_prints, min_size=1, max_size=5))
def test_lookups_match_a_dict_of_sets(ops, queries) -> None:
    table = BandTable(tail_pairs=7)
    ref: dict[int, set[int]] = defaultdict(set)
    seq = 0
    for kind, arg in ops:
        if kind == "add":
            table.add(seq, np.array(arg, dtype=np.uint32))
            for p in arg:
                ref[p].add(seq)
            seq += 1
        elif kind == "load":
            table.flush()  # load is for whole batches in seq order, after what was added
            seqs = np.arange(seq, seq + len(arg), dtype=np.uint32)
            table.load(seqs, np.array(arg, dtype=np.uint32))
            for s, prints in zip(seqs.tolist(), arg):
                for p in prints:
                    ref[p].add(s)
            seq += len(arg)
        elif kind == "flush":
            table.flush()
        else:
            table.forget_from(arg)
            ref = defaultdict(set, {p: {s for s in ss if s < arg} for p, ss in ref.items()})
            seq = min(seq, arg)
    for q in queries:
        seqs, hits = table.lookup(np.array(q, dtype=np.uint32))
        assert (seqs.tolist(), hits.tolist()) == _reference_lookup(ref, q)
    assert len(table) == sum(len(ss) for ss in ref.values())


def test_arrays_stay_few_as_the_table_grows() -> None:
    table = BandTable(tail_pairs=29)
    rng = np.random.default_rng(0)
    for seq in range(5_000):
        table.add(seq, rng.integers(0, 2**32, size=29, dtype=np.uint32))
    assert len(table) == 5_000 * 29
    assert len(table._runs) <= 2 * np.log2(5_000) + 1


def test_a_fingerprint_is_the_low_32_bits_of_a_band_key() -> None:
    keys = np.array([-1, 0, 2**40 + 7, -(2**63)], dtype=np.int64)
    assert fingerprints(keys).tolist() == [2**32 - 1, 0, 7, 0]
    assert fingerprints(keys).dtype == np.uint32
