"""The options several commands share, and how they become the library's settings.

A new option that ``check``, ``archive`` and ``run`` all take goes in ``CHECK_OPTIONS``
(or ``ARCHIVE_OPTIONS``) here, with its conversion in ``settings_from``; an option of one
command only sits on that command in ``commands.py``. The lists are in help order.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from collections.abc import Callable
from pathlib import Path

import click

from ..archive.history import ConfirmPolicy
from ..check import CheckSettings
from ..fetch import DEFAULT_USER_AGENT, FetchSettings
from ..results import DEFAULT_FAIL_ON, parse_fail_on


def parse_duration(value: str) -> dt.timedelta:
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value or "")
    if not m:
        raise click.BadParameter(f"{value!r} is not a duration (e.g. 30s, 12h, 1d, 2w)")
    n = float(m.group(1))
    unit = m.group(2) or "d"
    return dt.timedelta(seconds=n * {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}[unit])


def parse_resolve(values: tuple[str, ...]) -> dict[str, str]:
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


CHECK_OPTIONS = [
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
        help="Wall-clock deadline per URL in seconds, retries and redirects included, counted from its first request.",
    ),
    click.option(
        "--max-time",
        type=click.FloatRange(1),
        default=None,
        help="Seconds for the whole check; URLs not started by then are skipped, not timed out.",
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
        "--share-private",
        is_flag=True,
        envvar="CITEWATCH_SHARE_PRIVATE",
        help="Send private addresses allowed for checking to the Wayback Machine too (by default they"
        " never leave this machine; for an archive stand-in on loopback).",
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
        help="Statuses, verdicts (title:mismatch), quotes (quote:not-found, drift:changed) and note findings"
        " (marker-without-note, findings:error) that make the exit status 2.",
    ),
]


ARCHIVE_OPTIONS = [
    click.option("--no-wayback", is_flag=True, help="Do not use the Wayback Machine at all."),
    click.option("--no-local", is_flag=True, help="Do not write local WARC copies under --archive-dir."),
    click.option(
        "--no-drift",
        is_flag=True,
        help="Do not fetch or compare each source's archived copy from when it was cited (quotes are"
        " then checked on the live page only).",
    ),
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
    click.option("--anonymous", is_flag=True, help="Without keys, still try anonymous captures (paced at ≤ 3/min)."),
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


#: the article format, for the commands that read an article (extract, run)
article_format_option = click.option(
    "--format",
    "fmt",
    type=click.Choice(["text", "markdown", "html"]),
    default=None,
    help="Article format (default: from extension and content).",
)

#: the citations file a command works on (check, archive, resolve)
citations_argument = click.argument(
    "citations_file",
    metavar="[CITATIONS]",
    type=click.Path(dir_okay=False, path_type=Path),
    default=Path("citations.yaml"),
)


def _apply(options: list[Callable], fn: Callable) -> Callable:
    for option in reversed(options):
        fn = option(fn)
    return fn


def check_options(fn: Callable) -> Callable:
    """Options shared by ``check``, ``archive`` and ``run``."""
    return _apply(CHECK_OPTIONS, fn)


def archive_options(fn: Callable) -> Callable:
    """Options shared by ``archive`` and ``run``."""
    return _apply(ARCHIVE_OPTIONS, fn)


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
            share_private=opts["share_private"],
            ca_bundle=opts["ca_bundle"],
            resolve=parse_resolve(opts["resolve_overrides"]),
        ),
        recheck_after=parse_duration(opts["recheck_after"]),
        force=opts["force"],
        confirm=ConfirmPolicy(opts["confirm_checks"], opts["confirm_days"]),
        probe=not opts["no_probe"],
        max_time=opts.get("max_time"),
    )


def run_settings_from(opts: dict, reports_dir: Path, junit: Path | None = None, step_summary: Path | None = None):
    """``archive`` and ``run``: the check, archive and report settings from their options."""
    from ..quotes.stage import QuoteSettings
    from ..run import RunSettings

    return RunSettings(
        check=settings_from(opts),
        archive=archive_settings_from(opts),
        archive_dir=opts["archive_dir"],
        reports_dir=reports_dir,
        local_copy=not opts["no_local"],
        quotes=QuoteSettings(drift=not opts["no_drift"]),
        fail_on=parse_fail_on(opts["fail_on"]),
        junit=junit,
        step_summary=step_summary,
        lock_wait=opts["lock_wait"],
    )


def resolve_settings_from(opts: dict):
    from ..archive.wayback import WaybackSettings
    from ..publishers import load_outlets
    from ..resolve import ResolveSettings

    return ResolveSettings(
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


def archive_settings_from(opts: dict):
    from ..archive.settings import ArchiveSettings

    return ArchiveSettings.from_options(**{**opts, "max_age": parse_duration(opts["max_age"])})
