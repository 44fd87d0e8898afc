"""Renderer normalisation (`cleaners/textdump_render.py`): cases as data
(tests/cases/textdump_render.json: a function, its arguments, the expected result) plus
properties: one output line per input line, and html_text dumps (never indented, never
wrapped) left untouched byte for byte.
"""
from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cleaners import textdump_render
from cleaners.textdump_render import is_markdown, normalise

ROOT = Path(__file__).resolve().parents[1]
CASES = json.loads((ROOT / "tests" / "cases" / "textdump_render.json").read_text(encoding="utf-8"))


def _plain(value):
    """A result as JSON would hold it (tuples as lists, dict keys as strings)."""
    if isinstance(value, textdump_render.Normalised):
        d = asdict(value)
        return {"lines": d["lines"], "bullet": d["bullet"], "dropped": {str(k): v for k, v in d["dropped"].items()}}
    return json.loads(json.dumps(value))


@pytest.mark.parametrize("case", CASES, ids=[f"{c['function']}:{c['name']}" for c in CASES])
def test_case(case: dict) -> None:
    got = _plain(getattr(textdump_render, case["function"])(*case["args"]))
    assert got == case["expected"]


def test_one_line_per_input_line() -> None:
    for case in CASES:
        if case["function"] == "normalise":
            assert len(normalise(case["args"][0]).lines) == len(case["args"][0])


def test_html_text_dumps_untouched() -> None:
    """html_text never indents a line: such a dump (the seeds, the html_text cases) comes
    out of `normalise` byte for byte (seed 000, saved from a browser, indents its bullets;
    the Markdown cases are Markdown)."""
    dumps = [p.read_text(encoding="utf-8") for p in sorted((ROOT / "seeds").iterdir()) if p.is_file()]
    dumps += [json.loads(p.read_text(encoding="utf-8"))["dump"]
              for p in sorted((ROOT / "tests" / "cases" / "textdump").glob("*.json"))]
    plain = [d for d in dumps if not any(l.startswith(" ") for l in d.split("\n")) and not is_markdown(d.split("\n"))]
    assert len(plain) >= 10
    for dump in plain:
        lines = dump.split("\n")
        norm = normalise(lines)
        assert norm.lines == lines and not norm.dropped and not any(norm.bullet)


_LINE = st.text(st.characters(codec="utf-8", categories=("L", "N", "P", "S", "Zs")), max_size=100).filter(
    lambda s: not s.startswith(" "))


@settings(max_examples=200, deadline=None)
@given(st.lists(_LINE, max_size=30))
def test_unindented_unwrapped_lines_untouched(lines: list[str]) -> None:
    norm = normalise(lines)
    if norm.width is None and "References" not in lines:
        assert norm.lines == lines and not norm.dropped


def test_lynx_fills_characters_w3m_columns() -> None:
    """w3m wraps Chinese at 80 columns (40 characters), lynx at 74 characters: each
    dump's width is found in its own measure."""
    cases = ROOT / "tests" / "cases" / "textdump"
    w3m = json.loads((cases / "w3m_zh_wrapped_news.json").read_text(encoding="utf-8"))["dump"]
    lynx = json.loads((cases / "lynx_zh_wrapped_news.json").read_text(encoding="utf-8"))["dump"]
    assert textdump_render.wrap_measure(w3m.split("\n"))[1] is textdump_render.display_width
    width, measure = textdump_render.wrap_measure(lynx.split("\n"))
    assert (width, measure) == (74, textdump_render.char_width)


def test_thai_wrapped_by_w3m_and_lynx_comes_back_whole() -> None:
    """Scripts without word spaces: w3m's width is found in display columns (combining
    marks take none), lynx's in characters, and lynx's cuts inside a phrase are joined
    without a space (tests/cases/textdump_render_th_wrapped.json)."""
    from cleaners.textdump_features import split_dump

    case = json.loads((ROOT / "tests" / "cases" / "textdump_render_th_wrapped.json").read_text(encoding="utf-8"))
    for renderer, measure in (("w3m", textdump_render.display_width), ("lynx", textdump_render.char_width)):
        assert textdump_render.normalise(case[renderer].split("\n")).measure is measure
        units = {" ".join(u.text.split()) for u in split_dump(case[renderer]).units}
        for paragraph in case["paragraphs"]:
            assert paragraph in units, (renderer, paragraph[:40])
