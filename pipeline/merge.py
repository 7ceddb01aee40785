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
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, overload

from .archive import warc_index as wi
from .archive.history import MAX_CHECKS, History
from .archive.layout import ArchiveLayout
from .archive.warc_index import _join_block  # the block's text as json.dumps(indent=1) lays it out
from .errors import InputError
from .files import write_atomic
from .model import Result
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
    from .archive import warc  # (warcio and the page readers: not for every command's start)

    out = MergeOutcome()
    ours = ArchiveLayout.at(target)
    ours.root.mkdir(parents=True, exist_ok=True)
    for shard in shards:
        if not shard.is_dir():
            raise InputError(f"{shard}: no such archive folder")
        theirs = ArchiveLayout.at(shard)
        copied = out.warc_files
        covered = warc.covered_files(ours)  # (before the copies: by times, they would be newer)
        theirs_covered = warc.covered_files(theirs)
        rewrite, names = _copy_warcs(theirs.warc_dir, ours.warc_dir, out)
        covered |= {names.get(name, name): size for name, size in theirs_covered.items()}
        _merge_history(theirs.history, History(target), rewrite, out)
        _merge_url_lists(theirs.pending, ours.pending, rewrite, out)  # Save Page Now jobs not finished: a few
        first = shard == shards[0]
        merge_indexes(theirs.snapshots, ours.snapshots, rewrite, out, check_ours=first)
        # always rewritten after new WARC files: an index older than a WARC file is read
        # as stale, and that file's records read back in (warc.load_index)
        force = out.warc_files > copied
        if merge_indexes(
            theirs.warc_index, ours.warc_index, rewrite, out, force=force, check_ours=first, keep=wi.KEEP_PER_URL
        ):
            _read_back(ours)
        elif ours.warc_index.exists():
            warc.write_covered(ours, covered)  # what both indexes covered; the rest is read back
    return out


def _copy_warcs(source: Path, dest: Path, out: MergeOutcome) -> tuple[Rewrite, dict[str, str]]:
    """Copy the shard's WARC files; the rewrite that renames references to renamed ones,
    and the new name of each renamed file."""
    renames: dict[str, str] = {}
    if not source.is_dir():
        return _same, {}
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

    names = {old.removeprefix("warc/"): new.removeprefix("warc/") for old, new in renames.items()}
    return (rewrite if renames else _same), names


def _same(text: str) -> str:
    """The rewrite of a shard whose WARC files kept their names (the usual case)."""
    return text


def _read_json(path: Path, rewrite: Rewrite, out: MergeOutcome) -> Any:
    return _loads(_read_text(path, rewrite, out), path, out)


def _read_text(path: Path, rewrite: Rewrite, out: MergeOutcome) -> str | None:
    try:
        return rewrite(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        out.problems.append(f"{path}: not readable ({e.__class__.__name__}); left out of the merge")
        return None


def _loads(text: str | None, path: Path, out: MergeOutcome) -> Any:
    if text is None:
        return None
    try:
        return json.loads(text)
    except ValueError as e:
        out.problems.append(f"{path}: not readable ({e.__class__.__name__}); left out of the merge")
        return None


def _unchanged(history: History, url: str, text: str | None, checks: list[dict[str, Any]]) -> bool:
    """The shard's history file of ``url`` is ours byte for byte, and merging it would not
    change ours: its checks in time order, each once, no more than MAX_CHECKS (so the
    union, sorted and cut, is the same list). Only a cheap test; False sends the file
    through the whole merge."""
    try:
        ours = history.path_for(url).read_text(encoding="utf-8")
    except (OSError, ValueError):
        return False
    if ours != text or len(checks) > MAX_CHECKS:
        return False
    times = [str(c.get("at", "")) for c in checks]
    # distinct times: no two checks equal; otherwise the whole merge decides
    return all(a < b for a, b in zip(times, times[1:], strict=False))


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
            text = _read_text(path, rewrite, out)
            data = _loads(text, path, out)
            if not isinstance(data, dict) or not isinstance(data.get("url"), str):
                continue
            url, theirs = data["url"], [c for c in data.get("checks", []) if isinstance(c, dict)]
            if _unchanged(history, url, text, theirs):
                continue  # the file the shard started from (3 of 4 in a 4-shard job): nothing to add
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
            mine = ours.get(url) if isinstance(ours.get(url), list) else []
            both = [e for e in union(mine, entries) if isinstance(e, dict)]  # a hand-edited null or 5: left out
            merged[url] = sorted(both, key=lambda e: str(e.get("timestamp", "")))
    if merged != ours or (force and merged):
        write_atomic(dest, json.dumps(merged, indent=1, sort_keys=True, ensure_ascii=False) + "\n")


def merge_indexes(
    source: Path,
    dest: Path,
    rewrite: Rewrite,
    out: MergeOutcome,
    force: bool = False,
    check_ours: bool = True,
    keep: int | None = None,
) -> bool:
    """``_merge_url_lists`` for the large ``{url: [entries]}`` files (warc-index.json,
    snapshots.json), streamed: both files read a URL's block at a time, side by side in
    their sorted order (warc_index.read_blocks), the merged file written as it goes to a
    temporary file, renamed over ``dest`` when something changed. At 200,000 URLs × 10
    weeks each index is 1.1 GB; parsed whole, two of them took over 4 GB.

    The text is what ``_merge_url_lists`` writes (json.dumps(indent=1, sort_keys=True)):
    a block only ours has is copied as it is; a block the shard has too and holds the same
    (the base it started from, most of its file) is copied once its copies are seen to be
    in time order, each once; the others are merged as before (union, in time order), each
    copy in the text it had. A damaged part of either file is one problem naming the file
    and line, left out, the rest merged; True then (the caller has the WARC files read back
    in by the next run). ``check_ours``: parse even the blocks only ours has (done for the
    first shard: later ones merge into a file this merge has checked or written). ``keep``:
    a URL's latest copies kept, as a run keeps them (the WARC index: a shard that refetched a
    URL had dropped its oldest copy, and a plain union brought it back as an eleventh)."""
    if not source.exists() and not force:
        return False  # nothing of the shard's: ours stays as it is (unread)
    name = source.name
    seen = {"changed": False, "written": False, "damaged": False}
    tail = "; left out of the merge" + (
        ", its copies read back from the WARC files" if name == "warc-index.json" else ""
    )

    def damage(problem: str) -> None:
        out.problems.append(problem.rsplit("; ", 1)[0] + tail)
        seen["damaged"] = True

    def blocks(path: Path, change: Rewrite) -> Iterator[wi.Block]:
        for block in wi.read_blocks(path):
            if isinstance(block, wi.Damage):
                damage(block.problem)
                seen["changed"] = True  # ours is written again without the damaged part
            elif change is _same or block.body is None:
                yield block
            else:
                body = change(block.body.decode("utf-8")).encode("utf-8")
                yield wi.Block(block.key, block.head, body, block.line)

    def pieces(block: wi.Block, path: Path) -> list[tuple[dict, str]] | None:
        try:
            return block.pieces()
        except ValueError as e:
            damage(wi.unreadable(str(path), block, e))
            return None

    def readable(block: wi.Block) -> bool:
        try:
            block.entries()
            return True
        except ValueError as e:
            damage(wi.unreadable(str(dest), block, e))
            seen["changed"] = True  # written again without it
            return False

    def merged() -> Iterator[str]:
        ours, theirs = blocks(dest, _same), blocks(source, rewrite)
        o, t = next(ours, None), next(theirs, None)
        while o is not None or t is not None:
            text = None
            if t is None or (o is not None and o.key < t.key):
                if not check_ours or readable(o):
                    text = o.text()
                o = next(ours, None)
            elif o is not None and o.key == t.key and o.body == t.body and _in_order(o):
                text, o, t = o.text(), next(ours, None), next(theirs, None)
            else:
                same = o is not None and o.key == t.key
                mine = pieces(o, dest) if same else []
                if mine is None:
                    mine, seen["changed"] = [], True  # written again without ours' damaged part
                their = pieces(t, source)
                if their is None:  # the shard's damaged list left out: ours as it was, if any
                    if same:
                        text, o = (o.text() if mine else None), next(ours, None)
                    t = next(theirs, None)
                    if text is not None:
                        yield ("{\n" if not seen["written"] else ",\n") + text
                        seen["written"] = True
                    continue
                both: dict[str, tuple[dict, str]] = {}
                for entry, piece in [*mine, *(their or [])]:
                    both.setdefault(json.dumps(entry, sort_keys=True), (entry, piece))
                union_ = sorted(both.values(), key=lambda p: str(p[0].get("timestamp", "")))
                if keep is not None:
                    union_ = union_[-keep:]
                if not same or [e for e, _ in union_] != [e for e, _ in mine]:
                    seen["changed"] = True
                if same:
                    o = next(ours, None)
                text, t = _join_block(t.key, union_), next(theirs, None)
            if text is None:
                continue
            yield ("{\n" if not seen["written"] else ",\n") + text
            seen["written"] = True
        yield "{}\n" if not seen["written"] else "\n}\n"

    temporary = dest.with_name(f".{dest.name}.merging")
    try:
        write_atomic(temporary, merged(), keep_mode=False)
        if seen["changed"] or (force and seen["written"]):
            if dest.exists():
                shutil.copymode(dest, temporary)  # as write_atomic keeps a file's permissions
            os.replace(temporary, dest)
    finally:
        temporary.unlink(missing_ok=True)
    return seen["damaged"]


def _in_order(block: wi.Block) -> bool:
    """A URL's copies in time order, each once: merged with themselves, they are the same
    list. Distinct (timestamp, WARC, offset, archive link) mean distinct copies; a repeat
    of those four (or a block that does not parse) is left to the whole merge."""
    try:
        entries = block.entries()
    except ValueError:
        return False  # the whole merge says where
    keys = [tuple(str(e.get(k, "")) for k in ("timestamp", "warc", "offset", "archive_url")) for e in entries]
    times = [k[0] for k in keys]
    return all(a <= b for a, b in zip(times, times[1:], strict=False)) and len(set(keys)) == len(keys)


def _read_back(layout: ArchiveLayout) -> None:
    """A damaged part of a WARC index was left out of the merge: every WARC file made newer
    than the index, so the next run reads their records back in (warc._stale), the copies
    that part listed among them. Slow once for a large archive; nothing lost."""
    now = time.time() + 1
    for path in layout.warc_files():
        os.utime(path, (now, now))
    layout.warc_indexed.unlink(missing_ok=True)  # so the times decide (warc.covered_files)


WRITE_BACK = ("archive_url", "archive_date", "url_status")  # the fields a run writes into citations files


def merge_citations(target: Path, shard_files: list[Path]) -> int:
    """The write-backs each shard made to its copy of a citations file, made to ``target``.

    A shard writes only its own citations' fields, so a field a shard's copy has changed
    from the target's value is that shard's news. Everything else in the target (people's
    edits, comments, order) stays as it is. Returns the number of citations changed."""
    from . import citations as cit

    # the run's reader (each entry held as the few fields a run writes, the write-backs
    # made to the text): ruamel's round-trip load of the target and of each shard's copy
    # took 350 MB and 25 s of CPU per file at 20,000 citations
    cf = cit.load_for_run(target, lenient=True)
    base = {c.id: {k: (cf.entry(c.id) or {}).get(k) for k in WRITE_BACK} for c in cf.citations}
    changed: set[str] = set()
    for path in shard_files:
        theirs = cit.load(path, for_update=False, lenient=True)
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
        del theirs  # not beside the next shard's while that loads
    if changed:
        cit.save(cf)
    return len(changed)


def merge_saved_runs(target: Path, shards: list[Path]) -> list[str]:
    """archive/runs/<name>.json of every shard, one merged saved run per name; the names.

    Each shard's saved run reports its own citations, so the merged one is their union,
    in citation-id order (numbers as numbers), summarised again; a citation in several
    shards' runs (an earlier unsharded run's file left in a shard) keeps its newest result.
    Read result by result (``saved_lazily``): 200,000 results parsed at once took GBs."""
    runs: dict[str, list[Report]] = {}
    for shard in shards:
        for path in sorted(ArchiveLayout.at(shard).runs.glob("*.json")):
            report = saved_lazily(shard, path.stem)
            if report is not None:
                runs.setdefault(path.stem, []).append(report)
    for name, reports in runs.items():
        write_atomic(ArchiveLayout.at(target).run_report(name), json_report.pieces(merge_reports(reports)))
    return sorted(runs)


def merge_reports(reports: list[Report]) -> Report:
    """One report from several shards' reports of the same article."""
    reports = sorted(reports, key=lambda r: r.generated_at)
    lazy = all(isinstance(r.results, SavedResults) for r in reports)
    # by id, the newest: a result's place in its file (unparsed), or the result itself
    by_id = {r.citation.id: r for report in reports for r in _places(report, lazy)}
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
    chosen = [by_id[k] for k in sorted(by_id, key=_natural)]
    merged = report_model.build(
        newest.name,
        SavedResults.of(chosen) if lazy else chosen,
        findings=list({json.dumps(f.to_dict(), sort_keys=True): f for r in reports for f in r.findings}.values()),
        article=newest.article,
        changes=changes,
        exit_status=max(statuses) if statuses else None,
        notes=list(dict.fromkeys(n for r in reports for n in r.notes)),
        problems=[p for r in reports for p in r.problems],
    )
    merged.generated_at = newest.generated_at
    return merged


def _places(report: Report, lazy: bool) -> Iterator[Any]:
    """Each result of ``report`` as something with ``.citation.id``: its place in the file
    (unparsed) when every report is read lazily, else the result itself."""
    if lazy and isinstance(report.results, SavedResults):
        return iter(report.results.places)
    return iter(report.results)


@dataclass(frozen=True, slots=True)
class _Place:
    """Where one result's text is in a saved run: what a merge holds per result (its id,
    for the order; 100 bytes instead of the parsed result's several KB)."""

    path: Path
    offset: int
    length: int
    id: str

    @property
    def citation(self) -> _Place:  # so ``r.citation.id`` reads a place as it reads a result
        return self


class SavedResults(Sequence[Result]):
    """The results of saved runs, read from their files one at a time when asked for (each
    time: the reports iterate them a few times, as they iterate a run's spool)."""

    def __init__(self, places: list[_Place]) -> None:
        self.places = places

    @classmethod
    def of(cls, places: list[_Place]) -> SavedResults:
        return cls(places)

    def __len__(self) -> int:
        return len(self.places)

    @overload
    def __getitem__(self, i: int) -> Result: ...
    @overload
    def __getitem__(self, i: slice) -> SavedResults: ...
    def __getitem__(self, i: int | slice) -> Result | SavedResults:
        if isinstance(i, slice):
            return SavedResults(self.places[i])
        place = self.places[i]
        with open(place.path, "rb") as f:
            return _result_at(f, place)

    def __iter__(self) -> Iterator[Result]:
        files: dict[Path, Any] = {}
        try:
            for place in self.places:
                f = files.get(place.path)
                if f is None:
                    f = files[place.path] = open(place.path, "rb")  # noqa: SIM115 (closed below)
                yield _result_at(f, place)
        finally:
            for f in files.values():
                f.close()


def _result_at(f: Any, place: _Place) -> Result:
    f.seek(place.offset)
    text = f.read(place.length).decode("utf-8")
    return json_report.result_from_dict(json.loads(text.rstrip().rstrip(",")))


_RESULTS_OPEN = b'  "results": [\n'
_RESULT_OPEN = b"    {\n"
_RESULT_CLOSE = (b"    }\n", b"    },\n")


def saved_lazily(archive_dir: Path, name: str) -> Report | None:
    """``run.saved_run``, its results left in the file (``SavedResults``): the file read
    once, line by line, for where each result is and its id, and the rest of the report
    (summary, findings, notes) parsed. A saved run in another layout (or written before
    reports listed their problems) is read whole by ``saved_run``, which also says what
    is wrong with a damaged one."""
    from .run import saved_run

    path = ArchiveLayout.at(archive_dir).run_report(name)
    try:
        head, places = _scan(path)
        data = json.loads(b"".join(head))
        if "problems" not in data:
            raise ValueError("saved before reports listed their problems")
        data["results"] = []
        report = json_report.from_dict(data)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return saved_run(archive_dir, name)
    report.results = SavedResults(places)
    return report


def _scan(path: Path) -> tuple[list[bytes], list[_Place]]:
    """The saved run's text without its results, and where each result is (json.pieces'
    layout, the one ``json_report.read_saved`` reads)."""
    head: list[bytes] = []
    places: list[_Place] = []
    opened = closed = False
    at = start = 0
    inside = False
    first = b""
    with open(path, "rb") as f:
        for line in f:
            if inside:
                if not first:
                    first = line
                if line in _RESULT_CLOSE:
                    inside = False
                    length = at + len(line) - start
                    places.append(_Place(path, start, length, _id_of(first, path, start, length)))
            elif opened and not closed and line == _RESULT_OPEN:
                inside, start, first = True, at, b""
            else:
                opened = opened or line == _RESULTS_OPEN
                closed = closed or (opened and line.startswith(b"  ]"))
                head.append(line)
            at += len(line)
    if inside or opened != closed:
        raise ValueError("a saved run cut short")
    return head, places


def _id_of(first: bytes, path: Path, offset: int, length: int) -> str:
    """A result's id: its first line (result_to_dict puts "id" first), else the result."""
    if first.startswith(_ID) and first.endswith(b",\n"):
        return json.loads(first[len(_ID) : -2])
    with open(path, "rb") as f:
        f.seek(offset)
        return json.loads(f.read(length).rstrip().rstrip(b","))["id"]


_ID = b'      "id": '


def _natural(citation_id: str) -> list[tuple[int, int | str]]:
    return [(0, int(p)) if p.isdigit() else (1, p) for p in re.split(r"(\d+)", citation_id) if p]
