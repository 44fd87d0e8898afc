"""`OUT/report.html`: one self-contained page that shows what a run did.

`build_report_data` reads the output folder (the run's manifest, its shards and its
rejects) into plain data: counts per stage and reason that visibly add up to the inputs,
languages, lengths before and after cleaning, the lines each text dump lost and why,
duplicate clusters, encoding repairs and time per step. `write_report` renders that data
into a single HTML file (inline CSS, inline SVG, a little vanilla JS; no network) and
`report_markdown` into Markdown for a Prefect artifact.

Originals are re-read from `source.uri` (a local path, relative to the folder the run was
started in, so the corpus' parent folders are tried too) and only shown when their
sha256 still matches the record's: the `removed` line ranges then point at the right
lines. Only the first `MAX_ORIGINALS` documents and a few samples per reason are embedded,
so the page stays small on large runs; the page says so.
"""
from __future__ import annotations

import gzip
import hashlib
import html
import json
import os
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any, Iterator

from cleaners.errors import OutputError

#: Documents whose original text (with the removed lines) is embedded in the page: the first
#: ones in table order, plus `SAMPLES_PER_REASON` per removal reason and per reject reason.
MAX_ORIGINALS = 200
SAMPLES_PER_REASON = 3
#: An embedded original is cut after this many lines (a dump of a whole site would
#: otherwise make the page unusable); the cut is marked.
MAX_ORIGINAL_LINES = 3000
#: Rows of the documents table embedded as JSON; past this the page says how many are left out.
MAX_TABLE_ROWS = 100_000
#: Clusters and repairs listed in the static HTML (all of them are in the data).
MAX_LISTED = 200
#: Length histogram bin edges in characters (1-3-10 steps: readable and fixed, so two
#: reports compare bin by bin).
LENGTH_EDGES = (0, 100, 300, 1_000, 3_000, 10_000, 30_000, 100_000, 300_000, 1_000_000)
#: Reasons the text-dump cleaner gives for lines it moved into a field rather than dropped.
META_REASONS = {"title": "used as the record's title", "date": "used as the record's date"}


# --- reading the output folder -----------------------------------------------------------


def _read_json(path: Path) -> dict[str, Any]:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise OutputError(f"{path} is missing: is {path.parent} a docprep output folder? "
                          "Run `docprep clean INPUT --out DIR` first") from None
    except ValueError as exc:
        raise OutputError(f"{path} is not valid JSON ({exc})") from exc


def _jsonl(path: Path) -> Iterator[dict[str, Any]]:
    if not path.exists():
        return
    opener = gzip.open if path.name.endswith(".gz") else open
    with opener(path, "rb") as f:
        for line in f:
            if line.strip():
                yield json.loads(line)


def load_run_manifest(out: Path, run_id: str | None = None) -> tuple[dict[str, Any], dict[str, Any]]:
    """(corpus manifest, the run's own manifest); the latest run when `run_id` is None."""
    corpus = _read_json(out / "manifest.json")
    run_id = run_id or corpus.get("run_id")
    known = [r["run_id"] for r in corpus.get("runs", [])]
    if run_id not in known and run_id != corpus.get("run_id"):
        raise OutputError(f"run {run_id!r} is not in {out / 'manifest.json'}; runs: {', '.join(known) or 'none'}")
    path = out / "runs" / run_id / "manifest.json"
    run = _read_json(path) if path.exists() else corpus
    return corpus, run


def _step(record: dict[str, Any], name: str) -> dict[str, Any]:
    for s in record.get("provenance", {}).get("steps", []):
        if s.get("step") == name:
            return s
    return {}


def _cut(s: str | None, n: int) -> str | None:
    return s if s is None or len(s) <= n else s[: n - 1] + "…"


def _source_group(uri: str, fmt: str) -> str:
    """What the source filter offers: the folder of a file input, the container itself
    for JSONL and WARC inputs (many documents each), the host for a URL."""
    if "://" in uri:
        return uri.split("://", 1)[1].split("/", 1)[0]
    if fmt in ("jsonl", "warc"):
        return uri
    return uri.rsplit("/", 1)[0] + "/" if "/" in uri else "./"


def _record_row(rec: dict[str, Any]) -> dict[str, Any]:
    ex = _step(rec, "extract")
    fix = _step(rec, "repair").get("ftfy")
    src = rec.get("source", {})
    return {
        "id": rec["id"], "uri": src.get("uri", ""), "format": src.get("format", ""),
        "position": src.get("position"), "sha256": src.get("sha256"),
        "title": _cut(rec.get("title"), 160), "lang": rec.get("lang"),
        "outcome": "kept", "stage": "write", "reason": "kept", "detail": "",
        "chars_in": ex.get("chars_in"), "chars_out": ex.get("chars_out", len(rec.get("text", ""))),
        "method": ex.get("method"), "removed": ex.get("removed") or [],
        "ftfy": fix or None, "decode": {k: v for k, v in _step(rec, "decode").items() if k != "step"},
    }


def _reject_row(rej: dict[str, Any], n: int) -> dict[str, Any]:
    src = rej.get("source", {})
    row = {
        "id": rej.get("id") or f"reject-{n}", "uri": src.get("uri", ""), "format": src.get("format", ""),
        "position": src.get("position"), "sha256": src.get("sha256"),
        "title": None, "lang": None, "outcome": "rejected", "stage": rej.get("stage"),
        "reason": rej.get("reason"), "detail": _cut(rej.get("detail"), 300),
        "chars_in": None, "chars_out": None, "method": None, "removed": [], "ftfy": None, "decode": {},
    }
    for key in ("duplicate_of", "duplicate_of_run", "duplicate_of_corpus", "similarity"):
        if key in rej:
            row[key] = rej[key]
    return row


def _sort_key(row: dict[str, Any]) -> tuple:
    pos = row.get("position")
    return (row["uri"], -1 if pos is None else pos, row["id"])


# --- originals ---------------------------------------------------------------------------


def _candidates(uri: str, out: Path) -> list[Path]:
    """Where a relative `source.uri` may be: the current folder, then the corpus folder
    and each of its parents (the run was started somewhere above it, usually)."""
    p = Path(uri)
    if p.is_absolute():
        return [p]
    bases = [Path.cwd()] + [out.resolve()] + list(out.resolve().parents)
    seen, found = set(), []
    for base in bases:
        c = base / p
        if c not in seen:
            seen.add(c)
            found.append(c)
    return found


def _read_bytes(path: Path) -> bytes:
    from cleaners.read import open_content

    with open_content(path) as f:
        return f.read()


def _warc_record_body(path: Path, position: int | None) -> bytes | None:
    """The body of the WARC record at `position`: an offset in the file or in its content,
    as `read_item` read it (`read.warc_offsets_in_file`)."""
    from cleaners.read import open_content, warc_offsets_in_file
    from cleaners.warc import members_of

    if position is None:
        return None
    with open(path, "rb") as raw:
        members = members_of(str(path), raw)
        if warc_offsets_in_file(str(path), raw, members):
            raw.seek(position)
            return _first_record_body(raw, members)
    with open_content(path) as stream:
        while position > 0:
            skipped = stream.read(min(position, 1 << 20))
            if not skipped:
                return None
            position -= len(skipped)
        return _first_record_body(stream)


def _first_record_body(stream, members=None) -> bytes | None:
    """The body of the first record of `stream`, read by `members`' reader if given (a
    zstd WARC's frames), else by warcio's own."""
    from cleaners.warc import archive_iterator

    records = members.archive_iterator(stream) if members is not None else archive_iterator(stream)
    record = next(iter(records), None)
    return record.content_stream().read() if record is not None else None


def _jsonl_lines(path: Path, positions: set[int]) -> dict[int, bytes]:
    from cleaners.read import open_content

    found: dict[int, bytes] = {}
    with open_content(path) as f:
        for n, line in enumerate(f, 1):
            if n in positions:
                found[n] = line.rstrip(b"\r\n")
                if len(found) == len(positions):
                    break
    return found


def _decode(raw: bytes, decode_step: dict[str, Any]) -> str:
    from cleaners.decode import to_text

    hint = decode_step.get("charset") if decode_step.get("via") == "declared" else None
    return to_text(raw, hint, "text")[0]


def _text_key(config: dict[str, Any] | None) -> str:
    """The key a run read a JSONL line's text from (`read.jsonl_keys`), by its config."""
    return ((config or {}).get("read", {}).get("jsonl_keys") or {}).get("text", "text")


def load_originals(rows: list[dict[str, Any]], out: Path, text_key: str = "text") -> dict[str, dict[str, Any]]:
    """The decoded dump text of each row (text dumps only), split into lines exactly as
    the text-dump cleaner split it, or why it cannot be shown. `text_key`: where the run
    read a JSONL line's text (`_text_key`)."""
    from cleaners.read import field
    from cleaners.textdump_features import units_of

    result: dict[str, dict[str, Any]] = {}
    by_file: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        if row["method"] != "textdump":
            result[row["id"]] = {"missing": "not a text dump: nothing was removed line by line"}
        elif row["format"] not in ("text", "jsonl", "sniff", "warc"):
            result[row["id"]] = {"missing": f"originals of {row['format']} inputs are not re-read"}
        else:
            by_file[row["uri"]].append(row)
    for uri, wanted in sorted(by_file.items()):
        path = next((c for c in _candidates(uri, out) if c.is_file()), None)
        if path is None:
            for row in wanted:
                result[row["id"]] = {"missing": f"{uri} not found (looked in the current folder and above the corpus)"}
            continue
        try:
            if wanted[0]["format"] == "jsonl":
                lines = _jsonl_lines(path, {r["position"] for r in wanted if r["position"]})
                raws = {r["id"]: lines.get(r["position"]) for r in wanted}
            elif wanted[0]["format"] == "warc":  # a WET record's text, at its offset
                raws = {r["id"]: _warc_record_body(path, r["position"]) for r in wanted}
            else:
                data = _read_bytes(path)
                raws = {r["id"]: data for r in wanted}
        except (OSError, EOFError, ValueError) as exc:
            for row in wanted:
                result[row["id"]] = {"missing": f"{uri} could not be read: {type(exc).__name__}: {exc}"}
            continue
        for row in wanted:
            raw = raws.get(row["id"])
            if raw is None:
                result[row["id"]] = {"missing": f"line {row['position']} of {uri} not found"}
                continue
            if row["sha256"] and hashlib.sha256(raw).hexdigest() != row["sha256"]:
                result[row["id"]] = {"missing": f"{path} changed since the run (sha256 differs): its lines no longer match"}
                continue
            try:
                if row["format"] == "jsonl":
                    text = field(json.loads(raw), text_key) or ""
                else:
                    text = _decode(raw, row["decode"])
            except (ValueError, UnicodeError, AttributeError) as exc:
                result[row["id"]] = {"missing": f"could not decode {uri}: {exc}"}
                continue
            lines, _ = units_of(text)
            entry: dict[str, Any] = {"path": str(path), "lines": lines[:MAX_ORIGINAL_LINES], "total_lines": len(lines)}
            if len(lines) > MAX_ORIGINAL_LINES:
                entry["truncated"] = True
            result[row["id"]] = entry
    return result


# --- the data behind the page --------------------------------------------------------------


def _histogram(values: list[int]) -> list[int]:
    counts = [0] * len(LENGTH_EDGES)
    for v in values:
        i = len(LENGTH_EDGES) - 1
        while i > 0 and v < LENGTH_EDGES[i]:
            i -= 1
        counts[i] += 1
    return counts


def _median(values: list[int]) -> float | None:
    if not values:
        return None
    s = sorted(values)
    mid = len(s) // 2
    return float(s[mid]) if len(s) % 2 else (s[mid - 1] + s[mid]) / 2


def _find_records(out: Path, corpus: dict[str, Any], run_ids: set[str], ids: set[str]) -> dict[str, dict[str, Any]]:
    """Kept records of the runs `run_ids` with the ids `ids`, as report rows (the
    survivors of cross-run duplicate clusters, the kept copy `explain` names)."""
    found: dict[str, dict[str, Any]] = {}
    for shard in corpus.get("shards", []):
        if shard.get("run") in run_ids and len(found) < len(ids):
            for rec in _jsonl(out / shard["path"]):
                if rec["id"] in ids:
                    found[rec["id"]] = _record_row(rec)
    return found


def _same_source(uri: str, key: str) -> bool:
    """Whether a unit's source uri is the one asked for: equal, or the same path written
    another way ("./seeds/a.txt", "seeds//a.txt"); a WACZ's units ("crawl.wacz#archive/
    data.warc.gz") are the WACZ's too."""
    if uri == key:
        return True
    if "://" in key:
        return False
    wacz = uri.split("#", 1)[0] if "#" in uri else None
    return os.path.normpath(uri) == os.path.normpath(key) or (
        wacz is not None and wacz.lower().endswith(".wacz") and os.path.normpath(wacz) == os.path.normpath(key))


def explain(out: Path, key: str) -> dict[str, Any]:
    """Everything the corpus at `out` knows of one input unit, by its id (a record's `id`,
    a reject's `id`): where it came from, what each step did (a record's provenance) or
    where and why it was dropped (a reject's stage, reason and detail, and for a copy the
    document it duplicates), and, for a text dump, its lines as the cleaner split them,
    each with its verdict (`kept`, blank, or the reason it was removed), re-read from the
    input file when it is still there with the same sha256.

    `key` may also be a source: an input's uri as the records and rejects name it (a path
    as given to `docprep clean`, a URL). A source of one unit is explained as that unit
    (also a unit rejected before it had an id: an unreadable or empty file); a source of
    several (a JSONL or WARC file, a file cleaned again after it changed) gives the list
    of its units, each with its id, position, outcome and reason (`units`), in the
    corpus' order. An id wins over a source. Raises InputError when the corpus holds
    neither. The shards and the rejects are each read once, for the id and the source
    alike."""
    from cleaners.errors import InputError

    out = Path(out)
    corpus = _read_json(out / "manifest.json")
    from_source: list[tuple[dict[str, Any], dict[str, Any]]] = []  # (unit's summary, its record or reject)
    for shard in corpus.get("shards", []):
        for rec in _jsonl(out / shard["path"]):
            if rec.get("id") == key:
                return _explain_record(out, rec)
            src = rec.get("source", {})
            if _same_source(src.get("uri", ""), key):
                from_source.append(({"id": rec["id"], "position": src.get("position"), "sha256": src.get("sha256"),
                                     "outcome": "kept", "title": rec.get("title")}, rec))
    for rej in _jsonl(out / "rejects.jsonl"):
        if rej.get("id") == key:
            return _explain_reject(out, corpus, rej)
        src = rej.get("source", {})
        if _same_source(src.get("uri", ""), key):
            from_source.append(({"id": rej.get("id"), "position": src.get("position"), "sha256": src.get("sha256"),
                                 "outcome": "rejected", "stage": rej.get("stage"), "reason": rej.get("reason")}, rej))
    if not from_source:
        raise InputError(f"no record or reject with id or source {key!r} in {out}")
    if len(from_source) > 1:
        # JSONL lines and WARC records in the file's order, kept or not (sorted is stable).
        units = sorted((u for u, _ in from_source), key=lambda u: -1 if u["position"] is None else u["position"])
        return {"id": None, "outcome": "source", "source": {"uri": key}, "units": units}
    unit, found = from_source[0]
    return _explain_record(out, found) if unit["outcome"] == "kept" else _explain_reject(out, corpus, found)


def _explain_record(out: Path, record: dict[str, Any]) -> dict[str, Any]:
    """A kept record's explanation: its source and provenance, and for a text dump its
    lines with their verdicts (re-read from the input)."""
    row = _record_row(record)
    result = {"id": record["id"], "outcome": "kept", "source": record.get("source", {}), "title": record.get("title"),
              "lang": record.get("lang"), "date": record.get("date"), "url": record.get("url"),
              "chars": len(record.get("text", "")), "provenance": record.get("provenance", {})}
    if row["method"] == "textdump":
        _, run = load_run_manifest(out, record.get("provenance", {}).get("run_id"))
        original = load_originals([row], out, _text_key(run.get("config"))).get(record["id"], {})
        if "lines" in original:
            removed = {k: reason for first, last, reason in row["removed"] for k in range(first, last + 1)}
            result["lines"] = [[line, removed.get(k, "kept" if line.strip() else "")]
                               for k, line in enumerate(original["lines"])]
            result["lines_from"] = original["path"]
            if original.get("truncated"):
                result["lines_truncated"] = original["total_lines"]
        else:
            result["lines_missing"] = original.get("missing")
    return result


def _explain_reject(out: Path, corpus: dict[str, Any], reject: dict[str, Any]) -> dict[str, Any]:
    """A reject's explanation: its source, stage, reason and detail, and for a copy the
    kept document and where that came from."""
    result: dict[str, Any] = {"id": reject.get("id"), "outcome": "rejected", "source": reject.get("source", {}),
                              "reject": {k: v for k, v in reject.items() if k not in ("id", "source")}}
    kept = reject.get("duplicate_of")
    if kept and not reject.get("duplicate_of_corpus"):
        found = _find_records(out, corpus, {reject.get("duplicate_of_run")}, {kept}).get(kept)
        if found is not None:
            result["kept_copy"] = {"id": kept, "uri": found["uri"], "title": found["title"]}
    return result


def build_report_data(out: Path, run_id: str | None = None, *, originals: bool = True) -> dict[str, Any]:
    """Everything the report shows, as plain JSON-able data, for the latest run of the
    corpus at `out` (or `run_id`). Deterministic: the same folder gives the same data."""
    out = Path(out)
    corpus, run = load_run_manifest(out, run_id)
    run_id = run["run_id"]
    counts = run["counts"]

    rows = []
    for shard in run.get("shards", []):
        for rec in _jsonl(out / shard["path"]):
            rows.append(_record_row(rec))
    rejects_path = out / run.get("rejects", {}).get("path", f"runs/{run_id}/rejects.jsonl")
    if not rejects_path.exists() or rejects_path == out / "rejects.jsonl":
        rejects_path = out / "runs" / run_id / "rejects.jsonl"
    for n, rej in enumerate(_jsonl(rejects_path)):
        rows.append(_reject_row(rej, n))
    rows.sort(key=_sort_key)
    records = [r for r in rows if r["outcome"] == "kept"]
    rejects = [r for r in rows if r["outcome"] == "rejected"]

    # Counts: the manifest's stage table, checked against the files it describes.
    stages = [dict(s) for s in counts["by_stage"]]
    reasons = [{"stage": s["stage"], "reason": r, "count": n} for s in stages for r, n in s["rejected"].items()]
    reasons.append({"stage": "write", "reason": "kept", "count": counts["records"]})
    found = Counter((r["stage"], r["reason"]) for r in rejects)
    accounting = {
        "inputs": counts["inputs"], "records": counts["records"], "rejects": counts["rejects"],
        "skipped_inputs": counts.get("skipped_inputs", 0),
        "adds_up": counts["inputs"] == counts["records"] + counts["rejects"],
        "files_agree": len(records) == counts["records"] and len(rejects) == counts["rejects"]
        and all(found[(x["stage"], x["reason"])] == x["count"] for x in reasons if x["stage"] != "write"),
        "records_in_files": len(records), "rejects_in_files": len(rejects),
    }

    # Lines removed from text dumps, per reason (documents and lines).
    line_reasons: dict[str, dict[str, int]] = defaultdict(lambda: {"documents": 0, "lines": 0, "ranges": 0})
    for r in records:
        seen = set()
        for first, last, reason in r["removed"]:
            line_reasons[reason]["lines"] += last - first + 1
            line_reasons[reason]["ranges"] += 1
            if reason not in seen:
                seen.add(reason)
                line_reasons[reason]["documents"] += 1

    # Duplicate clusters: the kept document and its copies.
    by_id = {r["id"]: r for r in records}
    clusters: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for r in rejects:
        if r.get("duplicate_of"):
            clusters[r["duplicate_of"]].append(r)
    elsewhere = {k for k in clusters if k not in by_id}
    other_runs = {c[0].get("duplicate_of_run") for k, c in clusters.items() if k in elsewhere}
    earlier = _find_records(out, corpus, {x for x in other_runs if x}, elsewhere) if elsewhere else {}
    duplicates = []
    for kept_id, copies in sorted(clusters.items(), key=lambda kv: (-len(kv[1]), kv[0])):
        kept = by_id.get(kept_id) or earlier.get(kept_id)
        duplicates.append({
            "kept": {"id": kept_id, "uri": kept["uri"] if kept else None, "title": kept["title"] if kept else None,
                     "run": copies[0].get("duplicate_of_run"), "corpus": copies[0].get("duplicate_of_corpus")},
            "copies": [{"id": c["id"], "uri": c["uri"], "reason": c["reason"], "similarity": c.get("similarity")}
                       for c in copies],
        })

    repairs = [{"id": r["id"], "uri": r["uri"], "title": r["title"], "ftfy": r["ftfy"]} for r in records if r["ftfy"]]

    chars_in = [r["chars_in"] for r in records if r["chars_in"] is not None]
    chars_out = [r["chars_out"] for r in records if r["chars_out"] is not None]
    lengths = {
        "edges": list(LENGTH_EDGES), "before": _histogram(chars_in), "after": _histogram(chars_out),
        "documents": len(chars_in), "total_before": sum(chars_in), "total_after": sum(chars_out),
        "median_before": _median(chars_in), "median_after": _median(chars_out),
    }

    # Which originals to embed: the first documents with removals, plus samples per reason.
    samples: dict[str, list[str]] = {}
    for reason in sorted(line_reasons):
        samples[f"line:{reason}"] = [r["id"] for r in records if any(x[2] == reason for x in r["removed"])][:SAMPLES_PER_REASON]
    for x in reasons:
        key = f"{x['stage']}:{x['reason']}"
        samples[key] = [r["id"] for r in rows if (r["stage"], r["reason"]) == (x["stage"], x["reason"])][:SAMPLES_PER_REASON]
    dumps = [r for r in records if r["method"] == "textdump"]
    chosen = {r["id"] for r in dumps[:MAX_ORIGINALS]}
    chosen |= {i for key, ids in samples.items() if key.startswith("line:") for i in ids}
    wanted = [r for r in records if r["id"] in chosen]
    embedded = load_originals(wanted, out, _text_key(run.get("config"))) if originals else {}

    return {
        "format": "docprep-report/1",
        "run_id": run_id,
        "previous_run": run.get("previous_run"),
        "started_at": run.get("started_at"),
        "finished_at": run.get("finished_at"),
        "docprep": run.get("docprep"),
        "config_hash": run.get("config_hash"),
        "corpus": {"runs": len(corpus.get("runs", [])), "shards": len(corpus.get("shards", [])),
                   "records": sum(r.get("records", 0) for r in corpus.get("runs", []))},
        "inputs": len(run.get("inputs", [])),
        "accounting": accounting,
        "stages": stages,
        "reasons": reasons,
        "languages": dict(run.get("languages", {})),
        "lengths": lengths,
        "line_removals": dict(sorted(line_reasons.items(), key=lambda kv: (-kv[1]["lines"], kv[0]))),
        "duplicates": duplicates,
        "dedup": run.get("dedup", {}),
        "repairs": repairs,
        "timing_s": dict(run.get("timing_s", {})),
        "documents": rows,
        "samples": samples,
        "originals": embedded,
        "limits": {"max_originals": MAX_ORIGINALS, "samples_per_reason": SAMPLES_PER_REASON,
                   "max_original_lines": MAX_ORIGINAL_LINES, "max_table_rows": MAX_TABLE_ROWS,
                   "text_dumps": len(dumps), "originals_embedded": len(embedded)},
    }


# --- Markdown (Prefect artifact) ---------------------------------------------------------------


def _md(s: Any) -> str:
    return str(s).replace("\\", "\\\\").replace("|", "\\|").replace("\n", " ")


def report_markdown(data: dict[str, Any]) -> str:
    """A Markdown summary of `build_report_data`'s result (for `create_markdown_artifact`)."""
    a = data["accounting"]
    lines = [
        f"# docprep run `{data['run_id']}`",
        "",
        f"**{a['inputs']}** input units = **{a['records']}** records + **{a['rejects']}** rejects"
        + ("" if a["adds_up"] else " (does NOT add up)"),
        "",
        "| stage | in | rejected | out |",
        "|---|---:|---|---:|",
    ]
    for s in data["stages"]:
        rej = ", ".join(f"{_md(r)}: {n}" for r, n in s["rejected"].items()) or "-"
        lines.append(f"| {_md(s['stage'])} | {s['in']} | {rej} | {s['out']} |")
    lines += ["", "| language | records |", "|---|---:|"]
    lines += [f"| {_md(k)} | {v} |" for k, v in data["languages"].items()]
    ln = data["lengths"]
    if ln["documents"]:
        lines += ["", f"Characters before cleaning: {ln['total_before']} (median {ln['median_before']:g}); "
                      f"after: {ln['total_after']} (median {ln['median_after']:g})."]
    if data["line_removals"]:
        lines += ["", "| lines removed because | lines | documents |", "|---|---:|---:|"]
        lines += [f"| {_md(k)} | {v['lines']} | {v['documents']} |" for k, v in data["line_removals"].items()]
    if data["duplicates"]:
        lines += ["", f"**{len(data['duplicates'])}** duplicate clusters", "",
                  "| kept | copies |", "|---|---|"]
        for c in data["duplicates"][:20]:
            copies = ", ".join(f"{_md(x['uri'])} ({_md(x['reason'])}, {x['similarity']})" for x in c["copies"])
            where = f" (corpus {_md(c['kept']['corpus'])})" if c["kept"].get("corpus") else ""
            lines.append(f"| {_md(c['kept']['uri'] or c['kept']['id'])}{where} | {copies} |")
    if data["repairs"]:
        lines += ["", f"**{len(data['repairs'])}** documents with encoding repairs (ftfy)"]
    lines += ["", "| step | seconds |", "|---|---:|"]
    lines += [f"| {_md(k)} | {v} |" for k, v in data["timing_s"].items()]
    return "\n".join(lines) + "\n"


# --- HTML -------------------------------------------------------------------------------------

e = html.escape


def _num(n: float) -> str:
    return f"{n:,}" if isinstance(n, int) else f"{n:,.2f}"


def _hbars(rows: list[tuple[str, float, str]], unit: str = "", width: int = 560) -> str:
    """A horizontal bar chart as inline SVG: (label, value, tooltip) per bar."""
    if not rows:
        return '<p class="muted">nothing to show</p>'
    top = max(v for _, v, _ in rows) or 1
    label_w, bar_w, h = 170, width - 170 - 90, 22
    parts = [f'<svg class="chart" role="img" width="{width}" height="{h * len(rows) + 4}" '
             f'viewBox="0 0 {width} {h * len(rows) + 4}" xmlns="http://www.w3.org/2000/svg">']
    for i, (label, value, tip) in enumerate(rows):
        y = i * h + 2
        w = max(1.0, bar_w * value / top) if value else 0
        parts.append(f'<g><title>{e(tip)}</title>'
                     f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{e(_cut(label, 26))}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w:.1f}" height="{h - 8}" rx="2" class="bar"/>'
                     f'<text x="{label_w + w + 6:.1f}" y="{y + 15}">{e(_num(value))}{e(unit)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def _funnel(stages: list[dict[str, Any]], kept: int, width: int = 560) -> str:
    """Documents entering each stage: the part that stays and the part rejected there."""
    rows = [s for s in stages if s["in"]] or stages
    top = max([s["in"] for s in rows] + [1])
    label_w, bar_w, h = 90, width - 90 - 130, 22
    n = len(rows) + 1
    parts = [f'<svg class="chart" role="img" width="{width}" height="{h * n + 4}" '
             f'viewBox="0 0 {width} {h * n + 4}" xmlns="http://www.w3.org/2000/svg">']
    for i, s in enumerate(rows + [{"stage": "kept", "in": kept, "out": kept, "rejected": {}}]):
        y = i * h + 2
        w_out = bar_w * s["out"] / top
        w_rej = bar_w * (s["in"] - s["out"]) / top
        rej = ", ".join(f"{r}: {c}" for r, c in s["rejected"].items())
        tip = f"{s['stage']}: {s['in']} in, {s['out']} out" + (f", rejected {rej}" if rej else "")
        parts.append(f'<g><title>{e(tip)}</title>'
                     f'<text x="{label_w - 6}" y="{y + 15}" text-anchor="end">{e(s["stage"])}</text>'
                     f'<rect x="{label_w}" y="{y + 3}" width="{w_out:.1f}" height="{h - 8}" class="bar"/>'
                     f'<rect x="{label_w + w_out:.1f}" y="{y + 3}" width="{w_rej:.1f}" height="{h - 8}" class="bar rej"/>'
                     f'<text x="{label_w + w_out + w_rej + 6:.1f}" y="{y + 15}">{s["out"]:,}'
                     + (f" (−{s['in'] - s['out']:,})" if s["in"] != s["out"] else "") + "</text></g>")
    parts.append("</svg>")
    return "".join(parts)


def _length_chart(lengths: dict[str, Any], width: int = 640) -> str:
    if not lengths["documents"]:
        return '<p class="muted">no records with length information</p>'
    edges, before, after = lengths["edges"], lengths["before"], lengths["after"]
    labels = [_span(lo, edges[i + 1] if i + 1 < len(edges) else None) for i, lo in enumerate(edges)]
    top = max(before + after + [1])
    plot_h, base, gw = 150, 170, (width - 40) / len(edges)
    parts = [f'<svg class="chart" role="img" width="{width}" height="{base + 40}" viewBox="0 0 {width} {base + 40}" '
             'xmlns="http://www.w3.org/2000/svg">',
             f'<line x1="30" y1="{base}" x2="{width - 5}" y2="{base}" class="axis"/>']
    for i, label in enumerate(labels):
        x = 30 + i * gw
        for j, (name, series, cls) in enumerate((("before", before, "bar before"), ("after", after, "bar"))):
            hgt = plot_h * series[i] / top
            bx = x + 4 + j * (gw - 8) / 2
            parts.append(f'<g><title>{e(f"{label} characters, {name} cleaning: {series[i]} documents")}</title>'
                         f'<rect x="{bx:.1f}" y="{base - hgt:.1f}" width="{(gw - 10) / 2:.1f}" height="{hgt:.1f}" class="{cls}"/>'
                         + (f'<text x="{bx + (gw - 10) / 4:.1f}" y="{base - hgt - 3:.1f}" text-anchor="middle" class="small">{series[i]}</text>'
                            if series[i] else "") + "</g>")
        parts.append(f'<text x="{x + gw / 2:.1f}" y="{base + 15}" text-anchor="middle" class="small">{e(label)}</text>')
    parts.append(f'<text x="30" y="{base + 33}" class="small">characters per document</text>'
                 f'<rect x="{width - 250}" y="{base + 24}" width="10" height="10" class="bar before"/>'
                 f'<text x="{width - 236}" y="{base + 33}" class="small">before (dump/page)</text>'
                 f'<rect x="{width - 120}" y="{base + 24}" width="10" height="10" class="bar"/>'
                 f'<text x="{width - 106}" y="{base + 33}" class="small">after (text)</text></svg>')
    return "".join(parts)


def _span(lo: int, hi: int | None) -> str:
    """'30–100k', '300k–1M', '1M+': a bin label short enough for its bar."""
    if hi is None:
        return _short(lo) + "+"
    a, b = _short(lo), _short(hi)
    return f"{a[:-1]}–{b}" if a[-1:] == b[-1:] and not a[-1:].isdigit() else f"{a}–{b}"


def _short(n: int) -> str:
    for div, suffix in ((1_000_000, "M"), (1_000, "k")):
        if n >= div:
            return f"{n // div}{suffix}"
    return str(n)


def _json_for_script(obj: Any) -> str:
    """JSON safe inside <script>: no `</script>`, `<!--` or `]]>` can appear in it."""
    s = json.dumps(obj, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return s.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026") \
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029")


def _reason_tip(reason: str, first: int, last: int) -> str:
    where = f"line {first + 1}" if first == last else f"lines {first + 1}–{last + 1}"
    what = META_REASONS.get(reason)
    return f"{where}: {reason}" + (f" ({what})" if what else " — removed")


def render_original(lines: list[str], removed: list[list], start: int = 0, stop: int | None = None,
                    focus: str | None = None) -> str:
    """Lines `start..stop` of a dump as HTML: removed lines struck through and greyed, the
    reason in the `title` tooltip and as a tag beside the first line of each range.
    (The page's JS does the same from the embedded data; this one serves the samples.)"""
    reason_at: dict[int, tuple[str, int, int]] = {}
    for first, last, reason in removed:
        for k in range(first, last + 1):
            reason_at[k] = (reason, first, last)
    stop = len(lines) if stop is None else min(stop, len(lines))
    out = []
    for i in range(start, stop):
        text = e(lines[i]) or "&#8203;"
        if i in reason_at:
            reason, first, last = reason_at[i]
            cls = ("rm meta" if reason in META_REASONS else "rm") + (" focus" if reason == focus else "")
            tag = f'<span class="tag">{e(reason)}</span>' if i == first or i == start else ""
            out.append(f'<div class="ln {cls}" data-reason="{e(reason)}" title="{e(_reason_tip(reason, first, last))}">'
                       f'<span class="no">{i + 1}</span><del>{text}</del>{tag}</div>')
        else:
            out.append(f'<div class="ln"><span class="no">{i + 1}</span><span class="tx">{text}</span></div>')
    return "".join(out)


CSS = """
:root{--fg:#1d2433;--muted:#6b7280;--line:#e5e7eb;--bar:#3b6fd8;--rej:#d9534f;--before:#b8c2d6;--bg:#fff;--panel:#f7f8fa}
*{box-sizing:border-box}
body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg);margin:0}
header{padding:18px 28px;border-bottom:1px solid var(--line);background:var(--panel)}
header h1{margin:0 0 4px;font-size:20px}
main{padding:8px 28px 40px;max-width:1200px}
h2{font-size:16px;margin:28px 0 8px;padding-top:8px;border-top:1px solid var(--line)}
h3{font-size:14px;margin:16px 0 6px}
nav a{margin-right:12px}
a{color:#2451b3}
.muted,.note{color:var(--muted)}
.note{font-size:12.5px}
code,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px}
table{border-collapse:collapse;margin:6px 0}
th,td{border-bottom:1px solid var(--line);padding:4px 10px 4px 0;text-align:left;vertical-align:top}
th{font-weight:600;color:#374151}
td.n,th.n{text-align:right;font-variant-numeric:tabular-nums}
.eq{font-size:18px;margin:10px 0}
.ok{color:#15803d;font-weight:600}.bad{color:#b91c1c;font-weight:600}
.grid{display:flex;flex-wrap:wrap;gap:8px 40px}
.chart text{font-size:12px;fill:var(--fg)}
.chart .small{font-size:11px;fill:var(--muted)}
.chart .bar{fill:var(--bar)}.chart .bar.rej{fill:var(--rej)}.chart .bar.before{fill:var(--before)}
.chart .axis{stroke:#9ca3af}
.pill{display:inline-block;padding:0 6px;border-radius:8px;background:#eef2ff;font-size:12px;margin:1px 2px 1px 0}
.pill.kept{background:#dcfce7}.pill.rejected{background:#fee2e2}
.orig{border:1px solid var(--line);background:var(--panel);padding:6px 0;max-height:520px;overflow:auto;margin:6px 0 14px;
  font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:12.5px;white-space:pre-wrap;word-break:break-word}
.ln{padding:0 10px 0 0;display:flex;gap:8px}
.ln .no{color:#9ca3af;min-width:3.2em;text-align:right;flex:none;user-select:none}
.ln.rm{background:#fdf0f0;color:#9ca3af}
.ln.rm del{text-decoration:line-through;text-decoration-color:#d9534f}
.ln.meta{background:#eef4ff}.ln.meta del{text-decoration-color:#3b6fd8}
.ln .tag{margin-left:auto;flex:none;font-size:11px;color:#b91c1c;padding-left:10px}
.ln.meta .tag{color:#2451b3}
.ln.focus{box-shadow:inset 3px 0 0 #d9534f}.ln.focus .tag{font-weight:700}
.controls{display:flex;flex-wrap:wrap;gap:8px;align-items:center;margin:8px 0}
.controls input,.controls select,.controls button{font:inherit;padding:3px 6px}
#doc-table{width:100%;table-layout:fixed}
#doc-table th:nth-child(1){width:22%}#doc-table th:nth-child(2){width:22%}#doc-table th:nth-child(3){width:14%}
#doc-table th:nth-child(4){width:4%}#doc-table th:nth-child(5),#doc-table th:nth-child(6){width:6%}
#doc-table th:nth-child(8){width:4%}#doc-table td{overflow-wrap:break-word}
#doc-table tbody tr{cursor:pointer}
#doc-table tbody tr:hover{background:#f3f6fd}
#doc-table tbody tr.sel{background:#e6edfb}
.clip{overflow:hidden;text-overflow:ellipsis;white-space:nowrap}
#viewer{margin-top:10px}
details.sample{margin:4px 0}
td.view{color:#2451b3;text-decoration:underline}
footer{padding:0 28px 20px}
"""

JS = r"""
(function(){
  "use strict";
  var D = JSON.parse(document.getElementById("report-data").textContent);
  var rows = D.rows, PAGE = 50, page = 0, shown = rows, selected = null, byId = {};
  rows.forEach(function(r){ byId[r.id] = r; });
  var q = document.getElementById("f-search"), fs = document.getElementById("f-source"),
      fl = document.getElementById("f-lang"), fr = document.getElementById("f-reason"),
      tbody = document.querySelector("#doc-table tbody"), info = document.getElementById("f-info"),
      viewer = document.getElementById("viewer");
  function el(tag, attrs, text){
    var n = document.createElement(tag);
    for (var k in attrs) if (attrs[k] !== null && attrs[k] !== undefined) n.setAttribute(k, attrs[k]);
    if (text !== undefined && text !== null) n.textContent = String(text);
    return n;
  }
  function opt(sel, value, label){ sel.appendChild(el("option", {value: value}, label)); }
  function uniq(f){ var s = {}; rows.forEach(function(r){ f(r).forEach(function(v){ s[v] = (s[v]||0)+1; }); });
    return Object.keys(s).sort().map(function(k){ return [k, s[k]]; }); }
  uniq(function(r){ return [r.group]; }).forEach(function(x){ opt(fs, x[0], x[0] + " (" + x[1] + ")"); });
  uniq(function(r){ return [r.lang || "–"]; }).forEach(function(x){ opt(fl, x[0], x[0] + " (" + x[1] + ")"); });
  var og1 = el("optgroup", {label: "outcome (stage: reason)"}), og2 = el("optgroup", {label: "lines removed because"});
  uniq(function(r){ return [r.stage + ": " + r.reason]; }).forEach(function(x){ og1.appendChild(el("option", {value: "o:" + x[0]}, x[0] + " (" + x[1] + ")")); });
  uniq(function(r){ return r.lr; }).forEach(function(x){ og2.appendChild(el("option", {value: "l:" + x[0]}, x[0] + " (" + x[1] + ")")); });
  fr.appendChild(og1); if (og2.children.length) fr.appendChild(og2);

  function matches(r){
    var s = q.value.trim().toLowerCase();
    if (s && (r.id + " " + r.uri + " " + (r.title||"") + " " + (r.detail||"")).toLowerCase().indexOf(s) < 0) return false;
    if (fs.value && r.group !== fs.value) return false;
    if (fl.value && (r.lang || "–") !== fl.value) return false;
    if (fr.value){
      var kind = fr.value.slice(0, 2), v = fr.value.slice(2);
      if (kind === "o:" && r.stage + ": " + r.reason !== v) return false;
      if (kind === "l:" && r.lr.indexOf(v) < 0) return false;
    }
    return true;
  }
  function apply(){ shown = rows.filter(matches); page = 0; draw(); }
  function draw(){
    var pages = Math.max(1, Math.ceil(shown.length / PAGE));
    if (page >= pages) page = pages - 1;
    tbody.textContent = "";
    shown.slice(page * PAGE, page * PAGE + PAGE).forEach(function(r){
      var tr = el("tr", {"data-id": r.id});
      if (r.id === selected) tr.className = "sel";
      var td = el("td", {"class": "clip", title: r.uri + (r.position != null ? " @" + r.position : "")}, r.uri + (r.position != null ? " @" + r.position : ""));
      tr.appendChild(td);
      var note = r.dup ? "copy of " + (r.dup_uri || r.dup) : (r.outcome === "rejected" ? r.detail || "" : "");
      tr.appendChild(r.title ? el("td", {"class": "clip", title: r.title}, r.title) : el("td", {"class": "clip muted", title: note}, note));
      var oc = el("td"); oc.appendChild(el("span", {"class": "pill " + r.outcome, title: r.detail || ""}, r.outcome === "kept" ? "kept" : r.stage + ": " + r.reason)); tr.appendChild(oc);
      tr.appendChild(el("td", {}, r.lang || ""));
      tr.appendChild(el("td", {"class": "n"}, r.chars_in == null ? "" : r.chars_in.toLocaleString("en")));
      tr.appendChild(el("td", {"class": "n"}, r.chars_out == null ? "" : r.chars_out.toLocaleString("en")));
      tr.appendChild(el("td", {}, r.lr.join(", ")));
      tr.appendChild(el("td", {"class": "view"}, D.originals[r.id] && D.originals[r.id].lines ? "view" : ""));
      tr.addEventListener("click", function(){ show(r.id); });
      tbody.appendChild(tr);
    });
    info.textContent = shown.length + " of " + rows.length + " documents" + (D.rows_left_out ? " (" + D.rows_left_out + " more not embedded)" : "") +
      " · page " + (page + 1) + " of " + pages;
    document.getElementById("f-prev").disabled = page === 0;
    document.getElementById("f-next").disabled = page >= pages - 1;
  }
  function tip(reason, a, b){
    var where = a === b ? "line " + (a + 1) : "lines " + (a + 1) + "–" + (b + 1);
    var meta = D.meta_reasons[reason];
    return where + ": " + reason + (meta ? " (" + meta + ")" : " — removed");
  }
  function show(id){
    selected = id; draw();
    var r = byId[id], o = D.originals[id];
    viewer.textContent = "";
    viewer.appendChild(el("h3", {}, (r.title || r.uri) + "  ·  " + r.id));
    var p = el("p", {"class": "note"}, "source " + r.uri + (r.position != null ? " @" + r.position : "") + " · " + (r.outcome === "kept" ? "kept" : "rejected at " + r.stage + ": " + r.reason + (r.detail ? " — " + r.detail : "")));
    viewer.appendChild(p);
    if (r.dup){ viewer.appendChild(el("p", {"class": "note"}, "copy of " + (r.dup_uri || "") + " (" + r.dup + ")" + (r.sim != null ? ", similarity " + r.sim : ""))); }
    if (r.fix){ viewer.appendChild(el("p", {"class": "note"}, "encoding repaired by ftfy (the original below is before the repair): " + r.fix)); }
    if (!o){ viewer.appendChild(el("p", {"class": "muted"}, r.outcome === "kept" ? "Original not embedded (only the first " + D.limits.max_originals + " text dumps and samples per reason are)." : "Rejected documents carry no line provenance.")); return; }
    if (!o.lines){ viewer.appendChild(el("p", {"class": "muted"}, "Original not shown: " + o.missing)); return; }
    var at = {};
    r.removed.forEach(function(x){ for (var k = x[0]; k <= x[1]; k++) at[k] = x; });
    var box = el("div", {"class": "orig", id: "viewer-original"});
    o.lines.forEach(function(line, i){
      var x = at[i], d = el("div", {"class": "ln"}), no = el("span", {"class": "no"}, i + 1);
      d.appendChild(no);
      if (x){
        d.className = "ln rm" + (D.meta_reasons[x[2]] ? " meta" : "");
        d.setAttribute("title", tip(x[2], x[0], x[1])); d.setAttribute("data-reason", x[2]);
        d.appendChild(el("del", {}, line || "\u200b"));
        if (i === x[0]) d.appendChild(el("span", {"class": "tag"}, x[2]));
      } else d.appendChild(el("span", {"class": "tx"}, line || "\u200b"));
      box.appendChild(d);
    });
    viewer.appendChild(box);
    if (o.truncated) viewer.appendChild(el("p", {"class": "note"}, "Cut after " + o.lines.length + " of " + o.total_lines + " lines."));
    viewer.scrollIntoView({block: "nearest"});
  }
  [q, fs, fl, fr].forEach(function(n){ n.addEventListener("input", apply); n.addEventListener("change", apply); });
  document.getElementById("f-prev").addEventListener("click", function(){ page--; draw(); });
  document.getElementById("f-next").addEventListener("click", function(){ page++; draw(); });
  Array.prototype.forEach.call(document.querySelectorAll("[data-filter-reason]"), function(a){
    a.addEventListener("click", function(ev){ ev.preventDefault(); fr.value = a.getAttribute("data-filter-reason");
      apply(); document.getElementById("documents").scrollIntoView(); });
  });
  // The address can carry the filters and the open document, e.g.
  // report.html#q=reuters&lang=en&reason=l:nav&source=seeds/&page=2&doc=<id>: shareable links.
  function fromHash(){
    var p = {};
    location.hash.slice(1).split("&").forEach(function(kv){
      var i = kv.indexOf("="); if (i > 0) p[kv.slice(0, i)] = decodeURIComponent(kv.slice(i + 1));
    });
    if (p.q !== undefined) q.value = p.q;
    if (p.source !== undefined) fs.value = p.source;
    if (p.lang !== undefined) fl.value = p.lang;
    if (p.reason !== undefined) fr.value = p.reason;
    apply();
    if (p.page) { page = Math.max(0, parseInt(p.page, 10) - 1 || 0); draw(); }
    if (p.doc && byId[p.doc]) { show(p.doc); viewer.scrollIntoView(); }
  }
  window.addEventListener("hashchange", fromHash);
  fromHash();
})();
"""


def _table_rows(data: dict[str, Any]) -> list[dict[str, Any]]:
    """The documents table as the page's JS wants it (compact: no provenance detail)."""
    out = []
    kept_uri = {c["kept"]["id"]: c["kept"]["uri"] for c in data["duplicates"]}
    for r in data["documents"][:MAX_TABLE_ROWS]:
        row = {"id": r["id"], "uri": r["uri"], "group": _source_group(r["uri"], r["format"]),
               "title": r["title"], "lang": r["lang"], "outcome": r["outcome"], "stage": r["stage"],
               "reason": r["reason"], "chars_in": r["chars_in"], "chars_out": r["chars_out"],
               "removed": r["removed"] if r["id"] in data["originals"] else [],
               "lr": sorted({x[2] for x in r["removed"]})}
        if r.get("position") is not None:
            row["position"] = r["position"]
        if r["detail"]:
            row["detail"] = r["detail"]
        if r.get("duplicate_of"):
            row["dup"], row["sim"] = r["duplicate_of"], r.get("similarity")
            row["dup_uri"] = kept_uri.get(r["duplicate_of"])
        if r["ftfy"]:
            row["fix"] = "; ".join(f"{field}: " + ", ".join(" ".join(map(str, x)) for x in plan)
                                   for field, plan in r["ftfy"].items())
        out.append(row)
    return out


def _sample_excerpt(data: dict[str, Any], doc_id: str, reason: str) -> str:
    row = next(r for r in data["documents"] if r["id"] == doc_id)
    o = data["originals"].get(doc_id)
    head = (f'<div class="note"><a href="#doc={e(doc_id)}" data-doc="{e(doc_id)}">{e(row["title"] or row["uri"])}</a> '
            f'· <span class="mono">{e(row["uri"])}</span></div>')
    if not o or "lines" not in o:
        return head + f'<p class="muted">original not shown: {e((o or {}).get("missing", "not embedded"))}</p>'
    first, last = next((a, b) for a, b, r in row["removed"] if r == reason)
    start, stop = max(0, first - 3), min(len(o["lines"]), last + 4, first + 15)
    more = f'<div class="ln"><span class="no"></span><span class="tx muted">… {last - stop + 1} more removed lines</span></div>' \
        if stop <= last else ""
    return head + f'<div class="orig">{render_original(o["lines"], row["removed"], start, stop, reason)}{more}</div>'


def render_html(data: dict[str, Any]) -> str:
    a = data["accounting"]
    title = f"docprep run {data['run_id']}"
    parts = [
        "<!DOCTYPE html>",
        '<html lang="en"><head><meta charset="utf-8">',
        '<meta name="viewport" content="width=device-width, initial-scale=1">',
        "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'unsafe-inline'; "
        "script-src 'unsafe-inline'; img-src data:\">",
        f"<title>{e(title)}</title><style>{CSS}</style></head><body>",
        f"<header><h1>{e(title)}</h1><div class=\"muted\">"
        f"started {e(str(data['started_at']))} · finished {e(str(data['finished_at']))} · docprep {e(str(data['docprep']))}"
        f" · config <code>{e(str(data['config_hash']))}</code>"
        + (f" · previous run <code>{e(data['previous_run'])}</code>" if data["previous_run"] else "")
        + f" · corpus: {data['corpus']['runs']} run(s), {data['corpus']['records']:,} records</div>"
        '<nav><a href="#counts">counts</a><a href="#languages">languages</a><a href="#lengths">lengths</a>'
        '<a href="#removals">removed lines</a><a href="#duplicates">duplicates</a><a href="#repairs">encoding repairs</a>'
        '<a href="#timing">time</a><a href="#documents">documents</a></nav></header><main>',
    ]

    # Counts.
    ok = a["adds_up"] and a["files_agree"]
    parts.append('<h2 id="counts">What happened to every input</h2>')
    parts.append(f'<p class="eq" id="accounting"><b>{a["inputs"]:,}</b> input units = <b>{a["records"]:,}</b> records + '
                 f'<b>{a["rejects"]:,}</b> rejects <span class="{"ok" if ok else "bad"}">'
                 f'{"✓ adds up" if ok else "✗ does not add up"}</span></p>')
    if not a["files_agree"]:
        parts.append(f'<p class="bad">The files disagree with the manifest: {a["records_in_files"]} records and '
                     f'{a["rejects_in_files"]} rejects found.</p>')
    if a["skipped_inputs"]:
        parts.append(f'<p class="note">{a["skipped_inputs"]} input(s) skipped: already processed (a file) or fetched (a URL) by an earlier run with the same config.</p>')
    parts.append('<div class="grid"><div><table id="stage-table"><thead><tr><th>stage</th><th class="n">in</th>'
                 '<th>rejected here</th><th class="n">out</th></tr></thead><tbody>')
    for s in data["stages"]:
        rej = " ".join(f'<a href="#documents" class="pill rejected" data-filter-reason="o:{e(s["stage"])}: {e(r)}">{e(r)}: {n:,}</a>'
                       for r, n in s["rejected"].items()) or '<span class="muted">–</span>'
        parts.append(f'<tr data-stage="{e(s["stage"])}"><td>{e(s["stage"])}</td><td class="n">{s["in"]:,}</td>'
                     f'<td>{rej}</td><td class="n">{s["out"]:,}</td></tr>')
    parts.append(f'<tr data-stage="write"><td>write</td><td class="n">{a["records"]:,}</td>'
                 f'<td><a href="#documents" class="pill kept" data-filter-reason="o:write: kept">kept: {a["records"]:,}</a></td>'
                 f'<td class="n">{a["records"]:,}</td></tr></tbody></table>'
                 '<p class="note">Each stage\'s <i>in</i> is the previous stage\'s <i>out</i>; click a reason to list its documents.</p></div>')
    kept = a["records"]
    parts.append(f"<div>{_funnel(data['stages'], kept)}</div></div>")
    parts.append('<h3>By reason</h3><table id="reason-table"><thead><tr><th>stage</th><th>reason</th>'
                 '<th class="n">documents</th><th class="n">share</th><th>examples</th></tr></thead><tbody>')
    for x in data["reasons"]:
        key = f"{x['stage']}:{x['reason']}"
        ex = ", ".join(f'<a href="#doc={e(i)}" data-doc="{e(i)}" class="mono">{e(_cut(_uri_of(data, i), 48))}</a>'
                       for i in data["samples"].get(key, []))
        share = f"{100 * x['count'] / a['inputs']:.1f}%" if a["inputs"] else "–"
        parts.append(f'<tr><td>{e(x["stage"])}</td><td>{e(x["reason"])}</td><td class="n">{x["count"]:,}</td>'
                     f'<td class="n">{share}</td><td>{ex}</td></tr>')
    parts.append(f'<tr><th colspan="2">total</th><th class="n">{a["inputs"]:,}</th><th class="n">100%</th><th></th></tr></tbody></table>')

    # Languages.
    parts.append('<h2 id="languages">Languages of the kept records</h2>')
    langs = data["languages"]
    total = sum(langs.values()) or 1
    parts.append(_hbars([(k or "unknown", v, f"{k or 'unknown'}: {v} records ({100 * v / total:.1f}%)")
                         for k, v in langs.items()]))

    # Lengths.
    ln = data["lengths"]
    parts.append('<h2 id="lengths">Length before and after cleaning</h2>')
    if ln["documents"]:
        kept_share = 100 * ln["total_after"] / ln["total_before"] if ln["total_before"] else 0
        parts.append(f'<p>{ln["documents"]:,} records: {ln["total_before"]:,} characters in the dumps and pages, '
                     f'{ln["total_after"]:,} in the clean text ({kept_share:.1f}% kept). Median '
                     f'{ln["median_before"]:,.0f} → {ln["median_after"]:,.0f} characters.</p>')
    parts.append(_length_chart(ln))

    # Removed lines.
    parts.append('<h2 id="removals">Lines removed from text dumps</h2>')
    lr = data["line_removals"]
    if lr:
        parts.append('<table id="removal-table"><thead><tr><th>reason</th><th class="n">lines</th><th class="n">ranges</th>'
                     '<th class="n">documents</th></tr></thead><tbody>')
        for reason, v in lr.items():
            note = f' <span class="muted">({e(META_REASONS[reason])})</span>' if reason in META_REASONS else ""
            parts.append(f'<tr><td><a href="#documents" data-filter-reason="l:{e(reason)}">{e(reason)}</a>{note}</td>'
                         f'<td class="n">{v["lines"]:,}</td><td class="n">{v["ranges"]:,}</td><td class="n">{v["documents"]:,}</td></tr>')
        parts.append("</tbody></table>")
        parts.append('<h3>A sample per reason</h3><p class="note">Removed lines are struck through; hover a line for its '
                     'reason. Line numbers count from 1 (provenance <code>removed</code> counts from 0).</p>')
        for reason in lr:
            ids = data["samples"].get(f"line:{reason}", [])
            if ids:
                parts.append(f'<details class="sample" open><summary><b>{e(reason)}</b></summary>'
                             f'{_sample_excerpt(data, ids[0], reason)}</details>')
    else:
        parts.append('<p class="muted">No text dump lost lines in this run (HTML pages are cleaned by trafilatura, without line provenance).</p>')

    # Duplicates.
    parts.append(f'<h2 id="duplicates">Duplicate clusters ({len(data["duplicates"]):,})</h2>')
    if data["duplicates"]:
        quoting = any(x["reason"] == "contaminated" for c in data["duplicates"] for x in c["copies"])
        parts.append('<p class="note">The first published copy is kept; the others are rejected at <code>dedup</code>.'
                     + (' A <code>contaminated</code> document is listed under the indexed text it quotes '
                        '(<code>docprep index --ngrams</code>).' if quoting else '') + '</p>'
                     '<table id="dup-table"><thead><tr><th>kept</th><th>copies dropped</th></tr></thead><tbody>')
        for c in data["duplicates"][:MAX_LISTED]:
            k = c["kept"]
            kept_html = (f'<a href="#doc={e(k["id"])}" data-doc="{e(k["id"])}">{e(k["title"] or k["uri"] or k["id"])}</a><br>'
                         f'<span class="mono muted">{e(k["uri"] or k["id"])}</span>'
                         + (f' <span class="muted">(run {e(k["run"])})</span>' if k["run"] and k["run"] != data["run_id"] else "")
                         + (f' <span class="muted">in corpus {e(k["corpus"])}</span>' if k.get("corpus") else ""))
            copies = "<br>".join(f'<a href="#doc={e(x["id"])}" data-doc="{e(x["id"])}" class="mono">{e(x["uri"])}</a> '
                                 f'<span class="pill">{e(x["reason"])}</span> similarity {x["similarity"]}'
                                 for x in c["copies"])
            parts.append(f"<tr><td>{kept_html}</td><td>{copies}</td></tr>")
        parts.append("</tbody></table>")
        if len(data["duplicates"]) > MAX_LISTED:
            parts.append(f'<p class="note">First {MAX_LISTED} clusters listed; filter the documents table by dedup reasons for all.</p>')
    else:
        parts.append('<p class="muted">No duplicates in this run.</p>')

    # Repairs.
    parts.append(f'<h2 id="repairs">Encoding repairs ({len(data["repairs"]):,})</h2>')
    if data["repairs"]:
        parts.append('<table id="repair-table"><thead><tr><th>document</th><th>field: ftfy fixes</th></tr></thead><tbody>')
        for r in data["repairs"][:MAX_LISTED]:
            fixes = "<br>".join(f'{e(field)}: ' + ", ".join(f"<code>{e(' '.join(map(str, step)))}</code>" for step in plan)
                                for field, plan in r["ftfy"].items())
            parts.append(f'<tr><td><a href="#doc={e(r["id"])}" data-doc="{e(r["id"])}">{e(r["title"] or r["uri"])}</a><br>'
                         f'<span class="mono muted">{e(r["uri"])}</span></td><td>{fixes}</td></tr>')
        parts.append("</tbody></table>")
        if len(data["repairs"]) > MAX_LISTED:
            parts.append(f'<p class="note">First {MAX_LISTED} listed.</p>')
    else:
        parts.append('<p class="muted">ftfy changed nothing in this run.</p>')

    # Timing.
    parts.append('<h2 id="timing">Time per step</h2>')
    t = data["timing_s"]
    parts.append(_hbars([(k, v, f"{k}: {v} s") for k, v in t.items()], " s"))
    parts.append(f'<p class="note">Summed over workers: {sum(t.values()):,.2f} s in steps.</p>')

    # Documents.
    lim = data["limits"]
    table = _table_rows(data)
    left_out = max(0, len(data["documents"]) - len(table))
    parts.append('<h2 id="documents">Documents</h2>')
    parts.append(f'<p class="note">Every input unit of the run, kept or rejected. Click a row to see the original dump with '
                 f'its removed lines. Originals are embedded for the first {lim["max_originals"]} text dumps and '
                 f'{lim["samples_per_reason"]} samples per reason ({lim["originals_embedded"]:,} of {lim["text_dumps"]:,} '
                 f'text dumps), each up to {lim["max_original_lines"]:,} lines'
                 + (f'; the table holds the first {len(table):,} of {len(data["documents"]):,} documents' if left_out else "")
                 + ".</p>")
    parts.append('<div class="controls"><input id="f-search" type="search" placeholder="search id, source, title, detail" size="34">'
                 '<select id="f-source"><option value="">all sources</option></select>'
                 '<select id="f-lang"><option value="">all languages</option></select>'
                 '<select id="f-reason"><option value="">all outcomes and reasons</option></select>'
                 '<button id="f-prev" type="button">‹ prev</button><button id="f-next" type="button">next ›</button>'
                 '<span id="f-info" class="muted"></span></div>')
    parts.append('<table id="doc-table"><thead><tr><th>source</th><th>title</th><th>outcome</th><th>lang</th>'
                 '<th class="n">chars in</th><th class="n">out</th><th>lines removed</th><th></th></tr></thead>'
                 '<tbody></tbody></table><noscript><p class="muted">The documents table needs JavaScript.</p></noscript>'
                 '<div id="viewer"></div>')
    blob = {"rows": table, "rows_left_out": left_out, "originals": data["originals"], "limits": lim,
            "meta_reasons": META_REASONS}
    parts.append(f'<script type="application/json" id="report-data">{_json_for_script(blob)}</script>')
    parts.append(f"<script>{JS}</script>")
    parts.append(f'</main><footer class="note">docprep report · run {e(data["run_id"])} · '
                 f'{data["inputs"]} input file(s)</footer></body></html>')
    return "\n".join(parts) + "\n"


def _uri_of(data: dict[str, Any], doc_id: str) -> str:
    for r in data["documents"]:
        if r["id"] == doc_id:
            return r["uri"] + (f" @{r['position']}" if r.get("position") is not None else "")
    return doc_id


def write_report(out: Path, run_id: str | None = None) -> Path:
    """Write `OUT/report.html` (the latest run, or `run_id`) and return its path, and the
    same summary as markdown in `OUT/runs/<run>/report.md` (the Prefect artifact reads it,
    so the report data is built once per run). Written under temporary names and renamed,
    like every output file."""
    from cleaners.write import atomic_write_bytes

    out = Path(out)
    data = build_report_data(out, run_id)
    path = out / "report.html"
    atomic_write_bytes(path, render_html(data).encode("utf-8", "replace"))
    run_dir = out / "runs" / data["run_id"]
    if run_dir.is_dir():
        atomic_write_bytes(run_dir / "report.md", report_markdown(data).encode("utf-8", "replace"))
    return path
