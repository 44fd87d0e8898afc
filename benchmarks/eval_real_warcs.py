#!/usr/bin/env python3
"""docprep's WARC reader on archives real crawlers wrote: the test archives of pywb,
Warcat and dolma, fetched from PyPI (pinned by sha256, never copied into this repository).

usage: python benchmarks/eval_real_warcs.py [--work DIR] [--no-digests]

pywb 2.10.0's `sample_archive/warcs/`, Warcat 2.2.5's `example/` and dolma 1.2.1's
`tests/data/warc/` hold 24 WARC and ARC files: written by wget 1.14 and 1.21.4 (dolma's:
37 pages crawled in 2024), wpull, Archive Team's crawler, Heritrix 1 (WARC 0.18),
pywb's own recorder, and a few broken on purpose (a bad ARC, a file of bad records, a
WARC with CR CR LF line ends, hand-edited records whose Content-Length is off). For each
file this script reads it twice:

  * warcio, as leniently as it reads (a record whose closing is missing or whose
    Content-Length is off is read with a warning): its units (response records, HTML
    resource records and text/plain conversion records, as docprep counts them) and
    their offsets, and of those that carry a WARC-Block-Digest how many hash right;
  * docprep's reader (`plan_inputs` and `read_item`, as a run reads, with
    `read.check_digests` on unless --no-digests), in one read and in parts of 1 KB.

and prints per file: warcio's units, docprep's outcomes (documents, rejects by reason),
the units warcio read that docprep has no outcome for (`lost`: must be 0 but where the
file's damage explains it), the corrupt_warc rejects (with warcio's view of that place),
and whether parts read as one.

Results (2026-12-05), pywb's and Warcat's 22 files, 77 units as warcio reads them:
  * before (main at 38141c1): Warcat's c1_warcinfo.warc (WARC/0.18) was a corrupt_warc
    reject at byte 0 (docprep knew WARC 1.0 and 1.1 only). pywb's example-extra.warc
    lost its second response (byte 3207) without a trace: the revisit before it closes
    one line end short (a corrupt_warc reject), and the response, its Content-Length one
    short, was passed over by the strict look for the next record, as was all after it.
  * after: 74 of the 77 units are a document or a reject; the 3 `lost` are bad.arc's
    lines that warcio reads as records after its broken first one (an ARC has no record
    marks: its first damage ends it, one corrupt_warc reject). 3 corrupt_warc rejects in
    all: bad.arc at 0, example.warc's request at 4061 (its block stops short of text:
    warcio warns "Record not followed by newline"), missing-status-text.warc (CR CR LF
    line ends: warcio reads its 302 response). Parts read as one in every file. The
    block digests of wget 1.14, wpull, Archive Team's crawler and pywb's recorder
    (10 units carry one) all hash right.
  * dolma's two files (added after the fix): 37 units, 37 documents, 37 block digests
    right; all 24 files: 111 of 114 units read or rejected, 47/47 digests right.
"""
from __future__ import annotations

import argparse
import collections
import io
import sys
import tarfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from sdists import fetch_sdist  # noqa: E402

SDISTS = [
    (("pywb", "2.10.0", "5ae43c9b2a5321e39b9c8e16538bfbc0146eeb6fe26713232e45378b774a1a96"),
     "pywb-2.10.0/sample_archive/warcs/"),
    (("Warcat", "2.2.5", "a3d7af6b4f1cbc6244833e19904932647c8f57d46a2b770fc499a1ec5ca8a8bd"),
     "Warcat-2.2.5/example/"),
    (("dolma", "1.2.1", "23eb2511312befd48905b29a21a5e19cc2914f34e641e9904d9d97d583387c94"),
     "dolma-1.2.1/tests/data/warc/"),
]
SUFFIXES = (".warc", ".warc.gz", ".arc", ".arc.gz")


def archives(work: Path) -> list[Path]:
    """The WARC and ARC files of the pinned source distributions, under `work/warcs/`."""
    out = []
    for pin, prefix in SDISTS:
        with tarfile.open(fetch_sdist(work, *pin)) as tar:
            for member in tar.getmembers():
                if member.isfile() and member.name.startswith(prefix) and member.name.endswith(SUFFIXES):
                    path = work / "warcs" / pin[0] / member.name.removeprefix(prefix)
                    path.parent.mkdir(parents=True, exist_ok=True)
                    path.write_bytes(tar.extractfile(member).read())
                    out.append(path)
    return sorted(out)


def warcio_view(path: Path) -> dict:
    """warcio's lenient reading: units by offset, record types by offset, digests, error."""
    import contextlib

    from warcio.archiveiterator import ArchiveIterator

    units, types, digests, error = [], {}, collections.Counter(), None
    with open(path, "rb") as f, contextlib.redirect_stderr(io.StringIO()):
        records = ArchiveIterator(f, arc2warc=False, check_digests=True)
        try:
            for record in records:
                content_type = (record.content_type or "").split(";")[0].strip()
                unit = (record.rec_type == "response" or (record.rec_type == "conversion" and content_type == "text/plain")
                        or (record.rec_type == "resource" and content_type in ("text/html", "application/xhtml+xml")))
                record.content_stream().read()
                offset = records.get_record_offset()
                types[offset] = record.rec_type
                if unit:
                    units.append(offset)
                    if record.format == "warc" and record.rec_headers.get_header("WARC-Block-Digest"):
                        failed = any(p.startswith("block digest failed") for p in record.digest_checker.problems)
                        digests["failed" if failed else "passed"] += 1
        except Exception as exc:  # noqa: BLE001 - what warcio stops on, reported
            error = f"{type(exc).__name__}"
    return {"units": units, "types": types, "digests": digests, "error": error}


def docprep_view(path: Path, check_digests: bool, part_bytes: int | None = None) -> list[tuple]:
    from cleaners.config import ReadConfig
    from cleaners.read import plan_inputs, read_item

    import contextlib

    cfg = ReadConfig(check_digests=check_digests)
    if part_bytes:
        cfg = ReadConfig.model_construct(**{**cfg.model_dump(), "warc_part_bytes": part_bytes})
    with contextlib.redirect_stderr(io.StringIO()):  # warcio's warnings on records it reads leniently
        items, rejects = plan_inputs([str(path)], cfg)
        units = [*rejects, *(u for item in items for u in read_item(item, cfg))]
    return [(type(u).__name__, u.source.position, getattr(u, "reason", None), getattr(u, "detail", None))
            for u in units]


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--work", type=Path, default=Path("/tmp/docprep-real-warcs"))
    ap.add_argument("--no-digests", action="store_true", help="read with read.check_digests off")
    args = ap.parse_args(argv)

    totals = collections.Counter()
    print(f"{'file':48} {'warcio':>6} {'docs':>5} {'rejects':>28} {'lost':>4} {'digests':>9} parts")
    for path in archives(args.work):
        seen = warcio_view(path)
        ours = docprep_view(path, not args.no_digests)
        parts = docprep_view(path, not args.no_digests, part_bytes=1024) == ours
        positions = {pos for _, pos, _, _ in ours}
        lost = [u for u in seen["units"] if u not in positions]
        reasons = collections.Counter(reason for kind, _, reason, _ in ours if kind == "Reject")
        name = f"{path.parent.name}/{path.name}"
        digests = f"{seen['digests']['passed']}/{sum(seen['digests'].values())}"
        print(f"{name:48} {len(seen['units']):6} {sum(k == 'Document' for k, *_ in ours):5} "
              f"{', '.join(f'{r} {n}' for r, n in sorted(reasons.items())) or '-':>28} {len(lost):4} "
              f"{digests:>9} {'same' if parts else 'DIFFER'}")
        for kind, pos, reason, detail in ours:
            if reason == "corrupt_warc":
                print(f"    corrupt_warc at {pos} (warcio: {seen['types'].get(pos, 'no record there')}"
                      f"{', stops: ' + seen['error'] if seen['error'] else ''}): {detail[:150]}")
        totals.update(files=1, warcio_units=len(seen["units"]), lost=len(lost), parts_differ=not parts,
                      corrupt=reasons["corrupt_warc"], digest_checked=sum(seen["digests"].values()),
                      digest_passed=seen["digests"]["passed"])
    print("\n" + ", ".join(f"{k} {v}" for k, v in totals.items()))


if __name__ == "__main__":
    main()
