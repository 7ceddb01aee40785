"""Bytes → text for fetched pages, done the way browsers do it.

Order of trust (WHATWG encoding sniffing, simplified): a BOM, then the HTTP
header charset, then what the document declares (``<meta charset>``, the
``http-equiv`` form, or an XHTML page's ``<?xml encoding?>``; BeautifulSoup's
``EncodingDetector`` reads these, as it does for every page it parses); but when the declared charset cannot
decode the bytes cleanly (servers lie: "ISO-8859-1" on GBK pages is common),
charset-normalizer's detection wins. Legacy Chinese labels are widened to their
supersets (gb2312 → gb18030, big5 → big5hkscs) as browsers do.
"""

from __future__ import annotations

import codecs
import re

from charset_normalizer import from_bytes

_WIDER = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "x-gbk": "gb18030",
    "big5": "big5hkscs",
    "iso-8859-1": "cp1252",
    "latin-1": "cp1252",
    "latin1": "cp1252",
    "us-ascii": "cp1252",
    "ascii": "cp1252",
    "shift_jis": "cp932",
    "euc-kr": "cp949",
}
_BOMS = [(codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"), (codecs.BOM_UTF16_BE, "utf-16")]


def _normal(label: str | None) -> str | None:
    if not label:
        return None
    label = label.strip().strip("\"'").lower()
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _WIDER.get(label, _WIDER.get(name, name))


def header_charset(content_type: str | None) -> str | None:
    m = re.search(r"charset\s*=\s*[\"']?([^\s;\"']+)", content_type or "", re.I)
    return _normal(m.group(1)) if m else None


def declared_charset(body: bytes) -> str | None:
    """The encoding the document names for itself, looked for where browsers look: an
    XML declaration at the start, a ``<meta>`` in the first few KB."""
    from bs4.dammit import EncodingDetector  # ~0.1 s to import: once, on the first page

    declared = EncodingDetector.find_declared_encoding(body[:4096], is_html=True, search_entire_document=True)
    return declared if isinstance(declared, str) else None


def decode_body(body: bytes, content_type: str | None = None) -> tuple[str, str]:
    """The body as text and the encoding used to read it."""
    if not body:
        return "", "utf-8"
    for bom, name in _BOMS:
        if body.startswith(bom):
            return body.decode(name, errors="replace"), name
    candidates = [header_charset(content_type), _normal(declared_charset(body))]
    for enc in candidates:
        if not enc:
            continue
        try:
            text = body.decode(enc)
        except (UnicodeDecodeError, LookupError):
            continue
        # A single-byte label on bytes that are valid UTF-8 with non-ASCII in them is a
        # stale declaration (a page re-saved as UTF-8): read as the label says, every
        # "ü" would be "Ã¼". Random single-byte text is almost never valid UTF-8.
        if _single_byte(enc) and _is_utf8_with_non_ascii(body):
            return body.decode("utf-8"), "utf-8"
        # cp1252 decodes almost anything; accept it only when the bytes are not
        # clearly multi-byte CJK (which detection would find instead).
        if enc == "cp1252" and _looks_multibyte(body):
            continue
        return text, enc
    try:
        body.decode("utf-8")
        return body.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    best = from_bytes(body[:200_000]).best()
    if best is not None and best.encoding:
        enc = _WIDER.get(best.encoding, best.encoding)
        return body.decode(enc, errors="replace"), enc
    return body.decode("utf-8", errors="replace"), "utf-8"


def decode_page(body: bytes, content_type: str | None) -> tuple[str, str] | None:
    """Decode a fetched body once for everything that reads it as text (liveness signals,
    paywall markers, metadata); None for bodies that are not text (PDF, images)."""
    ctype = (content_type or "").split(";")[0].strip().lower()
    if not body or body[:5] == b"%PDF-":
        return None
    if ctype and not re.search(r"html|xml|text/plain", ctype):
        # a server that does not know what it sends says octet-stream; browsers then look
        # at the bytes (WHATWG MIME sniffing), and so do we, for HTML only
        if ctype not in _UNKNOWN_TYPES or not _HTML_START.match(body[:1024]):
            return None
    return decode_body(body, content_type)


_UNKNOWN_TYPES = {"application/octet-stream", "binary/octet-stream", "application/unknown", "unknown/unknown"}
_HTML_START = re.compile(rb"(?:\xef\xbb\xbf)?\s*(?:<!--.*?-->\s*)*<(?:!doctype\s+html|html|head)[\s>]", re.I | re.S)


def _looks_multibyte(body: bytes) -> bool:
    high = sum(1 for b in body[:20000] if b >= 0x80)
    if high < 20:
        return False
    best = from_bytes(body[:20000]).best()
    return best is not None and best.encoding not in ("cp1252", "latin_1", "iso8859_15", "ascii")


def _single_byte(enc: str) -> bool:
    try:
        return codecs.lookup(enc).name.startswith(("cp125", "iso8859", "latin", "koi8", "mac-", "cp437", "cp850"))
    except LookupError:
        return False


def _is_utf8_with_non_ascii(body: bytes) -> bool:
    if body.isascii():
        return False
    try:
        body.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True
