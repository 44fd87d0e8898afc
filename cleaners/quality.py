"""Step `quality`: decide whether an annotated document is kept.

Score, then decide: `score` measures (words, characters), `judge` applies the
configured limits. A failing document is a reject with its reason (`empty`,
`too_short`, `too_long`) and the measured value. It runs before `language`, so that
documents about to be dropped cost no language detection (langdetect spends the most
time on the shortest texts, which never converge).
"""
from __future__ import annotations

import re

from cleaners.config import QualityConfig
from cleaners.record import Document, Reject

STAGE = "quality"
# A "word" is a run of letters/digits; each CJK/kana/hangul character counts as one,
# since those scripts do not separate words with spaces.
_WORD = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]|[^\W\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]+")


def score(text: str) -> dict[str, int]:
    return {"words": len(_WORD.findall(text)), "chars": len(text)}


def judge(doc: Document, cfg: QualityConfig) -> Document | Reject:
    s = score(doc.text)
    reason = detail = None
    if s["chars"] == 0:
        reason, detail = "empty", "nothing left after extraction"
    elif s["words"] < cfg.min_words:
        reason, detail = "too_short", f"{s['words']} words < quality.min_words={cfg.min_words}"
    elif s["chars"] < cfg.min_chars:
        reason, detail = "too_short", f"{s['chars']} characters < quality.min_chars={cfg.min_chars}"
    elif s["chars"] > cfg.max_chars:
        reason, detail = "too_long", f"{s['chars']} characters > quality.max_chars={cfg.max_chars}"
    if reason:
        return Reject(doc.source, STAGE, reason, detail, id=doc.id, extra=(("words", s["words"]),))
    return doc.did(STAGE, **s)
