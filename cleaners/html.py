"""HTML extraction: trafilatura's main-text extractor, then docprep's own corrections.

One page goes through a short list of named steps, all on one parsed tree:

1. `parse`: the page is parsed once (`trafilatura.utils.load_html`); every later step
   reads that tree (trafilatura's body extraction works on its own copy).
2. `body`: trafilatura's cascade (main extractor, readability/jusText comparison unless
   `cfg.html_fast`, baseline rescue) in recall mode (`cfg.html_favor`), without reader
   comments.
3. `metadata`: trafilatura's metadata (title, author, date, sitename, url), read from
   the same tree; the fields docprep does not return are not computed.
4. `title`: the page's own headline (its `<h1>`) when it agrees with the metadata title,
   else the metadata title without its " | Site name" suffix.
5. `postclean` (`cfg.html_postclean`): drop body blocks that repeat the headline or
   match a boilerplate rule (`BOILERPLATE_RULES`: "Read more", share/follow lines,
   photo credits, ...). Each removal is recorded by rule name in `HtmlResult.removed`.
6. `rescue` (`cfg.html_rescue`): when the cleaned text is under a fifth of the page's
   text and jusText finds over three times more, jusText's body (postcleaned alike)
   replaces it.
7. `render`: body blocks to text, paragraphs separated by a blank line.
8. `page_author`: when the metadata names no author, trafilatura's byline search in the
   page. Last, as it prunes the tree in place (trafilatura prunes a copy).

Pure and deterministic: no global state is read or written (trafilatura's
`deduplicate=True` is never used), the same page gives the same result whatever was
processed before it; htmldate's latest accepted date is fixed by config
(`html_max_date`), not the day of the run. Timeouts are the caller's business.
"""
from __future__ import annotations

import bisect
import itertools
import re
from contextvars import ContextVar
from copy import deepcopy
from dataclasses import dataclass
from functools import lru_cache
from typing import Any, Callable, Iterable

import htmldate.core
import htmldate.extractors
from htmldate import find_date
from lxml.etree import Element, XPath, _Element, iterwalk
from lxml.html import HtmlElement
from trafilatura.baseline import html2txt
from trafilatura.core import bare_extraction
from trafilatura.external import justext_rescue
from trafilatura.htmlprocessing import prune_unwanted_nodes
from trafilatura.metadata import (
    META_URL,
    examine_meta,
    extract_meta_json,
    extract_metainfo,
    extract_sitename,
    extract_title,
    extract_url,
    normalize_authors,
)
from trafilatura.settings import Document, Extractor
from trafilatura.utils import load_html
from trafilatura.xml import delete_element, xmltotxt
from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS, AUTHOR_XPATHS, REGEXP_NS, REMOVE_COMMENTS_AND_LISTS_XPATH

from cleaners.config import ExtractConfig

__all__ = ["HtmlResult", "extract_html", "BOILERPLATE_RULES", "choose_title"]


@dataclass(frozen=True, slots=True)
class HtmlResult:
    """What `extract_html` found in one page.

    `method` says which path produced `text`, for provenance: "trafilatura" (trafilatura's
    body as it came), "trafilatura+justext" (trafilatura found little of the page and
    jusText's body replaced it, see `rescue`), either with "+postclean" when docprep
    removed blocks (`removed` names the rule that removed each block, in page order), or
    "none" when the page has no extractable body (`text` is then empty).
    """

    text: str
    title: str | None
    date: str | None
    author: str | None
    sitename: str | None
    url: str | None
    method: str
    removed: tuple[str, ...] = ()


# Boilerplate rules, as data: (name, pattern). A pattern must match a whole body block
# (a paragraph, heading or list item, list markers stripped), case-insensitively. They
# are deliberately short and anchored: each names one kind of page furniture that
# trafilatura lets through, and none may match a sentence of running prose. Measured on
# the dev sets (scrapinghub + wcxb-articles) by how many removed blocks were in the true
# body; rules that removed more body than boilerplate were dropped (bare URLs, emails,
# copyright lines, bracketed sources: real article content on news sites).
BOILERPLATE_RULES: tuple[tuple[str, str], ...] = (
    ("related",
     r"(read more|read next|related( articles?| stories| posts| content| coverage)?|see also|"
     r"more from|more on this|you (may|might) also like|recommended( for you| reading)?|"
     r"don'?t miss|explore further|most popular|further reading)\b[^.!?]{0,120}"),
    ("related_link",
     r"(read more|read next|related|see also|recommended|must read|related coverage|"
     r"related article|related story)\s*:\s*.{0,150}"),
    ("share",
     r"(share( this| on| via| article| story)?|tweet|pin it|like us on facebook.*|"
     r"get (the|our) .{0,60}(newsletter|app)\b.{0,60}|download (the|our) .{0,40}app.{0,60})"),
    ("advertisement",
     r"(advertisement|sponsored content|story continues below( advertisement)?|"
     r"continue reading( below)?|scroll to continue.{0,40})"),
    ("credit", r"(image|photo|picture|photograph|caption|foto|bild)( credit)?s?\s*:\s*.{0,120}"),
    ("social", r".{0,60}(@\w+ on twitter|follow .{0,40} on (twitter|facebook|instagram)).{0,100}"),
    ("dateline", r"(first )?(published|posted)( on| at)?\s*:?\s*.{0,60}\d.{0,30}"),
    ("reading_time",
     r"\d+\s*(min(ute)?s?|minutos?)\s*(read|reading|de leitura)|"
     r"(tempo de leitura|reading time|lesezeit)\s*:?\s*\d.{0,20}"),
    ("comments_link",
     r"(\d+\s+)?(leave a (comment|reply)|post a comment|add a comment|show comments|"
     r"view comments|join the conversation)\b.{0,40}"),
    ("tags", r"(tags?|filed under)\s*:.{0,200}"),
    ("newsletter",  # one short sentence (under 100 characters) about a newsletter or sign-up
     r"(?=.{0,100}\Z)(?:(?!\.\s).)*\b(newsletters?|mailing list|subscribe|sign up|signup)\b(?:(?!\.\s).)*"),
    ("navigation",
     r"(subscribe( here| now| to us)?|sign ?up|log ?in|sign ?in|register|back to (blog|blogs|top|articles)|"
     r"skip (to (main )?content|navigation)|table of contents|advertiser disclosure|privacy policy|"
     r"terms (&|and) conditions|trending( now)?|get in touch|contact us)[.!:]?"),
)
#: The rules as one pattern: a block matches a rule when `(?:pattern)\s*\Z` matches at its
#: start; the group that matched names the first rule (in order) that does, as alternatives
#: are tried in order and each is anchored at the end of the block.
_ANY_RULE = re.compile("|".join(rf"(?P<{name}>(?:{pattern})\s*\Z)" for name, pattern in BOILERPLATE_RULES), re.I | re.S)

#: Block elements of trafilatura's output tree that postclean judges one by one.
_BLOCKS = ("p", "head", "quote", "item")
_LIST_MARKER = re.compile(r"^[\s\-•*>·–—]+")
_TITLE_SEPARATOR = re.compile(r"\s+[|\-–—:·»•]\s+|\s*\|\s*")
_SPACE = re.compile(r"\s+")
_INVISIBLE = frozenset(("script", "style", "noscript", "template"))
_BODIES = XPath("//body[not(ancestor::body or ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]")
_ONE_BODY = XPath("count(//body) = 1")
_BODY_CHARS = XPath("string-length(//body) + count(//body//text())")
_SCRIPT_TEXT = XPath("//body//text()[parent::script or parent::style]", smart_strings=False)
#: What an element needs for one of trafilatura's byline XPaths (`AUTHOR_XPATHS`) to select
#: it: one of these words in its class, id, rel, itemprop, data-testid or data-component
#: attribute (`_BYLINE_ATTRS`), or to be an <author> element or have a <rel> child.
#: Derived from trafilatura 2.3.1's XPaths (tests/test_html_speedpaths.py pins them).
_BYLINE_WORDS = re.compile(
    "author|Author|byl|Byline|username|BBL|zuozhe|bianji|xiaobian|channel-name|submitted-by|posted-by|"
    "journalist-name|screenname|writer"
)
#: (Plain strings: lxml's default "smart" strings, which know their parent element, cost
#: as much again as the XPath.)
_BYLINE_ATTRS = XPath("//@class|//@id|//@rel|//@itemprop|//@data-testid|//@data-component", smart_strings=False)
#: The same attributes as "smart" strings, each knowing its element, in document order.
_BYLINE_ATTR_NODES = XPath(_BYLINE_ATTRS.path)
#: What an element needs for trafilatura's byline discard XPath (`AUTHOR_DISCARD_XPATHS`,
#: the `.//*[...]` one) to select it: one of these in its class, id or data-component
#: (comment sections, titles, dates, sidebars, quotes, share bars, figures ...).
_DISCARD_WORDS = ("comment", "title", "date", "sidebar", "is-hidden", "quote", "embedly", "article-", "print",
                  "category", "meta-", "productreviews", "figure")  # any case
#: `_BYLINE_WORDS` in any case (a superset of its matches), for `_AttributeValues`.
_BYLINE_WORDS_ANY_CASE = tuple(dict.fromkeys(w.lower() for w in _BYLINE_WORDS.pattern.split("|")))


def _self_test(xpath: XPath) -> tuple[XPath | None, bool]:
    """trafilatura's `//*[P]` (or `.//*[P]`, or `//*[P]|//author`) as `self::*[P]`: the
    same predicate asked of one element, and whether the XPath also takes every <author>
    element; (None, False) for an XPath of another form."""
    path = " ".join(xpath.path.split())
    author = path.endswith("|//author")
    path = path.removesuffix("|//author")
    head = next((h for h in (".//*[", "//*[") if path.startswith(h)), None)
    if head is None or not _predicates_only(path[len(head) - 1:]):
        return None, False
    return XPath("self::*" + path[len(head) - 1:], namespaces={"re": REGEXP_NS}), author


def _predicates_only(path: str) -> bool:
    """Whether an XPath tail is nothing but predicates ("[...][...]"): no step, no union
    outside brackets (quoted strings skipped)."""
    depth, quote = 0, ""
    for c in path:
        if quote:
            quote = "" if c == quote else quote
        elif c in "'\"":
            quote = c
        elif c == "[":
            depth += 1
        elif c == "]":
            depth -= 1
        elif depth == 0 and not c.isspace():
            return False
    return depth == 0


#: trafilatura's byline discard XPaths and byline XPaths as one-element tests (`_self_test`).
_DISCARD_TESTS = [(x, *_self_test(x)) for x in AUTHOR_DISCARD_XPATHS]
_BYLINE_TESTS = [(x, *_self_test(x)) for x in AUTHOR_XPATHS]
#: An <h1> shorter than this (in words) is a logo or a section name, not a headline.
_MIN_H1_WORDS = 3


def extract_html(html: str, url: str | None = None, cfg: ExtractConfig = ExtractConfig()) -> HtmlResult:
    """Extract the main text and metadata of one HTML page.

    >>> r = extract_html("<html><body><article><h1>Hello world again</h1><p>" + "Body text. " * 30 + "</p></article></body></html>")
    >>> r.title, r.text[:10]
    ('Hello world again', 'Body text.')
    """
    tree = parse(html)
    if tree is None:
        return HtmlResult("", None, None, None, None, url, "none")
    body = extract_body(tree, url, cfg)
    meta, author_found = metadata(tree, url, cfg)
    title = choose_title(tree, meta.title, meta.sitename) if cfg.html_title_from_h1 else meta.title
    titles = {t for t in (title, meta.title) if t}
    method, removed, text = "none", (), ""
    if body is not None:
        method = "trafilatura"
        removed = postclean(body, titles) if cfg.html_postclean else ()
        text = render(body)
    if cfg.html_rescue:
        rescued = rescue(tree, text, cfg)
        if rescued is not None:
            method, text = "trafilatura+justext", ""
            removed = postclean(rescued, titles) if cfg.html_postclean else ()
            text = render(rescued)
    if removed:
        method += "+postclean"
    # last: the byline search prunes the tree in place, no step may read the tree after it
    author = meta.author if author_found else page_author(tree)
    return HtmlResult(text, title, meta.date, author, meta.sitename, meta.url or url, method, removed)


def parse(html: str) -> HtmlElement | None:
    """The page's tree, parsed once, or None if there is nothing to parse."""
    if not html or not html.strip():
        return None
    return load_html(html)


def extract_body(tree: HtmlElement, url: str | None, cfg: ExtractConfig) -> _Element | None:
    """trafilatura's body element (its own XML vocabulary: p, head, list/item, table, quote,
    code), or None when trafilatura finds too little text. The tree is not modified."""
    doc = bare_extraction(
        tree,
        url=url,
        fast=cfg.html_fast,
        favor_precision=cfg.html_favor == "precision",
        favor_recall=cfg.html_favor == "recall",
        include_comments=cfg.html_include_comments,
        include_tables=cfg.html_include_tables,
        with_metadata=False,
        deduplicate=False,
        output_format="txt",  # "python" would also render the body to text, unused here
    )
    if doc is None or doc.body is None:
        return None
    return doc.body


def metadata(tree: HtmlElement, url: str | None, cfg: ExtractConfig) -> tuple[Document, bool]:
    """trafilatura's metadata (`trafilatura.metadata.extract_metadata`, same steps, same
    order, same results) for the fields docprep returns: title, date, sitename, url, and
    author when the page's meta tags or JSON-LD name one (the bool says whether they did;
    if not, `page_author` searches the page for a byline). Skipped, as docprep does not
    return them: categories, tags, licence and hostname (8% of extract_html's time).
    """
    meta = examine_meta(tree)
    if meta.author and " " not in meta.author:
        meta.author = None
    try:
        meta = extract_meta_json(tree, meta)
    except Exception:  # bugs in trafilatura's json_metadata.py, caught in extract_metadata too
        pass
    if not meta.title:
        meta.title = extract_title(tree)
    author_found = bool(meta.author)
    if not meta.url:
        meta.url = extract_url(tree, url)
    # htmldate's default max_date is today: the same page could get another date tomorrow.
    # A fixed bound keeps output a function of input and config only. htmldate stops at the
    # first source that gives a date (URL, meta tags, JSON-LD, abbr, time elements, ...);
    # the extensive free-text search runs only on pages where all of them failed.
    token = _DATE_LANGUAGES.set(date_languages(tree))
    try:
        meta.date = find_date(tree, extensive_search=cfg.html_date_extensive, original_date=True,
                              max_date=cfg.html_max_date, url=meta.url)
    finally:
        _DATE_LANGUAGES.reset(token)
    if not meta.sitename:
        meta.sitename = extract_sitename(tree)
    if meta.sitename:
        meta.sitename = meta.sitename.lstrip("@")  # a Twitter handle
        if meta.sitename and "." not in meta.sitename and not meta.sitename[0].isupper():
            meta.sitename = meta.sitename.title()
    elif meta.url and (match := META_URL.match(meta.url)):
        meta.sitename = match[1]
    meta.clean_and_trim()
    return meta, author_found


# --- dates: dateparser told the page's language -------------------------------------------
# htmldate's extensive search hands free-text date phrases ("3. März 2024") to dateparser,
# which, told no language, tries each of its ~200 locales on every phrase: on the dev pages
# 52 calls cost 4.6 ms/page on average, the single largest part of metadata. Told the
# language the page declares (<html lang>) and English, it tries those two: the same date
# on all 892 dev pages, 2.9 ms/page less (benchmarks/profile_html.py). A page that
# declares no language, or one dateparser does not know, gets the web's most used
# languages (`UNDECLARED_DATE_LANGUAGES`), not htmldate's all-locale parser: each worker
# process would otherwise load most of dateparser's ~200 locales (regex compiles), ~2.4 s
# of CPU once per process on the 54 such dev pages (~0.3 s told the 21), same dates.
# htmldate caches each phrase's parse (`try_date_expr`, keyed by the phrase): that cache
# is replaced by one keyed by the languages too, or a phrase's date would depend on which
# page showed it first (and output on how a run was split over workers).
_DATE_LANGUAGES: ContextVar[tuple[str, ...] | None] = ContextVar("docprep_date_languages", default=None)
_HTMLDATE_PARSER = htmldate.extractors.get_external_parser
#: htmldate's DateDataParser settings (htmldate.extractors.get_external_parser; a test
#: checks they still agree).
DATEPARSER_SETTINGS: dict[str, Any] = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}


#: How many of dateparser's languages, in its own order of use on the web, a page that
#: declares no language it knows is read in: the first 21 hold every language docprep is
#: checked on (en ru es fr de ja tr pt fa it zh zh-Hans nl vi pl ar ko cs id uk el).
UNDECLARED_DATE_LANGUAGES = 21


@lru_cache(maxsize=None)
def _dateparser_languages() -> tuple[str, ...]:
    """dateparser's languages, most used on the web first."""
    from dateparser.data import language_order

    return tuple(language_order)


def date_languages(tree: HtmlElement) -> tuple[str, ...]:
    """The languages dateparser is told for this page: the primary subtag of <html lang>
    and English, or the web's most used ones when the page declares none it knows.

    >>> from lxml.html import fromstring
    >>> date_languages(fromstring('<html lang="de-AT"><body><p>x</p></body></html>'))
    ('de', 'en')
    >>> date_languages(fromstring('<html><body><p>x</p></body></html>'))[:6]
    ('en', 'ru', 'es', 'fr', 'de', 'ja')
    """
    lang = re.split(r"[-_]", (tree.get("lang") or tree.get("xml:lang") or "").strip())[0].lower()
    if lang not in _dateparser_languages():
        return _dateparser_languages()[:UNDECLARED_DATE_LANGUAGES]
    return (lang,) if lang == "en" else (lang, "en")


@lru_cache(maxsize=64)
def _date_parser(languages: tuple[str, ...]) -> Any:
    from dateparser import DateDataParser

    return DateDataParser(languages=list(languages), settings=DATEPARSER_SETTINGS)


def _external_parser() -> Any:
    """htmldate's parser factory, replaced: the page's languages when `metadata` set them."""
    languages = _DATE_LANGUAGES.get()
    return _HTMLDATE_PARSER() if languages is None else _date_parser(languages)


_HTMLDATE_TRY = htmldate.extractors.try_date_expr


@lru_cache(maxsize=htmldate.extractors.CACHE_SIZE)
def _try_date_expr_in(languages: tuple[str, ...] | None, *args: Any, **kwargs: Any) -> str | None:
    return _HTMLDATE_TRY.__wrapped__(*args, **kwargs)  # its dateparser is `_external_parser`: `languages`'


def _try_date_expr(*args: Any, **kwargs: Any) -> str | None:
    """htmldate's `try_date_expr`, cached per (languages, phrase, bounds)."""
    return _try_date_expr_in(_DATE_LANGUAGES.get(), *args, **kwargs)


htmldate.extractors.get_external_parser = _external_parser
htmldate.extractors.try_date_expr = htmldate.core.try_date_expr = _try_date_expr


def page_author(tree: HtmlElement) -> str | None:
    """The byline found in the page (trafilatura's `extract_author`, with its length limit
    and trimming), for pages whose metadata names no author. Unlike trafilatura, which
    prunes a copy of the whole tree, it prunes `tree` itself: call it last. On nearly half
    the pages no element could match trafilatura's byline XPaths (`_BYLINE_WORDS`): they
    are answered at an eighth of the cost. On the others trafilatura's XPaths are asked
    only of the elements that could match them (`_AttributeValues`)."""
    if next(tree.iter("author", "rel"), None) is None and not _BYLINE_WORDS.search(" ".join(_BYLINE_ATTRS(tree))):
        return None
    values = _AttributeValues(_BYLINE_ATTR_NODES(tree))
    _prune_byline_discards(tree, values)
    author = extract_metainfo(tree, _byline_selectors(tree, values), len_limit=120)
    doc = Document()
    doc.author = normalize_authors(None, author) if author else author
    doc.clean_and_trim()
    return doc.author


class _AttributeValues:
    """A page's class, id, rel, itemprop, data-testid and data-component values (smart
    strings from `_BYLINE_ATTR_NODES`, each knowing its element), searched for words. (The
    values are searched joined, with `str.find`: a regular expression searched per value
    cost 1.6 ms a page, one over the joined values 1.9 ms.) Joined once per page, for the
    discard and the byline words alike."""

    def __init__(self, nodes: list[Any]) -> None:
        self.nodes = nodes
        self.joined = "\n".join(nodes).lower()  # the words hold no line break: a match lies within one value
        self._starts: list[int] | None = None

    def elements_with(self, words: tuple[str, ...]) -> list[_Element]:
        """The elements, in document order and once each, one of whose values holds one of
        `words` (lower case), in any case."""
        at: set[int] = set()
        for word in words:
            k = self.joined.find(word)
            while k >= 0:
                at.add(k)
                k = self.joined.find(word, k + 1)
        if not at:
            return []
        if self._starts is None:
            self._starts = list(itertools.accumulate((len(v) + 1 for v in self.nodes), initial=0))
        hits = sorted({bisect.bisect_right(self._starts, k) - 1 for k in at})
        return list(dict.fromkeys(self.nodes[i].getparent() for i in hits))


def _prune_byline_discards(tree: HtmlElement, values: _AttributeValues) -> None:
    """trafilatura's `prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS)`, the same elements
    deleted in the same order: each `.//*[P]` XPath asked of the elements still in the
    tree whose class, id or data-component holds a `_DISCARD_WORDS` word (a few dozen,
    where the XPath visits every element: ~2.5 ms a page), any other XPath of the tree."""
    cands = values.elements_with(_DISCARD_WORDS)
    for xpath, test, _ in _DISCARD_TESTS:
        if test is None:
            found = xpath(tree)
        else:  # `.//*`: the root itself is not a descendant
            found = [el for el in cands if el is not tree and _attached(el, tree) and test(el)]
        for el in found:
            delete_element(el)


def _attached(el: _Element, root: _Element) -> bool:
    """Whether `el` is still in the tree of `root` (not in a subtree deleted from it)."""
    top = el
    for top in el.iterancestors():
        pass
    return top is root


def _byline_selectors(tree: HtmlElement, values: _AttributeValues) -> list[Callable[[HtmlElement], list[_Element]]]:
    """trafilatura's AUTHOR_XPATHS as functions of the (pruned) tree that give the same
    elements in the same order: each predicate asked of the elements still in the tree
    whose attributes hold a `_BYLINE_WORDS` word, and of the <author> elements and the
    parents of <rel> elements (the `rel='me'` child test), in document order."""
    cands = [el for el in values.elements_with(_BYLINE_WORDS_ANY_CASE) if _attached(el, tree)]
    authors = list(tree.iter("author"))
    extra = authors + [p for r in tree.iter("rel") if (p := r.getparent()) is not None]
    if extra:
        order = {el: k for k, el in enumerate(tree.iter())}
        cands = sorted(dict.fromkeys(cands + extra), key=order.__getitem__)
    selectors: list[Callable[[HtmlElement], list[_Element]]] = []
    for xpath, test, with_author in _BYLINE_TESTS:
        if test is None:
            selectors.append(xpath)
        else:
            keep = set(authors) if with_author else set()
            selectors.append(lambda _tree, test=test, keep=keep: [el for el in cands if el in keep or test(el)])
    return selectors


def rescue(tree: HtmlElement, text: str, cfg: ExtractConfig) -> _Element | None:
    """jusText's body when trafilatura's text is a small part of the page and jusText finds
    several times more, else None.

    trafilatura's own recall escalation does the same only in balanced mode and only under
    3,000 characters; it misses list- and card-based articles whose paragraphs sit in deep
    <div>s. jusText runs only on pages that pass the first test (a few percent), on the
    page without comment sections, as trafilatura's escalation does.
    """
    # cheap pre-checks first: the visible text of <body> is a near upper bound of
    # html2txt's page text (median 1.05x on wcxb-articles) at a tenth of its cost; before
    # it, two upper bounds of it that cost a fifth of it and decide 85% of the pages
    n, share = len(text), cfg.html_rescue_page_share
    bound = _chars_bound(tree)
    if n >= share * bound or n >= share * (bound - _script_chars(tree)) or n >= share * _visible_chars(tree):
        return None
    page_chars = len(html2txt(tree))
    if not page_chars or len(text) >= cfg.html_rescue_page_share * page_chars:
        return None
    pruned = prune_unwanted_nodes(deepcopy(tree), REMOVE_COMMENTS_AND_LISTS_XPATH)
    try:
        body, jt_text = justext_rescue(pruned, Extractor(comments=False))
    except Exception:  # jusText fails on odd trees (e.g. no <body>): keep trafilatura's text
        return None
    if body is None or not cfg.html_rescue_ratio * max(len(text), 1) < len(jt_text) <= page_chars:
        return None
    return body


def choose_title(tree: HtmlElement, meta_title: str | None, sitename: str | None) -> str | None:
    """The article's headline: an <h1> that agrees with the metadata title (one is contained
    in the other; not the site's name, which a logo <h1> holds and a "Headline - Site"
    title contains too), the longest one inside the title, else the shortest one holding
    it; else the page's only <h1> when it is a real headline, else the metadata title with
    a site-name prefix or suffix removed."""
    stripped = strip_site_name(meta_title, sitename) if meta_title else None
    h1s = [t for t in (_text(h) for h in tree.iter("h1")) if t]
    meta_norm, stripped_norm, site_norm = _norm(meta_title or ""), _norm(stripped or ""), _norm(sitename or "")
    inside, holding = [], []
    for h in h1s:
        hn = _norm(h)
        if len(hn) > 8 and meta_norm and hn != site_norm:
            if hn in meta_norm:
                inside.append((len(hn), h))
            elif stripped_norm and stripped_norm in hn:
                holding.append((len(hn), h))
    if inside or holding:
        # max/min keep the first of equals (a page's first <h1>, as before)
        return max(inside, key=lambda c: c[0])[1] if inside else min(holding, key=lambda c: c[0])[1]
    if len(h1s) == 1 and len(h1s[0].split()) >= _MIN_H1_WORDS:
        return h1s[0]
    return stripped


def strip_site_name(title: str, sitename: str | None) -> str:
    """'Headline | Site' -> 'Headline' when the separated part is the site's name."""
    parts = [p for p in _TITLE_SEPARATOR.split(title) if p.strip()]
    site = _norm(sitename or "")
    if len(parts) < 2 or not site:
        return title
    last, first = _norm(parts[-1]), _norm(parts[0])
    if last and (last in site or site in last):
        return title[: title.rfind(parts[-1])].rstrip(" |-–—:·»•").strip() or title
    if first and (first in site or site in first):
        return title[title.find(parts[0]) + len(parts[0]):].lstrip(" |-–—:·»•").strip() or title
    return title


def postclean(body: _Element, titles: Iterable[str]) -> tuple[str, ...]:
    """Remove, in place, the body blocks that are page furniture. Returns the rule name of
    each removed block, in document order ("title" for a block repeating the headline)."""
    title_norms = {_norm(t) for t in titles}
    removed: list[str] = []
    leading = True  # the headline echo is only looked for before the first real paragraph
    for el in list(body.iter(*_BLOCKS)):
        if el.getparent() is None:
            continue
        text = _LIST_MARKER.sub("", _text(el))
        if not text:
            continue
        rule = None
        if leading and el.tag in ("head", "p") and _norm(text) in title_norms:
            rule = "title"
        else:
            match = _ANY_RULE.match(text)
            rule = match.lastgroup if match else None
        if el.tag == "p" and len(text) > 80:
            leading = False
        if rule:
            _remove(el)
            removed.append(rule)
    return tuple(removed)


def render(body: _Element) -> str:
    """Body blocks to text: one paragraph per top-level block, separated by a blank line;
    lines inside a block (list items, table rows, code) stay on their own lines.
    Consumes `body`: each block is moved out of it to be rendered alone (no copy)."""
    paragraphs = [_clean_block(body.text or "")]
    for block in list(body):
        tail, block.tail = block.tail, None
        code = block.tag == "code" or block.find(".//code") is not None
        wrapper = Element("body")
        wrapper.append(block)
        paragraphs.append(_clean_block(xmltotxt(wrapper, False), code))
        paragraphs.append(_clean_block(tail or ""))  # loose text after a block
    return "\n\n".join(p for p in paragraphs if p)


#: A list item's line as trafilatura renders it: two spaces a level of nesting, "- ".
_LIST_ITEM = re.compile(r"(?:  )*- ")


_SPACES = re.compile(r"[ \t]+")


def _clean_block(text: str, code: bool = False) -> str:
    """A block's lines without blank ones, each without the source's layout of its HTML
    (indentation, runs of spaces and tabs, which trafilatura keeps after a <br> and in
    loose text): a run is one space, but for a list item's nesting and, in a block holding
    code, every space."""
    lines = (line.rstrip() for line in text.strip("\n").split("\n"))
    if code:
        return "\n".join(line for line in lines if line)
    out = []
    for line in lines:
        if line.strip():
            indent = m.group() if (m := _LIST_ITEM.match(line)) else ""
            out.append(indent + _SPACES.sub(" ", line[len(indent):].lstrip()))
    return "\n".join(out)


def _remove(el: _Element) -> None:
    """Remove an element, keeping its tail text in the tree."""
    parent = el.getparent()
    if parent is None:
        return
    if el.tail and el.tail.strip():
        prev = el.getprevious()
        if prev is not None:
            prev.tail = (prev.tail or "") + el.tail
        else:
            parent.text = (parent.text or "") + el.tail
    parent.remove(el)


def _visible_chars(tree: HtmlElement) -> int:
    """The visible text of <body>: the text nodes under it and outside script, style,
    noscript and template elements, each with its spaces collapsed, plus one per node
    (a separator), blank nodes left out."""
    strings: list[str] = []
    for body in _BODIES(tree):
        if body.text:
            strings.append(body.text)
        walk = iterwalk(body, events=("start",))
        next(walk)  # the body itself
        for _, el in walk:
            if el.tag in _INVISIBLE or not isinstance(el.tag, str):  # (comments: text is no text node)
                walk.skip_subtree()
            elif el.text:
                strings.append(el.text)
            if el.tail:
                strings.append(el.tail)
    # = sum(len(" ".join(s.split())) + 1 for s in strings if not s.isspace())
    words = " ".join(strings).split()
    return sum(map(len, words)) + len(words)


def _chars_bound(tree: HtmlElement) -> float:
    """An upper bound of `_visible_chars` computed inside libxml2: every text character of
    the page's only <body> (scripts included) plus one per text node; +inf with several."""
    return _BODY_CHARS(tree) if _ONE_BODY(tree) else float("inf")


def _script_chars(tree: HtmlElement) -> int:
    """The characters of the script and style texts in <body>: `_chars_bound` minus these is
    still an upper bound of `_visible_chars` (each such node still counts one there)."""
    return sum(map(len, _SCRIPT_TEXT(tree)))


def _text(el: _Element) -> str:
    return _SPACE.sub(" ", "".join(el.itertext())).strip()


def _norm(s: str) -> str:
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return _SPACE.sub(" ", s).strip().lower()
