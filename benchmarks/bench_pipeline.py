"""Speed and memory of the whole pipeline, against trafilatura alone (issue 8).

    .venv/bin/python benchmarks/bench_pipeline.py [--eval ../shared/eval/dev] [--quick]

Prints, in one run:
  * trafilatura's `extract()` alone over the dev sets' HTML pages, one process;
  * `docprep clean` over the same pages end to end (Prefect start-up included) with 1 and 2
    workers, and without Prefect (`--no-prefect`); with Prefect both ways a user runs it:
    its ephemeral server, started by the run (7-14 s), and a standing `prefect server`
    (PREFECT_API_URL; the server is started before and its start-up is not counted);
  * per-step time shares (from the run manifest's `timing_s`), pages per second and the
    peak RSS of the whole process tree (sampled every 50 ms with psutil);
  * per page with one worker: docprep's steps (the manifest's step times / pages) against
    trafilatura's extract per page, issue 8's per-core measure; the wall-time ratio
    printed before it also counts process start-up and the run's finalisation (report,
    manifest), a few seconds per run whatever its size;
  * text dumps: documents per second end to end (no Prefect);
  * memory flatness: peak RSS of a run over the dumps and over 10x as many (the same dumps
    copied under other names), workers=1.
Results go to stdout and benchmarks/results/bench_pipeline.json (git-ignored).
"""
from __future__ import annotations

import argparse
import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import psutil

from flows.local_api import free_port

ROOT = Path(__file__).resolve().parent.parent
PY = sys.executable


def html_pages(eval_dir: Path) -> list[Path]:
    return sorted(eval_dir.glob("*/html/*.html.gz"))


def trafilatura_two_processes(pages: list[Path]) -> dict:
    """trafilatura alone in two processes at once, each on every other page: the machine's
    own ceiling for two workers (two vCPUs may share a physical core, or a memory bus)."""
    halves = [pages[0::2], pages[1::2]]
    t0 = time.perf_counter()
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(trafilatura_alone, halves))
    wall = time.perf_counter() - t0
    return {"pages": len(pages), "wall_s": round(wall, 2), "extract_s": [r["extract_s"] for r in results]}


def trafilatura_alone(pages: list[Path]) -> dict:
    code = (
        "import gzip, sys, time, trafilatura\n"
        "paths = sys.argv[1:]\n"
        "pages = [gzip.open(p).read().decode('utf-8', 'replace') for p in paths]\n"
        "t = time.perf_counter()\n"
        "for h in pages: trafilatura.extract(h)\n"
        "print(time.perf_counter() - t)\n"
    )
    listfile = tempfile.NamedTemporaryFile("w", delete=False, suffix=".txt")
    listfile.write("\n".join(map(str, pages)))
    listfile.close()
    t0 = time.perf_counter()
    out = subprocess.run([PY, "-c", code.replace("sys.argv[1:]", f"open({listfile.name!r}).read().split()")],
                         capture_output=True, text=True, check=True)
    wall = time.perf_counter() - t0
    extract_s = float(out.stdout.strip().splitlines()[-1])
    return {"pages": len(pages), "extract_s": round(extract_s, 2), "wall_s": round(wall, 2),
            "pages_per_s": round(len(pages) / extract_s, 1)}


def measure(cmd: list[str], env: dict | None = None) -> tuple[float, int]:
    """(wall seconds, peak RSS bytes of the process tree)."""
    peak = 0
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    done = threading.Event()

    def sample():
        nonlocal peak
        try:
            p = psutil.Process(proc.pid)
        except psutil.Error:
            return
        while not done.is_set():
            try:
                procs = [p] + p.children(recursive=True)
                peak = max(peak, sum(c.memory_info().rss for c in procs if c.is_running()))
            except psutil.Error:
                pass
            time.sleep(0.05)

    th = threading.Thread(target=sample, daemon=True)
    th.start()
    _, err = proc.communicate()
    done.set()
    th.join()
    if proc.returncode:
        raise SystemExit(f"{' '.join(cmd)} failed:\n{err.decode()[-3000:]}")
    return time.perf_counter() - t0, peak


def docprep(inputs: list[str], out: Path, workers: int, prefect: bool, api_url: str | None = None) -> dict:
    shutil.rmtree(out, ignore_errors=True)
    cmd = [str(Path(PY).parent / "docprep"), "clean", *inputs, "--out", str(out), "--workers", str(workers), "--quiet"]
    if not prefect:
        cmd.append("--no-prefect")
    env = {k: v for k, v in os.environ.items() if k != "PREFECT_API_URL"}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    if api_url:
        env["PREFECT_API_URL"] = api_url
    wall, peak = measure(cmd, env)
    m = json.loads((out / "manifest.json").read_text())
    timing = m["timing_s"]
    total = sum(timing.values()) or 1.0
    return {
        "workers": workers, "prefect": prefect, "wall_s": round(wall, 2),
        "docs": m["counts"]["inputs"], "docs_per_s": round(m["counts"]["inputs"] / wall, 1),
        "peak_rss_mb": round(peak / 2**20), "records": m["counts"]["records"],
        "step_share": {k: round(v / total, 3) for k, v in timing.items()},
        "step_s": timing,
    }


def step_ms(run: dict) -> float:
    """CPU-bound time per document of a run: its manifest's step times summed (over all
    workers) / documents."""
    return round(1000 * sum(run["step_s"].values()) / run["docs"], 1)


class StandingServer:
    """A real `prefect server start` on loopback, with its own home, for the runs that
    use a standing server; stopped (its whole process group) on exit."""

    def __init__(self, home: Path) -> None:
        port = free_port()
        self.url = f"http://127.0.0.1:{port}/api"
        home.mkdir(parents=True, exist_ok=True)
        env = {k: v for k, v in os.environ.items() if not k.startswith("PREFECT_")}
        env.update(PREFECT_HOME=str(home), PREFECT_SERVER_ANALYTICS_ENABLED="false", PREFECT_UI_ENABLED="false",
                   PREFECT_API_DATABASE_CONNECTION_URL=f"sqlite+aiosqlite:///{home / 'prefect.db'}")
        self.proc = subprocess.Popen([PY, "-m", "prefect", "server", "start", "--host", "127.0.0.1", "--port", str(port)],
                                     cwd=home, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                                     start_new_session=True)

    def __enter__(self) -> "StandingServer":
        t0 = time.perf_counter()
        while time.perf_counter() - t0 < 180:
            if self.proc.poll() is not None:
                raise SystemExit("prefect server start exited")
            try:
                if httpx.get(f"{self.url}/health", timeout=2).status_code == 200:
                    self.start_s = time.perf_counter() - t0
                    time.sleep(5)  # let its services finish their first loop
                    return self
            except httpx.HTTPError:
                pass
            time.sleep(0.25)
        raise SystemExit("prefect server did not start within 180 s")

    def __exit__(self, *exc) -> None:
        for sig in (signal.SIGTERM, signal.SIGKILL):
            try:
                os.killpg(self.proc.pid, sig)
                self.proc.wait(15)
                return
            except ProcessLookupError:
                return
            except subprocess.TimeoutExpired:
                continue


def replicate(src: Path, dst: Path, times: int) -> Path:
    dst.mkdir(parents=True, exist_ok=True)
    for k in range(times):
        sub = dst / f"copy{k:02d}"
        sub.mkdir(exist_ok=True)
        for p in sorted(src.iterdir()):
            target = sub / p.name
            if not target.exists():
                os.link(p, target) if os.stat(p).st_dev == os.stat(dst).st_dev else shutil.copy(p, target)
    return dst


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--eval", type=Path, default=ROOT.parent / "shared" / "eval" / "dev")
    ap.add_argument("--quick", action="store_true", help="skip the 10x memory run")
    args = ap.parse_args()
    work = Path(tempfile.mkdtemp(prefix="docprep-bench-"))
    pages = html_pages(args.eval)
    html_inputs = [str(args.eval / s / "html") for s in ("scrapinghub", "wcxb-articles")]
    res: dict = {"machine": {"cpus": os.cpu_count()}}
    print(f"{len(pages)} HTML pages")
    res["trafilatura_alone"] = t = trafilatura_alone(pages)
    print(f"trafilatura alone : {t['extract_s']:7.1f}s  {t['pages_per_s']:6.1f} pages/s (one process, extract only)")
    res["trafilatura_two_processes"] = t2 = trafilatura_two_processes(pages)
    t2["scaling"] = round(t["extract_s"] / max(t2["extract_s"]), 2)
    print(f"trafilatura alone, 2 processes at once on halves: extract {t2['extract_s']} s, scaling "
          f"x{t2['scaling']} (the machine's ceiling for 2 workers)")
    for workers, prefect in ((1, False), (2, False), (2, True), (1, True)):
        key = f"html_w{workers}_{'prefect' if prefect else 'noprefect'}"
        r = res[key] = docprep(html_inputs, work / key, workers, prefect)
        print(f"docprep w={workers} {'prefect ' if prefect else 'library'}: {r['wall_s']:7.1f}s  "
              f"{r['docs_per_s']:6.1f} pages/s  x{r['wall_s'] / t['extract_s']:.2f} of trafilatura  "
              f"peak {r['peak_rss_mb']} MB")
    with StandingServer(work / "prefect-home") as server:
        r = res["html_w2_prefect_standing"] = docprep(html_inputs, work / "standing", 2, True, server.url)
        r["server_start_s"] = round(server.start_s, 1)
    print(f"docprep w=2 prefect, standing server: {r['wall_s']:7.1f}s  {r['docs_per_s']:6.1f} pages/s  "
          f"x{r['wall_s'] / t['extract_s']:.2f} of trafilatura  peak {r['peak_rss_mb']} MB "
          f"(the server, started before, took {r['server_start_s']}s)")
    w1 = res["html_w1_noprefect"]
    print("step shares (w=1, library):", w1["step_share"])
    print(f"per-core overhead (w=1 library wall / trafilatura extract): x{w1['wall_s'] / t['extract_s']:.2f}")
    res["per_page"] = per_page = {"trafilatura_ms": round(1000 * t["extract_s"] / len(pages), 1),
                                  "docprep_steps_ms": step_ms(w1)}
    per_page["ratio"] = round(per_page["docprep_steps_ms"] / per_page["trafilatura_ms"], 2)
    print(f"per page (w=1 library): docprep's steps {per_page['docprep_steps_ms']} ms (the manifest's step "
          f"times / pages; no start-up, no finalisation) vs trafilatura {per_page['trafilatura_ms']} ms: "
          f"x{per_page['ratio']}")
    print(f"scaling 2 vs 1 workers (library): x{w1['wall_s'] / res['html_w2_noprefect']['wall_s']:.2f}")

    dumps = [str(args.eval / s / "dumps") for s in ("scrapinghub", "wcxb-articles")]
    for workers in (1, 2):
        r = res[f"dumps_w{workers}"] = docprep(dumps, work / f"dumps{workers}", workers, False)
        print(f"text dumps w={workers}: {r['docs_per_s']:6.1f} docs/s end to end ({r['docs']} docs, "
              f"{r['wall_s']}s incl. start-up), peak {r['peak_rss_mb']} MB, steps {r['step_share']}, "
              f"{step_ms(r)} ms/doc of step time ({1000 / step_ms(r):.0f} docs/s per core)")
    if not args.quick:
        big = replicate(args.eval / "wcxb-articles" / "dumps", work / "big", 10)
        small = docprep([str(args.eval / "wcxb-articles" / "dumps")], work / "mem1", 1, False)
        large = docprep([str(big)], work / "mem10", 1, False)
        res["memory"] = {"1x_docs": small["docs"], "1x_peak_mb": small["peak_rss_mb"],
                         "10x_docs": large["docs"], "10x_peak_mb": large["peak_rss_mb"],
                         "ratio": round(large["peak_rss_mb"] / max(1, small["peak_rss_mb"]), 2)}
        print(f"memory: 1x {small['docs']} docs peak {small['peak_rss_mb']} MB; 10x {large['docs']} docs peak "
              f"{large['peak_rss_mb']} MB; ratio x{res['memory']['ratio']}")
    dest = ROOT / "benchmarks" / "results"
    dest.mkdir(exist_ok=True)
    (dest / "bench_pipeline.json").write_text(json.dumps(res, indent=2))
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
