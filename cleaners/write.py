"""Step `write`: records to JSONL shards, rejects to rejects.jsonl, crash-safe.

Every file is written under a temporary name, flushed to disk and then renamed, so a
file with its final name is always complete. The corpus manifest is written last; a
shard that a crashed run left behind is not in the manifest and is removed by the next
run (`remove_unlisted_shards`).
"""
from __future__ import annotations

import codecs
import gzip
import hashlib
import json
import os
import re
import threading
from pathlib import Path
from typing import Any

from cleaners.record import Document

STAGE = "write"

#: Key order of an output record (a contract: see schema/record.schema.json).
RECORD_KEYS = ("id", "text", "title", "lang", "lang_prob", "url", "date", "author", "sitename", "source", "provenance")


def _json_surrogates(err: UnicodeEncodeError) -> tuple[str, int]:
    """Lone surrogates (a file name that is not valid UTF-8, kept by `os.fsdecode`) are
    written as JSON escapes (`\\udce9`): the line stays valid UTF-8 and valid JSON, and
    `json.loads` gives the same string back."""
    bad = err.object[err.start:err.end]
    return "".join(f"\\u{ord(c):04x}" for c in bad), err.end


codecs.register_error("docprep-json-surrogates", _json_surrogates)


def dumps(obj: Any) -> str:
    return json.dumps(obj, ensure_ascii=False, separators=(",", ":"))


def json_line(obj: Any) -> bytes:
    """One JSON line as UTF-8 bytes: the encoding of every JSONL file docprep writes."""
    return (dumps(obj) + "\n").encode("utf-8", "docprep-json-surrogates")


def to_record(doc: Document, run: dict[str, str]) -> dict[str, Any]:
    """The output record. `run` holds the run-level provenance (docprep version,
    config hash, run id); `doc.steps` what each step did to this document."""
    return {
        "id": doc.id,
        "text": doc.text,
        "title": doc.title,
        "lang": doc.lang,
        "lang_prob": doc.lang_prob,
        "url": doc.url,
        "date": doc.date,
        "author": doc.author,
        "sitename": doc.sitename,
        "source": doc.source.to_dict(),
        "provenance": {**run, "steps": doc.steps},
    }


def atomic_write_bytes(path: Path, data: bytes) -> None:
    # The temporary name is the writer's own: threads of one process (fetch runs keeping a
    # site's robots.txt answer) may write the same file at once.
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}-{threading.get_ident()}")
    with open(tmp, "wb") as f:
        f.write(data)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    _fsync_dir(path.parent)


def atomic_write_json(path: Path, obj: Any) -> None:
    text = json.dumps(obj, ensure_ascii=False, indent=2, sort_keys=False) + "\n"
    atomic_write_bytes(path, text.encode("utf-8", "docprep-json-surrogates"))


def _fsync_dir(folder: Path) -> None:
    try:
        fd = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


class AtomicLines:
    """A JSONL file written under a temporary name and renamed into place on `commit`."""

    def __init__(self, path: Path, compress: bool = False):
        self.path = path
        self.tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
        self._raw = open(self.tmp, "wb")
        # mtime=0 and no file name in the gzip header: same records, same bytes.
        self._out = gzip.GzipFile(filename="", mode="wb", fileobj=self._raw, mtime=0) if compress else self._raw
        self._hash = hashlib.sha256()
        self.count = 0

    def write(self, obj: dict) -> None:
        self.write_line(json_line(obj))

    def write_line(self, line: bytes) -> None:
        """Write one line already encoded as `json_line` encodes it."""
        self._out.write(line)
        self.count += 1

    def commit(self) -> dict[str, Any]:
        if self._out is not self._raw:
            self._out.close()
        self._raw.flush()
        os.fsync(self._raw.fileno())
        self._raw.close()
        with open(self.tmp, "rb") as f:
            for chunk in iter(lambda: f.read(1 << 20), b""):
                self._hash.update(chunk)
        os.replace(self.tmp, self.path)
        _fsync_dir(self.path.parent)
        return {"records": self.count, "sha256": self._hash.hexdigest(), "bytes": self.path.stat().st_size}

    def abort(self) -> None:
        try:
            self._raw.close()
        finally:
            self.tmp.unlink(missing_ok=True)


class ShardWriter:
    """Kept records into data/part-NNNNN.jsonl[.gz], `shard_records` per shard,
    numbered on from `first_index` (a corpus accumulates shards across runs)."""

    def __init__(self, out: Path, first_index: int, shard_records: int, compress: bool):
        self.data = out / "data"
        self.data.mkdir(parents=True, exist_ok=True)
        self.out, self.index, self.limit, self.compress = out, first_index, shard_records, compress
        self.current: AtomicLines | None = None
        self.shards: list[dict[str, Any]] = []

    def write(self, record: dict) -> None:
        self.write_line(json_line(record))

    def write_line(self, line: bytes) -> None:
        """Write one record already encoded as `json_line` encodes it."""
        if self.current is None:
            name = f"part-{self.index:05d}.jsonl" + (".gz" if self.compress else "")
            self.current = AtomicLines(self.data / name, self.compress)
        self.current.write_line(line)
        if self.current.count >= self.limit:
            self._close()

    def _close(self) -> None:
        if self.current is not None:
            info = self.current.commit()
            self.shards.append({"path": str(self.current.path.relative_to(self.out)), **info})
            self.current = None
            self.index += 1

    def close(self) -> list[dict[str, Any]]:
        self._close()
        return self.shards


_TEMP_PID = re.compile(r"\.tmp-(\d+)")


def orphaned_temporary(path: Path) -> bool:
    """Whether `path` is a temporary (`atomic_write_bytes`, `AtomicLines`) whose writing
    process is gone: a process killed between writing it and renaming it into place. A
    live process of that id (its writer, or another that took the id since) keeps it."""
    m = _TEMP_PID.search(path.name)
    if m is None or not path.name.startswith("."):
        return False
    try:
        os.kill(int(m.group(1)), 0)
    except ProcessLookupError:
        return True
    except (PermissionError, OverflowError):
        return False
    return False


def remove_unlisted_shards(out: Path, listed: set[str]) -> list[str]:
    """Delete what a crashed run left: shard files no manifest lists, and temporaries."""
    removed = []
    candidates = list((out / "data").glob("*")) if (out / "data").is_dir() else []
    candidates += list(out.glob(".*.tmp-*")) + list(out.glob("runs/*/.*.tmp-*"))
    for p in sorted(candidates):
        rel = str(p.relative_to(out))
        if ".tmp-" in p.name or (p.name.startswith("part-") and rel not in listed):
            p.unlink(missing_ok=True)
            removed.append(rel)
    return removed
