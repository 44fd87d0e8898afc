"""Train the text-dump cleaner's line model and write `cleaners/data/textdump_model.json`.

usage: python benchmarks/train_textdump.py [--eval-dir /work/shared/eval/dev] [--cv] [--out PATH] [--cases [W]]

Labels come from aligning each dump unit (logical line) with the set's true body:
a unit of 4+ tokens is body when at least half of its 4-gram shingles occur in the
truth (each truth shingle consumed once, so a teaser repeating the lead further down
is not body twice); a shorter unit is body when its token sequence occurs in the truth
and a neighbouring unit (within 2) is body, or when it equals a whole truth line.
Truth bodies themselves are added as all-body documents, so the model learns to keep
an already clean article (the HTML post-pass relies on that).

Two regimes (`train_both`; `textdump_features.CASED_MODEL_HIDDEN`): the cased model is
trained on the pages as they are; the uncased model, which reads pages without case
evidence (Chinese, Japanese, Arabic, Thai ...), on them and on lower-cased copies of them
(`lowered`, weight UNCASED_WEIGHT), so it learns to judge lines without case.

--zh (an experiment, not the shipped model) also trains the uncased model on 60 Chinese
news pages from 30 sites (`benchmarks/zh_news.py`: gne's MIT test pages, fetched from PyPI
and built into /tmp/docprep-gne; their bodies are silver: trafilatura on the HTML), with each Chinese or Japanese character a label token. Measured 2026-12-03:
the cased model comes out identical; held out by site, the Chinese pages' character F1
goes 0.845 -> 0.864 (P 0.813 -> 0.864, R 0.880 -> 0.863) and the lower-cased dev pages'
F1 0.903 / 0.914 -> 0.904 / 0.916; but on newspaper4k's fixtures (gold, independent) the
non-English pages lose: html_text / w3m / lynx 0.712 / 0.636 / 0.650 -> 0.634 / 0.572 /
0.603, the Thai page 0.39 -> 0.00 and the Burmese one 0.86 -> 0.50 (scripts without a
stop list, whose lines all read as "no function words"; Chinese taught the model that
prose has them), while the Chinese ones gain little (0.89 / 0.93 / 0.46 -> 0.89 / 0.95 /
0.46). So it is not shipped.

--cases also trains on the hand-written cases (`load_cases`; an experiment, not the
shipped recipe). Measured 2026-12-04: without them a refit with --seed 1 fails 3 of the 32
cases (lost body lines: en_news_about_comments, zh_news, zh_related_teasers), as every
refit but the shipped one did before; with them (weight 20, dropped units of at most 15
words) the refits with seeds 0, 1, 2 and 3 all pass all 32, in sample the dev dumps at
0.916-0.920 / 0.932-0.933 (shipped 0.914 / 0.932). Labelling long dropped units too
(reader comments) cost must-keep prose (eval_snippets.py html_text 0.853 -> 0.804), and
labelling only kept units made the refits keep page headers (2 cases failed). On the
independent checks seeds 0 / 1 against the shipped model: newspaper4k others html_text
0.786 -> 0.850 / 0.844, w3m 0.681 -> 0.745 / 0.663, lynx 0.693 -> 0.751 / 0.757;
eval_snippets must-keep html_text 0.853 -> 0.832 / 0.859, lynx 0.799 -> 0.734 / 0.793;
zh_news lynx 0.798 -> 0.757 / 0.764; zh agreed pages 0.933 -> 0.938 / 0.934. So the cases
then hold for the method, not one draw, but the model moves on the small checks as much
as any refit does (below), in both directions: shipping it is a planning decision.

How far a refit moves (--seed: other site folds and row samples; --subsample: stage
two's row sample; --oof-repeats: stage two learns from stage-one probabilities averaged
over several deals of the sites into folds; the defaults reproduce the shipped model).
Measured 2026-12-03 over nine refits (seeds 0-3 at the defaults, 0-2 with --subsample
1.0, 0-1 with --subsample 1.0 --oof-repeats 5; all with Chinese stop density counted
per word, a change not shipped), each with the title model refitted: in sample the dev
dumps stay at 0.913-0.919 / 0.933-0.934, but the small independent checks move a lot:
newspaper4k html_text dumps, English 0.893-0.931 and the others 0.692-0.759;
eval_snippets.py must-keep 0.848-0.875 (html_text) and 0.755-0.815 (lynx); zh_news.py
lynx dumps 0.731-0.824. Neither setting narrowed that, nor did averaging three refits'
trees (two such ensembles: newspaper4k English 0.930 and 0.906). And every refit but the
shipped one fails one to four of the 26 cases in tests/cases/textdump (two
refits of the shipped features, each without one training page: one case each): the
cases hold for this draw of the model, not for the method. Read a difference under
~0.03 on those checks, after a refit, as noise. (The runs used this session's working
copy of these options; the ranges, not each draw, are what a rerun reproduces.)

The model has two stages, fitted with numpy only (no scikit-learn), deterministic:
stage one is an L2 logistic regression (Newton's method) on the unit features; stage
two is a gradient-boosted tree ensemble (GBM_TREES trees of depth GBM_DEPTH, histogram
splits, row subsampling with a fixed seed) on stage one's probability smoothed over
neighbours plus the unit features. Stage two is trained on out-of-fold stage-one
probabilities (5 folds by site) so it does not learn from overconfident in-sample
scores. Units are weighted by log2(2 + tokens), since shingle F1 counts words.

--cv trains the fold models of `cv_plan` (each dev set held out whole and trained on the
other; CV_FOLDS folds by site over all sets, no site in train and test at once), keeps
them in --cv-dir and prints their scores (same measures as /work/shared/eval/score.py;
the site folds also on the held-out pages lower-cased);
--cv-score re-scores kept fold models with the current cleaner (rules, title, date).
--cache keeps the prepared features between runs (development only).

Reproduce the shipped model: python benchmarks/train_textdump.py
"""
from __future__ import annotations

import argparse
import json
import math
import pickle
import re
import sys
from collections import Counter
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaners import textdump  # noqa: E402
from cleaners.textdump_features import (  # noqa: E402
    CASED_MODEL_HIDDEN, MODEL_HIDDEN, feature_names, features, stage2_features, stage2_names, units_of,
)

SETS = ("scrapinghub", "wcxb-articles")
_TOK = re.compile(r"\w+")
#: --zh: Chinese news pages with silver bodies (benchmarks/zh_news.py), trained on by the
#: uncased model only: as they are (lower-casing changes nothing in Chinese), at the
#: weight of real pages; labels then count each Chinese or Japanese character as a token
#: (a \w+ run there is a whole clause, too coarse to align a line with the body).
ZH_SET = "zh_news"
_CJK_CHAR = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff"
_TOK_CJK = re.compile(f"[{_CJK_CHAR}]|[^\\W{_CJK_CHAR}]+")
GBM_TREES = 150
GBM_DEPTH = 4
GBM_SUBSAMPLE = 0.5
#: 0: the shipped model's site folds (sorted) and row samples; other seeds reorder the sites
#: before they are dealt into folds and draw other row samples (`--seed`: how much a refit moves).
SEED = 0
OOF_REPEATS = 1
L2 = 1.0  # ridge penalty on standardised features; 0.3..3 all give the same F1 to 0.002
#: Weight of the lower-cased copies (`lowered`) against the pages as they are.
UNCASED_WEIGHT = 0.5
#: --cases (an experiment, not the shipped recipe): the weight of a labelled unit of the
#: hand-written cases (`load_cases`) against a dev unit (the 32 cases hold a few hundred
#: labelled units beside the dev sets' ~400,000 rows), and the longest unit labelled
#: boilerplate: longer ones are prose (reader comments) that rules remove, and taught as
#: boilerplate to the line model they cost article prose elsewhere.
CASES_WEIGHT = 20.0
CASES_DROP_MAX_WORDS = 15


def load_set(eval_dir: Path, name: str) -> list[dict]:
    docs = []
    for line in open(eval_dir / name / "truth.jsonl", encoding="utf-8"):
        t = json.loads(line)
        t["dump"] = (eval_dir / name / "dumps" / f"{t['id']}.txt").read_text(encoding="utf-8")
        t["site"] = urlparse(t.get("url") or "").netloc.removeprefix("www.") or t["id"]
        t["set"] = name
        docs.append(t)
    return docs


def load_zh() -> list[dict]:
    from zh_news import load

    return [{**d, "site": f"zh:{d['site']}", "set": ZH_SET} for d in load()]


def label_units(units, body: str, tok: re.Pattern = _TOK) -> np.ndarray:
    truth_toks = [t.lower() for t in tok.findall(body)]
    shingles = Counter(tuple(truth_toks[i:i + 4]) for i in range(len(truth_toks) - 3))
    grams = {k: set(tuple(truth_toks[i:i + k]) for i in range(len(truth_toks) - k + 1)) for k in (1, 2, 3)}
    truth_lines = {" ".join(tok.findall(l.lower())) for l in body.split("\n") if l.strip()}
    y = np.zeros(len(units))
    short = []
    for i, u in enumerate(units):
        toks = [t.lower() for t in tok.findall(u.text)]
        if len(toks) >= 4:
            sh = [tuple(toks[j:j + 4]) for j in range(len(toks) - 3)]
            hit = [s for s in sh if shingles.get(s, 0) > 0]
            if len(hit) >= 0.5 * len(sh):
                y[i] = 1
                for s in hit:
                    shingles[s] -= 1
        elif toks:
            if " ".join(toks) in truth_lines:
                y[i] = 1
            elif tuple(toks) in grams[len(toks)]:
                short.append(i)
    for i in short:
        if y[max(0, i - 2):i + 3].sum() > 0:
            y[i] = 1
    return y


def doc_rows(text: str, body: str | None, tok: re.Pattern = _TOK):
    _, units = units_of(text)
    X = features(units)
    y = label_units(units, body, tok) if body is not None else np.ones(len(units))
    return units, X, y


def fit_lr(X: np.ndarray, y: np.ndarray, w: np.ndarray | None = None, l2: float = L2):
    """L2-regularised logistic regression by Newton's method. Returns (mean, std, coef, bias)."""
    mu = X.mean(axis=0)
    sd = X.std(axis=0)
    sd[sd < 1e-9] = 1.0
    Z = np.hstack([(X - mu) / sd, np.ones((len(X), 1))])
    w = np.ones(len(X)) if w is None else w
    beta = np.zeros(Z.shape[1])
    reg = np.full(Z.shape[1], l2)
    reg[-1] = 0.0
    for _ in range(30):
        p = 1 / (1 + np.exp(-np.clip(Z @ beta, -30, 30)))
        g = Z.T @ (w * (p - y)) + reg * beta
        H = (Z * (w * p * (1 - p))[:, None]).T @ Z + np.diag(reg + 1e-8)
        step = np.linalg.solve(H, g)
        beta -= step
        if np.abs(step).max() < 1e-7:
            break
    return mu, sd, beta[:-1], float(beta[-1])


def fit_gbm(X: np.ndarray, y: np.ndarray, w: np.ndarray, n_trees: int = GBM_TREES,
            depth: int = GBM_DEPTH, rate: float = 0.1, lam: float = 1.0, min_hess: float = 5.0,
            n_bins: int = 32, subsample: float = 0.5, seed: int = 0) -> dict:
    """Gradient-boosted trees for log loss (second-order, histogram splits, complete
    trees of fixed depth stored level by level). numpy only; deterministic given seed."""
    n, nf = X.shape
    thresholds = []
    bins = np.empty((n, nf), dtype=np.uint8)
    for f in range(nf):
        qs = np.unique(np.quantile(X[:, f], np.linspace(0, 1, n_bins + 1)[1:-1]))
        thresholds.append(qs)
        bins[:, f] = np.searchsorted(qs, X[:, f], side="right")
    pos = float((w * y).sum())
    base = math.log(pos / max(1e-9, float(w.sum()) - pos))
    raw = np.full(n, base)
    rng = np.random.default_rng(seed)
    n_inner = 2 ** depth - 1
    trees_feat, trees_thr, trees_leaf = [], [], []
    rows = np.arange(n)
    for _ in range(n_trees):
        p = 1 / (1 + np.exp(-raw))
        g = w * (p - y)
        h = w * p * (1 - p)
        sel = rng.random(n) < subsample
        gs, hs, bs = g[sel], h[sel], bins[sel]
        node = np.zeros(n, dtype=np.int64)
        feat = np.zeros(n_inner, dtype=np.int64)
        split_bin = np.full(n_inner, 255, dtype=np.int64)
        thr = np.full(n_inner, np.inf)
        for d in range(depth):
            offset, count = 2 ** d - 1, 2 ** d
            local = node[sel] - offset
            best_gain = np.zeros(count)
            for f in range(nf):
                nb = len(thresholds[f])
                if nb == 0:
                    continue
                idx = local * 33 + bs[:, f]
                G = np.bincount(idx, gs, minlength=count * 33).reshape(count, 33)
                H = np.bincount(idx, hs, minlength=count * 33).reshape(count, 33)
                GL, HL = np.cumsum(G, axis=1)[:, :nb], np.cumsum(H, axis=1)[:, :nb]
                Gt, Ht = G.sum(axis=1, keepdims=True), H.sum(axis=1, keepdims=True)
                GR, HR = Gt - GL, Ht - HL
                gain = GL ** 2 / (HL + lam) + GR ** 2 / (HR + lam) - Gt ** 2 / (Ht + lam)
                gain[(HL < min_hess) | (HR < min_hess)] = 0.0
                b = gain.argmax(axis=1)
                gb = gain[np.arange(count), b]
                better = gb > best_gain + 1e-12
                best_gain[better] = gb[better]
                ids = offset + np.nonzero(better)[0]
                feat[ids] = f
                split_bin[ids] = b[better]
                thr[ids] = thresholds[f][b[better]]
            right = bins[rows, feat[node]] > split_bin[node]
            node = 2 * node + 1 + right
        leaf = node - n_inner
        G = np.bincount(leaf[sel], gs, minlength=n_inner + 1)
        H = np.bincount(leaf[sel], hs, minlength=n_inner + 1)
        value = -G / (H + lam) * rate
        raw += value[leaf]
        trees_feat.append(feat.tolist())
        trees_thr.append([float(t) if np.isfinite(t) else 1e300 for t in thr])
        trees_leaf.append([round(float(v), 6) for v in value])
    return {"base": base, "depth": depth, "feature": trees_feat, "threshold": trees_thr,
            "leaf": trees_leaf}


def predict(params, X: np.ndarray) -> np.ndarray:
    mu, sd, coef, bias = params
    return 1 / (1 + np.exp(-np.clip(((X - mu) / sd) @ coef + bias, -30, 30)))


def prepare(docs: list[dict], with_clean: bool = True, tok: re.Pattern = _TOK) -> list[dict]:
    """Per document: feature rows and labels of its dump (and of its clean body), and of
    the same lower-cased (`lowered`, rows marked "uncased")."""
    out = []
    for d in docs:
        zh = d["set"] == ZH_SET
        for low in (False,) if zh else (False, True):
            dump, body = (lowered(d["dump"]), lowered(d["body"])) if low else (d["dump"], d["body"])
            uncased = low or zh
            weight = UNCASED_WEIGHT if low else 1.0
            units, X, y = doc_rows(dump, body, tok)
            out.append({"doc": d, "X": X, "y": y, "group": d["site"], "clean": False, "uncased": uncased,
                        "weight": weight})
            if with_clean and body.strip():
                _, Xc, yc = doc_rows(body, None)
                out.append({"doc": d, "X": Xc, "y": yc, "group": d["site"], "clean": True, "uncased": uncased,
                            "weight": 0.5 * weight})
    return out


def load_cases(weight: float) -> list[dict]:
    """The hand-written cases of tests/cases/textdump as training rows, as they are and
    lower-cased (`lowered`, for the uncased regime): a unit holding a `keep` snippet is
    body, one of at most CASES_DROP_MAX_WORDS words holding a `drop` snippet is not; the
    other units (headline, date, lines the case does not name, long dropped prose) carry
    no weight. Each case is a site of its own."""
    out = []
    for path in sorted((ROOT / "tests" / "cases" / "textdump").glob("*.json")):
        c = json.loads(path.read_text(encoding="utf-8"))
        for low in (False, True):
            case = lowered if low else str
            units, X, _ = doc_rows(case(c["dump"]), None)
            keep, drop = [case(k) for k in c.get("keep", [])], [case(k) for k in c.get("drop", [])]
            y = np.zeros(len(units))
            known = np.zeros(len(units))
            for i, u in enumerate(units):
                if any(k in u.text for k in keep):
                    y[i], known[i] = 1, 1
                elif any(k in u.text for k in drop) and len(u.text.split()) <= CASES_DROP_MAX_WORDS:
                    known[i] = 1
            out.append({"doc": {"id": c["name"]}, "X": X, "y": y, "group": "case:" + c["name"], "clean": False,
                        "uncased": low, "weight": weight * known * (UNCASED_WEIGHT if low else 1.0)})
    return out


def lowered(text: str) -> str:
    """A page as a script without letter case shows it: no capital anywhere, so the case
    features carry no evidence (`textdump_features`: a page without capitals reads as
    uncased). The dev pages are nearly all English, where case is strong evidence
    (menus and teaser headlines are title-cased); Chinese, Japanese, Arabic, Thai,
    Hebrew ... pages have none, and a model that never saw a page without it read their
    teaser lists as prose. Training on lower-cased copies too teaches it the rest of the
    evidence (length, stop words, punctuation, neighbours), with the same labels."""
    return text.lower()


def shown(X: np.ndarray, hidden: tuple[str, ...] = MODEL_HIDDEN) -> np.ndarray:
    """The feature rows as a model is trained on them: the `hidden` columns zero."""
    X = X.copy()
    X[:, [feature_names().index(n) for n in hidden]] = 0.0
    return X


def _stored(model: dict) -> dict:
    """The model as stored: without the arrays the cleaner caches in it ("_np")."""
    return {k: _stored(v) if isinstance(v, dict) else v for k, v in model.items() if not k.startswith("_")}


def train_both(rows: list[dict]) -> dict:
    """The shipped model: the cased regime from the pages as they are (not shown the
    `uncased` column), the uncased regime from them and their lower-cased copies
    (`textdump_features.CASED_MODEL_HIDDEN`)."""
    cased = to_json(train([r for r in rows if not r["uncased"]], hidden=CASED_MODEL_HIDDEN))
    uncased = to_json(train(rows))
    del uncased["version"]
    return {**cased, "version": "textdump_lr_gbm_v2", "uncased": uncased}


def _deal(groups: list[str], seed: int, folds: int) -> dict[str, int]:
    """Sites dealt into folds: in sorted order for seed 0, else in a seeded shuffle."""
    order = sorted(groups)
    if seed:
        order = [order[i] for i in np.random.default_rng(seed).permutation(len(order))]
    return {g: i % folds for i, g in enumerate(order)}


def train(rows: list[dict], folds: int = 5, hidden: tuple[str, ...] = MODEL_HIDDEN) -> dict:
    groups = sorted({r["group"] for r in rows})
    X1 = shown(np.vstack([r["X"] for r in rows]), hidden)
    y = np.concatenate([r["y"] for r in rows])
    # Clean copies weigh less: they teach "keep a clean article", the dumps teach the rest.
    # Shingle F1 counts words, so long units weigh more (log of their token count).
    w = np.concatenate([r["weight"] * np.log2(2 + np.expm1(r["X"][:, 1])) for r in rows])
    stage1 = fit_lr(X1, y, w)
    # Stage two learns from out-of-fold stage-one probabilities, averaged over OOF_REPEATS
    # deals of the sites into folds (one deal's luck otherwise carries into every tree).
    oof = np.zeros(len(y))
    for rep in range(OOF_REPEATS):
        fold_of = _deal(groups, SEED if rep == 0 else SEED * 1000 + rep, folds)
        fold = np.concatenate([np.full(len(r["y"]), fold_of[r["group"]]) for r in rows])
        for k in range(folds):
            m = fold == k
            if m.any() and (~m).any():
                oof[m] += predict(fit_lr(X1[~m], y[~m], w[~m]), X1[m]) / OOF_REPEATS
    X2 = []
    start = 0
    for r in rows:
        n = len(r["y"])
        X2.append(np.hstack([stage2_features(oof[start:start + n]), shown(r["X"], hidden)]))
        start += n
    stage2 = fit_gbm(np.vstack(X2), y, w, subsample=GBM_SUBSAMPLE, seed=SEED)
    return {"stage1": stage1, "stage2": stage2}


def to_json(model: dict) -> dict:
    def enc(p):
        mu, sd, coef, bias = p
        return {"mean": [round(float(x), 6) for x in mu], "std": [round(float(x), 6) for x in sd],
                "coef": [round(float(x), 6) for x in coef], "bias": round(bias, 6)}

    return {
        "version": "textdump_lr_gbm_v1",
        "stage1_features": feature_names(),
        "stage2_features": stage2_names() + feature_names(),
        "stage1": enc(model["stage1"]),
        "stage2": model["stage2"],
    }


def score_docs(model_json: dict, docs: list[dict], threshold: float = 0.5) -> str:
    from cleaners.config import ExtractConfig

    cfg = ExtractConfig(dump_min_line_score=threshold)
    return summarise((d, textdump.clean_dump(d["dump"], cfg, model=model_json)) for d in docs)


def summarise(results) -> str:
    """F1/P/R, leak and title agreement over (truth document, DumpResult) pairs."""
    sys.path.insert(0, "/work/shared/eval")
    from textmetrics import leak_rate, norm, shingle_prf

    pairs, leaks, titles = [], [], [0, 0]
    for d, r in results:
        pairs.append((d["body"], r.text))
        leaks.append((d.get("without") or [], r.text))
        if d.get("title"):
            titles[1] += 1
            titles[0] += norm(r.title or "") == norm(d["title"])
    f1, p, rc = shingle_prf(pairs)
    out = f"F1 {f1:.3f}  P {p:.3f}  R {rc:.3f}"
    if any(l for l, _ in leaks):
        out += f"  leak {leak_rate(leaks):.3f}"
    if titles[1]:
        out += f"  title {titles[0] / titles[1]:.3f}"
    return out


def main(argv: list[str] | None = None) -> None:
    global SEED, GBM_SUBSAMPLE, OOF_REPEATS
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--eval-dir", type=Path, default=Path("/work/shared/eval/dev"))
    ap.add_argument("--out", type=Path, default=ROOT / "cleaners" / "data" / "textdump_model.json")
    ap.add_argument("--cv", action="store_true", help="print cross-validated figures too")
    ap.add_argument("--cv-dir", type=Path, default=Path("/tmp/docprep-textdump-cv"),
                    help="where --cv keeps its fold models (re-scored by --cv-score)")
    ap.add_argument("--cv-score", action="store_true",
                    help="only re-score the fold models in --cv-dir with the current cleaner")
    ap.add_argument("--no-write", action="store_true")
    ap.add_argument("--cache", type=Path, help="pickle of prepared features (development speed-up)")
    ap.add_argument("--zh", action="store_true",
                    help="also train the uncased model on benchmarks/zh_news.py's Chinese pages (an experiment: "
                         "not the shipped model, see the docstring)")
    ap.add_argument("--cases", type=float, nargs="?", const=CASES_WEIGHT, default=0.0,
                    help=f"also train on the hand-written cases' units, with this weight (default {CASES_WEIGHT})")
    ap.add_argument("--seed", type=int, default=SEED, help="other site folds and row samples (0: the shipped model's)")
    ap.add_argument("--oof-repeats", type=int, default=OOF_REPEATS,
                    help="deals of the sites into folds whose stage-one probabilities stage two averages")
    ap.add_argument("--subsample", type=float, default=GBM_SUBSAMPLE, help="stage two's row sample per tree")
    args = ap.parse_args(argv)
    SEED, GBM_SUBSAMPLE, OOF_REPEATS = args.seed, args.subsample, args.oof_repeats
    sets = {name: load_set(args.eval_dir, name) for name in SETS}
    if args.zh:
        sets[ZH_SET] = load_zh()
    if args.cv_score:
        score_cv(sets, args.cv_dir)
        return
    if args.cache and args.cache.exists():
        rows = pickle.loads(args.cache.read_bytes())
    else:
        rows = {name: prepare(docs, tok=_TOK_CJK if args.zh else _TOK) for name, docs in sets.items()}
        if args.cache:
            args.cache.write_bytes(pickle.dumps(rows))
    print(f"prepared {sum(len(r['y']) for v in rows.values() for r in v)} units", flush=True)
    if args.cv:
        cross_validate(sets, rows, args.cv_dir)
    model = train_both([r for name in sets for r in rows[name]] + (load_cases(args.cases) if args.cases else []))
    for name in sets:
        print(f"in-sample {name}: {score_docs(model, sets[name])}", flush=True)
    if not args.no_write:
        clean = _stored(model)
        args.out.write_text(json.dumps(clean, separators=(",", ":")) + "\n", encoding="utf-8")
        print(f"wrote {args.out}")


CV_FOLDS = 3


def cv_plan(sets: dict[str, list[dict]]) -> list[tuple[str, set[str]]]:
    """(fold name, ids held out): each set held out whole (train on the other set), then
    CV_FOLDS folds by site over all sets (a site never in train and test at once; the
    Chinese pages always trained on in the cross-set folds)."""
    plan = [(f"cross-set:{name}", {(name, d["id"]) for d in sets[name]}) for name in SETS]
    sites = sorted({d["site"] for docs in sets.values() for d in docs})
    for k in range(CV_FOLDS):
        held = set(sites[k::CV_FOLDS])
        plan.append((f"site-fold:{k}", {(d["set"], d["id"]) for docs in sets.values() for d in docs
                                        if d["site"] in held}))
    return plan


def cross_validate(sets, rows, cv_dir: Path) -> None:
    cv_dir.mkdir(parents=True, exist_ok=True)
    for fold, held in cv_plan(sets):
        train_rows = [r for name in sets for r in rows[name] if (name, r["doc"]["id"]) not in held]
        model = train_both(train_rows)
        (cv_dir / f"{fold.replace(':', '_')}.json").write_text(json.dumps(model))
        print(f"trained {fold} on {len(train_rows)} documents", flush=True)
    score_cv(sets, cv_dir)


def score_cv(sets, cv_dir: Path) -> None:
    plan = cv_plan(sets)
    models = {fold: json.loads((cv_dir / f"{fold.replace(':', '_')}.json").read_text()) for fold, _ in plan}
    for name in sets:
        held_by = {fold: held for fold, held in plan}
        cross = f"cross-set:{name}"
        if cross in models:
            print(f"cross-set (trained on the other set) {name}: "
                  f"{score_docs(models[cross], sets[name])}", flush=True)
        outputs = []
        for d in sets[name]:
            fold = next(f for f, h in held_by.items() if f.startswith("site-fold") and (name, d["id"]) in h)
            outputs.append((d, models[fold]))
        if name == ZH_SET:  # the dev measure, then the character one, over the same outputs
            from zh_news import char_prf

            results = [(d, textdump.clean_dump(d["dump"], model=m)) for d, m in outputs]
            print(f"{CV_FOLDS}-fold by site (all sets) {name}: {summarise(results)}", flush=True)
            pairs = [(d["body"], r.text) for d, r in results]
            print(f"{CV_FOLDS}-fold by site {name}, characters: F1 {'%.3f  P %.3f  R %.3f' % char_prf(pairs)}",
                  flush=True)
            continue
        print(f"{CV_FOLDS}-fold by site (all sets) {name}: {score_grouped(outputs)}", flush=True)
        low = [({**d, "dump": lowered(d["dump"]), "body": lowered(d["body"])}, m) for d, m in outputs]
        print(f"{CV_FOLDS}-fold by site, lower-cased pages {name}: {score_grouped(low)}", flush=True)


def score_grouped(outputs: list[tuple[dict, dict]]) -> str:
    """Score documents each cleaned by its own fold's model (one pass of the scorer)."""
    return summarise((d, textdump.clean_dump(d["dump"], model=m)) for d, m in outputs)


if __name__ == "__main__":
    main()
