"""A dedup reference index built from texts as they are: another project's corpus, an
earlier training set, a benchmark's test set to keep out of the corpus (decontamination).

`dedup.against` takes docprep corpora, and dedup index files: `index_texts` writes such a
file from JSONL lines (their text field, `read.jsonl_keys`) and .txt files, with no
boilerplate removal and no filtering, only the encoding repaired as docprep repairs its
own documents (`repair`), so that a copy whose encoding broke on the way still matches.
Pages (HTML files, JSONL html lines, WARCs) are not texts yet: each is a `not_text`
reject saying to clean them with `docprep clean` and give that corpus instead.

Each call adds one run to the index, named by what decides its entries (the dedup and
repair settings and the inputs' bytes: `index_run_id`), so indexing the same files again
adds nothing. A text that duplicates one already indexed (this call's or an earlier
one's) is not indexed again; it is a line in the rejects, as in a corpus. An indexed
document's id is its line's own id (`read.jsonl_keys` id) where it has one, else docprep's
stable id, so a corpus's reject names the eval item it duplicated: duplicate_of "gsm8k-17".

With `ngrams` (`docprep index --ngrams 13`) the index also keeps each text's word
sequences, and a corpus document holding some of one text's is `contaminated` by it
(`cleaners.contamination`): a test item quoted inside a longer page.

Every input ends as an indexed text or a reject: the rejects of each call go to
`<index>.rejects.jsonl` (appended, atomically), with the run id. A crash leaves the run
uncommitted: it is not used by `dedup.against`, and the next call discards and redoes it.
"""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from cleaners.config import Config
from cleaners.contamination import ngram_hashes
from cleaners.decode import decode
from cleaners.dedup import INDEX_FILE, DedupIndex, signature
from cleaners.errors import OutputError
from cleaners.read import WorkItem, nothing_read, plan_inputs, read_item
from cleaners.record import Document, Reject, Source
from cleaners.repair import repair
from cleaners.write import atomic_write_bytes, json_line

STAGE = "index"
NOT_TEXT = ("a page, not a text: `docprep index` takes texts as they are (JSONL text fields, .txt files); "
            "clean pages with `docprep clean` and give that corpus to dedup.against")


def index_run_id(items: Sequence[WorkItem], cfg: Config, ngrams: int = 0, min_ngrams: int = 1) -> str:
    """The run's name in the index: the same files with the same settings, the same id."""
    h = hashlib.sha256(json.dumps({"ngrams": [ngrams, min_ngrams],
                                   "dedup": cfg.dedup.model_dump(mode="json", exclude={"index", "against"}),
                                   "repair": cfg.repair.model_dump(mode="json"),
                                   "read": cfg.read.model_dump(mode="json")}, sort_keys=True).encode())
    for it in items:
        h.update(f"\x00{it.uri}\x00{it.sha256 or it.url}\x00{it.part}".encode("utf-8", "surrogateescape"))
    return "index-" + h.hexdigest()[:16]


def as_text(unit: Document | Reject, cfg: Config) -> Document | Reject:
    """A unit's text as it is, encoding repaired; a page is a `not_text` reject."""
    if isinstance(unit, Reject):
        return unit
    if unit.kind != "text":
        return Reject(unit.source, STAGE, "not_text", NOT_TEXT, id=unit.id)
    doc = decode(unit, cfg.decode)
    if isinstance(doc, Reject):
        return doc
    doc.text = doc.content
    return repair(doc, cfg.repair)


def index_texts(inputs: Sequence[str], index: Path, cfg: Config, ngrams: int = 0, min_ngrams: int = 1,
                progress: Callable[[], None] | None = None) -> dict[str, Any]:
    """Add the texts of `inputs` to the dedup index file `index` (created if missing) as
    one run; return what was done. `ngrams` > 0: also keep each text's `ngrams`-word
    sequences, so that a corpus holding `min_ngrams` of one text's is `contaminated`
    (`cleaners.contamination`); fixed when the index is made. `progress()` is called after
    each unit."""
    if (index.parent / "manifest.json").exists() and index.name == INDEX_FILE:
        raise OutputError(f"{index} is the dedup index of the corpus in {index.parent}: its runs are that "
                          "corpus's; give docprep index a file of its own")
    if index.is_file() and not _head(index).startswith(b"SQLite format 3"):
        raise OutputError(f"{index} exists and is not a dedup index (an SQLite file): give --index a new "
                          "path or an index docprep index made")
    items, plan_rejects = plan_inputs(inputs, cfg.read)
    run_id = index_run_id(items, cfg, ngrams, min_ngrams)
    lines: list[dict[str, Any]] = [r.to_dict() for r in plan_rejects]
    indexed = short = 0  # short: texts of fewer than `ngrams` words, indexed with no sequence
    index.parent.mkdir(parents=True, exist_ok=True)
    with DedupIndex(index, cfg.dedup) as idx:
        idx.set_ngram_rule(ngrams, min_ngrams)
        committed = idx.committed_runs()
        if run_id in committed:
            return {"run_id": run_id, "status": "already_indexed", "index": str(index),
                    "indexed_documents": idx.stats()["indexed_documents"], "committed_runs": len(committed)}
        idx.begin_run(run_id)
        units: Counter = Counter()  # by file: a file read in parts (`read.split_jsonl`) is judged after its last
        for k, item in enumerate(items):
            for unit in _units(item, cfg):
                units[item.uri] += 1
                outcome = as_text(unit, cfg)
                if not isinstance(outcome, Reject):
                    outcome = _index_one(idx, outcome, cfg, ngrams)
                if isinstance(outcome, Reject):
                    lines.append(outcome.to_dict())
                else:
                    indexed += 1
                    short += bool(outcome.signals.get("no_sequences"))
                if progress is not None:
                    progress()
            if not units[item.uri] and (k + 1 == len(items) or items[k + 1].uri != item.uri):
                lines.append(nothing_read(item).to_dict())
        _write_rejects(index, run_id, lines, committed)
        idx.commit_run()
        stats = idx.stats()
    reasons = Counter(f"{line['stage']}/{line['reason']}" for line in lines)
    return {"run_id": run_id, "status": "indexed", "index": str(index), "inputs": indexed + len(lines),
            "indexed": indexed, "rejects": len(lines), "by_reason": dict(sorted(reasons.items())),
            "rejects_path": str(rejects_path(index)), "ngrams": ngrams,
            "indexed_without_sequences": short,
            "indexed_documents": stats["indexed_documents"], "committed_runs": stats["committed_runs"]}


def _head(path: Path) -> bytes:
    with open(path, "rb") as f:
        return f.read(16)


def _units(item: WorkItem, cfg: Config) -> Iterator[Document | Reject]:
    if item.format == "url":
        yield Reject(Source(item.uri, "", "url"), STAGE, "not_text", "a URL: " + NOT_TEXT)
    else:
        yield from read_item(item, cfg.read)


def _index_one(idx: DedupIndex, doc: Document, cfg: Config, ngrams: int) -> Document | Reject:
    """Index `doc` under its own id (its line's, else docprep's), with its `ngrams`-word
    sequences if asked, unless it duplicates a text already indexed: then the dedup
    reject, as a corpus gives it."""
    sig = signature(doc.text, cfg.dedup)
    doc_id = doc.source.get("input_id") or doc.id
    match = idx.check(sig)
    if match is None:
        sequences = ngram_hashes(doc.text, ngrams) if ngrams else None
        idx.add(doc_id, sig, sequences)
        if sequences is not None and not len(sequences):
            doc.signals["no_sequences"] = True
        return doc
    return match.reject(doc.source, doc_id)


def rejects_path(index: Path) -> Path:
    """Where the rejects of the runs that built `index` are: `<index>.rejects.jsonl`."""
    return index.with_name(index.name + ".rejects.jsonl")


def _write_rejects(index: Path, run_id: str, lines: list[dict[str, Any]], committed: set[str]) -> None:
    """Add this run's rejects, each with the run id, to `rejects_path(index)` (rewritten
    atomically, before the run commits). Lines of runs the index has not committed (a
    crash between this and the commit: the run is redone) are dropped."""
    path = rejects_path(index)
    old = path.read_bytes().splitlines(keepends=True) if path.exists() else []
    kept = [line for line in old if json.loads(line).get("run_id") in committed]
    new = [json_line({**line, "run_id": run_id}) for line in lines]
    atomic_write_bytes(path, b"".join(kept + new))
