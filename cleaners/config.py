"""One immutable config object with documented defaults, overridable from a TOML or JSON file.

Each section is named after the step it configures (`read`, `decode`, `extract`,
`repair`, `language`, `quality`, `dedup`, `write`, `fetch`), the same name the step has in code,
provenance and stats. The reason for each default sits next to it.

`Config.hash()` covers everything that can change output bytes; `RunOptions` (workers,
progress bars, Dask address) are deliberately outside it: output does not depend on them.
"""
from __future__ import annotations

import hashlib
import json
import tomllib
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from cleaners.errors import ConfigError


class _Section(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


JsonlField = Literal["text", "html", "url", "title", "date", "author", "id"]


class ReadConfig(_Section):
    max_input_bytes: int = Field(
        64 * 1024**3,
        description="Largest input file read (its size on disk). Larger files are rejected "
        "at planning (stage read, reason too_large): a disk image or a database named by "
        "mistake is not hashed and read through. JSONL and WARC stream one document at a "
        "time and a big JSONL file is read in parts by every worker, so multi-gigabyte "
        "shards are inputs like any other; a text or HTML file is one document, read at most "
        "max_document_bytes far.",
    )
    max_decompressed_bytes: int = Field(
        256 * 1024**2,
        description="Cap on the bytes a single .gz or .zst input may expand to, or "
        "max_expansion times its compressed size if that is more: a decompression bomb is "
        "rejected (reason decompression_limit), while a multi-gigabyte JSONL or WARC shard "
        "(streamed one document at a time) is read whole.",
    )
    max_expansion: float = Field(
        100.0,
        ge=1,
        description="How many times its compressed size a .gz or .zst input may expand to "
        "beyond max_decompressed_bytes. Text and HTML expand 3-20x (zstd -19 on repetitive "
        "HTML); bombs expand 1,000x and more.",
    )
    max_document_bytes: int = Field(
        16 * 1024**2,
        description="Largest single document (a file, a JSONL line, a WARC record). "
        "News articles are well under 1 MB; 16 MB leaves room for huge pages.",
    )
    follow_symlinks: bool = Field(True, description="Follow symlinks in folders (loops are detected and rejected).")
    check_digests: bool = Field(
        True,
        description="Check each WARC response and conversion record against its "
        "WARC-Block-Digest (the hash the crawler wrote of the record's bytes): one that "
        "does not match was damaged since, and is a corrupt_warc reject. A plain WARC, or "
        "a zstd frame without a checksum, has no other check. Costs a SHA-1 of every "
        "record's bytes.",
    )
    jsonl_part_bytes: int = Field(
        8 * 1024**2,
        ge=64 * 1024,
        description="A JSONL file whose content is bigger is read as parts of about this "
        "size, each its own batch, so that one big file spreads over every worker (a "
        "compressed file: at most 16 parts, as each is reached by reading from the start). "
        "Same units, line numbers and ids as one read.",
    )
    warc_part_bytes: int = Field(
        64 * 1024**2,
        ge=64 * 1024,
        description="A WARC, plain or compressed a record at a time (gzip, as Common Crawl's; "
        "zstd, as Archive Team's .warc.zst), bigger than this is read as parts of about this size "
        "(compressed), each its own batch, so that one big archive (a 1 GB Common Crawl "
        "file) spreads over every worker. Same records, offsets and ids as one read.",
    )
    jsonl_keys: dict[JsonlField, str] = Field(
        default_factory=dict,
        description="The keys a JSONL line's fields are read from where they are not "
        "docprep's own names, e.g. {text = \"raw_content\", url = \"source_url\", id = "
        "\"doc_id\"}; a dotted key reads inside nested objects: {url = \"metadata.url\"} "
        "(datatrove and dolma keep a document's URL there). Fields: text, html (the body; "
        "html wins when both are given), url, title, date, author (declared metadata, kept "
        "over what extraction finds), id (the input's own id, kept as source.input_id).",
    )
    jsonl_keep: list[str] = Field(
        default_factory=list,
        description="Keys of a JSONL line (dotted for nested ones) whose values are carried "
        "into each record's source as source.input_fields, {key: value} for those the line "
        "has: the provenance an earlier pipeline recorded, e.g. [\"metadata.warc_record_id\", "
        "\"metadata.cc_segment\", \"source\"].",
    )
    skip_processed: bool = Field(
        True,
        description="Skip an input file whose bytes were already processed into this corpus "
        "with the same config hash (incremental runs), and a URL an earlier run with that config "
        "hash fetched, or failed to fetch for a lasting reason (a 404, robots.txt ...: "
        "`fetch.settled`), until `fetch.refetch_after_days`. Off: every input is processed "
        "again and copies of published documents are rejected by dedup, naming the original.",
    )


class DecodeConfig(_Section):
    binary_control_share: float = Field(
        0.05,
        description="Share of control characters (other than tab and line breaks) above "
        "which decoded bytes are rejected as binary. Real text has almost none.",
    )


class RepairConfig(_Section):
    fix_encoding: bool = Field(True, description="Run ftfy to repair mojibake in the extracted fields.")
    uncurl_quotes: bool = Field(
        False,
        description="ftfy's default flattens typographic quotes; that is normalisation, "
        "not repair, so docprep keeps them.",
    )
    normalization: Literal["NFC", "NFKC", "NFD", "NFKD"] | None = Field(
        "NFC", description="Unicode normalisation applied by ftfy."
    )


class ExtractConfig(_Section):
    html_timeout_s: float = Field(
        30.0,
        description="Time allowed for one document, all its steps together (extracting "
        "an HTML page is nearly all of it). trafilatura has no timeout in its Python API and "
        "some pages take minutes; over the limit the document is rejected (reason timeout, "
        "stage: the step it was in) and the run goes on.",
    )
    html_favor: Literal["balanced", "precision", "recall"] = Field(
        "recall",
        description="trafilatura's precision/recall trade-off (favor_precision / favor_recall). "
        "Recall: with docprep's rescue and postclean it scored best on the dev sets "
        "(wcxb-articles +0.007 F1 over balanced, scrapinghub equal); precision lost 0.02 F1 "
        "on wcxb-articles (see benchmarks/eval_html.py).",
    )
    html_fast: bool = Field(
        True,
        description="trafilatura's fast mode: no comparison of its text with readability's "
        "and jusText's. On: in recall mode trafilatura skips the comparison on long texts "
        "anyway, and with docprep's own rescue it added nothing on the dev sets (F1 "
        "scrapinghub 0.968 on vs 0.964 off, wcxb-articles 0.941 both) for ~2% more time.",
    )
    html_rescue: bool = Field(
        True,
        description="Replace trafilatura's text with jusText's when trafilatura found little "
        "of the page (see html_rescue_page_share, html_rescue_ratio). On: trafilatura "
        "under-extracts list- and card-laid-out articles; on wcxb-articles this rescue "
        "raised F1 by 0.007 and changed no scrapinghub page.",
    )
    html_rescue_page_share: float = Field(
        0.2,
        description="Rescue is tried only when trafilatura's text is shorter than this share "
        "of the page's text: trafilatura's own escalation threshold (0.2); 0.1-0.5 all gave "
        "within 0.002 F1 on the dev sets.",
    )
    html_rescue_ratio: float = Field(
        3.0,
        description="jusText's text must be more than this many times longer to be used "
        "(and no longer than the page text). 3 was best on either half of wcxb-articles; "
        "1.5-2 let jusText's boilerplate win on short pages.",
    )
    html_include_comments: bool = Field(
        False,
        description="Keep reader comments after the article. Off: comments are not the "
        "article body, and dropping them raised F1 on both dev sets (+0.007 scrapinghub, "
        "+0.005 wcxb-articles) and halves boilerplate leaks from comment widgets.",
    )
    html_include_tables: bool = Field(
        True,
        description="Keep the text of <table> elements. On: comparison and spec tables are "
        "article content; dropping them cost F1 on both dev sets.",
    )
    html_date_extensive: bool = Field(
        True,
        description="htmldate's extensive date search (free-text scan of the page when meta "
        "tags, JSON-LD and URL say nothing). On, as in trafilatura: on wcxb-articles it finds "
        "the true date on 84.9% of dated pages against 81.3% without, for ~30% more "
        "metadata time.",
    )
    html_title_from_h1: bool = Field(
        True,
        description="Title is the page's <h1> headline when it agrees with the metadata title "
        "(else the metadata title without its ' | Site' part). On: trafilatura's title is the "
        "og:title/<title>, often with the site name; the headline matched wcxb's true titles "
        "on 85% of pages against 53%.",
    )
    html_postclean: bool = Field(
        True,
        description="Remove body blocks that repeat the headline or match docprep's "
        "boilerplate rules (cleaners.html.BOILERPLATE_RULES: 'Read more', share lines, photo "
        "credits, ...). On: the headline is not part of the body, and each rule removed more "
        "boilerplate than body text on the dev sets.",
    )
    dump_min_line_score: float = Field(
        0.5, description="Text-dump cleaner: keep lines whose body probability is at least this."
    )
    dump_clean_min_score: float = Field(
        0.15,
        description="Text-dump cleaner: an input whose every line scores at least this is "
        "taken as an already clean body (trafilatura's output, the cleaner's own output) and "
        "only the boilerplate rules remove from it. 0.15 recognises 97% of the dev sets' true "
        "bodies as clean and only 1.7% of their raw dumps; it is what keeps the HTML post-pass "
        "from eating a clean article and the cleaner idempotent.",
    )
    html_max_date: str = Field(
        "2099-12-31",
        description="Latest publication date accepted from a page (YYYY-MM-DD). htmldate's "
        "default is today, which makes output depend on the day of the run; a fixed bound "
        "keeps it a function of input and config.",
    )


class LanguageConfig(_Section):
    sample_chars: int = Field(
        500,
        description="langdetect sees at most this many characters from the body's middle. "
        "Measured on 400 dev-set bodies against the answer on the whole text: 500 "
        "characters agree on 99.75% at less than half the cost of 1,000.",
    )
    trials: int = Field(
        3,
        description="langdetect's random trials (its default is 7): its cost is mostly these "
        "trials, and 3 agree with 7 on the dev bodies (same measurement).",
    )
    seed: int = Field(0, description="langdetect's DetectorFactory seed: same text, same answer.")
    min_prob: float = Field(
        0.0, description="Below this probability `lang` is 'unknown'."
    )
    keep: tuple[str, ...] = Field(
        (), description="If non-empty, only documents in these languages are kept (reason lang_filtered)."
    )
    trust_declared: bool = Field(
        False,
        description="With `keep`: a document whose input declares its languages (a Common "
        "Crawl WET record's WARC-Identified-Content-Language, from CLD2 on the whole page), "
        "none of them in `keep`, is rejected (lang_filtered) before it is cleaned, which is "
        "most of its cost. Off by default: docprep's own detection on the cleaned text is "
        "what `keep` otherwise trusts, and a page's declared languages miss a short body "
        "in a long foreign frame.",
    )


class QualityConfig(_Section):
    min_words: int = Field(
        20, description="Fewer words after cleaning: rejected as too_short. A news brief has ~50."
    )
    min_chars: int = Field(100, description="Fewer characters after cleaning: rejected as too_short.")
    max_chars: int = Field(
        2_000_000, description="More characters after cleaning: rejected as too_long."
    )


class DedupConfig(_Section):
    exact: bool = Field(
        True,
        description="Drop copies whose normalised text (NFC, casefolded, BOM/zero-width "
        "characters dropped, whitespace collapsed) has the same SHA-256.",
    )
    near: bool = Field(True, description="Drop near-duplicates found by MinHash LSH and verified.")
    threshold: float = Field(
        0.45,
        ge=0.0,
        le=1.0,
        description="Jaccard similarity of word 2-gram shingles, estimated from the two "
        "MinHash signatures, at or above which a candidate is a near-duplicate. Measured on "
        "benchmarks/dedup_quality.py (real article bodies): syndicated copies (boilerplate, a "
        "paragraph cut, lead rewritten, 5-10% words changed, mojibake, 70% truncation) have "
        "Jaccard >= 0.65 (1st percentile), different articles sharing a paragraph or a quote, "
        "or from the same site or topic, <= 0.20. 0.45 sits in that gap, a little towards "
        "precision (a false merge loses a distinct document; a miss keeps a copy).",
    )
    num_perm: int = Field(
        128,
        ge=16,
        description="MinHash values per signature. 128 gives a standard error of ~0.044 on "
        "the Jaccard estimate at the threshold, and a 512-byte signature per indexed document.",
    )
    shingle_words: int = Field(
        2,
        ge=1,
        description="Words per shingle. A copy with a fraction p of its words changed keeps "
        "(1-p)^n of its shingles, so small n tolerates edits; measured, 2-grams separate "
        "copies from hard negatives best (gap 0.20..0.65, vs 0.17..0.56 for 3-grams, "
        "0.14..0.39 for 5-grams; 1-grams let same-topic articles reach 0.36).",
    )
    seed: int = Field(1, description="MinHash seed: fixed, so signatures are comparable across runs.")
    lsh_bands: int = Field(
        0,
        ge=0,
        description="LSH bands. 0: derived from threshold and num_perm by `dedup.lsh_params` "
        "(29 bands x 3 rows for 0.45/128: a pair at the threshold is a candidate with "
        "p=0.94, at 0.55 with p=0.995, at 0.2 with p=0.21).",
    )
    lsh_rows: int = Field(0, ge=0, description="Rows (signature values) per LSH band; used with lsh_bands.")
    max_candidates: int = Field(
        1000,
        ge=1,
        description="LSH candidates verified per document: those sharing the most bands "
        "(a copy shares several, an unrelated document rarely more than one). Bounds the cost "
        "of a check when many weakly similar documents share a band (templated pages, huge "
        "indexes); real articles have ~1 candidate each. Checks that hit the cap are counted "
        "in the stats (candidates_truncated).",
    )
    cache_mb: int = Field(
        128,
        ge=1,
        description="SQLite page cache of the dedup index (signatures and exact keys are read "
        "through it). The LSH band table and sketches are in memory besides: ~270 bytes per "
        "indexed document.",
    )
    flush_every: int = Field(
        10_000,
        ge=1,
        description="Documents between SQLite commits inside a run, to bound the journal. "
        "The run itself stays uncommitted (discarded after a crash) until commit_run.",
    )
    keep: Literal["first"] = Field(
        "first",
        description="Which copy survives: the first published (lowest insertion sequence): "
        "in input order within a run; earlier runs win over later ones.",
    )
    index: str | None = Field(
        None,
        description="Path of the persistent dedup index (SQLite). Default: "
        "`<out>/dedup.sqlite`, so re-runs into the same folder drop what is already there.",
    )
    against: tuple[str, ...] = Field(
        (),
        description="Other corpora to deduplicate against, read-only: each a corpus folder "
        "(its dedup.sqlite) or a dedup index file. A document duplicating one published "
        "there is rejected (duplicate_of, duplicate_of_run, and duplicate_of_corpus naming "
        "the corpus as written here); they are checked before this corpus, in the order "
        "given (earlier corpora win), and never written. Their indexes must have been built "
        "with the same dedup settings (shingles, num_perm, seed, LSH layout).",
    )


class WriteConfig(_Section):
    shard_records: int = Field(10_000, description="Records per data shard.")
    compress: bool = Field(False, description="Write data/part-NNNNN.jsonl.gz instead of .jsonl.")
    report: bool = Field(True, description="Write OUT/report.html (what the run did, for people) after every run.")


class FetchConfig(_Section):
    connect_timeout_s: float = Field(
        10.0,
        gt=0,
        description="TCP connect (and TLS handshake) timeout. A healthy server answers in "
        "well under a second; 10 s tolerates a slow route without stalling a batch.",
    )
    read_timeout_s: float = Field(
        30.0,
        gt=0,
        description="Longest silence allowed while waiting for bytes. 30 s covers slow "
        "page generation; a hung server fails with reason timeout.",
    )
    total_timeout_s: float = Field(
        120.0,
        gt=0,
        description="Wall-clock cap on one request (headers and body). The read timeout "
        "alone lets a server that drips a byte every few seconds hold a worker forever.",
    )
    max_body_bytes: int = Field(
        10 * 1024**2,
        ge=0,
        description="Largest body (after content decoding) kept; a longer one is aborted "
        "mid-stream and rejected (too_large). News pages are well under 1 MB.",
    )
    max_redirects: int = Field(
        5,
        ge=0,
        description="Redirects followed before giving up (too_many_redirects). Real sites "
        "need 1-3 (http->https, www, trailing slash); more is usually a loop.",
    )
    retries: int = Field(
        3,
        ge=0,
        description="Extra attempts on transient failures only (connect errors, timeouts, "
        "429, 500, 502, 503, 504); other failures fail fast.",
    )
    backoff_s: float = Field(
        1.0,
        ge=0,
        description="First retry delay, doubling each retry (1, 2, 4 s): gives a "
        "struggling server room without stalling the batch for long.",
    )
    max_retry_after_s: float = Field(
        60.0,
        ge=0,
        description="Longest Retry-After honoured. A server asking for a longer wait gets "
        "its failure recorded (http_429/http_503) rather than a worker asleep for hours.",
    )
    per_host_concurrency: int = Field(
        2,
        ge=1,
        description="Simultaneous requests to one host, across all the workers of a run "
        "(and of runs into the same corpus): what a browser-sized client would do, so a "
        "list from one site does not hammer it.",
    )
    max_concurrency: int = Field(
        8,
        ge=1,
        description="Requests in flight across all hosts, per worker (its threads). Fetching is "
        "I/O bound; 8 keeps a batch quick without many open sockets.",
    )
    user_agent: str = Field(
        "docprep/0.1 (+https://example.invalid/docprep)",
        description="User-Agent header. Names docprep so site owners can see who fetches "
        "and reach the operator; set the URL to your own contact page.",
    )
    allow_private_addresses: bool = Field(
        False,
        description="Allow fetching loopback, private, link-local, multicast and reserved "
        "addresses. Off: a URL list from elsewhere must not become a way into the internal "
        "network (reason blocked_address).",
    )
    ca_bundle: str | None = Field(
        None,
        description="PEM file of extra CA certificates to trust (e.g. an intranet CA), on "
        "top of certifi's bundle. Default none: only public CAs.",
    )
    archive_warc: bool = Field(
        False,
        description="Keep every fetched response in OUT/fetched/<run>/<batch>-<n>.warc.gz (a docprep "
        "input: the run can be replayed offline). Off: the archives live under OUT/.work/ until "
        "their batch is done.",
    )
    refetch_after_days: float | None = Field(
        None,
        ge=0,
        description="Age (days since the run that last asked) after which a URL skipped as "
        "already fetched (read.skip_processed) is asked again, with If-None-Match / "
        "If-Modified-Since from its last fetch: an unchanged page is rejected as not_modified "
        "without being downloaded, a changed one goes through the pipeline (and dedup). None: "
        "a fetched URL is never asked again (articles rarely change; the corpus has it).",
    )
    robots_txt: bool = Field(
        True,
        description="Obey each site's robots.txt (RFC 9309) for the User-Agent's product token "
        "(`docprep`): a disallowed URL is not fetched (reason robots_disallowed); a robots.txt "
        "the server fails to give (5xx, 429) means complete disallow (robots_unreachable), a "
        "missing one (4xx) allows everything. Turn off only for sites you own or may crawl.",
    )
    max_crawl_delay_s: float = Field(
        30.0,
        ge=0,
        description="Longest Crawl-delay (or Request-rate interval) from a robots.txt that is "
        "honoured: requests to that site are spaced by it. A site asking for more gets its URLs "
        "rejected (robots_crawl_delay) rather than a worker asleep for hours.",
    )


class Config(_Section):
    read: ReadConfig = ReadConfig()
    decode: DecodeConfig = DecodeConfig()
    repair: RepairConfig = RepairConfig()
    extract: ExtractConfig = ExtractConfig()
    language: LanguageConfig = LanguageConfig()
    quality: QualityConfig = QualityConfig()
    dedup: DedupConfig = DedupConfig()
    write: WriteConfig = WriteConfig()
    fetch: FetchConfig = FetchConfig()

    def hash(self) -> str:
        """sha256 of the canonical JSON of the config (everything that can change output)."""
        blob = json.dumps(self.model_dump(mode="json"), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def with_overrides(self, **sections: dict[str, Any]) -> "Config":
        data = self.model_dump()
        for name, values in sections.items():
            data.setdefault(name, {}).update(values)
        return Config.model_validate(data)


def load_config(path: str | Path | None) -> Config:
    """Load a config file (.toml or .json); missing keys take their defaults.

    Raises ConfigError with the offending key and what was expected.
    """
    if path is None:
        return Config()
    p = Path(path)
    try:
        raw = p.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {p}: {exc.strerror or exc}") from exc
    try:
        if p.suffix == ".json":
            data = json.loads(raw)
        else:
            data = tomllib.loads(raw.decode("utf-8"))
    except (ValueError, UnicodeDecodeError) as exc:
        raise ConfigError(f"config file {p} is not valid {'JSON' if p.suffix == '.json' else 'TOML'}: {exc}") from exc
    try:
        return Config.model_validate(data)
    except ValidationError as exc:
        problems = "; ".join(
            f"{'.'.join(str(x) for x in e['loc'])}: {e['msg']}" for e in exc.errors()
        )
        raise ConfigError(f"config file {p} has invalid settings: {problems}") from exc
