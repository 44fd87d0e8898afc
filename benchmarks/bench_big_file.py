#!/usr/bin/env python3
"""One big input file, one worker against two: does it spread over the cores?

    .venv/bin/python benchmarks/bench_big_file.py [--eval ../shared/eval/dev] [--copies 2]
                                                  [--rounds 2] [--only jsonl,warc]

A JSONL dump or a WARC crawl often arrives as one big file. Before parts (read.split_jsonl,
read.split_warc) a file was one batch, so one worker: two workers took as long as one.
This builds, from the dev sets' 892 HTML pages (`--copies` times, each copy a new edition
of the page, so dedup keeps them apart no more than it would real pages), in a temporary
folder:
  * big.jsonl      one line per page, {"html": ..., "url": ...}, read in parts of 8 MB
                   (the default read.jsonl_part_bytes);
  * big.jsonl.gz   the same, gzipped (parts are ranges of its content, at most 16);
  * big.warc.gz    one gzip member per response record, as crawlers write them, read in
                   parts of 8 MB (read.warc_part_bytes is 64 MB by default: a 1 GB
                   Common Crawl file is 16 parts; 8 MB gives this smaller file as many);
  * big.warc.zst   one zstd frame per record after a dictionary frame, as Archive Team
                   writes them, in parts of 8 MB likewise;
  * big.warc       the same records plain (uncompressed), in parts of 8 MB likewise;
  * big.wacz       big.warc.gz stored in a WACZ (archive/data.warc.gz, as Browsertrix
                   writes them), in parts of 8 MB likewise;
and times `docprep clean --no-prefect` over each with 1 and 2 workers, alternating, best
of `--rounds` (this machine's speed drifts: compare the ratios). Prints wall seconds, the
scaling (1-worker time / 2-worker time) and the batches; checks that both runs wrote the
same records. Results also go to benchmarks/results/bench_big_file.json (git-ignored).

For the ceiling, trafilatura alone in two processes scaled x2.16 against one on the same
pages (bench_pipeline.py, 2026-12-04); the JSONL parts gave x1.59-1.75 (2026-12-04).
2026-12-05, `--only warc,wacz --rounds 1`: big.warc.gz 53.3 s with 1 worker, 32.2 s with 2,
x1.66; big.wacz 51.1 / 33.3 s, x1.53, 8 batches each, same records (a WACZ read as a stream,
before that day, was one batch).
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import shutil
import struct
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.bench_pipeline import html_pages, measure  # noqa: E402

PY = Path(sys.executable)


def build_inputs(pages: list[Path], copies: int, where: Path) -> dict[str, Path]:
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    from cleaners.read import zstd

    lines, records = [], []
    warc = io.BytesIO()
    writer = WARCWriter(warc, gzip=True)
    for copy in range(copies):
        for page in pages:
            html = gzip.decompress(page.read_bytes()).decode("utf-8", "replace")
            url = f"https://example.org/{copy}/{page.name.split('.')[0]}"
            lines.append(json.dumps({"html": html, "url": url}))
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            writer.write_record(writer.create_warc_record(url, "response", payload=io.BytesIO(html.encode()),
                                                          http_headers=headers))
            one = WARCWriter(io.BytesIO(), gzip=False)  # the record plain, for a zstd frame of its own
            one.write_record(one.create_warc_record(url, "response", payload=io.BytesIO(html.encode()), http_headers=headers))
            records.append(one.out.getvalue())
    data = ("\n".join(lines) + "\n").encode()
    files = {"jsonl": where / "big.jsonl", "jsonl.gz": where / "big.jsonl.gz", "warc": where / "big.warc.gz",
             "warc.zst": where / "big.warc.zst", "warc.plain": where / "big.warc", "wacz": where / "big.wacz"}
    files["jsonl"].write_bytes(data)
    files["jsonl.gz"].write_bytes(gzip.compress(data, 6))
    files["warc"].write_bytes(warc.getvalue())
    files["warc.plain"].write_bytes(b"".join(records))
    with zipfile.ZipFile(files["wacz"], "w") as wacz:
        wacz.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1"}))
        wacz.writestr("archive/data.warc.gz", warc.getvalue(), compress_type=zipfile.ZIP_STORED)
    dictionary = zstd.train_dict(records[::7], 112_640)  # Archive Team's dictionaries are ~100 KB
    options = {zstd.CompressionParameter.checksum_flag: 1}
    files["warc.zst"].write_bytes(struct.pack("<II", 0x184D2A5D, len(dictionary.dict_content)) + dictionary.dict_content
                                  + b"".join(zstd.compress(r, options=options, zstd_dict=dictionary) for r in records))
    return files


def clean(path: Path, out: Path, workers: int, config: Path) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(PY.parent / "docprep"), "clean", str(path), "--out", str(out), "--workers", str(workers),
           "--no-prefect", "--quiet", "--config", str(config)]
    wall, peak = measure(cmd)
    m = json.loads((out / "manifest.json").read_text())
    run = json.loads((out / "runs" / m["runs"][-1]["run_id"] / "manifest.json").read_text())
    digest = hashlib.sha256()
    for shard in sorted((out / "data").glob("*.jsonl")):
        digest.update(shard.read_bytes())
    return {"wall_s": round(wall, 2), "peak_rss_mb": round(peak / 2**20), "units": m["counts"]["inputs"],
            "records": m["counts"]["records"], "batches": run["batches"],
            "shards_sha256": digest.hexdigest()}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval" / "dev")
    ap.add_argument("--copies", type=int, default=2)
    ap.add_argument("--rounds", type=int, default=2)
    ap.add_argument("--only", default="jsonl,jsonl.gz,warc,warc.zst,warc.plain,wacz")
    args = ap.parse_args()
    pages = html_pages(args.eval)
    results: dict[str, dict] = {}
    with tempfile.TemporaryDirectory(prefix="docprep-bigfile-") as tmp:
        where = Path(tmp)
        files = build_inputs(pages, args.copies, where)
        config = where / "config.toml"
        config.write_text("[read]\nwarc_part_bytes = 8388608\n")
        for kind in args.only.split(","):
            path = files[kind]
            best: dict[int, dict] = {}
            for _ in range(args.rounds):
                for workers in (1, 2):
                    r = clean(path, where / f"out-{workers}", workers, config)
                    if workers not in best or r["wall_s"] < best[workers]["wall_s"]:
                        best[workers] = r
            same = best[1]["shards_sha256"] == best[2]["shards_sha256"]
            results[kind] = {"size_mb": round(path.stat().st_size / 2**20, 1), "w1": best[1], "w2": best[2],
                             "scaling": round(best[1]["wall_s"] / best[2]["wall_s"], 2), "same_records": same}
            print(f"{kind:9} {results[kind]['size_mb']:7.1f} MB  {best[1]['units']} units  "
                  f"w1 {best[1]['wall_s']:6.1f} s  w2 {best[2]['wall_s']:6.1f} s  "
                  f"x{results[kind]['scaling']:.2f}  batches {best[2]['batches']}  same records: {same}", flush=True)
    out = ROOT / "benchmarks" / "results"
    out.mkdir(exist_ok=True)
    (out / "bench_big_file.json").write_text(json.dumps({"at": time.strftime("%Y-%m-%d %H:%M"), **results}, indent=1))


if __name__ == "__main__":
    main()
