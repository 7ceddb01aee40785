"""Has the source changed since it was cited? Its main text today vs its archived copy from then.

Two measures, each for what it does best:
- *similarity*: Jaccard overlap of word 5-shingles — one figure, linear in the text,
  that tells a corrected number (0.99) from a rewritten story (0.3);
- *what changed*: the sentences (compared word for word, case and punctuation aside) that
  one text has and the other lacks: the excerpts a person reads. Any sentence of three
  words or more removed or added makes the verdict ``changed``: a corrected figure is
  exactly what a fact-checker needs to see, however small.

Both texts are capped (``MAX_TEXT``) and the comparison runs under a deadline; a
comparison that does not finish in time is ``unknown``, never a guess.
"""

from __future__ import annotations

import re
import time

from .pagetext import PageText, within
from .verdicts import Drift, DriftVerdict

MAX_TEXT = 300_000  # characters of each text compared
SHINGLE = 5
MIN_WORDS = 3  # shorter sentences (a dateline, "Advertisement") do not count as a change
EXCERPTS = 3
EXCERPT_CHARS = 160
DEADLINE = 5.0

_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+|\n+")
_WORD = re.compile(r"\w+")


def _words(text: str) -> list[str]:
    return [w.casefold() for w in _WORD.findall(text)]


def similarity(a: str, b: str) -> float:
    """Share of word 5-shingles the two texts have in common (Jaccard, 0-1)."""
    wa, wb = _words(a[:MAX_TEXT]), _words(b[:MAX_TEXT])
    n = SHINGLE if min(len(wa), len(wb)) >= SHINGLE else 1
    sa = {hash(tuple(wa[i : i + n])) for i in range(len(wa) - n + 1)}
    sb = {hash(tuple(wb[i : i + n])) for i in range(len(wb) - n + 1)}
    if not sa and not sb:
        return 1.0
    return len(sa & sb) / len(sa | sb)


def _sentences(text: str) -> list[tuple[str, str]]:
    """(words as a key, the sentence as written) for each sentence."""
    out = []
    for s in _SENTENCE_END.split(text[:MAX_TEXT]):
        s = " ".join(s.split())
        if s:
            out.append((" ".join(_words(s)), s))
    return out


def _clip(sentence: str) -> str:
    return sentence if len(sentence) <= EXCERPT_CHARS else sentence[: EXCERPT_CHARS - 1].rsplit(" ", 1)[0] + "…"


def changes(then: str, now: str) -> tuple[list[str], list[str]]:
    """Sentences of ``then`` gone from ``now``, and sentences ``now`` has that ``then`` did not,
    each in page order. Set lookups, linear in the text: a sentence that only moved is no
    change, and a page of a thousand repeated lines costs what any page does (difflib's
    matcher took minutes on one)."""
    old, new = _sentences(then), _sentences(now)
    old_keys, new_keys = {k for k, _ in old}, {k for k, _ in new}
    removed = [s for k, s in old if k not in new_keys and len(k.split()) >= MIN_WORDS]
    added = [s for k, s in new if k not in old_keys and len(k.split()) >= MIN_WORDS]
    return list(dict.fromkeys(removed)), list(dict.fromkeys(added))


def compare(then: PageText | None, now: PageText, deadline: float = DEADLINE) -> Drift:
    """The drift of a source since it was cited; ``unknown`` when either side was not read."""
    if then is None:
        return Drift(DriftVerdict.UNKNOWN, note="no archived copy from the citation time")
    if not then.readable:
        reason = then.reason.label if then.reason else "no text"
        return Drift(DriftVerdict.UNKNOWN, compared_with=then.url, note=f"archived copy: {reason}")
    if not now.readable:
        reason = now.reason.label if now.reason else "no text"
        return Drift(DriftVerdict.UNKNOWN, compared_with=then.url, note=f"today: {reason}")
    old, new = then.text or "", now.text or ""
    started = time.monotonic()
    done = within(deadline, lambda: (similarity(old, new), changes(old, new)))
    if done is None:
        took = time.monotonic() - started
        return Drift(DriftVerdict.UNKNOWN, compared_with=then.url, note=f"comparison stopped after {took:.1f} s")
    score, (removed, added) = done
    verdict = DriftVerdict.CHANGED if removed or added else DriftVerdict.UNCHANGED
    return Drift(
        verdict,
        similarity=round(score, 3),
        compared_with=then.url,
        removed=[_clip(s) for s in removed[:EXCERPTS]],
        added=[_clip(s) for s in added[:EXCERPTS]],
    )
