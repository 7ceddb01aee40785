"""citations.yaml: load, save atomically, and catch up with someone else's edits.

Reading the entries is ``citations_validate``; merging an article's notes in is
``citations_merge``.

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

from . import citations_text as ct
from .citations_hand import HandEdits
from .citations_merge import merge_notes, note_fields  # noqa: F401 - note_fields: importable from here
from .citations_validate import URL_STATUSES, to_partial_date  # noqa: F401 - importable from here
from .citations_validate import validate as _validate
from .errors import InputError
from .files import is_device, write_atomic
from .model import Article, Citation, Finding, InputProblem
from .nesting import MAX_NESTING, too_deep_line
from .sources_yaml import same_value

T = TypeVar("T")

if TYPE_CHECKING:
    from ruamel.yaml import YAML
    from ruamel.yaml.comments import CommentedMap, CommentedSeq

# ruamel.yaml (round-trip, comments kept) is imported where a file is parsed for update
# or written: `check` reads through libyaml and never needs it (~12 ms of start-up).


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
    # loaded by ``load_for_run``: the entries hold only the fields a run reads or writes
    # (citations_text.KEPT), and a save writes the changes into the text on disk
    text_edits: ct.TextEdits | None = field(default=None, repr=False)
    # the fields set_fields wrote, to keep a person's value set meanwhile (citations_hand)
    hand: HandEdits = field(default_factory=HandEdits, repr=False)
    _at: dict[str, int] = field(default_factory=dict, init=False, repr=False, compare=False)  # see entry

    @property
    def entries(self) -> CommentedSeq:
        return self.doc["citations"]

    def entry(self, citation_id: str) -> CommentedMap | None:
        """Found through an index of positions by id, checked on every use and rebuilt when
        out of date (entries added, removed, or the document replaced by ``save``): a run
        writes back one entry per citation, and a scan per write-back made 200,000
        citations 2·10¹⁰ comparisons."""
        entries = self.entries
        at = self._at.get(citation_id)
        if at is not None and at < len(entries) and str(entries[at].get("id")) == citation_id:
            return entries[at]
        index: dict[str, int] = {}
        for i, e in enumerate(entries):
            index.setdefault(str(e.get("id")), i)
        self._at = index
        at = index.get(citation_id)
        return entries[at] if at is not None else None


def _yaml() -> YAML:
    from ruamel.yaml import YAML

    y = YAML()  # round-trip
    y.preserve_quotes = True
    y.width = 4096  # never fold a long title over two lines
    y.indent(mapping=2, sequence=4, offset=2)
    return y


# YAML 1.2 numbers as ruamel.yaml reads them (its resolver's patterns, ruamel/yaml/resolver.py):
# 0x1F, 0o17, 0b101 and 1_000 are numbers, 017 is seventeen (no octal), .inf and .nan floats
_CORE12 = (
    ("tag:yaml.org,2002:bool", r"^(?:true|True|TRUE|false|False|FALSE)$", "tTfF"),
    (
        "tag:yaml.org,2002:float",
        r"^(?:[-+]?(?:[0-9][0-9_]*)\.[0-9_]*(?:[eE][-+]?[0-9]+)?|[-+]?(?:[0-9][0-9_]*)(?:[eE][-+]?[0-9]+)"
        r"|[-+]?\.[0-9_]+(?:[eE][-+][0-9]+)?|[-+]?\.(?:inf|Inf|INF)|\.(?:nan|NaN|NAN))$",
        "-+0123456789.",
    ),
    (
        "tag:yaml.org,2002:int",
        r"^(?:[-+]?0b[0-1_]+|[-+]?0o?[0-7_]+|[-+]?[0-9_]+|[-+]?0x[0-9a-fA-F_]+)$",
        "-+0123456789",
    ),
)
_BASES = {"0b": 2, "0o": 8, "0x": 16}


def core12_int(text: str) -> int:
    """An int as ruamel reads it under YAML 1.2; ValueError where ruamel fails ("0x_", "-_")."""
    digits = text.replace("_", "")
    sign = -1 if digits[:1] == "-" else 1
    digits = digits.lstrip("+-") if digits[:1] in ("+", "-") else digits
    base = _BASES.get(digits[:2], 10)
    if base != 10:
        digits = digits[2:]
    if not digits:
        raise ValueError(f"not a number: {text!r}")
    return sign * int(digits, base)


def core12_float(text: str) -> float:
    """A float as ruamel reads it under YAML 1.2 (``1_0.5``, ``.inf``, ``-.INF``, ``.NaN``)."""
    digits = text.replace("_", "").lower()
    if digits.endswith((".inf", ".nan")):
        return float(digits.replace(".", ""))
    return float(digits)


@cache
def fast_yaml_loader():
    """PyYAML's libyaml loader reading YAML 1.2 core scalars as ruamel does: no
    yes/no/on/off booleans, no sexagesimal numbers (a title "12:30" stays text), and the
    numbers ruamel reads (an ``id: 0x1F`` is 31 in both readers, as their ids must agree)."""
    import yaml

    base = getattr(yaml, "CSafeLoader", yaml.SafeLoader)

    class Core12Loader(base):  # type: ignore[misc, valid-type]
        def construct_mapping(self, node, deep=False):
            """A key twice in one mapping: libyaml keeps the last value without a word,
            ruamel refuses the file at that line; the fast reader gives way to it."""
            pairs = len(node.value)
            merges = any(str(key.tag).endswith(":merge") for key, _ in node.value)
            mapping = super().construct_mapping(node, deep)
            if len(mapping) != pairs and not merges:
                raise yaml.constructor.ConstructorError(None, None, "a key twice", node.start_mark)
            return mapping

    Core12Loader.yaml_implicit_resolvers = {
        first: [(tag, rx) for tag, rx in resolvers if not tag.endswith((":bool", ":int", ":float"))]
        for first, resolvers in base.yaml_implicit_resolvers.items()
    }
    for tag, pattern, first in _CORE12:
        Core12Loader.add_implicit_resolver(tag, re.compile(pattern), list(first))
    Core12Loader.add_constructor("tag:yaml.org,2002:int", lambda loader, node: core12_int(node.value))
    Core12Loader.add_constructor("tag:yaml.org,2002:float", lambda loader, node: core12_float(node.value))
    return Core12Loader


STREAM_FROM = 1_000_000  # characters of citations.yaml from which it is read as a stream (yamlstream)


def _load_fast(path: Path, text: str) -> CitationsFile | None:
    """Read-only load through libyaml (~25x faster than round-trip on a 2,000-entry file).
    Anything doubtful returns None, and the round-trip loader reports it with line numbers."""
    from .yamlstream import fast_reads_alike, streamed_load

    if not fast_reads_alike(text):
        return None
    try:
        import yaml

        loader = fast_yaml_loader()
        doc = yaml.load(text, Loader=loader) if len(text) < STREAM_FROM else streamed_load(text, loader)
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


def load_for_run(path: str | Path, lenient: bool = False) -> CitationsFile:
    """A file a run writes back into, held small (citations_text): read once by libyaml,
    each entry kept as the few fields a run uses, the write-backs made to the text at save
    time. A file the fast reader doubts (a problem to report with its line, an anchor, an
    unusual layout) is loaded round-trip as ``load`` does."""
    path = Path(path)
    with _collector_paused():
        text = _read(path)
        fast = _load_fast(path, text)
        entries = ct.entry_spans(text, fast_yaml_loader()) if fast is not None else None
        if fast is None or entries is None or entries.ids != [c.id for c in fast.citations]:
            return _load(path, True, lenient, text)
        for c, line in zip(fast.citations, entries.lines, strict=True):
            c.line = line
        fast.doc["citations"] = [{k: e[k] for k in ct.KEPT if k in e} for e in fast.doc["citations"]]
        fast.read_only, fast.lenient = False, lenient
        fast.text_edits = ct.TextEdits(ct.digest(text))
        return fast


def _read(path: Path) -> str:
    try:
        if is_device(path):
            raise CitationsError([f"{path}: a device, not a citations file"])
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CitationsError([f"{path}: no such file (run 'citewatch extract ARTICLE -o {path}' first)"]) from None
    except UnicodeDecodeError as e:  # where: the editor that saved it in Latin-1 shows that line
        line = e.object[: e.start].count(b"\n") + 1
        raise CitationsError(
            [f"{path}:{line}: not UTF-8 text (byte 0x{e.object[e.start]:02x}); save the file as UTF-8"]
        ) from None
    except OSError as e:
        raise CitationsError([f"{path}: cannot read ({e.strerror})"]) from None
    return text


def _load(path: Path, for_update: bool, lenient: bool, text: str | None = None) -> CitationsFile:
    if text is None:
        text = _read(path)
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
    from ruamel.yaml.reader import ReaderError

    try:
        doc = _yaml().load(text)
    except MarkedYAMLError as e:
        mark = e.problem_mark or e.context_mark
        line = line_at(text, mark.index) if mark else 1
        raise CitationsError([f"{path}:{line}: YAML syntax error: {e.problem or e.context}"]) from None
    except ReaderError as e:  # a character YAML does not allow anywhere in the file
        where = f"{path}:{line_at(text, e.position)}" if isinstance(e.position, int) else str(path)
        shown = f"U+{e.character:04X}" if isinstance(e.character, int) else repr(e.character)
        raise CitationsError(
            [f"{where}: a character YAML does not allow ({shown}, a control character): delete it"]
        ) from None
    except YAMLError as e:
        raise CitationsError([f"{path}: YAML error: {' '.join(str(e).split())}"]) from None
    except (ValueError, IndexError):
        # ruamel builds dates and numbers while loading, so "2023-02-31" fails without a
        # line number, and "0x_" or "-_" (its int pattern allows underscores alone) with an IndexError
        raise CitationsError(_bad_scalars(path, text)) from None
    citations, problems = _validate(path, doc, lenient)
    if problems:
        raise CitationsError(problems)
    return CitationsFile(path, doc, citations, lenient=lenient, on_disk=text)


def _bad_scalars(path: Path, text: str) -> list[str]:
    """Find scalars ruamel cannot construct (impossible dates, "0x_"), with their lines."""
    from ruamel.yaml.nodes import MappingNode, ScalarNode, SequenceNode

    problems: list[str] = []
    stack = [_yaml().compose(text)]
    while stack:
        node = stack.pop()
        if isinstance(node, MappingNode):
            stack.extend(v for pair in node.value for v in pair)
        elif isinstance(node, SequenceNode):
            stack.extend(node.value)
        elif isinstance(node, ScalarNode):
            read = _SCALARS.get(str(node.tag).rpartition(":")[2])
            try:
                if read is not None:
                    read(node.value)
            except ValueError as e:
                problems.append(f"{path}:{line_at(text, node.start_mark.index)}: {e}")
    return sorted(problems, key=lambda p: int(p.split(":")[1])) or [f"{path}: a value cannot be read"]


def _number(read: Callable[[str], Any]) -> Callable[[str], Any]:
    def checked(value: str) -> Any:
        try:
            return read(value)
        except ValueError:
            shown = value if len(value) <= 40 else f"{value[:20]}…{value[-10:]}"
            raise ValueError(f"not a number: {shown!r} (quote it to keep it as text)") from None

    return checked


_SCALARS: dict[str, Callable[[str], Any]] = {
    "timestamp": to_partial_date,
    "int": _number(core12_int),
    "float": _number(core12_float),
}


def line_at(text: str, index: int) -> int:
    """The 1-based line of a character offset, counting newlines only: a parser's own line
    count may also count U+0085, U+2028 and U+2029, which no editor shows as a new line."""
    return text.count("\n", 0, index) + 1


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
    if cf.text_edits is not None:
        _save_edits(cf, cf.text_edits)
        return
    if cf.read_only:
        raise ValueError(f"{cf.path}: loaded read-only; load(for_update=True) to write it back")
    if cf.on_disk is not None:
        try:
            current = cf.path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError):
            current = None  # gone (or unreadable, which the write will say): nothing to keep
        if current is not None and current != cf.on_disk:
            _catch_up(cf)
    cf.on_disk = _write(cf.path, dumps(cf))
    for cid, key in list(cf.hand.seen):
        entry = cf.entry(cid)
        cf.hand.saved(cid, key, entry.get(key) if entry is not None else None)


def hand_notice(cf: CitationsFile) -> str | None:
    """One line for stderr when saves kept values a person wrote into fields this run also
    writes, while it worked (citations_hand); None when there were none since last asked."""
    return cf.hand.notice(cf.path)


def _save_edits(cf: CitationsFile, edits: ct.TextEdits) -> None:
    """The changes not yet on disk written into the file's text (all of this run's
    changes when someone else wrote the file meanwhile: theirs may lack the earlier ones)."""
    if not edits.unsaved:
        return
    try:
        current = cf.path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        raise CitationsError([f"{cf.path}: cannot be read back to write this run's changes into ({e})"]) from None
    theirs = ct.digest(current) != edits.digest
    wanted = edits.changes if theirs else {cid: edits.changes[cid] for cid in edits.unsaved}
    from ruamel.yaml.error import YAMLError

    def ours_goes_in(cid: str, key: str, on_disk: Any, ours: Any) -> bool:
        return cf.hand.ours_goes_in(cid, key, on_disk, ours) if theirs else (cid, key) not in cf.hand.kept

    entries = ct.entry_spans(current, fast_yaml_loader())
    try:
        if entries is None:
            raise ValueError("not a layout the text edits know")
        text = "".join(ct.patched(current, entries, wanted, _yaml(), ours_goes_in))
        # read back before it is written: every entry still there, in order, under its id
        # (a layout the splice misjudged would lose or merge entries: the whole-file way then)
        after = ct.entry_spans(text, fast_yaml_loader())
        if after is None or after.ids != entries.ids:
            raise ValueError("the text edits would not read back as the same entries")
        edits.digest = ct.digest(_write(cf.path, text))  # an error midway leaves the file as it was
    except (YAMLError, ValueError):  # the whole file, round-trip, as ``save`` writes it
        whole = _theirs(cf) if theirs else _load(cf.path, True, cf.lenient, current)
        for cid, values in wanted.items():
            _set_fields(whole, cid, values, cf.hand, theirs=True)
        edits.digest = ct.digest(_write(cf.path, dumps(whole)))
    edits.unsaved.clear()
    for cid, values in wanted.items():
        for key, value in values.items():
            cf.hand.saved(cid, key, value)


def _write(path: Path, text: str) -> str:
    """Write ``text`` with the line endings and byte-order mark the file on disk has (a
    Windows editor's CRLF, a BOM): a save that turned every line's CRLF into LF would show
    the whole hand-kept file as changed. Returns the text as ``_read`` reads it back."""
    bom, crlf = _style(path)
    if bom and not text.startswith("\ufeff"):
        text = "\ufeff" + text
    write_atomic(path, text.replace("\n", "\r\n") if crlf else text, durable=True)
    return text


def _style(path: Path) -> tuple[bool, bool]:
    """(a byte-order mark, CRLF line endings) of the file on disk, from its first line."""
    try:
        with open(path, "rb") as f:
            head = f.read(1 << 16)
    except OSError:
        return False, False
    first = head.find(b"\n")
    return head.startswith(b"\xef\xbb\xbf"), first > 0 and head[first - 1 : first] == b"\r"


def _theirs(cf: CitationsFile) -> CitationsFile:
    """The file as someone else wrote it since we read it, or the error that says it
    does not load (it stays as they left it)."""
    try:
        return load(cf.path, for_update=True, lenient=cf.lenient)
    except CitationsError as e:
        raise CitationsError(
            [
                f"{cf.path}: changed by someone else while citewatch was working, and it does not load now"
                f" ({e.problems[0].removeprefix(f'{cf.path}:').strip()}); left as it is, without this run's changes"
            ]
        ) from None


def _catch_up(cf: CitationsFile) -> None:
    """Someone else wrote the file since we read it: take their version, and make our
    changes to it again."""
    theirs = _theirs(cf)
    for change in cf.changes:
        try:
            change(theirs)
        except ValueError:
            pass  # done by hand meanwhile, or its citation is gone
    cf.doc, cf.citations, cf.on_disk = theirs.doc, theirs.citations, theirs.on_disk


def merge_article(cf: CitationsFile, article: Article, scope: str | None = None) -> list[Finding]:
    """Bring the article's notes into the file without losing a person's work
    (``citations_merge``), then read the file again: a hand-made entry that was already
    bad stays reported, never dropped."""
    findings = merge_notes(cf, article, scope)
    cf.citations, problems = _validate(cf.path, cf.doc, cf.lenient)
    if problems:
        raise CitationsError(problems)
    return findings


def set_fields(cf: CitationsFile, citation_id: str, **values: Any) -> bool:
    """Write tool-owned fields (archive_url, url_status, …) into one entry; True if changed."""
    hand = cf.hand
    values = {k: _own(v) for k, v in values.items() if v is not None and (citation_id, k) not in hand.kept}
    entry = cf.entry(citation_id)
    if entry is not None and entry.get("url_status") in PEOPLES_URL_STATUSES:
        values.pop("url_status", None)  # a person's verdict on the source: the run never replaces it
    if cf.text_edits is not None:  # held small: remembered here, written into the text by save
        changed = _set_fields(cf, citation_id, values, hand)
        if changed:
            cf.text_edits.record(citation_id, values)
        return changed
    return edit(cf, lambda f: _set_fields(f, citation_id, values, hand, theirs=f is not cf))


# url_status values only a person writes (README: "unfit: reserved for a person to set"): a run
# that found the page live wrote `live` over a person's `unfit` on the next weekly run
PEOPLES_URL_STATUSES = frozenset({"unfit"})


def _own(value: Any) -> Any:
    """A value for one entry alone, as plain data: a vocabulary member (UrlStatus) as its
    plain string, and a date as its own object (ruamel writes an object it meets twice in a
    file as an anchor and an alias, ``&id001`` … ``*id001``, and the archive stage hands
    every citation of a URL the same date)."""
    if isinstance(value, str):
        return str(value)
    if isinstance(value, dt.datetime):
        return value.replace()
    if isinstance(value, dt.date):
        return dt.date(value.year, value.month, value.day)
    return value


def _set_fields(
    cf: CitationsFile, citation_id: str, values: dict[str, Any], hand: HandEdits, theirs: bool = False
) -> bool:
    """``theirs``: ``cf`` is the file as someone else wrote it since this program last read
    or wrote it, and ``hand`` decides whether each value goes in over theirs."""
    entry = cf.entry(citation_id)
    if entry is None:
        return False
    changed = False
    for key, value in values.items():
        if value is None:
            continue
        current = entry.get(key)
        goes_in = (
            hand.ours_goes_in(citation_id, key, current, value) if theirs else hand.changing(citation_id, key, current)
        )
        if not goes_in:
            continue
        if not same_value(current, value):
            entry[key] = value
            changed = True
    return changed
