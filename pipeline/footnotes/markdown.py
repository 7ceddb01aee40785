"""Markdown footnotes: ``[^label]`` references and ``[^label]: text`` definitions,
including definitions that run over several (indented or lazy) lines."""

from __future__ import annotations

import re

from ..model import Marker, Note
from .fields import parse_note

_DEF = re.compile(r"^ {0,3}\[\^(?P<id>[^\]\s]+)\]:\s*(?P<text>.*)$")
_REF = re.compile(r"\[\^(?P<id>[^\]\s]+)\](?!:)")
_LINK = re.compile(r"!?\[(?P<text>[^\]]*)\]\((?P<url>[^)\s]+)(?:\s+\"[^\"]*\")?\)")
_AUTOLINK = re.compile(r"<(?P<url>https?://[^>\s]+)>")
_FENCE = re.compile(r"^\s*(```|~~~)")


def _unlink(text: str) -> tuple[str, dict[str, str]]:
    """Turn ``[text](url)`` into ``text url`` and remember which text named which URL."""
    link_text: dict[str, str] = {}

    def repl(m: re.Match[str]) -> str:
        link_text.setdefault(m["url"], m["text"])
        return f"{m['text']} {m['url']}"

    text = _LINK.sub(repl, text)
    text = _AUTOLINK.sub(lambda m: m["url"], text)
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


def parse(text: str) -> tuple[list[Note], list[Marker], str | None]:
    lines = text.splitlines()
    defs: list[tuple[str, int, list[str]]] = []
    markers: list[Marker] = []
    in_fence = False
    current: list[str] | None = None
    for n, line in enumerate(lines, start=1):
        if _FENCE.match(line):
            in_fence = not in_fence
            current = None
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
        markers.extend(Marker(r["id"], n) for r in _REF.finditer(line))
    notes = []
    for note_id, line_no, parts in defs:
        raw, link_text = _unlink(" ".join(p for p in parts if p))
        notes.append(parse_note(note_id, raw, line_no, link_text))
    return notes, markers, _title(lines)
