"""Deduplication: exact copies by a hash of the normalised text, near-duplicates by MinHash LSH.

How the pipeline uses it. Workers compute a `Signature` per document (`signature`, pure and
parallel; it travels through intermediate files as `Signature.to_json()`). Then ONE serial
pass, in input order, calls `DedupIndex.check` and, for a document that is kept,
`DedupIndex.add`. The keep decision therefore does not depend on the number of workers.

Keep rule: **first published wins.** Every indexed document gets an insertion sequence number
(`seq`); earlier runs have lower numbers than later runs, and within a run the serial pass adds
documents in input order. A document whose text matches an indexed one is rejected with
`duplicate_of` = that document's id and `duplicate_of_run` = the run that published it. When
several indexed documents match, the one with the lowest `seq` (the earliest published) is
named. Only kept documents are added, so every cluster is a star around its first copy.

Other corpora (`DedupConfig.against`, `DedupIndex.reference`): another corpus's index opened
read-only (SQLite's mode=ro; never written), its committed runs only, loaded into memory as
this corpus's own index is (~270 bytes per document). The pipeline checks each reference
before its own index, in the order given, so an earlier corpus wins as an earlier run does;
a copy's reject also names the corpus (`duplicate_of_corpus`). Its settings must match.
A reference `docprep index` built from texts as they are (`cleaners.reference`) may also
hold their word sequences: a document holding some is a `contaminated` reject (
`cleaners.contamination`), checked after the duplicate checks.

Exact key: `normalise(text)` (NFC, casefolded, BOM and zero-width characters dropped,
whitespace runs collapsed to one space) hashed with SHA-256. Copies that differ only in line
ends, BOM, spacing or case (or in mojibake that `decode` already repaired) collide.

Near-duplicates. Tokens are the words of the normalised text (ASCII punctuation and
typographic quotes, dashes, ellipses are separators, so curly vs straight quotes do not
matter); shingles are word 2-grams (`DedupConfig.shingle_words`), hashed to 64 bits; the
signature is the rensa `RMinHash` of the shingle set, 128 uint32 values (`num_perm`).
Candidates come from LSH over the signature (b bands of r rows, stored in SQLite); a candidate
is a duplicate only if the Jaccard similarity estimated from the two signatures (the fraction
of equal values) is >= `threshold` (0.45). Texts are never stored, so verification is on
signatures.

Measured with benchmarks/dedup_quality.py (seed 0): 888 real article bodies (>= 50 words) from
/work/shared/eval/dev, 300 of them with 10 syndication variants each (2,993 copies), 338
left alone, 250 hard negatives (another article plus one paragraph or a quote of an original,
or wrapped in the same boilerplate), plus the natural same-site and most word-similar pairs.

* Shingle size, by the exact Jaccard of labelled pairs (1st percentile of copies vs the
  maximum over hard negatives): 1-grams 0.71 vs 0.36, **2-grams 0.66 vs 0.20**, 3-grams 0.56
  vs 0.17, 5-grams 0.39 vs 0.14. A copy with a fraction p of its words changed keeps (1-p)^n
  of its n-grams, so long shingles punish edits (10% of words changed: median 0.70 with
  2-grams, 0.44 with 5-grams); single words let same-topic articles reach 0.36. 2-grams
  leave the widest gap, also in units of the estimate's standard error.
* Threshold: 0.45, in that gap, a little towards precision (a false merge drops a distinct
  document; a miss keeps a copy). Through the index: false merges start at <= 0.30; at 0.45
  pairwise precision 1.0000, recall 0.9982, ARI 0.9991 (originals first) and 1.0000 /
  0.9957 / 0.9979 in shuffled order (copies judged against copies). Every variation is
  recalled at 1.000 except mojibake left broken (0.990): in Korean or Russian text every
  word changes, which no text similarity can see; `decode` repairs it upstream.
* Library: rensa 0.5 (`RMinHash`, Rust) vs datasketch 2.0 (`MinHash`, numpy + SHA-1) on the
  same shingles: 0.023 vs 4.0 ms of CPU per article (mean 1,700 words; the whole
  `signature` with rensa is 0.69 ms); estimation error |estimate - exact Jaccard| mean 0.0148 vs 0.0155
  (p99 0.078 vs 0.081); identical precision/recall on the benchmark. rensa is used.
  Signatures are only comparable under one hashing scheme, so the index stores its settings
  and the signature of a fixed canary text, and refuses to open under other ones.
* LSH: `lsh_params` minimises the weighted false-positive/false-negative areas under the
  S-curve P(candidate) = 1-(1-J^r)^b (false negatives weigh 0.9: a spurious candidate only
  costs a verification). For 0.45 and 128 values: b=29 bands of r=3 rows; P(candidate) =
  0.21 at J=0.2, 0.55 at 0.3, 0.94 at 0.45, 0.995 at 0.55, 0.9999 at 0.65. On the
  benchmark 10% of candidates fail verification.

Storage (`DedupIndex`): one SQLite file (or `:memory:` for tests). Tables `docs` (seq, doc
id, run, signature), `exact` (16-byte key -> seq, a WITHOUT ROWID B-tree) and `lsh` (seq ->
the document's 29 band fingerprints and its sketch; appended in seq order). Text is never
stored. When a run begins, the band table and the sketches are loaded into memory
(`cleaners.bands.BandTable`: sorted arrays of (32-bit band fingerprint, seq) pairs behind a
32 MB prefix bitmap; about 270 bytes per indexed document, 5 s to load a million), so a
check is binary searches in memory, not an SQLite GROUP BY, and an add is three appends.
Memory therefore grows with the number of indexed documents (not their text): ~270 MB per
million, plus SQLite's page cache (`DedupConfig.cache_mb`, 128 MB) and transient copies
while sorted arrays merge.

Measured with benchmarks/dedup_scale.py (500-word generated documents, 10% planted copies,
one process, throughput per CPU second; 2026-11-21, 2 shared cores):

    docs       signature/s  check+add/s  both/s  peak RSS  on disk  load   recovery after a crash
    10,000     5,852        5,481        2,830   109 MB    7 MB     0.1 s  0.1 s (1,000 docs)
    100,000    5,009        3,578        2,087   280 MB    67 MB    0.5 s  0.6 s (10,000 docs)
    1,000,000  5,173        2,553        1,709   842 MB    668 MB   5.2 s  5.7 s (10,000 docs)

All planted copies found, no false match, at every size. ~670 bytes of disk per indexed
document (a 512-byte signature, the band fingerprints, the sketch, the exact key).

The history, for whoever tunes this next. With the bands in an SQLite table (v1) 1M ran at
809 check+add/s (690 both, 221 MB RSS, 1.03 GB on disk). The check slows with the index
because the LSH candidates per check grow linearly with it: unrelated generated documents
(Zipf words) have a mean 2-gram Jaccard of 0.027, real dev-set articles 0.013, which makes
the generated data ~4x richer in chance candidates (mean P(candidate) per pair 5.9e-4 vs
1.3e-4); at 1M about 600 candidates per check. A 4x larger page cache gained only 6% at 300k.
The sketch pre-filter (v2) made 1M 1,156 check+add/s: each indexed document has a 32-byte
sketch in memory (the low 2 bits of its 128 values); equal values have equal bits, so a
candidate whose sketch agrees in fewer than floor(threshold*num_perm) places cannot pass
verification and is dropped without reading its signature (exact; chance candidates agree
in ~35 of 128). The band table in memory (v3) removed what remained: the GROUP BY over all
LSH hits, fetching them, and 29 random B-tree inserts per document (half the cost of a
check+add at 300k, profiled with py-spy).

Crash safety: rows are written under the run that added them (SQLite commits every
`flush_every` documents to bound the journal, but the *run* stays open); `begin_run` deletes
the rows of any run that never reached `commit_run` (a scan of the exact table and range
deletes, then the load: the "recovery" column), so a killed run does not make its unpublished documents "already seen".
`commit_run` is a durable (synchronous=FULL) commit.
"""
from __future__ import annotations

import base64
import functools
import hashlib
import json
import math
import sqlite3
import string
import unicodedata
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from cleaners.bands import BandTable, fingerprints
from cleaners.config import DedupConfig
from cleaners.errors import OutputError
from cleaners.record import Reject, Source

try:  # rensa is the MinHash backend (see module docstring for the measurement).
    import rensa as _rensa
except ImportError:  # pragma: no cover - exercised only when the dependency is missing
    _rensa = None

#: Name of this step in code, config, provenance and stats.
STEP = "dedup"
#: Bumped when the exact key, the tokeniser or the shingle hashing changes: an index built
#: with another scheme holds signatures that cannot be compared with new ones.
SCHEME_VERSION = 1
#: 2 added a sketches table; 3 replaced it and the band table by `lsh` (one row per
#: document: band fingerprints and sketch), rebuilt from the stored signatures on open.
_SCHEMA_VERSION = 3


#: The index's file name in a corpus folder (unless `DedupConfig.index` names another).
INDEX_FILE = "dedup.sqlite"


def index_path(cfg: DedupConfig, out: Path) -> Path:
    """Where the corpus at `out` keeps its dedup index."""
    return Path(cfg.index) if cfg.index else out / INDEX_FILE


class DedupIndexError(OutputError):
    """The dedup index cannot be used (built with other settings, run ids misused)."""


# ---------------------------------------------------------------------------------------------
# Normalisation and signatures (pure; run in workers)

#: Invisible characters that copies of the same text gain or lose on the way (BOM at the
#: start of a file, zero-width space/joiner, soft hyphen); dropped from the exact key.
_INVISIBLE = "\ufeff\u200b\u2060\u00ad"
#: Typographic punctuation treated as a separator by the near-duplicate tokeniser, in
#: addition to ASCII punctuation.
_UNICODE_PUNCT = "\u2018\u2019\u201a\u201b\u201c\u201d\u201e\u2013\u2014\u2015\u2026\u00ab\u00bb\u2039\u203a\u00b7\u2022\u00a0"
_ASCII_PUNCT = bytes.maketrans(string.punctuation.encode(), b" " * len(string.punctuation))
_MIX = np.uint64(0x9E3779B97F4A7C15)


def normalise(text: str) -> str:
    """The exact-duplicate key's text: NFC, casefolded, invisible characters dropped,
    whitespace runs collapsed to one space, stripped."""
    for ch in _INVISIBLE:
        if ch in text:
            text = text.replace(ch, "")
    return " ".join(unicodedata.normalize("NFC", unicodedata.normalize("NFC", text).casefold()).split())


def tokens(normalised: str) -> list[bytes]:
    """Words of a normalised text: ASCII and typographic punctuation are separators."""
    for ch in _UNICODE_PUNCT:
        if ch in normalised:
            normalised = normalised.replace(ch, " ")
    return normalised.encode("utf-8", "surrogatepass").translate(_ASCII_PUNCT).split()


_SM = tuple(np.uint64(c) for c in (0x9E3779B97F4A7C15, 30, 0xBF58476D1CE4E5B9, 27, 0x94D049BB133111EB, 31))


def _splitmix64(x: np.ndarray) -> np.ndarray:
    """splitmix64's finaliser, vectorised (uint64 arrays wrap silently in numpy)."""
    x = x + _SM[0]
    x = (x ^ (x >> _SM[1])) * _SM[2]
    x = (x ^ (x >> _SM[3])) * _SM[4]
    return x ^ (x >> _SM[5])


def shingle_hashes(words: list[bytes], n: int) -> np.ndarray:
    """64-bit hashes of the word n-grams (a text shorter than n words is one shingle)."""
    if not words:
        return np.empty(0, dtype=np.uint64)
    h = np.asarray(_rensa.RMinHash.hash_token_sets([words])[0], dtype=np.uint64)
    n = min(n, len(h))
    count = len(h) - n + 1
    acc = h[:count].copy()
    for k in range(1, n):
        acc = (acc * _MIX) ^ h[k : k + count]
    return _splitmix64(acc)


def minhash_values(shingles: np.ndarray, cfg: DedupConfig) -> np.ndarray:
    """The MinHash signature (uint32[num_perm]) of a set of 64-bit shingle hashes."""
    offsets = np.array([0, len(shingles)], dtype=np.uint64)
    matrix = _rensa.RMinHash.digest_matrix_from_flat_token_hashes(
        shingles, offsets, cfg.num_perm, cfg.seed
    )
    return np.asarray(matrix.to_rows()[0], dtype=np.uint32)


@dataclass(frozen=True, slots=True)
class Signature:
    """What the index needs of a document: `exact` is the hex SHA-256 of `normalise(text)`,
    `minhash` the little-endian uint32 MinHash values (None when near-dedup is off or the
    text has no words)."""

    exact: str
    minhash: bytes | None

    def to_json(self) -> str:
        mh = None if self.minhash is None else base64.b64encode(self.minhash).decode("ascii")
        return json.dumps({"exact": self.exact, "minhash": mh}, separators=(",", ":"))

    @classmethod
    def from_json(cls, data: str) -> "Signature":
        obj = json.loads(data)
        mh = obj.get("minhash")
        return cls(obj["exact"], None if mh is None else base64.b64decode(mh))

    def values(self) -> np.ndarray | None:
        return None if self.minhash is None else np.frombuffer(self.minhash, dtype="<u4")


def signature(text: str, cfg: DedupConfig) -> Signature:
    """Compute a document's signature (pure; safe to run in parallel workers)."""
    if _rensa is None and cfg.near:
        raise DedupIndexError("near-duplicate detection needs the 'rensa' package: pip install rensa")
    norm = normalise(text)
    exact = hashlib.sha256(norm.encode("utf-8", "surrogatepass")).hexdigest()
    if not cfg.near:
        return Signature(exact, None)
    sh = shingle_hashes(tokens(norm), cfg.shingle_words)
    if len(sh) == 0:
        return Signature(exact, None)
    return Signature(exact, minhash_values(sh, cfg).astype("<u4").tobytes())


def estimated_jaccard(a: Signature, b: Signature) -> float:
    va, vb = a.values(), b.values()
    if va is None or vb is None or len(va) != len(vb):
        return 0.0
    return float(np.mean(va == vb))


# ---------------------------------------------------------------------------------------------
# LSH parameters


def candidate_probability(j: float, bands: int, rows: int) -> float:
    """P(two documents with Jaccard j share at least one band) = 1-(1-j^r)^b."""
    return 1.0 - (1.0 - j**rows) ** bands


@functools.lru_cache(maxsize=None)
def lsh_params(threshold: float, num_perm: int, fn_weight: float = 0.9) -> tuple[int, int]:
    """Bands and rows minimising the weighted false-positive and false-negative areas
    under the LSH S-curve around `threshold` (datasketch's `_optimal_param`, integrated
    numerically). False negatives weigh 0.9: a missed candidate is a missed duplicate,
    while a spurious one only costs a verification against the stored signature."""
    steps = 200
    lo = (np.arange(steps) + 0.5) / steps * threshold
    hi = threshold + (np.arange(steps) + 0.5) / steps * (1.0 - threshold)
    best, best_cost = (1, 1), math.inf
    for b in range(1, num_perm + 1):
        for r in range(1, num_perm // b + 1):
            fp = np.mean(1.0 - (1.0 - lo**r) ** b) * threshold
            fn = np.mean((1.0 - hi**r) ** b) * (1.0 - threshold)
            cost = (1.0 - fn_weight) * fp + fn_weight * fn
            if cost < best_cost - 1e-12:
                best, best_cost = (b, r), cost
    return best


_BAND_MULT = _splitmix64(np.arange(1, 257, dtype=np.uint64)) | np.uint64(1)  # odd multipliers
_BAND_SALT = _splitmix64(np.arange(1001, 1257, dtype=np.uint64))


def band_keys(values: np.ndarray, bands: int, rows: int) -> np.ndarray:
    """One signed 64-bit key per band: a hash of the band number and its r values
    (a random-odd-multiplier combination, then a splitmix64 finaliser). Two different bands
    share a key by chance with probability ~2^-64; a collision only adds a candidate,
    which verification then rejects."""
    grid = values[: bands * rows].astype(np.uint64).reshape(bands, rows)
    acc = (grid * _BAND_MULT[:rows]).sum(axis=1, dtype=np.uint64) + _BAND_SALT[:bands]
    return _splitmix64(acc).view(np.int64)


# ---------------------------------------------------------------------------------------------
# Sketches: the low 2 bits of every MinHash value, 4 per byte (32 bytes for 128 values).
# Two documents agree in a sketch group wherever their values are equal (and by chance,
# 1 in 4, elsewhere), so sketch agreement >= value agreement: an exact pre-filter.


def sketch_bytes(num_perm: int) -> int:
    return (num_perm + 3) // 4


def sketch(values: np.ndarray) -> bytes:
    low = np.zeros(4 * sketch_bytes(len(values)), dtype=np.uint8)
    low[: len(values)] = values & 3
    g = low.reshape(-1, 4)
    return (g[:, 0] | (g[:, 1] << 2) | (g[:, 2] << 4) | (g[:, 3] << 6)).astype(np.uint8).tobytes()


#: For a byte of XORed sketches: how many of its four 2-bit groups are zero (agree).
_EQUAL_PAIRS = np.array([sum(((x >> (2 * k)) & 3) == 0 for k in range(4)) for x in range(256)], dtype=np.int64)


# ---------------------------------------------------------------------------------------------
# The index (serial; one per run)


@dataclass(frozen=True, slots=True)
class Match:
    """Why a document is a duplicate: `kind` is the reject reason (`exact_duplicate`,
    `near_duplicate`; `contaminated`, see `DedupIndex.contaminated`), `duplicate_of` the id
    of the earliest-published matching document, `run_id` the run that published it,
    `similarity` the estimated Jaccard (1.0 if exact). `relation`: the detail's words for
    how the document relates to it, if not "<kind> of"."""

    kind: str
    duplicate_of: str
    run_id: str
    similarity: float
    relation: str = ""

    def reject(self, source: Source, doc_id: str, corpus: str | None = None) -> Reject:
        """The document `doc_id` (from `source`) rejected at dedup for this match; `corpus`:
        the `dedup.against` reference matched, as written there. Its detail reads "near
        duplicate of <id> (run <run>[ of corpus <corpus>])"."""
        how = self.relation or f"{self.kind.replace('_', ' ')} of"
        detail = f"{how} {self.duplicate_of} (run {self.run_id}" + (f" of corpus {corpus})" if corpus else ")")
        return Reject(source, STEP, self.kind, detail, id=doc_id, duplicate_of=self.duplicate_of,
                      duplicate_of_run=self.run_id, similarity=round(self.similarity, 4),
                      extra=(("duplicate_of_corpus", corpus),) if corpus else ())


_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS runs (
    run_no INTEGER PRIMARY KEY, run_id TEXT NOT NULL UNIQUE, state TEXT NOT NULL,
    first_seq INTEGER NOT NULL, started TEXT NOT NULL, committed TEXT, documents INTEGER);
CREATE TABLE IF NOT EXISTS docs (
    seq INTEGER PRIMARY KEY, doc_id TEXT NOT NULL, run_no INTEGER NOT NULL, minhash BLOB);
CREATE TABLE IF NOT EXISTS exact (key BLOB PRIMARY KEY, seq INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS lsh (seq INTEGER PRIMARY KEY, prints BLOB NOT NULL, bits BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS ngrams (seq INTEGER PRIMARY KEY, hashes BLOB NOT NULL);
"""


class DedupIndex:
    """The persistent set of published documents' signatures, checked in input order.

    `path=None` keeps the index in memory (one run, tests); otherwise it is an SQLite file
    that the next run into the same output folder reuses. Use one index from one process
    at a time: `begin_run`, then `check`/`add` per document, then `commit_run` once the
    run's output is durable, then `close`.
    """

    def __init__(self, path: Path | None, cfg: DedupConfig, read_only: bool = False) -> None:
        self.cfg = cfg
        self.path = path
        self.read_only = read_only
        self.bands, self.rows = (
            (cfg.lsh_bands, cfg.lsh_rows) if cfg.lsh_bands else lsh_params(cfg.threshold, cfg.num_perm)
        )
        if self.bands > len(_BAND_SALT) or self.rows > len(_BAND_MULT):
            raise DedupIndexError(f"at most {len(_BAND_SALT)} LSH bands of {len(_BAND_MULT)} rows are supported")
        if self.bands * self.rows > cfg.num_perm:
            raise DedupIndexError(
                f"dedup.lsh_bands * dedup.lsh_rows = {self.bands * self.rows} exceeds "
                f"dedup.num_perm = {cfg.num_perm}; lower one of them"
            )
        try:
            if read_only:
                self._open_read_only(Path(path))
            else:
                self._open(path)
        except sqlite3.DatabaseError as exc:
            raise DedupIndexError(
                f"dedup index {path} cannot be opened ({exc}); delete it to start a fresh index"
                if not read_only else f"dedup index {path} cannot be read ({exc})"
            ) from exc
        self._run_no: int | None = None
        self._run_id: str | None = None
        self._run_names: dict[int, str] = {}
        self._next_seq = 0
        self._pending = 0
        self._counts: dict[str, int] = {}
        self._clusters: set[int] = set()
        self._last_lsh: tuple[Signature | None, np.ndarray, bytes] = (None, np.empty(0, dtype=np.uint32), b"")
        self._ngrams: Any = None  # a reference's NgramTable, False if it has none; loaded at first use
        # In memory, loaded when the first run begins: the band table and the sketches.
        self._bands: BandTable | None = None
        self._sketches = np.zeros((0, sketch_bytes(cfg.num_perm)), dtype=np.uint8)
        # verification needs matches >= threshold * num_perm; the sketch's padding groups
        # always agree. floor() keeps the filter on the safe side of float rounding.
        self._needed_agreement = math.floor(cfg.threshold * cfg.num_perm) + (-cfg.num_perm) % 4
        if read_only:  # a reference: checked without a run of its own, loaded at its first check
            self._counts = dict.fromkeys(("checked", "exact_duplicates", "near_duplicates", "contaminated", "candidates",
                                          "candidates_prefiltered", "candidates_rejected", "candidates_truncated"), 0)

    # -- setup ----------------------------------------------------------------------------

    @classmethod
    def reference(cls, where: str | Path, cfg: DedupConfig) -> "DedupIndex":
        """Another corpus's index, read-only (`DedupConfig.against`): `where` is its folder
        (holding dedup.sqlite) or the index file. Only its committed runs count; it is
        never written (SQLite's read-only mode)."""
        path = Path(where)
        if path.is_dir():
            path = path / INDEX_FILE
        if not path.is_file():
            raise DedupIndexError(f"dedup.against: {where} is neither a corpus folder with a dedup.sqlite "
                                  "nor a dedup index file")
        return cls(path, cfg, read_only=True)

    def _open_read_only(self, path: Path) -> None:
        self._db = sqlite3.connect(path.resolve().as_uri() + "?mode=ro", uri=True, isolation_level=None)
        self._db.execute(f"PRAGMA cache_size = {-self.cfg.cache_mb * 1024}")
        if not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone():
            raise DedupIndexError(f"{path} is not a docprep dedup index")
        version = self._db.execute("SELECT value FROM meta WHERE key = 'schema_version'").fetchone()
        if not version or version[0] != str(_SCHEMA_VERSION):
            raise DedupIndexError(
                f"dedup index {path} has schema version {version[0] if version else None!r}, not "
                f"{_SCHEMA_VERSION}: run docprep once on that corpus to migrate it")
        self._check_meta()

    def _open(self, path: Path | None) -> None:
        cfg = self.cfg
        self._db = sqlite3.connect(":memory:" if path is None else str(path), isolation_level=None)
        self._db.executescript(
            f"PRAGMA cache_size = {-cfg.cache_mb * 1024}; PRAGMA temp_store = FILE;"
            + ("PRAGMA journal_mode = WAL; PRAGMA synchronous = NORMAL;" if path else "")
        )
        fresh = not self._db.execute("SELECT 1 FROM sqlite_master WHERE name = 'meta'").fetchone()
        self._db.executescript(_SCHEMA)
        self._db.execute("BEGIN IMMEDIATE")
        try:
            if not fresh:
                self._migrate()
            self._check_meta()
        finally:
            self._db.execute("COMMIT")

    def _settings(self) -> dict[str, str]:
        backend = f"rensa-rminhash-v{_rensa.RMinHash.ALGORITHM_VERSION}" if _rensa else "none"
        # The signature of a fixed text: if a new rensa (or numpy, or this module) hashes
        # differently, old and new signatures are not comparable and the canary differs.
        canary = signature(_CANARY, self.cfg).to_json() if _rensa else "none"
        return {
            "schema_version": str(_SCHEMA_VERSION),
            "scheme_version": str(SCHEME_VERSION),
            "backend": backend,
            "canary": canary,
            "num_perm": str(self.cfg.num_perm),
            "seed": str(self.cfg.seed),
            "shingle_words": str(self.cfg.shingle_words),
            "bands": str(self.bands),
            "rows": str(self.rows),
        }

    def _check_meta(self) -> None:
        want = self._settings()
        have = dict(self._db.execute("SELECT key, value FROM meta"))
        if not have and self.read_only:
            raise DedupIndexError(f"dedup index {self.path} has no settings: not a finished docprep index")
        if not have:
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(want.items()))
            return
        if not self.cfg.lsh_bands and "bands" in have:
            # The band table is keyed by the LSH layout the index was built with: keep it
            # when only the threshold changed (verification uses the new threshold).
            self.bands, self.rows = int(have["bands"]), int(have["rows"])
            want["bands"], want["rows"] = have["bands"], have["rows"]
        diff = {k: (have.get(k), v) for k, v in want.items() if have.get(k) != v}
        if diff:
            what = ", ".join(f"{k}: index has {a!r}, config wants {b!r}" for k, (a, b) in sorted(diff.items()))
            raise DedupIndexError(
                f"dedup index {self.path} was built with other settings ({what}); its signatures "
                "cannot be compared with new ones. Use the same dedup settings, or delete the "
                "index (the next run then re-admits everything)."
            )

    def _migrate(self) -> None:
        """Versions 1 and 2 kept LSH bands in an SQLite table (and 2 a sketches table):
        rebuild the `lsh` rows from the stored signatures and drop the old tables."""
        have = dict(self._db.execute("SELECT key, value FROM meta"))
        if have.get("schema_version") not in ("1", "2"):
            return
        bands, rows = int(have["bands"]), int(have["rows"])
        cur = self._db.execute("SELECT seq, minhash FROM docs WHERE minhash IS NOT NULL")
        while chunk := cur.fetchmany(10_000):
            out = []
            for seq, mh in chunk:
                prints, bits = lsh_parts(np.frombuffer(mh, dtype="<u4"), bands, rows)
                out.append((seq, prints.astype("<u4").tobytes(), bits))
            self._db.executemany("INSERT OR REPLACE INTO lsh (seq, prints, bits) VALUES (?, ?, ?)", out)
        self._db.execute("DROP TABLE IF EXISTS bands")
        self._db.execute("DROP TABLE IF EXISTS sketches")
        self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema_version'", (str(_SCHEMA_VERSION),))

    def _load_memory(self) -> None:
        """Band fingerprints and sketches of every indexed document, from the `lsh` table
        (~270 bytes per document: 232 MB of bands and 32 MB of sketches per million)."""
        width = sketch_bytes(self.cfg.num_perm)
        top = self._db.execute("SELECT max(seq) FROM lsh").fetchone()[0] or 0
        self._sketches = np.zeros((max(1024, top + 1 + top // 4), width), dtype=np.uint8)
        self._bands = BandTable()
        cur = self._db.execute(
            "SELECT l.seq, l.prints, l.bits FROM lsh l JOIN docs d ON d.seq = l.seq "
            "JOIN runs r ON r.run_no = d.run_no AND r.state = 'committed'" if self.read_only else
            "SELECT seq, prints, bits FROM lsh")
        while rows := cur.fetchmany(100_000):
            seqs = np.fromiter((r[0] for r in rows), dtype=np.int64, count=len(rows))
            self._sketches[seqs] = np.frombuffer(b"".join(r[2] for r in rows), dtype=np.uint8).reshape(-1, width)
            prints = np.frombuffer(b"".join(r[1] for r in rows), dtype="<u4").reshape(len(rows), self.bands)
            self._bands.load(seqs, prints)

    def _store_sketch(self, seq: int, bits: bytes) -> None:
        if seq >= len(self._sketches):
            grown = np.zeros((seq + 1 + seq // 2, self._sketches.shape[1]), dtype=np.uint8)
            grown[: len(self._sketches)] = self._sketches
            self._sketches = grown
        self._sketches[seq] = np.frombuffer(bits, dtype=np.uint8)

    def _delete_from(self, first: int) -> int:
        """Delete every document with seq >= first, on disk and in memory; returns how many."""
        db = self._db
        n = db.execute("SELECT count(*) FROM docs WHERE seq >= ?", (first,)).fetchone()[0]
        db.execute("DELETE FROM exact WHERE seq >= ?", (first,))
        db.execute("DELETE FROM lsh WHERE seq >= ?", (first,))
        db.execute("DELETE FROM ngrams WHERE seq >= ?", (first,))
        db.execute("DELETE FROM docs WHERE seq >= ?", (first,))
        if self._bands is not None:
            self._bands.forget_from(first)
            self._sketches[first:] = 0
        return n

    # -- run lifecycle --------------------------------------------------------------------

    def discard_unpublished(self, published: set[str]) -> int:
        """Drop the entries of every run the corpus does not list as published (`published`:
        the run ids in the corpus manifest), committed or not. The corpus manifest is the
        commit point of a run; the index is committed just before it, so a crash between
        the two leaves index entries of an unpublished run, which this removes. Returns the
        number of documents discarded. The index belongs to one corpus."""
        self._require_writable()
        if self._run_no is not None:
            raise DedupIndexError("discard_unpublished must be called before begin_run")
        db = self._db
        rows = db.execute("SELECT run_id, first_seq FROM runs").fetchall()
        stale = [(rid, seq) for rid, seq in rows if rid not in published]
        if not stale:
            return 0
        first = min(seq for _, seq in stale)
        later_published = [rid for rid, seq in rows if rid in published and seq > first]
        if later_published:
            raise DedupIndexError(
                f"dedup index {self.path} holds unpublished runs before published ones "
                f"({later_published[:3]}); it does not belong to this corpus"
            )
        db.execute("BEGIN IMMEDIATE")
        try:
            n = self._delete_from(first)
            db.executemany("DELETE FROM runs WHERE run_id = ?", [(rid,) for rid, _ in stale])
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        return n

    def committed_runs(self) -> set[str]:
        """The ids of the runs whose entries count (committed)."""
        return {rid for (rid,) in self._db.execute("SELECT run_id FROM runs WHERE state = 'committed'")}

    def begin_run(self, run_id: str) -> None:
        """Start a run: discard what any run that never committed left, then open `run_id`."""
        self._require_writable()
        if self._run_no is not None:
            raise DedupIndexError(f"run {self._run_id} is still open; commit it before beginning {run_id}")
        db = self._db
        db.execute("BEGIN IMMEDIATE")
        try:
            stale = db.execute("SELECT run_no, first_seq FROM runs WHERE state = 'open'").fetchall()
            discarded = 0
            if stale:
                discarded = self._delete_from(min(seq for _, seq in stale))
                db.execute("DELETE FROM runs WHERE state = 'open'")
            if db.execute("SELECT 1 FROM runs WHERE run_id = ?", (run_id,)).fetchone():
                raise DedupIndexError(
                    f"run id {run_id!r} is already committed in dedup index {self.path}; "
                    "every run needs a new id"
                )
            self._next_seq = (db.execute("SELECT max(seq) FROM docs").fetchone()[0] or 0) + 1
            cur = db.execute(
                "INSERT INTO runs (run_id, state, first_seq, started) VALUES (?, 'open', ?, ?)",
                (run_id, self._next_seq, _now()),
            )
            db.execute("COMMIT")
        except BaseException:
            db.execute("ROLLBACK")
            raise
        if self._bands is None:
            self._load_memory()
        self._run_no, self._run_id = cur.lastrowid, run_id
        self._run_names = {self._run_no: run_id}
        self._counts = dict.fromkeys(
            ("checked", "added", "exact_duplicates", "near_duplicates", "matched_earlier_runs",
             "candidates", "candidates_prefiltered", "candidates_rejected", "candidates_truncated"), 0)
        self._counts["discarded_uncommitted"] = discarded
        self._clusters = set()
        self._pending = 0
        db.execute("BEGIN")

    def commit_run(self) -> None:
        """Make this run's entries permanent (call once its output is durable)."""
        self._require_run()
        db = self._db
        db.execute(
            "UPDATE runs SET state = 'committed', committed = ?, documents = ? WHERE run_no = ?",
            (_now(), self._counts["added"], self._run_no),
        )
        if self.path is not None:
            db.execute("COMMIT")
            db.execute("PRAGMA synchronous = FULL")
            db.execute("BEGIN")  # an empty transaction committed with FULL syncs the WAL
            db.execute("UPDATE meta SET value = value WHERE key = 'schema_version'")
            db.execute("COMMIT")
            db.execute("PRAGMA synchronous = NORMAL")
        else:
            db.execute("COMMIT")
        self._run_no = None

    def close(self) -> None:
        """Close the index; an open (uncommitted) run stays open and the next
        `begin_run` discards it."""
        if self._db is None:
            return
        if self._db.in_transaction:
            self._db.execute("COMMIT")
        self._db.close()
        self._db = None

    def __enter__(self) -> "DedupIndex":
        return self

    def __exit__(self, *exc: Any) -> None:
        self.close()

    # -- per document ---------------------------------------------------------------------

    def check(self, sig: Signature) -> Match | None:
        """The earliest-published indexed document `sig` duplicates, or None. A read-only
        index (`reference`) needs no run and sees only its committed runs."""
        if not self.read_only:
            self._require_run()
        elif self._bands is None:
            self._load_memory()
        self._counts["checked"] += 1
        db = self._db
        if self.cfg.exact:
            row = db.execute(
                "SELECT d.seq, d.doc_id, d.run_no FROM exact e JOIN docs d ON d.seq = e.seq "
                + ("JOIN runs r ON r.run_no = d.run_no AND r.state = 'committed' " if self.read_only else "")
                + "WHERE e.key = ?",
                (_exact_key(sig.exact),),
            ).fetchone()
            if row:
                return self._match("exact_duplicate", row[0], row[1], row[2], 1.0)
        values = sig.values()
        if not self.cfg.near or values is None:
            return None
        prints, bits = self._lsh(sig, values)
        seqs, hits = self._bands.lookup(prints)
        found = len(seqs)
        if not found:
            return None
        self._counts["candidates"] += found
        # Exact pre-filter: equal values have equal low bits, so a candidate whose sketch
        # agrees in fewer places than verification needs cannot pass it. Chance candidates
        # (most of them in a large index) are dropped here without reading their signature.
        agree = _EQUAL_PAIRS[self._sketches[seqs] ^ np.frombuffer(bits, dtype=np.uint8)].sum(axis=1)
        ok = agree >= self._needed_agreement
        self._counts["candidates_prefiltered"] += int(len(ok) - ok.sum())
        seqs, hits = seqs[ok], hits[ok]
        if not len(seqs):
            return None
        if len(seqs) > self.cfg.max_candidates:
            # Those sharing the most bands first (a copy shares ~b*J^r of them).
            self._counts["candidates_truncated"] += 1
            seqs = seqs[np.lexsort((seqs, -hits))[: self.cfg.max_candidates]]
        rows = db.execute(
            f"SELECT seq, doc_id, run_no, minhash FROM docs WHERE seq IN ({','.join('?' * len(seqs))}) ORDER BY seq",
            seqs.tolist(),
        ).fetchall()
        stored = np.frombuffer(b"".join(r[3] for r in rows), dtype="<u4").reshape(len(rows), -1)
        sims = (stored == values).mean(axis=1)
        hit = np.flatnonzero(sims >= self.cfg.threshold)
        self._counts["candidates_rejected"] += found - len(hit)
        if len(hit) == 0:
            return None
        seq, doc_id, run_no, _ = rows[hit[0]]  # rows are in seq order: earliest published
        return self._match("near_duplicate", seq, doc_id, run_no, round(float(sims[hit[0]]), 4))

    def add(self, doc_id: str, sig: Signature, ngrams: np.ndarray | None = None) -> None:
        """Index a kept document for the current run (in input order); `ngrams`: its
        sequence hashes, in an index with an n-gram rule (`set_ngram_rule`)."""
        self._require_run()
        db = self._db
        seq = self._next_seq
        self._next_seq += 1
        db.execute(
            "INSERT INTO docs (seq, doc_id, run_no, minhash) VALUES (?, ?, ?, ?)",
            (seq, doc_id, self._run_no, sig.minhash if self.cfg.near else None),
        )
        if self.cfg.exact:
            db.execute("INSERT OR IGNORE INTO exact (key, seq) VALUES (?, ?)", (_exact_key(sig.exact), seq))
        values = sig.values()
        if self.cfg.near and values is not None:
            prints, bits = self._lsh(sig, values)
            db.execute("INSERT INTO lsh (seq, prints, bits) VALUES (?, ?, ?)",
                       (seq, prints.astype("<u4").tobytes(), bits))
            self._bands.add(seq, prints)
            self._store_sketch(seq, bits)
        if ngrams is not None and len(ngrams):
            db.execute("INSERT INTO ngrams (seq, hashes) VALUES (?, ?)", (seq, ngrams.astype("<u8").tobytes()))
        self._counts["added"] += 1
        self._pending += 1
        if self._pending >= self.cfg.flush_every:
            # Bound the journal: commit the SQLite transaction (not the run: the run stays
            # 'open' until commit_run, and begin_run discards it after a crash).
            db.execute("COMMIT")
            db.execute("BEGIN")
            self._pending = 0

    def stats(self) -> dict[str, Any]:
        """Counts for the run report, under the step's name; for a reference, what it
        holds (committed documents) and what it matched."""
        db = self._db
        if self.read_only:
            committed = db.execute("SELECT count(*) FROM docs d JOIN runs r ON r.run_no = d.run_no "
                                   "AND r.state = 'committed'").fetchone()[0]
            return {"indexed_documents": committed, **self._counts}
        indexed = db.execute("SELECT count(*) FROM docs").fetchone()[0]
        runs = db.execute("SELECT count(*) FROM runs WHERE state = 'committed'").fetchone()[0]
        out: dict[str, Any] = {
            "step": STEP,
            "indexed_documents": indexed,
            "committed_runs": runs,
            "lsh_bands": self.bands,
            "lsh_rows": self.rows,
            "clusters_this_run": len(self._clusters),
        }
        out.update(self._counts)
        return out

    # -- helpers --------------------------------------------------------------------------

    def _lsh(self, sig: Signature, values: np.ndarray) -> tuple[np.ndarray, bytes]:
        # check() then add() of the same document: compute its fingerprints and sketch once.
        if self._last_lsh[0] is not sig:
            self._last_lsh = (sig, *lsh_parts(values, self.bands, self.rows))
        return self._last_lsh[1], self._last_lsh[2]

    def _require_writable(self) -> None:
        if self.read_only:
            raise DedupIndexError(f"dedup index {self.path} is open read-only (dedup.against): it is never written")

    def _require_run(self) -> None:
        self._require_writable()
        if self._run_no is None:
            raise DedupIndexError("no dedup run is open: call begin_run(run_id) first")

    def _match(self, kind: str, seq: int, doc_id: str, run_no: int, sim: float) -> Match:
        self._counts["exact_duplicates" if kind == "exact_duplicate" else "near_duplicates"] += 1
        if self.read_only:
            return Match(kind, doc_id, self._run_name(run_no), sim)
        if run_no != self._run_no:
            self._counts["matched_earlier_runs"] += 1
        self._clusters.add(seq)
        return Match(kind, doc_id, self._run_name(run_no), sim)

    def set_ngram_rule(self, n: int, min_matches: int) -> None:
        """Keep each added text's N-word sequences (`cleaners.contamination`; n=0: none),
        a document holding `min_matches` of one text's being contaminated by it. Fixed when
        the index is made: a later run with another rule is refused (its texts would hold
        sequences of another length, or none)."""
        self._require_writable()
        have = self._ngram_rule()
        want = {"ngrams": str(n), "ngram_min_matches": str(min_matches if n else 0)}
        if not have and self._db.execute("SELECT 1 FROM docs LIMIT 1").fetchone() is None:
            self._db.executemany("INSERT INTO meta VALUES (?, ?)", sorted(want.items()))
        elif have != want:
            def rule(r: dict[str, str]) -> str:
                return (f"{r['ngrams']}-word sequences, {r['ngram_min_matches']} to match"
                        if r.get("ngrams", "0") != "0" else "whole texts only")

            raise DedupIndexError(f"dedup index {self.path} was made with {rule(have)}; this call asks for "
                                  f"{rule(want)}: index into it with the rule it was made with, or build another index")

    def _ngram_rule(self) -> dict[str, str]:
        """The index's n-gram rule as its meta table holds it ({} if it was made before them)."""
        return dict(self._db.execute("SELECT key, value FROM meta WHERE key IN ('ngrams', 'ngram_min_matches')"))

    def contaminated(self, text: str) -> Match | None:
        """A reference made with word sequences (`set_ngram_rule`): the committed text whose
        sequences `text` holds enough of, as a `contaminated` match (its similarity the share
        of the text's sequences found), or None; None always for an index without them."""
        if self._ngrams is None:
            self._ngrams = self._load_ngrams()
        if self._ngrams is False:
            return None
        hit = self._ngrams.check(text)
        if hit is None:
            return None
        doc_id, run_no = self._db.execute("SELECT doc_id, run_no FROM docs WHERE seq = ?", (hit.seq,)).fetchone()
        self._counts["contaminated"] = self._counts.get("contaminated", 0) + 1
        return Match("contaminated", doc_id, self._run_name(run_no), hit.matched / hit.total,
                     f"holds {hit.matched} of the {hit.total} {self._ngrams.n}-word sequences of")

    def _load_ngrams(self) -> Any:
        """The `NgramTable` of the committed texts, or False for an index without sequences."""
        from cleaners.contamination import NgramTable

        rule = self._ngram_rule()
        if int(rule.get("ngrams", 0)) == 0:
            return False
        rows = self._db.execute("SELECT n.seq, n.hashes FROM ngrams n JOIN docs d ON d.seq = n.seq "
                                "JOIN runs r ON r.run_no = d.run_no AND r.state = 'committed' ORDER BY n.seq").fetchall()
        return NgramTable.build(int(rule["ngrams"]), int(rule["ngram_min_matches"]), rows)

    def _run_name(self, run_no: int) -> str:
        name = self._run_names.get(run_no)
        if name is None:
            name = self._db.execute("SELECT run_id FROM runs WHERE run_no = ?", (run_no,)).fetchone()[0]
            self._run_names[run_no] = name
        return name


_CANARY = "The quick brown fox jumps over the lazy dog; été “quoted” 2024."


def lsh_parts(values: np.ndarray, bands: int, rows: int) -> tuple[np.ndarray, bytes]:
    """What the index keeps of a signature besides the signature: its band fingerprints
    (uint32[bands]) and its sketch."""
    return fingerprints(band_keys(values, bands, rows)), sketch(values)


def _exact_key(hexdigest: str) -> bytes:
    # 128 bits of SHA-256: a chance collision is ~n^2/2^129 (1e-27 at 1M documents).
    return bytes.fromhex(hexdigest)[:16]


def _now() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")
