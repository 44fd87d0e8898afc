"""`docprep index`: a dedup reference built from texts as they are (another project's
corpus, a test set to keep out), used by `dedup.against` as a docprep corpus is."""
import json
import subprocess
import sys
from pathlib import Path

import pytest

from cleaners.config import Config
from cleaners.dedup import DedupIndex
from cleaners.reference import index_texts, rejects_path
from cleaners.validate import iter_records

ROOT = Path(__file__).resolve().parent.parent


def mojibake(text: str) -> str:
    """UTF-8 read as Windows-1252 (as browsers and most tools read it: the five bytes it
    leaves undefined as control characters): a copy that passed through a wrong decoder."""
    import ftfy.bad_codecs  # noqa: F401 (registers the codec)

    return text.encode("utf-8").decode("sloppy-windows-1252")


@pytest.fixture()
def other_project(seeds_run, tmp_path) -> Path:
    """The seeds' clean texts as another project's JSONL would hold them, under its own
    ids: the first with its encoding broken, the second cut by its last paragraph (a near
    copy), the third twice (the project's own duplicate), and lines no text can be
    taken from: an HTML page, a broken line."""
    texts = [r["text"] for r in iter_records(seeds_run)]
    assert len(texts) == 5
    assert any(ch in texts[0] for ch in "’“”—é") and mojibake(texts[0]) != texts[0]
    cut = texts[1].rsplit("\n\n", 1)[0]
    lines = [{"id": "ext-0", "text": mojibake(texts[0])}, {"id": "ext-1", "text": cut},
             {"id": "ext-2", "text": texts[2]}, {"id": "ext-2b", "text": texts[2]},
             {"id": "page", "html": "<html><body><p>A page</p></body></html>"}]
    path = tmp_path / "project.jsonl"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines) + "{broken\n")
    return path


def test_a_corpus_drops_what_an_indexed_project_holds(other_project, tmp_path):
    index = tmp_path / "refs" / "project.sqlite"
    done = index_texts([str(other_project)], index, Config())
    assert (done["status"], done["inputs"], done["indexed"], done["rejects"]) == ("indexed", 6, 3, 3)
    assert done["by_reason"] == {"dedup/exact_duplicate": 1, "index/not_text": 1, "read/bad_json_line": 1}
    rejects = [json.loads(line) for line in open(rejects_path(index))]
    assert [(r["source"]["position"], r["reason"], r.get("duplicate_of")) for r in rejects] == [
        (4, "exact_duplicate", "ext-2"), (5, "not_text", None), (6, "bad_json_line", None)]
    assert {r["run_id"] for r in rejects} == {done["run_id"]}

    m = _clean_seeds(tmp_path / "corpus", index)
    dropped = {json.loads(line)["duplicate_of"]: json.loads(line) for line in open(tmp_path / "corpus" / "rejects.jsonl")}
    # the broken copy matches once repaired; the cut one as a near duplicate
    assert set(dropped) == {"ext-0", "ext-1", "ext-2"}
    assert dropped["ext-0"]["reason"] == "exact_duplicate" and dropped["ext-2"]["reason"] == "exact_duplicate"
    assert dropped["ext-1"]["reason"] == "near_duplicate" and 0.8 <= dropped["ext-1"]["similarity"] < 1
    assert all(r["duplicate_of_corpus"] == str(index) and r["duplicate_of_run"] == done["run_id"] for r in dropped.values())
    [against] = m["dedup"]["against"]
    assert (against["indexed_documents"], against["exact_duplicates"], against["near_duplicates"]) == (3, 2, 1)
    assert m["counts"]["records"] == 2


def crash(self):
    """A process killed before the index's run commits."""
    raise KeyboardInterrupt


def _clean_seeds(out: Path, index: Path) -> dict:
    from conftest import clean_seeds

    return clean_seeds(out, cfg=Config().with_overrides(dedup={"against": [str(index)]}), workers=0)


def test_without_repair_the_broken_copy_is_only_a_near_duplicate(other_project, tmp_path):
    """Why the index repairs encodings: unrepaired, the mojibake copy differs in every word
    with a curly quote or an accent, and is caught only as a near duplicate (exact match
    lost, similarity lower); a copy broken in more of its words would be missed."""
    index = tmp_path / "raw.sqlite"
    index_texts([str(other_project)], index, Config().with_overrides(repair={"fix_encoding": False}))
    _clean_seeds(tmp_path / "corpus", index)
    dropped = {json.loads(line)["duplicate_of"]: json.loads(line) for line in open(tmp_path / "corpus" / "rejects.jsonl")}
    assert dropped["ext-0"]["reason"] == "near_duplicate" and dropped["ext-0"]["similarity"] < 0.99


def test_the_same_inputs_are_indexed_once_and_new_ones_add_a_run(other_project, tmp_path):
    index = tmp_path / "project.sqlite"
    first = index_texts([str(other_project)], index, Config())
    again = index_texts([str(other_project)], index, Config())
    assert again["status"] == "already_indexed" and again["run_id"] == first["run_id"]
    more = tmp_path / "more"
    more.mkdir()
    (more / "a.txt").write_text("A text of its own, long enough to be one. " * 10)
    (more / "b.txt").write_text(json.loads(other_project.read_text().splitlines()[1])["text"])  # ext-1's text
    later = index_texts([str(more)], index, Config())
    assert (later["indexed"], later["indexed_documents"], later["committed_runs"]) == (1, 4, 2)
    lines = [json.loads(line) for line in open(rejects_path(index))]
    assert [r["run_id"] for r in lines] == [first["run_id"]] * 3 + [later["run_id"]]
    assert (lines[-1]["source"]["uri"], lines[-1]["reason"], lines[-1]["duplicate_of"], lines[-1]["duplicate_of_run"]) == (
        str(more / "b.txt"), "exact_duplicate", "ext-1", first["run_id"])


def test_a_crash_before_the_commit_is_redone_and_leaves_no_lines_twice(other_project, tmp_path, monkeypatch):
    index = tmp_path / "project.sqlite"
    with monkeypatch.context() as m:
        m.setattr(DedupIndex, "commit_run", crash)
        with pytest.raises(KeyboardInterrupt):
            index_texts([str(other_project)], index, Config())
    assert len(rejects_path(index).read_text().splitlines()) == 3  # written before the commit
    with DedupIndex(index, Config().dedup) as idx:
        assert idx.committed_runs() == set()
    done = index_texts([str(other_project)], index, Config())
    assert (done["status"], done["indexed_documents"], done["committed_runs"]) == ("indexed", 3, 1)
    assert len(rejects_path(index).read_text().splitlines()) == 3


def test_an_index_built_with_other_dedup_settings_is_refused(other_project, tmp_path):
    index = tmp_path / "project.sqlite"
    index_texts([str(other_project)], index, Config().with_overrides(dedup={"num_perm": 64}))
    with pytest.raises(Exception, match="settings|num_perm"):
        _clean_seeds(tmp_path / "corpus", index)


def test_the_cli_indexes_and_says_what_it_did(other_project, tmp_path):
    index = tmp_path / "project.sqlite"
    cmd = [sys.executable, "-m", "flows.cli", "index", str(other_project), "--index", str(index), "--json"]
    done = json.loads(subprocess.run(cmd, cwd=ROOT, capture_output=True, text=True, check=True, timeout=120).stdout)
    assert (done["indexed"], done["rejects"]) == (3, 3)
    again = subprocess.run(cmd[:-1], cwd=ROOT, capture_output=True, text=True, check=True, timeout=120)
    assert "already indexed" in again.stderr


def test_a_corpus_own_index_or_another_file_is_not_written(other_project, seeds_run, tmp_path):
    """A corpus's dedup.sqlite holds that corpus's runs (its next run discards any run its
    manifest does not list): docprep index refuses it, and leaves it as it was."""
    import shutil

    from cleaners.errors import OutputError

    corpus = tmp_path / "corpus"
    shutil.copytree(seeds_run, corpus)
    before = (corpus / "dedup.sqlite").read_bytes()
    with pytest.raises(OutputError, match="dedup index of the corpus"):
        index_texts([str(other_project)], corpus / "dedup.sqlite", Config())
    assert (corpus / "dedup.sqlite").read_bytes() == before
    # nor a file that is no index (the inputs named as --index by mistake)
    with pytest.raises(OutputError, match="is not a dedup index"):
        index_texts([str(other_project)], other_project, Config())


def words_of(text: str) -> list[str]:
    """The words of `text` as the sequences are made of (casefolded, punctuation dropped)."""
    from cleaners.dedup import normalise, tokens

    return [w.decode() for w in tokens(normalise(text))]


@pytest.fixture()
def test_set(seeds_run, tmp_path) -> Path:
    """A benchmark's test items: one quotes a paragraph of the first seed article (so that
    article holds all its 13-word sequences); one shares only 12 words in a row with the
    third (no 13-word sequence); one shares 14 words with the fourth, then goes on with
    words of its own (2 of its 32 sequences); one is new; one has 5 words."""
    texts = [r["text"] for r in iter_records(seeds_run)]
    paragraph = max(texts[0].split("\n\n"), key=len)
    assert len(words_of(paragraph)) > 40
    w2, w3 = words_of(texts[2]), words_of(texts[3])
    def own(name: str) -> list[str]:  # 30 words of the item's own
        return [f"{name}{k}" for k in range(30)]

    items = [("quoted", paragraph), ("twelve", " ".join(w2[100:112] + own("t"))),
             ("partial", " ".join(w3[50:64] + own("p"))), ("new", " ".join(own("n"))),
             ("short", "What is the capital of France?")]
    path = tmp_path / "test-set.jsonl"
    path.write_text("".join(json.dumps({"id": i, "text": t}) + "\n" for i, t in items))
    return path


def contaminated(out: Path) -> dict[str, dict]:
    lines = [json.loads(line) for line in open(out / "rejects.jsonl")]
    return {r["duplicate_of"]: r for r in lines if r["reason"] == "contaminated"}


def test_a_document_quoting_a_test_item_is_contaminated(test_set, tmp_path):
    index = tmp_path / "tests.sqlite"
    done = index_texts([str(test_set)], index, Config(), ngrams=13)
    assert (done["indexed"], done["indexed_without_sequences"]) == (5, 1)
    m = _clean_seeds(tmp_path / "corpus", index)
    found = contaminated(tmp_path / "corpus")
    assert set(found) == {"quoted", "partial"}  # 12 words in a row are no 13-word sequence
    quoted = found["quoted"]
    assert quoted["similarity"] == 1.0 and quoted["duplicate_of_corpus"] == str(index)
    assert quoted["detail"].startswith("holds ") and "13-word sequences of quoted (run index-" in quoted["detail"]
    assert found["partial"]["detail"].startswith("holds 2 of the 32 13-word sequences of partial")
    assert m["counts"]["records"] == 3 and m["dedup"]["against"][0]["contaminated"] == 2

    strict = tmp_path / "strict.sqlite"
    index_texts([str(test_set)], strict, Config(), ngrams=13, min_ngrams=3)
    _clean_seeds(tmp_path / "strict-corpus", strict)
    assert set(contaminated(tmp_path / "strict-corpus")) == {"quoted"}

    whole = tmp_path / "whole.sqlite"  # without sequences: a quoted item is no duplicate of the page
    index_texts([str(test_set)], whole, Config())
    assert _clean_seeds(tmp_path / "whole-corpus", whole)["counts"]["records"] == 5


def test_the_sequence_rule_is_fixed_when_the_index_is_made(test_set, tmp_path):
    from cleaners.dedup import DedupIndexError

    index = tmp_path / "tests.sqlite"
    index_texts([str(test_set)], index, Config(), ngrams=13)
    other = tmp_path / "more.jsonl"
    other.write_text(json.dumps({"id": "x", "text": "another test item with words enough to be one " * 3}) + "\n")
    for ngrams, min_ngrams in ((0, 1), (8, 1), (13, 2)):
        with pytest.raises(DedupIndexError, match="was made with 13-word sequences"):
            index_texts([str(other)], index, Config(), ngrams=ngrams, min_ngrams=min_ngrams)
    assert index_texts([str(other)], index, Config(), ngrams=13)["status"] == "indexed"


def test_sequences_of_an_uncommitted_run_are_not_used(test_set, tmp_path, monkeypatch):
    index = tmp_path / "tests.sqlite"
    with monkeypatch.context() as m:
        m.setattr(DedupIndex, "commit_run", crash)
        with pytest.raises(KeyboardInterrupt):
            index_texts([str(test_set)], index, Config(), ngrams=13)
    assert _clean_seeds(tmp_path / "corpus", index)["counts"]["records"] == 5
    index_texts([str(test_set)], index, Config(), ngrams=13)
    _clean_seeds(tmp_path / "again", index)
    assert set(contaminated(tmp_path / "again")) == {"quoted", "partial"}


def test_the_report_lists_a_contaminated_document_under_the_item_it_quotes(test_set, tmp_path):
    index = tmp_path / "tests.sqlite"
    index_texts([str(test_set)], index, Config(), ngrams=13)
    _clean_seeds(tmp_path / "corpus", index)
    page = (tmp_path / "corpus" / "report.html").read_text()
    assert "listed under the indexed text it quotes" in page and ">contaminated</span>" in page


def test_every_input_is_indexed_or_a_reject_also_when_read_in_parts(tmp_path):
    """A JSONL file over read.jsonl_part_bytes is read in parts: a file of blank lines is
    one `empty` reject, judged after its last part; a file whose texts are in its first
    part gives no reject for the parts after."""
    src = tmp_path / "in"
    src.mkdir()
    (src / "blank.jsonl").write_text("\n" * 200_000)
    (src / "one.jsonl").write_text(json.dumps({"id": "a", "text": "A text. " * 40}) + "\n" * 200_000)
    (src / "empty.txt").write_text("")
    cfg = Config().with_overrides(read={"jsonl_part_bytes": 64 * 1024})
    done = index_texts([str(src)], tmp_path / "ix.sqlite", cfg)
    lines = [json.loads(line) for line in open(rejects_path(tmp_path / "ix.sqlite"))]
    assert [(r["source"]["uri"].rsplit("/", 1)[1], r["reason"]) for r in lines] == [
        ("blank.jsonl", "empty"), ("empty.txt", "empty")]
    assert (done["inputs"], done["indexed"]) == (3, 1)
