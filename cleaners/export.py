"""A corpus in another pipeline's document format, for the projects it feeds.

docprep's own shards are JSON Lines that datatrove's JsonlReader and Hugging Face's
`load_dataset("json")` read as they are (`text`, `id`; the other keys become metadata).
Dolma's tools (taggers, deduper, mixer) want their own document format: gzipped JSONL under
`documents/`, each line `{"id", "text", "source"}` (mandatory), `added`, `created` and a free
`metadata` (dolma 1.2, docs/data-format.md). `export_dolma` writes that:

- `id`: the record's id (stable across runs and versions, as dolma asks);
- `source`: a name for the corpus (default "docprep");
- `added`: when the run that published the record finished; `created`: the page's date,
  if one was found or declared;
- `metadata`: url, title, author, sitename, lang, lang_prob, and `docprep`: the record's
  `source` and `provenance` as the corpus holds them, so a dolma document still says
  where it came from and what was done to it.

One file per corpus shard (`documents/part-00000.jsonl.gz`), in the corpus's order, written
atomically; `export.json` lists them with their hashes and the shard each came from, and is
written last. Shards are never rewritten once published, so an export into the same folder
after a later run writes only the new shards' files (a file whose shard hash is listed is
kept). Each shard is checked against its hash in the corpus manifest before it is read.
Same corpus, same bytes (gzip with no timestamp).
"""
from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Iterator

from cleaners.errors import OutputError
from cleaners.validate import load_manifest, read_shard
from cleaners.write import AtomicLines, atomic_write_json

FORMAT = "dolma"
METADATA = ("url", "title", "author", "sitename", "lang", "lang_prob")


def dolma_document(record: dict[str, Any], source: str, added: str | None) -> dict[str, Any]:
    """One corpus record as a dolma document."""
    meta = {k: record[k] for k in METADATA if record.get(k) is not None}
    meta["docprep"] = {"source": record["source"], "provenance": record["provenance"]}
    doc = {"id": record["id"], "text": record["text"], "source": source}
    if added:
        doc["added"] = added
    if record.get("date"):
        doc["created"] = record["date"]
    doc["metadata"] = meta
    return doc


def export_dolma(out: Path, to: Path, source: str = "docprep") -> dict[str, Any]:
    """Write the corpus at `out` as dolma documents under `to`; return the export's
    listing (also `to/export.json`), with `written` and `kept` counts of files."""
    manifest = load_manifest(out)
    finished = {r["run_id"]: r.get("finished_at") for r in manifest.get("runs", [])}
    listing_path = to / "export.json"
    before = _listing(listing_path, out, source)
    done = {f["shard_sha256"]: f for f in before.get("files", []) if (to / f["path"]).is_file()}
    files, written = [], 0
    (to / "documents").mkdir(parents=True, exist_ok=True)
    for shard in manifest["shards"]:
        if shard["sha256"] in done:
            files.append(done[shard["sha256"]])
            continue
        name = Path(shard["path"]).name.removesuffix(".gz").removesuffix(".jsonl") + ".jsonl.gz"
        target = AtomicLines(to / "documents" / name, compress=True)
        try:
            added = finished.get(shard.get("run"))
            for record in _checked_records(out, shard):
                target.write(dolma_document(record, source, added))
            info = target.commit()
        except BaseException:
            target.abort()
            raise
        files.append({"path": f"documents/{name}", "shard": shard["path"], "shard_sha256": shard["sha256"], **info})
        written += 1
    listing = {"format": FORMAT, "corpus": str(out), "source": source,
               "records": sum(f["records"] for f in files), "files": files}
    atomic_write_json(listing_path, listing)
    return {**listing, "written": written, "kept": len(files) - written}


def _listing(path: Path, out: Path, source: str) -> dict[str, Any]:
    """The earlier export's listing in `path`, if it was of the same corpus and source."""
    if not path.is_file():
        return {}
    listing = json.loads(path.read_text(encoding="utf-8"))
    if listing.get("format") != FORMAT:
        raise OutputError(f"{path.parent} holds an export in format {listing.get('format')!r}: export to another folder")
    same = listing.get("corpus") == str(out) and listing.get("source") == source
    return listing if same else {}


def _checked_records(out: Path, shard: dict[str, Any]) -> Iterator[dict[str, Any]]:
    """The records of one shard, once its bytes hash as the corpus manifest says."""
    from cleaners.read import file_sha256

    path = out / shard["path"]
    if not path.is_file() or file_sha256(path) != shard["sha256"]:
        raise OutputError(f"{path}: missing, or its bytes do not hash as the corpus manifest says "
                          f"(docprep validate {out} tells more)")
    yield from read_shard(path)
