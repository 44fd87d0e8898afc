"""The one record type that flows through every step, and the reject that replaces it.

A `Document` is born in `read` (raw bytes plus where they came from), gets its text in
`decode`, its body/title/date in `extract`, its `lang` in `language`, is judged by
`quality` and `dedup`, and is written by `write`. Every step appends what it did to
`steps`; that list is the record's provenance. A step that drops a document returns a
`Reject` instead, carrying the stage and the reason as data.
"""
from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

#: What a document's payload is, decided by `read`: a plain-text dump or an HTML page.
KINDS = ("text", "html")


@dataclass(frozen=True, slots=True)
class Source:
    """Where a document came from.

    `uri` is the input path exactly as the user gave it (joined with the path inside a
    folder), or the URL. `sha256` is the hash of the input unit's raw bytes (the file,
    the JSONL line, the WARC record payload, the fetched body). `position` locates the
    unit inside its container: the 1-based line number of a JSONL file, the byte offset
    of a WARC record. `extra` holds format-specific facts (WARC target URI and record id,
    HTTP status and final URL, ...), flattened into the output `source` object.
    """

    uri: str
    sha256: str
    format: str
    position: int | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"uri": self.uri, "sha256": self.sha256, "format": self.format}
        if self.position is not None:
            out["position"] = self.position
        for key, value in self.extra:
            if value is not None:
                out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Source":
        core = {"uri", "sha256", "format", "position"}
        extra = tuple(sorted((k, v) for k, v in data.items() if k not in core))
        return cls(data["uri"], data["sha256"], data["format"], data.get("position"), extra)

    def get(self, key: str, default: Any = None) -> Any:
        return dict(self.extra).get(key, default)


@dataclass(slots=True)
class Document:
    """A document on its way through the pipeline.

    `raw` holds the payload bytes until `decode` turns them into `content` (the page or
    dump as text). `extract` fills `text` (the clean body) and the metadata fields.
    `hints` carries metadata the input itself declared (a JSONL line's `title`, `url`,
    `date`; an HTTP `Content-Type` charset) for later steps to use or override.
    `steps` is the provenance: one dict per step applied, `{"step": name, ...}`.
    `signals` holds per-step data that is not provenance (e.g. the dedup signature).
    """

    source: Source
    kind: str
    raw: bytes | None = None
    content: str = ""
    text: str = ""
    title: str | None = None
    url: str | None = None
    date: str | None = None
    author: str | None = None
    sitename: str | None = None
    lang: str | None = None
    lang_prob: float | None = None
    hints: dict[str, Any] = field(default_factory=dict)
    steps: list[dict[str, Any]] = field(default_factory=list)
    signals: dict[str, Any] = field(default_factory=dict)

    @property
    def id(self) -> str:
        return document_id(self.source)

    def did(self, step: str, **what: Any) -> "Document":
        """Append one provenance entry and return the document (for chaining)."""
        entry = {"step": step}
        entry.update({k: v for k, v in what.items() if v is not None})
        self.steps.append(entry)
        return self


def document_id(source: Source) -> str:
    """A stable id: the same input unit (name, bytes, position) gives the same id on every
    run, whatever the config or the number of workers. Config changes do not change ids,
    so downstream references survive a re-clean; the config hash is in provenance."""
    key = f"{source.uri}\x00{source.sha256}\x00{source.position if source.position is not None else ''}"
    return hashlib.sha256(key.encode("utf-8", "surrogateescape")).hexdigest()[:24]


@dataclass(frozen=True, slots=True)
class Reject:
    """A document or input unit that did not make it into the corpus, and why.

    `stage` is the step name that dropped it (`read`, `decode`, `extract`, `quality`,
    `dedup`, ...), `reason` a short machine-readable code (`empty`, `too_short`,
    `exact_duplicate`, ...), `detail` a sentence a person understands.
    """

    source: Source
    stage: str
    reason: str
    detail: str = ""
    id: str | None = None
    duplicate_of: str | None = None
    duplicate_of_run: str | None = None
    similarity: float | None = None
    extra: tuple[tuple[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "source": self.source.to_dict(),
            "stage": self.stage,
            "reason": self.reason,
            "detail": self.detail,
        }
        if self.duplicate_of is not None:
            out["duplicate_of"] = self.duplicate_of
            out["duplicate_of_run"] = self.duplicate_of_run
            out["similarity"] = self.similarity
        for key, value in self.extra:
            out[key] = value
        return out

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Reject":
        """The inverse of `to_dict`: `Reject.from_dict(r.to_dict()) == r`."""
        known = {"id", "source", "stage", "reason", "detail", "duplicate_of", "duplicate_of_run", "similarity"}
        return cls(Source.from_dict(data["source"]), data["stage"], data["reason"], data.get("detail", ""),
                   data.get("id"), data.get("duplicate_of"), data.get("duplicate_of_run"), data.get("similarity"),
                   tuple((k, v) for k, v in data.items() if k not in known))


def sha256_hex(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
