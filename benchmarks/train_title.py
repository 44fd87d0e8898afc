"""Train the text-dump cleaner's headline chooser: `cleaners/data/title_model.json`.

usage: python benchmarks/train_title.py [SET_DIR] [--renderers html_text,w3m,lynx]
           [--cache DIR] [--folds 5] [--l2 1.0] [--min-score 0.02] [--out PATH]
           [--no-write] [--renderer-holdout] [--fit-only]

SET_DIR (default /work/shared/eval/dev/wcxb-articles) needs `truth.jsonl` with `id`, `url`
and `title`, `dumps/<id>.txt` (html_text renderings) and, for the w3m and lynx renderings,
`html/<id>.html.gz` (rendered as in benchmarks/eval_textdump_renderers.py, cached under
--cache by renderer version, lynx's temporary file names fixed; needs `apt-get install -y
w3m lynx`; the versions go into the model's `about`).

For every page and renderer the cleaner's first pass runs up to the headline step; its
candidates (`cleaners.textdump.title_candidates_of`: the heading-like units of the page
head and a few units into the body, plus their cuts and the first line's at site
separators) are labelled 1 when their text equals the true title (case and spacing aside, as
score.py compares titles). A logistic regression (L2, Newton's method, numpy only, no
randomness) is fitted on all candidates of all renderers. The script prints title
accuracy of `clean_dump` (the whole cleaner, later passes and rule fallback included):
rules only, then 5-fold cross-validation grouped by site (the URL's host: no site is
in both the training and the test folds), then in-sample with the final weights, which
it writes to --out. `--renderer-holdout` also trains on two renderers and tests on the
third. `--fit-only` skips the accuracy reports and only writes the weights. Same data and
renderer versions, same weights (to the 6 stored digits; tests/test_textdump_title.py
checks a retrain against the shipped file). The candidates' features include the line
model's scores and verdicts: retrain this after `benchmarks/train_textdump.py`.

Measured (wcxb-articles dev, 711 pages from 695 sites, trained on html_text + w3m + lynx;
share of pages whose `clean_dump` title equals the truth after score.py's normalisation):

    renderer    rules   site-CV   in-sample   (2026-11-22)
    html_text   0.603   0.813     0.828
    w3m         0.079   0.685     0.686
    lynx        0.079   0.706     0.707

Later the same day, headings below the first line cut at their site separators as well
("Best Movers in NYC 2025 | Top 19 Companies"): renderings with the true title among the
candidates 1,852 -> 1,879 of 2,133; site-CV html_text 0.819, w3m 0.685, lynx 0.706;
in-sample 0.831 / 0.688 / 0.705.

Retrained after ordered-list numbers were stripped from w3m/lynx renderings (and reader
comments dropped from dumps), 2026-11-22: site-CV html_text 0.817, w3m 0.685, lynx 0.705;
in-sample 0.823 / 0.688 / 0.719; true title among the candidates on 1,883 renderings.

(With w3m/lynx renderings normalised by cleaners/textdump_render.py; before that step,
site-CV was 0.820 / 0.630 / 0.637: the renderings gained, html_text lost 0.011.)

Renderer held out (trained on the other two; before the normalisation): w3m 0.617, lynx 0.633, html_text 0.533 (the
<title> first line that html_text adds is only learned from html_text itself). The HTML
path (trafilatura with the page's metadata) scores 0.85 on the same pages. Body F1 of
`benchmarks/eval_textdump.py` is unchanged to 3 decimals: on its first pass the body is
the rules' body less the chosen headline, but later passes then see other text (over the
711 pages, html_text dumps lose 6 other lines and gain 7, lynx renderings lose 75 and
gain 35). About 4 minutes on one core with the renderings cached, 40 s with `--fit-only`
(plus about 45 s to render the 1,422 w3m and lynx pages once).

example: python benchmarks/train_title.py --renderers html_text --no-write
"""
from __future__ import annotations

import argparse
import gzip
import json
import re
import subprocess
import sys
import tempfile
import zlib
from functools import lru_cache
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

import cleaners.textdump as td  # noqa: E402

DEFAULT_SET = Path("/work/shared/eval/dev/wcxb-articles")
RENDERERS = ("html_text", "w3m", "lynx")


def norm(s: str) -> str:
    """Titles compared as score.py compares them (textmetrics.norm)."""
    s = s.replace("\u2019", "'").replace("\u2018", "'").replace("\u201c", '"').replace("\u201d", '"')
    return re.sub(r"\s+", " ", s).strip().lower()


def host(url: str) -> str:
    h = urlparse(url).netloc.lower()
    return h[4:] if h.startswith("www.") else h


def fold_of(url: str, folds: int) -> int:
    return zlib.crc32(host(url).encode("utf-8")) % folds


@lru_cache(maxsize=None)
def renderer_version(renderer: str) -> str:
    """The renderer's version (its banner's first words): the model depends on its output."""
    if renderer == "html_text":
        return "the set's dumps/"
    out = subprocess.run([renderer, "-version"], capture_output=True, text=True, timeout=30).stdout
    return out.splitlines()[0].split(",")[0].strip() if out else "unknown"


#: lynx lists the page's links resolved against the temporary file it rendered: its own
#: anchors under that file's random name (file:///tmp/tmpk3j9x_2a.html#content, also as
#: file://localhost/tmp/…), relative links under the temporary folder. Read back with the
#: name fixed and the folder as /tmp, the renderings (and so the weights) are the same on
#: every run and machine.
_TEMP_URL = re.compile(r"(file://(?:localhost)?)" + re.escape(tempfile.gettempdir()) + r"/(tmp\w{8}(?=\.html))?")


def _fixed_temp_url(m: re.Match) -> str:
    return m.group(1) + "/tmp/" + ("tmpxxxxxxxx" if m.group(2) else "")


def dump_text(set_dir: Path, cache: Path, renderer: str, page_id: str) -> str:
    """The page as `renderer` renders it; w3m and lynx renderings are cached under a folder
    named by the renderer's version, so an upgrade cannot reuse stale renderings."""
    if renderer == "html_text":
        return (set_dir / "dumps" / f"{page_id}.txt").read_text(encoding="utf-8")
    path = cache / re.sub(r"[^\w.+-]+", "_", renderer_version(renderer)) / f"{page_id}.txt"
    if not path.exists():
        from eval_textdump_renderers import render

        path.parent.mkdir(parents=True, exist_ok=True)
        html = gzip.decompress((set_dir / "html" / f"{page_id}.html.gz").read_bytes())
        path.write_text(render(renderer, html), encoding="utf-8")
    return _TEMP_URL.sub(_fixed_temp_url, path.read_text(encoding="utf-8"))


def fit(F: np.ndarray, y: np.ndarray, l2: float) -> dict:
    """L2-regularised logistic regression on standardised features (Newton's method)."""
    mean = F.mean(axis=0)
    std = F.std(axis=0)
    std[std == 0] = 1.0
    Z = np.hstack([(F - mean) / std, np.ones((len(F), 1))])
    w = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[-1] = 1e-6  # the bias is not shrunk
    for _ in range(50):
        p = 1.0 / (1.0 + np.exp(-np.clip(Z @ w, -30, 30)))
        grad = Z.T @ (p - y) + reg * w
        hess = Z.T @ (Z * (p * (1 - p))[:, None]) + np.diag(reg)
        step = np.linalg.solve(hess, grad)
        w -= step
        if np.abs(step).max() < 1e-9:
            break
    return {"mean": mean, "std": std, "coef": w[:-1], "bias": float(w[-1])}


def as_json(m: dict, min_score: float, about: dict) -> dict:
    def r(x: float) -> float:
        return float(f"{float(x):.6g}")

    return {
        "about": about,
        "features": list(td.TITLE_FEATURES),
        "mean": [r(x) for x in m["mean"]],
        "std": [r(x) for x in m["std"]],
        "coef": [r(x) for x in m["coef"]],
        "bias": r(m["bias"]),
        "min_score": min_score,
    }


def accuracy(pages: list[dict], model: dict | None) -> float:
    """Share of pages whose `clean_dump` title matches the truth."""
    if not pages:
        return 0.0
    hit = 0
    for p in pages:
        got = td.clean_dump(p["text"], title_model=model).title
        hit += norm(got or "") == norm(p["title"])
    return hit / len(pages)


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("set_dir", nargs="?", type=Path, default=DEFAULT_SET)
    ap.add_argument("--renderers", default=",".join(RENDERERS))
    ap.add_argument("--cache", type=Path, default=Path("/tmp/docprep-title-renders"),
                    help="where w3m and lynx renderings are kept between runs")
    ap.add_argument("--folds", type=int, default=5)
    ap.add_argument("--l2", type=float, default=1.0)
    ap.add_argument("--min-score", type=float, default=0.02,
                    help="below this best candidate probability the rules choose the headline")
    ap.add_argument("--out", type=Path, default=td.TITLE_MODEL_PATH)
    ap.add_argument("--no-write", action="store_true", help="report only, keep the shipped weights")
    ap.add_argument("--renderer-holdout", action="store_true",
                    help="also train on all renderers but one and test on that one")
    ap.add_argument("--fit-only", action="store_true",
                    help="fit and write the weights without the accuracy reports (1-2 minutes instead "
                         "of 5; what tests/test_textdump_title.py runs)")
    args = ap.parse_args(argv)
    renderers = [r for r in args.renderers.split(",") if r]

    truth = [json.loads(line) for line in open(args.set_dir / "truth.jsonl", encoding="utf-8")]
    truth = [t for t in truth if t.get("title")]
    pages = []  # one per page and renderer
    for renderer in renderers:
        for t in truth:
            text = dump_text(args.set_dir, args.cache, renderer, t["id"])
            cands, F = td.title_candidates_of(text)
            y = np.array([norm(c.text) == norm(t["title"]) for c in cands], dtype=float)
            pages.append({"renderer": renderer, "id": t["id"], "fold": fold_of(t["url"], args.folds),
                          "title": t["title"], "text": text, "F": F, "y": y})
    n_cands = sum(len(p["y"]) for p in pages)
    n_pos = sum(1 for p in pages if p["y"].any())
    print(f"{len(truth)} pages x {len(renderers)} renderers: {n_cands} candidates, "
          f"{n_pos} pages with the true title among them, {len({host(t['url']) for t in truth})} sites")

    def by_renderer(subset: list[dict], model_for) -> dict[str, float]:
        out = {}
        for renderer in renderers:
            rp = [p for p in subset if p["renderer"] == renderer]
            hit = sum(accuracy([p], model_for(p)) for p in rp)
            out[renderer] = hit / len(rp) if rp else 0.0
        return out

    def show(label: str, acc: dict[str, float]) -> None:
        print(f"  {label:22s} " + "  ".join(f"{r} {a:.3f}" for r, a in acc.items()))

    def train(subset: list[dict]) -> dict:
        F = np.vstack([p["F"] for p in subset])
        y = np.concatenate([p["y"] for p in subset])
        return as_json(fit(F, y, args.l2), args.min_score, {})

    if not args.fit_only:
        show("rules only", by_renderer(pages, lambda p: None))
        fold_models = [train([p for p in pages if p["fold"] != k]) for k in range(args.folds)]
        show(f"site-CV ({args.folds} folds)", by_renderer(pages, lambda p: fold_models[p["fold"]]))
        if args.renderer_holdout and len(renderers) > 1:
            held = {}
            for renderer in renderers:
                m = train([p for p in pages if p["renderer"] != renderer])
                held[renderer] = accuracy([p for p in pages if p["renderer"] == renderer], m)
            show("renderer held out", held)
    final = train(pages)
    final["about"] = {
        "made_by": "benchmarks/train_title.py",
        "data": f"{args.set_dir.name}: {len(truth)} pages, renderers {', '.join(renderers)}",
        "renderers": {r: renderer_version(r) for r in renderers},
        "l2": args.l2,
    }
    if not args.fit_only:
        show("in-sample", by_renderer(pages, lambda p: final))
        width = max(len(n) for n in td.TITLE_FEATURES)
        for name, c, s in sorted(zip(final["features"], final["coef"], final["std"]), key=lambda x: -abs(x[1])):
            print(f"    {name:{width}s} {c:+.3f} (per unit: {c / s:+.3f})")
    if not args.no_write:
        public = {k: v for k, v in final.items() if not k.startswith("_")}  # not the cached arrays
        args.out.write_text(json.dumps(public, indent=1) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
