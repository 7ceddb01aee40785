"""The ``citewatch`` command: a thin Click layer over the library.

Each command parses its options, calls library functions and prints. User
mistakes (a missing file, bad YAML, a bad option) end as one line on stderr
with exit status 1 — never a traceback.

Exit status: 0 nothing confirmed wrong · 1 usage or input error · 2 confirmed problems.
"""

from __future__ import annotations

import datetime as dt
import functools
import re
import sys
import threading
from pathlib import Path

import click

from . import __version__
from . import citations as cit
from .archive.history import ConfirmPolicy, History
from .archive.layout import ArchiveLayout, locked
from .check import CheckSettings, UrlOutcome
from .fetch import DEFAULT_USER_AGENT, Fetcher, FetchSettings
from .files import write_atomic
from .footnotes import ArticleError
from .model import Result, Severity, Status
from .report import json as json_report
from .results import DEFAULT_FAIL_ON, check_citations, parse_fail_on, problems

EXIT_OK, EXIT_INPUT, EXIT_PROBLEMS = 0, 1, 2


class InputError(click.ClickException):
    """One line on stderr, exit status 1."""

    exit_code = EXIT_INPUT

    def show(self, file=None) -> None:
        click.echo(f"citewatch: {self.format_message()}", err=True)


def friendly_errors(fn):
    """Turn the library's input errors into one-line messages."""

    @functools.wraps(fn)
    def wrapper(*args, **kwargs):
        try:
            return fn(*args, **kwargs)
        except cit.CitationsError as e:
            for p in e.problems[:-1]:
                click.echo(f"citewatch: {p}", err=True)
            raise InputError(e.problems[-1]) from None
        except ArticleError as e:
            raise InputError(str(e)) from None
        except ValueError as e:
            raise InputError(str(e)) from None

    return wrapper


def parse_duration(value: str) -> dt.timedelta:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value or "")
    if not m:
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 30s, 12h, 1d, 2w)")
    n = float(m.group(1))
    unit = m.group(2) or "d"
    return dt.timedelta(seconds=n * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit])


def parse_resolve(values: tuple[str, ...]) -> dict[str, str]:
    import ipaddress

    out = {}
    for value in values:
        host, sep, ip = value.partition(":")
        try:
            ipaddress.ip_address(ip)
        except ValueError:
            raise click.BadParameter(f"{value!r} is not HOST:IP", param_hint="--resolve") from None
        if not sep or not host:
            raise click.BadParameter(f"{value!r} is not HOST:IP", param_hint="--resolve")
        out[host.lower()] = ip
    return out


def check_options(fn):
    """Options shared by ``check`` and ``run``."""
    options = [
        click.option(
            "--archive-dir",
            type=click.Path(file_okay=False, path_type=Path),
            default=Path("archive"),
            show_default=True,
            help="Where the history of checks (and WARC copies) live.",
        ),
        click.option(
            "--lock-wait",
            type=click.FloatRange(0),
            default=60.0,
            show_default=True,
            envvar="CITEWATCH_LOCK_WAIT",
            help="Seconds to wait while another run writes --archive-dir, then give up.",
        ),
        click.option(
            "--timeout",
            type=click.FloatRange(0.1),
            default=30.0,
            show_default=True,
            help="Wall-clock deadline per URL in seconds, retries and redirects included.",
        ),
        click.option(
            "--connect-timeout",
            type=click.FloatRange(0.1),
            default=10.0,
            show_default=True,
            help="Seconds to establish a connection.",
        ),
        click.option(
            "--read-timeout",
            type=click.FloatRange(0.1),
            default=20.0,
            show_default=True,
            help="Seconds of silence allowed while reading.",
        ),
        click.option(
            "--concurrency",
            type=click.IntRange(1, 512),
            default=32,
            show_default=True,
            help="Requests in flight at once, all hosts together.",
        ),
        click.option(
            "--per-host",
            type=click.IntRange(1, 64),
            default=2,
            show_default=True,
            help="Requests in flight at once to one host.",
        ),
        click.option(
            "--min-interval",
            type=click.FloatRange(0),
            default=0.0,
            show_default=True,
            help="Seconds between two requests to one host.",
        ),
        click.option(
            "--retries",
            type=click.IntRange(0, 10),
            default=2,
            show_default=True,
            help="Retries for timeouts, resets, 408, 429 and 5xx.",
        ),
        click.option(
            "--max-bytes",
            type=click.IntRange(1024),
            default=5_000_000,
            show_default=True,
            help="Read at most this much of each body.",
        ),
        click.option(
            "--max-redirects",
            type=click.IntRange(0, 50),
            default=10,
            show_default=True,
            help="Redirect hops (and meta refreshes) followed at most.",
        ),
        click.option(
            "--user-agent",
            default=DEFAULT_USER_AGENT,
            show_default=False,
            help="User-Agent header (default names citewatch and its URL).",
        ),
        click.option(
            "--allow-private", is_flag=True, help="Allow loopback/private/link-local addresses (refused by default)."
        ),
        click.option(
            "--resolve",
            "resolve_overrides",
            multiple=True,
            metavar="HOST:IP",
            help="Connect to IP for HOST instead of asking DNS (repeatable), like curl's --resolve.",
        ),
        click.option(
            "--allow-host",
            multiple=True,
            metavar="HOST",
            help="Allow this one host even if it resolves to a private address (repeatable).",
        ),
        click.option(
            "--ca-bundle",
            type=click.Path(exists=True, dir_okay=False),
            envvar="CITEWATCH_CA_BUNDLE",
            help="Trust the CAs in this PEM file instead of the bundled list (an intranet's own CA).",
        ),
        click.option("--no-probe", is_flag=True, help="Never fetch a made-up sibling URL to detect soft-404s."),
        click.option(
            "--recheck-after",
            default="1d",
            show_default=True,
            help="Skip URLs found live more recently than this (e.g. 12h, 2d).",
        ),
        click.option("--force", is_flag=True, help="Recheck every URL, however fresh."),
        click.option(
            "--confirm-checks",
            type=click.IntRange(1),
            default=3,
            show_default=True,
            help="Failing checks needed to confirm a failure.",
        ),
        click.option(
            "--confirm-days",
            type=click.FloatRange(0),
            default=3.0,
            show_default=True,
            help="Days a failure must span to be confirmed.",
        ),
        click.option(
            "--fail-on",
            default=",".join(DEFAULT_FAIL_ON),
            show_default=True,
            help="Statuses, verdicts (title:mismatch) and note findings (marker-without-note, findings:error)"
            " that make the exit status 2.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def settings_from(opts: dict) -> CheckSettings:
    return CheckSettings(
        fetch=FetchSettings(
            timeout=opts["timeout"],
            connect_timeout=min(opts["connect_timeout"], opts["timeout"]),
            read_timeout=min(opts["read_timeout"], opts["timeout"]),
            max_bytes=opts["max_bytes"],
            max_redirects=opts["max_redirects"],
            retries=opts["retries"],
            concurrency=opts["concurrency"],
            per_host=opts["per_host"],
            min_interval=opts["min_interval"],
            user_agent=opts["user_agent"],
            allow_private=opts["allow_private"],
            allow_hosts=tuple(opts["allow_host"]),
            ca_bundle=opts["ca_bundle"],
            resolve=parse_resolve(opts["resolve_overrides"]),
        ),
        recheck_after=parse_duration(opts["recheck_after"]),
        force=opts["force"],
        confirm=ConfirmPolicy(opts["confirm_checks"], opts["confirm_days"]),
        probe=not opts["no_probe"],
    )


_WHOLE_PROCESS = False  # set by the console script: the process is this command's alone


def settle_heap() -> None:
    """Before checking starts: the modules and the citations loaded so far live until the
    process ends, so take them out of the garbage collector's sight (gc.freeze). Every
    full collection during the run would walk them again, with every thread stopped:
    at 20,000 URLs, 0.85 s of full collections -> 0.64 s. Only when the process is the
    command's own: a program calling ``main`` (a test's CliRunner) owns its heap."""
    if _WHOLE_PROCESS:
        import gc

        gc.freeze()


class Progress:
    """A bar on a terminal; plain log lines otherwise (CI logs stay readable).

    Output is written at most every ``every`` seconds (by a small flusher thread), not
    once per URL: at 300 URLs a second, a write per URL from the collecting thread made it
    give up the GIL 300 times a second and queue behind 48 workers to get it back, and
    the URLs it had yet to hand out waited with it. A line is never held back longer than
    ``every``; ``close`` writes what is left (also after Ctrl-C)."""

    def __init__(self, total: int, label: str = "checking", every: float = 0.2) -> None:
        self.total, self.done, self.label, self.every = total, 0, label, every
        self.tty = sys.stderr.isatty()
        self._lines: list[str] = []  # log lines not yet written (not a terminal)
        self._bar: str | None = None  # the bar not yet drawn (a terminal)
        self._lock = threading.Lock()
        self._closed = threading.Event()
        self._flusher: threading.Thread | None = None

    def __call__(self, url: str, outcome: UrlOutcome) -> None:
        self.done += 1
        c = outcome.check
        if self.tty:
            width = 30
            filled = int(width * self.done / max(1, self.total))
            line = f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] {self.done}/{self.total} {c.status.value:<11} {url[:60]}"
            with self._lock:
                self._bar = line.ljust(120)[:120]
        else:
            with self._lock:
                self._lines.append(f"[{self.done}/{self.total}] {c.status.value:<11} {url} — {c.reason}")
        if self.done >= self.total:
            self.close()
        elif self._flusher is None:
            self._flusher = threading.Thread(target=self._flush_now_and_then, name="citewatch-progress", daemon=True)
            self._flusher.start()

    def _flush_now_and_then(self) -> None:
        while not self._closed.wait(self.every):
            self.flush()

    def flush(self) -> None:
        with self._lock:  # held while writing, so two flushes never swap their lines
            lines, self._lines = self._lines, []
            bar, self._bar = self._bar, None
            # color=False: no isatty() call per write
            if lines:
                click.echo("\n".join(lines), err=True, color=False)
            if bar is not None:
                click.echo(bar, err=True, nl=False, color=False)

    def close(self) -> None:
        """Write what is left; a finished bar ends its line."""
        if self._closed.is_set():
            return
        self._closed.set()
        self.flush()
        if self.tty and self.done >= self.total:
            click.echo("", err=True)

    def __enter__(self) -> Progress:
        return self

    def __exit__(self, *exc) -> None:
        self.close()


STATUS_COLOURS = {
    Status.LIVE: "green",
    Status.REDIRECTED: "yellow",
    Status.SOFT_404: "red",
    Status.DEAD: "red",
    Status.BLOCKED: "magenta",
    Status.TIMEOUT: "yellow",
    Status.UNREACHABLE: "red",
    Status.ERROR: "red",
    Status.SKIPPED: "bright_black",
}


def print_results(results: list[Result]) -> None:
    lines: list[str] = []
    for r in results:
        check = r.check
        if check is None:
            continue
        status = click.style(f"{check.status.value:<11}", fg=STATUS_COLOURS[check.status])
        extra = ""
        if check.status.value in ("dead", "soft-404", "unreachable") and check.failing_since:
            extra = (
                " [confirmed]"
                if check.confirmed
                else f" [failing since {check.failing_since.date().isoformat()}, {check.failing_checks} check(s)]"
            )
        if check.paywalled:
            extra += " [paywalled]"
        failing = ("dead", "soft-404", "unreachable")
        if (
            check.previous_status
            and check.previous_status.value in failing
            and check.status.value not in failing + ("skipped",)
        ):
            extra += f" [recovered: was {check.previous_status.value}]"
        target = r.citation.url or f"({r.citation.publisher or 'no publisher'}: {r.citation.title or 'no title'})"[:90]
        lines.append(f"{r.citation.id:>4}  {status} {check.reason}{extra}")
        lines.append(f"      {target}")
        for label, m in (("title", r.title_match), ("date", r.date_match), ("publisher", r.publisher_match)):
            if m is not None and m.verdict not in ("match", "unknown", "unverified"):
                hint = f" — did you mean {m.suggestion!r}?" if m.suggestion else ""
                lines.append(f"      {label} {m.verdict}: cited {m.cited!r}, page {m.found!r}{hint}")
    if lines:
        click.echo("\n".join(lines))  # one write: 2,000 citations print in one go


def summary_line(results: list[Result]) -> str:
    counts: dict[str, int] = {}
    for r in results:
        if r.check:
            key = r.check.status.value
            if r.check.status == Status.SKIPPED and r.check.previous_status is not None:
                key = f"{r.check.previous_status.value} (fresh, not rechecked)"
            counts[key] = counts.get(key, 0) + 1
    with_url = sum(1 for r in results if r.citation.url)
    parts = ", ".join(f"{n} {s}" for s, n in sorted(counts.items(), key=lambda kv: -kv[1]))
    return f"{len(results)} citations, {with_url} with a URL: {parts}"


class _Commands(click.Group):
    """Click ends a usage error (an unknown option, a value that does not parse) with exit
    status 2, which is the status this tool keeps for "confirmed problems": a scheduled job
    with a mistyped flag would report broken sources instead of a broken job. Usage errors
    leave with 1, as input errors do."""

    def make_context(self, *args, **kwargs):
        try:
            return super().make_context(*args, **kwargs)
        except click.UsageError as e:
            e.exit_code = EXIT_INPUT
            raise

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except click.UsageError as e:  # a subcommand's own arguments
            e.exit_code = EXIT_INPUT
            raise


@click.group(cls=_Commands, context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100})
@click.version_option(__version__, prog_name="citewatch")
def main() -> None:
    """Check, verify and archive the sources an article cites.

    \b
    Typical use:
      citewatch extract article.txt -o citations.yaml
      citewatch run article.txt

    Exit status: 0 nothing confirmed wrong, 1 usage or input error,
    2 confirmed problems (see --fail-on).
    """
    _quiet_libraries()


def _quiet_libraries() -> None:
    """The libraries under citewatch log through ``logging``; with no handler configured,
    Python prints their warnings raw on stderr ("EOF marker not found" from pypdf, for
    every damaged PDF a footnote cites), between our one-line-per-URL output. What they
    report reaches the user as a status and a reason instead."""
    import logging

    root = logging.getLogger()
    if not root.handlers:
        root.addHandler(logging.NullHandler())


@main.command()
@click.argument("article", type=click.Path(path_type=Path))
@click.option(
    "-o",
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
    show_default=True,
    help="citations.yaml to write or merge into.",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html"]),
    default=None,
    help="Article format (default: from extension and content).",
)
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
    from .extract import extract as do_extract

    result = do_extract(article, output, fmt, write=not dry_run)
    if not quiet:
        print_findings(article, [f.to_dict() for f in result.findings])
    errors = sum(1 for f in result.findings if f.severity == Severity.ERROR)
    warnings = sum(1 for f in result.findings if f.severity == Severity.WARNING)
    notes, links = len(result.article.notes), len(result.article.links)
    action = "would write" if dry_run else "wrote"
    linked = f"{links} linked source{'s' if links != 1 else ''}"
    if notes or not links:
        found = f"{notes} notes ({result.article.format}){', ' + linked if links else ''}, "
        found += f"{len(result.article.markers)} body markers; {result.without_url} of {notes} notes have no URL"
    else:  # an article that cites with links only
        found = f"{linked} ({result.article.format})"
    click.echo(
        f"{found}; {errors} error{'s' if errors != 1 else ''}, {warnings} warning{'s' if warnings != 1 else ''};"
        f" {action} {output}"
    )
    if not result.sources:
        from .extract import no_sources_message

        raise InputError(no_sources_message(article))


def print_findings(
    article: Path, findings: list[dict], severities: tuple[str, ...] = ("error", "warning", "info")
) -> None:
    """Findings about an article's notes and links, one line each (or one per code, for
    a code many notes share), as ``extract`` and ``run`` print them."""
    from .report.markdown import group_findings

    singles, groups = group_findings([f for f in findings if f["severity"] in severities])
    for f in singles:
        loc = f"{article}:{f['line']}" if f.get("line") else str(article)
        label = click.style(f["severity"], fg={"error": "red", "warning": "yellow"}.get(f["severity"]))
        note = f"footnote {f.get('footnote')}: " if f.get("footnote") else ""
        click.echo(f"{loc}: {note}{label}: {f['message']} [{f['code']}]")
    for code, group in groups.items():
        ids = ", ".join(f.get("footnote") or "?" for f in group)
        click.echo(f"{article}: {len(group)} notes: {group[0]['message']} [{code}]: {ids}")


@main.command()
@click.argument(
    "citations_file",
    metavar="[CITATIONS]",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
)
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
    history = History(opts["archive_dir"])
    urls = {c.url for c in cf.citations if c.url}
    try:
        with locked(opts["archive_dir"], opts["lock_wait"]), Progress(len(urls)) as progress:
            results = check_citations(cf.citations, settings, history, on_progress=progress)
    except KeyboardInterrupt:
        click.echo("\ncitewatch: interrupted; finished checks are kept in " + str(opts["archive_dir"]), err=True)
        sys.exit(130)
    print_results(results)
    click.echo(summary_line(results))
    found = problems(results, fail_on)
    status = EXIT_PROBLEMS if found else EXIT_OK
    if json_path:
        report = json_report.report_dict(citations_file.stem, results, exit_status=status)
        write_atomic(json_path, json_report.dumps(report))
    if found:
        click.echo(
            f"{len(found)} confirmed problem(s): " + "; ".join(f"{p.citation_id}: {p.what}" for p in found[:5]),
            err=True,
        )
    sys.exit(status)


def archive_options(fn):
    options = [
        click.option("--no-wayback", is_flag=True, help="Do not use the Wayback Machine at all."),
        click.option("--no-local", is_flag=True, help="Do not write local WARC copies under --archive-dir."),
        click.option(
            "--wayback-endpoint",
            default="https://web.archive.org",
            show_default=True,
            envvar="CITEWATCH_WAYBACK_ENDPOINT",
            help="Base URL of the Wayback Machine (a local stand-in in tests).",
        ),
        click.option(
            "--max-age",
            default="30d",
            show_default=True,
            help="A snapshot younger than this is recent enough: no new capture.",
        ),
        click.option(
            "--anonymous", is_flag=True, help="Without keys, still try anonymous captures (paced at ≤ 3/min)."
        ),
        click.option(
            "--captures-per-minute",
            type=click.FloatRange(0.1),
            default=6.0,
            show_default=True,
            help="Capture pace with keys (documented limit: about 7; above it the address gets blocked).",
        ),
        click.option(
            "--cdx-per-minute",
            type=click.FloatRange(0.1),
            default=25.0,
            show_default=True,
            help="CDX lookup pace (documented limit: about 30).",
        ),
        click.option(
            "--wayback-poll",
            type=click.FloatRange(0),
            default=5.0,
            show_default=True,
            envvar="CITEWATCH_WAYBACK_POLL",
            help="Seconds between status checks on a Save Page Now capture in progress.",
        ),
        click.option(
            "--memento",
            multiple=True,
            metavar="TIMEMAP",
            help="Also look for copies of dead pages in other archives (RFC 7089 TimeMaps): 'aggregator'"
            " (timetravel.mementoweb.org), 'archive.today', or a TimeMap address with {url}. Repeatable.",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


def archive_settings_from(opts: dict):
    from .archive.settings import ArchiveSettings

    return ArchiveSettings.from_options(**{**opts, "max_age": parse_duration(opts["max_age"])})


@main.command()
@click.argument(
    "citations_file",
    metavar="[CITATIONS]",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
)
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
    from .run import Job, RunSettings, run

    settings = RunSettings(
        check=settings_from(opts),
        archive=archive_settings_from(opts),
        archive_dir=opts["archive_dir"],
        reports_dir=ArchiveLayout.at(opts["archive_dir"]).archive_command_reports,
        local_copy=not opts["no_local"],
        fail_on=parse_fail_on(opts["fail_on"]),
        lock_wait=opts["lock_wait"],
    )
    cf = cit.load(citations_file)
    urls = {c.url for c in cf.citations if c.url}
    try:
        with Progress(len(urls)) as progress:
            outcome = run([Job(citations_file)], settings, on_progress=progress)
    except KeyboardInterrupt:
        click.echo("\ncitewatch: interrupted; finished work is kept in " + str(opts["archive_dir"]), err=True)
        sys.exit(130)
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    report = outcome.reports[0].report
    for r in report["results"]:
        if r.get("url"):
            where = r.get("archive_url") or r.get("archive_note") or "not archived"
            click.echo(f"{r['id']:>4}  {r['status']:<11} {where}")
    click.echo(
        f"{report['summary']['archived']} of {report['summary']['with_url']} URLs have an archive link in {citations_file}"
    )


@main.command()
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
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html"]),
    default=None,
    help="Article format (default: from extension and content).",
)
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
    from .run import Job, RunSettings, step_summary_path
    from .run import run as run_jobs

    shared = click.get_current_context().get_parameter_source("citations_file") != click.core.ParameterSource.DEFAULT
    if len(articles) > 1 and shared:
        jobs = [Job(citations_file, a, fmt) for a in articles]  # one file, ids namespaced per article
    elif len(articles) > 1:
        jobs = [Job(citations_dir / f"{a.stem}.yaml", a, fmt) for a in articles]
    elif articles:
        from .extract import citations_for

        choice = citations_for(articles[0], citations_file, citations_dir, explicit=shared)
        if choice.note:
            click.echo(f"citewatch: {choice.note}", err=True)
        jobs = [Job(choice.path, articles[0], fmt, namespace=choice.namespace)]
    else:
        jobs = [Job(citations_file, None, fmt)]
    if len({j.name for j in jobs}) < len(jobs):
        raise InputError("several articles share a file name; give them distinct names")
    settings = RunSettings(
        check=settings_from(opts),
        archive=archive_settings_from(opts),
        archive_dir=opts["archive_dir"],
        reports_dir=reports_dir,
        local_copy=not opts["no_local"],
        fail_on=parse_fail_on(opts["fail_on"]),
        junit=junit,
        step_summary=step_summary_path(),
        lock_wait=opts["lock_wait"],
    )

    class _Stage:
        progress: Progress | None = None

    def on_stage(msg: str) -> None:
        if _Stage.progress:
            _Stage.progress.close()  # the check's last lines before the next stage's
        click.echo(f"citewatch: {msg}", err=True)
        if msg.startswith("check:"):
            _Stage.progress = Progress(int(msg.split()[1]))
            settle_heap()

    def on_progress(url, outcome):
        if _Stage.progress:
            _Stage.progress(url, outcome)

    try:
        outcome = run_jobs(jobs, settings, on_progress=on_progress, on_stage=on_stage)
    except KeyboardInterrupt:
        if _Stage.progress:
            _Stage.progress.close()
        click.echo(
            "\ncitewatch: interrupted; finished work is kept in " + str(opts["archive_dir"]) + "; run again to resume",
            err=True,
        )
        sys.exit(130)
    finally:
        if _Stage.progress:
            _Stage.progress.close()
    for note in outcome.notes:
        click.echo(f"note: {note}", err=True)
    for jr in outcome.reports:
        if jr.job.article is not None and not quiet:
            print_findings(
                jr.job.article, [f for f in jr.report["findings"] if f["code"] != "bad-citation"], ("error", "warning")
            )
        for f in jr.report["findings"]:
            if f["code"] == "bad-citation":
                where = f"{jr.job.citations}:{f.get('line')}" if f.get("line") else str(jr.job.citations)
                click.echo(
                    f"citewatch: warning: {where}: citation {f.get('footnote')}: {f['message']} (kept, reported in its row)",
                    err=True,
                )
        s = jr.report["summary"]
        counts = ", ".join(f"{n} {k}" for k, n in s["by_status"].items())
        click.echo(
            f"{jr.job.name}: {s['citations']} citations ({counts}); {s['confirmed_problems']} confirmed problem(s)"
        )
        click.echo("  reports: " + ", ".join(str(p) for p in jr.paths))
    sys.exit(outcome.exit_status)


@main.command()
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
    from .run import rerender

    for path in rerender(archive_dir, reports_dir, list(names) or None, junit):
        click.echo(str(path))


@main.command()
@click.argument(
    "citations_file",
    metavar="[CITATIONS]",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
)
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
    from .archive.wayback import WaybackSettings
    from .publishers import load_outlets
    from .resolve import ResolveSettings, accept, resolve_citations, write_candidates

    cf = cit.load(citations_file)
    if accepts:
        for spec in accepts:
            url = cit.edit(cf, lambda f, spec=spec: accept(f, spec))
            click.echo(f"{spec.split(':')[0]}: url = {url}")
        cit.save(cf)
        return
    settings = ResolveSettings(
        wayback=WaybackSettings.from_env(
            endpoint=opts["wayback_endpoint"], cdx_per_minute=opts["cdx_per_minute"], request_timeout=opts["timeout"]
        ),
        crossref_endpoint=opts["crossref_endpoint"],
        doi_base=opts["doi_base"],
        mailto=opts["mailto"],
        max_candidates=opts["max_candidates"],
        window_days=opts["window_days"],
        timeout=opts["timeout"],
        extra_outlets=load_outlets(opts["publishers_file"]) if opts["publishers_file"] else (),
    )
    fetcher = Fetcher(FetchSettings(timeout=opts["timeout"], allow_private=opts["allow_private"]))

    def show(res) -> None:
        c = res.citation
        head = f"{c.id:>4}  {(c.publisher or '—')}: {(c.title or '—')[:70]}"
        if res.note:
            head += f"  ({res.note})"
        click.echo(head)
        if not res.candidates:
            click.echo("      no candidate")
        for n, cand in enumerate(res.candidates, 1):
            ev = cand.evidence
            seen = f"page “{ev['page_title']}”" if ev.get("page_title") else ev.get("status", "")
            click.echo(f"      {n}. {cand.confidence:.2f}  {cand.url}  [{cand.source}; {seen}]")

    try:
        resolutions = resolve_citations(cf.citations, settings, fetcher, on_progress=show)
    finally:
        fetcher.close()
    changed = cit.edit(cf, lambda f: write_candidates(f, resolutions))
    cit.save(cf)
    found = sum(1 for r in resolutions if r.candidates)
    click.echo(
        f"{len(resolutions)} citation(s) without URL: {found} with candidates; {changed} updated in {citations_file}"
    )


def entry() -> None:
    """The ``citewatch`` console script: the CLI, then a quick exit.

    When a command has finished, its files are written and closed, its output flushed and
    its atexit work done, the interpreter's own teardown (a last full garbage collection,
    then module after module) still takes 0.1–0.15 s after a 2,000-URL check, and nothing
    in it can be seen. So leave with os._exit once everything that can be seen is done.
    Tests call ``main`` through CliRunner; this wrapper only shapes how the process ends.
    """
    import atexit
    import os
    import threading

    global _WHOLE_PROCESS
    _WHOLE_PROCESS = True
    try:
        main()  # standalone mode: always ends in SystemExit
        code: object = 0
    except SystemExit as e:
        code = e.code
    # what the interpreter does on the way out, in its order: wait for non-daemon threads
    # (and the executors' shutdown hooks), then atexit; only the teardown after is skipped
    wait_for_threads = getattr(threading, "_shutdown", None)
    run_exit_functions = getattr(atexit, "_run_exitfuncs", None)
    if wait_for_threads is None or run_exit_functions is None:  # not CPython: the ordinary way
        sys.exit(code)
    if code is None:
        code = 0
    elif not isinstance(code, int):
        print(code, file=sys.stderr)  # as the interpreter does with sys.exit("message")
        code = 1
    wait_for_threads()
    run_exit_functions()
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except (OSError, ValueError):  # a closed pipe (citewatch check | head): nothing to add
            pass
    os._exit(code)


from . import cli_export  # noqa: E402, F401 - registers `citewatch export` on main
