"""Check a corpus folder against its manifest and the record JSON Schema."""
from __future__ import annotations

import gzip
import hashlib
import json
from functools import lru_cache
from pathlib import Path
from typing import Iterator

from cleaners.errors import OutputError

SCHEMA_PATH = Path(__file__).parent / "schema" / "record.schema.json"


@lru_cache(maxsize=1)
def record_validator():
    from jsonschema import Draft202012Validator

    return Draft202012Validator(json.loads(SCHEMA_PATH.read_text()))


def iter_records(out: Path) -> Iterator[dict]:
    """Every record of the corpus, in shard order (what a downstream reader does)."""
    for shard in load_manifest(out)["shards"]:
        yield from read_shard(out / shard["path"])


def read_shard(path: Path) -> Iterator[dict]:
    """The records of one shard file (.jsonl or .jsonl.gz), in order."""
    with (gzip.open if path.suffix == ".gz" else open)(path, "rt", encoding="utf-8") as f:
        for line in f:
            yield json.loads(line)


def load_manifest(out: Path) -> dict:
    """The corpus manifest of `out`, or an OutputError saying it is not a corpus."""
    try:
        return json.loads((out / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError) as exc:
        raise OutputError(f"{out} has no readable manifest.json: is it a docprep corpus? ({exc})") from exc


def validate_corpus(out: Path) -> list[str]:
    problems = []
    manifest = load_manifest(out)
    validator = record_validator()
    for shard in manifest["shards"]:
        path = out / shard["path"]
        if not path.exists():
            problems.append(f"{shard['path']}: listed in the manifest but missing")
            continue
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        if digest != shard["sha256"]:
            problems.append(f"{shard['path']}: sha256 {digest} != manifest {shard['sha256']}")
        opener = gzip.open if path.suffix == ".gz" else open
        n = 0
        with opener(path, "rt", encoding="utf-8") as f:
            for n, line in enumerate(f, start=1):
                for err in validator.iter_errors(json.loads(line)):
                    problems.append(f"{shard['path']}:{n}: {err.message}")
        if n != shard["records"]:
            problems.append(f"{shard['path']}: {n} records != manifest {shard['records']}")
    return problems
