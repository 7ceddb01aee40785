"""htmldate as the last resort for a page's day, with its free-text parser kept cheap.

htmldate's last step hands a date-like string to dateparser, which by default tries every
one of its ~200 locales when a string matches none of them: the first such page of a
process paid 1.3-2.3 s of CPU loading the locales (3-10 s wall on a busy 2-core machine),
inside a URL's check. Here dateparser reads the page's own language and English only (a
German page: ``de`` and ``en``): 0.1-0.3 s the first time a language is met, and the
same days on the real pages (bench/README.md, "dateparser's cost"; English alone lost 4).

htmldate has no setting for this: it builds its parser in
``htmldate.extractors.get_external_parser``, which is replaced once by one that answers
with a parser for the calling thread's page language. Were a later htmldate to drop that
function, nothing is replaced and the fallback only costs what it did before.
"""

from __future__ import annotations

import datetime as dt
import threading
from functools import lru_cache

# htmldate 1.11's own dateparser settings (extractors.get_external_parser), kept as they are
_SETTINGS = {
    "NORMALIZE": True,
    "PARSERS": ["custom-formats", "absolute-time"],
    "PREFER_DATES_FROM": "past",
    "PREFER_LOCALE_DATE_ORDER": True,
    "RETURN_AS_TIMEZONE_AWARE": False,
    "STRICT_PARSING": True,
}
_page = threading.local()  # the language of the page this thread is reading
_install_lock = threading.Lock()


@lru_cache(maxsize=32)
def _parser(languages: tuple[str, ...]):
    from dateparser import DateDataParser

    try:
        return DateDataParser(languages=list(languages), settings=_SETTINGS)
    except ValueError:  # a language dateparser does not know: English alone
        return DateDataParser(languages=["en"], settings=_SETTINGS)


def _parser_for_this_page():
    return _parser(getattr(_page, "languages", ("en",)))


def _install() -> None:
    """Replace htmldate's all-locale parser factory, once per process."""
    with _install_lock:
        from htmldate import extractors

        if getattr(extractors, "get_external_parser", None) not in (None, _parser_for_this_page):
            extractors.get_external_parser = _parser_for_this_page


def languages_for(language: str | None) -> tuple[str, ...]:
    """The locales dateparser reads for a page: its language and English."""
    lang = (language or "").split("-")[0].lower()
    return ("en",) if lang in ("", "en") else (lang, "en")


def htmldate_day(root, url: str, html_text: str, language: str | None) -> tuple[dt.date | None, str | None]:
    """(day, "htmldate") or (None, why): htmldate's guess, never a copyright year."""
    try:
        from htmldate import find_date

        _install()
        _page.languages = languages_for(language)
        found = find_date(root, url=url, original_date=True, extensive_search=True, outputformat="%Y-%m-%d")
    except Exception:  # htmldate is a heuristic fallback; it must never break a check
        found = None
    if not found:
        return None, None
    day = dt.date.fromisoformat(found)
    written = (found, f"{day:%Y/%m/%d}", f"01.01.{day.year}", f"January 1, {day.year}")
    if (day.month, day.day) == (1, 1) and not any(w in html_text for w in written):
        return None, f"htmldate found only a year ({day.year}), not a day"  # a copyright line
    return day, "htmldate"


def warm_up(language: str | None = None) -> None:
    """Build the English parser (and dateparser's imports) ahead of the first page."""
    _install()
    _parser(languages_for(language))
