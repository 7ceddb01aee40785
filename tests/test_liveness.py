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
