"""Counted nouns, said right: "1 error", "2 errors", "1 match", "0 matches".

Every line citewatch prints with a count goes through ``plural``, so no message says
"1 errors" or "citation(s)".
"""

from __future__ import annotations

_IRREGULAR = {"copy": "copies", "match": "matches", "entry": "entries", "is": "are", "has": "have", "was": "were"}


def plural_of(noun: str) -> str:
    """The plural of one of our nouns (the last word of ``noun`` changes)."""
    head, _, last = noun.rpartition(" ")
    if last in _IRREGULAR:
        word = _IRREGULAR[last]
    elif last.endswith(("s", "x", "ch", "sh")):
        word = last + "es"
    else:
        word = last + "s"
    return f"{head} {word}" if head else word


def plural(count: int, noun: str, many: str | None = None) -> str:
    """``count`` and ``noun``, in the singular for exactly 1 ("1 check"), else the plural
    (``many``, when the noun's plural is not ours to guess)."""
    return f"{count} {noun if count == 1 else (many or plural_of(noun))}"
