"""The local-copy index of a weekly job: peak memory and CPU of a run's WARC writer when
archive/ already holds ten weeks of copies, at 20,000, 50,000 and 200,000 URLs.

    python bench/warc_index_bench.py                                  # 20k, 50k, 200k
    python bench/warc_index_bench.py --sizes 20000 --baseline /work/base-warcidx
    python bench/warc_index_bench.py --sizes 20000 --real --baseline /work/base-warcidx  # whole runs

scale_bench.py's runs start from an empty archive/; a scheduled job's do not. After ten
weekly runs, archive/warc-index.json holds up to 10 copies per URL (the first week's
responses, then revisit records for the pages that did not change). Building that by
running ten real 200,000-URL runs would take hours, so the archive is written directly,
in the format warc.py writes (checked against ``json.dumps`` on its first URLs): ten WARC
files (a warcinfo record each, older than the index, as after ten finished runs) and the
index. Then one run's part of the archive work is timed in a child process under
treetime.py: ``WarcArchive`` given a response for ``--few`` URLs (a run that rechecked a
few), or for every URL (a run that fetched all), 90 % of them unchanged since the last
week (so revisit records are written), then closed (the index merged). The check, the
history and the reports are not in it: this measures the term that grows with the weeks.

``--real`` times whole ``citewatch run --no-wayback`` runs instead (scale_bench.py's
corpus, ``--few`` citations or as many as the archive has URLs) on a copy of the archive.

``--baseline TREE`` times TREE's pipeline (PYTHONPATH=TREE) in the same invocation, each
run on a fresh copy of the same archive. Nothing is asserted; bench/README.md records it.
"""

from __future__ import annotations

import argparse
import base64
import datetime as dt
import hashlib
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
ROOT = HERE.parent
WEEKS = 10
CHANGING = 10  # one URL in CHANGING has a new payload every week


def url_of(i: int) -> str:
    return f"http://127.0.0.{2 + i % 50}:8000/news/{i // 50:06d}/story-{i}.html"


def body_of(i: int, week: int) -> bytes:
    """The page as week ``week`` fetched it (about 1 KB); unchanged pages keep week 0's."""
    version = week if i % CHANGING == 0 else 0
    return (
        f"<html><head><title>Story {i}</title></head><body>v{version} " + "words " * 160 + "</body></html>"
    ).encode()


def digest_of(body: bytes) -> str:
    return "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode("ascii")


def week_stamp(week: int) -> dt.datetime:
    return dt.datetime(2026, 9, 1, 6, 0, tzinfo=dt.UTC) + dt.timedelta(days=7 * week)


def copy_entry(i: int, week: int, warc: str) -> dict:
    """URL ``i``'s copy of ``week`` in ``warc``, as warc.py indexes a response."""
    url = url_of(i)
    when = week_stamp(week) + dt.timedelta(seconds=i % 3000)
    body = body_of(i, week)
    return {
        "url": url,
        "cited_url": url,
        "warc": warc,
        "offset": 400 + 900 * i,
        "timestamp": when.strftime("%Y%m%d%H%M%S"),
        "warc_date": when.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "digest": digest_of(body),
        "http_status": 200,
        "truncated": False,
        "bytes": len(body),
        "status": "live",
    }


def emit(row: dict, out: Path | None) -> None:
    """One row as a JSON line on stderr, and appended to --out if given."""
    print(json.dumps(row), file=sys.stderr, flush=True)
    if out:
        with out.open("a", encoding="utf-8") as f:
            f.write(json.dumps(row) + "\n")


def entries_for(i: int, warcs: list[str]) -> list[dict]:
    """The index entries ten weekly runs leave for URL ``i``."""
    out, first = [], None
    for week, warc in enumerate(warcs):
        entry = copy_entry(i, week, warc)
        if first is not None and i % CHANGING:
            entry["revisit_of"] = {"warc": first["warc"], "offset": first["offset"], "timestamp": first["timestamp"]}
        elif first is None:
            first = entry
        out.append(entry)
    return out


def write_index_block(out, url: str, entries: list[dict], last: bool) -> None:
    """One URL's part of warc-index.json exactly as json.dumps(indent=1, sort_keys=True) writes it."""
    lines = [f" {json.dumps(url, ensure_ascii=False)}: ["]
    for n, e in enumerate(entries):
        lines.append("  {")
        keys = sorted(e)
        for k, key in enumerate(keys):
            comma = "," if k < len(keys) - 1 else ""
            value = e[key]
            if isinstance(value, dict):
                inner = sorted(value)
                lines.append(f'   "{key}": {{')
                for m, sub in enumerate(inner):
                    lines.append(f'    "{sub}": {json.dumps(value[sub])}' + ("," if m < len(inner) - 1 else ""))
                lines.append("   }" + comma)
            else:
                lines.append(f'   "{key}": {json.dumps(value, ensure_ascii=False)}{comma}')
        lines.append("  }" + ("," if n < len(entries) - 1 else ""))
    lines.append(" ]" + ("" if last else ","))
    out.write("\n".join(lines) + "\n")


def build(archive: Path, n: int) -> None:
    """archive/ as ten weekly runs at ``n`` URLs leave it."""
    from warcio.warcwriter import WARCWriter

    (archive / "warc").mkdir(parents=True)
    warcs = []
    for week in range(WEEKS):
        name = f"citewatch-{week_stamp(week).strftime('%Y%m%d%H%M%S')}-1000.warc.gz"
        with open(archive / "warc" / name, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            writer.write_record(writer.create_warcinfo_record(name, {"software": "warc_index_bench"}))
        warcs.append(f"warc/{name}")
    order = sorted(range(n), key=url_of)
    check = {url_of(i): entries_for(i, warcs) for i in order[:3]}
    expected = json.dumps(check, indent=1, sort_keys=True, ensure_ascii=False)
    index = archive / "warc-index.json"
    with open(index, "w", encoding="utf-8") as out:
        out.write("{\n")
        for k, i in enumerate(order):
            write_index_block(out, url_of(i), entries_for(i, warcs), last=k == n - 1)
        out.write("}\n")
    with open(index, encoding="utf-8") as f:
        head = "".join(f.readline() for _ in range(expected.count("\n")))
    assert head.rstrip(",\n") == expected.rstrip("\n}").rstrip(), "the synthetic index is not in warc.py's format"
    old = time.time() - 3600
    for path in (archive / "warc").iterdir():
        os.utime(path, (old, old))  # every WARC file is older than the index: ten finished runs


def child(archive: Path, n: int, fetch: int) -> None:
    """One run's WARC work: ``fetch`` URLs written (spread over the corpus), then close()."""
    from pipeline.archive.warc import WarcArchive
    from pipeline.model import Fetch

    start = time.process_time()
    warc = WarcArchive(archive, run_id="20261110060000-2000")
    step = max(1, n // fetch)
    revisits = 0
    first_write = None
    for k in range(min(fetch, n)):
        i = k * step + k % min(step, CHANGING)  # every CHANGING-th fetched URL is one that changes
        url = url_of(i)
        snap = warc.write(
            Fetch(
                url=url,
                final_url=url,
                http_status=200,
                headers={"content-type": "text/html"},
                body=body_of(i, WEEKS),
                started_at=week_stamp(WEEKS) + dt.timedelta(seconds=i % 3000),
            )
        )
        revisits += "revisit record" in snap.note
        if first_write is None:
            first_write = time.process_time() - start
    written = time.process_time() - start
    warc.close()
    closed = time.process_time() - start
    print(
        "@@CHILD "
        + json.dumps(
            {
                "first_write_cpu_s": first_write,
                "writes_cpu_s": written,
                "close_cpu_s": closed - written,
                "revisits": revisits,
            }
        )
    )


def measure(label: str, tree: Path, template: Path, n: int, fetch: int) -> dict:
    work = Path(tempfile.mkdtemp(prefix="citewatch-warcidx-run-"))
    try:
        shutil.copytree(template, work / "archive")
        env = {**os.environ, "PYTHONPATH": str(tree)}
        cmd = [sys.executable, str(HERE / "treetime.py"), sys.executable, str(Path(__file__).resolve())]
        cmd += ["--child", str(work / "archive"), "--sizes", str(n), "--few", str(fetch)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env)
        stat = [line for line in out.stderr.splitlines() if line.startswith("@@")]
        said = [line for line in out.stdout.splitlines() if line.startswith("@@CHILD ")]
        if out.returncode or not stat or not said:
            raise SystemExit(f"{label} {n}/{fetch} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
        wall, rss, user, sys_ = stat[-1][2:].split()
        index = work / "archive" / "warc-index.json"
        row = {"tree": label, "urls": n, "fetched": fetch, "wall_s": float(wall), "cpu_s": float(user) + float(sys_)}
        row |= {"peak_mb": int(rss) / 1024, "index_mb_after": index.stat().st_size / 1e6}
        return row | json.loads(said[-1].removeprefix("@@CHILD "))
    finally:
        shutil.rmtree(work, ignore_errors=True)


def real_run(label: str, tree: Path, template: Path, bases: list[str], fetch: int) -> dict:
    """A whole ``citewatch run --no-wayback`` of ``fetch`` citations of scale_bench's corpus
    on a copy of the ten-week archive (its URLs are other ones: no revisits, the same index
    to read and merge)."""
    from check_bench import corpus, timed
    from scale_bench import command, write_citations

    work = Path(tempfile.mkdtemp(prefix="citewatch-warcidx-real-"))
    try:
        shutil.copytree(template, work / "archive")
        write_citations(work / "citations.yaml", corpus(bases, fetch))
        (work / "reports").mkdir()
        opts = argparse.Namespace(concurrency=32, per_host=2)
        wall, rss, rc, said, cpu = timed(command("run", opts), work, env={**os.environ, "PYTHONPATH": str(tree)})
        index = work / "archive" / "warc-index.json"
        return {
            "tree": label,
            "run": "citewatch run",
            "fetched": fetch,
            "wall_s": wall,
            "cpu_s": cpu,
            "peak_mb": rss,
        } | {
            "exit": rc,
            "index_mb_after": index.stat().st_size / 1e6,
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def real_runs(args: argparse.Namespace, trees: list[tuple[str, Path]], template: Path, n: int) -> list[dict]:
    from check_bench import start_corpus

    proc, bases = start_corpus(50, 0.0)
    rows = []
    try:
        for kind in args.only or ["few", "all"]:
            for _ in range(args.repeat):
                for label, tree in trees:
                    row = real_run(label, tree, template, bases, args.few if kind == "few" else n) | {"urls": n}
                    rows.append(row)
                    emit(row, args.out)
    finally:
        proc.stdin.close()
        proc.terminate()
        proc.wait(timeout=10)
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000, 50000, 200000])
    ap.add_argument("--few", type=int, default=100, help="URLs the 'few' run fetches")
    ap.add_argument("--only", choices=["few", "all"], action="append", help="which runs (default both)")
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout to time (default: this one)")
    ap.add_argument("--baseline", type=Path, help="another checkout to time in the same invocation")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--child", type=Path, help=argparse.SUPPRESS)
    ap.add_argument("--out", type=Path, help="also append each row as a JSON line here")
    ap.add_argument(
        "--real", action="store_true", help="a whole `citewatch run` of --few / all citations (scale_bench's corpus)"
    )
    args = ap.parse_args()
    if args.child:
        child(args.child, args.sizes[0], args.few)
        return
    trees = [("this tree" if args.tree == ROOT else str(args.tree), args.tree.resolve())] + (
        [("baseline", args.baseline.resolve())] if args.baseline else []
    )
    rows = []
    for n in args.sizes:
        template = Path(tempfile.mkdtemp(prefix=f"citewatch-warcidx-{n}-"))
        try:
            start = time.perf_counter()
            build(template / "archive", n)
            size = (template / "archive" / "warc-index.json").stat().st_size / 1e6
            print(
                f"{n} URLs × {WEEKS} weeks: index {size:.0f} MB, built in {time.perf_counter() - start:.0f} s",
                file=sys.stderr,
            )
            if args.real:
                rows += real_runs(args, trees, template / "archive", n)
                continue
            for kind in args.only or ["few", "all"]:
                for _ in range(args.repeat):
                    for label, tree in trees:
                        row = measure(label, tree, template / "archive", n, args.few if kind == "few" else n)
                        row["index_mb_before"] = size
                        rows.append(row)
                        emit(row, args.out)
        finally:
            shutil.rmtree(template, ignore_errors=True)
    if args.real:
        print("\n| tree | archive URLs × 10 weeks | citations run | peak MB | CPU s | wall s | index MB after |")
        print("|---|---:|---:|---:|---:|---:|---:|")
        for r in rows:
            print(
                f"| {r['tree']} | {r['urls']:,} | {r['fetched']:,} | {r['peak_mb']:.0f} | {r['cpu_s']:.1f}"
                f" | {r['wall_s']:.1f} | {r['index_mb_after']:.0f} |"
            )
        return
    print(f"\n{WEEKS} weeks of copies per URL, 1 URL in {CHANGING} changed every week, ~1 KB pages\n")
    print(
        "| tree | URLs | fetched | revisits | peak MB | CPU s | wall s | CPU s: first write / all writes / close | index MB before → after |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|---|")
    for r in rows:
        print(
            f"| {r['tree']} | {r['urls']:,} | {r['fetched']:,} | {r['revisits']:,} | {r['peak_mb']:.0f} | {r['cpu_s']:.1f}"
            f" | {r['wall_s']:.1f} | {r['first_write_cpu_s']:.1f} / {r['writes_cpu_s']:.1f} / {r['close_cpu_s']:.1f}"
            f" | {r['index_mb_before']:.0f} → {r['index_mb_after']:.0f} |"
        )


if __name__ == "__main__":
    main()
