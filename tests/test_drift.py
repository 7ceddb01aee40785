"""Changed since cited: the Wayback copy from the citation time (a loopback stand-in seeded
with an older copy), read once per URL and kept in archive/, compared with today's page."""

from __future__ import annotations

import datetime as dt
import json
import random
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from pipeline.archive.wayback import WaybackClient, WaybackSettings
from pipeline.footnotes.fields import find_access_date
from pipeline.model import PartialDate
from pipeline.pagereader import read_page
from pipeline.quotes import drift as drift_module
from pipeline.quotes.check import check_quotes, deviated
from pipeline.quotes.copies import CitedCopies, citation_time
from pipeline.quotes.drift import compare
from pipeline.quotes.pagetext import PageText, live_text
from pipeline.quotes.verdicts import DriftVerdict, QuoteVerdict, Unreadable, Where

from .servers import send
from .test_quotes import FILLER, article
from .wayback_standin import WaybackStandin

CITED = "Officials said the plan was a total failure and would be scrapped within a year."
TODAY = "Officials said the plan would be reviewed by an independent panel next year."


@pytest.fixture
def wayback():
    w = WaybackStandin()
    yield w
    w.stop()


def client(wayback) -> WaybackClient:
    return WaybackClient(WaybackSettings(endpoint=wayback.endpoint, cdx_per_minute=6000, request_timeout=1.5))


def text(body: str, url: str = "https://example.org/a") -> PageText:
    return PageText(body, None, "en", url)


# ----------------------------------------------------------------------------- citation time
def test_the_access_date_of_a_note_is_read():
    assert find_access_date("BBC, “Title,” 2 May 2021. Accessed May 3, 2024.") == PartialDate(2024, 5, 3)
    assert find_access_date("Retrieved from https://x.org/2020/01/02/a on 2024-05-03") == PartialDate(2024, 5, 3)
    assert find_access_date("BBC, 2021 (last visited 3 June 2023)") == PartialDate(2023, 6, 3)
    assert find_access_date("BBC, 2021-01-01, archived 2022-01-01") is None


def test_the_citation_time_is_the_access_date_else_the_articles_else_the_sources():
    accessed, article_date, source = PartialDate(2024, 5, 3), PartialDate(2023, 7), PartialDate(2021)
    assert citation_time(accessed, article_date, source) == dt.date(2024, 5, 3)
    assert citation_time(None, article_date, source) == dt.date(2023, 7, 1)
    assert citation_time(None, None, source) == dt.date(2021, 1, 1)
    assert citation_time(None, None, None) is None


# ----------------------------------------------------------------------------- drift
def test_the_same_text_is_unchanged():
    drift = compare(text(CITED + "\n" + FILLER, "https://web.archive.org/web/2021/a"), text(CITED + "\n" + FILLER))
    assert drift.verdict is DriftVerdict.UNCHANGED and drift.similarity == 1.0
    assert drift.compared_with == "https://web.archive.org/web/2021/a"


def test_a_corrected_figure_is_changed_with_both_sentences_as_excerpts():
    then = FILLER + "\nThe flood killed 12 people in the valley, officials said.\n" + FILLER.replace("three", "four")
    now = then.replace("12 people", "15 people")
    drift = compare(text(then), text(now))
    assert drift.verdict is DriftVerdict.CHANGED
    assert 0.7 < drift.similarity < 1.0  # 5 of ~60 shingles differ
    assert drift.removed == ["The flood killed 12 people in the valley, officials said."]
    assert drift.added == ["The flood killed 15 people in the valley, officials said."]


def test_a_rewritten_story_has_a_low_similarity():
    drift = compare(text(CITED + " " + FILLER), text("A different story entirely about sports results and weather."))
    assert drift.verdict is DriftVerdict.CHANGED and drift.similarity < 0.2


def test_against_the_whole_page_removals_count_and_additions_are_not_guessed():
    then = text("The flood killed 12 people in the valley, officials said.\n" + FILLER)
    whole = PageText(
        "Home World Sport " + FILLER + " Most read: markets rally again today", None, "en", whole_page=True
    )
    drift = compare(then, whole)
    assert drift.verdict is DriftVerdict.CHANGED
    assert drift.removed == ["The flood killed 12 people in the valley, officials said."] and drift.added is None
    same = PageText("Home " + then.text + " Most read: markets rally again today", None, "en", whole_page=True)
    assert compare(then, same).verdict is DriftVerdict.UNCHANGED  # the navigation is no change


def test_a_whole_page_that_seems_changed_is_compared_again_with_its_article_and_only_then():
    then = text("The flood killed 12 people in the valley, officials said.\n" + FILLER)
    reads = []

    def article():
        reads.append(1)
        return text("The flood killed 15 people in the valley, officials said.\n" + FILLER)

    same = PageText("Home " + then.text, None, "en", whole_page=True)
    assert compare(then, same, article=article).verdict is DriftVerdict.UNCHANGED and reads == []
    edited = PageText("Home " + article().text, None, "en", whole_page=True)
    reads.clear()
    drift = compare(then, edited, article=article)
    assert reads == [1] and drift.verdict is DriftVerdict.CHANGED
    assert drift.added == ["The flood killed 15 people in the valley, officials said."]


def test_a_new_layout_that_breaks_lines_elsewhere_is_no_change():
    then = text(
        "The flood killed 12 people. Officials said\nthe dam upstream had failed.\nRescue teams arrived at dawn."
    )
    now = text("The flood killed 12 people. Officials said the dam upstream had failed. Rescue teams arrived at dawn.")
    assert compare(then, now).verdict is DriftVerdict.UNCHANGED


def test_drift_is_unknown_without_a_copy_or_when_a_side_was_not_read():
    assert compare(None, text(CITED)).verdict is DriftVerdict.UNKNOWN
    blocked = PageText(reason=Unreadable.BLOCKED)
    drift = compare(text(CITED, "https://web.archive.org/web/2021/a"), blocked)
    assert drift.verdict is DriftVerdict.UNKNOWN and "blocked" in drift.note
    assert compare(PageText(reason=Unreadable.NO_TEXT), text(CITED)).verdict is DriftVerdict.UNKNOWN


def big_text(seed: int, chars: int = 300_000) -> str:
    pick = random.Random(seed).randrange
    words = [f"w{pick(5000)}" for _ in range(chars // 6)]
    return ". ".join(" ".join(words[i : i + 12]) for i in range(0, len(words), 12))


def test_comparing_two_300kb_texts_takes_well_under_a_second():
    then, now = big_text(1), big_text(2)
    started = time.thread_time()  # CPU of this thread: a busy machine's other work is not counted
    drift = compare(text(then), text(now))
    assert time.thread_time() - started < 2.0  # ~0.2 s; a quadratic diff took minutes
    assert drift.verdict is DriftVerdict.CHANGED and len(drift.removed) == 3


def test_a_comparison_that_overruns_its_deadline_is_unknown(monkeypatch):
    monkeypatch.setattr(drift_module, "similarity", lambda a, b: time.sleep(3) or 1.0)
    started = time.monotonic()
    drift = compare(text(CITED), text(TODAY), deadline=0.2)
    assert time.monotonic() - started < 1.0
    assert drift.verdict is DriftVerdict.UNKNOWN and "stopped" in drift.note


# ----------------------------------------------------------------------------- the copy from then
def seed(wayback, url: str) -> None:
    wayback.add_capture(url, "20190301000000", body=article(["Old wording, from before the citation."]))
    wayback.add_capture(url, "20210105120000", body=article([CITED]))
    wayback.add_capture(url, "20230601000000", body=article([TODAY]))


def test_a_quote_removed_since_the_citation_is_found_in_the_copy_from_then(fetcher, site, wayback, tmp_path):
    site.routes["/story"] = lambda req: send(req, 200, article([TODAY]))
    url = site.url("/story")
    seed(wayback, url)
    fetched = fetcher.fetch(url)
    reading = read_page(fetched)
    now = live_text(fetched, reading.check, reading.page)

    copies = CitedCopies(tmp_path / "archive", fetcher, client(wayback))
    copy = copies.get(url, dt.date(2021, 2, 1))  # cited in February 2021: the January copy
    assert copy.timestamp == dt.datetime(2021, 1, 5, 12, tzinfo=dt.UTC)
    assert copy.archive_url == f"{wayback.endpoint}/web/20210105120000/{url}"
    assert any(path.endswith(f"/web/20210105120000id_/{url}") for _, path, _ in wayback.site.log)

    checks = check_quotes("Officials called the plan “a total failure and would be scrapped”.", now, copy.text)
    assert [(c.verdict, c.where, c.archive_url) for c in checks] == [
        (QuoteVerdict.FOUND, Where.ARCHIVE, copy.archive_url)
    ]
    assert deviated(checks)  # → url_status: deviated

    drift = compare(copy.text, now)
    assert drift.verdict is DriftVerdict.CHANGED and drift.compared_with == copy.archive_url
    assert CITED in drift.removed and TODAY in drift.added


def test_the_copy_is_fetched_once_per_run_and_reused_from_archive_on_later_runs(fetcher, wayback, tmp_path):
    url = "http://example.org/story"
    seed(wayback, url)
    copies = CitedCopies(tmp_path / "archive", fetcher, client(wayback))
    first = copies.get(url, dt.date(2021, 2, 1))
    again = copies.get(url, dt.date(2021, 2, 1))  # a second footnote citing it
    assert first is again and len(wayback.calls_of("replay")) == 1
    stored = list((tmp_path / "archive" / "cited-copies").rglob("*.json"))
    assert len(stored) == 1 and CITED in json.loads(stored[0].read_text())["text"]

    cdx, replays = len(wayback.calls_of("cdx")), len(wayback.calls_of("replay"))
    next_run = CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get(url, dt.date(2021, 2, 1))
    assert next_run.reused and CITED in next_run.text.text
    assert (len(wayback.calls_of("cdx")), len(wayback.calls_of("replay"))) == (cdx, replays)

    # a copy whose text an older citewatch read with another extractor is read again, once
    kept = json.loads(stored[0].read_text())
    stored[0].write_text(json.dumps({**kept, "extractor": "trafilatura favor_recall"}))
    reread = CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get(url, dt.date(2021, 2, 1))
    assert not reread.reused and CITED in reread.text.text
    assert len(wayback.calls_of("replay")) == replays + 1
    assert CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get(url, dt.date(2021, 2, 1)).reused

    # the note's date was corrected: the copy from the new date is wanted
    moved = CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get(url, dt.date(2023, 7, 1))
    assert not moved.reused and TODAY in moved.text.text


def test_footnotes_citing_one_url_at_once_share_one_lookup_and_replay(fetcher, wayback, tmp_path):
    url = "http://example.org/story"
    seed(wayback, url)
    copies = CitedCopies(tmp_path / "archive", fetcher, client(wayback))
    with ThreadPoolExecutor(4) as pool:
        got = list(pool.map(lambda _: copies.get(url, dt.date(2021, 2, 1)), range(4)))
    assert all(g is got[0] for g in got) and CITED in got[0].text.text
    assert len(wayback.calls_of("replay")) == 1


def test_a_snapshot_the_archive_stage_found_is_read_without_a_second_lookup(fetcher, wayback, tmp_path):
    url = "http://example.org/story"
    seed(wayback, url)
    found = client(wayback).lookup(url, dt.date(2021, 2, 1)).closest  # what the archive stage did
    cdx = len(wayback.calls_of("cdx"))
    copy = CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get(url, dt.date(2021, 2, 1), found)
    assert CITED in copy.text.text and len(wayback.calls_of("cdx")) == cdx


def test_replays_are_paced_with_the_other_wayback_calls(fetcher, wayback, tmp_path):
    urls = [f"http://example.org/{i}" for i in range(3)]
    for url in urls:
        seed(wayback, url)
    paced = WaybackClient(WaybackSettings(endpoint=wayback.endpoint, cdx_per_minute=400, request_timeout=1.5))
    found = {url: paced.lookup(url, dt.date(2021, 2, 1)).closest for url in urls}
    copies = CitedCopies(tmp_path / "archive", fetcher, paced)
    for url in urls:
        copies.get(url, dt.date(2021, 2, 1), found[url])
    replays = wayback.calls_of("replay")
    assert len(replays) == 3
    # 400/min: sent 0.15 s apart, as the pacer that sent them recorded. What the server sees
    # jitters on a busy machine (a first request held up 0.14 s on its way arrived 6 ms before
    # the second), so the server's side is held only to not having had them all at once
    sent = copies.replay_pacer.calls[-3:]
    assert len(sent) == 3 and all(b - a >= 0.15 - 1e-3 for a, b in zip(sent, sent[1:], strict=False)), sent
    assert replays[-1] - replays[0] >= 0.05  # unpaced, all three arrive within a few ms


def test_no_copy_from_then_says_so_and_a_dead_page_stays_unverifiable(fetcher, wayback, tmp_path):
    url = "http://example.org/never-archived"
    copy = CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get(url, dt.date(2021, 2, 1))
    assert copy.text is None and "no good copy" in copy.note
    assert compare(copy.text, text(TODAY)).verdict is DriftVerdict.UNKNOWN
    dead = PageText(reason=Unreadable.DEAD_NO_COPY)
    assert check_quotes("“a total failure and would be scrapped”", dead, copy.text)[0].reason is Unreadable.DEAD_NO_COPY


def test_an_unreachable_wayback_machine_leaves_no_copy_and_nothing_stored(fetcher, tmp_path, closed_port):
    settings = WaybackSettings(endpoint=f"http://127.0.0.1:{closed_port}", cdx_per_minute=6000, request_timeout=1.0)
    started = time.monotonic()
    copy = CitedCopies(tmp_path / "archive", fetcher, WaybackClient(settings)).get(
        "http://example.org/a", dt.date(2021, 1, 1)
    )
    assert time.monotonic() - started < 3
    assert copy.text is None and "lookup failed" in copy.note
    assert not (tmp_path / "archive" / "cited-copies").exists()


def test_without_a_date_no_copy_is_looked_up(fetcher, wayback, tmp_path):
    copy = CitedCopies(tmp_path / "archive", fetcher, client(wayback)).get("http://example.org/a", None)
    assert copy.text is None and "no date" in copy.note and not wayback.calls


# ----------------------------------------------------------------------------- JSON
def test_quotes_and_drift_as_json_follow_the_report_schema():
    import jsonschema

    schema = json.loads((Path(__file__).resolve().parent.parent / "docs" / "report.schema.json").read_text())
    then = text(CITED + "\n" + FILLER, "https://web.archive.org/web/20210105120000/https://example.org/a")
    now = text(TODAY + "\n" + FILLER)
    checks = check_quotes(
        "“a total failure and would be scrapped” and “reviewed by an independent panel” and “never said at all, ever”",
        now,
        then,
    ) + check_quotes("“the talks have failed completely”", PageText(reason=Unreadable.BLOCKED))
    assert [c.verdict for c in checks] == [
        QuoteVerdict.FOUND,
        QuoteVerdict.FOUND,
        QuoteVerdict.NOT_FOUND,
        QuoteVerdict.UNVERIFIABLE,
    ]
    result = {
        "citing_text": "…",
        "quotes": [c.to_dict() for c in checks],
        "drift": compare(then, now).to_dict(),
    }
    jsonschema.validate(result, {"$defs": schema["$defs"], **schema["$defs"]["result"], "required": []})
    bad = {**result, "quotes": [{**result["quotes"][0], "verdict": "maybe"}]}
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(bad, {"$defs": schema["$defs"], **schema["$defs"]["result"], "required": []})


@pytest.mark.parametrize(
    "then",
    [
        f"{CITED}\n{FILLER}",
        "Some article text. " * 300,  # a sentence standing in more places than are compared
        "Der Bu\u0308rgermeister sagte es.\n東京都は新しい計画を発表した。市民の意見を聞く。",
    ],
)
def test_an_unchanged_text_settles_at_once_with_the_verdict_the_full_comparison_gives(then):
    for now_is_article in (True, False):
        full = (1.0, ([], drift_module._missing(drift_module._sentences(then), then) if now_is_article else None))
        assert drift_module._contains(then, then)
        assert drift_module._measure(then, then, now_is_article) == full


def test_an_unchanged_page_is_settled_without_a_helper_thread(monkeypatch):
    """The commonest answers cost one linear pass, not a handoff to a helper thread and back."""

    def no_thread(seconds, work):
        raise AssertionError("settled here")

    monkeypatch.setattr(drift_module, "within", no_thread)
    same = compare(text(CITED + "\n" + FILLER), text(CITED + "\n" + FILLER))
    page = PageText(f"Menu Home {CITED} {FILLER} Comments", None, "en", "https://example.org/a", whole_page=True)
    kept = compare(text(CITED + "\n" + FILLER), page)
    assert (same.verdict, same.added, kept.verdict, kept.added) == (
        DriftVerdict.UNCHANGED,
        [],
        DriftVerdict.UNCHANGED,
        None,
    )
    with pytest.raises(AssertionError, match="settled here"):  # anything else is compared under the deadline
        compare(text(CITED), text(TODAY))


def test_ctrl_c_while_copies_are_replayed_cuts_the_replays_and_keeps_no_failed_copy(wayback, tmp_path):
    """A replay the archive answers slowly is cut at Ctrl-C, not waited for until its 20 s
    deadline, and the cut copy is not kept (a kept copy is never fetched again)."""
    import os
    import signal
    import threading
    import time

    from pipeline.fetch import Fetcher, FetchSettings
    from pipeline.quotes.stage import QuoteSettings, source_texts

    slow = "http://example.org/slow"
    seed(wayback, slow)
    wayback.hang_replay = True
    fetcher = Fetcher(FetchSettings(allow_private=True, timeout=20, read_timeout=20, retries=0))
    settings = WaybackSettings(endpoint=wayback.endpoint, cdx_per_minute=6000, request_timeout=1.5)
    texts = source_texts([], QuoteSettings(), tmp_path / "archive", fetcher, settings)

    def ctrl_c_once_on_the_wire():
        deadline = time.monotonic() + 3
        while not wayback.calls_of("replay") and time.monotonic() < deadline:
            time.sleep(0.02)
        os.kill(os.getpid(), signal.SIGINT)  # the terminal's Ctrl-C

    threading.Thread(target=ctrl_c_once_on_the_wire, daemon=True).start()
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        texts._fetch_copies([(slow, dt.date(2021, 2, 1))], {}, 2)
    assert time.monotonic() - started < 8
    assert not list((tmp_path / "archive").rglob("*.json"))  # nothing kept of the cut copy
    fetcher.close()
