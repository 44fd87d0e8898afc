"""The text-dump cleaner's faster paths give what the plainer code they replace gives.

- the date patterns (digit-led forms after one shared digit, guards before the months)
  against the same forms written plainly, match for match;
- `has_boilerplate`'s substring pre-check and `_has_caption`'s against the full tests;
- `split_paragraphs` (a later pass's text, not read again) against `split_dump`;
- `_trees` (nodes numbered globally) against a walk down each tree;
- `_window_means` (all windows at once) against one window at a time;
- `stoplist_scores` / `best_stoplist` against counting each list's tokens;
- a later pass not asking the rules a kept unit already passed against asking them.
The snapshot over the dev dumps and their renderings (benchmarks/textdump_snapshot.py)
checks the whole output; these pin each piece down on its own.
"""
from __future__ import annotations

import json
import re
from itertools import chain
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners import textdump as td
from cleaners import textdump_features as tf

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "tests" / "cases" / "textdump").glob("*.json"))
SEEDS = sorted(p for p in (ROOT / "seeds").iterdir() if p.is_file())
DUMPS = ([json.loads(p.read_text(encoding="utf-8"))["dump"] for p in CASES]
         + [p.read_text(encoding="utf-8") for p in SEEDS])
LINES = sorted({line for d in DUMPS for line in d.split("\n")} | {u.text for d in DUMPS for u in tf.units_of(d)[1]})


# --- dates -----------------------------------------------------------------------------

def _plain_date_pattern(months: str, more: str = "") -> re.Pattern:
    """The date pattern as it was first written (`_date_pattern` before its guards)."""
    return re.compile(
        r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
        r"\d{4}年\d{1,2}月\d{1,2}日|" + more +
        r"(?:" + months + r")\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|"
        r"\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:of\s+|de\s+)?(?:" + months + r")\.?,?\s+(?:de\s+)?\d{4})(?!\d)",
        re.I,
    )


_PLAIN = {
    "DATE_RE": _plain_date_pattern(tf._RULE_MONTHS, r"\d{4}년\s?\d{1,2}월\s?\d{1,2}일|\d{1,2}-(?:"
                                   + tf._RULE_MONTHS + r")-\d{4}|"),
    "FEATURE_DATE_RE": _plain_date_pattern(tf._MONTHS),
}
_DATE_PIECES = st.sampled_from([
    "March", "MARCH", "mar.", "sept.", "Sep", "maio", "mayıs", "ıanuary", "января", "μαΐου", "de", "of", "5th",
    "2nd", "4", "12", "31", "2024", "1999", "20245", "3/5/24", "2024-03-05", "05-Mar-2024", "2024年3月5日",
    "2024년 3월 5일", " ", "  ", ",", ".", "-", "/", "\u00a0", "\t", "x", "in", "Updated", "\u0345ανουαρίου",
])
_DATE_TEXT = st.lists(_DATE_PIECES | st.text(max_size=4), min_size=1, max_size=10).map("".join)


def _spans(pattern: re.Pattern, text: str) -> list[tuple[int, int]]:
    return [m.span() for m in pattern.finditer(text)]


@pytest.mark.parametrize("name", sorted(_PLAIN))
def test_date_patterns_match_where_the_plain_ones_do(name: str) -> None:
    fast, plain = getattr(tf, name), _PLAIN[name]
    for text in LINES:
        assert _spans(fast, text) == _spans(plain, text), text


def test_no_month_is_longer_than_the_guards_look() -> None:
    """The guards of the date patterns look MONTH_SPAN characters ahead: a month (and its
    "." and ",") must fit, or a date would be missed."""
    for months in (tf._MONTHS, tf._RULE_MONTHS):
        assert re._parser.parse(f"(?:{months})").getwidth()[1] + 2 <= tf.MONTH_SPAN


def test_a_long_word_costs_the_date_patterns_linear_time() -> None:
    """A guard that scanned a whole word from each of its letters took quadratic time on a
    long URL (50 s for 200,000 characters); bounded, it takes a tenth of a second."""
    import time

    text = "https://example.org/" + "a" * 200_000 + " 2024"
    start = time.process_time()
    assert not tf.DATE_RE.search(text) and not tf.FEATURE_DATE_RE.search(text)
    assert time.process_time() - start < 2.0


@settings(max_examples=2000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DATE_TEXT)
def test_date_patterns_match_where_the_plain_ones_do_on_generated_text(text: str) -> None:
    for name, plain in _PLAIN.items():
        assert _spans(getattr(tf, name), text) == _spans(plain, text)


# --- boilerplate words and captions ---------------------------------------------------------

_BP_PIECES = st.sampled_from(sorted({w for ws in tf.BOILERPLATE_WORDS.values() for w in ws}) + [
    "Cookie", "COOKIES", "Opt-Out", "opt out", "Abonnieren", "Подписка", "ΣΧΌΛΙΑ", "(photo", "Photo: ", "CREDİT",
    "credıt", "in this", "IN THIS FILE PHOTO", "/ Getty Images", "(AP Photo", "Source:", "Фото:", "©", ".", ",",
])
_BP_TEXT = st.lists(_BP_PIECES | st.text(max_size=6), min_size=1, max_size=8).map(" ".join)


@settings(max_examples=1000, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_BP_TEXT)
def test_has_boilerplate_and_has_caption_equal_the_full_tests(text: str) -> None:
    mask = tf.boilerplate_mask(text.lower(), tf.unit_tokens(text))
    for bit, category in enumerate(tf._BP_KEYS):
        assert tf.has_boilerplate(text, category) == bool(mask >> bit & 1)
    assert td._has_caption(text) == bool(td._CAPTION.search(text))


def test_has_caption_equals_the_pattern_on_the_cases() -> None:
    assert sum(td._has_caption(t) for t in LINES) > 0
    for text in LINES:
        assert td._has_caption(text) == bool(td._CAPTION.search(text)), text


# --- a later pass's split -------------------------------------------------------------------

def _split(split: tf.Split) -> tuple:
    return split.lines, [tuple(u) for u in split.units], split.dropped


def test_split_paragraphs_equals_split_dump() -> None:
    tricky = ["References", "1. https://example.org/", "[[1]IMG] a marker made by removing one", "[12]",
              "a [b] c", "Home", "  spaced  "]
    cases = [[u.text for u in tf.units_of(d)[1]] for d in DUMPS]
    assert all(tf.split_paragraphs(texts) is not None for texts in cases)
    for texts in cases + [tricky[k:k + 2] for k in range(len(tricky))] + [["two\nlines"], [""]]:
        fast = tf.split_paragraphs(texts)
        if fast is not None:
            assert _split(fast) == _split(tf.split_dump("\n\n".join(texts)))
    for texts in (tricky[:1], tricky[2:3], tricky[-1:], ["two\nlines"], [""]):
        assert tf.split_paragraphs(texts) is None, texts


# --- the model --------------------------------------------------------------------------------

def _stage2_inputs() -> list[np.ndarray]:
    out = []
    for dump in DUMPS:
        X = tf.features(tf.units_of(dump)[1])
        p1 = td._lr(td._prepared(td.load_model())[0], X)
        out.append(np.hstack([tf.stage2_features(p1), X]))
    return out


def _walk(s2: dict, Z: np.ndarray) -> np.ndarray:
    """Each row down each tree (children of node i: 2i+1, 2i+2; right when x >= threshold),
    the leaves summed as `_trees` always summed them (numpy, trees in order)."""
    leaves = np.empty((len(Z), len(s2["feature"])))
    for r, z in enumerate(Z):
        for t, (feature, threshold, leaf) in enumerate(zip(s2["feature"], s2["threshold"], s2["leaf"])):
            node = 0
            for _ in range(s2["depth"]):
                node = 2 * node + (2 if z[feature[node]] >= threshold[node] else 1)
            leaves[r, t] = leaf[node - len(feature)]
    raw = s2["base"] + leaves.sum(axis=1)
    return 1.0 / (1.0 + np.exp(-np.clip(raw, -30, 30)))


@pytest.mark.parametrize("regime", ["cased", "uncased"])
def test_trees_equal_a_walk_down_each_tree(regime: str) -> None:
    model = td.load_model() if regime == "cased" else td.load_model()["uncased"]
    forest = td._prepared(model)[1]
    for Z in _stage2_inputs()[:6]:
        assert td._trees(forest, Z).tobytes() == _walk(model["stage2"], Z).tobytes()


def _window_mean(col: np.ndarray, w: int) -> np.ndarray:
    """One window, as `_window_means` computed it before it took them all at once."""
    n = len(col)
    c = np.concatenate((np.zeros((1,) + col.shape[1:]), np.cumsum(col, axis=0)))
    idx = np.arange(n)
    lo, hi = np.maximum(0, idx - w), np.minimum(n, idx + w + 1)
    total = c[hi] - c[lo] - col
    count = (hi - lo - 1).astype(float)
    if col.ndim > 1:
        count = count[:, None]
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


@pytest.mark.parametrize("shape", [(1,), (2,), (7,), (40,), (1, 3), (9, 7), (40, 7)])
def test_window_means_equal_one_window_at_a_time(shape: tuple[int, ...]) -> None:
    col = np.random.default_rng(len(shape) * 100 + shape[0]).random(shape)
    windows = (1, 2, 3, 4, 8, 16)
    got = tf._window_means(col, windows)
    for k, w in enumerate(windows):
        assert got[k].tobytes() == _window_mean(col, w).tobytes()


def test_stoplist_scores_count_each_lists_tokens() -> None:
    for dump in DUMPS:
        tokens = [tf.unit_tokens(u.text) for u in tf.units_of(dump)[1]]
        flat = list(chain.from_iterable(tokens))
        plain = [sum(t in stops for t in flat) for stops in tf.stop_sets()]
        scores = tf.stoplist_scores(tokens)
        assert scores.tolist() == plain
        best = max(range(len(plain)), key=lambda k: (plain[k], -k))  # the first of equals
        if plain[best]:
            assert tf.best_stoplist(scores) is tf.stop_sets()[best]
        else:
            assert tf.best_stoplist(scores) == frozenset()
        half = tokens[: len(tokens) // 2]
        assert (scores - tf.stoplist_scores(half)).tolist() == tf.stoplist_scores(tokens[len(tokens) // 2:]).tolist()
    assert tf.best_stoplist(tf.stoplist_scores([])) == frozenset()


# --- later passes ---------------------------------------------------------------------------

def test_later_passes_ask_the_rules_what_they_would_answer(monkeypatch: pytest.MonkeyPatch) -> None:
    """A later pass reads the units an earlier one kept, which passed the rules that look
    at a unit alone; asking those rules again (`judged=False`) changes no verdict."""
    fast = [td.clean_dump(d) for d in DUMPS]
    unit_reasons, context_rules = td._unit_reasons, td._context_rules
    monkeypatch.setattr(td, "_unit_reasons", lambda units, keys, keep, X, judged=False:
                        unit_reasons(units, keys, keep, X, False))
    monkeypatch.setattr(td, "_context_rules", lambda units, reasons, X, judged=False:
                        context_rules(units, reasons, X, False))
    assert [td.clean_dump(d) for d in DUMPS] == fast
