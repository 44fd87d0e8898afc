"""The `clean_corpus` Prefect flow: the library's three phases as tasks.

    plan (prepare_run) -> process_batch x N (run_batch, in parallel) -> finalize (finalize_run)

Tasks pass the plan (paths, hashes, batch keys) and small summaries, never documents:
each batch's documents go to a file under `OUT/.work/`. Parallelism comes from the task
runner: a thread pool by default (each thread drives one worker process, so all cores are
used), or an existing Dask cluster with `dask_address`. The dedup decision is made once,
serially, in `finalize`, so output is byte-identical however the work was split.
Retries: none on CPU work (a retry would fail the same way); network I/O is retried per
URL with backoff inside the fetch code, on transient failures only.
"""
from __future__ import annotations

import os
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

from typing import Any  # noqa: E402

from prefect import flow, get_run_logger, task  # noqa: E402
from prefect.artifacts import create_markdown_artifact  # noqa: E402
from prefect.cache_policies import NO_CACHE  # noqa: E402
from prefect.task_runners import ThreadPoolTaskRunner  # noqa: E402

from cleaners.config import Config, load_config  # noqa: E402
from cleaners.pipeline import RunPlan, default_workers, finalize_run, prepare_run  # noqa: E402
from cleaners.summary import summary_markdown  # noqa: E402
from cleaners.worker import run_batch  # noqa: E402


@task(name="plan", cache_policy=NO_CACHE)
def plan_task(inputs: list[str], out: str, config: dict[str, Any]) -> dict[str, Any]:
    plan = prepare_run(inputs, out, Config.model_validate(config))
    get_run_logger().info(
        "run %s: %d inputs in %d batches (%d rejected while planning)",
        plan.run_id, len(plan.inputs), len(plan.batches), len(plan.plan_rejects),
    )
    return plan.to_dict()


@task(name="process_batch", cache_policy=NO_CACHE)
def process_batch_task(plan: dict[str, Any], batch: dict[str, Any]) -> dict[str, Any]:
    summary = run_batch(RunPlan(**plan), batch)
    how = (" (resumed)" if summary.get("resumed") else
           " (started before the flow, while Prefect's API started)" if summary.get("ahead") else "")
    get_run_logger().info("batch %d: %d units in %.1fs%s", batch["index"], summary["units"],
                          summary.get("seconds", 0.0), how)
    return summary


@task(name="finalize", cache_policy=NO_CACHE)
def finalize_task(plan: dict[str, Any], summaries: list[dict[str, Any]]) -> dict[str, Any]:
    return finalize_run(RunPlan(**plan), summaries)


@flow(name="clean_corpus", log_prints=True)
def clean_corpus(inputs: list[str], out: str = "output/corpus", config: dict[str, Any] | None = None,
                 config_path: str | None = None) -> dict[str, Any]:
    """Clean INPUTS (files, folders, URL lists, URLs) into the corpus at OUT."""
    cfg = Config.model_validate(config) if config else load_config(config_path)
    plan = plan_task(inputs, out, cfg.model_dump(mode="json"))
    shared = RunPlan(**plan).for_batches().to_dict()  # not the per-input lists: tasks walk their parameters
    futures = [process_batch_task.submit(shared, b) for b in plan["batches"]]
    summaries = [f.result() for f in futures]
    manifest = finalize_task(plan, summaries)
    create_markdown_artifact(
        key="docprep-run-summary",
        markdown=run_summary_markdown(out, manifest),
        description=f"docprep run {manifest['run_id']}",
    )
    return {"run_id": manifest["run_id"], "counts": manifest["counts"], "out": out}


def run_summary_markdown(out: str, manifest: dict[str, Any]) -> str:
    """The run report's markdown, which `finalize` wrote next to the run's manifest; the
    manifest's short summary when there is none (`write.report` off, or nothing new)."""
    path = Path(out) / "runs" / str(manifest.get("run_id")) / "report.md"
    if manifest.get("last_attempt") or not path.exists():
        return summary_markdown(manifest)
    return path.read_text(encoding="utf-8")


def runnable_flow(workers: int | None = None, dask_address: str | None = None):
    """The flow with its task runner: threads over local cores, or a Dask cluster."""
    if dask_address:
        from prefect_dask import DaskTaskRunner

        return clean_corpus.with_options(task_runner=DaskTaskRunner(address=dask_address))
    return clean_corpus.with_options(task_runner=ThreadPoolTaskRunner(max_workers=workers or default_workers()))
