"""A third, multilingual check no one here wrote: newspaper4k's article fixtures.

usage: python benchmarks/eval_newspaper4k.py [--work DIR] [--renderers html_text,w3m,lynx] [--pages]

The dev sets are nearly all English (of 892 pages: 5 pt, 4 ru, 2 each de, ja, ko, id,
1 it; no Chinese, French, Spanish, Polish or Greek). newspaper4k's test data (MIT, in
its sdist on PyPI) holds 23 news pages with their expected article text: 12 English and
11 others (ar, es, ja x2, lv, my, th, zh x3, and one Chinese page with no language
tag). This script fetches that sdist once from PyPI (pinned, sha256-checked; no other
download), builds an evaluation set in the dev sets' layout under --work (html/, dumps/
rendered with html_text as the dev dumps are, truth.jsonl with the fixtures' text,
title and language), and scores, with the dev sets' measures (/work/shared/eval):

  * keep everything (each renderer's whole dump),
  * docprep's text-dump cleaner (`clean_dump`) on each renderer's dump,
  * trafilatura's `extract()` on the HTML, and docprep's HTML path (`extract_html`).

The truth is newspaper's own extraction, kept by its maintainers as regression fixtures:
a reviewed reference, not a hand-made gold body (trafilatura on the HTML reaches 0.93
against it, not 1.0). F1 counts 4-grams of \\w+ tokens, which in Chinese, Japanese and
Thai are whole runs between punctuation: coarse there, so read the per-page lines
(--pages) too. Needs `pip install html_text` (the `bench` extra), w3m and lynx for
those renderers.

example: .venv/bin/python benchmarks/eval_newspaper4k.py --pages

Results (2026-11-22), F1 (all 23 pages / the 13 English / the 10 others; four pages
carry no language tag and are sorted by langdetect's guess on their truth):

| method | before (commit 68c54d5) | after (script-neutral features) |
|---|---|---|
| keep everything, html_text / w3m / lynx dump | 0.556 / 0.490 / 0.295 | same |
| docprep, html_text dump | 0.836 / 0.913 / 0.706 | 0.848 / 0.925 / 0.722 |
| docprep, w3m dump | 0.738 / 0.927 / 0.481 | 0.754 / 0.911 / 0.531 |
| docprep, lynx dump | 0.765 / 0.923 / 0.540 | 0.798 / 0.915 / 0.617 |
| trafilatura on the HTML | 0.932 / 0.975 / 0.870 | same |
| docprep on the HTML | 0.924 / 0.965 / 0.866 | same |

"After": `cjk_ratio` hidden from the line model, Chinese and Japanese lines measured by
their function characters and with no title-case evidence, more stop lists (Arabic,
Latvian, Korean ...); see cleaners/textdump_features.py. English pages clean about as
well as the dev sets' (0.91-0.93); the others do not: per page (--pages) Arabic 0.83-0.89,
Chinese 0.23-0.92 (a short Xinhua page whose every line scores as prose is kept whole),
Japanese 0.10-0.89, Thai 0.39-0.57, Latvian 0.51-0.65, a Burmese page 0.00 from w3m.

Later (2026-11-22, renderer widths: a combining mark takes no column in w3m, lynx dumps
measured in characters first, lynx's cuts inside a Thai phrase joined without a space):
w3m 0.754 / 0.911 / 0.531 -> 0.763 / 0.911 / 0.551 (Thai from w3m 0.39 -> 0.58: its
wrapped paragraphs are joined again), lynx 0.798 / 0.915 / 0.617 unchanged (Thai 0.55 ->
0.53 with correctly joined text: the model's Thai verdicts move). The Burmese w3m dump
still gets no width: w3m gives Myanmar's spacing vowel signs no column either, which one
page is too little to build on.

Later still (2026-11-22, German title case read net of its nouns, both models retrained;
no page here is German, so what moves is the refit): html_text 0.848 / 0.925 / 0.722 ->
0.840 / 0.929 / 0.692, w3m 0.763 / 0.911 / 0.551 -> 0.770 / 0.927 / 0.545, lynx 0.798 /
0.915 / 0.617 -> 0.799 / 0.923 / 0.607. Single pages swing: the Burmese html_text dump
0.94 -> 0.57, a Chinese one 0.83 -> 0.93. The non-English figure rests on ten pages and a
model with almost no training lines in their scripts; read it as +-0.03.

2026-11-22, later: pages without case evidence read by a model also trained on lower-cased
copies of the dev pages (the line model's uncased regime; 8 pages here: ar, my, th, ja x2,
zh x3; English and the other cased pages give the same output as before): html_text
0.839 / 0.929 / 0.689 -> 0.843 / 0.929 / 0.712, w3m 0.768 / 0.926 / 0.543 -> 0.795 / 0.926
/ 0.602, lynx 0.799 / 0.923 / 0.606 -> 0.804 / 0.923 / 0.632. As single pages swing with a
refit, both recipes were trained with three subsampling seeds: mean page F1 over the 8
uncased pages, before -> after, html_text 0.670 -> 0.690, w3m 0.458 -> 0.537, lynx 0.571
-> 0.590 (each seed of the new recipe above the same seed of the old, on every renderer).
Burmese gains most (html_text 0.57 -> 0.86), Thai loses (0.52 -> 0.39: no stop list and
no word spaces, so little evidence is left without case); the Xinhua page is still kept
whole (0.46).

2026-11-22, later: w3m's and lynx's ordered-list numbers stripped like their bullets
(`textdump_render.strip_number`; html_text dumps unchanged): w3m 0.795 / 0.926 / 0.602 ->
0.806 / 0.926 / 0.636, lynx 0.804 / 0.923 / 0.632 -> 0.810 / 0.923 / 0.650.

2026-12-03/04: rules for Chinese, Japanese and Korean teaser headings and comment software
(12-03), then for Chinese site furniture (12-04: button rows, "> 正文" breadcrumbs,
"(阅读)下一篇：" links and the teasers after them, licence footers; cleaners/textdump.py
`_cjk_furniture`): html_text 0.843 / 0.929 / 0.712 -> 0.844 / 0.929 / 0.716 -> 0.854 / 0.929
/ 0.743, w3m 0.806 / 0.926 / 0.636 -> 0.807 / 0.926 / 0.637 -> 0.810 / 0.926 / 0.648, lynx
0.810 / 0.923 / 0.650 -> 0.810 / 0.923 / 0.652 -> 0.816 / 0.923 / 0.666. The Xinhua page
(chinese_article_002), kept whole before, 0.46 -> 0.80 (w3m 0.23 -> 0.38, lynx 0.29 ->
0.49): its teaser list under "阅读下一篇：" and its "新华网 > > 正文" breadcrumb now go.
That page was read to find the two forms, so it is no longer held out; no other page
moved on 12-04 (on 12-03 the Japanese one, 0.88 -> 0.91).
Then reader comments found after a "Comentar" heading (the comment form's button; also
"commenter", "kommentieren" ...) with the comment marks up to 24 units below it, not 12
(the form's rules of use and fields come first): the Spanish page 0.54 -> 0.95 (w3m 0.63 ->
0.92, lynx 0.61 -> 0.87; trafilatura on the HTML 0.66, which keeps those comments), the
other languages 0.743 -> 0.780 (w3m 0.648 -> 0.676, lynx 0.666 -> 0.689); no other page
moved. Read to find the form, this page too is no longer held out.
Then teaser-list headings as whole lines in 24 more languages and Thai (cleaners/textdump.py
`_NAV_HEADINGS`: "Saistītie raksti", "เรื่องที่เกี่ยวข้อง", "Baca juga" ...; the list was
written per language for the headings' meanings, not from these pages, but the Latvian and
Thai pages were read while checking it): the other languages 0.780 -> 0.786 (w3m 0.676 ->
0.681, lynx 0.689 -> 0.693); Latvian 0.56 -> 0.58, Thai 0.39 -> 0.45 (html_text). Thai's
lead paragraph is still dropped, and the Latvian page keeps its error-report and
newsletter boxes.
"""
from __future__ import annotations

import argparse
import gzip
import json
import shutil
import sys
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
sys.path.insert(0, "/work/shared/eval")

from sdists import fetch_sdist, read_members  # noqa: E402

SDIST = ("newspaper4k", "0.9.6", "a3f2f0e017dddb6f1019ee77aaa8980e13e6ecea0b949abc7167aae4770d2d0e")
DATA = "newspaper4k-0.9.6/tests/data"


def build_set(work: Path) -> Path:
    """The fixtures as an evaluation set: html/<id>.html.gz, dumps/<id>.txt, truth.jsonl."""
    import html_text

    out = work / "newspaper4k"
    if (out / "truth.jsonl").exists():
        return out
    files = read_members(fetch_sdist(work, *SDIST), DATA)
    tmp = work / "newspaper4k.tmp"
    shutil.rmtree(tmp, ignore_errors=True)
    (tmp / "html").mkdir(parents=True)
    (tmp / "dumps").mkdir()
    rows = []
    for name in sorted(n for n in files if n.startswith("html/") and n.endswith(".html")):
        page = name.removeprefix("html/").removesuffix(".html")
        if f"txt/{page}.txt" not in files:  # site front pages, redirects: no article to compare with
            continue
        raw = files[name]
        meta = json.loads(files.get(f"metadata/{page}.json", b"{}"))
        (tmp / "html" / f"{page}.html.gz").write_bytes(gzip.compress(raw, mtime=0))
        dump = html_text.extract_text(raw.decode("utf-8", "replace"), guess_layout=True)
        (tmp / "dumps" / f"{page}.txt").write_text(dump, encoding="utf-8")
        row = {"id": page, "body": files[f"txt/{page}.txt"].decode("utf-8"), "url": meta.get("url") or ""}
        for key, src in (("title", "title"), ("lang", "language")):
            if meta.get(src):
                row[key] = meta[src]
        rows.append(row)
    (tmp / "truth.jsonl").write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in rows),
                                     encoding="utf-8")
    tmp.rename(out)
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--work", type=Path, default=Path("/tmp/docprep-newspaper4k"))
    ap.add_argument("--renderers", default="html_text,w3m,lynx")
    ap.add_argument("--pages", action="store_true", help="print F1 per page too")
    args = ap.parse_args(argv)

    import trafilatura
    from textmetrics import norm, shingle_prf

    from cleaners.html import extract_html
    from cleaners.textdump import clean_dump
    from eval_textdump_renderers import render

    from cleaners.config import LanguageConfig
    from cleaners.language import detect

    set_dir = build_set(args.work)
    truth = [json.loads(line) for line in open(set_dir / "truth.jsonl", encoding="utf-8")]
    for t in truth:  # four fixtures carry no language: langdetect's guess, marked with *
        t.setdefault("lang", detect(t["body"], LanguageConfig())[0] + "*")
    outputs: dict[str, list[str]] = defaultdict(list)
    titles: dict[str, int] = defaultdict(int)
    for t in truth:
        raw = gzip.decompress((set_dir / "html" / f"{t['id']}.html.gz").read_bytes())
        html = raw.decode("utf-8", "replace")
        for renderer in args.renderers.split(","):
            dump = ((set_dir / "dumps" / f"{t['id']}.txt").read_text(encoding="utf-8")
                    if renderer == "html_text" else render(renderer, raw) or "")
            cleaned = clean_dump(dump)
            outputs[f"keep everything, {renderer} dump"].append(dump)
            outputs[f"docprep, {renderer} dump"].append(cleaned.text)
            titles[f"docprep, {renderer} dump"] += bool(t.get("title")) and norm(cleaned.title or "") == norm(t["title"])
        outputs["trafilatura on the HTML"].append(trafilatura.extract(html) or "")
        result = extract_html(html, t["url"] or None)
        outputs["docprep on the HTML"].append(result.text)
        titles["docprep on the HTML"] += bool(t.get("title")) and norm(result.title or "") == norm(t["title"])

    english = [i for i, t in enumerate(truth) if t["lang"].rstrip("*") == "en"]
    others = [i for i in range(len(truth)) if i not in english]
    n_titles = sum(1 for t in truth if t.get("title"))
    print(f"{len(truth)} pages: {len(english)} English, {len(others)} others "
          f"({', '.join(sorted(t.get('lang') or '?' for t in truth if t.get('lang') != 'en'))})")
    print(f"{'method':34s} {'F1 all':>7s} {'P':>6s} {'R':>6s} {'F1 en':>7s} {'F1 other':>9s} {'title':>6s}")
    for method, texts in outputs.items():
        pairs = [(t["body"], x) for t, x in zip(truth, texts)]
        f1, p, r = shingle_prf(pairs)
        f1_en = shingle_prf([pairs[i] for i in english])[0]
        f1_other = shingle_prf([pairs[i] for i in others])[0]
        title = f"{titles[method] / n_titles:.3f}" if method in titles and n_titles else ""
        print(f"{method:34s} {f1:7.3f} {p:6.3f} {r:6.3f} {f1_en:7.3f} {f1_other:9.3f} {title:>6s}")
    if args.pages:
        shown = [m for m in outputs if not m.startswith("keep")]
        print("\nF1 per page: " + " | ".join(shown))
        for i, t in enumerate(truth):
            cells = " ".join(f"{shingle_prf([(t['body'], outputs[m][i])])[0]:5.2f}" for m in shown)
            print(f"  {t['id'][:22]:22s} {t['lang']:8s} {cells}")


if __name__ == "__main__":
    main()
