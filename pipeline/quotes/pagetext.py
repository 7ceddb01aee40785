"""A fetched source → its main text, or the reason it cannot be read.

Quotes are looked for in the article text only: a headline in the navigation, a
reader's comment or a "most read" box that repeats the quote does not make the source
say it. trafilatura extracts it with ``favor_recall``, measured on the 211 real news
pages with an <article> in ../shared/realpages (bench/eval_maintext.py):

| setting          | article paragraphs kept | navigation/comment links leaked | ms/page |
|------------------|------------------------:|--------------------------------:|--------:|
| default          | 86.6 % | 0.7 % | 80 |
| favor_precision  | 85.0 % | 0.2 % | 70 |
| favor_recall     | 86.7 % | 0.6 % | 49 |
| precision + fast | 83.4 % | 0.2 % | 40 (4 pages came out empty) |
| recall + fast    | 87.5 % | 0.6 % | 13.4 against recall's 15.9 (p95 27.9 / 32.2), quiet machine |

(times on the shared 2-core machine, busy with other work, but for the last row.) A quote
missed because its paragraph was dropped would be a false "not-found", which costs a
fact-checker more than a rare navigation link: recall it is. ``fast`` skips trafilatura's
second opinion (readability, jusText), which on these pages kept no more of the article,
and which was 70 % of the extraction time on short pages (every page under 2,500
characters of text gets it): it is the setting used.

A quote that is nowhere on the page — navigation and comments included — is not in its
article either: then the page's whole text (12 ms/page over all 348 pages) is searched
instead and the article is not extracted (38 ms/page).

The article's extraction runs in a helper thread the caller stops waiting for at its
deadline: the work itself is bounded by the size caps below, so a thread left behind ends
on its own. The whole-page pass (a parse and a walk) runs in the caller's thread.
"""

from __future__ import annotations

import copy
import functools
import io
import logging
import queue
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, TypeVar

from ..decode import decode_page
from ..metadata import detect_language
from ..model import Fetch, LinkCheck, PageMeta, Status
from ..pagereader import in_child, needs_child, within_timer
from .find import MAX_TEXT as SEARCHED
from .find import QuoteMatch, find_in, words_of
from .verdicts import QuoteVerdict, Unreadable

# how an article's text is read; a copy's text kept in archive/ by another reading is read
# again rather than compared with today's (two readings of one page differ a little)
EXTRACTOR = "trafilatura favor_recall fast"
MAX_HTML = 2_000_000  # characters of HTML handed to the extractor (news pages: 100-500 KB)
MAX_TEXT = 400_000  # characters of main text kept
MAX_PDF_PAGES = 60
MIN_WORDS = 15  # less is a menu or a placeholder, not an article: searched, but no proof of absence
# Chinese, Japanese and Korean write no spaces between words: their characters are counted
# instead, about two to a word
_CJK = re.compile(r"[\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uac00-\ud7af]")
# seconds to read one page's text. The largest real page of the developers' set (1.5 MB)
# takes 0.3-0.5 s; 2 MB of 40,000 paragraphs or 80,000 table cells, 8-13 s on a loaded
# 2-core machine (the MAX_HTML cap bounds what a thread left behind at the deadline spends)
DEADLINE = 5.0

_NOT_REACHED = {Status.TIMEOUT: Unreadable.NOT_REACHED, Status.UNREACHABLE: Unreadable.NOT_REACHED}
_GONE = {Status.DEAD, Status.SOFT_404}
T = TypeVar("T")


@dataclass
class PageText:
    """The main text of one copy of a source (live or archived), or why there is none."""

    text: str | None = None  # may be set with a reason: too little text to prove a quote absent
    reason: Unreadable | None = None
    language: str | None = None  # ISO 639-1, from the page's markup, or its text once asked (in_language)
    url: str | None = None  # where it was read: the live address or the archived copy's
    paywalled: bool = False  # the page answered, but its text may stop at a wall
    whole_page: bool = False  # the text is the whole page's, navigation and comments included
    # where each quote stands in ``text``, once looked for: the whole-page pass has looked for
    # every quote of the page already, and a copy from then is searched for each citation of it
    _found: dict[str, QuoteMatch] = field(default_factory=dict, init=False, repr=False, compare=False)
    _words: Any = field(default=None, init=False, repr=False, compare=False)  # text as find.words_of made it

    @property
    def readable(self) -> bool:
        return bool(self.text) and self.reason is None

    def find(self, quote: str) -> QuoteMatch:
        """Where ``quote`` stands in this text (``find.find_quote``), worked out once per quote."""
        match = self._found.get(quote)
        if match is None:
            if self._words is None:
                self._words = words_of(self.text or "")
            match = self._found[quote] = find_in(quote, self._words)
        return match

    def searched(self) -> None:
        """Every quote asked of this text has been looked for: its words and matches are let
        go (a copy from then stays in memory for the rest of the run; its words are several
        times its size)."""
        self._words = None
        self._found = {}

    def __getstate__(self) -> dict[str, Any]:
        """To or from a page-reading child: the text's words are made again where they are
        searched (they are several times the text's size)."""
        return {**self.__dict__, "_words": None}

    def in_language(self) -> str | None:
        """The page's language: declared, else guessed from its text — only when asked, as a
        quote absent from every text read is the one verdict that needs it."""
        if self.language is None and self.text:
            self.language = detect_language(self.text[:3000])
        return self.language


@functools.cache
def _extractor() -> object:
    """trafilatura's options for ``EXTRACTOR``, built once: building them per page (ten
    configparser look-ups, a date format) and quietening its logger per page (which clears
    every logger's cache) was over a third of a 1 KB page's extraction. trafilatura reads its
    options and never changes them (its own recall retry works on a copy)."""
    from trafilatura.settings import Extractor

    logging.getLogger("trafilatura").setLevel(logging.CRITICAL)
    return Extractor(comments=False, tables=True, recall=True, fast=True)


def html_main_text(html: str, url: str | None = None) -> str:
    """The article text of an HTML page, without navigation, comments or boilerplate."""
    import trafilatura

    options = copy.copy(_extractor())  # the page's own address, as trafilatura.extract(url=...) sets it
    options.url = url
    options.source = url and url.encode("utf-8", "replace").decode("utf-8")
    text = trafilatura.extract(html[:MAX_HTML], options=options)
    return (text or "")[:MAX_TEXT]


def pdf_main_text(body: bytes) -> str:
    """The text layer of a PDF (first pages only); empty for a scan without one."""
    from pypdf import PdfReader

    logging.getLogger("pypdf").setLevel(logging.CRITICAL)
    try:
        reader = PdfReader(io.BytesIO(body))
        parts: list[str] = []
        size = 0
        for page in reader.pages[:MAX_PDF_PAGES]:
            part = page.extract_text() or ""
            parts.append(part)
            size += len(part)
            if size >= MAX_TEXT:
                break
    except Exception:  # a damaged PDF has no readable text; that is a fact about the source
        return ""
    return "\n".join(parts)[:MAX_TEXT]


class _Helpers:
    """Daemon threads that run page reading for callers who wait at most a deadline.

    A thread is started only when none is idle and reused after, so a run reads thousands
    of pages on a few dozen threads (starting one per page cost more than reading a small
    page). A thread still busy when its caller stopped waiting finishes on its own: the
    work is bounded by the size caps above."""

    def __init__(self) -> None:
        self._jobs: queue.SimpleQueue[Callable[[], None]] = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, job: Callable[[], None]) -> None:
        with self._lock:
            start = self._idle == 0
            if not start:
                self._idle -= 1
        if start:
            threading.Thread(target=self._serve, daemon=True, name="citewatch-pagetext").start()
        self._jobs.put(job)

    def _serve(self) -> None:
        while True:
            self._jobs.get()()
            with self._lock:
                self._idle += 1


_HELPERS = _Helpers()


def within(seconds: float, work: Callable[[], T]) -> T | None:
    """``work()``'s result, or None when it has not finished within ``seconds``. An
    exception inside ``work`` is raised here, in the caller's thread.

    In a page-reading child's main thread, a timer interrupts the work itself (where a
    helper thread would go on with it, and cost a handoff each way); elsewhere the work
    runs on a helper thread the caller stops waiting for."""
    if in_child() and threading.current_thread() is threading.main_thread():
        return within_timer(seconds, work)
    box: list[T] = []
    failed: list[Exception] = []
    done = threading.Event()

    def run() -> None:
        try:
            box.append(work())
        except Exception as e:  # handed to the caller below
            failed.append(e)
        finally:
            done.set()

    _HELPERS.submit(run)
    done.wait(seconds)
    if failed:
        raise failed[0]
    return box[0] if box else None


def _is_pdf(fetch: Fetch) -> bool:
    return fetch.content_type == "application/pdf" or fetch.body[:5] == b"%PDF-"


def whole_page_text(html: str) -> str:
    """Every visible word of a page, navigation and comments included: a quote absent from
    all of it is absent from its article too. Words of separate elements stay apart."""
    import lxml.html
    from lxml import etree

    try:
        root = lxml.html.document_fromstring(html[:MAX_HTML])
    except (etree.ParserError, ValueError):
        return ""
    etree.strip_elements(root, "script", "style", "noscript", "template", etree.Comment, with_tail=False)
    return " ".join(root.itertext())


def _absent(text: str, quotes: list[str]) -> dict[str, QuoteMatch] | None:
    """Each quote's (failed) search in ``text``, when none of them is there; None when one is."""
    page = words_of(text)
    found: dict[str, QuoteMatch] = {}
    for quote in quotes:
        found[quote] = match = find_in(quote, page)
        if match.verdict is not QuoteVerdict.NOT_FOUND:
            return None
    return found


def _html_text(
    html: str, url: str, quotes: list[str] | None, extract: Callable[[Callable[[], str]], str | None]
) -> tuple[str, dict[str, QuoteMatch] | None] | None:
    """The article text; or, when none of ``quotes`` is anywhere on the page, the whole
    page's text, which is cheaper to read and gives the same verdicts, with each quote's
    search in it (None: the text is the article). ``extract`` runs the article's extraction
    (None: it overran). The whole-page pass runs here: on a page read in a thread (under
    64 KB) it is a parse and a walk of a millisecond at most, like the check's own
    reading there, while a handoff to a helper thread and back costs more on a busy run."""
    if quotes is not None:
        whole = whole_page_text(html)
        if len(whole) <= SEARCHED:
            absent = _absent(whole, quotes)
            if absent is not None:
                return whole, absent
    text = extract(lambda: html_main_text(html, url))
    return None if text is None else (text, None)


def _too_short(text: str) -> bool:
    """Too little text to prove a quote absent (a menu, a placeholder)."""
    return len(text.split()) < MIN_WORDS and len(_CJK.findall(text[:10_000])) < 2 * MIN_WORDS


def read_text(
    fetch: Fetch, language: str | None = None, deadline: float = DEADLINE, quotes: list[str] | None = None
) -> PageText:
    """The main text of a page that answered 2xx. ``language``: the page's declared one, if
    known. ``quotes``: the only quotes this text is read for (None: read the article, as
    drift needs).

    A large page or a PDF is read in the check's child process (pagereader), under the
    deadline and the memory cap its reading has there, and on the second core; a small
    one, or any when there is no child, on a helper thread the caller stops waiting for at
    the deadline."""
    if needs_child(fetch) and not in_child():
        read = _read_in_child(fetch, language, deadline, quotes)
        if read is not None:
            return read
    return _read(fetch, language, quotes, lambda work: within(deadline, work))


def _read_in_child(fetch: Fetch, language: str | None, deadline: float, quotes: list[str] | None) -> PageText | None:
    """The reading done by a child process; None when there is none to ask."""
    from ..pagereader import NO_CHILD, _TooLong, shared_readers

    try:
        read = shared_readers().call(_read_bounded, (fetch, language, deadline, quotes), deadline)
    except _TooLong:  # the child had to be killed
        return PageText(reason=Unreadable.TOO_SLOW, url=fetch.final_url or fetch.url)
    return None if read is NO_CHILD else read


def _read_bounded(fetch: Fetch, language: str | None, deadline: float, quotes: list[str] | None) -> PageText:
    """In the child: read the page here, interrupted at the deadline; a page needing more
    memory than the child's cap has no text to read."""
    from ..pagereader import _interrupted_after, _TooLong

    try:
        with _interrupted_after(deadline):
            return _read(fetch, language, quotes, lambda work: work())
    except _TooLong:
        return PageText(reason=Unreadable.TOO_SLOW, url=fetch.final_url or fetch.url)


def _read(
    fetch: Fetch, language: str | None, quotes: list[str] | None, run: Callable[[Callable[[], T]], T | None]
) -> PageText:
    """``read_text``'s work; ``run`` runs the extraction and gives None if it overran."""
    url = fetch.final_url or fetch.url
    pdf = _is_pdf(fetch)
    try:
        if pdf:
            got = run(lambda: (pdf_main_text(fetch.body), None))
        else:
            decoded = decode_page(fetch.body, fetch.headers.get("content-type"))
            html = decoded[0] if decoded else ""
            got = _html_text(html, url, quotes, run) if html else ("", None)
    except Exception:  # an extractor's fault on a strange page (or out of memory): no text, never a crash
        got = ("", None)
    if got is None:
        return PageText(reason=Unreadable.TOO_SLOW, url=url)
    text, searched = got
    if not text.strip():
        return PageText(reason=Unreadable.NO_TEXT_LAYER if pdf else Unreadable.NO_TEXT, url=url)
    read = PageText(text=text, language=language, url=url, whole_page=searched is not None)
    read._found.update(searched or {})
    if _too_short(text):
        read.reason = Unreadable.NO_TEXT_LAYER if pdf else Unreadable.NO_TEXT
    return read


def live_text(
    fetch: Fetch | None,
    check: LinkCheck | None,
    page: PageMeta | None = None,
    deadline: float = DEADLINE,
    quotes: list[str] | None = None,
) -> PageText:
    """Today's copy of a source, as this run's check saw it. ``quotes``: see ``read_text``."""
    if check is None or fetch is None:
        return PageText(reason=Unreadable.NOT_FETCHED)
    url = check.final_url or check.url
    if check.status is Status.BLOCKED:
        return PageText(reason=Unreadable.BLOCKED, url=url)
    if check.status in _GONE:
        return PageText(reason=Unreadable.DEAD_NO_COPY, url=url)
    if check.status not in (Status.LIVE, Status.REDIRECTED):
        return PageText(reason=_NOT_REACHED.get(check.status, Unreadable.NOT_FETCHED), url=url)
    read = read_text(fetch, page.language if page else None, deadline, quotes)
    read.paywalled = check.paywalled
    if check.paywalled and not read.readable:
        read.reason = Unreadable.PAYWALLED
    return read


def copy_text(fetch: Fetch | None, archive_url: str | None, deadline: float = DEADLINE) -> PageText | None:
    """The archived copy's text; None when there is no copy to read."""
    if fetch is None or fetch.http_status is None or not 200 <= fetch.http_status < 300 or not fetch.body:
        return None
    read = read_text(fetch, None, deadline)
    read.url = archive_url or read.url
    return read
