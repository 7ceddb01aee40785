"""Fetch → LinkCheck: say whether a cited page is still there, and if not, how.

Order matters: bot walls are recognised before status codes (a Cloudflare
challenge answers 403 or 503 and must not read as "dead"); soft-404 signals
are checked before "redirected" (a redirect to the home page is a dead link
dressed up as a live one). Each rule gives a short reason a person can act on.
"""

from __future__ import annotations

import bisect
import datetime as dt
import re
import secrets
from http import HTTPStatus
from urllib.parse import parse_qsl, urlsplit, urlunsplit

from rapidfuzz import fuzz

from .archive.copies import WAYBACK_COPY
from .decode import decode_body
from .model import Cause, Fetch, FetchError, LinkCheck, Status
from .redirects import parse_retry_after, to_uri
from .walls import THIN, Marker, wall
from .walls import marked as _marked
from .wording import plural

# An opening tag, and its closing tag looked for once after it (``_element_text``): with the
# lazy ``(.*?)</h1>`` in one pattern, a page of 15,000 unclosed <h1> scanned on to its end
# from each one (4 s for 63 KB). Tag patterns are run only up to the text's last ">": a
# "<" after it starts no tag, and each one tried scanned on to the end (``_untagged``).
_TITLE_OPEN, _TITLE_CLOSE = re.compile(r"<title[^>]*>", re.I), re.compile(r"</title>", re.I)
_H1_OPEN, _H1_CLOSE = re.compile(r"<h1[^>]*>", re.I), re.compile(r"</h1>", re.I)
_TAGS = re.compile(r"<[^>]+>")

NOT_FOUND = re.compile(
    r"page not found|not found|cannot be found|can(?:no|'|’)t be found|could not be found|does(?:n't|n’t| not) exist"
    r"|(?:could(?:n't|n’t| not)|can(?:not|'t|’t| not)) find"
    r"|no longer (?:exists|available)|page (?:is )?unavailable|^\s*404\b|\b404\s*(?:error|[-–:|]\s*(?:page|not|error|file|oops|sorry|$))|error\s*404"
    r"|页面不存在|找不到页面|页面未找到|页面找不到|您访问的页面不存在|网页不存在|頁面不存在|找不到網頁|網頁不存在|找不到页面|页面已删除"
    r"|página no encontrada|no se (?:ha )?encontr(?:ó|ado) la página|la página (?:que buscas )?no existe|error 404"
    r"|page introuvable|page non trouvée|cette page n'existe pas|cette page n’existe pas"
    r"|seite nicht gefunden|seite wurde nicht gefunden|diese seite existiert nicht|seite existiert nicht"
    r"|pagina non trovata|página não encontrada|ページが見つかりません|страница не найдена",
    re.I,
)
_ERROR_PATH = re.compile(
    r"/(?:404|410|not[-_]?found|page[-_]?not[-_]?found|error(?:[-_]?404)?|errors?/404)(?:\.\w+)?/?$", re.I
)

# Cookie-consent interstitials (Google, YouTube, Yahoo, AOL) that a page redirects to from
# an EU address until someone clicks "accept": a wall in front of the page, not a move.
_CONSENT_HOST = re.compile(r"^(?:consent|guce)\.", re.I)


_LOGIN_PATH = re.compile(
    r"/(?:log-?in|sign-?in|signon|auth|authwall|account/login|subscribe|subscription|register|paywall)(?:[/.?]|$)", re.I
)


_PAYWALL: tuple[Marker, ...] = (
    Marker('"isaccessibleforfree"', re.compile(r'"isaccessibleforfree"\s*:\s*"?(?:false|no)"?'), after=30),
    # anchored on the rarer end of the phrase: "subscribe" is in every page's navigation
    Marker("to continue reading", re.compile(r"subscribe (?:now )?to continue reading"), before=15),
    Marker("to keep reading", re.compile(r"subscribe (?:now )?to keep reading"), before=15),
    Marker("subscriber", re.compile(r"subscriber[- ]only"), after=6),
    Marker("already a subscriber?"),
    Marker(
        "to continue reading", re.compile(r"to continue reading,? (?:please )?(?:subscribe|log in|sign in)"), after=20
    ),
    Marker(
        "subscribers",
        re.compile(r"this (?:article|content|story) is (?:only )?(?:available )?(?:for|to) (?:paid )?subscribers"),
        before=60,
    ),
    Marker(
        "paywall",
        re.compile(r"class=\"[^\"<>]*\bpaywall\b|id=\"paywall|data-paywall|piano-paywall"),
        before=300,
        after=1,
    ),
    Marker("tp-modal"),
)


# A lapsed domain re-registered to be sold or to show ads: the cited site is gone for good,
# whatever the status code says (Wikipedia's url-status "usurped"). The services are from
# the parking-services list of Vissers et al., "Domain Parking: Largely Present, Rarely
# Considered!" (TMA 2022), as they appear in a parked page's HTML; the phrases are what
# registrars' "for sale" pages say.
PARKED = "the domain is parked or for sale"
_PARKING_SERVICES: tuple[Marker, ...] = (
    *(
        Marker(a)
        for a in (
            b"sedoparking.com",
            b"parkingcrew.net",
            b"bodis.com",
            b"dsparking.com",
            b"parking-lander",
            b"parklogic.com",
            b"skenzo.com",
            b"above.com/marketplace",
            b"domainnamesales.com",
            b"hugedomains.com",
            b"afternic.com",
            b"undeveloped.com",
            b"domainmarket.com",
            b"buydomains.com",
        )
    ),
    Marker(b"dan.com/", re.compile(rb"//(?:www\.)?dan\.com/"), before=6),
)
_DOMAIN_FOR_SALE = re.compile(
    r"(?:this|the) domain(?: name)?(?: [\w.-]+\.[a-z]{2,})? (?:is|may be|might be) for sale"
    r"|buy this domain|get this domain|make an offer on this domain|(?:this )?domain (?:is |has been )?parked"
    r"|parked free,? courtesy of|this domain (?:name )?has expired|domain (?:name )?(?:registration )?has expired",
    re.I,
)
_MARKETPLACE_HOSTS = re.compile(
    r"(?:^|\.)(?:hugedomains|afternic|sedo|dan|undeveloped|domainmarket|buydomains|atom|squadhelp)\.com$", re.I
)
# the page a web server or a host shows when the site that was there is gone
_DEFAULT_PAGE = re.compile(
    r"^(?:welcome to nginx!?|apache2? (?:ubuntu|debian|centos) default page(?::? it works!?)?|it works!?"
    r"|test page for the (?:apache http server|nginx http server).*|iis windows server|iis\d*|"
    r"domain default page|default web site page|future home of something quite cool\.?"
    r"|account suspended|this account has been suspended\.?|website (?:is )?coming soon!?)$",
    re.I,
)


def usurped(fetch: Fetch, signals: dict[str, str]) -> str | None:
    """Why the page is a parked domain, a domain for sale or a server's placeholder rather
    than anything the footnote cited; None if it is not one. A page with much text (an
    article about domain sales) is judged by its title and address only."""
    final = urlsplit(fetch.final_url or fetch.url)
    if _MARKETPLACE_HOSTS.search(final.hostname or "") and final.hostname != urlsplit(fetch.url).hostname:
        return f"{PARKED} (sent to {final.hostname})"
    if final.path.rstrip("/") == "/lander" and final.path != urlsplit(fetch.url).path:
        return f"{PARKED} (a registrar's landing page, {final.path})"
    short = len(signals["text"]) <= 1500
    # a headline may well be "It works!"; a page title that says so, or a near-empty page
    # whose only heading does, is a server's
    for label in ("title", "h1") if short else ("title",):
        if _DEFAULT_PAGE.match(signals[label].strip()):
            return f"the site shows a placeholder page instead (“{signals[label][:80]}”)"
    if not short:
        return None
    if _DOMAIN_FOR_SALE.search(signals["title"]) or _DOMAIN_FOR_SALE.search(signals["text"]):
        return PARKED
    low = fetch.body[:200_000].lower()
    service = next((m.anchor for m in _PARKING_SERVICES if _marked(low, (m,))), None)
    if service:
        return f"{PARKED} ({service.decode().strip('/')})"
    return None


def _clean(html_fragment: str) -> str:
    """Tags out, whitespace collapsed."""
    return " ".join(_untagged(html_fragment).split())


# Tag names are ASCII, matched without regard to ASCII case (as a browser does): with
# Unicode case folding "<SCRİPT" (dotted capital I) matched too, and its folded name was no
# kind of block at all (a KeyError that cost the URL its check)
_BLOCK_OPEN = re.compile(r"<(script|style|noscript|template)\b", re.I | re.A)
_BLOCK_CLOSE = {k: re.compile(f"</{k}>", re.I | re.A) for k in ("script", "style", "noscript", "template")}


class _Blocks:
    """The script, style, noscript and template blocks of one page, found in linear time. A
    block runs from its opener to the first closing tag of its kind; one regular expression
    saying so scanned on to the end from every opener the page never closes (a 63 KB page of
    "<style": 1.8 s; the tests keep it as the reference). Here each kind's first
    closing tag after a point is looked up once and remembered: every opener before it
    closes there, and once there is none, no later opener closes either."""

    def __init__(self, html: str) -> None:
        self.html = html
        self._after: dict[str, tuple[int, int]] = {}  # kind -> (searched from, close found or -1)

    def _close(self, kind: str, at: int) -> int:
        """Where the first closing tag of ``kind`` at or after ``at`` ends, or -1."""
        known = self._after.get(kind)
        if known is not None and known[0] <= at and (known[1] == -1 or at <= known[1] - len(kind) - 3):
            return known[1]
        m = _BLOCK_CLOSE[kind].search(self.html, at)
        end = m.end() if m else -1
        self._after[kind] = (at, end)
        return end

    def block_at(self, opener: re.Match[str], end: int | None = None) -> int | None:
        """Where the block ``opener`` starts ends (within ``end``), or None if it is not closed there."""
        close = self._close(opener.group(1).lower(), opener.end())
        return None if close == -1 or (end is not None and close > end) else close

    def spans(self, pos: int, end: int) -> list[tuple[int, int]]:
        """The (start, end) of each block in ``html[pos:end]``, in order."""
        out = []
        while (opener := _BLOCK_OPEN.search(self.html, pos, end)) is not None:
            close = self.block_at(opener, end)
            if close is None:
                pos = opener.start() + 1
            else:
                out.append((opener.start(), close))
                pos = close
        return out


def visible_sample(html: str, limit: int = 5000, piece: int = 8192) -> str:
    """The first ``limit`` characters of visible text (scripts, styles and tags out,
    whitespace collapsed), read piece by piece and stopping once there are enough: on a
    150 KB page the text wanted is in the first few pieces. A piece never ends inside
    a tag or a script/style block (it is extended to the block's or the tag's end), so
    the result is the same as cleaning the whole page and cutting."""
    acc: list[str] = []
    have, pos, n = 0, 0, len(html)
    blocks = _Blocks(html)
    while pos < n:
        end = min(n, pos + piece)
        while True:
            spans = blocks.spans(pos, end)  # blocks removed
            starts, ends = [pos] + [b for _, b in spans], [a for a, _ in spans] + [end]
            cleaned = " ".join(html[a:b] for a, b in zip(starts, ends, strict=True))
            if end < n:
                grown = _block_across(blocks, pos, end, spans)
                if grown is None and cleaned.rfind("<") > cleaned.rfind(">"):  # inside a tag
                    close = html.find(">", end)
                    grown = n if close == -1 else close + 1
                if grown is not None:
                    end = grown
                    continue
            break
        text = _untagged(cleaned)
        acc.append(text)
        have += len(text)
        pos = end
        if have >= limit:
            out = " ".join("".join(acc).split())
            if len(out) >= limit:
                return out[:limit]
    return " ".join("".join(acc).split())[:limit]


def _block_across(blocks: _Blocks, pos: int, end: int, spans: list[tuple[int, int]]) -> int | None:
    """Where the block that [pos, end) cuts ends, if it cuts one. An opener the piece could
    not close starts such a block if the page closes it further on; an opener the page
    never closes is text to both, and the next one is looked at."""
    starts = [a for a, _ in spans]  # in order, not overlapping: the block before is the only one to ask
    for opener in _BLOCK_OPEN.finditer(blocks.html, pos, end):
        i = bisect.bisect_right(starts, opener.start()) - 1
        if i >= 0 and opener.start() < spans[i][1]:
            continue  # inside a block already removed
        block_end = blocks.block_at(opener)
        if block_end is not None and block_end > end:  # (never short of end: no endless loop)
            return block_end
    return None


def _untagged(html: str) -> str:
    """Tags replaced by a space (``_TAGS.sub``, in linear time)."""
    last = html.rfind(">") + 1
    return _TAGS.sub(" ", html[:last]) + html[last:]


def _element_text(html: str, opening: re.Pattern[str], closing: re.Pattern[str]) -> str | None:
    """What the first such element holds, up to its closing tag; None if none is closed."""
    start = opening.search(html, 0, html.rfind(">") + 1)
    if start is None:
        return None
    end = closing.search(html, start.end())
    return None if end is None else html[start.end() : end.start()]


def page_signals(fetch: Fetch, text: str | None = None) -> dict[str, str]:
    """Title, first h1, a sample of visible text and the head of the HTML, by cheap
    regexes (no DOM). ``text``: the body already decoded by the caller."""
    if "html" not in fetch.content_type and fetch.content_type:
        return {"title": "", "h1": "", "text": "", "html": ""}
    if text is None:
        text, _ = decode_body(fetch.body[:300_000], fetch.headers.get("content-type"))
    text = text[:300_000]
    title = _element_text(text, _TITLE_OPEN, _TITLE_CLOSE)
    h1 = _element_text(text, _H1_OPEN, _H1_CLOSE)
    return {
        "title": _clean(title) if title is not None else "",
        "h1": _clean(h1) if h1 is not None else "",
        "text": visible_sample(text, 5000),
        "html": text,
    }


def _norm_page(url: str) -> str:
    try:
        parts = urlsplit(to_uri(url))
    except ValueError:
        parts = urlsplit(url)
    host = (parts.hostname or "").lower().removeprefix("www.")
    path = parts.path.rstrip("/") or "/"
    return f"{host}{path}?{parts.query}" if parts.query else f"{host}{path}"


# ISO 639-1: the two-letter paths that can be a site's language root (/en/, /de-at/)
_LANGUAGES = frozenset(
    """aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv
    cy da de dv dz ee el en eo es et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr
    ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj kk kl km kn ko kr ks ku kv kw
    ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv
    ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr
    ss st su sv sw ta te tg th ti tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi
    yo za zh zu""".split()
)
# a front page's own name: /index.html, /home, /home.php, /default.aspx
_FRONT_PAGE = r"(?:index\.\w+|home(?:\.\w+)?|default\.\w+)"
_FRONT = re.compile(rf"/{_FRONT_PAGE}/?", re.I)
# /en, /en/, /fr-fr/, /es-419/, /pt_BR/index.html, /de/home
_LANGUAGE_ROOT = re.compile(rf"/([a-z]{{2}})(?:([-_])(?:[a-z]{{2,4}}|\d{{3}}))?(?:(/)(?:{_FRONT_PAGE}/?)?)?", re.I)
_HTML_LANG = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([a-z]{2})", re.I)


# Query parameters by which a CMS names one page at a front page's address: WordPress's
# /?p=123, MediaWiki's /index.php?title=…, Joomla's ?option=com_content&id=…
_PAGE_PARAMS = frozenset(
    """p page_id id title curid oldid diff article articleid article_id story storyid story_id
    item itemid post postid post_id option nid aid cid docid""".split()
)


def _names_a_page(query: str) -> bool:
    return any(name.lower() in _PAGE_PARAMS for name, _ in parse_qsl(query, keep_blank_values=True))


def _is_root(url: str, html: str | None = None) -> bool:
    """A site's front page, told by its address: /, an index or /home page, or a language
    root (/en/, /fr-fr/, /de/index.html), whatever language the page declares (many
    declare none). A two-letter path that is no language (/ok, /tv) is an article's
    short address. Only the bare form (/it, no slash, no region) may be an article or a
    section as well: given the page (``html``), one that declares another language is
    not a front page (/it answering in English is the IT section). A query naming a page
    (/?p=123, /index.php?title=…) makes it that page, not the front."""
    parts = urlsplit(url)
    if _names_a_page(parts.query):
        return False
    path = parts.path
    if path in ("", "/") or _FRONT.fullmatch(path):
        return True
    lang = _LANGUAGE_ROOT.fullmatch(path)
    if lang is None or lang.group(1).lower() not in _LANGUAGES:
        return False
    if html is None or lang.group(2) or lang.group(3):
        return True
    declared = _HTML_LANG.search(html[:5000])
    return declared is None or declared.group(1).lower() == lang.group(1).lower()


_SEGMENTS = re.compile(r"\s+[|\-–—:·»]\s+|\s*[|｜]\s*")


# Words an error page wraps around its message ("Sorry, the page you requested was not
# found"), in the languages NOT_FOUND knows. A headline's other words are news.
_ERROR_PAGE_WORDS = frozenset(
    """sorry oops oh no uh ah whoops error 404 410 the a an this that these page pages web
    webpage site you your we i requested request looking for are is was were has have had
    been be could can may might it here there file or directory document article content url
    link address post item resource at all any longer anymore any more on in of server
    re s ve ll d
    lo sentimos la el que buscas busca ups vaya error esta
    désolé désolée oups la le cette que vous cherchez erreur
    leider die diese angeforderte gesuchte fehler hoppla ups wurde nicht
    spiacenti ci dispiace la che cerchi errore desculpe a que procura erro""".split()
)


def says_not_found(heading: str) -> bool:
    """A title or heading that *is* a not-found message, not one that contains the words:
    "Page not found | Example News" and "Sorry, the page you requested was not found" are;
    "Missing plane not found" and "Not Found Footage Festival returns" are not. In some
    segment (site names split off), every word besides the message must be one an error
    page uses."""
    if not heading or len(heading) > 150:
        return False
    for segment in _SEGMENTS.split(heading):
        segment = segment.strip()
        if not NOT_FOUND.search(segment):
            continue
        if " " not in segment:  # Chinese, Japanese: one run of text, the phrases are specific
            return True
        rest = re.findall(r"\w+", NOT_FOUND.sub(" ", segment).lower())
        if all(word in _ERROR_PAGE_WORDS for word in rest):
            return True
    return False


def bot_wall(fetch: Fetch, visible_chars: int | None = None) -> str | None:
    """The service whose challenge or block page this is, if it is one (the table is in
    walls.py). ``visible_chars``: the caller's count of the page's visible text, if it
    has one; only a 200's is needed."""
    if visible_chars is None:
        visible_chars = 0
        if fetch.http_status == 200:
            visible_chars = len(visible_sample(fetch.body[:200_000].decode("utf-8", "replace"), THIN + 1))
    return wall(fetch.http_status or 0, fetch.headers, fetch.body, visible_chars)


def is_paywalled(fetch: Fetch, sample: str | None = None) -> bool:
    text = sample if sample is not None else fetch.body[:300_000].decode("utf-8", "replace")
    return _marked(text[:300_000].lower(), _PAYWALL)


def needs_probe(fetch: Fetch, signals: dict[str, str]) -> bool:
    """Cheap signals are ambiguous: worth spending a request on a made-up sibling URL."""
    if fetch.http_status is None or not 200 <= fetch.http_status < 300 or not fetch.final_url:
        return False
    if _is_root(fetch.url):
        return False
    redirected_within_site = bool(fetch.chain) and _norm_page(fetch.final_url) != _norm_page(fetch.url)
    thin = "html" in (fetch.content_type or "html") and len(signals.get("text", "")) < 300
    return redirected_within_site or thin


def sibling_url(url: str) -> str:
    """A URL beside ``url`` that should not exist: its last path segment made up."""
    parts = urlsplit(url)
    path = parts.path or "/"
    head, _, last = path.rstrip("/").rpartition("/")
    ext = re.search(r"\.\w{1,5}$", last)
    token = "citewatch-" + secrets.token_hex(6) + (ext.group(0) if ext else "")
    new_path = f"{head}/{token}" + ("/" if path.endswith("/") and path != "/" else "")
    return urlunsplit((parts.scheme, parts.netloc, new_path, "", ""))


def probe_key(url: str) -> tuple[str, str]:
    parts = urlsplit(url)
    return (parts.netloc.lower(), parts.path.rstrip("/").rpartition("/")[0])


def same_as_probe(fetch: Fetch, signals: dict[str, str], probe: Fetch) -> bool:
    """Bar-Yossef et al. (WWW 2004): if a URL that cannot exist gets the same
    page, the original page is not evidence that the cited document exists."""
    if probe.http_status is None or not 200 <= probe.http_status < 300:
        return False
    if probe.final_url and fetch.final_url and _norm_page(probe.final_url) == _norm_page(fetch.final_url):
        return True
    other = page_signals(probe)
    if not signals["text"] and not other["text"]:
        return signals["title"] == other["title"]
    return fuzz.ratio(signals["text"][:3000], other["text"][:3000]) >= 90


def _same_wayback_copy(url: str, final: str) -> bool:
    """The Wayback Machine answers a cited snapshot by redirecting to the capture nearest its
    timestamp: the same copy, not a page that moved."""
    a, b = WAYBACK_COPY.match(url), WAYBACK_COPY.match(final)
    return a is not None and b is not None and _norm_page(a.group(2)) == _norm_page(b.group(2))


def _temporary(fetch: Fetch) -> bool:
    """Every hop was a temporary redirect (302, 303, 307): the site says the cited address
    stays the one to use, as a DOI, a handle or a PURL does, and as a session, geo or
    consent detour does. Not so up the cited address's own path, on a Wayback copy (the Wayback Machine replays every
    redirect it captured as a 302, a permanent move included), nor after a <meta>
    refresh, which static hosts use to say a page moved."""
    if fetch.meta_refresh or WAYBACK_COPY.match(fetch.url) or _up_its_own_path(fetch.url, fetch.final_url or fetch.url):
        return False
    return bool(fetch.chain) and all(h.get("status") in (302, 303, 307) for h in fetch.chain)


def _up_its_own_path(url: str, final: str) -> bool:
    """``final`` is a section above ``url`` on the same site (/news/2019/story → /news/):
    where a removed story is often sent, so no mere detour (nor, by its address alone, a
    soft-404: /story/amp → /story has the same shape)."""
    a, b = urlsplit(url), urlsplit(final)
    if (a.hostname or "").removeprefix("www.") != (b.hostname or "").removeprefix("www."):
        return False
    cited = [s for s in a.path.split("/") if s]
    above = [s for s in b.path.split("/") if s]
    return len(above) < len(cited) and cited[: len(above)] == above


def status_phrase(code: int) -> str:
    """The standard reason phrase, for an answer whose server sent none."""
    try:
        return HTTPStatus(code).phrase
    except ValueError:
        return ""


def _asked_to_wait(fetch: Fetch) -> str:
    """A 429/503 whose Retry-After is past the run's deadline ends at once; say how long the
    site asked for, so the reader knows a later run may well succeed."""
    if fetch.http_status not in (429, 503):
        return ""
    wait = parse_retry_after(fetch.headers.get("retry-after"))
    if wait is None or wait <= 0:
        return ""
    return f" (asked to wait {_duration(wait)})"


def _duration(seconds: float) -> str:
    for unit, size in (("day", 86400), ("hour", 3600), ("minute", 60)):
        if seconds >= size:
            n = round(seconds / size)
            return plural(n, unit)
    return f"{seconds:.0f} s"


def _not_a_page(fetch: Fetch, code: int, tries: str, signals: dict[str, str] | None) -> tuple[Status, str] | None:
    """The status of an answer that is not the page (a wall, an error status), or None
    for a 2xx page, which the caller reads."""
    phrase = f"HTTP {code} {fetch.reason_phrase or status_phrase(code)}".strip()
    wall = bot_wall(fetch, len(signals["text"]) if signals is not None and fetch.http_status == 200 else None)
    if wall:
        return Status.BLOCKED, f"{wall} (HTTP {code})"
    if code == 999:  # LinkedIn's (and a few others') answer to anything that is not a browser
        return Status.BLOCKED, "HTTP 999: the site refuses automated requests"
    if code in (401, 403, 407, 429, 451):
        return Status.BLOCKED, phrase + _asked_to_wait(fetch) + tries
    if code >= 400:
        return Status.DEAD, phrase + _asked_to_wait(fetch) + tries
    if 300 <= code < 400:
        return Status.ERROR, f"{phrase} without a usable Location header"
    if not 200 <= code < 300:
        return Status.ERROR, f"unexpected {phrase}"
    return None


def classify(fetch: Fetch, probe: Fetch | None = None, signals: dict[str, str] | None = None) -> LinkCheck:
    check = LinkCheck(
        url=fetch.url,
        status=Status.ERROR,
        reason="",
        http_status=fetch.http_status,
        final_url=fetch.final_url,
        chain=fetch.chain,
        checked_at=fetch.started_at or dt.datetime.now(dt.UTC),
        elapsed_ms=fetch.elapsed_ms,
        bytes_read=len(fetch.body),
        truncated=fetch.truncated,
    )
    tries = f" (after {fetch.attempts} attempts)" if fetch.attempts > 1 else ""
    if fetch.error:
        check.status = FetchError(fetch.error).status
        check.reason = (fetch.error_reason or fetch.error) + tries
        return check
    code = fetch.http_status or 0
    not_a_page = _not_a_page(fetch, code, tries, signals)
    if not_a_page is not None:
        check.status, check.reason = not_a_page
        return check

    signals = signals if signals is not None else page_signals(fetch)
    final = fetch.final_url or fetch.url
    moved = _norm_page(final) != _norm_page(fetch.url) and not _same_wayback_copy(fetch.url, final)
    gone = usurped(fetch, signals)
    if gone:
        check.status, check.reason = Status.SOFT_404, gone
        check.cause = Cause.PARKED if gone.startswith(PARKED) else None
        return check
    if moved and _is_root(final, signals.get("html", "")) and not _is_root(fetch.url):
        check.status, check.reason = Status.SOFT_404, f"redirects to the site's front page ({final})"
        return check
    if moved and _CONSENT_HOST.match(urlsplit(final).hostname or ""):
        check.status, check.reason = Status.BLOCKED, f"redirects to a cookie-consent page ({urlsplit(final).hostname})"
        return check
    if moved and _LOGIN_PATH.search(urlsplit(final).path):
        check.status, check.reason = (
            Status.BLOCKED,
            f"redirects to a sign-in or subscription page ({urlsplit(final).path})",
        )
        return check
    # only where a redirect led: an article may well live at /news/404 (story number 404)
    if moved and _ERROR_PATH.search(urlsplit(final).path) and not _ERROR_PATH.search(urlsplit(fetch.url).path):
        check.status, check.reason = Status.SOFT_404, f"redirects to an error page ({urlsplit(final).path})"
        return check
    for label in ("title", "h1"):
        if says_not_found(signals[label]):
            check.status, check.reason = Status.SOFT_404, f"answers {code} but the page says “{signals[label][:80]}”"
            return check
    if probe is not None and same_as_probe(fetch, signals, probe):
        check.status, check.reason = Status.SOFT_404, "a made-up URL beside it returns the same page"
        return check
    check.paywalled = is_paywalled(fetch, signals.get("html"))
    if moved and not _temporary(fetch):
        permanent = any(h.get("status") in (301, 308) for h in fetch.chain)
        kind = "moved permanently" if permanent else "redirects"
        if fetch.meta_refresh and not permanent:
            kind = "meta refresh"
        check.status, check.reason = Status.REDIRECTED, f"{kind} to {final}"
        return check
    check.status = Status.LIVE
    check.reason = f"HTTP {code} {fetch.reason_phrase or status_phrase(code)}".strip() + (
        " via " + " → ".join(str(h["status"]) for h in fetch.chain) if fetch.chain else ""
    )
    if moved:
        check.reason += f", a temporary redirect to {final}"
    if fetch.truncated:
        check.reason += " (body capped)"
    return check
