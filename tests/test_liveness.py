"""``liveness.classify`` as a table: one Fetch in, the status and reason a reader sees."""

from __future__ import annotations

import pytest

from pipeline.liveness import classify
from pipeline.model import Fetch, Status

from .servers import page

URL = "https://news.example.com/2024/05/council-budget"
ARTICLE = page("Council approves the budget").encode()


def fetched(status=200, body=ARTICLE, final=URL, chain=None, error=None, reason=None, **headers) -> Fetch:
    return Fetch(
        url=URL,
        final_url=final,
        http_status=None if error else status,
        headers={"content-type": "text/html; charset=utf-8", **{k.replace("_", "-"): v for k, v in headers.items()}},
        body=body if not error else b"",
        chain=chain or ([{"url": URL, "status": 301, "location": final}] if final != URL else []),
        error=error,
        error_reason=reason,
    )


def redirected_to(final: str, cited: str = URL, *statuses: int) -> Fetch:
    """``cited`` sent on to ``final`` through redirects of ``statuses`` (one 301 if none)."""
    hops = statuses or (301,)
    chain = [{"url": cited, "status": code, "location": final} for code in hops]
    return Fetch(
        url=cited, final_url=final, http_status=200, headers={"content-type": "text/html"}, body=ARTICLE, chain=chain
    )


NO_LANG = page("Home").replace(' lang="en"', "").encode()


def lang_page(lang: str, title: str = "Home") -> bytes:
    return page(title).replace('<html lang="en">', f'<html lang="{lang}">').encode()


CASES = [
    # (id, fetch, status, the reason contains)
    ("200 article", fetched(), Status.LIVE, "HTTP 200"),
    ("404", fetched(404, page("Not here").encode()), Status.DEAD, "HTTP 404"),
    ("410", fetched(410, b""), Status.DEAD, "HTTP 410 Gone"),
    ("500", fetched(500, b"oops"), Status.DEAD, "HTTP 500"),
    ("401", fetched(401, b""), Status.BLOCKED, "HTTP 401"),
    ("403 plain", fetched(403, b"<h1>Forbidden</h1>"), Status.BLOCKED, "HTTP 403"),
    ("451", fetched(451, b""), Status.BLOCKED, "HTTP 451"),
    ("429 asked to wait", fetched(429, b"", retry_after="7200"), Status.BLOCKED, "asked to wait 2 hours"),
    ("999 LinkedIn", fetched(999, b""), Status.BLOCKED, "refuses automated requests"),
    ("timeout", fetched(error="timeout", reason="no complete answer within the 30s deadline"), Status.TIMEOUT, "30s"),
    ("DNS", fetched(error="unreachable", reason="DNS lookup failed for x (no such host)"), Status.UNREACHABLE, "DNS"),
    (
        "refused",
        fetched(error="skipped", reason="refused: x resolves to non-public address"),
        Status.SKIPPED,
        "refused",
    ),
    ("malformed", fetched(error="error", reason="malformed URL: bad port"), Status.ERROR, "malformed"),
    ("200 not-found title", fetched(body=page("Page not found | News").encode()), Status.SOFT_404, "Page not found"),
    ("headline about not found", fetched(body=page("Missing plane not found").encode()), Status.LIVE, "HTTP 200"),
    ("wall on 200", fetched(cf_mitigated="challenge"), Status.BLOCKED, "Cloudflare"),
    ("wall on 503", fetched(503, b"<script src='/cdn-cgi/bm/cv/1/api.js'></script>"), Status.BLOCKED, "Bot Fight"),
    (
        "paywall is still live",
        fetched(body=page("Paid", head='{"isAccessibleForFree": false}').encode()),
        Status.LIVE,
        "",
    ),
    (
        "moved permanently",
        fetched(final="https://news.example.com/2024/05/council-budget-v2"),
        Status.REDIRECTED,
        "moved permanently",
    ),
    ("redirect to /", fetched(final="https://news.example.com/"), Status.SOFT_404, "front page"),
    ("redirect to /index.html", fetched(final="https://news.example.com/index.html"), Status.SOFT_404, "front page"),
    ("redirect to /home", fetched(final="https://news.example.com/home"), Status.SOFT_404, "front page"),
    # a language root serving the home page in its language is the front page …
    (
        "redirect to /en/",
        fetched(final="https://news.example.com/en/", body=lang_page("en")),
        Status.SOFT_404,
        "front page",
    ),
    (
        "redirect to /de-at/",
        fetched(final="https://news.example.com/de-at/", body=lang_page("de-AT")),
        Status.SOFT_404,
        "front page",
    ),
    # … an article at a short path is not (issue 15: /ok, /tv)
    (
        "redirect to /ok",
        fetched(final="https://news.example.com/ok", body=lang_page("en", "OK Go")),
        Status.REDIRECTED,
        "/ok",
    ),
    (
        "redirect to /tv",
        fetched(final="https://news.example.com/tv", body=lang_page("en", "TV")),
        Status.REDIRECTED,
        "/tv",
    ),
    (
        "two letters, other language",
        fetched(final="https://news.example.com/it", body=lang_page("en", "IT news")),
        Status.REDIRECTED,
        "/it",
    ),
    # a deep story sent to a language root is the front page by its address alone: many
    # sites declare no language, or another one (a soft-404 used to read as 'redirected')
    (
        "redirect to /en/, no lang",
        fetched(final="https://news.example.com/en/", body=NO_LANG),
        Status.SOFT_404,
        "front",
    ),
    (
        "redirect to /fr-fr/, no lang",
        fetched(final="https://news.example.com/fr-fr/", body=NO_LANG),
        Status.SOFT_404,
        "front",
    ),
    (
        "/pt_BR/ declared en",
        fetched(final="https://news.example.com/pt_BR/", body=lang_page("en")),
        Status.SOFT_404,
        "front",
    ),
    ("redirect to /de/index.html", fetched(final="https://news.example.com/de/index.html"), Status.SOFT_404, "front"),
    ("redirect to /es/home", fetched(final="https://news.example.com/es/home"), Status.SOFT_404, "front"),
    ("redirect to /en, no lang", fetched(final="https://news.example.com/en", body=NO_LANG), Status.SOFT_404, "front"),
    ("redirect to /Home/", fetched(final="https://news.example.com/Home/"), Status.SOFT_404, "front page"),
    ("redirect to /es-419/", fetched(final="https://news.example.com/es-419/"), Status.SOFT_404, "front page"),
    ("redirect to /default.aspx", fetched(final="https://news.example.com/default.aspx"), Status.SOFT_404, "front"),
    ("redirect to /en/home.html", fetched(final="https://news.example.com/en/home.html"), Status.SOFT_404, "front"),
    ("another site's front page", fetched(final="https://new-owner.example/"), Status.SOFT_404, "front page"),
    # … and what is no front page is no wolf: the same page by another spelling, a page a
    # CMS names by a query at its front page's address, or a story moved to a deep address
    ("to /?p=123 (WordPress)", fetched(final="https://news.example.com/?p=123"), Status.REDIRECTED, "/?p=123"),
    ("to /index.php?title=", fetched(final="https://wiki.example.com/index.php?title=X"), Status.REDIRECTED, ""),
    (
        "from /?p=123 to /",
        redirected_to("https://news.example.com/", "https://news.example.com/?p=9"),
        Status.SOFT_404,
        "",
    ),
    ("to /?utm_source=x", fetched(final="https://news.example.com/?utm_source=x"), Status.SOFT_404, "front page"),
    ("trailing slash", fetched(final=URL + "/"), Status.LIVE, "HTTP 200"),
    ("http to https", fetched(final=URL.replace("https:", "http:")), Status.LIVE, "HTTP 200"),
    ("www. added", fetched(final=URL.replace("//news.", "//www.news.")), Status.LIVE, "HTTP 200"),
    ("tracking parameter dropped", redirected_to(URL, cited=URL + "?utm_source=x&utm_medium=y"), Status.REDIRECTED, ""),
    (
        "moved under a language root",
        fetched(final="https://news.example.com/en/2024/05/council-budget", body=NO_LANG),
        Status.REDIRECTED,
        "moved permanently",
    ),
    (
        "front page to a language root",
        redirected_to("https://news.example.com/en/", cited="https://news.example.com/"),
        Status.REDIRECTED,
        "",
    ),
    ("redirect to sign-in", fetched(final="https://news.example.com/login?next=/x"), Status.BLOCKED, "sign-in"),
    (
        "redirect to consent",
        fetched(final="https://consent.example.com/ml?continue=x"),
        Status.BLOCKED,
        "cookie-consent",
    ),
    ("redirect to /404", fetched(final="https://news.example.com/404"), Status.SOFT_404, "error page"),
    (
        "parked domain",
        fetched(body=page("example.com is for sale", body="Buy this domain.").encode()),
        Status.SOFT_404,
        "parked",
    ),
]


@pytest.mark.parametrize("fetch,status,reason", [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_classify(fetch, status, reason):
    check = classify(fetch)
    assert check.status == status, check.reason
    assert reason in check.reason


TEMPORARY = [
    # (id, fetch, status, the reason contains)
    # a 302/303/307 says the cited address stays the one to use: the page is live, the
    # detour noted (a DOI, a PURL, a session or geo redirect)
    ("302 to a deep page", redirected_to(URL + "?session=8f2", URL, 302), Status.LIVE, "temporary redirect to"),
    ("303 from a PURL", redirected_to(URL, "https://purl.example.org/ref/77", 303), Status.LIVE, "via 303"),
    ("doi.org 302", redirected_to(URL, "https://doi.org/10.1000/182", 302), Status.LIVE, "via 302"),
    ("307 then 302", redirected_to("https://news.example.com/us/story", URL, 307, 302), Status.LIVE, "/us/story"),
    # one permanent hop in the chain: the page moved for good
    ("301 then 302", redirected_to("https://news.example.com/new", URL, 301, 302), Status.REDIRECTED, "permanently"),
    ("308", redirected_to("https://news.example.com/new", URL, 308), Status.REDIRECTED, "moved permanently"),
    # a temporary redirect is no cover for a dead story: sent up to its section, it is no
    # detour (the probe or the title then tell); sent to the front page, a soft-404
    ("302 to its section", redirected_to("https://news.example.com/2024/", URL, 302), Status.REDIRECTED, "redirects"),
    ("302 to a sub-page", redirected_to(URL + "/amp", URL, 302), Status.LIVE, "temporary redirect to"),
    ("302 to the front page", redirected_to("https://news.example.com/", URL, 302), Status.SOFT_404, "front page"),
    ("302 to /en/", redirected_to("https://news.example.com/en/", URL, 302), Status.SOFT_404, "front page"),
    ("302 to /404", redirected_to("https://news.example.com/404", URL, 302), Status.SOFT_404, "error page"),
]


@pytest.mark.parametrize("fetch,status,reason", [c[1:] for c in TEMPORARY], ids=[c[0] for c in TEMPORARY])
def test_a_temporary_redirect_keeps_the_cited_address(fetch, status, reason):
    check = classify(fetch)
    assert check.status == status, check.reason
    assert reason in check.reason
