"""Units and features for the text-dump cleaner (`cleaners/textdump.py`).

A dump is cut into *units*: one unit per non-blank line, except in hard-wrapped dumps
(w3m / lynx style, every line filled to a fixed width) where the wrapped lines of one
paragraph are joined back into a single unit; renderer markup is undone first
(`cleaners/textdump_render.py`). Each unit gets a vector of features
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
from itertools import chain, repeat
from dataclasses import dataclass
from functools import lru_cache
from operator import attrgetter
from typing import Iterable, NamedTuple

import numpy as np

from cleaners.codepoints import code_points
from cleaners.textdump_render import display_width, normalise

#: Stop lists consulted (jusText ships them). The document's language is the one
#: whose list covers most of its tokens; Chinese and Japanese lines are measured by
#: their function characters instead (`CJK_FUNCTION_CHARS`).
STOPLIST_LANGUAGES = (
    "English", "German", "French", "Spanish", "Italian", "Portuguese", "Dutch",
    "Polish", "Russian", "Ukrainian", "Greek", "Czech", "Swedish", "Danish",
    "Norwegian_Bokmal", "Finnish", "Hungarian", "Romanian", "Turkish", "Indonesian",
    "Korean", "Arabic", "Persian", "Hebrew", "Hindi", "Vietnamese", "Bulgarian", "Slovak",
    "Slovenian", "Croatian", "Serbian", "Latvian", "Lithuanian", "Estonian",
)

_TOKEN = re.compile(r"\w+")
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# Scripts written without spaces, where a renderer's line break is not a space: Chinese,
# Japanese and their punctuation; Korean is spaced, but w3m (which fills columns) breaks
# a Hangul word anywhere, while lynx (which counts characters) breaks it at a space.
_NO_SPACE = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uff00-\uffef]")
_NO_SPACE_COLUMNS = re.compile(r"[\u3000-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af\uff00-\uffef]")
# Thai, Lao, Myanmar and Khmer: words unspaced, phrases spaced. A renderer wraps such
# text at a space; lynx cuts a phrase longer than a whole line at the fill width (a
# line of one phrase, filled to the width): that cut is joined back without a space.
_UNSPACED_SCRIPT = re.compile(r"[\u0e00-\u0eff\u1000-\u109f\u1780-\u17ff]")
_BULLET = re.compile(r"^\s*(?:[•·▪●◦‣∙*+\-–—»›>]|\d{1,3}[.)]|\[\d+\]|\(\d+\))\s")
_LINKMARK = re.compile(r"\[(?:\d+|link|img|IMG|image|[A-Za-z]{1,3}\d*)\]")
#: Chinese and Japanese function characters (particles, pronouns, prepositions, the
#: commonest auxiliaries) and their commas and full stops: what stop words are to a
#: spaced language. Their share of a line's characters is its stop density (Japanese
#: prose on the dev pages: 0.33, about English prose's stop-word share, 0.34).
CJK_FUNCTION_CHARS = "的了是在和有我这个们不也就都而与及着之于被把从对为以将等其，。、のにはをがでとたてもしなかれる"
_CJK_STOP = re.compile(f"[{CJK_FUNCTION_CHARS}]")
#: Units whose characters are mostly Chinese or Japanese (`_NO_SPACE`) are counted in
#: characters, not in space-separated tokens (Korean is spaced: it is not among them).
UNSPACED_MIN_RATIO = 0.3
CJK_CHARS_PER_WORD = 1.7
#: The title-case ratio given to a line with letters but no cased ones (Chinese,
#: Japanese, Arabic, Hebrew, Thai ...), or on a page with no capital at all: about its
#: mean over the training lines, so it reads as no evidence either way (0 would read as
#: "a lower-case sentence"). Such lines are flagged (`uncased`); a page made mostly of
#: them is read by the line model's uncased regime (`CASED_MODEL_HIDDEN`).
UNCASED_TITLECASE = 0.6
#: Languages whose prose capitalises every noun, and the share of words that are nouns
#: there (German: about a quarter of running words; a general corpus figure, not fitted
#: here). On a page in such a language the title-case ratio is read net of it,
#: (ratio - share) / (1 - share), floored at 0: German prose is 0.35 title-cased where
#: English prose is 0.09, and read raw it looks like a menu to a model trained on English.
NOUN_CAPITALS: dict[str, float] = {"German": 0.25}

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
    mask = _word_phrase_mask(low_toks)
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


def _word_phrase_mask(low_toks: list[str]) -> int:
    """The categories of the word phrases (whole tokens) among a unit's tokens."""
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
    return mask


def _find_all(text: str, sub: str) -> list[int]:
    pos, k = [], text.find(sub)
    while k >= 0:
        pos.append(k)
        k = text.find(sub, k + 1)
    return pos


def _unit_of(offsets: np.ndarray, positions: list[int]) -> np.ndarray:
    return np.searchsorted(offsets, positions, side="right") - 1


def boilerplate_masks(lows: list[str], tokens: list[list[str]]) -> np.ndarray:
    """`boilerplate_mask` of every unit of a document at once (`lows`: lower-cased unit
    texts, `tokens`: their tokens): the word phrases
    only in the units that hold one of their first words, the substrings (prefixes,
    literals) only in documents that contain them."""
    n = len(lows)
    present = _BP_FIRST_SET.intersection(chain.from_iterable(tokens))
    if present:
        disjoint = present.isdisjoint
        masks = np.array([0 if disjoint(toks) else _word_phrase_mask(toks) for toks in tokens], dtype=np.int64)
    else:
        masks = np.zeros(n, dtype=np.int64)
    # A substring with a non-ASCII character (and an ASCII literal, matched only there)
    # is looked for in the units with one alone: a third of a page's text (0.1 ms).
    wide = [k for k, low in enumerate(lows) if not low.isascii()]
    joined = {False: _Joined(lows, range(n)), True: _Joined([lows[k] for k in wide], wide)}
    for sub, bit, ascii_units_too in _BP_SUBSTRINGS:
        among = joined[not ascii_units_too or not sub.isascii()]
        if sub in among.text:
            masks[among.units_holding(sub)] |= 1 << bit
    return masks


class _Joined:
    """Unit texts joined by newlines, to look for a substring in all of them at once."""

    def __init__(self, texts: list[str], index: Iterable[int]) -> None:
        self.text = "\n".join(texts)
        self._texts, self._index, self._offsets = texts, index, None

    def units_holding(self, sub: str) -> np.ndarray:
        """The indices (as given) of the units that contain `sub`."""
        if self._offsets is None:
            self._offsets = np.concatenate(([0], np.cumsum([len(t) + 1 for t in self._texts])[:-1]))
        return np.asarray(self._index)[_unit_of(self._offsets, _find_all(self.text, sub))]


#: Substring phrases: (text, category bit, also matched in ASCII-only units).
_BP_SUBSTRINGS = tuple([(lit, bit, not lit.isascii()) for lit, bit in _BP_LITERAL]
                       + [(pre, bit, True) for pre, bit in _BP_PREFIX])


def has_boilerplate(text: str, category: str) -> bool:
    low = text.lower()
    if not any(map(low.__contains__, _BP_NEEDLES[category])):  # 3.2 -> 1.9 us a line on average
        return False
    return bool(boilerplate_mask(low, unit_tokens(text)) >> _BP_KEYS.index(category) & 1)


def _needle(phrase: str) -> str:
    """A string that a lower-cased text matching `phrase` contains: a prefix, a literal,
    or a word phrase's first word (tokens are pieces of the lower-cased text)."""
    if phrase.endswith("*"):
        return phrase[:-1]
    return phrase if any(phrase == lit for lit, _ in _BP_LITERAL) else phrase.split()[0]


#: Per category, the strings one of which a text holding the category contains.
_BP_NEEDLES = {cat: tuple(dict.fromkeys(map(_needle, phrases))) for cat, phrases in BOILERPLATE_WORDS.items()}


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
#: Month names the rules (and `parse_date`) know besides, January to December, full
#: forms as dates write them (genitive where the language declines them), from
#: dateparser's tables: Portuguese, Italian, Dutch, Swedish, Danish and Norwegian,
#: Finnish, Czech, Slovak, Romanian, Turkish, Ukrainian, Indonesian, Croatian (not its
#: "listopada", which is November in Polish), Slovenian, Bulgarian, Catalan. Not in the
#: model's features yet (`FEATURE_DATE_RE`).
MONTHS_MORE_BY_NUMBER = (
    "janeiro gennaio januari januar tammikuuta ledna januára ianuarie ocak січня siječnja януари gener",
    "fevereiro febbraio februari februar helmikuuta února februára februarie şubat лютого veljače "
    "февруари febrer",
    "março maart marts mars maaliskuuta března marca marec martie mart березня maret ožujka март març",
    "aprile april huhtikuuta dubna apríla aprilie nisan квітня travnja април abril",
    "maio maggio mei maj mai toukokuuta května mája mayıs травня svibnja май maig",
    "junho giugno juni kesäkuuta června júna iunie haziran червня lipnja junij юни juny",
    "julho luglio juli heinäkuuta července júla iulie temmuz липня srpnja julij юли juliol",
    "agosto augustus augusti august elokuuta srpna augusta ağustos серпня agustus kolovoza avgust "
    "август agost",
    "setembro settembre september syyskuuta září septembra septembrie eylül вересня rujna "
    "септември setembre",
    "outubro ottobre oktober lokakuuta října októbra octombrie ekim жовтня октомври octubre",
    "novembro novembre november marraskuuta listopadu novembra noiembrie kasım листопада studenoga "
    "ноември",
    "dezembro dicembre december desember joulukuuta prosince decembra decembrie aralık грудня "
    "prosinca декември desembre",
)
_MONTHS_MORE = "|".join(sorted({w for names in MONTHS_MORE_BY_NUMBER for w in names.split()},
                               key=lambda w: (-len(w), w)))  # longest first, in a fixed order


#: The most characters a month of the date patterns spans with its "." and "," (the
#: longest name has 12): their guards look no further ahead, so that a long word (a URL)
#: costs them no more than a short one (tests/test_textdump_speedpaths.py checks it).
MONTH_SPAN = 16


def _date_pattern(months: str, more: tuple[str, ...] = ()) -> re.Pattern:
    """A date: 2024-03-05, 5/3/24, 2024年3月5日, `more`, 5th of March 2024, March 5, 2024.

    Written for the regex engine's speed, not as read aloud: the forms that open with a
    digit follow one shared `\\d` (`more` too), so that a position without a digit skips
    them at once, and the month-first form is tried only where a word of at most
    MONTH_SPAN characters is followed by a number (a guard every match passes: a month
    holds no space), as is the month of the day-first form. The same matches
    (tests/test_textdump_speedpaths.py), but ~10x faster on a line of prose with a year
    in it (150 -> 14 us): `has_date` took 0.5 ms a document, most of it in the months
    alternation tried at every letter, and takes 0.2."""
    ahead = r"\S{0,%d}\s+" % MONTH_SPAN
    day_first = (r"\d?(?:st|nd|rd|th)?\.?\s+(?:of\s+|de\s+)?(?=" + ahead + r"(?:de\s+)?\d)(?:" + months
                 + r")\.?,?\s+(?:de\s+)?\d{4}")
    digit_led = (r"\d{3}[-/.]\d{1,2}[-/.]\d{1,2}", r"\d?[-/.]\d{1,2}[-/.]\d{2,4}", r"\d{3}年\d{1,2}月\d{1,2}日",
                 *more, day_first)
    month_first = r"(?=" + ahead + r"\d)(?:" + months + r")\s+\d{1,2}(?:st|nd|rd|th)?,?\s+\d{4}"
    return re.compile(r"(?<!\d)(?:\d(?:" + "|".join(digit_led) + ")|" + month_first + r")(?!\d)", re.I)


#: A date, as the rules (headline, date line) recognise it.
_RULE_MONTHS = _MONTHS + "|" + _MONTHS_MORE
DATE_RE = _date_pattern(_RULE_MONTHS,
                        # Korean 2024년 3월 5일; 05-Mar-2024 (after their first digit)
                        (r"\d{3}년\s?\d{1,2}월\s?\d{1,2}일", r"\d?-(?:" + _RULE_MONTHS + r")-\d{4}"))
#: A date, as the `date_like` feature (and the headline chooser's `date_in`) saw it when
#: the shipped models were trained: new months here change the models' input, so they
#: go in with a retrain (benchmarks/train_textdump.py, then train_title.py).
FEATURE_DATE_RE = _date_pattern(_MONTHS)
#: Matches wherever DATE_RE does (every date form has a 4-digit year or d/m/yy): a cheap
#: pre-check before the expensive pattern.
MAYBE_DATE = re.compile(r"\d{4}|\d{1,2}[./-]\d{1,2}[./-]\d{2}")


def has_date(text: str, pattern: re.Pattern = DATE_RE) -> bool:
    """Whether `text` holds a date by `pattern` (`FEATURE_DATE_RE` for model inputs),
    the cheap `MAYBE_DATE` checked first."""
    return bool(MAYBE_DATE.search(text) and pattern.search(text))

READING_TIME_RE = re.compile(
    r"^\s*(?:\d+\s*(?:-|–)?\s*(?:min(?:ute)?s?|мин|λεπτ)\.?\s*(?:read|lesezeit|de lecture|"
    r"de lectura|czytania|чтения|ανάγνωση)?|(?:reading time|lesezeit|temps de lecture|"
    r"tiempo de lectura)\s*:?\s*\d+.*)\s*\.?\s*$",
    re.I,
)


class Unit(NamedTuple):
    """One logical line: its text and the input line indices it was made from. (A named
    tuple, not a frozen dataclass: a dump has hundreds of units, and a frozen dataclass
    costs several times as much to build.)"""

    text: str
    first: int
    last: int
    blank_before: bool
    blank_after: bool
    links: int = 0  # renderer link markers ("[12]") removed from the text
    bullet: bool = False  # a list item whose renderer bullet `normalise` removed


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


@dataclass(frozen=True, slots=True)
class Split:
    """A dump cut into units: its input lines, its units, and why the non-blank input
    lines that are in no unit were dropped (renderer artefacts, `normalise`)."""

    lines: list[str]
    units: list[Unit]
    dropped: dict[int, str]


def units_of(content: str) -> tuple[list[str], list[Unit]]:
    """Split a dump into its input lines and its logical lines (units)."""
    split = split_dump(content)
    return split.lines, split.units


#: Line breaks besides "\n" (those `str.splitlines` knows): CRLF and a lone CR (old Mac
#: files), vertical tab, form feed (pdftotext's page break), the file/group/record
#: separators and NEL. Each ends a line, as "\n" does; before they did not, and a dump with
#: CR line ends was one line (all lost).
_OTHER_BREAKS = ("\r", "\v", "\f", "\x1c", "\x1d", "\x1e", "\x85")
_LINE_BREAK = re.compile("\r\n?|[" + "".join(_OTHER_BREAKS[1:]) + "]")  # CRLF counts once
#: Unicode's line and paragraph separators (U+2028, U+2029) end lines only in a dump that
#: has no other line break. Inside a page's text they are a copy-pasted soft return that a
#: browser (and html_text) shows as a space: 8 of the 711 wcxb pages hold some, which w3m
#: and lynx pass through, and one true body; read as line breaks there, they cut sentences.
_UNICODE_BREAK = re.compile("[\u2028\u2029]")


def split_dump(content: str) -> Split:
    """`units_of`, and the reasons for the input lines renderer normalisation dropped."""
    if any(c in content for c in _OTHER_BREAKS):
        content = _LINE_BREAK.sub("\n", content)
    if not content.isascii() and ("\u2028" in content or "\u2029" in content):
        content = _UNICODE_BREAK.sub("\n" if "\n" not in content else " ", content)
    lines = content.split("\n")
    norm = normalise(lines)
    width, measure, text_lines, bullet, joins = norm.width, norm.measure, norm.lines, norm.bullet, norm.joins
    no_space = _NO_SPACE_COLUMNS if measure is display_width else _NO_SPACE
    dropped = dict(norm.dropped)
    units: list[Unit] = []
    n = len(lines)
    stripped = list(map(str.strip, text_lines))
    i = 0
    blank_before = True
    while i < n:
        s = stripped[i]
        if not s:
            blank_before = True
            i += 1
            continue
        first = i
        raw = s
        if joins is not None:  # wrapped Markdown: normalise put each paragraph on its first line
            while i + 1 < n and joins[i + 1]:
                i += 1
        elif width is not None:
            parts = [s]
            cut = [False]  # per part: its line ends in a word the renderer cut at the width
            while i + 1 < n:
                nxt = stripped[i + 1]
                if not nxt or bullet[i + 1] or _BULLET.match(text_lines[i + 1]):
                    break
                cur = text_lines[i].rstrip()
                head = nxt.split(" ", 1)[0]
                if measure(cur) + 1 + measure(head) <= width - 1 or (
                        _indent(text_lines[i + 1]) != _indent(text_lines[i])
                        and not bullet[i] and not _BULLET.match(text_lines[i])):
                    break
                cut[-1] = (measure(cur) >= width and " " not in cur.strip()
                           and bool(_UNSPACED_SCRIPT.match(cur[-1]) and _UNSPACED_SCRIPT.match(nxt[0])))
                parts.append(nxt)
                cut.append(False)
                i += 1
            for part, was_cut in zip(parts[1:], cut):
                raw += part if was_cut or (no_space.match(raw[-1]) and no_space.match(part[0])) else " " + part
        blank_after = i + 1 >= n or not stripped[i + 1]
        text, links = raw, 0  # stripped lines, joined by at most a space: `canonical` keeps them
        if "[" in raw:
            text = canonical(raw)
            if not text:
                for k in range(first, i + 1):
                    dropped.setdefault(k, "markup")
                blank_before = True
                i += 1
                continue
            links = len(_MARKERS.findall(raw))
        # (tuple.__new__: the named tuple without its Python __new__, 2x faster)
        units.append(tuple.__new__(Unit, (text, first, i, blank_before, blank_after, links, bullet[first])))
        blank_before = False
        i += 1
    return Split(lines, units, dropped)


def split_paragraphs(texts: list[str]) -> Split | None:
    """`split_dump` of "\n\n".join(texts), for unit texts as `split_dump` makes them,
    without reading the text again: one unit per text, each with a blank line around it.
    None if a text would not come back as itself: it is not one stripped line, it is
    "References" (which `normalise` may read as lynx's trailer), or `canonical` changes
    it. The cleaner's later passes read their kept units so (0.19 -> 0.02 ms a document)."""
    if "References" in texts or any(not t or t != t.strip() or "\n" in t or ("[" in t and canonical(t) != t)
                                    for t in texts):
        return None
    units = [tuple.__new__(Unit, (t, 2 * k, 2 * k, True, True, 0, False)) for k, t in enumerate(texts)]
    return Split("\n\n".join(texts).split("\n"), units, {})


@lru_cache(maxsize=None)
def stop_sets() -> tuple[frozenset[str], ...]:
    import justext

    return tuple(frozenset(w.lower() for w in justext.get_stoplist(lang)) for lang in STOPLIST_LANGUAGES)


def doc_stoplist(tokens: list[list[str]]) -> frozenset[str]:
    """The stop list that covers most of the document's tokens (empty if none does)."""
    return best_stoplist(stoplist_scores(tokens))


def stoplist_scores(tokens: list[list[str]]) -> np.ndarray:
    """How many of the tokens each stop list of `stop_sets()` holds (integers: the
    scores of a part of a document are those of the whole less those of the rest)."""
    # Only stop words are counted: the filter runs in C, and a stop word is a third to
    # a half of a page's tokens. Each word's lists are a bit mask, so the per-list totals
    # are one integer product.
    counts = Counter(filter(_all_stop_words().__contains__, chain.from_iterable(tokens)))
    index, masks = _stop_masks()
    words = np.fromiter(map(index.__getitem__, counts), dtype=np.intp, count=len(counts))
    member = (masks[words][:, None] >> np.arange(len(STOPLIST_LANGUAGES), dtype=np.uint64)) & np.uint64(1)
    return np.fromiter(counts.values(), dtype=np.int64, count=len(counts)) @ member.astype(np.int64)


def best_stoplist(scores: np.ndarray) -> frozenset[str]:
    """The stop list with the highest score (the first of equals; empty if none scores)."""
    best = int(np.argmax(scores))
    return stop_sets()[best] if scores[best] > 0 else frozenset()


def _noun_capitals(stops: frozenset[str]) -> float:
    """The noun share to take out of the title-case ratio on a page with this stop list
    (`doc_stoplist` returns one of `stop_sets()`; 0.0: the language does not capitalise nouns)."""
    sets = stop_sets()
    return next((share for lang, share in NOUN_CAPITALS.items()
                 if stops is sets[STOPLIST_LANGUAGES.index(lang)]), 0.0)


@lru_cache(maxsize=None)
def _all_stop_words() -> frozenset[str]:
    return frozenset(_stop_masks()[0])


@lru_cache(maxsize=None)
def _stop_masks() -> tuple[dict[str, int], np.ndarray]:
    """Every stop word -> its row, and per row the stop lists holding the word as a bit
    mask (bit k: `stop_sets()[k]`)."""
    masks: dict[str, int] = {}
    for k, stops in enumerate(stop_sets()):
        for w in stops:
            masks[w] = masks.get(w, 0) | 1 << k
    return {w: i for i, w in enumerate(masks)}, np.fromiter(masks.values(), dtype=np.uint64, count=len(masks))


#: Names of the per-unit base features, in column order.
BASE_FEATURES = (
    "log_chars", "log_tokens", "stop_density", "ends_sentence", "punct_per_token",
    "digit_ratio", "titlecase_ratio", "all_caps", "bp_cookie", "bp_nav", "bp_social",
    "bp_subscribe", "bp_legal", "bp_comment", "bp_caption", "bp_tags", "bullet",
    "separators", "date_like", "reading_time", "repeat_log", "repeat_later", "rel_pos",
    "blank_before", "blank_after", "cjk_ratio", "url_like", "link_marks", "starts_lower",
    "tok_1", "tok_2_3", "tok_4_6", "tok_7_12", "tok_13_25", "tok_26_plus", "stop_zero",
    "has_colon_head", "uncased",
)
#: Base features the rules read but the line model is not shown (zero when it is
#: trained, so it gets no weight and no tree splits on it). Which script a line is
#: written in is no evidence of boilerplate; the dev sets hold too few Chinese and
#: Japanese pages to learn otherwise, and a model that saw `cjk_ratio` learned "CJK
#: text is not body" from them (stage one's weight on it was -5 on a standardised
#: scale: every Chinese paragraph scored as boilerplate).
MODEL_HIDDEN = ("cjk_ratio",)
#: The line model has two regimes (`cleaners/data/textdump_model.json`: the cased model
#: at the top level, the uncased one under "uncased"). A page most of whose units are
#: `uncased` (a script without letter case: Chinese, Japanese, Korean, Arabic, Thai ...;
#: or no capital anywhere) is read by the uncased model, trained on the dev pages and on
#: lower-cased copies of them, which judges lines without case evidence; every other
#: page by the cased model, trained on the dev pages as they are, which does not see the
#: `uncased` column. Trained as one model, the lower-cased copies cost cased pages a
#: little (benchmarks/train_textdump.py, `lowered`).
CASED_MODEL_HIDDEN = MODEL_HIDDEN + ("uncased",)
UNCASED_PAGE_MIN = 0.5
#: Base features averaged over neighbours at several window sizes.
CONTEXT_SOURCES = ("log_tokens", "stop_density", "ends_sentence", "punct_per_token", "tok_26_plus",
                   "bp_nav", "titlecase_ratio")
CONTEXT_WINDOWS = (1, 3, 8)


def uncased_page(X: np.ndarray) -> bool:
    """Whether a page (its feature rows) is read by the uncased model: at least
    UNCASED_PAGE_MIN of its units are `uncased`."""
    return bool(len(X)) and float(X[:, _IDX["uncased"]].mean()) >= UNCASED_PAGE_MIN


def feature_names() -> list[str]:
    names = list(BASE_FEATURES)
    for w in CONTEXT_WINDOWS:
        names += [f"ctx{w}_{s}" for s in CONTEXT_SOURCES]
    names += ["doc_log_units", "doc_mean_tokens"]
    return names


_STRIP = "\"'.,:;!?()[]{}<>|/«»“”‘’„–—-…•·*#@"
_END_CHARS = frozenset(".!?。！？…:;\"”»)]")
_BULLET_START = frozenset("•·▪●◦‣∙*+-–—»›>[(0123456789")


def _base_row(text: str, low_toks: list[str], stops: frozenset[str], page_cased: bool) -> list[float]:
    nchar = len(text)
    ntok = len(low_toks)
    cjk = 0.0 if text.isascii() else len(_CJK.findall(text)) / nchar
    if not text.isascii() and len(_NO_SPACE.findall(text)) / nchar > UNSPACED_MIN_RATIO:
        # Chinese and Japanese are not split by spaces: count characters as words, the
        # share of function characters as the stop density.
        ntok_eff = max(1, int(nchar / CJK_CHARS_PER_WORD))
        stop = min(1.0, len(_CJK_STOP.findall(text)) / nchar)
    else:
        ntok_eff = ntok
        stop = sum(map(stops.__contains__, low_toks)) / ntok if ntok else 0.0
    words = text.split()
    alpha = upper = cased = 0
    for t in words:
        c = t[0]
        if c.isalpha():
            alpha += 1
            if c.isupper():
                upper += 1
                cased += 1
            elif c.islower():
                cased += 1
    if not page_cased:  # no capital anywhere on the page: case is no evidence here
        cased = 0
    title = upper / cased if cased else (UNCASED_TITLECASE if alpha else 0.0)
    if cased and (share := _noun_capitals(stops)):
        title = max(0.0, (title - share) / (1.0 - share))
    all_caps = 1.0 if nchar >= 4 and alpha and cased == alpha and text.isupper() else 0.0
    low = text.lower()
    bpm = boilerplate_mask(low, low_toks)
    bp = [float(bpm >> b & 1) for b in range(len(_BP_KEYS))]
    ndig = sum(map(text.count, "0123456789"))
    npunct = (text.count(".") + text.count(",") + text.count(";") + text.count(":")
              + text.count("!") + text.count("?") + sum(map(text.count, "，。、；：！？")))
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
        1.0 if ndig >= 4 and ntok_eff <= 12 and FEATURE_DATE_RE.search(text) else 0.0,
        1.0 if ndig and ntok_eff <= 8 and READING_TIME_RE.match(text) else 0.0,
        0.0, 0.0, 0.0, 0.0, 0.0,  # repetition, position, blanks: filled by the caller
        cjk,
        1.0 if "http" in low or "www." in low or "@" in low else 0.0,
        min(5, len(_LINKMARK.findall(text))) / 5.0 if "[" in text else 0.0,
        1.0 if c0.islower() and page_cased else 0.0,
        1.0 if ntok_eff <= 1 else 0.0,
        1.0 if 2 <= ntok_eff <= 3 else 0.0,
        1.0 if 4 <= ntok_eff <= 6 else 0.0,
        1.0 if 7 <= ntok_eff <= 12 else 0.0,
        1.0 if 13 <= ntok_eff <= 25 else 0.0,
        1.0 if ntok_eff >= 26 else 0.0,
        1.0 if stop == 0.0 else 0.0,
        1.0 if head and len(head.split()) <= 4 else 0.0,
        1.0 if alpha and not cased else 0.0,
    ]


def unit_tokens(text: str) -> list[str]:
    """Lower-cased whitespace tokens with edge punctuation stripped (fast, not \\w+)."""
    words = text.lower().split()
    return list(filter(None, map(str.strip, words, repeat(_STRIP, len(words)))))


_IDX = {n: i for i, n in enumerate(BASE_FEATURES)}


def _window_means(col: np.ndarray, windows: tuple[int, ...]) -> np.ndarray:
    """Mean of col (one column, or each column of a matrix) over rows [i-w, i+w]
    excluding row i, clipped at the ends, for each w of `windows` (the first axis of the
    result). All windows in one go, from one cumulative sum: the same arithmetic as one
    window at a time, element for element, at a third of the numpy calls (0.16 -> 0.08 ms
    a pass for its eight windows)."""
    n = len(col)
    c = np.concatenate((np.zeros((1,) + col.shape[1:]), np.cumsum(col, axis=0)))
    idx = np.arange(n)
    w = np.asarray(windows)[:, None]
    lo = np.maximum(0, idx - w)
    hi = np.minimum(n, idx + w + 1)
    total = c[hi] - c[lo] - col
    count = (hi - lo - 1).astype(float)
    if col.ndim > 1:
        count = count[:, :, None]
    return np.where(count > 0, total / np.maximum(count, 1), 0.0)


def features_reference(units: list[Unit], tokens: list[list[str]] | None = None) -> np.ndarray:
    """The feature matrix by its definition, one `_base_row` per unit: slow, kept as the
    specification that the vectorised `features` is tested against."""
    n = len(units)
    if n == 0:
        return np.zeros((0, len(feature_names())))
    if tokens is None:
        tokens = [unit_tokens(u.text) for u in units]
    stops = doc_stoplist(tokens)
    page_cased = any(w[0].isalpha() and w[0].isupper() for u in units for w in u.text.split())
    base = np.array([_base_row(u.text, t, stops, page_cased) for u, t in zip(units, tokens)], dtype=float)
    return _with_context(units, [" ".join(t) for t in tokens], base)


_BLANK_BEFORE, _BLANK_AFTER = attrgetter("blank_before"), attrgetter("blank_after")


def _with_context(units: list[Unit], keys: list[str], base: np.ndarray) -> np.ndarray:
    """Fill the document-level base columns (repetition, position, blank lines) and
    append the neighbour averages and the document columns (`keys`: the units' tokens
    joined by spaces)."""
    n = len(units)
    counts = Counter(keys)
    first = dict(zip(reversed(keys), range(n - 1, -1, -1)))  # key -> index of its first unit
    nonempty = np.fromiter(map(bool, keys), dtype=bool, count=n)
    rep = np.fromiter(map(math.log, map(counts.__getitem__, keys)), dtype=float, count=n)
    base[:, _IDX["repeat_log"]] = np.where(nonempty, rep, 0.0)
    base[:, _IDX["repeat_later"]] = nonempty & (np.fromiter(map(first.__getitem__, keys), dtype=np.intp, count=n)
                                                != np.arange(n))
    base[:, _IDX["rel_pos"]] = np.arange(n) / max(1, n - 1)
    base[:, _IDX["blank_before"]] = np.fromiter(map(_BLANK_BEFORE, units), dtype=bool, count=n)
    base[:, _IDX["blank_after"]] = np.fromiter(map(_BLANK_AFTER, units), dtype=bool, count=n)
    cols = [base, *_window_means(base[:, [_IDX[s] for s in CONTEXT_SOURCES]], CONTEXT_WINDOWS)]
    doc = np.empty((n, 2))
    doc[:, 0] = math.log1p(n)
    doc[:, 1] = float(base[:, _IDX["log_tokens"]].mean())
    cols.append(doc)
    return np.concatenate(cols, axis=1)

# --- vectorised features -------------------------------------------------------------------
# `features` computes the same matrix as `_base_row` per unit (the readable definition, kept
# as `features_reference` and checked equal by tests/test_textdump_features.py), but per
# document: character classes come from one code-point array of the whole dump, counted per
# unit with cumulative sums; only the rare units that need a regex (dates, reading times,
# bullets, link markers, separators) are looked at one by one.

(_F_SPACE, _F_ALPHA, _F_UPPER, _F_LOWER, _F_DIGIT, _F_PUNCT, _F_CJK, _F_CJKSTOP, _F_END,
 _F_BSTART, _F_SEP, _F_UNSPACED) = (1 << k for k in range(12))
_PUNCT_CHARS = frozenset(".,;:!?，。、；：！？")
_CJK_STOP_CHARS = frozenset(CJK_FUNCTION_CHARS)
_SEP_CHARS = frozenset("|·•›»/")


def _char_flags(c: str) -> int:
    o = ord(c)
    return ((_F_SPACE if c.isspace() else 0) | (_F_ALPHA if c.isalpha() else 0)
            | (_F_UPPER if c.isupper() else 0) | (_F_LOWER if c.islower() else 0)
            | (_F_DIGIT if "0" <= c <= "9" else 0) | (_F_PUNCT if c in _PUNCT_CHARS else 0)
            | (_F_CJK if (0x3040 <= o <= 0x30FF or 0x3400 <= o <= 0x4DBF or 0x4E00 <= o <= 0x9FFF
                          or 0xAC00 <= o <= 0xD7AF) else 0)
            | (_F_CJKSTOP if c in _CJK_STOP_CHARS else 0) | (_F_END if c in _END_CHARS else 0)
            | (_F_BSTART if c in _BULLET_START else 0) | (_F_SEP if c in _SEP_CHARS else 0)
            | (_F_UNSPACED if _NO_SPACE.match(c) else 0))


@lru_cache(maxsize=1)
def _char_table() -> np.ndarray:
    """Class flags of every code point of the Basic Multilingual Plane."""
    return np.array([_char_flags(chr(i)) for i in range(0x10000)], dtype=np.uint16)


def _code_point_flags(joined: str) -> np.ndarray:
    cp = code_points(joined)
    flags = _char_table().take(np.minimum(cp, 0xFFFF))
    for i in np.flatnonzero(cp > 0xFFFF):  # emoji, historic scripts: rare
        flags[i] = _char_flags(chr(cp[i]))
    return flags


def _per_unit(masks: np.ndarray, start: np.ndarray) -> np.ndarray:
    """Per-unit sums of the rows of a (k, code points) boolean matrix. Unit i spans
    [start[i], start[i+1]): its text and the newline after it, which no counted class
    includes. (32-bit sums: 1.5x faster than 64-bit ones, and a unit is far shorter
    than 2**31 characters.)"""
    return np.add.reduceat(masks.view(np.uint8), start, axis=1, dtype=np.int32)


def features(units: list[Unit], tokens: list[list[str]] | None = None) -> np.ndarray:
    """Feature matrix, one row per unit, columns as `feature_names()`. `tokens` are the
    units' `unit_tokens` when the caller already has them."""
    return unit_features(units, tokens)[0]


def unit_features(units: list[Unit], tokens: list[list[str]] | None = None,
                  reuse: tuple[frozenset[str], np.ndarray] | None = None,
                  keys: list[str] | None = None,
                  stops: frozenset[str] | None = None) -> tuple[np.ndarray, frozenset[str]]:
    """`features`, and the stop list it used. `reuse`: (stop list, feature matrix) of an
    earlier call on units with the same texts in the same order (the cleaner's next pass
    over its kept units); when the stop list is the same, the per-unit columns are taken
    from it and only the document-level ones are recomputed. `keys` (the tokens joined by
    spaces) and `stops` (`doc_stoplist(tokens)`): when the caller has them."""
    n = len(units)
    if n == 0:
        return np.zeros((0, len(feature_names()))), frozenset()
    texts = [u.text for u in units]
    if tokens is None:
        tokens = [unit_tokens(t) for t in texts]
    if keys is None:
        keys = [" ".join(t) for t in tokens]
    if stops is None:
        stops = doc_stoplist(tokens)
    if reuse is not None and reuse[0] is stops and len(reuse[1]) == n:
        base = reuse[1][:, :len(BASE_FEATURES)].copy()
        return _with_context(units, keys, base), stops
    lows = [t.lower() for t in texts]
    nchar = np.fromiter(map(len, texts), dtype=np.int64, count=n)
    start = np.concatenate(([0], np.cumsum(nchar + 1)[:-1]))
    end = start + nchar
    flags = _code_point_flags("\n".join(texts))
    has = lambda bit: (flags & bit) != 0  # noqa: E731
    space = has(_F_SPACE)
    word_start = ~space & np.concatenate(([True], space[:-1]))
    alpha_start = word_start & has(_F_ALPHA)
    n_alpha, n_upper, n_cased, n_digit, n_punct, n_cjk, n_unspaced, n_cjkstop, n_sepchar = _per_unit(
        np.stack([alpha_start, alpha_start & has(_F_UPPER), alpha_start & has(_F_UPPER | _F_LOWER),
                  has(_F_DIGIT), has(_F_PUNCT), has(_F_CJK), has(_F_UNSPACED), has(_F_CJKSTOP),
                  has(_F_SEP)]), start)
    first_flags, last_flags = flags[start], flags[end - 1]

    ntok = np.fromiter(map(len, tokens), dtype=np.int64, count=n)
    ascii_ = np.fromiter(map(str.isascii, texts), dtype=bool, count=n)
    cjk = np.where(ascii_, 0.0, n_cjk / nchar)
    is_cjk = np.where(ascii_, 0.0, n_unspaced / nchar) > UNSPACED_MIN_RATIO
    ntok_eff = np.where(is_cjk, np.maximum(1, (nchar / CJK_CHARS_PER_WORD).astype(np.int64)), ntok)
    contains = stops.__contains__
    n_stop = np.fromiter((sum(map(contains, t)) for t in tokens), dtype=np.int64, count=n)
    stop = np.where(is_cjk, np.minimum(1.0, n_cjkstop / nchar),
                    np.divide(n_stop, ntok, out=np.zeros(n), where=ntok > 0))

    base = np.zeros((n, len(BASE_FEATURES)))
    col = lambda name: _IDX[name]  # noqa: E731
    base[:, col("log_chars")] = list(map(math.log1p, nchar.tolist()))  # math's, to the last bit
    base[:, col("log_tokens")] = list(map(math.log1p, ntok_eff.tolist()))
    base[:, col("stop_density")] = stop
    base[:, col("ends_sentence")] = (last_flags & _F_END) != 0
    base[:, col("punct_per_token")] = np.divide(n_punct, ntok_eff, out=np.zeros(n), where=ntok_eff > 0)
    base[:, col("digit_ratio")] = n_digit / nchar
    page_cased = bool(n_upper.any())  # no capital anywhere on the page: case is no evidence here
    cased = (n_cased > 0) & page_cased
    title = np.divide(n_upper, n_cased, out=np.zeros(n), where=n_cased > 0)
    if share := _noun_capitals(stops):
        title = np.maximum(0.0, (title - share) / (1.0 - share))
    base[:, col("titlecase_ratio")] = np.where(cased, title, np.where(n_alpha > 0, UNCASED_TITLECASE, 0.0))
    base[:, col("uncased")] = (n_alpha > 0) & ~cased
    upper = np.fromiter(map(str.isupper, texts), dtype=bool, count=n)
    base[:, col("all_caps")] = (nchar >= 4) & (n_alpha > 0) & (n_cased == n_alpha) & upper
    bpm = boilerplate_masks(lows, tokens)
    if bpm.any():
        bp0 = _IDX["bp_cookie"]
        base[:, bp0:bp0 + len(_BP_KEYS)] = (bpm[:, None] >> np.arange(len(_BP_KEYS))) & 1
    for i in np.flatnonzero(first_flags & _F_BSTART):
        base[i, col("bullet")] = 1.0 if _BULLET.match(texts[i]) else 0.0
    for i in np.flatnonzero(n_sepchar):
        t = texts[i]
        nsep = t.count("|") + t.count(" · ") + t.count(" • ") + t.count(" › ") + t.count(" » ") + t.count(" / ")
        base[i, col("separators")] = min(5, nsep) / 5.0
    for i in np.flatnonzero((n_digit >= 4) & (ntok_eff <= 12)):
        t = texts[i]
        base[i, col("date_like")] = 1.0 if has_date(t, FEATURE_DATE_RE) else 0.0
    for i in np.flatnonzero((n_digit > 0) & (ntok_eff <= 8)):
        base[i, col("reading_time")] = 1.0 if READING_TIME_RE.match(texts[i]) else 0.0
    base[:, col("cjk_ratio")] = cjk
    base[:, col("url_like")] = [("http" in low or "www." in low or "@" in low) for low in lows]
    for i, t in enumerate(texts):
        if "[" in t:
            base[i, col("link_marks")] = min(5, len(_LINKMARK.findall(t))) / 5.0
        if ":" in t[:40]:
            head = t.split(":", 1)[0]
            base[i, col("has_colon_head")] = 1.0 if head and len(head.split()) <= 4 else 0.0
    base[:, col("starts_lower")] = ((first_flags & _F_LOWER) != 0) & page_cased
    for name, lo, hi in (("tok_1", 0, 1), ("tok_2_3", 2, 3), ("tok_4_6", 4, 6), ("tok_7_12", 7, 12),
                         ("tok_13_25", 13, 25), ("tok_26_plus", 26, None)):
        base[:, col(name)] = (ntok_eff >= lo) & (True if hi is None else ntok_eff <= hi)
    base[:, col("stop_zero")] = stop == 0.0
    return _with_context(units, keys, base), stops


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
    cols += list(_window_means(p1, STAGE2_WINDOWS))
    pad = np.concatenate((np.zeros(3), p1, np.zeros(3)))
    before = np.maximum(np.maximum(pad[:n], pad[1:n + 1]), pad[2:n + 2])
    after = np.maximum(np.maximum(pad[4:n + 4], pad[5:n + 5]), pad[6:n + 6])
    cb = np.concatenate(([0.0], np.maximum.accumulate(p1)[:-1]))
    ca = np.concatenate((np.maximum.accumulate(p1[::-1])[::-1][1:], [0.0]))
    cols += [before, after, cb, ca, np.full(n, p1.mean()), np.full(n, float((p1 > 0.5).mean()))]
    return np.stack(cols, axis=1)
