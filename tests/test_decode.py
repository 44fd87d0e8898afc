import json

import pytest
from hypothesis import given, settings, strategies as st

from cleaners.config import DecodeConfig
from cleaners.decode import decode, to_text
from cleaners.record import Document, Reject, Source
from conftest import CASES

CASES_DECODE = json.loads((CASES / "decode.json").read_text())
BOMS = {"utf-8": b"\xef\xbb\xbf", "utf-16-le": b"\xff\xfe", "utf-16-be": b"\xfe\xff"}


def _bytes(case) -> bytes:
    text = case["text"]
    kind = case.get("kind", "text")
    if kind == "html":
        declared = case.get("declare_as") or (case["encoding"] if case.get("declare") else None)
        meta = f'<meta charset="{declared}">' if declared else ""
        text = f"<html><head>{meta}<title>t</title></head><body><p>{text}</p></body></html>"
    data = text.encode(case["encoding"])
    return (BOMS[case["encoding"]] if case.get("bom") else b"") + data


@pytest.mark.parametrize("case", CASES_DECODE, ids=[c["name"] for c in CASES_DECODE])
def test_decodes_to_the_original_text(case):
    doc = Document(Source("x", "0" * 64, "text"), case.get("kind", "text"), raw=_bytes(case))
    out = decode(doc, DecodeConfig())
    assert not isinstance(out, Reject), out
    assert case["text"] in out.content
    assert out.steps[-1]["step"] == "decode" and out.steps[-1]["charset"]


def test_binary_garbage_is_rejected():
    import random

    rnd = random.Random(0)
    raw = bytes(rnd.randrange(256) for _ in range(5000))
    out = decode(Document(Source("x", "0" * 64, "text"), "text", raw=raw), DecodeConfig())
    assert isinstance(out, Reject) and out.reason in ("binary", "undecodable")


def test_invalid_utf8_inside_utf8_is_decoded_not_lost():
    raw = "Zürich and São Paulo and ".encode() * 20 + b"\xff\xfe broken \xc3 bytes " + "Kraków".encode() * 5
    text, charset, how = to_text(raw)
    assert "Kraków" in text and "Zürich" in text


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=2000), st.sampled_from(["text", "html"]))
def test_never_raises_on_any_bytes(raw, kind):
    out = decode(Document(Source("x", "0" * 64, kind), kind, raw=raw), DecodeConfig())
    assert isinstance(out, (Document, Reject))
