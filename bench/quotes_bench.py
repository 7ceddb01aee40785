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

    python bench/quotes_bench.py --baseline /path/to/other/tree --repeat 3

also runs every condition from another source tree (a change's before), taking turns with
this one, and says whether both trees gave each citation the same `quotes` and `drift` in
citations.json (a speed-up must not change a verdict).

    python bench/quotes_bench.py --stage [--baseline TREE]

times the quotes stage alone over the same 2,000 pages (each page's body and check as the
run has them, no network, no report), in this process: CPU of the best of five passes,
with and without drift — the steadiest figure on a busy machine.
"""

from __future__ import annotations

import argparse
import datetime as dt
import itertools
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
# the tree whose pipeline is measured: this one, or a baseline's in a --stage child
sys.path.insert(0, os.environ.get("QUOTES_BENCH_TREE") or str(HERE.parent))
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


def verdicts_of(report: dict) -> dict[str, Any]:
    """Each citation's quote and drift verdicts, as citations.json gives them."""
    return {r["id"]: {"quotes": r.get("quotes"), "drift": r.get("drift")} for r in report["results"]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus_options(ap)
    ap.add_argument("--page-kb", type=int, default=0)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--baseline", type=Path, help="also run from this source tree, taking turns (before/after)")
    ap.add_argument("--stage", action="store_true", help="time the quotes stage alone, no network, no report")
    args = ap.parse_args()
    if args.stage:
        stage_only(args)
        return

    import compileall

    trees = {"": HERE.parent} | ({"before: ": args.baseline.resolve()} if args.baseline else {})
    for tree in trees.values():
        compileall.compile_dir(str(tree / "pipeline"), quiet=1)
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
        walls: dict[str, list[float]] = {}
        cpus: dict[str, list[float]] = {}
        seen: dict[str, dict[str, Any]] = {}  # condition → the verdicts of its first run
        differ: set[str] = set()
        set_aside = itertools.count()
        for _ in range(max(1, args.repeat)):
            for name, (quotes, extra) in ways.items():
                for label, tree in trees.items():
                    env = {**os.environ, "PYTHONPATH": str(tree)}
                    # moved aside, deleted at the end (as check_bench does): on ext4 without a
                    # journal, files created right after thousands were deleted cost the run
                    # up to 0.6 ms each in the kernel, and which condition ran after which
                    # deletion moved the figures by ±15 %
                    for old in ("archive", "reports"):
                        if (work / old).exists():
                            (work / old).rename(work / f"set-aside-{next(set_aside)}")
                    (work / "citations.yaml").write_text(citations(urls, quotes), encoding="utf-8")
                    if quotes and not extra:
                        keep_copies(work / "archive", urls)
                    wall, rss, rc, _, cpu = timed(base + extra, work, env)
                    walls.setdefault(label + name, []).append(wall)
                    cpus.setdefault(label + name, []).append(cpu)
                    report = json.loads((work / "reports" / "citations.json").read_text(encoding="utf-8"))
                    if seen.setdefault(name, verdicts_of(report)) != verdicts_of(report):
                        differ.add(name)
                    summary = report["summary"]
                    counts = f"quotes {summary.get('by_quote')}, drift {summary.get('by_drift')}"
                    print(
                        f"{label + name:<36} {wall:7.2f} s  CPU {cpu:6.2f} s  {rss:6.1f} MB  exit {rc}  {counts}",
                        file=sys.stderr,
                    )
        page = f"~{args.page_kb} KB pages" if args.page_kb else "~1 KB pages"
        print(
            f"\n{args.urls} URLs, {args.hosts} hosts, {args.latency * 1000:.0f} ms latency, {page}, {args.repeat} run(s)"
        )
        print("| run | wall s (median) | runs | vs main | CPU s (median) | vs main |")
        print("|---|---:|---|---:|---:|---:|")
        for label in trees:
            first, first_cpu = statistics.median(walls[label + "main"]), statistics.median(cpus[label + "main"])
            for name in ways:
                ws, cs = walls[label + name], cpus[label + name]
                wall, cpu = statistics.median(ws), statistics.median(cs)
                each = " ".join(f"{w:.2f}" for w in ws)
                print(
                    f"| {label + name} | {wall:.2f} | {each} | {100 * (wall / first - 1):+.1f} % | {cpu:.2f} |"
                    f" {100 * (cpu / first_cpu - 1):+.1f} % |"
                )
        same = ", ".join(n for n in ways if n not in differ)
        print(f"\nquotes and drift of every citation the same in every run{' and tree' * bool(args.baseline)}: {same}")
        if differ:
            print(f"NOT the same: {', '.join(sorted(differ))}")
    finally:
        proc.stdin.close()
        proc.terminate()
        shutil.rmtree(work, ignore_errors=True)


STAGE_PASSES = 5


def stage_only(args: argparse.Namespace) -> None:
    """The quotes stage's CPU over the bench's pages, without the run around it: each tree in
    a process of its own (``_stage_child``), taking turns; the verdicts compared across trees."""
    import subprocess

    trees = {"": HERE.parent} | ({"before: ": args.baseline.resolve()} if args.baseline else {})
    best: dict[str, float] = {}
    seen: dict[str, str] = {}
    differ: set[str] = set()
    for _ in range(max(1, args.repeat)):
        for drift in (True, False):
            name = "quotes + drift, copies kept" if drift else "quotes, --no-drift"
            for label, tree in trees.items():
                cmd = [sys.executable, str(Path(__file__).resolve()), "--urls", str(args.urls), "--_stage-child"]
                env = {**os.environ, "QUOTES_BENCH_TREE": str(tree), "QUOTES_BENCH_DRIFT": "1" if drift else ""}
                out = subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout
                cpu, verdicts = out.split("\n", 1)
                best[label + name] = min(best.get(label + name, float("inf")), float(cpu))
                if seen.setdefault(name, verdicts) != verdicts:
                    differ.add(name)
                print(f"{label + name:<36} CPU {float(cpu):6.3f} s (best of {STAGE_PASSES} passes)", file=sys.stderr)
    print(f"\nthe quotes stage alone, {args.urls} pages, no network, CPU s (best of each run's best)")
    print("| stage | CPU s |")
    print("|---|---:|")
    for key, cpu in best.items():
        print(f"| {key} | {cpu:.3f} |")
    print(
        f"\nverdicts the same in every run{' and tree' * bool(args.baseline)}: {', '.join(n for n in seen if n not in differ)}"
    )
    if differ:
        print(f"NOT the same: {', '.join(sorted(differ))}")


def _stage_child(urls_wanted: int) -> None:
    """In a child whose PYTHONPATH is the tree measured: run the stage ``STAGE_PASSES`` times
    over pages as the corpus server sends them; print the best CPU, then the verdicts."""
    import time

    from pipeline.model import Citation, Fetch, LinkCheck, Result, Status
    from pipeline.quotes.stage import QuoteSettings, SourceTexts, ask

    drift = bool(os.environ.get("QUOTES_BENCH_DRIFT"))
    urls = corpus([f"http://127.0.0.{h}:8000" for h in range(2, 22)], urls_wanted)
    work = Path(tempfile.mkdtemp(prefix="citewatch-quotes-stage-"))
    try:
        if drift:
            keep_copies(work / "archive", urls)
        seen = []
        for i, url in enumerate(urls):
            if "/missing/" in url:
                body = b"<html><head><title>404 Not Found</title></head><body>gone</body></html>"
                check = LinkCheck(url, Status.DEAD, "HTTP 404 Not Found", 404, url)
            else:
                body = page_body(i)
                check = LinkCheck(url, Status.LIVE, "HTTP 200 OK", 200, url)
            fetched = Fetch(url, url, check.http_status, None, {"content-type": "text/html; charset=utf-8"}, body)
            seen.append((fetched, check))
        quote = {i: ON_PAGE if i % 2 else NOT_ON_PAGE for i in range(len(urls))}
        cited = [
            Citation(str(i), title=f"Story {i}", url=u, citing_text=f"The paper wrote {quote[i]}.")
            for i, u in enumerate(urls)
        ]
        for c in cited:
            c.date = _cited_date()
        best = float("inf")
        for _ in range(STAGE_PASSES):
            asked = ask([(c, None) for c in cited])
            stage = SourceTexts(asked, urls, QuoteSettings(drift=drift), _copies(work), lambda url: False)
            started = time.process_time()
            for fetched, check in seen:
                stage.on_fetch(fetched, check)
            results = [Result(c, check) for c, (_, check) in zip(cited, seen, strict=True)]
            stage.finish(results, {})
            best = min(best, time.process_time() - started)
        verdicts = [
            {"quotes": [q.to_dict() for q in r.quotes or []], "drift": r.drift.to_dict() if r.drift else None}
            for r in results
        ]
        print(f"{best:.4f}\n{json.dumps(verdicts, sort_keys=True)}")
    finally:
        shutil.rmtree(work, ignore_errors=True)


def page_body(n: int) -> bytes:
    """Page ``n`` as corpus_server.py serves it (no padding)."""
    return (
        f"<!doctype html><html lang=en><head><meta charset=utf-8><title>Story {n} | Bench News</title>"
        f'<meta property="og:title" content="Story {n}"><meta property="article:published_time" content="2021-12-23T10:00:00Z">'
        f"</head><body><h1>Story {n}</h1><p>{'Some article text. ' * 40}</p></body></html>"
    ).encode()


def _cited_date() -> Any:
    from pipeline.citations import to_partial_date

    return to_partial_date(CITED.isoformat())


def _copies(work: Path) -> CitedCopies:
    return CitedCopies(work / "archive", None, WaybackClient(WaybackSettings()))  # reads archive/ only


if __name__ == "__main__":
    if "--_stage-child" in sys.argv:
        _stage_child(int(sys.argv[sys.argv.index("--urls") + 1]))
    else:
        main()
