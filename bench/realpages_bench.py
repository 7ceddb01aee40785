"""CPU per URL on real news pages: the 348 pages of ../shared/realpages (read from there,
never copied into the project).

    python bench/realpages_bench.py                      # both parts below, 2,000 URLs
    python bench/realpages_bench.py --pages-only         # part 1 only (no servers)
    python bench/realpages_bench.py --only citewatch --repeat 3

1. Per page, in this process: the CPU (thread time) of reading one fetched page the way a
   check does (pagereader.read_page: decode, liveness signals, classification, metadata),
   then its history entry serialised. Median, p95 and max over the set, with page sizes.
   This is the per-URL cost a worker pays after its GET, without threads competing.
2. Whole runs: `citewatch check` and lychee against realpages_server.py (20 loopback
   hosts, 100 ms latency, 10% 404s), wall time, user+sys CPU and CPU per URL from
   /usr/bin/time, as check_bench.py measures them.

Skips with a message when ../shared/realpages is not on this machine.
"""

from __future__ import annotations

import argparse
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from check_bench import corpus, timed, write_inputs  # noqa: E402
from realpages_server import REALPAGES, page_files  # noqa: E402


def quantile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def per_page_cpu(files: list[Path], rounds: int) -> list[tuple[str, int, float]]:
    """(page, bytes, CPU ms) per page: the best of ``rounds`` readings, so a moment the OS
    gave the core away does not count as the page's cost."""
    from pipeline.archive.history import check_entry
    from pipeline.model import Fetch
    from pipeline.pagereader import read_page

    bodies = [(f.name.removesuffix(".html.gz"), gzip.decompress(f.read_bytes())) for f in files]
    read_page(Fetch(url="http://127.0.0.2/page/0", http_status=200, body=bodies[0][1]))  # imports, caches
    rows = []
    for name, body in bodies:
        best = float("inf")
        for _ in range(rounds):
            fetched = Fetch(
                url=f"http://127.0.0.2/page/{name}",
                final_url=f"http://127.0.0.2/page/{name}",
                http_status=200,
                headers={"content-type": "text/html"},
                body=body,
            )
            start = time.thread_time()
            reading = read_page(fetched)
            json.dumps(check_entry(reading.check, {"page": reading.page.to_dict()} if reading.page else None))
            best = min(best, time.thread_time() - start)
        rows.append((name, len(body), best * 1000))
    return rows


def print_pages(rows: list[tuple[str, int, float]]) -> None:
    cpu = [r[2] for r in rows]
    kb = [r[1] / 1024 for r in rows]
    print(f"\nPart 1: reading one page, {len(rows)} real pages (CPU ms, best of rounds, one thread)\n")
    print("| | median | p95 | max | mean |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| CPU ms per page | {statistics.median(cpu):.2f} | {quantile(cpu, 0.95):.2f} | {max(cpu):.2f}"
        f" | {statistics.fmean(cpu):.2f} |"
    )
    print(
        f"| page KB | {statistics.median(kb):.0f} | {quantile(kb, 0.95):.0f} | {max(kb):.0f} | {statistics.fmean(kb):.0f} |"
    )
    slowest = sorted(rows, key=lambda r: -r[2])[:5]
    print("\nslowest: " + ", ".join(f"{n} ({b // 1024} KB, {c:.1f} ms)" for n, b, c in slowest))


def whole_runs(args: argparse.Namespace) -> None:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "realpages_server.py"), "--hosts", str(args.hosts), "--latency", str(args.latency)],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    bases = []
    for line in proc.stdout:
        if line.strip() == "ready":
            break
        bases.append(line.strip())
    work = Path(tempfile.mkdtemp(prefix="citewatch-realpages-"))
    try:
        urls = corpus(bases, args.urls)
        write_inputs(work, urls)
        bindir = Path(sys.executable).parent
        commands = {
            "citewatch": [str(bindir / "citewatch"), "check", "citations.yaml", "--allow-private", "--no-probe"]
            + ["--concurrency", str(args.concurrency), "--per-host", "2", "--archive-dir", "archive"],
            "lychee": [shutil.which("lychee") or str(bindir / "lychee"), "--no-progress", "--cache=false"]
            + ["--max-concurrency", str(args.concurrency), "--host-concurrency", "2", "--max-retries", "2", "urls.txt"],
        }
        runs: dict[str, list[tuple[float, float, int, float]]] = {}
        for n in range(args.repeat):
            for tool in args.only or ["citewatch", "lychee"]:
                if (work / "archive").exists():
                    (work / "archive").rename(work / f"archive-{tool}-{n}")
                wall, rss, rc, _, cpu = timed(commands[tool], work)
                runs.setdefault(tool, []).append((wall, rss, rc, cpu))
                print(f"{tool:<10} {wall:7.2f} s  {rss:6.0f} MB  cpu {cpu:6.2f} s  exit {rc}", file=sys.stderr)
        floor = args.urls * args.latency / min(args.concurrency, args.hosts * 2)
        print(f"\nPart 2: {args.urls} URLs of real pages, {args.hosts} hosts, {args.latency * 1000:.0f} ms latency")
        print(f"physical floor {floor:.2f} s\n")
        print("| tool | wall s (median) | runs | × floor | peak MB | CPU s (user+sys) | CPU ms/URL |")
        print("|---|---:|---|---:|---:|---:|---:|")
        for tool, rs in runs.items():
            wall = statistics.median(r[0] for r in rs)
            cpu = statistics.median(r[3] for r in rs)
            each = " ".join(f"{r[0]:.2f}" for r in rs)
            print(
                f"| {tool} | {wall:.2f} | {each} | {wall / floor:.2f} | {max(r[1] for r in rs):.0f}"
                f" | {cpu:.2f} | {cpu * 1000 / args.urls:.2f} |"
            )
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--rounds", type=int, default=3, help="readings per page in part 1 (the best counts)")
    ap.add_argument("--only", choices=["citewatch", "lychee"], action="append")
    ap.add_argument("--pages-only", action="store_true")
    args = ap.parse_args()
    files = page_files()
    if not files:
        print(f"realpages_bench: skipped: no pages under {REALPAGES / 'pages'} (the shared set is not here)")
        return
    print_pages(per_page_cpu(files, args.rounds))
    if not args.pages_only:
        whole_runs(args)


if __name__ == "__main__":
    main()
