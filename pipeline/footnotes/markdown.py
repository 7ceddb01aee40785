"""Markdown footnotes: ``[^label]`` references and ``[^label]: text`` definitions,
including definitions that run over several (indented or lazy) lines, and Pandoc's inline
notes, ``text.^[Reuters, "Title", 2023, https://…]``, which are marker and note at once."""

from __future__ import annotations

import re

from ..model import Marker, Note
from .fields import parse_note
from .links import AUTOLINK
from .sentences import text_lines

_DEF = re.compile(r"^ {0,3}\[\^(?P<id>[^\]\s]+)\]:\s*(?P<text>.*)$")
_REF = re.compile(r"\[\^(?P<id>[^\]\s]+)\](?!:)")
# Each part stops at the first character it cannot hold: a bracket in the words; in the
# address, a parenthesis that is not one of a balanced pair as in Foo_(bar), after which an
# unbalanced "(" may take 256 characters more (a link as the old pattern read it, cut at a
# parenthesis). Scanning on to the paragraph's end from every "[" made 20,000 of them
# minutes of work.
_LINK = re.compile(
    r"!?\[(?P<text>[^\[\]]*)\]\("
    r"(?P<url>(?:[^()\s]|\([^()\s]*\))+(?:\([^)\s]{0,256}+)?|\([^)\s]{0,256}+)"
    r"(?:\s+\"[^\"]*\")?\)"
)
_FENCE = re.compile(r"^\s*(```|~~~)")
_INLINE_START = "^["


def _unlink(text: str) -> tuple[str, dict[str, str]]:
    """Turn ``[text](url)`` into ``text url`` and remember which text named which URL."""
    link_text: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        link_text.setdefault(m["url"], m["text"])
        return f"{m['text']} {m['url']}"

    text = _LINK.sub(repl, text)
    text = AUTOLINK.sub(lambda m: m["url"], text)
    return text, link_text


def _title(lines: list[str]) -> str | None:
    if lines and lines[0].strip() == "---":
        for line in lines[1:40]:
            if line.strip() == "---":
                break
            m = re.match(r"^title:\s*[\"']?(.*?)[\"']?\s*$", line)
            if m:
                return m.group(1)
    for line in lines:
        m = re.match(r"^#\s+(.*)$", line)
        if m:
            return m.group(1).strip()
    return None


def _inline_notes(body: list[tuple[int, str]]) -> tuple[list[tuple[int, str]], list[tuple[int, str]]]:
    """Pandoc inline notes in the body lines: ``(line, note text)`` for each, and the body
    with each note replaced by a reference to it, ``[^inline-N]``, so that markers keep
    their order. A note may run over the lines of its paragraph and hold brackets of its
    own (``[link text](url)``); one still open at a blank line is not a note, and its text
    goes back into the body."""
    notes: list[tuple[int, str]] = []
    kept_lines: list[tuple[int, list[str]]] = []
    note_line, depth = 0, 0
    # while a note is open: each piece of it with the line it came from, and the slot in
    # its first line where the reference to it goes
    pieces: list[tuple[list[str], str]] = []
    ref_line, ref_at = [], 0

    def give_back() -> None:
        ref_line[ref_at] = _INLINE_START
        for kept, text in pieces:
            kept.append(text)

    for n, line in body:
        kept: list[str] = []
        kept_lines.append((n, kept))
        if depth and not line.strip():
            give_back()  # the paragraph ended first: not a note after all
            depth = 0
        i = 0
        while i < len(line):
            if not depth:
                start = line.find(_INLINE_START, i)
                if start < 0:
                    kept.append(line[i:])
                    break
                kept.extend([line[i:start], ""])
                note_line, depth, pieces, ref_line, ref_at = n, 1, [], kept, len(kept) - 1
                i = start + len(_INLINE_START)
                continue
            j = i
            while j < len(line) and depth:
                depth += {"[": 1, "]": -1}.get(line[j], 0)
                j += 1
            pieces.append((kept, line[i : j - 1] if not depth else line[i:j]))
            i = j
            if not depth:
                notes.append((note_line, " ".join(text.strip() for _, text in pieces if text.strip())))
                ref_line[ref_at] = f"[^inline-{len(notes)}]"
    if depth:
        give_back()
    return notes, [(n, "".join(kept)) for n, kept in kept_lines]


def _numbered_notes(text: str, lines: list[str]) -> tuple[list[Note], list[Marker], str | None]:
    """No ``[^1]`` notes: a Markdown post may still cite ``[1]`` and list its notes, numbered,
    under a Notes / References / Sources heading, as plain text does. Links in the notes
    are read as their words and address (``[Title](url)`` → ``Title url``)."""
    from . import text as plain_text

    unlinked, link_text = _unlink(text)
    notes, markers, _ = plain_text.parse(unlinked, link_text)
    # with no notes list, "[2019]" in a linked post is a year in brackets, not a marker
    return notes, markers if notes else [], _title(lines)


_CODE_SPAN = re.compile(r"(`+)[^`]+?\1")


def parse(text: str) -> tuple[list[Note], list[Marker], str | None]:
    lines = text_lines(text)
    defs: list[tuple[str, int, list[str]]] = []
    body: list[tuple[int, str]] = []
    markers: list[Marker] = []
    in_fence = False
    current: list[str] | None = None
    for n, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            current = None
            body.append((n, ""))  # ends an inline note's paragraph
            continue
        if in_fence:
            continue
        m = _DEF.match(line)
        if m:
            current = [m["text"]]
            defs.append((m["id"], n, current))
            continue
        if current is not None:
            if line.startswith(("    ", "\t")) or (line.strip() and current[-1].strip()):
                current.append(line.strip())
                continue
            if not line.strip():
                current.append("")
                continue
            current = None
        body.append((n, line))
    inline, body = _inline_notes(body)
    if not defs and not inline:
        return _numbered_notes(text, lines)
    for n, line in body:  # a marker written in a code span is the code's, not a citation
        markers.extend(Marker(r["id"], n) for r in _REF.finditer(_CODE_SPAN.sub(" ", line)))
    notes = []
    for note_id, line_no, parts in defs:
        raw, link_text = _unlink(" ".join(p for p in parts if p))
        notes.append(parse_note(note_id, raw, line_no, link_text))
    for k, (line_no, note_text) in enumerate(inline, start=1):
        raw, link_text = _unlink(note_text)
        notes.append(parse_note(f"inline-{k}", raw, line_no, link_text))
    if inline:  # in reading order, as Pandoc numbers them, so Ibid. means the note before
        first = {}
        for i, m in enumerate(markers):
            first.setdefault(m.id, i)
        notes.sort(key=lambda note: first.get(note.id, len(markers)))
    return notes, markers, _title(lines)
