"""The archive stage against a local Wayback stand-in, and the local WARC copies."""

from __future__ import annotations

import datetime as dt
import json
import os
import random
import subprocess
import sys
import time
from pathlib import Path

import pytest
from warcio.archiveiterator import ArchiveIterator

from pipeline import citations as cit
from pipeline.archive.copies import cited_copy
from pipeline.archive.history import History
from pipeline.archive.stage import ArchiveSettings
from pipeline.archive.wayback import Pending, WaybackClient, WaybackSettings
from pipeline.run import Job, RunSettings, run

from .conftest import check_settings
from .servers import html


def wb_settings(wayback, keys=True, **kw) -> WaybackSettings:
    base = dict(
        endpoint=wayback.endpoint,
        access_key="AKEY" if keys else None,
        secret_key="SECRET" if keys else None,
        cdx_per_minute=6000,
        captures_per_minute=6000,
        anonymous_captures_per_minute=6000,
        status_per_minute=6000,
        poll_interval=0.05,
        poll_timeout=2,
        request_timeout=1.5,
        backoff_429=0.5,
    )
    base.update(kw)
    return WaybackSettings(**base)


CITATIONS = """# hand-written header comment
citations:
  - id: "1"
    publisher: Example News   # checked by hand
    title: A live story
    date: 2021-12-23
    url: {live}
  - id: "2"
    publisher: Example News
    title: A story that is gone
    date: 2020-05-01
    url: {dead}
"""


def setup(tmp_path, site, live="/live-story", dead="/gone-story"):
    site.routes[live] = html("A live story")
    site.routes[dead] = html("gone", status=404)
    p = tmp_path / "citations.yaml"
    p.write_text(CITATIONS.format(live=site.url(live), dead=site.url(dead)), encoding="utf-8")
    return p, site.url(live), site.url(dead)


def do_run(tmp_path, citations, wayback_settings, local=True, **kw):
    settings = RunSettings(
        check=check_settings(probe=False),
        archive=ArchiveSettings(wayback=wayback_settings),
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
        local_copy=local,
        **kw,
    )
    return run([Job(citations)], settings)


def by_id(outcome):
    return {r["id"]: r for r in outcome.reports[0].report["results"]}


def test_capture_with_keys_and_write_back(tmp_path, site, wayback):
    p, live, dead = setup(tmp_path, site)
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    results = by_id(outcome)
    assert results["1"]["archive_url"].startswith(f"{wayback.endpoint}/web/")
    assert wayback.auth_seen == ["LOW AKEY:SECRET"]  # the live URL only: dead ones are not captured
    text = p.read_text(encoding="utf-8")
    assert "# hand-written header comment" in text and "# checked by hand" in text
    cf = cit.load(p)
    one = cf.entry("1")
    assert one["archive_url"] == results["1"]["archive_url"]
    assert one["url_status"] == "live" and one["archive_date"] == dt.datetime.now(dt.UTC).date()
    # keys never reach reports or logs
    assert "SECRET" not in (tmp_path / "reports" / "citations.json").read_text(encoding="utf-8")
    assert "SECRET" not in repr(wb_settings(wayback))
    assert outcome.reports[0].report["changes"]["newly_archived"] == ["1"]


def test_lookup_only_without_keys(tmp_path, site, wayback):
    p, live, _ = setup(tmp_path, site)
    wayback.add_capture(live, "20200101000000")
    outcome = do_run(tmp_path, p, wb_settings(wayback, keys=False))
    assert not wayback.calls_of("save")
    assert any("lookup-only" in n for n in outcome.notes)
    assert sum("lookup-only" in n for n in outcome.notes) == 1  # said once
    assert by_id(outcome)["1"]["archive_url"] == f"{wayback.endpoint}/web/20200101000000/{live}"


def test_recent_snapshot_is_not_captured_again(tmp_path, site, wayback):
    p, live, _ = setup(tmp_path, site)
    recent = (dt.datetime.now(dt.UTC) - dt.timedelta(days=3)).strftime("%Y%m%d%H%M%S")
    wayback.add_capture(live, recent)
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    assert not wayback.calls_of("save")
    assert recent in by_id(outcome)["1"]["archive_url"]


def test_closest_snapshot_to_the_footnote_date(wayback):
    url = "https://example.com/story"
    for ts in ("20190101000000", "20211220000000", "20211224120000", "20230101000000"):
        wayback.add_capture(url, ts)
    wayback.add_capture(url, "20211223000000", statuscode="404")
    client = WaybackClient(wb_settings(wayback))
    look = client.lookup(url, dt.date(2021, 12, 23))
    assert look.closest.timestamp == dt.datetime(2021, 12, 20, tzinfo=dt.UTC)  # before, 2xx only
    assert look.latest.timestamp == dt.datetime(2023, 1, 1, tzinfo=dt.UTC)
    after = client.lookup(url, dt.date(2018, 6, 1))
    assert after.closest.timestamp == dt.datetime(2019, 1, 1, tzinfo=dt.UTC)  # none before: first after


def test_dead_url_gets_the_closest_good_snapshot_and_is_verified_against_it(tmp_path, site, wayback):
    p, _, dead = setup(tmp_path, site)
    wayback.add_capture(
        dead,
        "20200420000000",
        body="<html><head><title>A story that is gone</title></head><body>" + "x " * 300 + "</body></html>",
    )
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    two = by_id(outcome)["2"]
    assert two["status"] == "dead"
    assert two["archive_url"] == f"{wayback.endpoint}/web/20200420000000/{dead}"
    assert two["verified_against"] == two["archive_url"]
    assert two["title_match"]["verdict"] == "match"
    assert all(
        "gone-story" not in u for u in [wayback.jobs[j]["url"] for j in wayback.jobs]
    )  # no capture of a dead page
    # a single failing check is not yet "dead" in citations.yaml
    assert "url_status" not in cit.load(p).entry("2")


def failed_before(tmp_path, url, status, reason):
    """Three earlier failing checks over nine days: this run's failure will be confirmed."""
    history = History(tmp_path / "archive")
    for days in (9, 6, 3):
        at = (dt.datetime.now(dt.UTC) - dt.timedelta(days=days)).isoformat(timespec="seconds")
        history.record(url, {"at": at, "status": status, "reason": reason})


def test_dead_confirmed_sets_url_status_dead(tmp_path, site, wayback):
    p, _, dead = setup(tmp_path, site)
    wayback.add_capture(dead, "20200420000000")
    failed_before(tmp_path, dead, "dead", "HTTP 404 Not Found")
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    assert by_id(outcome)["2"]["check"]["confirmed"]
    assert cit.load(p).entry("2")["url_status"] == "dead"
    assert outcome.exit_status == 2


def test_a_confirmed_parked_domain_is_usurped_not_dead(tmp_path, site, wayback):
    """Wikipedia's url-status for a domain someone else now holds: readers get the archive."""
    p, _, gone = setup(tmp_path, site)
    site.routes["/gone-story"] = html("This domain is for sale!", body="<p>Make an offer on this domain today.</p>")
    wayback.add_capture(gone, "20200420000000")
    failed_before(tmp_path, gone, "soft-404", "the domain is parked or for sale")
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    two = by_id(outcome)["2"]
    assert two["status"] == "soft-404" and two["check"]["confirmed"]
    assert cit.load(p).entry("2")["url_status"] == "usurped"
    assert two["archive_url"] == f"{wayback.endpoint}/web/20200420000000/{gone}"


def test_archived_error_page_is_not_offered(tmp_path, site, wayback):
    p, _, dead = setup(tmp_path, site)
    wayback.add_capture(
        dead, "20200420000000", body="<html><head><title>Page not found</title></head><body>sorry</body></html>"
    )
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    two = by_id(outcome)["2"]
    assert two["archive_url"] is None
    assert "not usable" in two["archive_note"] and "soft-404" in two["archive_note"]


def test_error_inside_http_200_is_reported(tmp_path, site, wayback):
    p, _, _ = setup(tmp_path, site)
    wayback.submit_mode = "error-in-200"
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    assert "error:blocked-url" in by_id(outcome)["1"]["archive_note"]


def test_daily_cap_stops_captures_but_not_the_run(tmp_path, site, wayback):
    site.fallback = html("Another live story")
    urls = [site.url(f"/s/{i}") for i in range(4)]
    p = tmp_path / "citations.yaml"
    p.write_text(
        "citations:\n" + "".join(f"  - id: '{i}'\n    url: {u}\n" for i, u in enumerate(urls)), encoding="utf-8"
    )
    wayback.submit_mode = "daily-cap"
    settings = ArchiveSettings(wayback=wb_settings(wayback), workers=1)
    outcome = run(
        [Job(p)],
        RunSettings(
            check=check_settings(probe=False), archive=settings, archive_dir=tmp_path / "a", reports_dir=tmp_path / "r"
        ),
    )
    assert len(wayback.calls_of("save")) == 1  # stopped after the first refusal
    assert any("daily capture limit" in n for n in outcome.notes)
    assert len(outcome.reports[0].report["results"]) == 4  # the run still finished and reported


def test_ambiguous_523_is_checked_against_cdx(tmp_path, site, wayback):
    p, live, _ = setup(tmp_path, site)
    wayback.submit_mode = "523-but-captured"
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    one = by_id(outcome)["1"]
    assert one["archive_url"] and one["archive_url"].startswith(f"{wayback.endpoint}/web/")
    assert (
        not (tmp_path / "archive" / "wayback-pending.json").exists()
        or json.loads((tmp_path / "archive" / "wayback-pending.json").read_text()) == {}
    )


def test_pending_job_is_resumed_not_resubmitted(tmp_path, site, wayback):
    p, live, _ = setup(tmp_path, site)
    wayback.submit_mode = "never-finish"
    first = do_run(tmp_path, p, wb_settings(wayback, poll_timeout=0.3))
    assert "in progress" in by_id(first)["1"]["archive_note"]
    pending = json.loads((tmp_path / "archive" / "wayback-pending.json").read_text())
    assert pending[live]["job_id"] == "spn2-0001"
    assert len(wayback.calls_of("save")) == 1

    wayback.submit_mode = "ok"  # the job finished meanwhile
    second = do_run(
        tmp_path,
        p,
        wb_settings(wayback),
    )
    assert len(wayback.calls_of("save")) == 1  # not captured again
    assert by_id(second)["1"]["archive_url"]
    assert json.loads((tmp_path / "archive" / "wayback-pending.json").read_text()) == {}


def test_cdx_pacing_is_measured_on_the_server(wayback):
    client = WaybackClient(wb_settings(wayback, cdx_per_minute=240))  # one call per 0.25 s
    for i in range(6):
        client.cdx({"url": f"https://example.com/{i}"})
    times = wayback.calls_of("cdx")
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # the pacer spaces the sends; what the server sees jitters by a scheduler's slice on a busy
    # machine, so: no two calls close together (unpaced, they arrive ms apart), and the whole
    # series takes at least its paced length
    assert len(times) == 6 and min(gaps) >= 0.05 and times[-1] - times[0] >= 0.9 * 5 * 0.25, gaps


def test_429_pauses_every_call(wayback):
    wayback.cdx_429_once = True
    client = WaybackClient(wb_settings(wayback, backoff_429=0.6))
    with pytest.raises(Exception, match="429"):
        client.cdx({"url": "https://example.com/a"})
    client.cdx({"url": "https://example.com/a"})
    times = wayback.calls_of("cdx")
    assert times[1] - times[0] >= 0.55  # waited out the back-off instead of hammering


def test_hanging_wayback_is_bounded(tmp_path, site, wayback):
    p, _, _ = setup(tmp_path, site)
    wayback.hang_cdx = True
    t0 = time.monotonic()
    outcome = do_run(tmp_path, p, wb_settings(wayback, request_timeout=0.5), local=False)
    assert time.monotonic() - t0 < 8
    assert "timed out" in (by_id(outcome)["1"]["archive_note"] or "")


def test_pending_file_survives_and_is_atomic(tmp_path):
    pend = Pending.load(tmp_path)
    pend.put("https://example.com/a", "spn2-1", "submitted")
    again = Pending.load(tmp_path)
    assert again.jobs["https://example.com/a"]["job_id"] == "spn2-1"
    assert not list(Path(tmp_path).glob("*.tmp"))


# ---------------------------------------------------------------------------- WARC
def test_warc_holds_the_checked_response(tmp_path, site):
    p, live, dead = setup(tmp_path, site)
    site.routes["/big"] = html("Big " + "x" * 50)
    do_run(tmp_path, p, None)
    warcs = list((tmp_path / "archive" / "warc").glob("*.warc.gz"))
    assert len(warcs) == 1
    records = []
    with open(warcs[0], "rb") as f:
        for rec in ArchiveIterator(f):
            records.append(
                (
                    rec.rec_type,
                    rec.rec_headers.get_header("WARC-Target-URI"),
                    rec.http_headers and rec.http_headers.get_statuscode(),
                    rec.content_stream().read(),
                )
            )
    responses = {uri: (code, body) for kind, uri, code, body in records if kind == "response"}
    assert responses[live][0] == "200" and b"A live story" in responses[live][1]
    assert responses[dead][0] == "404"
    assert {kind for kind, *_ in records} == {"warcinfo", "request", "response"}
    assert site.hits("/live-story") == 1  # the archive copy is the check's response, not a refetch
    index = json.loads((tmp_path / "archive" / "warc-index.json").read_text())
    assert index[live][0]["http_status"] == 200


def test_truncated_body_is_marked(tmp_path, site):
    from pipeline.archive.warc import WarcArchive
    from pipeline.model import Fetch

    warc = WarcArchive(tmp_path)
    warc.write(
        Fetch(
            url="https://example.com/big",
            final_url="https://example.com/big",
            http_status=200,
            headers={"content-type": "text/html"},
            body=b"x" * 100,
            truncated=True,
            started_at=dt.datetime.now(dt.UTC),
        )
    )
    warc.close()
    with open(warc.path, "rb") as f:
        resp = [r for r in ArchiveIterator(f) if r.rec_type == "response"][0]
    assert resp.rec_headers.get_header("WARC-Truncated") == "length"


PYWB_REPLAY = r"""
import subprocess, sys, os
os.chdir(sys.argv[1])
bindir = os.path.dirname(sys.executable)
subprocess.run([os.path.join(bindir, "wb-manager"), "init", "cw"], check=True, capture_output=True)
warcs = sys.argv[2].split(os.pathsep)
subprocess.run([os.path.join(bindir, "wb-manager"), "add", "cw", *warcs], check=True, capture_output=True)
from pywb.apps.frontendapp import FrontEndApp
from werkzeug.test import Client
resp = Client(FrontEndApp()).get("/cw/" + sys.argv[3] + "id_/" + sys.argv[4])
sys.stdout.flush()
sys.stdout.buffer.write(b"\n@@REPLAY@@" + resp.status.encode() + b"\n" + resp.get_data())
"""


def test_warc_replays_in_pywb(tmp_path, site):
    pytest.importorskip("pywb", reason="pywb is in the test extras; see README")
    p, live, _ = setup(tmp_path, site)
    do_run(tmp_path, p, None)
    warc = next((tmp_path / "archive" / "warc").glob("*.warc.gz"))
    entry = json.loads((tmp_path / "archive" / "warc-index.json").read_text())[live][0]
    work = tmp_path / "pywb"
    work.mkdir()
    # pywb runs in its own process: it brings gevent, which must not patch this test process
    out = subprocess.run(
        [sys.executable, "-c", PYWB_REPLAY, str(work), str(warc), entry["timestamp"], live],
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    status, _, body = out.stdout.partition(b"@@REPLAY@@")[2].partition(b"\n")
    assert status == b"200 OK"
    assert b"<title>A live story</title>" in body


def replay(work: Path, warcs: list[Path], timestamp: str, url: str) -> tuple[bytes, bytes]:
    """(status line, body) of ``url`` at ``timestamp`` replayed by pywb from ``warcs``."""
    work.mkdir()
    # pywb runs in its own process: it brings gevent, which must not patch this test process
    out = subprocess.run(
        [sys.executable, "-c", PYWB_REPLAY, str(work), os.pathsep.join(map(str, warcs)), timestamp, url],
        capture_output=True,
        timeout=120,
    )
    assert out.returncode == 0, out.stderr.decode()[-2000:]
    status, _, body = out.stdout.partition(b"@@REPLAY@@")[2].partition(b"\n")
    return status, body


def test_an_unchanged_page_is_stored_once_and_still_replays(tmp_path):
    pytest.importorskip("pywb", reason="pywb is in the test extras; see README")
    from pipeline.archive.warc import WarcArchive
    from pipeline.model import Fetch

    url = "https://news.example.com/2024/05/story"
    words = random.Random(7).choices(["officials", "said", "talks", "would", "resume", "in", "May", "the"], k=8000)
    same = b"<html><head><title>Same story</title></head><body>" + " ".join(words).encode() + b"</body></html>"

    def copy(run_id: str, day: int, body: bytes):
        warc = WarcArchive(tmp_path, run_id=run_id)
        when = dt.datetime(2024, 5, day, 9, 0, tzinfo=dt.UTC)
        snap = warc.write(
            Fetch(
                url=url,
                final_url=url,
                http_status=200,
                headers={"content-type": "text/html"},
                body=body,
                started_at=when,
            )
        )
        warc.close()
        with open(warc.path, "rb") as f:
            kinds = [r.rec_type for r in ArchiveIterator(f) if r.rec_type != "warcinfo"]
        return warc.path, snap, kinds

    first, snap1, kinds1 = copy("a", 1, same)
    second, snap2, kinds2 = copy("b", 8, same)
    third, _, kinds3 = copy("c", 15, same.replace(b"Same story", b"Changed story"))
    assert kinds1 == ["response", "request"] and kinds2 == ["revisit", "request"] and kinds3 == ["response", "request"]
    assert second.stat().st_size < first.stat().st_size / 3
    assert snap2.archive_url == snap1.archive_url and "unchanged since 2024-05-01" in snap2.note
    status, body = replay(tmp_path / "pywb", [first, second, third], "20240508090000", url)
    assert status == b"200 OK" and b"<title>Same story</title>" in body


def test_no_free_capture_slot_is_said(tmp_path, site, wayback):
    p, _, _ = setup(tmp_path, site)
    wayback.available_slots = 0
    outcome = do_run(tmp_path, p, wb_settings(wayback), local=False)
    assert any("no free capture slot" in n for n in outcome.notes)
    assert wayback.calls_of("user")


def test_an_edit_saved_during_the_run_survives_its_write_back(tmp_path, site, wayback):
    p, live, dead = setup(tmp_path, site)
    page = html("A live story")

    def live_story(req):  # a person saves a fix from their editor while the run is checking
        text = p.read_text(encoding="utf-8")
        if "A story that is gone, corrected" not in text:
            p.write_text(text.replace("title: A story that is gone", "title: A story that is gone, corrected"))
        return page(req)

    site.routes["/live-story"] = live_story
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    assert by_id(outcome)["1"]["archive_url"]
    after = cit.load(p)
    assert after.entry("2")["title"] == "A story that is gone, corrected"
    assert after.entry("1")["archive_url"] == by_id(outcome)["1"]["archive_url"]
    assert p.read_text().startswith("# hand-written header comment\n")


def test_a_half_edited_file_during_the_run_is_left_alone_and_the_report_says_so(tmp_path, site, wayback):
    p, live, dead = setup(tmp_path, site)
    page = html("A live story")
    half = "citations:\n  - id: '1'\n    title: [unfinished\n"

    def live_story(req):
        p.write_text(half, encoding="utf-8")
        return page(req)

    site.routes["/live-story"] = live_story
    outcome = do_run(tmp_path, p, wb_settings(wayback))
    assert p.read_text(encoding="utf-8") == half
    assert any("changed by someone else while citewatch was working" in n for n in outcome.notes)
    assert by_id(outcome)["1"]["archive_url"]  # the report still has what the run found


def test_the_report_names_local_copies_of_sources_not_of_error_pages(tmp_path, site, wayback):
    """The WARC keeps every answer as evidence, but only a live page's copy is a copy of the
    source; a page fresh in the cache keeps pointing at the copy its last check made."""
    p, live, dead = setup(tmp_path, site)
    settings = wb_settings(wayback, endpoint=f"http://127.0.0.1:{site.port}/no-wayback-here")
    first = do_run(tmp_path, p, settings)
    assert first.reports[0].report["summary"]["local_copies"] == 1
    one, two = by_id(first)["1"], by_id(first)["2"]
    copy = next(s["archive_url"] for s in one["snapshots"] if s["kind"] == "local")
    assert any(s["kind"] == "local" for s in two["snapshots"])  # the 404 is in the WARC ...
    md = (tmp_path / "reports" / "citations.md").read_text(encoding="utf-8")
    assert f"local copy `archive/{copy}`" in md  # a code span shows its text as written: no escapes
    assert md.count("local copy `") == 1  # ... but not offered as a copy of the source

    second = do_run(tmp_path, p, settings)
    again = by_id(second)["1"]
    assert again["status"] == "skipped" and "fresh" in again["reason"]
    assert [s["archive_url"] for s in again["snapshots"] if s["kind"] == "local"] == [copy]
    assert second.reports[0].report["summary"]["local_copies"] == 1


@pytest.mark.parametrize(
    "url,original,date",
    [
        (
            "https://web.archive.org/web/20200105123000/https://example.com/story",
            "https://example.com/story",
            dt.date(2020, 1, 5),
        ),
        ("http://archive.org/web/2019id_/http://example.com/a?b=1", "http://example.com/a?b=1", None),
        ("https://web.archive.org/web/20200105/https://example.com/s", "https://example.com/s", dt.date(2020, 1, 5)),
        (
            "https://archive.ph/20230314101010/https://x.com/user/status/1",
            "https://x.com/user/status/1",
            dt.date(2023, 3, 14),
        ),
        ("https://archive.ph/AbC12", "https://archive.ph/AbC12", None),
        ("https://perma.cc/ABCD-1234", "https://perma.cc/ABCD-1234", None),
        ("https://ghostarchive.org/archive/Xy9Zq", "https://ghostarchive.org/archive/Xy9Zq", None),
    ],
)
def test_a_cited_archive_address_is_recognised(url, original, date):
    snapshot, dated = cited_copy(url)
    assert snapshot.archive_url == url and snapshot.url == original
    assert dated == (date is not None)
    if date:
        assert snapshot.timestamp.date() == date


@pytest.mark.parametrize(
    "url", ["https://example.com/web/2020/story", "https://archive.org/details/some-book", "https://www.archive.org/"]
)
def test_ordinary_addresses_are_not_archived_copies(url):
    assert cited_copy(url) is None


def test_a_footnote_citing_a_wayback_copy_is_not_looked_up_or_captured_again(tmp_path, site, wayback):
    copy = f"http://web.archive.org:{site.port}/web/20200105123000/https://example.com/deleted-post"
    site.routes["/web/20200105123000/https://example.com/deleted-post"] = html("A deleted post, as archived")
    p = tmp_path / "citations.yaml"
    p.write_text(f"citations:\n  - id: '1'\n    title: A deleted post\n    url: {copy}\n", encoding="utf-8")
    settings = RunSettings(
        check=check_settings(probe=False, resolve={"web.archive.org": "127.0.0.1"}),
        archive=ArchiveSettings(wayback=wb_settings(wayback)),
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
    )
    outcome = run([Job(p)], settings)
    one = by_id(outcome)["1"]
    assert one["status"] == "live" and one["archive_url"] == copy
    assert one["snapshots"][0]["note"] == "the footnote cites an archived copy"
    assert not wayback.calls_of("cdx") and not wayback.calls_of("save")
    entry = cit.load(p).entry("1")
    assert entry["archive_url"] == copy and entry["archive_date"] == dt.date(2020, 1, 5)


def test_citations_file_is_written_every_few_seconds_not_after_every_url(tmp_path, site, wayback, monkeypatch):
    """A save writes the whole file (0.37 s for 2,000 citations, under the stage's lock)."""
    urls = {}
    for i in range(12):
        site.routes[f"/story-{i}"] = html(f"Story {i}")
        urls[str(i)] = site.url(f"/story-{i}")
    p = tmp_path / "citations.yaml"
    p.write_text(
        "citations:\n" + "".join(f"  - id: '{i}'\n    title: Story {i}\n    url: {u}\n" for i, u in urls.items()),
        encoding="utf-8",
    )
    saves = []
    real_save = cit.save
    monkeypatch.setattr(cit, "save", lambda cf: (saves.append(1), real_save(cf)))
    do_run(tmp_path, p, wb_settings(wayback))
    assert 1 <= len(saves) <= 3
    written = cit.load(p)
    assert all(written.entry(i).get("archive_url") for i in urls)


def test_an_interrupted_archive_stage_keeps_the_links_it_found(tmp_path, site, wayback, monkeypatch):
    p, live, dead = setup(tmp_path, site)
    with p.open("a", encoding="utf-8") as f:
        for i in range(3, 13):
            site.routes[f"/more-{i}"] = html(f"Story {i}")
            f.write(f"  - id: '{i}'\n    title: Story {i}\n    url: {site.url(f'/more-{i}')}\n")
    real_lookup = WaybackClient.lookup
    looked_up = []

    def lookup(self, url, cited_date=None):
        looked_up.append(url)
        if url == dead:
            raise KeyboardInterrupt
        return real_lookup(self, url, cited_date)

    monkeypatch.setattr(WaybackClient, "lookup", lookup)
    settings = wb_settings(wayback)
    settings_run = RunSettings(
        check=check_settings(probe=False),
        archive=ArchiveSettings(wayback=settings, workers=1),
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
    )
    with pytest.raises(KeyboardInterrupt):
        run([Job(p)], settings_run)
    assert cit.load(p).entry("1").get("archive_url")  # archived before Ctrl-C, and written
    # and nothing new started after it: at most the one the worker had already taken up
    assert looked_up[:2] == [live, dead] and len(looked_up) <= 3


def test_an_archive_link_set_by_hand_is_kept_and_one_the_tool_wrote_is_improved(tmp_path, site, wayback):
    """An editor's own archive link (an archive.today copy they checked) is theirs, as
    Wikipedia's bots keep an existing archive-url: the run offers its copy beside it in
    the report and writes only url_status. A link citewatch itself wrote is replaced when a
    copy closer to the footnote's date turns up."""
    p, live, dead = setup(tmp_path, site)
    by_hand = "https://archive.ph/Xk2pQ"
    p.write_text(
        p.read_text(encoding="utf-8").replace(
            f"    url: {dead}\n",
            f"    url: {dead}\n  - id: '3'\n    title: A live story\n    date: 2021-12-23\n    url: {live}?via=feed\n    archive_url: {by_hand}\n",
        ),
        encoding="utf-8",
    )
    wayback.add_capture(live, "20200101000000")
    wayback.add_capture(f"{live}?via=feed", "20200101000000")
    outcome = do_run(tmp_path, p, wb_settings(wayback, keys=False))
    entry = cit.load(p).entry("3")
    assert entry["archive_url"] == by_hand and entry["url_status"] == "live"
    three = by_id(outcome)["3"]
    assert three["archive_url"] == by_hand
    assert any(s["archive_url"].startswith(f"{wayback.endpoint}/web/20200101000000/") for s in three["snapshots"])
    assert "set by hand is kept" in three["archive_note"]
    # the tool's own link for citation 1, found on the first run, gives way to a closer copy
    first = cit.load(p).entry("1")["archive_url"]
    assert first == f"{wayback.endpoint}/web/20200101000000/{live}"
    wayback.add_capture(live, "20211224000000")
    do_run(tmp_path, p, wb_settings(wayback, keys=False))
    assert cit.load(p).entry("1")["archive_url"] == f"{wayback.endpoint}/web/20211224000000/{live}"
    assert cit.load(p).entry("3")["archive_url"] == by_hand


def test_a_link_the_tool_wrote_under_the_archives_spelling_of_the_address_is_still_its_own(tmp_path, site, wayback):
    """The Wayback Machine answers with its own spelling of the address (http for https, a
    www. added): the copy written back was filed under that spelling, and the next run took
    the tool's own link for one set by hand, never to be improved again."""
    p, live, _ = setup(tmp_path, site)
    spelled = live.replace("http://", "HTTP://", 1)
    wayback.add_capture(live, "20200101000000", original=spelled)
    do_run(tmp_path, p, wb_settings(wayback, keys=False))
    assert cit.load(p).entry("1")["archive_url"] == f"{wayback.endpoint}/web/20200101000000/{spelled}"
    wayback.add_capture(live, "20211224000000", original=spelled)
    outcome = do_run(tmp_path, p, wb_settings(wayback, keys=False))
    assert cit.load(p).entry("1")["archive_url"] == f"{wayback.endpoint}/web/20211224000000/{spelled}"
    assert "set by hand" not in (by_id(outcome)["1"]["archive_note"] or "")


def test_ctrl_c_in_the_archive_stage_cuts_the_lookups_under_way(tmp_path, site, wayback, monkeypatch):
    """A lookup the archive answers slowly is cut at Ctrl-C, not waited for until its 20 s
    deadline (a CI runner kills a cancelled job ~10 s after asking, mid-write)."""
    p, live, dead = setup(tmp_path, site)
    wayback.hang_cdx = True
    real_lookup = WaybackClient.lookup

    def lookup(self, url, cited_date=None):
        if url == dead:
            time.sleep(0.5)  # the other worker is waiting for the archive by now
            raise KeyboardInterrupt
        return real_lookup(self, url, cited_date)

    monkeypatch.setattr(WaybackClient, "lookup", lookup)
    settings_run = RunSettings(
        check=check_settings(probe=False),
        archive=ArchiveSettings(wayback=wb_settings(wayback, request_timeout=20), workers=2),
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
    )
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        run([Job(p)], settings_run)
    assert time.monotonic() - started < 8
