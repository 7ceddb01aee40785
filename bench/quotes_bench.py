"""What checking quotes and drift adds to `citewatch run`, when no archived copy needs fetching.

    python bench/quotes_bench.py                    # 2,000 URLs over 20 hosts, 100 ms latency, ~1 KB pages
    python bench/quotes_bench.py --page-kb 150 --repeat 3   # news-sized pages, medians of 3

The loopback corpus of check_bench.py, run three ways, taking turns, each from a cold
archive/ (history, WARCs, reports) except for the copies from the citation time:

- `main`: the feature absent (the citations carry no citing text; `--no-drift`);
- `quotes + drift, copies kept`: each citation quotes its source (half the quotes are on
  the page, half are not) and the copy of every source from its citation time is already
  kept in archive/cited-copies/ — the state of every run after the first — so no copy is
  fetched (none is asked for: the run only asks the Wayback Machine for a copy it does not
  keep, and `--no-wayback` would leave such a source's drift `unknown`; the counts printed
  show 1,600 `unchanged` and 200 `changed` pages, i.e. every live page compared with its
  kept copy). Each page's text is read, each quote looked for in it and in the copy, and
  each page compared with its copy (one in ten changed since: those pages' article text is
  extracted too). This is issue 20's "no copy needs fetching" condition;
- `quotes, --no-drift`: the same quotes, no copy read or compared.

A first run, which fetches every copy, is paced by the Wayback Machine (its ~25 lookups a
minute), not by this work; it is not measured here.

`--no-wayback` throughout: the question is the cost of reading and comparing text, not of
the archive's pacing. Wall and CPU time (user + system) of the whole process tree, the
run's page-reading children included (treetime.py); on a shared machine the CPU time is the
steadier figure. Nothing is asserted. The measured figures: bench/README.md.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))
sys.path.insert(0, str(HERE))

from check_bench import corpus, corpus_options, start_corpus, timed  # noqa: E402

from pipeline.archive.wayback import WaybackClient, WaybackSettings  # noqa: E402
from pipeline.quotes.copies import CitedCopies, CitedCopy  # noqa: E402
from pipeline.quotes.pagetext import PageText  # noqa: E402

CITED = dt.date(2021, 2, 1)
ON_PAGE = "“Some article text. Some article text. Some article text.”"
NOT_ON_PAGE = "“the minister resigned on Tuesday after the vote”"


def citations(urls: list[str], quotes: bool) -> str:
    rows = []
    for i, u in enumerate(urls):
        row = f"  - id: '{i}'\n    title: Story {i}\n    date: {CITED.isoformat()}\n    url: {u}\n"
        if quotes:
            quote = ON_PAGE if i % 2 else NOT_ON_PAGE
            row += f"    citing_text: {json.dumps(f'The paper wrote {quote}.', ensure_ascii=False)}\n"
        rows.append(row)
    return "citations:\n" + "".join(rows)


def keep_copies(archive: Path, urls: list[str]) -> None:
    """The copies from the citation time, as a first run with the Wayback Machine left them."""
    copies = CitedCopies(archive, None, WaybackClient(WaybackSettings()))  # only its paths are used
    for i, url in enumerate(urls):
        text = "Some article text. " * 40
        if i % 10 == 0:
            text += "A correction was published after readers wrote in about the figures."
        stamp = dt.datetime(2021, 1, 5, 12, tzinfo=dt.UTC)
        archived = f"http://wayback.invalid/web/20210105120000/{url}"
        copy = CitedCopy(url, CITED, archived, stamp, PageText(text.strip(), None, "en", archived))
        path = copies.path_for(url)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(copy.to_store()), encoding="utf-8")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus_options(ap)
    ap.add_argument("--page-kb", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    args = ap.parse_args()

    import compileall

    import pipeline

    compileall.compile_dir(str(Path(pipeline.__file__).parent), quiet=1)
    proc, bases = start_corpus(args.hosts, args.latency, args.page_kb)
    work = Path(tempfile.mkdtemp(prefix="citewatch-quotes-bench-"))
    try:
        urls = corpus(bases, args.urls)
        base = [sys.executable, "-m", "pipeline", "run", "--allow-private", "--no-probe"]  # citations.yaml, as it is
        base += ["--no-wayback", "--concurrency", str(args.concurrency), "--per-host", str(args.per_host)]
        ways = {
            "main": (False, ["--no-drift"]),
            "quotes + drift, copies kept": (True, []),
            "quotes, --no-drift": (True, ["--no-drift"]),
        }
        env = {**os.environ, "PYTHONPATH": str(HERE.parent)}
        walls: dict[str, list[float]] = {}
        cpus: dict[str, list[float]] = {}
        for _ in range(max(1, args.repeat)):
            for name, (quotes, extra) in ways.items():
                for old in ("archive", "reports"):
                    shutil.rmtree(work / old, ignore_errors=True)
                (work / "citations.yaml").write_text(citations(urls, quotes), encoding="utf-8")
                if quotes and not extra:
                    keep_copies(work / "archive", urls)
                wall, rss, rc, _, cpu = timed(base + extra, work, env)
                walls.setdefault(name, []).append(wall)
                cpus.setdefault(name, []).append(cpu)
                summary = json.loads((work / "reports" / "citations.json").read_text(encoding="utf-8"))["summary"]
                counts = f"quotes {summary.get('by_quote')}, drift {summary.get('by_drift')}"
                print(
                    f"{name:<28} {wall:7.2f} s  CPU {cpu:6.2f} s  {rss:6.1f} MB  exit {rc}  {counts}", file=sys.stderr
                )
        page = f"~{args.page_kb} KB pages" if args.page_kb else "~1 KB pages"
        print(
            f"\n{args.urls} URLs, {args.hosts} hosts, {args.latency * 1000:.0f} ms latency, {page}, {args.repeat} run(s)"
        )
        print("| run | wall s (median) | runs | vs main | CPU s (median) | vs main |")
        print("|---|---:|---|---:|---:|---:|")
        first, first_cpu = statistics.median(walls["main"]), statistics.median(cpus["main"])
        for name, ws in walls.items():
            wall, cpu = statistics.median(ws), statistics.median(cpus[name])
            each = " ".join(f"{w:.2f}" for w in ws)
            print(
                f"| {name} | {wall:.2f} | {each} | {100 * (wall / first - 1):+.1f} % | {cpu:.2f} |"
                f" {100 * (cpu / first_cpu - 1):+.1f} % |"
            )
    finally:
        proc.stdin.close()
        proc.terminate()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
