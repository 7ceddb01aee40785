"""Both sides of a file git left with conflict markers.

``archive/`` is committed by a scheduled job on each branch that runs it; merging two such
branches can leave ``<<<<<<<`` / ``=======`` / ``>>>>>>>`` in a file the tool reads back.
Each side between the markers is a whole version of the file, so the two versions can be
rebuilt and read one after the other, instead of the file being taken as empty and
rewritten with this run's entries only (everything else it held lost)."""

from __future__ import annotations


def sides(text: str) -> tuple[str, str] | None:
    """(ours, theirs): the file as each branch had it, or None if ``text`` has no conflict.
    A diff3 conflict's base section (``|||||||``) belongs to neither side."""
    ours: list[str] = []
    theirs: list[str] = []
    where = "both"
    seen = False
    for line in text.splitlines(keepends=True):
        if line.startswith("<<<<<<<") and where == "both":
            where, seen = "ours", True
        elif line.startswith("|||||||") and where == "ours":
            where = "base"
        elif line.startswith("=======") and where in ("ours", "base"):
            where = "theirs"
        elif line.startswith(">>>>>>>") and where == "theirs":
            where = "both"
        elif where == "both":
            ours.append(line)
            theirs.append(line)
        elif where == "ours":
            ours.append(line)
        elif where == "theirs":
            theirs.append(line)
    if not seen or where != "both":  # no markers, or a conflict left open: not git's shape
        return None
    return "".join(ours), "".join(theirs)
