"""Renderer normalisation: make a w3m or lynx dump look like an html_text dump.

The text-dump model learned its features on html_text dumps. w3m -dump and lynx -dump
render the same page with habits that have nothing to do with boilerplate:

- they hard-wrap paragraphs at a fixed width (`wrap_width`; `units_of` joins the lines
  of a paragraph back);
- they mark list items with a bullet per nesting level at fixed indents (w3m `•□☆○■`
  at columns 2, 6, 10…; lynx `*+o#@` at columns 5, 10, 15…), and ordered-list items
  with their number, where html_text writes the bare item (`strip_bullet`,
  `strip_number`);
- they show images and form fields as markers (`[logo.png]`, `[facebook-i]`, `[ ]`,
  `(BUTTON)`, `____`) where html_text shows nothing (`drop_artefacts`);
- lynx appends a "References" list of every link's URL (`reference_list_start`), opens
  with the page's <link> elements ("#[1]RSS Feed [2]alternate", `link_header_end`) and
  shows frames as "IFRAME: https://…" lines.

A Markdown dump (what full-page HTML-to-Markdown converters give: Jina Reader, Firecrawl,
crawl4ai, markdownify, html2text) carries its markup as text: `[Home](/)` links with their
URLs, `![logo](/a.png)` images, `#` headings, `*`/`-`/`1.` list markers, `**emphasis**`,
`>` quotes, code fences, table pipes and rules. `markdown_line` turns each line into what
html_text shows of it, a link's text kept behind a link marker as lynx writes it
("[0]Home": `canonical` counts and drops it), images and rules gone (`is_markdown`
decides whether a dump is Markdown); a paragraph hard-wrapped by its converter, or a link
or URL broken over lines, is read whole (`markdown_joins`), and a link around several
blocks (a teaser card) as those blocks (`card_links`).

`normalise` applies all of them to a dump's lines and returns one line per input line
(a dropped line becomes empty), so every verdict still names an input line. An html_text
dump passes through unchanged: it has no indented lines, no wrapping, no trailer.
Pure functions; the cases are data in tests/cases/textdump_render.json.
"""
from __future__ import annotations

import re
import unicodedata
from collections import Counter
from dataclasses import dataclass
from functools import lru_cache
from typing import Callable

# East Asian wide and fullwidth characters: two columns each in a terminal renderer.
_WIDE = re.compile(
    "[\u1100-\u115f\u2e80-\u303e\u3041-\u33ff\u3400-\u4dbf\u4e00-\u9fff\ua000-\ua4cf"
    "\uac00-\ud7a3\uf900-\ufaff\ufe30-\ufe4f\uff00-\uff60\uffe0-\uffe6]"
)


_LINK_NUMBER = re.compile(r"\[\d+\]")


@lru_cache(maxsize=1)
def _zero_width() -> re.Pattern[str]:
    """Combining marks (Unicode categories Mn and Me, Basic Multilingual Plane): drawn on
    the character before them, no column of their own in a terminal (Thai vowel and
    tone marks, Devanagari vowel signs, Arabic and Hebrew points, combining accents).
    Built from Python's Unicode database on first use (~10 ms)."""
    ranges: list[list[int]] = []
    for c in range(0x300, 0x10000):
        if unicodedata.category(chr(c)) in ("Mn", "Me"):
            if ranges and ranges[-1][1] == c - 1:
                ranges[-1][1] = c
            else:
                ranges.append([c, c])
    return re.compile("[" + "".join(f"\\u{a:04x}-\\u{b:04x}" for a, b in ranges) + "]")


def char_width(text: str) -> int:
    """Characters of text as lynx fills them: one per character (CJK too), none for
    its link numbers ("[12]": it wraps the text first and numbers the links after, so
    a line with links overshoots the width)."""
    if "[" in text:
        text = _LINK_NUMBER.sub("", text)
    return len(text)


def display_width(text: str) -> int:
    """Terminal columns of text as w3m fills them: CJK characters take two (w3m wraps
    Chinese at 40 characters), combining marks none (a Thai line of 80 columns holds
    ~90 characters), link numbers none (as `char_width`)."""
    if "[" in text:
        text = _LINK_NUMBER.sub("", text)
    if text.isascii():
        return len(text)
    return len(text) + len(_WIDE.findall(text)) - len(_zero_width().findall(text))


#: A width must hold at least this share of the long lines to be the fill width (one
#: wide table row or unbreakable token is not the width the prose was wrapped at).
WRAP_MIN_SHARE = 0.02
#: Columns a wrapped line may exceed the fill width by (w3m and lynx overshoot by one
#: or two on some punctuation).
WRAP_SLACK = 2


def wrap_width(lines: list[str], measure: Callable[[str], int] = display_width,
               refine: bool = True) -> int | None:
    """The fill width of a hard-wrapped dump, or None when lines are not wrapped.

    A renderer that wraps (w3m, lynx) fills most of its longer lines to within a few
    columns of one width of 50–110 columns and writes (bar unbreakable URLs, tables) no
    longer line; html_text and HTML extractors never do. With `refine`, a width must
    hold WRAP_MIN_SHARE of the long lines and lines may overshoot it by WRAP_SLACK;
    without, the widest width with any line is taken and nothing may overshoot it.
    `measure` counts at most two columns a character (`len`, `char_width`,
    `display_width`), so a line of fewer than 20 characters is not measured (most are).
    """
    lens = [measure(l.rstrip()) for l in lines
            if len(l) >= 20 and "://" not in l and measure(l.strip()) >= 40]
    if len(lens) < 5 or min(lens) > 110:
        return None
    counts = Counter(lens)
    floor = max(2, WRAP_MIN_SHARE * len(lens)) if refine else 1
    slack = WRAP_SLACK if refine else 0
    for width in range(110, 49, -1):
        if counts.get(width, 0) >= floor and sum(counts.get(w, 0) for w in range(width - 12, width + 1)) >= 0.25 * len(lens):
            longer = sum(c for w, c in counts.items() if w > width + slack)
            return width if longer <= 0.1 * len(lens) else None
    return None


#: Fewest wrapped-line pairs `wrap_width_of_pairs` decides on.
WRAP_MIN_PAIRS = 3


def wrap_width_of_pairs(lines: list[str], measure: Callable[[str], int] = display_width) -> int | None:
    """The fill width of a short wrapped dump, from its line breaks rather than its line
    lengths (`wrap_width` needs two long lines of one width, which a dump of a few
    paragraphs may not have).

    A renderer breaks a line before a word that would overshoot the width W: for a long
    line followed by a line of the same paragraph (non-blank, same indent),
    len(line) <= W + WRAP_SLACK and len(line) + 1 + len(next line's first word) > W - 1.
    Each such pair allows an interval of widths; the widest W of 50–110 that every pair
    allows, with at least WRAP_MIN_PAIRS pairs and no long line beyond it, is the width.
    Lines that are separate blocks (a menu, a list of headlines) may allow a common
    width too when their lengths are alike, but they open with a capital: at least half
    the continuation lines must open in lower case (so text without case, such as
    Chinese, gets no width here).

    Checked on windows of 15 lines of the dev sets' full w3m and lynx renderings, against
    the joins `wrap_width` gives the whole dump: the same join decision for 99.7% (w3m)
    and 96.8% (lynx) of adjacent line pairs; the rest are mostly extra joins.
    """
    allowed: list[tuple[int, int]] = []
    lower = 0
    longest = 0
    for cur, nxt in zip(lines, lines[1:]):
        if "://" in cur:
            continue
        size = measure(cur.rstrip())
        if measure(cur.strip()) < 40:
            continue
        longest = max(longest, size)
        head = nxt.strip().split(" ", 1)[0]
        if not head or len(cur) - len(cur.lstrip()) != len(nxt) - len(nxt.lstrip()):
            continue
        allowed.append((size - WRAP_SLACK, size + measure(head) + 1))
        lower += head[0].islower()
    if len(allowed) < WRAP_MIN_PAIRS or 2 * lower < len(allowed):
        return None
    lo = max(50, max(a for a, _ in allowed), longest - WRAP_SLACK)
    hi = min(110, min(b for _, b in allowed))
    return hi if lo <= hi else None


def wrap_measure(lines: list[str], rendered: bool = True,
                 lynx: bool = False) -> tuple[int | None, Callable[[str], int]]:
    """(fill width, the measure it is in). A dump laid out by a terminal renderer
    (`rendered`: see `normalise`) is measured in display columns as w3m fills them, or,
    when it holds non-ASCII text not wrapped in columns, in characters as lynx fills
    them (a CJK character or a combining mark is one), with the refined width; `lynx`
    (the dump has lynx's layout: its margin, header or trailer) tries characters first.
    Any other text is measured as it was before renderer normalisation existed: in
    characters, width unrefined, so html_text dumps (and the model trained on them and
    on clean bodies) are unchanged."""
    if not rendered:
        return wrap_width(lines, len, refine=False), len
    if all(map(str.isascii, lines)):
        return wrap_width(lines, display_width) or wrap_width_of_pairs(lines, display_width), display_width
    for measure in (char_width, display_width) if lynx else (display_width, char_width):
        width = wrap_width(lines, measure)
        if width is not None:
            return width, measure
    return wrap_width_of_pairs(lines, display_width), display_width


# Bullets by nesting level: lynx indents level k by 5k columns, w3m by 2 + 4(k-1).
_LYNX_BULLETS = "*+o#@"
_W3M_BULLET = re.compile(r"( +)[•□☆○■●◦▪](?: +|$)")
_LYNX_BULLET = re.compile(r"( {5,})([*+o#@])(?: +|$)")


def strip_bullet(line: str) -> tuple[str, bool]:
    """(line without its renderer bullet, whether it had one). The bullet becomes spaces,
    so the item's wrapped lines keep their indent. Only indented lines are looked at
    (html_text never indents); lynx's bullets only at their level's exact column, so a
    Portuguese "o" opening a wrapped line is not taken for one."""
    if not line.startswith(" "):
        return line, False
    m = _W3M_BULLET.match(line)
    if m is None:
        m = _LYNX_BULLET.match(line)
        if m is None:
            return line, False
        indent = len(m.group(1))
        if indent % 5 or _LYNX_BULLETS[(indent // 5 - 1) % 5] != m.group(2):
            return line, False
    return " " * m.end() + line[m.end():], True


# An ordered-list item's number, right-aligned so that its dot ends at the level's
# column: w3m 3, 7, 11… (" 1. Home", "10. Home"), lynx 6, 11, 16… ("    1. Home"). Of
# the "N. " line openings in the dev renderings (lynx's reference list aside), 64% (w3m)
# and 41% (lynx) are there; most of the rest (w3m column 2, lynx 2 and 5: at the margin)
# are the page's own numbered text ("1. Key insights"), which html_text shows as well.
_NUMBER = re.compile(r" *\d{1,3}(\.)(?: +|$)")


def strip_number(line: str, lynx: bool) -> tuple[str, bool]:
    """(line without its renderer's ordered-list number, whether it had one): what
    `strip_bullet` does for bullets, for the numbers w3m and lynx write where html_text
    writes the bare item. `lynx`: the dump has lynx's layout (its columns)."""
    if not line[:1].isdigit() and not line.startswith(" "):
        return line, False
    m = _NUMBER.match(line)
    if m is None:
        return line, False
    dot = m.end(1)  # the column after the dot
    if not (dot % 5 == 1 and dot >= 6 if lynx else dot % 4 == 3):
        return line, False
    return " " * m.end() + line[m.end():], True


# Image markers (a file name or truncated alt text in brackets, no spaces), form fields
# (check boxes, text inputs, buttons) and empty insertion marks.
_ARTEFACT = re.compile(
    r"\[[^\]\s]{0,60}\]|\[[ _]*\]|\[(?:X|\*|\+| LOADING|BUTTON[^\]]*)\]|\(BUTTON\)|\(\*\)|\( \)|"
    r"\[INS:\s*:INS\]|_{4,}"
)


def drop_artefacts(line: str) -> str:
    """A rendered line without its image markers and form fields (a bracketed link
    number "[12]" is a marker too; `canonical` drops those in every dump)."""
    if "[" not in line and "(" not in line and "__" not in line:
        return line
    return _ARTEFACT.sub("", line)


_OPEN_MARKER = re.compile(r"\[[^\]\s\[]{8,}$")
_CLOSE_MARKER = re.compile(r"\s*[^\]\s\[]*\]")


def split_marker(line: str, nxt: str) -> tuple[str, str]:
    """A long image marker wrapped over two lines ("[https://…/clip_167x94.j" + "pg]"):
    both lines without it."""
    m = _OPEN_MARKER.search(line)
    if m is None:
        return line, nxt
    c = _CLOSE_MARKER.match(nxt)
    if c is None:
        return line, nxt
    return line[:m.start()], " " * c.end() + nxt[c.end():]


_REFS_NEXT = re.compile(r"\s*(?:Visible links:|1\.\s+[A-Za-z][\w+.-]*:\S*)\s*$")  # "1. https://…"


def reference_list_start(lines: list[str]) -> int | None:
    """Index of lynx's "References" heading when the dump ends with its list of link
    URLs ("References", a blank line, "Visible links:" or "1. https://…"), else None."""
    for i in range(len(lines) - 1, -1, -1):
        if lines[i] == "References":
            nxt = next((l for l in lines[i + 1:] if l.strip()), "")
            return i if _REFS_NEXT.match(nxt) else None
    return None


_LINK_HEADER = re.compile(r" +#\[\d+\]")
_FRAME = re.compile(r"\s*I?FRAME: \S+\s*$")


def link_header_end(lines: list[str]) -> int:
    """End (exclusive) of lynx's <link> paragraph when the dump opens with one, else 0."""
    i = next((k for k, l in enumerate(lines) if l.strip()), len(lines))
    if i == len(lines) or not _LINK_HEADER.match(lines[i]):
        return 0
    while i < len(lines) and lines[i].strip():
        i += 1
    return i


# --- Markdown ------------------------------------------------------------------------------

# A link destination: no spaces, balanced parentheses one level deep (Wikipedia's
# "/wiki/Python_(language)"), an optional "title".
_MD_DEST = r'\((?:[^()\s]|\([^()\s]*\))*(?:\s+"[^"]*")?\)'
_MD_IMAGE = re.compile(r"!\[[^\]]*\]" + _MD_DEST + r"|!\[[^\]]*\]\[[^\]]*\]")
# A link's text may hold one level of brackets ("[[Hunan] Council meets](/n/1)").
# (A reference link "[text][ref]"; not the "[0]" marker a converted link left before "[".)
_MD_LINK = re.compile(r"\[((?:[^\[\]]|\[[^\[\]]*\])*)\]" + _MD_DEST + r"|\[(?!0\])([^\[\]]+)\]\[[^\[\]]*\]")
_MD_AUTOLINK = re.compile(r"<((?:https?|ftp|mailto):[^\s<>]+)>")
_MD_LINK_DEF = re.compile(r"\s{0,3}\[[^\]]+\]:\s*\S+(?:\s+[\"'(].*)?\s*$")
_MD_HEADING = re.compile(r"\s{0,3}#{1,6}(?:\s+|$)")
_MD_HEADING_TAIL = re.compile(r"\s+#+\s*$")
_MD_RULE = re.compile(r"\s{0,3}(?:(?:-\s*){3,}|(?:\*\s*){3,}|(?:_\s*){3,}|=+)\s*$")
_MD_FENCE = re.compile(r"\s*(?:```|~~~)")
_MD_ITEM = re.compile(r"(\s*)(?:[*+-]|\d{1,3}[.)])\s+")
_MD_QUOTE = re.compile(r"\s*(?:>\s?)+")
_MD_TABLE_RULE = re.compile(r"\s*\|?\s*:?-{2,}:?\s*(?:\|\s*:?-{2,}:?\s*)*\|?\s*$")
_MD_STRONG = re.compile(r"(\*\*|__)(?=\S)(.+?)(?<=\S)\1")
_MD_EM = re.compile(r"(?<![\w*\\])\*(?=[^\s*])([^*]*?[^\s*\\])\*(?![\w*])|(?<![\w\\])_(?=[^\s_])([^_]*?[^\s_\\])_(?!\w)")
_MD_CODE = re.compile(r"`+([^`]*)`+")
_MD_TAG = re.compile(r"</?(?:br|p|div|span|a|b|i|em|strong|u|sup|sub|small|img|hr)\b[^>]*>", re.I)
_MD_ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!|>~])")
#: A dump is Markdown when this share of its non-blank lines (and at least
#: MARKDOWN_MIN_LINES) hold a Markdown link or image. (Headings alone are no sign: two
#: of the 892 dev html_text dumps show "## " or "# " lines, a page of Markdown source
#: and a page of shell comments; a whole page converted to Markdown has its menus' links.
#: None of the dev sets' html_text, w3m or lynx renderings is Markdown by this measure.)
MARKDOWN_MIN_SHARE = 0.05
MARKDOWN_MIN_LINES = 3
# "](" and a destination that is a URL or a path (lynx writes "[7](BUTTON)": no sign).
_MD_SIGN = re.compile(r"\]\((?:[a-zA-Z][\w+.-]*:|[/#.]|[^()\s]*[/.])")


def is_markdown(lines: list[str]) -> bool:
    """Whether a dump is Markdown: enough of its lines hold a `[text](url)` link or image."""
    if not any("](" in l for l in lines):
        return False
    nonblank = sum(1 for l in lines if l.strip())
    signs = sum(1 for l in lines if _MD_SIGN.search(l))
    return signs >= max(MARKDOWN_MIN_LINES, MARKDOWN_MIN_SHARE * nonblank)


class _LinkText:
    """`_MD_LINK.sub`'s replacement: a link's text behind a link marker ("[0]text"), a
    link with no text dropped, and a space between two links that touch ("[a](x)[b](y)":
    two elements, as html_text shows them, not one word "ab")."""

    def __init__(self) -> None:
        self.end = -1  # where the previous link ended

    def __call__(self, k: re.Match[str]) -> str:
        text = k.group(1) if k.group(1) is not None else k.group(2)
        touching = k.start() == self.end
        self.end = k.end()
        if not (text or "").strip():
            return ""
        return (" [0]" if touching else "[0]") + text


def markdown_line(line: str) -> tuple[str, bool, bool]:
    """(the line as html_text would show it, whether it opened a list item, whether it
    was only markup: a rule, a code fence, a link definition, a table's rule row)."""
    if not line.strip():
        return line, False, False
    if _MD_RULE.match(line) or _MD_FENCE.match(line) or _MD_LINK_DEF.match(line) or (
            "-" in line and _MD_TABLE_RULE.match(line)):
        return "", False, True
    item = False
    m = _MD_QUOTE.match(line)
    if m and ">" in m.group(0):
        line = line[m.end():]
    m = _MD_HEADING.match(line)
    if m:
        line = _MD_HEADING_TAIL.sub("", line[m.end():])
    else:
        m = _MD_ITEM.match(line)
        if m:
            line, item = line[m.end():], True
    if "!" in line:
        line = _MD_IMAGE.sub("", line)
    if "[" in line:
        # twice: a link whose text held an image ("[![logo](a.png)](/)") is "[](/)" now
        for _ in range(2):
            line = _MD_LINK.sub(_LinkText(), line)
    if "<" in line:
        line = _MD_TAG.sub(" ", _MD_AUTOLINK.sub(r"\1", line))
    if "`" in line:
        line = _MD_CODE.sub(r"\1", line)
    if "*" in line or "_" in line:
        line = _MD_EM.sub(lambda k: k.group(1) if k.group(1) is not None else k.group(2),
                          _MD_STRONG.sub(r"\2", line))
    if "|" in line and line.strip().startswith("|"):
        line = " ".join(c.strip() for c in line.strip().strip("|").split("|"))
    if "\\" in line:
        line = _MD_ESCAPE.sub(r"\1", line)
    return line.strip(), item, not line.strip()


def _md_block_start(line: str) -> bool:
    """A line that opens a Markdown block of its own (heading, list item, quote, fence,
    rule, table row): never the continuation of the paragraph above."""
    return bool(_MD_HEADING.match(line) or _MD_ITEM.match(line) or line.lstrip().startswith(("|", ">"))
                or _MD_RULE.match(line) or _MD_FENCE.match(line))


def markdown_joins(lines: list[str]) -> list[int] | None:
    """Whether each line continues the paragraph of the line above (None: no line does):
    0 no, 1 after a space, 2 with no space (the rest of a URL broken over lines).
    A converter that hard-wraps (html2text, at 78 columns by default) breaks paragraphs,
    and links and their URLs too, over lines. A line that opens no block of its own
    continues the paragraph above when the paragraph leaves a link open (the link must
    be read whole: inside a destination, a "](" with no ")" after it, the next line goes
    on without a space, as the converter broke the URL at a hyphen or slash; inside a
    link's text, a "[" not closed, after a space), or, in a wrapped dump, when the line
    above was filled to the wrap width (its next word would not have fit; the width read
    off the raw lines, URLs and all, as the converter filled them). The paragraph's state
    is kept as it grows (bracket balance, whether a destination is open), not re-read."""
    # The width from the lines of prose: link, image and table lines run past it (a URL is
    # not broken at the width, html2text's tables not wrapped).
    width = (wrap_width([l for l in lines if not any(c in l for c in "[]()|")], len)
             or wrap_width_of_pairs(lines, len))  # a short dump: from its line breaks
    joins = [0] * len(lines)
    in_para = in_dest = False
    depth = 0  # "[" less "]" so far in the paragraph
    last = ""  # the paragraph's last character (a "](" may straddle a join without a space)
    for i, line in enumerate(lines):
        cur = line.strip()
        if not cur:
            in_para = False
            continue
        prev = lines[i - 1].rstrip() if i else ""
        open_ = (2 if in_dest else 1 if depth > 0 else 0) if in_para else 0
        if in_para and not _md_block_start(line) and (open_ or (
                width is not None and not _MD_RULE.match(prev)
                and len(prev) + 1 + len(cur.split(" ", 1)[0]) > width - 1)):
            joins[i] = 2 if open_ == 2 else 1
            added = last + cur if open_ == 2 else cur
        else:
            in_para, in_dest, depth, added = True, False, 0, cur
        depth += cur.count("[") - cur.count("]")
        opened, closed = added.rfind("]("), added.rfind(")")
        if opened >= 0 or closed >= 0:
            in_dest = opened > closed
        last = cur[-1]
    return joins if any(joins) else None


_BRACKET = re.compile(r"\\.|[\[\]]", re.S)


def _unmatched_brackets(text: str) -> tuple[list[int], list[int]]:
    """The positions of the "[" no "]" closes and of the "]" no "[" opened, in `text`
    (a backslash escapes the character after it)."""
    opens: list[int] = []
    closes: list[int] = []
    for m in _BRACKET.finditer(text):
        c = m.group()
        if c == "[":
            opens.append(m.start())
        elif c == "]":
            if opens:
                opens.pop()
            else:
                closes.append(m.start())
    return opens, closes


#: A card link closes at most this many lines below the line that opens it (the dev
#: pages converted with markdownify: 99.7% of them within 12 lines).
CARD_MAX_LINES = 12
_MD_DEST_AT = re.compile(_MD_DEST)


def card_links(blocks: list[tuple[int, str]]) -> list[str]:
    """Links whose text runs over blocks, made readable: a converter that meets a link
    around block content (a teaser card: `<a>` around a heading, a byline list, an
    excerpt) writes "[" before the first block and "](url)" after the last, with blank
    lines and list items between, which no Markdown reader (nor `markdown_line`) takes
    for one link. `blocks`: each paragraph's first input line and text (`markdown_joins`
    already joined a link broken inside a paragraph). The paragraph with one unmatched
    "[" (not an image's) whose link closes, within CARD_MAX_LINES lines and with no
    other unmatched bracket between, on a paragraph with an unmatched "](url)": the "["
    becomes a link marker ("[0]", dropped with the "[" when only images follow it) and
    the "](url)" goes, so each block reads as html_text shows it (one line each).
    Returns the texts, changed or not."""
    texts = [t for _, t in blocks]
    # One unmatched "[" and no unmatched "]": one "[" more than "]" (escapes aside).
    cands = [k for k, t in enumerate(texts) if "[" in t and (t.count("[") - t.count("]") == 1 or "\\" in t)]
    skip_to = -1
    for k in cands:
        if k <= skip_to:
            continue
        opens, closes = _unmatched_brackets(texts[k])
        if len(opens) != 1 or closes or (opens[0] and texts[k][opens[0] - 1] == "!"):
            continue
        start = blocks[k][0]
        for m in range(k + 1, len(blocks)):
            if blocks[m][0] - start > CARD_MAX_LINES:
                break
            o2, c2 = _unmatched_brackets(texts[m])
            if not c2:
                if o2:
                    break
                continue
            dest = _MD_DEST_AT.match(texts[m], c2[0] + 1)
            if o2 or len(c2) != 1 or dest is None:
                break
            at = opens[0]
            head = texts[k][at + 1:]
            marker = "[0]" if _MD_IMAGE.sub("", head).strip() else ""
            texts[k] = texts[k][:at] + marker + head
            texts[m] = texts[m][:c2[0]] + texts[m][dest.end():]
            skip_to = m
            break
    return texts


def normalise_markdown(lines: list[str]) -> Normalised:
    """`markdown_line` on every line; a line left empty is dropped as markup. A wrapped
    dump's paragraphs are joined by `markdown_joins` (Markdown's own line breaks, not
    widths, since a converted line is shorter than the line the converter filled), and a
    link around several blocks is undone (`card_links`)."""
    joins = markdown_joins(lines)
    blocks: list[tuple[int, int, str]] = []
    i, n = 0, len(lines)
    while i < n:
        # A wrapped paragraph is converted whole: a link's text or URL may run over lines.
        end = i + 1
        while joins is not None and end < n and joins[end]:
            end += 1
        if end > i + 1:
            whole = lines[i].rstrip() + "".join(("" if joins[k] == 2 else " ") + lines[k].strip() for k in range(i + 1, end))
        else:
            whole = lines[i]
        blocks.append((i, end, whole))
        i = end
    texts = card_links([(i, whole) for i, _, whole in blocks])
    out, bullet, dropped = [], [], {}
    for (i, end, _), whole in zip(blocks, texts):
        text, item, markup = markdown_line(whole)
        if markup or (not text and lines[i].strip()):
            dropped.update((k, "markup") for k in range(i, end) if lines[k].strip())
        out += [text] + [""] * (end - i - 1)
        bullet += [item] + [False] * (end - i - 1)
    if joins is not None:
        return Normalised(out, bullet, dropped, None, len, joins)
    width, measure = wrap_measure(out, False)
    return Normalised(out, bullet, dropped, width, measure)


#: lynx sets its text off by a margin of three columns; w3m has none. A dump with at
#: least this share of its lines opening with exactly three spaces has lynx's layout
#: (dev renderings: lynx 7% of lines or more on 99% of pages, w3m 1.6% at most).
LYNX_MARGIN_SHARE = 0.05
_LYNX_MARGIN = re.compile(r"   \S")


@dataclass(frozen=True, slots=True)
class Normalised:
    """A dump's lines after `normalise`, one per input line."""

    lines: list[str]
    bullet: list[bool]  # the line opened a list item (its bullet removed)
    dropped: dict[int, str]  # input line -> reason, for non-blank lines emptied here
    width: int | None  # hard-wrap width (None: not wrapped)
    measure: Callable[[str], int] = display_width  # what `width` counts
    joins: list[int] | None = None  # per line: it continues the line above (wrapped Markdown)


def normalise(lines: list[str]) -> Normalised:
    """All of the above on a dump's lines. Image and form markers and ordered-list
    numbers are dropped only in a rendered dump (a renderer's layout, wrapped or ending in
    lynx's references): elsewhere a bracketed word or an opening number may be the text's
    own (an indented clean body: the line model's training bodies include one)."""
    if is_markdown(lines):
        return normalise_markdown(lines)
    refs = reference_list_start(lines) if "References" in lines else None
    dropped: dict[int, str] = {}
    if refs is not None:
        dropped = {i: "link_list" for i in range(refs, len(lines)) if lines[i].strip()}
        lines = lines[:refs] + [""] * (len(lines) - refs)
    head = link_header_end(lines)
    if head:
        dropped.update((i, "link_list") for i in range(head) if lines[i].strip())
        lines = [""] * head + lines[head:]
    # A terminal renderer's layout: lynx's trailer or header, renderer bullets at their
    # columns, or lynx's margin (most lines indented). html_text never indents.
    indented = [l for l in lines if l.startswith(" ")]
    # (html_text dumps indent no line: the non-blank lines are counted only for a dump that does)
    nonblank = sum(map(bool, map(str.strip, lines))) if indented else 0
    layout = bool(refs is not None or head or (indented and (
        2 * len(indented) >= nonblank or any(strip_bullet(l)[1] for l in indented))))
    lynx = bool(refs is not None or head
                or sum(1 for l in indented if _LYNX_MARGIN.match(l)) >= LYNX_MARGIN_SHARE * nonblank > 0)
    width, measure = wrap_measure(lines, layout, lynx)
    if not layout:  # html_text and the like: nothing to undo
        return Normalised(lines, [False] * len(lines), dropped, width, measure)
    rendered = width is not None or refs is not None
    out, bullet = [], []
    carry = None  # this line, when the previous one ended in a wrapped marker
    for i, line in enumerate(lines):
        if carry is None and not line.strip():  # a blank line (a third of them): nothing to undo
            out.append(line)
            bullet.append(False)
            continue
        line, is_bullet = strip_bullet(line if carry is None else carry)
        if rendered and not is_bullet:  # elsewhere a number opening a line is the text's own
            line, is_bullet = strip_number(line, lynx)
        carry = None
        if rendered:
            if "[" in line and i + 1 < len(lines):
                line, nxt = split_marker(line, lines[i + 1])
                carry = nxt if nxt is not lines[i + 1] else None
            line = "" if "FRAME: " in line and _FRAME.match(line) else drop_artefacts(line)
        if not line.strip() and lines[i].strip() and i not in dropped:
            dropped[i] = "markup"
        out.append(line)
        bullet.append(is_bullet)
    return Normalised(out, bullet, dropped, width, measure)
