"""Score the text-dump cleaner on an evaluation set's dumps, and time it.

usage: python benchmarks/eval_textdump.py [SET_DIR ...] [--out DIR] [--repeat N]

For each SET_DIR (default: both sets under /work/shared/eval/dev) every `dumps/<id>.txt`
goes through `cleaners.textdump.clean_dump`; the records are written to
`OUT/<set>/data/part-00000.jsonl` with a `manifest.json`, scored with the set's
`score.py` (F1 / P / R on 4-gram shingles, boilerplate leak, title), and the cleaner's
own throughput is printed (documents per second on one core, reading and writing
excluded). Also printed: date accuracy where the truth has a date, and how well an
already clean article survives (the truth bodies run through the cleaner).

example: python benchmarks/eval_textdump.py /work/shared/eval/dev/scrapinghub --out /tmp/td-eval

A SET_DIR may be any folder with `dumps/` and `truth.jsonl`: e.g. w3m or lynx
renderings of a set's `html/` (see eval_textdump_renderers.py's `render`) next to a
link to its truth. Results (2026-11-22, F1, CPU docs/s of one core):

| dumps | scrapinghub (181) | wcxb-articles (711) |
|---|---|---|
| html_text (in-sample) | 0.910 (P 0.884, R 0.937) | 0.927 (P 0.912, R 0.943, leak 0.064) |
| w3m -dump -cols 80 | 0.892 (P 0.852, R 0.936) | 0.911 (P 0.894, R 0.929, leak 0.071) |
| lynx -dump -width=80 | 0.882 (P 0.843, R 0.925) | 0.914 (P 0.900, R 0.929, leak 0.064) |

(2026-11-21, before the script-neutral features: 0.909 / 0.927, w3m 0.890 / 0.912, lynx
0.878 / 0.915.) 2026-11-22, later, with ordered-list numbers stripped
(`textdump_render.strip_number`): w3m 0.892 -> 0.896 (P 0.853 -> 0.861) / 0.914, lynx 0.879
-> 0.884 (P 0.842 -> 0.851) / 0.917; html_text 0.912 / 0.931 unchanged. Then reader
comments dropped from their heading on (`textdump._comment_section`): html_text 0.912 ->
0.914 (P 0.887 -> 0.890) / 0.931 -> 0.932 (P 0.913 -> 0.916), w3m 0.898 / 0.915, lynx
0.886 / 0.918.
html_text speed: 131 / 87 docs/s (140 / 92 before renderer normalisation, same load).
"""
from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from cleaners.textdump import clean_dump, load_model  # noqa: E402
from scored_output import SCORE, score, write_scored_folder  # noqa: E402

DEFAULT_SETS = [Path("/work/shared/eval/dev/scrapinghub"), Path("/work/shared/eval/dev/wcxb-articles")]


def run_set(set_dir: Path, out_dir: Path, repeat: int = 1) -> None:
    dumps = sorted((set_dir / "dumps").glob("*.txt"))
    contents = [(p, p.read_text(encoding="utf-8")) for p in dumps]
    load_model()
    clean_dump("warm up the stop lists and the model")
    best = float("inf")
    results = []
    for _ in range(repeat):
        start = time.process_time()
        results = [clean_dump(text) for _, text in contents]
        best = min(best, time.process_time() - start)
    records = [{"text": r.text, "title": r.title, "date": r.date, "source": {"uri": str(path)}}
               for (path, _), r in zip(contents, results)]
    print(score(set_dir, write_scored_folder(out_dir, records)))
    truth = [json.loads(l) for l in open(set_dir / "truth.jsonl", encoding="utf-8")]
    by_id = {p.stem: r for (p, _), r in zip(contents, results)}
    dated = [t for t in truth if t.get("date")]
    if dated:
        hit = sum(1 for t in dated if by_id.get(t["id"]) and by_id[t["id"]].date == t["date"])
        found = sum(1 for t in dated if by_id.get(t["id"]) and by_id[t["id"]].date)
        print(f"  date: exact {hit / len(dated):.3f}, found {found / len(dated):.3f} of {len(dated)} dated pages")
    total_chars = sum(len(t) for _, t in contents)
    print(f"  speed: {len(contents) / best:.0f} docs/s, {total_chars / best / 1e6:.2f} MB/s "
          f"(CPU time, one core, {len(contents)} docs, best of {repeat})")
    sys.path.insert(0, str(SCORE.parent))
    from textmetrics import shingle_prf

    pairs = [(t["body"], clean_dump(t["body"]).text) for t in truth if t["body"].strip()]
    f1, p, rc = shingle_prf(pairs)
    print(f"  clean-article survival (truth body in, vs itself): F1 {f1:.3f}  P {p:.3f}  R {rc:.3f}")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("sets", nargs="*", type=Path, default=DEFAULT_SETS)
    ap.add_argument("--out", type=Path, default=Path("/tmp/docprep-eval-textdump"))
    ap.add_argument("--repeat", type=int, default=1, help="time the cleaner N times, keep the best")
    args = ap.parse_args(argv)
    for set_dir in args.sets:
        run_set(set_dir, args.out / set_dir.name, args.repeat)


if __name__ == "__main__":
    main()
