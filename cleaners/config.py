"""One immutable config object with documented defaults, overridable from a TOML or JSON file.

Each section is named after the step it configures (`read`, `decode`, `extract`,
`language`, `quality`, `dedup`, `write`, `fetch`), the same name the step has in code,
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


class ReadConfig(_Section):
    max_input_bytes: int = Field(
        2 * 1024**3,
        description="Largest input file read (compressed size). Larger files are rejected "
        "(stage read, reason too_large) rather than risking the run.",
    )
    max_decompressed_bytes: int = Field(
        256 * 1024**2,
        description="Cap on the bytes a single .gz input may expand to: a decompression "
        "bomb is rejected (reason decompression_limit) with bounded memory.",
    )
    max_document_bytes: int = Field(
        16 * 1024**2,
        description="Largest single document (a file, a JSONL line, a WARC record). "
        "News articles are well under 1 MB; 16 MB leaves room for huge pages.",
    )
    follow_symlinks: bool = Field(True, description="Follow symlinks in folders (loops are detected and rejected).")


class DecodeConfig(_Section):
    fix_encoding: bool = Field(True, description="Run ftfy to repair mojibake.")
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
        description="Time allowed to extract one HTML page. trafilatura has no timeout in "
        "its Python API and some pages take minutes; over the limit the page is rejected "
        "(reason timeout) and the run goes on.",
    )
    html_favor: Literal["balanced", "precision", "recall"] = Field(
        "balanced", description="trafilatura's precision/recall trade-off."
    )
    html_postclean: bool = Field(
        True, description="Run the text-dump line cleaner over trafilatura's output."
    )
    dump_min_line_score: float = Field(
        0.5, description="Text-dump cleaner: keep lines whose body probability is at least this."
    )


class LanguageConfig(_Section):
    sample_chars: int = Field(
        1000,
        description="langdetect sees at most this many characters, taken from the body's "
        "middle: ~3 ms instead of ~13 ms on a 7 KB article, same answer in practice.",
    )
    seed: int = Field(0, description="langdetect's DetectorFactory seed: same text, same answer.")
    min_prob: float = Field(
        0.0, description="Below this probability `lang` is 'unknown'."
    )
    keep: tuple[str, ...] = Field(
        (), description="If non-empty, only documents in these languages are kept (reason lang_filtered)."
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
    exact: bool = Field(True, description="Drop copies whose normalised text hashes equal.")
    near: bool = Field(True, description="Drop near-duplicates found by MinHash LSH and verified.")
    threshold: float = Field(
        0.8,
        description="Jaccard similarity of word 5-gram shingles at or above which two "
        "documents are near-duplicates (verified on the signatures).",
    )
    num_perm: int = Field(128, description="MinHash permutations.")
    shingle_words: int = Field(5, description="Words per shingle.")
    keep: Literal["first"] = Field(
        "first",
        description="Which copy survives: the first in input order within a run; earlier "
        "runs win over later ones.",
    )
    index: str | None = Field(
        None,
        description="Path of the persistent dedup index (SQLite). Default: "
        "`<out>/dedup.sqlite`, so re-runs into the same folder drop what is already there.",
    )


class WriteConfig(_Section):
    shard_records: int = Field(10_000, description="Records per data shard.")
    compress: bool = Field(False, description="Write data/part-NNNNN.jsonl.gz instead of .jsonl.")


class FetchConfig(_Section):
    connect_timeout_s: float = Field(10.0, description="TCP connect timeout.")
    read_timeout_s: float = Field(30.0, description="Read timeout between bytes.")
    max_body_bytes: int = Field(10 * 1024**2, description="Larger responses are rejected (too_large).")
    max_redirects: int = Field(5, description="Redirects followed before giving up.")
    retries: int = Field(3, description="Retries on transient failures (connect errors, 429, 5xx).")
    backoff_s: float = Field(1.0, description="First retry delay; doubles each retry.")
    per_host_concurrency: int = Field(2, description="Simultaneous requests to one host.")
    user_agent: str = Field("docprep/0.1 (+https://example.invalid/docprep)", description="User-Agent header.")
    allow_private_addresses: bool = Field(
        False,
        description="Allow fetching loopback, private and link-local addresses. Off: a URL "
        "list from elsewhere must not become a way into the internal network.",
    )
    archive_warc: bool = Field(False, description="Archive every fetched response to OUT/fetched.warc.gz.")


class Config(_Section):
    read: ReadConfig = ReadConfig()
    decode: DecodeConfig = DecodeConfig()
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
