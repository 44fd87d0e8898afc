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


from hypothesis import given, settings, strategies as st  # noqa: E402

from cleaners.repair import fix_text, needs_ftfy  # noqa: E402


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.characters(min_codepoint=0xA0, max_codepoint=0x2FFF, exclude_categories=("Cs",)), min_size=1, max_size=40),
       st.sampled_from(["latin-1", "sloppy-windows-1252", "mac-roman"]))
def test_mojibake_is_always_noticed(word, codec):
    import ftfy.bad_codecs  # noqa: F401  (registers the sloppy codecs real mojibake comes from)

    broken = ("Plain words around " + word + " and more.").encode("utf-8").decode(codec)
    if broken != "Plain words around " + word + " and more.":
        assert needs_ftfy(broken)


@settings(max_examples=300, deadline=None)
@given(st.text(max_size=200))
def test_fast_path_agrees_with_ftfy(text):
    """When the fast path skips ftfy, ftfy would have changed nothing but normalisation."""
    import unicodedata

    import ftfy

    from cleaners.repair import _ftfy_config

    if not needs_ftfy(text):
        full, _ = ftfy.fix_and_explain(text, config=_ftfy_config(False, "NFC"))
        assert fix_text(text, RepairConfig())[0] == full == unicodedata.normalize("NFC", text)
