"""An article's notes and links brought into its citations.yaml, a person's work kept.

A field is refreshed from the note only while it still holds what the old note said; a
value someone typed by hand is kept. Notes that vanished from the article are flagged,
never deleted. ``citations.merge_article`` runs this, then validates the result.
"""

from __future__ import annotations

import dataclasses
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
    existing = {str(e.get("id")): e for e in cf.entries}
    notes = _distinct_ids(article.notes)
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
            findings.append(
                Finding(
                    FindingCode.NOTE_REMOVED,
                    "in citations.yaml but no longer in the article (kept, not deleted)",
                    cid,
                    line_of(entry),
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
