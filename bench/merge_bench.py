"""``citewatch merge`` after a weekly sharded job: peak memory and CPU of merging N shards'
folders when archive/ already holds ten weeks of copies, at 20,000 and 200,000 URLs.

    python bench/merge_bench.py --sizes 20000 --baseline /work/base-shardmerge
    python bench/merge_bench.py --sizes 200000 --keep /tmp/merge-200k --baseline <tree>
    python bench/merge_bench.py --sizes 20000 --compare --baseline <tree>   # outputs byte for byte

What a matrix of ``citewatch run --shard K/N`` jobs leaves, written directly (running ten
weeks of real 200,000-URL runs would take days): the committed archive/ of ten weekly runs
(warc_index_bench.py's writer: ten WARC files, warc-index.json with 10 copies per URL; a
history file per URL with ten weekly checks; snapshots.json with one Wayback snapshot per
URL; citations.yaml; no saved run), and per shard the job's folder as upload-artifact hands
it to the merge job: that archive with this week's run of the shard's URLs added — its own
WARC file, warc-index.json merged by warc_index.merge as a run's close does (revisit records
for the 90 % that did not change), an eleventh check in each of its URLs' history files, a
new snapshot for one URL in ten, runs/citations.json (its citations' saved run, html_bench's
synthetic results) and its citations.yaml with the new archive links written back. The files
that the shard did not change are hard links to the base's (a runner's copy is byte-equal).

The merge job's folder is the base (hard-linked again for each measurement: merge replaces
files, never writes into one), and ``citewatch merge shard-1 … shard-N`` runs there under
treetime.py. ``--baseline TREE`` times TREE's pipeline (PYTHONPATH=TREE) in the same
invocation; ``--compare`` then checks that both trees' merged folders (archive/, reports/,
citations.yaml) are byte-identical. Nothing is asserted otherwise; bench/README.md records it.
"""

from __future__ import annotations

import argparse
import datetime as dt
import filecmp
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
sys.path.insert(0, str(ROOT))

from warc_index_bench import WEEKS, build, copy_entry, emit, url_of, week_stamp  # noqa: E402


def snapshot(i: int, week: int) -> dict:
    ts = week_stamp(week) + dt.timedelta(seconds=i % 3000)
    stamp = ts.strftime("%Y%m%d%H%M%S")
    return {
        "url": url_of(i),
        "archive_url": f"https://web.archive.org/web/{stamp}/{url_of(i)}",
        "timestamp": ts.isoformat(),
        "kind": "wayback",
        "http_status": 200,
        "note": "",
    }


def history_text(i: int, weeks: int, warcs: list[str]) -> str:
    """A URL's history file as History.record writes it, after ``weeks`` weekly checks."""
    url = url_of(i)
    checks = []
    for week in range(weeks):
        at = week_stamp(week) + dt.timedelta(seconds=i % 3000)
        c = {"at": at.isoformat(timespec="seconds"), "status": "live", "http_status": 200}
        c["warc"] = f"{warcs[week]}#offset={400 + 900 * i}"
        checks.append(c)
    lines = ",\n".join("    " + json.dumps(c, ensure_ascii=False, sort_keys=True) for c in checks)
    return "{\n" + f'  "url": {json.dumps(url, ensure_ascii=False)},\n  "checks": [\n{lines}\n  ]\n' + "}\n"


def citations_text(n: int, archived: dict[int, dict]) -> str:
    out = ["citations:\n"]
    for i in range(n):
        out.append(f"  - id: '{i}'\n    title: Story {i}\n    publisher: Bench News\n    url: {url_of(i)}\n")
        if i in archived:
            out.append(f"    archive_url: {archived[i]['archive_url']}\n")
    return "".join(out)


def write_json_index(path: Path, data: dict) -> None:
    encoder = json.JSONEncoder(indent=1, sort_keys=True, ensure_ascii=False)
    with path.open("w", encoding="utf-8") as f:
        for piece in encoder.iterencode(data):
            f.write(piece)
        f.write("\n")


def link_tree(source: Path, dest: Path) -> None:
    subprocess.run(["cp", "-al", str(source), str(dest)], check=True)


def build_all(top: Path, n: int, shards: int) -> None:
    """top/base (the committed archive/ and citations.yaml) and top/shard-K."""
    from warcio.warcwriter import WARCWriter

    from pipeline.archive import warc_index
    from pipeline.archive.history import History
    from pipeline.shard import shard_of

    base = top / "base"
    archive = base / "archive"
    start = time.perf_counter()
    build(archive, n)
    warcs = sorted(f"warc/{p.name}" for p in (archive / "warc").iterdir())
    hist = History(archive)
    for i in range(n):
        path = hist.path_for(url_of(i))
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(history_text(i, WEEKS, warcs), encoding="utf-8")
    write_json_index(archive / "snapshots.json", {url_of(i): [snapshot(i, 0)] for i in range(n)})
    (base / "citations.yaml").write_text(citations_text(n, {}), encoding="utf-8")
    print(f"base at {n}: {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)

    owner = [shard_of(url_of(i), shards) for i in range(n)]
    for k in range(1, shards + 1):
        start = time.perf_counter()
        mine = sorted((i for i in range(n) if owner[i] == k), key=url_of)
        folder = top / f"shard-{k}"
        link_tree(base, folder)
        sa = folder / "archive"
        # this week's WARC file of this shard (a fresh runner: its own name)
        stamp = week_stamp(WEEKS).strftime("%Y%m%d%H%M%S")
        name = f"warc/citewatch-{stamp}-{2000 + k}.warc.gz"
        with open(sa / name, "wb") as f:
            writer = WARCWriter(f, gzip=True)
            writer.write_record(writer.create_warcinfo_record(name, {"software": "merge_bench", "shard": str(k)}))
        week_warcs = [*warcs, name]

        def additions(mine=mine, name=name):
            for i in mine:
                e = copy_entry(i, WEEKS, name)
                yield url_of(i), [e]

        index = sa / "warc-index.json"
        os.unlink(index)  # a hard link to the base's: written anew
        shutil.copyfile(archive / "warc-index.json", index)
        warc_index.merge(index, additions())
        hist_k = History(sa)
        for i in mine:
            path = hist_k.path_for(url_of(i))
            os.unlink(path)
            path.write_text(history_text(i, WEEKS + 1, week_warcs), encoding="utf-8")
        snaps = json.loads((archive / "snapshots.json").read_text(encoding="utf-8"))
        archived = {}
        for i in mine:
            if i % 10 == 0:
                snaps[url_of(i)].append(snapshot(i, WEEKS))
                archived[i] = snapshot(i, WEEKS)
        os.unlink(sa / "snapshots.json")
        write_json_index(sa / "snapshots.json", snaps)
        del snaps
        os.unlink(folder / "citations.yaml")
        (folder / "citations.yaml").write_text(citations_text(n, archived), encoding="utf-8")
        write_saved_run(sa, sorted(mine))
        print(f"shard {k}/{shards}: {len(mine)} URLs, {time.perf_counter() - start:.0f} s", file=sys.stderr, flush=True)


def write_saved_run(archive: Path, ids: list[int]) -> None:
    """runs/citations.json: the shard's citations' saved run (html_bench's synthetic results,
    one in ten failing)."""
    from html_bench import NOW, result

    from pipeline.files import write_atomic
    from pipeline.report import json as json_report
    from pipeline.report import model as report_model

    results = [result(i, i % 10 == 9) for i in ids]
    report = report_model.build("citations", results, article={"title": "Bench"}, generated_at=NOW)
    (archive / "runs").mkdir(exist_ok=True)
    write_atomic(archive / "runs" / "citations.json", json_report.pieces(report))


def measure(label: str, tree: Path, top: Path, shards: int, keep: Path | None) -> dict:
    work = Path(tempfile.mkdtemp(prefix="citewatch-merge-run-"))
    try:
        target = work / "job"
        link_tree(top / "base", target)
        env = {**os.environ, "PYTHONPATH": str(tree)}
        cmd = [sys.executable, str(HERE / "treetime.py"), sys.executable, "-m", "pipeline", "merge"]
        cmd += [str(top / f"shard-{k}") for k in range(1, shards + 1)]
        out = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=target)
        stat = [line for line in out.stderr.splitlines() if line.startswith("@@")]
        if out.returncode or not stat:
            raise SystemExit(f"{label} failed:\n{out.stdout[-2000:]}\n{out.stderr[-3000:]}")
        wall, rss, user, sys_ = stat[-1][2:].split()
        said = out.stdout.strip().splitlines()[-1][:200]
        row = {"tree": label, "wall_s": float(wall), "cpu_s": float(user) + float(sys_), "peak_mb": int(rss) / 1024}
        row["index_mb"] = (target / "archive" / "warc-index.json").stat().st_size / 1e6
        row["said"] = said
        if keep is not None:
            shutil.rmtree(keep, ignore_errors=True)
            shutil.move(str(target), keep)
        return row
    finally:
        shutil.rmtree(work, ignore_errors=True)


def same_tree(a: Path, b: Path) -> list[str]:
    """The files that differ (or exist on one side only) between two merged folders."""
    diffs = []
    for folder, _dirs, files in os.walk(a):
        for name in files:
            pa = Path(folder) / name
            pb = b / pa.relative_to(a)
            if not pb.is_file() or not filecmp.cmp(pa, pb, shallow=False):
                diffs.append(str(pa.relative_to(a)))
    for folder, _dirs, files in os.walk(b):
        for name in files:
            pb = Path(folder) / name
            if not (a / pb.relative_to(b)).exists():
                diffs.append(str(pb.relative_to(b)) + " (only in the baseline)")
    return diffs


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--sizes", type=int, nargs="+", default=[20000, 200000])
    ap.add_argument("--shards", type=int, default=4)
    ap.add_argument("--tree", type=Path, default=ROOT, help="the checkout to time (default: this one)")
    ap.add_argument("--baseline", type=Path, help="another checkout to time in the same invocation")
    ap.add_argument("--repeat", type=int, default=1)
    ap.add_argument("--keep", type=Path, help="build the shards here (one size), or reuse them if built")
    ap.add_argument("--compare", action="store_true", help="check both trees' merged folders are byte-identical")
    ap.add_argument("--out", type=Path, help="also append each row as a JSON line here")
    args = ap.parse_args()
    trees = [("this tree" if args.tree == ROOT else str(args.tree), args.tree.resolve())]
    trees += [("baseline", args.baseline.resolve())] if args.baseline else []
    rows = []
    for n in args.sizes:
        top = args.keep or Path(tempfile.mkdtemp(prefix=f"citewatch-merge-{n}-"))
        try:
            if not (top / f"shard-{args.shards}" / "archive" / "runs").is_dir():
                shutil.rmtree(top, ignore_errors=True)
                top.mkdir(parents=True)
                build_all(top, n, args.shards)
            size = (top / "base" / "archive" / "warc-index.json").stat().st_size / 1e6
            kept: dict[str, Path] = {}
            for _ in range(args.repeat):
                for label, tree in trees:
                    keep = top / f"merged-{len(kept)}" if args.compare and label not in kept else None
                    row = measure(label, tree, top, args.shards, keep) | {"urls": n, "index_mb_before": size}
                    if keep is not None:
                        kept[label] = keep
                    rows.append(row)
                    emit(row, args.out)
            if args.compare and len(kept) == 2:
                a, b = kept.values()
                diffs = same_tree(a, b)
                print(f"{n}: merged folders {'identical' if not diffs else 'DIFFER: ' + ', '.join(diffs[:20])}")
                for p in kept.values():
                    shutil.rmtree(p, ignore_errors=True)
        finally:
            if args.keep is None:
                shutil.rmtree(top, ignore_errors=True)
    print(f"\n{args.shards} shards, {WEEKS} weeks of copies per URL, each shard's week added\n")
    print("| tree | URLs | index MB (base → merged) | peak MB | CPU s | wall s |")
    print("|---|---:|---|---:|---:|---:|")
    for r in rows:
        print(
            f"| {r['tree']} | {r['urls']:,} | {r['index_mb_before']:.0f} → {r['index_mb']:.0f} | {r['peak_mb']:.0f}"
            f" | {r['cpu_s']:.1f} | {r['wall_s']:.1f} |"
        )


if __name__ == "__main__":
    main()
