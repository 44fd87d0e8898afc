import json

import pytest

from cleaners.config import LanguageConfig
from cleaners.language import detect, sample
from conftest import CASES

CASES_LANG = json.loads((CASES / "language.json").read_text())


@pytest.mark.parametrize("case", CASES_LANG, ids=[c["lang"] for c in CASES_LANG])
def test_detects_language(case):
    lang, prob = detect(case["text"], LanguageConfig())
    assert lang == case["lang"]
    assert 0.0 <= prob <= 1.0


def test_same_text_same_answer_every_time():
    text = "Ambiguous short text: taxi hotel restaurant bar"
    answers = {detect(text, LanguageConfig()) for _ in range(20)}
    assert len(answers) == 1


def test_sample_is_bounded_and_deterministic():
    text = "word " * 10000
    s = sample(text, 1000)
    assert len(s) <= 1000 and s == sample(text, 1000)


def test_language_filter_rejects_with_reason():
    from cleaners.language import language
    from cleaners.record import Document, Reject, Source

    doc = Document(Source("x", "0" * 64, "text"), "text", text=next(c["text"] for c in CASES_LANG if c["lang"] == "de"))
    out = language(doc, LanguageConfig(keep=("en",)))
    assert isinstance(out, Reject) and (out.stage, out.reason) == ("language", "lang_filtered")
    kept = language(Document(Source("x", "0" * 64, "text"), "text", text=doc.text), LanguageConfig(keep=("de",)))
    assert kept.lang == "de" and kept.steps[-1]["step"] == "language"
