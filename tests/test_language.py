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


# --- the fast path is langdetect: same n-grams, same probabilities to the last bit ---------

from functools import lru_cache  # noqa: E402

from hypothesis import given, settings, strategies as st  # noqa: E402
from langdetect.lang_detect_exception import LangDetectException  # noqa: E402

from cleaners.language import load_factory, profiles  # noqa: E402
from conftest import SEEDS  # noqa: E402


@lru_cache(maxsize=1)
def _factory():
    return load_factory()


def _langdetect(text: str, seed: int, trials: int):
    """langdetect's own Detector, on the same profiles (same language order)."""
    detector = _factory().create()
    detector.seed, detector.n_trial = seed, trials
    detector.append(text)
    try:
        return [(lang.lang, lang.prob) for lang in detector.get_probabilities()]
    except LangDetectException:
        return "no features"


def _fast(text: str, seed: int, trials: int):
    try:
        return [(lang.lang, lang.prob) for lang in profiles().probabilities(text, seed, trials)]
    except LangDetectException:
        return "no features"


def _langdetect_ngrams(text: str) -> list[str]:
    detector = _factory().create()
    detector.append(text)
    detector.cleaning_text()
    return detector._extract_ngrams()


def _fast_ngrams(text: str) -> list[str]:
    p = profiles()
    rows, choices = p.ngrams(p.text_of(text))
    grams = sorted(_factory().word_lang_prob_map, key=p._key)
    return [grams[r] for r in rows[choices]]


def _texts() -> list[str]:
    """Real text in many scripts: the language cases, the text-dump cases, the seeds."""
    out = [c["text"] for c in CASES_LANG]
    for path in sorted((CASES / "textdump").glob("*.json")):
        out.append(json.loads(path.read_text(encoding="utf-8"))["dump"])
    out += [p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))]
    return out


@pytest.mark.parametrize("size", [40, 500, 3000])
def test_same_probabilities_as_langdetect_on_real_text(size):
    for text in _texts():
        snippet = sample(text, size)
        for seed, trials in ((0, 3), (7, 7)):
            assert _fast(snippet, seed, trials) == _langdetect(snippet, seed, trials), snippet[:60]


def test_same_ngrams_as_langdetect_on_real_text():
    for text in _texts():
        assert _fast_ngrams(text[:2000]) == _langdetect_ngrams(text[:2000])


#: Characters that exercise every branch of langdetect's text handling: upper-case runs
#: (capitalised words), spaces and runs of them, digits and punctuation (normalised to
#: spaces), Latin-1 exclusions, Romanian comma letters, Vietnamese combining marks,
#: Cyrillic, Greek, Arabic with Farsi yeh, CJK (normalised classes), kana, hangul,
#: general punctuation, characters outside the BMP, and URL / e-mail material.
_ALPHABET = st.sampled_from(
    list("aAbBcCzZ  \n\t0123456789.,:;!?-_@/'\"[]^`") + list("éÉßøÀ×÷ș ț Ș") + ["a\u0301", "e\u0300", "o\u0323"]
    + list("жЖпривет ΑΒγδ العربیة ی") + list("的是了人中國国语言日本") + list("あいうアイウ한국어가") + list("\u2013\u201c\u2026")
    + ["\U0001F600", "\U00020000", "http://x.org/a?b=1 ", "mail@ex.com "]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(_ALPHABET, min_size=0, max_size=200).map("".join), st.integers(0, 3), st.integers(1, 4))
def test_same_probabilities_as_langdetect_on_any_text(text, seed, trials):
    assert _fast_ngrams(text) == _langdetect_ngrams(text)
    assert _fast(text, seed, trials) == _langdetect(text, seed, trials)


def test_profiles_load_in_a_fixed_language_order():
    assert profiles().langlist == sorted(profiles().langlist)
