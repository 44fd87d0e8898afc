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


def test_flow_over_several_batches_is_byte_identical_to_the_library_run(prefect_api, tmp_path):
    """Batch tasks get the plan without its per-input lists (`RunPlan.for_batches`): what
    they need is all there, whichever worker runs which batch."""
    from cleaners.pipeline import run
    from conftest import write_generated_corpus
    from flows.clean import runnable_flow

    inp = tmp_path / "in"
    write_generated_corpus(inp, 130, copies_every=9)
    library = run([str(inp)], tmp_path / "library", workers=0)
    flow = runnable_flow(workers=2)(inputs=[str(inp)], out=str(tmp_path / "flow"))
    assert flow["counts"] == library["counts"] and library["counts"]["inputs"] == 130
    assert shard_bytes(tmp_path / "flow") == shard_bytes(tmp_path / "library")


def test_a_batch_plan_has_no_per_input_lists(tmp_path):
    from cleaners.config import Config
    from cleaners.pipeline import prepare_run
    from conftest import write_generated_corpus

    inp = tmp_path / "in"
    write_generated_corpus(inp, 60)
    plan = prepare_run([str(inp)], tmp_path / "out", Config())
    slim = plan.for_batches()
    assert len(plan.batches) == 2 and len(plan.inputs) == 60
    assert slim.batches == slim.inputs == slim.plan_rejects == slim.skipped_inputs == slim.superseded == []
    assert (slim.out, slim.config, slim.run_id, slim.config_hash) == (plan.out, plan.config, plan.run_id, plan.config_hash)
