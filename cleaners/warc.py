"""Read WARC and ARC archives (`.warc`, `.warc.gz`, `.warc.zst`, `.arc`, `.arc.gz`) and WET
files (`.warc.wet.gz`, Common Crawl's plain-text extractions) into documents.

The input units are the **response record**, the **HTML resource record** and the **text
conversion record**: each ends as exactly one `Document` (an HTML page; a page's text, as
a WET file holds it, for the text-dump cleaner) or one `Reject` (stage `read`). A resource
record holds a file archived without an HTTP exchange: warcit archives a folder of a
site's files so, and crawlers their logs; an HTML one is a page. Request, metadata,
warcinfo and revisit records, resources of other types (wget's log, a crawl manifest),
and conversions to other types than text/plain, are not units: they describe or
duplicate a response, carry no page of their own, and are skipped without a trace. A
broken archive gives one `Reject` (reason `corrupt_warc`, `position` = byte offset of the
broken record) and ends there, every record before it still out; a plain WARC, or one
compressed a record at a time, goes on at the next record.

Reasons: `not_html` (the payload is not `text/html` / `application/xhtml+xml`, or the
record has no HTTP headers; a response with no Content-Type, or a generic one, is a page
if the crawler identified it as one, WARC-Identified-Payload-Type, or, failing that, its
body starts as one: its source's `html_by` says which), `http_<status>` (a non-2xx response: an error page or a
redirect stub is not an article), `too_large` (body over `ReadConfig.max_document_bytes`),
`unsupported_encoding` (a body compressed as no decoder here knows: HTTP Content-Encoding
other than gzip, x-gzip, deflate, br, zstd), `corrupt_encoding` (a body that does not
decode as its Content-Encoding says), `empty` (a conversion record with no text),
`corrupt_warc`. A crawler stores a body as the server sent it: warcio decodes its
Content-Encoding (br with Google's brotli, zstd and x-gzip: added here); a body that stops
decoding part way is read as far as it decodes, its source marked `body_incomplete`.

A WARC compressed a record at a time (a gzip member per record, as every crawler writes
them; a zstd frame per record, as Archive Team writes `.warc.zst`, after a dictionary
frame), or plain, can be read from any record on: `Records.next` (of `GzipMembers`,
`ZstdFrames`, `PlainRecords`) finds the first record at or after a byte offset. So a
damaged record there costs only itself (reading resumes at the next record), and a big
archive is read in parts, one per worker (`read.split_warc`), each part the records that
start in its byte range. A record is
read only if its member ends with it, intact (gzip's CRC checked; a zstd frame's
checksum, if it has one): deflate decodes damage without complaint, the check at the end
is what finds it, so a record whose member's end is damaged is a `corrupt_warc` reject.
Record offsets are in the file (where the record, member or frame starts), as CDX
indexes give them. A plain record is one whose headers (a version line, "WARC/1.0" as
`VERSIONS`, then header lines) declare a Content-Length that the closing blank line
follows (or, as warcio reads it, line ends then the next record: `PlainRecords.end_of`).
After a damaged record reading resumes at the next place that starts as a record, so
a record damaged too is reported, not passed over. A WARC
compressed whole (`gzip crawl.warc`, `zstd crawl.warc`) is read as the WARC it
decompresses to, offsets in its content, to its first damage.

A plain WARC has no checksum, nor has a zstd frame written without one (zstd's library
default; the `zstd` tool writes one): damage there that still parses shows only in the
record's `WARC-Block-Digest`, the hash the crawler wrote of its bytes. With
`read.check_digests` (on by default) a response or conversion record whose bytes do not
hash to it is a `corrupt_warc` reject, and reading goes on (its framing is intact).

Records written by `cleaners.fetch.fetch_to_warc` carry docprep's own WARC headers
(`WARC-Docprep-Requested-URI`, `WARC-Docprep-Fetched-At`, `WARC-Docprep-Robots`); their documents read back as
`Source(uri=<requested URL>, format="url")`, the same identity whichever batch file they
were archived in.

Memory is bounded by the largest document, not the file: warcio streams the archive and
a body is read at most `max_document_bytes + 1` bytes far.
"""
from __future__ import annotations

import os
import zlib
from collections.abc import Callable, Generator, Iterator
from hashlib import sha256
from typing import Any, BinaryIO

import brotli
from warcio.archiveiterator import ArchiveIterator
from warcio.bufferedreaders import BufferedReader, gzip_decompressor
from warcio.exceptions import ArchiveLoadFailed
from warcio.limitreader import LimitReader
from warcio.recordloader import ArcWarcRecord
from warcio.statusandheaders import StatusAndHeadersParserException
from warcio.timeutils import timestamp_to_iso_date

from cleaners.config import ReadConfig
from cleaners.read import _uncompressed_name, compression, sniff_format, zstd, zstd_dictionary
from cleaners.record import Document, Reject, Source, document_id, sha256_hex

STAGE = "read"

#: HTTP media types whose payload is a page `extract` can handle.
HTML_MEDIA_TYPES = frozenset({"text/html", "application/xhtml+xml"})

#: HTTP media types that say nothing of what a body is (and no Content-Type at all): a
#: response of such a type is a page if it reads as one (`_read_response`).
UNDECLARED_TYPES = frozenset({None, "application/octet-stream"})

#: docprep's WARC headers on records written by `fetch_to_warc`.
REQUESTED_URI_HEADER = "WARC-Docprep-Requested-URI"
FETCHED_AT_HEADER = "WARC-Docprep-Fetched-At"
ROBOTS_HEADER = "WARC-Docprep-Robots"  # the robots.txt decision the page was fetched under

_CHUNK = 64 * 1024

#: The version lines warcio reads a WARC record by (WARC 0.17 and 0.18: Heritrix 1 and
#: the Internet Archive's crawls of 2006-2008).
VERSIONS = (b"WARC/1.0", b"WARC/1.1", b"WARC/0.17", b"WARC/0.18")

# What a damaged archive raises inside warcio: bad headers, bad gzip data, bad lengths,
# and (on headers cut short) plain AttributeError/TypeError from half-parsed records.
_CORRUPT = (
    ArchiveLoadFailed, StatusAndHeadersParserException, zlib.error, zstd.ZstdError, EOFError, ValueError,
    AttributeError, TypeError, KeyError, IndexError,
)


class _BrotliContent:
    """A brotli body's decompressor with zlib's manners, as warcio's reader expects them.
    warcio's own wraps brotlipy (unmaintained since 2020) and fails on Google's brotli
    ('brotli.Decompressor' object has no attribute 'unused_data', webrecorder/warcio#73)."""

    unused_data = b""

    def __init__(self) -> None:
        self._body = brotli.Decompressor()
        self._failed = False

    @property
    def eof(self) -> bool:
        """Whether the body ended whole (brotli's decoder, once failed, answers nothing)."""
        return not self._failed and self._body.is_finished()

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        try:
            return self._body.process(data)
        except brotli.error:
            self._failed = True
            raise

    def flush(self) -> bytes:
        return b""


def _zstd_content() -> "_ZstdFrame":
    return _ZstdFrame(None)


# Content codings as warcio's reader decodes a body (`record.content_stream()`): br with
# Google's brotli, and those warcio does not know by these names: x-gzip (RFC 9110: gzip's
# old name), zstd (RFC 8878, sent by servers to browsers since 2024). The archive's own
# zstd frames get their decompressor per reader (`ZstdFrames.archive_iterator`).
BufferedReader.DECOMPRESSORS["br"] = _BrotliContent
BufferedReader.DECOMPRESSORS.setdefault("x-gzip", gzip_decompressor)
BufferedReader.DECOMPRESSORS.setdefault("zstd", _zstd_content)


def undecodable_coding(content_encoding: str | None) -> str | None:
    """The HTTP Content-Encoding of a body that warcio would hand over still compressed
    (it passes a coding it does not know as it is), or None when the body reads decoded."""
    codings = [c.strip().lower() for c in (content_encoding or "").split(",") if c.strip()]
    codings = [c for c in codings if c != "identity"]
    if not codings or (len(codings) == 1 and codings[0] in BufferedReader.get_supported_decompressors()):
        return None
    return content_encoding


def parse_content_type(value: str | None) -> tuple[str | None, str | None]:
    """`'text/html; charset="UTF-8"'` -> `('text/html', 'UTF-8')`; missing parts are None."""
    if not value:
        return None, None
    media, _, params = value.partition(";")
    media = media.strip().lower() or None
    charset = None
    for param in params.split(";"):
        key, sep, val = param.partition("=")
        if sep and key.strip().lower() == "charset":
            charset = val.strip().strip("'\"").strip() or None
            break
    return media, charset


def is_html(content_type: str | None) -> bool:
    """One rule for the fetcher and the reader: an HTML page by its declared media type."""
    return parse_content_type(content_type)[0] in HTML_MEDIA_TYPES


def iter_warc(data: BinaryIO, uri: str, cfg: ReadConfig, start: int = 0, end: int | None = None,
              members: "Records | None" = None) -> Iterator[Document | Reject]:
    """Yield one Document or Reject per response record of a WARC/ARC stream, in file order.

    `uri` is the archive's name as the user gave it; `data` is read once, front to back,
    from byte `start` (where it stands), and its records are those starting before `end`
    (None: to the end of the file; the last one is read to its end, past `end`).

    Damage ends the reading with a `corrupt_warc` reject, unless `members` is given (a
    WARC whose records can be found, `Records`; warcio's reader then decompresses a
    member at a time, if they are compressed): then the damaged record is placed by the
    records around it and reading resumes at the next record (`_after_damage`), so one
    broken record costs that record and not the rest of the archive.
    """
    position: int | None = start
    while position is not None and (end is None or position < end):
        resume = yield from _records(data, uri, cfg, position, end, members)
        if resume is not None:
            assert resume > position, (resume, position)  # reading always moves on
            members.seek(resume)
        position = resume


class Records:
    """Where the records of a WARC start and end in its seekable file `f`, which `data`
    (what `iter_warc` reads) reads from; `moved(offset)` is told when `seek` moves the
    file to read on. One kind per layout: `PlainRecords`, `GzipMembers` (a gzip member
    per record), `ZstdFrames` (a zstd frame per record)."""

    #: The first bytes of a record, or of its member or frame.
    MAGIC = b""
    #: What is wrong with a record that does not end as it should (`ended`).
    UNENDED = ""

    def __init__(self, f: BinaryIO, moved: Callable[[int], None] = lambda offset: None) -> None:
        self.f, self.moved = f, moved

    def archive_iterator(self, stream: BinaryIO, check_digests: bool = False) -> ArchiveIterator:
        """warcio's reader over `stream` (warcio knows plain and gzip WARCs)."""
        return archive_iterator(stream, check_digests)

    def next(self, offset: int, loose: bool = False) -> int | None:
        """The first record at or after `offset` (its magic bytes, then `_record_at`), or
        None. With `loose`, the first place that starts as a record does
        (`_may_start_at`), whether or not the rest of it is whole: reading resumes there
        after damage, so that a record damaged further on is read and reported, not
        passed over. Reads a MiB at a time from `offset`; a record is rarely more than a
        few hundred KB. Leaves the file moved."""
        f, magic = self.f, self.MAGIC
        starts = self._may_start_at if loose else self._record_at
        pos = offset
        while True:
            f.seek(pos)
            window = f.read(1 << 20)
            if not window:
                return None
            i = window.find(magic)
            while i >= 0:
                if starts(pos + i):
                    return pos + i
                i = window.find(magic, i + 1)
            if len(window) < 1 << 20:
                return None
            pos += len(window) - len(magic) + 1

    def _record_at(self, offset: int) -> bool:
        """Whether a record starts at `offset`, where its magic bytes are."""
        raise NotImplementedError

    def _may_start_at(self, offset: int) -> bool:
        """Whether what starts at `offset`, where magic bytes are, starts as a record
        (or its member or frame) does: its first bytes alone, so also a damaged record.
        True wherever `_record_at` is."""
        raise NotImplementedError

    def seek(self, offset: int) -> None:
        """Move to `offset` to read on from there."""
        self.f.seek(offset)
        self.moved(offset)

    def size(self) -> int:
        """The file's size (a slice of a file, a WARC stored in a zip, says its `length`)."""
        length = getattr(self.f, "length", None)
        return length if length is not None else os.fstat(self.f.fileno()).st_size

    def first(self) -> int:
        """Where the first record starts."""
        return 0

    def end_of(self, offset: int) -> int | None:
        """Where the record starting at `offset` ends, or None if it does not end whole."""
        raise NotImplementedError

    def ended(self, records: ArchiveIterator, position: int) -> bool:
        """Whether the record at `position`, which `records` has just read whole, ended
        where it should (else it is damaged, and what follows may have been taken for
        more of it)."""
        raise NotImplementedError

    def whole(self) -> bool:
        """Whether the file is compressed whole rather than a record at a time (it is
        then read decompressed, its offsets in its content)."""
        return False


class _Compressed(Records):
    """A WARC compressed a record at a time: records found and delimited by decompressing
    their members (or frames)."""

    UNENDED = "its compressed data does not end with the record (no intact end, nor checksum, after it)"

    #: Compressed bytes decompressed to check a candidate start.
    PROBE: int

    def decompressor(self) -> Any:
        """A member's decompressor with zlib's manners: `decompress(data)`, `eof`,
        `unused_data`."""
        raise NotImplementedError

    def _record_at(self, offset: int) -> bool:
        self.f.seek(offset)
        probe = self.f.read(self.PROBE)
        return self._starts_record(probe, len(probe) < self.PROBE)

    def _starts_record(self, data: bytes, at_end: bool) -> bool:
        """Whether `data` (to the file's end if `at_end`) starts with a member that
        decompresses to a WARC header."""
        raise NotImplementedError

    def end_of(self, offset: int) -> int | None:
        """Where the member starting at `offset` ends (by decompressing it; the file's end
        if it runs to it), or None if it does not decompress. Leaves the file moved."""
        member = self.decompressor()
        pos = offset
        self.f.seek(offset)
        try:
            while not member.eof:
                chunk = self.f.read(1 << 16)
                if not chunk:
                    return pos
                self._skim(member, chunk)
                pos += len(chunk)
        except (zlib.error, zstd.ZstdError):
            return None
        return pos - len(member.unused_data)

    @staticmethod
    def _skim(member: Any, chunk: bytes) -> None:
        """Feed `chunk` to `member`, output unwanted: a MiB at most at a time."""
        raise NotImplementedError

    def whole(self, limit: int = 16 * 1024**2) -> bool:
        """Whether the file is one member holding many records (`gzip crawl.warc`) rather
        than a member per record: its first member goes on past its first record. warcio
        refuses such a file; it reads as the plain WARC it decompresses to. Decompresses
        the first record only (at most `limit` bytes: a first record bigger than that is
        taken for a member of its own). Leaves the file at its start."""
        member = self.decompressor()
        out = b""
        need = None  # the first record's size, with the blank line after it
        f = self.f
        f.seek(self.first())
        try:
            while len(out) <= limit:
                if need is None and (head := out.find(b"\r\n\r\n")) >= 0:
                    lengths = [line.split(b":", 1)[1].strip() for line in out[:head].split(b"\r\n")
                               if line.lower().startswith(b"content-length:")]
                    if not out.startswith(b"WARC/") or not lengths or not lengths[0].isdigit():
                        return False  # not a WARC record: warcio says what is wrong
                    need = head + 4 + int(lengths[0]) + 4
                if need is not None and len(out) > need:
                    return True  # the member goes on past the first record
                if member.eof:
                    return False  # it ended with the first record
                chunk = f.read(1 << 16)
                if not chunk:
                    return False
                out += member.decompress(chunk)
            return False
        except (zlib.error, zstd.ZstdError):
            return False
        finally:
            f.seek(0)

    def ended(self, records: ArchiveIterator, position: int) -> bool:
        """Whether the member of the record `records` last read whole ended with it, intact
        (gzip's CRC and length checked; a zstd frame's checksum, if it has one). Else its
        end is damaged: its bytes may be too (deflate decodes damage silently; the check
        at the end is what finds it), and what follows it was taken for more of it."""
        member = records.reader.decompressor
        return member is not None and member.eof


class GzipMembers(_Compressed):
    """A gzip WARC: a gzip member per record, as every crawler writes them."""

    MAGIC = b"\x1f\x8b\x08"  # gzip, deflate
    #: Far more than the 9 bytes of output needed (deflate's output starts at once).
    PROBE = 4096

    def decompressor(self) -> Any:
        return zlib.decompressobj(31)

    def _starts_record(self, data: bytes, at_end: bool) -> bool:
        try:
            return zlib.decompressobj(31).decompress(data, 9).startswith(VERSIONS)
        except zlib.error:
            return False

    def _may_start_at(self, offset: int) -> bool:
        """A gzip header: its flags' reserved bits clear (RFC 1952)."""
        self.f.seek(offset)
        head = self.f.read(4)
        return head.startswith(self.MAGIC) and (len(head) < 4 or not head[3] & 0xE0)

    @staticmethod
    def _skim(member: Any, chunk: bytes) -> None:
        while chunk and not member.eof:
            member.decompress(chunk, 1 << 20)
            chunk = member.unconsumed_tail


class ZstdFrames(_Compressed):
    """The record boundaries of a zstd WARC: a zstd frame per record ("Zstandard
    Compression for WARC Files 1.0", IIPC, as Archive Team writes `.warc.zst`), after a
    skippable frame holding the dictionary the records are compressed with, if any
    (`read.zstd_dictionary`). Offsets are in the file, as for a gzip WARC (and as CDX
    indexes of `.warc.zst` files give them)."""

    MAGIC = b"\x28\xb5\x2f\xfd"
    #: zstd decodes a block only whole, and a block holds up to 128 KiB.
    PROBE = 132 * 1024

    def __init__(self, f: BinaryIO, moved: Callable[[int], None] = lambda offset: None) -> None:
        super().__init__(f, moved)
        f.seek(0)
        self.dictionary = zstd_dictionary(f)  # may raise ZstdError: a broken dictionary frame

    def decompressor(self) -> "_ZstdFrame":
        return _ZstdFrame(self.dictionary)

    def archive_iterator(self, stream: BinaryIO, check_digests: bool = False) -> ArchiveIterator:
        """warcio's reader over `stream`, decompressing a frame at a time as it does a gzip
        member (warcio knows no zstd: its reader is given the decompressor)."""
        records = archive_iterator(stream, check_digests)
        records.reader.DECOMPRESSORS = {**records.reader.DECOMPRESSORS, "zstd": self.decompressor}
        records.reader.set_decomp("zstd")
        return records

    def _starts_record(self, data: bytes, at_end: bool) -> bool:
        """Also a frame cut short at the file's end before its first block ends: zstd
        decodes a block only whole, so it shows nothing, but it is the last record, cut
        (gzip shows a cut member's first bytes)."""
        frame = zstd.ZstdDecompressor(zstd_dict=self.dictionary)
        try:
            head = frame.decompress(data, 9)
        except zstd.ZstdError:
            return False
        return head.startswith(VERSIONS) or (at_end and not head and not frame.eof)

    def _may_start_at(self, offset: int) -> bool:
        """A zstd frame header: its descriptor's reserved bit clear (RFC 8878)."""
        self.f.seek(offset)
        head = self.f.read(5)
        return head.startswith(self.MAGIC) and (len(head) < 5 or not head[4] & 0x08)

    @staticmethod
    def _skim(member: "_ZstdFrame", chunk: bytes) -> None:
        member.decompress(chunk, 1 << 20)
        while not member.eof and not member.needs_input:
            member.decompress(b"", 1 << 20)

    def first(self) -> int:
        """After the skippable frames (the dictionary's) the file starts with."""
        f, pos = self.f, 0
        while True:
            f.seek(pos)
            head = f.read(8)
            if len(head) < 8 or int.from_bytes(head[:4], "little") & ~0xF != SKIPPABLE_FRAME:
                return pos
            pos += 8 + int.from_bytes(head[4:], "little")


class PlainRecords(Records):
    """The record boundaries of a plain (uncompressed) WARC: a record starts with its
    version line ("WARC/1.0", as `VERSIONS`), and its headers' Content-Length says where
    its block ends, which the blank line that closes every record must follow. Offsets
    are in the file."""

    MAGIC = b"WARC/"
    UNENDED = ("it does not end where its Content-Length says (the blank line that closes a record, "
               "then the next record or the file's end, do not follow its block)")
    #: A record's headers are a few hundred bytes; more than this is not taken for one.
    HEADERS = 64 * 1024
    #: How far past its declared end a record's closing may run (`end_of`).
    SLACK = 64

    def _record_at(self, offset: int) -> bool:
        """A header block that ends where it says (`end_of`); not only at a line start: a
        record written after a cut one follows its last bytes directly."""
        return self.end_of(offset) is not None

    def _may_start_at(self, offset: int) -> bool:
        return self._block(offset) is not None

    def _block(self, offset: int) -> tuple[int, int] | None:
        """(where the block starts, its declared length) of the record whose header block
        starts at `offset`: a version line, header lines, one Content-Length, a blank
        line; or None."""
        f = self.f
        f.seek(offset)
        head = f.read(4096)
        if (end := head.find(b"\r\n\r\n")) < 0 and len(head) == 4096:
            head += f.read(self.HEADERS - len(head))
            end = head.find(b"\r\n\r\n")
        if end < 0:
            return None
        version, *lines = head[:end].split(b"\r\n")
        if version not in VERSIONS or not all(b":" in line or line[:1] in b" \t" for line in lines):
            return None  # not a header block (a cut record's last bytes run into the next one's)
        lengths = [line.split(b":", 1)[1].strip() for line in lines if line.lower().startswith(b"content-length:")]
        if len(lengths) != 1 or not lengths[0].isdigit():
            return None
        return offset + end + 4, int(lengths[0])

    def end_of(self, offset: int) -> int | None:
        """Where the record starting at `offset` ends, its closing blank line included, or
        None if no record starts there or it does not end as its headers say.

        It ends as they say if the blank line (CRLF CRLF) follows its block; or, as some
        writers leave it and warcio reads it, if what follows its block is line ends
        (CR and LF bytes, ending with an LF: a closing short or long, a Content-Length
        off by a line end), then the next record's version line, or the file's end.
        A block that runs into the next record, or stops short of other bytes than line
        ends, does not end so; nor does one with no line end after it (warcio would take
        the next record's version line for the closing)."""
        if (block := self._block(offset)) is None:
            return None
        close = block[0] + block[1]
        self.f.seek(close)
        after = self.f.read(self.SLACK)
        if after.startswith(b"\r\n\r\n"):
            return close + 4
        rest = after.lstrip(b"\r\n")
        ends = len(after) - len(rest)
        if (rest.startswith(VERSIONS) and after[:ends].endswith(b"\n")) or (not rest and len(after) < self.SLACK):
            return close + ends
        return None

    def ended(self, records: ArchiveIterator, position: int) -> bool:
        """Whether the record at `position` ends as its headers say (a wrong Content-Length
        reads other bytes as its block, or part of its block as what follows). Leaves the
        file where it was: warcio reads on from there."""
        here = self.f.tell()
        try:
            return self.end_of(position) is not None
        finally:
            self.f.seek(here)


#: The magic numbers of zstd's skippable frames: 0x184D2A50 to 0x184D2A5F.
SKIPPABLE_FRAME = 0x184D2A50


class _ZstdFrame:
    """A zstd frame's decompressor with the manners of zlib's for a gzip member, which
    warcio's reader expects: once the frame has ended, more input goes to `unused_data`
    (zstd's own raises EOFError)."""

    def __init__(self, dictionary: "zstd.ZstdDict | None") -> None:
        self._frame = zstd.ZstdDecompressor(zstd_dict=dictionary)
        self.unused_data = b""

    @property
    def eof(self) -> bool:
        return self._frame.eof

    @property
    def needs_input(self) -> bool:
        return self._frame.needs_input

    def decompress(self, data: bytes, max_length: int = -1) -> bytes:
        if self._frame.eof:
            self.unused_data += data
            return b""
        out = self._frame.decompress(data, max_length)
        if self._frame.eof:
            self.unused_data = self._frame.unused_data
        return out

    def flush(self) -> bytes:
        """Nothing held back: zstd gives out what it can decode as it goes."""
        return b""


def archive_iterator(stream: BinaryIO, check_digests: bool = False) -> ArchiveIterator:
    """warcio's reader over `stream`. arc2warc=False: warcio's ARC->WARC conversion invents
    a random WARC-Record-ID per record, which would make the output differ from run to
    run; ARC headers are normalised here instead (`_facts`). With `check_digests`, each
    record's digests are computed as it is read (`_block_digest_failed`)."""
    return ArchiveIterator(stream, arc2warc=False, check_digests=check_digests)


def _block_digest_failed(record: ArcWarcRecord) -> str | None:
    """What warcio found wrong with a record read whole under `check_digests`: its bytes do
    not hash to its WARC-Block-Digest; None if they do, or it declares none. The payload
    digest is not judged: crawlers differ on what it covers (a chunked body as sent, or
    as decoded), while the block is by definition the record's bytes as stored."""
    checker = getattr(record, "digest_checker", None)
    failed = [p for p in (checker.problems if checker is not None else []) if p.startswith("block digest failed")]
    return failed[0] if failed else None


def members_of(path: str, f: BinaryIO, moved: Callable[[int], None] = lambda offset: None) -> Records | None:
    """The record boundaries of the WARC at `path` (open as `f`): plain, or a gzip member
    or a zstd frame per record (by its name; `whole` tells whether it is so); None for an
    ARC file. May raise ZstdError (a broken dictionary frame)."""
    if not _uncompressed_name(path).endswith((".warc", ".wet")):
        return None
    return {"gzip": GzipMembers, "zstd": ZstdFrames, None: PlainRecords}[compression(path)](f, moved)


def _records(data: BinaryIO, uri: str, cfg: ReadConfig, start: int, end: int | None,
             members: Records | None) -> Generator[Document | Reject, None, int | None]:
    """`iter_warc` from `start` to the first damage: returns where reading resumes after
    it (`_after_damage`), or None (the end, or damage with no `members`). Damage at or
    past `end` is the next part's to report."""
    stream = _Counting(data, start)
    records = (members.archive_iterator(stream, cfg.check_digests) if members is not None else
               archive_iterator(stream, cfg.check_digests))
    last_good: int | None = None  # the last record read whole, in this stretch

    def damage(detail: str, inside: int | None = None) -> Generator[Document | Reject, None, int | None]:
        """A reject for damage in the record at `inside`, or in what follows the last good
        record (`_after_damage` places it), unless at or past `end`; where to resume."""
        if members is None:  # no record marks: the damage ends the reading
            at: int | None = inside if inside is not None else start if last_good is None else max(records.offset, last_good + 1)
            resume = None
        else:
            at, resume = _after_damage(members, start, last_good, inside)
        if at is not None and (end is None or at < end):
            yield _corrupt(uri, at, detail.replace("{at}", str(at), 1))
        return resume

    while True:
        try:
            record = next(records)
        except StopIteration:
            record = None
        except _CORRUPT as exc:
            return (yield from damage(f"cannot parse the record at byte {{at}}: {_describe(exc)}"))
        if record is None:
            # warcio ends quietly (EOFError inside) on a record cut in its headers; bytes
            # read beyond the last whole record are that cut record.
            if stream.count > records.offset:
                return (yield from damage("the record at byte {at} is cut short in its headers"))
            return None
        position = records.offset
        if end is not None and position >= end:
            return None  # the next part's first record
        read_unit = _unit_reader(record)  # None: not a unit, read through
        try:
            result = read_unit(record, uri, position, cfg) if read_unit is not None else None
            records.get_record_offset()  # drains what is left of the record, may hit damage
        except _CORRUPT as exc:
            return (yield from damage(f"the record at byte {{at}} is damaged: {_describe(exc)}", position))
        if not _complete(record):
            return (yield from damage(
                "the record at byte {at} is truncated: its Content-Length promises more bytes "
                "than the file holds (an interrupted download or copy?)", position))
        if members is not None and not members.ended(records, position):
            return (yield from damage(f"the record at byte {{at}} is damaged: {members.UNENDED}", position))
        last_good = position
        if result is not None and (failed := _block_digest_failed(record)):
            result = _reject(result.source, "corrupt_warc", f"the record at byte {position} is damaged: its "
                             f"bytes do not hash to its WARC-Block-Digest ({failed})")
        if result is not None:
            yield result


def _after_damage(members: Records, start: int, last_good: int | None,
                  inside: int | None) -> tuple[int | None, int | None]:
    """(where the damaged record starts, or None if there is none to report; where reading
    resumes, or None) in a WARC whose records can be found (`Records`: a gzip member, a
    zstd frame, a plain record), from its records alone, so that a part of the file
    starting anywhere decides as one read does (warcio's offset after a failed parse is
    not to be trusted: it subtracts a garbled first line's length).

    Damage inside a record (`inside`): that record; on at the next one. Damage where a
    record was to start: the stretch's first record if none was read yet; else where the
    last good record's member ends, if it ends before the next member that reads as a
    record, or is that member (which then failed to parse). If that member runs on past
    the next record instead (its end is damaged, its record was read whole), there is no
    record in between to report: on at the next record.

    "The next one" after a damaged record is the next place that starts as a record
    (`Records.next(loose=True)`): a record after it that is damaged too is read, and
    reported, rather than passed over for the next whole one."""
    if inside is not None:
        return inside, members.next(inside + 1, loose=True)
    if last_good is None:
        return start, members.next(start + 1, loose=True)
    ends = members.end_of(last_good)
    following = members.next(last_good + 1)
    if ends is None or ends >= members.size() or (following is not None and ends > following):
        return None, following
    return ends, members.next(ends + 1, loose=True)


class _Counting:
    """Counts the bytes warcio takes from the input, from `start`, where the input stands
    (also gives unseekable streams a tell)."""

    def __init__(self, raw: BinaryIO, start: int = 0) -> None:
        self.raw = raw
        self.count = start

    def read(self, size: int = -1) -> bytes:
        chunk = self.raw.read(size)
        self.count += len(chunk)
        return chunk

    def tell(self) -> int:
        return self.count


def _complete(record: ArcWarcRecord) -> bool:
    """False when the archive ended inside the record: warcio then returns short headers or
    a short body without complaint. Call after the record's stream has been drained."""
    length = record.rec_headers.get_header("Content-Length" if record.format == "warc" else "length")
    if not (length and length.strip().isdigit()):
        return False  # required; missing or not a number means a cut or a non-archive line
    raw = record.raw_stream
    return not (isinstance(raw, LimitReader) and raw.limit > 0)


def _unit_reader(record: ArcWarcRecord) -> Callable[[ArcWarcRecord, str, int | None, ReadConfig], Document | Reject] | None:
    """How to read a record that is an input unit; None for one that is not."""
    if record.rec_type == "response":
        return _read_response
    if record.rec_type == "conversion" and parse_content_type(record.content_type)[0] == "text/plain":
        return _read_conversion
    if record.rec_type == "resource" and is_html(record.content_type):
        return _read_resource
    return None


def _read_resource(record: ArcWarcRecord, uri: str, position: int | None, cfg: ReadConfig) -> Document | Reject:
    """A page archived as a resource record (the file's bytes, no HTTP exchange: warcit's
    records of a folder of a site's files): an HTML document, its URL the record's target,
    its charset the record's Content-Type's."""
    facts = _facts(record)
    limit = cfg.max_document_bytes
    body, digest, size, _ = _read_body(record, keep=True, limit=limit)
    source = _source(uri, position, digest, facts)
    if size > limit:
        return _too_large(source, "body", limit)
    _, charset = parse_content_type(record.content_type)
    return Document(source=source, kind="html", raw=body, hints={"url": facts.get("target_uri"), "charset": charset})


def _read_conversion(record: ArcWarcRecord, uri: str, position: int | None, cfg: ReadConfig) -> Document | Reject:
    """A page's text (a WET record): a text document, its URL the record's target, with
    the response it was converted from (`refers_to`) and the languages the converter
    identified (Common Crawl's `WARC-Identified-Content-Language`) kept as provenance."""
    headers = record.rec_headers
    facts = {**_facts(record), "refers_to": headers.get_header("WARC-Refers-To"),
             "identified_languages": headers.get_header("WARC-Identified-Content-Language")}
    limit = cfg.max_document_bytes
    body, digest, size, _ = _read_body(record, keep=True, limit=limit)
    source = _source(uri, position, digest, facts)
    if size > limit:
        return _too_large(source, "text", limit)
    if not body.strip():
        return _reject(source, "empty", "conversion record with no text")
    _, charset = parse_content_type(record.content_type)
    return Document(source=source, kind="text", raw=body,
                    hints={"url": facts.get("target_uri"), "charset": charset or "utf-8"})


def _read_response(record: ArcWarcRecord, uri: str, position: int | None, cfg: ReadConfig) -> Document | Reject:
    facts = _facts(record)
    content_type = record.http_headers.get_header("Content-Type") if record.http_headers else None
    status = facts.get("http_status")
    html = record.http_headers is not None and is_html(content_type)
    ok = status is not None and 200 <= status < 300
    # A page whose server names no type for it, or a generic one: the crawler's own finding
    # (Common Crawl's WARC-Identified-Payload-Type), else the body's first bytes, tell.
    undeclared = record.http_headers is not None and parse_content_type(content_type)[0] in UNDECLARED_TYPES

    # Read the body only when it may become a document; otherwise hash it in passing.
    limit = cfg.max_document_bytes
    body, digest, size, decoding = _read_body(record, keep=(html or undeclared) and ok, limit=limit)
    if undeclared and ok:
        identified = record.rec_headers.get_header("WARC-Identified-Payload-Type")
        if (is_html(identified) if identified else size <= limit and sniff_format(body) == "html"):
            html, facts["html_by"] = True, "WARC-Identified-Payload-Type" if identified else "sniffed"
    coding = record.http_headers.get_header("Content-Encoding") if record.http_headers else None
    if decoding == "stopped" and size <= limit:
        # The compressed body stops decoding before its end: the server's stream was cut
        # (a crawler that did not say so in WARC-Truncated) or damaged. warcio ends the
        # body there without a word; the page is read as far as it decodes, and says so.
        facts["body_incomplete"] = coding
    source = _source(uri, position, digest, facts)
    if record.http_headers is None:
        return _reject(source, "not_html", f"response record without HTTP headers ({record.content_type or 'no content type'})")
    if not html:
        return _reject(source, "not_html", f"HTTP Content-Type is {content_type or 'missing'}, not HTML"
                       + (" (nor does the body start as a page)" if undeclared and ok else ""))
    if not ok:
        return _reject(source, f"http_{status}", f"HTTP status {record.http_headers.statusline!r}: not a page")
    if size > limit:
        return _too_large(source, "body", limit)
    if undecodable_coding(coding):
        return _reject(source, "unsupported_encoding", f"the body is compressed as {coding!r} (HTTP "
                       "Content-Encoding), which no decoder here reads: source.sha256 covers it as stored")
    if decoding == "raw" and b"\x00" in body[:4096]:
        # warcio takes a body that fails to decode at once for one sent uncompressed (some
        # servers declare a coding they did not apply); binary bytes say it was not.
        return _reject(source, "corrupt_encoding", f"the body declares Content-Encoding {coding!r} but does not "
                       "decode as it (damaged): source.sha256 covers it as stored")
    _, charset = parse_content_type(content_type)
    return Document(
        source=source,
        kind="html",
        raw=body,
        hints={"url": facts.get("final_url") or facts.get("target_uri"), "charset": charset},
    )


def _too_large(source: Source, what: str, limit: int) -> Reject:
    return _reject(source, "too_large",
                   f"{what} is over {limit} bytes (read.max_document_bytes); source.sha256 covers its first {limit + 1} bytes")


def _read_body(record: ArcWarcRecord, keep: bool, limit: int) -> tuple[bytes, str, int, str | None]:
    """Stream the (dechunked, decompressed) body: (kept bytes, sha256, size read, how its
    Content-Encoding went: None (none declared, or decoded to its end), "stopped" (it
    stopped decoding before its end), "raw" (it failed at once, and warcio gave the bytes
    as stored)).

    Stops after `limit + 1` bytes; warcio skips the rest when it moves to the next record.
    """
    stream = record.content_stream()
    hasher = sha256()
    parts: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = stream.read(min(_CHUNK, limit + 1 - size))
        if not chunk:
            break
        hasher.update(chunk)
        size += len(chunk)
        if keep:
            parts.append(chunk)
    decoding = None
    if getattr(stream, "decomp_type", None):  # warcio decodes a Content-Encoding
        decoder = stream.decompressor  # None once it gave up at the first bytes
        decoding = "raw" if decoder is None else None if decoder.eof else "stopped"
    return b"".join(parts), hasher.hexdigest(), size, decoding


def _facts(record: ArcWarcRecord) -> dict[str, Any]:
    """The record's provenance, whatever the archive format (WARC, ARC, docprep's WARC)."""
    headers = record.rec_headers
    http = record.http_headers
    status = None
    if http is not None:
        try:
            status = int(http.get_statuscode())
        except (TypeError, ValueError):
            status = None
    if record.format == "arc":
        date = headers.get_header("archive-date")
        return {
            "target_uri": headers.get_header("uri"),
            "warc_date": timestamp_to_iso_date(date) if date else None,
            "record_id": None,  # ARC has none
            "http_status": status,
        }
    facts: dict[str, Any] = {
        "target_uri": headers.get_header("WARC-Target-URI"),
        "warc_date": headers.get_header("WARC-Date"),
        "record_id": headers.get_header("WARC-Record-ID"),
        "http_status": status,
        # The crawler cut the payload ("length": Common Crawl keeps the first 1 MiB of a
        # page): the page is read as far as it goes, and the record says so.
        "warc_truncated": headers.get_header("WARC-Truncated"),
    }
    requested = headers.get_header(REQUESTED_URI_HEADER)
    if requested:
        facts = {
            "requested_uri": requested,
            "final_url": facts["target_uri"],
            "http_status": status,
            "fetched_at": headers.get_header(FETCHED_AT_HEADER) or facts["warc_date"],
            "etag": http.get_header("ETag") if http is not None else None,
            "last_modified": http.get_header("Last-Modified") if http is not None else None,
            "robots": headers.get_header(ROBOTS_HEADER),
        }
    return facts


def _source(uri: str, position: int | None, digest: str, facts: dict[str, Any]) -> Source:
    # Extra is sorted by key and holds no None, so Source.from_dict(s.to_dict()) == s.
    if "requested_uri" in facts:
        # A fetched page is identified by its URL, not by where a batch archived it.
        extra = {k: v for k, v in facts.items() if k != "requested_uri"}
        return Source(uri=facts["requested_uri"], sha256=digest, format="url", position=None, extra=_extra(extra))
    return Source(uri=uri, sha256=digest, format="warc", position=position, extra=_extra(facts))


def _extra(facts: dict[str, Any]) -> tuple[tuple[str, Any], ...]:
    return tuple(sorted((k, v) for k, v in facts.items() if v is not None))


def _reject(source: Source, reason: str, detail: str) -> Reject:
    return Reject(source=source, stage=STAGE, reason=reason, detail=detail, id=document_id(source))


def _corrupt(uri: str, position: int | None, detail: str) -> Reject:
    # The damaged unit's bytes cannot be delimited, so its hash is that of no bytes.
    source = Source(uri=uri, sha256=sha256_hex(b""), format="warc", position=position)
    return _reject(source, "corrupt_warc", detail + ". The records before it were read.")


def _describe(exc: BaseException) -> str:
    text = " ".join(str(exc).split())
    return f"{type(exc).__name__}: {text[:200]}" if text else type(exc).__name__
