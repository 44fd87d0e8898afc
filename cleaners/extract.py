"""Step `extract`: the page or dump to a clean body, a title, a date and other metadata.

HTML goes through trafilatura (`cleaners.html`); plain-text dumps go through docprep's own
line cleaner (`cleaners.textdump`), since trafilatura needs markup. Metadata the input
declared itself (a JSONL line's `title`, `url`, `date`, `author`; a WARC record's or a
fetch's URL) wins over what extraction guessed, a declared date normalised to YYYY-MM-DD;
provenance lists the fields taken (`declared`) and those ignored, with why (`ignored`: a
JSONL field that is not a string, a date that names no date). Provenance also records the method and, for dumps, which line ranges were
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
    declared, ignored = declared_metadata(doc)
    chars_in = len(doc.content)
    doc.content = ""  # the page is not needed past this step; free it early
    if not doc.text.strip():
        return Reject(doc.source, STAGE, "no_content", "extraction found no main text", id=doc.id)
    return doc.did(STAGE, chars_in=chars_in, chars_out=len(doc.text), **how,
                   declared=declared or None, ignored=ignored or None)


def declared_metadata(doc: Document) -> tuple[list[str], dict[str, str]]:
    """Put the metadata the input declared (`doc.hints`: a JSONL line's fields, a WARC
    record's or a fetch's URL) over what extraction found. A declared date is normalised
    to YYYY-MM-DD, or ignored (extraction's stays) when it names no date. Returns the
    fields taken, for provenance, and the fields ignored with why (with the reader's)."""
    declared: list[str] = []
    ignored = dict(doc.hints.get("ignored", {}))
    for key in ("title", "url", "date", "author"):
        value = doc.hints.get(key)
        if not value:
            continue
        if key == "date":
            from cleaners.textdump import parse_date

            iso = parse_date(value)
            if iso is None:
                ignored[key] = f"not a date: {value[:60]!r}"
                continue
            value = iso
        setattr(doc, key, value)
        declared.append(key)
    return declared, ignored
