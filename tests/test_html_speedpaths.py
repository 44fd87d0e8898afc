"""cleaners.html's faster paths give what the library calls they replace give.

- `metadata` + `page_author` against trafilatura's `extract_metadata` (title, author, date,
  sitename, url), with the date found at each stage of htmldate's search;
- `page_author`'s shortcut (`_BYLINE_WORDS`) against trafilatura's byline XPaths, which
  are pinned here: a trafilatura upgrade that changes them fails `test_byline_words_*`;
- `_visible_chars` and its bounds against the XPath definition of visible text;
- `_ANY_RULE` against the boilerplate rules tried one by one;
- `render` (moves blocks) against rendering copies of them;
- dateparser told the page's language: htmldate's settings, a phrase cache keyed by the
  languages (order of pages does not matter).
"""
from __future__ import annotations

import datetime as dt
import json
import re
from copy import deepcopy
from pathlib import Path

import pytest
from lxml.etree import Element, XPath
from trafilatura.core import bare_extraction
from trafilatura.metadata import extract_metadata
from trafilatura.settings import set_date_params
from trafilatura.xml import xmltotxt
from trafilatura.xpaths import AUTHOR_XPATHS

from cleaners import html as html_mod
from cleaners.config import ExtractConfig
from cleaners.html import (
    _ANY_RULE,
    _BYLINE_ATTRS,
    _BYLINE_WORDS,
    BOILERPLATE_RULES,
    _chars_bound,
    _script_chars,
    _visible_chars,
    extract_html,
    page_author,
    parse,
)

CASES = sorted((Path(__file__).resolve().parent / "cases" / "html").glob("*.json"))
CASE_PAGES = [json.loads(p.read_text(encoding="utf-8")) for p in CASES]
PROSE = "<p>" + "The council voted on the new budget after a long debate about schools and roads. " * 6 + "</p>"


def page(head: str = "", body: str = "", title: str = "Budget vote ends a long debate | Daily Example") -> str:
    return (f"<html><head><title>{title}</title>{head}</head><body><article>"
            f"<h1>Budget vote ends a long debate</h1>{body}{PROSE}</article>"
            f"<footer><p>© 2016 Daily Example</p></footer></body></html>")


JSON_LD = ('<script type="application/ld+json">{"@type": "NewsArticle", "headline": "Budget vote",'
           ' "datePublished": "2021-03-04T10:00:00Z", "author": {"@type": "Person", "name": "Ann Lee"},'
           ' "publisher": {"@type": "Organization", "name": "Daily Example"}}</script>')
METADATA_PAGES = {
    "json_ld": (page(JSON_LD), None),
    "meta_tags": (page('<meta property="article:published_time" content="2020-05-06">'
                       '<meta name="author" content="Bo Chen"><meta property="og:site_name" content="dailyexample">'), None),
    "url_date": (page(), "https://example.com/news/2019/07/08/budget-vote"),
    "canonical_url_date": (page('<link rel="canonical" href="https://example.com/2018/02/03/vote">'), None),
    "time_element": (page(body='<p class="meta"><time datetime="2017-09-10">Sep 10</time></p>'), None),
    "date_in_text_only": (page(body="<p>Last edited on 12 March 2015 by the desk.</p>"), None),
    "date_in_prose_only": (page(body="<p>The vote, held March 3rd 2014, ended it.</p>"), None),
    "no_date_copyright_only": (page(), None),
    "byline_only": (page(body='<p class="byline">By Carla Diaz</p>'), None),
    "nothing": ("<html><body>" + PROSE + "</body></html>", None),
}


def trafilatura_metadata(html: str, url: str | None, cfg: ExtractConfig):
    return extract_metadata(parse(html), url, {**set_date_params(cfg.html_date_extensive), "max_date": cfg.html_max_date})


@pytest.mark.parametrize("extensive", [True, False])
@pytest.mark.parametrize("html,url", list(METADATA_PAGES.values()) + [(c["html"], c.get("url")) for c in CASE_PAGES],
                         ids=list(METADATA_PAGES) + [p.stem for p in CASES])
def test_metadata_is_trafilaturas(html: str, url: str | None, extensive: bool) -> None:
    cfg = ExtractConfig(html_date_extensive=extensive, html_title_from_h1=False)
    expected = trafilatura_metadata(html, url, cfg)
    r = extract_html(html, url, cfg)
    assert (r.title, r.author, r.date, r.sitename, r.url) == (
        expected.title, expected.author, expected.date, expected.sitename, expected.url or url)


def test_metadata_pages_cover_each_date_source() -> None:
    """The pages above get their dates from different stages of htmldate's search."""
    cfg = ExtractConfig()
    dates = {name: extract_html(html, url, cfg).date for name, (html, url) in METADATA_PAGES.items()}
    assert dates["json_ld"] == "2021-03-04" and dates["meta_tags"] == "2020-05-06"
    assert dates["url_date"] == "2019-07-08" and dates["canonical_url_date"] == "2018-02-03"
    assert dates["time_element"] == "2017-09-10"
    assert dates["date_in_text_only"] == "2015-03-12"
    assert dates["no_date_copyright_only"] == "2016-01-01"  # htmldate's last resort
    assert extract_html(*METADATA_PAGES["date_in_prose_only"], ExtractConfig(html_date_extensive=False)).date is None


BYLINES = [
    '<a rel="author" href="/ann">Ann Lee</a>', '<span id="author">Ann Lee</span>',
    '<div class="author">Ann Lee</div>', '<span itemprop="author name">Ann Lee</span>',
    '<p><rel>me</rel> Ann Lee</p>', '<div data-testid="AuthorCard">Ann Lee</div>',
    '<div data-testid="AuthorURL">Ann Lee</div>', '<span class="c-authorName">Ann Lee</span>',
    '<span class="author-name x">Ann Lee</span>', '<author>Ann Lee</author>',
    '<span class="byline">By Ann Lee</span>', '<span class="username">annlee</span>',
    '<span class="byl">By Ann Lee</span>', '<span class="BBL">Ann Lee</span>',
    '<span itemprop="author">Ann Lee</span>', '<div id="post-zuozhe">Zhang San</div>',
    '<div class="bianji">Zhang San</div>', '<div class="xiaobian-x">Zhang San</div>',
    '<div class="channel-name">Ann Lee</div>', '<div class="submitted-by">Ann Lee</div>',
    '<div class="posted-by">Ann Lee</div>', '<div class="journalist-name">Ann Lee</div>',
    '<section data-component="Byline">Ann Lee</section>', '<section id="Author1">Ann Lee</section>',
    '<section class="screenname">annlee</section>', '<section class="writer">Ann Lee</section>',
    '<section class="Byline">Ann Lee</section>', '<section class="x-byline">Ann Lee</section>',
    '<div class="comments"><span class="author">Commenter Name</span></div>',  # pruned by trafilatura
    '<figure><figcaption class="author">Photo Person</figcaption></figure>',
    '<div class="date">Ann Lee</div>', '<p class="lede">Nothing to see</p>', "",
    # byline discards (trafilatura's AUTHOR_DISCARD_XPATHS), each around a byline
    '<div id="comments-42"><span class="author">Commenter Name</span></div>',
    '<div id="x-comment-list"><span class="author">Commenter Name</span></div>',
    '<span id="ProductReviews"><span class="author">Reviewer Name</span></span>',
    '<section class="Comments-area"><span class="author">Commenter Name</span></section>',
    '<div class="left-sidebar"><span class="author">Side Name</span></div>',
    '<div class="is-hidden"><span class="author">Hidden Name</span></div>',
    '<span class="pull-quote"><span class="author">Quoted Person</span></span>',
    '<div class="embedly-instagram"><span class="author">Insta Name</span></div>',
    '<div class="article-share"><a class="author" href="/x">Share Name</a></div>',
    '<div class="no-print"><span class="author">Print Name</span></div>',
    '<a class="category" href="/c"><span class="author">Category Name</span></a>',
    '<span class="meta-date"><span class="author">Dated Name</span></span>',
    '<div data-component="FigureBlock"><span class="author">Figure Name</span></div>',
    '<p class="sidebar"><span class="author">Kept In A Paragraph</span></p>',  # only a, div, section, span go
    '<div class="title"><div class="sidebar"><span class="author">Nested Name</span></div></div><p class="byline">By Ann Lee</p>',
    '<time><span class="author">Time Name</span></time><span class="byline">By Ann Lee</span>',
    # several candidates: the first too long for a byline, the next one taken; order across the XPaths
    '<span class="author">' + "x" * 130 + '</span><span class="author-name">Ann Lee</span>',
    '<p class="writer">Bo Chen</p><author>Ann Lee</author><a rel="author" href="/c">Cy Dee</a>',
    '<div><rel>me</rel> Bo Chen</div><span class="byline">By Ann Lee</span>',
    '<span class="AUTHOR">Upper Case</span><span class="x-Byline">Ann Lee</span>',
]


@pytest.mark.parametrize("byline", BYLINES)
def test_page_author_is_trafilaturas(byline: str) -> None:
    html = page(body=byline)
    expected = trafilatura_metadata(html, None, ExtractConfig()).author
    assert page_author(parse(html)) == expected
    assert extract_html(html).author == expected


def test_page_author_prunes_as_trafilatura_does() -> None:
    """`page_author` prunes the tree in place: the same elements go as with trafilatura's
    `prune_unwanted_nodes(tree, AUTHOR_DISCARD_XPATHS)`, the page's root included in no
    case (the discard XPath takes descendants only)."""
    from lxml.etree import tostring
    from trafilatura.htmlprocessing import prune_unwanted_nodes
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    pages = [page(body=b) for b in BYLINES]
    pages.append('<html class="comments"><body><div class="comments"><p class="author">Ann Lee</p></div>'
                 + PROSE + "</body></html>")
    for html in pages:
        ours, theirs = parse(html), parse(html)
        if page_author(ours) is None and next(ours.iter("author", "rel"), None) is None and not _BYLINE_WORDS.search(
                " ".join(_BYLINE_ATTRS(parse(html)))):
            continue  # the shortcut: nothing searched, nothing pruned
        assert tostring(ours) == tostring(prune_unwanted_nodes(theirs, AUTHOR_DISCARD_XPATHS)), html


def test_discard_words_cover_trafilatura_discard_xpaths() -> None:
    """Every way the `.//*[...]` discard XPath can select an element needs a
    `_DISCARD_WORDS` word (in any case) in its class, id or data-component; the others are
    asked of the tree as they are."""
    from trafilatura.xpaths import AUTHOR_DISCARD_XPATHS

    from cleaners.html import _DISCARD_TESTS, _DISCARD_WORDS

    assert [test is not None for _, test, _ in _DISCARD_TESTS] == [True, False]
    src = AUTHOR_DISCARD_XPATHS[0].path
    assert set(re.findall(r"@([\w-]+)", src)) == {"id", "class", "data-component"}
    regexes = re.findall(r"re:test\(@[\w-]+, '([^']*)'\)", src)
    # a change here: trafilatura's discard XPath changed, check _DISCARD_WORDS against it
    assert regexes == ["^comments|comment-?list|ProductReviews",
                       "^[Cc]omments|commentlist|comments-list|sidebar|is-hidden|quote|embedly-instagram|"
                       "article-(?:share|support)|print|category|meta-date|meta-reviewer"]
    literals = [lit for lit in re.findall(r"'([^']*)'", src) if lit not in regexes]
    alternatives = [a.lstrip("^") for r in regexes
                    for a in r.replace("article-(?:share|support)", "article-share|article-support").split("|")]
    for s in literals + [x for a in alternatives for x in _expand(a)]:
        assert any(w in s.lower() for w in _DISCARD_WORDS), s


def test_page_author_shortcut_only_where_trafilatura_finds_nothing() -> None:
    """Pages without any byline word: answered without the XPaths, and trafilatura finds
    no author either."""
    def shortcut(tree) -> bool:
        return next(tree.iter("author", "rel"), None) is None and not _BYLINE_WORDS.search(" ".join(_BYLINE_ATTRS(tree)))

    pages = [page(body=b) for b in BYLINES if shortcut(parse(page(body=b)))]
    assert len(pages) == 3
    for html in pages:
        assert trafilatura_metadata(html, None, ExtractConfig()).author is None


def _expand(pattern: str) -> list[str]:
    """The strings a pattern made of literals, `[Xx]` classes and `c?` matches."""
    m = re.search(r"\[(\w+)\]|(.)\?", pattern)
    if not m:
        assert not re.search(r"[\\^$.*+()|{}\[\]]", pattern), f"re-derive _BYLINE_WORDS for {pattern!r}"
        return [pattern]
    options = list(m[1]) if m[1] else [m[2], ""]
    return [s for o in options for s in _expand(pattern[:m.start()] + o + pattern[m.end():])]


def test_byline_words_cover_trafilatura_author_xpaths() -> None:
    """Every way trafilatura's AUTHOR_XPATHS can select an element needs a `_BYLINE_WORDS`
    match in one of `_BYLINE_ATTRS`, an <author> element or a <rel> child."""
    src = " ".join(x.path for x in AUTHOR_XPATHS)
    attrs = set(re.findall(r"@([\w-]+)", src))
    assert attrs <= set(re.findall(r"@([\w-]+)", _BYLINE_ATTRS.path))
    regexes = re.findall(r"re:test\(@[\w-]+, '([^']*)'\)", src)
    literals = [lit for lit in re.findall(r"'([^']*)'", src) if lit not in regexes]
    # a change here: trafilatura's byline XPaths changed, check _BYLINE_WORDS against them
    assert regexes == ["author-?name|AuthorName|authorName", "author|zuozhe|bianji|xiaobian",
                       "author|channel-name|zuozhe|bianji|xiaobian|submitted-by|posted-by|journalist-name",
                       "[Aa]uthor", "[Aa]uthor|screenname|writer|[Bb]yline"]
    for lit in literals:
        assert lit == "me" or _BYLINE_WORDS.search(lit), lit  # 'me': the <rel> child test
    for alternative in (a for r in regexes for a in r.split("|")):
        for s in _expand(alternative):
            assert _BYLINE_WORDS.search(s), s
    # element names: only `//author` and the `rel='me'` child test
    assert set(re.findall(r"//([\w*]+)", src)) == {"*", "author"}
    assert re.findall(r"(?<![@\w-])([a-z][\w-]*)\s*=\s*'", src) == ["rel"]


VISIBLE = XPath(
    "//body//text()[not(ancestor::script or ancestor::style or ancestor::noscript or ancestor::template)]")
VISIBLE_PAGES = [
    "<html><body><p>a <!-- c --> b</p><script>x()</script>tail<noscript><p>zz</p></noscript>"
    "<template><p>t</p></template><style>p{}</style> after </body></html>",
    "<html><body>x<div>y</div></body><body>z</body></html>",
    "<html><head><title>only a title</title></head></html>",
    "<html><body>one<svg><style>s</style><text>txt</text></svg>\xa0 two\u2003three<?pi x?>after</body></html>",
    "<html><body>  \n <p>  spaced   out \t text </p>\n\n<p></p><p> </p></body></html>",
    page(JSON_LD, '<script>var x = "lots of script text";</script>'),
] + [c["html"] for c in CASE_PAGES]


@pytest.mark.parametrize("html", VISIBLE_PAGES)
def test_visible_chars_and_its_bounds(html: str) -> None:
    tree = parse(html)
    expected = sum(len(" ".join(s.split())) + 1 for s in VISIBLE(tree) if not s.isspace())
    assert _visible_chars(tree) == expected
    assert _chars_bound(tree) >= _chars_bound(tree) - _script_chars(tree) >= expected


RULE_PROBES = [
    "Read more", "Read more: Tags: politics", "Related: Sign up", "Share this", "Share this story now",
    "Tags: a, b", "Photo: AP", "Photo credit: Reuters / Share", "Subscribe", "Subscribe to our newsletter",
    "Sign up for our newsletter today!", "5 min read", "Published on 12 May 2020", "Advertisement",
    "Follow @daily on Twitter", "Leave a comment", "Contact us", "Read more about the budget vote. Then more.",
    "The council voted on the new budget.", "", "related", "tags:", "Get our free app for news",
]


def test_rules_as_one_pattern_pick_the_first_matching_rule() -> None:
    rules = [(name, re.compile(rf"(?:{pattern})\s*\Z", re.I | re.S)) for name, pattern in BOILERPLATE_RULES]
    probes = RULE_PROBES + [line for c in CASE_PAGES for line in extract_html(c["html"]).text.split("\n")]
    matched = 0
    for text in probes:
        expected = next((name for name, rx in rules if rx.match(text)), None)
        match = _ANY_RULE.match(text)
        assert (match.lastgroup if match else None) == expected, text
        matched += expected is not None
    assert matched >= 15


def _render_copies(body) -> str:  # cleaners.html.render before it moved blocks
    from cleaners.html import _clean_block
    paragraphs = [_clean_block(body.text or "")]
    for child in body:
        block = deepcopy(child)
        block.tail = None
        wrapper = Element("body")
        wrapper.append(block)
        paragraphs.append(_clean_block(xmltotxt(wrapper, False), child.tag == "code" or child.find(".//code") is not None))
        paragraphs.append(_clean_block(child.tail or ""))
    return "\n\n".join(p for p in paragraphs if p)


@pytest.mark.parametrize("html", [c["html"] for c in CASE_PAGES] + [page(body="<ul><li>one</li><li>two</li></ul>"
                                                                         "<table><tr><td>a</td><td>b</td></tr></table>")])
def test_render_moving_blocks_is_render_copying_them(html: str) -> None:
    from cleaners.html import render
    doc = bare_extraction(parse(html), favor_recall=True, include_comments=False, output_format="txt")
    if doc is None:
        pytest.skip("trafilatura finds no body")
    body = doc.body
    if len(body):  # loose text around blocks, as trafilatura's baseline can leave
        body.text, body[0].tail = "loose lead", (body[0].tail or "") + " loose tail"
    assert render(deepcopy(body)) == _render_copies(body)


# ---------------------------------------------------------------------------- dates: dateparser told the page's language


def _settings(parser) -> dict:
    return {k: v for k, v in vars(parser._settings).items() if k.isupper()}


def test_dateparser_settings_are_htmldates() -> None:
    """The per-language parsers differ from htmldate's own only in their languages (a
    htmldate upgrade that changes its settings fails here)."""
    assert _settings(html_mod._HTMLDATE_PARSER()) == _settings(html_mod._date_parser(("de", "en")))
    assert html_mod._HTMLDATE_PARSER().languages is None


@pytest.mark.parametrize("declared,expected", [
    ('lang="de-AT"', ("de", "en")), ('lang="EN_gb"', ("en",)), ('lang="pt"', ("pt", "en")),
    ('xml:lang="fr"', ("fr", "en")), ('lang="x-klingon"', "undeclared"), ('lang=""', "undeclared"),
    ("", "undeclared"),
])
def test_date_languages(declared: str, expected) -> None:
    if expected == "undeclared":  # the web's most used languages, every checked one among them
        expected = html_mod._dateparser_languages()[:html_mod.UNDECLARED_DATE_LANGUAGES]
        assert {"en", "de", "fr", "es", "pl", "ru", "el", "zh", "ja", "pt", "it"} <= set(expected)
    assert html_mod.date_languages(parse(f"<html {declared}><body>{PROSE}</body></html>")) == expected


PORTUGUESE_DATE = "3 de março de 2021"  # dateparser reads it only when told Portuguese or all


def test_date_phrase_cache_is_keyed_by_language() -> None:
    """A phrase's date depends on the languages it was parsed in, not on which page showed
    it first: the same results in either order, with htmldate's phrase cache warm."""
    bounds = ("%Y-%m-%d", True, dt.datetime(1995, 1, 1), dt.datetime(2099, 12, 31))

    def parse_in(languages):
        token = html_mod._DATE_LANGUAGES.set(languages)
        try:
            return html_mod._try_date_expr(PORTUGUESE_DATE, *bounds)
        finally:
            html_mod._DATE_LANGUAGES.reset(token)

    results = []
    for order in ((None, ("de", "en")), (("de", "en"), None)):
        html_mod._try_date_expr_in.cache_clear()
        results.append({languages: parse_in(languages) for languages in order})
    assert results[0] == results[1] == {None: "2021-03-03", ("de", "en"): None}


def test_a_date_in_the_declared_language_or_with_none_declared() -> None:
    """The price, stated: a page that declares another language than its date phrase's
    loses that date (here to the copyright year, htmldate's last resort)."""
    html = page(body=f"<p>{PORTUGUESE_DATE}</p>")
    assert extract_html(html).date == "2021-03-03"
    assert extract_html(html.replace("<html>", '<html lang="pt-BR">')).date == "2021-03-03"
    assert extract_html(html.replace("<html>", '<html lang="de">')).date == "2016-01-01"
