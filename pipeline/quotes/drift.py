"""Has the source changed since it was cited? Its archived copy from then vs the page today.

Two measures, each for what it does best:
- *similarity*: the share of the word 5-shingles of the text from then that are still on
  the page — "how much of what was cited is still there", linear in the text: a corrected
  figure scores 0.9-0.99, a rewritten story 0.3;
- *what changed*: the sentences of the text from then whose words (case and punctuation
  aside) no longer stand anywhere on the page, and the article's sentences that were not
  there then: the excerpts a person reads. Looking a sentence up in the other text as a
  whole, not in a list of the other's sentences, makes a change of layout or of where an
  extractor breaks lines no change. Any sentence of three words or more removed (or
  added) makes the verdict ``changed``: a corrected figure is exactly what a fact-checker
  needs to see, however small.

Today's text may be the whole page (``PageText.whole_page``, read when no quote needed
the article, at an eighth of the cost): a page found unchanged against it is unchanged (a
sentence present nowhere on the page is absent from its article too); one that seems
changed is compared again with its article text, when the caller can read it.

Both texts are capped (``MAX_TEXT``) and the comparison runs under a deadline; a
comparison that does not finish in time is ``unknown``, never a guess.
"""

from __future__ import annotations

import re
import time
import unicodedata
from collections import defaultdict
from collections.abc import Callable

from .pagetext import PageText, within
from .verdicts import Drift, DriftVerdict

MAX_TEXT = 300_000  # characters of each text compared
SHINGLE = 5
MIN_WORDS = 3  # shorter sentences (a dateline, "Advertisement") do not count as a change
EXCERPTS = 3
EXCERPT_CHARS = 160
DEADLINE = 5.0
MAX_PLACES = 200  # places a sentence is compared at: a line repeated more often counts as present

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    """Words as compared: NFKC (a page's "ü" may be "u" + a combining mark, its extract's one
    character) and casefolded."""
    return _WORD.findall(unicodedata.normalize("NFKC", text[:MAX_TEXT]).casefold())


class _Text:
    """One side of a comparison, its words and sentences each worked out once however many
    measures read them (a page that seems changed is measured against its copy from then
    twice: as a whole page, then as its article)."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._words: list[str] | None = None
        self._spaced: str | None = None
        self._sentences: list[tuple[str, str]] | None = None

    @property
    def words(self) -> list[str]:
        if self._words is None:
            self._words = _words(self.text)
        return self._words

    @property
    def spaced(self) -> str:
        """The words joined by single spaces, one before and after."""
        if self._spaced is None:
            self._spaced = f" {' '.join(self.words)} "
        return self._spaced

    @property
    def sentences(self) -> list[tuple[str, str]]:
        if self._sentences is None:
            self._sentences = _sentences(self.text)
        return self._sentences


Side = str | _Text


def _side(text: Side) -> _Text:
    return text if isinstance(text, _Text) else _Text(text)


def similarity(then: Side, now: Side) -> float:
    """Share of the word 5-shingles of ``then`` found in ``now`` (0-1; 1 when ``then`` has none)."""
    wa, wb = _side(then).words, _side(now).words
    n = SHINGLE if min(len(wa), len(wb)) >= SHINGLE else 1
    sa = {hash(tuple(wa[i : i + n])) for i in range(len(wa) - n + 1)}
    sb = {hash(tuple(wb[i : i + n])) for i in range(len(wb) - n + 1)}
    return len(sa & sb) / len(sa) if sa else 1.0


def _sentences(text: str) -> list[tuple[str, str]]:
    """(words as a key, the sentence as written) for each sentence long enough to count."""
    out = []
    for s in _SENTENCE_END.split(text[:MAX_TEXT]):
        words = _words(s)
        if len(words) >= MIN_WORDS:
            out.append((" ".join(words), " ".join(s.split())))
    return out


def _missing(sentences: list[tuple[str, str]], other: Side, most: int = EXCERPTS) -> list[str]:
    """The first few sentences (``most``) whose words do not stand anywhere in ``other``.

    ``other``'s word positions are indexed by their first three words (every sentence that
    counts has three), so each sentence is compared only where it could start: linear in
    the texts, where a substring search per sentence took seconds on 300 KB. A sentence
    missed that way is looked for once more with the spaces left out, as extractors glue
    words of neighbouring elements ("Story continues below" after "1" → "1Story")."""
    words = _side(other).words
    where: dict[tuple[str, ...], list[int]] = defaultdict(list)
    for i in range(len(words) - MIN_WORDS + 1):
        where[tuple(words[i : i + MIN_WORDS])].append(i)
    squeezed: str | None = None
    missing: list[str] = []
    for key, sentence in sentences:
        wanted = key.split()
        places = where.get(tuple(wanted[:MIN_WORDS]), ())[:MAX_PLACES]
        if any(words[i : i + len(wanted)] == wanted for i in places):
            continue
        squeezed = "".join(words) if squeezed is None else squeezed
        if "".join(wanted) not in squeezed and sentence not in missing:
            missing.append(sentence)
            if len(missing) == most:
                break
    return missing


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= EXCERPT_CHARS else sentence[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def changes(then: Side, now: Side, now_is_article: bool = True) -> tuple[list[str], list[str] | None]:
    """The first sentences of ``then`` gone from ``now`` and, when ``now`` is the article (not
    the whole page), the first of the article's sentences ``then`` did not have (None: not
    known). The first few are what a report shows and all the verdict needs."""
    then, now = _side(then), _side(now)
    removed = _missing(then.sentences, now)
    return removed, _missing(now.sentences, then) if now_is_article else None


def _contains(then: Side, now: Side) -> bool:
    """Every word of ``then`` stands in ``now``, in order and together: nothing was removed.
    The usual case (a page unchanged since it was cited), settled in one linear pass."""
    return _side(then).spaced in _side(now).spaced


Measure = tuple[float, tuple[list[str], list[str] | None]]  # similarity, (removed, added)


def _at_once(then: Side, now: Side, now_is_article: bool) -> Measure | None:
    """The two commonest answers, each one linear pass over capped texts (milliseconds at
    300 KB), given without the helper thread that bounds a full comparison: a handoff to it
    and back costs more than either (~0.25 ms of CPU each on a busy run, 1,800 per 2,000
    pages). An unchanged article extracted alike then and today; a whole page that still
    holds every word from then (no added sentences are looked for against a whole page).
    None: the full comparison decides."""
    if _side(then).text == _side(now).text:
        return 1.0, ([], [] if now_is_article else None)
    if not now_is_article and _contains(then, now):
        return 1.0, ([], None)
    return None


def _measure(then: Side, now: Side, now_is_article: bool) -> Measure:
    then, now = _side(then), _side(now)
    return _at_once(then, now, now_is_article) or _full(then, now, now_is_article)


def _full(then: _Text, now: _Text, now_is_article: bool) -> Measure:
    """The comparison ``_at_once`` could not settle."""
    if now_is_article and _contains(then, now):
        return 1.0, ([], _missing(now.sentences, then))
    return similarity(then, now), changes(then, now, now_is_article)


def _seems_changed(then: _Text, whole_page: _Text) -> Measure:
    """A whole page against the text from then, when the article can be read if it seems
    changed: then only whether one sentence is gone matters (the article is compared
    instead, from scratch); otherwise the measure ``_full`` gives."""
    gone = _missing(then.sentences, whole_page, most=1)
    return (0.0, (gone, None)) if gone else (similarity(then, whole_page), ([], None))


def compare(
    then: PageText | None,
    now: PageText,
    deadline: float = DEADLINE,
    article: Callable[[], PageText] | None = None,
) -> Drift:
    """The drift of a source since it was cited; ``unknown`` when either side was not read.

    ``article``: reads today's article text, for a ``now`` that is the whole page. It is
    called only when the whole page seems to lack something from then: a page the cheap
    comparison finds unchanged is unchanged, while an extractor's quirks (text it takes
    from markup the page does not show; about 2 % of the real pages of the developers' set
    compared with themselves) must not make an unchanged page look changed."""
    if then is None:
        return Drift(DriftVerdict.UNKNOWN, note="no archived copy from the citation time")
    if not then.readable:
        reason = then.reason.label if then.reason else "no text"
        return Drift(DriftVerdict.UNKNOWN, compared_with=then.url, note=f"archived copy: {reason}")
    if not now.readable:
        reason = now.reason.label if now.reason else "no text"
        return Drift(DriftVerdict.UNKNOWN, compared_with=then.url, note=f"today: {reason}")
    return _compare(_Text(then.text or ""), then, now, deadline, article)


def _compare(
    old: _Text, then: PageText, now: PageText, deadline: float, article: Callable[[], PageText] | None
) -> Drift:
    """``compare`` of two readable texts; ``old``: then's text, kept for a second comparison."""
    new = _Text(now.text or "")
    started = time.monotonic()
    first_look = now.whole_page and article is not None  # only whether it seems changed matters

    def full() -> Measure:
        return _seems_changed(old, new) if first_look else _full(old, new, not now.whole_page)

    done = _at_once(old, new, not now.whole_page) or within(deadline, full)
    if done is None:
        took = time.monotonic() - started
        return Drift(DriftVerdict.UNKNOWN, compared_with=then.url, note=f"comparison stopped after {took:.1f} s")
    score, (removed, added) = done
    verdict = DriftVerdict.CHANGED if removed or added else DriftVerdict.UNCHANGED
    if verdict is DriftVerdict.CHANGED and first_look and article is not None:
        today = article()
        if not today.readable:
            return compare(then, today, deadline)
        return _compare(old, then, today, deadline, None)
    return Drift(
        verdict,
        similarity=round(score, 3),
        compared_with=then.url,
        removed=[_clip(s) for s in removed],
        added=None if added is None else [_clip(s) for s in added],
        note=None if added is not None else "added sentences not looked for: today's article text was not extracted",
    )
