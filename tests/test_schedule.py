"""The scheduler as a user meets it: many pages of one slow site, a host that hangs, a
bot wall among ordinary pages, a host asking us to slow down, a run with a time budget,
a machine without network. Evidence from the servers' side: requests per host, the
most in flight at once, when each request arrived."""

from __future__ import annotations

import json
import socket
import time

import pytest

from pipeline.archive.history import History
from pipeline.check import CheckSettings, check_run, check_urls
from pipeline.fetch import RAN_OUT
from pipeline.model import Status

from .conftest import check_settings, fast_settings
from .servers import drip, hang, html, send, sequence, slow


def test_a_queue_for_one_slow_host_is_no_timeout(site):
    """40 pages of one slow site at the default per-host limit (2): the last request leaves
    long after one URL's deadline, yet every URL is live — waiting for a turn is not
    counted against a page. (40 x 0.1 s over 2 slots: 2 s of queue for a 0.6 s deadline.)"""
    site.fallback = slow(0.1, html("A page of a slow site"))
    urls = [site.url(f"/story/{i}") for i in range(40)]
    t0 = time.monotonic()
    results = check_urls(urls, CheckSettings(fetch=fast_settings(timeout=0.6), probe=False))
    assert [r.check.status for r in results.values()] == [Status.LIVE] * 40
    assert site.max_active == 2 and len(site.log) == 40  # polite, and each fetched once
    last_request = max(t for _, _, t in site.log)
    assert last_request - t0 > 1.5  # the queue was far longer than one deadline …
    assert max(r.check.elapsed_ms for r in results.values()) < 600  # … and no URL's clock ran in it


def test_a_hanging_and_a_dripping_url_hold_up_only_themselves(site):
    site.routes["/hang"] = hang(site)
    site.routes["/drip"] = drip(site, every=0.2)
    site.fallback = html("An ordinary page")
    urls = [site.url("/hang"), site.url("/drip")] + [site.url(f"/p/{i}") for i in range(18)]
    results = check_urls(urls, check_settings(timeout=1.0, retries=0, probe=False))
    statuses = {u: r.check.status for u, r in results.items()}
    assert statuses.pop(site.url("/hang")) == Status.TIMEOUT
    assert statuses.pop(site.url("/drip")) == Status.TIMEOUT
    assert set(statuses.values()) == {Status.LIVE}  # the other 18, after waiting ~1 s for a slot
    assert all(results[u].check.elapsed_ms < 1000 for u in statuses)


def test_a_slow_host_does_not_hold_up_another(site_factory):
    """No head-of-line blocking: with few workers, the fast host's URLs do not wait behind
    the slow host's queue (they used to sit on workers blocked on the slow host's slot)."""
    slow_site, fast_site = site_factory("127.0.0.2"), site_factory("127.0.0.3")
    slow_site.fallback = slow(0.4, html("Slow"))
    fast_site.fallback = html("Fast")
    urls = [slow_site.url(f"/s/{i}") for i in range(6)] + [fast_site.url(f"/f/{i}") for i in range(6)]
    done_at: dict[str, float] = {}
    t0 = time.monotonic()
    check_urls(
        urls,
        check_settings(per_host=1, concurrency=2, probe=False, timeout=2.0),
        on_progress=lambda url, outcome: done_at.setdefault(url, time.monotonic() - t0),
    )
    fast_done = max(done_at[u] for u in urls[6:])
    assert fast_done < 0.4, done_at  # all six before the slow host's first page is even back
    assert slow_site.max_active == 1


BOT_FIGHT_MODE = (
    "<html><head><title></title></head><body>"
    "<script>(function(){window['__CF$cv$params']={r:'7d1f',m:'x'};})();</script>"
    "<script src='/cdn-cgi/bm/cv/669835187/api.js'></script></body></html>"
)


def test_a_503_bot_wall_among_fifteen_urls_blocks_one_and_slows_none(site):
    site.routes["/wall"] = lambda req: send(req, 503, BOT_FIGHT_MODE, {"Server": "cloudflare", "CF-RAY": "7d1f-LHR"})
    site.fallback = html("An ordinary page")
    urls = [site.url("/wall")] + [site.url(f"/p/{i}") for i in range(14)]
    run = check_run(urls, check_settings(per_host=1, probe=False, timeout=2.0))
    wall = run.outcomes[urls[0]].check
    assert wall.status == Status.BLOCKED and "Bot Fight Mode" in wall.reason
    assert [run.outcomes[u].check.status for u in urls[1:]] == [Status.LIVE] * 14
    assert site.hits("/wall") == 1  # a wall is not retried …
    times = sorted(t for _, _, t in site.log)
    assert times[-1] - times[0] < 0.9  # … and the host was not slowed down (back-off: ≥ 1 s gaps)
    assert run.slowdowns == []


def test_a_host_that_asks_to_slow_down_is_waited_for_and_said_so(site):
    site.routes["/busy"] = sequence(
        lambda req: send(req, 429, "Too many requests", {"Retry-After": "1"}), html("Busy page")
    )
    site.fallback = html("Page")
    urls = [site.url("/busy")] + [site.url(f"/p/{i}") for i in range(2)]
    run = check_run(urls, check_settings(per_host=1, probe=False, timeout=4.0, backoff=0.01))
    assert {o.check.status for o in run.outcomes.values()} == {Status.LIVE}
    (slowdown,) = run.slowdowns
    assert slowdown.host == "127.0.0.1" and slowdown.times_asked == 1 and slowdown.longest_asked == 1
    first_429 = min(t for _, p, t in site.log if p == "/busy")
    assert all(t - first_429 >= 0.9 for _, p, t in site.log if t > first_429)  # nothing sent during the pause
    # every URL of the host waited: the retry the 1 s asked for, the queued two the pause and
    # the widened spacing after it; the note says so (it used to count 2 requests, ~2 s)
    held = max(t for _, _, t in site.log) - first_429  # the server's view: ~3 s
    assert slowdown.urls_held_up == 3
    assert held - 0.5 <= slowdown.seconds_held <= held + 0.2
    assert slowdown.sentence() == (
        f"127.0.0.1 asked us to slow down (1 time): the host was paused or slowed for "
        f"{slowdown.seconds_held:.0f} s in all, holding up 3 URLs"
    )


def test_a_pause_asked_for_is_capped(site):
    """Retry-After: 1 hour is not waited out: the URL is reported at once and the host
    is paused no longer than the cap."""
    site.routes["/later"] = lambda req: send(req, 429, "Come back tomorrow", {"Retry-After": "3600"})
    site.fallback = html("Page")
    urls = [site.url("/later"), site.url("/p/1"), site.url("/p/2")]
    t0 = time.monotonic()
    run = check_run(urls, check_settings(per_host=1, probe=False, timeout=3.0, retry_after_cap=0.5))
    assert run.outcomes[urls[0]].check.status == Status.BLOCKED
    assert "asked to wait 1 hour" in run.outcomes[urls[0]].check.reason
    assert {run.outcomes[u].check.status for u in urls[1:]} == {Status.LIVE}
    assert time.monotonic() - t0 < 2.5
    assert run.slowdowns[0].longest_asked == 0.5


def test_max_time_skips_what_it_leaves_unchecked_and_records_none_of_it(site, tmp_path):
    site.fallback = slow(0.3, html("Slow page"))
    urls = [site.url(f"/p/{i}") for i in range(10)]
    settings = check_settings(per_host=1, probe=False, timeout=2.0)
    settings.max_time = 0.5
    history = History(tmp_path)
    t0 = time.monotonic()
    run = check_run(urls, settings, history)
    assert time.monotonic() - t0 < 1.5  # the budget, plus the requests already under way
    statuses = [run.outcomes[u].check.status for u in urls]
    assert Status.TIMEOUT not in statuses
    assert 1 <= statuses.count(Status.LIVE) <= 3
    skipped = [u for u in urls if run.outcomes[u].check.status == Status.SKIPPED]
    assert run.unchecked == len(skipped) >= 7
    assert all(run.outcomes[u].check.reason == RAN_OUT for u in skipped)
    assert all(history.checks(u) == [] for u in skipped)  # checked next time, not "fresh"
    assert len(site.log) == statuses.count(Status.LIVE)


@pytest.fixture
def no_dns(monkeypatch):
    """A machine whose resolver answers nothing (offline), for names; IP literals still work."""
    real = socket.getaddrinfo

    def fail(host, *args, **kw):
        if host and host[0].isalpha():
            raise socket.gaierror(socket.EAI_AGAIN, "Temporary failure in name resolution")
        return real(host, *args, **kw)

    monkeypatch.setattr(socket, "getaddrinfo", fail)


def test_no_dns_for_any_host_is_an_offline_machine_not_dead_sources(no_dns, tmp_path):
    urls = [f"https://news{i}.example.com/story" for i in range(4)]
    history = History(tmp_path)
    run = check_run(urls, CheckSettings(fetch=fast_settings(allow_private=False)), history)
    assert run.offline is not None and run.offline.startswith("no host could be reached: is this machine offline?")
    assert "DNS lookups failed for 4 of 4 hosts" in run.offline
    assert not (tmp_path / "history").exists()  # nothing recorded: an outage is not a failure


def test_one_unreachable_host_among_live_ones_is_recorded(site, closed_port, tmp_path):
    urls = [site.url("/a"), f"http://127.0.0.1:{closed_port}/gone"]
    site.routes["/a"] = html("A page")
    history = History(tmp_path)
    run = check_run(urls, check_settings(probe=False), history)
    assert run.offline is None
    assert run.outcomes[urls[1]].check.status == Status.UNREACHABLE
    assert history.checks(urls[1])[0]["status"] == "unreachable"


def test_one_dead_domain_alone_is_not_called_offline(no_dns):
    run = check_run(["https://lapsed.example.com/a"], CheckSettings(fetch=fast_settings(allow_private=False)))
    assert run.offline is None
    assert run.outcomes["https://lapsed.example.com/a"].check.status == Status.UNREACHABLE


def test_check_command_offline_says_so_once_and_exits_1(no_dns, workdir):
    from click.testing import CliRunner

    from pipeline.cli import main

    (workdir / "citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: https://site{n}.example.org/a\n" for n in range(1, 5)),
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["check", "--archive-dir", "archive", "--confirm-checks", "1"])
    assert res.exit_code == 1
    assert res.stderr.count("is this machine offline?") == 1
    assert "unreachable" not in res.stdout  # no row of failures
    assert not (workdir / "archive" / "history").exists()


def test_run_command_offline_records_nothing_and_its_report_says_nothing_was_checked(no_dns, workdir):
    from click.testing import CliRunner

    from pipeline.cli import main

    (workdir / "citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: https://site{n}.example.org/a\n" for n in range(1, 4)),
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["run", "--no-wayback", "--confirm-checks", "1", "--confirm-days", "0"])
    assert res.exit_code == 1
    assert res.stderr.count("is this machine offline?") == 1
    assert not (workdir / "archive" / "history").exists() and not (workdir / "archive" / "runs").exists()
    # the reports are written (a newcomer running the example without a network sees one) and
    # say why: every source skipped, none failing, nothing confirmed
    report = json.loads((workdir / "reports" / "citations.json").read_text(encoding="utf-8"))
    assert [r["status"] for r in report["results"]] == ["skipped"] * 3 and report["exit_status"] == 1
    assert all("is this machine offline?" in r["check"]["reason"] for r in report["results"])


def test_archive_with_the_wayback_machine_refusing_says_so_once_and_exits_1(site, workdir, closed_port):
    from click.testing import CliRunner

    from pipeline.cli import main

    site.fallback = html("A page")
    (workdir / "citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: {site.url(f'/p/{n}')}\n" for n in range(5)),
        encoding="utf-8",
    )
    endpoint = f"http://127.0.0.1:{closed_port}"
    # (a fast CDX pace: lookups already waiting for their turn when it went down still go out)
    args = ["archive", "--allow-private", "--wayback-endpoint", endpoint, "--timeout", "3", "--cdx-per-minute", "600"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 1  # nothing could be archived
    assert res.stderr.count("the Wayback Machine could not be reached") == 1
    assert "ConnectionError" not in res.stdout  # the rows say only "not archived"
    assert res.stdout.count("not archived (the Wayback Machine could not be reached)") == 5


def test_resolve_with_the_wayback_machine_refusing_says_so_once_not_a_row_of_no_candidate(workdir, closed_port):
    from click.testing import CliRunner

    from pipeline.cli import main

    (workdir / "citations.yaml").write_text(
        "citations:\n"
        + "".join(
            f"  - id: '{n}'\n    publisher: The Guardian\n    title: Intel apologises to China {n}\n    date: 2021-12-23\n"
            for n in range(4)
        ),
        encoding="utf-8",
    )
    endpoint = f"http://127.0.0.1:{closed_port}"
    res = CliRunner().invoke(main, ["resolve", "--wayback-endpoint", endpoint, "--crossref-endpoint", endpoint])
    assert res.exit_code == 1
    assert res.stderr.count("the Wayback Machine could not be reached") == 1
    assert "no candidate" not in res.stdout


def test_the_run_report_says_which_host_asked_us_to_slow_down(site, workdir):
    import json

    from click.testing import CliRunner

    from pipeline.cli import main

    site.routes["/busy"] = sequence(lambda req: send(req, 429, "Slow down", {"Retry-After": "1"}), html("Busy page"))
    site.fallback = html("Page")
    (workdir / "citations.yaml").write_text(
        "citations:\n"
        + "".join(f"  - id: '{n}'\n    url: {site.url(p)}\n" for n, p in enumerate(["/busy", "/a", "/b"])),
        encoding="utf-8",
    )
    args = ["run", "--no-wayback", "--allow-private", "--per-host", "1", "--timeout", "5", "--no-probe"]
    res = CliRunner().invoke(main, args)
    assert res.exit_code == 0, res.output
    notes = json.loads((workdir / "reports" / "citations.json").read_text())["notes"]
    assert any(n.startswith("127.0.0.1 asked us to slow down (1 time): ") for n in notes), notes


def test_archive_command_offline_says_so_once_and_exits_1(no_dns, workdir):
    from click.testing import CliRunner

    from pipeline.cli import main

    (workdir / "citations.yaml").write_text(
        "citations:\n" + "".join(f"  - id: '{n}'\n    url: https://site{n}.example.org/a\n" for n in range(1, 4)),
        encoding="utf-8",
    )
    res = CliRunner().invoke(main, ["archive", "--no-wayback"])
    assert res.exit_code == 1
    assert res.stderr.count("is this machine offline?") == 1
    assert not (workdir / "archive" / "history").exists()
