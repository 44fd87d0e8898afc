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
