"""Large pages are read in a child process: the verdict must be the one the thread gives,
and a child that dies or is interrupted must not cost a check."""

from __future__ import annotations

import os
import signal
import time

import pytest

from pipeline.check import check_urls
from pipeline.model import Fetch, Status
from pipeline.pagereader import LARGE_PAGE, PageReaders, read_page

from .conftest import check_settings
from .servers import html, send

FILLER = "<p>" + "Officials said on Tuesday that the talks would continue next week. " * 1200 + "</p>"
assert len(FILLER) > LARGE_PAGE


def page(title: str, head: str = "", body: str = "") -> bytes:
    return f"<html lang=en><head><title>{title}</title>{head}</head><body>{body}{FILLER}</body></html>".encode()


ARTICLE_HEAD = (
    '<meta property="og:title" content="Council approves the budget">'
    '<meta property="og:site_name" content="Example News">'
    '<script type="application/ld+json">{"@type":"NewsArticle","datePublished":"2021-12-23",'
    '"isAccessibleForFree":false}</script>'
)
CASES = {
    "article": (200, page("Council approves the budget | Example News", ARTICLE_HEAD)),
    "not-found": (200, page("Page not found | Example News")),
    "challenge": (403, page("Just a moment...", "<script src='/cdn-cgi/challenge-platform/x.js'></script>")),
    "gone": (404, page("Gone")),
}


def fetch_of(name: str) -> Fetch:
    status, body = CASES[name]
    return Fetch(
        url=f"https://example.com/news/{name}",
        final_url=f"https://example.com/news/{name}",
        http_status=status,
        headers={"content-type": "text/html; charset=utf-8"},
        body=body,
    )


def summary(reading):
    page = reading.page
    return (
        reading.check.status,
        reading.check.reason,
        reading.check.paywalled,
        page and (page.title, page.published, page.site_name, page.language),
    )


@pytest.fixture
def readers():
    r = PageReaders(1)
    yield r
    r.close()


def test_child_reads_large_pages_as_the_thread_does(readers):
    for name in CASES:
        in_child = readers.read(fetch_of(name), probe_allowed=False)
        assert in_child is not None, name
        assert summary(in_child) == summary(read_page(fetch_of(name))), name
    article = readers.read(fetch_of("article"), probe_allowed=False)
    assert article.check.status == Status.LIVE and article.check.paywalled
    assert article.page.title == "Council approves the budget" and str(article.page.published) == "2021-12-23"


def test_a_dead_child_costs_no_check(readers):
    readers.read(fetch_of("article"), probe_allowed=False)
    for proc in list(readers._pool._processes.values()):
        proc.kill()
        proc.join(5)
    # the broken pool answers "read it yourself" once, then a fresh child takes over
    assert readers.read(fetch_of("article"), probe_allowed=False) is None
    again = readers.read(fetch_of("article"), probe_allowed=False)
    assert again is not None and again.check.status == Status.LIVE


def test_ctrl_c_does_not_kill_the_child(readers):
    readers.read(fetch_of("article"), probe_allowed=False)
    for pid in list(readers._pool._processes):
        os.kill(pid, signal.SIGINT)
    time.sleep(0.2)
    assert readers.read(fetch_of("gone"), probe_allowed=False).check.status == Status.DEAD


def test_no_child_processes_means_reading_in_the_thread():
    assert PageReaders(0).read(fetch_of("article"), probe_allowed=False) is None


@pytest.mark.parametrize("processes", [0, 1])
def test_check_urls_gives_the_same_answers_with_and_without_a_child(site, processes):
    site.routes["/article"] = lambda req: send(req, 200, CASES["article"][1].decode())
    site.routes["/not-found"] = lambda req: send(req, 200, CASES["not-found"][1].decode())
    # a large page with almost no text: ambiguous, so the sibling probe runs (in the thread)
    spa = "<html><head><title>App</title><script>" + "var x=1;" * 10000 + "</script></head><body></body></html>"
    site.routes["/app/story-1"] = lambda req: send(req, 200, spa)
    site.fallback = lambda req: send(req, 200, spa)  # every made-up sibling gets the same shell
    site.routes["/small"] = html("A small page", body="<p>" + "text " * 100 + "</p>")
    urls = [site.url(p) for p in ("/article", "/not-found", "/app/story-1", "/small")]
    results = check_urls(urls, check_settings(page_processes=processes))
    got = {u.rsplit("/", 1)[-1]: r.check.status for u, r in results.items()}
    assert got == {
        "article": Status.LIVE,
        "not-found": Status.SOFT_404,
        "story-1": Status.SOFT_404,
        "small": Status.LIVE,
    }
    assert results[site.url("/article")].page.title == "Council approves the budget"
    assert "made-up URL" in results[site.url("/app/story-1")].check.reason


def _failing_init():
    raise RuntimeError("this child cannot start")


def test_children_that_cannot_start_are_not_retried_forever():
    """If no child ever answers (here: every child fails to start), the pool is given up
    for the rest of the process instead of being recreated for every large page."""
    import multiprocessing
    from concurrent.futures import ProcessPoolExecutor

    class NoStart(PageReaders):
        starts = 0

        def start(self):
            with self._lock:
                if self._pool is None and not self._failed:
                    NoStart.starts += 1
                    ctx = multiprocessing.get_context("forkserver")
                    self._pool = ProcessPoolExecutor(1, mp_context=ctx, initializer=_failing_init)
                return self._pool

    readers = NoStart(1)
    try:
        assert [readers.read(fetch_of("article"), probe_allowed=False) for _ in range(3)] == [None] * 3
        assert NoStart.starts == 1
    finally:
        readers.close()


def test_no_children_where_the_main_module_cannot_be_imported_again(tmp_path):
    """A script read from stdin: a child would die importing ``<stdin>``, so the page is
    read in the parent. ``python -c`` has nothing to import: its children read pages."""
    import subprocess
    import sys

    code = (
        "from pipeline.pagereader import default_processes, PageReaders\n"
        "n = default_processes(); r = PageReaders(n)\n"
        "print(n, r.call(len, ((1, 2),), 20) == 2); r.close()\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "CITEWATCH_PAGE_PROCESSES"}
    run = dict(capture_output=True, text=True, env=env, check=True, timeout=60)
    from_stdin = subprocess.run([sys.executable, "-"], input=code, **run)
    assert from_stdin.stdout.split() == ["0", "False"]  # no child, and no child's traceback
    assert "Traceback" not in from_stdin.stderr
    from_c = subprocess.run([sys.executable, "-c", code], **run)
    assert from_c.stdout.split()[1] == "True", from_c.stderr
    env["CITEWATCH_PAGE_PROCESSES"] = "2"
    out = subprocess.run([sys.executable, "-"], input=code, **run)
    assert out.stdout.split()[0] == "2"


@pytest.mark.skipif(not hasattr(os, "nice"), reason="no process priorities here")
def test_the_child_runs_at_a_lower_priority_than_the_checker():
    """Under CPU pressure the parent's network threads must not wait for a core behind
    the child's page reading."""
    from pipeline.pagereader import CHILD_NICENESS

    assert CHILD_NICENESS > 0
    readers = PageReaders(1)
    try:
        pool = readers.start()
        assert pool is not None
        assert pool.submit(os.nice, 0).result(timeout=60) == min(19, os.nice(0) + CHILD_NICENESS)
    finally:
        readers.close()


def test_a_single_core_machine_still_reads_pages_in_a_child(monkeypatch):
    """The child is what puts a deadline on a page's analysis: a one-core runner keeps it."""
    from pipeline.pagereader import default_processes

    monkeypatch.delenv("CITEWATCH_PAGE_PROCESSES", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 1)
    assert default_processes() == 1
    monkeypatch.setattr(os, "cpu_count", lambda: 16)
    assert default_processes() == 4
