"""The pipeline: a short list of named steps, and the three phases of a run.

Per document (`process_unit`), in order:
    decode -> extract -> repair -> quality -> language -> signature
each a plain function in its own module returning the document (with a provenance entry
appended) or a `Reject`; a batch runs them on chunks of documents, each step over the
chunk in turn (`process_chunk`: the same results, less CPU). Then, once per run and
serially in input order:
    dedup -> write

A run has three phases, so it can be split over workers and resumed:

1. `prepare_run`: expand the inputs into work items, cut them into batches (by input
   order, independent of the number of workers) and derive the run id.
2. `run_batch` (in `cleaners.worker`): process one batch, in a supervised subprocess with
   a time limit per document, into `OUT/.work/batches/<key>.jsonl`. Batches are keyed by
   content and config, so a rerun after a crash skips the finished ones.
3. `finalize_run`: read the batch results in order, deduplicate against the persistent
   index, write shards and rejects, check the accounting and write the manifest last.

`run` chains the three with a local thread pool; the Prefect flow (`flows/`) chains the
same three functions as tasks. Both give byte-identical shards.
"""
from __future__ import annotations

import contextlib
import hashlib
import json
import os
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from functools import lru_cache
from pathlib import Path
from typing import Any, Callable, Iterator, Sequence

from cleaners import __version__
from cleaners.config import Config
from cleaners.decode import decode
from cleaners.errors import AccountingError, ConfigError, OutputError
from cleaners.extract import extract
from cleaners.language import language
from cleaners.quality import judge
from cleaners.read import WorkItem, nothing_read, plan_inputs, read_item
from cleaners.record import Document, Reject, Source
from cleaners.repair import repair
from cleaners.write import (AtomicLines, ShardWriter, atomic_write_json, json_line, orphaned_temporary,
                            remove_unlisted_shards, to_record)

#: Per-document steps in order: (name, function of (doc, config) -> doc | reject).
STEPS: tuple[tuple[str, Callable[[Document, Config], Document | Reject]], ...] = (
    ("decode", lambda d, c: decode(d, c.decode)),
    ("extract", lambda d, c: extract(d, c.extract)),
    ("repair", lambda d, c: repair(d, c.repair)),
    ("quality", lambda d, c: judge(d, c.quality)),
    ("language", lambda d, c: language(d, c.language)),
    ("signature", lambda d, c: _signature(d, c)),
)
#: Stages in the order a document meets them (for counts and the report).
STAGES = ("read", "fetch") + tuple(name for name, _ in STEPS) + ("dedup", "write")

BATCH_ITEMS = 50  # work items per batch: enough to amortise a Prefect task run (5-150 ms), small enough to balance 2+ workers
BATCH_BYTES = 32 * 1024**2
WORK = ".work"


def _signature(doc: Document, cfg: Config) -> Document:
    from cleaners.dedup import signature

    doc.signals["signature"] = signature(doc.text, cfg.dedup).to_json()
    return doc


def warm_up(cfg: Config) -> None:
    """Import every step and load its models (langdetect profiles, the text-dump model),
    by running one small document through the steps."""
    html = "<html><head><title>Warm up</title></head><body><article><p>" + "Warm up the pipeline. " * 20 + "</p></article></body></html>"
    for kind, raw in (("html", html.encode()), ("text", ("Warm up\n\n" + "Warm up the pipeline. " * 20).encode())):
        process_unit(Document(Source("warm-up", "0" * 64, kind), kind, raw=raw), cfg)
    from cleaners import dedup  # noqa: F401


def process_unit(doc: Document, cfg: Config, timing: dict[str, float] | None = None) -> Document | Reject:
    """Run one document through the per-document steps (a chunk of one). Never raises
    for bad data."""
    [(_, outcome)] = process_chunk([(0, doc)], cfg, timing)
    return outcome


def run_step(name: str, step: Callable[[Document, Config], Document | Reject], doc: Document, cfg: Config,
             timing: dict[str, float] | None = None) -> Document | Reject:
    """One step on one document: its result, or a `Reject` saying why (never raises for
    bad data); its time added to `timing[name]`."""
    t0 = time.perf_counter()
    try:
        result = step(doc, cfg)
    except RecursionError:
        result = Reject(doc.source, name, "too_deep", "nesting too deep to parse", id=doc.id)
    except MemoryError:
        result = Reject(doc.source, name, "out_of_memory", "document too large to process", id=doc.id)
    except Exception as exc:  # a bug or a library failure on this document: keep the run going, say so
        result = Reject(doc.source, name, "error", f"{type(exc).__name__}: {exc}"[:500], id=doc.id)
    if timing is not None:
        timing[name] = timing.get(name, 0.0) + time.perf_counter() - t0
    return result


def process_chunk(chunk: list[tuple[int, Document | Reject]], cfg: Config, timing: dict | None = None,
                  on_start: Callable[[int, Document | Reject, str], None] | None = None) -> list[tuple[int, Document | Reject]]:
    """The outcomes of a few units, in their order: each step over every document of the
    chunk still going before the next step (each document's steps in STEPS order, stopping
    at its first reject, as one document alone would go). One step at a time keeps its code and
    data in the CPU's caches: on the 892 dev HTML pages, one worker, the steps took
    25.6 s document by document and 23.9-24.9 s in chunks of 32 (repair, quality,
    language and signature 1.5 -> 1.1 s, extract 1-5% less); the dev dumps 6.8-7.4 ->
    6.7 s; the shards byte-identical. (All 892 pages as one chunk: 8-10% less.)
    A document `language.declared_gate` rejects (language.trust_declared) takes no step.
    `on_start(i, doc, step)` is called before each step of each document."""
    from cleaners.language import declared_gate

    outcome: dict[int, Document | Reject] = {}
    live = []
    for i, unit in chunk:
        if not isinstance(unit, Reject):
            unit = declared_gate(unit, cfg.language)  # language.trust_declared: no steps for it
        if isinstance(unit, Reject):
            outcome[i] = unit
        else:
            live.append((i, unit))
    for name, step in STEPS:
        going = []
        for i, doc in live:
            if on_start:
                on_start(i, doc, name)
            result = run_step(name, step, doc, cfg, timing)
            if isinstance(result, Reject):
                outcome[i] = result
            else:
                going.append((i, result))
        live = going
    outcome.update(live)
    return [(i, outcome[i]) for i, _ in chunk]


# --- batches ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Batch:
    index: int
    key: str
    items: tuple[WorkItem, ...]
    archive: str | None = None  # where fetched responses are kept (fetch.archive_warc): OUT/fetched/<run>
    # Where a fetch run's responses (unless archived) and its list of failed URLs wait until
    # the batch is done (OUT/.work/fetched): a restarted worker or a resumed run reads them
    # again instead of fetching again. None (a batch outside a run): a temporary folder.
    work: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {"index": self.index, "key": self.key, "items": [i.to_dict() for i in self.items],
                "archive": self.archive, "work": self.work}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> "Batch":
        return cls(d["index"], d["key"], tuple(WorkItem(**i) for i in d["items"]), d.get("archive"), d.get("work"))


def make_batches(items: Sequence[WorkItem], config_hash: str, run_id: str = "") -> list[Batch]:
    """Items into batches, each keyed by what decides its results (the build, the config
    and its items' bytes), so a resumed run finds its finished batches. A URL's bytes are
    what the web answers when it is fetched: a batch holding URLs is keyed by the run too
    (`run_id`; the same when a crashed run resumes), or a later run over the same URLs
    would take an earlier run's results for pages that may have changed since."""
    batches: list[Batch] = []
    current: list[WorkItem] = []
    size = 0

    def flush() -> None:
        nonlocal current, size
        if current:
            h = hashlib.sha256(f"{__version__}\x00{build_digest()}\x00{config_hash}".encode())
            for it in current:
                h.update(f"\x00{it.uri}\x00{it.sha256 or it.url}".encode("utf-8", "surrogateescape"))
                if it.part is not None:
                    h.update(f"\x00part\x00{it.part}".encode())
            if any(it.url is not None for it in current):
                h.update(f"\x00run\x00{run_id}".encode())
            batches.append(Batch(len(batches), h.hexdigest()[:20], tuple(current)))
            current, size = [], 0

    for it in items:
        if current and (len(current) >= BATCH_ITEMS or size + it.size > BATCH_BYTES or it.part is not None):
            flush()
        current.append(it)
        size += it.size
        if it.part is not None:  # a part of a big file is a batch of its own (`read.split_jsonl`, `split_warc`)
            flush()
    flush()
    return batches


def iter_units(batch: Batch, cfg: Config, fetching: Callable[[], None] | None = None,
               reading: Callable[[], None] | None = None) -> Iterator[Document | Reject]:
    """The input units of a batch, in order: file units, then fetched URLs in place.
    `fetching` is called while a run of URLs is being fetched (`fetch_to_warc`'s
    `progress`), `reading` every read.PROGRESS_BYTES read from an input file."""
    pending_urls: list[WorkItem] = []
    for item in batch.items:
        if item.format == "url":
            pending_urls.append(item)
            continue
        if pending_urls:
            yield from _fetch_units(pending_urls, cfg, batch, item.uri, fetching)
            pending_urls = []
        units = 0
        for unit in read_item(item, cfg.read, reading):
            units += 1
            yield unit
        if not units and item.part is None:  # a file read in parts is judged at finalize (`_last_parts`)
            yield nothing_read(item)
    if pending_urls:
        yield from _fetch_units(pending_urls, cfg, batch, "end", fetching)


def _fetch_units(items: list[WorkItem], cfg: Config, batch: "Batch", tag: str,
                 fetching: Callable[[], None] | None) -> Iterator[Document | Reject]:
    """Fetch a run of URLs into a WARC file, then read it back: the fetch failures first,
    as rejects, then the pages in URL order. The WARC (in OUT/fetched/ when archiving, so
    the run can be replayed offline, else in the batch's work folder) and the failures
    (`<warc>.rejects.jsonl`, in the work folder, written last) are read again rather than
    fetched again when the batch's worker is restarted after a timeout or the run is
    resumed: the same run reads the same pages."""
    import tempfile

    name = f"{batch.key}-{hashlib.sha256(tag.encode('utf-8', 'surrogateescape')).hexdigest()[:8]}.warc.gz"
    if batch.work is None:
        with tempfile.TemporaryDirectory(prefix="docprep-fetch-") as tmp:
            warc_path = Path(batch.archive or tmp) / name
            yield from _fetched(items, cfg, warc_path, Path(tmp) / f"{name}.rejects.jsonl", fetching, None)
        return
    warc_path = Path(batch.archive or batch.work) / name
    yield from _fetched(items, cfg, warc_path, Path(batch.work) / f"{name}.rejects.jsonl", fetching,
                        Path(batch.work))


def _fetched(items: list[WorkItem], cfg: Config, warc_path: Path, rejects_path: Path,
             fetching: Callable[[], None] | None, shared_dir: Path | None) -> Iterator[Document | Reject]:
    from cleaners.fetch import Validators, fetch_to_warc
    from cleaners.warc import iter_warc

    if rejects_path.exists() and warc_path.exists():  # fetched before, in this run
        with open(rejects_path, "rb") as f:
            rejects = [Reject.from_dict(json.loads(line)) for line in f]
    else:
        warc_path.parent.mkdir(parents=True, exist_ok=True)
        rejects_path.parent.mkdir(parents=True, exist_ok=True)
        known = [Validators(i.etag, i.last_modified) if i.etag or i.last_modified else None for i in items]
        rejects = fetch_to_warc([i.url for i in items], warc_path, cfg.fetch, fetching, known, shared_dir)
        lines = AtomicLines(rejects_path)
        for r in rejects:
            lines.write(r.to_dict())
        lines.commit()
    yield from rejects
    if warc_path.exists():
        with open(warc_path, "rb") as f:
            yield from iter_warc(f, str(warc_path), cfg.read)


def fetched_leftovers(batch: dict[str, Any]) -> list[Path]:
    """A done batch's files in the work folder (its fetch runs' failures, and their WARCs
    when not archived): what `run_batch` removes once the batch's results are safe."""
    if not batch.get("work"):
        return []
    return sorted(Path(batch["work"]).glob(f"{batch['key']}-*"))


def result_line(i: int, outcome: Document | Reject) -> dict[str, Any]:
    """What a worker sends back for unit `i`: a record (without run-level provenance,
    added at finalize) and its dedup signature, or a reject."""
    if isinstance(outcome, Reject):
        return {"i": i, "reject": outcome.to_dict()}
    rec = to_record(outcome, {})
    return {"i": i, "record": rec, "signature": outcome.signals.get("signature")}


#: Units processed step by step together (`process_chunk`): at most CHUNK_UNITS, and no
#: more once their payloads (bytes, or characters of a JSONL line's text) reach
#: CHUNK_BYTES: the documents are held in memory until the chunk's last step, and one may
#: be read.max_document_bytes (16 MB) long.
CHUNK_UNITS = 32
CHUNK_BYTES = 8 * 1024**2


def process_batch(batch: Batch, cfg: Config, start: int = 0, timing: dict | None = None,
                  on_start: Callable[[int, Document | Reject, str], None] | None = None,
                  skip: frozenset[int] = frozenset(),
                  fetching: Callable[[], None] | None = None,
                  reading: Callable[[], None] | None = None) -> Iterator[dict[str, Any]]:
    """Result lines for the batch's units from index `start` on, in order, except those in
    `skip` (units before `start` and in `skip` are read again but not processed: that is
    how a worker resumes after a timeout). Units go through the steps in chunks
    (`process_chunk`, CHUNK_UNITS, CHUNK_BYTES). `fetching`, `reading`: see `iter_units`."""
    chunk: list[tuple[int, Document | Reject]] = []
    size = 0
    for i, unit in enumerate(iter_units(batch, cfg, fetching, reading)):
        if i < start or i in skip:
            continue
        chunk.append((i, unit))
        if isinstance(unit, Document):
            size += len(unit.raw) if unit.raw is not None else len(unit.content)
        if len(chunk) == CHUNK_UNITS or size >= CHUNK_BYTES:
            for j, outcome in process_chunk(chunk, cfg, timing, on_start):
                yield result_line(j, outcome)
            chunk, size = [], 0
    for j, outcome in process_chunk(chunk, cfg, timing, on_start):
        yield result_line(j, outcome)


# --- a run -----------------------------------------------------------------------------


@dataclass
class RunPlan:
    """Everything phase 2 and 3 need, small enough to pass between Prefect tasks."""

    run_id: str
    out: str
    config: dict[str, Any]
    config_hash: str
    batches: list[dict[str, Any]]
    inputs: list[dict[str, Any]]
    plan_rejects: list[dict[str, Any]]
    previous_run: str | None
    started_at: str
    skipped_inputs: list[dict[str, Any]] = field(default_factory=list)
    superseded: list[dict[str, Any]] = field(default_factory=list)

    def config_obj(self) -> Config:
        return Config.model_validate(self.config)

    def work_dir(self) -> Path:
        return Path(self.out) / WORK / "batches"

    def to_dict(self) -> dict[str, Any]:
        return dict(self.__dict__)

    def for_batches(self) -> "RunPlan":
        """The plan without its per-input lists: all a batch needs (`run_batch` reads the
        corpus folder and the config). A Prefect task walks its parameters: with the whole
        plan of 892 inputs each batch task cost 0.17 s, with this 0.01 s."""
        return replace(self, batches=[], inputs=[], plan_rejects=[], skipped_inputs=[], superseded=[])


def now_iso() -> str:
    return datetime.now(timezone.utc).isoformat(timespec="seconds")


def read_manifest(out: Path) -> dict[str, Any] | None:
    path = out / "manifest.json"
    if not path.exists():
        return None
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except ValueError as exc:
        raise OutputError(f"{path} is not valid JSON ({exc}); it is not a docprep corpus or it was edited by hand") from exc


LEDGER = "inputs.jsonl"


def read_ledger(out: Path, published_runs: set[str]) -> list[dict[str, Any]]:
    """What earlier runs processed: one entry per input file (uri, sha256, config hash,
    run), one per URL asked for (uri, config hash, run, `at` the run's start, `stage`
    and `outcome` where its unit ended, the page's `etag` / `last_modified`), and one per
    bad line of a URL list (the list's uri, the line's sha256 and number, `stage` and
    `outcome` as a URL's). Entries of a run that never reached the manifest (a crash) do
    not count."""
    path = out / LEDGER
    if not path.exists():
        return []
    with open(path, encoding="utf-8") as f:
        return [e for e in map(json.loads, f) if e["run_id"] in published_runs]


def prepare_run(inputs: Sequence[str], out: str | Path, cfg: Config) -> RunPlan:
    """Phase 1: plan the work. The run id is derived from the config, the inputs and the
    corpus' previous run, so the same command on the same corpus state gets the same id
    (and a rerun after a crash resumes instead of starting over).

    Incremental: a file whose bytes were already processed with the same config hash
    (`read.skip_processed`) is skipped and counted as skipped. A file whose name was
    processed before with other bytes is processed again and listed as `superseded`.
    """
    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    check_references(cfg, out)
    items, rejects = plan_inputs(inputs, cfg.read, exclude=out)
    previous = read_manifest(out)
    runs = previous.get("runs", []) if previous else []
    previous_run = runs[-1]["run_id"] if runs else None
    config_hash = cfg.hash()
    ledger = read_ledger(out, {r["run_id"] for r in runs})
    files = [e for e in ledger if e.get("sha256") and "outcome" not in e]
    done = {(e["sha256"], e["config_hash"]): e for e in files}
    by_uri = {e["uri"]: e for e in files}
    asked = {(e["uri"], e["config_hash"]): e for e in ledger if "outcome" in e}  # URLs, the latest ask last
    bad_lines = {(e["uri"], e["sha256"], e["config_hash"]): e for e in ledger if "outcome" in e and e.get("sha256")}
    now = datetime.now(timezone.utc)
    skipped, superseded, todo = [], [], []
    if cfg.read.skip_processed:
        rejects = _unsettled_plan_rejects(rejects, bad_lines, config_hash, skipped)
    for it in items:
        if it.url is not None:
            it = _url_item(it, asked.get((it.url, config_hash)), cfg, now, skipped)
            if it is not None:
                todo.append(it)
            continue
        seen = done.get((it.sha256, config_hash)) if it.sha256 else None
        if seen and cfg.read.skip_processed:
            skipped.append({"uri": it.uri, "sha256": it.sha256, "processed_in": seen["run_id"]})
            continue
        old = by_uri.get(it.uri)
        if old and it.sha256 and old["sha256"] != it.sha256:
            superseded.append({"uri": it.uri, "old_sha256": old["sha256"], "old_run": old["run_id"], "sha256": it.sha256})
        todo.append(it)
    h = hashlib.sha256(f"{__version__}\x00{config_hash}\x00{previous_run or ''}".encode())
    for it in todo:
        h.update(f"\x00{it.uri}\x00{it.sha256 or it.url}".encode("utf-8", "surrogateescape"))
    run_id = h.hexdigest()[:16]
    # Each run archives its own fetches: a later run over the same URL list (same batch
    # keys) fetches again and must not overwrite what an earlier run read.
    # Absolute: a batch's worker runs in a folder of its own, not the caller's.
    where = Path(os.path.abspath(out))
    archive = str(where / "fetched" / run_id) if cfg.fetch.archive_warc else None
    batches = [replace(b, archive=archive, work=str(where / WORK / "fetched")) for b in make_batches(todo, config_hash, run_id)]
    return RunPlan(
        run_id=run_id,
        out=str(out),
        config=cfg.model_dump(mode="json"),
        config_hash=config_hash,
        batches=[b.to_dict() for b in batches],
        inputs=_once_per_file([_input_entry(i) for i in todo]),
        plan_rejects=[r.to_dict() for r in rejects],
        previous_run=previous_run,
        started_at=now_iso(),
        skipped_inputs=_once_per_file(skipped),
        superseded=_once_per_file(superseded),
    )


def _url_item(it: WorkItem, last: dict[str, Any] | None, cfg: Config, now: datetime,
              skipped: list[dict[str, Any]]) -> WorkItem | None:
    """A URL to fetch in this run (asked conditionally when an earlier run fetched it), or
    None when an earlier run's answer still stands (`read.skip_processed`: a page that
    arrived, or a lasting failure, `fetch.settled`; until `fetch.refetch_after_days`)."""
    from cleaners.fetch import settled

    if last is None or not cfg.read.skip_processed or not settled(last["stage"], last["outcome"]):
        return it
    age_days = (now - datetime.fromisoformat(last["at"])).total_seconds() / 86400
    if cfg.fetch.refetch_after_days is None or age_days < cfg.fetch.refetch_after_days:
        skipped.append({"uri": it.uri, "fetched_in": last["run_id"], "outcome": last["outcome"]})
        return None
    return replace(it, etag=last.get("etag"), last_modified=last.get("last_modified"))


def _unsettled_plan_rejects(rejects: list[Reject], bad_lines: dict[tuple[str, str, str], dict[str, Any]],
                            config_hash: str, skipped: list[dict[str, Any]]) -> list[Reject]:
    """The plan rejects to report in this run: all but the bad lines of a URL list that an
    earlier run with this config rejected already (the same bytes in the same list, at any
    line: a list that grows or is reordered), which are listed as skipped instead. A
    scheduled run over a list with a bad line would otherwise reject it again every time,
    and never find nothing new to do."""
    kept = []
    for r in rejects:
        seen = bad_lines.get((r.source.uri, r.source.sha256, config_hash)) if r.source.format == "url_list" else None
        if seen is None:
            kept.append(r)
        else:
            skipped.append({"uri": r.source.uri, "line": r.source.position, "sha256": r.source.sha256,
                            "rejected_in": seen["run_id"], "outcome": seen["outcome"]})
    return kept


def _once_per_file(entries: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries of a file read in parts (`read.split_jsonl`, `read.split_warc`) once, in order."""
    seen: set[tuple[str, str | None]] = set()
    out = []
    for e in entries:
        key = (e["uri"], e.get("sha256"))
        if key[1] is None or key not in seen:
            seen.add(key)
            out.append(e)
    return out


def _input_entry(it: WorkItem) -> dict[str, Any]:
    entry = {"uri": it.uri, "format": it.format, "sha256": it.sha256, "size": it.size}
    if it.url is not None and (it.etag or it.last_modified):
        entry.update(etag=it.etag, last_modified=it.last_modified)
    return entry


def batch_paths(plan: RunPlan, batch: dict[str, Any]) -> tuple[Path, Path]:
    base = plan.work_dir() / batch["key"]
    return base.with_suffix(".jsonl"), base.with_suffix(".done.json")


def finalize_run(plan: RunPlan, summaries: Sequence[dict[str, Any]] | None = None) -> dict[str, Any]:
    """Phase 3: dedup in input order, write shards and rejects, check, write the manifest.

    Reads each batch's results and summary from `OUT/.work/`; `summaries` (what the
    batch tasks returned) only orders this phase after them in a Prefect flow.
    Runs into one corpus finalize one at a time (a lock on `OUT/.lock`): a scheduled run
    and a manual one may overlap. If an identical run (same run id) was published while
    this one waited, its manifest is returned and nothing is written twice."""
    import fcntl

    out = Path(plan.out)
    with open(out / ".lock", "a+") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            previous = read_manifest(out) or {}
            if any(r["run_id"] == plan.run_id for r in previous.get("runs", [])):
                remove_work(plan)
                return {**previous, "last_attempt": {"run_id": plan.run_id, "status": "already_published",
                                                     "at": now_iso()}}
            return _finalize_locked(plan, previous)
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _finalize_locked(plan: RunPlan, previous: dict[str, Any]) -> dict[str, Any]:
    from cleaners.dedup import DedupIndex, Signature, index_path

    cfg = plan.config_obj()
    out = Path(plan.out)
    t_start = time.perf_counter()
    if not plan.batches and not plan.plan_rejects and previous:
        # Nothing new (every input already processed): no run is added, and we say so.
        remove_work(plan)  # the stale files only: this run has no batches
        return {**previous, "last_attempt": {"run_id": None, "status": "nothing_new", "at": now_iso(),
                                             "skipped_inputs": len(plan.skipped_inputs)}}
    old_shards = list(previous.get("shards", []))
    remove_unlisted_shards(out, {s["path"] for s in old_shards})
    first_index = len(old_shards)
    run_meta = {"docprep": __version__, "config_hash": plan.config_hash, "run_id": plan.run_id}

    own_index = index_path(cfg.dedup, out)
    references = open_references(cfg.dedup, own_index)
    index = DedupIndex(own_index, cfg.dedup)
    index.discard_unpublished({r["run_id"] for r in previous.get("runs", [])})
    index.begin_run(plan.run_id)
    writer = ShardWriter(out, first_index, cfg.write.shard_records, cfg.write.compress)
    runs_dir = out / "runs" / plan.run_id
    runs_dir.mkdir(parents=True, exist_ok=True)
    rejects_out = AtomicLines(runs_dir / "rejects.jsonl")
    counts: dict[str, Counter] = defaultdict(Counter)
    langs: Counter = Counter()
    units_expected = 0
    timing: Counter = Counter()
    dedup_kinds: Counter = Counter()
    asked = _UrlOutcomes(plan)
    try:
        for r in plan.plan_rejects:
            rejects_out.write(r)
            counts[r["stage"]][r["reason"]] += 1
            asked.add(r["source"], r["stage"], r["reason"])
            units_expected += 1
        last_parts = _last_parts(plan.batches)
        part_units: Counter = Counter()
        for b in plan.batches:
            results, done = batch_paths(plan, b)
            summary = json.loads(done.read_text())
            units_expected += summary["units"]
            for k, v in summary.get("timing", {}).items():
                timing[k] += v
            with open(results, "rb") as f:
                for raw in f:
                    line = json.loads(raw)
                    if "reject" in line:
                        rej = line["reject"]
                        rejects_out.write(rej)
                        counts[rej["stage"]][rej["reason"]] += 1
                        asked.add(rej["source"], rej["stage"], rej["reason"])
                        continue
                    rec = line["record"]
                    sig = Signature.from_json(line["signature"])
                    corpus, match = _first_match(references, lambda ref: ref.check(sig))
                    if match is None:
                        match = index.check(sig)
                    if match is None:  # references made with word sequences (docprep index --ngrams)
                        corpus, match = _first_match(references, lambda ref: ref.contaminated(rec["text"]))
                    if match is not None:
                        rej = match.reject(Source.from_dict(rec["source"]), rec["id"], corpus).to_dict()
                        rejects_out.write(rej)
                        asked.add(rec["source"], "dedup", match.kind)
                        counts["dedup"][match.kind] += 1
                        dedup_kinds[match.duplicate_of] += 1
                        continue
                    index.add(rec["id"], sig)
                    asked.add(rec["source"], "write", "kept")
                    writer.write_line(kept_record_line(raw, rec, run_meta))
                    counts["write"]["kept"] += 1
                    langs[rec["lang"]] += 1
            if (uri := _part_of(b)) is not None:
                part_units[uri] += summary["units"]
            if b["index"] in last_parts and not part_units[uri]:  # no part of the file gave a unit
                rej = nothing_read(last_parts[b["index"]]).to_dict()
                rejects_out.write(rej)
                counts[rej["stage"]][rej["reason"]] += 1
                units_expected += 1
        shards = writer.close()
        rejects_info = rejects_out.commit()
        against = [{"corpus": where, **ref.stats()} for where, ref in references]
    except BaseException:
        rejects_out.abort()
        raise
    finally:
        close_references(references)
    timing["dedup+write"] = time.perf_counter() - t_start
    kept = counts["write"]["kept"]
    rejected = sum(n for stage, c in counts.items() if stage != "write" for n in c.values())
    if kept + rejected != units_expected or kept != sum(s["records"] for s in shards):
        raise AccountingError(
            f"run {plan.run_id}: {units_expected} input units but {kept} records + {rejected} rejects; "
            "this is a bug in docprep, please report it with the manifest"
        )
    run_manifest = {
        "run_id": plan.run_id,
        "previous_run": plan.previous_run,
        "started_at": plan.started_at,
        "finished_at": now_iso(),
        "docprep": __version__,
        "build": build_digest(),
        "libraries": library_versions(),
        "config_hash": plan.config_hash,
        "config": plan.config,
        "inputs": plan.inputs,
        "skipped_inputs": plan.skipped_inputs,
        "superseded": plan.superseded,
        "counts": {
            "skipped_inputs": len(plan.skipped_inputs),
            "inputs": units_expected,
            "records": kept,
            "rejects": rejected,
            "by_stage": stage_table(counts, units_expected),
        },
        "languages": dict(sorted(langs.items(), key=lambda kv: (-kv[1], kv[0] or ""))),
        "dedup": {"clusters": len(dedup_kinds), "dropped": sum(dedup_kinds.values()), **index.stats(),
                  **({"against": against} if against else {})},
        "timing_s": {k: round(v, 3) for k, v in timing.items()},
        "batches": len(plan.batches),
        "shards": [{**s, "run": plan.run_id} for s in shards],
        "rejects": {"path": str((runs_dir / "rejects.jsonl").relative_to(out)), **rejects_info},
    }
    # Commit order: the index first, the corpus manifest last (the commit point of the
    # run). A crash in between leaves index entries of an unpublished run, which the next
    # run discards (`discard_unpublished`) before it starts.
    index.commit_run()
    index.close()
    atomic_write_json(runs_dir / "manifest.json", run_manifest)
    _append_ledger(out, plan, asked.entries)
    corpus = build_corpus_manifest(previous, run_manifest, out)
    atomic_write_json(out / "manifest.json", corpus)
    remove_work(plan)
    if cfg.write.report:
        from cleaners.report import write_report

        write_report(out, plan.run_id)
    return corpus


def _first_match(references: list[tuple[str, Any]], check: Callable[[Any], Any]) -> tuple[str | None, Any]:
    """(the reference, as `dedup.against` names it, and its match) of the first of
    `references` whose `check` matches, in their order; (None, None) if none does."""
    return next(((where, m) for where, ref in references if (m := check(ref)) is not None), (None, None))


def _part_of(batch: dict[str, Any]) -> str | None:
    """The uri of the file the batch is a part of (a part is a batch of its own), or None."""
    items = batch["items"]
    return items[0]["uri"] if len(items) == 1 and items[0].get("part") is not None else None


def _last_parts(batches: Sequence[dict[str, Any]]) -> dict[int, WorkItem]:
    """The batches that hold the last part of a file read in parts, by batch index: the
    file is judged there (`read.nothing_read`) if none of its parts gave a unit, as a file
    read whole is in `iter_units` (the parts of one file are consecutive batches)."""
    last: dict[str, dict[str, Any]] = {}
    for b in batches:
        if (uri := _part_of(b)) is not None:
            last[uri] = b
    return {b["index"]: WorkItem(**b["items"][0]) for b in last.values()}


#: Work files no run has touched for this long are removed by the next run to publish:
#: the batch results of a run that crashed and was never resumed (a resume after that
#: processes those batches again), a failed fetch run's pages, and the per-site pacing
#: files. Robots.txt answers go after a day, when they are stale (RFC 9309).
STALE_WORK_DAYS = 7


def remove_work(plan: RunPlan) -> None:
    """After the run is published: its batch results (the corpus holds them now; each
    done file before its results, so a crash midway never leaves a done batch without
    them), stale work files (STALE_WORK_DAYS) and temporaries whose writer was killed
    before renaming them (`orphaned_temporary`). Best effort: a file another process
    removed first, or cannot be removed, is left to the next run."""
    for b in plan.batches:
        results, done = batch_paths(plan, b)
        for path in (done, results):
            with contextlib.suppress(OSError):
                path.unlink(missing_ok=True)
    now = time.time()
    work = Path(plan.out) / WORK
    for pattern, days in (("batches/*", STALE_WORK_DAYS), ("fetched/*", STALE_WORK_DAYS),
                          ("fetched/pace/*", STALE_WORK_DAYS), ("fetched/robots/*", 1)):
        for path in work.glob(pattern):
            with contextlib.suppress(OSError):
                if path.is_file() and (now - path.stat().st_mtime > days * 86400 or orphaned_temporary(path)):
                    path.unlink()


def kept_record_line(raw: bytes, rec: dict[str, Any], run_meta: dict[str, str]) -> bytes:
    """The corpus line of a kept record: `json_line` of the record `rec` (parsed from the
    result line `raw`) with the run-level provenance `run_meta` put before its steps.

    A result line is `json_line({"i": …, "record": …, "signature": …})` (`result_line`), so
    the record's bytes are in it as `json_line` writes them: they are copied, with the run's
    fields inserted in the provenance, its last key: 0.06 ms less per record (0.15 -> 0.09
    ms with the parsing) than serialising the record again, its text 13 KB on average.
    Serialised as before when the copied bytes do not end with the provenance as expected,
    or hold an escaped surrogate (json.loads joins an escaped pair into one character,
    which json_line then writes unescaped)."""
    steps = rec["provenance"]["steps"]
    rec["provenance"] = {**run_meta, "steps": steps}
    steps_json = json_line(steps)[:-1]
    as_written = b'"provenance":{"steps":' + steps_json + b"}}"  # the end of the record's bytes
    copied = _record_bytes(raw)
    copyable = (run_meta and next(reversed(rec)) == "provenance" and copied.endswith(as_written)
                and b"\\ud" not in copied)
    if not copyable:
        return json_line(rec)
    run_fields = json_line(run_meta)[1:-2]  # '"docprep":…,"run_id":"…"'
    return copied[: -len(as_written)] + b'"provenance":{' + run_fields + b',"steps":' + steps_json + b"}}\n"


def _record_bytes(raw: bytes) -> bytes:
    """The record's bytes in a result line `{"i":…,"record":{…},"signature":…}` (b"" if the
    line is not laid out so). The keys are found as written: no JSON string holds an
    unescaped quote, so neither search can stop inside one."""
    at = raw.find(b'"record":')
    end = raw.rfind(b',"signature":')
    return raw[at + len(b'"record":') : end] if 0 <= at < end else b""


def stage_table(counts: dict[str, Counter], units: int) -> list[dict[str, Any]]:
    """Per stage, in pipeline order: documents in, rejected by reason, out. in == out of
    the stage before; the last `out` is the number of records."""
    table = []
    remaining = units
    for stage in STAGES:
        if stage == "write":
            continue
        rejected = dict(sorted(counts.get(stage, Counter()).items()))
        n = sum(rejected.values())
        table.append({"stage": stage, "in": remaining, "rejected": rejected, "out": remaining - n})
        remaining -= n
    return table


def build_corpus_manifest(previous: dict[str, Any], run: dict[str, Any], out: Path) -> dict[str, Any]:
    """The corpus-level manifest: every shard of every run, the catalog of runs, and the
    latest run's summary at the top (what `score.py` and downstream readers read)."""
    runs = list(previous.get("runs", []))
    runs.append({
        "run_id": run["run_id"],
        "finished_at": run["finished_at"],
        "docprep": run["docprep"],
        "build": run.get("build"),
        "manifest": f"runs/{run['run_id']}/manifest.json",
        "records": run["counts"]["records"],
        "rejects": run["counts"]["rejects"],
        "shards": [s["path"] for s in run["shards"]],
    })
    _concat_rejects(out, runs)
    return {
        "format": "docprep-corpus/1",
        "run_id": run["run_id"],
        "started_at": run["started_at"],
        "finished_at": run["finished_at"],
        "docprep": run["docprep"],
        "build": run.get("build"),
        "libraries": run["libraries"],
        "config_hash": run["config_hash"],
        "config": run["config"],
        "inputs": run["inputs"],
        "counts": run["counts"],
        "languages": run["languages"],
        "dedup": run["dedup"],
        "timing_s": run["timing_s"],
        "shards": list(previous.get("shards", [])) + run["shards"],
        "rejects": {"path": "rejects.jsonl"},
        "runs": runs,
    }


class _UrlOutcomes:
    """What became of each URL this run asked for, for the ledger: where its unit ended
    (stage and reason, "write"/"kept" for a record) and the validators to ask again with
    (the page's ETag and Last-Modified; after a 304, those the run asked with); and the
    bad lines of URL lists, by their bytes (`_unsettled_plan_rejects`)."""

    def __init__(self, plan: RunPlan) -> None:
        self.plan = plan
        self.asked_with = {i["uri"]: i for i in plan.inputs if i.get("etag") or i.get("last_modified")}
        self.entries: list[dict[str, Any]] = []

    def add(self, source: dict[str, Any], stage: str, reason: str) -> None:
        if source.get("format") == "url_list":  # a bad line of a URL list: settled by its bytes
            self.entries.append({"uri": source["uri"], "sha256": source["sha256"], "config_hash": self.plan.config_hash,
                                 "run_id": self.plan.run_id, "at": self.plan.started_at, "stage": stage,
                                 "outcome": reason, "line": source.get("position")})
            return
        if source.get("format") != "url":
            return
        known = self.asked_with.get(source["uri"], {}) if reason == "not_modified" else source
        entry = {"uri": source["uri"], "sha256": None, "config_hash": self.plan.config_hash,
                 "run_id": self.plan.run_id, "at": self.plan.started_at, "stage": stage, "outcome": reason}
        entry.update((k, known[k]) for k in ("etag", "last_modified") if known.get(k))
        self.entries.append(entry)


def _append_ledger(out: Path, plan: RunPlan, urls: Sequence[dict[str, Any]] = ()) -> None:
    """Add this run's input files, and the URLs it asked for (`_UrlOutcomes`), to the
    ledger (rewritten atomically; entries of runs missing from the manifest are ignored on
    read, so a crash here is harmless)."""
    from cleaners.write import atomic_write_bytes

    path = out / LEDGER
    old = path.read_bytes() if path.exists() else b""
    new = b"".join(
        json_line({"uri": i["uri"], "sha256": i["sha256"], "config_hash": plan.config_hash, "run_id": plan.run_id})
        for i in plan.inputs if i.get("sha256")
    ) + b"".join(json_line(e) for e in urls)
    atomic_write_bytes(path, old + new)


def _concat_rejects(out: Path, runs: list[dict[str, Any]]) -> None:
    """OUT/rejects.jsonl: the rejects of every run, oldest first."""
    target = AtomicLines(out / "rejects.jsonl")
    try:
        for r in runs:
            path = out / "runs" / r["run_id"] / "rejects.jsonl"
            if path.exists():
                with open(path, "rb") as f:
                    for line in f:
                        target.write_line(line)
        target.commit()
    except BaseException:
        target.abort()
        raise


def open_references(cfg, own_index: Path) -> list[tuple[str, Any]]:
    """The corpora of `dedup.against`, each as (the path as written, its index opened
    read-only), in the order given. Raises `DedupIndexError` for one that is missing, is
    this corpus's own index, or was built with other dedup settings (`prepare_run` checks
    this first, as a config error, before any batch runs)."""
    from cleaners.dedup import DedupIndex, DedupIndexError

    refs: list[tuple[str, Any]] = []
    try:
        for where in cfg.against:
            ref = DedupIndex.reference(where, cfg)
            refs.append((where, ref))
            if own_index.exists() and ref.path.resolve() == own_index.resolve():
                raise DedupIndexError(f"dedup.against: {where} is this corpus's own dedup index")
    except BaseException:
        close_references(refs)
        raise
    return refs


def close_references(refs: list[tuple[str, Any]]) -> None:
    """Close the reference indexes `open_references` opened."""
    for _, ref in refs:
        ref.close()


def check_references(cfg: Config, out: Path) -> None:
    """`dedup.against` usable (each reference opens read-only with this config's dedup
    settings, none is this corpus's own index), or a `ConfigError` saying which is not."""
    from cleaners.dedup import DedupIndexError, index_path

    if not cfg.dedup.against:
        return
    try:
        close_references(open_references(cfg.dedup, index_path(cfg.dedup, out)))
    except DedupIndexError as exc:
        raise ConfigError(str(exc)) from exc


@lru_cache(maxsize=1)
def build_digest() -> str:
    """What decides docprep's output besides the config and the libraries, as a digest
    (16 hex): the `cleaners` package's sources, its shipped models (`cleaners/data`) and
    the record schema. The version number does not change with every commit or retrained
    model; this does. It is in each run's manifest (with `docprep` and `libraries`), and
    in every batch's key, so a run resumed after an upgrade redoes its finished batches
    instead of mixing two builds' output in one corpus."""
    root = Path(__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for pattern in ("**/*.py", "data/*.json", "data/*.txt", "schema/*.json") for p in root.glob(pattern)):
        h.update(path.relative_to(root).as_posix().encode() + b"\x00" + path.read_bytes() + b"\x00")
    return h.hexdigest()[:16]


def library_versions() -> dict[str, str]:
    from importlib.metadata import PackageNotFoundError, version

    out = {}
    for name in ("trafilatura", "ftfy", "langdetect", "charset-normalizer", "rensa", "datasketch", "warcio", "prefect"):
        try:
            out[name] = version(name)
        except PackageNotFoundError:
            pass
    return out


def run(inputs: Sequence[str], out: str | Path, cfg: Config | None = None, workers: int | None = None,
        progress: Callable[[int, int], None] | None = None) -> dict[str, Any]:
    """Clean `inputs` into the corpus at `out` (the library entry point; the Prefect flow
    runs the same three phases as tasks). `workers=0` processes in this process, without
    subprocesses or per-document time limits (for debugging)."""
    from concurrent.futures import ThreadPoolExecutor

    from cleaners.worker import prestart, run_batch

    cfg = cfg or Config()
    workers = default_workers() if workers is None else workers
    prestart(workers)  # the worker processes load their models while the run is planned
    plan = prepare_run(inputs, out, cfg)
    summaries = []
    if workers == 0:
        for b in plan.batches:
            summaries.append(run_batch(plan, b, in_process=True))
            if progress:
                progress(len(summaries), len(plan.batches))
    else:
        with ThreadPoolExecutor(max_workers=workers) as pool:
            for s in pool.map(lambda b: run_batch(plan, b), plan.batches):
                summaries.append(s)
                if progress:
                    progress(len(summaries), len(plan.batches))
    return finalize_run(plan, summaries)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))
