import json

import pytest

from cleaners.config import RepairConfig
from cleaners.record import Document, Source
from cleaners.repair import repair
from conftest import CASES

CASES_REPAIR = json.loads((CASES / "repair.json").read_text())


@pytest.mark.parametrize("case", CASES_REPAIR, ids=[c["name"] for c in CASES_REPAIR])
def test_repair(case):
    doc = Document(Source("x", "0" * 64, "text"), "text", text=case["in"], title=case["in"])
    out = repair(doc, RepairConfig())
    assert out.text == case["out"] and out.title == case["out"]
    step = out.steps[-1]
    assert step["step"] == "repair"
    assert ("ftfy" in step) is case["changed"]
    if case["changed"]:
        assert set(step["ftfy"]) == {"text", "title"} and step["ftfy"]["text"]


def test_repair_is_idempotent():
    for case in CASES_REPAIR:
        once = repair(Document(Source("x", "0" * 64, "text"), "text", text=case["in"]), RepairConfig()).text
        twice = repair(Document(Source("x", "0" * 64, "text"), "text", text=once), RepairConfig())
        assert twice.text == once and "ftfy" not in twice.steps[-1]
