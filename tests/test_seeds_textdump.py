"""Golden tests over seeds/: one case per seed (tests/cases/seeds/<seed-stem>.json) with
the headline, text that must appear, and boilerplate that must not. `known_leaks` lists
boilerplate the cleaner is known to keep (documented, not asserted)."""
from __future__ import annotations

import json
from pathlib import Path

import pytest

from cleaners.textdump import clean_dump

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted((ROOT / "tests" / "cases" / "seeds").glob("*.json"))


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_seed(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    dump = (ROOT / "seeds" / f"{path.stem}.txt").read_text(encoding="utf-8")
    r = clean_dump(dump)
    assert r.title == case["title"]
    assert case["title"] not in r.text
    if "date" in case:
        assert r.date == case["date"]
    for snippet in case["must_appear"]:
        assert snippet in r.text, f"lost: {snippet!r}"
    for snippet in case["must_not_appear"]:
        assert snippet not in r.text, f"leaked: {snippet!r}"
    assert clean_dump(r.text).text == r.text


def test_every_seed_has_a_case() -> None:
    assert {p.stem for p in CASES} == {p.stem for p in (ROOT / "seeds").glob("*.txt")}
