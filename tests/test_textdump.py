"""The text-dump cleaner: cases as data (tests/cases/textdump/*.json) plus properties.

A case holds a dump snippet (`dump`), snippets that must survive in the text (`keep`),
snippets that must not (`drop`), and where relevant the expected `title` and `date`.
"""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.config import ExtractConfig
from cleaners.textdump import REASONS, DumpResult, clean_dump

CASES = sorted((Path(__file__).parent / "cases" / "textdump").glob("*.json"))


def _norm(s: str) -> str:
    return " ".join(s.split())


@pytest.mark.parametrize("path", CASES, ids=[p.stem for p in CASES])
def test_case(path: Path) -> None:
    case = json.loads(path.read_text(encoding="utf-8"))
    r = clean_dump(case["dump"])
    text = _norm(r.text)
    for snippet in case["keep"]:
        assert _norm(snippet) in text, f"lost body text: {snippet!r}"
    for snippet in case["drop"]:
        assert _norm(snippet) not in text, f"boilerplate survived: {snippet!r}"
    if "title" in case:
        assert r.title == case["title"]
        assert case["title"] not in r.text
    if "date" in case:
        assert r.date == case["date"]
    assert clean_dump(r.text).text == r.text, "not idempotent"


def test_cases_cover_renderers_and_languages() -> None:
    names = {p.stem for p in CASES}
    for want in ("w3m", "lynx", "de_", "fr_", "es_", "pl_", "ru_", "el_", "zh_", "clean_article"):
        assert any(n.startswith(want) for n in names), want


def test_every_line_has_a_verdict() -> None:
    dump = "Menu\nHome\n\nA headline for the story\n\n" + "This is a sentence of the body. " * 8 + "\n\nShare\n"
    r = clean_dump(dump)
    assert isinstance(r, DumpResult)
    assert [v.index for v in r.lines] == list(range(len(dump.split("\n"))))
    assert all(v.reason in REASONS for v in r.lines)
    assert all(v.keep == (v.reason == "body") for v in r.lines)
    assert [v.text for v in r.lines] == dump.split("\n")


def test_threshold_comes_from_config() -> None:
    dump = (Path(__file__).parent.parent / "seeds" / "001_e18522ba2044eb3f.txt").read_text(encoding="utf-8")
    strict = clean_dump(dump, ExtractConfig(dump_min_line_score=0.99)).text
    loose = clean_dump(dump, ExtractConfig(dump_min_line_score=0.01)).text
    assert len(strict) < len(loose)


def test_empty_and_blank_inputs() -> None:
    for dump in ("", "\n\n\n", "   \n\t\n"):
        r = clean_dump(dump)
        assert r.text == "" and r.title is None and r.date is None
        assert all(not v.keep for v in r.lines)


def test_deterministic() -> None:
    dump = (Path(__file__).parent.parent / "seeds" / "003_c1443c2718b58639.txt").read_text(encoding="utf-8")
    assert clean_dump(dump) == clean_dump(dump)


_line = st.one_of(
    st.sampled_from(["Home", "Share", "Read more: a teaser", "Subscribe now", "", "© 2024 Site",
                     "5 min read", "March 3, 2021", "Tags: one, two"]),
    st.text(alphabet=st.characters(codec="utf-8", categories=("L", "N", "P", "Zs")), max_size=120),
    st.lists(st.sampled_from("the city said on monday that it would build new schools and roads "
                             "for families in the north".split()), min_size=5, max_size=40)
    .map(lambda ws: " ".join(ws).capitalize() + "."),
)


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(_line, max_size=25).map("\n".join))
def test_idempotent(dump: str) -> None:
    once = clean_dump(dump)
    assert clean_dump(once.text).text == once.text


DATE_CASES = json.loads((Path(__file__).parent / "cases" / "textdump_dates.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", DATE_CASES, ids=[c["name"] for c in DATE_CASES])
def test_find_date(case: dict) -> None:
    """`find_date` on units as data (tests/cases/textdump_dates.json): which unit is the
    publication date, and whether it is a date line at the body start."""
    from cleaners.textdump import find_date
    from cleaners.textdump_features import Unit

    units = [Unit(text, i, i, True, True) for i, text in enumerate(case["units"])]
    got = find_date(units, case["first_body"], case["title"], case.get("page_wide", True))
    assert list(got) == case["expected"]


def test_a_repeat_inside_running_prose_is_left_to_the_model(monkeypatch) -> None:
    """`repeated` removes a line whose text came earlier, except inside running prose: when
    the model keeps the line and both its neighbours (an interview repeating its questions,
    a review repeating "Pros:"), the repeat is the article's own text. With a model that
    keeps every line but the menu, the questions repeated between answers stay, and the
    menu line repeated after the article (kept by the model, but not inside prose) goes."""
    import numpy as np

    from cleaners import textdump

    lines = ["Recipes", "People", "",
             "We asked two home cooks who run popular recipe pages the same question about their kitchens.",
             "What inspired you to start your page?",
             "My grandmother kept a notebook of recipes and I wanted to cook through all of it.",
             "What inspired you to start your page?",
             "Friends kept asking for the same soup recipe, so I wrote it down once properly.",
             "", "Recipes"]
    units = [l for l in lines if l]
    probs = np.array([0.05, 0.05] + [0.95] * (len(units) - 2))  # the menu at the top scores low
    monkeypatch.setattr(textdump, "_scores", lambda X, model: probs[:len(X)] if len(X) == len(units) else
                        np.array([0.95] * len(X)))
    r = clean_dump("\n".join(lines), title_model=None)
    verdicts = [(v.text, v.reason) for v in r.lines if v.text]
    assert verdicts.count(("What inspired you to start your page?", "body")) == 2
    assert verdicts[-1] == ("Recipes", "repeated")


NAV_HEADINGS = json.loads((Path(__file__).parent / "cases" / "textdump_nav_headings.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", NAV_HEADINGS, ids=[c["line"][:24] for c in NAV_HEADINGS])
def test_nav_headings_in_other_languages(case: dict) -> None:
    """Teaser-list headings ("related articles", "read also", "most read") in the other
    languages whose stop lists the features consult, and Thai, are named as a whole line
    only (the same words opening a headline or a sentence are not); "read also:" before a
    link text is a link line."""
    from cleaners.textdump import _LINK_PREFIX, _nav_phrase

    if "nav" in case:
        assert _nav_phrase(case["line"]) == case["nav"]
    if "link" in case:
        assert bool(_LINK_PREFIX.match(case["line"])) == case["link"]


CJK_FURNITURE = json.loads((Path(__file__).parent / "cases" / "textdump_cjk_furniture.json").read_text(encoding="utf-8"))


@pytest.mark.parametrize("case", CJK_FURNITURE, ids=[c["line"][:24] for c in CJK_FURNITURE])
def test_cjk_furniture(case: dict) -> None:
    """Chinese site furniture (buttons, breadcrumbs, previous / next links, licence
    footers, reprint notices) is named by the rules; headlines and prose that merely
    contain such words are not."""
    from cleaners.textdump import _cjk_furniture

    assert _cjk_furniture(case["line"]) == case["reason"], case.get("why")


@pytest.mark.parametrize("newline", ["\r\n", "\r", "\u2028", "\u2029", "\x85", "\f", "\v"],
                         ids=["crlf", "cr", "u2028", "u2029", "nel", "formfeed", "vtab"])
def test_every_line_break_ends_a_line(newline: str) -> None:
    """A dump whose lines end in CR (old Mac), U+2028 (text from JavaScript), a form feed
    (pdftotext) ... cleans as the same dump with "\\n": it was one line, and all lost."""
    dump = (Path(__file__).parent.parent / "seeds" / "000_cc37ebd74bd6c639.txt").read_text(encoding="utf-8")
    want, got = clean_dump(dump), clean_dump(dump.replace("\n", newline))
    assert (got.text, got.title, got.date) == (want.text, want.title, want.date) and want.text
    assert [(v.keep, v.reason) for v in got.lines] == [(v.keep, v.reason) for v in want.lines]


def test_a_unicode_line_separator_inside_a_page_is_a_space() -> None:
    """U+2028 in a dump that has line breaks is a soft return pasted into the page's text,
    which browsers and html_text show as a space (8 of the 711 wcxb pages hold one): it
    does not cut the sentence in two."""
    dump = (Path(__file__).parent.parent / "seeds" / "000_cc37ebd74bd6c639.txt").read_text(encoding="utf-8")
    want = clean_dump(dump)
    first = next(line for line in want.text.split("\n") if len(line.split()) > 12)
    words = first.split(" ")
    cut = " ".join(words[:6]) + "\u2028" + " ".join(words[6:])
    got = clean_dump(dump.replace(first, cut))
    assert got.text == want.text and len(got.lines) == len(want.lines)
