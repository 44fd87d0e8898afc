"""The run report: the data behind OUT/report.html, and the page as a browser shows it.

The data tests run on a real in-process run over `seeds` and on a small synthetic corpus
with a duplicate, an ftfy repair and rejects. The browser tests open the page in headless
Chromium (`/usr/bin/chromium`) and check what a person sees after the page's JS ran; they
skip when Chromium is not installed.
"""
import contextlib
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest
from conftest import ROOT, clean_seeds

from cleaners.errors import OutputError
from cleaners.pipeline import STAGES, run
from cleaners.report import build_report_data, report_markdown, write_report

BODY = (
    "The city council voted on Tuesday to extend the night bus service to the northern suburbs, "
    "after a year in which ridership on the existing routes grew by almost a third.\n"
    "\n"
    "Council members said the decision followed a long consultation with residents, shift workers "
    "and local businesses, many of whom had asked for later connections on weekdays.\n"
    "\n"
    "The new routes will start running in the spring, and the transport department said it would "
    "publish the full timetable several weeks before the first buses leave the depot.\n"
)
MOJIBAKE = (
    "The minister said the plan doesnâ€™t work, and that it had been a mistake from the start "
    "because nobody had asked the people who would have to live with it what they thought.\n"
    "\n"
    "She added that the decision would be reviewed next year, once the committee had finished "
    "its work and the reports were in, and that everyone affected would have their say.\n"
)
HOSTILE = (
    "Officials said the report, which was published on Monday evening after weeks of delay, "
    "found that the agency had ignored repeated warnings about the state of the bridge.\n"
    "\n"
    "</script><script>document.title='pwned'</script> <b>not bold</b> & more text in this "
    "paragraph, which the cleaner keeps, so that the page has to escape it properly.\n"
)


def no_errors(out: Path) -> Path:
    """A report over a run that failed on every document would test nothing: say why."""
    errors = [r for r in map(json.loads, (out / "rejects.jsonl").open()) if r["reason"] == "error"]
    assert not errors, f"the pipeline itself failed: {errors[0]['stage']}: {errors[0]['detail']}"
    return out


@pytest.fixture(scope="module")
def seeds_out(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("report-seeds") / "out"
    clean_seeds(out, workers=0)
    return no_errors(out)


@pytest.fixture(scope="module")
def seeds_data(seeds_out) -> dict:
    with contextlib.chdir(ROOT):  # where the run was started: `seeds/...` resolves
        return build_report_data(seeds_out)


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory) -> Path:
    """A corpus folder `work/out` built from `work/corpus/`: a duplicate pair, mojibake,
    an empty file, a too-short file and a document with markup-like text."""
    work = tmp_path_factory.mktemp("report-synthetic")
    corpus = work / "corpus"
    (corpus / "a").mkdir(parents=True)
    (corpus / "b").mkdir()
    (corpus / "a" / "first.txt").write_text("Night buses for the north\n\n" + BODY, encoding="utf-8")
    (corpus / "b" / "copy.txt").write_text("Night buses for the north\n\n" + BODY, encoding="utf-8")
    (corpus / "b" / "mojibake.txt").write_text("Minister doubts the plan\n\n" + MOJIBAKE, encoding="utf-8")
    (corpus / "b" / "empty.txt").write_bytes(b"")
    (corpus / "b" / "short.txt").write_text("Too short to keep.\n", encoding="utf-8")
    (corpus / "b" / "odd <name> & co.txt").write_text("Bridge report published\n\n" + HOSTILE, encoding="utf-8")
    with contextlib.chdir(work):
        run(["corpus"], "out", workers=0)
    return no_errors(work / "out")


@pytest.fixture(scope="module")
def synthetic_data(synthetic) -> dict:
    return build_report_data(synthetic)  # originals are found above the corpus folder


def by_uri(data: dict, suffix: str) -> dict:
    (row,) = [r for r in data["documents"] if r["uri"].endswith(suffix)]
    return row


# --- counts ----------------------------------------------------------------------------------


@pytest.mark.parametrize("which", ["seeds_data", "synthetic_data"])
def test_counts_add_up(which, request):
    data = request.getfixturevalue(which)
    a = data["accounting"]
    assert a["adds_up"] and a["files_agree"]
    assert a["inputs"] == a["records"] + a["rejects"] == len(data["documents"])
    assert sum(x["count"] for x in data["reasons"]) == a["inputs"]
    stages = data["stages"]
    assert [s["stage"] for s in stages] == [s for s in STAGES if s != "write"]
    assert stages[0]["in"] == a["inputs"] and stages[-1]["out"] == a["records"]
    for before, after in zip(stages, stages[1:]):
        assert after["in"] == before["out"]
    for s in stages:
        assert s["in"] - s["out"] == sum(s["rejected"].values())


def test_synthetic_reasons(synthetic_data):
    reasons = {(x["stage"], x["reason"]): x["count"] for x in synthetic_data["reasons"]}
    short = by_uri(synthetic_data, "short.txt")
    assert short["outcome"] == "rejected" and short["stage"] in ("extract", "quality")
    assert reasons == {("read", "empty"): 1, (short["stage"], short["reason"]): 1, ("dedup", "exact_duplicate"): 1,
                       ("write", "kept"): 3}
    assert synthetic_data["languages"] == {"en": 3}


def test_lengths_before_and_after(seeds_data):
    ln = seeds_data["lengths"]
    assert ln["documents"] == 5 == sum(ln["before"]) == sum(ln["after"])
    assert ln["total_before"] > ln["total_after"] > 0
    records = [r for r in seeds_data["documents"] if r["outcome"] == "kept"]
    assert ln["total_before"] == sum(r["chars_in"] for r in records)


def test_timing_from_manifest(seeds_out, seeds_data):
    manifest = json.loads((seeds_out / "manifest.json").read_text())
    assert seeds_data["timing_s"] == manifest["timing_s"]
    assert {"extract", "dedup+write"} <= set(seeds_data["timing_s"])


# --- duplicates and repairs -----------------------------------------------------------------


def test_duplicate_cluster_keeps_first_copy(synthetic_data):
    (cluster,) = synthetic_data["duplicates"]
    first = by_uri(synthetic_data, "a/first.txt")
    assert cluster["kept"]["id"] == first["id"] and cluster["kept"]["uri"] == "corpus/a/first.txt"
    assert cluster["copies"] == [{"id": by_uri(synthetic_data, "b/copy.txt")["id"], "uri": "corpus/b/copy.txt",
                                  "reason": "exact_duplicate", "similarity": 1.0}]


def test_encoding_repair_listed(synthetic, synthetic_data):
    (repair,) = synthetic_data["repairs"]
    assert repair["uri"] == "corpus/b/mojibake.txt"
    assert ["decode", "utf-8"] in repair["ftfy"]["text"]
    record = next(json.loads(line) for line in (synthetic / "data" / "part-00000.jsonl").open()
                  if json.loads(line)["id"] == repair["id"])
    assert "doesn’t" in record["text"]
    # The original shown is the dump before the repair.
    assert any("doesnâ€™t" in line for line in synthetic_data["originals"][repair["id"]]["lines"])


# --- removed lines --------------------------------------------------------------------------


def test_removals_map_to_lines(seeds_out, seeds_data):
    """Every removed range points at non-blank lines of the original; every line not
    removed is in the record's text; the line removed as `title` is the record's title."""
    records = {}
    for shard in (seeds_out / "data").glob("*.jsonl"):
        records.update((r["id"], r) for r in map(json.loads, shard.open()))
    assert len(seeds_data["originals"]) == 5
    for row in (r for r in seeds_data["documents"] if r["outcome"] == "kept"):
        original = seeds_data["originals"][row["id"]]
        lines, rec = original["lines"], records[row["id"]]
        assert row["removed"], row["uri"]
        removed = set()
        for first, last, reason in row["removed"]:
            assert 0 <= first <= last < len(lines)
            removed.update(range(first, last + 1))
            if reason == "title":
                assert lines[first].strip() == rec["title"]
        assert all(lines[i].strip() for i in removed)
        text = " ".join(rec["text"].split())  # the cleaner folds NBSP and runs of spaces
        for i, line in enumerate(lines):
            if line.strip() and i not in removed:
                assert " ".join(line.split()) in text, (row["uri"], i, line)


def test_line_removal_totals(seeds_data):
    totals = seeds_data["line_removals"]
    for reason, v in totals.items():
        ranges = [(a, b) for r in seeds_data["documents"] for a, b, why in r["removed"] if why == reason]
        assert v["ranges"] == len(ranges) and v["lines"] == sum(b - a + 1 for a, b in ranges)
        assert seeds_data["samples"][f"line:{reason}"], reason


def test_missing_original_is_explained(seeds_out, tmp_path):
    with contextlib.chdir(tmp_path):  # not where the run started, and not above the corpus
        data = build_report_data(seeds_out)
    assert data["accounting"]["adds_up"]
    assert all("not found" in o["missing"] for o in data["originals"].values())


def test_changed_original_is_not_shown(synthetic, tmp_path):
    work = tmp_path / "copy"
    shutil.copytree(synthetic.parent, work)
    (work / "corpus" / "b" / "mojibake.txt").write_text("edited since\n", encoding="utf-8")
    data = build_report_data(work / "out")
    assert "changed since the run" in data["originals"][by_uri(data, "mojibake.txt")["id"]]["missing"]
    assert "lines" in data["originals"][by_uri(data, "a/first.txt")["id"]]


# --- runs, errors, rendering ------------------------------------------------------------------


def test_earlier_run_and_unknown_run(synthetic, tmp_path):
    work = tmp_path / "copy"
    shutil.copytree(synthetic.parent, work)
    first_run = json.loads((work / "out" / "manifest.json").read_text())["run_id"]
    (work / "more").mkdir()
    # Other bytes (an unseen file), the same text: a duplicate of run 1's record.
    (work / "more" / "again.txt").write_text("Night buses for the north\n\n" + BODY + "\n\n", encoding="utf-8")
    with contextlib.chdir(work):
        run(["more"], "out", workers=0)
    latest = build_report_data(work / "out")
    assert latest["run_id"] != first_run and latest["accounting"]["inputs"] == 1
    (cluster,) = latest["duplicates"]  # dropped as a copy of run 1's record
    assert cluster["kept"]["run"] == first_run and cluster["kept"]["uri"] == "corpus/a/first.txt"
    assert build_report_data(work / "out", first_run)["accounting"]["inputs"] == 6
    with pytest.raises(OutputError, match="not in"):
        build_report_data(work / "out", "0000000000000000")
    with pytest.raises(OutputError, match="missing"):
        build_report_data(tmp_path / "nowhere")


def test_markdown_summary(synthetic_data):
    md = report_markdown(synthetic_data)
    assert f"`{synthetic_data['run_id']}`" in md
    assert "**6** input units = **3** records + **3** rejects" in md
    assert "| dedup | 4 | exact_duplicate: 1 | 3 |" in md
    assert "corpus/a/first.txt | corpus/b/copy.txt (exact_duplicate, 1.0)" in md


def test_page_is_self_contained_escaped_and_deterministic(synthetic):
    path = write_report(synthetic)
    page = path.read_text(encoding="utf-8")
    assert path == synthetic / "report.html"
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", page), "no network resources"
    assert page.count("<script") == page.count("</script>") == 2  # the data blob and the code
    assert "<b>not bold</b>" not in page and "odd <name>" not in page
    assert "odd &lt;name&gt; &amp; co.txt" in page
    blob = re.search(r'<script type="application/json" id="report-data">(.*?)</script>', page, re.S).group(1)
    data = json.loads(blob)
    assert any("</script><script>" in line for o in data["originals"].values() for line in o.get("lines", []))
    assert write_report(synthetic).read_bytes() == page.encode("utf-8")


# --- in a real browser -----------------------------------------------------------------------

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(), reason="headless Chromium not installed (/usr/bin/chromium): apt-get install chromium")


def chromium(tmp_path: Path, *args: str) -> subprocess.CompletedProcess:
    profile = tmp_path / "chromium-profile"
    profile.mkdir(exist_ok=True)
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
           "--disable-background-networking", "--disable-component-update", "--disable-sync",
           "--hide-scrollbars", f"--user-data-dir={profile}", *args]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120, check=True)


def dom(tmp_path: Path, page: Path, fragment: str = "") -> str:
    return chromium(tmp_path, "--dump-dom", page.as_uri() + fragment).stdout


def table_rows(html: str) -> list[str]:
    body = re.search(r'<table id="doc-table">.*?<tbody>(.*?)</tbody>', html, re.S).group(1)
    return re.findall(r'<tr data-id="([0-9a-z-]+)"', body)


@pytest.fixture(scope="module")
def seeds_page(seeds_out) -> Path:
    with contextlib.chdir(ROOT):
        return write_report(seeds_out)


@needs_chromium
def test_browser_shows_counts_and_documents(seeds_page, seeds_data, tmp_path):
    html = dom(tmp_path, seeds_page)
    stage_rows = re.findall(r'<tr data-stage="([a-z+]+)">', html)
    assert stage_rows == [s for s in STAGES]
    assert "5</b> input units = <b>5</b> records + <b>0</b> rejects" in html
    assert len(table_rows(html)) == 5  # the JS filled the documents table
    assert "5 of 5 documents · page 1 of 1" in html


@needs_chromium
def test_browser_struck_line_with_reason(seeds_page, seeds_data, tmp_path):
    row = next(r for r in seeds_data["documents"] if any(x[2] == "caption" for x in r["removed"]))
    first, last, _ = next(x for x in row["removed"] if x[2] == "caption")
    html = dom(tmp_path, seeds_page, f"#doc={row['id']}")
    viewer = re.search(r'<div class="orig" id="viewer-original">(.*?)</div></div>\s*(<p|</div>)', html, re.S).group(1)
    where = f"line {first + 1}" if first == last else f"lines {first + 1}–{last + 1}"
    struck = re.search(rf'<div class="ln rm" title="{where}: caption — removed" data-reason="caption">'
                       rf'<span class="no">{first + 1}</span><del>(.*?)</del>', viewer)
    assert struck, "the caption line is struck through with its reason in the tooltip"
    line = seeds_data["originals"][row["id"]]["lines"][first]
    assert struck.group(1).replace("&amp;", "&") == line


@needs_chromium
def test_browser_search_and_reason_filter(seeds_page, seeds_data, tmp_path):
    assert len(table_rows(dom(tmp_path, seeds_page, "#q=003_c1443"))) == 1
    assert len(table_rows(dom(tmp_path, seeds_page, "#q=no-such-document"))) == 0
    with_tags = [r["id"] for r in seeds_data["documents"] if any(x[2] == "tags" for x in r["removed"])]
    assert 0 < len(with_tags) < 5
    assert table_rows(dom(tmp_path, seeds_page, "#reason=l:tags")) == with_tags


@needs_chromium
def test_browser_filters_rejects_and_sources(synthetic, tmp_path):
    page = write_report(synthetic)
    html = dom(tmp_path, page, "#reason=o:dedup: exact_duplicate")
    assert len(table_rows(html)) == 1 and "copy.txt" in html
    assert len(table_rows(dom(tmp_path, page, "#source=corpus/b/"))) == 5
    assert "document.title='pwned'" not in re.search(r"<title>(.*?)</title>", html).group(1)


@needs_chromium
def test_browser_screenshot(seeds_page, tmp_path):
    shot = tmp_path / "report.png"
    chromium(tmp_path, "--window-size=1280,2400", f"--screenshot={shot}", seeds_page.as_uri())
    assert shot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert shot.stat().st_size > 50_000  # a blank page is a few KB


def fake_corpus(out: Path, rejects: int) -> Path:
    """A corpus folder written by hand: one run whose `rejects` inputs were all too short
    (enough rows for several pages, without running the pipeline)."""
    run_id = "f" * 16
    (out / "runs" / run_id).mkdir(parents=True)
    lines = [{"id": f"{i:024x}", "source": {"uri": f"in/{i:04d}.txt", "sha256": "0" * 64, "format": "text"},
              "stage": "quality", "reason": "too_short", "detail": "1 words < quality.min_words=20"}
             for i in range(rejects)]
    (out / "runs" / run_id / "rejects.jsonl").write_text("".join(json.dumps(x) + "\n" for x in lines))
    stages = [{"stage": s, "in": rejects, "rejected": {"too_short": rejects} if s == "quality" else {},
               "out": rejects if STAGES.index(s) < STAGES.index("quality") else 0}
              for s in STAGES if s != "write"]
    for s in stages[STAGES.index("quality") + 1:]:
        s["in"] = 0
    manifest = {"run_id": run_id, "started_at": "2026-01-01T00:00:00+00:00", "finished_at": "2026-01-01T00:00:01+00:00",
                "counts": {"inputs": rejects, "records": 0, "rejects": rejects, "by_stage": stages},
                "languages": {}, "timing_s": {"quality": 0.5}, "shards": [],
                "rejects": {"path": f"runs/{run_id}/rejects.jsonl"}}
    (out / "runs" / run_id / "manifest.json").write_text(json.dumps(manifest))
    (out / "manifest.json").write_text(json.dumps({**manifest, "runs": [{"run_id": run_id, "records": 0}]}))
    return out


def test_fake_corpus_adds_up(tmp_path):
    data = build_report_data(fake_corpus(tmp_path, 120))
    assert data["accounting"]["adds_up"] and data["accounting"]["files_agree"]
    assert len(data["documents"]) == 120 and data["originals"] == {}


@needs_chromium
def test_browser_paginates(tmp_path):
    page = write_report(fake_corpus(tmp_path / "out", 120))
    html = dom(tmp_path, page)
    assert "120 of 120 documents · page 1 of 3" in html
    assert len(table_rows(html)) == 50
    last = dom(tmp_path, page, "#page=3")
    assert "page 3 of 3" in last and len(table_rows(last)) == 20
    assert table_rows(last)[-1] == f"{119:024x}"


def test_explain_a_record_and_a_duplicate(tmp_path, monkeypatch):
    """`docprep explain OUT ID`: a kept text dump with its provenance and every line's
    verdict (re-read from the input, checked by sha256); a dropped copy with what it
    duplicates and where that copy came from; an unknown id is a usage error."""
    import contextlib
    import shutil

    from typer.testing import CliRunner

    from cleaners.pipeline import run
    from cleaners.report import explain
    from flows.cli import app

    root = Path(__file__).resolve().parents[1]
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(root / "seeds" / "000_cc37ebd74bd6c639.txt", src / "a.txt")
    shutil.copy(root / "seeds" / "000_cc37ebd74bd6c639.txt", src / "b-copy.txt")
    with contextlib.chdir(tmp_path):
        run(["in"], "out", workers=0)
        [rec] = [json.loads(line) for line in open("out/data/part-00000.jsonl")]
        [rej] = [json.loads(line) for line in open("out/rejects.jsonl")]
        info = explain(Path("out"), rec["id"])
        assert info["outcome"] == "kept" and info["source"]["uri"] == "in/a.txt"
        assert [s["step"] for s in info["provenance"]["steps"]][:2] == ["decode", "extract"]
        verdicts = dict((line, v) for line, v in info["lines"] if line.strip())
        assert verdicts["US to hold Tehran responsible for “proxy” attacks in Iraq"] == "title"
        assert verdicts["Cookie Settings"] == "boilerplate:cookie"
        kept = [line for line, v in info["lines"] if v == "kept"]
        assert kept and all(line.strip() in rec["text"] for line in kept)
        dup = explain(Path("out"), rej["id"])
        assert dup["outcome"] == "rejected" and dup["reject"]["reason"] == "exact_duplicate"
        assert dup["kept_copy"] == {"id": rec["id"], "uri": "in/a.txt", "title": rec["title"]}
        runner = CliRunner()
        shown = runner.invoke(app, ["explain", "out", rec["id"]])
        assert shown.exit_code == 0 and "(boilerplate:cookie)" in shown.output and "extract" in shown.output
        as_json = runner.invoke(app, ["explain", "out", rej["id"], "--json"])
        assert as_json.exit_code == 0 and json.loads(as_json.output)["kept_copy"]["id"] == rec["id"]
        missing = runner.invoke(app, ["explain", "out", "0" * 24])
        assert missing.exit_code == 2 and "no record or reject" in missing.output


def test_explain_by_source(tmp_path):
    """`docprep explain OUT SOURCE`: an input's path as the corpus names it (or written
    another way) explains its one document, a unit rejected before it had an id included
    (an empty file); a JSONL file lists its lines' documents in line order, kept and
    rejected, with their ids; a source the corpus never saw is a usage error."""
    import contextlib
    import shutil

    from typer.testing import CliRunner

    from cleaners.errors import InputError
    from cleaners.pipeline import run
    from cleaners.report import explain
    from flows.cli import app

    root = Path(__file__).resolve().parents[1]
    src = tmp_path / "in"
    src.mkdir()
    shutil.copy(root / "seeds" / "000_cc37ebd74bd6c639.txt", src / "a.txt")
    (src / "empty.txt").write_bytes(b"")
    body = " ".join(["The council met on Tuesday to discuss the new harbour plan."] * 6)
    (src / "b.jsonl").write_text("\n".join([json.dumps({"text": "too short"}), "{not json",
                                            json.dumps({"text": body, "title": "Harbour plan"})]) + "\n")
    with contextlib.chdir(tmp_path):
        run(["in"], "out", workers=0)
        whole = explain(Path("out"), "./in/a.txt")
        assert whole["outcome"] == "kept" and whole["source"]["uri"] == "in/a.txt" and "lines" in whole
        empty = explain(Path("out"), "in/empty.txt")
        assert empty["id"] is None and empty["outcome"] == "rejected" and empty["reject"]["reason"] == "empty"
        listing = explain(Path("out"), "in/b.jsonl")
        assert listing["outcome"] == "source"
        assert [(u["position"], u["outcome"], u.get("reason") or u.get("title")) for u in listing["units"]] == [
            (1, "rejected", "too_short"), (2, "rejected", "bad_json_line"), (3, "kept", "Harbour plan")]
        assert listing["units"][1]["id"] is None and listing["units"][2]["id"]
        assert explain(Path("out"), listing["units"][2]["id"])["title"] == "Harbour plan"
        with pytest.raises(InputError):
            explain(Path("out"), "in/never.txt")
        shown = CliRunner().invoke(app, ["explain", "out", "in/b.jsonl"])
        assert shown.exit_code == 0 and "3 documents from in/b.jsonl" in shown.output
        assert "bad_json_line" in shown.output and "Harbour plan" in shown.output


@pytest.mark.parametrize("name", ["a.txt.gz", "a.txt.zst", "d.jsonl.gz", "d.jsonl.zst",
                                  "c.warc.wet.gz", "c.warc.wet", "c.warc.wet.zst", "whole.warc.wet.gz",
                                  "frames.warc.wet.zst"])
def test_explain_rereads_compressed_inputs(tmp_path, name):
    """The lines of a text dump read from a compressed file (whole, a JSONL line, or the
    record of a WET file at its offset) are re-read from it, decompressed, for `explain`
    and the report."""
    import contextlib
    import gzip

    from test_warc import per_record

    from cleaners.pipeline import run
    from cleaners.read import zstd
    from cleaners.report import explain

    seed = (Path(__file__).resolve().parents[1] / "seeds" / "000_cc37ebd74bd6c639.txt").read_bytes()
    data = seed if name.startswith("a.") else json.dumps({"text": seed.decode()}).encode() + b"\n"
    if ".wet" in name:
        data = wet_of([seed, b"Another page entirely, with other words in it. " * 20], gz=name.startswith("c.") and name.endswith(".gz"))
    (tmp_path / "in").mkdir()
    packed = (data if name.endswith((".wet", ".gz")) and name.startswith("c.") else
              per_record(data, "zst") if name.startswith("frames.") else  # a frame per record
              gzip.compress(data) if name.endswith(".gz") else zstd.compress(data))
    (tmp_path / "in" / name).write_bytes(packed)
    with contextlib.chdir(tmp_path):
        run(["in"], "out", workers=0)
        rec = next(json.loads(line) for line in open("out/data/part-00000.jsonl"))
        info = explain(Path("out"), rec["id"])
    assert "missing" not in info, info.get("missing")
    assert ("Cookie Settings", "boilerplate:cookie") in [tuple(x) for x in info["lines"]]


def wet_of(texts: list[bytes], gz: bool) -> bytes:
    """A WET file: a text/plain conversion record per text (after a warcinfo record)."""
    import io

    from warcio.warcwriter import WARCWriter

    buf = io.BytesIO()
    w = WARCWriter(buf, gzip=gz)
    w.write_record(w.create_warcinfo_record("c.warc.wet", {"software": "tests"}))
    for n, text in enumerate(texts):
        w.write_record(w.create_warc_record(f"https://news.example/{n}", "conversion", payload=io.BytesIO(text),
                                            warc_content_type="text/plain"))
    return buf.getvalue()


@pytest.mark.parametrize("text_key, line", [("raw_content", {"raw_content": None}),
                                            ("doc.body", {"doc": {"body": None}})])
def test_explain_rereads_a_jsonl_text_where_the_run_read_it(tmp_path, text_key, line):
    """A JSONL line whose text the run read under another key (`read.jsonl_keys`, dotted
    too) is re-read from that key for `explain` and the report, not from "text"."""
    import contextlib

    from cleaners.config import Config
    from cleaners.pipeline import run
    from cleaners.report import build_report_data, explain

    seed = (Path(__file__).resolve().parents[1] / "seeds" / "000_cc37ebd74bd6c639.txt").read_text()
    inner = line
    while isinstance(next(iter(inner.values())), dict):
        inner = next(iter(inner.values()))
    inner[next(iter(inner))] = seed
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "d.jsonl").write_text(json.dumps(line) + "\n")
    cfg = Config().with_overrides(read={"jsonl_keys": {"text": text_key}})
    with contextlib.chdir(tmp_path):
        run(["in"], "out", cfg, workers=0)
        rec = next(json.loads(x) for x in open("out/data/part-00000.jsonl"))
        info = explain(Path("out"), rec["id"])
        embedded = build_report_data(Path("out"))["originals"]
    assert ("Cookie Settings", "boilerplate:cookie") in [tuple(x) for x in info["lines"]]
    assert "Cookie Settings" in embedded[rec["id"]]["lines"]


def test_explain_a_wacz_lists_the_units_of_the_warcs_in_it(tmp_path):
    """`docprep explain OUT crawl.wacz`: the units of every WARC in the WACZ (their uri is
    "crawl.wacz#archive/<warc>"), as for any source of several units."""
    import contextlib
    import zipfile

    from test_warc import build_warc

    from cleaners.pipeline import run
    from cleaners.report import explain

    (tmp_path / "in").mkdir()
    with zipfile.ZipFile(tmp_path / "in" / "crawl.wacz", "w") as z:
        z.writestr("archive/a.warc.gz", build_warc(True))
        z.writestr("archive/b.warc", build_warc(False))
    with contextlib.chdir(tmp_path):
        run(["in"], "out", workers=0)
        info = explain(Path("out"), "in/crawl.wacz")
        one = explain(Path("out"), "in/crawl.wacz#archive/b.warc")
    assert len(info["units"]) == 6 and len(one["units"]) == 3
