"""Write-backs made to citations.yaml's text, entry by entry, for a run of any size.

A run writes archive_url, archive_date and url_status into (nearly) every entry. Holding
the whole file as a round-trip (ruamel) document for that cost 3.1 KB per citation, on top
of everything else a run holds: 620 MB at 200,000 citations. Here the file is read once by
libyaml, and what a run keeps of each entry is the few fields it reads or writes back
(``KEPT``). A save finds each changed entry's lines in the text on disk (libyaml's events
mark where every entry starts), round-trips only those lines through ruamel with the same
settings as a whole-file save, and streams the file out: unchanged entries keep their exact
bytes, changed ones come out as a whole-file save would write them, comments and order
kept. The changes are made to whatever is on disk at save time, so a person's edits made
meanwhile are kept (as ``citations.save`` does by catching up).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from ruamel.yaml import YAML

# what a run reads from an entry (quotes: access_date, note) or writes back into it
KEPT = ("id", "access_date", "note", "archive_url", "archive_date", "url_status")
BATCH = 256  # neighbouring changed entries round-tripped together (ruamel's set-up is per call)
# how ruamel writes an entry (dash at column 2, keys at 4): the only layout spliced into
ITEM_PREFIX = "  - "


@dataclass
class TextEdits:
    """A file loaded for text write-backs: the digest of the text last read or written
    (has someone else written it since?), and this run's changes per citation id — all of
    them (made again on a file someone else wrote) and which are not on disk yet."""

    digest: bytes
    changes: dict[str, dict[str, Any]] = field(default_factory=dict)
    unsaved: set[str] = field(default_factory=set)

    def record(self, citation_id: str, values: dict[str, Any]) -> None:
        self.changes.setdefault(citation_id, {}).update(values)
        self.unsaved.add(citation_id)


def digest(text: str) -> bytes:
    return hashlib.blake2b(text.encode("utf-8"), digest_size=16).digest()


@dataclass
class Entries:
    """Where each entry of the ``citations`` list sits in the text: ``starts[i]`` is the
    offset of the line of its dash, ``ends[i]`` where the next entry's line begins (or the
    list ends); ``ids[i]`` its id as ``str`` of the value, ``lines[i]`` its 1-based line."""

    starts: list[int]
    ends: list[int]
    ids: list[str | None]
    lines: list[int]


def entry_spans(text: str, loader_class: type) -> Entries | None:
    """The entries' places, from libyaml's events (2.3 s for 200,000 entries). None for a
    layout this module leaves to the whole-file save: a flow-style list, an entry not
    written ``  - key: value`` (dash at column 2, as a save writes it) on its dash's line,
    no newline at the end, a character libyaml reads otherwise than
    ruamel (``fast_reads_alike``), a key twice in one mapping (libyaml keeps
    the last, ruamel refuses the file), a byte-order mark, or anything unusual."""
    from yaml import events as ev

    from .yamlstream import fast_reads_alike

    if text.startswith("\ufeff") or not text.endswith("\n") or not fast_reads_alike(text):
        return None  # (without a last newline, the last entry's end would be its last line's start)
    loader = loader_class(text)
    try:
        return _walk(text, loader, ev)
    except Exception:  # noqa: BLE001 - whatever libyaml or the walk dislikes: the careful path
        return None
    finally:
        loader.dispose()


def _walk(text: str, loader: Any, ev: Any) -> Entries | None:
    out = Entries([], [], [], [])
    # one frame per open container: [is_mapping, expecting_key, key of the value being read,
    # keys seen (a key twice is an error the round-trip loader reports with its line)]
    stack: list[list[Any]] = []
    in_list = False  # inside the top-level `citations` list
    while not isinstance(event := loader.get_event(), ev.StreamEndEvent):
        depth = len(stack)
        if isinstance(event, ev.MappingStartEvent | ev.SequenceStartEvent):
            if in_list and depth == 2:
                if not isinstance(event, ev.MappingStartEvent) or not _starts_item(text, event, out):
                    return None
            elif depth == 1 and stack[0][2] == "citations":
                if not isinstance(event, ev.SequenceStartEvent) or event.flow_style:
                    return None
                in_list = True
            stack.append([isinstance(event, ev.MappingStartEvent), True, None, set()])
        elif isinstance(event, ev.MappingEndEvent | ev.SequenceEndEvent):
            stack.pop()
            if in_list and len(stack) == 1:  # the citations list ends: so does its last entry
                out.ends.append(_line_start(text, event.start_mark.index))
                in_list = False
            _after_value(stack)
        elif isinstance(event, ev.ScalarEvent):
            if in_list and depth == 3 and stack[2][1] is False and stack[2][2] == "id":
                out.ids[-1] = _scalar_text(loader, event)
            if stack and stack[-1][0] and stack[-1][1]:
                if event.value in stack[-1][3]:
                    return None
                stack[-1][3].add(event.value)
                stack[-1][1], stack[-1][2] = False, event.value
            else:
                _after_value(stack)
        elif isinstance(event, ev.AliasEvent):
            return None
    if len(out.ends) != len(out.starts):
        return None
    return out


def _after_value(stack: list[list[Any]]) -> None:
    if stack and stack[-1][0]:
        stack[-1][1], stack[-1][2] = True, None


def _starts_item(text: str, event: Any, out: Entries) -> bool:
    start = _line_start(text, event.start_mark.index)
    if text[start : event.start_mark.index] != ITEM_PREFIX:
        return False  # entries indented otherwise: a spliced entry would not line up with them
    if out.starts:
        out.ends.append(start)
    out.starts.append(start)
    out.ids.append(None)
    out.lines.append(event.start_mark.line + 1)
    return True


def _line_start(text: str, index: int) -> int:
    return text.rfind("\n", 0, index) + 1


def _scalar_text(loader: Any, event: Any) -> str:
    """The id as validation reads it: str() of the value (`id: 7` and `id: '7'` are both "7")."""
    from yaml.nodes import ScalarNode

    tag = loader.resolve(ScalarNode, event.value, event.implicit) if event.tag is None else "tag:yaml.org,2002:str"
    build = loader.yaml_constructors.get(tag)
    return str(build(loader, ScalarNode(tag, event.value, style=event.style))) if build else event.value


def patched(
    text: str,
    entries: Entries,
    changes: dict[str, dict[str, Any]],
    yaml: YAML,
    ours_goes_in: Callable[[str, str, Any, Any], bool] = lambda *_: True,
) -> Iterator[str]:
    """The file's text with ``changes`` made, in pieces: unchanged stretches as they were,
    each batch of neighbouring changed entries as ruamel writes it. A change whose citation
    is no longer in the file is left out (someone removed it meanwhile), and so is one
    ``ours_goes_in(id, field, the value there, ours)`` turns down (a person's edit)."""
    from .sources_yaml import same_value

    at = [i for i, cid in enumerate(entries.ids) if cid is not None and cid in changes]
    done = 0
    for batch in _batches(at):
        first, last = batch[0], batch[-1]
        yield text[done : entries.starts[first]]
        region = text[entries.starts[first] : entries.ends[last]]
        doc = yaml.load("citations:\n" + region)
        changed = False
        for k, i in enumerate(batch):
            entry = doc["citations"][k]
            cid = entries.ids[i] or ""
            for key, value in (changes.get(cid) or {}).items():
                if not same_value(entry.get(key), value) and ours_goes_in(cid, key, entry.get(key), value):
                    entry[key] = value
                    changed = True
        yield _dumped(doc, yaml)[len("citations:\n") :] if changed else region
        done = entries.ends[last]
    yield text[done:]


def _batches(at: list[int]) -> Iterator[range]:
    """Runs of neighbouring indices, at most BATCH long (the entries between two changed
    ones are round-tripped with them: a run changes nearly every entry)."""
    i = 0
    while i < len(at):
        j = i
        while j + 1 < len(at) and at[j + 1] - at[i] < BATCH:
            j += 1
        yield range(at[i], at[j] + 1)
        i = j + 1


def _dumped(doc: Any, yaml: YAML) -> str:
    import io

    buf = io.StringIO()
    yaml.dump(doc, buf)
    out = buf.getvalue()
    if not out.startswith("citations:\n"):
        raise ValueError("ruamel wrote the entries in an unexpected shape")
    return out
