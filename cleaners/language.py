"""Step `language`: annotate `lang` (ISO 639-1) and `lang_prob` with langdetect.

Score, then decide: `detect` annotates; `keep` applies the configured rule
(`language.keep`), rejecting with reason `lang_filtered`.
Deterministic: each detector is seeded (`language.seed`), so the same text always gets
the same answer. Fast: langdetect sees a bounded sample (`language.sample_chars`) from
the middle of the body, with fewer random trials than langdetect's default
(`language.trials`): ~2 ms instead of ~13 ms on a 7 KB article.
"""
from __future__ import annotations

import threading

from langdetect import DetectorFactory
from langdetect.detector_factory import PROFILES_DIRECTORY
from langdetect.lang_detect_exception import LangDetectException

from cleaners.config import LanguageConfig
from cleaners.record import Document, Reject

STAGE = "language"
METHOD = "langdetect_v1"
UNKNOWN = "unknown"

_factory: DetectorFactory | None = None
_lock = threading.Lock()


def _get_factory() -> DetectorFactory:
    global _factory
    with _lock:
        if _factory is None:
            factory = DetectorFactory()
            factory.load_profile(PROFILES_DIRECTORY)
            _factory = factory
    return _factory


def sample(text: str, size: int) -> str:
    """A deterministic slice of at most `size` characters from the middle, cut at spaces."""
    if len(text) <= size:
        return text
    start = (len(text) - size) // 2
    space = text.find(" ", start, start + 100)
    start = space + 1 if space >= 0 else start
    return text[start:start + size]


def detect(text: str, cfg: LanguageConfig) -> tuple[str, float]:
    snippet = sample(text, cfg.sample_chars)
    if not snippet.strip():
        return UNKNOWN, 0.0
    detector = _get_factory().create()
    detector.seed = cfg.seed  # langdetect draws from a per-detector Random seeded with this
    detector.n_trial = cfg.trials
    detector.append(snippet)
    try:
        best = detector.get_probabilities()
    except LangDetectException:
        return UNKNOWN, 0.0
    if not best:
        return UNKNOWN, 0.0
    top = best[0]
    lang = top.lang.split("-")[0]  # zh-cn / zh-tw -> zh: ISO 639-1
    prob = round(float(top.prob), 4)
    if prob < cfg.min_prob:
        return UNKNOWN, prob
    return lang, prob


def keep(doc: Document, cfg: LanguageConfig) -> Document | Reject:
    if cfg.keep and doc.lang not in cfg.keep:
        return Reject(doc.source, STAGE, "lang_filtered", f"lang {doc.lang} not in language.keep={list(cfg.keep)}",
                      id=doc.id)
    return doc


def language(doc: Document, cfg: LanguageConfig) -> Document | Reject:
    doc.lang, doc.lang_prob = detect(doc.text, cfg)
    return keep(doc.did(STAGE, method=METHOD, lang=doc.lang, prob=doc.lang_prob), cfg)
