"""Step `quality`: decide whether an annotated document is kept.

Score, then decide: `score` measures (words, characters), `judge` applies the
configured limits. A failing document is a reject with its reason (`empty`,
`too_short`, `too_long`) and the measured value. It runs before `language`, so that
documents about to be dropped cost no language detection (langdetect spends the most
time on the shortest texts, which never converge).
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from cleaners.codepoints import code_points, every_character
from cleaners.config import QualityConfig
from cleaners.record import Document, Reject

STAGE = "quality"
# A "word" is a run of letters/digits; each CJK/kana/hangul character counts as one,
# since those scripts do not separate words with spaces. `_WORD` is the definition;
# `count_words` counts its matches with a table of code points.
_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af"
_WORD = re.compile(f"[{_CJK}]|[^\\W{_CJK}]+")
_OTHER, _WORD_CHAR, _CJK_CHAR = 0, 1, 2


@lru_cache(maxsize=1)
def _char_classes() -> np.ndarray:
    """Per code point (all of Unicode): _CJK_CHAR, _WORD_CHAR (`\\w` outside CJK) or _OTHER.
    Built once per process, in 0.03 s."""
    every = every_character()
    table = np.zeros(0x110000, dtype=np.uint8)
    for m in re.finditer(r"\w+", every):
        table[m.start() : m.end()] = _WORD_CHAR
    for m in re.finditer(f"[{_CJK}]+", every):
        table[m.start() : m.end()] = _CJK_CHAR
    return table


def count_words(text: str) -> int:
    """len(_WORD.findall(text)): every CJK character, plus the runs of other word
    characters. 0.03 ms on an 11,000-character body, against 0.37 ms for the regex."""
    kind = _char_classes().take(code_points(text))
    word = kind == _WORD_CHAR
    runs = int(word[:1].sum()) + int(np.count_nonzero(word[1:] > word[:-1]))  # word after non-word
    return runs + int(np.count_nonzero(kind == _CJK_CHAR))


def score(text: str) -> dict[str, int]:
    return {"words": count_words(text), "chars": len(text)}


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
