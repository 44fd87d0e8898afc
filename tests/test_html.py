"""cleaners.html: cases as data (tests/cases/html/*.json), determinism, idempotence.

A case file holds a small page (`html`, `url`), snippets that must appear in the text
(`must_contain`) and boilerplate that must not (`must_not_contain`), and the expected
`title`, `author` and `date` (null: no expectation that it is found); optionally the
exact `text`, a `text_starts_with` prefix, or the expected `method`.
"""
from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from cleaners.config import ExtractConfig
from cleaners.html import BOILERPLATE_RULES, HtmlResult, extract_html

CASES = Path(__file__).resolve().parent / "cases" / "html"
CASE_FILES = sorted(CASES.glob("*.json"))


def load(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.mark.parametrize("path", CASE_FILES, ids=[p.stem for p in CASE_FILES])
def test_case(path: Path) -> None:
    case = load(path)
    r = extract_html(case["html"], case.get("url"))
    for snippet in case["must_contain"]:
        assert snippet in r.text, f"missing: {snippet!r}"
    for snippet in case["must_not_contain"]:
        assert snippet not in r.text, f"boilerplate kept: {snippet!r}"
    for key in ("title", "author"):
        if case.get(key) is not None:
            assert getattr(r, key) == case[key]
    if case.get("date") is not None:
        assert (r.date or "")[:10] == case["date"]
    if "text" in case:
        assert r.text == case["text"]
    if "text_starts_with" in case:
        assert r.text.startswith(case["text_starts_with"])
    if "method" in case:
        assert r.method == case["method"]
    assert "\n\n\n" not in r.text and r.text == r.text.strip()


def test_paragraphs_are_separated_by_a_blank_line() -> None:
    r = extract_html(load(CASES / "news_article.json")["html"])
    paragraphs = r.text.split("\n\n")
    assert len(paragraphs) == 3 and all(p.strip() for p in paragraphs)


def test_same_input_same_output_in_one_process() -> None:
    """Byte-identical results for the same page, also after other pages went through
    (trafilatura's deduplicate=True would fail this: adbar/trafilatura#778)."""
    pages = [load(p) for p in CASE_FILES]
    first = [extract_html(c["html"], c.get("url")) for c in pages]
    again_reversed = [extract_html(c["html"], c.get("url")) for c in reversed(pages)]
    assert first == list(reversed(again_reversed))
    for _ in range(2):  # the same page many times in a row: no "seen before" state
        assert extract_html(pages[0]["html"], pages[0].get("url")) == first[0]


def test_postclean_off_keeps_trafilatura_body_and_records_nothing() -> None:
    case = load(CASES / "blog_jsonld.json")
    off = extract_html(case["html"], case["url"], ExtractConfig(html_postclean=False))
    on = extract_html(case["html"], case["url"])
    assert off.method == "trafilatura" and off.removed == ()
    assert on.method == "trafilatura+postclean" and "credit" in on.removed and "title" in on.removed
    assert "Photo: Sam Baker" in off.text and len(off.text) > len(on.text)


def test_rescue_leaves_a_well_extracted_page_alone() -> None:
    case = load(CASES / "news_article.json")
    on = extract_html(case["html"], case["url"])
    off = extract_html(case["html"], case["url"], ExtractConfig(html_rescue=False))
    assert on == off and not on.method.startswith("trafilatura+justext")


def test_metadata_title_when_h1_is_off() -> None:
    case = load(CASES / "news_article.json")
    r = extract_html(case["html"], case["url"], ExtractConfig(html_title_from_h1=False))
    assert r.title is not None and r.title.startswith("Council approves park expansion")


@pytest.mark.parametrize("h1s,meta,expected", [
    (["Storm closes the coast road"], "Storm closes coast road | Daily Example", "Storm closes the coast road"),
    (["Weather"], "Storm closes coast road | Daily Example", "Storm closes coast road"),  # a section name
    ([], "Storm closes coast road | Daily Example", "Storm closes coast road"),
    # a logo <h1> holding the site's name, which the title holds too: the headline's <h1> wins
    (["Daily Example", "Storm closes the coast road tonight"], "Storm closes the coast road tonight - Daily Example",
     "Storm closes the coast road tonight"),
    (["Budget Travel Blog", "Storm closes the coast road tonight"],
     "Storm closes the coast road tonight - Budget Travel Blog", "Storm closes the coast road tonight"),
    # an <h1> holding the title and a subtitle, beside one that is the title
    (["Storm closes the coast roadA night of high winds", "Storm closes the coast road"],
     "Storm closes the coast road | Daily Example", "Storm closes the coast road"),
])
def test_choose_title(h1s: list[str], meta: str, expected: str) -> None:
    """The headline: an <h1> agreeing with the metadata title, else the only <h1> when it
    has enough words for a headline, else the metadata title less the site name."""
    from cleaners.html import choose_title, parse

    tree = parse("<html><body>" + "".join(f"<h1>{h}</h1>" for h in h1s) + "<p>Text.</p></body></html>")
    assert choose_title(tree, meta, "Daily Example") == expected


def test_rules_do_not_remove_prose() -> None:
    """Every rule is anchored to a whole block: ordinary sentences that merely start
    with or contain a rule's words are kept."""
    import re

    prose = [
        "Share prices fell sharply on Monday after the company reported a second year of losses in its retail arm.",
        "Read more than you write, the old editor told every new reporter who joined the paper that winter.",
        "Published in 1851, the novel was a commercial failure that only found its readers decades later.",
    ]
    for sentence in prose:
        for name, pattern in BOILERPLATE_RULES:
            assert not re.match(rf"(?:{pattern})\s*\Z", sentence, re.I | re.S), (name, sentence)


def test_result_is_frozen() -> None:
    r = extract_html(load(CASES / "table_article.json")["html"])
    assert isinstance(r, HtmlResult)
    with pytest.raises(Exception):
        r.text = "changed"  # type: ignore[misc]
    assert replace(r, text="x").text == "x"
