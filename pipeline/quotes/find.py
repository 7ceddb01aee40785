"""Quotations in an article's citing text, and where (if anywhere) a page's text holds them.

Matching is on words: case, quote style, spacing, line breaks, dashes and other
punctuation are ignored, because none of them changes what a source said and all of
them change between an article and the page it quotes. An ellipsis may stand for a
passage the article left out, and a bracketed insertion ("[the minister] said") for a
few words it replaced. A near match is reported as such, with the page's own wording,
so a person can judge a paraphrase or a corrected figure.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from itertools import accumulate, islice

from rapidfuzz import fuzz

from .verdicts import QuoteVerdict

MIN_WORDS = 4
MIN_CHARS = 20
CLOSE_AT = 80.0  # partial_ratio of the words; 65-70 is what unrelated sentences of one topic score
BRACKET_GAP = 12  # words a bracketed insertion may stand for
ELLIPSIS_GAP = 300  # words an ellipsis may leave out
MAX_FUZZY = 1_000  # characters of a quote looked for as a near match (find_in)
MAX_TEXT = 1_000_000  # characters of text searched: a long article is ~60,000, a whole news page ~100,000
EXCERPT_CHARS = 300

_QUOTED = re.compile(
    r"“(?P<a>[^“”]+)”"  # English curly
    r'|"(?P<b>[^"]+)"'  # straight
    r"|«(?P<c>[^«»]+)»"  # French, Russian
    r"|„(?P<d>[^„“”]+)[“”]"  # German, Polish
    r"|「(?P<e>[^「」]+)」"  # Japanese, Chinese
    r"|『(?P<f>[^『』]+)』"
)
_BLANK_LINE = re.compile(r"\n[ \t]*\n")
_WORD = re.compile(r"\w+")
_ELLIPSIS = re.compile(r"\[\s*\.\.\.\s*\]|\.\s*\.\s*\.")
_GLUED_BRACKET = re.compile(r"(?<=\w)\[([^\[\]]*)\]|\[([^\[\]]*)\](?=\w)")
_BRACKET = re.compile(r"\[[^\[\]]*\]")


def quotes_in(citing_text: str | None) -> list[str]:
    """The quotations in ``citing_text`` worth checking, in order, each once.

    A quotation is at least four words or 20 characters: shorter quoted bits are
    titles, terms or scare quotes, which a page need not contain word for word. It may
    run over a line break but not over a blank line (that is a new paragraph, so the
    quote mark was never closed)."""
    found: list[str] = []
    for m in _QUOTED.finditer(citing_text or ""):
        inner = next(g for g in m.groups() if g is not None)
        if _BLANK_LINE.search(inner):
            continue
        quote = " ".join(inner.split())
        if len(quote.split()) >= MIN_WORDS or len(quote) >= MIN_CHARS:
            if quote not in found:
                found.append(quote)
    return found


@dataclass
class QuoteMatch:
    """Where a quote stands in a text: found word for word, close, or not at all."""

    verdict: QuoteVerdict  # FOUND, CLOSE or NOT_FOUND
    score: float  # 0-100
    excerpt: str | None = None  # the text's own wording at that place
    span: tuple[int, int] | None = None  # character offsets in the text


class _Words:
    """A text as its words (NFKC, casefolded), joined by single spaces for fast searching,
    and where each word stands in the text (worked out only when an excerpt is wanted)."""

    def __init__(self, text: str) -> None:
        self.text = text
        norm = unicodedata.normalize("NFKC", text).casefold()
        # the usual case: normalising kept every character in place, so the words' places in
        # ``norm`` are their places in ``text`` (one C-speed findall instead of a Python loop)
        self._norm = norm if len(norm) == len(text) else None
        if self._norm is not None:
            self.words = _WORD.findall(norm)
            self._spans: list[tuple[int, int]] | None = None
        else:
            matches = list(_WORD.finditer(text))
            self.words = [unicodedata.normalize("NFKC", m.group(0)).casefold() for m in matches]
            self._spans = [m.span() for m in matches]
        self.joined = " ".join(self.words)
        # where each word starts in ``joined``: its length and a space after each word before it
        # (map and accumulate in C: a generator here was a third of a small page's reading)
        self.offsets = list(accumulate(map((1).__add__, map(len, self.words[:-1])), initial=0)) if self.words else []

    def span(self, first: int, last: int) -> tuple[int, int]:
        """Where words ``first`` to ``last`` stand in the text (the text is read up to word
        ``last`` only: an excerpt is wanted once per quote found, usually near the top)."""
        if self._spans is not None:
            return self._spans[first][0], self._spans[last][1]
        places = [m.span() for m in islice(_WORD.finditer(self._norm or ""), first, last + 1)]
        if len(places) != last - first + 1:  # cannot happen with equal lengths; stay safe
            return 0, 0
        return places[0][0], places[-1][1]

    def word_at(self, char: int) -> int:
        """The word that character ``char`` of ``joined`` belongs to."""
        return max(0, bisect.bisect_right(self.offsets, char) - 1)

    def occurrences(self, phrase: list[str], first: int, last: int) -> Iterator[int]:
        """Word indexes i in [first, last] where ``phrase`` starts, in order (at most 500),
        each found only when the caller asks for it: the search stops at the first place
        the rest of the quote follows, not after every place a common phrase stands."""
        needle = " ".join(phrase)
        hits, at = 0, self.offsets[first] if first < len(self.offsets) else len(self.joined)
        while hits < 500:
            at = self.joined.find(needle, at)
            if at < 0:
                break
            i = self.word_at(at)
            if i > last:
                break
            end = at + len(needle)
            if self.offsets[i] == at and (end == len(self.joined) or self.joined[end] == " "):
                hits += 1
                yield i
            at += 1


@lru_cache(maxsize=4)
def _words(text: str) -> _Words:
    """One text's words, shared by the quotes of a citation looked for in it."""
    return _Words(text)


@lru_cache(maxsize=256)
def _segments(quote: str) -> list[tuple[int, list[str]]]:
    """The quote as runs of words, each with the most words allowed before it (a gap).
    Kept for the next text the quote is looked for in (the whole page, the article, the
    copy from then); callers only read it."""
    text = unicodedata.normalize("NFKC", quote)  # "…" becomes "..."
    text = _ELLIPSIS.sub(" \x00E ", text)
    text = _GLUED_BRACKET.sub(lambda m: m.group(1) if m.group(1) is not None else m.group(2), text)
    text = _BRACKET.sub(" \x00B ", text)
    segments: list[tuple[int, list[str]]] = []
    gap = 0
    for piece in re.split(r"(\x00[EB])", text):
        if piece == "\x00E":
            gap += ELLIPSIS_GAP
        elif piece == "\x00B":
            gap += BRACKET_GAP
        else:
            words = [w.casefold() for w in _WORD.findall(piece)]
            if words:
                segments.append((gap if segments else 0, words))
                gap = 0
    return segments


def _exact(segments: list[tuple[int, list[str]]], page: _Words) -> tuple[int, int] | None:
    """First and last word index of the segments found in order, each within its gap."""
    if not segments or not page.words:
        return None

    placed: dict[tuple[int, int], int | None] = {}  # (segment, first word) → last word: each tried once

    def place(k: int, first: int, last: int) -> int | None:
        if (k, first) in placed:
            return placed[(k, first)]
        found = None
        words = segments[k][1]
        for i in page.occurrences(words, first, last):
            end = i + len(words)
            if k + 1 == len(segments):
                found = end - 1
                break
            tail = place(k + 1, end, min(end + segments[k + 1][0], len(page.words) - 1))
            if tail is not None:
                found = tail
                break
        placed[(k, first)] = found
        return found

    for start in islice(page.occurrences(segments[0][1], 0, len(page.words) - 1), 50):
        end = place(0, start, start)
        if end is not None:
            return start, end
    return None


def _excerpt(page: _Words, first: int, last: int) -> tuple[str, tuple[int, int]]:
    span = page.span(first, last)
    excerpt = " ".join(page.text[span[0] : span[1]].split())
    if len(excerpt) > EXCERPT_CHARS:
        excerpt = excerpt[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return excerpt, span


def find_quote(quote: str, text: str) -> QuoteMatch:
    """Where ``quote`` stands in ``text`` (a page's main text): found, close or not found."""
    return find_in(quote, _words(text[:MAX_TEXT]))


def words_of(text: str) -> _Words:
    """``text`` ready to look quotes up in, for a caller that keeps it (``find_in``)."""
    return _words(text[:MAX_TEXT])


def find_in(quote: str, page: _Words) -> QuoteMatch:
    """``find_quote`` in a text already made into words (``words_of``)."""
    segments = _segments(quote)
    hit = _exact(segments, page)
    if hit is not None:
        excerpt, span = _excerpt(page, *hit)
        return QuoteMatch(QuoteVerdict.FOUND, 100.0, excerpt, span)
    # A long quote's near match is placed by its first MAX_FUZZY characters, then scored
    # whole against the text from there: the search's cost grows faster than the quote (an
    # 11,000-character quote in a 340,000-character page took 45 s of CPU).
    whole = " ".join(w for _, words in segments for w in words)
    needle = whole[:MAX_FUZZY]
    if not needle or not page.joined:
        return QuoteMatch(QuoteVerdict.NOT_FOUND, 0.0)
    near = fuzz.partial_ratio_alignment(needle, page.joined, score_cutoff=CLOSE_AT)
    if near is None:
        return QuoteMatch(QuoteVerdict.NOT_FOUND, round(fuzz.partial_ratio(needle, page.joined), 1))
    start, end, score = near.dest_start, near.dest_end, near.score
    if len(whole) > len(needle):
        end = min(len(page.joined), start + len(whole))
        score = fuzz.ratio(whole, page.joined[start:end])
        if score < CLOSE_AT:
            return QuoteMatch(QuoteVerdict.NOT_FOUND, round(score, 1))
    first, last = page.word_at(start), page.word_at(max(start, end - 1))
    excerpt, span = _excerpt(page, first, last)
    return QuoteMatch(QuoteVerdict.CLOSE, round(score, 1), excerpt, span)
