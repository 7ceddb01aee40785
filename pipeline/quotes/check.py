"""One citation's quotations vs its source today and its archived copy from when it was cited.

The rule every verdict keeps: ``not-found`` only when a text was read and the quote is
not in it. A page we could not read — blocked, paywalled, in another language, a
scanned PDF, dead with no copy — makes a quote ``unverifiable`` with the reason.
"""

from __future__ import annotations

from functools import lru_cache

from ..metadata import detect_language
from .find import QuoteMatch, quotes_in
from .pagetext import PageText
from .verdicts import QuoteCheck, QuoteVerdict, Unreadable, Where

# the live page says nothing because it was not read at all: the archived copy's reason is the better one
_NOT_READ = {Unreadable.DEAD_NO_COPY, Unreadable.NOT_REACHED, Unreadable.NOT_FETCHED}


def _unread_reason(live: PageText, then: PageText | None) -> Unreadable:
    if then is None or then.reason is None or live.reason not in _NOT_READ:
        return live.reason or Unreadable.NO_TEXT
    return then.reason


def _why_absent(quote: str, live: PageText, then: PageText | None, read: list[PageText]) -> Unreadable | None:
    """Why a quote missing from every text we read may still be in the source (None: it is not)."""
    if live.paywalled and not (then and then.readable):
        return Unreadable.PAYWALLED  # we read what stands before the wall
    quoted_in = _language(quote)
    # a text whose language is known (the copy's is kept with it) first: when it is the
    # quote's, the other text's need not be guessed
    known_first = sorted(read, key=lambda t: t.language is None)
    if quoted_in and all(t.in_language() not in (None, quoted_in) for t in known_first):
        return Unreadable.OTHER_LANGUAGE
    return None


@lru_cache(maxsize=256)
def _language(quote: str) -> str | None:
    """The quote's language, guessed once for all the texts and citations it is looked for in."""
    return detect_language(quote)


def check_quote(quote: str, live: PageText, then: PageText | None = None) -> QuoteCheck:
    """The verdict on one quotation: found today, found only in the copy from then, close, absent
    or unverifiable."""
    copies = [(Where.LIVE, live)] + ([(Where.ARCHIVE, then)] if then is not None else [])
    # a short text (a menu, a teaser) can show a quote is there, never that it is not
    searched = [(where, text) for where, text in copies if text.text]
    closest: tuple[Where, QuoteMatch, PageText] | None = None
    best = 0.0
    for where, text in searched:
        match = text.find(quote)
        archived = where is Where.ARCHIVE
        if match.verdict is QuoteVerdict.FOUND:
            return QuoteCheck(
                quote,
                QuoteVerdict.FOUND,
                where,
                match.score,
                match.excerpt,
                archive_url=text.url if archived else None,
                gone_from_live=archived and live.readable and not live.paywalled,
            )
        if match.verdict is QuoteVerdict.CLOSE and (closest is None or match.score > closest[1].score):
            closest = (where, match, text)
        best = max(best, match.score)
    if closest is not None:
        where, match, text = closest
        archive_url = text.url if where is Where.ARCHIVE else None
        return QuoteCheck(quote, QuoteVerdict.CLOSE, where, match.score, match.excerpt, archive_url)
    read = [text for _, text in copies if text.readable]
    if not read:
        return QuoteCheck(quote, QuoteVerdict.UNVERIFIABLE, reason=_unread_reason(live, then))
    reason = _why_absent(quote, live, then, read)
    if reason is not None:
        return QuoteCheck(quote, QuoteVerdict.UNVERIFIABLE, reason=reason)
    return QuoteCheck(quote, QuoteVerdict.NOT_FOUND, score=best)


def check_quotes(citing_text: str | None, live: PageText, then: PageText | None = None) -> list[QuoteCheck]:
    """Every quotation of the citing text, checked (an empty list when it quotes nothing)."""
    return [check_quote(quote, live, then) for quote in quotes_in(citing_text)]


def deviated(checks: list[QuoteCheck]) -> bool:
    """The page no longer says what was cited: a quote its copy from then holds is gone today.

    The only evidence that sets ``url_status: deviated`` (DESIGN.md §3)."""
    return any(c.gone_from_live for c in checks)
