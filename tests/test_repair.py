import json
import re

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
def test_mojibake_ftfy_repairs_is_always_noticed(word, codec):
    """(Mojibake ftfy leaves alone, such as "Ä‘" for "đ", the gate may leave alone too.)"""
    import unicodedata

    import ftfy
    import ftfy.bad_codecs  # noqa: F401  (registers the sloppy codecs real mojibake comes from)

    from cleaners.repair import _ftfy_config

    broken = ("Plain words around " + word + " and more.").encode("utf-8").decode(codec)
    fixed, _ = ftfy.fix_and_explain(broken, config=_ftfy_config(False, "NFC"))
    if fixed != unicodedata.normalize("NFC", broken):
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


# What ftfy's fix_and_explain applies after fix_encoding, each to single characters.
CHARACTER_FIXERS = ("fix_c1_controls", "fix_latin_ligatures", "fix_character_width", "uncurl_quotes",
                    "fix_line_breaks", "fix_surrogates", "remove_terminal_escapes", "remove_control_chars")


@pytest.mark.parametrize("uncurl_quotes", [False, True])
def test_every_character_an_ftfy_fixer_changes_opens_the_gate(uncurl_quotes):
    """Brute force over the Basic Multilingual Plane against ftfy's fixer functions
    themselves (the gate is built from ftfy's tables: this checks that they are complete)."""
    import ftfy

    from cleaners.repair import _ftfy_config

    config = _ftfy_config(uncurl_quotes, "NFC")
    fixers = [ftfy.FIXERS[name] for name in CHARACTER_FIXERS if getattr(config, name)]
    missed = []
    for c in range(0x10000):
        s = f"a{chr(c)}[1mb"  # '[1m' completes a terminal escape
        if any(fix(s) != s for fix in fixers) and not needs_ftfy(s, uncurl_quotes):
            missed.append(hex(c))
    assert not missed


def _badness_alphabet() -> list[str]:
    """Every non-ASCII character ftfy's badness heuristic names (its categories, its
    regex's literals), independently of how the gate reads that regex, plus some ASCII."""
    from ftfy.badness import BADNESS_RE, MOJIBAKE_CATEGORIES

    bmp = "".join(map(chr, range(0x10000)))
    chars = {c for c in BADNESS_RE.pattern if ord(c) >= 0x80}
    for members in MOJIBAKE_CATEGORIES.values():
        chars.update(m.group() for m in re.finditer(f"[{members}]", bmp))
    return sorted(chars) + list("aeZ .,?!\n")


def _bad_texts() -> st.SearchStrategy[str]:
    """Texts holding a match of ftfy's badness regex (each of its alternatives drawn alike),
    as they are and decomposed (NFD: normalisation composes them again)."""
    import unicodedata

    from ftfy.badness import BADNESS_RE

    matching = st.from_regex(BADNESS_RE)
    return st.one_of(matching, matching.map(lambda s: unicodedata.normalize("NFD", s)))


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_bad_texts(), st.text(alphabet=st.sampled_from(_badness_alphabet()), min_size=1, max_size=12)))
def test_the_gate_opens_for_everything_ftfy_calls_bad(text):
    from ftfy.badness import is_bad

    if is_bad(text):
        assert needs_ftfy(text)


def _tricky_alphabet() -> list[str]:
    from cleaners.repair import _fixer_characters

    combining = [chr(c) for c in range(0x300, 0x30A)]  # normalisation composes these
    return _badness_alphabet() + [chr(c) for c in sorted(_fixer_characters(True))] + combining


@settings(max_examples=1000, deadline=None)
@given(st.one_of(_bad_texts(), st.text(alphabet=st.sampled_from(_tricky_alphabet()), max_size=12)), st.booleans())
def test_fix_text_is_ftfy(text, uncurl_quotes):
    """Gate or not, fix_text gives what ftfy gives: the text and the plan."""
    import ftfy

    from cleaners.repair import _ftfy_config

    fixed, plan = ftfy.fix_and_explain(text, config=_ftfy_config(uncurl_quotes, "NFC"))
    expected = (fixed, [list(step) for step in plan] if fixed != text else None)
    assert fix_text(text, RepairConfig(uncurl_quotes=uncurl_quotes)) == expected
