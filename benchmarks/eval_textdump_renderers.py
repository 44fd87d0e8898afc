"""Check the text-dump cleaner on other renderers: w3m -dump, lynx -dump, a browser, Markdown.

usage: python benchmarks/eval_textdump_renderers.py [--n 60] [--out DIR] [--save-dumps]
           [--renderers html_text,w3m,lynx,chromium,markdown,html2text] [SET_DIR ...]

Takes every k-th page of each set (a fixed, deterministic subset of --n pages), renders
`html/<id>.html.gz` with `w3m -dump` and `lynx -dump` (hard-wrapped lines, `•`/`*`
bullets, `[12]` link markers, a References list), cleans each rendering with
`clean_dump`, and scores the outputs with the set's `score.py`, next to the same
subset's html_text dumps and the keep-everything baseline for each renderer.
Also prints F1 per language for the non-English pages of the subset (langdetect on the
truth body). Needs `apt-get install -y w3m lynx` (and `chromium` for that renderer).

`chromium` is what a reader copying a page from a browser gets: headless Chromium
with no network (every host name fails to resolve), images off, the page's own scripts
run, then `document.body.innerText` after load (CSS-hidden text left out, block
elements on their own lines, no wrapping, no bullets). About 3 s a page.

example: python benchmarks/eval_textdump_renderers.py --n 40 /work/shared/eval/dev/scrapinghub
All pages, kept as sets for eval_textdump.py (body, title and date figures per renderer):
  python benchmarks/eval_textdump_renderers.py --n 100000 --renderers w3m,lynx --save-dumps \
      --out /tmp/rend && python benchmarks/eval_textdump.py /tmp/rend/w3m-wcxb-articles

Results (2026-11-21, default --n 60: 75 scrapinghub / 60 wcxb pages, F1), before and
after renderer normalisation (`cleaners/textdump_render.py`; html_text unchanged):

| renderer | scrapinghub | wcxb-articles |
|---|---|---|
| html_text | 0.883 | 0.945 |
| w3m -dump | 0.824 -> 0.864 | 0.921 -> 0.930 (leak 0.100 -> 0.054) |
| lynx -dump | 0.760 -> 0.842 | 0.869 -> 0.931 (leak 0.196 -> 0.042) |

On all pages (eval_textdump.py on folders of renderings: 181 / 711 pages): html_text
0.909 / 0.927, w3m 0.852 -> 0.890 / 0.899 -> 0.912, lynx 0.770 -> 0.878 / 0.862 -> 0.915.

Chromium (2026-11-22, this script's `render` over every page, then eval_textdump.py on
the folders; the browser gave no text for 9 and 7 pages, left out), F1 (P / R), against
the html_text dumps of the same pages:

| dumps | scrapinghub (172) | wcxb-articles (704) |
|---|---|---|
| chromium innerText, cleaned | 0.905 (0.878 / 0.933) | 0.911 (0.902 / 0.921, leak 0.065, title 0.592) |
| html_text, cleaned | 0.906 (0.882 / 0.932) | 0.927 (0.911 / 0.944, leak 0.064, title 0.821) |
| chromium, keep everything | 0.696 (0.536 / 0.993) | 0.810 (0.700 / 0.962) |

Markdown (2026-12-04; `--renderers markdown,html2text --n 100000 --save-dumps`, then
eval_textdump.py): markdownify 0.894 / 0.924 (leak 0.081, title 0.814; with
`textdump_render.card_links`, links around several blocks read as those blocks: 0.909 /
0.928, leak 0.075, title 0.816; html2text 0.899 / 0.908), html2text with its
defaults (wrapped at 78 columns) 0.896 / 0.908 (leak 0.082, title 0.696), unwrapped 0.904 /
0.924 (before link texts could hold brackets); read as plain text (before `textdump_render.markdown_line` and `markdown_joins`)
0.524 / 0.681 and 0.508 / 0.658, keeping everything 0.439 / 0.629 and 0.424 / 0.620.

The browser's text lacks ~4% of the wcxb bodies (keep-everything recall 0.962: text its
CSS hides), and its first line is not the page's <title> (which html_text adds and the
headline chooser leans on): hence the lower recall and title.
"""
from __future__ import annotations

import argparse
import gzip
import json
import subprocess
import sys
import tempfile
from collections import defaultdict
from pathlib import Path

import lxml.html

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaners.textdump import clean_dump  # noqa: E402
from scored_output import SCORE, score, write_scored_folder  # noqa: E402

DEFAULT_SETS = [Path("/work/shared/eval/dev/scrapinghub"), Path("/work/shared/eval/dev/wcxb-articles")]


#: Appended to a page for the `chromium` renderer: after load, the page becomes one
#: <pre> holding its body's innerText, which --dump-dom then prints.
_INNER_TEXT = (
    b"<script>window.addEventListener('load',function(){var t=document.body?document.body.innerText:'';"
    b"document.documentElement.innerHTML='<body><pre id=\"docprep-text\"></pre></body>';"
    b"document.getElementById('docprep-text').textContent=t;});</script>"
)


def available(tool: str) -> bool:
    """Whether `tool` can render here: html_text (the sets' own dumps), the Markdown
    converters when their packages are installed, the others when on the PATH."""
    import importlib.util
    import shutil

    if tool == "html_text":
        return True
    if tool in ("markdown", "html2text"):
        return importlib.util.find_spec("markdownify" if tool == "markdown" else "html2text") is not None
    return shutil.which(tool) is not None


def render_markdown(tool: str, html: bytes) -> str:
    """The whole page as Markdown, as crawlers that hand pages to language models give it
    (Jina Reader, Firecrawl, crawl4ai): `markdown` is markdownify (MIT) on the page less
    its script, style, noscript, template and svg elements and <head> (but its <title>);
    `html2text` is html2text (GPL-3.0; a measuring tool here, never imported by docprep)
    with its defaults (lines wrapped at 78 columns, links and URLs too). Both need the
    `bench` extra."""
    from cleaners.decode import to_text

    text = to_text(html, None, "html")[0]  # the page's declared or detected charset, as docprep reads it
    if tool == "html2text":
        import html2text

        return html2text.HTML2Text().handle(text)
    import markdownify

    try:
        tree = lxml.html.fromstring(text)
        for el in tree.xpath("//script|//style|//noscript|//template|//svg|//head/*[not(self::title)]"):
            el.drop_tree()
        text = lxml.html.tostring(tree, encoding="unicode")
    except (ValueError, lxml.etree.ParserError):
        pass
    return markdownify.markdownify(text, heading_style="ATX")


def render(tool: str, html: bytes) -> str | None:
    """The page as `tool` renders it to text; None when the browser gave no text."""
    if tool in ("markdown", "html2text"):
        return render_markdown(tool, html)
    with tempfile.NamedTemporaryFile(suffix=".html") as f:
        f.write(html + _INNER_TEXT if tool == "chromium" else html)
        f.flush()
        if tool == "chromium":
            cmd = ["chromium", "--headless=new", "--no-sandbox", "--disable-gpu",
                   "--host-resolver-rules=MAP * ~NOTFOUND", "--virtual-time-budget=3000",
                   "--blink-settings=imagesEnabled=false", "--dump-dom", Path(f.name).as_uri()]
            try:
                out = subprocess.run(cmd, capture_output=True, timeout=60).stdout.decode("utf-8", "replace")
            except subprocess.TimeoutExpired:  # a page whose scripts never let it finish loading
                return None
            try:
                return lxml.html.fromstring(out).get_element_by_id("docprep-text").text_content()
            except (KeyError, ValueError, lxml.etree.ParserError):  # the page replaced itself
                return None
        if tool == "w3m":
            cmd = ["w3m", "-dump", "-T", "text/html", "-cols", "80", "-O", "UTF-8", f.name]
        else:
            cmd = ["lynx", "-dump", "-width=80", "-display_charset=utf-8", "-assume_charset=utf-8",
                   "-force_html", f.name]
        out = subprocess.run(cmd, capture_output=True, timeout=60)
    return out.stdout.decode("utf-8", "replace")


def short_score(set_dir: Path, out_dir: Path) -> str:
    return score(set_dir, out_dir).split(":", 1)[1].strip()


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    ap.add_argument("--n", type=int, default=60, help="pages per set (plus every non-English page)")
    ap.add_argument("--out", type=Path, default=Path("/tmp/docprep-eval-renderers"))
    ap.add_argument("--renderers", default="html_text,w3m,lynx",
                    help="comma-separated: html_text (the set's dumps), w3m, lynx, chromium, markdown, html2text")
    ap.add_argument("--save-dumps", action="store_true",
                    help="also write each rendering to OUT/<renderer>-<set>/dumps/<id>.txt with the "
                         "set's truth.jsonl: a set eval_textdump.py scores (F1, title, date)")
    args = ap.parse_args(argv)
    sys.path.insert(0, str(SCORE.parent))
    from textmetrics import shingle_prf

    from langdetect import DetectorFactory, detect

    DetectorFactory.seed = 0
    for set_dir in args.sets:
        truth = [json.loads(l) for l in open(set_dir / "truth.jsonl", encoding="utf-8")]
        lang = {}
        for t in truth:
            try:
                lang[t["id"]] = detect(t["body"][:2000]) if t["body"].strip() else "unknown"
            except Exception:
                lang[t["id"]] = "unknown"
        step = max(1, len(truth) // args.n)
        subset = truth[::step][: args.n]
        # Every non-English page joins the subset, for the per-language figures.
        picked = {t["id"] for t in subset}
        subset += [t for t in truth if lang[t["id"]] not in ("en", "unknown") and t["id"] not in picked]
        # score.py counts unmatched truth as empty: score against a subset truth file.
        sub_dir = args.out / set_dir.name / "set"
        sub_dir.mkdir(parents=True, exist_ok=True)
        with open(sub_dir / "truth.jsonl", "w", encoding="utf-8") as f:
            for t in subset:
                f.write(json.dumps(t, ensure_ascii=False) + "\n")
        langs = sorted({lang[t["id"]] for t in subset})
        print(f"{set_dir.name}: {len(subset)} pages, languages "
              f"{ {lg: sum(1 for t in subset if lang[t['id']] == lg) for lg in langs} }")
        per_lang: dict[tuple[str, str], list] = defaultdict(list)
        for renderer in args.renderers.split(","):
            cleaned, raw, rendered = [], [], []
            for t in subset:
                if renderer == "html_text":
                    text = (set_dir / "dumps" / f"{t['id']}.txt").read_text(encoding="utf-8")
                else:
                    html = gzip.decompress((set_dir / "html" / f"{t['id']}.html.gz").read_bytes())
                    text = render(renderer, html)
                if text is None:
                    continue
                if args.save_dumps and renderer != "html_text":
                    saved = args.out / f"{renderer}-{set_dir.name}"
                    (saved / "dumps").mkdir(parents=True, exist_ok=True)
                    (saved / "dumps" / f"{t['id']}.txt").write_text(text, encoding="utf-8")
                rendered.append(t)
                r = clean_dump(text)
                uri = f"{renderer}/{t['id']}.txt"
                cleaned.append({"text": r.text, "title": r.title, "source": {"uri": uri}})
                raw.append({"text": text, "title": None, "source": {"uri": uri}})
                if lang[t["id"]] != "en":
                    per_lang[(renderer, lang[t["id"]])].append((t["body"], r.text))
            if args.save_dumps and renderer != "html_text":  # the rendered pages' truth
                with open(args.out / f"{renderer}-{set_dir.name}" / "truth.jsonl", "w", encoding="utf-8") as f:
                    for t in rendered:
                        f.write(json.dumps(t, ensure_ascii=False) + "\n")
            base = args.out / set_dir.name / renderer
            truth_dir = sub_dir
            if len(rendered) < len(subset):  # score the pages the renderer gave text for
                truth_dir = base / "set"
                truth_dir.mkdir(parents=True, exist_ok=True)
                with open(truth_dir / "truth.jsonl", "w", encoding="utf-8") as f:
                    for t in rendered:
                        f.write(json.dumps(t, ensure_ascii=False) + "\n")
                print(f"  {renderer:9s} gave no text for {len(subset) - len(rendered)} of {len(subset)} pages")
            print(f"  {renderer:9s} cleaned: {short_score(truth_dir, write_scored_folder(base / 'cleaned', cleaned))}")
            print(f"  {renderer:9s} keep-all: {short_score(truth_dir, write_scored_folder(base / 'raw', raw))}")
        for (renderer, lg), pairs in sorted(per_lang.items()):
            if not any(truth.strip() for truth, _ in pairs):  # langdetect's "unknown": empty truths
                print(f"  lang {lg} {renderer:9s} ({len(pairs)} pages): no true body to score")
                continue
            f1, p, rc = shingle_prf(pairs)
            print(f"  lang {lg} {renderer:9s} ({len(pairs)} pages): F1 {f1:.3f}  P {p:.3f}  R {rc:.3f}")


if __name__ == "__main__":
    main()
