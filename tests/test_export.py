"""`docprep export`: a corpus as dolma documents, for the projects it feeds."""
import gzip
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners.config import Config
from cleaners.errors import OutputError
from cleaners.export import export_dolma
from cleaners.validate import iter_records
from conftest import clean_seeds

ROOT = Path(__file__).resolve().parent.parent


def documents(to: Path) -> list[dict]:
    listing = json.loads((to / "export.json").read_text())
    return [json.loads(line) for f in listing["files"] for line in gzip.open(to / f["path"])]


@pytest.fixture()
def corpus(tmp_path) -> Path:
    out = tmp_path / "corpus"
    clean_seeds(out, cfg=Config().with_overrides(write={"shard_records": 2}), workers=0)
    return out


def test_every_record_is_a_dolma_document_with_its_provenance(corpus, tmp_path):
    done = export_dolma(corpus, tmp_path / "dolma", source="news-seeds")
    records = list(iter_records(corpus))
    docs = documents(tmp_path / "dolma")
    assert (done["records"], len(done["files"]), done["written"]) == (5, 3, 3) and len(docs) == len(records) == 5
    finished = {r["run_id"]: r["finished_at"] for r in json.loads((corpus / "manifest.json").read_text())["runs"]}
    for doc, rec in zip(docs, records):
        # dolma's mandatory fields, strings; the rest as its data format describes them
        assert all(isinstance(doc[k], str) and doc[k] for k in ("id", "text", "source"))
        assert (doc["id"], doc["text"], doc["source"]) == (rec["id"], rec["text"], "news-seeds")
        assert doc["added"] == finished[rec["provenance"]["run_id"]]
        assert doc.get("created") == rec["date"]
        assert doc["metadata"]["docprep"] == {"source": rec["source"], "provenance": rec["provenance"]}
        assert doc["metadata"]["lang"] == rec["lang"] and doc["metadata"].get("title") == rec["title"]
    # same corpus, same bytes
    export_dolma(corpus, tmp_path / "again", source="news-seeds")
    assert [p.read_bytes() for p in sorted((tmp_path / "dolma" / "documents").iterdir())] == \
        [p.read_bytes() for p in sorted((tmp_path / "again" / "documents").iterdir())]


def test_an_export_after_a_later_run_writes_only_the_new_shards(corpus, tmp_path):
    to = tmp_path / "dolma"
    export_dolma(corpus, to)
    first = {p.name: p.stat().st_mtime_ns for p in (to / "documents").iterdir()}
    src = tmp_path / "later"
    src.mkdir()
    (src / "new.txt").write_text("A Later Headline\n\n" + "A new paragraph of the later article, in words of its own. " * 12)
    from cleaners.pipeline import run

    run([str(src)], corpus, Config().with_overrides(write={"shard_records": 2}), workers=0)
    done = export_dolma(corpus, to)
    assert (done["written"], done["kept"], done["records"]) == (1, 3, 6)
    assert {p.name: p.stat().st_mtime_ns for p in (to / "documents").iterdir() if p.name in first} == first


def test_a_shard_that_does_not_match_the_manifest_is_not_exported(corpus, tmp_path):
    shard = next((corpus / "data").iterdir())
    shard.write_bytes(shard.read_bytes().replace(b'"lang":"en"', b'"lang":"fr"', 1))
    with pytest.raises(OutputError, match="do not hash as the corpus manifest says"):
        export_dolma(corpus, tmp_path / "dolma")
    assert not (tmp_path / "dolma" / "export.json").exists()
    assert [p.name for p in (tmp_path / "dolma" / "documents").iterdir() if ".tmp-" in p.name] == []


def test_the_cli_exports(corpus, tmp_path):
    proc = subprocess.run([sys.executable, "-m", "flows.cli", "export", str(corpus), "--to", str(tmp_path / "d")],
                          cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert "5 documents in 3 files (3 written, 0 already there)" in " ".join(proc.stderr.split())  # rich wraps lines
    assert len(documents(tmp_path / "d")) == 5


def test_a_compressed_corpus_exports_the_same_documents(corpus, tmp_path):
    packed = tmp_path / "packed"
    clean_seeds(packed, cfg=Config().with_overrides(write={"shard_records": 2, "compress": True}), workers=0)
    assert all(p.suffix == ".gz" for p in (packed / "data").iterdir())
    export_dolma(corpus, tmp_path / "plain-dolma")
    export_dolma(packed, tmp_path / "packed-dolma")
    assert [(d["id"], d["text"]) for d in documents(tmp_path / "plain-dolma")] == \
        [(d["id"], d["text"]) for d in documents(tmp_path / "packed-dolma")]
    assert sorted(p.name for p in (tmp_path / "packed-dolma" / "documents").iterdir()) == [
        "part-00000.jsonl.gz", "part-00001.jsonl.gz", "part-00002.jsonl.gz"]
