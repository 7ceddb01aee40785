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
from ..shard import parse_shard
from ..textsafe import clean
from ..vocab import ExitStatus, exit_status_table
from ..wording import plural
from .configure import ConfiguredCommand, config_option
from .errors import friendly_errors
from .options import (
    FiniteRange,
    archive_options,
    article_format_option,
    check_options,
    citations_argument,
    resolve_settings_from,
    run_settings_from,
    settings_from,
)
from .output import output, output_options
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
    print_settings,
    summary_line,
)
from .progress import Progress, StageDisplay, settle_heap
from .stdin import STDIN, name_option, read_stdin_article


@click.command(cls=ConfiguredCommand)
@click.argument("article", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    default=Path("citations.yaml"),
    show_default=True,
    help="citations.yaml to write or merge into ('-': print it on stdout, write nothing).",
)
@article_format_option
@name_option
@click.option("--dry-run", is_flag=True, help="Report on the notes without writing the file.")
@config_option
@output_options
@friendly_errors
def extract(article: Path, output: Path, fmt: str | None, name: str, dry_run: bool) -> None:
    """Read ARTICLE's footnotes and linked sources into citations.yaml; report problems in the notes.

    ARTICLE '-' reads the article from stdin (name it with --name).
    Merging into an existing file keeps URLs and fields a person added,
    refreshes fields still as the old note said, and flags (never deletes)
    citations whose note disappeared.

    \b
    Examples:
      citewatch extract examples/hostage-diplomacy.txt -o citations.yaml
      pandoc post.docx -t markdown | citewatch extract - --name post -o -
    """
    from ..extract import extract as do_extract

    out = _output_for_data(output)
    text = None
    if article == STDIN:
        article, text = Path(name), read_stdin_article(name)
    result = do_extract(article, output, fmt, write=not dry_run and output != STDIN, content=text)
    if output == STDIN:
        out.data(cit.dumps(result.file))
    print_findings(article, result.findings)
    out.summary(extract_summary(result, output, dry_run, to_stdout=output == STDIN))
    if not result.sources:  # nothing was written (the summary says so): say why
        from ..extract import no_sources_message

        raise InputError(no_sources_message(article))


def _output_for_data(target: Path | None):
    """The command's Output; with ``-`` as a data target, stdout is the data's alone."""
    out = output()
    out.stdout_is_data = target == STDIN
    return out


@click.command(cls=ConfiguredCommand)
@citations_argument
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Write machine-readable results here ('-': stdout, and nothing else goes there).",
)
@check_options
@config_option
@output_options
@friendly_errors
def check(citations_file: Path, json_path: Path | None, **opts) -> None:
    """Check that every URL in citations.yaml is still live, and verify each page.

    Prints one status per citation — live, redirected, soft-404, dead, blocked,
    timeout, unreachable, error or skipped — with a reason, then a summary.
    A failure counts against the exit status once it is confirmed: seen on
    --confirm-checks checks spanning --confirm-days days (history in --archive-dir).

    \b
    Examples:
      citewatch check citations.yaml --json reports/check.json
      citewatch check --offline --json - | jq '.summary'
    """
    out = _output_for_data(json_path)
    fail_on = parse_fail_on(opts["fail_on"])
    settings = settings_from(opts)
    print_settings(settings)
    # the citations only: the parsed file (1.1 KB a citation, 220 MB at 200,000) is not kept
    citations = cit.load(citations_file, for_update=False).citations
    settle_heap()
    require_writable(ArchiveLayout.at(opts["archive_dir"]).history, json_path.parent if json_path else None)
    history = History(opts["archive_dir"])
    citations = parse_shard(opts["shard"]).select(citations) if opts["shard"] else citations
    urls = {c.url for c in citations if c.url}
    try:
        with locked(opts["archive_dir"], opts["lock_wait"]), Progress(len(urls), shown=out.shows_progress) as progress:
            results, checked = check_citations_run(citations, settings, history, on_progress=progress)
    except KeyboardInterrupt:
        click.echo("\ncitewatch: interrupted; finished checks are kept in " + str(opts["archive_dir"]), err=True)
        sys.exit(ExitStatus.INTERRUPTED)
    if checked.offline:  # one message, not a row of failures; nothing was recorded
        click.echo(f"citewatch: {checked.offline}", err=True)
        sys.exit(ExitStatus.INPUT)
    found = problems(results, fail_on)
    status = ExitStatus.for_problems(found)
    report = report_model.build(citations_file.stem, results, exit_status=status, problems=found)
    print_results(report)
    out.summary(summary_line(report))
    for slowdown in checked.slowdowns:  # a log line: stderr
        out.log(f"note: {clean(slowdown.sentence())}")
    if json_path == STDIN:
        out.data(json_report.dumps(report))
    elif json_path:
        write_atomic(json_path, json_report.pieces(report))
    print_problems(report.problems)
    sys.exit(status)


@click.command(cls=ConfiguredCommand)
@citations_argument
@archive_options
@check_options
@config_option
@output_options
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
    # read to fail early on a bad file and size the progress bar; not kept (run reads it again)
    urls = {c.url for c in cit.load(citations_file, for_update=False).citations if c.url}
    require_writable(ArchiveLayout.at(settings.archive_dir).history, settings.reports_dir, citations_file.parent)
    try:
        with Progress(len(urls), shown=output().shows_progress) as progress:
            outcome = run([Job(citations_file)], settings, on_progress=progress)
    except KeyboardInterrupt:
        click.echo("\ncitewatch: interrupted; finished work is kept in " + str(opts["archive_dir"]), err=True)
        sys.exit(ExitStatus.INTERRUPTED)
    print_notes(outcome.notes)
    if outcome.offline:  # no host could be reached: nothing was checked or archived
        click.echo(f"citewatch: {clean(outcome.offline)}", err=True)
        sys.exit(outcome.exit_status)
    print_archive_links(outcome.reports[0].model, citations_file)
    if outcome.wayback_unreachable and not outcome.reports[0].model.summary.archived:
        sys.exit(ExitStatus.INPUT)  # the archive could do nothing


@click.command(cls=ConfiguredCommand, epilog="Exit status:\n\n\b\n" + exit_status_table())
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
@name_option
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
@click.option(
    "--json",
    "json_path",
    type=click.Path(dir_okay=False, allow_dash=True, path_type=Path),
    help="Also write the (one) article's JSON report here ('-': stdout, and nothing else goes there).",
)
@archive_options
@check_options
@config_option
@output_options
@friendly_errors
def run(
    articles: tuple[Path, ...],
    citations_file: Path,
    citations_dir: Path,
    fmt: str | None,
    name: str,
    reports_dir: Path,
    junit: Path | None,
    json_path: Path | None,
    **opts,
) -> None:
    """Do the whole job: extract, check, verify, archive, report.

    With ARTICLE(s), their footnotes and linked sources are extracted first
    (merged into the article's own citations file: one that belongs to another
    article is left alone, and CITATIONS-DIR/<name>.yaml used instead). Without,
    the existing citations file is used. Reports go
    to --reports-dir as NAME.md, NAME.html and NAME.json (plus index.* for
    several articles). URLs shared between articles are fetched once.
    ARTICLE '-' reads one article from stdin (named by --name).

    \b
    Examples:
      citewatch run examples/hostage-diplomacy.txt
      curl -s https://example.org/post.html | citewatch run - --name post --json -
      citewatch run posts/*.md --citations-dir citations/ --junit reports/junit/
      citewatch run posts/*.md --citations all-sources.yaml
    """
    from ..run import plan_jobs, step_summary_path
    from ..run import run as run_jobs

    out = _output_for_data(json_path)
    ctx = click.get_current_context()
    shared = ctx.get_parameter_source("citations_file") not in (
        click.core.ParameterSource.DEFAULT,
        click.core.ParameterSource.DEFAULT_MAP,
    )
    from_stdin = STDIN in articles
    if from_stdin and len(articles) > 1:
        raise InputError("'-' (an article from stdin) cannot be combined with other articles")
    if from_stdin:
        articles = (Path(name),)
    jobs = plan_jobs(articles, citations_file if shared else None, citations_dir, fmt, default_file=citations_file)
    if json_path and len(jobs) > 1:
        raise InputError(f"--json {json_path}: one article's report; with several, read REPORTS_DIR/NAME.json")
    if from_stdin:
        jobs[0].text = read_stdin_article(name)
    print_notes_of_jobs(jobs)
    settings = run_settings_from(opts, reports_dir=reports_dir, junit=junit, step_summary=step_summary_path())
    print_settings(settings.check)
    require_writable(ArchiveLayout.at(settings.archive_dir).history, reports_dir, *{j.citations.parent for j in jobs})

    display = StageDisplay(stages=out.verbosity >= 0, progress=out.shows_progress)
    try:
        outcome = run_jobs(jobs, settings, on_progress=display.on_progress, on_stage=display.on_stage)
    except KeyboardInterrupt:
        display.close()
        click.echo(
            "\ncitewatch: interrupted; finished work is kept in " + str(opts["archive_dir"]) + "; run again to resume",
            err=True,
        )
        sys.exit(ExitStatus.INTERRUPTED)
    finally:
        display.close()
    if not outcome.reports:  # the run could do nothing: its notes say why, even with -q
        for note in outcome.notes:
            click.echo(f"citewatch: {clean(note)}", err=True)
        sys.exit(outcome.exit_status)
    if outcome.offline:  # said once, even with -q; the reports say every source is unchecked
        click.echo(f"citewatch: {clean(outcome.offline)}", err=True)
    print_notes(outcome.notes)
    print_article_findings(outcome)
    print_run_reports(outcome)
    if json_path == STDIN:
        out.data(json_report.dumps(outcome.reports[0].model))
    elif json_path:
        write_atomic(json_path, json_report.dumps(outcome.reports[0].model))
    sys.exit(outcome.exit_status)


@click.command(cls=ConfiguredCommand)
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
@config_option
@output_options
@friendly_errors
def report(names: tuple[str, ...], archive_dir: Path, reports_dir: Path, junit: Path | None) -> None:
    """Re-render reports from what --archive-dir holds, without touching the network.

    NAMES are report names (article file stems); default: every saved run.
    The index (index.md, index.html) is rewritten too, listing every saved run.
    With no saved run at all there is nothing to render: exit status 1.

    \b
    Example:
      citewatch report hostage-diplomacy --reports-dir reports/
    """
    from ..run import rerender

    out = output()
    require_writable(reports_dir)
    written = rerender(archive_dir, reports_dir, list(names) or None, junit)
    for path in written.paths:
        out.result(clean(path))
    out.summary(f"rendered {plural(written.reports, 'report')} and the index in {clean(reports_dir)}", stderr=True)


@click.command(cls=ConfiguredCommand)
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
    type=FiniteRange(0.1),
    default=25.0,
    show_default=True,
    help="CDX pace (documented limit: about 30).",
)
@click.option(
    "--timeout", type=FiniteRange(0.1), default=30.0, show_default=True, help="Deadline per request in seconds."
)
@click.option("--allow-private", is_flag=True, help="Allow loopback/private addresses (tests, intranets).")
@click.option(
    "--share-private",
    is_flag=True,
    envvar="CITEWATCH_SHARE_PRIVATE",
    help="Look private candidates up in the Wayback Machine too (an archive stand-in).",
)
@config_option
@output_options
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

    out = output()
    cf = cit.load(citations_file)
    if accepts:
        for spec in accepts:
            url = cit.edit(cf, lambda f, spec=spec: accept(f, spec))
            out.summary(f"{clean(spec.split(':')[0])}: url = {clean(url)}")
        cit.save(cf)
        return
    settings = resolve_settings_from(opts)
    fetcher = Fetcher(
        FetchSettings(timeout=opts["timeout"], allow_private=opts["allow_private"], share_private=opts["share_private"])
    )

    try:
        shown = print_resolution if out.verbosity >= 0 else None
        resolutions = resolve_citations(cf.citations, settings, fetcher, on_progress=shown)
    finally:
        fetcher.close()
    changed = cit.edit(cf, lambda f: write_candidates(f, resolutions))
    cit.save(cf)
    found = sum(1 for r in resolutions if r.candidates)
    out.summary(
        f"{plural(len(resolutions), 'citation')} without a URL: {found} with candidates;"
        f" {changed} updated in {clean(citations_file)}"
    )
    for why in dict.fromkeys(r.unreachable for r in resolutions if r.unreachable):
        click.echo(f"citewatch: {clean(why)}", err=True)
    if not found and any(r.unreachable for r in resolutions):
        sys.exit(ExitStatus.INPUT)  # nothing could be looked for
