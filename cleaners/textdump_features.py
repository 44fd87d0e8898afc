"""Units and features for the text-dump cleaner (`cleaners/textdump.py`).

A dump is cut into *units*: one unit per non-blank line, except in hard-wrapped dumps
(w3m / lynx style, every line filled to a fixed width) where the wrapped lines of one
paragraph are joined back into a single unit. Each unit gets a vector of features
(length, stop-word density, punctuation, boilerplate patterns, repetition, position,
and the same measures averaged over its neighbours). The training script
(`benchmarks/train_textdump.py`) and the cleaner both call `units_of` and `features`,
so the model is always applied to the features it was trained on.

Pure functions, no state beyond lazily loaded stop lists.
"""
from __future__ import annotations

import math
import re
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

#: Stop lists consulted (jusText ships them). The document's language is the one
#: whose list covers most of its tokens; CJK text is measured by its own punctuation.
STOPLIST_LANGUAGES = (
    "English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch",
    "Polish", "Russian", "Ukrainian", "Greek", "Czech", "Swedish", "Danish",
    "Norwegian_Bokmal", "Finnish", "Hungarian", "Romanian", "Turkish", "Indonesian",
)

_TOKEN = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
_BULLET = re.compile(r"^\s*(?:[•·▪●◦‣∙*+\-–—»›>]|\d{1,3}[.)]|\[\d+\]|\(\d+\))\s")
_LINKMARK = re.compile(r"\[(?:\d+|link|img|IMG|image|[A-Za-z]{1,3}\d*)\]")
_SEPARATORS = re.compile(r"\s[|·•›»/–]\s|\s\|\s?|\|")
_END_SENTENCE = re.compile(r"[.!?。！？…:;\"”»)\]]\s*$")
_URL = re.compile(r"https?://|www\.|\S+@\S+\.\w+")
_DIGIT = re.compile(r"\d")
_PUNCT = re.compile(r"[.,;:!?，。、；：！？]")
_CJK_STOP = re.compile(r"[的了是在和有我这个们不，。]")

#: Words and phrases that mark page furniture rather than article prose, in the
#: languages the cleaner is checked on. Matched on lower-cased word tokens: a phrase is
#: space-separated tokens, a trailing "*" makes the last token a prefix, "©" is literal.
BOILERPLATE_WORDS: dict[str, tuple[str, ...]] = {
    "cookie": ("cookie", "cookies", "consent", "gdpr", "datenschutz", "privacidad",
               "confidentialité", "prywatności", "privacy", "opt out", "do not sell"),
    "nav": ("read more", "see all", "see more", "load more", "view all", "show more",
            "most popular", "most read", "related", "recommended", "trending",
            "you may also like", "more from", "more stories", "next article",
            "previous article", "back to top", "skip to", "menu", "navigation", "home",
            "weiterlesen", "mehr zum thema", "lire aussi", "lire la suite", "leer más",
            "ver más", "czytaj też", "czytaj także", "czytaj więcej", "читайте также",
            "подробнее", "διαβάστε", "相关", "阅读", "更多"),
    "social": ("share", "tweet", "facebook", "twitter", "linkedin", "pinterest", "whatsapp",
               "instagram", "youtube", "telegram", "reddit", "email this", "print this",
               "follow us", "teilen", "partager", "compartir", "udostępnij", "поделиться",
               "κοινοποίηση", "分享"),
    "subscribe": ("subscribe", "newsletter", "sign up", "sign in", "login", "log in",
                  "register", "create account", "se connecter", "connexion", "anmelden", "iniciar sesión",
                  "zaloguj", "войти", "σύνδεση", "登录", "create an account", "donate", "support us",
                  "membership", "premium", "paywall", "abonn*", "suscr*", "zapisz",
                  "подпис*", "εγγραφ*", "订阅", "advertisement", "sponsored", "anzeige",
                  "publicité", "publicidad", "reklama", "реклама", "广告"),
    "legal": ("©", "copyright", "all rights reserved", "terms of use", "terms of service",
              "impressum", "mentions légales", "aviso legal", "regulamin", "contact us",
              "about us", "kontakt"),
    "comment": ("comment", "comments", "leave a reply", "reply", "kommentar", "kommentare",
                "commentaire", "commentaires", "comentario", "comentarios", "komentarz*",
                "комментари*", "σχόλι*", "评论"),
    "caption": ("photo", "image", "credit", "getty", "reuters", "afp", "associated press",
                "shutterstock", "istock", "foto", "bild", "фото", "φωτογραφ*", "图片"),
    "tags": ("tag", "tags", "topic", "topics", "category", "categories", "filed under",
             "published under", "schlagwörter", "étiquettes", "etiquetas", "tagi", "теги",
             "ετικέτες", "标签"),
}
_BP_KEYS = tuple(BOILERPLATE_WORDS)
_BP_FIRST: dict[str, list[tuple[str, int]]] = {}  # first token -> [(phrase, category bit)]
_BP_PREFIX: list[tuple[str, int]] = []
_BP_LITERAL: list[tuple[str, int]] = []
for _bit, _cat in enumerate(_BP_KEYS):
    for _ph in BOILERPLATE_WORDS[_cat]:
        if _ph.endswith("*"):
            _BP_PREFIX.append((_ph[:-1], _bit))
        elif not re.fullmatch(r"[\w ]+", _ph) or re.search(r"[\u4e00-\u9fff]", _ph):
            _BP_LITERAL.append((_ph, _bit))
        else:
            _BP_FIRST.setdefault(_ph.split()[0], []).append((_ph, _bit))
_BP_FIRST_SET = frozenset(_BP_FIRST)


def boilerplate_mask(low_text: str, low_toks: list[str]) -> int:
    """Bit mask over BOILERPLATE_WORDS categories present in a lower-cased unit."""
    mask = 0
    hits = _BP_FIRST_SET.intersection(low_toks)
    if hits:
        joined = None
        for first in hits:
            for phrase, bit in _BP_FIRST[first]:
                if " " not in phrase:
                    mask |= 1 << bit
                else:
                    if joined is None:
                        joined = " " + " ".join(low_toks) + " "
                    if f" {phrase} " in joined:
                        mask |= 1 << bit
    if not low_text.isascii():
        for lit, bit in _BP_LITERAL:
            if lit in low_text:
                mask |= 1 << bit
        for pre, bit in _BP_PREFIX:
            if pre in low_text:
                mask |= 1 << bit
    else:
        for pre, bit in _BP_PREFIX:
            if pre.isascii() and pre in low_text:
                mask |= 1 << bit
    return mask


def has_boilerplate(text: str, category: str) -> bool:
    return bool(boilerplate_mask(text.lower(), unit_tokens(text)) >> _BP_KEYS.index(category) & 1)


_MONTHS = (
    r"jan(?:uary|\.)?|feb(?:ruary|\.)?|mar(?:ch|\.)?|apr(?:il|\.)?|may|june?|july?|aug(?:ust|\.)?|"
    r"sep(?:t(?:ember)?|\.)?|oct(?:ober|\.)?|nov(?:ember|\.)?|dec(?:ember|\.)?|"
    r"januar|februar|märz|mai|juni|juli|oktober|dezember|"
    r"janvier|février|mars|avril|juin|juillet|août|septembre|octobre|novembre|décembre|"
    r"enero|febrero|marzo|abril|mayo|junio|julio|agosto|septiembre|octubre|noviembre|diciembre|"
    r"stycznia|lutego|marca|kwietnia|maja|czerwca|lipca|sierpnia|września|października|"
    r"listopada|grudnia|января|февраля|марта|апреля|мая|июня|июля|августа|сентября|"
    r"октября|ноября|декабря|ιανουαρίου|φεβρουαρίου|μαρτίου|απριλίου|μαΐου|ιουνίου|"
    r"ιουλίου|αυγούστου|σεπτεμβρίου|οκτωβρίου|νοεμβρίου|δεκεμβρίου"
)
DATE_RE = re.compile(
    r"(?<!\d)(?:\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4}|"
    r"\d{4}年\d{1,2}月\d{1,2}日|"
    r"(?:" + _MONTHS + r")\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}|"
    r"\d{1,2}(?:st|nd|rd|th)?\.?\s+(?:of\s+|de\s+)?(?:" + _MONTHS + r")\.?,?\s+(?:de\s+)?\d{4})(?!\d)",
    re.I,
)
READING_TIME_RE = re.compile(
    r"^\s*(?:\d+\s*(?:-|–)?\s*(?:min(?:ute)?s?|мин|λεπτ)\.?\s*(?:read|lesezeit|de lecture|"
    r"de lectura|czytania|чтения|ανάγνωση)?|(?:reading time|lesezeit|temps de lecture|"
    r"tiempo de lectura)\s*:?\s*\d+.*)\s*\.?\s*$",
    re.I,
)


@dataclass(frozen=True, slots=True)
class Unit:
    """One logical line: its text and the input line indices it was made from."""

    text: str
    first: int
    last: int
    blank_before: bool
    blank_after: bool
    links: int = 0  # renderer link markers ("[12]") removed from the text


def wrap_width(lines: list[str]) -> int | None:
    """The fill width of a hard-wrapped dump, or None when lines are not wrapped.

    A renderer that wraps (w3m, lynx) fills most of its longer lines to within a few
    columns of one width of 60–110 characters; html_text and HTML extractors never do.
    """
    lens = [len(l.rstrip()) for l in lines if len(l.strip()) >= 40 and "://" not in l]
    if len(lens) < 5 or min(lens) > 110:
        return None
    counts = Counter(lens)
    for width in range(110, 49, -1):
        if counts.get(width) and sum(counts.get(w, 0) for w in range(width - 12, width + 1)) >= 0.25 * len(lens):
            # ... and (bar unbreakable URLs) nothing is longer than the fill width.
            longer = sum(c for w, c in counts.items() if w > width)
            return width if longer <= 0.1 * len(lens) else None
    return None


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip())


_MARKERS = re.compile(r"\[(?:\d+|link|img|IMG|image|IMAGE|INLINE|BUTTON|[^\]\s]+\.(?:png|jpe?g|gif|svg))\]")


def canonical(text: str) -> str:
    """A unit's text without renderer artefacts: lynx/w3m link and image markers
    ("[12]Home", "[IMG]") are dropped so every renderer looks like html_text."""
    if "[" in text:
        text = _MARKERS.sub("", text)
        text = " ".join(text.split())
    return text.strip()


def units_of(content: str) -> tuple[list[str], list[Unit]]:
    """Split a dump into its input lines and its logical lines (units)."""
    lines = content.split("\n")
    lines = [l.rstrip("\r") for l in lines]
    width = wrap_width(lines)
    units: list[Unit] = []
    n = len(lines)
    i = 0
    blank_before = True
    while i < n:
        s = lines[i].strip()
        if not s:
            blank_before = True
            i += 1
            continue
        first = i
        parts = [s]
        if width is not None:
            while i + 1 < n:
                nxt = lines[i + 1].strip()
                if not nxt or _BULLET.match(lines[i + 1]):
                    break
                cur = lines[i].rstrip()
                head = nxt.split(" ", 1)[0]
                if len(cur) + 1 + len(head) <= width - 1 or (
                        _indent(lines[i + 1]) != _indent(lines[i]) and not _BULLET.match(lines[i])):
                    break
                parts.append(nxt)
                i += 1
        blank_after = i + 1 >= n or not lines[i + 1].strip()
        raw = parts[0]
        for part in parts[1:]:  # CJK is written without spaces: a wrap is not a space
            raw += part if _CJK.match(raw[-1]) and _CJK.match(part[0]) else " " + part
        text = canonical(raw)
        if not text:
            blank_before = True
            i += 1
            continue
        links = len(_MARKERS.findall(raw)) if "[" in raw else 0
        units.append(Unit(text, first, i, blank_before, blank_after, links))
        blank_before = False
        i += 1
    return lines, units


@lru_cache(maxsize=None)
def stop_sets() -> tuple[frozenset[str], ...]:
    import justext

    return tuple(frozenset(w.lower() for w in justext.get_stoplist(lang)) for lang in STOPLIST_LANGUAGES)


def doc_stoplist(tokens: list[list[str]]) -> frozenset[str]:
    """The stop list that covers most of the document's tokens (empty if none does)."""
    counts: Counter[str] = Counter()
    for toks in tokens:
        counts.update(toks)
    vocab = counts.keys()
    best, best_score = frozenset(), 0
    for stops in stop_sets():
        score = sum(counts[w] for w in stops.intersection(vocab))
        if score > best_score:
            best, best_score = stops, score
    return best


#: Names of the per-unit base features, in column order.
BASE_FEATURES = (
    "log_chars", "log_tokens", "stop_density", "ends_sentence", "punct_per_token",
    "digit_ratio", "titlecase_ratio", "all_caps", "bp_cookie", "bp_nav", "bp_social",
    "bp_subscribe", "bp_legal", "bp_comment", "bp_caption", "bp_tags", "bullet",
    "separators", "date_like", "reading_time", "repeat_log", "repeat_later", "rel_pos",
    "blank_before", "blank_after", "cjk_ratio", "url_like", "link_marks", "starts_lower",
    "tok_1", "tok_2_3", "tok_4_6", "tok_7_12", "tok_13_25", "tok_26_plus", "stop_zero",
    "has_colon_head",
)
#: Base features averaged over neighbours at several window sizes.
CONTEXT_SOURCES = ("log_tokens", "stop_density", "ends_sentence", "punct_per_token", "tok_26_plus",
                   "bp_nav", "titlecase_ratio")
CONTEXT_WINDOWS = (1, 3, 8)


def feature_names() -> list[str]:
    names = list(BASE_FEATURES)
    for w in CONTEXT_WINDOWS:
        names += [f"ctx{w}_{s}" for s in CONTEXT_SOURCES]
    names += ["doc_log_units", "doc_mean_tokens"]
    return names


_STRIP = "\"'.,:;!?()[]{}<>|/«»“”‘’„–—-…•·*#@"
_END_CHARS = frozenset(".!?。！？…:;\"”»)]")
_BULLET_START = frozenset("•·▪●◦‣∙*+-–—»›>[(0123456789")


def _base_row(text: str, low_toks: list[str], stops: frozenset[str]) -> list[float]:
    nchar = len(text)
    ntok = len(low_toks)
    cjk = 0.0 if text.isascii() else len(_CJK.findall(text)) / nchar
    if cjk > 0.3:
        # CJK is not split by spaces: count characters as words, particles as stops.
        ntok_eff = max(1, int(nchar / 1.7))
        stop = min(1.0, len(_CJK_STOP.findall(text)) / ntok_eff * 2.5)
    else:
        ntok_eff = ntok
        stop = sum(map(stops.__contains__, low_toks)) / ntok if ntok else 0.0
    words = text.split()
    alpha = upper = 0
    for t in words:
        c = t[0]
        if c.isalpha():
            alpha += 1
            if c.isupper():
                upper += 1
    title = upper / alpha if alpha else 0.0
    all_caps = 1.0 if nchar >= 4 and alpha and text.isupper() else 0.0
    low = text.lower()
    bpm = boilerplate_mask(low, low_toks)
    bp = [float(bpm >> b & 1) for b in range(len(_BP_KEYS))]
    ndig = sum(map(text.count, "0123456789"))
    npunct = (text.count(".") + text.count(",") + text.count(";") + text.count(":")
              + text.count("!") + text.count("?") + text.count("，") + text.count("。"))
    nsep = text.count("|") + text.count(" · ") + text.count(" • ") + text.count(" › ") + text.count(" » ") + text.count(" / ")
    head = text.split(":", 1)[0] if ":" in text[:40] else ""
    c0 = text[0]
    return [
        math.log1p(nchar),
        math.log1p(ntok_eff),
        stop,
        1.0 if text[-1] in _END_CHARS else 0.0,
        npunct / ntok_eff if ntok_eff else 0.0,
        ndig / nchar,
        title,
        all_caps,
        *bp,
        1.0 if c0 in _BULLET_START and _BULLET.match(text) else 0.0,
        min(5, nsep) / 5.0,
        1.0 if ndig >= 4 and ntok_eff <= 12 and DATE_RE.search(text) else 0.0,
        1.0 if ndig and ntok_eff <= 8 and READING_TIME_RE.match(text) else 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0,  # repetition, position, blanks: filled by the caller
        cjk,
        1.0 if "http" in low or "www." in low or "@" in low else 0.0,
        min(5, len(_LINKMARK.findall(text))) / 5.0 if "[" in text else 0.0,
        1.0 if c0.islower() else 0.0,
        1.0 if ntok_eff <= 1 else 0.0,
        1.0 if 2 <= ntok_eff <= 3 else 0.0,
        1.0 if 4 <= ntok_eff <= 6 else 0.0,
        1.0 if 7 <= ntok_eff <= 12 else 0.0,
        1.0 if 13 <= ntok_eff <= 25 else 0.0,
        1.0 if ntok_eff >= 26 else 0.0,
        1.0 if stop == 0.0 else 0.0,
        1.0 if head and len(head.split()) <= 4 else 0.0,
    ]


def unit_tokens(text: str) -> list[str]:
    """Lower-cased whitespace tokens with edge punctuation stripped (fast, not \\w+)."""
    return [t for t in (w.strip(_STRIP) for w in text.lower().split()) if t]


_IDX = {n: i for i, n in enumerate(BASE_FEATURES)}


def _window_mean(col: np.ndarray, w: int) -> np.ndarray:
    """Mean of col over [i-w, i+w] excluding i, clipped at the ends."""
    n = len(col)
    c = np.concatenate(([0.0], np.cumsum(col)))
    idx = np.arange(n)
    lo = np.maximum(0, idx - w)
    hi = np.minimum(n, idx + w + 1)
    total = c[hi] - c[lo] - col
    count = (hi - lo - 1).astype(float)
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def features(units: list[Unit], tokens: list[list[str]] | None = None) -> np.ndarray:
    """Feature matrix, one row per unit, columns as `feature_names()`. `tokens` are the
    units' `unit_tokens` when the caller already has them."""
    n = len(units)
    names = feature_names()
    if n == 0:
        return np.zeros((0, len(names)))
    if tokens is None:
        tokens = [unit_tokens(u.text) for u in units]
    stops = doc_stoplist(tokens)
    base = np.array([_base_row(u.text, t, stops) for u, t in zip(units, tokens)], dtype=float)
    keys = [" ".join(t) for t in tokens]
    counts = Counter(keys)
    seen: set[str] = set()
    rep = np.zeros(n)
    later = np.zeros(n)
    for i, k in enumerate(keys):
        rep[i] = math.log(counts[k]) if k else 0.0
        later[i] = 1.0 if k in seen and k else 0.0
        seen.add(k)
    base[:, _IDX["repeat_log"]] = rep
    base[:, _IDX["repeat_later"]] = later
    base[:, _IDX["rel_pos"]] = np.arange(n) / max(1, n - 1)
    base[:, _IDX["blank_before"]] = [u.blank_before for u in units]
    base[:, _IDX["blank_after"]] = [u.blank_after for u in units]
    cols = [base]
    for w in CONTEXT_WINDOWS:
        cols.append(np.stack([_window_mean(base[:, _IDX[s]], w) for s in CONTEXT_SOURCES], axis=1))
    doc = np.empty((n, 2))
    doc[:, 0] = math.log1p(n)
    doc[:, 1] = float(base[:, _IDX["log_tokens"]].mean())
    cols.append(doc)
    return np.concatenate(cols, axis=1)


#: Stage-two features: the stage-one body probability smoothed over neighbours.
STAGE2_WINDOWS = (1, 2, 4, 8, 16)


def stage2_names() -> list[str]:
    return (["p1", "logit_p1"] + [f"p1_mean{w}" for w in STAGE2_WINDOWS]
            + ["p1_max_before3", "p1_max_after3", "p1_cummax_before", "p1_cummax_after",
               "doc_p1_mean", "doc_frac_body"])


def stage2_features(p1: np.ndarray) -> np.ndarray:
    n = len(p1)
    if n == 0:
        return np.zeros((0, len(stage2_names())))
    cols = [p1, np.log(np.clip(p1, 1e-4, 1 - 1e-4) / np.clip(1 - p1, 1e-4, 1 - 1e-4)) / 5.0]
    cols += [_window_mean(p1, w) for w in STAGE2_WINDOWS]
    pad = np.concatenate((np.zeros(3), p1, np.zeros(3)))
    before = np.max(np.stack([pad[i:i + n] for i in range(3)]), axis=0)
    after = np.max(np.stack([pad[4 + i:4 + i + n] for i in range(3)]), axis=0)
    cb = np.concatenate(([0.0], np.maximum.accumulate(p1)[:-1]))
    ca = np.concatenate((np.maximum.accumulate(p1[::-1])[::-1][1:], [0.0]))
    cols += [before, after, cb, ca, np.full(n, p1.mean()), np.full(n, float((p1 > 0.5).mean()))]
    return np.stack(cols, axis=1)
