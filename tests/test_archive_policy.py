"""The archive stage's decisions, as a table: which copy a URL is offered and which
url_status its citation gets, against in-memory archive services (no network)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

import pytest

from pipeline.archive.policy import choose_snapshot, url_status_for
from pipeline.archive.service import Capture, Lookup
from pipeline.fetch import FetchSettings
from pipeline.model import Cause, Citation, LinkCheck, Result, Snapshot, Status

NOW = dt.datetime.now(dt.UTC)


def snap(days_ago: float, where: str = "a") -> Snapshot:
    return Snapshot(
        "http://x.example/s", f"http://{where}.example/{days_ago}", NOW - dt.timedelta(days=days_ago), "wayback"
    )


@dataclass
class FakeService:
    """An archive held in memory: what lookup answers, whether it captures."""

    look: Lookup = field(default_factory=Lookup)
    captures: bool = False
    name: str = "fake"
    max_age: dt.timedelta = dt.timedelta(days=30)
    keeps_live_pages: bool = True
    asked: list[str] = field(default_factory=list)

    def start(self) -> list[str]:
        return []

    def can_capture(self, url: str) -> bool:
        return self.captures

    def lookup(self, url: str, near: dt.date | None) -> Lookup:
        self.asked.append("lookup")
        return self.look

    def capture(self, url: str) -> Capture:
        self.asked.append("capture")
        return Capture(snapshot=snap(0, "new"))

    def resumed(self, url: str) -> Snapshot | None:
        return None

    def raw_copy_url(self, snapshot: Snapshot) -> str:
        return snapshot.archive_url

    def finish(self) -> list[str]:
        return []


class GoodCopies:
    """A fetcher whose every archived copy reads as a live page, with the archive's
    Memento-Datetime header as real replays send it."""

    settings = FetchSettings(timeout=2)

    def fetch(self, url: str):
        from pipeline.model import Fetch

        body = b"<html><head><title>Story</title></head><body>" + b"text " * 200 + b"</body></html>"
        return Fetch(
            url=url,
            final_url=url,
            http_status=200,
            headers={"content-type": "text/html", "memento-datetime": "Sun, 22 Sep 2024 04:46:30 GMT"},
            body=body,
        )


@pytest.mark.parametrize(
    "status,first,second,expect,asked",
    [
        # dead: the first service's copy near the date; the second is not asked
        (Status.DEAD, Lookup(closest=snap(900, "a")), Lookup(closest=snap(800, "b")), "a", (["lookup"], [])),
        # dead, no copy in the first: the second service's copy
        (Status.DEAD, Lookup(), Lookup(closest=snap(800, "b")), "b", (["lookup"], ["lookup"])),
        # dead, the first one down: the second still asked
        (Status.SOFT_404, Lookup(error="down"), Lookup(closest=snap(800, "b")), "b", (["lookup"], ["lookup"])),
        # live with a recent copy: kept, no capture, nobody else asked
        (Status.LIVE, Lookup(latest=snap(3, "a")), Lookup(), "a", (["lookup"], [])),
        # live, copy too old: captured now
        (Status.LIVE, Lookup(latest=snap(90, "a")), Lookup(), "new", (["lookup", "capture"], [])),
        # blocked counts as reached: captured
        (Status.BLOCKED, Lookup(), Lookup(), "new", (["lookup", "capture"], [])),
        # skipped (fresh in the cache) is never captured: the old copy is offered
        (Status.SKIPPED, Lookup(latest=snap(90, "a")), Lookup(), "a", (["lookup"], [])),
        # a timeout: the first service's closest copy, unchecked
        (Status.TIMEOUT, Lookup(closest=snap(500, "a"), latest=snap(90, "a")), Lookup(), "a", (["lookup"], [])),
    ],
)
def test_which_copy_is_offered(status, first, second, expect, asked):
    services = [FakeService(first, captures=True), FakeService(second)]
    choice = choose_snapshot("http://x.example/s", status, dt.date(2021, 1, 1), services, GoodCopies())
    assert choice.snapshot is not None and choice.snapshot.archive_url.split("/")[2].split(".")[0] == expect
    assert (services[0].asked, services[1].asked) == asked
    assert choice.captured == (expect == "new")


def test_a_lookup_only_archive_is_not_asked_about_live_pages():
    lookup_only = FakeService(Lookup(closest=snap(900, "b"), latest=snap(3, "b")), keeps_live_pages=False)
    for status in (Status.LIVE, Status.SKIPPED, Status.TIMEOUT):
        assert choose_snapshot("http://x.example/s", status, None, [lookup_only], GoodCopies()).snapshot is None
    assert lookup_only.asked == []
    dead = choose_snapshot("http://x.example/s", Status.DEAD, None, [lookup_only], GoodCopies())
    assert dead.snapshot is not None and lookup_only.asked == ["lookup"]


def test_no_service_offers_nothing_and_asks_nothing():
    choice = choose_snapshot("http://x.example/s", Status.DEAD, None, [], GoodCopies())
    assert choice.snapshot is None and choice.note is None


def result(status: Status, confirmed: bool = False, cause: Cause | None = None) -> Result:
    check = LinkCheck(url="http://x.example/s", status=status, reason="r", confirmed=confirmed, cause=cause)
    return Result(citation=Citation(id="1", url="http://x.example/s"), check=check)


@pytest.mark.parametrize(
    "res,expect",
    [
        (result(Status.LIVE), "live"),
        (result(Status.REDIRECTED), "live"),
        (result(Status.DEAD), None),  # failing, not confirmed yet: leave what is there
        (result(Status.DEAD, confirmed=True), "dead"),
        (result(Status.UNREACHABLE, confirmed=True), "dead"),
        (result(Status.SOFT_404, confirmed=True, cause=Cause.PARKED), "usurped"),
        (result(Status.SOFT_404, confirmed=True), "dead"),  # a server's placeholder page is not usurped
        (result(Status.BLOCKED, confirmed=True), None),
        (result(Status.TIMEOUT), None),
        (Result(citation=Citation(id="1")), None),
    ],
)
def test_url_status_written_back(res, expect):
    assert url_status_for(res) == expect
