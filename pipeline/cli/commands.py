"""The commands: each parses its own options, calls the library, prints.

Options that several commands share live in ``options.py``; an option of one command
only is declared here, on the command.
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from .. import citations as cit
from ..archive.history import History
from ..archive.layout import ArchiveLayout, locked
from ..errors import InputError
from ..fetch import Fetcher, FetchSettings
from ..files import require_writable, write_atomic
from ..report import json as json_report
from ..report import model as report_model
from ..results import check_citations_run, parse_fail_on, problems
from ..textsafe import clean
from ..vocab import ExitStatus
from .errors import friendly_errors
from .options import (
    archive_options,
    article_format_option,
    check_options,
    citations_argument,
    resolve_settings_from,
    run_settings_from,
    settings_from,
)
from .printing import (
    extract_summary,
    print_archive_links,
    print_article_findings,
    print_findings,
    print_notes,
    print_notes_of_jobs,
    print_problems,
    print_resolution,
    print_results,
    print_run_reports,
    summary_line,
)
from .progress import Progress, StageDisplay, settle_heap


@click.command()
@click.argument("article", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
    show_default=True,
    help="citations.yaml to write or merge into.",
)
@article_format_option
@click.option("--dry-run", is_flag=True, help="Report on the notes without writing the file.")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary line.")
@friendly_errors
def extract(article: Path, output: Path, fmt: str | None, dry_run: bool, quiet: bool) -> None:
    """Read ARTICLE's footnotes and linked sources into citations.yaml; report problems in the notes.

    Merging into an existing file keeps URLs and fields a person added,
    refreshes fields still as the old note said, and flags (never deletes)
    citations whose note disappeared.

    \b
    Example:
      citewatch extract examples/hostage-diplomacy.txt -o citations.yaml
    """
    from ..extract import extract as do_extract

    result = do_extract(article, output, fmt, write=not dry_run)
    if not quiet:
        print_findings(article, result.findings)
    click.echo(extract_summary(result, output, dry_run))
    if not result.sources:
        from ..extract import no_sources_message

        raise InputError(no_sources_message(article))


@click.command()
@citations_argument
@click.option(
    "--json", "json_path", type=click.Path(dir_okay=False, path_type=Path), help="Write machine-readable results here."
)
@check_options
@friendly_errors
def check(citations_file: Path, json_path: Path | None, **opts) -> None:
    """Check that every URL in citations.yaml is still live, and verify each page.

    Prints one status per citation — live, redirected, soft-404, dead, blocked,
    timeout, unreachable, error or skipped — with a reason, then a summary.
    A failure counts against the exit status once it is confirmed: seen on
    --confirm-checks checks spanning --confirm-days days (history in --archive-dir).

    \b
    Example:
      citewatch check citations.yaml --json reports/check.json
    """
    fail_on = parse_fail_on(opts["fail_on"])
    settings = settings_from(opts)
    cf = cit.load(citations_file, for_update=False)
    settle_heap()
    require_writable(ArchiveLayout.at(opts["archive_dir"]).history, json_path.parent if json_path else None)
    history = History(opts["archive_dir"])
    urls = {c.url for c in cf.citations if c.url}
    try:
        with locked(opts["archive_dir"], opts["lock_wait"]), Progress(len(urls)) as progress:
            results, checked = check_citations_run(cf.citations, settings, history, on_progress=progress)
    except KeyboardInterrupt:
        click.echo("\ncitewatch: interrupted; finished checks are kept in " + str(opts["archive_dir"]), err=True)
        sys.exit(130)
    if checked.offline:  # one message, not a row of failures; nothing was recorded
        click.echo(f"citewatch: {checked.offline}", err=True)
        sys.exit(ExitStatus.INPUT)
    found = problems(results, fail_on)
    status = ExitStatus.for_problems(found)
    report = report_model.build(citations_file.stem, results, exit_status=status, problems=found)
    print_results(report)
    click.echo(summary_line(report))
    for slowdown in checked.slowdowns:
        click.echo(f"note: {clean(slowdown.sentence())}")
    if json_path:
        write_atomic(json_path, json_report.dumps(report))
    print_problems(report.problems)
    sys.exit(status)


@click.command()
@citations_argument
@archive_options
@check_options
@friendly_errors
def archive(citations_file: Path, **opts) -> None:
    """Preserve every cited source and write archive links into citations.yaml.

    Checks each URL first (fresh results are reused), keeps a local WARC copy
    of each reached page, finds the Wayback snapshot closest to the footnote's
    date and the latest one, captures live pages that have no recent snapshot
    (Save Page Now 2; needs WAYBACK_ACCESS_KEY and WAYBACK_SECRET_KEY, else
    lookup-only), and for dead pages offers the closest good snapshot instead.
    Writes archive_url, archive_date and url_status back, keeping comments.

    \b
    Example:
      WAYBACK_ACCESS_KEY=... WAYBACK_SECRET_KEY=... citewatch archive citations.yaml
    """
    from ..run import Job, run

    settings = run_settings_from(opts, reports_dir=ArchiveLayout.at(opts["archive_dir"]).archive_command_reports)
    cf = cit.load(citations_file)
    require_writable(ArchiveLayout.at(settings.archive_dir).history, settings.reports_dir, citations_file.parent)
    urls = {c.url for c in cf.citations if c.url}
    try:
        with Progress(len(urls)) as progress:
            outcome = run([Job(citations_file)], settings, on_progress=progress)
    except KeyboardInterrupt:
        click.echo("\ncitewatch: interrupted; finished work is kept in " + str(opts["archive_dir"]), err=True)
        sys.exit(130)
    print_notes(outcome.notes)
    if not outcome.reports:  # no host could be reached: nothing was checked or archived
        sys.exit(outcome.exit_status)
    print_archive_links(outcome.reports[0].model, citations_file)
    if outcome.wayback_unreachable and not outcome.reports[0].model.summary.archived:
        sys.exit(ExitStatus.INPUT)  # the archive could do nothing


@click.command()
@click.argument("articles", nargs=-1, type=click.Path(path_type=Path))
@click.option(
    "--citations",
    "citations_file",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
    show_default=True,
    help="The citations file. Given with several articles, they share it (ids become ARTICLE:N).",
)
@click.option(
    "--citations-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("citations"),
    show_default=True,
    help="With several articles: each gets DIR/<article-name>.yaml.",
)
@article_format_option
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where NAME.md, NAME.html and NAME.json go.",
)
@click.option(
    "--junit",
    type=click.Path(path_type=Path),
    default=None,
    help="Also write JUnit XML here (a file, or a folder for several articles).",
)
@click.option("--quiet", "-q", is_flag=True, help="Do not print the findings about the articles' notes and links.")
@archive_options
@check_options
@friendly_errors
def run(
    articles: tuple[Path, ...],
    citations_file: Path,
    citations_dir: Path,
    fmt: str | None,
    reports_dir: Path,
    junit: Path | None,
    quiet: bool,
    **opts,
) -> None:
    """Do the whole job: extract, check, verify, archive, report.

    With ARTICLE(s), their footnotes and linked sources are extracted first
    (merged into the article's own citations file: one that belongs to another
    article is left alone, and CITATIONS-DIR/<name>.yaml used instead). Without,
    the existing citations file is used. Reports go
    to --reports-dir as NAME.md, NAME.html and NAME.json (plus index.* for
    several articles). URLs shared between articles are fetched once.

    \b
    Exit status: 0 nothing confirmed wrong, 1 usage or input error,
    2 confirmed problems (statuses and verdicts chosen by --fail-on).

    \b
    Examples:
      citewatch run examples/hostage-diplomacy.txt
      citewatch run posts/*.md --citations-dir citations/ --junit reports/junit/
      citewatch run posts/*.md --citations all-sources.yaml
    """
    from ..run import plan_jobs, step_summary_path
    from ..run import run as run_jobs

    shared = click.get_current_context().get_parameter_source("citations_file") != click.core.ParameterSource.DEFAULT
    jobs = plan_jobs(articles, citations_file if shared else None, citations_dir, fmt, default_file=citations_file)
    print_notes_of_jobs(jobs)
    settings = run_settings_from(opts, reports_dir=reports_dir, junit=junit, step_summary=step_summary_path())
    require_writable(ArchiveLayout.at(settings.archive_dir).history, reports_dir, *{j.citations.parent for j in jobs})

    display = StageDisplay()
    try:
        outcome = run_jobs(jobs, settings, on_progress=display.on_progress, on_stage=display.on_stage)
    except KeyboardInterrupt:
        display.close()
        click.echo(
            "\ncitewatch: interrupted; finished work is kept in " + str(opts["archive_dir"]) + "; run again to resume",
            err=True,
        )
        sys.exit(130)
    finally:
        display.close()
    print_notes(outcome.notes)
    if not quiet:
        print_article_findings(outcome)
    print_run_reports(outcome)
    sys.exit(outcome.exit_status)


@click.command()
@click.argument("names", nargs=-1)
@click.option(
    "--archive-dir", type=click.Path(file_okay=False, path_type=Path), default=Path("archive"), show_default=True
)
@click.option(
    "--reports-dir",
    type=click.Path(file_okay=False, path_type=Path),
    default=Path("reports"),
    show_default=True,
    help="Where to write the reports.",
)
@click.option("--junit", type=click.Path(path_type=Path), default=None, help="Also write JUnit XML here.")
@friendly_errors
def report(names: tuple[str, ...], archive_dir: Path, reports_dir: Path, junit: Path | None) -> None:
    """Re-render reports from what --archive-dir holds, without touching the network.

    NAMES are report names (article file stems); default: every saved run.

    \b
    Example:
      citewatch report hostage-diplomacy --reports-dir reports/
    """
    from ..run import rerender

    require_writable(reports_dir)
    for path in rerender(archive_dir, reports_dir, list(names) or None, junit):
        click.echo(clean(path))


@click.command()
@citations_argument
@click.option(
    "--accept",
    "accepts",
    multiple=True,
    metavar="ID[:N]",
    help="Promote candidate N (default: the best) of citation ID to its url. Repeatable; nothing is searched.",
)
@click.option(
    "--wayback-endpoint",
    default="https://web.archive.org",
    show_default=True,
    envvar="CITEWATCH_WAYBACK_ENDPOINT",
    help="Base URL of the Wayback Machine (its CDX index is searched).",
)
@click.option(
    "--crossref-endpoint",
    default="https://api.crossref.org",
    show_default=True,
    help="Base URL of the Crossref REST API.",
)
@click.option("--doi-base", default="https://doi.org", show_default=True, help="Where DOIs resolve.")
@click.option(
    "--mailto", envvar="CITEWATCH_MAILTO", help="Contact address sent to Crossref, as it asks (env CITEWATCH_MAILTO)."
)
@click.option(
    "--publishers",
    "publishers_file",
    type=click.Path(dir_okay=False),
    help="Your own publisher table (same format as pipeline/data/publishers.yaml).",
)
@click.option("--max-candidates", type=click.IntRange(1, 10), default=3, show_default=True)
@click.option(
    "--window-days",
    type=click.IntRange(1, 3650),
    default=45,
    show_default=True,
    help="Search addresses captured this many days around the footnote's date.",
)
@click.option(
    "--cdx-per-minute",
    type=click.FloatRange(0.1),
    default=25.0,
    show_default=True,
    help="CDX pace (documented limit: about 30).",
)
@click.option(
    "--timeout", type=click.FloatRange(0.1), default=30.0, show_default=True, help="Deadline per request in seconds."
)
@click.option("--allow-private", is_flag=True, help="Allow loopback/private addresses (tests, intranets).")
@click.option(
    "--share-private",
    is_flag=True,
    envvar="CITEWATCH_SHARE_PRIVATE",
    help="Look private candidates up in the Wayback Machine too (an archive stand-in).",
)
@friendly_errors
def resolve(citations_file: Path, accepts: tuple[str, ...], **opts) -> None:
    """Propose addresses for citations that have no URL, with the evidence.

    For each citation without a url, candidates come from the publisher's domains
    searched in the Wayback Machine's index (headline words in the URL slug,
    around the footnote's date) and, for papers and books, from Crossref. Each
    candidate is fetched (or its snapshot, if the page is gone) and scored with
    the same title/date verification as `check`. Candidates are written under
    `candidates:` — never into `url` — until you accept one.

    \b
    Examples:
      citewatch resolve citations.yaml --mailto you@example.org
      citewatch resolve --accept 24 --accept 9:2
    """
    from ..resolve import accept, resolve_citations, write_candidates

    cf = cit.load(citations_file)
    if accepts:
        for spec in accepts:
            url = cit.edit(cf, lambda f, spec=spec: accept(f, spec))
            click.echo(f"{clean(spec.split(':')[0])}: url = {clean(url)}")
        cit.save(cf)
        return
    settings = resolve_settings_from(opts)
    fetcher = Fetcher(
        FetchSettings(timeout=opts["timeout"], allow_private=opts["allow_private"], share_private=opts["share_private"])
    )

    try:
        resolutions = resolve_citations(cf.citations, settings, fetcher, on_progress=print_resolution)
    finally:
        fetcher.close()
    changed = cit.edit(cf, lambda f: write_candidates(f, resolutions))
    cit.save(cf)
    found = sum(1 for r in resolutions if r.candidates)
    click.echo(
        f"{len(resolutions)} citation(s) without URL: {found} with candidates; {changed} updated in {clean(citations_file)}"
    )
    for why in dict.fromkeys(r.unreachable for r in resolutions if r.unreachable):
        click.echo(f"citewatch: {clean(why)}", err=True)
    if not found and any(r.unreachable for r in resolutions):
        sys.exit(ExitStatus.INPUT)  # nothing could be looked for
