"""Memento lookups: a dead page the Wayback Machine never kept is offered a copy from
another archive, found through an RFC 7089 TimeMap (a loopback stand-in here)."""

from __future__ import annotations

import datetime as dt
import time
from pathlib import Path

import pytest

from pipeline import citations as cit
from pipeline.archive.memento import AGGREGATOR, MementoService, MementoSettings, parse_timemap
from pipeline.archive.settings import ArchiveSettings
from pipeline.model import Snapshot
from pipeline.run import Job, RunSettings, run

from .conftest import check_settings
from .test_archive import by_id, setup, wb_settings


def do_run(tmp_path, citations, archive: ArchiveSettings):
    settings = RunSettings(
        check=check_settings(probe=False),
        archive=archive,
        archive_dir=tmp_path / "archive",
        reports_dir=tmp_path / "reports",
        local_copy=False,
    )
    return run([Job(citations)], settings)


def m_settings(memento, **kw) -> MementoSettings:
    return MementoSettings(**{"timemap": memento.timemap, "per_minute": 6000, "request_timeout": 1.5, **kw})


# RFC 7089 section 5.1.1's example TimeMap, as an archive serves it
RFC_TIMEMAP = """<http://a.example.org>;rel="original",
<http://arxiv.example.net/timemap/http://a.example.org>
  ; rel="self";type="application/link-format"
  ; from="Tue, 20 Jun 2000 18:02:59 GMT"
  ; until="Wed, 09 Apr 2008 20:30:51 GMT",
<http://arxiv.example.net/timegate/http://a.example.org>
  ; rel="timegate",
<http://arxiv.example.net/web/20000620180259/http://a.example.org>
  ; rel="first memento";datetime="Tue, 20 Jun 2000 18:02:59 GMT"
  ; license="http://creativecommons.org/publicdomain/zero/1.0/",
<http://arxiv.example.net/web/20091027204954/http://a.example.org>
   ; rel="last memento";datetime="Tue, 27 Oct 2009 20:49:54 GMT"
   ; license="http://creativecommons.org/publicdomain/zero/1.0/",
<http://arxiv.example.net/web/20000621011731/http://a.example.org>
  ; rel="memento";datetime="Wed, 21 Jun 2000 01:17:31 GMT"
  ; license="http://creativecommons.org/publicdomain/zero/1.0/",
<http://arxiv.example.net/web/20000621044156/http://a.example.org>
  ; rel="memento";datetime="Wed, 21 Jun 2000 04:41:56 GMT"
  ; license="http://creativecommons.org/publicdomain/zero/1.0/"
"""


def test_the_rfc_7089_timemap_is_read_oldest_first():
    got = [(m.url.rsplit("/web/", 1)[1][:14], m.when) for m in parse_timemap(RFC_TIMEMAP)]
    assert got == [
        ("20000620180259", dt.datetime(2000, 6, 20, 18, 2, 59, tzinfo=dt.UTC)),
        ("20000621011731", dt.datetime(2000, 6, 21, 1, 17, 31, tzinfo=dt.UTC)),
        ("20000621044156", dt.datetime(2000, 6, 21, 4, 41, 56, tzinfo=dt.UTC)),
        ("20091027204954", dt.datetime(2009, 10, 27, 20, 49, 54, tzinfo=dt.UTC)),
    ]
    # cut short by the size cap: the links before the cut are kept, the torn one is not
    cut = RFC_TIMEMAP[: RFC_TIMEMAP.index("20000621044156") + 40]
    assert len(parse_timemap(cut)) == 3


RECORDED = Path(__file__).resolve().parents[2] / "shared" / "recorded" / "wayback" / "test_get_memento.yaml"


def test_a_real_archives_link_format_answer_is_read():
    """The Link header the Wayback Machine really sent (recorded), in the same link format
    as a TimeMap: all five mementos, "prev memento" and "next memento" included."""
    if not RECORDED.is_file():
        pytest.skip(f"recorded answers not here: {RECORDED}")
    import yaml

    headers = [i["response"]["headers"] for i in yaml.safe_load(RECORDED.read_text(encoding="utf-8"))["interactions"]]
    link = next(h["link"][0] for h in headers if h.get("link"))
    got = [m.when.isoformat() for m in parse_timemap(link)]
    assert got == [
        "2005-03-23T15:53:00+00:00",
        "2017-09-29T00:27:12+00:00",
        "2017-11-24T15:13:15+00:00",
        "2017-12-28T22:21:43+00:00",
        "2023-03-19T07:02:36+00:00",
    ]


def test_a_dead_page_with_no_wayback_copy_gets_one_from_another_archive(tmp_path, site, wayback, memento):
    p, live, dead = setup(tmp_path, site)  # footnote 2 (dead) is dated 2020-05-01
    memento.add_copy(dead, "20190301120000", title="Old copy")
    closest = memento.add_copy(dead, "20200420080000", title="A story that is gone")
    memento.add_copy(dead, "20210101000000", title="After the date")
    settings = ArchiveSettings(wayback=wb_settings(wayback), memento=[m_settings(memento)])
    results = by_id(do_run(tmp_path, p, settings))
    assert results["2"]["archive_url"] == closest  # the copy closest before the footnote's date
    assert results["2"]["verified_against"] == closest
    assert results["2"]["title_match"]["verdict"] == "match"  # verified against that copy
    entry = next(c for c in cit.load(p).citations if c.id == "2")
    assert entry.archive_url == closest and str(entry.archive_date) == "2020-04-20"
    assert len(memento.calls) == 1  # the live page is the Wayback Machine's to keep


def test_another_archive_is_not_asked_when_the_wayback_machine_has_a_good_copy(tmp_path, site, wayback, memento):
    p, live, dead = setup(tmp_path, site)
    wayback.add_capture(dead, "20200401000000")
    settings = ArchiveSettings(wayback=wb_settings(wayback), memento=[m_settings(memento)])
    results = by_id(do_run(tmp_path, p, settings))
    assert results["2"]["archive_url"].startswith(wayback.endpoint)
    assert memento.calls == []


def test_an_archived_error_page_from_another_archive_is_not_offered(tmp_path, site, memento):
    p, live, dead = setup(tmp_path, site)
    memento.add_copy(dead, "20200420080000", title="404 Not Found", status=404)
    settings = ArchiveSettings(wayback=None, memento=[m_settings(memento)])
    results = by_id(do_run(tmp_path, p, settings))
    assert results["2"].get("archive_url") is None
    assert "not usable" in results["2"]["archive_note"]


def test_a_hanging_timemap_ends_at_its_deadline_and_is_then_left_alone(memento):
    memento.hang = True
    service = MementoService(m_settings(memento, request_timeout=0.5))
    started = time.monotonic()
    looks = [service.lookup(f"https://gone.example/{n}", dt.date(2020, 1, 1)) for n in range(5)]
    assert time.monotonic() - started < 3  # three timeouts, then the endpoint is skipped
    assert all(look.error and look.closest is None for look in looks)
    assert len(memento.calls) == 3 and "skipped for the rest of this run" in service.finish()[0]


def test_a_timemap_without_end_is_read_only_up_to_its_cap(memento):
    url = "https://gone.example/story"
    first = memento.add_copy(url, "20200101000000")
    memento.endless = True
    service = MementoService(m_settings(memento, max_bytes=200_000, request_timeout=2))
    started = time.monotonic()
    look = service.lookup(url, dt.date(2020, 6, 1))
    assert time.monotonic() - started < 1  # well before the deadline: the cap ended the read
    assert look.error is None and look.closest is not None and look.closest.archive_url == first


def test_a_timemap_redirect_is_not_followed(memento, site):
    memento.redirect_to = site.url("/internal")
    look = MementoService(m_settings(memento)).lookup("https://gone.example/story", None)
    assert look.error and "not followed" in look.error
    assert site.hits("/internal") == 0


def test_timemap_requests_are_paced_as_the_server_sees_them(memento):
    service = MementoService(m_settings(memento, per_minute=600))  # one every 0.1 s
    for n in range(4):
        service.lookup(f"https://gone.example/{n}", None)
    gaps = [b - a for a, b in zip(memento.calls, memento.calls[1:], strict=False)]
    # server-side times jitter on a busy machine: no two close together, and the series is paced
    assert len(gaps) == 3 and min(gaps) >= 0.03 and sum(gaps) >= 0.9 * 3 * 0.1, gaps


def test_a_wayback_style_archive_is_checked_on_its_original_bytes():
    service = MementoService(MementoSettings(timemap="http://127.0.0.1:9/timemap/{url}"))
    at = dt.datetime(2020, 1, 1, tzinfo=dt.UTC)
    pywb = Snapshot("http://a.example/x", "https://arquivo.pt/wayback/20200101000000/http://a.example/x", at, "archive")
    today = Snapshot("http://a.example/x", "https://archive.ph/20200101000000/http://a.example/x", at, "archive")
    assert service.raw_copy_url(pywb) == "https://arquivo.pt/wayback/20200101000000id_/http://a.example/x"
    assert service.raw_copy_url(today) == today.archive_url  # archive.today has no raw mode


def test_the_command_line_names_the_aggregator_and_archive_today():
    settings = ArchiveSettings.from_options(
        no_wayback=True,
        wayback_endpoint="",
        max_age=dt.timedelta(days=30),
        anonymous=False,
        captures_per_minute=6,
        cdx_per_minute=25,
        user_agent="ua",
        memento=("aggregator", "archive.today", "https://arquivo.pt/wayback/timemap/link/{url}"),
    )
    assert [m.timemap for m in settings.memento] == [
        AGGREGATOR,
        "https://archive.ph/timemap/{url}",
        "https://arquivo.pt/wayback/timemap/link/{url}",
    ]
    assert ArchiveSettings(wayback=None).memento == []  # nothing is asked unless the user says so


def test_the_command_line_offers_another_archives_copy_without_the_wayback_machine(
    tmp_path, site, memento, monkeypatch
):
    from click.testing import CliRunner

    from pipeline.cli import main

    p, live, dead = setup(tmp_path, site)
    copy = memento.add_copy(dead, "20200420080000", title="A story that is gone")
    monkeypatch.chdir(tmp_path)
    args = ["archive", str(p), "--no-wayback", "--memento", memento.timemap, "--allow-private", "--timeout", "3"]
    res = CliRunner().invoke(main, args, catch_exceptions=False)
    assert res.exit_code == 0, res.output
    assert f"   2  dead        {copy}" in res.output
    assert len(memento.calls) == 1  # the dead page only
