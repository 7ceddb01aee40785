"""URL checking against local servers that misbehave the way real sites do."""

from __future__ import annotations

import re
import ssl
import time

import pytest

from pipeline.check import check_urls
from pipeline.fetch import Fetcher, to_uri
from pipeline.liveness import classify, sibling_url
from pipeline.model import Status

from .conftest import check_settings
from .servers import brotli_bomb, drip, encoded, gzip_bomb, hang, html, huge, raw, redirect, send, sequence, slow
from .servers import page as page_html


def run(url: str, **kw):
    """Fetch and classify one URL through the real check stage."""
    return check_urls([url], check_settings(**kw))[url].check


def test_live_page(site):
    site.routes["/a"] = html("A real article")
    check = run(site.url("/a"))
    assert check.status == Status.LIVE
    assert check.reason.startswith("HTTP 200")
    assert check.http_status == 200


@pytest.mark.parametrize("code,phrase", [(404, "Not Found"), (410, "Gone")])
def test_dead_is_not_retried(site, code, phrase):
    site.routes["/gone"] = html("gone", status=code)
    check = run(site.url("/gone"))
    assert check.status == Status.DEAD
    assert f"HTTP {code} {phrase}" in check.reason
    assert site.hits("/gone") == 1


def test_500_always_is_dead_after_retries(site):
    site.routes["/err"] = html("Server error", status=500)
    check = run(site.url("/err"), retries=2)
    assert check.status == Status.DEAD
    assert "after 3 attempts" in check.reason
    assert site.hits("/err") == 3


def test_503_then_200_recovers(site):
    site.routes["/flaky"] = sequence(html("busy", status=503), html("Back again"))
    check = run(site.url("/flaky"))
    assert check.status == Status.LIVE
    assert site.hits("/flaky") == 2


def test_429_retry_after_is_honoured(site):
    site.routes["/rl"] = sequence(html("slow down", status=429, headers={"Retry-After": "1"}), html("Fine now"))
    t0 = time.monotonic()
    check = run(site.url("/rl"), timeout=4)
    elapsed = time.monotonic() - t0
    assert check.status == Status.LIVE
    times = [t for _, p, t in site.log if p == "/rl"]
    assert len(times) == 2 and times[1] - times[0] >= 0.95  # waited as told
    assert elapsed < 4


def test_429_beyond_the_cap_is_blocked_without_waiting(site):
    site.routes["/rl"] = html("slow down", status=429, headers={"Retry-After": "3600"})
    t0 = time.monotonic()
    check = run(site.url("/rl"))
    assert check.status == Status.BLOCKED
    assert check.reason == "HTTP 429 Too Many Requests (asked to wait 1 hour)"
    assert time.monotonic() - t0 < 1.5


def test_permanent_redirect_chain(site):
    site.routes["/old"] = redirect("/older", 301)
    site.routes["/older"] = redirect("/new-home-of-story", 308)
    site.routes["/new-home-of-story"] = html("The story")
    check = run(site.url("/old"))
    assert check.status == Status.REDIRECTED
    assert check.final_url.endswith("/new-home-of-story")
    assert [h["status"] for h in check.chain] == [301, 308]
    assert "moved permanently" in check.reason


def test_trailing_slash_hop_stays_live(site):
    site.routes["/story"] = redirect("/story/", 301)
    site.routes["/story/"] = html("The story")
    assert run(site.url("/story")).status == Status.LIVE


def test_redirect_to_root_is_soft_404(site):
    site.routes["/deleted-story"] = redirect("/", 302)
    site.routes["/"] = html("Front page")
    check = run(site.url("/deleted-story"))
    assert check.status == Status.SOFT_404
    assert "front page" in check.reason


def test_a_story_sent_to_a_language_root_is_soft_404_whatever_the_page_declares(site):
    """A deep story redirected to /en/ (a page declaring no language) is the front page:
    the address says so. The same story moved to another deep address is not."""
    site.routes["/news/2019/story"] = redirect("/en/", 302)
    site.routes["/en/"] = lambda req: send(req, 200, page_html("Example News").replace(' lang="en"', ""))
    site.routes["/news/2019/moved"] = redirect("/en/news/2019/moved", 301)
    site.routes["/en/news/2019/moved"] = lambda req: send(req, 200, page_html("The story").replace(' lang="en"', ""))
    gone = run(site.url("/news/2019/story"))
    assert gone.status == Status.SOFT_404 and "front page" in gone.reason, gone.reason
    moved = run(site.url("/news/2019/moved"))
    assert moved.status == Status.REDIRECTED and "moved permanently" in moved.reason


def test_a_temporary_redirect_to_a_deep_page_is_live_with_the_detour_noted(site):
    """302: the page is 'temporarily under a different URI' (RFC 9110 §15.4.3); the cited
    address stays the one to cite, so no 'update the URL' — only 301/308 say that."""
    site.routes["/world/story"] = redirect("/world/story/geo-us?session=8f2", 302)
    site.routes["/world/story/geo-us"] = html("The story")
    site.routes["/world/old"] = redirect("/world/new", 301)
    site.routes["/world/new"] = html("The story, moved")
    detour = run(site.url("/world/story"))
    assert detour.status == Status.LIVE, detour.reason
    assert (
        detour.reason == f"HTTP 200 OK via 302, a temporary redirect to {site.url('/world/story/geo-us?session=8f2')}"
    )
    assert detour.final_url == site.url("/world/story/geo-us?session=8f2")
    assert run(site.url("/world/old")).status == Status.REDIRECTED


def test_redirect_to_error_path_is_soft_404(site):
    site.routes["/x/story"] = redirect("/404.html", 302)
    site.routes["/404.html"] = html("Oops")
    assert run(site.url("/x/story")).status == Status.SOFT_404


def test_story_numbered_404_is_not_an_error_page(site):
    """Only a redirect to /404 is a soft-404 signal; story number 404 is an article
    (the benchmark corpus flagged /page/404 and /page/410 before this was fixed)."""
    site.routes["/page/404"] = html("Story 404: council approves budget", body="<p>" + "Text. " * 100 + "</p>")
    check = run(site.url("/page/404"))
    assert check.status == Status.LIVE, check.reason


@pytest.mark.parametrize(
    "title",
    [
        "Page Not Found | Example News",
        "页面不存在",
        "Página no encontrada",
        "Page introuvable",
        "Seite nicht gefunden",
        "404 - File or directory not found",
        "Sorry, the page you requested was not found.",
        "We can’t find the page you’re looking for",
        "The requested URL was not found on this server.",
        "Error 404: page not found",
        "Oops! That page can’t be found.",
        "Lo sentimos, la página que buscas no existe",
        "Leider wurde die angeforderte Seite nicht gefunden",
    ],
)
def test_200_not_found_page_is_soft_404(site, title):
    site.routes["/missing"] = html(title)
    check = run(site.url("/missing"))
    assert check.status == Status.SOFT_404
    assert "page says" in check.reason


def test_random_sibling_probe_catches_generic_page(site):
    generic = "<html><head><title>Example News</title></head><body><p>Latest news</p></body></html>"
    site.fallback = lambda req: send(req, 200, generic)
    check = run(site.url("/2020/05/some-story-that-is-gone.html"))
    assert check.status == Status.SOFT_404
    assert "made-up URL" in check.reason
    assert any("citewatch-" in p for _, p, _ in site.log)


def test_probe_is_shared_within_a_folder(site):
    generic = "<html><head><title>Example News</title></head><body><p>Latest</p></body></html>"
    site.fallback = lambda req: send(req, 200, generic)
    urls = [site.url(f"/news/story-{i}.html") for i in range(5)]
    results = check_urls(urls, check_settings())
    assert {r.check.status for r in results.values()} == {Status.SOFT_404}
    assert sum(1 for _, p, _ in site.log if "citewatch-" in p) == 1


def test_probe_does_not_flag_a_real_page(site):
    site.routes["/2020/05/real-story.html"] = html("Real story", body="short but real")
    site.fallback = lambda req: send(req, 404, "<title>Not here</title>")
    assert run(site.url("/2020/05/real-story.html")).status == Status.LIVE


def test_head_hostile_server_is_live(site):
    def route(req):
        if req.command == "HEAD":
            send(req, 405, "no HEAD here")
        else:
            send(req, 200, "<html><head><title>Works with GET</title></head><body>" + "text " * 200 + "</body></html>")

    site.routes["/p"] = route
    assert run(site.url("/p")).status == Status.LIVE
    assert all(m == "GET" for m, _, _ in site.log)


def test_cloudflare_challenge_is_blocked_not_dead(site):
    body = (
        "<html><head><title>Just a moment...</title></head><body><div id='cf-chl-widget'></div>"
        "<script src='/cdn-cgi/challenge-platform/h/b/orchestrate'></script></body></html>"
    )
    site.routes["/cf"] = lambda req: send(req, 403, body, {"Server": "cloudflare"})
    check = run(site.url("/cf"))
    assert check.status == Status.BLOCKED
    assert "Cloudflare" in check.reason
    assert site.hits("/cf") == 1  # 403 is not retried


def test_cf_mitigated_header_on_200_is_blocked(site):
    site.routes["/cf"] = html("Checking your browser", headers={"cf-mitigated": "challenge"})
    assert run(site.url("/cf")).status == Status.BLOCKED


@pytest.mark.parametrize(
    "marker,reason",
    [
        ("<script src='https://ct.captcha-delivery.com/c.js'></script>", "DataDome"),
        ("<div id='px-captcha'></div>", "PerimeterX"),
        ("<h1>Access Denied</h1>You don't have permission. Reference #18.2f3c", "Akamai"),
    ],
)
def test_bot_walls(site, marker, reason):
    site.routes["/w"] = lambda req: send(req, 403, f"<html><body>{marker}</body></html>")
    check = run(site.url("/w"))
    assert check.status == Status.BLOCKED and reason in check.reason


def test_paywalled_live_page(site):
    head = '<script type="application/ld+json">{"@type":"NewsArticle","headline":"Paid story","isAccessibleForFree":false}</script>'
    site.routes["/paid"] = html("Paid story", head=head)
    check = run(site.url("/paid"))
    assert check.status == Status.LIVE and check.paywalled


FILLER = "<p>" + "An ordinary paragraph of reporting. " * 3000 + "</p>"  # ~100 KB, markers buried


@pytest.mark.parametrize(
    "marker,reason",
    [
        ("<title>Just a Moment...</title>", "Cloudflare"),
        ("<script>window._cf_chl_opt={}</script>", "Cloudflare"),
        ("<title>Attention Required! | Cloudflare</title>", "Cloudflare"),
        ("<script src='https://ct.captcha-delivery.com/c.js'></script>", "DataDome"),
        ("<p>Press &amp; Hold to confirm you are a human</p>", "PerimeterX"),
        ("<script>window._pxAppId='PX1';</script>", "PerimeterX"),
        ("<H1>ACCESS DENIED</H1> You don't have permission. Reference&#32; #18.2f3c", None),
        ("<h1>Access Denied</h1>You don't have permission. Reference #18.2f3c", "Akamai"),
        ("<img src='https://errors.edgesuite.net/18.1.html'>", "Akamai"),
        ("<iframe src='/_Incapsula_Resource?x=1'></iframe>", "Incapsula"),
        ("<div class='g-recaptcha'></div>", "captcha"),
        ("<p>Please verify that you are a Human.</p>", "captcha"),
        ("<p>Our systems have detected Unusual Traffic from your computer</p>", "captcha"),
        ("<p>Humans of New York: you are what you read</p>", None),
    ],
)
def test_bot_wall_markers_in_a_large_page(marker, reason):
    """Each marker is found whatever its case, after 100 KB of page; look-alikes are not."""
    from pipeline.liveness import bot_wall
    from pipeline.model import Fetch

    for body in (f"<html><body>{FILLER}{marker}</body></html>", f"<html><body>{marker}</body></html>"):
        found = bot_wall(Fetch(url="https://example.com/a", http_status=403, body=body.encode()))
        assert (found is None) if reason is None else (reason in found), (marker, found)


def test_vendor_script_on_a_full_article_is_not_a_wall(site):
    """DataDome and PerimeterX customers carry the vendor's tag on every page; a 200 with
    a whole article is the article, not a challenge."""
    tags = "<script src='https://js.datadome.co/tags.js'></script><script>window._pxAppId='PX12';</script>"
    site.routes["/story"] = html("Council approves budget", head=tags, body="<p>" + "Reporting. " * 400 + "</p>")
    site.routes["/challenge"] = html("Just a moment...", head=tags, body="<p>Checking your browser.</p>")
    assert run(site.url("/story")).status == Status.LIVE
    check = run(site.url("/challenge"))
    assert check.status == Status.BLOCKED and "Cloudflare" in check.reason


@pytest.mark.parametrize(
    "marker,paywalled",
    [
        ('"isAccessibleForFree": "False"', True),
        ('"isAccessibleForFree":true', False),
        ("Subscribe now to continue reading", True),
        ("To continue reading, please log in", True),
        ("This story is only available to paid subscribers.", True),
        ('<div class="article-paywall paywall">', True),
        ("<div class='tp-modal'></div>", True),
        ("Subscribe to our newsletter", False),
    ],
)
def test_paywall_markers(marker, paywalled):
    from pipeline.liveness import is_paywalled
    from pipeline.model import Fetch

    body = f"<html><body>{FILLER}{marker}</body></html>"
    assert is_paywalled(Fetch(url="https://example.com/a", body=body.encode()), body) is paywalled


def test_never_answering_server_times_out_within_deadline(site):
    site.routes["/hang"] = hang(site)
    t0 = time.monotonic()
    check = run(site.url("/hang"), timeout=1.5, read_timeout=0.5, retries=5)
    elapsed = time.monotonic() - t0
    assert check.status == Status.TIMEOUT
    assert elapsed < 2.5, elapsed


@pytest.mark.parametrize("close", [False, True], ids=["keep-alive", "connection-close"])
def test_slow_drip_times_out_within_deadline(site, close):
    """A body dripped a byte at a time is cut at the deadline, also one that ends only when
    the server closes the connection (http.client lets go of that socket after the headers:
    the deadline could not reach it, and the request lasted as long as the server dripped)."""
    site.routes["/drip"] = drip(site, every=0.2, close=close)
    t0 = time.monotonic()
    check = run(site.url("/drip"), timeout=1.5, read_timeout=1.0)
    elapsed = time.monotonic() - t0
    assert check.status == Status.TIMEOUT
    assert "deadline" in check.reason
    assert elapsed < 2.5, elapsed


def test_a_finished_request_leaves_the_watchdog_at_once(site, fetcher):
    """Each request registers its deadline with the watchdog. A request that ends must
    not stay there until its deadline would have passed: over a long run that is every
    request of the last --timeout seconds, and the connections they used."""
    from pipeline.transport import _watchdog

    site.route("/p")(html("P"))
    for _ in range(300):
        assert fetcher.fetch(site.url("/p")).http_status == 200
    assert len(_watchdog()._heap) < 100


def test_huge_body_is_capped(site):
    site.routes["/big"] = huge(site)
    t0 = time.monotonic()
    check = run(site.url("/big"), max_bytes=1_000_000, timeout=5)
    assert check.status == Status.LIVE
    assert check.truncated
    assert check.bytes_read == 1_000_000
    assert time.monotonic() - t0 < 5
    time.sleep(0.2)
    assert site.sent < 20_000_000  # the server was not drained of its 200 MB


def peak_memory(fn):
    """(result, the most memory Python held at once while ``fn`` ran)."""
    import tracemalloc

    tracemalloc.start()
    try:
        return fn(), tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("bomb", [gzip_bomb, brotli_bomb], ids=["gzip", "br"])
def test_decompression_bomb_is_bounded(site, bomb):
    # 300 MB of gzip or 100 MB of Brotli from a few KB: the cap applies to what is decoded,
    # and no step may decode more than a chunk at a time (a 100 MB bytes object is the bug)
    site.routes["/bomb"] = bomb()
    site.routes["/plain"] = lambda req: send(req, 200, b"\0" * 3_000_000)  # the same, not compressed
    settings = check_settings(max_bytes=1_000_000, timeout=5).fetch
    with Fetcher(settings) as fetcher:
        plain, plain_peak = peak_memory(lambda: fetcher.fetch(site.url("/plain")))
        bomb, peak = peak_memory(lambda: fetcher.fetch(site.url("/bomb")))
    assert len(plain.body) == len(bomb.body) == 1_000_000 and bomb.truncated
    # fetching a capped page holds a few copies of it; a bomb may cost no more than that
    assert peak < plain_peak + 1_000_000, (
        f"{peak / 1e6:.0f} MB held at once, {plain_peak / 1e6:.0f} MB for a plain page"
    )
    check = run(site.url("/bomb"), max_bytes=1_000_000, timeout=5)
    assert check.status == Status.LIVE and check.bytes_read == 1_000_000 and "capped" in check.reason


def test_stacked_encodings_decode_and_too_many_are_refused(site):
    site.routes["/two"] = encoded(page_html("Twice Wrapped").encode(), "deflate", "gzip")
    site.routes["/many"] = encoded(page_html("Wrapped Seven Times").encode(), *["gzip"] * 7)
    two = check_urls([site.url("/two")], check_settings())[site.url("/two")]
    assert two.check.status == Status.LIVE and two.page.title == "Twice Wrapped"
    many = run(site.url("/many"))
    assert many.status == Status.ERROR and "decompress" in many.reason


@pytest.mark.parametrize(
    "answer,status,reason,attempts",
    [
        (b"HELLO THERE\r\n\r\n", Status.ERROR, "not an HTTP answer (status line 'HELLO THERE')", 1),
        (b"HTTP/1.1 99999 Weird\r\n\r\n", Status.ERROR, "not an HTTP answer", 1),
        (
            b"HTTP/1.1 200 OK\r\n" + b"".join(b"X-H%d: v\r\n" % i for i in range(150)) + b"\r\n",
            Status.ERROR,
            "malformed response (more than 100 header lines)",
            1,
        ),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70_000 + b"\r\n\r\n", Status.ERROR, "longer than 64 KB", 1),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 5\r\nContent-Length: 7\r\n\r\nhello!!",
            Status.ERROR,
            "malformed response (Content-Length contained multiple unmatching values",
            1,
        ),
        (
            b"HTTP/1.1 200 OK\r\nContent-Length: 100000\r\n\r\n<title>Half</title>" + b"x" * 4981,
            Status.ERROR,
            "the answer was cut off after 5,000 of 100,000 bytes",
            3,  # a connection that broke may not break again
        ),
        (b"", Status.UNREACHABLE, "the server closed the connection without answering", 3),
    ],
    ids=["garbage", "status-code", "header-flood", "long-header", "two-lengths", "cut-off", "no-answer"],
)
def test_an_answer_that_is_not_http_is_an_error_not_unreachable(site, answer, status, reason, attempts):
    # the server was reached and answered: "unreachable" (and two retries) would send a
    # fact-checker looking for a DNS or network fault that is not there
    site.routes["/x"] = raw(answer)
    check = run(site.url("/x"))
    assert check.status == status
    assert reason in check.reason
    assert site.hits("/x") == attempts


def test_redirect_loop_is_error(site):
    site.routes["/a"] = redirect("/b", 302)
    site.routes["/b"] = redirect("/a", 302)
    check = run(site.url("/a"))
    assert check.status == Status.ERROR and "loop" in check.reason


def test_too_many_redirects(site):
    for i in range(15):
        site.routes[f"/r{i}"] = redirect(f"/r{i + 1}", 302)
    check = run(site.url("/r0"), max_redirects=5)
    assert check.status == Status.ERROR and "more than 5 redirects" in check.reason


def test_meta_refresh_is_followed(site):
    site.routes["/old"] = lambda req: send(
        req, 200, '<html><head><meta http-equiv="refresh" content="0; url=/new-story"></head></html>'
    )
    site.routes["/new-story"] = html("The new story")
    check = run(site.url("/old"))
    assert check.status == Status.REDIRECTED
    assert check.chain[0]["status"] == "meta-refresh"


def test_refresh_header_is_followed_like_the_meta_tag(site):
    site.routes["/old"] = lambda req: send(req, 200, "<html>moving</html>", {"Refresh": "0; url=/new-story"})
    site.routes["/new-story"] = html("The new story")
    check = run(site.url("/old"))
    assert check.status == Status.REDIRECTED and check.final_url == site.url("/new-story")
    assert check.chain[0]["status"] == "meta-refresh"


def test_raw_utf8_in_location_is_read_as_utf8(site):
    # servers often send the address unescaped; it reaches us as Latin-1 text
    site.routes["/old"] = raw("HTTP/1.1 301 Moved\r\nLocation: /café\r\nContent-Length: 0\r\n\r\n".encode())
    site.routes["/caf%C3%A9"] = html("Café story")
    check = run(site.url("/old"))
    assert check.status == Status.REDIRECTED
    assert check.final_url == site.url("/caf%C3%A9")  # not /caf%C3%83%C2%A9


def test_redirect_to_a_malformed_url_is_an_error_not_a_crash(site):
    site.routes["/old"] = redirect("http://127.0.0.1:99999/x", 302)
    site.routes["/ok"] = html("Fine")
    out = check_urls([site.url("/old"), site.url("/ok")], check_settings())
    bad = out[site.url("/old")].check
    assert bad.status == Status.ERROR and "malformed URL" in bad.reason and "99999" in bad.reason
    assert out[site.url("/ok")].check.status == Status.LIVE


def test_non_ascii_path_is_percent_encoded(site):
    site.routes["/%E6%96%B0%E9%97%BB/%E6%96%87%E7%AB%A0"] = html("中文文章")
    check = run(site.url("/新闻/文章"))
    assert check.status == Status.LIVE


def test_idna_host():
    assert to_uri("http://bücher.example/straße") == "http://xn--bcher-kva.example/stra%C3%9Fe"


def test_connection_refused_is_unreachable(closed_port):
    check = run(f"http://127.0.0.1:{closed_port}/x")
    assert check.status == Status.UNREACHABLE and "refused" in check.reason


@pytest.fixture
def tls_site(tmp_path):
    """An HTTPS site whose certificate (for "localhost") comes from a throwaway CA."""
    import trustme

    from .servers import Site

    ca = trustme.CA()
    ctx = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("localhost").configure_cert(ctx)
    ca_file = tmp_path / "ca.pem"
    ca.cert_pem.write_to_path(str(ca_file))
    s = Site(tls=ctx)
    s.ca_file = str(ca_file)
    yield s
    s.stop()


def test_https_with_a_trusted_ca_is_live(tls_site):
    """TLS to the pinned address, verified against the host name (SNI), with --ca-bundle."""
    tls_site.routes["/secure"] = html("Secure story")
    url = f"https://localhost:{tls_site.port}/secure"
    check = run(url, ca_bundle=tls_site.ca_file, resolve={"localhost": "127.0.0.1"})
    assert check.status == Status.LIVE, check.reason


def test_untrusted_certificate_is_unreachable_with_the_tls_reason(tls_site):
    tls_site.routes["/secure"] = html("Secure story")
    t0 = time.monotonic()
    check = run(f"https://localhost:{tls_site.port}/secure", resolve={"localhost": "127.0.0.1"})
    assert check.status == Status.UNREACHABLE
    assert "TLS failure" in check.reason and "CERTIFICATE_VERIFY_FAILED" in check.reason, check.reason
    assert tls_site.hits("/secure") == 0 and time.monotonic() - t0 < 2.5


def test_tls_handshake_that_never_comes_ends_at_the_deadline():
    """A port that accepts the connection and then says nothing: the TLS handshake waits
    for a ServerHello that never comes, and must still end at the URL's deadline."""
    import socket
    import threading

    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []

    def accept() -> None:
        while True:
            try:
                accepted.append(listener.accept()[0])
            except OSError:
                return

    threading.Thread(target=accept, daemon=True).start()
    try:
        t0 = time.monotonic()
        check = run(f"https://127.0.0.1:{listener.getsockname()[1]}/x", timeout=1.5)
        elapsed = time.monotonic() - t0
    finally:
        listener.close()
        for conn in accepted:
            conn.close()
    assert check.status == Status.TIMEOUT and "1.5s deadline" in check.reason
    assert 1.4 < elapsed < 3.0 and accepted


def test_cookie_check_redirect_is_followed_with_the_cookie(site):
    """Sites that set a cookie and redirect to see it come back: without sending it the
    chain would loop; the cookie goes back within the check, to the same host only."""

    def route(req):
        if "seen=1" in (req.headers.get("Cookie") or ""):
            send(req, 200, "<title>Story behind a cookie check</title>" + "text " * 100)
        else:
            send(req, 302, "", {"Location": "/cookie-story", "Set-Cookie": "seen=1; Path=/; HttpOnly"})

    site.routes["/cookie-story"] = route
    seen = []

    def other(req):
        seen.append(req.headers.get("Cookie"))
        send(req, 200, "<title>Other story</title>" + "text " * 100)

    site.routes["/other"] = other
    results = check_urls([site.url("/cookie-story"), site.url("/other")], check_settings(concurrency=1, probe=False))
    story = results[site.url("/cookie-story")].check
    assert story.status == Status.LIVE and len(story.chain) == 1, story.reason
    assert seen == [None]  # nothing carried over to another URL


def test_invalid_host_is_unreachable():
    check = run("http://no-such-host.invalid/page")
    assert check.status == Status.UNREACHABLE and "DNS" in check.reason


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:9/x", "http://10.1.2.3/x", "http://169.254.169.254/latest/meta-data/", "http://[::1]/x"]
)
def test_private_addresses_refused_by_default(url):
    check = run(url, allow_private=False)
    assert check.status == Status.SKIPPED
    assert "--allow-private" in check.reason


def test_redirect_into_private_address_is_refused(site):
    """A page must not bounce the checker into a cloud metadata endpoint: the guard
    runs on every hop, not just the first."""
    site.routes["/r"] = redirect("http://169.254.169.254/latest/meta-data/", 302)
    check = run(site.url("/r"), allow_private=False, allow_hosts=("127.0.0.1",))
    assert check.status == Status.SKIPPED
    assert "169.254.169.254" in check.reason
    assert check.chain and check.chain[0]["location"].startswith("http://169.254.169.254/")


def test_per_host_limit_holds(site):
    site.fallback = slow(0.2, html("Slow page"))
    urls = [site.url(f"/p/{i}") for i in range(10)]
    check_urls(urls, check_settings(per_host=2, concurrency=10, probe=False))
    assert site.max_active == 2


def test_global_limit_holds_even_with_spare_workers(site):
    """--concurrency counts requests in flight, not threads: the pool keeps spare workers
    to read pages already fetched, and they must not open extra connections."""
    site.fallback = slow(0.2, html("Slow page"))
    urls = [site.url(f"/p/{i}") for i in range(12)]
    results = check_urls(urls, check_settings(per_host=10, concurrency=3, probe=False))
    assert {r.check.status for r in results.values()} == {Status.LIVE}
    assert site.max_active == 3


def test_min_interval_spaces_requests(site):
    site.fallback = html("Page")
    urls = [site.url(f"/p/{i}") for i in range(4)]
    check_urls(urls, check_settings(per_host=1, min_interval=0.2, probe=False))
    times = sorted(t for _, p, t in site.log)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    # stamped when the server's thread gets to a request: one late stamp under load
    # shortens one gap and lengthens the next, so the span is the exact measure; no
    # spacing at all would put every gap near 0
    assert times[-1] - times[0] >= 3 * 0.2 * 0.95
    assert min(gaps) >= 0.1


def test_a_url_cited_twice_is_fetched_once(site):
    site.routes["/once"] = html("Once")
    results = check_urls([site.url("/once"), site.url("/once")], check_settings())
    assert len(results) == 1 and site.hits("/once") == 1


def test_user_agent_names_the_tool(site):
    seen = {}

    def route(req):
        seen["ua"] = req.headers.get("User-Agent")
        send(req, 200, "<title>x</title>" + "text " * 100)

    site.routes["/ua"] = route
    run(site.url("/ua"))
    assert seen["ua"].startswith("citewatch/") and "http" in seen["ua"]


def test_many_slow_urls_finish_in_parallel(site_factory):
    sites = [site_factory(f"127.0.0.{i}") for i in range(2, 6)]
    for s in sites:
        s.fallback = slow(0.3, html("Page"))
    urls = [s.url(f"/p/{i}") for s in sites for i in range(4)]
    t0 = time.monotonic()
    results = check_urls(urls, check_settings(per_host=2, concurrency=8, probe=False))
    assert {r.check.status for r in results.values()} == {Status.LIVE}
    # 16 requests x 0.3 s at concurrency 8 is 0.6 s; serial would be 4.8 s
    assert time.monotonic() - t0 < 3.0


def test_sibling_url_keeps_folder_and_extension():
    s = sibling_url("https://example.com/2020/05/story.html?x=1")
    assert s.startswith("https://example.com/2020/05/citewatch-") and s.endswith(".html")


def test_classify_without_network_for_error_fetch():
    from pipeline.model import Fetch

    c = classify(Fetch(url="http://x", error="timeout", error_reason="no answer", attempts=3))
    assert c.status == Status.TIMEOUT and "3 attempts" in c.reason


def test_a_fault_reading_one_page_costs_that_url_not_the_run(site, tmp_path, monkeypatch):
    from pipeline import check as check_module
    from pipeline.archive.history import History

    site.routes["/good"] = html("Good Page")
    site.routes["/odd"] = html("Odd Page")
    real = check_module.read_page

    def read_page(fetched, get_probe=None):
        if fetched.url.endswith("/odd"):
            raise ValueError("a page nobody foresaw")
        return real(fetched, get_probe)

    monkeypatch.setattr(check_module, "read_page", read_page)
    history = History(tmp_path)
    out = check_urls([site.url("/odd"), site.url("/good")], check_settings(), history)
    odd = out[site.url("/odd")].check
    assert odd.status == Status.ERROR
    assert odd.reason.startswith("internal error while checking (ValueError: a page nobody foresaw)")
    assert out[site.url("/good")].check.status == Status.LIVE
    assert history.checks(site.url("/odd")) == []  # not remembered: the next run tries again
    assert history.last(site.url("/good"))["status"] == "live"


@pytest.mark.parametrize("with_progress", [False, True])
def test_one_get_for_every_spelling_of_the_same_request(site, tmp_path, with_progress):
    # fragments never reach the server; "copy link to highlight" adds #:~:text=…
    from pipeline.archive.history import History

    site.routes["/a"] = html("A page")
    url = site.url("/a")
    spellings = [url, url + "#section-2", url + "#:~:text=the%20quote", url.replace("http://", "HTTP://"), f" {url} "]
    seen: list[str] = []
    history = History(tmp_path)
    progress = (lambda u, o: seen.append(u)) if with_progress else None
    out = check_urls(spellings, check_settings(), history, on_progress=progress)
    assert site.hits("/a") == 1
    assert [(out[s].check.url, out[s].check.status) for s in spellings] == [(s, Status.LIVE) for s in spellings]
    assert all(out[s].page.title == "A page" for s in spellings)
    if with_progress:
        assert sorted(seen) == sorted(spellings)  # every spelling is reported, once
    assert [c["status"] for c in history.checks(url)] == ["live"]  # kept under the first spelling


def test_interrupt_keeps_finished_checks(site, tmp_path):
    """Ctrl-C half way: what finished is in history; the next run resumes without
    fetching the finished URLs again."""
    from pipeline.archive.history import History

    paths = ["/fast"] + [f"/slow{i}" for i in range(1, 7)]
    site.routes["/fast"] = html("Fast")
    for p in paths[1:]:
        site.routes[p] = slow(0.3, html("Slow"))
    history = History(tmp_path)
    urls = [site.url(p) for p in paths]

    interrupted = {}

    def on_progress(url, outcome):
        if url.endswith("/fast"):
            interrupted["at"] = time.monotonic()
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        check_urls(urls, check_settings(concurrency=1, probe=False), history, on_progress=on_progress)
    assert history.last(site.url("/fast"))["status"] == "live"
    # nothing is sent after the interrupt (a request already on the wire may finish; it
    # reached the server within a few ms of the interrupt, the slow pages take 0.3 s)
    late = [p for _, p, t in site.log if t > interrupted["at"] + 0.05]
    assert late == [], late
    first = {p for p in paths if site.hits(p)}
    assert first != set(paths)  # the interrupt did stop the run short
    # a request on the wire at the interrupt is cut, not waited for: not finished, not
    # recorded (neither as live nor as a failure)
    finished = {p for p in paths if history.last(site.url(p))}
    assert "/fast" in finished and finished <= first
    assert all(history.last(site.url(p))["status"] == "live" for p in finished)
    again = check_urls(urls, check_settings(probe=False), history)
    for p in paths:  # what the first run finished is kept; the rest is checked now
        assert again[site.url(p)].check.status == (Status.SKIPPED if p in finished else Status.LIVE), p
    assert all(site.hits(p) == 1 for p in finished)  # nothing finished is fetched twice


@pytest.mark.parametrize("way", ["no-answer-yet", "body-until-close"])
def test_ctrl_c_cuts_the_requests_on_the_wire_and_records_none_of_them(site, tmp_path, way):
    """Ctrl-C while a request waits for its answer (or reads a body that ends only when the
    server closes the connection): the run ends at once, not at the request's 20 s
    deadline, and the cut request is not recorded, neither as a timeout nor as live."""
    from pipeline.archive.history import History

    site.routes["/fast"] = html("Fast")
    site.routes["/slow"] = hang(site) if way == "no-answer-yet" else drip(site, every=0.2, close=True)
    history = History(tmp_path)

    def on_progress(url, outcome):
        if url.endswith("/fast"):
            deadline = time.monotonic() + 3
            while not site.hits("/slow") and time.monotonic() < deadline:
                time.sleep(0.02)
            time.sleep(0.3)  # on the wire (and, dripping, into its body)
            raise KeyboardInterrupt

    settings = check_settings(concurrency=4, probe=False, timeout=20, read_timeout=20, retries=0)
    started = time.monotonic()
    with pytest.raises(KeyboardInterrupt):
        check_urls([site.url("/fast"), site.url("/slow")], settings, history, on_progress=on_progress)
    assert time.monotonic() - started < 8
    assert site.hits("/slow") == 1
    assert history.last(site.url("/fast"))["status"] == "live"
    assert history.last(site.url("/slow")) is None


def test_429_slows_the_whole_host_down(site):
    """After a 429 the host's requests are spaced out (adaptive), not only the one retried."""
    state = {"n": 0}

    def route(req):
        state["n"] += 1
        if state["n"] == 1:
            send(req, 429, "slow down")
        else:
            send(req, 200, "<title>ok</title>" + "text " * 100)

    site.fallback = route
    urls = [site.url(f"/p/{i}") for i in range(4)]
    check_urls(urls, check_settings(per_host=1, concurrency=4, probe=False, timeout=6, backoff=0.01))
    times = sorted(t for _, _, t in site.log)
    gaps = [b - a for a, b in zip(times, times[1:], strict=False)]
    assert len(times) == 5 and min(gaps[1:]) >= 0.9, gaps  # 1 s apart after the 429


def test_retry_after_http_date():
    import datetime as dt

    from pipeline.fetch import parse_retry_after

    now = dt.datetime(2026, 1, 1, 12, 0, 0, tzinfo=dt.UTC)
    assert parse_retry_after("Thu, 01 Jan 2026 12:00:30 GMT", now) == 30
    assert parse_retry_after("120") == 120
    assert parse_retry_after("soon") is None


def test_reset_connection_is_retried_then_unreachable(site):
    """A server that slams the door: retried (resets are worth it), then unreachable."""
    import socket as _socket
    import struct

    def route(req):
        req.connection.setsockopt(_socket.SOL_SOCKET, _socket.SO_LINGER, struct.pack("ii", 1, 0))
        req.close_connection = True
        raise ConnectionResetError  # ends the handler unanswered; linger 0 makes the close an RST

    site.routes["/rst"] = route
    check = run(site.url("/rst"), retries=2)
    # the RST can reach the client as a reset or as an end of stream with no answer
    assert check.status == Status.UNREACHABLE
    assert "reset by the server" in check.reason or "closed the connection without answering" in check.reason
    assert site.hits("/rst") == 3


def test_connection_goes_to_the_vetted_address(site):
    """The guard's answer is the address connected to (no second DNS lookup that could be
    rebound): a name only --resolve knows still reaches the test server."""
    site.routes["/pinned"] = html("Pinned page")
    url = f"http://news.example.test:{site.port}/pinned"
    check = run(
        url, allow_private=False, allow_hosts=("news.example.test",), resolve={"news.example.test": "127.0.0.1"}
    )
    assert check.status == Status.LIVE, check.reason
    # and without the exemption the vetted address is refused before connecting
    refused = run(url, allow_private=False, resolve={"news.example.test": "127.0.0.1"})
    assert refused.status == Status.SKIPPED and "127.0.0.1" in refused.reason
    assert site.hits("/pinned") == 1


@pytest.mark.parametrize(
    "title",
    [
        "Missing plane not found after two-year search",
        "Evidence of spying does not exist, says minister",
        "Why the 404 bus no longer exists in our town, and what replaced it",
        # short headlines: the rule was "six words or fewer" and took these for error pages
        "Not Found Footage Festival returns",
        "Missing plane not found",
        "Police could not find the suspect",
        "404 Not Found: Why broken links matter | Wired",
    ],
)
def test_headline_mentioning_not_found_is_live(site, title):
    site.routes["/story"] = html(title)
    assert run(site.url("/story")).status == Status.LIVE


@pytest.mark.parametrize("status,action", [(202, "challenge"), (405, "captcha")])
def test_aws_waf_challenge_is_blocked_not_live_or_dead(site, status, action):
    # AWS's documented shapes: 202 + x-amzn-waf-action: challenge, 405 + ...: captcha
    interstitial = "<html><head><script src='/challenge.js'></script></head><body></body></html>"
    site.routes["/p"] = html("x", status=status, headers={"x-amzn-waf-action": action}, body=interstitial)
    check = run(site.url("/p"))
    assert check.status == Status.BLOCKED
    assert check.reason == f"AWS WAF {action} (HTTP {status})"


def test_comment_form_captcha_on_a_full_article_is_live(site):
    article = "<p>" + "Real reporting about the subject at hand. " * 60 + "</p>"
    site.routes["/a"] = lambda req: send(
        req,
        200,
        f"<html><head><title>Story</title></head><body>{article}<form><div class='g-recaptcha'></div></form></body></html>",
    )
    assert run(site.url("/a")).status == Status.LIVE


def test_bare_captcha_page_is_blocked(site):
    site.routes["/c"] = lambda req: send(
        req, 200, "<html><body><h2>Please verify you are human</h2><div class='g-recaptcha'></div></body></html>"
    )
    check = run(site.url("/c"))
    assert check.status == Status.BLOCKED and "captcha" in check.reason


@pytest.mark.parametrize(
    "wall",
    ["/login?next=/premium/story", "/authwall?trk=public_post&sessionRedirect=x", "/accounts/login/", "/i/flow/login"],
    ids=["login", "linkedin-authwall", "instagram", "x"],
)
def test_redirect_to_sign_in_is_blocked_not_redirected(site, wall):
    site.routes["/premium/story"] = redirect(wall, 302)
    site.routes[wall.split("?")[0]] = html("Sign in to continue")
    check = run(site.url("/premium/story"))
    assert check.status == Status.BLOCKED and "sign-in" in check.reason


def test_a_wayback_copy_redirected_to_its_nearest_capture_is_live(site):
    """The Wayback Machine sends a cited timestamp on to the capture nearest it."""
    cited = "/web/20200105123000/https://example.com/deleted-post"
    site.routes[cited] = redirect("/web/20200105123512/https://example.com/deleted-post", 302)
    site.routes["/web/20200105123512/https://example.com/deleted-post"] = html("A deleted post")
    site.routes["/web/20200105123000/https://example.com/other-post"] = redirect(
        "/web/20200105123512/https://example.com/a-different-post", 302
    )
    site.routes["/web/20200105123512/https://example.com/a-different-post"] = html("Another post")
    resolve = {"web.archive.org": "127.0.0.1"}
    same = run(f"http://web.archive.org:{site.port}{cited}", resolve=resolve)
    assert same.status == Status.LIVE, same.reason
    elsewhere = run(
        f"http://web.archive.org:{site.port}/web/20200105123000/https://example.com/other-post", resolve=resolve
    )
    assert elsewhere.status == Status.REDIRECTED


def test_linkedin_999_is_blocked_not_dead(site):
    site.routes["/posts/ceo-statement"] = html("Request denied", status=999)
    check = run(site.url("/posts/ceo-statement"))
    assert check.status == Status.BLOCKED and "refuses automated requests" in check.reason


@pytest.mark.parametrize("host", ["consent.youtube.com", "guce.yahoo.com"])
def test_redirect_to_a_cookie_consent_page_is_blocked(site, host):
    consent = f"http://{host}:{site.port}/v2/collectConsent?sessionId=3_cc-session"
    site.routes["/news/story.html"] = redirect(consent, 302)
    site.routes["/v2/collectConsent"] = html("Before you continue", body="<p>We use cookies and data to</p>")
    check = run(site.url("/news/story.html"), resolve={host: "127.0.0.1"})
    assert check.status == Status.BLOCKED and f"cookie-consent page ({host})" in check.reason


# The reference for liveness._Blocks: a block runs to the first closing tag of its kind
# (runs of non-"<" taken whole, possessive: fast enough to be the tests' oracle on real pages)
_SCRIPTS = re.compile(r"<(script|style|noscript|template)\b[^<]*+(?:<(?!/\1>)[^<]*+)*+</\1>", re.I | re.A)


def test_script_blocks_end_where_a_lazy_match_would_end_them():
    """The block pattern is written for speed (runs of non-"<" taken whole, possessive);
    it must remove exactly what the plain reading does: from an opener to the first
    closing tag of its kind, case-insensitively, and nothing when there is none."""
    import random

    plain = re.compile(r"<(script|style|noscript|template)\b.*?</\1>", re.I | re.S)
    tokens = ["<script>", "</script>", "<SCRIPT type=x>", "</Script>", "<style>", "</style>", "</style >",
              "<noscript>", "</noscript>", "<template>", "</TEMPLATE>", "<scripts>", "</scripts>", "<", ">",
              "</", "a", "b<c", "\n", "<p>", "</p>", "<script", "</script", "script>", "<styleX>", "<style\n>"]  # fmt: skip
    rnd = random.Random(1)
    for _ in range(20000):
        text = "".join(rnd.choice(tokens) for _ in range(rnd.randint(1, 12)))
        assert [m.span() for m in _SCRIPTS.finditer(text)] == [m.span() for m in plain.finditer(text)], text


def test_visible_sample_in_pieces_equals_the_whole_page_on_random_markup():
    """Cuts that land inside openers, closers, near-miss names and stray brackets, mixed at
    random: the piecewise sample must still equal cleaning the whole page and cutting."""
    import random

    from pipeline.liveness import _clean, visible_sample

    tokens = ["<script>", "</script>", "<SCRIPT a=1>", "</Script>", "<style>", "</style>", "<p>", "</p>",
              "<", ">", "word ", "  ", "\n", "<noscript>", "</noscript>", "<template>", "</template>",
              "<scriptx>", "</scrip", "t>", "<a href='x'>", "text more "]  # fmt: skip
    rnd = random.Random(3)
    for _ in range(1000):
        page = "".join(rnd.choice(tokens) for _ in range(rnd.randint(1, 40)))
        for limit in (5, 40, 5000):
            whole = _clean(_SCRIPTS.sub(" ", page))[:limit]
            for piece in (1, 3, 8, 50):
                assert visible_sample(page, limit, piece) == whole, (page, limit, piece)


def test_visible_sample_read_in_pieces_equals_the_whole_page():
    """The visible-text sample stops early on big pages; cut anywhere (inside a tag, a
    script that contains '<p>', an unclosed block), it must equal cleaning everything."""
    from pipeline.liveness import _clean, visible_sample

    from .conftest import FIXTURES

    pages = [p.read_text(encoding="utf-8") for p in sorted((FIXTURES / "pages").glob("*.html"))]
    pages += [
        "<html><head><title>T</title><script>var a='<p>'; if (a<b) {}</script><style>p{}</style></head>"
        "<body><h1>Head</h1>"
        + "<nav><a href='/x'>X</a></nav><p>Officials said talks go on.</p>" * 400
        + "<noscript>no js</noscript><p>Tail</p></body></html>",
        "<p>" + "word " * 3000 + "</p><SCRIPT>x</SCRIPT><p>more</p>",
        "<div>unclosed <script>never closed " + "x" * 100,
    ]
    for page in pages:
        for limit in (10, 1500, 5000):
            whole = _clean(_SCRIPTS.sub(" ", page))[:limit]
            for piece in (1, 7, 64, 16384):
                assert visible_sample(page, limit, piece) == whole, (page[:40], limit, piece)


@pytest.mark.parametrize(
    "url",
    [
        "https://www.bbc.com/news/world-59400735",
        "https://x.org/a?b=1&c=%20d",
        "https://x.org:8443/a",
        "https://x.org",
        "https://x.org/a#f",
        "HTTP://x.org/a",
        "https://X.org/a",
        "https://x.org/a b",
        "https://x.org/é",
        'https://x.org/a?q="x"',
        "https://x.org/a|b",
        "https://x.org/[1]",
        "https://xn--fsq.com/a",
    ],
)
def test_request_key_shortcut_agrees_with_to_uri(url):
    from pipeline.check import _REQUEST_FORM, _request_key

    assert _request_key(url) == to_uri(url)
    if _REQUEST_FORM.fullmatch(url):
        assert to_uri(url) == url


GODADDY_LANDER = (
    "<!DOCTYPE html><html><head><title>reporter-news.com</title>"
    '<script src="https://img1.wsimg.com/parking-lander/static/js/main.6b7d2a.js"></script>'
    '</head><body><div id="root"></div></body></html>'
)
SEDO_PAGE = (
    "<html><head><title>reporter-news.com - This website is for sale! - Reporter News Resources and Information.</title>"
    '<script src="https://img.sedoparking.com/jspartner/caf.js"></script></head>'
    "<body><p>The domain reporter-news.com may be for sale. Click here to inquire about this domain.</p>"
    "<p>Related Searches: News Today · Breaking News · World News</p></body></html>"
)
FOR_SALE_PAGE = page_html("reporter-news.com", "<h1>This domain is for sale!</h1><p>Make an offer today.</p>")
NGINX_DEFAULT = page_html(
    "Welcome to nginx!",
    "<h1>Welcome to nginx!</h1><p>If you see this page, the nginx web server is successfully installed and"
    " working. Further configuration is required.</p>",
)
SUSPENDED = page_html("Account Suspended", "<h1>This Account has been suspended.</h1>")


@pytest.mark.parametrize(
    "routes,reason",
    [
        ({"/2019/story": redirect("/lander", 302), "/lander": html("x")}, "registrar's landing page"),
        ({"/2019/story": lambda req: send(req, 200, GODADDY_LANDER)}, "parking-lander"),
        ({"/2019/story": lambda req: send(req, 200, SEDO_PAGE)}, "parked or for sale"),
        ({"/2019/story": lambda req: send(req, 200, FOR_SALE_PAGE)}, "parked or for sale"),
        ({"/2019/story": lambda req: send(req, 200, NGINX_DEFAULT)}, "placeholder page instead (“Welcome to nginx!”)"),
        ({"/2019/story": lambda req: send(req, 200, SUSPENDED)}, "placeholder page instead (“Account Suspended”)"),
    ],
    ids=["godaddy-lander", "godaddy-script", "sedo", "for-sale", "nginx-default", "suspended"],
)
def test_a_lapsed_domain_is_not_live(site, routes, reason):
    """The site the footnote cited is gone and the domain shows ads, a price or a server's
    placeholder, usually with 200 OK."""
    site.routes.update(routes)
    check = run(site.url("/2019/story"))
    assert check.status == Status.SOFT_404, check.reason
    assert reason in check.reason


def test_a_redirect_to_a_domain_marketplace_is_a_lapsed_domain(site):
    market = f"http://www.hugedomains.com:{site.port}/domain_profile.cfm?d=reporter-news.com"
    site.routes["/2019/story"] = redirect(market, 302)
    site.routes["/domain_profile.cfm"] = html("Reporter-news.com is for sale | HugeDomains", body="<p>" + "x " * 2000)
    check = run(site.url("/2019/story"), resolve={"www.hugedomains.com": "127.0.0.1"})
    assert check.status == Status.SOFT_404
    assert check.reason == "the domain is parked or for sale (sent to www.hugedomains.com)"


@pytest.mark.parametrize(
    "title,body",
    [
        ("The quiet business of parked domains", "Domain investors told us that buy this domain pages earn little. "),
        ("Vaccine trial: it works", "<h1>It works!</h1>" + "The trial met its goal, researchers said. "),
    ],
    ids=["about-domain-sales", "headline-it-works"],
)
def test_articles_that_only_sound_like_a_lapsed_domain_are_live(site, title, body):
    site.routes["/2019/story"] = html(title, body="<p>" + body * 40 + "</p>")
    assert run(site.url("/2019/story")).status == Status.LIVE
