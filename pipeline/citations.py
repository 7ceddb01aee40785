"""citations.yaml: load and validate, merge an article's notes in, save atomically.

People edit this file; the tool writes to it too. ruamel.yaml's round-trip mode
is used (rather than PyYAML) because it keeps their comments, key order and
quoting — a tool that reformats a hand-kept file will not be trusted twice.
"""

from __future__ import annotations

import datetime as dt
import gc
import io
import re
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from .address import redact_credentials
from .errors import InputError
from .files import write_atomic
from .model import Article, Citation, Finding, InputProblem, Note, PartialDate, Severity, UrlStatus
from .nesting import MAX_NESTING, too_deep_line
from .sources_yaml import merge_links, read_source_fields, same_value, set_or_drop

T = TypeVar("T")

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

# ruamel.yaml (round-trip, comments kept) is imported where a file is parsed for update
# or written: `check` reads through libyaml and never needs it (~12 ms of start-up).

URL_STATUSES = {s.value for s in UrlStatus}
_DATE_STR = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")


class CitationsError(InputError):
    """citations.yaml has problems; ``problems`` holds one ``file:line: message`` each."""

    def __init__(self, problems: list[str] | list[InputProblem]):
        self.problems = [str(p) for p in problems]
        super().__init__("\n".join(self.problems))


@dataclass
class CitationsFile:
    path: Path
    doc: CommentedMap
    citations: list[Citation] = field(default_factory=list)
    read_only: bool = False  # loaded by the fast path: plain dicts, no comments to keep
    lenient: bool = False  # bad fields stay with their citation (see _validate)
    # The text last read from or written to ``path``, and this program's changes since it
    # was loaded (see ``edit``): a save finds out whether someone else wrote the file
    # meanwhile, and applies the changes to what they wrote instead of overwriting it.
    on_disk: str | None = None
    changes: list[Callable[[CitationsFile], Any]] = field(default_factory=list, repr=False)

    @property
    def entries(self) -> CommentedSeq:
        return self.doc["citations"]

    def entry(self, citation_id: str) -> CommentedMap | None:
        return next((e for e in self.entries if str(e.get("id")) == citation_id), None)


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096  # never fold a long title over two lines
    y.indent(mapping=2, sequence=4, offset=2)
    return y


def _line(node: Any, key: Any = None) -> int | None:
    try:
        if key is not None:
            return node.lc.key(key)[0] + 1
        return node.lc.line + 1
    except (AttributeError, KeyError, TypeError):
        return None


def to_partial_date(value: Any) -> PartialDate | None:
    """A YAML date value (date, "2023-10", 2023) as a PartialDate; raises ValueError."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return PartialDate.from_date(value.date())
    if isinstance(value, dt.date):
        return PartialDate.from_date(value)
    if isinstance(value, int) and 1000 <= value <= 9999:
        return PartialDate(value)
    if isinstance(value, str) and _DATE_STR.match(value.strip()):
        parts = [int(p) for p in value.strip().split("-")]
        d = PartialDate(*parts)
        try:
            dt.date(d.year, d.month or 1, d.day or 1)
        except ValueError:
            raise ValueError(f"not a date: {value!r} (no such day)") from None
        return d
    raise ValueError(f"not a date: {value!r} (use YYYY-MM-DD, YYYY-MM or YYYY)")


def _yaml_date(d: PartialDate | None) -> Any:
    if d is None:
        return None
    return d.as_date() if d.precision == "day" else d.iso()


def _is_http_url(value: str) -> bool:
    try:
        parts = urlsplit(value)
        parts.port  # noqa: B018 - raises for a port out of range or not a number
    except ValueError:  # "http://[::1/": a broken IPv6 literal
        return False
    host = parts.hostname or ""
    return parts.scheme in ("http", "https") and bool(host) and not any(ch.isspace() for ch in host)


def _validate(path: Path, doc: Any, lenient: bool = False) -> tuple[list[Citation], list[InputProblem]]:
    """Citations and problems. ``lenient``: a bad field stays with its citation
    (``Citation.problems``) instead of failing the file; structure errors always fail."""
    problems: list[InputProblem] = []
    name = str(path)
    if not isinstance(doc, dict):
        return [], [InputProblem(name, "expected a mapping with a 'citations' list at the top", 1)]
    if "citations" not in doc:
        return [], [InputProblem(name, "no 'citations' list", 1)]
    seq = doc["citations"]
    if seq is None:
        from ruamel.yaml.comments import CommentedSeq

        doc["citations"] = CommentedSeq()
        return [], []
    if not isinstance(seq, list):
        return [], [InputProblem(name, "'citations' must be a list", _line(doc, "citations"))]
    citations: list[Citation] = []
    seen: dict[str, int | None] = {}
    for i, entry in enumerate(seq):
        line = _line(seq[i]) if hasattr(seq[i], "lc") else None
        if line is None:
            try:
                line = seq.lc.item(i)[0] + 1
            except (AttributeError, KeyError, TypeError):
                line = None
        if not isinstance(entry, dict):
            problems.append(InputProblem(name, f"citation #{i + 1} must be a mapping with at least an 'id'", line))
            continue
        raw_id = entry.get("id")
        if raw_id is None or isinstance(raw_id, bool) or not isinstance(raw_id, (str, int)):
            problems.append(InputProblem(name, f"citation #{i + 1} needs an 'id' (a string such as \"1\")", line))
            continue
        cid = str(raw_id)
        if cid in seen:
            problems.append(InputProblem(name, f"duplicate id {cid!r} (first at line {seen[cid]})", line))
            continue
        seen[cid] = line
        c = Citation(id=cid, line=line)
        field_problems = c.problems if lenient else problems

        def at(key: str, message: str, entry=entry, line=line, cid=cid) -> InputProblem:
            return InputProblem(name, message, _line(entry, key) or line, cid)

        for key in ("publisher", "title", "author"):
            value = entry.get(key)
            if value is not None and not isinstance(value, str):
                if isinstance(value, (int, float)):
                    value = str(value)
                else:
                    field_problems.append(at(key, f"{key} must be text"))
                    continue
            setattr(c, key, value or None)
        try:
            c.date = to_partial_date(entry.get("date"))
        except ValueError as e:
            field_problems.append(at("date", str(e)))
        for key in ("url", "archive_url"):
            value = entry.get(key)
            if value in (None, ""):
                continue
            if not isinstance(value, str) or not _is_http_url(value.strip()):
                shown = redact_credentials(str(value))
                field_problems.append(at(key, f"{key} must be an http(s) URL, not {shown!r}"))
                if key == "url":
                    c.bad_url = shown
                continue
            setattr(c, key, redact_credentials(value.strip()))  # the file keeps them; nothing we write does
        value = entry.get("archive_date")
        if value not in (None, ""):
            try:
                d = to_partial_date(value)
                c.archive_date = d.as_date() if d else None
            except ValueError as e:
                field_problems.append(at("archive_date", str(e)))
        value = entry.get("url_status")
        if value not in (None, ""):
            if value not in URL_STATUSES:
                field_problems.append(at("url_status", f"url_status must be one of {', '.join(sorted(URL_STATUSES))}"))
            else:
                c.url_status = UrlStatus(value)
        read_source_fields(c, entry, field_problems, at)
        raw_candidates = entry.get("candidates")
        if isinstance(raw_candidates, list):
            c.candidates = [dict(x) for x in raw_candidates if isinstance(x, dict) and isinstance(x.get("url"), str)]
        citations.append(c)
    return citations, problems


@cache
def fast_yaml_loader():
    """PyYAML's libyaml loader restricted to YAML 1.2 core scalars (as ruamel reads them):
    no yes/no/on/off booleans, no sexagesimal numbers, so a title "12:30" stays text."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Core12Loader(base):  # type: ignore[misc, valid-type]
        pass

    Core12Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float"))]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    for tag, pattern, first in (
        ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
        ("tag:yaml.org,2002:int", r"^[-+]?[0-9]+$", "-+0123456789"),
        ("tag:yaml.org,2002:float", r"^[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?$", "-+.0123456789"),
    ):
        Core12Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    return Core12Loader


def _load_fast(path: Path, text: str) -> CitationsFile | None:
    """Read-only load through libyaml (~25x faster than round-trip on a 2,000-entry file).
    Anything doubtful returns None, and the round-trip loader reports it with line numbers."""
    try:
        import yaml

        doc = yaml.load(text, Loader=fast_yaml_loader())
    except Exception:  # any parse/construct problem: let the careful path explain it
        return None
    if not isinstance(doc, dict) or not isinstance(doc.get("citations"), list):
        return None
    citations, problems = _validate(path, doc)
    if problems:
        return None
    return CitationsFile(path, doc, citations, read_only=True)


def load(path: str | Path, for_update: bool = True, lenient: bool = False) -> CitationsFile:
    """Load and validate; every problem is reported at once, not just the first.

    ``for_update=False`` (``check``) may take a fast read-only path; a file that will be
    written back always goes through ruamel's round-trip loader to keep its comments.
    """
    with _collector_paused():
        return _load(Path(path), for_update, lenient)


@contextmanager
def _collector_paused() -> Iterator[None]:
    """A citations file becomes thousands of small containers that all survive, and each
    garbage collection their allocation sets off walks all of them again: 20,000
    citations took 1.21 s to load with the collector running, 0.48 s with it paused."""
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def _load(path: Path, for_update: bool, lenient: bool) -> CitationsFile:
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CitationsError([f"{path}: no such file (run 'citewatch extract ARTICLE -o {path}' first)"]) from None
    except UnicodeDecodeError:
        raise CitationsError([f"{path}: not UTF-8 text"]) from None
    except OSError as e:
        raise CitationsError([f"{path}: cannot read ({e.strerror})"]) from None
    if not text.strip():
        raise CitationsError([f"{path}: the file is empty"])
    deep = too_deep_line(text)  # before a parser recurses into it: RecursionError, not a line
    if deep:
        raise CitationsError([f"{path}:{deep}: nested more than {MAX_NESTING} levels deep (a citation needs 4)"])
    if not for_update:
        fast = _load_fast(path, text)
        if fast is not None:
            return fast
    from ruamel.yaml.error import MarkedYAMLError, YAMLError

    try:
        doc = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = mark.line + 1 if mark else 1
        raise CitationsError([f"{path}:{line}: YAML syntax error: {e.problem or e.context}"]) from None
    except YAMLError as e:
        raise CitationsError([f"{path}: YAML error: {e}"]) from None
    except ValueError:
        # ruamel builds dates while loading, so "2023-02-31" fails without a line number
        raise CitationsError(_bad_scalars(path, text)) from None
    citations, problems = _validate(path, doc, lenient)
    if problems:
        raise CitationsError(problems)
    return CitationsFile(path, doc, citations, lenient=lenient, on_disk=text)


def _bad_scalars(path: Path, text: str) -> list[str]:
    """Find scalars ruamel cannot construct (impossible dates), with their lines."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    problems: list[str] = []
    stack = [_yaml().compose(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, ScalarNode) and node.tag.endswith(":timestamp"):
            try:
                to_partial_date(node.value)
            except ValueError as e:
                problems.append(f"{path}:{node.start_mark.line + 1}: {e}")
    return sorted(problems, key=lambda p: int(p.split(":")[1])) or [f"{path}: a value cannot be read"]


def new_file(path: str | Path, article: Article | None = None) -> CitationsFile:
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

    doc = CommentedMap()
    if article is not None:
        meta = CommentedMap()
        if article.title:
            meta["title"] = article.title
        meta["source"] = article.source
        doc["article"] = meta
    doc["citations"] = CommentedSeq()
    return CitationsFile(Path(path), doc)


def dumps(cf: CitationsFile) -> str:
    buf = io.StringIO()
    _yaml().dump(cf.doc, buf)
    return buf.getvalue()


def edit(cf: CitationsFile, change: Callable[[CitationsFile], T]) -> T:
    """Make a change to the file's document and remember it.

    A run can take minutes (the archive stage saves as it goes), and meanwhile a
    person may save the file from an editor, or another run may write it. ``save`` then
    loads what is on disk and makes this run's changes again there, rather than writing
    back a document that lacks that person's edits. ``change`` is applied to one file or
    the other, so it must work from its arguments alone; a change that no longer applies
    raises ValueError and is left out."""
    result = change(cf)
    cf.changes.append(change)
    return result


def save(cf: CitationsFile) -> None:
    if cf.read_only:
        raise ValueError(f"{cf.path}: loaded read-only; load(for_update=True) to write it back")
    if cf.on_disk is not None:
        try:
            current = cf.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None  # gone (or unreadable, which the write will say): nothing to keep
        if current is not None and current != cf.on_disk:
            _catch_up(cf)
    text = dumps(cf)
    write_atomic(cf.path, text, durable=True)
    cf.on_disk = text


def _catch_up(cf: CitationsFile) -> None:
    """Someone else wrote the file since we read it: take their version, and make our
    changes to it again."""
    try:
        theirs = load(cf.path, for_update=True, lenient=cf.lenient)
    except CitationsError as e:
        raise CitationsError(
            [
                f"{cf.path}: changed by someone else while citewatch was working, and it does not load now"
                f" ({e.problems[0].removeprefix(f'{cf.path}:').strip()}); left as it is, without this run's changes"
            ]
        ) from None
    for change in cf.changes:
        try:
            change(theirs)
        except ValueError:
            pass  # done by hand meanwhile, or its citation is gone
    cf.doc, cf.citations, cf.on_disk = theirs.doc, theirs.citations, theirs.on_disk


def note_fields(note: Note) -> dict[str, Any]:
    return {
        "publisher": note.publisher,
        "title": note.title,
        "date": _yaml_date(note.date),
        "author": note.author,
        "url": note.urls[0] if note.urls else None,
    }


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


def merge_article(cf: CitationsFile, article: Article, scope: str | None = None) -> list[Finding]:
    """Bring the article's notes into the file without losing a person's work.

    A field is refreshed from the note only while it still holds what the old
    note said; a value someone typed by hand is kept. Notes that vanished from
    the article are flagged, never deleted. ``scope``: in a file shared by several
    articles, only ids starting with ``scope:`` belong to this one.
    """
    from ruamel.yaml.comments import CommentedMap
    from ruamel.yaml.scalarstring import DoubleQuotedScalarString

    from .footnotes.fields import parse_note

    findings: list[Finding] = []
    related = {f.footnote: f.related for f in article.findings if f.code in ("ibid", "duplicate-note") and f.related}
    note_ids = {n.id for n in article.notes}
    if scope is None:
        meta = cf.doc.get("article")
        if meta is None:
            meta = CommentedMap()
            cf.doc.insert(0, "article", meta)
        if article.title and not meta.get("title"):
            meta["title"] = article.title
        if not meta.get("source"):
            meta["source"] = article.source
        if article.date and not meta.get("date"):  # front matter: what the article's sources were at
            meta["date"] = _yaml_date(article.date)

    # where a new note goes: after the previous note of this article; a new article's notes
    # go at the end of a shared file
    last_index = -1
    if scope is not None:
        own = [i for i, e in enumerate(cf.entries) if str(e.get("id")).startswith(f"{scope}:")]
        last_index = own[0] - 1 if own else len(cf.entries) - 1
    for note in article.notes:
        entry = cf.entry(note.id)
        if entry is None:
            entry = _new_entry(note)
            cf.entries.insert(last_index + 1, entry)
        else:
            old_raw = entry.get("note")
            old = note_fields(parse_note(note.id, old_raw)) if isinstance(old_raw, str) else {}
            new = note_fields(note)
            for key, value in new.items():
                current = entry.get(key)
                if current in (None, "") or (old and same_value(current, old.get(key))):
                    if value is None:
                        if current is not None and key != "url":
                            del entry[key]
                    elif not same_value(current, value):
                        entry[key] = value
            if old_raw != note.raw:
                entry["note"] = note.raw
                if old_raw is not None:
                    findings.append(
                        Finding(
                            "note-changed",
                            "the note's text changed since the last extract",
                            note.id,
                            note.line,
                            Severity.INFO,
                        )
                    )
            if "note_removed" in entry:
                del entry["note_removed"]
        if note.id in related:
            entry["same_as"] = DoubleQuotedScalarString(related[note.id])
        elif "same_as" in entry:
            del entry["same_as"]
        set_or_drop(entry, "citing_text", note.citing_text)
        last_index = cf.entries.index(entry)

    note_ids |= merge_links(cf, article, scope, last_index)
    for entry in cf.entries:
        cid = str(entry.get("id"))
        if scope is not None and not cid.startswith(f"{scope}:"):
            continue
        if cid not in note_ids and (article.notes or article.links):
            if not entry.get("note_removed"):
                entry["note_removed"] = True
            findings.append(
                Finding(
                    "note-removed",
                    "in citations.yaml but no longer in the article (kept, not deleted)",
                    cid,
                    _line(entry),
                )
            )
    cf.citations, problems = _validate(cf.path, cf.doc, cf.lenient)
    if problems:  # a hand-made entry that was already bad stays reported, never dropped
        raise CitationsError(problems)
    return findings


def set_fields(cf: CitationsFile, citation_id: str, **values: Any) -> bool:
    """Write tool-owned fields (archive_url, url_status, …) into one entry; True if changed."""
    return edit(cf, lambda f: _set_fields(f, citation_id, values))


def _set_fields(cf: CitationsFile, citation_id: str, values: dict[str, Any]) -> bool:
    entry = cf.entry(citation_id)
    if entry is None:
        return False
    changed = False
    for key, value in values.items():
        if value is None:
            continue
        if isinstance(value, str):
            value = str(value)  # a vocabulary member (UrlStatus) is written as its plain value
        if not same_value(entry.get(key), value):
            entry[key] = value
            changed = True
    return changed
