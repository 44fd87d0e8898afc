"""Run a batch in a supervised worker process, with a time limit per document.

trafilatura has no timeout in its Python API and some pages take minutes; a thread
cannot be stopped. So documents are processed in a child process (`python -m
cleaners.worker`, one per calling thread, kept alive across batches to amortise its
start-up). The child takes the units in chunks, each step over the whole chunk
(`pipeline.process_chunk`), and before each step of each unit it reports which unit and
step it starts. The time limit is per document, over all its steps together: the parent
adds up the time since each report to the document it named (`_Budget`), and when a
document's time runs out before its next report the parent kills the child,
records a `timeout` reject for that unit and starts a fresh child on the first unit that
has no result yet, skipping the rejected one. A child that dies (out of memory, a crash in
C code) gets the same treatment with reason `worker_crashed`. Result lines are written in
unit order either way. Fetching a batch's URLs is no document's time: while the child
reports that its fetch run is alive, the parent allows `fetch.quiet_bound` between two
reports (the fetch's own timeouts bound every request). Nor is reading: a long read that
yields no unit (a run of blank lines or skipped WARC records, the lines before a part of a
compressed file) reports too, at most every READ_BEAT_S while it reads, and the parent
allows the limit plus READ_SLACK_S between two reports.

Results go to `OUT/.work/batches/<key>.jsonl`, then `<key>.done.json` is written
atomically: a batch with a done file is finished and a resumed run skips it. Within one
process a batch runs once: a second caller of `run_batch` while it runs waits for it
(which lets `RunAhead` start a run's first batches before the Prefect flow asks for them).
"""
from __future__ import annotations

import json
import os
import select
import subprocess
import sys
import threading
import time
from collections import deque
from concurrent.futures import Future
from pathlib import Path
from typing import Any

from cleaners.config import Config
from cleaners.record import Reject, Source
from cleaners.write import atomic_write_json, json_line

_local = threading.local()
STARTUP_TIMEOUT_S = 300.0  # importing trafilatura and loading models; generous on a loaded machine
#: Allowed on top of the per-document limit while the child reads between units (a large
#: input file before its first unit), and on top of `fetch.quiet_bound` while it fetches.
READ_SLACK_S = 30.0
#: The child reports a read in progress at most this often (`read.PROGRESS_BYTES`).
READ_BEAT_S = 1.0


class _Running:
    """A batch running in this process: its summary to come, whether `RunAhead` started
    it, whether another caller is waiting for it."""

    def __init__(self, ahead: bool) -> None:
        self.future: Future = Future()
        self.ahead = ahead
        self.joined = False


#: Batches running in this process, by done-file path; and batches `RunAhead` finished
#: that no caller has taken yet.
_running: dict[str, _Running] = {}
_ran_ahead: set[str] = set()
_running_lock = threading.Lock()


def run_batch(plan, batch: dict[str, Any], in_process: bool = False, ahead: bool = False) -> dict[str, Any]:
    """Process one batch of `plan` (a `RunPlan`) unless its results already exist.
    Returns a small summary (units, timing) — never the documents themselves; with
    `"resumed": True` when an earlier process had finished the batch, `"ahead": True` when
    `RunAhead` ran it (`ahead` marks its own calls). A batch this process is running is
    not started twice: the second caller waits for the first's summary (or its error)."""
    from cleaners.pipeline import batch_paths

    results, done = batch_paths(plan, batch)
    key = os.path.abspath(done)
    with _running_lock:
        other = _running.get(key)
        if other is None:
            if done.exists():
                summary = json.loads(done.read_text())
                if key in _ran_ahead and not ahead:
                    _ran_ahead.discard(key)
                    return {**summary, "ahead": True}
                return {**summary, "resumed": True}
            mine = _running[key] = _Running(ahead)
        else:
            other.joined = True
    if other is not None:
        return {**other.future.result(), ("ahead" if other.ahead else "joined"): True}
    try:
        summary = _process(plan, batch, results, done, in_process)
    except BaseException as exc:
        with _running_lock:
            del _running[key]
        mine.future.set_exception(exc)
        raise
    with _running_lock:
        del _running[key]
        if ahead and not mine.joined:
            _ran_ahead.add(key)
    mine.future.set_result(summary)
    return summary


def _process(plan, batch: dict[str, Any], results: Path, done: Path, in_process: bool) -> dict[str, Any]:
    from cleaners.pipeline import Batch, fetched_leftovers, process_batch

    results.parent.mkdir(parents=True, exist_ok=True)
    cfg = plan.config_obj()
    t0 = time.perf_counter()
    timing: dict[str, float] = {}
    units = 0
    with open(results, "wb") as f:
        if in_process:
            for line in process_batch(Batch.from_dict(batch), cfg, timing=timing):
                f.write(_encode(line))
                units += 1
        else:
            units = _supervised(batch, plan.config, cfg, f, timing)
        f.flush()
        os.fsync(f.fileno())
    summary = {"batch": batch["index"], "key": batch["key"], "units": units,
               "timing": {k: round(v, 4) for k, v in timing.items()},
               "seconds": round(time.perf_counter() - t0, 3)}
    atomic_write_json(done, summary)
    for path in fetched_leftovers(batch):
        path.unlink(missing_ok=True)
    return summary


def _encode(line: dict) -> bytes:
    return json_line(line)


class _Child:
    """One worker process and a line reader over its stdout with timeouts."""

    def __init__(self) -> None:
        env = dict(os.environ, PYTHONUNBUFFERED="1")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "cleaners.worker"],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, env=env,
            cwd=str(Path(__file__).resolve().parent.parent),
        )
        self.buf = b""
        self.ready = False

    def wait_ready(self) -> None:
        """The child imports the steps and loads its models before saying it is ready, so
        that start-up never counts against the first document's time limit."""
        if self.ready:
            return
        line = self.readline(STARTUP_TIMEOUT_S)
        if not line or b"ready" not in line:
            self.kill()
            raise RuntimeError("the docprep worker process did not start (see its stderr above)")
        self.ready = True

    def send(self, obj: dict) -> None:
        self.proc.stdin.write(_encode(obj))
        self.proc.stdin.flush()

    def readline(self, timeout: float) -> bytes | None:
        """A line, or None on timeout; b"" if the child died."""
        deadline = time.monotonic() + timeout
        fd = self.proc.stdout.fileno()
        while b"\n" not in self.buf:
            left = deadline - time.monotonic()
            if left <= 0:
                return None
            ready, _, _ = select.select([fd], [], [], left)
            if not ready:
                return None
            chunk = os.read(fd, 1 << 20)
            if not chunk:
                return b""
            self.buf += chunk
        line, self.buf = self.buf.split(b"\n", 1)
        return line

    def kill(self) -> None:
        try:
            self.proc.kill()
        finally:
            self.proc.wait()


_spare: list[_Child] = []  # started by `prestart`, not yet taken by a thread
_spare_lock = threading.Lock()


def prestart(n: int) -> None:
    """Start `n` worker processes now, without waiting for them: they import the steps and
    load their models while the caller does something else (Prefect starts its API in
    the same seconds); the first batches then find a warm worker."""
    with _spare_lock:
        _spare.extend(_Child() for _ in range(max(0, n - len(_spare))))


def _release_child() -> None:
    """This thread's worker process back to the spares, for the next thread that needs one."""
    child, _local.child = getattr(_local, "child", None), None
    if child is not None and child.proc.poll() is None:
        with _spare_lock:
            _spare.append(child)


class RunAhead:
    """A run's batches started now, in `workers` threads, in plan order, until `stop()`.

    `docprep clean` starts it while Prefect's API boots (about 7 s here, with nothing else
    to do): the flow's batch tasks then find the first batches done or join them
    (`run_batch` runs a batch once per process) and run the rest themselves. After `stop()`
    each thread finishes the batch it holds, hands its worker process to the spares and
    ends. A batch that fails here fails its task too: a task that joined it gets its error,
    a task that comes after runs it again (and reports the error if it fails again)."""

    def __init__(self, plan, workers: int) -> None:
        self._todo = deque(plan.batches)
        self._stopped = threading.Event()
        self._threads = [threading.Thread(target=self._work, args=(plan,), name=f"docprep-ahead-{i}", daemon=True)
                         for i in range(max(1, workers))]
        for t in self._threads:
            t.start()

    def _work(self, plan) -> None:
        try:
            while not self._stopped.is_set():
                try:
                    batch = self._todo.popleft()
                except IndexError:
                    return
                try:
                    run_batch(plan, batch, ahead=True)
                except Exception:  # noqa: S112 - the batch's own task runs it again and reports
                    continue
        finally:
            _release_child()

    def stop(self) -> None:
        """Start no more batches (the ones running finish; their callers join them)."""
        self._stopped.set()

    def join(self, timeout: float | None = None) -> None:
        for t in self._threads:
            t.join(timeout)


class _Budget:
    """Time spent on each unit of the running chunk, over its steps so far. The child
    reports (unit, step) before each step; the time from one report to the next message
    belongs to the unit reported. `left` is the time the current unit still has."""

    def __init__(self, limit: float) -> None:
        self.limit = limit
        self.spent: dict[int, float] = {}
        self.unit: int | None = None
        self.since = 0.0

    def _charge(self, now: float) -> None:
        if self.unit is not None:
            self.spent[self.unit] = self.spent.get(self.unit, 0.0) + (now - self.since)

    def started(self, unit: int, now: float) -> None:
        """The child starts a step of `unit`."""
        self._charge(now)
        self.unit, self.since = unit, now

    def finished(self, unit: int, now: float) -> None:
        """`unit`'s result arrived: it needs no more time."""
        self._charge(now)
        self.spent.pop(unit, None)
        self.unit, self.since = None, now

    def left(self, now: float) -> float:
        if self.unit is None:
            return self.limit
        return self.limit - self.spent.get(self.unit, 0.0) - (now - self.since)


def _child() -> _Child:
    child = getattr(_local, "child", None)
    if child is None or child.proc.poll() is not None:
        with _spare_lock:
            child = _spare.pop(0) if _spare else None
        if child is None or child.proc.poll() is not None:
            child = _Child()
        _local.child = child
    child.wait_ready()
    return child


def _supervised(batch: dict, config: dict, cfg: Config, f, timing: dict[str, float]) -> int:
    """Run the batch in a worker process, writing its result lines to `f` in unit order.
    The worker takes its units in chunks and sends a chunk's results after the chunk's last
    step (`pipeline.process_chunk`), so when it is killed on a unit (timeout) or dies, the
    units of that chunk before it have no result yet: the next worker starts again at the
    first unit without one and skips the units already given a reject, whose reject
    lines wait here until the results before them are written."""
    from cleaners.fetch import quiet_bound

    limit = cfg.extract.html_timeout_s
    fetch_quiet = quiet_bound(cfg.fetch) + READ_SLACK_S
    start = 0
    skip: list[int] = []  # units given a timeout or worker_crashed reject
    waiting: dict[int, bytes] = {}  # their reject lines, by unit, until written in order
    units = 0

    def write_waiting(before: float) -> None:
        for i in sorted(k for k in waiting if k < before):
            f.write(waiting.pop(i))

    while True:
        child = _child()
        child.send({"batch": batch, "config": config, "start": start, "skip": skip})
        current: dict | None = None
        budget = _Budget(limit)  # a fresh child does its units' steps again
        outcome = None
        fetching = False
        while True:
            # Reading a large input file before the first unit can take a while: allow
            # the per-document limit plus generous slack between units.
            if fetching:
                wait = fetch_quiet
            else:
                wait = limit + READ_SLACK_S if current is None else max(0.0, budget.left(time.monotonic()))
            line = child.readline(wait)
            if line is None:
                outcome = "timeout"
                break
            if line == b"":
                outcome = "worker_crashed"
                break
            msg = json.loads(line)
            fetching = "fetching" in msg
            if fetching or "reading" in msg:  # alive: wait again
                continue
            if "start" in msg:
                current = msg
                budget.started(msg["start"], time.monotonic())
            elif "i" in msg:
                budget.finished(msg["i"], time.monotonic())
                write_waiting(msg["i"])
                f.write(line + b"\n")
                units += 1
                start = msg["i"] + 1
                current = None
            elif "done" in msg:
                write_waiting(float("inf"))
                for k, v in msg["timing"].items():
                    timing[k] = timing.get(k, 0.0) + v
                return units
            elif "error" in msg:
                raise RuntimeError(f"worker failed on batch {batch['index']}: {msg['error']}")
        child.kill()
        _local.child = None
        if current is None:
            raise RuntimeError(f"worker {outcome} before its first document in batch {batch['index']}")
        src = Source.from_dict(current["source"])
        detail = (f"its steps took more than extract.html_timeout_s={limit}s" if outcome == "timeout"
                  else "the worker process died on this document")
        rej = Reject(src, current.get("stage", "extract"), outcome, detail, id=current.get("id"))
        waiting[current["start"]] = _encode({"i": current["start"], "reject": rej.to_dict()})
        skip.append(current["start"])
        units += 1


def _serve() -> None:
    """Child side: read jobs from stdin, stream results to stdout."""
    from cleaners.pipeline import Batch, process_batch, warm_up

    out = sys.stdout.buffer
    lock = threading.Lock()  # fetch threads report too

    def send(msg: dict) -> None:
        with lock:
            out.write(_encode(msg))
            out.flush()

    last_beat = [0.0]

    def reading() -> None:
        now = time.monotonic()
        if now - last_beat[0] >= READ_BEAT_S:
            last_beat[0] = now
            send({"reading": True})

    warm_up(Config())
    send({"ready": True})
    for raw in sys.stdin.buffer:
        job = json.loads(raw)
        try:
            cfg = Config.model_validate(job["config"])
            timing: dict[str, float] = {}

            def on_start(i, unit, stage):
                src = unit.source.to_dict()
                send({"start": i, "stage": stage, "source": src, "id": unit.id if hasattr(unit, "kind") else None})

            for line in process_batch(Batch.from_dict(job["batch"]), cfg, start=job["start"], timing=timing,
                                      on_start=on_start, skip=frozenset(job.get("skip", ())),
                                      fetching=lambda: send({"fetching": True}), reading=reading):
                send(line)
            send({"done": True, "timing": timing})
        except Exception as exc:  # a bug outside per-document handling: report, do not hang
            send({"error": f"{type(exc).__name__}: {exc}"})


if __name__ == "__main__":
    try:
        _serve()
    except BrokenPipeError:
        # The parent is gone (a run that stopped at a usage error while this prestarted
        # worker still loaded its models): nothing to report to, and no traceback to print.
        os._exit(0)
