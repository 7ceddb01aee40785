"""An article's notes and links brought into its citations.yaml, a person's work kept.

A field is refreshed from the note only while it still holds what the old note said; a
value someone typed by hand is kept. Notes that vanished from the article are flagged,
never deleted. ``citations.merge_article`` runs this, then validates the result.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from .citations_validate import line_of
from .model import Article, Finding, FindingCode, Note, PartialDate, Severity
from .sources_yaml import merge_links, position, same_value, set_or_drop

if TYPE_CHECKING:
    from ruamel.yaml.comments import CommentedMap

    from .citations import CitationsFile


def yaml_date(d: PartialDate | None) -> Any:
    if d is None:
        return None
    return d.as_date() if d.precision == "day" else d.iso()


def note_fields(note: Note) -> dict[str, Any]:
    return {
        "publisher": note.publisher,
        "title": note.title,
        "date": yaml_date(note.date),
        "author": note.author,
        "url": note.urls[0] if note.urls else None,
    }


def merge_notes(cf: CitationsFile, article: Article, scope: str | None = None) -> list[Finding]:
    """Edit ``cf``'s document; the findings are the notes that changed or were removed.
    ``scope``: in a file shared by several articles, only ids starting with ``scope:``
    belong to this one."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    findings: list[Finding] = []
    related = {
        f.footnote: f.related
        for f in article.findings
        if f.code in (FindingCode.IBID, FindingCode.DUPLICATE_NOTE) and f.related
    }
    if scope is None:
        _merge_article_meta(cf, article)
    last_index = _insertion_point(cf, scope)
    # one look-up table and positions found by identity, near the last one: a lookup or
    # an ``entries.index`` per note (deep ==) made a 4,500-source article take minutes
    notes = _distinct_ids(article.notes)
    _follow_renumbering(cf, notes, scope)
    existing = {str(e.get("id")): e for e in cf.entries}
    for note in notes:
        entry = existing.get(note.id)
        if entry is None:
            entry = _new_entry(note)
            cf.entries.insert(last_index + 1, entry)
        else:
            findings.extend(_refresh_entry(entry, note))
        if note.id in related:
            entry["same_as"] = DoubleQuotedScalarString(related[note.id])
        elif "same_as" in entry:
            del entry["same_as"]
        set_or_drop(entry, "citing_text", note.citing_text)
        last_index = position(cf.entries, entry, last_index + 1)
    kept = {n.id for n in notes} | merge_links(cf, article, scope, last_index)
    if article.notes or article.links:
        findings.extend(_flag_removed(cf, kept, scope))
    return findings


def _distinct_ids(notes: list[Note]) -> list[Note]:
    """Two notes numbered alike (the parser reports it as an error) both kept, the later
    as ``1#2``: one entry per id, and the second note's source is still checked rather than
    lost into the first's entry (the same id the same way on every run)."""
    used: set[str] = set()
    out = []
    for note in notes:
        nid, k = note.id, 2
        while nid in used:
            nid, k = f"{note.id}#{k}", k + 1
        used.add(nid)
        out.append(note if nid == note.id else dataclasses.replace(note, id=nid))
    return out


def _follow_renumbering(cf: CitationsFile, notes: list[Note], scope: str | None) -> None:
    """Notes renumbered (one inserted or removed before them): each entry follows its
    source to the source's new number, with its archive link, url_status, hand edits and
    comments. Matched by id alone, note 1's entry took the new note 1's address and kept
    the old source's archive_url and url_status: a report and an export linking the wrong
    page's archived copy. A source is recognised by its note's text, else by its address
    (when one note and one entry have it). An entry whose number another source takes and
    whose own source is gone keeps its place as ``N#removed`` (flagged, never deleted)."""
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    own = [
        e
        for e in cf.entries
        if isinstance(e, dict)
        and e.get("kind", "footnote") != "link"
        and (scope is None or str(e.get("id")).startswith(f"{scope}:"))
    ]
    by_id = {str(e.get("id")): e for e in own}
    by_raw = _grouped(own, lambda e: e.get("note") if isinstance(e.get("note"), str) else None)
    by_url = _grouped(own, lambda e: e.get("url") if isinstance(e.get("url"), str) else None)
    note_urls = _grouped(notes, lambda n: n.urls[0] if n.urls else None)
    moves: dict[str, str] = {}  # entry id → the number its source has now
    for n in notes:
        here = by_id.get(n.id)
        if here is not None and here.get("note") == n.raw:
            continue
        found = by_raw.get(n.raw, [])
        if len(found) != 1 and n.urls and len(note_urls[n.urls[0]]) == 1:
            found = by_url.get(n.urls[0], [])
        if len(found) == 1 and str(found[0].get("id")) != n.id:
            moves.setdefault(str(found[0].get("id")), n.id)
    if not moves or len(set(moves.values())) != len(moves):
        return
    numbers = {n.id for n in notes}
    for new in moves.values():  # the entry holding a number taken, its source gone: out of the way
        holder = by_id.get(new)
        if holder is not None and new not in moves:
            if any(n.id == new and n.raw == holder.get("note") for n in notes):
                return  # its own note is still there: not a renumbering this can follow
            gone, k = f"{new}#removed", 2
            while gone in by_id or gone in numbers:
                gone, k = f"{new}#removed{k}", k + 1
            holder["id"] = DoubleQuotedScalarString(gone)
            by_id[gone] = holder
    for old, new in moves.items():
        by_id[old]["id"] = DoubleQuotedScalarString(new)


def _grouped(items: list[Any], key: Callable[[Any], Any]) -> dict[Any, list[Any]]:
    out: dict[Any, list[Any]] = {}
    for item in items:
        k = key(item)
        if k is not None:
            out.setdefault(k, []).append(item)
    return out


def _merge_article_meta(cf: CitationsFile, article: Article) -> None:
    """The file's ``article:`` block, filled in where a person left it empty."""
    from ruamel.yaml.comments import CommentedMap

    meta = cf.doc.get("article")
    if meta is None:
        meta = CommentedMap()
        cf.doc.insert(0, "article", meta)
    if article.title and not meta.get("title"):
        meta["title"] = article.title
    if not meta.get("source"):
        meta["source"] = article.source
    if article.date and not meta.get("date"):  # front matter: what the article's sources were at
        meta["date"] = yaml_date(article.date)


def _insertion_point(cf: CitationsFile, scope: str | None) -> int:
    """Where a new note goes: after the previous note of this article (the index before
    its first one to start with); a new article's notes go at the end of a shared file."""
    if scope is None:
        return -1
    own = [i for i, e in enumerate(cf.entries) if str(e.get("id")).startswith(f"{scope}:")]
    return own[0] - 1 if own else len(cf.entries) - 1


def _refresh_entry(entry: CommentedMap, note: Note) -> list[Finding]:
    """The note's fields into its existing entry, where they still hold what the old note said."""
    from .footnotes.fields import parse_note

    old_raw = entry.get("note")
    old = note_fields(parse_note(note.id, old_raw)) if isinstance(old_raw, str) else {}
    for key, value in note_fields(note).items():
        current = entry.get(key)
        if current in (None, "") or (old and same_value(current, old.get(key))):
            if value is None:
                if current is not None and key != "url":
                    del entry[key]
            elif not same_value(current, value):
                entry[key] = value
    findings = []
    if old_raw != note.raw:
        entry["note"] = note.raw
        if old_raw is not None:
            findings.append(
                Finding(
                    FindingCode.NOTE_CHANGED,
                    "the note's text changed since the last extract",
                    note.id,
                    note.line,
                    Severity.INFO,
                )
            )
    if "note_removed" in entry:
        del entry["note_removed"]
    return findings


def _flag_removed(cf: CitationsFile, kept: set[str], scope: str | None) -> list[Finding]:
    """This article's entries it no longer cites: marked, kept, reported."""
    findings = []
    for entry in cf.entries:
        cid = str(entry.get("id"))
        if scope is not None and not cid.startswith(f"{scope}:"):
            continue
        if cid not in kept:
            if not entry.get("note_removed"):
                entry["note_removed"] = True
            # the line is citations.yaml's, not the article's (which no longer has it): said
            # in the message, so that no report prints it as ARTICLE:LINE
            at = line_of(entry)
            findings.append(
                Finding(
                    FindingCode.NOTE_REMOVED,
                    f"in citations.yaml{f' (line {at})' if at else ''} but no longer in the article (kept, not deleted)",
                    cid,
                )
            )
    return findings


def _new_entry(note: Note) -> CommentedMap:
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    entry = CommentedMap()
    entry["id"] = DoubleQuotedScalarString(note.id)
    for key, value in note_fields(note).items():
        if value is not None:
            entry[key] = value
    entry["note"] = note.raw
    return entry
