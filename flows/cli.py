"""The `docprep` command line. Library errors become messages and exit codes here only.

Exit codes: 0 the run completed (rejects included), 2 usage or config error,
3 output folder problem, 4 internal accounting error (a bug).
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any, Optional

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import typer  # noqa: E402
from rich.console import Console  # noqa: E402
from rich.markup import escape  # noqa: E402
from rich.table import Table  # noqa: E402

from cleaners.config import load_config  # noqa: E402
from cleaners.errors import AccountingError, ConfigError, DocprepError, InputError, OutputError  # noqa: E402

app = typer.Typer(
    name="docprep",
    help="Raw article dumps in, clean deduplicated JSONL corpora with provenance out.",
    no_args_is_help=True,
    add_completion=False,
    rich_markup_mode=None,
)
console = Console(stderr=True)
EXIT = {ConfigError: 2, InputError: 2, OutputError: 3, AccountingError: 4}


def _fail(exc: DocprepError) -> None:
    console.print(f"[bold red]error:[/] {exc}")
    raise typer.Exit(EXIT.get(type(exc), 1))


@app.command(epilog="Example: docprep clean seeds --out output/seeds")
def clean(
    inputs: list[str] = typer.Argument(..., help="Files, folders, URL-list files (*.urls) or http(s) URLs."),
    out: Path = typer.Option(Path("output/corpus"), "--out", "-o", help="Corpus folder (created; runs accumulate)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file (.toml or .json)."),
    workers: Optional[int] = typer.Option(None, "--workers", "-w", help="Parallel workers (default: all cores)."),
    dask_address: Optional[str] = typer.Option(None, "--dask-address", help="Run batches on this Dask scheduler, e.g. tcp://10.0.0.5:8786."),
    no_prefect: bool = typer.Option(False, "--no-prefect", help="Run the same pipeline without Prefect (no API start-up)."),
    compress: bool = typer.Option(False, "--compress", help="Write data shards as .jsonl.gz."),
    against: Optional[list[str]] = typer.Option(
        None, "--against", help="Also drop duplicates of documents in this other corpus (its folder or dedup.sqlite; "
        "read-only; repeatable; added to the config's dedup.against)."),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress bar or summary table."),
) -> None:
    """Clean INPUTS into a JSONL corpus with provenance.

    Every input ends up as a record in OUT/data/ or a line in OUT/rejects.jsonl with its
    stage and reason; OUT/manifest.json has the counts, config and shard hashes.
    """
    try:
        cfg = load_config(config)
        if compress:
            cfg = cfg.with_overrides(write={"compress": True})
        if against:
            cfg = cfg.with_overrides(dedup={"against": (*cfg.dedup.against, *against)})
        if no_prefect:
            manifest = _run_local(inputs, out, cfg, workers, quiet)
        else:
            manifest = _run_flow(inputs, out, cfg, workers, dask_address)
    except DocprepError as exc:
        _fail(exc)
    if not quiet:
        _print_summary(manifest, out)


def _run_local(inputs, out, cfg, workers, quiet) -> dict[str, Any]:
    from rich.progress import Progress

    from cleaners.pipeline import run

    if quiet:
        return run(inputs, out, cfg, workers)
    with Progress(console=console, transient=True) as progress:
        bar = progress.add_task("cleaning (batches)", total=None)
        return run(inputs, out, cfg, workers, progress=lambda done, total: progress.update(bar, completed=done, total=total))


def _run_flow(inputs, out, cfg, workers, dask_address) -> dict[str, Any]:
    import json

    from flows.local_api import start_local_api, using

    # Prefect's temporary API (when none is configured) boots while the flow is imported
    # and the first batches run (`RunAhead`, local workers only); with Dask, its workers
    # use it too (each would otherwise start a server of its own).
    api = start_local_api()
    ahead = None
    try:
        from flows.clean import runnable_flow

        flow = runnable_flow(workers, dask_address)
        if not dask_address:
            from cleaners.pipeline import default_workers, prepare_run
            from cleaners.worker import RunAhead, prestart

            n = workers or default_workers()
            prestart(n)
            ahead = RunAhead(prepare_run(inputs, out, cfg), n)
    except BaseException:
        if api is not None:
            api.stop()
        raise
    with using(api):
        if ahead is not None:
            ahead.stop()  # the flow's tasks take over: they join the batches running now
        state = flow(inputs=list(inputs), out=str(out), config=cfg.model_dump(mode="json"), return_state=True)
    if state.is_failed():
        try:
            state.result()
        except DocprepError:
            raise
        except Exception as exc:  # surfaced with the flow's own message
            raise OutputError(f"the flow run failed: {exc}") from exc
    return json.loads((out / "manifest.json").read_text())


def _print_summary(manifest: dict[str, Any], out: Path) -> None:
    from cleaners.summary import summary_rows

    c = manifest["counts"]
    attempt = manifest.get("last_attempt")
    if attempt:
        why = (f"all {attempt.get('skipped_inputs', 0)} inputs were already processed"
               if attempt["status"] == "nothing_new" else "an identical run was already published")
        Console().print(f"nothing new: {why}; the corpus is unchanged. Its latest run:")
    table = Table(title=f"docprep run {manifest['run_id']}: {c['inputs']} inputs = {c['records']} kept + {c['rejects']} rejected")
    table.add_column("stage")
    table.add_column("reason")
    table.add_column("documents", justify="right")
    for stage, reason, n in summary_rows(manifest):
        table.add_row(stage, reason, str(n))
    out_console = Console()
    out_console.print(table)
    langs = ", ".join(f"{k} {v}" for k, v in manifest.get("languages", {}).items()) or "-"
    total = sum(manifest.get("timing_s", {}).values())
    out_console.print(f"languages: {langs}")
    out_console.print(f"time: {total:.1f}s in steps ({', '.join(f'{k} {v:.2f}s' for k, v in manifest.get('timing_s', {}).items())})")
    out_console.print(f"corpus: {out}/manifest.json, rejects: {out}/rejects.jsonl")


@app.command(epilog="Example: docprep report output/seeds")
def report(
    out: Path = typer.Argument(..., help="A corpus folder written by docprep clean."),
    run: Optional[str] = typer.Option(None, "--run", help="Run id (default: the latest run)."),
) -> None:
    """Write OUT/report.html: counts per stage and reason, languages, lengths, removed lines
    and why, duplicate clusters, encoding repairs, time per step. Opens from disk."""
    from cleaners.report import write_report

    try:
        path = write_report(out, run)
    except DocprepError as exc:
        _fail(exc)
    Console().print(f"report: {path}")


@app.command(epilog="Example: docprep explain output/seeds edeaf46dc2db3728f9042cd0 (or by source: "
                     "docprep explain output/seeds seeds/000_cc37ebd74bd6c639.txt)")
def explain(
    out: Path = typer.Argument(..., help="A corpus folder written by docprep clean."),
    doc_id: str = typer.Argument(..., metavar="ID_OR_SOURCE",
                                 help="A record's or a reject's id, or an input's path or URL as the corpus names it."),
    as_json: bool = typer.Option(False, "--json", help="Print the explanation as JSON."),
) -> None:
    """Explain one document: where it came from, what each step did to it (or where and
    why it was dropped, and what it duplicates), and for a text dump each of its lines
    with its verdict: kept, or removed and why. Given an input holding several documents
    (a JSONL or WARC file), list them, each with its id and outcome."""
    import json as _json

    from cleaners.report import explain as explain_document

    try:
        info = explain_document(out, doc_id)
    except DocprepError as exc:
        _fail(exc)
    if as_json:
        print(_json.dumps(info, ensure_ascii=False, indent=1))
        return
    show = Console()  # the explanation on stdout (errors go to stderr)
    if info["outcome"] == "source":
        units = info["units"]
        show.print(f"{len(units)} documents from {escape(doc_id)} (docprep explain {escape(str(out))} ID for one):")
        for u in units:
            at = "" if u["position"] is None else f"@ {u['position']} "
            what = (f"[green]kept[/] {escape(str(u.get('title')))}" if u["outcome"] == "kept"
                    else f"[red]rejected[/] at {u['stage']}: {u['reason']}")
            show.print(f"  {u['id'] or '(no id)':24s} {at}{what}", highlight=False)
        return
    src = info["source"]
    where = f"{src.get('uri')}" + (f" @ {src['position']}" if src.get("position") is not None else "")
    show.print(f"[bold]{info['id'] or '(no id)'}[/] from {escape(where)} ({src.get('format')}, sha256 {str(src.get('sha256'))[:12]}…)")
    if info["outcome"] == "rejected":
        rej = info["reject"]
        show.print(f"[red]rejected[/] at {rej.get('stage')}: {rej.get('reason')} - {escape(str(rej.get('detail', '')))}")
        if info.get("kept_copy"):
            k = info["kept_copy"]
            show.print(f"kept copy: {k['id']} from {escape(k['uri'])} ({escape(str(k.get('title')))})")
        return
    show.print(f"[green]kept[/]: {escape(str(info.get('title')))} ({info.get('lang')}, {info['chars']} characters)")
    for step in info["provenance"].get("steps", []):
        facts = ", ".join(f"{k}={v}" for k, v in step.items() if k not in ("step", "removed"))
        show.print(f"  {step['step']:9s} {escape(facts)[:160]}")
    if "lines" in info:
        show.print(f"lines of {escape(info['lines_from'])} (- removed, with the reason):")
        for n, (line, verdict) in enumerate(info["lines"]):
            if verdict == "kept":
                show.print(f"{n:5d}   {escape(line)}", highlight=False)
            elif verdict:
                show.print(f"{n:5d} - [dim]{escape(line)}[/]  [yellow]({verdict})[/]", highlight=False)
    elif info.get("lines_missing"):
        show.print(f"lines not shown: {escape(info['lines_missing'])}")


@app.command(epilog="Example: docprep validate output/seeds")
def validate(out: Path = typer.Argument(..., help="A corpus folder written by docprep clean.")) -> None:
    """Check a corpus folder: shard hashes and counts against the manifest, every record
    against the record JSON Schema."""
    from cleaners.validate import validate_corpus

    try:
        problems = validate_corpus(out)
    except DocprepError as exc:
        _fail(exc)
    for p in problems:
        console.print(f"[red]{p}[/]")
    if problems:
        raise typer.Exit(1)
    Console().print(f"{out}: ok")


@app.command(epilog="Example: docprep index evalsets/*.jsonl --index refs/evalsets.sqlite --ngrams 13, then "
             "docprep clean crawl --against refs/evalsets.sqlite")
def index(
    inputs: list[str] = typer.Argument(..., help="JSONL files (their text field) and .txt files, or folders of them."),
    index_file: Path = typer.Option(..., "--index", "-i", help="The dedup index file to add them to (created if missing)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c",
                                          help="Config file: its dedup settings must be those of the runs that will use the index."),
    ngrams: int = typer.Option(0, "--ngrams", min=0, help="Also keep each text's N-word sequences (13 is usual): a "
                               "corpus document holding --min-ngrams of one text's is a contaminated reject. "
                               "Fixed when the index is made. 0: whole-text duplicates only."),
    min_ngrams: int = typer.Option(1, "--min-ngrams", min=1, help="Sequences of one text a document must hold "
                                   "(all of them, for a text with fewer)."),
    as_json: bool = typer.Option(False, "--json", help="Print what was done as JSON."),
) -> None:
    """Index texts as they are (another project's corpus, a test set to keep out) for
    dedup.against: a corpus cleaned with --against INDEX drops what duplicates them and,
    with --ngrams, what quotes them.

    No boilerplate removal or filtering, only the encoding repaired. Pages (HTML, WARC) are
    not_text rejects: clean them with docprep clean and give that corpus instead. Rejects,
    and texts duplicating one already indexed, go to INDEX.rejects.jsonl.
    """
    import json

    from cleaners.reference import index_texts

    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    try:
        with Progress(SpinnerColumn(), TextColumn("indexing: {task.completed:,} texts"), TimeElapsedColumn(),
                      console=console, transient=True, disable=as_json) as bar:
            task = bar.add_task("index", total=None)
            done = index_texts(inputs, index_file, load_config(config), ngrams, min_ngrams,
                               progress=lambda: bar.advance(task))
    except DocprepError as exc:
        _fail(exc)
    if as_json:
        print(json.dumps(done, indent=2))
        return
    if done["status"] == "already_indexed":
        console.print(f"{escape(str(index_file))}: these inputs are already indexed (run {done['run_id']}); nothing added")
        return
    console.print(f"{escape(str(index_file))}: run {done['run_id']}: {done['indexed']} of {done['inputs']} texts indexed, "
                  f"{done['rejects']} rejects ({escape(done['rejects_path'])}); "
                  f"{done['indexed_documents']} documents in {done['committed_runs']} runs")
    for reason, n in done["by_reason"].items():
        console.print(f"  {reason}: {n}")
    if done["indexed_without_sequences"]:
        console.print(f"  {done['indexed_without_sequences']} texts of fewer than {ngrams} words: indexed for "
                      "whole-text duplicates only")


@app.command(epilog="Example: docprep export output/seeds --to output/seeds-dolma")
def export(
    out: Path = typer.Argument(..., help="A corpus folder written by docprep clean."),
    to: Path = typer.Option(..., "--to", help="Folder to write the export to (documents/ and export.json)."),
    source: str = typer.Option("docprep", "--source", help="The documents' source name (dolma's mandatory field)."),
) -> None:
    """Write the corpus as dolma documents (gzipped JSONL under TO/documents/, one file
    per shard), each with the record's source and provenance in its metadata. Again into
    the same folder after later runs: only the new shards are written. (datatrove and
    Hugging Face datasets read docprep's shards as they are.)"""
    from cleaners.export import export_dolma

    try:
        done = export_dolma(out, to, source)
    except DocprepError as exc:
        _fail(exc)
    console.print(f"{escape(str(to))}: {done['records']:,} documents in {len(done['files'])} files "
                  f"({done['written']} written, {done['kept']} already there); listing in export.json")


@app.command(epilog='Example: docprep serve seeds --out output/corpus --cron "*/5 * * * *"')
def serve(
    inputs: list[str] = typer.Argument(..., help="Files, folders, URL-list files (*.urls) or http(s) URLs, relative to this directory."),
    out: Path = typer.Option(Path("output/corpus"), "--out", "-o", help="Corpus folder (created; runs accumulate)."),
    cron: str = typer.Option("*/5 * * * *", "--cron", help="When to run (cron, five fields, UTC)."),
    config: Optional[Path] = typer.Option(None, "--config", "-c", help="Config file (.toml or .json), read once now."),
    name: str = typer.Option("docprep-clean", "--name", help="Deployment name: runs show as clean_corpus/NAME."),
) -> None:
    """Run the clean_corpus flow on a schedule until interrupted (Ctrl-C).

    Registers the deployment clean_corpus/NAME with the Prefect server in PREFECT_API_URL
    (start one with: prefect server start) and runs each scheduled or manually triggered
    run (UI, prefect deployment run clean_corpus/NAME) in a child process of this one.
    """
    from flows.serve import serve as serve_flow

    try:
        serve_flow(inputs, out, cron=cron, config=config, name=name)
    except DocprepError as exc:
        _fail(exc)


def main() -> None:
    app()


if __name__ == "__main__":
    sys.exit(main())
