"""The Prefect flow for real (a temporary local Prefect API), against the library run."""
from pathlib import Path


from test_pipeline import shard_bytes

ROOT = Path(__file__).resolve().parent.parent



def test_flow_output_is_byte_identical_to_the_library_run(prefect_api, tmp_path, seeds_run, monkeypatch):
    from prefect.artifacts import Artifact

    from flows.clean import runnable_flow

    monkeypatch.chdir(ROOT)
    out = tmp_path / "flow-out"
    result = runnable_flow(workers=2)(inputs=["seeds"], out=str(out))
    assert result["counts"]["records"] == 5
    assert shard_bytes(out) == shard_bytes(seeds_run)
    art = Artifact.get("docprep-run-summary")
    assert art is not None and "**5** records" in art.data and "| stage | in | rejected | out |" in art.data
