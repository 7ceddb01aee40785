"""A field of citations.yaml that a run and a person both wrote while the run worked.

A run writes archive_url, archive_date and url_status back; a person may set one of them
by hand meanwhile (``url_status: unfit`` on a page they have just read). When the file
changed on disk since this program last read or wrote it, the run's changes are made again
on what is there now, field by field, looking at the value on disk:

- what this program last saw there, or what the file held before this run changed it (an
  editor saving a copy it loaded before the run's last save): nobody else changed it, so
  the run's value is written;
- anything else is a person's edit: it is kept, for the rest of the run, and said once.

The person wins because their value is a decision made with the page in front of them,
while the run's is recomputed by every run (the next one offers it again) — a value lost
from the file is lost for good. The run's own report still shows what the run found.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from .sources_yaml import same_value

Key = tuple[str, str]  # (citation id, field)


@dataclass
class HandEdits:
    before: dict[Key, Any] = field(default_factory=dict)  # before this program first changed it
    seen: dict[Key, Any] = field(default_factory=dict)  # on disk after this program's last save
    kept: set[Key] = field(default_factory=set)  # a person's value, kept for the rest of the run
    unsaid: dict[Key, tuple[Any, Any]] = field(default_factory=dict)  # key → (theirs, the run's latest)

    def changing(self, citation_id: str, key: str, current: Any) -> bool:
        """Called before this program writes a field in its own copy: False when a person's
        value for it was already kept (the run leaves it alone from then on)."""
        at = (citation_id, key)
        if at in self.kept:
            return False
        self.before.setdefault(at, current)
        self.seen.setdefault(at, current)
        return True

    def ours_goes_in(self, citation_id: str, key: str, on_disk: Any, ours: Any) -> bool:
        """On a file someone else wrote since: does the run's value replace the one there?"""
        at = (citation_id, key)
        if at in self.kept:
            if at in self.unsaid:  # the run's later value for it, made again on their file
                self.unsaid[at] = (self.unsaid[at][0], ours)
            return False
        if at not in self.seen or any(same_value(on_disk, v) for v in (ours, self.seen[at], self.before[at])):
            return True
        self.kept.add(at)
        self.unsaid[at] = (on_disk, ours)
        return False

    def saved(self, citation_id: str, key: str, value: Any) -> None:
        """The value now on disk after this program wrote the file."""
        if (citation_id, key) not in self.kept:
            self.seen[(citation_id, key)] = value

    def notice(self, path: object) -> str | None:
        """One line about the people's values kept since the last notice (then forgotten)."""
        if not self.unsaid:
            return None
        shown = "; ".join(
            f"citation {cid}: {key} {_shown(theirs)} kept (the run found {_shown(ours)})"
            for (cid, key), (theirs, ours) in list(self.unsaid.items())[:3]
        )
        more = f"; and {len(self.unsaid) - 3} more" if len(self.unsaid) > 3 else ""
        n = len(self.unsaid)
        self.unsaid.clear()
        fields = "a field" if n == 1 else f"{n} fields"
        return f"{path}: {fields} edited by hand while this run worked, your values kept: {shown}{more}"


def _shown(value: Any) -> str:
    return "(removed)" if value is None else repr(str(value))
