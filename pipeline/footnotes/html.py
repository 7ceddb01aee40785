"""HTML articles: a list of notes (WordPress footnote plugins, Pandoc/markdown-it
``section.footnotes``, Wikipedia reference lists), or note blocks that body anchors
point down to (Substack, Word's "Save as Web Page", Google Docs' export), and
``<a href="#…">`` markers.

The strongest signal is structural: list items that body anchors point at are
notes. Class names and a Notes/References heading are the fallback. A page with no
anchors and no note list at all (notes typed as paragraphs, markers as bare
``<sup>1</sup>``: what a CMS or a pasted document gives) is read as text, a
paragraph a line, by the plain-text rules.

lxml parses the page (BeautifulSoup's html.parser took quadratic time on a page of
unclosed ``<p>``, which nest ever deeper there); every lookup below is by an index built
once, so a 1 MB article reads in a fraction of a second. A note's text is kept as the
reader sees it: its addresses are taken from the links, not spliced into the words.
"""

from __future__ import annotations

import re
from bisect import bisect_left

from lxml import html as lxml_html

from ..model import Marker, Note
from . import text as plain_text
from .fields import parse_note
from .htmlbody import BlockTexts, browser_href, citing_sentence, parse_tree, unwrap_redirect, visible_text
from .links import note_sentences

_LIST_HINT = re.compile(r"foot|endnote|reference|reflist|citation|notes", re.I)
_HEADING = re.compile(r"^\s*(notes|references|sources|footnotes|endnotes|citations|参考资料|注释)\s*:?\s*$", re.I)
_BACKLINK_TEXT = re.compile(r"^\s*[↩↑^\u21a9\ufe0e]+\s*$")
_BACKLINK_CLASS = re.compile(r"back|backref|mw-cite-backlink|footnote-return", re.I)
_HEADINGS = ("h1", "h2", "h3", "h4", "h5", "h6")
_BLOCKS = frozenset(["li", "div", "p", "aside", "section", "dd", "td"])
_TEXT_BLOCKS = frozenset(
    ["p", "li", *_HEADINGS, "blockquote", "dd", "dt", "td", "th", "pre", "div", "body"]  # noqa: RUF005
)
_SUPERSCRIPT_DIGITS = str.maketrans("0123456789", "⁰¹²³⁴⁵⁶⁷⁸⁹")

Element = lxml_html.HtmlElement


class Page:
    """The parsed page and the indexes every lookup uses: document order, the element each
    fragment names (``id`` or HTML 4's ``<a name>``), the elements a heading can be."""

    def __init__(self, root: Element) -> None:
        self.root = root
        self.order: dict[Element, int] = {}
        self.targets: dict[str, Element] = {}
        self.headings: list[tuple[int, Element]] = []
        for i, el in enumerate(root.iter()):
            if not isinstance(el.tag, str):
                continue
            self.order[el] = i
            if el.get("id"):
                self.targets.setdefault(el.get("id"), el)
            if el.tag == "a" and el.get("name"):
                self.targets.setdefault(el.get("name"), el)
            if el.tag in (*_HEADINGS, "p", "strong"):
                self.headings.append((i, el))
        self._heading_keys = [i for i, _ in self.headings]

    def heading_before(self, el: Element) -> Element | None:
        """The last heading-like element (h1–h6, p, strong) that starts before ``el``."""
        at = bisect_left(self._heading_keys, self.order[el]) - 1
        return self.headings[at][1] if at >= 0 else None


def _ids_inside(li: Element) -> set[str]:
    """The fragment names that point into ``li``: ids, and the ``<a name>`` anchors of
    HTML 4, which Word's "Save as Web Page" still writes for every footnote."""
    ids = set()
    for el in li.iter():
        if isinstance(el.tag, str):
            if el.get("id"):
                ids.add(el.get("id"))
            if el.tag == "a" and el.get("name"):
                ids.add(el.get("name"))
    return ids


def _classes(el: Element | None) -> str:
    return "" if el is None else f"{el.get('class') or ''} {el.get('id') or ''}"


def _number(li: Element, position: int) -> str:
    if li.get("id"):
        m = re.search(r"(\d+)\D*$", li.get("id"))
        if m:
            return str(int(m.group(1)))
    return str(position)


def _note_lists(page: Page, targets: set[str]) -> list[Element]:
    lists = []
    all_lists = list(page.root.iter("ol", "ul"))
    for lst in all_lists:
        items = [li for li in lst if li.tag == "li"]
        if not items:
            continue
        pointed = sum(1 for li in items if _ids_inside(li) & targets)
        if pointed >= max(1, len(items) // 2):
            lists.append(lst)
    if lists:
        return lists
    for lst in all_lists:
        if not any(li.tag == "li" for li in lst):
            continue
        hint = f"{_classes(lst)} {_classes(lst.getparent())}"
        heading = page.heading_before(lst)
        if _LIST_HINT.search(hint) or (heading is not None and _HEADING.match(visible_text(heading))):
            lists.append(lst)
    return lists


def _is_inside(el: Element, block: Element) -> bool:
    return any(p is block for p in el.iterancestors())


def _targeted_blocks(page: Page, anchors: list[Element]) -> list[tuple[Element, str]]:
    """Notes that are not in a list (Substack, Ghost, hand-made pages): the block around each
    element a body anchor points *down* to. Pointing down matters — the notes' own back-links
    point up to the markers, and a table of contents points at headings."""
    blocks: list[tuple[Element, str]] = []
    seen: set[Element] = set()
    for a in anchors:
        target_id = a.get("href")[1:]
        target = page.targets.get(target_id)
        if target is None or target.tag in _HEADINGS or page.order[target] < page.order[a]:
            continue
        block = target if target.tag in _BLOCKS else next((p for p in target.iterancestors(*_BLOCKS)), None)
        if block is None or block in seen or _is_inside(a, block) or len(block.text_content()) > 3000:
            continue
        seen.add(block)
        blocks.append((block, target_id))
    return blocks


def _note_items(page: Page, anchors: list[Element]) -> list[tuple[Element, str]]:
    """(element, note number) for every note, lists first, targeted blocks as the fallback."""
    targets = {a.get("href")[1:] for a in anchors}
    items: list[tuple[Element, str]] = []
    for lst in _note_lists(page, targets):
        start = int(lst.get("start", "1")) if str(lst.get("start", "1")).isdigit() else 1
        for position, li in enumerate((li for li in lst if li.tag == "li"), start=start):
            items.append((li, _number(li, position)))
    if not items:
        for position, (block, target_id) in enumerate(_targeted_blocks(page, anchors), start=1):
            m = re.search(r"(\d+)\D*$", target_id)
            items.append((block, str(int(m.group(1))) if m else str(position)))
    return items


def _replace_with_text(el: Element, text: str) -> None:
    """Put ``text`` where ``el`` was (its tail kept)."""
    parent = el.getparent()
    if parent is None:
        return
    joined = text + (el.tail or "")
    previous = el.getprevious()
    if previous is not None:
        previous.tail = (previous.tail or "") + joined
    else:
        parent.text = (parent.text or "") + joined
    parent.remove(el)


def _innermost_blocks(root: Element) -> list[Element]:
    """Text blocks with no text block inside them, in document order (one pass)."""
    blocks = [el for el in root.iter(*_TEXT_BLOCKS)]
    has_inner: set[Element] = set()
    for el in blocks:
        outer = next(el.iterancestors(*_TEXT_BLOCKS), None)
        if outer is not None:
            has_inner.add(outer)
    return [el for el in blocks if el not in has_inner]


def _as_text(root: Element) -> tuple[str, list[int], dict[str, str]]:
    """The page as text for the plain-text rules: each innermost block (and each ``<br>``
    line) a line, blank lines between blocks, ``<sup>12</sup>`` as ``¹²``, the addresses a
    line links after its words (never inside them). Also the HTML line of each text line,
    and each address's words."""
    for sup in list(root.iter("sup")):
        number = visible_text(sup).strip("[]")
        if number.isdigit() and len(number) <= 4:
            _replace_with_text(sup, number.translate(_SUPERSCRIPT_DIGITS))
    link_text: dict[str, str] = {}
    lines: list[str] = []
    where: list[int] = []
    for block in _innermost_blocks(root):
        hrefs = []
        for a in block.iter("a"):
            href = unwrap_redirect(browser_href(a.get("href") or ""))
            if href.startswith(("http://", "https://")):
                link_text.setdefault(href, visible_text(a))
                hrefs.append(href)
        for br in list(block.iter("br")):
            _replace_with_text(br, "\n")
        block_lines = [" ".join(line.split()) for line in block.text_content().split("\n")]
        block_lines = [line for line in block_lines if line]
        if block_lines:
            missing = [h for h in dict.fromkeys(hrefs) if h not in block_lines[-1]]
            if missing:
                block_lines[-1] += " " + " ".join(missing)
        for line in block_lines:
            lines.append(line)
            where.append(block.sourceline or 0)
        lines.append("")
        where.append(block.sourceline or 0)
    return "\n".join(lines), where, link_text


def _parse_as_text(root: Element) -> tuple[list[Note], list[Marker]]:
    text, where, link_text = _as_text(root)
    notes, markers, _ = plain_text.parse(text, link_text)
    note_sentences("text", text, notes, markers)
    for item in (*notes, *markers):
        item.line = where[item.line - 1] if item.line and item.line <= len(where) else None
    return notes, markers


def _is_backlink(a: Element, marker_ids: set[str]) -> bool:
    href, classes = a.get("href") or "", a.get("class") or ""
    return href.startswith("#") and (
        href[1:] in marker_ids
        or bool(_BACKLINK_TEXT.match(a.text_content()))
        or bool(_BACKLINK_CLASS.search(classes))
        or "footnote-number" in classes
    )


def _read_note(item: Element, note_id: str, marker_ids: set[str]) -> Note:
    """One note as the reader sees it, without its back-links and its own number; its
    addresses come from its links."""
    for a in [a for a in item.iter("a") if a.get("href") and _is_backlink(a, marker_ids)]:
        a.drop_tree()
    for back in [el for el in item.iter() if isinstance(el.tag, str) and _BACKLINK_CLASS.search(el.get("class") or "")]:
        if back is not item:
            back.drop_tree()
    link_text: dict[str, str] = {}
    for a in item.iter("a"):
        href = unwrap_redirect(browser_href(a.get("href") or ""))
        if href.startswith(("http://", "https://")):
            link_text.setdefault(href, visible_text(a))
    return parse_note(note_id, visible_text(item), item.sourceline, link_text, urls=list(link_text))


def parse(text: str) -> tuple[list[Note], list[Marker], str | None]:
    root = parse_tree(text)
    if root is None:
        return [], [], None
    for el in list(root.iter("script", "style", "noscript", "template")):
        el.drop_tree()
    title = _title(root)
    page = Page(root)
    anchors = [a for a in root.iter("a") if (a.get("href") or "").startswith("#") and len(a.get("href")) > 1]
    items = _note_items(page, anchors)
    if not items:
        notes, markers = _parse_as_text(root)
        return notes, markers, title

    in_notes = {el for item, _ in items for el in item.iter()}
    body_anchors = [a for a in anchors if a not in in_notes]
    marker_ids = {key for a in body_anchors if (key := a.get("id") or a.get("name"))}
    marker_ids |= {p.get("id") for a in body_anchors for p in a.iterancestors() if p.get("id")}
    notes: list[Note] = []
    id_to_note: dict[str, str] = {}
    for item, note_id in items:
        for anchor_id in _ids_inside(item):
            id_to_note[anchor_id] = note_id
        notes.append(_read_note(item, note_id, marker_ids))

    cited = [(a, id_to_note[a.get("href")[1:]]) for a in body_anchors if a.get("href")[1:] in id_to_note]
    if not cited:  # a note list under a heading, cited by bare <sup>1</sup>, not by links
        cited = _bare_superscripts(root, in_notes)
    markers = [Marker(note_id, el.sourceline) for el, note_id in cited]
    _cite_notes(notes, cited)
    return notes, markers, title


def _cite_notes(notes: list[Note], cited: list[tuple[Element, str]]) -> None:
    """Each note's citing sentence: the one its first marker ends."""
    first: dict[str, Element] = {}
    for el, note_id in cited:
        first.setdefault(note_id, el)
    read: BlockTexts = {}
    for note in notes:
        if note.id in first:
            note.citing_text = citing_sentence(first[note.id], read)


def _bare_superscripts(root: Element, in_notes: set[Element]) -> list[tuple[Element, str]]:
    markers = []
    for sup in root.iter("sup"):
        if sup in in_notes or any(a.get("href") is not None for a in sup.iter("a")):
            continue
        group = visible_text(sup).strip("[]")
        if re.fullmatch(r"\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*", group):
            markers.extend((sup, i) for i in plain_text.expand_markers(group))
    return markers


def _title(root: Element) -> str | None:
    h1 = next(root.iter("h1"), None)
    if h1 is not None:
        return visible_text(h1) or None
    t = next(root.iter("title"), None)
    if t is not None and t.text and t.text.strip():
        return t.text.strip()
    return None
