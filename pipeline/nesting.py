"""How deeply a YAML text nests, found before a parser recurses into it.

Both YAML libraries citewatch uses build nested values by recursion: a citations.yaml
nested 10,000 levels deep (``[[[[…`` or 10,000 ever-deeper indented keys, a few hundred
KB) ends in a RecursionError and a traceback instead of a line a user can act on. A
citations file needs four levels; anything past ``MAX_NESTING`` is refused, with the line
where it went too deep. The scan is linear and cheap: a line's indentation, its leading
``- `` items, and flow brackets outside quotes.
"""

from __future__ import annotations

import re

MAX_NESTING = 64

_LEADING_DASHES = re.compile(r"(?:-[ \t]+)+")


def _flow_change(line: str) -> tuple[int, int]:
    """(net change of flow depth over the line, the highest depth reached on it), ignoring
    brackets inside quotes and after a comment."""
    depth = peak = 0
    quote = ""
    for i, ch in enumerate(line):
        if quote:
            if ch == quote:
                quote = ""
        elif ch in "\"'" and (i == 0 or line[i - 1] in " \t[{,:"):
            quote = ch
        elif ch == "#" and (i == 0 or line[i - 1] in " \t"):
            break
        elif ch in "[{":
            depth += 1
            peak = max(peak, depth)
        elif ch in "]}":
            depth -= 1
    return depth, peak


def too_deep_line(text: str, limit: int = MAX_NESTING) -> int | None:
    """The 1-based line on which ``text`` nests deeper than ``limit``, or None."""
    indents: list[int] = []
    flow = 0
    for number, line in enumerate(text.split("\n"), start=1):  # lines as editors count them
        body = line.lstrip(" ")
        if not body or body.startswith("#"):
            continue
        if flow == 0:
            indent = len(line) - len(body)
            while indents and indents[-1] >= indent:
                indents.pop()
            indents.append(indent)
        dashes = _LEADING_DASHES.match(body)
        block = len(indents) + (dashes.group(0).count("-") if dashes else 0)
        if "[" in body or "{" in body or flow:
            change, peak = _flow_change(body)
            if block + flow + peak > limit:
                return number
            flow = max(0, flow + change)
        elif block > limit:
            return number
    return None
