"""Bot walls: the challenge and block pages of bot-protection services, as one table.

A wall is not the cited page and not evidence that the page is gone: whatever status
it answers with (200, 403, 405, 429, 503), the check says ``blocked``, and a wall never
makes the scheduler slow the host down as if it were overloaded.

Each row is the documented (or, where vendors document nothing, the widely observed)
shape of one service's wall: the conditions given in a row must all hold. Being served
by a vendor is not a wall: Cloudflare's ``server``/``cf-ray``, Akamai's ``AkamaiGHost``,
Imperva's ``x-iinfo`` and ``visid_incap_`` cookie and Sucuri's ``x-sucuri-id`` ride on
every ordinary page of their customers, so they count only together with a block status
or a wall's own page. Body markers count on a 200 only when the page has little visible
text (``THIN``): vendors' scripts and captcha widgets sit on full articles too.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

THIN = 1500  # visible characters: a 200 with more is a page, whatever scripts it carries


# Markers are looked for in the lower-cased page: a literal by substring search, a
# pattern only in a small window around each occurrence of its literal anchor. A
# case-insensitive alternation over the whole page is tried at every byte: it cost
# ~50 ms of CPU per 250 KB page, under the GIL, for every page of a run.
@dataclass(frozen=True)
class Marker:
    anchor: Any  # str or bytes, lower-case
    pattern: re.Pattern | None = None  # must match inside [anchor - before, anchor end + after]
    before: int = 0
    after: int = 0


def marked(low: Any, markers: tuple[Marker, ...]) -> bool:
    for m in markers:
        if m.pattern is None:
            if m.anchor in low:
                return True
            continue
        i = low.find(m.anchor)
        while i != -1:
            if m.pattern.search(low, max(0, i - m.before), i + len(m.anchor) + m.after):
                return True
            i = low.find(m.anchor, i + 1)
    return False


def _any(*anchors: bytes) -> tuple[Marker, ...]:
    return tuple(Marker(a) for a in anchors)


@dataclass(frozen=True)
class Signature:
    """One way a service's wall shows itself; every condition given must hold."""

    vendor: str  # the reason shown to the reader
    statuses: frozenset[int] = frozenset()  # empty: any status
    header: str | None = None  # a response header's name (lower case) …
    header_value: str | None = None  # … containing this (lower case); None: present at all
    cookie: str | None = None  # a Set-Cookie name starting with this
    body: tuple[Marker, ...] = ()  # any one of these in the page

    def matches(self, status: int, headers: dict[str, str], low_body: bytes, thin: bool) -> bool:
        if self.statuses and status not in self.statuses:
            return False
        if self.header is not None:
            value = headers.get(self.header)
            if value is None or (self.header_value is not None and self.header_value not in value.lower()):
                return False
        if self.cookie is not None and self.cookie not in headers.get("set-cookie", "").lower():
            return False
        if self.body:
            return (status != 200 or thin) and marked(low_body, self.body)
        return True


_BLOCK = frozenset({403})
CLOUDFLARE = "Cloudflare challenge"
SIGNATURES: tuple[Signature, ...] = (
    # Cloudflare: challenge responses carry cf-mitigated (developers.cloudflare.com,
    # "Challenge detection"); the interstitial, legacy or managed, its page markers
    Signature(CLOUDFLARE + " (cf-mitigated)", header="cf-mitigated", header_value="challenge"),
    Signature(
        "Cloudflare Bot Fight Mode",
        statuses=frozenset({403, 503}),
        body=(Marker(b"/cdn-cgi/bm/cv/"), Marker(b"__cf$cv$params")),
    ),
    # DDoS-Guard's interstitial says "Checking your browser before accessing" too: named
    # by its own name before Cloudflare's markers are read
    Signature("DDoS-protection interstitial", body=(Marker(b"ddos-guard"),)),
    Signature(
        CLOUDFLARE,
        body=_any(
            b"cf-chl",
            b"challenge-platform",
            b"just a moment...",
            b"cf_chl_opt",
            b"jschl_vc",
            b"jschl-answer",
            b"checking your browser before accessing",
            b"attention required! | cloudflare",
        ),
    ),
    # a firewall rule's "Access denied" (error 1020 and kin); not the 52x origin errors,
    # which share the page but say the site is down
    Signature(
        "Cloudflare firewall",
        statuses=_BLOCK,
        header="server",
        header_value="cloudflare",
        body=_any(b"cf-error-details", b"error code: 10"),
    ),
    # Imperva Incapsula: often HTTP 200, a near-empty page framing /_Incapsula_Resource
    Signature("Imperva/Incapsula bot protection", body=_any(b"incapsula incident id", b"_incapsula_resource")),
    Signature("Imperva/Incapsula bot protection", statuses=_BLOCK, header="x-iinfo"),
    Signature("Imperva/Incapsula bot protection", statuses=_BLOCK, cookie="visid_incap_"),
    # Akamai: "Access Denied … Reference #18.…" from AkamaiGHost; the page writes its
    # punctuation as entities (Reference&#32;&#35;18&#46;…, errors&#46;edgesuite&#46;net)
    Signature("Akamai Access Denied", statuses=_BLOCK, header="server", header_value="akamaighost"),
    Signature(
        "Akamai Access Denied",
        body=(
            Marker(b"errors.edgesuite.net"),
            Marker(b"errors&#46;edgesuite&#46;net"),
            Marker(
                b"access denied", re.compile(rb"access denied.{0,400}reference(?: |&#32;)(?:#|&#35;)", re.S), after=425
            ),
        ),
    ),
    # PerimeterX / HUMAN
    Signature(
        "PerimeterX bot protection",
        body=_any(
            b"px-captcha",
            b"_pxappid",
            b"perimeterx",
            b"press &amp; hold",
            b"press & hold",
            b"access to this page has been denied",
        ),
    ),
    # DataDome: its header is on the block (403) answer; the captcha comes from captcha-delivery.com
    Signature("DataDome bot protection", statuses=frozenset({403, 405, 429}), header="x-datadome"),
    Signature("DataDome bot protection", statuses=frozenset({403, 405, 429}), header="x-dd-b"),
    Signature("DataDome bot protection", body=_any(b"captcha-delivery.com", b"datadome")),
    # Sucuri: its block page, or its header on a block answer
    Signature("Sucuri firewall", body=_any(b"sucuri website firewall - access denied", b"sucuri.net/privacy-policy")),
    Signature("Sucuri firewall", statuses=_BLOCK, header="x-sucuri-id"),
    # AWS WAF: 202 + x-amzn-waf-action: challenge, 405 + x-amzn-waf-action: captcha
    Signature("AWS WAF challenge", header="x-amzn-waf-action", header_value="challenge"),
    Signature("AWS WAF captcha", header="x-amzn-waf-action", header_value="captcha"),
    # Kasada: a 429 carrying its x-kpsdk-* headers and its ips.js loader
    Signature("Kasada bot protection", statuses=frozenset({429}), header="x-kpsdk-ct"),
    Signature("Kasada bot protection", statuses=frozenset({429}), body=_any(b"kpsdk", b"/ips.js")),
    # DDoS-Guard and the generic "please wait 5 seconds" interstitials
    Signature("DDoS-protection interstitial", statuses=_BLOCK | {503}, header="server", header_value="ddos-guard"),
    Signature(
        "DDoS-protection interstitial",
        body=(
            Marker(b"ddos protection by"),
            Marker(b"ddos-guard"),
            Marker(b"5 seconds", re.compile(rb"(?:please )?wait (?:for )?5 seconds"), before=20),
        ),
    ),
    Signature(
        "captcha page",
        body=(
            *_any(
                b"g-recaptcha", b"h-captcha", b"hcaptcha.com", b"are you a robot", b"unusual traffic from your computer"
            ),
            Marker(b"human", re.compile(rb"verify (?:that )?you are (?:a )?human"), before=25),
        ),
    ),
)


def wall(status: int, headers: dict[str, str], body: bytes, visible_chars: int) -> str | None:
    """The service whose wall this answer is, or None. ``headers``: lower-case names;
    ``visible_chars``: how much text the page shows (only a 200's is looked at)."""
    low = body[:200_000].lower()
    thin = visible_chars <= THIN
    for signature in SIGNATURES:
        if signature.matches(status, headers, low, thin):
            return signature.vendor
    return None
