import contextlib
import os
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CASES = Path(__file__).resolve().parent / "cases"


def clean_seeds(out: Path, **kwargs) -> dict:
    """A library run over `seeds` named as a user would name it (relative to the repo)."""
    from cleaners.pipeline import run

    with contextlib.chdir(ROOT):
        return run(["seeds"], out, **kwargs)


@pytest.fixture(scope="session")
def seeds_run(tmp_path_factory) -> Path:
    """One in-process run over the seeds, shared by the tests that only read it."""
    out = tmp_path_factory.mktemp("seeds-run") / "out"
    clean_seeds(out, workers=0)
    return out


@pytest.fixture(scope="session")
def prefect_api():
    """One temporary Prefect API for every flow test in the session (it takes 10-30 s to start)."""
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield
