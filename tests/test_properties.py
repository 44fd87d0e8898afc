"""Properties over any input: records survive a JSONL round trip; processing never raises."""
import json

from hypothesis import given, settings, strategies as st

from cleaners.config import Config
from cleaners.pipeline import process_unit
from cleaners.record import Document, Reject, Source
from cleaners.write import dumps, to_record

text = st.text(min_size=0, max_size=300)
maybe = st.one_of(st.none(), text)


@settings(max_examples=200, deadline=None)
@given(text, maybe, maybe, maybe, st.one_of(st.none(), st.integers(min_value=0, max_value=10**9)),
       st.lists(st.dictionaries(st.sampled_from(["a", "b"]), st.one_of(text, st.integers(), st.floats(allow_nan=False))), max_size=3))
def test_record_survives_a_jsonl_round_trip(body, title, url, date, position, extra_steps):
    doc = Document(Source("seeds/x.txt", "0" * 64, "text", position), "text", text=body, title=title, url=url, date=date,
                   lang="en", lang_prob=0.5)
    for s in extra_steps:
        doc.did("quality", **s)
    rec = to_record(doc, {"docprep": "0", "config_hash": "h", "run_id": "r"})
    line = dumps(rec)
    assert "\n" not in line
    assert json.loads(line) == rec


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=3000), st.sampled_from(["text", "html"]))
def test_processing_any_bytes_gives_a_record_or_a_reject(raw, kind):
    out = process_unit(Document(Source("x", "0" * 64, kind), kind, raw=raw), Config())
    assert isinstance(out, (Document, Reject))
    if isinstance(out, Reject):
        assert out.reason != "error", out.detail  # an unexpected exception is a bug
