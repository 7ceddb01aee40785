"""One source's quote and drift verdicts from its page today and its copies from then: the
stage's per-page work, a pure function of what it is given, so it runs where it costs the
run least.

Where that is, for a small page (under pagereader's LARGE_PAGE): in the check's
page-reading child, in batches. Reading a page and comparing texts is pure CPU; done in
the run's process, it shares one GIL with the check's 48 network threads, and every
request that comes back waits for the reader to let go of it. On the 2,000-URL bench that
contention, not the reading, was most of what quotes and drift added: twice the futex
calls and context switches of a run without them, the check's own work slowed by a third
(bench/README.md, quotes_bench, session 11). In the child, each step of a page (its
article's extraction, a comparison) is interrupted at the deadline by a timer
(``pagetext.within``), under the child's memory cap; a batch of pages goes for the price of
one handoff each way. One page at a time, the handoff cost more than it saved (session 9).

With no child to ask (``CITEWATCH_PAGE_PROCESSES=0``, a platform that cannot start one, a
child that died or was stuck), the same function runs in the stage's reader thread, and
a large page's in the worker that fetched it (stage.py says why).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from ..model import Fetch, LinkCheck
from .check import check_quote
from .copies import CitedCopy
from .drift import compare
from .pagetext import DEADLINE, PageText, live_text, read_text
from .verdicts import Drift, DriftVerdict, QuoteCheck, Unreadable


@dataclass
class QuoteSettings:
    drift: bool = True  # False (--no-drift): no copy from the citation time is fetched or compared
    deadline: float = DEADLINE  # seconds to read one page's text, and to compare two texts


@dataclass
class Asked:
    """What one citation asks of its source: its quotations, and the day it was cited."""

    index: int  # the citation's place among the run's citations (and results)
    quotes: list[str]
    near: dt.date | None  # the citation time; None: no date to look a copy up by
    note: str | None = None  # why there is no citation time


@dataclass
class Verdicts:
    quotes: list[QuoteCheck]
    drift: Drift | None


Then = dict[dt.date | None, CitedCopy | None]  # each citation time's copy of the source


def decide(
    url: str,
    asked: list[Asked],
    fetch: Fetch | None,
    check: LinkCheck | None,
    then: Then,
    settings: QuoteSettings,
) -> dict[int, Verdicts]:
    """The verdicts of every citation of ``url`` (by its index), from the page the check
    fetched (None: not read this run) and the copies from each citation time."""
    quotes = sorted({q for a in asked for q in a.quotes})
    if not quotes and not any(c is not None and c.text is not None and c.text.readable for c in then.values()):
        live = PageText(reason=Unreadable.NOT_FETCHED)  # nothing to look for: not read at all
    else:
        live = live_text(fetch or Fetch(url=url), check, deadline=settings.deadline, quotes=quotes)
    article = None
    if fetch is not None and live.whole_page:  # today's article, read only if the whole page seems changed

        def article() -> PageText:
            return read_text(fetch, live.language, settings.deadline)

    return {a.index: verdicts(a, live, then[a.near], settings, article) for a in asked}


def verdicts(
    a: Asked,
    live: PageText,
    copy: CitedCopy | None,
    settings: QuoteSettings,
    article: Callable[[], PageText] | None = None,
) -> Verdicts:
    """One citation's verdicts, from today's text and its copy from then."""
    then = copy.text if copy is not None else None
    checks = [check_quote(q, live, then) for q in a.quotes]
    if not settings.drift:
        return Verdicts(checks, None)
    if then is None:
        why = a.note or (copy.note if copy is not None else None) or "no archived copy from the citation time"
        return Verdicts(checks, Drift(DriftVerdict.UNKNOWN, note=why))
    return Verdicts(checks, compare(then, live, settings.deadline, article))


@dataclass
class Job:
    """One page's work for the child: its verdicts (``then`` given), or — when its copy
    from then is still to be fetched — only today's article text (``then`` None)."""

    url: str
    asked: list[Asked]
    fetch: Fetch
    check: LinkCheck
    then: Then | None


Outcome = dict[int, Verdicts] | PageText | None  # None: a fault of ours on that page


def do(jobs: list[Job], settings: QuoteSettings) -> list[Outcome]:
    """Each job's outcome, in order. A fault of ours on one page (an extractor's bug on a
    strange page) costs that page's citations a verdict — they are decided as not read
    this run — never the batch's other pages."""
    out: list[Outcome] = []
    for job in jobs:
        try:
            if job.then is None:
                out.append(live_text(job.fetch, job.check, deadline=settings.deadline))
            else:
                out.append(decide(job.url, job.asked, job.fetch, job.check, job.then, settings))
        except Exception:
            out.append(None)
    return out
