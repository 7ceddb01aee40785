"""Bot walls, one case per row of the signature table, each built from the shape the
service sends (its documentation where it has any, else the page as widely captured),
and the ordinary pages of those services' customers that must stay live."""

from __future__ import annotations

import pytest

from pipeline import walls
from pipeline.check import check_run
from pipeline.liveness import classify
from pipeline.model import Fetch, Status

from .conftest import check_settings
from .servers import page, send

ARTICLE = page("Council approves the budget")  # a full page: ~700 characters of text


def answer(status: int, body: str = "", **headers: str) -> Fetch:
    return Fetch(
        url="https://news.example.com/2024/05/story",
        final_url="https://news.example.com/2024/05/story",
        http_status=status,
        headers={"content-type": "text/html; charset=utf-8", **{k.replace("_", "-"): v for k, v in headers.items()}},
        body=body.encode(),
    )


CF_LEGACY = (
    "<!DOCTYPE HTML><html><head><title>example.com</title></head><body>"
    "<h1><span data-translate='checking_browser'>Checking your browser before accessing</span> example.com.</h1>"
    "<form id='challenge-form' action='/?__cf_chl_jschl_tk__=abc' method='POST'>"
    "<input type='hidden' name='jschl_vc' value='1b2c'/><input type='hidden' name='pass' value='1'/>"
    "<input type='hidden' id='jschl-answer' name='jschl_answer'/></form></body></html>"
)
CF_MANAGED = (
    "<!DOCTYPE html><html><head><title>Just a moment...</title></head><body><noscript>Enable JavaScript"
    "</noscript><script src='/cdn-cgi/challenge-platform/h/g/orchestrate/managed/v1?ray=7d1f'></script></body></html>"
)
CF_BFM = (
    "<html><head></head><body><script>(function(){window['__CF$cv$params']={r:'7d1f',m:'x'};})();</script>"
    "<script src='/cdn-cgi/bm/cv/669835187/api.js'></script></body></html>"
)
CF_1020 = (
    "<!DOCTYPE html><html><head><title>Access denied | news.example.com used Cloudflare to restrict access</title>"
    "</head><body><div id='cf-error-details'><h1>Access denied</h1><span>Error code 1020</span></div></body></html>"
)
CF_522 = (
    "<!DOCTYPE html><html><head><title>news.example.com | 522: Connection timed out</title></head>"
    "<body><div id='cf-error-details'><h1>Connection timed out</h1><span>Error code 522</span></div></body></html>"
)
INCAPSULA_200 = (
    "<html><head><META NAME='robots' CONTENT='noindex,nofollow'>"
    "<script src='/_Incapsula_Resource?SWJIYLWA=5074a744e2e3d891814e9a2dace20bd4,719d34d31c8e'></script>"
    "<body></body></html>"
)
INCAPSULA_INCIDENT = (
    "<html style='height:100%'><head><META NAME='ROBOTS' CONTENT='NOINDEX, NOFOLLOW'></head><body>"
    "<iframe id='main-iframe' src='/_Incapsula_Resource?CWUDNSAI=9&xinfo=1-2-0'>Request unsuccessful. "
    "Incapsula incident ID: 1234000560123456789-12345678901234567</iframe></body></html>"
)
AKAMAI = (
    "<HTML><HEAD>\n<TITLE>Access Denied</TITLE>\n</HEAD><BODY>\n<H1>Access Denied</H1>\n \n"
    'You don\'t have permission to access "http&#58;&#47;&#47;news&#46;example&#46;com&#47;" on this server.<P>\n'
    "Reference&#32;&#35;18&#46;2f3c1002&#46;1700000000&#46;1a2b3c\n</BODY>\n</HTML>"
)
AKAMAI_EDGESUITE = AKAMAI.replace("</BODY>", "<P>https&#58;&#47;&#47;errors&#46;edgesuite&#46;net</BODY>").replace(
    "Access Denied", "Forbidden"
)
PERIMETERX = (
    "<html lang='en'><head><title>Access to this page has been denied</title></head><body>"
    "<div id='px-captcha'></div><script>window._pxAppId = 'PXabc123';</script></body></html>"
)
DATADOME = (
    "<html><head><title>news.example.com</title></head><body>"
    "<script>var dd={'rt':'c','cid':'AHrlqAAA','hsh':'2211F5','t':'fe','host':'geo.captcha-delivery.com'}</script>"
    "<script src='https://ct.captcha-delivery.com/c.js'></script></body></html>"
)
SUCURI = (
    "<!DOCTYPE html><html><head><title>Sucuri WebSite Firewall - Access Denied</title></head><body>"
    "<h2>Access Denied - Sucuri Website Firewall</h2>"
    "<a href='https://sucuri.net/privacy-policy'>Privacy</a></body></html>"
)
KASADA = (
    "<html><head></head><body><script>window.KPSDK={};KPSDK.now=Date.now();</script>"
    "<script src='/149e9513-01fa-4fb0-aad4-566afd725d1b/2d206a39-8ed7-437e-a3be-862e0f06eea3/ips.js?tkrm_alpekz_s1.3=0'>"
    "</script></body></html>"
)
DDOS_GUARD = "<html><head><title>DDoS-Guard</title></head><body>Checking your browser… DDoS protection by DDoS-Guard</body></html>"
WAIT_5 = (
    "<html><head><title>Please wait</title></head><body>Please wait 5 seconds while we check your browser</body></html>"
)


WALLS = {
    # id: (fetch, the reason's start)
    "cloudflare-cf-mitigated": (
        answer(403, CF_MANAGED, cf_mitigated="challenge"),
        "Cloudflare challenge (cf-mitigated)",
    ),
    "cloudflare-cf-mitigated-on-200": (answer(200, ARTICLE, cf_mitigated="challenge"), "Cloudflare challenge"),
    "cloudflare-legacy-js-503": (
        answer(503, CF_LEGACY, server="cloudflare", cf_ray="7d1f-LHR"),
        "Cloudflare challenge",
    ),
    "cloudflare-managed-403": (answer(403, CF_MANAGED, server="cloudflare"), "Cloudflare challenge"),
    "cloudflare-captcha": (
        answer(403, "<title>Attention Required! | Cloudflare</title><div class='cf-captcha-container'></div>"),
        "Cloudflare challenge",
    ),
    "cloudflare-bot-fight-mode": (answer(503, CF_BFM, server="cloudflare"), "Cloudflare Bot Fight Mode"),
    "cloudflare-1020": (answer(403, CF_1020, server="cloudflare"), "Cloudflare firewall"),
    "incapsula-200-resource": (
        answer(200, INCAPSULA_200, x_iinfo="9-123-0 0NNN RT(1 2) q(0 -1 -1 -1) r(0 -1)"),
        "Imperva",
    ),
    "incapsula-incident": (answer(200, INCAPSULA_INCIDENT), "Imperva"),
    "incapsula-x-iinfo-403": (answer(403, "", x_iinfo="9-123-0 0NNN"), "Imperva"),
    "incapsula-cookie-403": (answer(403, "", set_cookie="visid_incap_2222=abc; path=/; HttpOnly"), "Imperva"),
    "akamai-ghost-403": (answer(403, AKAMAI, server="AkamaiGHost"), "Akamai Access Denied"),
    "akamai-reference": (answer(403, AKAMAI), "Akamai Access Denied"),
    "akamai-edgesuite": (answer(403, AKAMAI_EDGESUITE), "Akamai Access Denied"),
    "perimeterx": (answer(403, PERIMETERX), "PerimeterX"),
    "datadome-header": (answer(403, "", x_datadome="protected"), "DataDome"),
    "datadome-x-dd-b": (answer(403, "", x_dd_b="1"), "DataDome"),
    "datadome-captcha": (answer(403, DATADOME), "DataDome"),
    "sucuri-page": (answer(403, SUCURI), "Sucuri firewall"),
    "sucuri-header": (answer(403, "", x_sucuri_id="11005"), "Sucuri firewall"),
    "aws-waf-challenge": (answer(202, "", x_amzn_waf_action="challenge"), "AWS WAF challenge"),
    "aws-waf-captcha": (answer(405, "", x_amzn_waf_action="captcha"), "AWS WAF captcha"),
    "kasada-header": (answer(429, "", x_kpsdk_ct="0abc", x_kpsdk_r="1-AA"), "Kasada"),
    "kasada-ips": (answer(429, KASADA), "Kasada"),
    "ddos-guard-server": (answer(403, "", server="ddos-guard"), "DDoS-protection"),
    "ddos-guard-page": (answer(200, DDOS_GUARD), "DDoS-protection"),
    "please-wait-5-seconds": (answer(503, WAIT_5), "DDoS-protection"),
    "ddos-guard-checking-your-browser": (
        answer(503, "<title>DDoS-Guard</title>Checking your browser before accessing. DDoS protection by DDoS-Guard"),
        "DDoS-protection",
    ),
    "captcha-page": (
        answer(200, "<h2>Please verify you are human</h2><div class='g-recaptcha'></div>"),
        "captcha page",
    ),
}


@pytest.mark.parametrize("case", WALLS, ids=list(WALLS))
def test_a_wall_is_blocked_whatever_its_status(case):
    fetch, reason = WALLS[case]
    check = classify(fetch)
    assert check.status == Status.BLOCKED, check.reason
    assert check.reason.startswith(reason) and f"(HTTP {fetch.http_status})" in check.reason


def test_every_signature_has_a_case_of_its_own():
    """A row of the table that no case reaches first is untested (or shadowed)."""
    reached = set()
    for fetch, _ in WALLS.values():
        low = fetch.body.lower()
        for i, signature in enumerate(walls.SIGNATURES):
            if signature.matches(fetch.http_status, fetch.headers, low, thin=True):
                reached.add(i)
                break
    missing = [walls.SIGNATURES[i] for i in range(len(walls.SIGNATURES)) if i not in reached]
    assert not missing


SERVED_BY_THE_VENDOR = {
    "cloudflare": answer(200, ARTICLE, server="cloudflare", cf_ray="7d1f-LHR", cf_cache_status="HIT"),
    "incapsula": answer(200, ARTICLE, x_iinfo="9-123-0 0NNN", set_cookie="visid_incap_2222=abc; incap_ses_1=x"),
    "akamai": answer(200, ARTICLE, server="AkamaiGHost"),
    "sucuri": answer(200, ARTICLE, x_sucuri_id="11005", x_sucuri_cache="HIT", server="Sucuri/Cloudproxy"),
    "datadome": answer(200, ARTICLE, x_datadome="protected", x_datadome_cid="AHrlqAAA"),
    "ddos-guard": answer(200, ARTICLE, server="ddos-guard"),
}


@pytest.mark.parametrize("vendor", SERVED_BY_THE_VENDOR)
def test_an_ordinary_page_served_by_a_protection_vendor_is_live(vendor):
    check = classify(SERVED_BY_THE_VENDOR[vendor])
    assert check.status == Status.LIVE, check.reason


@pytest.mark.parametrize(
    "fetch,status",
    [
        (answer(522, CF_522, server="cloudflare"), Status.DEAD),  # the origin is down: not a wall
        (
            answer(404, ARTICLE.replace("Council approves the budget", "Page not found"), server="AkamaiGHost"),
            Status.DEAD,
        ),
        (answer(403, "<h1>Forbidden</h1>", server="cloudflare"), Status.BLOCKED),  # a plain 403: blocked by status
    ],
    ids=["cloudflare-522", "akamai-404", "cloudflare-plain-403"],
)
def test_vendor_error_pages_that_are_not_walls(fetch, status):
    check = classify(fetch)
    assert check.status == status and "Cloudflare" not in check.reason and "Akamai" not in check.reason


def test_a_429_wall_is_neither_retried_nor_a_reason_to_slow_the_host(site):
    """Kasada answers its challenge with 429: a wall, not a host out of breath."""
    site.routes["/k"] = lambda req: send(req, 429, KASADA, {"x-kpsdk-ct": "0abc"})
    site.fallback = lambda req: send(req, 200, ARTICLE)
    urls = [site.url("/k"), site.url("/a"), site.url("/b")]
    run = check_run(urls, check_settings(per_host=1, probe=False, timeout=2.0))
    assert run.outcomes[urls[0]].check.status == Status.BLOCKED
    assert site.hits("/k") == 1 and run.slowdowns == []
    assert {run.outcomes[u].check.status for u in urls[1:]} == {Status.LIVE}
