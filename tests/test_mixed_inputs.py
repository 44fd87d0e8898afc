"""One `docprep clean` over every input kind at once: a folder of dumps, a WARC file, a
URL list fetched from a local server and a URL on the command line; then the archived
responses replay offline into the same texts. And fetching inside a run's supervised
workers: a slow site, a worker restarted after a timeout."""
import collections
import hashlib
import http.server
import json
import threading
import time
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.config import Config
from cleaners.pipeline import run
from cleaners.validate import iter_records, validate_corpus

ROOT = Path(__file__).resolve().parent.parent


def page(title: str, seed: str) -> bytes:
    """An HTML page around the long paragraphs of one seed dump (real, distinct prose)."""
    paras = [p for p in (ROOT / "seeds" / seed).read_text().split("\n") if len(p) > 300][:4]
    body = "".join(f"<p>{p}</p>" for p in paras)
    return (f"<html><head><title>{title}</title></head><body><nav><a href='/'>Home</a></nav>"
            f"<article><h1>{title}</h1>{body}</article><footer>© Example</footer></body></html>").encode()


PAGES = {
    "/a": page("Harbour reopens after storm", "000_cc37ebd74bd6c639.txt"),
    "/b": page("Library extends opening hours", "001_e18522ba2044eb3f.txt"),
    "/c": page("Rail line gets new timetable", "002_3b6836c4b98d9700.txt"),
}


ROBOTS = b"User-agent: *\nDisallow: /private\n"
SLOW_S = 2.5
HITS: collections.Counter = collections.Counter()


class Handler(http.server.BaseHTTPRequestHandler):
    def log_message(self, *args):
        pass

    def do_GET(self):
        HITS[self.path] += 1
        if self.path == "/robots.txt":
            self.send_response(200)
            self.send_header("Content-Type", "text/plain")
            self.send_header("Content-Length", str(len(ROBOTS)))
            self.end_headers()
            self.wfile.write(ROBOTS)
            return
        if self.path.startswith("/slow"):
            time.sleep(SLOW_S)
        if self.path == "/error":
            self.send_response(503)
            self.send_header("Content-Length", "0")
            self.end_headers()
            return
        body = PAGES.get(self.path.removeprefix("/slow"))
        etag = f'"{hashlib.sha256(body).hexdigest()[:8]}"' if body else None
        if etag and self.headers.get("If-None-Match") == etag:
            self.send_response(304)
            self.end_headers()
            return
        self.send_response(200 if body else 404)
        if etag:
            self.send_header("ETag", etag)
        self.send_header("Content-Type", "text/html; charset=utf-8")
        self.send_header("Content-Length", str(len(body or b"gone")))
        self.end_headers()
        self.wfile.write(body or b"gone")


@pytest.fixture
def site():
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    HITS.clear()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def write_warc(path: Path) -> None:
    with open(path, "wb") as f:
        writer = WARCWriter(f, gzip=True)
        for n, (uri, html) in enumerate([("http://example.org/w1", page("Museum opens new wing", "003_c1443c2718b58639.txt"))]):
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.0")
            writer.write_record(writer.create_warc_record(uri, "response", payload=__import__("io").BytesIO(html),
                                                          http_headers=headers))


def test_every_input_kind_in_one_run_and_offline_replay(tmp_path, site):
    folder = tmp_path / "dumps"
    folder.mkdir()
    (folder / "seed.txt").write_bytes((ROOT / "seeds" / "004_25cfb80024d744cb.txt").read_bytes())
    write_warc(tmp_path / "crawl.warc.gz")
    (tmp_path / "list.urls").write_text(f"# pages to fetch\n{site}/a\n{site}/missing\nftp://nope/x\n{site}/b\n"
                                        f"{site}/private\n")
    cfg = Config().with_overrides(fetch={"allow_private_addresses": True, "archive_warc": True, "retries": 0})
    inputs = [str(folder), str(tmp_path / "crawl.warc.gz"), str(tmp_path / "list.urls"), f"{site}/c"]
    m = run(inputs, tmp_path / "out", cfg, workers=1)
    assert validate_corpus(tmp_path / "out") == []
    records = list(iter_records(tmp_path / "out"))
    formats = sorted(r["source"]["format"] for r in records)
    assert formats == ["text", "url", "url", "url", "warc"]
    fetched = [r for r in records if r["source"]["format"] == "url"]
    assert {r["title"] for r in fetched} == {"Harbour reopens after storm", "Library extends opening hours", "Rail line gets new timetable"}
    for r in fetched:
        assert r["source"]["http_status"] == 200 and r["source"]["fetched_at"]
        assert r["source"]["robots"] == f"{site}/robots.txt: HTTP 200"
    [warc_rec] = [r for r in records if r["source"]["format"] == "warc"]
    assert warc_rec["source"]["target_uri"] == "http://example.org/w1" and warc_rec["source"]["record_id"]
    rejects = [json.loads(l) for l in open(tmp_path / "out" / "rejects.jsonl")]
    assert sorted((r["stage"], r["reason"]) for r in rejects) == [("fetch", "bad_url"), ("fetch", "http_404"),
                                                                  ("fetch", "robots_disallowed")]
    assert m["counts"]["inputs"] == m["counts"]["records"] + m["counts"]["rejects"] == 8
    assert HITS["/private"] == 0
    # The fetch runs' failures waited in the work folder until their batch was done; the
    # site's robots.txt answer stays there, for a day, and the hosts' slot files (bounded).
    assert sorted(p.name for p in (tmp_path / "out" / ".work" / "fetched").iterdir()) == ["robots", "slots"]

    # Replay offline: the archived responses give the same texts with no network.
    archives = sorted(str(p) for p in (tmp_path / "out" / "fetched").glob("*/*.warc.gz"))
    assert archives
    replay = run(archives, tmp_path / "replay", Config(), workers=0)
    assert sorted(r["text"] for r in iter_records(tmp_path / "replay")) == sorted(r["text"] for r in fetched)
    assert replay["counts"]["records"] == 3


FETCH = {"allow_private_addresses": True, "retries": 0}


def test_a_slow_site_is_no_reason_to_stop_the_run(tmp_path, site, monkeypatch):
    """Fetching is bounded by the fetch's own timeouts, not by the per-document limit: a
    page slower than that limit (plus the slack between units) is fetched and cleaned."""
    from cleaners import worker

    monkeypatch.setattr(worker, "READ_SLACK_S", 0.5)
    (tmp_path / "list.urls").write_text(f"{site}/slow/a\n{site}/b\n")
    cfg = Config().with_overrides(fetch=FETCH, extract={"html_timeout_s": 0.5})
    m = run([str(tmp_path / "list.urls")], tmp_path / "out", cfg, workers=1)
    assert m["counts"]["records"] == 2 and m["counts"]["rejects"] == 0


def test_a_restarted_worker_reads_its_fetched_pages_again(tmp_path, site):
    """Every document times out (a limit no page meets): the worker is restarted after
    each, reads its units again from the start, and must not fetch the pages again."""
    (tmp_path / "list.urls").write_text(f"{site}/a\n{site}/missing\n{site}/b\n{site}/c\n")
    cfg = Config().with_overrides(fetch=FETCH, extract={"html_timeout_s": 0.001})
    m = run([str(tmp_path / "list.urls")], tmp_path / "out", cfg, workers=1)
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "rejects.jsonl")]
    assert sorted(r["reason"] for r in rejects) == ["http_404", "timeout", "timeout", "timeout"]
    assert m["counts"]["inputs"] == 4
    assert {p: HITS[p] for p in ("/a", "/missing", "/b", "/c", "/robots.txt")} == dict.fromkeys(
        ("/a", "/missing", "/b", "/c", "/robots.txt"), 1)


def run_manifest(out: Path, corpus: dict) -> dict:
    return json.loads((out / "runs" / corpus["runs"][-1]["run_id"] / "manifest.json").read_text())


def ledger_urls(out: Path) -> list[tuple[str, str, str]]:
    return [(e["uri"].rsplit("/", 1)[1], e["stage"], e["outcome"])
            for e in map(json.loads, open(out / "inputs.jsonl")) if "outcome" in e]


def test_a_later_run_asks_only_for_urls_not_settled(tmp_path, site):
    """Incremental runs over a growing URL list: a page that arrived, or a lasting failure
    (404), is not asked for again; a server error is, and so are new URLs."""
    urls = tmp_path / "list.urls"
    urls.write_text(f"{site}/a\n{site}/missing\n{site}/error\n")
    cfg = Config().with_overrides(fetch=FETCH)
    first = run([str(urls)], tmp_path / "out", cfg, workers=0)
    assert first["counts"]["records"] == 1
    assert sorted(ledger_urls(tmp_path / "out")) == [("a", "write", "kept"), ("error", "fetch", "http_503"),
                                                    ("missing", "fetch", "http_404")]
    urls.write_text(urls.read_text() + f"{site}/b\n")
    HITS.clear()
    second = run([str(urls)], tmp_path / "out", cfg, workers=0)
    assert {p for p in HITS if p != "/robots.txt"} == {"/error", "/b"}
    run_id = first["runs"][-1]["run_id"]
    assert run_manifest(tmp_path / "out", second)["skipped_inputs"] == [
        {"uri": f"{site}/a", "fetched_in": run_id, "outcome": "kept"},
        {"uri": f"{site}/missing", "fetched_in": run_id, "outcome": "http_404"}]
    assert run_manifest(tmp_path / "out", second)["counts"]["records"] == 1  # /b
    # With skip_processed off every URL is asked for again, and the copy is dedup's.
    HITS.clear()
    third = run([str(urls)], tmp_path / "out", cfg.with_overrides(read={"skip_processed": False}), workers=0)
    assert {p for p in HITS if p != "/robots.txt"} == {"/a", "/missing", "/error", "/b"}
    assert run_manifest(tmp_path / "out", third)["counts"]["records"] == 0


def test_a_bad_line_of_a_url_list_is_rejected_once(tmp_path, site):
    """A scheduled run over an unchanged list with a bad line finds nothing new to do (it
    used to reject the line again, and publish a run of that alone, every time); the same
    line moved in a grown list stays settled, a new bad line does not; with
    skip_processed off every bad line is rejected again."""
    urls = tmp_path / "list.urls"
    urls.write_text(f"{site}/a\nftp://nope/x\n")
    cfg = Config().with_overrides(fetch=FETCH)
    first = run([str(urls)], tmp_path / "out", cfg, workers=0)
    assert first["counts"]["records"] == first["counts"]["rejects"] == 1
    assert ("list.urls", "fetch", "bad_url") in ledger_urls(tmp_path / "out")
    again = run([str(urls)], tmp_path / "out", cfg, workers=0)
    assert again["last_attempt"]["status"] == "nothing_new" and len(again["runs"]) == 1
    urls.write_text(f"{site}/b\n{site}/a\nftp://nope/x\nnot a url\n")
    third = run([str(urls)], tmp_path / "out", cfg, workers=0)
    m = run_manifest(tmp_path / "out", third)
    first_run = first["runs"][-1]["run_id"]
    assert [e for e in m["skipped_inputs"] if "line" in e] == [
        {"uri": str(urls), "line": 3, "sha256": hashlib.sha256(b"ftp://nope/x").hexdigest(),
         "rejected_in": first_run, "outcome": "bad_url"}]
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "runs" / m["run_id"] / "rejects.jsonl")]
    assert [(r["source"]["position"], r["reason"]) for r in rejects] == [(4, "bad_url")]
    assert m["counts"]["records"] == 1  # /b
    fourth = run([str(urls)], tmp_path / "out", cfg.with_overrides(read={"skip_processed": False}), workers=0)
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "runs" / fourth["runs"][-1]["run_id"] / "rejects.jsonl")]
    assert sorted((r["source"]["position"], r["reason"]) for r in rejects if r["stage"] == "fetch") == [
        (3, "bad_url"), (4, "bad_url")]


def test_refetch_after_days_asks_whether_the_page_changed(tmp_path, site, monkeypatch):
    """Past `fetch.refetch_after_days` a fetched URL is asked again with its ETag: an
    unchanged page is a not_modified reject (no body sent), a changed one a new record.
    Each run fetches for itself: the second run's batch is not the first's (same URLs,
    same config), whose results would be the old pages."""
    urls = tmp_path / "list.urls"
    urls.write_text(f"{site}/a\n{site}/b\n")
    cfg = Config().with_overrides(fetch={**FETCH, "refetch_after_days": 0})
    first = run([str(urls)], tmp_path / "out", cfg, workers=0)
    assert first["counts"]["records"] == 2
    monkeypatch.setitem(PAGES, "/b", page("Museum opens new wing", "003_c1443c2718b58639.txt"))
    second = run([str(urls)], tmp_path / "out", cfg, workers=0)
    assert run_manifest(tmp_path / "out", second)["skipped_inputs"] == []
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "runs" / second["runs"][-1]["run_id"] / "rejects.jsonl")]
    assert [(r["source"]["uri"], r["reason"], r["source"]["http_status"]) for r in rejects] == [
        (f"{site}/a", "not_modified", 304)]
    assert "If-None-Match" in rejects[0]["detail"]
    assert [r["title"] for r in iter_records(tmp_path / "out")][-1] == "Museum opens new wing"
    # The 304 keeps the ETag it was asked with, for the next time.
    last = [e for e in map(json.loads, open(tmp_path / "out" / "inputs.jsonl")) if e["uri"] == f"{site}/a"][-1]
    assert last["outcome"] == "not_modified" and last["etag"].startswith('"')


def test_fetched_pages_stay_in_a_relative_out_folder(tmp_path, site, monkeypatch):
    """`--out out` names a folder of the caller's; the worker, whose working folder is
    docprep's own, must write the fetched pages there too."""
    monkeypatch.chdir(tmp_path)
    Path("list.urls").write_text(f"{site}/a\n{site}/b\n")
    cfg = Config().with_overrides(fetch={**FETCH, "archive_warc": True})
    m = run(["list.urls"], "out", cfg, workers=1)
    assert m["counts"]["records"] == 2
    run_id = m["runs"][-1]["run_id"]
    assert len(list((tmp_path / "out" / "fetched" / run_id).glob("*.warc.gz"))) == 1
    assert sorted(p.name for p in (tmp_path / "out" / ".work" / "fetched").iterdir()) == ["robots", "slots"]


def test_a_wet_file_is_cleaned_as_the_text_dumps_it_holds(tmp_path):
    """Common Crawl's WET files are text dumps of pages, one conversion record each: the
    text-dump cleaner gives each the text, title and date it gives the same dump as a
    file, and the record keeps the page's URL and the WET record's provenance."""
    import io

    from warcio.warcwriter import WARCWriter

    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for n, seed in enumerate(seeds):
        w.write_record(w.create_warc_record(f"https://news.example/{n}", "conversion", payload=io.BytesIO(seed.read_bytes()),
                                            warc_content_type="text/plain"))
    (tmp_path / "crawl.warc.wet.gz").write_bytes(buf.getvalue())
    wet = run([str(tmp_path / "crawl.warc.wet.gz")], tmp_path / "wet", Config(), workers=0)
    files = run([str(p) for p in seeds], tmp_path / "files", Config(), workers=0)
    assert wet["counts"]["records"] == files["counts"]["records"] == len(seeds)
    fields = lambda out: [(r["text"], r["title"], r["date"], r["lang"]) for r in iter_records(out)]  # noqa: E731
    assert fields(tmp_path / "wet") == fields(tmp_path / "files")
    recs = list(iter_records(tmp_path / "wet"))
    assert [r["url"] for r in recs] == [f"https://news.example/{n}" for n in range(len(seeds))]
    assert {r["source"]["format"] for r in recs} == {"warc"}
    assert all(r["provenance"]["steps"][1]["method"] == "textdump" for r in recs)


def test_declared_languages_may_spare_the_cleaning(tmp_path):
    """language.trust_declared with language.keep: a WET record whose declared languages
    (CC's CLD2) include none kept is rejected before any step; a declared language that
    is kept, or a code docprep does not know, goes through the steps and its own
    detection as usual. Off (the default), the declaration decides nothing."""
    import io

    from warcio.warcwriter import WARCWriter

    seeds = sorted((Path(__file__).resolve().parent.parent / "seeds").glob("*.txt"))
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    for n, declared in enumerate(["eng", "zho", "zho,jpn", "xyz", "eng,zho"]):
        w.write_record(w.create_warc_record(f"https://news.example/{n}", "conversion",
                                            payload=io.BytesIO(seeds[n].read_bytes()), warc_content_type="text/plain",
                                            warc_headers_dict={"WARC-Identified-Content-Language": declared}))
    (tmp_path / "c.warc.wet.gz").write_bytes(buf.getvalue())
    cfg = Config().with_overrides(language={"keep": ["en"], "trust_declared": True})
    m = run([str(tmp_path / "c.warc.wet.gz")], tmp_path / "trusted", cfg, workers=0)
    rejects = [json.loads(line) for line in open(tmp_path / "trusted" / "rejects.jsonl")]
    assert [(r["source"]["identified_languages"], r["stage"], r["reason"]) for r in rejects] == [
        ("zho", "language", "lang_filtered"), ("zho,jpn", "language", "lang_filtered")]
    assert "not cleaned" in rejects[0]["detail"]
    assert sorted(r["source"]["identified_languages"] for r in iter_records(tmp_path / "trusted")) == ["eng", "eng,zho", "xyz"]
    assert m["counts"]["records"] == 3
    off = run([str(tmp_path / "c.warc.wet.gz")], tmp_path / "off", Config().with_overrides(language={"keep": ["en"]}),
              workers=0)
    assert off["counts"]["records"] == 5  # the seeds are English, whatever was declared


def test_a_file_that_gives_nothing_to_read_leaves_a_reject(tmp_path):
    """Every input ends as records or reject lines: a WARC with no page in it (a crawler's
    requests and metadata only, as wget's -meta.warc.gz) is a no_pages reject, a JSONL
    file of blank lines an empty one. Before, such a file left no line anywhere but the
    manifest's input list ("0 inputs = 0 kept + 0 rejected")."""
    from test_warc import no_page_warc

    src = tmp_path / "in"
    src.mkdir()
    (src / "crawl-meta.warc.gz").write_bytes(no_page_warc())
    (src / "blank.jsonl").write_text("\n   \n\n")
    manifest = run([str(src)], tmp_path / "out", workers=0)
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "rejects.jsonl")]
    assert [(r["source"]["uri"].rsplit("/", 1)[1], r["stage"], r["reason"]) for r in rejects] == [
        ("blank.jsonl", "read", "empty"), ("crawl-meta.warc.gz", "read", "no_pages")]
    assert manifest["counts"]["inputs"] == 2 and manifest["counts"]["rejects"] == 2


def test_a_file_read_in_parts_that_gives_nothing_leaves_one_reject(tmp_path):
    """A file over read.warc_part_bytes / jsonl_part_bytes is read in parts, each a batch of
    its own, and a part alone may hold nothing: the file is judged when the run is
    finalized, once, after its last part. Before, a big WARC of requests and metadata only
    left no line anywhere but the manifest's input list."""
    import io
    import random

    src = tmp_path / "in"
    src.mkdir()
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=True)
    rng = random.Random(7)
    for n in range(80):  # payloads of random hex: the file is about 80 x 3 KB, four parts
        w.write_record(w.create_warc_record(f"metadata://crawler/log/{n}", "resource",
                                            payload=io.BytesIO(rng.randbytes(3000).hex().encode()),
                                            warc_content_type="text/plain"))
    (src / "crawl-meta.warc.gz").write_bytes(buf.getvalue())
    (src / "blank.jsonl").write_text("\n" * 200_000)
    (src / "one.jsonl").write_text('{"text": "%s"}\n' % ("A sentence of the page, once. " * 40) + "\n" * 200_000)
    cfg = Config().with_overrides(read={"warc_part_bytes": 64 * 1024, "jsonl_part_bytes": 64 * 1024})
    manifest = run([str(src)], tmp_path / "out", cfg, workers=0)
    plan_batches = json.loads(next((tmp_path / "out" / "runs").glob("*/manifest.json")).read_text())["batches"]
    assert plan_batches >= 7  # each file in two parts or more
    rejects = [json.loads(line) for line in open(tmp_path / "out" / "rejects.jsonl")]
    assert [(r["source"]["uri"].rsplit("/", 1)[1], r["stage"], r["reason"]) for r in rejects] == [
        ("blank.jsonl", "read", "empty"), ("crawl-meta.warc.gz", "read", "no_pages")]
    assert manifest["counts"]["inputs"] == 3 and manifest["counts"]["records"] == 1
