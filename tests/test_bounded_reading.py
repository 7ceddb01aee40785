"""A page written to hurt the reader — a PDF whose few KB unpack into millions of drawing
operators, HTML with thousands of unclosed tags — costs its URL at most the deadline, and
ends as an ``error`` with the reason, never a hang or the machine's memory."""

from __future__ import annotations

import os
import time
import zlib

import pytest

from pipeline.check import check_urls
from pipeline.model import Fetch, Status
from pipeline.pagereader import PageReaders, _TooLong, bounded_page_meta, needs_child

from .conftest import check_settings
from .pdfs import _assemble
from .servers import send


def operator_bomb_pdf(repeats: int = 100_000) -> bytes:
    """~12 KB: one page whose Flate content stream inflates to 100,000 text objects
    (about 9 s of pypdf's text extraction, unbounded)."""
    content = zlib.compress(b"BT /F1 1 Tf (a) Tj ET q 1 0 0 1 0 0 cm Q " * repeats, 9)
    return _assemble(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents 4 0 R"
            b" /Resources << /Font << /F1 5 0 R >> >> >>",
            b"<< /Length %d /Filter /FlateDecode >>\nstream\n" % len(content) + content + b"\nendstream",
            b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        ],
        has_info=False,
    )


def html_bomb() -> bytes:
    return (
        "<html><head><title>Bomb</title></head><body>" + "<p>word " * 16_000 + "<div>" * 10_000 + "</body></html>"
    ).encode()


def test_a_small_pdf_is_read_in_the_bounded_child():
    pdf = operator_bomb_pdf()
    assert len(pdf) < 16_000
    assert needs_child(Fetch(url="https://x.test/a.pdf", http_status=200, body=pdf))


def test_a_pdf_bomb_is_an_error_within_the_deadline(site):
    site.routes["/report.pdf"] = lambda req: send(req, 200, operator_bomb_pdf(), content_type="application/pdf")
    site.routes["/bomb.html"] = lambda req: send(req, 200, html_bomb())
    started = time.monotonic()
    results = check_urls(
        [site.url("/report.pdf"), site.url("/bomb.html")], check_settings(page_processes=1, timeout=1.0)
    )
    elapsed = time.monotonic() - started
    pdf = results[site.url("/report.pdf")]
    assert pdf.check.status == Status.ERROR and "took longer than the 1s deadline" in pdf.check.reason
    assert pdf.page is None  # nothing is verified against a page that was not read
    html = results[site.url("/bomb.html")]
    assert html.check.status in (Status.LIVE, Status.ERROR), html.check.reason
    assert elapsed < 6.0  # unbounded: ~9 s for the PDF alone, on an idle machine


@pytest.mark.skipif(not hasattr(os, "fork"), reason="RLIMIT_AS is a POSIX limit")
def test_the_child_reads_under_a_memory_cap(monkeypatch):
    import resource

    monkeypatch.setenv("CITEWATCH_PAGE_MEMORY_MB", "900")
    readers = PageReaders(1)
    try:
        limit = readers.start().submit(resource.getrlimit, resource.RLIMIT_AS).result(timeout=60)
    finally:
        readers.close()
    assert limit == (900 * 1024 * 1024, 900 * 1024 * 1024)


@pytest.mark.parametrize("seconds", [0.5])
def test_a_child_stuck_past_its_timer_is_killed(seconds, monkeypatch):
    readers = PageReaders(1)
    try:
        fetched = Fetch(url="https://x.test/a.pdf", final_url="https://x.test/a.pdf", http_status=200, body=b"%PDF-")
        assert readers.read(fetched, probe_allowed=False, seconds=5) is not None
        pool = readers.start()
        future = pool.submit(time.sleep, 30)  # stands in for C code the timer cannot interrupt
        started = time.monotonic()
        with pytest.raises(_TooLong):
            readers._wait(pool, future, seconds)
        assert time.monotonic() - started < seconds + 3.5
        assert readers.read(fetched, probe_allowed=False, seconds=5) is not None  # a fresh child takes over
    finally:
        readers.close()


def test_metadata_read_outside_a_check_is_bounded_too():
    """resolve scores candidates (and the archive stage checks snapshots) with the same bounds."""
    fetched = Fetch(
        url="https://x.test/r.pdf",
        final_url="https://x.test/r.pdf",
        http_status=200,
        headers={"content-type": "application/pdf"},
        body=operator_bomb_pdf(),
    )
    started = time.monotonic()
    assert bounded_page_meta(fetched, 1.0) is None
    assert time.monotonic() - started < 5.0


def test_a_page_waiting_behind_a_long_batch_in_the_child_is_not_killed_for_the_wait(monkeypatch):
    """The quotes stage sends the child batches of 32 pages (seconds of work, bounded at three
    deadlines); a page read for the check or a large page's text, sent meanwhile, waits in the
    pool's call queue, where the pool already counts it as running. Its deadline must start
    when the child starts it: started at once, it ran out while the batch was being read, the
    child (and the batch) was killed, and a page read in milliseconds was called too slow."""
    import threading

    from pipeline import pagereader

    monkeypatch.setattr(pagereader, "KILL_GRACE", 0.5)
    readers = PageReaders(1)
    try:
        assert readers.call(os.getpid, (), 30.0) != os.getpid()  # the child is up
        batch: list = []
        ahead = threading.Thread(target=lambda: batch.append(readers.call(time.sleep, (3.5,), 30.0)))
        ahead.start()  # stands for a batch of pages that takes 3.5 s, well within its bound
        time.sleep(0.3)
        fetched = Fetch(url="https://x.test/a", http_status=200, headers={"content-type": "text/html"}, body=_page())
        reading = readers.read(fetched, probe_allowed=False, seconds=2.0)
        ahead.join(30)
        assert reading is not None and reading.check.status is Status.LIVE, reading and reading.check.reason
        assert batch == [None]  # the batch was answered, not killed with the page behind it
    finally:
        readers.close()


def _page() -> bytes:
    return ("<html><head><title>Budget</title></head><body><article>" + "<p>The council approved it.</p>" * 40).encode()


def test_a_first_call_killed_as_stuck_does_not_give_up_the_child_for_the_run(monkeypatch):
    """The first work a run sends the child is now usually a batch of the quotes stage. Killed
    as stuck (past three deadlines: slow pages, a busy machine), it left ``_answered`` unset,
    which reads as "children cannot start here": every later PDF and large page of the run
    was read in its own thread, with no deadline and no memory cap."""
    from pipeline import pagereader

    monkeypatch.setattr(pagereader, "KILL_GRACE", 0.2)
    readers = PageReaders(1)
    try:
        with pytest.raises(_TooLong):
            readers.call(time.sleep, (30,), 0.3)  # stands for a batch past its bound
        fetched = Fetch(url="https://x.test/a.pdf", final_url="https://x.test/a.pdf", http_status=200, body=b"%PDF-")
        assert readers.read(fetched, probe_allowed=False, seconds=5) is not None  # a fresh child reads it
    finally:
        readers.close()
