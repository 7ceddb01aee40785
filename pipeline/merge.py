"""``citewatch merge``: the archive/ folders of a sharded run (``--shard K/N``) put back into
one, losing nothing.

Each shard of a CI job matrix starts from the same committed archive/ and adds what its
runner saw. Merging is therefore a union, part by part:

- history/<host>/<sha>.json: every check of every shard, in time order, each check once
  (a shard's file repeats the checks it started from);
- snapshots.json, warc-index.json (and any other ``{url: [entries]}`` file): per URL, the
  union of the entries, each once;
- warc/*.warc.gz: copied. Two shards may name a WARC alike (same second, same pid on two
  fresh runners); the second is copied under a new name, and every reference to it in that
  shard's files (history, index, saved runs) is rewritten before merging, so no copy is lost
  or points at the other shard's bytes;
- runs/<name>.json: the saved runs, one per article, merged result by result (report part:
  ``merge_saved_runs``).

Nothing is deleted from the target; running the same merge twice changes nothing.
"""

from __future__ import annotations

import filecmp
import json
import os
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any

from .archive.history import MAX_CHECKS, History
from .archive.layout import ArchiveLayout
from .errors import InputError
from .files import write_atomic
from .report import json as json_report
from .report import model as report_model
from .report.model import Changes, Report

Rewrite = Callable[[str], str]


@dataclass
class MergeOutcome:
    """What the merge did, for one summary line; ``problems``: files it could not read."""

    history_files: int = 0
    checks_added: int = 0
    warc_files: int = 0
    renamed_warcs: list[str] = field(default_factory=list)
    saved_runs: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


def merge_archives(target: Path, shards: list[Path]) -> MergeOutcome:
    """Merge each shard's archive folder into ``target`` (created if missing)."""
    out = MergeOutcome()
    ours = ArchiveLayout.at(target)
    ours.root.mkdir(parents=True, exist_ok=True)
    for shard in shards:
        if not shard.is_dir():
            raise InputError(f"{shard}: no such archive folder")
        theirs = ArchiveLayout.at(shard)
        copied = out.warc_files
        rewrite = _copy_warcs(theirs.warc_dir, ours.warc_dir, out)
        _merge_history(theirs.history, History(target), rewrite, out)
        for mine, their in ((ours.snapshots, theirs.snapshots), (ours.pending, theirs.pending)):
            _merge_url_lists(their, mine, rewrite, out)
        # always rewritten after new WARC files: an index older than a WARC file is read
        # as stale, and that file's records read back in (warc.load_index)
        _merge_url_lists(theirs.warc_index, ours.warc_index, rewrite, out, force=out.warc_files > copied)
    return out


def _copy_warcs(source: Path, dest: Path, out: MergeOutcome) -> Rewrite:
    """Copy the shard's WARC files; the rewrite that renames references to renamed ones."""
    renames: dict[str, str] = {}
    if not source.is_dir():
        return lambda text: text
    dest.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.iterdir()):
        if not path.is_file():
            continue
        there, n, copied_already = dest / path.name, 1, False
        while there.exists():
            if filecmp.cmp(path, there, shallow=False):
                copied_already = True  # the same file: from the base archive, or merged before
                break
            there = dest / f"{path.name.removesuffix('.warc.gz')}-{n}.warc.gz"
            n += 1
        if there.name != path.name:
            renames[f"warc/{path.name}"] = f"warc/{there.name}"
            if not copied_already:
                out.renamed_warcs.append(f"{path} → {there.name}")
        if copied_already:
            continue  # merging a shard again renames its references the same way, copies nothing
        shutil.copyfile(path, there.with_suffix(".part"))
        os.replace(there.with_suffix(".part"), there)
        out.warc_files += 1

    def rewrite(text: str) -> str:
        for old, new in renames.items():
            text = text.replace(f'"{old}', f'"{new}')
        return text

    return rewrite


def _read_json(path: Path, rewrite: Rewrite, out: MergeOutcome) -> Any:
    try:
        return json.loads(rewrite(path.read_text(encoding="utf-8")))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        out.problems.append(f"{path}: not readable ({e.__class__.__name__}); left out of the merge")
        return None


def union(*lists: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Entries of every list, each once (equal as JSON), in their first order."""
    seen: dict[str, dict[str, Any]] = {}
    for entries in lists:
        for entry in entries:
            seen.setdefault(json.dumps(entry, sort_keys=True), entry)
    return list(seen.values())


def _merge_history(source: Path, history: History, rewrite: Rewrite, out: MergeOutcome) -> None:
    if not source.is_dir():
        return
    for host in sorted(p for p in source.iterdir() if p.is_dir()):
        for path in sorted(host.glob("*.json")):
            data = _read_json(path, rewrite, out)
            if not isinstance(data, dict) or not isinstance(data.get("url"), str):
                continue
            url, theirs = data["url"], [c for c in data.get("checks", []) if isinstance(c, dict)]
            ours = history.checks(url)
            merged = sorted(union(ours, theirs), key=lambda c: str(c.get("at", "")))[-MAX_CHECKS:]
            if merged and merged != ours:
                history.record(url, merged[-1], merged[:-1])
                out.history_files += 1
                out.checks_added += len(merged) - len(ours)


def _merge_url_lists(source: Path, dest: Path, rewrite: Rewrite, out: MergeOutcome, force: bool = False) -> None:
    theirs = _read_json(source, rewrite, out)
    if not isinstance(theirs, dict):
        theirs = {}
    ours = _read_json(dest, lambda t: t, out) or {}
    merged = dict(ours)
    for url, entries in theirs.items():
        if isinstance(entries, list):  # in time order, as each run appends them
            merged[url] = sorted(union(ours.get(url) or [], entries), key=lambda e: str(e.get("timestamp", "")))
        else:
            merged.setdefault(url, entries)
    if merged != ours or (force and merged):
        write_atomic(dest, json.dumps(merged, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


WRITE_BACK = ("archive_url", "archive_date", "url_status")  # the fields a run writes into citations files


def merge_citations(target: Path, shard_files: list[Path]) -> int:
    """The write-backs each shard made to its copy of a citations file, made to ``target``.

    A shard writes only its own citations' fields, so a field a shard's copy has changed
    from the target's value is that shard's news. Everything else in the target (people's
    edits, comments, order) stays as it is. Returns the number of citations changed."""
    from . import citations as cit

    cf = cit.load(target, lenient=True)
    before = {c.id: cf.entry(c.id) for c in cf.citations}
    base = {cid: {k: (entry or {}).get(k) for k in WRITE_BACK} for cid, entry in before.items()}
    changed: set[str] = set()
    for path in shard_files:
        theirs = cit.load(path, for_update=True, lenient=True)
        for c in theirs.citations:
            entry = theirs.entry(c.id)
            if c.id not in base or entry is None:
                continue
            news = {
                k: entry.get(k)
                for k in WRITE_BACK
                if entry.get(k) is not None and str(entry.get(k)) != str(base[c.id][k])
            }
            if news and cit.set_fields(cf, c.id, **news):
                changed.add(c.id)
    if changed:
        cit.save(cf)
    return len(changed)


def merge_saved_runs(target: Path, shards: list[Path]) -> list[str]:
    """archive/runs/<name>.json of every shard, one merged saved run per name; the names.

    Each shard's saved run reports its own citations, so the merged one is their union,
    in citation-id order (numbers as numbers), summarised again; a citation in several
    shards' runs (an earlier unsharded run's file left in a shard) keeps its newest result."""
    from .run import saved_run

    runs: dict[str, list[Report]] = {}
    for shard in shards:
        for path in sorted(ArchiveLayout.at(shard).runs.glob("*.json")):
            report = saved_run(shard, path.stem)
            if report is not None:
                runs.setdefault(path.stem, []).append(report)
    for name, reports in runs.items():
        write_atomic(ArchiveLayout.at(target).run_report(name), json_report.dumps(merge_reports(reports)))
    return sorted(runs)


def merge_reports(reports: list[Report]) -> Report:
    """One report from several shards' reports of the same article."""
    reports = sorted(reports, key=lambda r: r.generated_at)
    by_id = {r.citation.id: r for report in reports for r in report.results}
    changes = Changes()
    for report in reports:
        for f in fields(Changes):
            mine, theirs = getattr(changes, f.name), getattr(report.changes, f.name)
            if isinstance(theirs, list):
                setattr(changes, f.name, list(dict.fromkeys([*mine, *theirs])))
            elif isinstance(theirs, dict):
                setattr(changes, f.name, {**mine, **theirs})
            elif theirs is not None:
                setattr(changes, f.name, theirs)
    statuses = [r.exit_status for r in reports if r.exit_status is not None]
    newest = reports[-1]
    merged = report_model.build(
        newest.name,
        [by_id[k] for k in sorted(by_id, key=_natural)],
        findings=list({json.dumps(f.to_dict(), sort_keys=True): f for r in reports for f in r.findings}.values()),
        article=newest.article,
        changes=changes,
        exit_status=max(statuses) if statuses else None,
        notes=list(dict.fromkeys(n for r in reports for n in r.notes)),
        problems=[p for r in reports for p in r.problems],
    )
    merged.generated_at = newest.generated_at
    return merged


def _natural(citation_id: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", citation_id) if p]
