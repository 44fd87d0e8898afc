"""The flow on a Dask cluster (`--dask-address`): worker processes on 127.0.0.1, each
batch's supervised child process started from inside a Dask worker; output
byte-identical to a single-process library run of the same inputs."""
from __future__ import annotations

from pathlib import Path

import pytest

from conftest import write_generated_corpus
from test_pipeline import shard_bytes

ROOT = Path(__file__).resolve().parent.parent
N_FILES = 250  # with the 5 seeds: several batches of at most BATCH_ITEMS
pytestmark = [pytest.mark.slow, pytest.mark.timeout(300)]


@pytest.fixture(scope="module")
def dask_cluster():
    from distributed import LocalCluster

    cluster = LocalCluster(n_workers=2, threads_per_worker=1, processes=True, host="127.0.0.1",
                           dashboard_address=None)
    try:
        yield cluster
    finally:
        cluster.close()



def test_dask_run_is_byte_identical_to_a_single_process_run(dask_cluster, prefect_api, tmp_path, monkeypatch):
    from distributed import Client

    from cleaners.pipeline import BATCH_ITEMS, run
    from flows.clean import runnable_flow

    generated = tmp_path / "generated"
    write_generated_corpus(generated, N_FILES)
    inputs = ["seeds", str(generated)]
    monkeypatch.chdir(ROOT)

    local = run(inputs, tmp_path / "local", workers=0)
    assert local["counts"]["inputs"] == N_FILES + 5 > 2 * BATCH_ITEMS
    assert local["counts"]["records"] > N_FILES // 2  # the generated documents are kept, not rejected

    result = runnable_flow(dask_address=dask_cluster.scheduler_address)(inputs=inputs, out=str(tmp_path / "dask"))
    assert result["run_id"] == local["run_id"]
    assert result["counts"] == local["counts"]
    assert shard_bytes(tmp_path / "dask") == shard_bytes(tmp_path / "local")
    assert (tmp_path / "dask" / "rejects.jsonl").read_bytes() == (tmp_path / "local" / "rejects.jsonl").read_bytes()

    # The batches ran inside the Dask workers: the supervised per-batch child processes
    # (`python -m cleaners.worker`) were started there, from daemonic worker processes.
    with Client(dask_cluster.scheduler_address) as client:
        children = client.run(batch_children)
    assert sum(children.values()) >= 1, children


def batch_children() -> int:
    """How many `cleaners.worker` child processes this (Dask worker) process has."""
    import psutil

    return sum(1 for p in psutil.Process().children() if "cleaners.worker" in " ".join(p.cmdline()))
