"""Atomic file reads and writes, the one way every file under archive/, reports/ and
citations.yaml is written.

The history of a 2,000-URL run is 2,000 small files written from worker threads. Each
system call a Python thread makes lets go of the GIL, and under contention every let-go
costs a hand-over to another thread (two futex calls, often a context switch): measured
on the check benchmark, writing one history file cost its worker 0.95 ms of CPU with
``tempfile.mkstemp`` + ``Path.mkdir`` (eight system calls), against 0.11 ms with one
thread. So these functions make only the calls the job needs: open, write, close,
rename to write; open, read, close to read.
"""

from __future__ import annotations

import errno
import itertools
import os
import re
import stat
from collections.abc import Iterable, Iterator
from pathlib import Path

# Temporary names: this process's id and a counter, not tempfile's random names
# (tempfile calls getcwd and getpid for each). O_EXCL still guards against a
# leftover of a crashed process that had the same id.
_names = itertools.count()
_pid = os.getpid()


def _after_fork() -> None:
    global _pid
    _pid = os.getpid()


os.register_at_fork(after_in_child=_after_fork)

_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NOFOLLOW", 0)


def _open_temp(path: str) -> tuple[int, str]:
    directory, name = os.path.split(path)
    for attempt in range(100):
        tmp = os.path.join(directory, f".{name}.{_pid:x}-{next(_names):x}.tmp")
        try:
            # 0o666 less the umask, as open() would give a new file; mkstemp's 0o600 made
            # reports and a rewritten citations.yaml unreadable to the rest of a team
            return os.open(tmp, _CREATE, 0o666), tmp
        except FileNotFoundError:
            if attempt:
                raise
            os.makedirs(directory or ".", exist_ok=True)  # only when the folder is new
        except FileExistsError:
            continue  # a crashed process's leftover: the next number is free
    raise FileExistsError(errno.EEXIST, "no free temporary name", path)


_TEMP_NAME = re.compile(r"\A\..+\.([0-9a-f]+)-[0-9a-f]+\.tmp\Z", re.DOTALL)


def remove_leftovers(directory: str | Path) -> None:
    """Remove the temporary files (``_open_temp``'s names) that processes now gone left in
    ``directory``: a run killed while it wrote (SIGKILL, a CI job's timeout) leaves its
    temp file for good; in archive/ it was committed by the next ``git add archive``, and
    the WARC index's is as big as the index. Called by the holder of archive/'s lock, so no
    other run writes there; a file of a process still alive is left alone, as is our own."""
    try:
        names = os.listdir(directory)
    except OSError:
        return
    for name in names:
        match = _TEMP_NAME.match(name)
        if match is None:
            continue
        pid = int(match.group(1), 16)
        if pid == _pid or _alive(pid):
            continue
        try:
            os.unlink(os.path.join(directory, name))
        except OSError:
            pass  # gone already, or not ours to remove: nothing lost either way


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except (PermissionError, OverflowError, ValueError):
        return True  # another user's process (or a name that only looks like ours): left alone
    return True


def _is_special(path: str) -> bool:
    """A device, pipe or socket: renaming a temp file over it (as root, which a CI
    container often is) turned ``--json /dev/null`` into a regular file for every later
    program, and a named pipe's reader got nothing."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return not (stat.S_ISREG(mode) or stat.S_ISDIR(mode))


def is_device(path: str | Path) -> bool:
    """A character or block device. /dev/zero or /dev/full given as a file to read (the
    citations file, an article, a config) reads without end: a run was killed for memory.
    A named pipe (``<(…)``) is read as a file."""
    try:
        mode = os.stat(path).st_mode
    except OSError:
        return False
    return stat.S_ISCHR(mode) or stat.S_ISBLK(mode)


def write_atomic(path: str | Path, text: str | Iterable[str], durable: bool = False, keep_mode: bool = True) -> None:
    """Temp file in the same folder + rename: readers never see half a file, and an
    interrupted write leaves the old one. ``text`` may come in pieces (an iterable of str):
    a report of 200,000 results is then written as it is rendered, never held whole in
    memory (a 290 MB JSON string, and its bytes, at once). ``durable`` adds fsync (power-loss safety) at a
    cost per file: used for hand-kept files, not for the thousands of history files.
    ``keep_mode``: a file that exists keeps its permissions, and a symbolic link is written
    through, not replaced (two more system calls; the history, whose files only this tool
    writes, skips them)."""
    path = os.fspath(path)
    if _is_special(path):  # /dev/null, /dev/stdout, a named pipe: written to, never replaced by a file
        try:
            with open(path, "w", encoding="utf-8") as f:
                for piece in [text] if isinstance(text, str) else text:
                    f.write(piece)
        except OSError as e:
            if e.filename is None:  # a write or close (/dev/full): name the file it was for
                raise OSError(e.errno, e.strerror, path) from e
            raise
        return
    if keep_mode:
        # a citations.yaml kept elsewhere and linked in: write the file the link points
        # at, not a new file in the link's place that leaves the real one stale
        path = os.path.realpath(path) if os.path.islink(path) else path
    fd, tmp = _open_temp(path)
    try:
        try:
            if keep_mode:
                try:
                    os.fchmod(fd, stat.S_IMODE(os.stat(path).st_mode))
                except FileNotFoundError:
                    pass
            for data in _in_blocks([text] if isinstance(text, str) else text):
                view = memoryview(data)
                while view:
                    view = view[os.write(fd, view) :]
            if durable:
                os.fsync(fd)
        finally:
            os.close(fd)
        os.replace(tmp, path)
    except BaseException as e:
        try:
            os.unlink(tmp)
        except FileNotFoundError:
            pass
        if isinstance(e, OSError) and e.filename is None:  # a write or close: name the file it was for
            raise OSError(e.errno, e.strerror, path) from e
        raise


def _in_blocks(pieces: Iterable[str], size: int = 1 << 20) -> Iterator[bytes]:
    """UTF-8 bytes in blocks of about ``size``: one write per block, not per piece."""
    block: list[bytes] = []
    held = 0
    for piece in pieces:
        data = piece.encode("utf-8")
        block.append(data)
        held += len(data)
        if held >= size:
            yield b"".join(block)
            block, held = [], 0
    if block:
        yield b"".join(block)


def read_text(path: str | Path) -> str:
    """The file's text (UTF-8). ``Path.read_text`` adds a terminal check (ioctl), a seek
    and a size lookup to the open/read/close: see the module docstring for why it matters."""
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_CLOEXEC", 0))
    try:
        chunks = []
        while chunk := os.read(fd, 1 << 16):
            chunks.append(chunk)
    finally:
        os.close(fd)
    return b"".join(chunks).decode("utf-8")


# Errors that mean "this folder cannot take our files" — the user's to fix (a read-only
# checkout, a full disk, a path through a file), not a fault to report as a bug.
DISK_ERRNOS = frozenset(
    {errno.EROFS, errno.ENOSPC, errno.EDQUOT, errno.EACCES, errno.EPERM, errno.ENOTDIR, errno.EEXIST, errno.EISDIR}
)


def cannot_write(e: OSError, where: str | Path | None = None) -> str:
    """One line for a write that failed: ``cannot write archive/history: read-only file system``.
    A temporary file's name is the folder's business: the folder is named instead."""
    place = os.fspath(where) if where is not None else (e.filename and os.fspath(e.filename)) or "a file"
    base = os.path.basename(place)
    if base.startswith(".") and base.endswith(".tmp"):
        place = os.path.dirname(place) or "."
    reason = (e.strerror or os.strerror(e.errno or 0) or type(e).__name__).lower()
    return f"cannot write {place}: {reason}"


def writable_problem(directory: str | Path) -> str | None:
    """Why ``directory`` could not take a file (None: it could), found before a run spends
    minutes on the network: one byte written to and removed from it, or from the nearest
    folder above it that exists (the run creates the rest; this check creates nothing)."""
    directory = os.fspath(directory)
    existing = directory
    while not os.path.exists(existing):
        parent = os.path.dirname(existing.rstrip(os.sep)) or "."
        if parent == existing:
            break
        existing = parent
    if not os.path.isdir(existing):
        return cannot_write(OSError(errno.ENOTDIR, os.strerror(errno.ENOTDIR)), directory)
    try:
        fd, tmp = _open_temp(os.path.join(existing, "write-check"))
        try:
            os.write(fd, b"\n")
        finally:
            os.close(fd)
            os.unlink(tmp)
    except OSError as e:
        return cannot_write(e, directory)
    return None


def require_writable(*directories: str | Path | None) -> None:
    """Refuse, as one line and before any network work, a folder a command could not write
    to at the end (a read-only checkout, a full disk, a path through a file)."""
    from .errors import InputError

    for directory in directories:
        problem = writable_problem(directory) if directory is not None else None
        if problem:
            raise InputError(problem)


_NOT_IN_A_NAME = re.compile(r"[\\/\x00-\x1f\x7f:]")


def safe_stem(name: str) -> str:
    """``name`` as a file name inside its folder, never a path out of it: a saved run's
    ``name`` can come from a committed file somebody else wrote (``../../.github/x``)."""
    stem = _NOT_IN_A_NAME.sub("_", str(name)).lstrip(".").strip()
    return stem or "report"
