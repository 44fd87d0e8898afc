"""The vectorised text-dump features equal their per-unit definition.

`features` computes one document's matrix at once (code-point classes, cumulative sums,
substring scans); `features_reference` is the readable per-unit definition the model was
trained on. They must agree exactly, on the dump cases (eight languages, three renderers),
on the seeds, and on generated text with every character class the features look at.
The cleaner's later passes reuse the first pass's per-unit features: checked against a
fresh computation too.
"""
from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from cleaners.textdump_features import (
    BASE_FEATURES, features, features_reference, uncased_page, unit_features, unit_tokens, units_of,
)

ROOT = Path(__file__).resolve().parents[1]
CASES = sorted((ROOT / "tests" / "cases" / "textdump").glob("*.json"))
SEEDS = sorted((ROOT / "seeds").iterdir())


def _same(text: str) -> None:
    _, units = units_of(text)
    fast, ref = features(units), features_reference(units)
    assert fast.shape == ref.shape
    np.testing.assert_array_equal(fast, ref)


def test_features_equal_the_reference_on_cases_and_seeds() -> None:
    texts = [json.loads(p.read_text(encoding="utf-8"))["dump"] for p in CASES]
    texts += [p.read_text(encoding="utf-8") for p in SEEDS if p.is_file()]
    assert len(texts) >= 15
    for text in texts:
        _same(text)


# Lines drawn from the character classes the features count: ASCII words and digits,
# sentence ends, separators, bullets, CJK, Greek/Cyrillic, astral characters (emoji,
# mathematical letters), boilerplate words and prefixes, link markers, dates.
_PIECES = st.sampled_from([
    "the", "News", "READ MORE", "share", "Cookie", "©", "2024-03-15", "15 March 2024", "|", " · ",
    " / ", "•", "* item", "1.", "[12]", "[IMG]", "http://x.org", "@", "abonnieren", "Подписка",
    "εγγραφή", "新闻", "的", "。", "，", "𝐀𝐁", "😀", "İstanbul", "ΟΔΟΣ", "5 min read", ":", "Tags:",
    "\u00a0", "\u3000", "Ελλάδα", "Mehr zum Thema", "you may also like", "x" * 30,
    "한국어 기사", "の", "、", "東京は", "مقالة", "BBC中文", "ภาษาไทย", "ข่าว วันนี้", "မြန်မာ", "ქართული",
])
_LINE = st.lists(_PIECES | st.text(max_size=12), min_size=0, max_size=12).map(" ".join)
_DUMP = st.lists(_LINE, min_size=1, max_size=25).map("\n".join)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(_DUMP)
def test_features_equal_the_reference_on_generated_text(text: str) -> None:
    _same(text)


def test_reused_unit_features_equal_a_fresh_computation() -> None:
    text = json.loads((ROOT / "tests" / "cases" / "textdump" / "en_html_text_news.json")
                      .read_text(encoding="utf-8"))["dump"]
    _, units = units_of(text)
    tokens = [unit_tokens(u.text) for u in units]
    X, stops = unit_features(units, tokens)
    keep = [i for i in range(len(units)) if i % 3]  # a later pass sees a subset
    _, sub_units = units_of("\n\n".join(units[i].text for i in keep))
    reused, reused_stops = unit_features(sub_units, [tokens[i] for i in keep], (stops, X[keep]))
    fresh, fresh_stops = unit_features(sub_units)
    assert reused_stops is fresh_stops
    np.testing.assert_array_equal(reused, fresh)
    assert reused.shape[1] > len(BASE_FEATURES)


def test_the_rules_know_months_the_model_features_do_not() -> None:
    """Portuguese and Italian months date a line for the rules (headline, date), but not in
    the `date_like` feature the shipped models were trained on: adding them there changes
    the models' input and goes in with a retrain (tests/test_textdump_model.py)."""
    from cleaners.textdump import parse_date
    from cleaners.textdump_features import DATE_RE, FEATURE_DATE_RE

    for text, iso in (("12 de março de 2024", "2024-03-12"), ("3 maggio 2021", "2021-05-03")):
        assert DATE_RE.search(text) and parse_date(text) == iso
        assert not FEATURE_DATE_RE.search(text)
    assert FEATURE_DATE_RE.search("12 de marzo de 2024")  # Spanish: in both


# Script-neutral features: a Chinese or Japanese line is measured like a spaced one.
_ZH = "新华社北京11月17日电，记者从国家卫生健康委获悉，相关部门持续优化短缺药品监测预警体系。"
_KO = "서울 시내 주요 도로가 오늘 아침 출근길 교통 혼잡으로 크게 막혔다고 경찰이 밝혔다."


def _row(text: str) -> dict[str, float]:
    _, units = units_of(text)
    return dict(zip(BASE_FEATURES, features(units)[0]))


def test_chinese_lines_count_characters_and_function_characters() -> None:
    from cleaners.textdump_features import CJK_CHARS_PER_WORD, CJK_FUNCTION_CHARS

    row = _row(_ZH)
    assert row["log_tokens"] == pytest.approx(math.log1p(int(len(_ZH) / CJK_CHARS_PER_WORD)))
    share = sum(c in CJK_FUNCTION_CHARS for c in _ZH) / len(_ZH)
    assert row["stop_density"] == pytest.approx(share) and share > 0


def test_korean_is_spaced_so_counted_in_words() -> None:
    row = _row(_KO)
    assert row["log_tokens"] == pytest.approx(math.log1p(len(_KO.split())))
    assert row["cjk_ratio"] > 0.5  # the rules still see the script


@pytest.mark.parametrize("text, expected", [
    (_ZH, "uncased"),                       # no cased letters: no evidence
    ("Read More From Our Partners", 1.0),  # a menu line
    ("the minister said so\n\nHome", 0.0),
    ("BBC中文 新闻", 1.0),                  # the cased word is counted, the Han one is not
    ("2024-03-15 10:41", 0.0),              # no letters at all
    ("the minister said so", "uncased"),    # no capital on the whole page: case is no evidence
])
def test_titlecase_ratio_counts_cased_words_only(text: str, expected) -> None:
    from cleaners.textdump_features import UNCASED_TITLECASE

    want = UNCASED_TITLECASE if expected == "uncased" else expected
    row = _row(text)
    assert row["titlecase_ratio"] == pytest.approx(want)
    assert row["uncased"] == (expected == "uncased")


def test_a_page_without_capitals_reads_like_an_uncased_script() -> None:
    """A page with no capital anywhere (lower-cased text, or a script without case) gives
    no case evidence: its lines get the uncased values, as Chinese or Arabic lines do, and
    the model (trained on lower-cased copies of the dev pages too) reads them without case."""
    page = "home news sport\n\nthe council said on monday that the library will open on sundays."
    _, units = units_of(page)
    lower = [dict(zip(BASE_FEATURES, r)) for r in features(units)]
    _, units = units_of(page.title())
    cased = [dict(zip(BASE_FEATURES, r)) for r in features(units)]
    assert [r["uncased"] for r in lower] == [1.0, 1.0] and [r["uncased"] for r in cased] == [0.0, 0.0]
    assert [r["starts_lower"] for r in lower] == [0.0, 0.0]
    assert cased[0]["titlecase_ratio"] == 1.0 and lower[0]["titlecase_ratio"] == lower[1]["titlecase_ratio"]


_DE_PAGE = ("Startseite Über Uns Kontakt\n\n"
            "Die Stadtverwaltung hat am Dienstag angekündigt, dass die Bibliothek im Zentrum ab dem "
            "kommenden Monat auch am Sonntag geöffnet sein wird.\n\n"
            "Nach Angaben der Leiterin wurde die Entscheidung getroffen, weil viele Familien und "
            "Studierende nach längeren Öffnungszeiten gefragt hatten.")


def test_german_title_case_is_read_net_of_its_capitalised_nouns() -> None:
    """German capitalises every noun: on a German page a line's title-case ratio is taken
    net of the noun share, so prose reads as prose and a menu still as a menu."""
    from cleaners.textdump_features import NOUN_CAPITALS

    share = NOUN_CAPITALS["German"]
    _, units = units_of(_DE_PAGE)
    rows = [dict(zip(BASE_FEATURES, r)) for r in features(units)]
    prose = units[1].text
    words = prose.split()
    raw = sum(w[0].isupper() for w in words) / len(words)
    assert rows[0]["titlecase_ratio"] == 1.0  # the menu
    assert rows[1]["titlecase_ratio"] == pytest.approx((raw - share) / (1 - share)) and raw > share
    assert rows[1]["titlecase_ratio"] < 0.2
    # the same line quoted on an English page is read raw
    en_page = ("The council said on Tuesday that the library in the centre would open on Sundays "
               "from next month, and that it was the first of the changes it had planned for the year.\n\n" + prose)
    _, en_units = units_of(en_page)
    assert dict(zip(BASE_FEATURES, features(en_units)[1]))["titlecase_ratio"] == pytest.approx(raw)
    _same(_DE_PAGE)
    _same(en_page)


def test_shipped_line_model_ignores_hidden_features() -> None:
    """Hidden columns are zero in training: no stage-one weight, no tree split. The cased
    regime is not shown `uncased` either."""
    from cleaners.textdump import load_model
    from cleaners.textdump_features import CASED_MODEL_HIDDEN, MODEL_HIDDEN, feature_names, stage2_names

    shipped = load_model()
    for model, hidden in ((shipped, CASED_MODEL_HIDDEN), (shipped["uncased"], MODEL_HIDDEN)):
        assert model["stage1_features"] == feature_names()
        for name in hidden:
            k = feature_names().index(name)
            assert model["stage1"]["coef"][k] == 0.0
            col = len(stage2_names()) + k
            assert all(col not in tree for tree in model["stage2"]["feature"])


_EN_PAGE = ("Home News Sport\n\nCouncil Opens New Library\n\nThe council said on Monday that the new "
            "library will open on Sundays from next month, after a survey of residents.\n\nRead More")


@pytest.mark.parametrize(("page", "uncased"), [
    (_EN_PAGE, False),
    (_EN_PAGE.lower(), True),        # no capital anywhere
    (_ZH, True),
    ("Home Login\n\n" + _ZH + "\n\n" + _ZH[:20], True),  # English menu words on a Chinese page
    (_KO, True),
])
def test_pages_without_case_evidence_are_read_by_the_uncased_model(page: str, uncased: bool) -> None:
    from cleaners.textdump import _scores, load_model

    _, units = units_of(page)
    X = features(units)
    shipped = load_model()
    cased_only = {k: v for k, v in shipped.items() if k != "uncased"}
    assert uncased_page(X) is uncased
    expected = shipped["uncased"] if uncased else cased_only
    assert np.array_equal(_scores(X, shipped), _scores(X, expected))
    assert not np.array_equal(_scores(X, shipped["uncased"]), _scores(X, cased_only))
