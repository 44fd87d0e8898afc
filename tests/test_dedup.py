"""cleaners.dedup: exact keys, near-duplicate decisions, keep rule, persistence, crash safety."""
from __future__ import annotations

import random
import subprocess
import sys
import textwrap
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import dedup
from cleaners.config import DedupConfig
from cleaners.dedup import DedupIndex, DedupIndexError, Match, Signature, signature

CFG = DedupConfig()
ROOT = Path(__file__).resolve().parents[1]

_VOCAB = [
    "".join(random.Random(i).choice("abcdefghijklmnopqrstuvwxyz") for _ in range(2 + i % 8))
    for i in range(3000)
]


def article(seed: int, paragraphs: int = 8, words: int = 60) -> list[str]:
    """A deterministic pseudo-article: `paragraphs` paragraphs of `words` words."""
    rng = random.Random(seed)
    return [
        " ".join(rng.choice(_VOCAB) for _ in range(words)).capitalize() + "."
        for _ in range(paragraphs)
    ]


def text(paras: list[str]) -> str:
    return "\n\n".join(paras)


def edit_words(s: str, frac: float, seed: int) -> str:
    rng = random.Random(seed)
    words = s.split(" ")
    for i in rng.sample(range(len(words)), int(len(words) * frac)):
        words[i] = rng.choice(_VOCAB)
    return " ".join(words)


BASE = text(article(1))
OTHER = article(2)

# (name, a, b): must give the same exact key.
EXACT_SAME = [
    ("crlf", "One line.\nTwo lines.", "One line.\r\nTwo lines."),
    ("bom", "\ufeffSome text here.", "Some text here."),
    ("spacing", "Some   text\t here.\n\n", "  Some text here."),
    ("case", "The Quick BROWN fox.", "the quick brown fox."),
    ("nfc_nfd", "Caf\u00e9 cr\u00e8me", "Cafe\u0301 cre\u0300me"),
    ("zero_width", "zero\u200bwidth soft\u00adhyphen", "zerowidth softhyphen"),
    ("german_sharp_s", "STRASSE", "straße"),
]

# (name, a, b): must NOT give the same exact key.
EXACT_DIFFERENT = [
    ("one_word", "The quick brown fox.", "The quick brown cat."),
    ("punctuation", "Let's eat, grandma.", "Let's eat grandma."),
    ("word_boundary", "note book", "notebook"),
]

# (name, a, b): b must be found as a near duplicate of a.
NEAR_SAME = [
    ("boilerplate", BASE, "Subscribe to our newsletter.\nAdvertisement\n" + BASE + "\n© 2024 Example Media. All rights reserved."),
    ("words_5pct", BASE, edit_words(BASE, 0.05, 3)),
    ("paragraph_cut", BASE, text(article(1)[:3] + article(1)[4:])),
    ("truncated_70", BASE, " ".join(BASE.split(" ")[: int(len(BASE.split(" ")) * 0.7)])),
    ("curly_vs_straight_quotes", BASE + ' "Quoted," he said — it\'s fine.', BASE + " \u201cQuoted,\u201d he said \u2013 it\u2019s fine."),
]

# (name, a, b): b must NOT be a duplicate of a.
NEAR_DIFFERENT = [
    ("shared_paragraph", BASE, text(OTHER[:4] + [article(1)[5]] + OTHER[4:])),
    ("shared_quote", BASE, text(OTHER + ["\u201c" + article(1)[2][:200] + "\u201d she said."])),
    ("same_vocabulary", BASE, " ".join(sorted(BASE.split()))),
    ("unrelated", BASE, text(OTHER)),
]


def fresh(cfg: DedupConfig = CFG, path: Path | None = None, run: str = "run-1") -> DedupIndex:
    index = DedupIndex(path, cfg)
    index.begin_run(run)
    return index


@pytest.mark.parametrize("name,a,b", EXACT_SAME, ids=[c[0] for c in EXACT_SAME])
def test_exact_key_collides(name: str, a: str, b: str) -> None:
    assert signature(a, CFG).exact == signature(b, CFG).exact
    index = fresh()
    index.add("a", signature(a, CFG))
    assert index.check(signature(b, CFG)) == Match("exact_duplicate", "a", "run-1", 1.0)


@pytest.mark.parametrize("name,a,b", EXACT_DIFFERENT, ids=[c[0] for c in EXACT_DIFFERENT])
def test_exact_key_differs(name: str, a: str, b: str) -> None:
    assert signature(a, CFG).exact != signature(b, CFG).exact


@pytest.mark.parametrize("name,a,b", NEAR_SAME, ids=[c[0] for c in NEAR_SAME])
def test_near_duplicate_found_and_verified(name: str, a: str, b: str) -> None:
    sa, sb = signature(a, CFG), signature(b, CFG)
    assert sa.exact != sb.exact
    index = fresh()
    index.add("a", sa)
    match = index.check(sb)
    assert match is not None and match.kind == "near_duplicate" and match.duplicate_of == "a"
    assert match.similarity >= CFG.threshold
    assert match.similarity == pytest.approx(dedup.estimated_jaccard(sa, sb), abs=1e-4)


@pytest.mark.parametrize("name,a,b", NEAR_DIFFERENT, ids=[c[0] for c in NEAR_DIFFERENT])
def test_not_a_duplicate(name: str, a: str, b: str) -> None:
    index = fresh()
    index.add("a", signature(a, CFG))
    assert index.check(signature(b, CFG)) is None
    assert dedup.estimated_jaccard(signature(a, CFG), signature(b, CFG)) < CFG.threshold


def test_earliest_published_wins() -> None:
    p = article(7, paragraphs=3, words=80)
    first, second = text([p[0], p[1]]), text([p[1], p[2]])  # Jaccard ~1/3: both kept
    both = text(p)  # Jaccard ~2/3 with each
    for order in ([("B", second), ("A", first)], [("A", first), ("B", second)]):
        index = fresh()
        for doc_id, t in order:
            assert index.check(signature(t, CFG)) is None
            index.add(doc_id, signature(t, CFG))
        assert index.check(signature(both, CFG)).duplicate_of == order[0][0]


def keeps(texts: list[str], sigs: list[Signature] | None = None) -> list[str | None]:
    index = fresh()
    out = []
    for i, t in enumerate(texts):
        m = index.check(sigs[i] if sigs else signature(t, CFG))
        if m is None:
            index.add(f"d{i}", sigs[i] if sigs else signature(t, CFG))
        out.append(None if m is None else m.duplicate_of)
    return out


CORPUS = [BASE, text(OTHER), edit_words(BASE, 0.05, 9), BASE.upper(), text(article(3)), text(OTHER[1:])]


def test_deterministic_and_independent_of_workers() -> None:
    expected = [None, None, "d0", "d0", None, "d1"]
    assert keeps(CORPUS) == expected
    assert keeps(CORPUS) == expected
    with ProcessPoolExecutor(2) as pool:  # signatures computed in other processes
        sigs = list(pool.map(signature, CORPUS, [CFG] * len(CORPUS), chunksize=1))
    assert sigs == [signature(t, CFG) for t in CORPUS]
    assert keeps(CORPUS, sigs) == expected


def test_persistent_across_runs(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite"
    index = fresh(path=path, run="run-1")
    index.add("first", signature(BASE, CFG))
    index.commit_run()
    index.close()

    index = fresh(path=path, run="run-2")
    assert index.check(signature(BASE.upper(), CFG)) == Match("exact_duplicate", "first", "run-1", 1.0)
    near = index.check(signature(edit_words(BASE, 0.05, 4), CFG))
    assert (near.kind, near.duplicate_of, near.run_id) == ("near_duplicate", "first", "run-1")
    index.add("second", signature(text(OTHER), CFG))
    stats = index.stats()
    assert stats["indexed_documents"] == 2 and stats["matched_earlier_runs"] == 2
    index.commit_run()
    index.close()


def test_uncommitted_run_is_discarded(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite"
    index = fresh(path=path, run="run-1")
    index.add("kept", signature(BASE, CFG))
    index.commit_run()
    index.begin_run("run-2")
    index.add("unpublished", signature(text(OTHER), CFG))
    index.close()  # no commit_run: the run's output never became durable

    index = fresh(path=path, run="run-3")
    assert index.check(signature(text(OTHER), CFG)) is None
    assert index.check(signature(BASE, CFG)).duplicate_of == "kept"
    assert index.stats()["discarded_uncommitted"] == 1


def test_killed_run_is_discarded(tmp_path: Path) -> None:
    """A process killed mid-run, after SQLite flushed its rows (flush_every=1)."""
    path = tmp_path / "dedup.sqlite"
    cfg = DedupConfig(flush_every=1)
    script = textwrap.dedent(
        f"""
        import os, sys
        sys.path.insert(0, {str(ROOT)!r})
        from pathlib import Path
        from cleaners.config import DedupConfig
        from cleaners.dedup import DedupIndex, signature
        cfg = DedupConfig(flush_every=1)
        index = DedupIndex(Path({str(path)!r}), cfg)
        index.begin_run("killed")
        index.add("ghost", signature({text(OTHER)!r}, cfg))
        index.add("ghost2", signature("another text entirely, long enough", cfg))
        os._exit(9)
        """
    )
    assert subprocess.run([sys.executable, "-c", script]).returncode == 9
    index = fresh(cfg, path=path, run="next")
    assert index.stats()["discarded_uncommitted"] == 2
    assert index.check(signature(text(OTHER), cfg)) is None


def test_run_ids_and_settings_are_checked(tmp_path: Path) -> None:
    path = tmp_path / "dedup.sqlite"
    index = fresh(path=path, run="run-1")
    with pytest.raises(DedupIndexError, match="still open"):
        index.begin_run("run-2")
    index.commit_run()
    with pytest.raises(DedupIndexError, match="already committed"):
        index.begin_run("run-1")
    index.close()
    with pytest.raises(DedupIndexError, match="other settings"):
        DedupIndex(path, DedupConfig(shingle_words=5))
    with pytest.raises(DedupIndexError, match="other settings"):
        DedupIndex(path, DedupConfig(lsh_bands=16, lsh_rows=8))
    # Another threshold reuses the index's LSH layout and verifies with the new threshold.
    index = DedupIndex(path, DedupConfig(threshold=0.6))
    assert (index.bands, index.rows) == dedup.lsh_params(CFG.threshold, CFG.num_perm)
    index.close()
    with pytest.raises(DedupIndexError, match="begin_run"):
        DedupIndex(None, CFG).check(signature(BASE, CFG))


def test_another_corpus_is_checked_read_only_and_only_its_published_runs(tmp_path: Path) -> None:
    """`dedup.against`: a reference index matches exact and near copies of its committed
    documents, not those of a run that never committed, and is never written."""
    path = tmp_path / "other" / "dedup.sqlite"
    path.parent.mkdir()
    index = fresh(path=path, run="theirs-1")
    index.add("theirs", signature(BASE, CFG))
    index.commit_run()
    index.begin_run("theirs-crashed")
    index.add("unpublished", signature(text(OTHER), CFG))
    index.close()  # no commit_run
    files = {p.name: p.read_bytes() for p in path.parent.iterdir()}

    ref = DedupIndex.reference(path.parent, CFG)  # a corpus folder, or the file itself
    assert ref.check(signature(BASE.upper(), CFG)) == Match("exact_duplicate", "theirs", "theirs-1", 1.0)
    near = ref.check(signature(edit_words(BASE, 0.05, 4), CFG))
    assert (near.kind, near.duplicate_of, near.run_id) == ("near_duplicate", "theirs", "theirs-1")
    assert ref.check(signature(text(OTHER), CFG)) is None  # the crashed run is not published
    for write in (lambda: ref.begin_run("mine"), lambda: ref.add("x", signature(BASE, CFG)), ref.commit_run,
                  lambda: ref.discard_unpublished(set())):
        with pytest.raises(DedupIndexError, match="read-only"):
            write()
    stats = ref.stats()
    assert (stats["indexed_documents"], stats["checked"], stats["exact_duplicates"], stats["near_duplicates"]) == (1, 3, 1, 1)
    ref.close()
    # The index is unchanged (SQLite may leave its empty -shm/-wal coordination files).
    assert {name: (path.parent / name).read_bytes() for name in files} == files
    with pytest.raises(DedupIndexError, match="other settings"):
        DedupIndex.reference(path, DedupConfig(num_perm=64))
    with pytest.raises(DedupIndexError, match="neither a corpus folder"):
        DedupIndex.reference(tmp_path / "nowhere", CFG)
    (tmp_path / "junk.sqlite").write_bytes(b"not a database at all" * 100)
    with pytest.raises(DedupIndexError):
        DedupIndex.reference(tmp_path / "junk.sqlite", CFG)


def test_switches() -> None:
    index = fresh(DedupConfig(near=False))
    index.add("a", signature(BASE, DedupConfig(near=False)))
    assert signature(BASE, DedupConfig(near=False)).minhash is None
    assert index.check(signature(edit_words(BASE, 0.05, 3), DedupConfig(near=False))) is None
    index = fresh(DedupConfig(exact=False))
    index.add("a", signature(BASE, CFG))
    assert index.check(signature(BASE, CFG)).kind == "near_duplicate"


def test_empty_text_has_no_minhash() -> None:
    sig = signature(" \n\ufeff ", CFG)
    assert sig.minhash is None
    index = fresh()
    assert index.check(sig) is None
    index.add("empty", sig)
    assert index.check(signature("", CFG)).kind == "exact_duplicate"


def test_lsh_parameters_match_the_documented_curve() -> None:
    bands, rows = dedup.lsh_params(0.45, 128)
    assert (bands, rows) == (29, 3)
    assert dedup.candidate_probability(0.45, bands, rows) > 0.93
    assert dedup.candidate_probability(0.15, bands, rows) < 0.1


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=300))
def test_signature_json_round_trip(s: str) -> None:
    sig = signature(s, CFG)
    assert Signature.from_json(sig.to_json()) == sig


@settings(max_examples=50, deadline=None)
@given(st.text(max_size=200))
def test_normalise_is_idempotent(s: str) -> None:
    assert dedup.normalise(dedup.normalise(s)) == dedup.normalise(s)


def test_candidates_are_capped_most_similar_first() -> None:
    cfg = DedupConfig(max_candidates=1)
    p = article(7, paragraphs=4, words=80)
    index = fresh(cfg)
    index.add("weak", signature(text([p[0], p[1]]), cfg))  # shares a paragraph: few bands
    index.add("copy", signature(text(p), cfg))
    assert index.check(signature(edit_words(text(p), 0.03, 1), cfg)).duplicate_of == "copy"
    assert index.stats()["candidates_truncated"] == 1


@settings(max_examples=200, deadline=None)
@given(st.integers(0, 10_000), st.floats(0.0, 0.9))
def test_the_sketch_prefilter_never_drops_a_pair_verification_would_keep(seed: int, frac: float) -> None:
    # Equal MinHash values have equal low bits, so sketch agreement >= value agreement.
    a = signature(text(article(seed, paragraphs=3)), CFG)
    b = signature(edit_words(text(article(seed, paragraphs=3)), frac, seed + 1), CFG)
    va, vb = a.values(), b.values()
    agree = int(dedup._EQUAL_PAIRS[np.frombuffer(dedup.sketch(va), np.uint8) ^ np.frombuffer(dedup.sketch(vb), np.uint8)].sum())
    assert agree >= int((va == vb).sum())
    index = fresh()
    if dedup.estimated_jaccard(a, b) >= CFG.threshold:
        assert agree >= index._needed_agreement


def test_chance_candidates_are_prefiltered_and_counted() -> None:
    index = fresh()
    docs = [text(article(100 + k, paragraphs=3)) for k in range(300)]
    for k, d in enumerate(docs):
        assert index.check(signature(d, CFG)) is None
        index.add(f"d{k}", signature(d, CFG))
    match = index.check(signature(edit_words(docs[5], 0.05, 9), CFG))
    assert match is not None and match.duplicate_of == "d5"
    stats = index.stats()
    assert stats["candidates_prefiltered"] <= stats["candidates"]
    assert stats["candidates_rejected"] >= stats["candidates_prefiltered"]


@pytest.mark.parametrize("old_version", ["1", "2"])
def test_an_index_with_the_old_band_tables_is_upgraded_on_open(tmp_path: Path, old_version: str) -> None:
    path = tmp_path / "dedup.sqlite"
    p = text(article(3, paragraphs=4))
    index = fresh(path=path)
    index.add("orig", signature(p, CFG))
    index.commit_run()
    index.close()
    import sqlite3

    db = sqlite3.connect(path)  # what a version-1 (bands) or version-2 (bands, sketches) index looked like
    db.execute("DROP TABLE lsh")
    db.execute("CREATE TABLE bands (key INTEGER NOT NULL, seq INTEGER NOT NULL, PRIMARY KEY (key, seq)) WITHOUT ROWID")
    if old_version == "2":
        db.execute("CREATE TABLE sketches (seq INTEGER PRIMARY KEY, bits BLOB NOT NULL)")
    db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (old_version,))
    db.commit()
    db.close()
    index = DedupIndex(path, CFG)
    index.begin_run("run-2")
    match = index.check(signature(edit_words(p, 0.03, 2), CFG))
    assert match is not None and match.duplicate_of == "orig" and match.kind == "near_duplicate"
    index.close()
    db = sqlite3.connect(path)
    tables = {name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
    version = db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()[0]
    db.close()
    assert "bands" not in tables and "sketches" not in tables and "lsh" in tables
    assert version == "3"


# The serial dedup+write pass (cleaners.pipeline._finalize_locked) writes a kept record by
# copying its bytes from the worker's result line: the same bytes as serialising it again.

_STRINGS = st.one_of(
    st.text(max_size=40),
    st.sampled_from(['"provenance":{"steps":[]}}', ',"signature":', '\\ud83d', "C:\\users", "\n\t\x00"]),
    st.lists(st.sampled_from(["\ud83d", "\ude00", "\udce9", "a", "😀"]), max_size=4).map("".join),
)
_JSON = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | _STRINGS,
                     lambda inner: st.lists(inner, max_size=3) | st.dictionaries(_STRINGS, inner, max_size=3),
                     max_leaves=8)


@settings(max_examples=300, deadline=None)
@given(st.dictionaries(st.sampled_from(["id", "text", "title", "lang", "source"]), _JSON, max_size=5),
       st.lists(_JSON, max_size=3),
       st.dictionaries(_STRINGS, _JSON, max_size=2),
       st.sampled_from([None, "last", "first"]),
       st.one_of(st.none(), _STRINGS))
def test_a_kept_record_is_written_as_serialised_again(fields, steps, more_provenance, where, signature_json):
    import json

    from cleaners.pipeline import kept_record_line
    from cleaners.write import json_line

    provenance = {"steps": steps, **more_provenance} if where != "first" else {**more_provenance, "steps": steps}
    record = {**fields, "provenance": provenance} if where else {"provenance": provenance, **fields}
    raw = json_line({"i": 3, "record": record, "signature": signature_json})
    run = {"docprep": "0.1.0", "config_hash": "c" * 16, "run_id": "r" * 16}

    expected = json.loads(raw)["record"]
    expected["provenance"] = {**run, "steps": expected["provenance"]["steps"]}
    assert kept_record_line(raw, json.loads(raw)["record"], run) == json_line(expected)
