"""iter_warc: WARC/ARC response records in, one Document or Reject per record out.

Fixtures are built here with warcio's WARCWriter (ARC by hand: warcio cannot write ARC).
"""
from __future__ import annotations

import gzip
import io
import itertools
import zlib
import uuid
import tracemalloc

import brotli
import pytest
from warcio.archiveiterator import ArchiveIterator
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter as _WARCWriter

from cleaners.config import ReadConfig
from cleaners.record import Document, Reject, Source, sha256_hex
from cleaners.warc import (FETCHED_AT_HEADER, REQUESTED_URI_HEADER, GzipMembers, PlainRecords, ZstdFrames, iter_warc,
                           parse_content_type)

#: How each kind of WARC's records are found.
KINDS = {"gz": GzipMembers, "zst": ZstdFrames, "plain": PlainRecords}

CFG = ReadConfig()


class WARCWriter(_WARCWriter):
    """warcio's writer with record ids and dates the same in every run (warcio draws them
    at random and from the clock): a fixture's bytes, its compressed sizes and offsets,
    and so a failure, are the same in every run."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self._ids = itertools.count()

    def _make_warc_id(self):
        return f"<urn:uuid:{uuid.UUID(int=next(self._ids))}>"

    @classmethod
    def _make_warc_date(cls, use_micros=False):
        return "2024-01-01T00:00:00Z"
PAGE = b"<html><head><title>One</title></head><body><p>Hello WARC.</p></body></html>"
PAGE2 = b"<html><body><p>Second page</p></body></html>"


def _http(status: str, content_type: str | None, extra: list[tuple[str, str]] = ()) -> StatusAndHeaders:
    headers = [("Content-Type", content_type)] if content_type else []
    return StatusAndHeaders(status, headers + list(extra), protocol="HTTP/1.1")


def _response(writer: WARCWriter, uri: str, body: bytes, content_type: str | None = "text/html; charset=utf-8",
              status: str = "200 OK", extra=(), warc_headers=None):
    return writer.create_warc_record(
        uri, "response", payload=io.BytesIO(body), http_headers=_http(status, content_type, extra),
        warc_headers_dict=warc_headers or {},
    )


def _request(writer: WARCWriter, uri: str):
    return writer.create_warc_record(
        uri, "request", payload=io.BytesIO(b""),
        http_headers=StatusAndHeaders("GET / HTTP/1.1", [("Host", "example.com")], is_http_request=True),
    )


def build_warc(gz: bool) -> bytes:
    """warcinfo, html response, request, pdf response, metadata, revisit, html response."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    w.write_record(w.create_warcinfo_record("test.warc", {"software": "tests"}))
    w.write_record(_response(w, "http://example.com/a", PAGE, warc_headers={"WARC-Date": "2024-05-01T10:00:00Z"}))
    w.write_record(_request(w, "http://example.com/a"))
    w.write_record(_response(w, "http://example.com/b.pdf", b"%PDF-1.4 ...", content_type="application/pdf"))
    w.write_record(w.create_warc_record("http://example.com/a", "metadata", payload=io.BytesIO(b"via: x\r\n"),
                                        warc_content_type="application/warc-fields"))
    w.write_record(w.create_revisit_record("http://example.com/a", digest="sha1:AAAA", refers_to_uri="http://example.com/a",
                                           refers_to_date="2024-05-01T10:00:00Z",
                                           http_headers=_http("200 OK", "text/html")))
    w.write_record(_response(w, "http://example.com/c", PAGE2, content_type="application/xhtml+xml"))
    return buf.getvalue()


def read(data: bytes, cfg: ReadConfig = CFG, uri: str = "in/test.warc") -> list[Document | Reject]:
    return list(iter_warc(io.BytesIO(data), uri, cfg))


def offsets(data: bytes) -> list[tuple[str, int, int]]:
    """(type, offset, length) of every record, as warcio indexes them."""
    out = []
    it = ArchiveIterator(io.BytesIO(data))
    for record in it:
        out.append((record.rec_type, it.get_record_offset(), it.get_record_length()))
    return out


def per_record(plain: bytes, pack: str, dictionary: bool = True) -> bytes:
    """The plain WARC `plain` as it is ("plain"), or compressed a record at a time: a gzip
    member per record ("gz", as warcio writes them), or a zstd frame per record ("zst", as Archive Team
    writes `.warc.zst`: after a skippable frame holding a dictionary if `dictionary`,
    frames with a checksum, as the zstd tool writes them)."""
    import struct

    from cleaners.read import zstd

    if pack == "plain":
        return plain
    starts = [off for _, off, _ in offsets(plain)]
    records = [plain[a:b] for a, b in zip(starts, [*starts[1:], len(plain)])]
    if pack == "gz":
        return b"".join(gzip.compress(r, mtime=0) for r in records)
    options = {zstd.CompressionParameter.checksum_flag: 1}
    if not dictionary:
        return b"".join(zstd.compress(r, options=options) for r in records)
    d = zstd.train_dict(records * (1 + 40 // len(records)), 4096)
    return (struct.pack("<II", 0x184D2A5D, len(d.dict_content)) + d.dict_content
            + b"".join(zstd.compress(r, options=options, zstd_dict=d) for r in records))


def packed_offsets(plain: bytes, pack: str) -> list[tuple[str, int, int]]:
    """`offsets` of the records of `per_record(plain, pack)`: where each record's member or
    frame starts in the file, and its length there."""
    kinds = [kind for kind, _, _ in offsets(plain)]
    data = per_record(plain, pack)
    members = KINDS[pack](io.BytesIO(data))
    starts, at = [], members.first()
    while at is not None:
        starts.append(at)
        at = members.next(at + 1)
    assert len(starts) == len(kinds)
    return [(kind, a, b - a) for kind, a, b in zip(kinds, starts, [*starts[1:], len(data)])]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_one_outcome_per_response_record(gz):
    data = build_warc(gz)
    out = read(data)
    responses = [(off, length) for kind, off, length in offsets(data) if kind == "response"]
    assert [type(o).__name__ for o in out] == ["Document", "Reject", "Document"]
    assert [o.source.position for o in out] == [off for off, _ in responses]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_html_response_becomes_a_document(gz):
    doc = read(build_warc(gz))[0]
    assert isinstance(doc, Document)
    assert doc.kind == "html"
    assert doc.raw == PAGE
    src = doc.source
    assert (src.uri, src.format, src.sha256) == ("in/test.warc", "warc", sha256_hex(PAGE))
    assert src.get("target_uri") == "http://example.com/a"
    assert src.get("warc_date") == "2024-05-01T10:00:00Z"
    assert src.get("http_status") == 200
    assert src.get("record_id", "").startswith("<urn:uuid:")
    assert doc.hints == {"url": "http://example.com/a", "charset": "utf-8"}
    assert Source.from_dict(src.to_dict()) == src  # extra is sorted and None-free


def test_a_payload_the_crawler_truncated_is_read_and_marked():
    """Common Crawl keeps the first 1 MiB of a page and says so (WARC-Truncated: length):
    the page is read as far as it goes, and its source records the cut."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(_response(w, "http://example.com/long", PAGE[:40], warc_headers={"WARC-Truncated": "length"}))
    w.write_record(_response(w, "http://example.com/a", PAGE))
    cut, whole = read(buf.getvalue())
    assert cut.raw == PAGE[:40] and cut.source.get("warc_truncated") == "length"
    assert whole.source.get("warc_truncated") is None


def test_xhtml_is_html_and_charset_may_be_absent():
    doc = read(build_warc(False))[2]
    assert isinstance(doc, Document) and doc.raw == PAGE2
    assert doc.hints == {"url": "http://example.com/c", "charset": None}


def test_non_html_response_is_rejected_with_its_position():
    data = build_warc(True)
    rej = read(data)[1]
    assert isinstance(rej, Reject)
    assert (rej.stage, rej.reason) == ("read", "not_html")
    assert "application/pdf" in rej.detail
    assert rej.source.get("target_uri") == "http://example.com/b.pdf"
    assert rej.source.sha256 == sha256_hex(b"%PDF-1.4 ...")
    assert rej.id is not None


def no_page_warc() -> bytes:
    """A gzip WARC with no page in it: warcinfo, a request, metadata, a crawler's log."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(w.create_warcinfo_record("x.warc", {"software": "tests"}))
    w.write_record(_request(w, "http://example.com/"))
    w.write_record(w.create_warc_record("http://example.com/", "metadata", payload=io.BytesIO(b"a: b\r\n"),
                                        warc_content_type="application/warc-fields"))
    w.write_record(w.create_warc_record("metadata://crawler/log", "resource", payload=io.BytesIO(b"GET /\n"),
                                        warc_content_type="text/plain"))
    return buf.getvalue()


def test_non_response_records_are_not_units():
    assert read(no_page_warc()) == []


def test_an_html_resource_record_is_a_page_and_other_resources_are_not_units():
    """warcit archives a folder of a site's files as resource records (the file's bytes,
    no HTTP exchange): an HTML one is a page, read as one (before, it was skipped without
    a trace, so a whole warcit archive gave nothing). Crawlers archive their logs and
    manifests as resources too (wget: text/plain under metadata://): not units."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(w.create_warc_record("metadata://gnu.org/software/wget/warc/wget.log", "resource",
                                        payload=io.BytesIO(b"--2024-04-25-- https://example.com/\n"),
                                        warc_content_type="text/plain"))
    w.write_record(w.create_warc_record("http://example.com/page.html", "resource", payload=io.BytesIO(PAGE),
                                        warc_content_type="text/html; charset=utf-8"))
    w.write_record(w.create_warc_record("http://example.com/data.json", "resource", payload=io.BytesIO(b"{}"),
                                        warc_content_type="application/json"))
    w.write_record(w.create_warc_record("http://example.com/old.xhtml", "resource", payload=io.BytesIO(PAGE2),
                                        warc_content_type="application/xhtml+xml"))
    out = read(buf.getvalue())
    assert [(type(u).__name__, u.kind, u.raw, u.hints) for u in out] == [
        ("Document", "html", PAGE, {"url": "http://example.com/page.html", "charset": "utf-8"}),
        ("Document", "html", PAGE2, {"url": "http://example.com/old.xhtml", "charset": None})]
    assert out[0].source.get("target_uri") == "http://example.com/page.html" and out[0].source.sha256 == sha256_hex(PAGE)


#: A response whose server named no type for it, or a generic one: (Content-Type, the
#: crawler's WARC-Identified-Payload-Type, body, what it reads as: "sniffed",
#: "WARC-Identified-Payload-Type" (a page, and how it was known), or None (not_html)).
UNDECLARED = [
    (None, None, PAGE, "sniffed"),
    ("application/octet-stream", None, b"\n  <!DOCTYPE html>" + PAGE, "sniffed"),
    (None, None, b"\x00\x01\x00\x00 a font", None),
    (None, "text/html", b"Hello, a page the crawler found to be HTML", "WARC-Identified-Payload-Type"),
    ("application/octet-stream", "application/pdf", PAGE, None),  # the crawler's finding wins
    ("text/plain", None, PAGE, None),  # a declared type is taken at its word
]


@pytest.mark.parametrize("content_type, identified, body, html_by", UNDECLARED)
def test_a_page_served_without_a_type_is_known_by_what_it_is(content_type, identified, body, html_by):
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(_response(w, "http://example.com/x", body, content_type=content_type,
                             warc_headers={"WARC-Identified-Payload-Type": identified} if identified else None))
    (out,) = read(buf.getvalue())
    if html_by:
        assert isinstance(out, Document) and out.raw == body and out.source.get("html_by") == html_by
    else:
        assert out.reason == "not_html" and out.source.get("html_by") is None


def test_error_status_is_rejected():
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(_response(w, "http://example.com/gone", b"<html>Not found</html>", status="404 Not Found"))
    w.write_record(_response(w, "http://example.com/moved", b"<html>Moved</html>", status="301 Moved Permanently",
                             extra=[("Location", "/new")]))
    assert [(r.reason, r.source.get("http_status")) for r in read(buf.getvalue())] == [("http_404", 404), ("http_301", 301)]


def test_response_without_http_headers_is_not_html():
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(w.create_warc_record("dns:example.com", "response", payload=io.BytesIO(b"20240501 example.com 1.2.3.4\n"),
                                        warc_content_type="text/dns"))
    (rej,) = read(buf.getvalue())
    assert rej.reason == "not_html" and "text/dns" in rej.detail


def test_chunked_and_gzip_encoded_body_is_decoded():
    chunked = b"%x\r\n%s\r\n0\r\n\r\n" % (len(gzip.compress(PAGE)), gzip.compress(PAGE))
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(_response(w, "http://example.com/z", chunked,
                             extra=[("Transfer-Encoding", "chunked"), ("Content-Encoding", "gzip")]))
    (doc,) = read(buf.getvalue())
    assert doc.raw == PAGE and doc.source.sha256 == sha256_hex(PAGE)


def _zstd_body(data: bytes) -> bytes:
    from cleaners.read import zstd

    return zstd.compress(data)


#: A body as a server sent it (HTTP Content-Encoding), how it is stored, and whether it
#: reads as the page (else an unsupported_encoding reject).
CODINGS = {
    "gzip": (gzip.compress, True),
    "GZIP (any case)": (gzip.compress, True),
    "x-gzip (gzip's old name)": (gzip.compress, True),
    "deflate": (zlib.compress, True),
    "br": (brotli.compress, True),
    "zstd": (_zstd_body, True),
    "identity": (lambda b: b, True),
    "gzip (but the server sent it plain)": (lambda b: b, True),
    "compress": (lambda b: b"\x1f\x9d" + b, False),
    "gzip, br (two codings)": (lambda b: brotli.compress(gzip.compress(b)), False),
}


@pytest.mark.parametrize("chunked", [False, True], ids=["whole", "chunked"])
@pytest.mark.parametrize("coding", sorted(CODINGS))
def test_a_body_reads_decoded_whatever_the_server_compressed_it_with(coding, chunked):
    """A crawler stores a body as it came: warcio decodes its Content-Encoding, br with
    Google's brotli (warcio's own br decoder wants brotlipy and failed on it: the page
    was a corrupt_warc reject; without brotli, the compressed bytes were read as the page,
    an `undecodable` reject), zstd and x-gzip added; one no decoder reads is a reject that
    says so, not bytes read as a page."""
    encode, reads = CODINGS[coding]
    body = encode(PAGE)
    if chunked:
        body = b"%x\r\n%s\r\n0\r\n\r\n" % (len(body), body)
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    headers = [("Content-Encoding", coding.split(" (")[0])]
    w.write_record(_response(w, "http://example.com/z", body,
                             extra=headers + ([("Transfer-Encoding", "chunked")] if chunked else [])))
    (doc,) = read(buf.getvalue())
    if reads:
        assert isinstance(doc, Document) and doc.raw == PAGE
    else:
        assert doc.reason == "unsupported_encoding" and repr(headers[0][1]) in doc.detail


@pytest.mark.parametrize("coding", ["gzip", "deflate", "br", "zstd"])
def test_a_compressed_body_that_stops_decoding_is_read_as_far_as_it_goes_and_says_so(coding):
    """A body whose compressed data is cut (a server's stream that broke off, a crawler
    that did not mark it WARC-Truncated) or damaged past its first bytes: warcio ends it
    where decoding stops, without a word. The page is read as far as it decodes and its
    source says so (`body_incomplete`, the coding). Damaged in its first bytes, warcio
    takes it for a body sent uncompressed and gives its compressed bytes: a
    corrupt_encoding reject. A body that decodes whole is not marked."""
    import random

    rnd = random.Random(7)  # words that do not compress to nothing: the body spans many reads
    page = b"<html><body>" + b"".join(b"<p>%s</p>" % " ".join(rnd.randbytes(3).hex() for _ in range(40)).encode()
                                      for _ in range(1500)) + b"</body></html>"
    whole = CODINGS[coding][0](page)
    half = len(whole) // 2
    cases = {"whole": whole, "cut": whole[:half], "damaged late": whole[:half] + bytes(64) + whole[half + 64:],
             "damaged early": whole[:12] + bytes(64) + whole[76:]}
    for case, body in cases.items():
        buf = io.BytesIO()
        w = WARCWriter(buf, gzip=True)
        w.write_record(_response(w, "http://example.com/z", body, extra=[("Content-Encoding", coding)]))
        (out,) = read(buf.getvalue())
        if case == "damaged early":
            assert out.reason == "corrupt_encoding" and repr(coding) in out.detail, case
            continue
        assert isinstance(out, Document), (case, out)
        if case == "whole":
            assert out.raw == page and out.source.get("body_incomplete") is None
        else:
            assert out.source.get("body_incomplete") == coding and 1000 < len(out.raw) < len(page), case
        if case == "cut":
            assert page.startswith(out.raw)


def test_too_large_is_rejected_and_reading_goes_on():
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(_response(w, "http://example.com/big", b"<html>" + b"x" * 5000 + b"</html>"))
    w.write_record(_response(w, "http://example.com/small", PAGE))
    big, small = read(buf.getvalue(), ReadConfig(max_document_bytes=1000))
    assert isinstance(big, Reject) and big.reason == "too_large"
    assert isinstance(small, Document) and small.raw == PAGE


def test_memory_does_not_grow_with_the_record(tmp_path):
    body = b"<html>" + bytes(range(256)) * (24 * 4096) + b"</html>"  # ~24 MB, incompressible-ish
    path = tmp_path / "big.warc"
    with open(path, "wb") as fh:
        w = WARCWriter(fh, gzip=False)
        w.write_record(_response(w, "http://example.com/huge", body))
        w.write_record(_response(w, "http://example.com/small", PAGE))
    del body
    tracemalloc.start()
    try:
        with open(path, "rb") as fh:
            out = [(type(o).__name__, getattr(o, "reason", None)) for o in iter_warc(fh, str(path), ReadConfig(max_document_bytes=1024**2))]
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert out == [("Reject", "too_large"), ("Document", None)]
    assert peak < 6 * 1024**2


def test_unseekable_stream():
    class Pipe(io.RawIOBase):
        def __init__(self, data: bytes):
            self._data = io.BytesIO(data)

        def readable(self):
            return True

        def readinto(self, b):
            chunk = self._data.read(len(b))
            b[: len(chunk)] = chunk
            return len(chunk)

        def tell(self):
            raise OSError("unseekable")

    data = build_warc(True)
    assert [o.source for o in iter_warc(Pipe(data), "in/test.warc", CFG)] == [o.source for o in read(data)]


@pytest.mark.parametrize("gz", [False, True], ids=["warc", "warc.gz"])
def test_truncated_archive_at_every_byte(gz):
    """Cut the archive at every byte: the records wholly before the cut come out as they
    would from the whole file, and a cut inside a record ends with one corrupt_warc at
    that record's offset; never a short document."""
    data = build_warc(gz)
    full = read(data)
    records = offsets(data)
    by_position = {o.source.position: o for o in full}
    for cut in range(len(data)):
        out = read(data[:cut])
        whole = [(kind, off) for kind, off, length in records if off + length <= cut]
        broken = [off for kind, off, length in records if off < cut < off + length]
        if gz:  # a member cut only in its gzip trailer still holds the whole record
            broken = [off for kind, off, length in records if off < cut < off + length - 12]
        expected = [by_position[off] for kind, off in whole if kind == "response"]
        if broken:
            assert out[:-1] == expected, cut
            assert out[-1].reason == "corrupt_warc", cut
            assert out[-1].source.position == broken[0], cut
        else:
            got = [o for o in out if not (isinstance(o, Reject) and o.reason == "corrupt_warc")]
            assert got[: len(expected)] == expected, cut
            assert len(out) <= len(expected) + 1, cut


def test_garbage_in_the_middle_keeps_what_came_before():
    data = build_warc(True)
    first_end = next(off + length for kind, off, length in offsets(data) if kind == "request")
    damaged = data[:first_end] + b"\x1f\x8b\x08\x00garbage that is not deflate" + data[first_end:]
    out = read(damaged)
    assert isinstance(out[0], Document) and out[0].raw == PAGE
    assert out[-1].reason == "corrupt_warc" and out[-1].source.position == first_end
    assert "before it were read" in out[-1].detail


def test_not_an_archive():
    (rej,) = read(b"this is not a WARC file\n" * 10)
    assert rej.reason == "corrupt_warc" and rej.source.position == 0


def test_same_input_same_output():
    data = build_warc(True)
    assert read(data) == read(data)


# ---------------------------------------------------------------------------- ARC


def build_arc(gz: bool) -> bytes:
    def http(body: bytes, ct: str) -> bytes:
        return b"HTTP/1.0 200 OK\r\nContent-Type: " + ct.encode() + b"\r\nContent-Length: %d\r\n\r\n" % len(body) + body

    head_body = b"1 0 Tests\nURL IP-address Archive-date Content-type Archive-length\n"
    members = [
        b"filedesc://test.arc 0.0.0.0 20240501100000 text/plain %d\n" % len(head_body) + head_body + b"\n",
    ]
    for url, body, ct in [("http://example.com/arc", PAGE, "text/html; charset=iso-8859-1"),
                          ("http://example.com/img.png", b"\x89PNG", "image/png")]:
        payload = http(body, ct)
        members.append(b"%s 93.184.216.34 20240501100102 %s %d\n" % (url.encode(), ct.split(";")[0].encode(), len(payload)) + payload + b"\n")
    if gz:
        return b"".join(gzip.compress(m) for m in members)
    return b"".join(members)


@pytest.mark.parametrize("gz", [False, True], ids=["arc", "arc.gz"])
def test_arc_records(gz):
    data = build_arc(gz)
    doc, rej = read(data, uri="in/test.arc.gz")
    assert isinstance(doc, Document) and doc.raw == PAGE
    assert doc.source.format == "warc"
    assert doc.source.to_dict() == {
        "uri": "in/test.arc.gz", "sha256": sha256_hex(PAGE), "format": "warc", "position": doc.source.position,
        "target_uri": "http://example.com/arc", "warc_date": "2024-05-01T10:01:02Z", "http_status": 200,
    }
    assert doc.hints == {"url": "http://example.com/arc", "charset": "iso-8859-1"}
    assert isinstance(rej, Reject) and rej.reason == "not_html"
    assert read(data, uri="in/test.arc.gz") == [doc, rej]  # no invented record ids: same output every run


# ---------------------------------------------------------------------------- docprep's own WARCs


def test_fetched_record_reads_back_as_a_url_source():
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(_response(
        w, "https://example.com/final", PAGE,
        extra=[("ETag", '"abc"'), ("Last-Modified", "Wed, 01 May 2024 10:00:00 GMT")],
        warc_headers={REQUESTED_URI_HEADER: "http://example.com/start", FETCHED_AT_HEADER: "2024-05-02T08:00:00Z"},
    ))
    (doc,) = read(buf.getvalue(), uri="/tmp/batch-17.warc.gz")
    assert doc.source == Source(
        uri="http://example.com/start", sha256=sha256_hex(PAGE), format="url", position=None,
        extra=(("etag", '"abc"'), ("fetched_at", "2024-05-02T08:00:00Z"), ("final_url", "https://example.com/final"),
               ("http_status", 200), ("last_modified", "Wed, 01 May 2024 10:00:00 GMT")),
    )
    assert doc.hints["url"] == "https://example.com/final"


@pytest.mark.parametrize("value, expected", [
    ("text/html; charset=UTF-8", ("text/html", "UTF-8")),
    ('Text/HTML;Charset="windows-1252"', ("text/html", "windows-1252")),
    ("text/html", ("text/html", None)),
    ("", (None, None)),
    (None, (None, None)),
    ("application/xhtml+xml; q=1; charset=utf-8", ("application/xhtml+xml", "utf-8")),
])
def test_parse_content_type(value, expected):
    assert parse_content_type(value) == expected


def test_truncated_too_large_record_is_corrupt_not_too_large():
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(_response(w, "http://example.com/small", PAGE))
    w.write_record(_response(w, "http://example.com/big", b"<html>" + b"x" * 5000 + b"</html>"))
    data = buf.getvalue()
    small, rej = read(data[: len(data) - 1000], ReadConfig(max_document_bytes=1000))
    assert isinstance(small, Document)
    assert rej.reason == "corrupt_warc" and "truncated" in rej.detail


# ---------------------------------------------------------------------------- gzip WARCs: resync and parts


def big_warc(seed: int, n: int = 300, embed_every: int = 0, gz: bool = True) -> bytes:
    """A gzip WARC of `n` exchanges (request, then a response: HTML of varied size, some
    PDFs, some error pages), with a metadata record now and then; every `embed_every`th
    response's body is itself a gzip WARC (stored verbatim by deflate: a record start
    inside a record)."""
    import random

    rnd = random.Random(seed)
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    inner = build_warc(True)
    for k in range(n):
        uri = f"http://example.com/{seed}/{k}"
        w.write_record(_request(w, uri))
        if embed_every and k % embed_every == embed_every - 1:
            w.write_record(_response(w, uri, inner, content_type="application/warc"))
        elif rnd.random() < 0.1:
            w.write_record(_response(w, uri, b"%PDF-1.4 " + rnd.randbytes(500), content_type="application/pdf"))
        elif rnd.random() < 0.05:
            w.write_record(_response(w, uri, b"<html>gone</html>", status="404 Not Found"))
        else:
            words = " ".join(rnd.randbytes(4).hex() for _ in range(rnd.randrange(10, 1500)))
            w.write_record(_response(w, uri, f"<html><body><p>Page {k}: {words}</p></body></html>".encode()))
        if rnd.random() < 0.2:
            w.write_record(w.create_warc_record(uri, "metadata", payload=io.BytesIO(b"via: x\r\n"),
                                                warc_content_type="application/warc-fields"))
    return buf.getvalue()


def outcomes(units: list) -> list[tuple]:
    return [(type(u).__name__, u.source.position, u.source.sha256, getattr(u, "reason", None), u.id)
            for u in units]


def read_file(path, cfg: ReadConfig = CFG) -> list:
    """Every unit of `path` as the run reads it: planned (in parts if big), each part read."""
    from cleaners.read import plan_inputs, read_item

    items, rejects = plan_inputs([str(path)], cfg)
    assert rejects == []
    return [u for it in items for u in read_item(it, cfg)]


@pytest.mark.parametrize("pack", ["gz", "zst"])
def test_next_finds_the_first_record_at_or_after_any_offset(tmp_path, pack):
    from cleaners.read import zstd

    kind = {"gz": GzipMembers, "zst": ZstdFrames}[pack]
    plain = build_warc(False)
    data = per_record(plain, pack)
    starts = [off for _, off, _ in packed_offsets(plain, pack)]
    with open(tmp_path / "a.warc", "wb") as f:
        f.write(data)
    with open(tmp_path / "a.warc", "rb") as f:
        members = kind(f)
        for at in range(len(data) + 2):
            assert members.next(at) == next((s for s in starts if s >= at), None), at
        assert not members.whole() and f.tell() == 0
    # compressed whole: one member or frame, no record to find after it
    (tmp_path / "w.warc").write_bytes(gzip.compress(plain) if pack == "gz" else zstd.compress(plain))
    with open(tmp_path / "w.warc", "rb") as f:
        members = kind(f)
        assert members.next(0) == 0 and members.next(1) is None
        assert members.whole() and f.tell() == 0


@pytest.mark.parametrize("check", [True, False])
def test_a_record_whose_bytes_do_not_hash_to_its_block_digest_is_a_reject(check):
    """A plain WARC has no checksum of its own: a byte changed in a page since the crawler
    wrote it shows only in the record's WARC-Block-Digest. That page is a corrupt_warc
    reject (read.check_digests, on by default), its place and facts kept, and reading
    goes on. A payload digest that does not match is not judged (crawlers differ on what
    it covers)."""
    data = build_warc(False)
    assert data.count(b"Hello WARC.") == 1 and data.count(b"Second page") == 1
    damaged = data.replace(b"Hello WARC.", b"Hellx WARC.")
    payload = data.index(b"WARC-Payload-Digest: sha1:", data.index(b"http://example.com/c")) + len(b"WARC-Payload-Digest: sha1:")
    damaged = damaged[:payload] + b"A" * 32 + damaged[payload + 32:]  # the last page's payload digest, wrong
    cfg = ReadConfig(check_digests=check)
    out, full = read(damaged, cfg), read(data, cfg)
    assert [type(o).__name__ for o in out] == (["Reject", "Reject", "Document"] if check else ["Document", "Reject", "Document"])
    if check:
        bad = out[0]
        assert bad.reason == "corrupt_warc" and "WARC-Block-Digest" in bad.detail
        assert bad.source.position == full[0].source.position
        assert bad.source.get("target_uri") == "http://example.com/a"
    else:
        assert out[0].raw == PAGE.replace(b"Hello", b"Hellx")
    assert out[2].raw == full[2].raw == PAGE2  # its payload digest is wrong, its block digest right


@pytest.mark.parametrize("dictionary", [True, False])
def test_a_zstd_warc_with_a_frame_per_record_reads_as_the_plain_one(tmp_path, dictionary):
    """With or without a dictionary frame first: the same units as the plain WARC, each
    at the offset of its frame in the file."""
    plain = build_warc(False)
    (tmp_path / "a.warc.zst").write_bytes(per_record(plain, "zst", dictionary))
    got = read_file(tmp_path / "a.warc.zst")
    with open(tmp_path / "a.warc.zst", "rb") as f:
        frames = ZstdFrames(f)
        starts = [frames.first()]
        while (at := frames.next(starts[-1] + 1)) is not None:
            starts.append(at)
    assert (starts[0] > 0) == dictionary
    units = [(kind, off) for (kind, _, _), off in zip(offsets(plain), starts)]
    assert [u.source.position for u in got] == [off for kind, off in units if kind == "response"]
    assert [(type(u).__name__, u.source.sha256) for u in got] == [(type(u).__name__, u.source.sha256) for u in read(plain)]


@pytest.mark.parametrize("pack", ["gz", "zst", "plain"])
@pytest.mark.parametrize("damage", ["garbage", "flipped"])
def test_a_damaged_record_of_a_warc_costs_only_itself(tmp_path, damage, pack):
    """A gzip WARC's records are gzip members, a zstd WARC's zstd frames, a plain WARC's
    "WARC/1." lines whose Content-Length ends at a blank line: after a damaged one,
    reading resumes at the next record (a plain record's changed bytes show in its
    WARC-Block-Digest)."""
    plain = build_warc(False)
    data = per_record(plain, pack)
    recs = packed_offsets(plain, pack)
    pdf_off, pdf_len = [(off, length) for kind, off, length in recs if kind == "response"][1]
    if damage == "garbage":  # bytes between two records
        damaged = data[:pdf_off] + KINDS[pack].MAGIC + b"\x00garbage that is not compressed data" + data[pdf_off:]
    else:  # bytes of the PDF response's compressed data flipped (plain: of its body)
        mid = data.index(b"%PDF-1.4") + 2 if pack == "plain" else pdf_off + pdf_len // 2
        damaged = data[:mid] + bytes(b ^ 0xFF for b in data[mid:mid + 8]) + data[mid + 8:]
    at = pdf_off
    suffix = "" if pack == "plain" else f".{pack}"
    (tmp_path / f"d.warc{suffix}").write_bytes(damaged)
    (tmp_path / f"a.warc{suffix}").write_bytes(data)
    out = read_file(tmp_path / f"d.warc{suffix}")
    full = read_file(tmp_path / f"a.warc{suffix}")
    assert [o.reason for o in out if isinstance(o, Reject) and o.reason == "corrupt_warc"] == ["corrupt_warc"]
    [bad] = [o for o in out if isinstance(o, Reject) and o.reason == "corrupt_warc"]
    assert bad.source.position == at
    shift = len(damaged) - len(data) if damage == "garbage" else 0
    kept = [o for o in out if o is not bad]
    # every record but the damaged one (garbage damages none), at its place (after the
    # inserted garbage, shifted)
    expected = [o for o in full if damage == "garbage" or o.source.position != pdf_off]
    assert [(type(o).__name__, o.source.sha256) for o in kept] == [(type(o).__name__, o.source.sha256) for o in expected]
    assert [o.source.position for o in kept] == [o.source.position + (shift if o.source.position >= pdf_off else 0)
                                                 for o in expected]
    assert len(expected) == 3 - (damage == "flipped")


@pytest.mark.parametrize("pack", ["gz", "zst"])
def test_a_member_whose_end_is_damaged_loses_no_record_after_it(tmp_path, pack):
    """Bytes zeroed near the end of a record's member (or frame), and the file's tail cut:
    the damaged member's decompressor may read on into the next member, taking it for
    more of itself, and end quietly at the file's end (a found case: the record after it
    was lost without a trace, though parts reported it). The damaged record is a reject
    unless it decodes and checks whole, and the one after it is still read (here: a
    reject, cut short), in one read as in parts."""
    plain = big_warc(9, n=6, gz=False)
    data = per_record(plain, pack)
    recs = packed_offsets(plain, pack)
    _, off, length = recs[-2]  # the last member but one
    path = tmp_path / f"d.warc.{pack}"
    seen = set()
    for cut in (0, 7, 12, 30):
        path.write_bytes(data[:len(data) - cut])
        full = outcomes(read_file(path))
        after = [o[:2] for o in full if o[1] > off]  # the last record: a unit, or cut
        seen.add(("after", len(after)))
        for back in range(10, min(length, 130)):  # the zeroed bytes inside the member
            at = off + length - back
            path.write_bytes((data[:at] + bytes(10) + data[at + 10:])[:len(data) - cut])
            whole = outcomes(read_file(path))
            assert [o[:2] for o in whole if o[1] > off] == after, (cut, back)
            damaged = [o for o in whole if o[1] == off]
            assert all(o[0] == "Reject" or o in full for o in damaged), (cut, back)
            assert outcomes(read_file(path, ReadConfig.model_construct(warc_part_bytes=300))) == whole, (cut, back)
            seen.add(damaged[0][0] if damaged else None)
    assert {"Reject", ("after", 1)} <= seen


@pytest.mark.parametrize("pack", ["gz", "zst", "plain"])
@pytest.mark.parametrize("seed", [1, 2])
@pytest.mark.parametrize("part_kib", [1, 5.5, 64, 150, 100_000])
def test_a_big_warc_in_parts_reads_as_one(tmp_path, seed, part_kib, pack):
    """Parts start at records found at planning; each reads the records starting in its
    range. Together: the same units, offsets and ids as one read, damage included (a
    garbage stretch and a cut tail), for a gzip member or a zstd frame per record, or a
    plain WARC."""
    import random

    from cleaners.read import plan_inputs, zstd

    members = KINDS[pack]
    plain = big_warc(seed, gz=False)
    data = per_record(plain, pack)
    recs = packed_offsets(plain, pack)
    mid = recs[len(recs) // 2][1]
    data = data[:mid] + members.MAGIC + b"\x00garbage" + data[mid:]
    # records that start as records and then break, some where a part starts
    head = b"WARC/1.0\r\nWARC-Type: metadata\r\n" + random.Random(seed).randbytes(1000).hex().encode()
    bad = bytearray(gzip.compress(head) if pack == "gz" else head if pack == "plain" else
                    zstd.compress(head, options={zstd.CompressionParameter.checksum_flag: 1}))
    bad[len(bad) // 2:len(bad) // 2 + 8] = bytes(8)  # its compressed data broken: decompression fails
    marks = [off for _, off, _ in recs if off < mid][5::2]
    data = b"".join(data[a:b] + (bad if b in marks else b"") for a, b in zip([0, *marks], [*marks, len(data)]))
    data = data[: len(data) - 300]  # the last record cut short
    path = tmp_path / ("big.warc" if pack == "plain" else f"big.warc.{pack}")
    path.write_bytes(data)
    whole = read_file(path)
    # below the setting's floor of 64 KiB too: a cut in nearly every record
    cfg = ReadConfig.model_construct(warc_part_bytes=int(part_kib * 1024))
    items, _ = plan_inputs([str(path)], cfg)
    if part_kib == 100_000:
        assert len(items) == 1 and items[0].part is None
    else:
        assert len(items) >= 2 and [i.part for i in items] == list(range(len(items)))
        assert all(members(io.BytesIO(data)).next(i.start) == i.start for i in items[1:])
    assert outcomes(read_file(path, cfg)) == outcomes(whole)
    assert sum(isinstance(u, Reject) and u.reason == "corrupt_warc" for u in whole) == 2 + len(marks)
    assert sum(isinstance(u, Document) for u in whole) > 200


def test_parts_lose_nothing_when_a_cut_falls_in_an_archived_archive(tmp_path):
    """A response whose body is a gzip WARC holds record starts of its own, stored as they
    are: a cut found there starts a part inside that record. The record itself is read
    whole by the part before; the part reads the inner archive's records (extra units,
    each accounted) until the inner archive ends, then resumes at the next record. Nothing
    of one read is lost."""
    data = big_warc(3, n=200, embed_every=3)
    (tmp_path / "a.warc.gz").write_bytes(data)
    whole = outcomes(read_file(tmp_path / "a.warc.gz"))
    parts = outcomes(read_file(tmp_path / "a.warc.gz", ReadConfig(warc_part_bytes=64 * 1024)))
    assert set(whole) <= set(parts)
    assert len(whole) == 200


def test_a_warc_compressed_whole_and_an_arc_stay_whole(tmp_path):
    """Parts need records that are gzip members or zstd frames: a WARC compressed as one
    member or frame has no record to cut at (and is read as the WARC it holds, its
    offsets in its content), and an ARC's records are not looked for."""
    from cleaners.read import plan_inputs, zstd

    plain = big_warc(4, n=100, gz=False)
    (tmp_path / "whole.warc.gz").write_bytes(gzip.compress(plain))
    (tmp_path / "whole.warc.zst").write_bytes(zstd.compress(plain))
    (tmp_path / "named.arc.gz").write_bytes(big_warc(4, n=100))
    cfg = ReadConfig(warc_part_bytes=64 * 1024)
    for name in ("whole.warc.gz", "whole.warc.zst", "named.arc.gz"):
        items, _ = plan_inputs([str(tmp_path / name)], cfg)
        assert len(items) == 1 and items[0].part is None, name
    # warcio refuses a WARC gzipped whole; it is read as the WARC it decompresses to
    expected = [(type(u).__name__, u.source.position, u.source.sha256) for u in read(plain)]
    for name in ("whole.warc.gz", "whole.warc.zst"):
        assert [(type(u).__name__, u.source.position, u.source.sha256) for u in read_file(tmp_path / name, cfg)] == expected
    assert len(expected) == 100 and expected[-1][0] == "Document"


def test_two_warcs_gzipped_whole_one_after_the_other_are_not_cut(tmp_path):
    """`cat a.warc.gz b.warc.gz`, each gzipped whole: the second member starts with a
    record, but the file is read decompressed (its offsets in its content), so a part
    starting there would read the whole file again."""
    from cleaners.read import plan_inputs

    a, b = big_warc(5, n=100, gz=False), big_warc(6, n=100, gz=False)
    (tmp_path / "two.warc.gz").write_bytes(gzip.compress(a) + gzip.compress(b))
    cfg = ReadConfig(warc_part_bytes=64 * 1024)
    items, _ = plan_inputs([str(tmp_path / "two.warc.gz")], cfg)
    assert len(items) == 1
    assert outcomes(read_file(tmp_path / "two.warc.gz", cfg)) == outcomes(read(a + b, uri=str(tmp_path / "two.warc.gz")))


@pytest.mark.parametrize("pack", ["gz", "zst"])
@pytest.mark.parametrize("first_kib", [0, 300])
def test_whole_tells_one_member_from_a_member_per_record(first_kib, pack):
    """The first member (or frame) goes on past the first record (one for the file) or
    ends with it (one per record), whatever the first record's size."""
    import random

    from cleaners.read import zstd

    kind = {"gz": GzipMembers, "zst": ZstdFrames}[pack]
    compress = gzip.compress if pack == "gz" else zstd.compress
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    w.write_record(w.create_warc_record("http://example.com/m", "metadata",
                                        payload=io.BytesIO(random.Random(0).randbytes(first_kib * 1024)),
                                        warc_content_type="application/octet-stream"))
    w.write_record(_response(w, "http://example.com/a", PAGE))
    plain = buf.getvalue()
    assert kind(io.BytesIO(compress(plain))).whole()
    assert not kind(io.BytesIO(per_record(plain, pack))).whole()
    assert not kind(io.BytesIO(compress(b"not a WARC at all\r\n\r\n" * 10))).whole()


# ---------------------------------------------------------------------------- WET files (text conversions)


def build_wet(texts: list[bytes]) -> bytes:
    """A Common Crawl-style WET file: warcinfo, then a text/plain conversion record per
    page (with WARC-Refers-To and WARC-Identified-Content-Language), plus an empty one and
    a conversion to another type."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    w.write_record(w.create_warcinfo_record("test.warc.wet.gz", {"software": "tests"}))
    for n, text in enumerate([*texts, b"  \n"]):
        w.write_record(w.create_warc_record(
            f"http://example.com/{n}", "conversion", payload=io.BytesIO(text), warc_content_type="text/plain",
            warc_headers_dict={"WARC-Refers-To": f"<urn:uuid:{n:08d}-0000-0000-0000-000000000000>",
                               "WARC-Identified-Content-Language": "eng"}))
    w.write_record(w.create_warc_record("http://example.com/x", "conversion", payload=io.BytesIO(b"%PDF"),
                                        warc_content_type="application/pdf"))
    return buf.getvalue()


def test_a_wet_file_gives_one_text_document_per_conversion_record(tmp_path):
    from cleaners.read import detect_format

    assert detect_format("CC-MAIN-20240101-00000.warc.wet.gz") == "warc"
    (tmp_path / "c.warc.wet.gz").write_bytes(build_wet([PAGE2, "Zürich, été".encode()]))
    out = read_file(tmp_path / "c.warc.wet.gz")
    assert [(type(u).__name__, getattr(u, "kind", None), getattr(u, "reason", None)) for u in out] == [
        ("Document", "text", None), ("Document", "text", None), ("Reject", None, "empty")]
    assert out[0].raw == PAGE2 and out[1].raw == "Zürich, été".encode()
    assert out[0].hints == {"url": "http://example.com/0", "charset": "utf-8"}
    assert out[0].source.get("refers_to") == "<urn:uuid:00000000-0000-0000-0000-000000000000>"
    assert out[0].source.get("identified_languages") == "eng"
    assert out[0].source.get("target_uri") == "http://example.com/0"


# ---------------------------------------------------------------------------- WARCs as other writers leave them


def _records(version: bytes = b"WARC/1.0", n: int = 3) -> list[bytes]:
    """`n` plain response records (an HTML page each, its body ending with a line end),
    with `version` for version line, and no WARC-Block-Digest (a writer that sets a wrong
    Content-Length hashes other bytes than the block)."""
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    for n in range(n):
        w.write_record(_response(w, f"http://example.com/{n}", b"<html><body><p>Page %d</p></body></html>\n" % n))
    plain = buf.getvalue()
    starts = [off for _, off, _ in offsets(plain)]
    records = [plain[a:b] for a, b in zip(starts, [*starts[1:], len(plain)])]
    return [b"\r\n".join(line for line in r.replace(b"WARC/1.0", version, 1).split(b"\r\n")
                         if not line.startswith(b"WARC-Block-Digest:")) for r in records]


def _content_length(by: int):
    def change(record: bytes) -> bytes:
        head, _, rest = record.partition(b"Content-Length: ")
        digits, _, tail = rest.partition(b"\r\n")
        return head + b"Content-Length: %d\r\n" % (int(digits) + by) + tail
    return change


BODY = b"<html><body><p>Page 1</p></body></html>\n"

#: How a writer left the middle record of three, and the page it still reads as (else
#: None: it is a corrupt_warc reject, and the records around it are read).
FRAMINGS = {
    "as the WARC standard says": (lambda r: r, BODY),
    "version WARC/0.18 (Heritrix 1)": (b"WARC/0.18", BODY),
    "version WARC/0.17": (b"WARC/0.17", BODY),
    "the closing one line end short": (lambda r: r[:-2], BODY),
    "the closing one byte short (the next record's line starts with its CR)": (lambda r: r[:-1], None),
    "Content-Length one short (the body's last LF after the block)": (_content_length(-1), BODY[:-1]),
    "Content-Length two long (the closing's first line end in the block)": (_content_length(2), BODY + b"\r\n"),
    "Content-Length three long": (_content_length(3), BODY + b"\r\n\r"),
    "Content-Length four long (the block runs into the next record)": (_content_length(4), None),
    "Content-Length six short (text after the block)": (_content_length(-6), None),
    "no closing (warcio would take the next record's first line for it)": (lambda r: r[:-4], None),
}


@pytest.mark.parametrize("framing, pack", [(f, p) for f in sorted(FRAMINGS)
                                           for p in (["plain", "gz", "zst"] if f.startswith("version") else ["plain"])])
def test_a_record_as_other_writers_frame_it(tmp_path, framing, pack):
    """Plain WARCs as crawlers and hand edits leave them (seen in pywb's and Warcat's test
    archives, `benchmarks/eval_real_warcs.py`): a record whose closing or Content-Length
    is off by line ends only is read, as warcio reads it; one whose block runs into the
    next record or stops short of text is a reject; the records around it are read, in
    one read and in parts. WARC's versions 0.17 and 0.18 read as 1.0, compressed or not."""
    change, body = FRAMINGS[framing]
    records = _records(change if isinstance(change, bytes) else b"WARC/1.0")
    if callable(change):
        records[1] = change(records[1])
    if pack != "plain":
        records = [per_record(r, pack, dictionary=False) for r in records]
    data = b"".join(records)
    starts = [sum(map(len, records[:k])) for k in range(3)]
    path = tmp_path / ("a.warc" if pack == "plain" else f"a.warc.{pack}")
    path.write_bytes(data)
    out = read_file(path)
    assert [(type(u).__name__, u.source.position) for u in out] == [
        ("Document", starts[0]), ("Document" if body else "Reject", starts[1]), ("Document", starts[2])]
    if body:
        assert out[1].raw == body
    else:
        assert out[1].reason == "corrupt_warc" and "does not end where its Content-Length says" in out[1].detail
    assert outcomes(read_file(path, ReadConfig.model_construct(warc_part_bytes=200))) == outcomes(out)


@pytest.mark.parametrize("pack", ["plain", "gz", "zst"])
def test_records_damaged_one_after_another_are_each_reported(tmp_path, pack):
    """After a damaged record, reading resumes at the next place that starts as a record,
    whole or not: the record after it, damaged too, is read and reported, not passed over
    for the next whole one (it was, before: its loss showed nowhere). The damage breaks
    each record where a strict look for one sees it: a plain record's end (bytes put in
    its block), a compressed one's first block (bytes zeroed after its header)."""
    records = [r if pack == "plain" else per_record(r, pack, dictionary=False) for r in _records(n=5)]
    for k in (1, 2):
        at = records[k].index(b"\r\n\r\n") + 10 if pack == "plain" else 40  # in the block; in the first block
        records[k] = records[k][:at] + bytes(16) + records[k][at + (16 if pack != "plain" else 0):]
    data = b"".join(records)
    starts = [sum(map(len, records[:k])) for k in range(5)]
    members = KINDS[pack](io.BytesIO(data))
    assert [members.next(at + 1) for at in starts[1:3]] == [starts[3]] * 2  # passed over by a strict look
    path = tmp_path / ("d.warc" if pack == "plain" else f"d.warc.{pack}")
    path.write_bytes(data)
    out = read_file(path)
    assert [(type(u).__name__, u.source.position) for u in out] == [
        ("Document", starts[0]), ("Reject", starts[1]), ("Reject", starts[2]), ("Document", starts[3]),
        ("Document", starts[4])]
    assert outcomes(read_file(path, ReadConfig.model_construct(warc_part_bytes=300))) == outcomes(out)
