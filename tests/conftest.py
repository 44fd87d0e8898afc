import contextlib
import os
from pathlib import Path

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import pytest

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT / "seeds"
CASES = Path(__file__).resolve().parent / "cases"


def write_generated_corpus(folder: Path, n: int, seed: int = 7, copies_every: int = 0) -> None:
    """`n` small, distinct article-like text dumps made of the seeds' words (seeded, so
    stable across runs and machines). With `copies_every=k`, every k-th file repeats the
    one before it, so dedup decisions are part of what a test compares."""
    import random

    words = sorted({w for p in sorted(SEEDS.iterdir()) for w in p.read_text().split() if w.isalpha()})
    rng = random.Random(seed)
    folder.mkdir(parents=True)
    previous = None
    for i in range(n):
        if copies_every and i % copies_every == copies_every - 1 and previous is not None:
            body = previous
        else:
            paragraphs = [" ".join(rng.choice(words) for _ in range(rng.randint(25, 60))).capitalize() + "."
                          for _ in range(rng.randint(2, 4))]
            title = " ".join(rng.choice(words) for _ in range(6)).capitalize()
            body = title + "\n\n" + "\n\n".join(paragraphs) + "\n"
        (folder / f"doc_{i:04d}.txt").write_text(body)
        previous = body


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
