"""HTML articles: a list of notes (WordPress footnote plugins, Pandoc/markdown-it
``section.footnotes``, Wikipedia reference lists), or note blocks that body anchors
point down to (Substack, Word's "Save as Web Page", Google Docs' export), and
``<a href="#…">`` markers.

The strongest signal is structural: list items that body anchors point at are
notes. Class names and a Notes/References heading are the fallback. A page with no
anchors and no note list at all (notes typed as paragraphs, markers as bare
``<sup>1</sup>``: what a CMS or a pasted document gives) is read as text, a
paragraph a line, by the plain-text rules.
"""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

from bs4 import BeautifulSoup, Tag

from ..model import Marker, Note
from . import text as plain_text
from .fields import parse_note

_LIST_HINT = re.compile(r"foot|endnote|reference|reflist|citation|notes", re.I)
_HEADING = re.compile(r"^\s*(notes|references|sources|footnotes|endnotes|citations|参考资料|注释)\s*:?\s*$", re.I)
_BACKLINK_TEXT = re.compile(r"^\s*[↩↑^\u21a9\ufe0e]+\s*$")
_BACKLINK_CLASS = re.compile(r"back|backref|mw-cite-backlink|footnote-return", re.I)


def _ids_inside(li: Tag) -> set[str]:
    """The fragment names that point into ``li``: ids, and the ``<a name>`` anchors of
    HTML 4, which Word's "Save as Web Page" still writes for every footnote."""
    ids = {li["id"]} if li.get("id") else set()
    ids.update(t["id"] for t in li.find_all(id=True))
    ids.update(a["name"] for a in li.find_all("a", attrs={"name": True}))
    return ids


def _unwrap_redirect(href: str) -> str:
    """Google Docs' HTML export wraps every link as google.com/url?q=<the address>&sa=…;
    the footnote cites the address, not Google's click tracker."""
    parts = urlsplit(href)
    if parts.hostname in ("www.google.com", "google.com") and parts.path == "/url":
        target = parse_qs(parts.query).get("q", [""])[0]
        if target.startswith(("http://", "https://")):
            return target
    return href


def _find_target(soup: BeautifulSoup, fragment: str) -> Tag | None:
    return soup.find(id=fragment) or soup.find("a", attrs={"name": fragment})


def _number(li: Tag, position: int) -> str:
    if li.get("id"):
        m = re.search(r"(\d+)\D*$", li["id"])
        if m:
            return str(int(m.group(1)))
    return str(position)


def _note_lists(soup: BeautifulSoup, targets: set[str]) -> list[Tag]:
    lists = []
    for lst in soup.find_all(["ol", "ul"]):
        items = lst.find_all("li", recursive=False)
        if not items:
            continue
        pointed = sum(1 for li in items if _ids_inside(li) & targets)
        if pointed >= max(1, len(items) // 2):
            lists.append(lst)
    if lists:
        return lists
    for lst in soup.find_all(["ol", "ul"]):
        hint = " ".join(lst.get("class", [])) + " " + (lst.get("id") or "")
        parent = lst.parent if isinstance(lst.parent, Tag) else None
        if parent is not None:
            hint += " " + " ".join(parent.get("class", [])) + " " + (parent.get("id") or "")
        heading = lst.find_previous(["h1", "h2", "h3", "h4", "h5", "h6", "p", "strong"])
        if _LIST_HINT.search(hint) or (heading and _HEADING.match(heading.get_text(" ", strip=True))):
            lists.append(lst)
    return lists


_BLOCKS = ["li", "div", "p", "aside", "section", "dd", "td"]


def _targeted_blocks(soup: BeautifulSoup, anchors: list[Tag]) -> list[tuple[Tag, str]]:
    """Notes that are not in a list (Substack, Ghost, hand-made pages): the block around each
    element a body anchor points *down* to. Pointing down matters — the notes' own back-links
    point up to the markers, and a table of contents points at headings."""
    order = {id(t): i for i, t in enumerate(soup.find_all(True))}
    blocks: list[tuple[Tag, str]] = []
    seen: set[int] = set()
    for a in anchors:
        target_id = a["href"][1:]
        target = _find_target(soup, target_id)
        if target is None or target.name in ("h1", "h2", "h3", "h4", "h5", "h6") or order[id(target)] < order[id(a)]:
            continue
        block = target if target.name in _BLOCKS else target.find_parent(_BLOCKS)
        if block is None or id(block) in seen or a in block.descendants or len(block.get_text()) > 3000:
            continue
        seen.add(id(block))
        blocks.append((block, target_id))
    return blocks


def _note_items(soup: BeautifulSoup, anchors: list[Tag]) -> list[tuple[Tag, str]]:
    """(element, note number) for every note, lists first, targeted blocks as the fallback."""
    targets = {a["href"][1:] for a in anchors}
    items: list[tuple[Tag, str]] = []
    for lst in _note_lists(soup, targets):
        start = int(lst.get("start", 1)) if str(lst.get("start", "1")).isdigit() else 1
        for position, li in enumerate(lst.find_all("li", recursive=False), start=start):
            items.append((li, _number(li, position)))
    if not items:
        for position, (block, target_id) in enumerate(_targeted_blocks(soup, anchors), start=1):
            m = re.search(r"(\d+)\D*$", target_id)
            items.append((block, str(int(m.group(1))) if m else str(position)))
    return items


_TEXT_BLOCKS = [
    "p",
    "li",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "blockquote",
    "dd",
    "dt",
    "td",
    "th",
    "pre",
    "div",
    "body",
]
_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")


def _as_text(soup: BeautifulSoup) -> tuple[str, list[int], dict[str, str]]:
    """The page as text for the plain-text rules: each innermost block (and each ``<br>``
    line) a line, blank lines between blocks, ``<sup>12</sup>`` as ``¹²``, every link's
    address after its words. Also the HTML line of each text line, and each address's words."""
    for sup in soup.find_all("sup"):
        number = sup.get_text("", strip=True).strip("[]")
        if number.isdigit() and len(number) <= 4:
            sup.replace_with(number.translate(_SUPERSCRIPT_DIGITS))
    link_text: dict[str, str] = {}
    for a in soup.find_all("a", href=True):
        href = _unwrap_redirect(a["href"])
        if href.startswith(("http://", "https://")):
            link_text.setdefault(href, a.get_text(" ", strip=True))
            if href not in a.get_text():
                a.append(" " + href)
    for br in soup.find_all("br"):
        br.replace_with("\n")
    lines: list[str] = []
    where: list[int] = []
    for block in soup.find_all(_TEXT_BLOCKS):
        if block.find(_TEXT_BLOCKS):
            continue  # its inner blocks are lines of their own
        for line in block.get_text(" ").split("\n"):
            line = " ".join(line.split())
            if line:
                lines.append(line)
                where.append(block.sourceline or 0)
        lines.append("")
        where.append(block.sourceline or 0)
    return "\n".join(lines), where, link_text


def _parse_as_text(soup: BeautifulSoup) -> tuple[list[Note], list[Marker]]:
    text, where, link_text = _as_text(soup)
    notes, markers, _ = plain_text.parse(text, link_text)
    for item in (*notes, *markers):
        item.line = where[item.line - 1] if item.line and item.line <= len(where) else None
    return notes, markers


def parse(text: str) -> tuple[list[Note], list[Marker], str | None]:
    soup = BeautifulSoup(text, "html.parser")
    for tag in soup(["script", "style", "noscript", "template"]):
        tag.decompose()
    title = _title(soup)
    anchors = [a for a in soup.find_all("a", href=True) if a["href"].startswith("#") and len(a["href"]) > 1]
    items = _note_items(soup, anchors)
    if not items:
        notes, markers = _parse_as_text(soup)
        return notes, markers, title

    in_notes = {id(t) for item, _ in items for t in item.find_all(True)}
    marker_ids = {key for a in anchors if id(a) not in in_notes and (key := a.get("id") or a.get("name"))}
    marker_ids |= {p.get("id") for a in anchors if id(a) not in in_notes for p in a.parents if p.get("id")}
    notes: list[Note] = []
    id_to_note: dict[str, str] = {}
    for item, note_id in items:
        for anchor_id in _ids_inside(item):
            id_to_note[anchor_id] = note_id
        for a in item.find_all("a", href=True):
            href = a["href"]
            if href.startswith("#") and (
                href[1:] in marker_ids
                or _BACKLINK_TEXT.match(a.get_text())
                or _BACKLINK_CLASS.search(" ".join(a.get("class", [])))
                or "footnote-number" in " ".join(a.get("class", []))
            ):
                a.decompose()  # back-links and the note's own number are not part of the note
        for back in item.find_all(class_=_BACKLINK_CLASS):
            back.decompose()
        link_text = {}
        for a in item.find_all("a", href=True):
            a["href"] = _unwrap_redirect(a["href"])
            if a["href"].startswith(("http://", "https://")):
                link_text.setdefault(a["href"], a.get_text(" ", strip=True))
                a.append(" " + a["href"] if a["href"] not in a.get_text() else "")
        raw = item.get_text(" ", strip=True)
        notes.append(parse_note(note_id, raw, item.sourceline, link_text))

    markers = []
    for a in anchors:
        if id(a) in in_notes:
            continue
        target = a["href"][1:]
        if target in id_to_note:
            markers.append(Marker(id_to_note[target], a.sourceline))
    if not markers:  # a note list under a heading, cited by bare <sup>1</sup>, not by links
        markers = _bare_superscripts(soup, in_notes)
    return notes, markers, title


def _bare_superscripts(soup: BeautifulSoup, in_notes: set[int]) -> list[Marker]:
    markers = []
    for sup in soup.find_all("sup"):
        if id(sup) in in_notes or sup.find("a", href=True):
            continue
        group = sup.get_text("", strip=True).strip("[]")
        if re.fullmatch(r"\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*", group):
            markers.extend(Marker(i, sup.sourceline) for i in plain_text.expand_markers(group))
    return markers


def _title(soup: BeautifulSoup) -> str | None:
    h1 = soup.find("h1")
    if h1:
        return h1.get_text(" ", strip=True)
    if soup.title and soup.title.string:
        return soup.title.string.strip()
    return None
