"""How an article cites each source, in citations.yaml: ``kind`` (footnote or link), the
link's words, the sentence citing it, every place it is linked from; and the linked
sources' own entries, found again by their URL on the next extract.

These fields describe the article, so the tool owns them: each extract sets them afresh
(or removes them when the article no longer has them), unlike the fields a person curates.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .model import Article, Citation, InputProblem, LinkedSource, Place, SourceKind

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from .citations import CitationsFile


def read_source_fields(
    c: Citation, entry: Any, problems: list[InputProblem], at: Callable[[str, str], InputProblem]
) -> None:
    """How the article cites the source: kind, link text, the citing sentence, its places."""
    kind = entry.get("kind")
    if kind not in (None, ""):
        try:
            c.kind = SourceKind(kind)
        except ValueError:
            kinds = ", ".join(k.value for k in SourceKind)
            problems.append(at("kind", f"kind must be one of {kinds}, not {kind!r}"))
    for key in ("link_text", "citing_text", "same_as"):
        value = entry.get(key)
        if isinstance(value, (str, int)) and not isinstance(value, bool):
            setattr(c, key, str(value))
    places = entry.get("places")
    if isinstance(places, list):
        c.places = [
            Place(p.get("article_line"), p.get("link_text"), p.get("citing_text"))
            for p in places
            if isinstance(p, dict)
        ]


def position(entries: list, entry: Any, near: int) -> int:
    """Where ``entry`` (the object itself) stands in ``entries``, looking from ``near`` on
    first: merges walk the file in order, so this is O(1) per entry where ``list.index``
    compared whole entries (deep ==) from the start."""
    n = len(entries)
    for i in (*range(max(0, near - 1), n), *range(0, max(0, near - 1))):
        if entries[i] is entry:
            return i
    raise ValueError("entry not in the citations file")


_LINK_ID = re.compile(r"^(?:.*:)?link-(\d+)$")


def merge_links(cf: CitationsFile, article: Article, scope: str | None, last_index: int) -> set[str]:
    """Bring the article's linked sources in: an entry per URL (``kind: link``), found again
    by its URL on the next extract, with where and how the article links it refreshed. A
    person's fields (publisher, title, date…) are theirs once typed. Returns the ids."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from .footnotes.links import url_key

    prefix = f"{scope}:" if scope else ""
    mine = [e for e in cf.entries if str(e.get("id")).startswith(prefix)]
    by_url = {
        url_key(str(e["url"])): e for e in mine if e.get("kind") == SourceKind.LINK and isinstance(e.get("url"), str)
    }
    numbers = [int(m.group(1)) for e in cf.entries if (m := _LINK_ID.match(str(e.get("id"))))]
    next_number = max(numbers, default=0) + 1
    ids: set[str] = set()
    for source in article.links:
        entry = by_url.get(url_key(source.url))
        if entry is None:
            entry = _new_link_entry(f"{prefix}link-{next_number}", source)
            next_number += 1
            cf.entries.insert(last_index + 1, entry)
        elif "note_removed" in entry:
            del entry["note_removed"]
        first = source.places[0]
        set_or_drop(entry, "link_text", first.link_text)
        set_or_drop(entry, "citing_text", first.citing_text)
        set_or_drop(entry, "article_line", first.line)
        set_or_drop(entry, "places", [_place(p) for p in source.places] if len(source.places) > 1 else None)
        entry["id"] = DoubleQuotedScalarString(str(entry["id"]))
        ids.add(str(entry["id"]))
        last_index = position(cf.entries, entry, last_index + 1)
    return ids


def _new_link_entry(cid: str, source: LinkedSource) -> CommentedMap:
    from ruamel.yaml.comments import CommentedMap

    from .citations_merge import note_fields

    entry = CommentedMap()
    entry["id"] = cid
    entry["kind"] = "link"
    if source.note is not None:
        for key, value in note_fields(source.note).items():
            if value is not None and key != "url":
                entry[key] = value
    entry["url"] = source.url
    return entry


def _place(place: Place) -> CommentedMap:
    from ruamel.yaml.comments import CommentedMap

    out = CommentedMap()
    for key, value in (
        ("article_line", place.line),
        ("link_text", place.link_text),
        ("citing_text", place.citing_text),
    ):
        if value is not None:
            out[key] = value
    return out


def set_or_drop(entry: CommentedMap, key: str, value: Any) -> None:
    """A field the tool owns (what the article says): set, or removed when the article no
    longer has it."""
    if value is None or value == []:
        if key in entry:
            del entry[key]
    elif not same_value(entry.get(key), value):
        entry[key] = value


def same_value(a: Any, b: Any) -> bool:
    """Equal as YAML values: a date and its ISO text are the same."""
    if isinstance(a, dt.date) or isinstance(b, dt.date):
        return str(a) == str(b)
    return a == b
