"""``citewatch merge``: put the shards of a job matrix (``--shard K/N``) back together.

Thin: find each shard's archive/ and citations files, call pipeline.merge, re-render the
reports from the merged saved runs, print one summary line.
"""

from __future__ import annotations

from pathlib import Path

import click

from .archive.layout import locked
from .cli import main
from .cli.errors import friendly_errors
from .merge import merge_archives, merge_citations


def _archive_of(shard: Path, archive_name: str) -> Path:
    """A shard folder is a job's working folder (with archive/ inside) or the archive itself."""
    inside = shard / archive_name
    return inside if inside.is_dir() else shard


@main.command("merge")
@click.argument("shards", nargs=-1, required=True, type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option(
    "--archive-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("archive"),
    show_default=True,
    help="The archive folder to merge into (each shard's is SHARD/<its name>, or SHARD itself).",
)
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where the merged reports go.",
)
@click.option(
    "--citations",
    "citations_files",
    multiple=True,
    type=click.Path(dir_okay=False, path_type=Path),
    help="A citations file whose archive links the shards wrote (repeatable; default: citations.yaml"
    " and citations/*.yaml where they exist). Each shard's copy is SHARD/<the same path>.",
)
@friendly_errors
def merge_command(shards: tuple[Path, ...], archive_dir: Path, reports_dir: Path, citations_files) -> None:
    """Merge the archive/ folders and reports of a sharded run into one.

    Each SHARD is the folder a matrix job ran in (its archive/ and citations files
    inside, as uploaded by actions/upload-artifact), or that job's archive folder.
    The history of every URL, the snapshot and WARC indexes, the WARC files and the
    saved runs are combined, nothing dropped; reports are rendered again from the
    merged runs; archive links a shard wrote into a citations file are written into
    yours.

    \b
    Example (after a matrix of `citewatch run --shard K/4` jobs):
      citewatch merge shard-1 shard-2 shard-3 shard-4
    """
    from .merge import merge_saved_runs

    archives = [_archive_of(s, archive_dir.name) for s in shards]
    with locked(archive_dir):
        outcome = merge_archives(archive_dir, archives)
        names = merge_saved_runs(archive_dir, archives)
    written = _render(archive_dir, reports_dir, names) if names else []
    files = list(citations_files) or [Path("citations.yaml"), *sorted(Path("citations").glob("*.yaml"))]
    changed = 0
    for f in files:
        if f.is_file():
            changed += merge_citations(f, [s / f for s in shards if (s / f).is_file()])
    for problem in outcome.problems:
        click.echo(f"citewatch: warning: {problem}", err=True)
    for renamed in outcome.renamed_warcs:
        click.echo(f"citewatch: two shards named a WARC alike; kept both: {renamed}", err=True)
    click.echo(
        f"merged {len(shards)} shard(s) into {archive_dir}: {outcome.history_files} history file(s),"
        f" {outcome.warc_files} WARC file(s), {len(names)} saved run(s), {changed} citation(s) with new archive links"
        + (f"; reports: {', '.join(str(p) for p in written)}" if written else "")
    )


def _render(archive_dir: Path, reports_dir: Path, names: list[str]) -> list[Path]:
    """``run.rerender`` of the merged saved runs, each read a result at a time
    (merge.saved_lazily): rerender parses a saved run whole, GBs at 200,000 results."""
    from .archive.layout import ArchiveLayout
    from .errors import InputError
    from .merge import saved_lazily
    from .run import _previous_run, write_index, write_report_files

    written: list[Path] = []
    for name in names:
        report = saved_lazily(archive_dir, name)
        if report is None:
            raise InputError(f"{ArchiveLayout.at(archive_dir).run_report(name)}: no saved run")
        written += write_report_files(report, reports_dir, None)
    available = sorted(p.stem for p in ArchiveLayout.at(archive_dir).runs.glob("*.json"))
    saved = [(name, _previous_run(archive_dir, name)) for name in available]  # as rerender: a damaged one left out
    return written + write_index([(name, report) for name, report in saved if report is not None], reports_dir)
