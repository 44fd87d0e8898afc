"""fetch_to_warc against a local HTTP server on 127.0.0.1; parse_url_list; address vetting.

No test reaches the internet or any non-loopback address: `loopback_only` makes every
socket connect to anything but loopback fail the test, and `hosts` replaces DNS with a
table (a name not in it does not resolve). Test names that resolve to private addresses
prove the block happens before any connection.
"""
from __future__ import annotations

import datetime as dt
import gzip
import json
import ipaddress
import socket
import ssl
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from cleaners import fetch as fetch_mod
from cleaners.config import FetchConfig, ReadConfig
from cleaners.errors import OutputError
from cleaners.fetch import check_url, fetch_to_warc, is_public_address, parse_url_list
from cleaners.record import Document, Reject, sha256_hex
from cleaners.warc import iter_warc

PAGE = b"<html><head><title>Good</title></head><body><p>A good page.</p></body></html>"
BIG = 200 * 1024

# Small timeouts and backoff keep the whole file fast; loopback needs allow_private_addresses.
FAST = dict(connect_timeout_s=1.0, read_timeout_s=0.4, total_timeout_s=3.0, retries=2, backoff_s=0.01,
            max_retry_after_s=1.0, max_body_bytes=64 * 1024, allow_private_addresses=True)

# For the concurrency counts: on a loaded machine a 0.4 s read timeout can expire while
# the server still holds the request, and the retry is one more request in flight at the
# server (the client's cap was kept). No retries, and time enough not to need one.
PATIENT = dict(read_timeout_s=10.0, total_timeout_s=20.0, retries=0)


def cfg(**over) -> FetchConfig:
    return FetchConfig(**{**FAST, **over})


# ---------------------------------------------------------------------------- the server


class Handler(BaseHTTPRequestHandler):
    server: "Server"

    def log_message(self, *args):  # keep test output clean
        pass

    def _send(self, status: int, body: bytes = b"", content_type: str | None = "text/html; charset=utf-8",
              headers: dict[str, str] | None = None, length: bool = True) -> None:
        self.send_response(status)
        if content_type:
            self.send_header("Content-Type", content_type)
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        if length:
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        try:
            self.wfile.write(body)
        except OSError:
            pass  # the client gave up (too_large, timeout): expected

    def do_GET(self):
        path = self.path.split("?", 1)[0]
        srv = self.server
        if path in srv.robots:  # robots.txt requests are counted apart from the pages'
            with srv.lock:
                srv.robots_hits[path] = srv.robots_hits.get(path, 0) + 1
                srv.robots_seen.append({"path": self.path, "at": time.monotonic(), "ua": self.headers.get("User-Agent")})
            status, body, headers = srv.robots[path]
            return self._send(status, body, content_type="text/plain", headers=headers)
        with srv.lock:
            srv.hits[path] = srv.hits.get(path, 0) + 1
            hit = srv.hits[path]
            srv.seen.append({"path": path, "host": self.headers.get("Host"), "ua": self.headers.get("User-Agent"),
                             "inm": self.headers.get("If-None-Match")})
        if path == "/good":
            self._send(200, PAGE, headers={"ETag": '"v1"', "Last-Modified": "Wed, 01 May 2024 10:00:00 GMT"})
        elif path == "/conditional":  # "not modified" to everyone
            self._send(304, content_type=None, length=False)
        elif path == "/gzip":
            self._send(200, gzip.compress(PAGE), headers={"Content-Encoding": "gzip"})
        elif path == "/missing":
            self._send(404, b"<html>not here</html>")
        elif path == "/flaky":  # 500 once, then fine
            self._send(500, b"oops") if hit == 1 else self._send(200, PAGE)
        elif path == "/busy":  # 429 with a short Retry-After once, then fine
            self._send(429, b"slow down", headers={"Retry-After": "0"}) if hit == 1 else self._send(200, PAGE)
        elif path == "/always500":
            self._send(500, b"oops")
        elif path == "/down":  # asks for a wait far beyond the cap: fail fast
            self._send(503, b"maintenance", headers={"Retry-After": "3600"})
        elif path == "/slow":
            srv.stop.wait(3)
            self._send(200, PAGE)
        elif path == "/drip":  # bytes keep coming, just never finish in time
            self._send_drip()
        elif path == "/big-declared":
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(100 * 1024**2))
            self.end_headers()
        elif path == "/big-streamed":  # no Content-Length: only counting catches it
            self._send(200, b"<html>" + b"x" * BIG, length=False)
        elif path == "/pdf":
            self._send(200, b"%PDF-1.4", content_type="application/pdf")
        elif path == "/redirect":
            self._send(301, headers={"Location": "/good"})
        elif path == "/loop-a":
            self._send(302, headers={"Location": "/loop-b"})
        elif path == "/loop-b":
            self._send(302, headers={"Location": "/loop-a"})
        elif path == "/to-private":
            self._send(302, headers={"Location": f"http://intranet.test:{srv.server_port}/good"})
        elif path == "/to-ftp":
            self._send(302, headers={"Location": "ftp://example.com/file"})
        elif path == "/echo":
            self._send(200, b"<html><body>" + (self.headers.get("Host") or "").encode() + b"</body></html>")
        elif path.startswith("/delay/"):  # /delay/<ms>/<name>
            srv.stop.wait(int(path.split("/")[2]) / 1000)
            self._send(200, b"<html><body>" + path.encode() + b"</body></html>")
        elif path.startswith("/count/"):  # how many requests are in flight at once
            with srv.lock:
                srv.active += 1
                srv.max_active = max(srv.max_active, srv.active)
            srv.stop.wait(0.15)
            with srv.lock:
                srv.active -= 1
            self._send(200, b"<html><body>" + path.encode() + b"</body></html>")
        elif path.startswith("/paced/"):  # when each request arrived
            with srv.lock:
                srv.arrivals.append(time.monotonic())
            self._send(200, b"<html><body>" + path.encode() + b"</body></html>")
        else:
            self._send(404, b"")

    def _send_drip(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        try:
            for _ in range(100):
                if self.server.stop.wait(0.1):
                    return
                self.wfile.write(b"<p>.</p>")
                self.wfile.flush()
        except OSError:
            pass


class Server(ThreadingHTTPServer):
    daemon_threads = True

    def __init__(self):
        super().__init__(("127.0.0.1", 0), Handler)
        self.lock = threading.Lock()
        self.hits: dict[str, int] = {}
        self.seen: list[dict] = []
        self.stop = threading.Event()
        self.active = 0
        self.max_active = 0
        self.arrivals: list[float] = []
        # robots.txt answers by path: (status, body, headers); none: 404 like any unknown path.
        self.robots: dict[str, tuple[int, bytes, dict[str, str]]] = {"/robots.txt": (404, b"", {})}
        self.robots_hits: dict[str, int] = {}
        self.robots_seen: list[dict] = []

    def serve_robots(self, text: str, status: int = 200, path: str = "/robots.txt", **headers: str) -> None:
        self.robots[path] = (status, text.encode(), headers)

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{self.scheme}://{host}:{self.server_port}{path}"

    scheme = "http"


def _serve(server: Server):
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.stop.set()  # release sleeping handlers
        server.shutdown()
        server.server_close()
        thread.join(5)


@pytest.fixture
def server():
    yield from _serve(Server())


@pytest.fixture(autouse=True)
def loopback_only(monkeypatch):
    """Every outgoing connection in these tests must go to loopback; returns the list of
    addresses connected to."""
    real_connect = socket.socket.connect
    attempts: list[str] = []

    def guarded(sock, address):
        host = address[0] if isinstance(address, tuple) else address
        attempts.append(host)
        if not ipaddress.ip_address(str(host).split("%")[0]).is_loopback:
            raise AssertionError(f"test tried to connect to non-loopback {address!r}")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)
    return attempts


@pytest.fixture
def hosts(monkeypatch):
    """A DNS stand-in: names in the table resolve to their addresses (a list: one answer
    per call, the last repeating); numeric addresses and localhost resolve as usual;
    anything else fails to resolve, so no test can reach real DNS."""
    table: dict[str, list[list[str]]] = {}
    calls: list[str] = []
    real = socket.getaddrinfo

    def fake(host, port, *args, **kwargs):
        name = host.decode() if isinstance(host, bytes) else host
        calls.append(name)
        if name in table:
            answers = table[name]
            addrs = answers.pop(0) if len(answers) > 1 else answers[0]
            out = []
            for addr in addrs:
                family = socket.AF_INET6 if ":" in addr else socket.AF_INET
                sockaddr = (addr, int(port or 0), 0, 0) if family == socket.AF_INET6 else (addr, int(port or 0))
                out.append((family, socket.SOCK_STREAM, 6, "", sockaddr))
            return out
        if name == "localhost":
            return real(host, port, *args, **kwargs)
        try:  # numeric forms only (10.0.0.1, ::1, 2130706433): never a DNS query
            return real(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        except socket.gaierror:
            raise socket.gaierror(socket.EAI_NONAME, "Name or service not known") from None

    monkeypatch.setattr(socket, "getaddrinfo", fake)
    table_api = type("Hosts", (), {"table": table, "calls": calls,
                                   "add": staticmethod(lambda name, *answers: table.__setitem__(name, [list(a) for a in answers]))})
    return table_api


@pytest.fixture
def loopback_is_public(monkeypatch):
    """Treat 127.0.0.0/8 as public, so a test server on loopback can stand in for a
    public site while real private ranges stay blocked."""
    real = fetch_mod.is_public_address
    monkeypatch.setattr(fetch_mod, "is_public_address", lambda ip: ip.is_loopback or real(ip))


def run(urls, tmp_path: Path, config: FetchConfig):
    """fetch_to_warc, then read the archive back: (documents, fetch rejects, read outcomes)."""
    warc = tmp_path / "out.warc.gz"
    rejects = fetch_to_warc(urls, warc, config)
    with open(warc, "rb") as fh:
        read = list(iter_warc(fh, str(warc), ReadConfig()))
    docs = [r for r in read if isinstance(r, Document)]
    assert len(docs) == len(read), "docprep's own archive must read back without rejects"
    assert len(docs) + len(rejects) == len(urls), "every URL ends as a record or a reject"
    return docs, rejects


# ---------------------------------------------------------------------------- URL lists


def test_parse_url_list():
    data = (
        b"\xef\xbb\xbf# a comment\n"
        b"https://example.com/a\n"
        b"\n"
        b"   http://example.com/b?x=1#frag   \r\n"
        b"ftp://example.com/c\n"
        b"not a url\n"
        b"http://\n"
        b"example.com/no-scheme\n"
        b"   # indented comment\n"
        b"http://ex\xff.com/\n"
        b"javascript:alert(1)\n"
    )
    out = list(parse_url_list(data, "lists/urls.txt"))
    assert [o for o in out if isinstance(o, str)] == ["https://example.com/a", "http://example.com/b?x=1#frag"]
    rejects = [o for o in out if isinstance(o, Reject)]
    assert [(r.source.position, r.reason, r.stage) for r in rejects] == [
        (5, "bad_url", "fetch"), (6, "bad_url", "fetch"), (7, "bad_url", "fetch"),
        (8, "bad_url", "fetch"), (10, "bad_url", "fetch"), (11, "bad_url", "fetch"),
    ]
    assert rejects[0].source.uri == "lists/urls.txt" and rejects[0].source.format == "url_list"
    assert rejects[0].source.sha256 == sha256_hex(b"ftp://example.com/c")
    assert "scheme 'ftp'" in rejects[0].detail


def test_bad_url_given_directly_is_a_reject(tmp_path):
    docs, rejects = run(["file:///etc/passwd", "http:///nohost"], tmp_path, cfg())
    assert [r.reason for r in rejects] == ["bad_url", "bad_url"]
    assert rejects[0].source.uri == "file:///etc/passwd" and rejects[0].source.format == "url"


# ---------------------------------------------------------------------------- success


def test_good_page_round_trip(server, tmp_path):
    url = server.url("/good")
    (doc,), rejects = run([url], tmp_path, cfg())
    assert rejects == []
    assert doc.kind == "html" and doc.raw == PAGE
    src = doc.source
    assert (src.uri, src.format, src.position, src.sha256) == (url, "url", None, sha256_hex(PAGE))
    assert src.get("final_url") == url and src.get("http_status") == 200
    assert src.get("etag") == '"v1"' and src.get("last_modified") == "Wed, 01 May 2024 10:00:00 GMT"
    fetched_at = dt.datetime.strptime(src.get("fetched_at"), "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=dt.timezone.utc)
    assert abs((dt.datetime.now(dt.timezone.utc) - fetched_at).total_seconds()) < 60
    assert doc.hints == {"url": url, "charset": "utf-8"}
    assert "docprep" in server.seen[0]["ua"]


def test_archive_has_response_and_request_records(server, tmp_path):
    from warcio.archiveiterator import ArchiveIterator

    warc = tmp_path / "a.warc.gz"
    assert fetch_to_warc([server.url("/good")], warc, cfg()) == []
    with open(warc, "rb") as fh:
        records = [(r.rec_type, r.rec_headers.get_header("WARC-Target-URI"), r.http_headers) for r in ArchiveIterator(fh)]
    assert [r[0] for r in records] == ["warcinfo", "response", "request"]
    request_headers = records[2][2]
    assert request_headers.get_header("User-Agent").startswith("docprep/")
    assert request_headers.get_header("Host") == f"127.0.0.1:{server.server_port}"
    assert not (tmp_path / "a.warc.gz.part").exists()


def test_gzip_encoded_body_is_stored_decoded(server, tmp_path):
    (doc,), _ = run([server.url("/gzip")], tmp_path, cfg())
    assert doc.raw == PAGE


def test_redirect_is_followed_and_recorded(server, tmp_path):
    (doc,), _ = run([server.url("/redirect")], tmp_path, cfg())
    assert doc.source.uri == server.url("/redirect")
    assert doc.source.get("final_url") == server.url("/good")
    assert doc.raw == PAGE


@pytest.mark.parametrize("path, hits", [("/flaky", 2), ("/busy", 2)])
def test_transient_failure_is_retried(server, tmp_path, path, hits):
    (doc,), rejects = run([server.url(path)], tmp_path, cfg())
    assert rejects == [] and doc.raw == PAGE
    assert server.hits[path] == hits


# ---------------------------------------------------------------------------- failures

# (path, reason, requests the server should see with retries=2)
FAILURES = [
    ("/missing", "http_404", 1),          # not transient: fails fast
    ("/always500", "http_500", 3),        # transient: 1 + 2 retries
    ("/down", "http_503", 1),             # Retry-After 3600 s is over the cap: give up at once
    ("/slow", "timeout", 3),              # read timeout, retried
    ("/big-declared", "too_large", 1),    # declared Content-Length over the cap
    ("/big-streamed", "too_large", 1),    # no length: aborted while streaming
    ("/pdf", "not_html", 1),
    ("/loop-a", "too_many_redirects", None),
    ("/to-ftp", "bad_url", 1),            # a redirect hop is checked like an input URL
]


@pytest.mark.parametrize("path, reason, hits", FAILURES, ids=[f[1] + f[0].replace("/", "_") for f in FAILURES])
def test_failure_is_a_reject(server, tmp_path, path, reason, hits):
    docs, (rej,) = run([server.url(path)], tmp_path, cfg())
    assert docs == []
    assert (rej.stage, rej.reason) == ("fetch", reason)
    assert rej.source.uri == server.url(path) and rej.source.format == "url"
    assert rej.detail
    if hits is not None:
        assert server.hits[path] == hits


def test_status_is_recorded_on_http_rejects(server, tmp_path):
    _, (rej,) = run([server.url("/missing")], tmp_path, cfg())
    assert rej.source.get("http_status") == 404


def test_redirect_loop_stops_at_max_redirects(server, tmp_path):
    _, (rej,) = run([server.url("/loop-a")], tmp_path, cfg(max_redirects=3))
    assert rej.reason == "too_many_redirects"
    assert server.hits["/loop-a"] + server.hits["/loop-b"] == 4  # the first request + 3 redirects
    assert rej.source.get("final_url") in (server.url("/loop-a"), server.url("/loop-b"))


def test_slow_drip_hits_the_total_timeout(server, tmp_path):
    started = time.monotonic()
    _, (rej,) = run([server.url("/drip")], tmp_path, cfg(total_timeout_s=0.5, read_timeout_s=1.0))
    assert rej.reason == "timeout" and "total_timeout_s" in rej.detail
    assert time.monotonic() - started < 3


def test_connection_refused_is_connect_error(tmp_path, hosts):
    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    _, (rej,) = run([f"http://127.0.0.1:{port}/"], tmp_path, cfg(retries=1))
    assert rej.reason == "connect_error" and "after 1 retries" in rej.detail


def test_unresolvable_name_is_connect_error(tmp_path, hosts):
    _, (rej,) = run(["http://no-such-host.test/"], tmp_path, cfg())
    assert rej.reason == "connect_error" and "no-such-host.test" in rej.detail


# ---------------------------------------------------------------------------- address safety


def test_loopback_is_blocked_by_default(server, tmp_path, loopback_only):
    _, (rej,) = run([server.url("/good")], tmp_path, cfg(allow_private_addresses=False))
    assert rej.reason == "blocked_address" and "allow_private_addresses" in rej.detail
    assert server.hits == {} and loopback_only == []  # refused before any connection
    assert FetchConfig().allow_private_addresses is False


@pytest.mark.parametrize("url", [
    "http://10.0.0.1/",
    "http://192.168.1.1:8080/admin",
    "http://169.254.169.254/latest/meta-data/",   # cloud metadata
    "http://224.0.0.1/",                          # multicast
    "http://0.0.0.0/",
    "http://100.64.0.1/",                         # carrier-grade NAT
    "http://240.0.0.1/",                          # reserved
    "http://[::1]/",
    "http://[::ffff:10.0.0.1]/",                  # IPv4-mapped IPv6
    "http://[fe80::1]/",
    "http://[fd00::1]/",
    "http://2130706433/",                         # 127.0.0.1 as one number
    "http://localhost/",
])
def test_private_address_literals_are_blocked(tmp_path, hosts, loopback_only, url):
    _, (rej,) = run([url], tmp_path, cfg(allow_private_addresses=False))
    assert rej.reason == "blocked_address"
    assert loopback_only == []


def test_name_resolving_to_a_private_address_is_blocked(tmp_path, hosts, loopback_only):
    hosts.add("intranet.test", ["10.0.0.1"])
    hosts.add("mixed.test", ["93.184.216.34", "10.0.0.2"])  # one bad answer is enough
    _, rejects = run(["http://intranet.test/", "https://mixed.test/"], tmp_path, cfg(allow_private_addresses=False))
    assert [r.reason for r in rejects] == ["blocked_address", "blocked_address"]
    assert "10.0.0.2" in rejects[1].detail
    assert loopback_only == []


def test_redirect_to_a_private_address_is_blocked(server, tmp_path, hosts, loopback_only, loopback_is_public):
    hosts.add("intranet.test", ["10.0.0.1"])
    _, (rej,) = run([server.url("/to-private")], tmp_path, cfg(allow_private_addresses=False))
    assert rej.reason == "blocked_address"
    assert rej.source.get("final_url") == server.url("/good", host="intranet.test")
    assert server.hits == {"/to-private": 1}
    assert set(loopback_only) == {"127.0.0.1"}


def test_connection_goes_to_the_vetted_address(server, tmp_path, hosts, loopback_only, loopback_is_public):
    """DNS rebinding: the name answers a public address when vetted, then a private one.
    The request must go to the vetted address, keeping the name in the Host header.
    (One request: robots.txt off; with it, its request is vetted the same way, and then
    the page's request meets the private answer: `test_robots_txt_request_is_vetted_too`.)"""
    hosts.add("rebind.test", ["127.0.0.1"], ["10.0.0.1"])
    url = server.url("/echo", host="rebind.test")
    (doc,), rejects = run([url], tmp_path, cfg(allow_private_addresses=False, robots_txt=False))
    assert rejects == []
    assert server.seen[0]["host"] == f"rebind.test:{server.server_port}"
    assert hosts.calls.count("rebind.test") == 1
    assert set(loopback_only) == {"127.0.0.1"}


@pytest.mark.parametrize("address, public", [
    ("93.184.216.34", True), ("2606:2800:220:1:248:1893:25c8:1946", True),
    ("127.0.0.1", False), ("10.1.2.3", False), ("172.16.0.1", False), ("192.168.0.1", False),
    ("169.254.1.1", False), ("100.64.0.1", False), ("0.0.0.0", False), ("224.0.0.251", False),
    ("239.255.255.250", False), ("255.255.255.255", False), ("198.18.0.1", False),
    ("::1", False), ("::", False), ("fe80::1", False), ("fc00::1", False), ("ff02::1", False),
    ("::ffff:127.0.0.1", False), ("::ffff:93.184.216.34", True),
    ("2002:7f00:1::", False),         # 6to4 wrapping 127.0.0.1
    ("64:ff9b::a00:1", False),        # NAT64 wrapping 10.0.0.1
    ("2001:0:4136:e378:8000:63bf:3fff:fdd2", False),  # Teredo
])
def test_is_public_address(address, public):
    assert is_public_address(ipaddress.ip_address(address)) is public


# ---------------------------------------------------------------------------- order and concurrency


def test_archive_order_is_input_order(server, tmp_path):
    # Later URLs finish first; failures are interleaved.
    urls = [server.url(f"/delay/{ms}/{i}") for i, ms in enumerate([300, 200, 100, 0])]
    urls.insert(2, server.url("/missing"))
    urls.insert(4, "gopher://example.com/")
    docs, rejects = run(urls, tmp_path, cfg(max_concurrency=8, per_host_concurrency=8))
    assert [d.source.uri for d in docs] == [u for u in urls if "/delay/" in u]
    assert [r.source.uri for r in rejects] == [urls[2], urls[4]]


def test_per_host_concurrency_is_respected(server, tmp_path):
    urls = [server.url(f"/count/{i}") for i in range(8)]
    docs, _ = run(urls, tmp_path, cfg(max_concurrency=8, per_host_concurrency=2, **PATIENT))
    assert len(docs) == 8
    assert server.max_active == 2  # 8 requests of 0.15 s each: the cap is reached, never passed


def test_overall_concurrency_is_bounded(server, tmp_path, hosts):
    # Different host names (all on the test server) so only the overall cap applies.
    for i in range(8):
        hosts.add(f"h{i}.test", ["127.0.0.1"])
    urls = [server.url(f"/count/{i}", host=f"h{i}.test") for i in range(8)]
    docs, _ = run(urls, tmp_path, cfg(max_concurrency=3, per_host_concurrency=2, **PATIENT))
    assert len(docs) == 8
    assert 2 <= server.max_active <= 3


def test_empty_batch_writes_a_readable_archive(tmp_path):
    assert run([], tmp_path, cfg()) == ([], [])


def test_unwritable_archive_is_an_output_error(tmp_path):
    with pytest.raises(OutputError, match="cannot write"):
        fetch_to_warc([], tmp_path / "no-such-dir" / "x.warc.gz", cfg())


def test_check_url_keeps_idna_hosts():
    assert check_url("http://bücher.test/x").raw_host == b"xn--bcher-kva.test"


def test_retry_after_parsing():
    assert fetch_mod._retry_after("7") == 7.0
    assert fetch_mod._retry_after(None) is None
    assert fetch_mod._retry_after("soon") is None
    later = dt.datetime.now(dt.timezone.utc) + dt.timedelta(seconds=120)
    assert 100 < fetch_mod._retry_after(later.strftime("%a, %d %b %Y %H:%M:%S GMT")) <= 120
    assert fetch_mod._retry_after("Wed, 01 May 2024 10:00:00 GMT") == 0.0


# ---------------------------------------------------------------------------- TLS through the pinned address


@pytest.fixture
def tls(tmp_path):
    """A CA, a certificate for secure.test signed by it, and the CA's PEM path."""
    crypto = pytest.importorskip("cryptography")  # noqa: F841
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    now = dt.datetime.now(dt.timezone.utc)

    def cert(subject: str, key, issuer_name, issuer_key, ca: bool, san: str | None = None):
        builder = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, subject)]))
            .issuer_name(issuer_name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(now - dt.timedelta(days=1))
            .not_valid_after(now + dt.timedelta(days=1))
            .add_extension(x509.BasicConstraints(ca=ca, path_length=None), critical=True)
        )
        if san:
            builder = builder.add_extension(x509.SubjectAlternativeName([x509.DNSName(san)]), critical=False)
        else:
            builder = builder.add_extension(
                x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True, content_commitment=False,
                              key_encipherment=False, data_encipherment=False, key_agreement=False,
                              encipher_only=False, decipher_only=False), critical=True)
        return builder.sign(issuer_key, hashes.SHA256())

    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "docprep test CA")])
    ca_cert = cert("docprep test CA", ca_key, ca_name, ca_key, ca=True)
    leaf_key = ec.generate_private_key(ec.SECP256R1())
    leaf = cert("secure.test", leaf_key, ca_name, ca_key, ca=False, san="secure.test")
    ca_pem = tmp_path / "ca.pem"
    ca_pem.write_bytes(ca_cert.public_bytes(serialization.Encoding.PEM))
    chain = tmp_path / "leaf.pem"
    chain.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    key_pem = tmp_path / "leaf.key"
    key_pem.write_bytes(leaf_key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                               serialization.NoEncryption()))
    return {"ca": str(ca_pem), "cert": str(chain), "key": str(key_pem)}


@pytest.fixture
def tls_server(tls):
    srv = Server()
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(tls["cert"], tls["key"])
    srv.socket = context.wrap_socket(srv.socket, server_side=True)
    srv.scheme = "https"
    yield from _serve(srv)


def test_https_to_the_pinned_address_checks_the_name(tls_server, tls, tmp_path, hosts, loopback_is_public):
    hosts.add("secure.test", ["127.0.0.1"])
    hosts.add("impostor.test", ["127.0.0.1"])
    good, bad = tls_server.url("/good", host="secure.test"), tls_server.url("/good", host="impostor.test")
    docs, rejects = run([good, bad], tmp_path, cfg(allow_private_addresses=False, ca_bundle=tls["ca"]))
    assert [d.source.uri for d in docs] == [good] and docs[0].raw == PAGE
    # The certificate names secure.test only: a name it does not cover fails, and fast.
    assert [(r.source.uri, r.reason) for r in rejects] == [(bad, "connect_error")]
    assert "certificate" in rejects[0].detail
    assert tls_server.hits == {"/good": 1}


def test_next_address_is_tried_when_the_first_is_unreachable(server, tmp_path, hosts, loopback_only):
    # Nothing listens on 127.0.0.2 (the server is bound to 127.0.0.1): like an IPv6 answer
    # on an IPv4-only network.
    hosts.add("two.test", ["127.0.0.2", "127.0.0.1"])
    (doc,), rejects = run([server.url("/good", host="two.test")], tmp_path, cfg(retries=0))
    assert rejects == [] and doc.raw == PAGE
    assert loopback_only == ["127.0.0.2", "127.0.0.1"] * 2  # the robots.txt, then the page


def test_unloadable_ca_bundle_is_a_config_error(tmp_path):
    from cleaners.errors import ConfigError

    with pytest.raises(ConfigError, match="ca_bundle"):
        fetch_to_warc([], tmp_path / "x.warc.gz", cfg(ca_bundle=str(tmp_path / "missing.pem")))


# ---------------------------------------------------------------------------- robots.txt


def robots_run(server, tmp_path, paths, text=None, status=200, **over):
    """Fetch `paths` with `text` as the site's robots.txt: (documents by path, rejects by path)."""
    if text is not None:
        server.serve_robots(text, status)
    docs, rejects = run([server.url(p) for p in paths], tmp_path, cfg(**over))
    base = server.url("")
    return ({d.source.uri.removeprefix(base): d for d in docs},
            {r.source.uri.removeprefix(base): r for r in rejects})


def test_robots_txt_disallowed_pages_are_not_fetched(server, tmp_path):
    text = "User-agent: *\nDisallow: /delay/\nAllow: /delay/0/ok\nDisallow: /*?session=\n"
    docs, rejects = robots_run(server, tmp_path, ["/good", "/delay/0/no", "/delay/0/ok", "/echo?session=1"], text)
    assert sorted(docs) == ["/delay/0/ok", "/good"]  # the longest match wins: Allow beats Disallow
    assert {p: r.reason for p, r in rejects.items()} == {"/delay/0/no": "robots_disallowed",
                                                         "/echo?session=1": "robots_disallowed"}
    assert rejects["/delay/0/no"].stage == "fetch"
    assert "robots.txt disallows" in rejects["/delay/0/no"].detail and "'docprep'" in rejects["/delay/0/no"].detail
    assert set(server.hits) == {"/good", "/delay/0/ok"}  # a disallowed page is never requested
    assert server.robots_hits == {"/robots.txt": 1}  # once per site and fetch run
    assert "docprep" in server.robots_seen[0]["ua"]
    # The decision each page was fetched under is archived with it, and read back.
    assert docs["/good"].source.get("robots") == f"{server.url('/robots.txt')}: HTTP 200"


@pytest.mark.parametrize("text, allowed", [
    ("User-agent: *\nDisallow: /\n\nUser-agent: docprep\nAllow: /\n", True),  # our own group wins
    ("User-agent: docprep\nDisallow: /\n\nUser-agent: *\nAllow: /\n", False),
    ("User-agent: DocPrep\nDisallow: /\n", False),  # names match case-insensitively
    # The contact URL in docprep's User-Agent is not its name: a group for "example" (or
    # "invalid", "0") does not apply to it.
    ("User-agent: example\nDisallow: /\n\nUser-agent: invalid\nDisallow: /\n", True),
    ("User-agent: otherbot\nDisallow: /\n", True),
    ("", True),
    ("<html><body>Not a robots.txt at all</body></html>", True),
])
def test_robots_txt_groups_match_docprep_by_its_product_token(server, tmp_path, text, allowed):
    docs, rejects = robots_run(server, tmp_path, ["/good"], text,
                               user_agent="docprep/0.1 (+https://example.invalid/docprep)")
    assert (list(docs), list(rejects)) == ((["/good"], []) if allowed else ([], ["/good"]))


def test_product_token():
    assert fetch_mod.product_token("docprep/0.1 (+https://example.invalid/docprep)") == "docprep"
    assert fetch_mod.product_token("  My-Crawler_2/1.0") == "My-Crawler_"
    assert fetch_mod.product_token("/weird") == ""


@pytest.mark.parametrize("status, allowed", [(404, True), (410, True), (401, True), (403, True),
                                             (500, False), (503, False), (429, False)])
def test_robots_txt_status_decides_as_rfc_9309_says(server, tmp_path, status, allowed):
    """4xx: no robots.txt, everything allowed; 5xx and 429 (after the retries): complete
    disallow, and no page of the site is requested."""
    docs, rejects = robots_run(server, tmp_path, ["/good", "/echo"], "User-agent: *\nAllow: /\n", status=status)
    if allowed:
        assert sorted(docs) == ["/echo", "/good"] and rejects == {}
        assert docs["/good"].source.get("robots") == f"{server.url('/robots.txt')}: HTTP {status}, no rules"
        return
    assert docs == {} and {r.reason for r in rejects.values()} == {"robots_unreachable"}
    assert "complete disallow" in rejects["/good"].detail
    assert server.hits == {}
    retried = status in fetch_mod.TRANSIENT_STATUSES
    assert server.robots_hits == {"/robots.txt": 1 + (FAST["retries"] if retried else 0)}  # asked once per run


def test_robots_txt_redirect_is_followed(server, tmp_path):
    server.serve_robots("", 301, Location="/real-robots.txt")
    server.serve_robots("User-agent: *\nDisallow: /echo\n", path="/real-robots.txt")
    docs, rejects = robots_run(server, tmp_path, ["/good", "/echo"])
    assert list(docs) == ["/good"] and rejects["/echo"].reason == "robots_disallowed"
    assert server.robots_hits == {"/robots.txt": 1, "/real-robots.txt": 1}


def test_robots_txt_endless_redirects_mean_no_rules(server, tmp_path):
    server.serve_robots("", 302, Location="/robots-a.txt")
    server.serve_robots("", 302, path="/robots-a.txt", Location="/robots.txt")
    docs, rejects = robots_run(server, tmp_path, ["/good"])
    assert list(docs) == ["/good"] and rejects == {}
    assert sum(server.robots_hits.values()) == fetch_mod.ROBOTS_MAX_REDIRECTS + 1
    assert "redirects, no rules" in docs["/good"].source.get("robots")


def test_robots_txt_is_checked_again_on_each_redirect_hop(server, tmp_path):
    # /redirect goes to /good: allowed to ask for /redirect, not to follow it to /good.
    docs, rejects = robots_run(server, tmp_path, ["/redirect"], "User-agent: *\nDisallow: /good\n")
    assert docs == {} and rejects["/redirect"].reason == "robots_disallowed"
    assert rejects["/redirect"].source.get("final_url") == server.url("/good")
    assert server.hits == {"/redirect": 1}


def test_oversized_robots_txt_is_read_up_to_500_kib(server, tmp_path):
    # Rules past the first 500 KiB are not read (RFC 9309 §2.5); the file is not refused.
    text = "User-agent: *\nDisallow: /echo\n" + "# padding\n" * 60_000 + "Disallow: /good\n"
    docs, rejects = robots_run(server, tmp_path, ["/good", "/echo"], text)
    assert list(docs) == ["/good"] and rejects["/echo"].reason == "robots_disallowed"


def test_robots_txt_off_asks_nothing(server, tmp_path):
    docs, rejects = robots_run(server, tmp_path, ["/good"], "User-agent: *\nDisallow: /\n", robots_txt=False)
    assert list(docs) == ["/good"] and server.robots_hits == {}
    assert docs["/good"].source.get("robots") is None


def test_crawl_delay_spaces_the_requests_to_a_site(server, tmp_path):
    paths = [f"/paced/{n}" for n in range(4)]
    docs, rejects = robots_run(server, tmp_path, paths, "User-agent: *\nCrawl-delay: 0.3\n",
                               per_host_concurrency=2, max_concurrency=4)
    assert sorted(docs) == paths and rejects == {}
    gaps = [b - a for a, b in zip(server.arrivals, server.arrivals[1:])]
    assert len(gaps) == 3 and min(gaps) >= 0.25  # never closer than asked (less the server's clock jitter)


def test_request_rate_spaces_the_requests_too(server, tmp_path):
    paths = [f"/paced/{n}" for n in range(3)]
    docs, _ = robots_run(server, tmp_path, paths, "User-agent: *\nRequest-rate: 2/1s\n")
    assert sorted(docs) == paths
    assert min(b - a for a, b in zip(server.arrivals, server.arrivals[1:])) >= 0.45


def test_crawl_delay_over_the_cap_rejects_the_site(server, tmp_path):
    docs, rejects = robots_run(server, tmp_path, ["/good"], "User-agent: *\nCrawl-delay: 3600\n")
    assert docs == {} and rejects["/good"].reason == "robots_crawl_delay"
    assert "fetch.max_crawl_delay_s" in rejects["/good"].detail and server.hits == {}


def test_robots_txt_request_is_vetted_too(server, tmp_path, hosts, loopback_only, loopback_is_public):
    """The robots.txt request goes through the same address checks as a page's; a name
    that answers a private address for the page's request is still blocked."""
    hosts.add("rebind.test", ["127.0.0.1"], ["10.0.0.1"])
    _, (rej,) = run([server.url("/echo", host="rebind.test")], tmp_path, cfg(allow_private_addresses=False))
    assert rej.reason == "blocked_address" and server.hits == {} and server.robots_hits == {"/robots.txt": 1}
    hosts.add("intranet.test", ["10.0.0.1"])
    _, (rej,) = run([server.url("/good", host="intranet.test")], tmp_path, cfg(allow_private_addresses=False))
    assert rej.reason == "blocked_address" and rej.detail.startswith(f"fetching http://intranet.test:{server.server_port}/robots.txt")


def test_quiet_bound_covers_one_attempt_or_one_pause():
    base = dict(connect_timeout_s=10, total_timeout_s=120, per_host_concurrency=2, max_crawl_delay_s=30,
                backoff_s=1, retries=3, max_retry_after_s=60)
    attempt = fetch_mod.RESOLVE_ALLOWANCE_S + fetch_mod.ADDRESSES_TRIED * 10 + 120
    assert fetch_mod.quiet_bound(FetchConfig(**base)) == attempt + 2 * 30
    assert fetch_mod.quiet_bound(FetchConfig(**base, robots_txt=False)) == attempt
    assert fetch_mod.quiet_bound(FetchConfig(**{**base, "max_retry_after_s": 3600})) == 3600
    assert fetch_mod.quiet_bound(FetchConfig(**{**base, "backoff_s": 1000})) == 4000  # 1000 * 2**2, the last pause


@pytest.mark.parametrize("stage, reason, settled", [
    ("write", "kept", True), ("dedup", "exact_duplicate", True), ("extract", "no_content", True),
    ("fetch", "http_404", True), ("fetch", "http_410", True), ("fetch", "robots_disallowed", True),
    ("fetch", "not_html", True), ("fetch", "not_modified", True), ("fetch", "blocked_address", True),
    ("fetch", "http_500", False), ("fetch", "http_503", False), ("fetch", "http_429", False), ("fetch", "http_408", False),
    ("fetch", "timeout", False), ("fetch", "connect_error", False), ("fetch", "robots_unreachable", False),
])
def test_settled_says_which_urls_a_later_run_asks_again(stage, reason, settled):
    assert fetch_mod.settled(stage, reason) is settled


def test_validators_make_the_request_conditional(server, tmp_path):
    """A 304 to a conditional request is not_modified; the same status unasked stays http_304."""
    warc = tmp_path / "x.warc.gz"
    known = fetch_mod.Validators(etag='"v1"', last_modified="Wed, 01 May 2024 10:00:00 GMT")
    rejects = fetch_to_warc([server.url("/conditional"), server.url("/conditional")], warc, cfg(), validators=[known, None])
    assert [(r.reason, r.source.get("http_status")) for r in rejects] == [("not_modified", 304), ("http_304", 304)]
    assert 'If-None-Match: "v1"' in rejects[0].detail
    assert sorted(str(s["inm"]) for s in server.seen) == ['"v1"', "None"]  # concurrent: either order


def test_crawl_delay_is_shared_by_the_run_s_fetchers(server, tmp_path):
    """Two fetch runs at once (two workers of a run, each its own process and fetcher)
    space their requests to a site together through the run's pace folder."""
    server.serve_robots("User-agent: *\nCrawl-delay: 0.3\n")

    def fetch(n):
        urls = [server.url(f"/paced/{n}-{k}") for k in range(2)]
        return fetch_to_warc(urls, tmp_path / f"{n}.warc.gz", cfg(), shared_dir=tmp_path / "shared")

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(fetch, range(2))) == [[], []]
    arrivals = sorted(server.arrivals)
    assert len(arrivals) == 4 and min(b - a for a, b in zip(arrivals, arrivals[1:])) >= 0.25


@pytest.mark.parametrize("shared", [True, False])
def test_per_host_concurrency_is_shared_by_the_run_s_fetchers(server, tmp_path, shared):
    """Two fetch runs at once (two workers of a run) hold at most per_host_concurrency
    requests to a host between them when they share the run's folder; each its own cap
    without it."""
    def fetch(n):
        urls = [server.url(f"/count/{n}-{k}") for k in range(6)]
        return fetch_to_warc(urls, tmp_path / f"{n}.warc.gz", cfg(max_concurrency=8, per_host_concurrency=2, **PATIENT),
                             shared_dir=tmp_path / "shared" if shared else None)

    with ThreadPoolExecutor(2) as pool:
        assert list(pool.map(fetch, range(2))) == [[], []]
    assert server.max_active == 2 if shared else server.max_active > 2  # 12 requests of 0.15 s: caps reached


def test_robots_txt_is_asked_once_a_day_by_the_run_s_fetch_runs(server, tmp_path):
    """Fetch runs sharing a folder (a run's batches, and later runs into the same corpus)
    read a site's robots.txt answer kept there for 24 hours (RFC 9309 §2.4); a failure
    to get one is not kept, and an answer a day old is asked again."""
    shared = tmp_path / "shared"
    server.serve_robots("User-agent: *\nDisallow: /echo\n")

    def fetch(n, path):
        return fetch_to_warc([server.url(path)], tmp_path / f"{n}.warc.gz", cfg(), shared_dir=shared)

    assert fetch(0, "/good") == []
    assert [r.reason for r in fetch(1, "/echo")] == ["robots_disallowed"]  # the kept rules apply
    assert server.robots_hits == {"/robots.txt": 1}
    [kept] = (shared / "robots").iterdir()
    record = json.loads(kept.read_text())
    record["at"] -= fetch_mod.ROBOTS_CACHE_S + 1
    kept.write_text(json.dumps(record))
    assert fetch(2, "/good") == [] and server.robots_hits == {"/robots.txt": 2}
    # A server error is not kept: the next fetch run asks again.
    other = tmp_path / "other"
    server.serve_robots("", 503)
    for n in range(2):
        rejects = fetch_to_warc([server.url("/good")], tmp_path / f"o{n}.warc.gz", cfg(retries=0), shared_dir=other)
        assert [r.reason for r in rejects] == ["robots_unreachable"]
    assert server.robots_hits == {"/robots.txt": 4}
