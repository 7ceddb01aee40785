"""Word-processor files: footnotes and endnotes as Word (.docx) and LibreOffice or Google
Docs' OpenDocument export (.odt) keep them.

Editors hand drafts over as such files, and saving one as a web page first loses nothing
but time. Both are zips of XML parts, read here with the standard library.

- .docx: the body (``word/document.xml``) marks each note with
  ``<w:footnoteReference w:id=…>``, the notes are in ``word/footnotes.xml`` (and
  ``endnotes.xml``), and a link in a note is a ``<w:hyperlink r:id=…>`` whose address is in
  the part's relationships, or an older ``HYPERLINK "…"`` field. Notes take the numbers
  Word shows: footnotes 1, 2, 3… and endnotes i, ii, iii… in the order the body cites them.
- .odt: each note sits where it is cited (``<text:note>`` in ``content.xml``), with the
  number the editor shows in ``<text:note-citation>``; links are ``<text:a xlink:href>``.

These files have no lines, so findings name the footnote only.
"""

from __future__ import annotations

import re
import zipfile
from xml.etree import ElementTree

from ..model import Marker, Note
from .fields import parse_note

W = "{http://schemas.openxmlformats.org/wordprocessingml/2006/main}"
R = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_REL = "{http://schemas.openxmlformats.org/package/2006/relationships}Relationship"
_DC_TITLE = "{http://purl.org/dc/elements/1.1/}title"
_HYPERLINK_FIELD = re.compile(r'HYPERLINK\s+"([^"]+)"')
MAX_PART = 50_000_000  # bytes of XML in one part: a real article's notes are a few hundred KB


class NotAWordFile(ValueError):
    """The file is not a readable .docx or .odt; the message says what is wrong with it."""


_ROMAN = ((1000, "m"), (900, "cm"), (500, "d"), (400, "cd"), (100, "c"), (90, "xc"), (50, "l"), (40, "xl"),
          (10, "x"), (9, "ix"), (5, "v"), (4, "iv"), (1, "i"))  # fmt: skip


def _roman(n: int) -> str:
    """Word's default endnote numbering: i, ii, iii, iv, …"""
    out = ""
    for value, digits in _ROMAN:
        count, n = divmod(n, value)
        out += digits * count
    return out


def _part(z: zipfile.ZipFile, name: str) -> ElementTree.Element | None:
    try:
        info = z.getinfo(name)
    except KeyError:
        return None
    if info.file_size > MAX_PART:
        raise NotAWordFile(f"{name} is {info.file_size:,} bytes, too large for an article")
    try:
        return ElementTree.fromstring(z.read(info))
    except ElementTree.ParseError as e:
        raise NotAWordFile(f"{name} is not well-formed XML ({e})") from None


def _links(z: zipfile.ZipFile, part: str) -> dict[str, str]:
    """Relationship id → external address, for the links in ``part``."""
    folder, _, name = part.rpartition("/")
    rels = _part(z, f"{folder}/_rels/{name}.rels")
    if rels is None:
        return {}
    return {
        r.get("Id", ""): r.get("Target", "")
        for r in rels.iter(_REL)
        if r.get("TargetMode") == "External" and r.get("Target", "").startswith(("http://", "https://"))
    }


def _text(element: ElementTree.Element, links: dict[str, str]) -> tuple[str, dict[str, str]]:
    """A paragraph's or a note's text, each link's address after its words, and the words
    that link each address."""
    out: list[str] = []
    link_text: dict[str, str] = {}

    def walk(node: ElementTree.Element) -> None:
        for child in node:
            tag = child.tag
            if tag == f"{W}t":
                out.append(child.text or "")
            elif tag in (f"{W}tab", f"{W}br", f"{W}cr"):
                out.append(" ")
            elif tag == f"{W}instrText":
                field = _HYPERLINK_FIELD.search(child.text or "")
                if field:
                    out.append(f" {field.group(1)} ")
            elif tag == f"{W}hyperlink":
                start = len(out)
                walk(child)
                url = links.get(child.get(f"{R}id", ""))
                if url:
                    words = "".join(out[start:]).strip()
                    link_text.setdefault(url, words)
                    if url not in words:
                        out.append(f" {url}")
            elif tag == f"{W}p":
                walk(child)
                out.append("\n")
            elif tag not in (f"{W}footnoteRef", f"{W}endnoteRef", f"{W}delText"):  # number marks, deletions
                walk(child)

    walk(element)
    return " ".join("".join(out).split()), link_text


def _notes(z: zipfile.ZipFile, kind: str) -> dict[str, ElementTree.Element]:
    root = _part(z, f"word/{kind}s.xml")
    if root is None:
        return {}
    return {
        n.get(f"{W}id", ""): n
        for n in root.iter(f"{W}{kind}")
        if n.get(f"{W}type") not in ("separator", "continuationSeparator", "continuationNotice")
    }


def _title(z: zipfile.ZipFile, body: ElementTree.Element) -> str | None:
    for p in body.iter(f"{W}p"):
        style = p.find(f"{W}pPr/{W}pStyle")
        if style is not None and style.get(f"{W}val", "").lower() in ("title", "heading1"):
            text, _ = _text(p, {})
            if text:
                return text
    core = _part(z, "docProps/core.xml")
    title = core.find(_DC_TITLE) if core is not None else None
    if title is not None and (title.text or "").strip():
        return title.text.strip()
    for p in body.iter(f"{W}p"):
        text, _ = _text(p, {})
        if text:
            return text[:200]
    return None


def _open(path: str, kind: str) -> zipfile.ZipFile:
    try:
        return zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise NotAWordFile(f"not a readable {kind} file ({e})") from None


def _main_part(z: zipfile.ZipFile, name: str, what: str) -> ElementTree.Element:
    part = _part(z, name)
    if part is None:
        raise NotAWordFile(f"no {name}: not {what}")
    return part


def parse_docx(path: str) -> tuple[list[Note], list[Marker], str | None]:
    with _open(path, "Word") as z:
        body = _main_part(z, "word/document.xml", "a Word document")
        notes: list[Note] = []
        markers: list[Marker] = []
        for kind, number in (("footnote", str), ("endnote", _roman)):
            defined = _notes(z, kind)
            links = _links(z, f"word/{kind}s.xml")
            shown: dict[str, str] = {}  # Word's id → the number Word shows
            for ref in body.iter(f"{W}{kind}Reference"):
                wid = ref.get(f"{W}id", "")
                shown.setdefault(wid, number(len(shown) + 1))
                markers.append(Marker(shown[wid]))
            for wid in defined:  # a note the body no longer cites: numbered after the rest
                shown.setdefault(wid, number(len(shown) + 1))
            order = {wid: i for i, wid in enumerate(shown)}
            for wid in sorted(defined, key=order.__getitem__):
                raw, link_text = _text(defined[wid], links)
                notes.append(parse_note(shown[wid], raw, None, link_text))
        return notes, markers, _title(z, body)


TEXT = "{urn:oasis:names:tc:opendocument:xmlns:text:1.0}"
_XLINK_HREF = "{http://www.w3.org/1999/xlink}href"
_ODT_TITLE = "{urn:oasis:names:tc:opendocument:xmlns:office:1.0}meta/{http://purl.org/dc/elements/1.1/}title"


def _odt_text(element: ElementTree.Element) -> tuple[str, dict[str, str]]:
    out: list[str] = []
    link_text: dict[str, str] = {}

    def walk(node: ElementTree.Element) -> None:
        out.append(node.text or "")
        for child in node:
            if child.tag == f"{TEXT}note":
                pass  # a note inside the text is not part of it
            elif child.tag in (f"{TEXT}s", f"{TEXT}tab", f"{TEXT}line-break"):
                out.append(" ")
            elif child.tag == f"{TEXT}a" and child.get(_XLINK_HREF, "").startswith(("http://", "https://")):
                start = len(out)
                walk(child)
                url, words = child.get(_XLINK_HREF, ""), "".join(out[start:]).strip()
                link_text.setdefault(url, words)
                if url not in words:
                    out.append(f" {url}")
            else:
                walk(child)
                if child.tag in (f"{TEXT}p", f"{TEXT}h"):
                    out.append(" ")
            out.append(child.tail or "")

    walk(element)
    return " ".join("".join(out).split()), link_text


def parse_odt(path: str) -> tuple[list[Note], list[Marker], str | None]:
    with _open(path, "OpenDocument") as z:
        content = _main_part(z, "content.xml", "an OpenDocument text")
        notes: list[Note] = []
        markers: list[Marker] = []
        for note in content.iter(f"{TEXT}note"):
            citation = note.find(f"{TEXT}note-citation")
            body = note.find(f"{TEXT}note-body")
            number = (citation.text or "").strip() if citation is not None else ""
            if not number or body is None:
                continue
            markers.append(Marker(number))
            raw, link_text = _odt_text(body)
            notes.append(parse_note(number, raw, None, link_text))
        title = None
        meta = _part(z, "meta.xml")
        found = meta.find(_ODT_TITLE) if meta is not None else None
        if found is not None and (found.text or "").strip():
            title = found.text.strip()
        heading = next(content.iter(f"{TEXT}h"), None)
        if title is None and heading is not None:
            title = _odt_text(heading)[0] or None
        return notes, markers, title
