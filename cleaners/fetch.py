"""Fetch URLs politely and safely, and archive the pages in a WARC that `iter_warc` reads.

`parse_url_list` turns a URL list file into URLs (and `bad_url` rejects); `fetch_to_warc`
fetches a batch and writes every HTML page as a WARC response record (plus its request
record), in input order, and returns a `Reject` (stage `fetch`) for every URL that failed.
Every URL ends in exactly one place: a response record or a reject.

Reasons: `bad_url`, `blocked_address`, `connect_error`, `timeout`, `http_<status>`
(e.g. `http_404`), `not_html`, `too_large`, `too_many_redirects`, `protocol_error`
(a malformed response or content encoding), `robots_disallowed`, `robots_unreachable`,
`robots_crawl_delay`, `not_modified` (asked again with the validators of an earlier
fetch, the server answered 304). `settled` tells which of them a later run need not ask
again.

Safety and politeness:
- only http and https; redirects are followed by hand, every hop re-checked;
- the host is resolved here and the request refused (`blocked_address`) if *any* of its
  addresses is loopback, private, link-local, multicast, reserved or otherwise not global
  (unless `allow_private_addresses`); the connection then goes to a vetted IP (the first
  that accepts, of at most two; Host header and TLS SNI/certificate check keep the name),
  so a second DNS answer cannot redirect the request (DNS rebinding);
- no environment proxies (they would bypass the vetting), no cookies, no keep-alive
  (a pooled connection is tied to an IP, and a TLS session to one certificate name);
- per-host and overall concurrency caps, the per-host one across the processes that share
  a `shared_dir` (a run's workers, and runs into the same corpus: a request holds one of
  `per_host_concurrency` locked slot files of its host); a User-Agent naming docprep;
- connect, read and total timeouts; bodies are streamed and aborted past the size cap;
- retries with exponential backoff only for transient failures (connect errors,
  timeouts, 429, 500, 502, 503, 504), honouring Retry-After up to a cap;
- robots.txt (RFC 9309, read by protego: wildcards, longest match), fetched once per
  site and fetch run, for every URL and every redirect hop, matched against the
  User-Agent's product token (`product_token`): a disallowed URL is a
  `robots_disallowed` reject; a robots.txt answered with 5xx or 429 (after the retries)
  means complete disallow (`robots_unreachable`), one that cannot be fetched at all
  rejects the URL with the failure's own reason, a missing one (4xx) allows everything;
  Crawl-delay and Request-rate space the requests to the site, up to
  `max_crawl_delay_s` (past it: `robots_crawl_delay`), across the processes that share a
  `shared_dir` (a run's workers), where a site's robots.txt answer is also kept for 24
  hours (RFC 9309 §2.4) for every fetch run to read; The decision a page was fetched
  under is archived with it (`WARC-Docprep-Robots`, read back as `source.robots`).

A fetch run never waits without a limit: `quiet_bound` is the longest it can go without
a request starting or ending, which the worker's supervisor allows between the
`progress` calls of `fetch_to_warc` (a slow site is the fetch's to time out, not a
reason to kill the batch).
"""
from __future__ import annotations

import email.utils
import hashlib
import http.cookiejar
import ipaddress
import json
import os
import random
import re
import socket
import ssl
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager, nullcontext
from dataclasses import dataclass, replace
from datetime import datetime, timezone
from io import BytesIO
from pathlib import Path
from typing import Any

import certifi
import httpx
from protego import Protego
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from cleaners.config import FetchConfig
from cleaners.errors import ConfigError, OutputError
from cleaners.record import Reject, Source, document_id, sha256_hex
from cleaners.warc import FETCHED_AT_HEADER, REQUESTED_URI_HEADER, ROBOTS_HEADER, is_html

STAGE = "fetch"
SCHEMES = ("http", "https")
REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
TRANSIENT_STATUSES = frozenset({429, 500, 502, 503, 504})
#: Fetch failures that may well not happen again: a later run into the same corpus asks
#: for such a URL again (with any http_5xx, http_408 and http_429).
RETRY_LATER = frozenset({"timeout", "connect_error", "protocol_error", "robots_unreachable", "robots_crawl_delay"})
#: Addresses of one name tried in turn when a connection cannot be made (e.g. an IPv6
#: answer on an IPv4-only network). Two covers one address per family.
ADDRESSES_TRIED = 2
MAX_URL_CHARS = 8192  # far above any real page URL; longer lines are junk, not URLs
#: RFC 9309 §2.5: a crawler parses at least the first 500 KiB of a robots.txt; the rest is
#: not read.
ROBOTS_MAX_BYTES = 500 * 1024
#: RFC 9309 §2.3.1.2: at least five redirects are followed for a robots.txt; past them it
#: counts as unavailable (everything allowed).
ROBOTS_MAX_REDIRECTS = 5
#: Time allowed for resolving a name, which has no timeout of docprep's own (the system
#: resolver's: 5 s per try and name server by default).
RESOLVE_ALLOWANCE_S = 30.0
#: How often, at most, a fetch run reports that it is alive (`fetch_to_warc`'s `progress`).
PROGRESS_EVERY_S = 1.0
#: RFC 9309 §2.4: a cached robots.txt is not used for more than 24 hours.
ROBOTS_CACHE_S = 24 * 3600.0
_PRODUCT_TOKEN = re.compile(r"[A-Za-z_-]+")

# The body is stored decoded, so these no longer describe it.
_DROPPED_RESPONSE_HEADERS = frozenset({"content-encoding", "transfer-encoding", "content-length"})


class _Failure(Exception):
    """One failed attempt: the reject reason, and whether trying again may help."""

    def __init__(self, reason: str, detail: str, transient: bool = False,
                 retry_after: float | None = None, status: int | None = None, unreachable: bool = False) -> None:
        super().__init__(detail)
        self.reason = reason
        self.detail = detail
        self.transient = transient
        self.retry_after = retry_after
        self.status = status
        self.unreachable = unreachable  # no connection was made: another address may work


@dataclass(frozen=True)
class _Redirect:
    location: str
    status: int


@dataclass(frozen=True)
class _Page:
    """A successful fetch, ready to be archived."""

    requested: str
    final_url: str
    ip: str
    status: int
    reason_phrase: str
    headers: list[tuple[str, str]]
    request_headers: list[tuple[str, str]]
    request_target: str
    body: bytes
    fetched_at: str
    robots: str | None = None  # the robots.txt decision it was fetched under (`_Robots.note`)


@dataclass(frozen=True)
class _Robots:
    """What one site's robots.txt says, as read once per fetch run: `rules` (None: no
    rules, everything allowed) or `failure` (reason, detail: nothing allowed)."""

    url: str
    outcome: str  # how the robots.txt answered: "HTTP 200", "HTTP 404, no rules" ...
    rules: Protego | None = None
    failure: tuple[str, str] | None = None
    text: str | None = None  # what `rules` were parsed from

    @classmethod
    def parsed(cls, url: str, outcome: str, text: str) -> "_Robots":
        return cls(url, outcome, Protego.parse(text), text=text)

    def note(self) -> str:
        return f"{self.url}: {self.outcome}"

    def delay(self, agent: str) -> float:
        """Seconds between two requests to the site: its Crawl-delay or Request-rate
        interval, whichever is longer (0: none asked)."""
        if self.rules is None:
            return 0.0
        delay = float(self.rules.crawl_delay(agent) or 0.0)
        rate = self.rules.request_rate(agent)
        if rate is not None and rate.requests:
            delay = max(delay, rate.seconds / rate.requests)
        return delay


def settled(stage: str, reason: str) -> bool:
    """Whether a URL whose unit ended at `stage` with `reason` (a record: "write", "kept")
    needs no fetching by a later run: its page arrived (whatever became of it), or the
    fetch failed for a reason asking again will not change (404, robots_disallowed,
    not_html ...), as opposed to `RETRY_LATER` and server errors."""
    if stage != STAGE:
        return True
    if reason in RETRY_LATER:
        return False
    if reason.startswith("http_") and reason[5:].isdigit():
        status = int(reason[5:])
        return not (status >= 500 or status in (408, 425, 429))
    return True


def product_token(user_agent: str) -> str:
    """The name robots.txt groups are matched against: the User-Agent's leading product
    token (RFC 9309 §2.2.1, `[a-zA-Z_-]+`), "docprep" for "docprep/0.1 (+https://...)".
    Matching the whole header would let a group for "example" match its contact URL."""
    m = _PRODUCT_TOKEN.match(user_agent.strip())
    return m.group(0) if m else ""


def quiet_bound(cfg: FetchConfig) -> float:
    """The longest a fetch run can go without a request attempt starting or ending (what
    `progress` reports): one attempt (resolving the name, connecting to each address
    tried, the whole request, and the pause a robots.txt's crawl delay may impose on it
    behind the site's other requests in flight) or one pause between attempts."""
    attempt = RESOLVE_ALLOWANCE_S + ADDRESSES_TRIED * cfg.connect_timeout_s + cfg.total_timeout_s
    pace = cfg.per_host_concurrency * cfg.max_crawl_delay_s if cfg.robots_txt else 0.0
    pause = max(cfg.backoff_s * 2 ** max(cfg.retries - 1, 0), cfg.max_retry_after_s) if cfg.retries else 0.0
    return max(attempt + pace, pause)


@dataclass(frozen=True)
class Validators:
    """What a server said of a page it sent, to ask later whether it changed."""

    etag: str | None = None
    last_modified: str | None = None


def _conditional_headers(v: Validators | None) -> tuple[tuple[str, str], ...]:
    if v is None:
        return ()
    return tuple((k, x) for k, x in (("If-None-Match", v.etag), ("If-Modified-Since", v.last_modified)) if x)


# ---------------------------------------------------------------------------- URL lists


def check_url(text: str) -> httpx.URL:
    """Parse a URL docprep may fetch, or raise `_Failure('bad_url')` saying why not."""
    if not text or len(text) > MAX_URL_CHARS:
        raise _Failure("bad_url", f"not a URL (length {len(text)})")
    if any(ch.isspace() or ord(ch) < 32 or ord(ch) == 127 for ch in text):
        raise _Failure("bad_url", "URL contains whitespace or control characters")
    try:
        url = httpx.URL(text)
    except (httpx.InvalidURL, ValueError, TypeError, UnicodeError) as exc:
        raise _Failure("bad_url", f"cannot parse URL: {exc}") from None
    if url.scheme not in SCHEMES:
        shown = url.scheme or "none"
        raise _Failure("bad_url", f"unsupported scheme {shown!r}: only http and https are fetched")
    if not url.raw_host:
        raise _Failure("bad_url", "URL has no host")
    return url


def parse_url_list(data: bytes, uri: str) -> Iterator[str | Reject]:
    """One URL a line; blank lines and lines starting with '#' are ignored.

    Yields each usable URL (stripped, otherwise as written) or a `bad_url` reject whose
    source is the list file's line (`format="url_list"`, `position` = 1-based line number).
    """
    for number, line in enumerate(data.splitlines(), start=1):
        if number == 1 and line.startswith(b"\xef\xbb\xbf"):
            line = line[3:]
        stripped = line.strip()
        if not stripped or stripped.startswith(b"#"):
            continue
        try:
            text = stripped.decode("utf-8")
            check_url(text)
        except UnicodeDecodeError:
            yield _list_reject(uri, number, line, "line is not valid UTF-8")
            continue
        except _Failure as failure:
            yield _list_reject(uri, number, line, failure.detail)
            continue
        yield text


def _list_reject(uri: str, number: int, line: bytes, detail: str) -> Reject:
    source = Source(uri=uri, sha256=sha256_hex(line), format="url_list", position=number)
    return Reject(source=source, stage=STAGE, reason="bad_url", detail=detail, id=document_id(source))


# ---------------------------------------------------------------------------- addresses


def is_public_address(ip: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    """True for an address on the public internet. IPv6 forms that embed an IPv4 address
    (mapped, 6to4, NAT64) are judged by the embedded address."""
    if isinstance(ip, ipaddress.IPv6Address):
        embedded = ip.ipv4_mapped or ip.sixtofour
        if embedded is None and ip in _NAT64:
            embedded = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
        if embedded is not None:
            return is_public_address(embedded)
        if ip.teredo is not None:
            return False  # a tunnel endpoint; no reason to fetch pages through one
    return ip.is_global and not (
        ip.is_multicast or ip.is_private or ip.is_loopback or ip.is_link_local
        or ip.is_reserved or ip.is_unspecified
    )


_NAT64 = ipaddress.IPv6Network("64:ff9b::/96")


def resolve(host: str, port: int, allow_private: bool) -> list[str]:
    """The addresses to connect to for `host`, in resolver order, after checking them all.

    Raises `_Failure('blocked_address')` if any address is not public (a name with one
    public and one private address could be steered to the private one), or
    `_Failure('connect_error')` if the name does not resolve.
    """
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        transient = exc.errno in (socket.EAI_AGAIN, getattr(socket, "EAI_SYSTEM", None))
        raise _Failure("connect_error", f"cannot resolve {host}: {exc.strerror or exc}", transient=transient) from None
    except (UnicodeError, OSError) as exc:
        raise _Failure("connect_error", f"cannot resolve {host}: {exc}") from None
    addresses: list[ipaddress.IPv4Address | ipaddress.IPv6Address] = []
    for info in infos:
        ip = ipaddress.ip_address(str(info[4][0]).split("%", 1)[0])
        if ip not in addresses:
            addresses.append(ip)
    if not addresses:
        raise _Failure("connect_error", f"{host} has no address")
    if not allow_private:
        blocked = [str(ip) for ip in addresses if not is_public_address(ip)]
        if blocked:
            raise _Failure(
                "blocked_address",
                f"{host} resolves to non-public address {', '.join(blocked)}; set "
                "fetch.allow_private_addresses to fetch from internal networks",
            )
    return [str(ip) for ip in addresses]


# ---------------------------------------------------------------------------- fetching


def _origin(url: httpx.URL) -> str:
    """"https://host:port": what a robots.txt and a crawl delay are per."""
    return f"{url.scheme}://{url.netloc.decode('ascii')}"


def _site_file(folder: Path, origin: str, suffix: str) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    return folder / f"{hashlib.sha256(origin.encode('utf-8', 'surrogateescape')).hexdigest()[:16]}{suffix}"


def _shared_pace(shared_dir: Path, origin: str, delay: float) -> tuple[float, float]:
    """(now, when this request may start) for `origin`, reserving the next slot `delay`
    later in a file under `shared_dir` that every process of the run reads and writes
    under an exclusive lock (wall-clock times: monotonic clocks are per machine boot, not
    shared)."""
    import fcntl

    with open(_site_file(shared_dir / "pace", origin, ".next"), "a+", encoding="ascii") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        try:
            f.seek(0)
            try:
                booked = float(f.read() or 0.0)
            except ValueError:
                booked = 0.0
            now = time.time()
            start = max(now, booked)
            f.seek(0)
            f.truncate()
            f.write(repr(start + delay))
            f.flush()
        finally:
            fcntl.flock(f, fcntl.LOCK_UN)
    return now, start


#: How long a request waiting for a host's slot held by another process sleeps between
#: tries, at most (growing from a tenth of it; flock has no fair queue to wait in).
SLOT_POLL_S = 0.1
#: Hosts share slot files by a hash of their name, so the files stay bounded whatever the
#: URL lists hold. Two hosts fetched at once that fall in one bucket (a few percent of the
#: time with a dozen hosts in flight) share its slots: less concurrency, never more.
SLOT_BUCKETS = 1024


@contextmanager
def _shared_slot(shared_dir: Path, host: str, slots: int, waiting: Callable[[], None]) -> Iterator[None]:
    """Hold one of `host`'s `slots` slot files under an exclusive lock for the duration:
    at most `slots` requests to the host at once among all processes (and threads) using
    `shared_dir`. A lock belongs to the open file, so a process that dies frees its slot.
    `waiting` is called between tries (the fetch run's sign of life)."""
    import fcntl

    bucket = int(hashlib.sha256(host.encode("utf-8", "surrogateescape")).hexdigest()[:8], 16) % SLOT_BUCKETS
    folder = shared_dir / "slots"
    folder.mkdir(parents=True, exist_ok=True)
    pause = SLOT_POLL_S / 10
    while True:
        for k in range(slots):
            f = open(folder / f"{bucket:04d}.{k}", "a")
            try:
                fcntl.flock(f, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                f.close()
                continue
            try:
                yield
            finally:
                f.close()  # closing the last descriptor of the file releases its lock
            return
        waiting()
        time.sleep(pause * (0.5 + random.random()))  # jittered: no lockstep between waiters
        pause = min(SLOT_POLL_S, pause * 2)


def _cached_robots(shared_dir: Path, origin: str) -> _Robots | None:
    """The origin's robots.txt answer another fetch run kept, if under ROBOTS_CACHE_S old."""
    path = _site_file(shared_dir / "robots", origin, ".json")
    try:
        kept = json.loads(path.read_text(encoding="utf-8"))
        if kept["origin"] != origin or not 0 <= time.time() - kept["at"] < ROBOTS_CACHE_S:
            return None
        if kept["text"] is None:
            return _Robots(kept["url"], kept["outcome"])
        return _Robots.parsed(kept["url"], kept["outcome"], kept["text"])
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _keep_robots(shared_dir: Path, origin: str, robots: _Robots) -> None:
    """Keep an answer the site gave (rules, or none) for the run's other fetch runs; a
    failure to get one is not kept: the next fetch run asks again. Best effort: a folder
    that cannot be written only costs a request."""
    from cleaners.write import atomic_write_json

    if robots.failure is not None:
        return
    kept = {"origin": origin, "url": robots.url, "outcome": robots.outcome, "text": robots.text, "at": time.time()}
    try:
        atomic_write_json(_site_file(shared_dir / "robots", origin, ".json"), kept)
    except OSError:
        pass


class _Fetcher:
    """Fetches one URL at a time per call; safe to call from many threads. `progress` is
    called (from any thread, at most every PROGRESS_EVERY_S) when an attempt starts or
    ends."""

    def __init__(self, cfg: FetchConfig, progress: Callable[[], None] | None = None,
                 shared_dir: Path | None = None) -> None:
        self.cfg = cfg
        self.shared_dir = shared_dir
        self.agent = product_token(cfg.user_agent)
        self._progress = progress
        self._reported = 0.0
        verify: ssl.SSLContext = ssl.create_default_context(cafile=certifi.where())
        if cfg.ca_bundle:
            try:
                verify.load_verify_locations(cafile=cfg.ca_bundle)
            except (OSError, ssl.SSLError) as exc:
                raise ConfigError(
                    f"fetch.ca_bundle {cfg.ca_bundle!r} cannot be loaded ({exc}); give a PEM file of CA certificates"
                ) from exc
        self.client = httpx.Client(
            timeout=httpx.Timeout(
                connect=cfg.connect_timeout_s, read=cfg.read_timeout_s,
                write=cfg.read_timeout_s, pool=cfg.total_timeout_s,
            ),
            limits=httpx.Limits(max_connections=cfg.max_concurrency, max_keepalive_connections=0),
            follow_redirects=False,
            trust_env=False,  # HTTP(S)_PROXY would receive the request: no vetting, no pinning
            verify=verify,
        )
        self.client.cookies.jar.set_policy(http.cookiejar.DefaultCookiePolicy(allowed_domains=[]))
        self._slots: dict[str, threading.BoundedSemaphore] = {}
        self._slots_lock = threading.Lock()
        self._robots: dict[str, _Robots] = {}  # by origin ("https://host:port")
        self._robots_locks: dict[str, threading.Lock] = {}
        self._next_start: dict[str, float] = {}  # by origin: when its next request may start

    def close(self) -> None:
        self.client.close()

    def _tick(self) -> None:
        if self._progress is not None:
            now = time.monotonic()
            if now - self._reported >= PROGRESS_EVERY_S:
                self._reported = now
                self._progress()

    def fetch(self, requested: str, validators: Validators | None = None) -> _Page | Reject:
        """`validators`: what an earlier fetch of the URL answered (ETag, Last-Modified),
        sent as If-None-Match / If-Modified-Since; a 304 then rejects it as `not_modified`."""
        url: httpx.URL | None = None
        redirected = False
        conditional = _conditional_headers(validators)
        try:
            url = check_url(requested)
            for _ in range(self.cfg.max_redirects + 1):
                robots = self._allowed(url)
                outcome = self._with_retries(url, requested, robots.delay(self.agent) if robots else 0.0,
                                             conditional=conditional)
                if isinstance(outcome, _Page):
                    return replace(outcome, robots=robots.note() if robots else None)
                try:
                    url = check_url(str(url.join(outcome.location)))
                except _Failure as failure:
                    detail = f"redirect to an unusable URL {outcome.location!r}: {failure.detail}"
                    raise _Failure("bad_url", detail, status=outcome.status) from None
                redirected = True
            raise _Failure(
                "too_many_redirects",
                f"more than {self.cfg.max_redirects} redirects (fetch.max_redirects); the last went to {url}",
                status=outcome.status,
            )
        except _Failure as failure:
            return _fetch_reject(requested, failure, str(url) if redirected else None, failure.status)

    # ------------------------------------------------------------------ robots.txt

    def _allowed(self, url: httpx.URL) -> _Robots | None:
        """The robots.txt `url` may be fetched under (None: not checked), or raise the
        `_Failure` that rejects it."""
        if not self.cfg.robots_txt:
            return None
        robots = self._robots_of(_origin(url))
        if robots.failure is not None:
            raise _Failure(*robots.failure)
        if robots.rules is not None and not robots.rules.can_fetch(str(url), self.agent):
            raise _Failure("robots_disallowed", f"{robots.url} disallows {url} for user agent {self.agent!r}")
        delay = robots.delay(self.agent)
        if delay > self.cfg.max_crawl_delay_s:
            raise _Failure("robots_crawl_delay", f"{robots.url} asks for {delay:g} s between requests, over "
                           f"fetch.max_crawl_delay_s ({self.cfg.max_crawl_delay_s:g} s)")
        return robots

    def _robots_of(self, origin: str) -> _Robots:
        """The origin's robots.txt: as this fetch run read it, or another of the run's
        within 24 hours (`shared_dir`), or fetched by the first thread that asks (the
        others wait)."""
        with self._slots_lock:
            lock = self._robots_locks.setdefault(origin, threading.Lock())
        with lock:
            robots = self._robots.get(origin)
            if robots is None and self.shared_dir is not None:
                robots = _cached_robots(self.shared_dir, origin)
            if robots is None:
                robots = self._fetch_robots(origin + "/robots.txt")
                if self.shared_dir is not None:
                    _keep_robots(self.shared_dir, origin, robots)
            self._robots[origin] = robots
            return robots

    def _fetch_robots(self, robots_url: str) -> _Robots:
        """RFC 9309 §2.3.1: 2xx gives the rules; 4xx (but 429) none, everything allowed;
        5xx and 429 (after the retries) complete disallow; a failure to fetch it at all
        rejects the site's URLs with that failure's reason."""
        url = httpx.URL(robots_url)
        for _ in range(ROBOTS_MAX_REDIRECTS + 1):
            try:
                outcome = self._with_retries(url, robots_url, robots_txt=True)
            except _Failure as failure:
                status = failure.status
                if failure.reason == f"http_{status}" and status is not None and 400 <= status < 500 and status != 429:
                    return _Robots(robots_url, f"HTTP {status}, no rules")
                if failure.reason == f"http_{status}":
                    detail = f"{robots_url}: {failure.detail}; an unreachable robots.txt means complete disallow (RFC 9309)"
                    return _Robots(robots_url, f"HTTP {status}", failure=("robots_unreachable", detail))
                return _Robots(robots_url, failure.reason, failure=(failure.reason, f"fetching {robots_url}: {failure.detail}"))
            if isinstance(outcome, _Page):
                return _Robots.parsed(robots_url, f"HTTP {outcome.status}", outcome.body.decode("utf-8", "replace"))
            try:
                url = check_url(str(url.join(outcome.location)))
            except _Failure:
                return _Robots(robots_url, f"HTTP {outcome.status} to an unusable URL, no rules")
        return _Robots(robots_url, f"more than {ROBOTS_MAX_REDIRECTS} redirects, no rules")

    def _pace(self, origin: str, delay: float) -> None:
        """Wait until the origin's next request may start, `delay` after the one before:
        the one before in any process sharing `shared_dir` (a run's workers), else in this
        fetcher."""
        if delay <= 0:
            return
        with self._slots_lock:
            if self.shared_dir is not None:
                now, start = _shared_pace(self.shared_dir, origin, delay)
            else:
                now = time.monotonic()
                start = max(now, self._next_start.get(origin, now))
                self._next_start[origin] = start + delay
        time.sleep(max(0.0, start - now))

    # ------------------------------------------------------------------ requests

    def _with_retries(self, url: httpx.URL, requested: str, delay: float = 0.0,
                      robots_txt: bool = False, conditional: tuple[tuple[str, str], ...] = ()) -> _Page | _Redirect:
        attempt = 0
        while True:
            try:
                return self._attempt(url, requested, delay, robots_txt, conditional)
            except _Failure as failure:
                if not failure.transient or attempt >= self.cfg.retries:
                    if failure.transient and attempt:
                        failure.detail += f" (after {attempt} retries)"
                    raise
                pause = self.cfg.backoff_s * 2**attempt
                if failure.retry_after is not None:
                    if failure.retry_after > self.cfg.max_retry_after_s:
                        failure.detail += (
                            f"; the server asks to retry after {failure.retry_after:.0f} s, "
                            f"over fetch.max_retry_after_s ({self.cfg.max_retry_after_s:.0f} s)"
                        )
                        raise
                    pause = max(pause, failure.retry_after)
                time.sleep(pause)
                self._tick()
                attempt += 1

    def _slot(self, host: str) -> threading.BoundedSemaphore:
        with self._slots_lock:
            slot = self._slots.get(host)
            if slot is None:
                slot = self._slots[host] = threading.BoundedSemaphore(self.cfg.per_host_concurrency)
            return slot

    def _shared_slot(self, host: str):
        """A slot of the host among the processes sharing `shared_dir` (after one among
        this fetcher's threads, `_slot`)."""
        if self.shared_dir is None:
            return nullcontext()
        return _shared_slot(self.shared_dir, host, self.cfg.per_host_concurrency, self._tick)

    def _attempt(self, url: httpx.URL, requested: str, delay: float, robots_txt: bool,
                 conditional: tuple[tuple[str, str], ...]) -> _Page | _Redirect:
        self._tick()
        try:
            host = url.raw_host.decode("ascii").lower()
            addresses = resolve(host, url.port or (443 if url.scheme == "https" else 80), self.cfg.allow_private_addresses)
            tried = addresses[:ADDRESSES_TRIED]
            with self._slot(host), self._shared_slot(host):
                self._pace(_origin(url), delay)
                for n, ip in enumerate(tried, start=1):
                    try:
                        return self._request(url, host, ip, requested, robots_txt, conditional)
                    except _Failure as failure:
                        if not failure.unreachable or n == len(tried):
                            raise
        finally:
            self._tick()

    def _request(self, url: httpx.URL, host: str, ip: str, requested: str, robots_txt: bool = False,
                 conditional: tuple[tuple[str, str], ...] = ()) -> _Page | _Redirect:
        """One GET to the vetted address `ip`, keeping `host` for Host, SNI and the certificate."""
        headers = [
            ("Host", url.netloc.decode("ascii")),
            ("User-Agent", self.cfg.user_agent),
            ("Accept", "text/plain,*/*;q=0.1" if robots_txt else "text/html,application/xhtml+xml;q=0.9,*/*;q=0.1"),
            ("Accept-Encoding", "gzip, deflate"),
            *conditional,
        ]
        extensions: dict[str, Any] = {}
        if url.scheme == "https":
            extensions["sni_hostname"] = host  # the certificate is checked against the name, not the IP
        started = time.monotonic()
        try:
            with self.client.stream("GET", url.copy_with(host=ip), headers=headers, extensions=extensions) as response:
                return self._read(response, url, requested, ip, headers, url.raw_path.decode("ascii"), started,
                                  robots_txt)
        except httpx.ConnectTimeout:
            raise _Failure("timeout", f"no connection to {host} ({ip}) within {self.cfg.connect_timeout_s} s",
                           transient=True, unreachable=True) from None
        except httpx.TimeoutException as exc:
            raise _Failure("timeout", f"{type(exc).__name__} fetching {url}", transient=True) from None
        except httpx.ConnectError as exc:
            if _certificate_error(exc):
                raise _Failure("connect_error", f"TLS certificate of {host} not trusted: {exc}") from None
            raise _Failure("connect_error", f"cannot connect to {host} ({ip}): {exc}", transient=True, unreachable=True) from None
        except httpx.NetworkError as exc:
            raise _Failure("connect_error", f"connection to {host} ({ip}) failed: {exc}", transient=True) from None
        except (httpx.ProtocolError, httpx.DecodingError) as exc:
            raise _Failure("protocol_error", f"malformed response from {url}: {exc}") from None
        except httpx.HTTPError as exc:  # anything else httpx reports is still this URL's failure
            raise _Failure("protocol_error", f"{type(exc).__name__} fetching {url}: {exc}") from None
        except (OSError, ssl.SSLError) as exc:
            raise _Failure("connect_error", f"connection to {host} ({ip}) failed: {exc}") from None

    def _read(self, response: httpx.Response, url: httpx.URL, requested: str, ip: str,
              request_headers: list[tuple[str, str]], request_target: str, started: float,
              robots_txt: bool = False) -> _Page | _Redirect:
        """The response as a page, a redirect, or a `_Failure`. A robots.txt may be of any
        type and is cut at ROBOTS_MAX_BYTES rather than refused."""
        status = response.status_code
        if status in REDIRECT_STATUSES and response.headers.get("Location"):
            return _Redirect(response.headers["Location"], status)
        if status == 304 and any(k.startswith("If-") for k, _ in request_headers):
            raise _Failure("not_modified", f"{url} is unchanged since it was last fetched (HTTP 304 to "
                           + " and ".join(f"{k}: {v}" for k, v in request_headers if k.startswith("If-")) + ")",
                           status=status)
        if status in TRANSIENT_STATUSES:
            raise _Failure(f"http_{status}", f"HTTP {status} from {url}", transient=True,
                           retry_after=_retry_after(response.headers.get("Retry-After")), status=status)
        if not 200 <= status < 300:
            raise _Failure(f"http_{status}", f"HTTP {status} from {url}", status=status)
        content_type = response.headers.get("Content-Type")
        if not robots_txt and not is_html(content_type):
            raise _Failure("not_html", f"Content-Type is {content_type or 'missing'}, not HTML", status=status)
        limit = ROBOTS_MAX_BYTES if robots_txt else self.cfg.max_body_bytes
        declared = response.headers.get("Content-Length", "").strip()
        if not robots_txt and declared.isdigit() and int(declared) > limit:
            raise _Failure("too_large", f"Content-Length {declared} is over {limit} bytes (fetch.max_body_bytes)", status=status)
        body = bytearray()
        for chunk in response.iter_bytes():
            body += chunk
            if len(body) > limit and robots_txt:
                del body[limit:]
                break
            if len(body) > limit:
                raise _Failure("too_large", f"body is over {limit} bytes (fetch.max_body_bytes); download aborted", status=status)
            if time.monotonic() - started > self.cfg.total_timeout_s:
                raise _Failure("timeout", f"body not complete after {self.cfg.total_timeout_s} s (fetch.total_timeout_s)", status=status)
        return _Page(
            requested=requested,
            final_url=str(url),
            ip=ip,
            status=status,
            reason_phrase=response.reason_phrase or "",
            headers=[(k, v) for k, v in response.headers.multi_items() if k.lower() not in _DROPPED_RESPONSE_HEADERS]
            + [("Content-Length", str(len(body)))],
            request_headers=request_headers,
            request_target=request_target,
            body=bytes(body),
            fetched_at=datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        )


def _certificate_error(exc: BaseException) -> bool:
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _retry_after(value: str | None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or HTTP date), or None."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError, IndexError):
        return None
    if when.tzinfo is None:
        when = when.replace(tzinfo=timezone.utc)
    return max(0.0, (when - datetime.now(timezone.utc)).total_seconds())


def _fetch_reject(requested: str, failure: _Failure, final_url: str | None, status: int | None) -> Reject:
    # No body is kept for a failure, so the unit's bytes are the URL itself.
    extra = tuple(sorted((k, v) for k, v in (("final_url", final_url), ("http_status", status)) if v is not None))
    source = Source(uri=requested, sha256=sha256_hex(requested.encode("utf-8", "surrogateescape")),
                    format="url", extra=extra)
    return Reject(source=source, stage=STAGE, reason=failure.reason, detail=failure.detail, id=document_id(source))


# ---------------------------------------------------------------------------- archiving


def fetch_to_warc(urls: Sequence[str], warc_path: Path, cfg: FetchConfig,
                  progress: Callable[[], None] | None = None,
                  validators: Sequence[Validators | None] | None = None,
                  shared_dir: Path | None = None) -> list[Reject]:
    """Fetch `urls` and write each HTML page to the gzipped WARC `warc_path`, in input order.

    Returns the rejects (stage `fetch`), also in input order. Fetches run concurrently
    (`max_concurrency`, `per_host_concurrency`) but records are written in URL order, so
    the archive's record order never depends on timing. The file appears only when
    complete (written as `<name>.part`, then renamed). A URL listed twice is fetched twice.

    Raises `OutputError` if the WARC cannot be written, `ConfigError` if `ca_bundle` cannot
    be loaded; a failing URL never raises. `progress` (called from the fetching threads)
    says the run is alive: it is never quiet longer than `quiet_bound(cfg)`.
    `validators[i]`: ask `urls[i]` only if changed since an earlier fetch (`_Fetcher.fetch`).
    `shared_dir`: a folder shared by every process fetching for the run, so that a site's
    Crawl-delay spaces all their requests to it, not each process's alone, and its
    robots.txt is asked once a day, not once per fetch run.
    """
    warc_path = Path(warc_path)
    part = warc_path.with_name(warc_path.name + ".part")
    rejects: list[Reject] = []
    # Pages finished out of order wait in memory; the window bounds how many.
    window = 2 * cfg.max_concurrency
    fetcher = _Fetcher(cfg, progress, shared_dir)
    pool = ThreadPoolExecutor(cfg.max_concurrency, thread_name_prefix="docprep-fetch")
    try:
        with open(part, "wb") as fh:
            writer = WARCWriter(fh, gzip=True)
            writer.write_record(writer.create_warcinfo_record(
                warc_path.name, {"software": cfg.user_agent, "description": "docprep fetch_to_warc"}
            ))
            pending: deque[Future[_Page | Reject]] = deque()
            for url, known in zip(urls, validators or [None] * len(urls)):
                pending.append(pool.submit(fetcher.fetch, url, known))
                while len(pending) >= window:
                    _archive(pending.popleft().result(), writer, rejects)
            while pending:
                _archive(pending.popleft().result(), writer, rejects)
        os.replace(part, warc_path)
    except OSError as exc:
        part.unlink(missing_ok=True)
        raise OutputError(f"cannot write the fetch archive {warc_path}: {exc.strerror or exc}") from exc
    except BaseException:
        part.unlink(missing_ok=True)
        raise
    finally:
        pool.shutdown(wait=True, cancel_futures=True)
        fetcher.close()
    return rejects


def _archive(outcome: _Page | Reject, writer: WARCWriter, rejects: list[Reject]) -> None:
    if isinstance(outcome, Reject):
        rejects.append(outcome)
        return
    response = writer.create_warc_record(
        outcome.final_url, "response",
        payload=BytesIO(outcome.body),
        http_headers=StatusAndHeaders(f"{outcome.status} {outcome.reason_phrase}".strip(), outcome.headers, protocol="HTTP/1.1"),
        warc_headers_dict={
            "WARC-Date": outcome.fetched_at,
            "WARC-IP-Address": outcome.ip,
            REQUESTED_URI_HEADER: outcome.requested,
            FETCHED_AT_HEADER: outcome.fetched_at,
            **({ROBOTS_HEADER: outcome.robots} if outcome.robots else {}),
        },
    )
    request = writer.create_warc_record(
        outcome.final_url, "request",
        payload=BytesIO(b""),
        http_headers=StatusAndHeaders(f"GET {outcome.request_target} HTTP/1.1", outcome.request_headers, is_http_request=True),
        warc_headers_dict={
            "WARC-Date": outcome.fetched_at,
            "WARC-Concurrent-To": response.rec_headers.get_header("WARC-Record-ID"),
        },
    )
    writer.write_record(response)
    writer.write_record(request)
