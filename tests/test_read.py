import gzip
import hashlib
import json
import os
import random
import time

import pytest

from cleaners.config import ReadConfig
from cleaners.errors import InputError
from cleaners.read import detect_format, plan_inputs, read_item
from cleaners.record import Document, Reject, Source

FORMATS = [
    ("a.txt", "text"), ("a.TXT.gz", "text"), ("page.html", "html"), ("page.htm.gz", "html"),
    ("dump.jsonl", "jsonl"), ("dump.ndjson.gz", "jsonl"), ("crawl.warc.gz", "warc"), ("old.arc.gz", "warc"),
    ("list.urls", "urls"), ("photo.png", "binary"), ("README", "sniff"),
    ("dump.jsonl.zst", "jsonl"), ("a.txt.ZST", "text"), ("crawl.warc.zst", "warc"), ("list.urls.zst", "urls"),
    ("list.urls.txt.gz", "urls"), ("photo.png.gz", "binary"), ("notes.zst", "sniff"),
    ("documents/000.json.gz", "json"), ("a.JSON", "json"),  # JSON Lines if the first line is an object
    # a crawl's files that hold no page: rejected by name (read as text, they were garbage)
    ("CC-MAIN-2024-10-00000.warc.wat.gz", "binary"), ("index.cdx", "binary"), ("index.cdxj.gz", "binary"),
    ("crawl.wacz", "wacz"),
]


@pytest.mark.parametrize("name,fmt", FORMATS)
def test_format_by_name(name, fmt):
    assert detect_format(name) == fmt


def units(tmp_path, *names, cfg=ReadConfig()):
    items, rejects = plan_inputs([str(tmp_path / n) for n in names] if names else [str(tmp_path)], cfg)
    out = list(rejects)
    for it in items:
        out.extend(read_item(it, cfg))
    return out


def test_folders_are_walked_recursively_in_sorted_order(tmp_path):
    for name in ["b/2.txt", "a/1.txt", "c.txt", "a/0.html"]:
        p = tmp_path / name
        p.parent.mkdir(parents=True, exist_ok=True)
        p.write_text(f"content of {name}")
    items, _ = plan_inputs([str(tmp_path)], ReadConfig())
    assert [i.uri.removeprefix(str(tmp_path)) for i in items] == ["/a/0.html", "/a/1.txt", "/b/2.txt", "/c.txt"]


def test_uri_is_the_path_as_given(tmp_path, monkeypatch):
    (tmp_path / "d").mkdir()
    (tmp_path / "d" / "x.txt").write_text("hello")
    monkeypatch.chdir(tmp_path)
    items, _ = plan_inputs(["d"], ReadConfig())
    assert items[0].uri == "d/x.txt"


def test_missing_input_is_a_usage_error(tmp_path):
    with pytest.raises(InputError, match="not found"):
        plan_inputs([str(tmp_path / "nope")], ReadConfig())


def test_gzip_text_and_sha256_of_unit(tmp_path):
    (tmp_path / "a.txt.gz").write_bytes(gzip.compress("Zürich".encode()))
    [doc] = units(tmp_path, "a.txt.gz")
    assert isinstance(doc, Document) and doc.raw == "Zürich".encode() and doc.kind == "text"
    import hashlib
    assert doc.source.sha256 == hashlib.sha256(doc.raw).hexdigest()


def test_jsonl_lines_broken_lines_are_rejects_with_line_numbers(tmp_path):
    lines = [
        json.dumps({"text": "first document", "url": "http://a/1", "title": "One"}),
        "{broken json",
        "",
        json.dumps({"html": "<p>second</p>"}),
        json.dumps({"other": 1}),
        json.dumps(["not", "an", "object"]),
    ]
    (tmp_path / "d.jsonl").write_text("\n".join(lines) + "\n")
    out = units(tmp_path, "d.jsonl")
    assert [(type(u).__name__, u.source.position) for u in out] == [
        ("Document", 1), ("Reject", 2), ("Document", 4), ("Reject", 5), ("Reject", 6)]
    assert out[0].hints == {"url": "http://a/1", "title": "One"} and out[0].kind == "text"
    assert out[2].kind == "html"
    assert [u.reason for u in out if isinstance(u, Reject)] == ["bad_json_line", "no_content", "bad_json_line"]


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "e.txt").write_bytes(b"  \n")
    [r] = units(tmp_path, "e.txt")
    assert isinstance(r, Reject) and r.reason == "empty"


def test_truncated_gzip_is_rejected(tmp_path):
    import random
    rnd = random.Random(0)
    data = gzip.compress(bytes(rnd.randrange(97, 123) for _ in range(100000)))
    (tmp_path / "t.txt.gz").write_bytes(data[: len(data) // 2])
    [r] = units(tmp_path, "t.txt.gz")
    assert isinstance(r, Reject) and r.reason == "corrupt_gzip"


def test_decompression_bomb_is_capped(tmp_path):
    (tmp_path / "bomb.txt.gz").write_bytes(gzip.compress(b"\0" * (20 * 1024 * 1024)))
    [r] = units(tmp_path, "bomb.txt.gz", cfg=ReadConfig(max_decompressed_bytes=1024 * 1024))
    assert isinstance(r, Reject) and r.reason == "decompression_limit"


def test_oversized_document_is_rejected(tmp_path):
    (tmp_path / "big.txt").write_bytes(b"word " * 1000)
    [r] = units(tmp_path, "big.txt", cfg=ReadConfig(max_document_bytes=100))
    assert r.reason == "too_large"


def test_an_input_over_max_input_bytes_is_rejected_unread(tmp_path, monkeypatch):
    """A file bigger than read.max_input_bytes (a disk image named by mistake) is a plan
    reject, never hashed or read; files at the limit are inputs, whatever their format."""
    from cleaners import read

    for name in ("a.txt", "b.jsonl", "c.warc.gz"):
        (tmp_path / name).write_bytes(b"x" * 1000)
    (tmp_path / "d.jsonl").write_bytes(b"x" * 1001)
    hashed = []
    monkeypatch.setattr(read, "_file_sha256_memo", lambda key, path: hashed.append(path.name) or "0" * 64)
    items, rejects = plan_inputs([str(tmp_path)], ReadConfig(max_input_bytes=1000))
    assert [(r.source.uri.rsplit("/", 1)[1], r.stage, r.reason) for r in rejects] == [("d.jsonl", "read", "too_large")]
    assert "1001 bytes > read.max_input_bytes=1000" in rejects[0].detail
    assert [i.uri.rsplit("/", 1)[1] for i in items] == hashed == ["a.txt", "b.jsonl", "c.warc.gz"]


def test_oversized_jsonl_line_is_rejected_and_the_rest_goes_on(tmp_path):
    (tmp_path / "d.jsonl").write_text(json.dumps({"text": "y" * 500}) + "\n" + json.dumps({"text": "ok"}) + "\n")
    out = units(tmp_path, "d.jsonl", cfg=ReadConfig(max_document_bytes=100))
    assert [getattr(u, "reason", "doc") for u in out] == ["too_large", "doc"]
    assert out[1].source.position == 2


def test_symlink_loop_is_a_reject_not_a_hang(tmp_path):
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "x.txt").write_text("hello")
    os.symlink(tmp_path / "a", tmp_path / "a" / "loop")
    out = units(tmp_path)
    assert sum(isinstance(u, Document) for u in out) == 1
    assert any(isinstance(u, Reject) and u.reason == "symlink_loop" for u in out)


@pytest.mark.skipif(not hasattr(os, "mkfifo"), reason="no named pipes here")
def test_a_named_pipe_is_a_reject_not_a_hang(tmp_path):
    """A FIFO with no writer would block the planner's hashing forever, one with a writer
    would give its bytes to the hash and none to the worker: neither is read, in a folder
    or named on the command line, and each is accounted for."""
    (tmp_path / "a.txt").write_text("hello")
    os.mkfifo(tmp_path / "pipe.txt")
    os.mkfifo(tmp_path / "list.urls")
    os.symlink(tmp_path / "pipe.txt", tmp_path / "to_pipe.txt")
    out = units(tmp_path)
    assert [(u.source.uri.rsplit("/", 1)[1], u.reason) for u in out if isinstance(u, Reject)] == [
        ("list.urls", "not_a_file"), ("pipe.txt", "not_a_file"), ("to_pipe.txt", "not_a_file")]
    assert sum(isinstance(u, Document) for u in out) == 1
    [r] = units(tmp_path, "pipe.txt")
    assert r.reason == "not_a_file" and "regular file" in r.detail


def test_an_input_named_twice_is_read_once(tmp_path):
    """A folder and a file in it, or one URL twice: one unit each, the repeat a reject,
    never a second unit with the same id (a duplicate of itself)."""
    (tmp_path / "a.txt").write_text("hello")
    (tmp_path / "b.txt").write_text("world")
    items, rejects = plan_inputs([str(tmp_path), str(tmp_path / "a.txt"), "https://example.com/x",
                                  "https://example.com/x"], ReadConfig())
    assert [i.uri.rsplit("/", 1)[1] for i in items] == ["a.txt", "b.txt", "x"]
    assert [(r.source.uri.rsplit("/", 1)[1], r.reason) for r in rejects] == [("a.txt", "repeated_input"),
                                                                           ("x", "repeated_input")]


def test_file_name_not_valid_utf8(tmp_path):
    name = os.fsdecode(b"caf\xe9.txt")
    (tmp_path / name).write_text("bonjour")
    [doc] = units(tmp_path)
    assert isinstance(doc, Document) and "caf" in doc.source.uri


@pytest.mark.skipif(os.geteuid() == 0, reason="root can read files without read permission")
def test_unreadable_file(tmp_path):
    p = tmp_path / "secret.txt"
    p.write_text("x")
    p.chmod(0)
    [r] = units(tmp_path)
    assert isinstance(r, Reject) and r.reason == "unreadable"


def test_a_second_plan_in_the_same_process_does_not_read_unchanged_files_again(tmp_path, monkeypatch):
    """The CLI plans for its run-ahead and the flow's plan task plans again: each input is
    hashed once. A file rewritten in between (same size, mtime put back: only its ctime
    moves) is hashed again, so a plan never carries a stale digest."""
    import hashlib

    from cleaners import read

    for name in ("a.txt", "b.txt"):
        (tmp_path / name).write_text(f"body of {name}")
    read._file_sha256_memo.cache_clear()
    hashed: list[str] = []
    real = read.file_sha256
    monkeypatch.setattr(read, "file_sha256", lambda p: hashed.append(p.name) or real(p))
    first, _ = plan_inputs([str(tmp_path)], ReadConfig())
    again, _ = plan_inputs([str(tmp_path)], ReadConfig())
    assert hashed == ["a.txt", "b.txt"] and first == again

    st = (tmp_path / "a.txt").stat()
    time.sleep(0.05)  # file times tick with the kernel's coarse clock (up to 10 ms)
    (tmp_path / "a.txt").write_text("BODY OF a.txt")
    os.utime(tmp_path / "a.txt", ns=(st.st_atime_ns, st.st_mtime_ns))
    assert (tmp_path / "a.txt").stat().st_ctime_ns != st.st_ctime_ns
    changed, _ = plan_inputs([str(tmp_path)], ReadConfig())
    assert hashed == ["a.txt", "b.txt", "a.txt"]
    assert changed[0].sha256 == hashlib.sha256(b"BODY OF a.txt").hexdigest() != first[0].sha256


# ---------------------------------------------------------------------------- zstd


def zst(data: bytes, frames: int = 1) -> bytes:
    """`data` zstd-compressed, in `frames` frames one after the other (as `zstd` writes
    concatenated files, and as parallel compressors write)."""
    from cleaners.read import zstd

    step = -(-len(data) // frames) or 1
    return b"".join(zstd.compress(data[i:i + step]) for i in range(0, len(data), step))


def test_zstd_text_and_jsonl_are_read_as_their_content(tmp_path):
    (tmp_path / "a.txt.zst").write_bytes(zst("Zürich".encode()))
    lines = "".join(json.dumps({"text": f"document {n}", "url": f"http://a/{n}"}) + "\n" for n in range(500))
    (tmp_path / "d.jsonl.zst").write_bytes(zst(lines.encode(), frames=3))
    out = units(tmp_path, "a.txt.zst", "d.jsonl.zst")
    assert out[0].raw == "Zürich".encode() and out[0].kind == "text"
    assert [u.content for u in out[1:]] == [f"document {n}" for n in range(500)]
    assert [u.source.position for u in out[1:]] == list(range(1, 501))


def test_zstd_warc_and_url_list(tmp_path):
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=False)
    for n in range(2):
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        writer.write_record(writer.create_warc_record(f"http://example.org/{n}", "response",
                                                      payload=io.BytesIO(f"<p>page {n}</p>".encode()), http_headers=headers))
    (tmp_path / "c.warc.zst").write_bytes(zst(buf.getvalue()))
    (tmp_path / "l.urls.zst").write_bytes(zst(b"http://example.org/a\nhttp://example.org/b\n"))
    docs = units(tmp_path, "c.warc.zst")
    assert [d.raw for d in docs] == [b"<p>page 0</p>", b"<p>page 1</p>"]
    assert [d.source.get("target_uri") for d in docs] == ["http://example.org/0", "http://example.org/1"]
    items, rejects = plan_inputs([str(tmp_path / "l.urls.zst")], ReadConfig())
    assert [i.url for i in items] == ["http://example.org/a", "http://example.org/b"] and rejects == []


def test_truncated_zstd_is_rejected(tmp_path):
    import random
    rnd = random.Random(0)
    data = zst(bytes(rnd.randrange(97, 123) for _ in range(100000)))
    (tmp_path / "t.txt.zst").write_bytes(data[: len(data) // 2])
    (tmp_path / "t.jsonl.zst").write_bytes(b"not zstd at all")
    out = units(tmp_path, "t.txt.zst", "t.jsonl.zst")
    assert [(type(r).__name__, r.reason) for r in out] == [("Reject", "corrupt_zstd"), ("Reject", "corrupt_zstd")]


def test_zstd_bomb_is_capped(tmp_path):
    (tmp_path / "bomb.txt.zst").write_bytes(zst(b"\0" * (20 * 1024 * 1024)))
    (tmp_path / "bomb.jsonl.zst").write_bytes(zst(b"\n" * (20 * 1024 * 1024)))
    out = units(tmp_path, "bomb.txt.zst", "bomb.jsonl.zst", cfg=ReadConfig(max_decompressed_bytes=1024 * 1024))
    assert [r.reason for r in out] == ["decompression_limit", "decompression_limit"]


@pytest.mark.parametrize("suffix", [".gz", ".zst"])
def test_a_big_shard_is_read_whole_and_a_bomb_is_not(tmp_path, suffix):
    """read.max_decompressed_bytes is a floor: a JSONL shard expanding past it at a ratio
    text has (here ~2x) is read whole; past read.max_expansion it is a bomb."""
    import random

    rnd = random.Random(1)
    words = ["harbour", "council", "storm", "vote", "library", "timetable", "museum", "rail"]
    lines = "".join(json.dumps({"text": " ".join(rnd.choice(words) + str(rnd.randrange(10**6)) for _ in range(40))}) + "\n"
                    for _ in range(4000))
    pack = gzip.compress if suffix == ".gz" else zst
    (tmp_path / f"big.jsonl{suffix}").write_bytes(pack(lines.encode()))
    cfg = ReadConfig(max_decompressed_bytes=256 * 1024)
    assert len(lines) > 4 * cfg.max_decompressed_bytes
    out = units(tmp_path, f"big.jsonl{suffix}", cfg=cfg)
    assert len(out) == 4000 and all(isinstance(u, Document) for u in out)
    out = units(tmp_path, f"big.jsonl{suffix}", cfg=ReadConfig(max_decompressed_bytes=256 * 1024, max_expansion=1.5))
    assert isinstance(out[-1], Reject) and out[-1].reason == "decompression_limit" and len(out) < 4000


def test_jsonl_keys_name_where_fields_are_read_and_the_input_id_is_kept(tmp_path):
    lines = [
        {"raw_content": "a body", "source_url": "http://a/1", "doc_id": "rp-0001", "title": "T"},
        {"raw_content": "another", "doc_id": 17, "url": "http://ignored/"},
        {"text": "docprep's own key is not read now"},
        {"raw_content": "no usable id", "doc_id": True},
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    cfg = ReadConfig(jsonl_keys={"text": "raw_content", "url": "source_url", "id": "doc_id"})
    out = units(tmp_path, "d.jsonl", cfg=cfg)
    assert [type(u).__name__ for u in out] == ["Document", "Document", "Reject", "Document"]
    assert out[0].content == "a body" and out[0].hints == {"url": "http://a/1", "title": "T"}
    assert [u.source.get("input_id") for u in out] == ["rp-0001", "17", None, None]
    assert out[1].hints == {}  # "url" is not where the url is read from
    assert "'raw_content' or 'html'" in out[2].detail
    # Default keys: the id is kept too; the document id stays that of (uri, line bytes, line).
    (tmp_path / "e.jsonl").write_text(json.dumps({"text": "x", "id": "abc"}) + "\n")
    [doc] = units(tmp_path, "e.jsonl")
    assert doc.source.get("input_id") == "abc" and doc.source.to_dict()["input_id"] == "abc"


#: What a `.json` file, or one whose name says nothing, is read as, by its content
#: (its first non-blank line): JSON Lines if that line is a JSON object.
CONTENT_FORMATS = [
    ("000.json.gz", b'{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n', ["Document", "Document"]),
    ("blank-first.json", b'\n\n{"text": "one"}\n', ["Document"]),
    ("bom.json", b'\xef\xbb\xbf{"text": "one"}\n', ["Document"]),
    ("one-object.json.zst", b'{"text": "a single object on one line is one line of JSON Lines"}', ["Document"]),
    ("part-00000", b'{"text": "Spark names its output so"}\n{"text": "two"}\n', ["Document", "Document"]),
    ("part-00001.gz", b'{"text": "compressed, no extension"}\n', ["Document"]),
    ("pretty.json", b'{\n  "text": "a JSON document spread over lines"\n}\n', ["Reject:not_json_lines"]),
    ("array.json", b'[{"text": "one"}, {"text": "two"}]\n', ["Reject:not_json_lines"]),
    ("empty.json", b"", ["Reject:not_json_lines"]),
    ("broken.json.gz", None, ["Reject:corrupt_gzip"]),  # cut in its header: reading it says so, as for .jsonl.gz
    ("notes", b"{curly braces start this text dump}\n", ["Document:text"]),
    ("README", b"plain words\n{\"text\": \"a JSON line later does not count\"}\n", ["Document:text"]),
]


@pytest.mark.parametrize("name, data, expected", CONTENT_FORMATS, ids=[c[0] for c in CONTENT_FORMATS])
def test_json_lines_are_known_by_their_first_line(tmp_path, name, data, expected):
    if data is None:
        packed = gzip.compress(b'{"text": "one"}\n')[:5]
    else:
        packed = gzip.compress(data) if name.endswith(".gz") else zst(data) if name.endswith(".zst") else data
    (tmp_path / name).write_bytes(packed)
    out = units(tmp_path, name)
    got = [f"Reject:{u.reason}" if isinstance(u, Reject) else "Document" if u.source.format == "jsonl"
           else f"Document:{u.kind}" for u in out]
    assert got == expected
    if expected[0] == "Reject:not_json_lines":
        assert "JSON Lines" in out[0].detail and out[0].source.sha256 == hashlib.sha256(packed).hexdigest()


@pytest.mark.parametrize("name, says", [("a.warc.wat.gz", "WAT"), ("index.cdxj", "CDXJ"),
                                        ("photo.png", "binary file type")])
def test_a_crawl_file_that_holds_no_page_is_rejected_saying_what_to_give(tmp_path, name, says):
    (tmp_path / name).write_bytes(b'com,example)/ 20240101000000 {"url": "http://example.com/"}\n')
    [out] = units(tmp_path, name)
    assert out.reason == "unsupported_format" and says in out.detail


def _wacz(path, warcs: dict[str, bytes], stored: bool = True) -> None:
    """A WACZ file as Browsertrix writes one: its WARCs under archive/ (stored: they are
    gzipped already), with a pages list, an index and the package description."""
    import zipfile

    with zipfile.ZipFile(path, "w") as z:
        z.writestr("datapackage.json", json.dumps({"profile": "data-package", "wacz_version": "1.1.1"}))
        z.writestr("pages/pages.jsonl", json.dumps({"format": "json-pages-1.0"}) + "\n")
        z.writestr("indexes/index.cdx", "com,example)/ 20240101000000 {}\n")
        for name, data in warcs.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED)


@pytest.mark.parametrize("stored", [True, False], ids=["stored", "deflated"])
def test_a_wacz_is_read_as_the_warcs_in_it(tmp_path, stored):
    """A WACZ (Browsertrix, ArchiveWeb.page) is a zip whose archive/ folder holds the
    crawl's WARCs: each is read as that WARC is read unzipped, its units' uri
    "<the WACZ>#archive/<warc>", their positions the record offsets in that WARC."""
    from test_warc import build_warc

    gz, plain = build_warc(True), build_warc(False)
    _wacz(tmp_path / "crawl.wacz", {"archive/data.warc.gz": gz, "archive/more.warc": plain}, stored)
    (tmp_path / "data.warc.gz").write_bytes(gz)
    (tmp_path / "more.warc").write_bytes(plain)
    out = units(tmp_path, "crawl.wacz")
    unzipped = units(tmp_path, "data.warc.gz") + units(tmp_path, "more.warc")
    assert [u.source.uri for u in out] == [str(tmp_path / "crawl.wacz#archive/data.warc.gz")] * 3 + [
        str(tmp_path / "crawl.wacz#archive/more.warc")] * 3
    assert [(type(u).__name__, u.source.position, u.source.sha256, getattr(u, "reason", None)) for u in out] == [
        (type(u).__name__, u.source.position, u.source.sha256, getattr(u, "reason", None)) for u in unzipped]


@pytest.mark.parametrize("pack", ["gz", "plain"])
def test_a_big_warc_stored_in_a_wacz_is_read_in_parts_and_on_past_damage(tmp_path, pack):
    """A WARC stored uncompressed in the zip (as WACZ writers store their .warc.gz) is a
    slice of the WACZ file, read as a WARC file is: cut in parts at planning, and read on
    at the next record after a damaged one; the same units, in one read as in parts."""
    from test_warc import big_warc, outcomes, packed_offsets, per_record

    from cleaners.read import split_warc

    plain = big_warc(5, n=60, gz=False)
    data = bytearray(per_record(plain, pack))
    _, off, length = [r for r in packed_offsets(plain, pack) if r[0] == "response"][7]
    data[off + length // 2: off + length // 2 + 16] = bytes(16)  # a damaged record
    name = "archive/data.warc.gz" if pack == "gz" else "archive/data.warc"
    _wacz(tmp_path / "crawl.wacz", {name: bytes(data)})
    (tmp_path / name.split("/")[1]).write_bytes(bytes(data))
    whole = units(tmp_path, "crawl.wacz")
    cfg = ReadConfig.model_construct(**{**ReadConfig().model_dump(), "warc_part_bytes": 4000})
    items, _ = plan_inputs([str(tmp_path / "crawl.wacz")], cfg)
    assert len(items) > 5 and all(i.member == name for i in items)
    assert outcomes(units(tmp_path, "crawl.wacz", cfg=cfg)) == outcomes(whole)
    unzipped = units(tmp_path, name.split("/")[1])
    assert [(type(u).__name__, u.source.position, getattr(u, "reason", None)) for u in whole] == [
        (type(u).__name__, u.source.position, getattr(u, "reason", None)) for u in unzipped]
    assert any(getattr(u, "reason", None) == "corrupt_warc" for u in whole)
    assert [u.source.position for u in whole if isinstance(u, Reject) and u.reason == "corrupt_warc"] == [off]
    assert whole[-1].source.position > off  # read on past the damage


def test_a_broken_or_empty_wacz_is_a_reject(tmp_path):
    from test_warc import build_warc

    _wacz(tmp_path / "none.wacz", {})
    good = tmp_path / "good.wacz"
    _wacz(good, {"archive/data.warc.gz": build_warc(True)}, stored=False)
    (tmp_path / "cut.wacz").write_bytes(good.read_bytes()[:-200])  # its central directory cut off
    data = bytearray(good.read_bytes())
    at = data.index(b"archive/data.warc.gz") + 200  # inside the deflated WARC
    data[at:at + 40] = bytes(40)
    (tmp_path / "damaged.wacz").write_bytes(bytes(data))
    assert [(u.reason, "archive/" in u.detail) for u in units(tmp_path, "none.wacz")] == [("unsupported_format", True)]
    assert [u.reason for u in units(tmp_path, "cut.wacz")] == ["corrupt_zip"]
    damaged = units(tmp_path, "damaged.wacz")
    assert damaged and isinstance(damaged[-1], Reject) and damaged[-1].reason in ("corrupt_zip", "corrupt_warc")


def test_dotted_jsonl_keys_read_nested_fields_and_jsonl_keep_carries_provenance(tmp_path):
    """datatrove and dolma keep a document's URL and their own provenance under
    `metadata`: a dotted key reads there (a key of the line's own, dots and all, first),
    and `jsonl_keep` carries the values named into `source.input_fields`."""
    lines = [
        {"id": "<urn:uuid:1>", "text": "body one", "metadata": {"url": "http://a/1", "dump": "CC-MAIN-2024-10",
                                                                "language_score": 0.93}},
        {"id": "2", "text": "body two", "metadata.url": "http://own-key/", "metadata": {"url": "http://nested/"}},
        {"text": "body three", "metadata": "not an object"},
    ]
    (tmp_path / "d.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    cfg = ReadConfig(jsonl_keys={"url": "metadata.url"},
                     jsonl_keep=["metadata.dump", "metadata.language_score", "metadata.absent"])
    out = units(tmp_path, "d.jsonl", cfg=cfg)
    assert [u.hints.get("url") for u in out] == ["http://a/1", "http://own-key/", None]
    assert [u.source.get("input_fields") for u in out] == [
        {"metadata.dump": "CC-MAIN-2024-10", "metadata.language_score": 0.93}, None, None]
    assert out[0].source.to_dict()["input_fields"]["metadata.dump"] == "CC-MAIN-2024-10"
    assert Source.from_dict(out[0].source.to_dict()) == out[0].source


def test_jsonl_keys_are_checked():
    with pytest.raises(ValueError):
        ReadConfig(jsonl_keys={"body": "content"})


# ---------------------------------------------------------------------------- big JSONL files in parts


def _jsonl_content(seed: int, n: int = 400) -> bytes:
    """Lines of varied length, blank lines, a broken line, a line too long and no newline
    at the end: every case the parts must split exactly as one read does."""
    import random

    rnd = random.Random(seed)
    out = []
    for k in range(n):
        r = rnd.random()
        if r < 0.05:
            out.append(b"")
        elif r < 0.07:
            out.append(b"{broken")
        elif r < 0.08:
            out.append(json.dumps({"text": "z" * 5000}).encode())  # over max_document_bytes below
        else:
            words = " ".join(str(rnd.randrange(10**6)) for _ in range(rnd.randrange(2, 400)))
            out.append(json.dumps({"text": f"doc {k} {words}", "id": k}).encode())
    return b"\n".join(out) + (b"\n" if seed % 2 else b"")


def _outcomes(units_):
    return [(type(u).__name__, u.source.position, u.source.sha256, getattr(u, "content", None) or u.reason)
            for u in units_]


@pytest.mark.parametrize("suffix", ["", ".gz", ".zst"])
@pytest.mark.parametrize("seed", [1, 2, 3])
@pytest.mark.parametrize("part_kib", [64, 100, 4096])
def test_a_big_jsonl_file_in_parts_reads_as_one(tmp_path, suffix, seed, part_kib):
    from cleaners.read import MAX_COMPRESSED_PARTS

    data = _jsonl_content(seed)
    pack = {"": lambda b: b, ".gz": gzip.compress, ".zst": zst}[suffix]
    (tmp_path / f"d.jsonl{suffix}").write_bytes(pack(data))
    whole = units(tmp_path, f"d.jsonl{suffix}", cfg=ReadConfig(max_document_bytes=4000))
    cfg = ReadConfig(max_document_bytes=4000, jsonl_part_bytes=part_kib * 1024)
    items, _ = plan_inputs([str(tmp_path / f"d.jsonl{suffix}")], cfg)
    if part_kib == 4096:
        assert len(items) == 1 and items[0].part is None  # small enough to read whole
    else:
        assert len(items) >= 2 and [i.part for i in items] == list(range(len(items)))
        assert len(items) <= (MAX_COMPRESSED_PARTS if suffix else -(-len(data) // (part_kib * 1024)))
    parts = [list(read_item(it, cfg)) for it in items]
    assert _outcomes([u for p in parts for u in p]) == _outcomes(whole)
    assert [u.reason for u in whole if isinstance(u, Reject)].count("too_large") >= 1


def test_compressed_parts_cover_the_file_whatever_the_guess(tmp_path, monkeypatch):
    """Parts of a compressed file are sized from a guess of its content: a guess far too
    high leaves parts past the end empty, one far too low a long last part; never a line
    lost or read twice."""
    from cleaners import read

    data = _jsonl_content(4, n=1500)
    (tmp_path / "d.jsonl.gz").write_bytes(gzip.compress(data))
    whole = units(tmp_path, "d.jsonl.gz", cfg=ReadConfig(max_document_bytes=4000))
    cfg = ReadConfig(max_document_bytes=4000, jsonl_part_bytes=64 * 1024)
    for guess in (1, 3, 50, 1000):
        monkeypatch.setattr(read, "COMPRESSED_RATIO_GUESS", guess)
        items, _ = plan_inputs([str(tmp_path / "d.jsonl.gz")], cfg)
        got = [u for it in items for u in read_item(it, cfg)]
        assert _outcomes(got) == _outcomes(whole), guess


def test_jsonl_parts_start_at_lines(tmp_path):
    from cleaners.read import jsonl_parts

    data = _jsonl_content(5, n=2000)
    (tmp_path / "d.jsonl").write_bytes(data)
    starts = jsonl_parts(str(tmp_path / "d.jsonl"), 64 * 1024, ReadConfig())
    assert starts[0] == (0, 1) and len(starts) >= 10
    assert all(data[s - 1:s] == b"\n" and data[:s].count(b"\n") + 1 == line for s, line in starts[1:])
    assert all(b - a >= 64 * 1024 for (a, _), (b, _) in zip(starts, starts[1:]))


@pytest.mark.parametrize("name", ["l.urls", "l.urls.gz"])
def test_a_url_list_is_read_whole(tmp_path, name):
    """A URL list longer than read.max_document_bytes lost its tail silently (and its
    last URL was cut mid-way, then fetched as cut)."""
    text = "".join(f"http://example.org/page/{n:05d}\n" for n in range(100)).encode()
    (tmp_path / name).write_bytes(gzip.compress(text) if name.endswith(".gz") else text)
    items, rejects = plan_inputs([str(tmp_path / name)], ReadConfig(max_document_bytes=1000))
    assert [i.url for i in items] == [f"http://example.org/page/{n:05d}" for n in range(100)] and rejects == []


def skipped_records_warc(gzipped: bool) -> bytes:
    """A WARC of 4 MB of metadata records (read, yielding nothing) and one response."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    writer = WARCWriter(buf, gzip=gzipped)
    rnd = random.Random(1)
    for n in range(20):
        body = rnd.randbytes(200_000)
        writer.write_record(writer.create_warc_record(f"http://example.org/{n}", "metadata", payload=io.BytesIO(body),
                                                      warc_content_type="application/octet-stream"))
    headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
    writer.write_record(writer.create_warc_record("http://example.org/page", "response",
                                                  payload=io.BytesIO(b"<p>the page</p>"), http_headers=headers))
    return buf.getvalue()


@pytest.mark.parametrize("name", ["blank.jsonl", "blank.jsonl.gz", "blank.jsonl.zst", "text.txt.gz",
                                  "skipped.warc", "skipped.warc.gz", "skipped.warc.zst"])
def test_a_long_read_reports_progress(tmp_path, name):
    """A read that yields nothing for megabytes (blank lines, skipped WARC records) calls
    `progress` every read.PROGRESS_BYTES: the worker's sign of life between units. The
    units are those read without it."""
    from cleaners.read import PROGRESS_BYTES

    if "warc" in name:
        content = skipped_records_warc(gzipped=name.endswith(".gz"))
    elif "jsonl" in name:
        content = b'{"text": "first"}\n' + (b" " * 1023 + b"\n") * 4096 + b'{"text": "last"}\n'
    else:
        content = b"word " * PROGRESS_BYTES
    pack = {"gz": gzip.compress, "zst": zst}.get(name.rsplit(".", 1)[1]) if name != "skipped.warc.gz" else None
    packed = pack(content) if pack else content
    (tmp_path / name).write_bytes(packed)
    items, _ = plan_inputs([str(tmp_path / name)], ReadConfig())
    calls = []
    with_progress = list(read_item(items[0], ReadConfig(), lambda: calls.append(1)))
    without = list(read_item(items[0], ReadConfig()))
    assert [(u.source.to_dict(), u.raw, u.content) for u in with_progress] == [
        (u.source.to_dict(), u.raw, u.content) for u in without]
    assert all(isinstance(u, Document) for u in without) and without
    read = len(packed) if name.endswith(".warc.gz") else len(content)  # warcio reads the gzip itself
    # once per PROGRESS_BYTES (a whole text file is one read, so once)
    assert len(calls) == (1 if name.startswith("text") else read // PROGRESS_BYTES)


def dictionary_zst(records: list[bytes], compressed_dict: bool) -> bytes:
    """Zstd-compressed WARC the way "Zstandard Compression for WARC Files 1.0" (IIPC) and
    Archive Team write them: a skippable frame (magic 0x184D2A5D) holding the dictionary,
    zstd-compressed or not, then one frame per record, compressed with it."""
    import struct

    from cleaners.read import zstd as z

    dictionary = z.train_dict(records * 4, 2048)
    payload = z.compress(dictionary.dict_content) if compressed_dict else dictionary.dict_content
    return (struct.pack("<II", 0x184D2A5D, len(payload)) + payload
            + b"".join(z.compress(r, zstd_dict=dictionary) for r in records))


@pytest.mark.parametrize("compressed_dict", [True, False])
def test_a_zstd_warc_with_a_dictionary_frame_is_read(tmp_path, compressed_dict):
    """Without its dictionary such a file does not decompress ('Dictionary mismatch'):
    it was a corrupt_zstd reject, every page lost."""
    import io

    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    records = []
    for n in range(40):
        buf = io.BytesIO()
        headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html")], protocol="HTTP/1.1")
        w = WARCWriter(buf, gzip=False)
        w.write_record(w.create_warc_record(f"http://example.org/{n}", "response",
                                            payload=io.BytesIO(f"<p>page {n} of the site</p>".encode()), http_headers=headers))
        records.append(buf.getvalue())
    (tmp_path / "c.warc.zst").write_bytes(dictionary_zst(records, compressed_dict))
    (tmp_path / "c.warc").write_bytes(b"".join(records))
    got, plain = units(tmp_path, "c.warc.zst"), units(tmp_path, "c.warc")
    assert [d.raw for d in got] == [d.raw for d in plain]
    assert len(got) == 40 and all(isinstance(d, Document) for d in got)
    # a frame per record: offsets are where the frames start in the file (as for a gzip
    # WARC's members, and as CDX indexes give them), the first after the dictionary frame
    from cleaners.warc import ZstdFrames

    with open(tmp_path / "c.warc.zst", "rb") as f:
        frames = ZstdFrames(f)
        starts = [frames.first()]
        while (at := frames.next(starts[-1] + 1)) is not None:
            starts.append(at)
    assert [d.source.position for d in got] == starts and starts[0] > 8


def test_a_broken_zstd_dictionary_frame_is_a_reject(tmp_path):
    import struct

    (tmp_path / "c.warc.zst").write_bytes(struct.pack("<II", 0x184D2A5D, 7) + b"garbage" + zst(b"WARC/1.0\r\n"))
    [r] = units(tmp_path, "c.warc.zst")
    assert r.reason == "corrupt_zstd" and "dictionary" in r.detail
