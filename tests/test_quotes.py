"""Quote checking: which quotations are picked, how they are matched, and the verdict a
fact-checker sees for pages that can and cannot be read (loopback pages only)."""

from __future__ import annotations

import time

import pytest

from pipeline.pagereader import read_page
from pipeline.quotes import pagetext
from pipeline.quotes.check import check_quote, check_quotes, deviated
from pipeline.quotes.find import find_quote, quotes_in
from pipeline.quotes.pagetext import PageText, live_text
from pipeline.quotes.verdicts import QuoteVerdict, Unreadable, Where

from .pdfs import make_pdf
from .servers import send

FILLER = (
    "The ministry published its annual figures on Tuesday, and opposition members said the numbers "
    "hid a sharp fall in rural services over the past three years."
)


def article(paragraphs: list[str], lang: str = "en", nav: list[str] = (), comments: list[str] = (), head: str = ""):
    """A news page as sites build them: navigation, the article, a comment section, a footer."""
    links = "".join(f'<li><a href="/s{i}">{t}</a></li>' for i, t in enumerate(nav))
    body = "".join(f"<p>{p}</p>" for p in [*paragraphs, FILLER, FILLER.replace("Tuesday", "Monday")])
    notes = "".join(f'<li class="comment"><p>{c}</p></li>' for c in comments)
    return (
        f'<!doctype html><html lang="{lang}"><head><meta charset="utf-8"><title>Story</title>{head}</head><body>'
        f"<header><nav><ul>{links}</ul></nav></header><main><article><h1>Story</h1>{body}</article></main>"
        f'<section id="comments"><h2>Comments</h2><ol class="comment-list">{notes}</ol></section>'
        f"<footer><p>© Example News</p></footer></body></html>"
    )


def read_live(fetcher, site, path: str, body: str | bytes, status: int = 200, quotes=None, **kw) -> PageText:
    site.routes[path] = lambda req: send(req, status, body, **kw)
    fetched = fetcher.fetch(site.url(path))
    reading = read_page(fetched)
    return live_text(fetched, reading.check, reading.page, quotes=quotes)


def text(*paragraphs: str, lang: str = "en") -> PageText:
    return PageText(text="\n".join(paragraphs), language=lang, url="https://example.org/a")


# ----------------------------------------------------------------------------- quotes_in
@pytest.mark.parametrize(
    "citing",
    [
        "He said “the talks have failed completely” on Monday.",
        'He said "the talks have failed completely" on Monday.',
        "Il a dit « the talks have failed completely » lundi.",
        "Er sagte „the talks have failed completely“ am Montag.",
        "彼は「the talks have failed completely」と述べた。",
        "彼は『the talks have failed completely』と述べた。",
    ],
)
def test_each_quote_style_is_picked(citing):
    assert quotes_in(citing) == ["the talks have failed completely"]


def test_short_quotes_are_titles_or_scare_quotes_and_are_ignored():
    citing = 'The so-called “peace plan” was, he said, "dead" — a "counterrevolutionary" move, “so far so good”.'
    assert quotes_in(citing) == ["counterrevolutionary", "so far so good"]  # ≥ 20 characters or ≥ 4 words


def test_a_quote_may_run_over_a_line_break_but_not_over_a_paragraph():
    citing = "He called it “a dangerous\nprecedent for the region”.\n\nShe said “this never\n\nends”."
    assert quotes_in(citing) == ["a dangerous precedent for the region"]


def test_nothing_quoted_means_nothing_to_check():
    assert quotes_in(None) == [] and quotes_in("No quotation here at all.") == []
    assert check_quotes("No quotation here.", text("anything")) == []


# ----------------------------------------------------------------------------- find_quote
def test_curly_vs_straight_quotes_case_dashes_and_a_line_break_inside_are_found():
    page = "The envoy said: \"We will not 'bow' to pressure -- whatever happens,\" and left the room."
    quote = quotes_in("The envoy said “we will not ‘bow’ to pressure —\nwhatever happens”.")[0]
    match = find_quote(quote, page)
    assert match.verdict is QuoteVerdict.FOUND and match.score == 100
    assert match.excerpt == "We will not 'bow' to pressure -- whatever happens"


@pytest.mark.parametrize("ellipsis", ["…", "...", ". . .", "[…]"])
def test_a_quote_with_an_ellipsis_is_found(ellipsis):
    page = "The report concluded that the programme, which cost £2bn over five years, had failed its targets."
    match = find_quote(f"the programme {ellipsis} had failed its targets", page)
    assert match.verdict is QuoteVerdict.FOUND
    assert match.excerpt == "the programme, which cost £2bn over five years, had failed its targets"


def test_an_ellipsis_does_not_join_words_from_far_apart():
    page = "the programme began. " + "Unrelated words follow here. " * 200 + "It had failed its targets."
    assert find_quote("the programme … had failed its targets", page).verdict is not QuoteVerdict.FOUND


def test_bracketed_insertions_are_allowed():
    page = "Smith told reporters the decision was final and could not be appealed."
    assert find_quote("[The minister] told reporters the decision was final", page).verdict is QuoteVerdict.FOUND
    assert find_quote("the decision [was] final [sic] and could not be appealed", page).verdict is QuoteVerdict.FOUND
    assert find_quote("[T]he decision was final", page).verdict is QuoteVerdict.FOUND


def test_a_near_match_is_close_with_its_score_and_the_pages_wording():
    page = "Officials said the government's plan was a disaster and would be reviewed before the election."
    match = find_quote("the government's plan was a failure and would be reviewed", page)
    assert match.verdict is QuoteVerdict.CLOSE
    assert 80 <= match.score < 100
    assert "disaster" in match.excerpt and "failure" not in match.excerpt


def test_an_absent_quote_is_not_found():
    page = "Officials said the government's plan would be reviewed before the election." + FILLER
    match = find_quote("we will never give up on our people", page)
    assert match.verdict is QuoteVerdict.NOT_FOUND and match.excerpt is None


def test_words_must_match_whole_not_inside_other_words():
    assert find_quote("the plan was fine today", "theplan was fine today").verdict is not QuoteVerdict.FOUND
    assert find_quote("plan was fine today", "the plan was fine todays").verdict is not QuoteVerdict.FOUND


# ----------------------------------------------------------------------------- live pages
def test_a_quote_in_the_article_of_a_live_page_is_found_there(fetcher, site):
    live = read_live(fetcher, site, "/a", article(["The envoy said the talks “have failed completely” last week."]))
    result = check_quote("The talks have failed completely", live)
    assert (result.verdict, result.where) == (QuoteVerdict.FOUND, Where.LIVE)


@pytest.mark.parametrize("read_for", [None, "the quote"])
def test_a_quote_only_in_the_navigation_or_comments_is_not_found(fetcher, site, read_for):
    quote = "the talks have failed completely and forever"
    page = article(
        ["The envoy spoke briefly to reporters after the meeting."],
        nav=[f"Envoy: {quote}", "World", "Business news today"],
        comments=[f"A reader wrote that {quote}."],
    )
    live = read_live(fetcher, site, "/nav", page, quotes=[quote] if read_for else None)
    assert live.readable and "envoy spoke briefly" in live.text
    result = check_quote(quote, live)
    assert result.verdict is QuoteVerdict.NOT_FOUND and result.reason is None


def test_a_page_in_another_language_makes_the_quote_unverifiable(fetcher, site):
    page = article(
        [
            "Le ministre a déclaré que les négociations avaient complètement échoué la semaine dernière.",
            "Les partis de l'opposition ont demandé une enquête sur les dépenses du gouvernement.",
        ],
        lang="fr",
    ).replace(FILLER, "Les chiffres publiés mardi montrent une baisse des services dans les régions rurales.")
    live = read_live(fetcher, site, "/fr", page)
    result = check_quote("the talks have failed completely", live)
    assert (result.verdict, result.reason) == (QuoteVerdict.UNVERIFIABLE, Unreadable.OTHER_LANGUAGE)


def test_a_paywalled_page_whose_teaser_lacks_the_quote_is_unverifiable(fetcher, site):
    head = '<script type="application/ld+json">{"@type":"NewsArticle","isAccessibleForFree":"False"}</script>'
    page = article(["The envoy spoke briefly to reporters.", "Subscribe to continue reading."], head=head)
    live = read_live(fetcher, site, "/paid", page)
    assert live.paywalled
    result = check_quote("the talks have failed completely", live)
    assert (result.verdict, result.reason) == (QuoteVerdict.UNVERIFIABLE, Unreadable.PAYWALLED)
    # what stands before the wall still counts
    assert check_quote("The envoy spoke briefly to reporters", live).verdict is QuoteVerdict.FOUND
    # the copy from then has it: found there, but the wall, not an edit, hides it today
    then = PageText("The talks have failed completely, he said.", None, "en", "https://web.archive.org/web/2021/x")
    result = check_quote("the talks have failed completely", live, then)
    assert (result.verdict, result.where) == (QuoteVerdict.FOUND, Where.ARCHIVE) and not deviated([result])


@pytest.mark.parametrize(
    "status, body, headers",
    [
        (403, "<html><body>Forbidden</body></html>", {}),
        (
            403,
            "<html><head><title>Just a moment...</title></head><body>cf-chl</body></html>",
            {"cf-mitigated": "challenge"},
        ),
    ],
)
def test_a_blocked_page_makes_the_quote_unverifiable(fetcher, site, status, body, headers):
    live = read_live(fetcher, site, "/blocked", body, status=status, headers=headers)
    result = check_quote("the talks have failed completely", live)
    assert (result.verdict, result.reason) == (QuoteVerdict.UNVERIFIABLE, Unreadable.BLOCKED)


def test_a_dead_page_without_an_archived_copy_is_unverifiable_not_not_found(fetcher, site):
    live = read_live(fetcher, site, "/gone", "<html><body>Gone</body></html>", status=410)
    result = check_quote("the talks have failed completely", live)
    assert (result.verdict, result.reason) == (QuoteVerdict.UNVERIFIABLE, Unreadable.DEAD_NO_COPY)


def test_a_dead_page_whose_archived_copy_holds_the_quote_is_found_there_but_not_deviated(fetcher, site):
    live = read_live(fetcher, site, "/gone", "<html><body>Gone</body></html>", status=410)
    then = PageText("The talks have failed completely, he said.", None, "en", "https://web.archive.org/web/2021/x")
    result = check_quote("the talks have failed completely", live, then)
    assert (result.verdict, result.where) == (QuoteVerdict.FOUND, Where.ARCHIVE)
    assert result.archive_url == "https://web.archive.org/web/2021/x"
    assert not deviated([result])  # dead is dead: the page did not change what it says


def test_a_pdf_with_a_text_layer_is_read_and_one_without_is_unverifiable(fetcher, site):
    pdf = make_pdf(["Annual report 2023", "The programme had failed its targets by a wide margin."])
    live = read_live(fetcher, site, "/r.pdf", pdf, content_type="application/pdf")
    assert check_quote("the programme had failed its targets", live).verdict is QuoteVerdict.FOUND
    scan = read_live(fetcher, site, "/scan.pdf", make_pdf([]), content_type="application/pdf")
    result = check_quote("the programme had failed its targets", scan)
    assert (result.verdict, result.reason) == (QuoteVerdict.UNVERIFIABLE, Unreadable.NO_TEXT_LAYER)


def test_a_page_without_article_text_is_unverifiable(fetcher, site):
    live = read_live(fetcher, site, "/empty", "<html><body><nav><a href='/'>Home</a></nav></body></html>")
    result = check_quote("the talks have failed completely", live)
    assert (result.verdict, result.reason) == (QuoteVerdict.UNVERIFIABLE, Unreadable.NO_TEXT)


def test_a_quote_absent_from_the_whole_page_skips_the_article_extraction(fetcher, site, monkeypatch):
    calls = []
    real = pagetext.html_main_text
    monkeypatch.setattr(pagetext, "html_main_text", lambda html, url=None: calls.append(url) or real(html, url))
    page = article(["The envoy said the talks “have failed completely” last week."], nav=["World news today"])
    absent = read_live(fetcher, site, "/a", page, quotes=["we will never give up on our people"])
    assert calls == []
    assert check_quote("we will never give up on our people", absent).verdict is QuoteVerdict.NOT_FOUND
    present = read_live(fetcher, site, "/b", page, quotes=["the talks have failed completely"])
    assert len(calls) == 1 and "World news" not in present.text
    assert check_quote("the talks have failed completely", present).verdict is QuoteVerdict.FOUND
    near = read_live(fetcher, site, "/c", page, quotes=["the talks had failed completely"])
    assert len(calls) == 2 and check_quote("the talks had failed completely", near).verdict is QuoteVerdict.CLOSE


def test_reading_a_page_stops_at_its_deadline(fetcher, site, monkeypatch):
    def stuck(html, url=None):
        time.sleep(3)
        return "too late"

    monkeypatch.setattr(pagetext, "html_main_text", stuck)
    site.routes["/slow"] = lambda req: send(req, 200, article(["Some text here."]))
    fetched = fetcher.fetch(site.url("/slow"))
    reading = read_page(fetched)
    started = time.monotonic()
    live = live_text(fetched, reading.check, reading.page, deadline=0.3)
    assert time.monotonic() - started < 1.5
    assert live.reason is Unreadable.TOO_SLOW
    assert check_quote("the talks have failed completely", live).verdict is QuoteVerdict.UNVERIFIABLE


def test_a_fault_in_the_extractor_is_no_text_not_a_crash(fetcher, site, monkeypatch):
    def broken(html, url=None):
        raise RuntimeError("extractor bug")

    monkeypatch.setattr(pagetext, "html_main_text", broken)
    live = read_live(fetcher, site, "/bug", article(["Some text here."]))
    assert live.reason is Unreadable.NO_TEXT


# ----------------------------------------------------------------------------- removed since cited
def test_a_quote_removed_since_the_citation_is_found_in_the_archived_copy_and_deviated():
    now = text("Officials said the plan would be reviewed.", FILLER)
    then = PageText(
        "Officials said the plan was a total failure and would be scrapped.\n" + FILLER,
        None,
        "en",
        "https://web.archive.org/web/20210101000000/https://example.org/a",
    )
    checks = check_quotes("Officials called it “a total failure and would be scrapped”.", now, then)
    assert [(c.verdict, c.where) for c in checks] == [(QuoteVerdict.FOUND, Where.ARCHIVE)]
    assert checks[0].archive_url == then.url
    assert deviated(checks)
    assert checks[0].to_dict()["where"] == "archive"


def test_a_quote_still_on_the_live_page_is_not_deviated():
    page = text("Officials said the plan was a total failure and would be scrapped.")
    checks = check_quotes("“a total failure and would be scrapped”", page, page)
    assert checks[0].where is Where.LIVE and not deviated(checks)


def test_an_absent_quote_is_settled_on_a_small_page_without_a_helper_thread(fetcher, site, monkeypatch):
    """Only the article's extraction, which can take seconds, runs under the deadline's helper thread."""

    def no_thread(seconds, work):
        raise AssertionError("read here")

    monkeypatch.setattr(pagetext, "within", no_thread)
    page = article(["The envoy said the talks “have failed completely” last week."])
    absent = read_live(fetcher, site, "/a", page, quotes=["we will never give up on our people"])
    assert (
        absent.whole_page
        and check_quote("we will never give up on our people", absent).verdict is QuoteVerdict.NOT_FOUND
    )
    present = read_live(fetcher, site, "/b", page, quotes=["the talks have failed completely"])
    assert present.reason is Unreadable.NO_TEXT  # the extraction went to the (refusing) helper thread


def test_each_quote_is_looked_for_once_in_each_text(fetcher, site, monkeypatch):
    """The whole-page pass's searches are the verdict's: the page is not searched again, and
    a copy from then is made into words and searched once however many citations ask."""
    from pipeline.quotes import find

    searched, made = [], []
    real_find, real_words = find.find_in, find.words_of
    monkeypatch.setattr(pagetext, "find_in", lambda q, page: searched.append((q, page.text)) or real_find(q, page))
    monkeypatch.setattr(pagetext, "words_of", lambda text: made.append(text) or real_words(text))
    quotes = ["we will never give up on our people", "the harvest was the worst in a decade"]
    live = read_live(fetcher, site, "/a", article(["The envoy said the talks had failed."]), quotes=quotes)
    then = text("The minister said we will never give up on our people, then left.")
    assert live.whole_page and len(searched) == 2
    for _ in range(3):  # three citations of the source, each with both quotes
        verdicts = [c.verdict for c in check_quotes(" ".join(f"“{q}”" for q in quotes), live, then)]
        assert verdicts == [QuoteVerdict.FOUND, QuoteVerdict.NOT_FOUND]
    assert sorted(searched) == sorted([(q, live.text) for q in quotes] + [(q, then.text) for q in quotes])
    assert made.count(then.text) == 1
