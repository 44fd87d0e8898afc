"""A run's summary for people: the rows behind the CLI table and the Prefect artifact."""
from __future__ import annotations

from typing import Any


def summary_rows(manifest: dict[str, Any]) -> list[tuple[str, str, int]]:
    """(stage, reason, count) for every reject reason, then the kept records."""
    rows = []
    for stage in manifest["counts"]["by_stage"]:
        for reason, n in stage["rejected"].items():
            rows.append((stage["stage"], reason, n))
    rows.append(("write", "kept", manifest["counts"]["records"]))
    return rows


def summary_markdown(manifest: dict[str, Any]) -> str:
    c = manifest["counts"]
    attempt = manifest.get("last_attempt")
    lines = []
    if attempt:  # this run added nothing; what follows is the corpus' latest run
        why = (f"all {attempt.get('skipped_inputs', 0)} inputs were already processed"
               if attempt["status"] == "nothing_new" else "an identical run was already published")
        lines += [f"**Nothing new** ({why}). The corpus' latest run:", ""]
    lines += [
        f"# docprep run `{manifest['run_id']}`",
        "",
        f"**{c['inputs']}** input units = **{c['records']}** records + **{c['rejects']}** rejects",
        "",
        "| stage | reason | documents |",
        "|---|---|---:|",
    ]
    lines += [f"| {s} | {r} | {n} |" for s, r, n in summary_rows(manifest)]
    lines += ["", "| language | records |", "|---|---:|"]
    lines += [f"| {lang} | {n} |" for lang, n in manifest.get("languages", {}).items()]
    lines += ["", "| step | seconds |", "|---|---:|"]
    lines += [f"| {k} | {v} |" for k, v in manifest.get("timing_s", {}).items()]
    dedup = manifest.get("dedup", {})
    lines += ["", f"Duplicate clusters: {dedup.get('clusters', 0)}, copies dropped: {dedup.get('dropped', 0)}."]
    return "\n".join(lines) + "\n"
