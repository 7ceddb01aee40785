"""Plain-text articles: ``{1}``/``[1]`` markers with a notes list at the end, ``1.``
numbered notes under a Notes/References heading, or superscript ``¹`` markers and notes
(what text copied out of Word or a web page keeps of its footnotes)."""

from __future__ import annotations

import re

from ..model import Marker, Note
from .fields import parse_note
from .sentences import text_lines

_SUPERSCRIPT_DIGITS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_NOTE_START = re.compile(
    r"^\s*(?:[\{\[](?P<a>\d{1,4})[\}\]]|(?P<c>[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,4})|(?P<b>\d{1,4})[.)](?=\s))\s*,?\s*(?P<text>.*)$"
)
# a line led by a marker that cannot be the start of an ordinary sentence or list item
_BRACKET_NOTE = re.compile(r"^\s*(?:[\{\[](\d{1,4})[\}\]]|[⁰¹²³⁴⁵⁶⁷⁸⁹]{1,4}\s*\S)")
_HEADING = re.compile(
    r"^\s*(?:#+\s*)?(?:notes|references|sources|footnotes|endnotes|citations|bibliography|works cited"
    r"|参考资料|参考文献|注释|參考資料|註釋)\s*:?\s*$",
    re.I,
)
_BODY_MARKER = re.compile(r"\{(\d{1,4})\}|\[(\d{1,4}(?:\s*[,\u2013-]\s*\d{1,4})*)\]|\^(\d{1,3})\b")
_SUPERSCRIPT = str.maketrans(_SUPERSCRIPT_DIGITS, "0123456789")
_SUPERSCRIPT_RUN = re.compile(f"[{_SUPERSCRIPT_DIGITS}]+")
_BOILERPLATE = re.compile(r"^(skip to (main )?content|menu|home|search|share|print)$", re.I)


def _notes_start(lines: list[str]) -> tuple[int, bool] | None:
    """Index of the first note line, and whether notes are ``1.``-numbered.

    A heading such as "Notes" wins; otherwise the first ``{n}``/``[n]``-led line
    after which most non-blank lines are note lines too.
    """
    for i in range(len(lines) - 1, -1, -1):
        if _HEADING.match(lines[i]):
            rest = [j for j in range(i + 1, len(lines)) if _NOTE_START.match(lines[j])]
            if rest:
                return rest[0], True
    starts = [i for i, line in enumerate(lines) if _BRACKET_NOTE.match(line)]
    for i in starts:
        after = [line for line in lines[i:] if line.strip()]
        led = sum(1 for line in after if _BRACKET_NOTE.match(line))
        if led >= 0.5 * len(after):
            return i, False
    return None


def expand_markers(group: str) -> list[str]:
    """ "3", "3, 5", "3–5" → the note numbers they cite."""
    ids: list[str] = []
    for part in re.split(r"\s*,\s*", group):
        bounds = re.split(r"\s*[\u2013-]\s*", part)
        if len(bounds) == 2 and bounds[0].isdigit() and bounds[1].isdigit() and int(bounds[1]) - int(bounds[0]) < 50:
            ids.extend(str(n) for n in range(int(bounds[0]), int(bounds[1]) + 1))
        elif part.isdigit():
            ids.append(str(int(part)))
    return ids


def body_markers(lines: list[str], first_line: int = 1) -> list[Marker]:
    markers = []
    for n, line in enumerate(lines, start=first_line):
        for m in _BODY_MARKER.finditer(line):
            group = m.group(1) or m.group(2) or m.group(3)
            markers.extend(Marker(i, n) for i in expand_markers(group))
        for m in _SUPERSCRIPT_RUN.finditer(line):
            markers.append(Marker(str(int(m.group(0).translate(_SUPERSCRIPT))), n))
    return markers


def guess_title(lines: list[str]) -> str | None:
    for line in lines[:15]:
        s = line.strip()
        if s and not _BOILERPLATE.match(s) and len(s) <= 200:
            return s.lstrip("# ").strip()
    return None


def parse(text: str, link_text: dict[str, str] | None = None) -> tuple[list[Note], list[Marker], str | None]:
    """``link_text`` maps URLs to the words that linked them, when the text came from HTML."""
    lines = text_lines(text)
    found = _notes_start(lines)
    if found is None:
        return [], body_markers(lines), guess_title(lines)
    start, numbered = found
    notes: list[Note] = []
    raw: list[tuple[str, int, list[str]]] = []
    blank_run = 0
    for i in range(start, len(lines)):
        line = lines[i]
        m = _NOTE_START.match(line)
        if m and (numbered or not m.group("b")):
            note_id = m.group("a") or m.group("b") or str(int(m.group("c").translate(_SUPERSCRIPT)))
            raw.append((note_id, i + 1, [m.group("text")]))
            blank_run = 0
        elif not line.strip():
            blank_run += 1
        elif raw and blank_run == 0:
            raw[-1][2].append(line.strip())  # continuation of the previous note
        else:
            break  # text after the notes (a footer): not part of any note
    for note_id, line_no, parts in raw:
        notes.append(parse_note(note_id, " ".join(parts), line_no, link_text))
    body_end = start
    if numbered:
        while body_end > 0 and not _HEADING.match(lines[body_end - 1]):
            body_end -= 1
        body_end = max(body_end - 1, 0)
    return notes, body_markers(lines[:body_end]), guess_title(lines)
