"""Our Wayback and Crossref clients against the real services' recorded answers.

Each recorded answer must end in an outcome a person can read — snapshots, "no
snapshot", "the Wayback Machine refuses to show this site", "rate limited: paused",
works found or "Crossref: not found" — never an exception, a hang or a silent nothing.
"""

from __future__ import annotations

import datetime as dt

import pytest

from pipeline.archive.wayback import WaybackClient, WaybackError, WaybackSettings

from .recorded import Replay, cassette_dir, cassettes, responses

CDX_CASSETTES = [n for n in cassettes("wayback") if n.startswith("test_search")]


def wayback_client(endpoint: str) -> WaybackClient:
    settings = WaybackSettings(endpoint=endpoint, cdx_per_minute=6000, status_per_minute=6000, request_timeout=2)
    return WaybackClient(settings)


def cdx_outcome(client: WaybackClient) -> str:
    try:
        rows = client.cdx({"url": "example.com"})
    except WaybackError as e:
        return f"error: {e}"
    return f"{len(rows)} snapshots" if rows else "no snapshot"


@pytest.mark.parametrize("name", CDX_CASSETTES or ["(absent)"])
def test_every_recorded_cdx_answer_ends_in_a_clear_outcome(name):
    recorded = [r for r in responses(cassette_dir("wayback") / name) if "/cdx/" in r["uri"]]
    replay = Replay(recorded)
    try:
        client = wayback_client(replay.url)
        for r in recorded:
            outcome = cdx_outcome(client)
            lines = [ln for ln in r["body"].decode().split("\n\n")[0].splitlines() if ln.strip()]
            if r["status"] == 200:
                assert outcome == (f"{len(lines)} snapshots" if lines else "no snapshot"), (name, outcome)
            else:
                assert outcome.startswith("error: ") and "refuses to show this site" in outcome, (name, outcome)
        assert replay.served == len(recorded)
        assert all("output=json" in p for p in replay.paths)  # our client's own request went out
    finally:
        replay.stop()


def test_a_recorded_cdx_answer_gives_the_latest_and_the_closest_snapshot():
    (search,) = responses(cassette_dir("wayback") / "test_search.yaml")
    replay = Replay([search] * 3)
    try:
        look = wayback_client(replay.url).lookup("http://www.nasa.gov/", dt.date(1997, 1, 15))
    finally:
        replay.stop()
    assert look.latest is not None and look.closest is not None
    assert look.latest.archive_url.startswith(replay.url + "/web/199")
    assert look.latest.timestamp.tzinfo is not None and look.latest.http_status in (200, None)


def test_a_blocked_site_is_said_once_in_words():
    (blocked,) = responses(cassette_dir("wayback") / "test_search_raises_for_blocked_urls.yaml")
    replay = Replay([blocked])
    try:
        with pytest.raises(WaybackError, match="refuses to show this site"):
            wayback_client(replay.url).lookup("https://nationalpost.com/health")
    finally:
        replay.stop()


def test_a_429_from_the_cdx_api_pauses_every_wayback_call():
    """No 429 of the CDX API was recorded; its documented shape (a 429 with an HTML body) is
    served here, after a recorded answer, to the same client."""
    (search,) = responses(cassette_dir("wayback") / "test_search.yaml")
    limited = {
        "status": 429,
        "headers": {"content-type": "text/html"},
        "body": b"<h1>Too Many Requests</h1>",
        "uri": "",
    }
    replay = Replay([search, limited])
    try:
        client = wayback_client(replay.url)
        assert cdx_outcome(client).endswith("snapshots")
        assert cdx_outcome(client) == "error: CDX API rate limit (429): paused"
        assert client.cdx_pacer.paused_until > 0 and client.capture_pacer.paused_until > 0
    finally:
        replay.stop()


# ----------------------------------------------------------------------------- Crossref
CROSSREF_CASSETTES = cassettes("crossref")


def crossref_outcome(name: str) -> list[tuple[int, int, str | None]]:
    """(status, works found, problem) for every recorded Crossref answer of one cassette."""
    from pipeline.resolve import crossref_items

    out = []
    for r in responses(cassette_dir("crossref") / name):
        items, problem = crossref_items(r["status"], r["body"].decode("utf-8"))
        out.append((r["status"], len(items), problem))
    return out


@pytest.mark.parametrize("name", CROSSREF_CASSETTES or ["(absent)"])
def test_every_recorded_crossref_answer_gives_works_or_says_why_not(name):
    for status, found, problem in crossref_outcome(name):
        if status == 200:
            assert found > 0 and problem is None, (name, status, problem)
        else:
            assert found == 0 and problem and problem.startswith("Crossref"), (name, status, problem)


def test_crossref_errors_read_as_words():
    assert "Crossref: not found" in {p for _, _, p in crossref_outcome("test_works_bad_id_warn.yaml")}
    ((status, _, problem),) = crossref_outcome("test_works_query_filters_not_allowed_with_dois.yaml")
    assert status == 400 and problem.startswith("Crossref answered HTTP 400: ") and len(problem) > 30


def test_a_recorded_crossref_search_over_loopback_proposes_the_work():
    """Our client's own request, answered with a recorded /works search."""
    import requests

    from pipeline.model import Citation
    from pipeline.resolve import ResolveSettings, crossref_candidates

    (answer,) = responses(cassette_dir("crossref") / "test_works_query.yaml")
    import json

    first = json.loads(answer["body"])["message"]["items"][0]
    replay = Replay([answer])
    try:
        settings = ResolveSettings(wayback=None, crossref_endpoint=replay.url, timeout=2)
        citation = Citation(id="1", title=first["title"][0], publisher="Journal of Ecology")
        with requests.Session() as session:
            found, problem = crossref_candidates(citation, session, settings)
    finally:
        replay.stop()
    assert problem is None and replay.paths[0].startswith("/works?query.bibliographic=")
    assert found and found[0].url.endswith(first["DOI"])


# ----------------------------------------------------------------------------- mementos
MEMENTO_CASSETTES = [n for n in cassettes("wayback") if n.startswith("test_get_memento")]


def memento_outcome(name: str, fetcher) -> tuple[bool, str, str | None]:
    """Whether the archive stage would offer the snapshot a recorded replay answers for,
    why not, and the page title it read."""
    from pipeline.archive.stage import good_snapshot
    from pipeline.model import Snapshot

    recorded = responses(cassette_dir("wayback") / name)
    replay = Replay(recorded)
    try:
        first = recorded[0]["uri"].split("/web/", 1)[1]
        ts, original = first.split("/", 1)
        ts = ts.removesuffix("id_")
        when = dt.datetime.strptime(ts[:14].ljust(14, "0"), "%Y%m%d%H%M%S").replace(tzinfo=dt.UTC)
        snap = Snapshot(original, f"{replay.url}/web/{ts}/{original}", when, "wayback")
        ok, why, page = good_snapshot(snap, fetcher)
    finally:
        replay.stop()
    return ok, why, page.title if page else None


@pytest.mark.parametrize("name", MEMENTO_CASSETTES or ["(absent)"])
def test_every_recorded_memento_is_offered_or_refused_with_a_reason(name, fetcher):
    ok, why, title = memento_outcome(name, fetcher)
    assert ok or why.startswith("snapshot "), (name, why)
    if ok:
        assert title, name
    else:
        assert "not usable" in why, (name, why)


@pytest.mark.parametrize(
    "name,usable",
    [
        ("test_get_memento.yaml", True),
        ("test_get_memento_follows_historical_redirects.yaml", True),
        ("test_get_memento_raises_no_memento_error.yaml", False),
        ("test_get_memento_raises_for_mementos_that_redirect_in_a_loop.yaml", False),
        ("test_get_memento_raises_blocked_error.yaml", False),
        ("test_get_memento_works_on_archived_rate_limit_responses.yaml", False),
        ("test_get_memento_with_path_based_redirects.yaml", False),  # ends at an archived 404
    ],
)
def test_memento_outcomes(name, usable, fetcher):
    ok, why, _ = memento_outcome(name, fetcher)
    assert ok is usable, why
