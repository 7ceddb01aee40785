"""The links an HTML article cites from its body, as paragraphs of text with their links.

A news page links far more than it cites: menus, section fronts, share buttons, bylines,
"Related" lists, tag pages, sign-in and subscribe prompts. Two layers keep those out:

1. the body. The page's own markup says where its article is (``itemprop=articleBody``,
   ``<article>``, ``<main>``, the usual CMS body classes) on most pages, and then that is
   trusted. Where it does not, trafilatura's main-content extraction picks the body's
   paragraphs: it is the best-measured open extractor on news pages and the family
   htmldate (page dates) comes from; a home-made text-density rule would be worse at it;
2. our own rules for what is left inside the body, which no extractor decides for us:
   elements that are furniture by their tag, role, class or id (share bars, bylines,
   related lists, tag lists, newsletter boxes), links that are not sources by their address
   (``mailto:``, ``tel:``, ``javascript:``, in-page anchors, share endpoints, tag/section/
   author/login/subscribe pages, the site's front page, the article itself).

"Sources" / "References" / "Further reading" lists are read wherever they sit.
Relative links resolve against ``<base href>``, then ``<link rel=canonical>`` / ``og:url``.
lxml parses the page: linear, also on thousands of unclosed ``<p>``.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urljoin, urlsplit

from lxml import html as lxml_html
from lxml.etree import ParserError

from ..model import LinkedSource, Note
from . import ParserGaveUp
from .links import SECTION_PATH, LinkAt, Paragraph, clean_url, gather, host_and_path
from .sentences import sentence_before_marker

_FURNITURE_TAGS = frozenset({"nav", "header", "footer", "aside", "form", "button", "menu", "dialog", "select"})
_FURNITURE_ROLES = frozenset({"navigation", "banner", "contentinfo", "complementary", "search", "menu", "menubar"})
_FURNITURE_WORDS = frozenset(
    "nav navbar navigation menu breadcrumb breadcrumbs share sharing social byline author authors bio related "
    "recommended recommendations tags tag topics categories newsletter subscribe subscription signup login signin "
    "comments comment sidebar promo advert ads advertisement footer header masthead toolbar outbrain taboola "
    "trending popular paywall".split()
)
_FURNITURE_PHRASES = ("more-stories", "read-more", "most-read", "also-read", "you-may-like", "more-from")
_NEVER_FURNITURE = frozenset({"html", "body", "main", "article"})
_BODY_CLASSES = frozenset(
    {"article-body", "articlebody", "entry-content", "post-content", "story-body", "article-content", "post-body"}
)
_BLOCK_TAGS = frozenset(
    "p li blockquote dd dt td th figcaption h1 h2 h3 h4 h5 h6 pre div section article main body".split()
)
_SOURCES_HEADING = re.compile(r"^\s*(sources|references|further reading|bibliography|works cited)\s*:?\s*$", re.I)
_NOTE_NUMBER = re.compile(r"\[?\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*\]?")
_WORD_SPLIT = re.compile(r"[\s_-]+")


# libxml2's own limit on how deeply elements nest. XML_PARSE_HUGE (lxml's huge_tree) would
# raise it to 2048, but trafilatura parses the page again with the default and would drop
# the paragraphs past it without a word; an article needs a few dozen levels.
MAX_DEPTH = 256


def parse_tree(text: str) -> lxml_html.HtmlElement | None:
    """The page's tree; None for a page with nothing to parse. Where libxml2 gives up (a
    resource limit: elements nested past ``MAX_DEPTH``, one text over 10 MB) it keeps only
    what came before and says so only in its error log: ParserGaveUp then, rather than an
    article whose later notes and links are silently missing."""
    parser = lxml_html.HTMLParser()
    try:
        root = lxml_html.document_fromstring(text, parser=parser)
    except (ParserError, ValueError):
        root = None
    gave_up = next((e for e in parser.error_log if e.type_name == "ERR_RESOURCE_LIMIT"), None)
    if gave_up is not None:
        where = f" (line {gave_up.line})" if gave_up.line else ""
        if "depth" in gave_up.message.lower():
            reason = f"nested more than {MAX_DEPTH} levels deep{where}"
        else:
            reason = f"too big for the HTML parser{where}: {gave_up.message.strip()}"
        raise ParserGaveUp(f"{reason}; cannot read its notes and links")
    return root


def _words(el: lxml_html.HtmlElement) -> str:
    return f"{el.get('class') or ''} {el.get('id') or ''}".lower()


def is_furniture(el: lxml_html.HtmlElement) -> bool:
    """Navigation, share bars, bylines, related lists…: by tag, ARIA role, class or id."""
    tag = el.tag if isinstance(el.tag, str) else ""
    if tag in _NEVER_FURNITURE:
        return False
    if tag in _FURNITURE_TAGS or (el.get("role") or "").lower() in _FURNITURE_ROLES:
        return True
    words = _words(el)
    if not words.strip():
        return False
    return bool(_FURNITURE_WORDS & set(_WORD_SPLIT.split(words))) or any(p in words for p in _FURNITURE_PHRASES)


def base_url(root: lxml_html.HtmlElement) -> str | None:
    """What relative links are relative to: ``<base href>``, the canonical URL, ``og:url``."""
    for xpath in ("//base/@href", "//link[@rel='canonical']/@href", "//meta[@property='og:url']/@content"):
        for value in root.xpath(xpath):
            if str(value).startswith(("http://", "https://")):
                return str(value)
    return None


def unwrap_redirect(href: str) -> str:
    """Google Docs' HTML export wraps every link as google.com/url?q=<the address>&sa=…;
    the article cites the address, not Google's click tracker."""
    parts = urlsplit(href)
    if parts.hostname in ("www.google.com", "google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("q", [""])[0]
        if target.startswith(("http://", "https://")):
            return target
    return href


_RELATIVE = re.compile(r"^(?![a-z][a-z0-9+.-]*:|#|//)\S", re.I)
_NOT_A_PAGE = re.compile(r"^(mailto|tel|javascript|data|sms|callto):", re.I)
_HTTP = re.compile(r"^https?://", re.I)
_SCHEME = re.compile(r"^[a-z][a-z0-9+.-]*:", re.I)


_TAB_OR_NEWLINE = re.compile(r"[\t\n\r]")
_C0_OR_SPACE = "".join(map(chr, range(0x21)))


def browser_href(href: str) -> str:
    """An href as a browser reads it (the WHATWG URL parser): controls and spaces around
    it dropped, and every tab and newline in it removed. A link wrapped over two lines of
    the HTML source was checked with the newline in its address."""
    return _TAB_OR_NEWLINE.sub("", href.strip(_C0_OR_SPACE))


def _address(href: str, base: str | None, own: tuple[str | None, tuple[str, ...]]) -> str | None:
    """The absolute address a link points at, or None for what is never a source. ``own``:
    the article's host and the paths that are its front page or itself."""
    href = browser_href(href)
    if not href or href.startswith("#") or _NOT_A_PAGE.match(href):
        return None
    if href.startswith("//") and base is None:
        href = "https:" + href  # protocol-relative: a page read from a file was served over https
    if not _HTTP.match(href):
        if base is None or _SCHEME.match(href):
            return None  # relative with nothing to resolve it against, or another scheme
        href = urljoin(base, href)
    url = clean_url(unwrap_redirect(href) if "google." in href else href)
    if own[0] is not None:
        parts = host_and_path(url)
        if parts is not None and parts[0] == own[0] and parts[1].rstrip("/") in own[1]:
            return None  # the site's front page, or the article itself
        if parts is not None and parts[0] == own[0] and SECTION_PATH.search(parts[1]):
            return None  # one of the site's own section, topic or people pages
    return url


def _body(root: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement] | None:
    """The element holding the article (None: trafilatura's paragraphs are used)."""
    candidates = root.xpath("//*[@itemprop='articleBody']") or root.xpath("//article") or root.xpath("//main")
    candidates = candidates or root.xpath("//*[@role='main']")
    if not candidates:
        candidates = [el for el in root.iter("div", "section") if _BODY_CLASSES & set((el.get("class") or "").split())]
    if not candidates:
        return None
    return [max(candidates, key=lambda el: len(el.text_content()))]


MAIN_TEXT_MAX_CHARS = 2_000_000


def _main_text_blocks(root: lxml_html.HtmlElement, raw: str) -> list[lxml_html.HtmlElement]:
    """Blocks whose text trafilatura counts as the article's main content. Its work grows
    faster than the page (1 MB: 1.1 s of CPU, 5 MB: 10.5 s), so a page over
    ``MAIN_TEXT_MAX_CHARS`` (news pages are 100–500 KB) is read by our rules alone: its whole
    body, furniture removed."""
    body = root.find("body")
    if body is None:
        return []
    if len(raw) > MAIN_TEXT_MAX_CHARS:
        return [body]
    import trafilatura

    main = trafilatura.extract(raw, include_comments=False, include_tables=True, favor_recall=True, deduplicate=False)
    if not main:
        return [body]
    # each paragraph trafilatura kept, known by its first words (a set: one look-up per block)
    openings = {_opening(line) for line in main.splitlines() if line.strip()}
    return [
        el
        for el in body.iter("p", "li", "blockquote", "dd", "td", "figcaption", "pre")
        if _opening(el.text_content()) in openings
    ]


def _opening(text: str) -> str:
    """A paragraph's first letters, as trafilatura and the page both give them: white space,
    punctuation and digits (note numbers it may drop or space out) left out."""
    return _NOT_LETTERS.sub("", text)[:48]


_NOT_LETTERS = re.compile(r"[\W\d_]+")


def _sources_lists(root: lxml_html.HtmlElement) -> list[lxml_html.HtmlElement]:
    """The lists under a Sources / References / Further reading heading."""
    lists = []
    for heading in root.iter("h1", "h2", "h3", "h4", "h5", "h6", "p", "strong", "b", "dt"):
        if _SOURCES_HEADING.match(heading.text_content() or ""):
            nxt = heading.getnext()
            while nxt is not None and not isinstance(nxt.tag, str):
                nxt = nxt.getnext()
            if nxt is not None and nxt.tag in ("ul", "ol", "dl"):
                lists.append(nxt)
    return lists


BlockTexts = dict[int, tuple[str, dict[int, int]]]


def citing_sentence(marker: lxml_html.HtmlElement, read: BlockTexts) -> str | None:
    """The sentence a note marker (its ``<a>`` or ``<sup>``) ends, in the block it sits in.
    ``read``: the blocks' texts so far, so that a block holding many markers is read once."""
    block = _block_of(marker)
    if id(block) not in read:
        read[id(block)] = _text_with_offsets(block)
    text, offsets = read[id(block)]
    at = offsets.get(id(marker))
    return sentence_before_marker(text, at) or None if at is not None else None


def _block_of(a: lxml_html.HtmlElement) -> lxml_html.HtmlElement:
    for el in a.iterancestors():
        if el.tag in _BLOCK_TAGS:
            return el
    return a


def _text_with_offsets(block: lxml_html.HtmlElement) -> tuple[str, dict[int, int]]:
    """A block's text as the reader sees it, and where each link's (and superscript's) words
    start in it."""
    parts: list[str] = []
    offsets: dict[int, int] = {}
    length = 0
    stack: list[tuple[lxml_html.HtmlElement, bool]] = [(block, False)]
    while stack:  # depth-first without recursion: a page may nest deeper than Python recurses
        el, closing = stack.pop()
        if closing:
            piece = el.tail if el is not block else None
        else:
            if el.tag in ("a", "sup"):
                offsets[id(el)] = length
            if el.tag == "sup" and _NOTE_NUMBER.fullmatch(el.text_content().strip()):
                offsets.update((id(a), length) for a in el.iter("a"))
                stack.append((el, True))  # a note marker: not a word of the sentence
                continue
            piece = el.text if isinstance(el.tag, str) and el.tag not in ("script", "style") else None
            stack.append((el, True))
            if isinstance(el.tag, str) and el.tag not in ("script", "style"):
                stack.extend((child, False) for child in reversed(el))
        if el.tag == "br" and not closing:
            piece = " " + (piece or "")
        if piece:
            parts.append(piece)
            length += len(piece)
    return "".join(parts), offsets


_BREAKS = frozenset(
    "p div li ul ol dl dd dt br h1 h2 h3 h4 h5 h6 blockquote pre table tr td th section article aside header footer"
    " figure figcaption hr".split()
)


def visible_text(el: lxml_html.HtmlElement) -> str:
    """An element's text as a reader sees it: inline markup adds nothing (no space before the
    comma after an ``<em>``), blocks and line breaks separate words, runs of white space are
    one space."""
    parts: list[str] = []
    stack: list[tuple[lxml_html.HtmlElement, bool]] = [(el, False)]
    while stack:
        node, closing = stack.pop()
        tag = node.tag if isinstance(node.tag, str) else None
        if closing:
            if tag in _BREAKS:
                parts.append(" ")
            if node is not el and node.tail:
                parts.append(node.tail)
            continue
        if tag in _BREAKS:
            parts.append(" ")
        if tag is not None and tag not in ("script", "style") and node.text:
            parts.append(node.text)
        stack.append((node, True))
        if tag is not None and tag not in ("script", "style"):
            stack.extend((child, False) for child in reversed(node))
    return " ".join("".join(parts).split())


def body_paragraphs(root: lxml_html.HtmlElement, raw: str) -> tuple[list[Paragraph], int]:
    """The body's paragraphs with their source links, in reading order, and the number of
    relative links that could not be resolved."""
    base = base_url(root)
    for el in list(root.iter("script", "style", "noscript", "template")):
        el.drop_tree()
    sources = _sources_lists(root)
    furniture = [el for el in root.iter() if isinstance(el.tag, str) and is_furniture(el)]
    for el in furniture:
        if el.getparent() is not None:
            el.drop_tree()
    scopes = _body(root) or _main_text_blocks(root, raw)
    listed = {id(a) for lst in sources for a in lst.iter("a")}
    blocks: dict[int, tuple[lxml_html.HtmlElement, list[lxml_html.HtmlElement]]] = {}
    seen: set[int] = set()
    for scope in [*scopes, *sources]:
        for a in scope.iter("a"):
            if id(a) in seen or not a.get("href"):
                continue
            seen.add(id(a))
            block = _block_of(a)
            blocks.setdefault(id(block), (block, []))[1].append(a)
    paragraphs, unresolved = [], 0
    own = (urlsplit(base).hostname, ("", urlsplit(base).path.rstrip("/"))) if base else (None, ())
    for block, anchors in blocks.values():
        text, offsets = _text_with_offsets(block)
        prose = _is_prose(block.tag, text, [a.text_content() for a in anchors])
        links = []
        for a in anchors:
            url = _address(a.get("href", ""), base, own)
            unresolved += url is None and base is None and bool(_RELATIVE.match(a.get("href", "")))
            words = a.text_content()
            if url is not None and (id(a) in listed or (prose and words.strip())):
                links.append(LinkAt(url, words, offsets.get(id(a), 0), a.sourceline))
        if links:
            paragraphs.append(Paragraph(text, block.sourceline, links))
    paragraphs.sort(key=lambda p: p.line or 0)
    return paragraphs, unresolved


def _is_prose(tag: str, block_text: str, link_words: list[str]) -> bool:
    """Do this block's links sit in what it says? A block that is mostly link words is a
    teaser, a menu, a row of buttons ("Join | Get the app"), not prose citing a source: in a
    paragraph, when links are 80% of its letters ("According to <a>the Bureau's monthly
    report</a>, jobs grew" is 73%); in a list item, cell or layout block, from half (a
    teaser is its headline and a time). A link with no words is a photo. A Sources list's
    entries are asked nothing."""
    linked = sum(len("".join(w.split())) for w in link_words)
    share = 0.8 if tag in ("p", "blockquote") else 0.5
    return linked < share * len("".join(block_text.split()))


def from_html(text: str, notes: list[Note]) -> tuple[list[LinkedSource], int]:
    """The body's linked sources, and how many body links were left out for being relative
    on a page that names no address of its own to resolve them against."""
    root = parse_tree(text)
    if root is None:
        return [], 0
    paragraphs, unresolved = body_paragraphs(root, text)
    return gather(paragraphs, notes), unresolved
