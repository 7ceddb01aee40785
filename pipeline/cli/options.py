"""The options several commands share, and how they become the library's settings.

A new option that ``check``, ``archive`` and ``run`` all take goes in ``CHECK_OPTIONS``
(or ``ARCHIVE_OPTIONS``) here, with its conversion in ``settings_from``; an option of one
command only sits on that command in ``commands.py``. The lists are in help order.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import math
import re
from collections.abc import Callable
from pathlib import Path

import click
from click.core import ParameterSource

from ..archive.history import ConfirmPolicy
from ..check import CheckSettings
from ..errors import InputError
from ..fetch import DEFAULT_USER_AGENT, FetchSettings
from ..hosts import HostLimit
from ..results import DEFAULT_FAIL_ON, parse_fail_on
from ..rules import AcceptRule, UrlPattern, UrlRules
from ..shard import parse_shard
from .configure import source_of, table_origins

_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 604800}


class FiniteRange(click.FloatRange):
    """click's FloatRange with nan and inf refused: a range compares false with nan, so
    ``--timeout nan`` passed and timed out every URL, and ``--timeout inf`` killed the thread
    that enforces deadlines (citewatch.toml has nan and inf too, read through here)."""

    def convert(self, value, param, ctx):
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class HeaderValue(click.ParamType):
    """A value sent as an HTTP header: a newline or NUL in --user-agent made every URL an
    ``error`` (exit 0), a typo in the settings blamed on every source."""

    name = "text"

    def convert(self, value, param, ctx):
        text = str(value)
        bad = next((c for c in text if ord(c) < 0x20 and c != "\t" or 0x7F <= ord(c) <= 0x9F), None)
        if bad is not None:
            self.fail(f"{text!r} holds a control character ({bad!r}) a header cannot carry.", param, ctx)
        # header values go out as Latin-1 (http.client): a name in Cyrillic or Chinese made
        # every URL an "internal error" (UnicodeEncodeError), exit 0
        wide = next((c for c in text if ord(c) > 0xFF), None)
        if wide is not None:
            self.fail(
                f"{text!r} holds {wide!r}, which an HTTP header cannot carry (Latin-1 only): write it in ASCII.",
                param,
                ctx,
            )
        return text


def parse_duration(value: str, option: str = "") -> dt.timedelta:
    """A duration always carries its unit: "2" could be days, hours or seconds, and a
    scheduled job that means one and gets another rechecks everything or nothing."""
    m = re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value or "")
    where = f"{option}: " if option else ""
    if m and not m.group(2):
        raise InputError(f"{where}{value!r} has no unit; give a unit: 2d, 12h, 30m (s, m, h, d or w)")
    if not m:
        raise InputError(f"{where}{value!r} is not a duration; give a number and a unit: 2d, 12h, 30m")
    return dt.timedelta(seconds=float(m.group(1)) * _UNIT_SECONDS[m.group(2)])


def parse_host_limit(spec: str, origin: str = "--host-limit") -> HostLimit:
    """``HOST=N[/SECONDS]``: at most N requests at once to HOST (and its subdomains), and
    SECONDS between two; ``HOST=/SECONDS`` only spaces them."""
    host, sep, limits = spec.partition("=")
    slots, _, spacing = limits.partition("/")
    try:
        per_host = int(slots) if slots.strip() else None
        min_interval = float(spacing) if spacing.strip() else None
    except ValueError:
        per_host = min_interval = None
    if (
        not sep
        or not host.strip()
        or (per_host is None and min_interval is None)
        or (per_host is not None and not 1 <= per_host <= 64)
        or (min_interval is not None and not 0 <= min_interval <= 3600)
    ):
        raise InputError(
            f"{origin}: {spec!r} is not HOST=N[/SECONDS] (e.g. example.com=1/2.5: one at a time, 2.5 s apart)"
        )
    return HostLimit(host.strip().lower().strip("."), per_host, min_interval)


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
        type=FiniteRange(0),
        default=60.0,
        show_default=True,
        envvar="CITEWATCH_LOCK_WAIT",
        help="Seconds to wait while another run writes --archive-dir, then give up.",
    ),
    click.option(
        "--timeout",
        type=FiniteRange(0.1),
        default=30.0,
        show_default=True,
        help="Wall-clock deadline per URL in seconds, retries and redirects included, counted from its first request.",
    ),
    click.option(
        "--max-time",
        type=FiniteRange(1),
        default=None,
        help="Seconds for the whole check; URLs not started by then are skipped, not timed out.",
    ),
    click.option(
        "--connect-timeout",
        type=FiniteRange(0.1),
        default=10.0,
        show_default=True,
        help="Seconds to establish a connection.",
    ),
    click.option(
        "--read-timeout",
        type=FiniteRange(0.1),
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
        type=FiniteRange(0),
        default=0.0,
        show_default=True,
        help="Seconds between two requests to one host.",
    ),
    click.option(
        "--host-limit",
        "host_limit",
        multiple=True,
        metavar="HOST=N[/SECONDS]",
        help="Limits of one host and its subdomains: N requests at once, SECONDS apart"
        " (e.g. example.com=1/2.5). Repeatable; [hosts] in citewatch.toml.",
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
        type=HeaderValue(),
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
        type=FiniteRange(0),
        default=3.0,
        show_default=True,
        help="Days a failure must span to be confirmed.",
    ),
    click.option("--shard", metavar="K/N", help="Check only shard K of N: the sites that hash to it (merge.py)."),
    click.option(
        "--exclude",
        multiple=True,
        metavar="REGEX",
        help="Do not check URLs matching this pattern: they are skipped, 'excluded by rule'. Repeatable.",
    ),
    click.option(
        "--include",
        multiple=True,
        metavar="REGEX",
        help="Check URLs matching this pattern even when an --exclude pattern matches. Repeatable.",
    ),
    click.option(
        "--accept-status",
        "accept_status",
        multiple=True,
        metavar="HOST=CODES",
        help="HTTP statuses that count as live for HOST and its subdomains, e.g. example.com=403"
        " (a site that refuses bots). Repeatable; [accept] in citewatch.toml.",
    ),
    click.option(
        "--offline",
        is_flag=True,
        help="No network at all: statuses and verdicts from what archive-dir stored; a URL never"
        " checked is skipped. Reports are rendered as usual.",
    ),
    click.option(
        "--fail-on",
        default=",".join(DEFAULT_FAIL_ON),
        show_default=True,
        help="Statuses, verdicts (title:mismatch), quotes (quote:not-found, drift:changed) and note findings"
        " (marker-without-note; findings:warning counts warnings and errors) that make the exit status 2.",
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
        type=FiniteRange(0.1),
        default=6.0,
        show_default=True,
        help="Capture pace with keys (documented limit: about 7; above it the address gets blocked).",
    ),
    click.option(
        "--cdx-per-minute",
        type=FiniteRange(0.1),
        default=25.0,
        show_default=True,
        help="CDX lookup pace (documented limit: about 30).",
    ),
    click.option(
        "--wayback-poll",
        type=FiniteRange(0),
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
            host_limits=host_limits_from(opts),
            user_agent=opts["user_agent"],
            allow_private=opts["allow_private"],
            allow_hosts=tuple(opts["allow_host"]),
            share_private=opts["share_private"],
            ca_bundle=opts["ca_bundle"],
            resolve=parse_resolve(opts["resolve_overrides"]),
        ),
        recheck_after=parse_duration(opts["recheck_after"], "--recheck-after"),
        force=opts["force"],
        confirm=ConfirmPolicy(opts["confirm_checks"], opts["confirm_days"]),
        probe=not opts["no_probe"],
        max_time=opts.get("max_time"),
        rules=url_rules_from(opts),
        offline=opts["offline"],
    )


def host_limits_from(opts: dict) -> tuple[HostLimit, ...]:
    """--host-limit (or citewatch.toml's [hosts] tables), each naming where it was written."""
    ctx = click.get_current_context()
    from_file = ctx.get_parameter_source("host_limit") is ParameterSource.DEFAULT_MAP
    lines = table_origins(ctx, "hosts") if from_file else {}
    return tuple(
        parse_host_limit(spec, lines.get(spec.partition("=")[0].strip().lower(), "--host-limit"))
        for spec in opts["host_limit"]
    )


def url_rules_from(opts: dict) -> UrlRules:
    """--exclude, --include and --accept-status (or the config file's), each rule knowing
    where it was written, so a skipped URL's reason can point at it."""
    ctx = click.get_current_context()
    params = {p.name: p for p in ctx.command.params}

    def origin(name: str) -> str:
        return source_of(ctx, params[name], flag_label="--" + name.replace("_", "-"))

    accept_lines = table_origins(ctx, "accept")

    def accept_origin(spec: str) -> str:
        if ctx.get_parameter_source("accept_status") is ParameterSource.COMMANDLINE:
            return "--accept-status"
        return accept_lines.get(spec.partition("=")[0].strip().lower(), origin("accept_status"))

    return UrlRules(
        exclude=tuple(UrlPattern.parse(p, origin("exclude")) for p in opts["exclude"]),
        include=tuple(UrlPattern.parse(p, origin("include")) for p in opts["include"]),
        accept=tuple(AcceptRule.parse(a, accept_origin(a)) for a in opts["accept_status"]),
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
        shard=parse_shard(opts["shard"]) if opts["shard"] else None,
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

    if opts.get("offline"):  # no archive service: they are all on the network
        opts = {**opts, "no_wayback": True, "memento": ()}
    return ArchiveSettings.from_options(**{**opts, "max_age": parse_duration(opts["max_age"], "--max-age")})
