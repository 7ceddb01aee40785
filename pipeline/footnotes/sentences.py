"""The sentence that cites a source: the claim a link or a footnote marker is there to support.

A fact-checker reads a source against the sentence that cites it, and quote checking
needs the quoted words; so every linked source and every note keeps that sentence. The
rules are a plain splitter's (end punctuation, then a space and a capital, not after a
common abbreviation or an initial), which is right for news prose and never slower than
linear; a sentence it joins by mistake is still the text around the link.
"""

from __future__ import annotations

import re
from bisect import bisect_right

_ABBREVIATIONS = frozenset(
    "mr mrs ms dr st jr sr prof gen sen rep gov col lt sgt capt vs etc no nos fig inc corp co ltd "
    "jan feb mar apr jun jul aug sep sept oct nov dec e.g i.e u.s u.k u.n a.m p.m approx est dept".split()
)
_CLOSERS = '"”’»)]'
# end punctuation, closing quotes/brackets, then either white space before something that can
# start a sentence, or the end; CJK full stops need no space
_END = re.compile(
    r"(?:[.!?…]+["
    + re.escape(_CLOSERS)
    + r"]*(?:\[\^?[\w-]{1,20}\]|\{\d{1,4}\}|[⁰¹²³⁴⁵⁶⁷⁸⁹]+)*(?=\s+[\"“‘«(\[¿¡]?[A-Z0-9\u00C0-\u024F\u0400-\u04FF])"
    r"|[。！？]+[」』”]*)"
)
_WORD_BEFORE = re.compile(r"([\w.]+)$")
_MARKERS = re.compile(r"\[\^[^\]\s]+\]|\{\d{1,4}\}|\[\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*\]|[⁰¹²³⁴⁵⁶⁷⁸⁹]+")
_WINDOW = 2000
_QUOTE_CLOSERS = '"”’»」』'
_ENDS_SENTENCE = re.compile(r"[.!?…。！？][" + re.escape(_CLOSERS) + r"」』]*$")


def _is_abbreviation(text: str, dot: int) -> bool:
    """Does the full stop at ``dot`` end an abbreviation or an initial ("J. Smith")?"""
    if text[dot] != ".":
        return False
    m = _WORD_BEFORE.search(text, max(0, dot - 40), dot)  # a window: searching from 0 is quadratic
    if not m:
        return False
    word = m.group(1).lower().rstrip(".")
    return word in _ABBREVIATIONS or (len(word) == 1 and word.isalpha())


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of a paragraph, white space trimmed."""
    spans: list[tuple[int, int]] = []
    start = 0
    for m in _END.finditer(text):
        if _is_abbreviation(text, m.start()):
            continue
        spans.append((start, m.end()))
        start = m.end()
    spans.append((start, len(text)))
    out = []
    for s, e in spans:
        while s < e and text[s].isspace():
            s += 1
        while e > s and text[e - 1].isspace():
            e -= 1
        if e > s:
            out.append((s, e))
    return out


def _tidy(text: str) -> str:
    return " ".join(text.split())


def sentence_at(text: str, offset: int, spans: list[tuple[int, int]] | None = None) -> str:
    """The sentence of ``text`` that holds the character at ``offset`` (a link's first word).
    ``spans``: the text's ``sentence_spans``, when several links of one text are looked up."""
    spans = sentence_spans(text) if spans is None else spans
    at = max(bisect_right(spans, (offset, len(text) + 1)) - 1, 0)
    for i in range(at, min(at + 2, len(spans))):  # the sentence starting at or before it, or the next
        s, e = spans[i]
        if offset < e:
            return _tidy(_near(text, s, e, offset))
    return _tidy(_near(text, 0, len(text), offset))


def _near(text: str, start: int, end: int, offset: int) -> str:
    """text[start:end], or at most _WINDOW characters of it around ``offset``: a "sentence"
    with no end (a paragraph of 50,000 bare links) was kept whole for every link in it,
    1 MB each, until the kernel killed the run."""
    if end - start <= _WINDOW:
        return text[start:end]
    lo = max(start, offset - _WINDOW // 2)
    hi = min(end, lo + _WINDOW)
    return ("…" if lo > start else "") + text[lo:hi] + ("…" if hi < end else "")


def sentence_before_marker(text: str, offset: int) -> str:
    """The sentence a footnote marker at ``offset`` cites: the one it ends (or sits in),
    and the one before too when the marker closes a quotation, which may have begun there.
    Other markers are left out of the sentence."""
    # a window around the marker: two sentences fit, and a long paragraph costs no more
    before = _MARKERS.sub("", text[max(0, offset - _WINDOW) : offset]).rstrip()
    after = _MARKERS.sub("", text[offset : offset + _WINDOW])
    spans = sentence_spans(before)
    if not spans:
        return _tidy(after[: _first_end(after)])
    s, e = spans[-1]
    sentence = before[s:e]
    if not _ENDS_SENTENCE.search(sentence):
        sentence += after[: _first_end(after)]  # the marker sits inside its sentence
    if sentence.endswith(tuple(_QUOTE_CLOSERS)) and len(spans) > 1:
        ps, _ = spans[-2]
        sentence = before[ps:s] + sentence
    return _tidy(sentence)


def _first_end(text: str) -> int:
    for m in _END.finditer(text):
        if not _is_abbreviation(text, m.start()):
            return m.end()
    return len(text)


def text_lines(text: str) -> list[str]:
    """An article's lines as an editor numbers them: split at newlines only. ``splitlines``
    also splits at a form feed (a page break in text saved from Word), U+2028 and U+0085
    (pasted from the web) and other separators, and every line number after one was off."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    if lines[-1] == "":
        lines.pop()
    return lines
