"""Step `read`: inputs (files, folders, URLs) to input units (`Document` with raw bytes) or `Reject`s.

Two phases, so a run can be planned, split and resumed:

* `plan_inputs` expands what the user gave (files, folders walked recursively in sorted
  order, URL-list files, URLs) into an ordered list of `WorkItem`s, hashing each file.
  Problems found here (a symlink loop, an unreadable file) are rejects at stage `read`.
* `read_item` turns one `WorkItem` into its units: one for a `.txt`/`.html` page, one per
  line of a JSONL dump, one per response record of a WARC file, one per fetched URL.

Formats by name (each optionally compressed, `.gz` or `.zst`): `.txt` `.text` -> text dump; `.html` `.htm`
`.xhtml` -> HTML; `.jsonl` `.ndjson` -> JSONL dump (lines with `text` or `html`, plus
`url`, `title`, `date`, `author`); `.json` -> JSONL dump if its first line is a JSON
object (dolma's `.json.gz`), else a `not_json_lines` reject; `.warc` `.arc` -> WARC/ARC;
`.wacz` -> the WARCs in its `archive/` folder, each a work item (`_add_wacz`);
`.urls` `.urls.txt` -> a list of URLs to fetch. Anything else is sniffed: a first line
that is a JSON object -> JSONL (Spark's `part-00000`), markup -> HTML, else text (binary
garbage is then rejected by `decode`). Binary types by name (`.pdf`, `.zip`, ...) and a
crawl's files that hold no page (`.wat`, `.cdx`, `.cdxj`) are `unsupported_format`.
"""
from __future__ import annotations

import gzip
import hashlib
import json
import os
import stat
import zlib
from dataclasses import dataclass, replace
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, BinaryIO, Callable, Iterator, Sequence

try:  # Python 3.14's zstd module, or its backport: truncated input raises, as gzip's does
    from compression import zstd
except ImportError:
    from backports import zstd

from cleaners.config import ReadConfig
from cleaners.errors import InputError
from cleaners.record import Document, Reject, Source, sha256_hex

if TYPE_CHECKING:
    from cleaners.warc import Records

STAGE = "read"

_TEXT = (".txt", ".text", ".md")
_HTML = (".html", ".htm", ".xhtml", ".shtml")
_JSONL = (".jsonl", ".ndjson")
#: JSON Lines too if their first line is a JSON object (dolma's corpora are `.json.gz`).
_JSON = (".json",)
_WARC = (".warc", ".arc", ".wet")  # .wet: Common Crawl's text extractions (CC-MAIN-...warc.wet.gz)
_URLS = (".urls", ".urls.txt")
#: Compressed inputs, read as a stream: gzip, and zstd (The Pile, SlimPajama and many
#: other corpora ship `.jsonl.zst`).
_COMPRESSED = (".gz", ".zst")
_BINARY = (".pdf", ".png", ".jpg", ".jpeg", ".gif", ".webp", ".zip", ".tar", ".mp3", ".mp4", ".exe")
#: Files of a crawl that hold no page, by name, and what to give instead: read as text
#: they were garbage (a CDXJ index's lines were kept as a document).
_NOT_PAGES = {
    ".wat": "a WAT file (Common Crawl) holds pages' metadata (headers, links), no page: give the "
            "crawl's WARC or WET files",
    ".cdx": "a CDX index lists where pages lie in WARC files and holds none: give the WARC files",
    ".cdxj": "a CDXJ index lists where pages lie in WARC files and holds none: give the WARC files",
}
#: Web Archive Collection Zipped (Browsertrix, ArchiveWeb.page): WARC files in a zip.
_WACZ = (".wacz",)


@dataclass(frozen=True, slots=True)
class WorkItem:
    """One thing to read: a file (`path`) or a URL to fetch (`url`).

    `uri` is how the user named it (folder + relative path, or the URL); `sha256` and
    `size` are of the file's bytes (None for URLs, whose bytes arrive when fetched).
    `etag` and `last_modified`: a URL asked again, what its last fetch answered (the fetch
    is conditional). `part`, `first_line`, `start`, `end`: one part of a big JSONL file
    (`jsonl_parts`): its index, the number of its first line, and the offsets in the
    file's content (decompressed) where its lines start and stop (None: the end).
    `member`: a WARC file inside the WACZ file at `path`, its `uri` "<the WACZ>#<member>".
    """

    uri: str
    format: str
    path: str | None = None
    url: str | None = None
    sha256: str | None = None
    size: int = 0
    etag: str | None = None
    last_modified: str | None = None
    part: int | None = None
    first_line: int | None = None
    start: int | None = None
    end: int | None = None
    member: str | None = None  # a WARC inside a WACZ file (`path`): its name in the zip

    def to_dict(self) -> dict:
        return {k: v for k, v in ((f, getattr(self, f)) for f in self.__slots__) if v is not None}


def _uncompressed_name(name: str | None) -> str:
    """The name, lower-cased, without its compression suffix ("a.WARC.gz" -> "a.warc")."""
    low = (name or "").lower()
    return low.rsplit(".", 1)[0] if low.endswith(_COMPRESSED) else low


def detect_format(name: str) -> str:
    low = _uncompressed_name(name)
    if low.endswith(_WARC):
        return "warc"
    if low.endswith(_URLS):
        return "urls"
    for suffixes, fmt in ((_TEXT, "text"), (_HTML, "html"), (_JSONL, "jsonl"), (_JSON, "json"), (_WACZ, "wacz"),
                          (_BINARY, "binary"), (tuple(_NOT_PAGES), "binary")):
        if low.endswith(suffixes):
            return fmt
    return "sniff"


def is_url(arg: str) -> bool:
    return arg.lower().startswith(("http://", "https://"))


def plan_inputs(inputs: Sequence[str], cfg: ReadConfig,
                exclude: Path | None = None) -> tuple[list[WorkItem], list[Reject]]:
    """Expand inputs into ordered work items. Order: as given; folders walked sorted.
    `exclude`: a folder a walk does not enter (the run's own output folder, when it lies
    inside an input folder: its shards, rejects and report are not new input).

    Raises InputError for an input that does not exist (a usage error, not bad data).
    """
    skip = frozenset({exclude.resolve()}) if exclude is not None and exclude.exists() else frozenset()
    items: list[WorkItem] = []
    rejects: list[Reject] = []
    for arg in inputs:
        if is_url(arg):
            items.append(WorkItem(uri=arg, format="url", url=arg))
            continue
        p = Path(os.fsdecode(arg))
        if not os.path.lexists(p):
            raise InputError(f"input not found: {arg} (give a file, a folder or an http(s) URL)")
        if p.is_dir():
            _walk(p, arg, cfg, items, rejects, seen=set(), skip=skip)
        else:
            _add_file(p, arg, cfg, items, rejects)
    return _once(items, rejects), rejects


def _once(items: list[WorkItem], rejects: list[Reject]) -> list[WorkItem]:
    """Each input unit read once: a file named twice (a folder and a file in it, the same
    URL twice in a list) would be two units with one id, the second a duplicate of itself.
    The repeats become rejects (read/repeated_input), so the count of inputs still holds."""
    seen: set[tuple[str, str | None, int | None]] = set()
    out = []
    for it in items:
        key = (it.uri, it.sha256 or it.url, it.part)
        if key in seen:
            rejects.append(Reject(Source(it.uri, it.sha256 or "", "url" if it.url else "file"), STAGE, "repeated_input",
                                  "named more than once among this run's inputs; read once"))
            continue
        seen.add(key)
        out.append(it)
    return out


def _walk(folder: Path, uri: str, cfg: ReadConfig, items, rejects, seen: set,
          skip: frozenset[Path] = frozenset()) -> None:
    try:
        real = folder.resolve(strict=True)
    except (OSError, RuntimeError) as exc:
        rejects.append(_plan_reject(uri, "symlink_loop" if isinstance(exc, RuntimeError) else "unreadable", str(exc)))
        return
    if real in skip:
        return  # the run's own output folder (documented): not an input
    if real in seen:
        rejects.append(_plan_reject(uri, "symlink_loop", f"{uri} leads back to a folder already being read"))
        return
    seen = seen | {real}
    try:
        entries = sorted(os.scandir(folder), key=lambda e: os.fsencode(e.name))
    except OSError as exc:
        rejects.append(_plan_reject(uri, "unreadable", f"cannot list folder: {exc.strerror or exc}"))
        return
    for entry in entries:
        name = os.fsdecode(os.fsencode(entry.name))  # surrogate-escaped if not valid UTF-8
        child_uri = f"{uri.rstrip('/')}/{name}"
        path = Path(entry.path)
        try:
            is_link = entry.is_symlink()
            if is_link and not cfg.follow_symlinks:
                continue
            if entry.is_dir(follow_symlinks=True):
                _walk(path, child_uri, cfg, items, rejects, seen, skip)
            elif entry.is_file(follow_symlinks=True):
                _add_file(path, child_uri, cfg, items, rejects)
            elif is_link and not os.path.exists(path):
                rejects.append(_plan_reject(child_uri, "broken_link", "symlink points nowhere (or loops)"))
            else:
                _add_file(path, child_uri, cfg, items, rejects)  # a FIFO, socket or device: rejected there
        except OSError as exc:
            rejects.append(_plan_reject(child_uri, "unreadable", exc.strerror or str(exc)))


#: Why a FIFO, socket or device is not read: a run hashes each input while planning and
#: reads it again in a worker, and a pipe gives its bytes once (or blocks with no writer).
_SPECIAL_FILE = ("not a regular file (a pipe, socket or device): inputs are hashed when planned and read "
                 "again by a worker, so write the stream to a file first")


def _add_file(path: Path, uri: str, cfg: ReadConfig, items, rejects) -> None:
    name = path.name
    if name.startswith(".") or name.endswith("~"):
        return  # hidden files and editor backups are not inputs (documented)
    try:
        st = path.stat()
    except OSError as exc:
        rejects.append(_plan_reject(uri, "unreadable", exc.strerror or str(exc)))
        return
    if not stat.S_ISREG(st.st_mode):
        rejects.append(_plan_reject(uri, "not_a_file", _SPECIAL_FILE))
        return
    fmt = detect_format(name)
    if fmt == "urls":
        _add_url_list(path, uri, cfg, items, rejects)
        return
    size = st.st_size
    if size > cfg.max_input_bytes:
        rejects.append(_plan_reject(uri, "too_large", f"{size} bytes > read.max_input_bytes={cfg.max_input_bytes}"))
        return
    try:
        digest = _file_sha256_memo((st.st_dev, st.st_ino, size, st.st_mtime_ns, st.st_ctime_ns), path)
    except OSError as exc:
        rejects.append(_plan_reject(uri, "unreadable", exc.strerror or str(exc)))
        return
    lines = _json_lines(str(path), cfg) if fmt in ("json", "sniff") else None
    if lines or (fmt == "json" and lines is None):  # unreadable: reading it says why
        fmt = "jsonl"
    elif fmt == "json":
        rejects.append(Reject(Source(uri, digest, "json"), STAGE, "not_json_lines",
                              "a .json file whose first line is not a JSON object: docprep reads JSON Lines "
                              "(one object a line, as .jsonl), not a JSON document spread over lines"))
        return
    item = WorkItem(uri=uri, format=fmt, path=os.path.abspath(path), sha256=digest, size=size)
    if fmt == "wacz":
        _add_wacz(item, cfg, items, rejects)
        return
    split = {"jsonl": split_jsonl, "warc": split_warc}.get(fmt)
    items.extend(split(item, cfg) if split else [item])


def _add_wacz(item: WorkItem, cfg: ReadConfig, items, rejects) -> None:
    """A WACZ file (WACZ 1.1: a zip whose `archive/` folder holds the crawl's WARC files)
    as work items of the WARCs in it, in the zip's order, each read as that WARC is
    (`_read_zipped_warc`), its record offsets in it. Its pages list and indexes are not
    read: the WARCs hold the pages."""
    import zipfile

    try:
        with zipfile.ZipFile(item.path) as wacz:
            warcs = [info for info in wacz.infolist() if not info.is_dir()
                     and info.filename.startswith("archive/") and info.filename.lower().endswith(_WACZ_WARCS)]
    except (zipfile.BadZipFile, OSError, EOFError) as exc:
        rejects.append(_corrupt_zip(item, "wacz", exc))
        return
    if not warcs:
        rejects.append(Reject(Source(item.uri, item.sha256 or "", "wacz"), STAGE, "unsupported_format",
                              "a WACZ file without a WARC file (.warc, .warc.gz) in its archive/ folder"))
        return
    for info in warcs:
        warc = replace(item, uri=f"{item.uri}#{info.filename}", format="warc", size=info.file_size, member=info.filename)
        items.extend(split_warc(warc, cfg))


def _corrupt_zip(item: WorkItem, fmt: str, exc: BaseException) -> Reject:
    return Reject(Source(item.uri, item.sha256 or "", fmt), STAGE, "corrupt_zip", f"{type(exc).__name__}: {exc}")


#: The WARC files a WACZ's archive/ folder may hold (its spec: WARC, gzipped or not).
_WACZ_WARCS = (".warc", ".warc.gz")


def _json_lines(path: str, cfg: ReadConfig, probe: int = 1 << 20) -> bool | None:
    """Whether the file's content (decompressed) starts with a line that is a JSON object:
    JSON Lines, whatever its name (`.json.gz` as dolma names them, `part-00000` as Spark
    writes them). A first line longer than `probe` bytes counts if it starts as an object
    with a key. None: the file cannot be read (reading it rejects it, saying why)."""
    try:
        raw, stream = open_capped(path, cfg)
        with raw:
            line = b""
            while not line.strip():
                line = stream.readline(probe)
                if not line:
                    return False
    except (LimitExceeded, *_CORRUPT):
        return None
    head = line.lstrip(b"\xef\xbb\xbf \t\r\n")
    if not head.startswith(b"{"):
        return False
    if len(line) >= probe and not line.endswith(b"\n"):
        return head[1:].lstrip().startswith(b'"')
    try:
        return isinstance(json.loads(head), dict)
    except (ValueError, UnicodeDecodeError):
        return False


#: A compressed file is read from its start to reach a part (no seeking inside gzip or
#: zstd): at most this many parts keeps the decompression repeated that way under ~8x the
#: file's, a few percent of the time its documents take to clean.
MAX_COMPRESSED_PARTS = 16
#: How many times its size a compressed JSONL file is taken to expand to, to size its
#: parts without reading it at planning (gzip and zstd on JSON text: 3-10x). Wrong either
#: way costs balance, not correctness: the last part reads to the end of the file.
COMPRESSED_RATIO_GUESS = 5


def split_jsonl(item: WorkItem, cfg: ReadConfig) -> list[WorkItem]:
    """A JSONL file as one work item, or, when its content is over read.jsonl_part_bytes,
    as parts of about that size, each its own batch, so that one big file spreads over
    the run's workers. The parts read the same units, with the same line numbers and ids,
    as the whole file would.

    A plain file is cut at line starts found in one pass over it (`jsonl_parts`), each
    part knowing its first line's number and seeking to it. A compressed one is not read
    here: it is cut into at most MAX_COMPRESSED_PARTS ranges of its content as guessed
    from its size (the last one open), and each part reads from the start, counting lines,
    to its first line starting in its range (`_skip_to_range`)."""
    packed = compression(item.path)
    part_bytes = cfg.jsonl_part_bytes
    if packed:
        guess = item.size * COMPRESSED_RATIO_GUESS
        n = min(MAX_COMPRESSED_PARTS, -(-guess // part_bytes))
        if n <= 1:
            return [item]
        size = -(-guess // n)
        return [replace(item, part=k, start=k * size, end=(k + 1) * size if k < n - 1 else None) for k in range(n)]
    if item.size <= part_bytes:
        return [item]
    try:
        starts = jsonl_parts(item.path, part_bytes, cfg)
    except (LimitExceeded, *_CORRUPT):
        return [item]  # read whole; reading it again finds the same fault, and rejects it
    if len(starts) == 1:
        return [item]
    bounds = [*(s for s, _ in starts[1:]), None]
    return [replace(item, part=k, first_line=line, start=start, end=end)
            for k, ((start, line), end) in enumerate(zip(starts, bounds))]


def split_warc(item: WorkItem, cfg: ReadConfig) -> list[WorkItem]:
    """A WARC, plain or compressed a record at a time (a gzip member or a zstd frame per
    record), bigger than `read.warc_part_bytes`, as parts of about that size, each its
    own batch: the records starting in [start, end) of the file (`iter_warc`). The cuts
    are found at planning with a seek and a short scan each: the first record at or after
    every multiple of the part size (`warc.Records.next`). Parts read the same records,
    offsets and ids as one read. A WARC compressed whole has no record to cut at and
    stays whole; so do ARC files."""
    import zipfile

    from cleaners.warc import members_of

    name = item.member or item.path
    if not _is_warc_name(name) or item.size <= cfg.warc_part_bytes:
        return [item]
    n = -(-item.size // cfg.warc_part_bytes)
    try:
        f = open(item.path, "rb") if item.member is None else _stored_member(item)
        if f is None:  # a WARC deflated in a WACZ: read as a stream, whole
            return [item]
        with f:
            members = members_of(name, f)
            if not warc_offsets_in_file(name, f, members):
                return [item]
            cuts = {members.next(k * item.size // n) for k in range(1, n)}
    except (OSError, zstd.ZstdError, zipfile.BadZipFile, KeyError):
        return [item]  # read whole: reading it finds the same fault, and rejects it
    starts = [0, *sorted(c for c in cuts if c is not None)]  # a record bigger than a part: one cut
    if len(starts) == 1:
        return [item]
    return [replace(item, part=k, start=a, end=b) for k, (a, b) in enumerate(zip(starts, [*starts[1:], None]))]


def jsonl_parts(path: str, part_bytes: int, cfg: ReadConfig) -> list[tuple[int, int]]:
    """(offset, line number) where each part of a JSONL file starts: the first line of
    the file, then the first line starting `part_bytes` or more after the previous part's
    start. One streamed pass over the file, counting newlines."""
    starts = [(0, 1)]
    raw, stream = open_capped(path, cfg)
    with raw:
        offset = newlines = 0  # the chunk's offset in the content; newlines before it
        cut = part_bytes  # the next part starts at the first line starting at or after here
        while chunk := stream.read(1 << 20):
            while cut - 1 < offset + len(chunk):
                i = chunk.find(b"\n", max(0, cut - 1 - offset))
                if i < 0:
                    break
                start = offset + i + 1
                starts.append((start, newlines + chunk.count(b"\n", 0, i + 1) + 1))
                cut = start + part_bytes
            newlines += chunk.count(b"\n")
            offset += len(chunk)
    if starts[-1][0] >= offset > 0:  # the file ends with a newline: no line starts there
        starts.pop()
    return starts


def _add_url_list(path: Path, uri: str, cfg: ReadConfig, items, rejects) -> None:
    """A URL list expands into one work item per URL, in list order."""
    from cleaners.fetch import parse_url_list

    try:
        raw, stream = open_capped(str(path), cfg)
        with raw:  # whole: a list is no document, and read.max_document_bytes is no limit of it
            data = stream.read()
    except (LimitExceeded, *_CORRUPT) as exc:
        rejects.append(_failure(WorkItem(uri=uri, format="urls", path=str(path)), exc))
        return
    for entry in parse_url_list(data, uri):
        if isinstance(entry, Reject):
            rejects.append(entry)
        else:
            items.append(WorkItem(uri=entry, format="url", url=entry))


@lru_cache(maxsize=1 << 16)
def _file_sha256_memo(stat_key: tuple[int, int, int, int, int], path: Path) -> str:
    """`file_sha256`, remembered for this process by the file's identity and change
    stamps (device, inode, size, mtime_ns, ctime_ns; any write moves ctime): a run that
    plans twice (the CLI's run-ahead plan, then the flow's plan task) reads each input
    once. Another process, or a file changed in between, hashes it again."""
    return file_sha256(path)


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def _plan_reject(uri: str, reason: str, detail: str) -> Reject:
    return Reject(Source(uri, "", "file"), STAGE, reason, detail)


class LimitExceeded(Exception):
    pass


#: A reader's `progress` is called each time this many more bytes have been read.
PROGRESS_BYTES = 1 << 20


class _CappedStream:
    """A file object that raises LimitExceeded past `cap` bytes (gzip bombs stay bounded),
    and calls `progress` (if any) every PROGRESS_BYTES read: a sign of life from a long
    read that yields nothing (a run of blank lines, skipped WARC records, the lines before
    a part of a compressed file)."""

    def __init__(self, stream: BinaryIO, cap: int, progress: Callable[[], None] | None = None):
        self.stream, self.cap, self.count = stream, cap, 0
        self.progress, self.beat_at = progress, PROGRESS_BYTES

    def read(self, n: int = -1) -> bytes:
        if n < 0:  # to the end, a MiB at a time (a file's read(n) allocates n bytes first)
            return b"".join(iter(lambda: self.read(1 << 20), b""))
        data = self.stream.read(min(n, self.cap + 1 - self.count))
        self._add(len(data))
        return data

    def readline(self, limit: int = -1) -> bytes:
        data = self.stream.readline(limit)
        self._add(len(data))
        return data

    def _add(self, n: int) -> None:
        self.count += n
        if self.count > self.cap:
            raise LimitExceeded(f"expands past {self.cap} bytes (read.max_decompressed_bytes, read.max_expansion)")
        if self.count >= self.beat_at and self.progress is not None:
            self.beat_at = self.count + PROGRESS_BYTES
            self.progress()


def open_capped(path: str, cfg: ReadConfig, progress: Callable[[], None] | None = None):
    """(the file, a stream of its content): decompressed for `.gz` and `.zst`, capped at
    read.max_decompressed_bytes or read.max_expansion times the file's size, whichever is
    more; else the file's bytes, capped at read.max_input_bytes. `progress`: see
    `_CappedStream`."""
    raw = open(path, "rb")
    try:
        return raw, capped_content(raw, path, lambda: os.fstat(raw.fileno()).st_size, cfg, progress)
    except BaseException:
        raw.close()
        raise


def capped_content(raw: BinaryIO, name: str, size: Callable[[], int], cfg: ReadConfig,
                   progress: Callable[[], None] | None = None) -> "_CappedStream":
    """The content of the open file `raw`, named `name`, as `open_capped` gives it (`size`:
    the file's size, asked only of a compressed one)."""
    packed = compression(name)
    if packed is None:
        return _CappedStream(raw, cfg.max_input_bytes, progress)
    cap = max(cfg.max_decompressed_bytes, int(cfg.max_expansion * size()))
    return _CappedStream(_decompressed(raw, packed), cap, progress)


def compression(path: str | None) -> str | None:
    """"gzip", "zstd" or None, by the file's name."""
    low = (path or "").lower()
    return "gzip" if low.endswith(".gz") else "zstd" if low.endswith(".zst") else None


def _decompressed(source, packed: str) -> BinaryIO:
    """The content of `source` (a path, or a file object), compressed as `packed` says."""
    if packed == "gzip":
        return gzip.open(source, "rb")
    if isinstance(source, (str, os.PathLike)):
        with open(source, "rb") as f:
            dictionary = zstd_dictionary(f)
    else:
        dictionary = zstd_dictionary(source)
    return zstd.ZstdFile(source, "rb", zstd_dict=dictionary)


#: The magic number of the skippable frame a zstd WARC's dictionary comes in ("Zstandard
#: Compression for WARC Files 1.0", IIPC): each record is a frame of its own, compressed
#: with that dictionary (Archive Team's WARCs are written so).
ZSTD_DICTIONARY_FRAME = 0x184D2A5D
_ZSTD_FRAME = b"\x28\xb5\x2f\xfd"


def zstd_dictionary(f: BinaryIO) -> "zstd.ZstdDict | None":
    """The dictionary of a zstd file that starts with a dictionary frame (itself
    zstd-compressed or not), else None; `f` is left where it was (the decompressor skips
    the frame, as it skips any skippable frame)."""
    start = f.tell()
    try:
        head = f.read(8)
        if len(head) < 8 or int.from_bytes(head[:4], "little") != ZSTD_DICTIONARY_FRAME:
            return None
        content = f.read(int.from_bytes(head[4:], "little"))
        if content.startswith(_ZSTD_FRAME):
            content = zstd.decompress(content)
        try:
            return zstd.ZstdDict(content)
        except ValueError as exc:
            raise zstd.ZstdError(f"the dictionary frame holds no dictionary: {exc}") from exc
    finally:
        f.seek(start)


def open_content(path: str | Path) -> BinaryIO:
    """A file's content as a binary stream, decompressed as its name says (no caps: for
    re-reading an input already read, e.g. by the report)."""
    packed = compression(str(path))
    return _decompressed(path, packed) if packed else open(path, "rb")


_CORRUPT = (OSError, EOFError, zlib.error, zstd.ZstdError)


def _failure(item: WorkItem, exc: Exception) -> Reject:
    base = Source(item.uri, item.sha256 or "", item.format)
    if isinstance(exc, LimitExceeded):
        return Reject(base, STAGE, "decompression_limit", str(exc))
    packed = compression(item.path)
    if packed and not isinstance(exc, (PermissionError, FileNotFoundError)):
        return Reject(base, STAGE, f"corrupt_{packed}", f"{type(exc).__name__}: {exc}")
    return Reject(base, STAGE, "unreadable", getattr(exc, "strerror", None) or str(exc))


def read_item(item: WorkItem, cfg: ReadConfig,
              progress: Callable[[], None] | None = None) -> Iterator[Document | Reject]:
    """The input units of one file work item (URL items are read by `fetch`). `progress`
    is called every PROGRESS_BYTES read (the worker's sign of life between units).

    Never raises for bad data: a corrupt, oversized or unreadable file is a reject.
    """
    fmt = item.format
    if fmt == "binary":
        low = _uncompressed_name(item.path or item.uri)
        detail = next((why for suffix, why in _NOT_PAGES.items() if low.endswith(suffix)),
                      "binary file type (by name): not a text, HTML, JSONL or WARC input")
        yield Reject(Source(item.uri, item.sha256 or "", fmt), STAGE, "unsupported_format", detail)
        return
    if item.member is not None:
        yield from _read_zipped_warc(item, cfg, progress)
        return
    try:
        raw, stream = open_capped(item.path, cfg, progress)
    except _CORRUPT as exc:  # unreadable, or a zstd file's dictionary frame broken
        yield _failure(item, exc)
        return
    with raw:
        if fmt == "warc":
            yield from _read_warc(item, item.path, raw, stream, cfg, progress)
            return
        if fmt == "jsonl":
            try:
                first, limit = 1, None
                if item.part is not None:  # a part of a big file (`split_jsonl`): its lines only
                    first, offset = _skip_to_range(raw, stream, item)
                    limit = None if item.end is None else item.end - offset
                yield from iter_jsonl(stream, item.uri, cfg, first, limit)
            except (LimitExceeded, *_CORRUPT) as exc:
                yield _failure(item, exc)
            return
        try:
            data = stream.read(cfg.max_document_bytes + 1)
            if len(data) <= cfg.max_document_bytes:
                stream.read(1)  # reach the end: a truncated gzip stream raises only there
        except (LimitExceeded, *_CORRUPT) as exc:
            yield _failure(item, exc)
            return
    if fmt == "sniff":
        fmt = sniff_format(data)
    src = Source(item.uri, sha256_hex(data), fmt)
    if not data.strip():
        yield Reject(src, STAGE, "empty", "the file has no content")
    elif len(data) > cfg.max_document_bytes:
        yield Reject(src, STAGE, "too_large", f"more than read.max_document_bytes={cfg.max_document_bytes} bytes")
    else:
        yield Document(source=src, kind=fmt, raw=data)


def nothing_read(item: WorkItem) -> Reject:
    """What a file that gave no unit at all becomes, so that it leaves a line in the
    rejects: a WARC with no page in it (requests, revisits, metadata, a crawler's logs
    only), a JSONL file of blank lines. (Each other kind of file gives a unit or a reject
    of its own. A file read in parts is judged once all its parts are read, when the run
    is finalized: a part alone may hold nothing.)"""
    why = {"warc": ("no_pages", "the archive holds no page: no response, HTML resource or text conversion record "
                                "(only requests, revisits, metadata, a crawler's logs...)"),
           "jsonl": ("empty", "every line of the file is blank")}
    reason, detail = why.get(item.format, ("empty", "the file gave nothing to read"))
    return Reject(Source(item.uri, item.sha256 or "", item.format), STAGE, reason, detail)


def _read_warc(item: WorkItem, name: str, raw: BinaryIO, stream: "_CappedStream", cfg: ReadConfig,
               progress: Callable[[], None] | None) -> Iterator[Document | Reject]:
    """The units of a WARC (or ARC) file: `raw` its bytes, `stream` its content (the same,
    decompressed if `name` says it is compressed)."""
    from cleaners.warc import iter_warc, members_of

    try:
        capped = _CappedStream(raw, cfg.max_input_bytes, progress)
        members = members_of(name, raw, lambda offset: setattr(capped, "count", offset))  # ARC: None
        if not warc_offsets_in_file(name, raw, members):
            yield from iter_warc(stream, item.uri, cfg)  # offsets in the content
            return
        # a part (`split_warc`, WARC names only) starts at its first record; the first
        # part, or the whole file, after a zstd WARC's dictionary frame
        start = item.start or (members.first() if members is not None else 0)
        if members is not None:
            members.seek(start)
        yield from iter_warc(capped, item.uri, cfg, start, item.end, members)
    except (LimitExceeded, *_CORRUPT) as exc:  # iter_warc rejects what it can itself
        yield _failure(item, exc)


def _read_zipped_warc(item: WorkItem, cfg: ReadConfig,
                      progress: Callable[[], None] | None) -> Iterator[Document | Reject]:
    """The units of a WARC file inside a WACZ (`_add_wacz`). Stored in the zip (as WACZ
    writers store them: they are gzipped already), it is read as a file of its own, a
    slice of the WACZ (`_Slice`): in parts, and on past damage, as a WARC file is.
    Deflated in the zip, it is read as a stream: whole, to its first damage."""
    import zipfile

    from cleaners.warc import iter_warc

    try:
        raw = _stored_member(item)
        if raw is None:
            with zipfile.ZipFile(item.path) as wacz, wacz.open(item.member) as member:
                yield from iter_warc(_CappedStream(member, cfg.max_input_bytes, progress), item.uri, cfg)
            return
        with raw:
            stream = capped_content(raw, item.member, lambda: raw.length, cfg, progress)
            yield from _read_warc(item, item.member, raw, stream, cfg, progress)
    except (zipfile.BadZipFile, KeyError) as exc:
        yield _corrupt_zip(item, "warc", exc)
    except (LimitExceeded, *_CORRUPT) as exc:
        yield _failure(item, exc)


def _stored_member(item: WorkItem) -> "_Slice | None":
    """The WARC `item.member` of the WACZ at `item.path`, open as a file of its own if it is
    stored uncompressed in the zip, else None. Raises BadZipFile, KeyError, OSError."""
    span = zip_span(item.path, item.member)
    return None if span is None else _Slice(open(item.path, "rb"), *span)


def zip_span(path: str, member: str) -> tuple[int, int] | None:
    """(where its bytes start in the zip file, how many) of a member stored uncompressed,
    or None if it is compressed in the zip. Raises BadZipFile, KeyError."""
    import zipfile

    with zipfile.ZipFile(path) as z:
        info = z.getinfo(member)
        if info.compress_type != zipfile.ZIP_STORED:
            return None
        with open(path, "rb") as f:
            f.seek(info.header_offset)
            local = f.read(30)
    if len(local) < 30 or not local.startswith(b"PK\x03\x04"):
        raise zipfile.BadZipFile(f"no local header for {member} at byte {info.header_offset}")
    name_len, extra_len = int.from_bytes(local[26:28], "little"), int.from_bytes(local[28:30], "little")
    return info.header_offset + 30 + name_len + extra_len, info.compress_size


class _Slice:
    """Bytes [start, start + length) of the file `f`, as a file of their own (a WARC stored
    in a zip): read, seek and tell within them; `length` is their size."""

    def __init__(self, f: BinaryIO, start: int, length: int) -> None:
        self.f, self.start, self.length, self.pos = f, start, length, 0

    def read(self, size: int | None = -1) -> bytes:
        left = self.length - self.pos
        size = left if size is None or size < 0 else min(size, left)
        if size <= 0:
            return b""
        self.f.seek(self.start + self.pos)
        data = self.f.read(size)
        self.pos += len(data)
        return data

    def readinto(self, buffer) -> int:
        data = self.read(len(buffer))
        buffer[: len(data)] = data
        return len(data)

    def seek(self, offset: int, whence: int = os.SEEK_SET) -> int:
        self.pos = max(0, offset + {os.SEEK_SET: 0, os.SEEK_CUR: self.pos, os.SEEK_END: self.length}[whence])
        return self.pos

    def tell(self) -> int:
        return self.pos

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def close(self) -> None:
        self.f.close()

    def __enter__(self) -> "_Slice":
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def _is_warc_name(path: str | None) -> bool:
    """A WARC (or WET), not an ARC (whose records start otherwise), by its name."""
    return _uncompressed_name(path).endswith((".warc", ".wet"))


def warc_offsets_in_file(path: str, raw: BinaryIO, members: "Records | None") -> bool:
    """Whether a WARC's record offsets are offsets in the file `raw` itself, where parts
    and the resumption after damage seek: a plain WARC; a gzip WARC (or ARC) with a member
    per record, which warcio reads as it is; a zstd WARC with a frame per record, which
    warcio reads given the decompressor. Else (compressed whole: `gzip crawl.warc`, which
    warcio refuses, or `zstd crawl.warc`) the archive is read decompressed, its offsets in
    its content. `members`: the WARC's `warc.members_of`, None for an ARC. `raw` is left
    at its start."""
    from cleaners.warc import GzipMembers

    if members is None:  # an ARC: a plain one reads as it is, its offsets in the file all the same
        return compression(path) == "gzip" and not GzipMembers(raw).whole()
    return not members.whole()


def sniff_format(data: bytes) -> str:
    head = data[:2048].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    if head.startswith((b"<!doctype html", b"<html", b"<?xml", b"<head", b"<body")):
        return "html"
    return "text"


def _skip_to_range(raw, stream: "_CappedStream", item: WorkItem) -> tuple[int, int]:
    """Move `stream` to the first line of a part, and return that line's number and
    offset. A part of a plain file starts at a line whose number it knows: a seek. A part
    of a compressed file reads the content before its range, counting newlines (against
    the file's cap, as a whole read would), then the rest of the line its range starts in."""
    start = item.start or 0
    if item.first_line is not None:
        raw.seek(start)
        stream.count += start
        return item.first_line, start
    newlines = done = 0
    last = b"\n"
    while done < start:
        chunk = stream.read(min(start - done, 1 << 20))
        if not chunk:
            return newlines + 1, done
        newlines += chunk.count(b"\n")
        last = chunk[-1:]
        done += len(chunk)
    while last != b"\n":  # the range starts inside a line: that line is the part before's
        rest = stream.readline(1 << 20)
        if not rest:
            break
        done += len(rest)
        last = rest[-1:]
        newlines += last == b"\n"
    return newlines + 1, done


def iter_jsonl(stream, uri: str, cfg: ReadConfig, first_line: int = 1,
               limit: int | None = None) -> Iterator[Document | Reject]:
    """One unit per non-blank line, streamed. A broken line is a reject with its line
    number; the good lines still go through. `position` is the 1-based line number. The
    fields are read from the keys `read.jsonl_keys` names (`jsonl_keys`). A part of a
    file (`split_jsonl`): the stream starts at line `first_line`, and the part's lines are
    those starting in its first `limit` bytes."""
    keys = jsonl_keys(cfg)
    lineno = first_line - 1
    consumed = 0
    while limit is None or consumed < limit:
        line = stream.readline(cfg.max_document_bytes + 1)
        if not line:
            return
        consumed += len(line)
        lineno += 1
        if len(line) > cfg.max_document_bytes and not line.endswith(b"\n"):
            h = hashlib.sha256(line)
            while line and not line.endswith(b"\n"):  # skip the rest of the oversized line
                line = stream.readline(1 << 20)
                consumed += len(line)
                h.update(line.rstrip(b"\r\n"))
            yield Reject(Source(uri, h.hexdigest(), "jsonl", lineno), STAGE, "too_large",
                         f"line {lineno} is longer than read.max_document_bytes={cfg.max_document_bytes}")
            continue
        if not line.strip():
            continue
        src = Source(uri, sha256_hex(line.rstrip(b"\r\n")), "jsonl", lineno)
        try:
            obj = json.loads(line)
        except (ValueError, UnicodeDecodeError) as exc:
            yield Reject(src, STAGE, "bad_json_line", f"line {lineno} is not valid JSON: {exc}")
            continue
        if not isinstance(obj, dict):
            yield Reject(src, STAGE, "bad_json_line", f"line {lineno} is JSON but not an object")
            continue
        html, text = field(obj, keys["html"]), field(obj, keys["text"])
        body, kind = (html, "html") if isinstance(html, str) and html.strip() else (text, "text")
        if not isinstance(body, str) or not body.strip():
            yield Reject(src, STAGE, "no_content",
                         f"line {lineno} has no non-empty {keys['text']!r} or {keys['html']!r} field")
            continue
        extra = []
        input_id = field(obj, keys["id"])
        if isinstance(input_id, (str, int)) and not isinstance(input_id, bool) and str(input_id):
            extra.append(("input_id", str(input_id)))
        kept = {key: value for key in cfg.jsonl_keep if (value := field(obj, key)) is not None}
        if kept:
            extra.append(("input_fields", kept))
        if extra:  # sorted by key, as Source.from_dict reads it back
            src = Source(uri, src.sha256, "jsonl", lineno, tuple(sorted(extra, key=lambda kv: kv[0])))
        yield Document(source=src, kind=kind, content=body, hints=jsonl_hints(obj, keys))


#: The metadata a JSONL line may declare; each wins over what extraction finds.
JSONL_FIELDS = ("url", "title", "date", "author")


def field(obj: dict, key: str) -> Any:
    """The value of `key` in a JSONL line's object, or None: a key of its own, else, for
    a dotted key, the path through nested objects ("metadata.url")."""
    if key in obj or "." not in key:
        return obj.get(key)
    value: Any = obj
    for part in key.split("."):
        if not isinstance(value, dict):
            return None
        value = value.get(part)
    return value


def jsonl_keys(cfg: ReadConfig) -> dict[str, str]:
    """Each field of a JSONL line (body, metadata, id) and the key it is read from."""
    return {f: cfg.jsonl_keys.get(f, f) for f in ("text", "html", *JSONL_FIELDS, "id")}


def jsonl_hints(obj: dict, keys: dict[str, str]) -> dict:
    """A JSONL line's declared metadata (non-empty strings); a field present with another
    value is listed under `ignored` with why, for the extract step's provenance. `keys`:
    where each field is read from (`jsonl_keys`)."""
    hints: dict = {}
    ignored: dict = {}
    for name in JSONL_FIELDS:
        value = field(obj, keys[name])
        if isinstance(value, str) and value.strip():
            hints[name] = value
        elif value is not None and value != "":
            ignored[name] = f"not a string: {type(value).__name__}"
    if ignored:
        hints["ignored"] = ignored
    return hints
