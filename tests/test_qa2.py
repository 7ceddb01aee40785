"""qa2's adversarial findings on this session's work (result spool, WARC index, cached
check, write-back, CLI guards), each a test that failed before its fix."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from pipeline.archive.history import ConfirmPolicy, History, annotate, fresh
from pipeline.check import check_run
from pipeline.model import LinkCheck, Status

from .conftest import check_settings
from .servers import html


def _history_file(history: History, url: str, checks: object) -> None:
    path = history.path_for(url)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps({"url": url, "checks": checks}, indent=2), encoding="utf-8")


@pytest.mark.parametrize(
    "checks",
    [
        [{"at": "last tuesday", "status": "live", "http_status": 200}],  # a date edited by hand
        [{"at": 12345, "status": "live"}],  # a number
        [{"at": "2026-11-30T10:00:00+00:00", "status": "live"}, "oops"],  # a check that is not one
        {"at": "2026-11-30T10:00:00+00:00"},  # checks that are not a list
        [{"at": "2026-11-30T10:00:00+00:00", "status": "gone-ish"}],  # a status of no vocabulary
        [{"status": "dead"}, {"at": None, "status": "dead"}],
    ],
)
def test_a_history_file_damaged_by_hand_costs_no_run(site, tmp_path, checks):
    """archive/ is committed and merged by people: a history file that is JSON but not the
    tool's (a git merge resolved by hand, an edit) was a traceback that stopped the whole
    run, in the cached path before any worker (AttributeError, ValueError from an 'at' that
    is not a date): the file's bad checks are left out and the URL is checked again."""
    site.routes["/a"] = html("Story A")
    site.routes["/b"] = html("Story B")
    history = History(tmp_path)
    _history_file(history, site.url("/a"), checks)
    ran = check_run([site.url("/a"), site.url("/b")], check_settings(probe=False), History(tmp_path))
    assert ran.outcomes[site.url("/a")].check.status is Status.LIVE
    assert ran.outcomes[site.url("/b")].check.status is Status.LIVE
    assert site.hits("/a") == 1  # not taken as fresh
    again = History(tmp_path).checks(site.url("/a"))
    assert again and again[-1]["status"] == "live"


def test_a_last_check_from_the_future_is_not_fresh():
    """A runner whose clock was a year ahead once (or a clock that went back since): the
    check it wrote is "fresh" for as long as now - then < recheck_after, i.e. for a year,
    and a dead page stayed "live (fresh in the cache)" in every weekly report."""
    now = dt.datetime(2026, 12, 1, tzinfo=dt.UTC)
    ahead = {"at": "2027-12-01T00:00:00+00:00", "status": "live"}
    assert fresh([ahead], dt.timedelta(days=2), now) is None
    recent = {"at": "2026-11-30T12:00:00+00:00", "status": "live"}
    assert fresh([recent], dt.timedelta(days=2), now) == recent


def test_a_failure_dated_in_the_future_does_not_confirm_early():
    """Three failures in one day, one of them stamped a week ahead by a wrong clock: the
    span counted to the future date and confirmed a failure that had lasted hours."""
    now = dt.datetime(2026, 12, 1, 12, tzinfo=dt.UTC)
    previous = [
        {"at": "2026-12-08T10:00:00+00:00", "status": "dead"},
        {"at": "2026-12-01T09:00:00+00:00", "status": "dead"},
    ]
    check = LinkCheck(url="https://example.org/x", status=Status.DEAD, reason="HTTP 404", checked_at=now)
    annotate(check, previous, ConfirmPolicy())
    assert check.failing_checks == 3
    assert not check.confirmed


def test_offline_reads_a_history_file_damaged_by_hand(tmp_path):
    """--offline renders from the history alone: a check without a date (or with one that
    is not a date) was a TypeError/ValueError traceback there."""
    from pipeline.offline import stored_outcomes

    history = History(tmp_path)
    url = "https://example.org/a"
    _history_file(history, url, [{"at": "2026-11-30T10:00:00+00:00", "status": "live"}, {"status": "dead"}])
    got = stored_outcomes([url], History(tmp_path), ConfirmPolicy())[url]
    assert got.check.status is Status.LIVE
