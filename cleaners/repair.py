"""Step `repair`: ftfy fixes mojibake in the extracted fields (text, title, author).

Runs after `extract` rather than on the whole page: ftfy over a 280 KB HTML page costs
110-210 ms, over its body about 2 ms (measured on the wcxb dev pages).
`uncurl_quotes` is off by default: typographic quotes and dashes are not encoding errors.
When ftfy changed a field, provenance keeps its replayable plan (`fix_and_explain`).

Most fields need nothing but Unicode normalisation, so `needs_ftfy` first asks whether any
of ftfy's fixes could apply, from ftfy's own tables (see `needs_ftfy`).
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache

import ftfy
import numpy as np
from ftfy import chardata, fixes
from ftfy.badness import BADNESS_RE, is_bad

from cleaners.codepoints import code_points, every_character
from cleaners.config import RepairConfig
from cleaners.record import Document

try:  # the parsed form of ftfy's BADNESS_RE (see _badness_keys); private to Python
    import re._parser as sre_parse
except ImportError:  # pragma: no cover - then is_bad runs on every non-ASCII text
    sre_parse = None

STAGE = "repair"
FIELDS = ("text", "title", "author")


@lru_cache(maxsize=8)
def _ftfy_config(uncurl_quotes: bool, normalization: str | None) -> ftfy.TextFixerConfig:
    return ftfy.TextFixerConfig(
        uncurl_quotes=uncurl_quotes,
        normalization=normalization,
        unescape_html=False,  # entities are the HTML parser's job; in a dump '&amp;' may be literal
        explain=True,
    )


# --- the gate: could ftfy change more than the normalisation? ---------------------------
#
# With docprep's config ftfy changes a text in two ways only:
# 1. Fixers of single characters: fix_latin_ligatures, fix_character_width, fix_line_breaks,
#    fix_surrogates, fix_c1_controls, remove_terminal_escapes, remove_control_chars (and
#    uncurl_quotes when enabled). Each changes a text exactly when it holds one of its
#    characters (`_fixer_characters`).
# 2. fix_encoding, which returns the text unchanged unless `ftfy.badness.is_bad(text)` (its
#    own first test, before any decoding attempt). is_bad costs 2.2 ms on an 11,000-character
#    body, so it runs only on texts holding what every match of its regex holds
#    (`_badness_keys`): 16 of the 1,783 dev bodies.

_LINE_BREAKS = "\r\u2028\u2029\x85"  # what fixes.fix_line_breaks replaces (ftfy keeps no table of them)
_ESCAPE = "\x1b"  # every terminal escape fixes.remove_terminal_escapes removes starts with it


def _matching(single_char_regex: re.Pattern[str]) -> set[int]:
    """The code points of the Basic Multilingual Plane a one-character regex matches."""
    return {m.start() for m in single_char_regex.finditer(every_character(0x10000))}


def _fixer_characters(uncurl_quotes: bool) -> set[int]:
    """Code points that one of ftfy's character fixers changes, from ftfy's own tables."""
    chars = set(chardata.LIGATURES) | set(chardata.WIDTH_MAP) | set(chardata.CONTROL_CHARS)
    chars |= _matching(chardata.C1_CONTROL_RE) | _matching(fixes.SURROGATE_RE)
    chars |= set(map(ord, _LINE_BREAKS + _ESCAPE))
    if uncurl_quotes:
        chars |= _matching(chardata.SINGLE_QUOTE_RE) | _matching(chardata.DOUBLE_QUOTE_RE)
    return chars


def _item_chars(op, av) -> set[int] | None:
    """The characters one parsed regex item matches, if it matches exactly one character
    from a plain set (a literal or a class without categories or negation)."""
    if op is sre_parse.LITERAL:
        return {av}
    if op is sre_parse.IN and all(o in (sre_parse.LITERAL, sre_parse.RANGE) for o, _ in av):
        out: set[int] = set()
        for o, a in av:
            out.update([a] if o is sre_parse.LITERAL else range(a[0], a[1] + 1))
        return out
    return None


def _badness_keys() -> tuple[set[int], list[tuple[set[int], set[int]]]] | None:
    """What every match of ftfy's BADNESS_RE contains, alternative by alternative: two
    adjacent characters from its first two adjacent one-character items of non-ASCII
    characters (a pair of sets), else a character of its first such item (a single).
    None when some alternative has neither: then is_bad runs on every non-ASCII text."""
    if sre_parse is None or BADNESS_RE.flags & re.IGNORECASE:
        return None
    try:  # Python's regex parser is private: if its shape changes, is_bad runs more often
        tree = sre_parse.parse(BADNESS_RE.pattern, BADNESS_RE.flags)
        alternatives = tree[0][1][1] if len(tree) == 1 and tree[0][0] is sre_parse.BRANCH else [tree]
        return _keys_of(alternatives)
    except Exception:  # noqa: BLE001 - a fallback, never wrong, only slower
        return None


def _keys_of(alternatives) -> tuple[set[int], list[tuple[set[int], set[int]]]] | None:
    singles: set[int] = set()
    pairs: list[tuple[set[int], set[int]]] = []
    for alt in alternatives:
        items = [_item_chars(op, av) for op, av in alt]
        items = [s if s and min(s) >= 0x80 else None for s in items]
        pair = next(((a, b) for a, b in zip(items, items[1:]) if a and b), None)
        if pair:
            pairs.append(pair)
        elif any(items):
            singles |= next(s for s in items if s)
        else:
            return None
    return singles, pairs


# Flags per code point of the Basic Multilingual Plane (astral characters share U+FFFF's
# entry: no key is astral today, and one would only make the gate say yes more often).
_FIXER, _BAD_SINGLE = np.uint64(1), np.uint64(2)  # bits 2-63: the first/second of a badness pair
_PAIR_FIRST = ~(_FIXER | _BAD_SINGLE)


@dataclass(frozen=True)
class _Gate:
    marked: np.ndarray  # bool per code point (all of Unicode): in one of the tables below
    first: np.ndarray  # uint64 flags per BMP code point: _FIXER, _BAD_SINGLE, first of pair k
    second: np.ndarray  # uint64 flags per BMP code point: second of pair k
    ascii_fixer: re.Pattern[str]  # the ASCII fixer characters


@lru_cache(maxsize=2)
def _gate(uncurl_quotes: bool) -> _Gate:
    first = np.zeros(0x10000, dtype=np.uint64)
    second = np.zeros(0x10000, dtype=np.uint64)

    def mark(table: np.ndarray, chars: set[int], bit: np.uint64) -> None:
        table[np.minimum(np.fromiter(chars, dtype=np.int64, count=len(chars)), 0xFFFF)] |= bit

    fixer = _fixer_characters(uncurl_quotes)
    mark(first, fixer, _FIXER)
    keys = _badness_keys()
    if keys is None:
        mark(first, set(range(0x80, 0x10000)), _BAD_SINGLE)
    else:
        singles, pairs = keys
        mark(first, singles, _BAD_SINGLE)
        for k, (a, b) in enumerate(pairs):
            bit = np.uint64(1 << (2 + k % 62))  # sharing a bit only adds candidates
            mark(first, a, bit)
            mark(second, b, bit)
    marked = np.zeros(0x110000, dtype=bool)
    marked[:0x10000] = first != 0
    marked[0x10000:] = first[0xFFFF] != 0
    ascii_fixer = re.compile("[" + "".join(re.escape(chr(c)) for c in sorted(fixer) if c < 0x80) + "]")
    return _Gate(marked, first, second, ascii_fixer)


def needs_ftfy(text: str, uncurl_quotes: bool = False) -> bool:
    """False only when ftfy (with docprep's config) would change nothing but Unicode
    normalisation in one pass over `text`. 0.05 ms per dev document (its three fields, is_bad
    included); the regex approximation it replaced took 0.27 ms, sent 3.6% of the fields to
    ftfy instead of 1.0%, and missed ligatures, BOMs, U+3000 and mojibake like "aÂ split"."""
    gate = _gate(uncurl_quotes)
    if text.isascii():  # no mojibake in ASCII (ftfy's fix_encoding skips it too): 0.03 ms
        return gate.ascii_fixer.search(text) is not None
    cp = code_points(text)
    # Only the few marked characters are looked up in the wide tables: take() on a bool
    # table is 0.01 ms against 0.035 ms for each uint64 table over every character.
    at = np.flatnonzero(gate.marked.take(cp))
    if not len(at):
        return False
    flags = gate.first.take(np.minimum(cp[at], 0xFFFF))
    if (flags & _FIXER).any():
        return True
    if (flags & _BAD_SINGLE).any():
        return is_bad(text)
    starts = ((flags & _PAIR_FIRST) != 0) & (at + 1 < len(cp))
    after = gate.second.take(np.minimum(cp[at[starts] + 1], 0xFFFF))
    return is_bad(text) if (flags[starts] & after).any() else False


def fix_text(text: str, cfg: RepairConfig) -> tuple[str, list[list[str]] | None]:
    """(fixed text, ftfy's plan if it changed anything)."""
    form = cfg.normalization
    if needs_ftfy(text, cfg.uncurl_quotes):
        return _ftfy(text, cfg)
    if form is None or unicodedata.is_normalized(form, text):
        return text, None
    normal = unicodedata.normalize(form, text)
    if needs_ftfy(normal, cfg.uncurl_quotes):
        # ftfy passes over its own output again: normalising can compose mojibake
        # ("A" + U+0303 + "©" -> "Ã©") or fixer characters.
        return _ftfy(text, cfg)
    return normal, [["normalize", form]]


def _ftfy(text: str, cfg: RepairConfig) -> tuple[str, list[list[str]] | None]:
    fixed, plan = ftfy.fix_and_explain(text, config=_ftfy_config(cfg.uncurl_quotes, cfg.normalization))
    return fixed, ([list(step) for step in plan or ()] if fixed != text else None)


def repair(doc: Document, cfg: RepairConfig) -> Document:
    if not cfg.fix_encoding:
        return doc
    changed = {}
    for field in FIELDS:
        value = getattr(doc, field)
        if value:
            fixed, plan = fix_text(value, cfg)
            if plan is not None:
                setattr(doc, field, fixed)
                changed[field] = plan
    return doc.did(STAGE, ftfy=changed or None)
