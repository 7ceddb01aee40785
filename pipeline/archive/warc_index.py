"""archive/warc-index.json read a URL at a time: the compact lookup a run's revisit records
need, and the end-of-run merge streamed from the old file to the new one.

The index keeps up to ``KEEP_PER_URL`` copies per URL (about 550 bytes each on disk, 1 KB
once parsed). A weekly job at 200,000 URLs has 2 million of them after ten weeks: a 1.1 GB
file that a run parsed whole, for the revisit records of the pages it fetched, and encoded
whole again (Python's indenting encoder) to add its own copies. It now reads the file block
by block, one URL's list at a time, twice:

- ``Lookup``: per URL only what a revisit record needs, the latest whole copy (payload
  digest, HTTP status, where it is), packed in 48 bytes and keyed by the URL's hash: about
  150 bytes per URL however many weeks the index holds;
- ``merge``: the old file's blocks are copied as they are, except the URLs this run (or a
  WARC file the index never heard of) added copies to, whose lists are parsed, extended and
  cut to ``KEEP_PER_URL``, the copies kept in their old text and only the new ones laid out;
  written to a temporary file and renamed over the
  old one (files.write_atomic), so an interrupted run leaves the old index whole.

The file stays what ``json.dumps(index, indent=1, sort_keys=True, ensure_ascii=False)``
writes (people commit archive/, and a diff shows the URLs whose copies changed), and that
layout is what makes streaming possible: one key per line, at one space of indent, in
sorted order, every line break outside any string. A file in any other layout (valid JSON
written by hand or by another tool) is read whole, as before, and written back in this one.

A damaged index (a line cut short, a git conflict marker, keys out of order) is not a
traceback and not a silent loss: the problem is one line naming the file and line, the
damaged part is left out, and the copies it listed are read back from the WARC files, which
hold every record (``WarcArchive`` does that; this module says where the damage is).
"""

from __future__ import annotations

import base64
import binascii
import io
import itertools
import json
import operator
import struct
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from ..files import write_atomic

KEEP_PER_URL = 10  # copies of one URL the index remembers (the WARC files keep them all)

_KEY_END = b'": ['
_CLOSE = (b" ]", b" ],")
_ENCODER = json.JSONEncoder(indent=1, sort_keys=True, ensure_ascii=False)
_CHUNK = 1 << 20


@dataclass(slots=True)
class Block:
    """One URL's part of the index, as in the file: its key line (`` "url": [``, or
    `` "url": []``) and the lines of its copies (None for an empty list), closing bracket
    and comma left out."""

    key: str
    head: bytes
    body: bytes | None
    line: int  # where the block starts in the file (1-based), for problems

    def entries(self) -> list[dict]:
        """The URL's copies; ValueError if the block does not parse."""
        if self.body is None:
            return []
        data = json.loads(b"[" + self.body + b"]")
        if not isinstance(data, list) or not all(isinstance(e, dict) for e in data):
            raise ValueError("not a list of copies")
        return data

    def pieces(self) -> list[tuple[dict, str]]:
        """Each copy with its text as written: a merge writes the copies it keeps as they
        were and encodes only the new ones (Python's indenting encoder is pure Python)."""
        if self.body is None:
            return []
        # where one copy ends and the next starts: only the copies' braces sit at 2 spaces
        texts = self.body.decode("utf-8").split("\n  },\n  {\n")
        if len(texts) > 1:
            texts = [texts[0] + "\n  }"] + ["  {\n" + t + "\n  }" for t in texts[1:-1]] + ["  {\n" + texts[-1]]
        pieces = [(json.loads(t), t) for t in texts]
        if not all(isinstance(e, dict) for e, _ in pieces):
            raise ValueError("not a list of copies")
        return pieces

    def text(self) -> str:
        if self.body is None:
            return self.head.decode("utf-8")
        return (self.head + b"\n" + self.body + b"\n ]").decode("utf-8")


@dataclass(slots=True)
class Damage:
    """A part of the index that could not be read; ``problem`` is the one line to show."""

    problem: str


def read_blocks(path: Path, shown: str | None = None) -> Iterator[Block | Damage]:
    """The index a URL at a time, in the file's (sorted) order; nothing for a missing file.
    Only the layout is checked here (``Block.entries`` parses a block).

    ``shown``: the file's name in problems (default: the path)."""
    name = shown or str(path)
    try:
        f = open(path, "rb")
    except FileNotFoundError:
        return
    except OSError as e:
        yield Damage(f"{name}: not readable ({e.strerror}); the index is rebuilt from the WARC files")
        return
    with f:
        first = f.readline()
        if first != b"{\n":
            yield from _whole(first + f.read(), name)
            return
        yield from _fast(f, name)


def _whole(data: bytes, name: str) -> Iterator[Block | Damage]:
    """An index in another layout (or `{}`): parsed whole, as every run used to."""
    try:
        index = json.loads(data)
        if not isinstance(index, dict):
            raise ValueError("not an object of URLs")
    except ValueError as e:
        where = f"line {e.lineno}: " if isinstance(e, json.JSONDecodeError) else ""
        why = e.msg if isinstance(e, json.JSONDecodeError) else _short(e)
        yield Damage(f"{name}: {where}not an index ({why}); the index is rebuilt from the WARC files")
        return
    for key in sorted(index):
        entries = index[key] if isinstance(index[key], list) else []
        head, _, rest = _encode_block(key, [e for e in entries if isinstance(e, dict)]).encode("utf-8").partition(b"\n")
        yield Block(key, head, rest[:-3] if rest else None, 1)


def _fast(f, name: str) -> Iterator[Block | Damage]:
    """The layout json.dumps(indent=1, sort_keys=True) writes, a block at a time: the file
    read in 1 MB pieces, each block found by its closing bracket (the only line that starts
    with one space and "]"), not line by line (26 million lines at 200,000 URLs). Anything
    unexpected hands the rest of the file to the line-by-line reader, which says where."""
    buf, pos, number, previous, eof = b"", 0, 1, None, False

    def more() -> bool:
        nonlocal buf, pos, eof
        if eof:
            return False
        chunk = f.read(_CHUNK)
        eof = not chunk
        buf += chunk  # positions found so far stay valid; the read part is dropped below
        return bool(chunk)

    while True:
        if pos >= _CHUNK:
            buf, pos = buf[pos:], 0
        nl = buf.find(b"\n", pos)
        while nl < 0 and more():
            nl = buf.find(b"\n", pos)
        line = buf[pos:] if nl < 0 else buf[pos:nl]
        if line == b"}" or (nl < 0 and not line):
            break  # the end: the line reader checks what follows
        key = _key_of(line)
        if key is None or (previous is not None and key <= previous):
            break
        if line.endswith((b"[]", b"[],")):  # an empty list: opened and closed on one line
            previous, pos, number = key, nl + 1, number + 1
            yield Block(key, line.rstrip(b","), None, number)
            continue
        close = buf.find(b"\n ]", nl)
        while (close < 0 or len(buf) < close + 5) and more():
            close = buf.find(b"\n ]", nl)
        if close < 0:
            break
        after = buf[close + 3 : close + 5]
        body = buf[nl + 1 : close]
        if not (after == b",\n" or after[:1] == b"\n" or (eof and not after)) or not body.startswith(b"  {"):
            break
        previous = key
        yield Block(key, line, body, number + 1)
        number += body.count(b"\n") + 3
        pos = close + 3 + (after == b",\n") + 1
    yield from _lines(io.BytesIO(buf[pos:]), f, name, number, previous)


def _lines(rest: io.BytesIO, f, name: str, number: int, previous: str | None) -> Iterator[Block | Damage]:
    """The rest of the file line by line, from line ``number`` + 1. After a damaged line it
    skips to the next line that starts a URL's block (one problem per damaged stretch)."""
    block: list[bytes] | None = None
    key = ""
    start = 0
    skipping = ended = False

    def damage(at: int, what: str) -> Damage:
        return Damage(f"{name}: line {at}: {what}; that part is rebuilt from the WARC files")

    for raw in itertools.chain(rest, f):
        number += 1
        line = raw[:-1] if raw.endswith(b"\n") else raw
        if ended:
            if line.strip():
                yield damage(number, "text after the end of the index")
                return
            continue
        if block is not None:
            if line in _CLOSE:
                yield Block(key, block[0], b"\n".join(block[1:]), start)
                block = None
                continue
            if line.startswith(b"  "):
                block.append(line)
                continue
            yield damage(start, f"the copies of {_clip(key)} are cut short at line {number}")
            block, skipping = None, True  # the line may start the next block: read on
        if line == b"}":
            ended = True
            continue
        found = _key_of(line)
        if found is None:
            if not skipping:
                yield damage(number, f"not a URL's list of copies ({_clip(line.decode('utf-8', 'replace'))})")
                skipping = True
            continue
        skipping = False
        if previous is not None and found <= previous:
            yield damage(number, f"{_clip(found)} is out of order or repeated")
            skipping = True
            continue
        previous = key = found
        if line.endswith((b"[]", b"[],")):
            yield Block(key, line.rstrip(b","), None, number)
            continue
        block, start = [line], number
    if block is not None:
        yield damage(start, f"the copies of {_clip(key)} are cut short at the end of the file")
    elif not ended:
        yield damage(number, "the file is cut short (no closing brace)")


def _key_of(line: bytes) -> str | None:
    """The URL of a block's first line (` "url": [`), or None if it is not one."""
    if not line.startswith(b' "'):
        return None
    if line.endswith(_KEY_END):
        token = line[1:-3]
    elif line.endswith((b'": []', b'": [],')):
        token = line[1 : line.rindex(b": [")]
    else:
        return None
    try:
        key = json.loads(token)
    except ValueError:
        return None
    return key if isinstance(key, str) else None


def _clip(text: str, n: int = 80) -> str:
    return text if len(text) <= n else text[: n - 1] + "…"


def _short(e: Exception) -> str:
    return _clip(str(e), 100)


def unreadable(shown: str, block: Block, e: Exception) -> str:
    """The problem for a block whose list does not parse, at the line the parser stopped
    (``e`` from ``Block.entries``, whose text starts on the line after the key)."""
    line = block.line + e.lineno if isinstance(e, json.JSONDecodeError) else block.line
    why = f"{e.msg.removesuffix(' at')}, column {e.colno}" if isinstance(e, json.JSONDecodeError) else _short(e)
    what = f"the copies of {_clip(block.key)} do not parse ({why})"
    return f"{shown}: line {line}: {what}; that part is rebuilt from the WARC files"


def _encode_block(key: str, entries: list[dict]) -> str:
    """One URL's block exactly as json.dumps(index, indent=1, sort_keys=True) lays it out."""
    return _ENCODER.encode({key: entries})[2:-2]


def add(entries: list[dict], entry: dict) -> list[dict]:
    """``entry`` among a URL's copies (once), in time order, the last ``KEEP_PER_URL`` kept."""
    return _placed(entries, entry, entry, lambda e: e)


def _placed(items: list, entry: dict, item, of: Callable[[object], dict]) -> list:
    if not any(of(e).get("warc") == entry.get("warc") and of(e).get("offset") == entry.get("offset") for e in items):
        items.append(item)
        items.sort(key=lambda e: _when(of(e)))
    return items[-KEEP_PER_URL:]


def _when(entry: dict) -> str:
    """A copy's place in time order ("" for a timestamp edited into another type by hand:
    sorting a number among strings was a TypeError that ended the run)."""
    t = entry.get("timestamp")
    return t if type(t) is str else ""


def eligible(entry: dict) -> bool:
    """A copy a revisit record may point at: whole, dated, with the fields a revisit record
    uses of the types this tool writes, in a WARC file under archive/ (the index is
    committed, so people edit and merge it: a number or null there was a traceback, or an
    "internal error" verdict for a page that answered)."""
    ts, warc = entry.get("timestamp"), entry.get("warc")
    return (
        not entry.get("truncated")
        and bool(entry.get("warc_date"))
        and type(entry.get("warc_date")) is str
        and type(ts) is str
        and len(ts) == 14
        and ts.isdigit()
        and type(warc) is str
        and warc[:5] in ("warc/", "warc\\")
        and ".." not in warc
        and type(entry.get("digest")) is str
        and type(entry.get("url")) is str
    )


# --- the lookup ---------------------------------------------------------------------

_PACK = struct.Struct("<20sHQI14s")  # sha1, HTTP status, offset, WARC file number, timestamp


def _warc_date(timestamp: str) -> str:
    t = timestamp
    return f"{t[0:4]}-{t[4:6]}-{t[6:8]}T{t[8:10]}:{t[10:12]}:{t[12:14]}Z"


class Lookup:
    """Per URL, the latest whole copy: what ``WarcArchive`` needs to write a revisit record
    instead of the payload again. A copy older than the latest with the same payload (a
    page that went A, B, A) is not remembered: that page is stored again, not revisited."""

    def __init__(self) -> None:
        self._by_url: dict[int, bytes | tuple] = {}
        self._warcs: list[str] = []
        self._warc_number: dict[str, int] = {}

    def __len__(self) -> int:
        return len(self._by_url)

    def remember(self, cited: str, entry: dict) -> None:
        """``entry`` if it is ``cited``'s latest whole copy so far."""
        if not eligible(entry):
            return
        key = hash(cited)  # the URL itself would be most of the memory; a collision needs the same payload too
        held = self._by_url.get(key)
        if held is not None and (self._unpack(held, cited)["timestamp"] or "") > (entry.get("timestamp") or ""):
            return
        self._by_url[key] = self._pack(cited, entry)

    def latest(self, cited: str) -> dict | None:
        held = self._by_url.get(hash(cited))
        return None if held is None else self._unpack(held, cited)

    def _pack(self, cited: str, entry: dict) -> bytes | tuple:
        warc, ts, digest = entry.get("warc"), entry.get("timestamp") or "", entry.get("digest") or ""
        number = self._warc_number.get(warc)
        if number is None and isinstance(warc, str):
            number = self._warc_number[warc] = len(self._warcs)
            self._warcs.append(warc)
        try:
            raw = base64.b32decode(digest.removeprefix("sha1:")) if digest.startswith("sha1:") else b""
            status, offset = entry.get("http_status"), entry.get("offset")
            if (
                len(raw) == 20
                and type(status) is int
                and 0 <= status < 65536
                and type(offset) is int
                and 0 <= offset
                and len(ts) == 14
                and ts.isdigit()
                and entry.get("warc_date") == _warc_date(ts)
                and number is not None
            ):
                packed = _PACK.pack(raw, status, offset, number, ts.encode("ascii"))
                url = entry.get("url")
                return packed if url == cited else (packed, url)
        except (binascii.Error, ValueError, struct.error, UnicodeEncodeError):
            pass
        keep = ("url", "warc", "offset", "timestamp", "warc_date", "digest", "http_status")
        return (None, {k: entry.get(k) for k in keep})  # anything unusual: kept as it was

    def _unpack(self, held: bytes | tuple, cited: str) -> dict:
        url = cited
        if isinstance(held, tuple):
            held, extra = held
            if held is None:
                return dict(extra)
            url = extra
        raw, status, offset, number, ts = _PACK.unpack(held)
        timestamp = ts.decode("ascii")
        return {
            "url": url,
            "warc": self._warcs[number],
            "offset": offset,
            "timestamp": timestamp,
            "warc_date": _warc_date(timestamp),
            "digest": "sha1:" + base64.b32encode(raw).decode("ascii"),
            "http_status": status,
        }


def build_lookup(blocks: Iterable[Block | Damage], lookup: Lookup, problems: list[str], shown: str) -> None:
    """Each URL's latest whole copy from the index, every block parsed on the way (so the
    merge at the end of the same run may copy them unparsed); damage said in ``problems``."""
    for block in blocks:
        if isinstance(block, Damage):
            problems.append(block.problem)
            continue
        try:
            entries = block.entries()
        except ValueError as e:
            problems.append(unreadable(shown, block, e))
            continue
        latest = next((e for e in reversed(entries) if eligible(e)), None)
        if latest is not None:
            lookup.remember(block.key, latest)


# --- the merge ----------------------------------------------------------------------


class Damaged(Exception):
    """Raised by ``merge`` at the first damage when it is not to be skipped."""

    def __init__(self, problem: str) -> None:
        super().__init__(problem)
        self.problem = problem


def merge(
    path: Path,
    additions: Iterable[tuple[str, list[dict]]],
    skip_damage: bool = False,
    shown: str | None = None,
    problems: list[str] | None = None,
    parsed: bool = False,
) -> None:
    """Write the index at ``path`` again with ``additions`` (URL, new copies; sorted by URL,
    each URL once) merged in, streamed: one URL's list in memory at a time. Damage raises
    ``Damaged`` (the old file is left as it was) unless ``skip_damage``, when the damaged
    part is left out and said in ``problems``. ``parsed``: every block of the file parsed
    already in this run (build_lookup), so untouched blocks are copied without parsing."""
    name = shown or str(path)
    write_atomic(path, _merged(read_blocks(path, name), iter(additions), skip_damage, problems, name, parsed))


def _merged(
    blocks: Iterator[Block | Damage],
    additions: Iterator[tuple[str, list[dict]]],
    skip_damage: bool,
    problems: list[str] | None,
    shown: str,
    parsed: bool,
) -> Iterator[str]:
    def damaged(problem: str) -> None:
        if not skip_damage:
            raise Damaged(problem)
        if problems is not None:
            problems.append(problem)

    def old_blocks() -> Iterator[Block]:
        for block in blocks:
            if isinstance(block, Damage):
                damaged(block.problem)
            elif parsed:
                yield block
            else:
                try:
                    block.entries()  # checked before it is copied: damage is not carried on
                    yield block
                except ValueError as e:
                    damaged(unreadable(shown, block, e))

    olds = old_blocks()
    old = next(olds, None)
    new = next(additions, None)
    written = 0
    while old is not None or new is not None:
        if new is None or (old is not None and old.key < new[0]):
            text = old.text()  # untouched: as it was
            old = next(olds, None)
        else:
            key, adding = new
            pieces: list[tuple[dict, str | None]] = []
            if old is not None and old.key == key:
                try:
                    pieces = old.pieces()
                except ValueError as e:
                    damaged(unreadable(shown, old, e))
                old = next(olds, None)
            for entry in adding:  # the old copies keep their text; the new ones are encoded
                pieces = _placed(pieces, entry, (entry, None), operator.itemgetter(0))
            text = _join_block(key, pieces)
            new = next(additions, None)
        yield ("{\n" if not written else ",\n") + text
        written += 1
    # no blocks at all: "{}", as json.dumps({}) writes it; otherwise the closing brace
    yield "{}\n" if not written else "\n}\n"


def _join_block(key: str, pieces: list[tuple[dict, str | None]]) -> str:
    """The block of ``key`` from its copies, each in the text it had or laid out now: the
    same text ``_encode_block`` gives for the whole list."""
    if not pieces:
        return _encode_block(key, [])
    texts = [t if t is not None else "  " + _laid_out(e, 2) for e, t in pieces]
    return " " + json.dumps(key, ensure_ascii=False) + ": [\n" + ",\n".join(texts) + "\n ]"


def _laid_out(value: object, depth: int) -> str:
    """``value`` at ``depth`` as the indent=1, sort_keys encoder writes it, the scalars by
    json's C encoder: the indenting encoder is pure Python, and a 200,000-URL merge encodes
    a copy per URL. Keys that are not all strings go to the encoder itself."""
    if isinstance(value, dict) and value and all(type(k) is str for k in value):
        inner = " " * (depth + 1)
        items = ",\n".join(
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_laid_out(value[k], depth + 1)}" for k in sorted(value)
        )
        return "{\n" + items + "\n" + " " * depth + "}"
    if isinstance(value, list) and value:
        inner = " " * (depth + 1)
        return "[\n" + ",\n".join(inner + _laid_out(v, depth + 1) for v in value) + "\n" + " " * depth + "]"
    if isinstance(value, (dict, list)):
        text = _ENCODER.encode(value)  # empty, or keys of other types
        return text.replace("\n", "\n" + " " * depth)
    return json.dumps(value, ensure_ascii=False)


def read_index(path: Path, problems: list[str] | None = None) -> dict[str, list[dict]]:
    """The whole index as a dict (for tests and small archives: a run uses the stream)."""
    index: dict[str, list[dict]] = {}
    for block in read_blocks(path):
        if isinstance(block, Damage):
            if problems is not None:
                problems.append(block.problem)
            continue
        try:
            index[block.key] = block.entries()
        except ValueError as e:
            if problems is not None:
                problems.append(unreadable(str(path), block, e))
    return index
