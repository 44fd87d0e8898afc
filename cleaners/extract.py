"""Step `extract`: the page or dump to a clean body, a title, a date and other metadata.

HTML goes through trafilatura (`cleaners.html`); plain-text dumps go through docprep's own
line cleaner (`cleaners.textdump`), since trafilatura needs markup. Metadata the input
declared itself (a JSONL line's `title`, `url`, `date`, `author`) wins over what
extraction guessed. Provenance records the method and, for dumps, which line ranges were
removed and why (`removed: [[first, last, reason], ...]`, 0-based line numbers of the
decoded dump), so a report can show the original with each removal explained.
"""
from __future__ import annotations

from cleaners.config import ExtractConfig
from cleaners.record import Document, Reject

STAGE = "extract"


def removed_ranges(lines) -> list[list]:
    """Collapse per-line verdicts into [first, last, reason] runs of removed lines."""
    out: list[list] = []
    for v in lines:
        if v.keep or not v.text.strip():
            continue
        if out and out[-1][2] == v.reason and out[-1][1] == v.index - 1:
            out[-1][1] = v.index
        else:
            out.append([v.index, v.index, v.reason])
    return out


def extract(doc: Document, cfg: ExtractConfig) -> Document | Reject:
    if doc.kind == "html":
        from cleaners.html import extract_html

        r = extract_html(doc.content, doc.hints.get("url"), cfg)
        doc.text, doc.title, doc.date, doc.author = r.text, r.title, r.date, r.author
        doc.sitename, doc.url = r.sitename, r.url
        how = {"method": r.method}
    else:
        from cleaners.textdump import clean_dump

        r = clean_dump(doc.content, cfg)
        doc.text, doc.title, doc.date = r.text, r.title, r.date
        how = {"method": "textdump", "removed": removed_ranges(r.lines)}
    for key in ("title", "url", "date", "author"):
        if doc.hints.get(key):
            setattr(doc, key, doc.hints[key])
    chars_in = len(doc.content)
    doc.content = ""  # the page is not needed past this step; free it early
    if not doc.text.strip():
        return Reject(doc.source, STAGE, "no_content", "extraction found no main text", id=doc.id)
    return doc.did(STAGE, chars_in=chars_in, chars_out=len(doc.text), **how)
