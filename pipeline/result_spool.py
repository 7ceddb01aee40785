"""A run's results on disk, one record per citation, read back one at a time.

At 200,000 citations a run's Results were most of its peak memory: about 2 KB each (the
page's metadata and its title candidates, three verdicts, the check, the copies), 1.2 GB
in all. ``run`` puts each result here as soon as it is verified; the archive stage, the
quotes' finish and the reports read them back one at a time.

A result read from the spool is a copy: a stage that changes one reads it, changes it and
puts it back (``spool[i] = r``), which a plain list of results takes too, so the same code
serves both. The citations stay in memory (the run holds them anyway): a record holds the
rest of its Result, and reading it back puts the very Citation object on it, so a
write-back to a citation (archive_url, url_status) is seen by every later reader, as it is
with a list.

The file is anonymous (``tempfile.TemporaryFile`` in the temporary folder, TMPDIR: on
Linux it never has a name, elsewhere it is unlinked as soon as it is made): whatever stops
the run — the end, Ctrl-C, a kill — leaves nothing behind; ``close`` (or letting the last
report that reads it go) gives its space back. Records are pickles that this process
wrote for itself, never a file someone gave us. The result's dataclasses are pickled as
their class and field values (``_reducers``), not through the ``__getstate__`` that
``dataclass(slots=True)`` writes in Python: half the time and half the bytes (~1 KB a
result). A record put again is appended (the old one is left in place): a run writes
each result three times.
"""

from __future__ import annotations

import io
import operator
import os
import pickle
import tempfile
import threading
from array import array
from collections.abc import Iterator, Sequence
from dataclasses import fields, is_dataclass
from enum import Enum
from typing import overload

from . import model, vocab
from .model import Citation, Result
from .quotes import verdicts

_rest = operator.attrgetter(*tuple(f.name for f in fields(Result))[1:])  # every field but the citation
assert tuple(f.name for f in fields(Result))[0] == "citation"


def _reducers() -> dict[type, object]:
    """Each dataclass a result is made of, pickled as ``(cls, field values)`` and so built
    again by its own ``__init__`` (every field of theirs is an init field)."""
    table: dict[type, object] = {}
    for module in (model, verdicts, vocab):
        for cls in vars(module).values():
            if isinstance(cls, type) and is_dataclass(cls) and all(f.init for f in fields(cls)):
                values = operator.attrgetter(*(f.name for f in fields(cls)))
                table[cls] = _reducer(cls, values) if len(fields(cls)) > 1 else _reducer(cls, _one(values))
            elif isinstance(cls, type) and issubclass(cls, Enum) and cls.__members__:
                table[cls] = _member(cls)  # read back by name: a dictionary lookup, not Enum.__call__
    return table


def _reducer(cls: type, values):
    return lambda obj: (cls, values(obj))


def _member(cls: type):
    return lambda obj: (getattr, (cls, obj.name))


def _one(value):
    return lambda obj: (value(obj),)


_REDUCERS = _reducers()


class ResultSpool(Sequence[Result]):
    """One result per citation of ``citations``, in their order, kept on disk."""

    def __init__(self, citations: Sequence[Citation]) -> None:
        self._citations = citations
        self._file = tempfile.TemporaryFile(prefix="citewatch-results-", buffering=0)
        self._fd = self._file.fileno()
        self._at = array("q", [-1]) * len(citations)  # each record's offset; -1: not put yet
        self._size = array("L", [0]) * len(citations)
        self._end = 0
        self._lock = threading.Lock()
        self._buffer = io.BytesIO()
        self._pickler = pickle.Pickler(self._buffer, pickle.HIGHEST_PROTOCOL)
        self._pickler.dispatch_table = _REDUCERS

    def __len__(self) -> int:
        return len(self._at)

    def citation(self, i: int) -> Citation:
        """Result ``i``'s citation, without reading its record."""
        return self._citations[i]

    def has(self, i: int) -> bool:
        """Has result ``i`` been put yet?"""
        return self._at[i] >= 0

    @overload
    def __getitem__(self, i: int) -> Result: ...
    @overload
    def __getitem__(self, i: slice) -> SpoolView: ...
    def __getitem__(self, i: int | slice) -> Result | SpoolView:
        if isinstance(i, slice):
            return SpoolView(self, range(len(self))[i])
        at = self._at[i]
        if at < 0:
            raise LookupError(f"result {i} was not put in the spool")
        own, values = pickle.loads(os.pread(self._fd, self._size[i], at))
        return Result(self._citations[i] if own is None else own, *values)

    def __setitem__(self, i: int, r: Result) -> None:
        own = None if r.citation is self._citations[i] else r.citation  # another citation: kept too
        with self._lock:
            self._buffer.seek(0)
            self._buffer.truncate()
            self._pickler.clear_memo()
            self._pickler.dump((own, _rest(r)))
            data = self._buffer.getvalue()
            at, self._end = self._end, self._end + len(data)
        view = memoryview(data)
        try:
            while view:
                view = view[os.pwrite(self._fd, view, at + len(data) - len(view)) :]
        except OSError as e:  # a full TMPDIR (a small tmpfs /tmp): name it, not "a file"
            where = f"{tempfile.gettempdir()} (TMPDIR, where a run keeps its results)"
            raise OSError(e.errno, e.strerror, where) from e
        self._at[i], self._size[i] = at, len(data)

    def __iter__(self) -> Iterator[Result]:
        for i in range(len(self)):
            yield self[i]

    def close(self) -> None:
        """Give the file's space back; the spool cannot be read after."""
        self._file.close()

    @property
    def closed(self) -> bool:
        return self._file.closed

    @property
    def disk_bytes(self) -> int:
        """Bytes written to the file (records put again included)."""
        return self._end


class SpoolView(Sequence[Result]):
    """A run of a spool's results (one article's, when several share a run), read and
    put back by their place in the run."""

    def __init__(self, spool: ResultSpool, places: range) -> None:
        self.spool = spool
        self._places = places

    def __len__(self) -> int:
        return len(self._places)

    @overload
    def __getitem__(self, i: int) -> Result: ...
    @overload
    def __getitem__(self, i: slice) -> SpoolView: ...
    def __getitem__(self, i: int | slice) -> Result | SpoolView:
        if isinstance(i, slice):
            return SpoolView(self.spool, self._places[i])
        return self.spool[self._places[i]]

    def __setitem__(self, i: int, r: Result) -> None:
        self.spool[self._places[i]] = r

    def __iter__(self) -> Iterator[Result]:
        for i in self._places:
            yield self.spool[i]

    def citation(self, i: int) -> Citation:
        return self.spool.citation(self._places[i])
