"""The text-dump cleaner's headline: cases as data (CASES below) plus properties of the
learned chooser (`cleaners/data/title_model.json`, made by benchmarks/train_title.py),
and that retraining reproduces the shipped weights.

A case holds a dump (`dump`) and the expected `title`; the title must not stay in the
text, and the article's first sentence must.
"""
from __future__ import annotations

import json
import shutil
import subprocess
import sys
from functools import partial
from pathlib import Path

import numpy as np
import pytest
from retrain import EVAL_DIR, ROOT, differences

from cleaners.textdump import (
    TITLE_FEATURES, TITLE_MODEL_PATH, clean_dump, load_title_model, score_title_candidates,
    title_candidates_of,
)

WCXB = EVAL_DIR / "wcxb-articles"

_BODY = (
    "The regional council approved the new water plan on Tuesday after a debate that lasted "
    "most of the afternoon and drew dozens of residents to the public gallery.\n\n"
    "Under the plan, the three reservoirs north of the city will be connected by a pipeline, "
    "so that a dry summer in one valley no longer means restrictions for every household.\n\n"
    "Engineers expect the work to take four years and to cost less than the repairs the old "
    "network would need over the same period, according to the council's own estimate.\n"
)

CASES = [
    {
        "name": "html_text: <title> with site name, menu, <h1> above the body",
        "dump": "Council approves regional water plan | The Valley Herald\n\nHome\nNews\nSport\n"
                "Opinion\nSubscribe\n\nCouncil approves regional water plan\n\nBy Jane Smith\n"
                "March 4, 2024\n\n" + _BODY + "\nShare this article\nFacebook\nTwitter\n",
        "title": "Council approves regional water plan",
    },
    {
        "name": "html_text: the <h1> differs from the <title>; the <h1> above the body wins",
        "dump": "Water plan passes - The Valley Herald\n\nHome\nNews\nSport\nOpinion\n\n"
                "Most Popular\nTeams prepare for the new season\nMarket opens early this year\n\n"
                "Three reservoirs to be linked under new regional water plan\n\nMarch 4, 2024\n\n"
                + _BODY,
        "title": "Three reservoirs to be linked under new regional water plan",
    },
    {
        "name": "html_text: no <h1>; the <title> without its section and site names",
        "dump": "Council approves regional water plan | Politics | The Valley Herald\n\nHome\nNews\n"
                "Sport\nOpinion\nSubscribe\n\nMarch 4, 2024\n\n" + _BODY + "\nShare this article\n",
        "title": "Council approves regional water plan",
    },
    {
        "name": "w3m: bulleted menu, <h1>, byline, hard-wrapped body; no <title> line",
        "dump": "Valley Herald\n\n  • Home\n  • News\n  • Sport\n  • Opinion\n  • About us\n\n"
                "Council approves regional water plan\n\nBy Jane Smith, 4 March 2024\n\n"
                "The regional council approved the new water plan on Tuesday after a debate\n"
                "that lasted most of the afternoon and drew dozens of residents to the public\n"
                "gallery in the old town hall.\n\n"
                "Under the plan, the three reservoirs north of the city will be connected by a\n"
                "pipeline, so that a dry summer in one valley no longer means restrictions for\n"
                "every household in the region.\n\n"
                "Engineers expect the work to take four years and to cost less than the repairs\n"
                "the old network would need over the same period, the council's estimate says.\n\n"
                "  • Privacy policy\n  • Terms of use\n",
        "title": "Council approves regional water plan",
    },
    {
        "name": "lynx: numbered link markers in the menu, <h1> above the body",
        "dump": "   [1]Skip to content\n   [2]Home [3]News [4]Sport [5]Opinion\n\n"
                "Council approves regional water plan\n\n"
                "   The regional council approved the new water plan on Tuesday after a debate\n"
                "   that lasted most of the afternoon and drew dozens of residents to the\n"
                "   public gallery in the old town hall.\n\n"
                "   Under the plan, the three reservoirs north of the city will be connected\n"
                "   by a pipeline, so that a dry summer in one valley no longer means\n"
                "   restrictions for every household in the region.\n\n"
                "   [6]Share on Facebook [7]Share on Twitter\n\nReferences\n\n"
                "   1. https://example.org/#content\n   2. https://example.org/\n",
        "title": "Council approves regional water plan",
    },
]


@pytest.mark.parametrize("case", CASES, ids=[c["name"] for c in CASES])
def test_case(case: dict) -> None:
    r = clean_dump(case["dump"])
    assert r.title == case["title"]
    assert case["title"] not in r.text
    assert "regional council approved" in r.text
    assert clean_dump(r.text).text == r.text


def test_model_file_matches_features() -> None:
    model = json.loads(TITLE_MODEL_PATH.read_text(encoding="utf-8"))
    assert tuple(model["features"]) == TITLE_FEATURES
    for key in ("mean", "std", "coef"):
        assert len(model[key]) == len(TITLE_FEATURES)
    assert all(s > 0 for s in model["std"])
    assert 0.0 < model["min_score"] < 0.5
    assert load_title_model() is not None


def _inputs() -> list[str]:
    dumps = [c["dump"] for c in CASES]
    dumps += [json.loads(p.read_text(encoding="utf-8"))["dump"]
              for p in sorted((ROOT / "tests" / "cases" / "textdump").glob("*.json"))]
    dumps += [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").glob("*.txt"))]
    return dumps


@pytest.mark.parametrize("i", range(len(_inputs())))
def test_body_is_the_rules_body_less_the_headline(i: int) -> None:
    """The learned chooser removes nothing the rules keep but the headline it chose."""
    dump = _inputs()[i]
    rules = clean_dump(dump, title_model=None)
    learned = clean_dump(dump)
    for a, b in zip(rules.lines, learned.lines):
        if a.keep:
            assert b.keep or b.reason == "title", (a.index, a.text, b.reason)


def test_without_a_confident_candidate_the_rules_decide() -> None:
    model = {k: v for k, v in load_title_model().items() if not k.startswith("_")}
    model["min_score"] = 1.1  # no candidate ever scores this
    for dump in _inputs():
        assert clean_dump(dump, title_model=model) == clean_dump(dump, title_model=None)


def test_clean_body_keeps_every_line() -> None:
    """An already clean article has no page head: nothing goes as a headline."""
    r = clean_dump(_BODY)
    assert r.title is None
    assert r.text == _BODY.strip()


def test_deterministic() -> None:
    for dump in _inputs():
        assert clean_dump(dump) == clean_dump(dump)


@pytest.mark.parametrize("i", range(len(_inputs())))
def test_training_sees_the_candidates_the_cleaner_scores(i: int) -> None:
    """`title_candidates_of` (what benchmarks/train_title.py labels) gives the candidates
    and features `clean_dump` chooses from: its best candidate is the cleaner's title."""
    dump = _inputs()[i]
    model = load_title_model()
    cands, F = title_candidates_of(dump)
    assert F.shape == (len(cands), len(TITLE_FEATURES))
    p = score_title_candidates(F, model)
    if len(cands) and p.max() >= model["min_score"]:
        assert clean_dump(dump).title == cands[int(np.argmax(p))].text
    else:
        assert clean_dump(dump) == clean_dump(dump, title_model=None)


@pytest.mark.slow
@pytest.mark.skipif(not (WCXB / "truth.jsonl").exists(), reason=f"dev sets not found in {EVAL_DIR}")
@pytest.mark.skipif(not (shutil.which("w3m") and shutil.which("lynx")), reason="needs w3m and lynx")
def test_a_retrain_reproduces_the_shipped_title_model(tmp_path: Path) -> None:
    """benchmarks/train_title.py (renderings made afresh, weights only: about 1.5 minutes)
    gives the shipped weights, within the noise `_differences` allows."""
    out = tmp_path / "title_model.json"
    proc = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "train_title.py"), str(WCXB), "--fit-only",
         "--cache", str(tmp_path / "renders"), "--out", str(out)],
        capture_output=True, text=True, timeout=1800,
    )
    assert proc.returncode == 0, proc.stderr[-2000:]
    shipped, retrained = json.loads(TITLE_MODEL_PATH.read_text()), json.loads(out.read_text())
    assert shipped["about"] == retrained["about"], (
        "the shipped title model was made from other data or renderer versions "
        f"({shipped['about']} != {retrained['about']})")
    differences = list(_differences(shipped, retrained))
    assert not differences, (
        "retraining gave other weights than the shipped title model (first differences: "
        f"{differences[:5]}): re-run benchmarks/train_title.py and commit cleaners/data/title_model.json"
    )



# Weights are stored to 6 significant digits, so noise in the fit's matrix products can
# move the last stored digit: relative 2e-5 (a last-digit step of a number starting with
# 1 is 1e-5), and 1e-9 absolute for weights that are noise around zero.
_differences = partial(differences, rel_tol=2e-5, abs_tol=1e-9)


@pytest.mark.parametrize(("retrained", "expected"), [
    ({"coef": [0.443774, -8.67112, 1e-12], "features": ["a"]}, []),
    ({"coef": [0.443775, -8.67113, -3e-12], "features": ["a"]}, []),  # last stored digit, noise at zero
    ({"coef": [0.443809, -8.67112, 1e-12], "features": ["a"]}, ["model.coef[0]"]),  # other renderings
    ({"coef": [0.443774, -8.67112, 1e-12], "features": ["b"]}, ["model.features[0]"]),
    ({"coef": [0.443774, -8.67112], "features": ["a"]}, ["model.coef"]),
])
def test_the_comparison_tolerates_only_rounding_noise(retrained: dict, expected: list[str]) -> None:
    shipped = {"coef": [0.443774, -8.67112, 1e-12], "features": ["a"]}
    assert [d.split(":")[0] for d in _differences(shipped, retrained)] == expected
