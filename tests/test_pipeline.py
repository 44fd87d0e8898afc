"""The whole library path on real files: accounting, schema, determinism, reruns, resume."""
import gzip
import json
from pathlib import Path

import pytest

from cleaners.config import Config
from cleaners.pipeline import finalize_run, prepare_run, run
from cleaners.validate import iter_records, validate_corpus
from cleaners.worker import _Budget, run_batch
from conftest import clean_seeds


def shard_bytes(out: Path) -> list[bytes]:
    m = json.loads((out / "manifest.json").read_text())
    return [(out / s["path"]).read_bytes() for s in m["shards"]]


def test_seeds_give_five_records(seeds_run):
    records = list(iter_records(seeds_run))
    assert len(records) == 5
    assert all(r["title"] and r["text"] and r["lang"] == "en" for r in records)
    assert [r["source"]["uri"] for r in records] == sorted(r["source"]["uri"] for r in records)


def test_records_validate_against_the_schema(seeds_run):
    assert validate_corpus(seeds_run) == []


def test_manifest_accounts_for_every_input(seeds_run):
    m = json.loads((seeds_run / "manifest.json").read_text())
    c = m["counts"]
    assert c["inputs"] == c["records"] + c["rejects"] == 5
    chain = c["by_stage"]
    for before, after in zip(chain, chain[1:]):
        assert before["out"] == after["in"]
    assert chain[-1]["out"] == c["records"]
    assert m["inputs"][0]["sha256"] and m["config_hash"] and m["libraries"]["trafilatura"]
    for shard in m["shards"]:
        assert set(shard) >= {"path", "records", "sha256"}


def test_provenance_names_each_step(seeds_run):
    rec = next(iter_records(seeds_run))
    steps = [s["step"] for s in rec["provenance"]["steps"]]
    assert steps == ["decode", "extract", "repair", "quality", "language"]
    extract = rec["provenance"]["steps"][1]
    assert extract["method"] == "textdump" and extract["removed"]


def test_two_runs_are_byte_identical_whatever_the_workers(tmp_path, seeds_run):
    clean_seeds(tmp_path / "b", workers=2)
    assert shard_bytes(seeds_run) == shard_bytes(tmp_path / "b")


def test_rerun_without_skipping_traces_every_copy_to_the_first_run(tmp_path):
    cfg = Config().with_overrides(read={"skip_processed": False})
    first = clean_seeds(tmp_path / "c", cfg=cfg, workers=0)
    second = clean_seeds(tmp_path / "c", cfg=cfg, workers=0)
    assert second["counts"]["records"] == 0
    assert len(second["runs"]) == 2 and second["run_id"] != first["run_id"]
    first_ids = {r["id"] for r in iter_records(tmp_path / "c")}
    rejects = [json.loads(l) for l in open(tmp_path / "c" / "runs" / second["run_id"] / "rejects.jsonl")]
    assert len(rejects) == 5
    for r in rejects:
        assert r["stage"] == "dedup" and r["reason"] == "exact_duplicate"
        assert r["duplicate_of"] in first_ids and r["duplicate_of_run"] == first["run_id"]
    assert validate_corpus(tmp_path / "c") == []


def test_duplicates_within_a_run_name_the_kept_copy(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    text = Path("seeds/000_cc37ebd74bd6c639.txt").read_text() if Path("seeds").exists() else None
    text = text or (Path(__file__).parent.parent / "seeds" / "000_cc37ebd74bd6c639.txt").read_text()
    (src / "a.txt").write_text(text)
    (src / "b.txt").write_text(text.replace("\n", "\r\n"))  # same text, other line ends
    m = run([str(src)], tmp_path / "out", workers=0)
    assert m["counts"]["records"] == 1
    [rej] = [json.loads(l) for l in open(tmp_path / "out" / "rejects.jsonl")]
    [kept] = list(iter_records(tmp_path / "out"))
    assert rej["duplicate_of"] == kept["id"] and kept["source"]["uri"].endswith("a.txt")
    assert m["dedup"]["clusters"] == 1


def test_resume_skips_finished_batches(tmp_path):
    cfg = Config()
    plan = prepare_run([str(Path(__file__).parent.parent / "seeds")], tmp_path / "r", cfg)
    first = run_batch(plan, plan.batches[0], in_process=True)
    again = run_batch(plan, plan.batches[0], in_process=True)
    assert again.get("resumed") and again["units"] == first["units"]
    m = finalize_run(plan)
    assert m["counts"]["inputs"] == 5


def test_a_batch_running_in_this_process_is_joined_not_run_again(tmp_path, monkeypatch):
    """`run_batch` is single-flight per batch within a process: the flow's task for a batch
    that `RunAhead` is running waits for it instead of starting it a second time."""
    import threading

    from cleaners import worker

    plan = prepare_run([str(Path(__file__).parent.parent / "seeds")], tmp_path / "r", Config())
    started, release, calls = threading.Event(), threading.Event(), []
    process = worker._process

    def slow_process(*args, **kwargs):
        calls.append(1)
        started.set()
        release.wait(30)
        return process(*args, **kwargs)

    monkeypatch.setattr(worker, "_process", slow_process)
    results = {}
    first = threading.Thread(target=lambda: results.setdefault("first", run_batch(plan, plan.batches[0], True, ahead=True)))
    first.start()
    assert started.wait(30)
    second = threading.Thread(target=lambda: results.setdefault("second", run_batch(plan, plan.batches[0], True)))
    second.start()
    release.set()
    first.join(60)
    second.join(60)
    assert len(calls) == 1
    assert results["second"]["ahead"] and results["second"]["units"] == results["first"]["units"] == 5
    later = run_batch(plan, plan.batches[0], True)  # done, and the joiner took the "ahead" mark
    assert later.get("resumed") and not later.get("ahead")


def test_batches_run_ahead_are_taken_over_by_their_tasks(tmp_path, monkeypatch):
    """`RunAhead` (what `docprep clean` runs while Prefect's API starts) runs the first
    batches; the callers that follow get those as `ahead` and run the rest; the corpus is
    byte-identical to a plain run."""
    import threading

    from cleaners import worker
    from conftest import write_generated_corpus

    inp = tmp_path / "in"
    write_generated_corpus(inp, 130, copies_every=9)
    plain = run([str(inp)], tmp_path / "plain", workers=0)
    plan = prepare_run([str(inp)], tmp_path / "ahead", Config())
    assert len(plan.batches) == 3
    process, ahead = worker._process, None

    def process_then_stop(*args, **kwargs):  # the API "comes up" after the first batch
        summary = process(*args, **kwargs)
        if threading.current_thread().name.startswith("docprep-ahead"):
            ahead.stop()
        return summary

    monkeypatch.setattr(worker, "_process", process_then_stop)
    ahead = worker.RunAhead(plan, 1)
    summaries = [run_batch(plan, b) for b in plan.batches]
    ahead.join(60)
    assert [bool(s.get("ahead")) for s in summaries] == [True, False, False]
    assert not any(s.get("resumed") or s.get("joined") for s in summaries)
    assert finalize_run(plan, summaries)["counts"] == plain["counts"]
    assert shard_bytes(tmp_path / "ahead") == shard_bytes(tmp_path / "plain")


def test_bad_inputs_are_all_accounted_for(tmp_path):
    src = tmp_path / "bad"
    src.mkdir()
    (src / "empty.txt").write_bytes(b"")
    (src / "garbage.txt").write_bytes(bytes(range(256)) * 40)
    words = [w.encode() for w in "alpha beta gamma delta epsilon zeta eta theta iota kappa".split()]
    rnd = __import__("random").Random(0)
    (src / "trunc.txt.gz").write_bytes(gzip.compress(b" ".join(rnd.choice(words) for _ in range(20000)))[:2000])
    (src / "bomb.html.gz").write_bytes(gzip.compress(b"<p>" + b"a" * (64 * 1024 * 1024)))
    (src / "dump.jsonl").write_text('{"text": "short"}\n{oops\n\n{"html": "<html><body><article><p>' + "A real paragraph of words. " * 40 + '</p></article></body></html>"}\n')
    (src / "deep.html").write_text("<div>" * 200000 + "deep" + "</div>" * 200000)
    (src / "cp1252.txt").write_bytes(("“Smart quotes” and the euro sign € appear in this long enough sentence about prices. " * 5).encode("cp1252"))
    (src / "photo.png").write_bytes(b"\x89PNG\r\n")
    (src / "tiny").mkdir()
    for i in range(300):  # a folder of many tiny files
        (src / "tiny" / f"t{i:04d}.txt").write_text(f"tiny {i}")
    (src / "long-line.txt").write_text("word " * 600_000)  # one enormous line, over quality.max_chars
    import os
    (src / os.fsdecode(b"caf\xe9-name-not-utf8.txt")).write_text("Un article en français sur le café. " * 20)
    from typer.testing import CliRunner

    from flows.cli import app

    result = CliRunner().invoke(app, ["clean", str(src), "--out", str(tmp_path / "out"), "--no-prefect", "-w", "1", "-q"])
    assert result.exit_code == 0, result.output
    m = json.loads((tmp_path / "out" / "manifest.json").read_text())
    c = m["counts"]
    assert c["inputs"] == c["records"] + c["rejects"] == 10 + 300 + 1 + 1
    assert validate_corpus(tmp_path / "out") == []
    assert any(r["source"]["uri"].endswith("\udce9-name-not-utf8.txt") for r in iter_records(tmp_path / "out"))
    reasons = {(r["stage"], r["reason"]) for r in map(json.loads, open(tmp_path / "out" / "rejects.jsonl"))}
    assert {("read", "empty"), ("read", "corrupt_gzip"), ("read", "too_large"),
            ("read", "bad_json_line"), ("read", "unsupported_format"), ("quality", "too_short"),
            ("quality", "too_long")} <= reasons
    texts = [r["text"] for r in iter_records(tmp_path / "out")]
    assert any("“Smart quotes”" in t and "€" in t for t in texts)


#: A page trafilatura takes well over half a second to extract.
SLOW_PAGE = "<html><body>" + "".join(f"<div><p>Paragraph {i} with some words in it.</p><a href='/x{i}'>link {i}</a></div>"
                                     for i in range(60000)) + "</body></html>"


def test_a_document_over_the_time_limit_is_rejected_and_the_run_goes_on(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    (src / "a-slow.html").write_text(SLOW_PAGE)
    (src / "b-fine.txt").write_text("A fine document. " * 50)
    cfg = Config().with_overrides(extract={"html_timeout_s": 0.5})
    m = run([str(src)], tmp_path / "out", cfg, workers=1)
    rejects = [json.loads(l) for l in open(tmp_path / "out" / "rejects.jsonl")]
    assert [(r["source"]["uri"].rsplit("/", 1)[-1], r["reason"]) for r in rejects] == [("a-slow.html", "timeout")]
    assert m["counts"]["records"] == 1


def test_a_long_read_between_documents_is_no_timeout(tmp_path, monkeypatch):
    """Reading is no document's time: a stretch of input that yields no unit for longer
    than the limit plus READ_SLACK_S (16 million blank lines, several seconds to read)
    is read to its end, because the worker reports the read's progress."""
    from cleaners import worker

    monkeypatch.setattr(worker, "READ_SLACK_S", 3.5)  # allowed between reports: 4 s
    seeds = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    doc = lambda p: json.dumps({"text": p.read_text()}).encode() + b"\n"  # noqa: E731
    (tmp_path / "gap.jsonl.gz").write_bytes(gzip.compress(doc(seeds[0]) + b"\n" * 16_000_000 + doc(seeds[1]), 1))
    cfg = Config().with_overrides(extract={"html_timeout_s": 0.5})
    m = run([str(tmp_path / "gap.jsonl.gz")], tmp_path / "out", cfg, workers=1)
    assert m["counts"]["records"] == 2 and m["counts"]["rejects"] == 0


def test_the_time_limit_is_per_document_over_all_its_steps():
    """The worker reports (unit, step) before each step of each unit of a chunk; the time
    until the next message is that unit's. A document whose steps each stay under the
    limit but together exceed it runs out, and time spent on the chunk's other documents
    is not charged to it."""
    b = _Budget(1.0)
    assert b.left(0.0) == 1.0  # between chunks: the whole limit
    b.started(0, 0.0)  # unit 0, step extract
    b.started(1, 0.6)  # unit 0 took 0.6 s; unit 1, step extract
    assert b.left(0.7) == pytest.approx(0.9)
    b.started(0, 0.9)  # unit 1 took 0.3 s; unit 0, step repair
    assert b.left(0.9) == pytest.approx(0.4)
    assert b.left(1.3) == pytest.approx(0.0)  # 0.6 + 0.4 s: unit 0 is out of time
    b.started(1, 1.2)  # unit 0 took 0.9 s in all, under the limit; unit 1, step repair
    assert b.left(1.2) == pytest.approx(0.7)
    b.finished(0, 1.5)  # results: unit 1 took 0.6 s in all, the units' time is forgotten
    b.finished(1, 1.5)
    assert b.spent == {} and b.left(2.0) == 1.0


def test_a_timeout_inside_a_chunk_loses_none_of_its_other_documents(tmp_path):
    """A worker takes its units in chunks and sends a chunk's results after its last step:
    killed on the chunk's second document, the first has no result yet. The next worker
    starts again at the first and skips the second; every unit ends as a record or a
    reject, the records in input order, and the same records as a run without the slow
    page."""
    src = tmp_path / "in"
    src.mkdir()
    seeds = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    (src / "a.txt").write_bytes(seeds[0].read_bytes())
    (src / "b-slow.html").write_text(SLOW_PAGE)
    (src / "c.txt").write_bytes(seeds[1].read_bytes())
    cfg = Config().with_overrides(extract={"html_timeout_s": 0.5})
    m = run([str(src)], tmp_path / "out", cfg, workers=1)
    rejects = [json.loads(l) for l in open(tmp_path / "out" / "rejects.jsonl")]
    assert [(r["source"]["uri"].rsplit("/", 1)[-1], r["stage"], r["reason"]) for r in rejects] == [
        ("b-slow.html", "extract", "timeout")]
    assert [r["source"]["uri"].rsplit("/", 1)[-1] for r in iter_records(tmp_path / "out")] == ["a.txt", "c.txt"]
    assert m["counts"]["records"] == 2 and m["counts"]["rejects"] == 1
    (src / "b-slow.html").unlink()
    run([str(src)], tmp_path / "ref", cfg, workers=0)
    texts = lambda out: [r["text"] for r in iter_records(out)]  # noqa: E731
    assert texts(tmp_path / "out") == texts(tmp_path / "ref")


def test_steps_run_over_a_chunk_bounded_by_units_and_bytes(tmp_path, monkeypatch):
    """A batch's documents go through the steps a chunk at a time, each step over the
    whole chunk; a chunk ends at CHUNK_UNITS units or once its payloads reach CHUNK_BYTES.
    Either way each document gets the same result."""
    from cleaners import pipeline

    seeds = str(Path(__file__).parent.parent / "seeds")
    plan = prepare_run([seeds], tmp_path / "out", Config())
    batch = pipeline.Batch.from_dict(plan.batches[0])

    def run_batch_in_process():
        calls = []
        lines = list(pipeline.process_batch(batch, Config(), on_start=lambda i, doc, step: calls.append((i, step))))
        return lines, calls

    lines, calls = run_batch_in_process()
    steps = [name for name, _ in pipeline.STEPS]
    assert calls[:5] == [(i, "decode") for i in range(5)] and calls[5] == (0, "extract")
    monkeypatch.setattr(pipeline, "CHUNK_BYTES", 1)  # every document its own chunk
    one_by_one, calls = run_batch_in_process()
    assert calls[:len(steps)] == [(0, step) for step in steps]
    assert one_by_one == lines and len(lines) == 5


def test_incremental_rerun_adds_nothing_and_says_so(tmp_path):
    first = clean_seeds(tmp_path / "c", workers=0)
    again = clean_seeds(tmp_path / "c", workers=0)
    assert again["last_attempt"]["status"] == "nothing_new" and again["last_attempt"]["skipped_inputs"] == 5
    assert again["runs"] == first["runs"] and again["shards"] == first["shards"]


def test_incremental_new_file_and_changed_file(tmp_path):
    src = tmp_path / "in"
    src.mkdir()
    seeds = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    for p in seeds[:3]:
        (src / p.name).write_bytes(p.read_bytes())
    first = run([str(src)], tmp_path / "c", workers=0)
    assert first["counts"]["records"] == 3
    (src / seeds[3].name).write_bytes(seeds[3].read_bytes())            # one new file
    second = run([str(src)], tmp_path / "c", workers=0)
    assert second["counts"]["skipped_inputs"] == 3 and second["counts"]["inputs"] == 1
    assert second["counts"]["records"] == 1 and len(second["runs"]) == 2
    (src / seeds[0].name).write_bytes(seeds[4].read_bytes())            # a changed file
    third = run([str(src)], tmp_path / "c", workers=0)
    assert third["counts"]["inputs"] == 1 and third["counts"]["records"] == 1
    run_manifest = json.loads((tmp_path / "c" / "runs" / third["run_id"] / "manifest.json").read_text())
    [sup] = run_manifest["superseded"]
    assert sup["uri"].endswith(seeds[0].name) and sup["old_run"] == first["run_id"]
    assert sum(1 for _ in iter_records(tmp_path / "c")) == 5


SEED_CASES = sorted((Path(__file__).parent / "cases" / "seeds").glob("*.json"))


@pytest.mark.parametrize("case", SEED_CASES, ids=[p.stem for p in SEED_CASES])
def test_golden_seed_through_the_whole_pipeline(case, seeds_run):
    """The same golden cases as the cleaner's, checked on the corpus a user gets."""
    expected = json.loads(case.read_text())
    [rec] = [r for r in iter_records(seeds_run) if Path(r["source"]["uri"]).stem == case.stem]
    assert rec["title"] == expected["title"]
    for snippet in expected["must_appear"]:
        assert snippet in rec["text"]
    for snippet in expected["must_not_appear"]:
        assert snippet not in rec["text"]
    if expected.get("date"):
        assert rec["date"] == expected["date"]


def test_crash_after_the_index_commit_but_before_the_manifest(tmp_path, monkeypatch, seeds_run):
    """The corpus manifest is the commit point: index entries of a run that never got
    there are discarded by the next attempt, which then publishes the same shards."""
    import cleaners.pipeline as pipeline

    def crash(*args, **kwargs):
        raise KeyboardInterrupt("killed between the index commit and the manifest")

    monkeypatch.setattr(pipeline, "build_corpus_manifest", crash)
    with pytest.raises(KeyboardInterrupt):
        clean_seeds(tmp_path / "c", workers=0)
    monkeypatch.undo()
    m = clean_seeds(tmp_path / "c", workers=0)
    assert m["counts"]["records"] == 5 and len(m["runs"]) == 1
    assert shard_bytes(tmp_path / "c") == shard_bytes(seeds_run)


def test_two_identical_runs_finishing_together_publish_once(tmp_path):
    """A scheduled run and a manual one over the same inputs may overlap: the second to
    finalize finds the run already published and writes nothing twice."""
    from concurrent.futures import ThreadPoolExecutor

    seeds = str(Path(__file__).parent.parent / "seeds")
    plans = [prepare_run([seeds], tmp_path / "c", Config()) for _ in range(2)]
    assert plans[0].run_id == plans[1].run_id
    for b in plans[0].batches:
        run_batch(plans[0], b, in_process=True)
    with ThreadPoolExecutor(2) as pool:
        results = list(pool.map(finalize_run, plans))
    assert sorted(r.get("last_attempt", {}).get("status", "published") for r in results) == ["already_published", "published"]
    m = json.loads((tmp_path / "c" / "manifest.json").read_text())
    assert len(m["runs"]) == 1 and m["counts"]["records"] == 5
    assert validate_corpus(tmp_path / "c") == []


def test_metadata_a_jsonl_line_declares_wins_and_provenance_says_so(tmp_path):
    """Declared fields win over extraction and are named in the extract step; a declared
    date is normalised, one that names no date (or a field that is not a string) is
    ignored with its reason, and extraction's value stays."""
    src = tmp_path / "in"
    src.mkdir()
    body = "A paragraph long enough to be kept as the body of this short test article. " * 6
    lines = [
        {"text": body, "title": "Declared headline", "date": "Tue, 03 Dec 2024 10:00:00 GMT", "url": "https://a.example/1"},
        {"text": "Another article entirely, on different matters, with words of its own to say. " * 6,
         "date": "soon", "url": 7, "author": ""},
    ]
    (src / "d.jsonl").write_text("".join(json.dumps(line) + "\n" for line in lines))
    run([str(src)], tmp_path / "out", workers=0)
    first, second = iter_records(tmp_path / "out")
    [extract1] = [s for s in first["provenance"]["steps"] if s["step"] == "extract"]
    [extract2] = [s for s in second["provenance"]["steps"] if s["step"] == "extract"]
    assert (first["title"], first["date"], first["url"]) == ("Declared headline", "2024-12-03", "https://a.example/1")
    assert extract1["declared"] == ["title", "url", "date"] and "ignored" not in extract1
    assert second["date"] is None and second["url"] is None
    assert "declared" not in extract2
    assert extract2["ignored"] == {"url": "not a string: int", "date": "not a date: 'soon'"}
    assert validate_corpus(tmp_path / "out") == []


def test_the_build_is_in_the_manifest_and_a_resume_under_another_build_redoes_the_batch(tmp_path, monkeypatch):
    """The version number does not change with each commit or retrained model; the build
    digest (sources, models, schema) does. A run resumed after an upgrade must not take
    batches the other build finished."""
    from cleaners import pipeline

    seeds = str(Path(__file__).parent.parent / "seeds")
    digest = pipeline.build_digest()
    assert len(digest) == 16 and int(digest, 16) >= 0
    plan = prepare_run([seeds], tmp_path / "r", Config())
    first = run_batch(plan, plan.batches[0], in_process=True)
    assert run_batch(plan, plan.batches[0], in_process=True).get("resumed")
    monkeypatch.setattr(pipeline, "build_digest", lambda: "0123456789abcdef")
    upgraded = prepare_run([seeds], tmp_path / "r", Config())
    assert upgraded.run_id == plan.run_id  # same inputs and config...
    assert upgraded.batches[0]["key"] != plan.batches[0]["key"]  # ...but not the same batch results
    again = run_batch(upgraded, upgraded.batches[0], in_process=True)
    assert not again.get("resumed") and again["units"] == first["units"]
    m = finalize_run(upgraded)
    assert m["build"] == "0123456789abcdef"
    corpus = json.loads((tmp_path / "r" / "manifest.json").read_text())
    assert corpus["build"] == "0123456789abcdef" and corpus["runs"][-1]["build"] == "0123456789abcdef"


def test_the_build_digest_follows_the_shipped_models(tmp_path, monkeypatch):
    """A retrained model file changes the digest, as a changed source does."""
    import shutil

    from cleaners import pipeline

    copy = tmp_path / "cleaners"
    shutil.copytree(Path(pipeline.__file__).parent, copy, ignore=shutil.ignore_patterns("__pycache__"))
    monkeypatch.setattr(pipeline, "__file__", str(copy / "pipeline.py"))
    pipeline.build_digest.cache_clear()
    try:
        before = pipeline.build_digest()
        pipeline.build_digest.cache_clear()
        assert pipeline.build_digest() == before  # a function of the files alone
        model = copy / "data" / "title_model.json"
        model.write_text(model.read_text(encoding="utf-8") + "\n", encoding="utf-8")  # any byte
        pipeline.build_digest.cache_clear()
        assert pipeline.build_digest() != before
    finally:
        pipeline.build_digest.cache_clear()


def test_dedup_against_another_corpus_drops_its_copies_and_leaves_it_untouched(tmp_path):
    """`dedup.against`: a new corpus drops what another, earlier corpus already published,
    names that corpus in the reject, and never writes to it."""
    from cleaners.errors import ConfigError

    seeds = Path(__file__).parent.parent / "seeds"
    run([str(seeds)], tmp_path / "A", workers=0)
    theirs = {r["source"]["uri"].rsplit("/", 1)[1]: r["id"] for r in iter_records(tmp_path / "A")}
    before = {p: p.read_bytes() for p in (tmp_path / "A").rglob("*") if p.is_file()}
    src = tmp_path / "in"
    src.mkdir()
    for p in seeds.glob("*.txt"):
        (src / p.name).write_bytes(p.read_bytes())
    (src / "new.txt").write_text("A different article, about the harbour's new ferry timetable and its critics. " * 8)
    cfg = Config.model_validate({"dedup": {"against": [str(tmp_path / "A")]}})
    m = run([str(src)], tmp_path / "B", cfg, workers=0)
    assert m["counts"]["records"] == 1 and m["counts"]["rejects"] == 5
    rejects = [json.loads(line) for line in open(tmp_path / "B" / "rejects.jsonl")]
    assert {r["source"]["uri"].rsplit("/", 1)[1]: r["duplicate_of"] for r in rejects} == theirs
    assert {(r["reason"], r["duplicate_of_corpus"]) for r in rejects} == {("exact_duplicate", str(tmp_path / "A"))}
    [against] = m["dedup"]["against"]
    assert (against["corpus"], against["indexed_documents"], against["exact_duplicates"]) == (str(tmp_path / "A"), 5, 5)
    assert {p: p.read_bytes() for p in before} == before  # corpus A's files are as they were
    with pytest.raises(ConfigError, match="neither a corpus folder"):
        prepare_run([str(src)], tmp_path / "C", Config.model_validate({"dedup": {"against": [str(tmp_path / "no")]}}))
    with pytest.raises(ConfigError, match="own dedup index"):
        prepare_run([str(src)], tmp_path / "B", cfg.with_overrides(dedup={"against": [str(tmp_path / "B")]}))


def test_an_output_folder_inside_an_input_folder_is_not_read_back(tmp_path):
    """`docprep clean data --out data/clean`: the second run must not take the corpus's
    own shards, rejects, ledger and report for new input."""
    src = tmp_path / "data"
    src.mkdir()
    for p in (Path(__file__).parent.parent / "seeds").glob("*.txt"):
        (src / p.name).write_bytes(p.read_bytes())
    first = run([str(src)], src / "clean", workers=0)
    assert first["counts"]["inputs"] == 5
    plan = prepare_run([str(src)], src / "clean", Config())
    assert plan.inputs == [] and len(plan.skipped_inputs) == 5 and plan.plan_rejects == []


def corpus_in_parts(path: Path, out: Path, kind: str, part_bytes: int, workers: int):
    """A run over one file read in parts of `part_bytes` (read.<kind>_part_bytes): its
    manifest, its run's manifest, its records without provenance, its rejects."""
    m = run([str(path)], out, Config().with_overrides(read={f"{kind}_part_bytes": part_bytes}), workers=workers)
    run_manifest = json.loads((out / "runs" / m["runs"][-1]["run_id"] / "manifest.json").read_text())
    recs = [{k: v for k, v in r.items() if k != "provenance"} for r in iter_records(out)]
    rejects = [(r["id"], r["stage"], r["reason"], r.get("duplicate_of")) for r in map(json.loads, open(out / "rejects.jsonl"))]
    return m, run_manifest, recs, rejects


@pytest.mark.parametrize("name", ["big.jsonl", "big.jsonl.gz"])
def test_one_big_jsonl_file_spreads_over_batches_with_the_same_corpus(tmp_path, name):
    """A JSONL file over read.jsonl_part_bytes is read in parts, each its own batch (so
    several workers share it): the records, rejects and ids are those of one read, the
    input is listed once, and a second run skips the whole file."""
    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "seeds").glob("*.txt"))]
    lines = [json.dumps({"text": f"{t}\n\nEdition {k}.", "id": f"s{k}"}) for k in range(6) for t in texts]
    lines[7] = "{not json"
    data = ("\n".join(lines) + "\n").encode()
    (tmp_path / name).write_bytes(gzip.compress(data) if name.endswith(".gz") else data)

    _, whole_manifest, whole_recs, whole_rejects = corpus_in_parts(tmp_path / name, tmp_path / "whole", "jsonl", 1 << 30, 0)
    m, parts_manifest, recs, rejects = corpus_in_parts(tmp_path / name, tmp_path / "parts", "jsonl", 64 * 1024, 2)
    assert len(parts_manifest["timing_s"]) and m["counts"]["inputs"] == len(lines)
    assert parts_manifest["batches"] >= 2
    assert (recs, rejects) == (whole_recs, whole_rejects) and len(recs) == 5
    assert [r["source"]["input_id"] for r in recs] == ["s0"] * 5
    assert [i["uri"] for i in parts_manifest["inputs"]] == [str(tmp_path / name)]
    again = run([str(tmp_path / name)], tmp_path / "parts", Config().with_overrides(read={"jsonl_part_bytes": 64 * 1024}), workers=0)
    assert again["last_attempt"]["status"] == "nothing_new" and again["last_attempt"]["skipped_inputs"] == 1


@pytest.mark.parametrize("pack", ["gz", "zst", "plain"])
def test_one_big_warc_spreads_over_batches_with_the_same_corpus(tmp_path, pack):
    """A WARC, plain or compressed a record at a time (gzip; zstd, as Archive Team's), over
    read.warc_part_bytes is read in parts, each its own batch: the records, rejects and
    ids are those of one read, and the input is listed once."""
    import io

    from test_warc import per_record
    from warcio.statusandheaders import StatusAndHeaders
    from warcio.warcwriter import WARCWriter

    root = Path(__file__).resolve().parents[1]
    texts = [p.read_text(encoding="utf-8") for p in sorted((root / "seeds").glob("*.txt"))]
    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=False)
    for k in range(8):
        for n, text in enumerate(texts):
            paras = "".join(f"<p>{line}</p>" for line in text.splitlines() if line.strip())
            page = f"<html><head><title>Page {k}-{n}</title></head><body><article>{paras}<p>Edition {k}.</p></article></body></html>"
            headers = StatusAndHeaders("200 OK", [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1")
            w.write_record(w.create_warc_record(f"http://example.com/{k}/{n}", "response",
                                                payload=io.BytesIO(page.encode()), http_headers=headers))
    crawl = tmp_path / ("crawl.warc" if pack == "plain" else f"crawl.warc.{pack}")
    crawl.write_bytes(per_record(buf.getvalue(), pack))
    _, _, whole_recs, whole_rejects = corpus_in_parts(crawl, tmp_path / "whole", "warc", 1 << 30, 0)
    m, manifest, recs, rejects = corpus_in_parts(crawl, tmp_path / "parts", "warc", 64 * 1024, 2)
    assert manifest["batches"] >= 2
    assert m["counts"]["inputs"] == 40
    assert (recs, rejects) == (whole_recs, whole_rejects) and len(recs) == 5
    assert [i["uri"] for i in manifest["inputs"]] == [str(crawl)]


def test_a_published_run_leaves_no_batch_results_and_stale_work_goes(tmp_path):
    """Batch results wait under OUT/.work only until the run is published (they hold every
    record again: kept, a year of scheduled runs would double the corpus on disk). Work
    files untouched for STALE_WORK_DAYS (a crashed run never resumed) go with the next
    published run, robots.txt answers after a day; recent ones stay (a run in progress)."""
    import os
    import time

    from cleaners.pipeline import STALE_WORK_DAYS

    src = tmp_path / "in"
    src.mkdir()
    seeds = sorted((Path(__file__).parent.parent / "seeds").glob("*.txt"))
    (src / "a.txt").write_bytes(seeds[0].read_bytes())
    out = tmp_path / "out"
    first = run([str(src)], out, workers=1)
    run_manifest = json.loads((out / "runs" / first["runs"][-1]["run_id"] / "manifest.json").read_text())
    assert run_manifest["batches"] == 1 and list((out / ".work" / "batches").iterdir()) == []
    old = time.time() - (STALE_WORK_DAYS + 1) * 86400
    files = {"batches/crashed.jsonl": old, "batches/crashed.done.json": old, "batches/running.jsonl": time.time(),
             "fetched/k-1.warc.gz": old, "fetched/robots/site.json": time.time() - 2 * 86400,
             "fetched/robots/fresh.json": time.time(), "fetched/pace/site.next": old,
             # a temporary whose writer was killed before renaming it goes at once; one
             # whose writer lives (here: this process) stays
             f"batches/.k.done.json.tmp-{dead_pid()}-1": time.time(),
             f"batches/.k2.done.json.tmp-{os.getpid()}-1": time.time(),
             f"fetched/robots/.site.json.tmp-{dead_pid()}-7": time.time()}
    for name, mtime in files.items():
        path = out / ".work" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("x")
        os.utime(path, (mtime, mtime))
    (src / "b.txt").write_bytes(seeds[1].read_bytes())
    run([str(src)], out, workers=0)
    left = sorted(str(p.relative_to(out / ".work")) for p in (out / ".work").rglob("*") if p.is_file())
    assert left == [f"batches/.k2.done.json.tmp-{os.getpid()}-1", "batches/running.jsonl",
                    "fetched/robots/fresh.json"]


def dead_pid() -> int:
    """The id of a process that has ended (and been waited for)."""
    import subprocess
    import sys

    proc = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, check=True)
    return int(proc.stdout)
