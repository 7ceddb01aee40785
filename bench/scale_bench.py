"""Large archives: wall time, peak memory and output sizes of `citewatch check` and
`citewatch run` at 20,000, 50,000 and 200,000 citations, and whether time grows linearly.

    python bench/scale_bench.py                               # 20k, 50k, 200k; check and run
    python bench/scale_bench.py --sizes 2000 20000 --commands check
    python bench/scale_bench.py --sizes 200000 --git          # + git add / git status on archive/
    python bench/scale_bench.py --sizes 2000 --cached         # + a second run, everything fresh

The corpus is corpus_server.py's (~1 KB pages, 10% 404s) on --hosts loopback hosts with
--latency per answer (default 0: at 100 ms, 200,000 URLs would be 10 minutes of waiting
per run, which measures the network, not us). Each run starts from an empty archive/ in a
fresh folder. Reported per run: wall and CPU seconds (and CPU ms per citation: time grows
linearly when it stays flat from size to size) and peak RSS (/usr/bin/time), the
JSON (check --json, run's report), the HTML report, the saved run (archive/runs/), and the
history (files, MB). --git then times `git add -A` and `git status` on the largest run's
folder, as a CI job committing archive/ would. --cached reruns the same command at once in
the same folder: every URL is fresh in the cache, so this is start-up plus bookkeeping.
Nothing is asserted; bench/README.md records the figures.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from check_bench import corpus, start_corpus, timed  # noqa: E402


def write_citations(path: Path, urls: list[str]) -> None:
    with path.open("w", encoding="utf-8") as out:
        out.write("citations:\n")
        for i, url in enumerate(urls):
            out.write(f"  - id: '{i}'\n    title: Story {i}\n    publisher: Bench News\n    url: {url}\n")


def mb(path: Path) -> float:
    if path.is_file():
        return path.stat().st_size / 1e6
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 1e6 if path.is_dir() else 0.0


def count_files(path: Path) -> int:
    return sum(len(files) for _, _, files in os.walk(path)) if path.is_dir() else 0


def command(name: str, args: argparse.Namespace) -> list[str]:
    common = ["--allow-private", "--no-probe", "--archive-dir", "archive"]
    common += ["--concurrency", str(args.concurrency), "--per-host", str(args.per_host)]
    citewatch = str(Path(sys.executable).parent / "citewatch")
    if name == "check":
        return [citewatch, "check", "citations.yaml", "--json", "reports/check.json", *common]
    return [citewatch, "run", "--citations", "citations.yaml", "--no-wayback", "--reports-dir", "reports", *common]


def sizes_of(folder: Path) -> dict[str, float]:
    reports, archive = folder / "reports", folder / "archive"
    return {
        "json_mb": max((mb(p) for p in reports.glob("*.json")), default=0.0),
        "html_mb": max((mb(p) for p in reports.glob("*.html")), default=0.0),
        "md_mb": max((mb(p) for p in reports.glob("*.md")), default=0.0),
        "saved_run_mb": mb(archive / "runs"),
        "history_files": count_files(archive / "history"),
        "history_mb": mb(archive / "history"),
        "warc_mb": mb(archive / "warc"),
    }


def git_times(folder: Path) -> dict[str, float]:
    """git add / status on the folder a CI job would commit (citations.yaml + archive/)."""
    env = {**os.environ, "GIT_AUTHOR_NAME": "b", "GIT_AUTHOR_EMAIL": "b@b", "GIT_COMMITTER_NAME": "b"}
    env["GIT_COMMITTER_EMAIL"] = "b@b"
    subprocess.run(["git", "init", "-q"], cwd=folder, check=True)
    out = {}
    for label, cmd in [
        ("git_add_s", ["git", "add", "-A", "archive", "citations.yaml"]),
        ("git_commit_s", ["git", "commit", "-qm", "bench"]),
        ("git_status_s", ["git", "status", "--porcelain"]),
        ("git_status_again_s", ["git", "status", "--porcelain"]),
    ]:
        start = time.perf_counter()
        subprocess.run(cmd, cwd=folder, check=True, env=env, capture_output=True)
        out[label] = time.perf_counter() - start
    return out


def one_run(name: str, n: int, citations: Path, args: argparse.Namespace, last: bool) -> dict:
    folder = Path(tempfile.mkdtemp(prefix=f"citewatch-scale-{name}-{n}-"))
    try:
        shutil.copy(citations, folder / "citations.yaml")
        (folder / "reports").mkdir()
        wall, rss, rc, _, cpu = timed(command(name, args), folder)
        row = {"command": name, "citations": n, "wall_s": wall, "cpu_s": cpu, "peak_mb": rss, "exit": rc}
        row |= sizes_of(folder)
        if args.cached:
            wall2, rss2, rc2, _, cpu2 = timed(command(name, args), folder)
            row |= {"cached_wall_s": wall2, "cached_cpu_s": cpu2, "cached_peak_mb": rss2, "cached_exit": rc2}
        if args.git and last:
            row |= git_times(folder)
        return row
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000, 50000, 200000])
    ap.add_argument("--commands", nargs="+", choices=["check", "run"], default=["check", "run"])
    ap.add_argument("--hosts", type=int, default=50)
    ap.add_argument("--latency", type=float, default=0.0)
    ap.add_argument("--concurrency", type=int, default=32)
    ap.add_argument("--per-host", type=int, default=2)
    ap.add_argument("--git", action="store_true", help="time git add/status on the largest run's archive/")
    ap.add_argument("--cached", action="store_true", help="rerun at once: every URL fresh in the cache")
    ap.add_argument("--out", type=Path, help="also append each row as a JSON line here")
    args = ap.parse_args()
    import compileall

    import pipeline

    compileall.compile_dir(str(Path(pipeline.__file__).parent), quiet=1)
    proc, bases = start_corpus(args.hosts, args.latency)
    data = Path(tempfile.mkdtemp(prefix="citewatch-scale-"))
    rows = []
    try:
        for n in args.sizes:
            citations = data / f"citations-{n}.yaml"
            write_citations(citations, corpus(bases, n))
            for name in args.commands:
                row = one_run(name, n, citations, args, last=n == max(args.sizes))
                rows.append(row)
                print(json.dumps(row), file=sys.stderr, flush=True)
                if args.out:
                    with args.out.open("a", encoding="utf-8") as out:
                        out.write(json.dumps(row) + "\n")
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=10)
        shutil.rmtree(data, ignore_errors=True)
    print_table(rows, args)


def print_table(rows: list[dict], args: argparse.Namespace) -> None:
    print(f"\n{args.hosts} loopback hosts, {args.latency * 1000:.0f} ms latency, ~1 KB pages, 10% 404s\n")
    print(
        "| command | citations | wall s | µs wall/URL | CPU s | CPU ms/URL | peak MB | JSON MB | HTML MB | saved run MB | history files |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['command']} | {r['citations']} | {r['wall_s']:.1f} | {r['wall_s'] * 1e6 / r['citations']:.0f}"
            f" | {r['cpu_s']:.1f} | {r['cpu_s'] * 1e3 / r['citations']:.2f} | {r['peak_mb']:.0f} | {r['json_mb']:.1f} | {r['html_mb']:.1f}"
            f" | {r['saved_run_mb']:.1f} | {r['history_files']} |"
        )
    for r in rows:
        if "cached_cpu_s" in r:
            print(
                f"cached rerun, {r['command']} {r['citations']}: wall {r['cached_wall_s']:.2f} s, CPU {r['cached_cpu_s']:.2f} s"
            )
        if "git_add_s" in r:
            print(
                f"git on {r['command']} {r['citations']} ({r['history_files']} history files): add {r['git_add_s']:.1f} s,"
                f" commit {r['git_commit_s']:.1f} s, status {r['git_status_s']:.2f} s (again {r['git_status_again_s']:.2f} s)"
            )


if __name__ == "__main__":
    main()
