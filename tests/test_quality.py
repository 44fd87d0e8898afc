import pytest

from cleaners.config import QualityConfig
from cleaners.quality import judge, score
from cleaners.record import Document, Reject, Source

CASES_QUALITY = [
    # (text, lang, config overrides, expected reason or None for kept)
    ("", "en", {}, "empty"),
    ("Too short to be an article.", "en", {}, "too_short"),
    ("word " * 30, "en", {}, None),
    ("经济" * 60, "zh", {}, None),
    ("x " * 3000, "en", {"max_chars": 1000}, "too_long"),
]


@pytest.mark.parametrize("text,lang,overrides,reason", CASES_QUALITY)
def test_judge(text, lang, overrides, reason):
    q = QualityConfig(**overrides)
    doc = Document(Source("x", "0" * 64, "text"), "text", text=text, lang=lang)
    out = judge(doc, q)
    if reason is None:
        assert isinstance(out, Document) and out.steps[-1]["step"] == "quality"
    else:
        assert isinstance(out, Reject) and out.reason == reason and out.stage == "quality"


def test_cjk_characters_count_as_words():
    assert score("经济发展")["words"] == 4
    assert score("hello world")["words"] == 2


from hypothesis import given, settings, strategies as st  # noqa: E402

from cleaners.quality import _WORD, count_words  # noqa: E402

_MIXED = st.sampled_from(list("aZ9_ é.,-\n\t")
                        + ["经", "ア", "한", "\u3000", "。", "Ω", "\u0301", "𝐀", "😀", "\udce9", "\u2028"])


@settings(max_examples=500, deadline=None)
@given(st.one_of(st.text(), st.text(alphabet=_MIXED)))
def test_count_words_counts_the_word_regex(text):
    assert count_words(text) == len(_WORD.findall(text))
