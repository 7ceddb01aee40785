"""The ``archive/`` folder: every path and file name in it, and the lock a run holds on it.

``archive/`` is the tool's memory, committed by scheduled CI jobs; this module is the one
place that says where each part lives, so a new file is added here and nowhere else:

    archive/
      .lock                   held by the run that writes archive/ (holder written inside)
      history/<host>/<sha>.json   what each run saw, per URL        (history.py)
      snapshots.json          every archive snapshot found or made  (stage.py)
      wayback-pending.json    Save Page Now jobs not finished yet   (wayback.py)
      warc/citewatch-*.warc.gz    local copies of the responses     (warc.py)
      warc-index.json         where each URL's copy is in the WARCs (warc_index.py; rebuilt from them)
      warc-indexed.json       the WARC files that index covers, with their sizes      (warc.py)
      runs/<name>.json        each article's last report            (run.py)
      cited-copies/<host>/<sha>.json  each source's text as archived when it was cited (quotes/copies.py)
      runs/reports/           the reports of `citewatch archive`    (cli.py)

Two runs writing one archive at once lost data (each read a shared file, added its part
and wrote it back over the other's): a run takes an exclusive lock on ``archive/.lock``
for as long as it writes there; a second run waits a bounded time, then refuses with one
line naming the holder. The lock is ``flock``: the kernel drops it when the holder's
process ends, even after ``kill -9``, so a stale lock file never blocks anyone.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import os
import socket
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from ..errors import InputError
from ..files import remove_leftovers

LOCK_WAIT = 60.0  # seconds a second run waits for the first before refusing
_POLL = 0.05


@dataclass(frozen=True)
class ArchiveLayout:
    """The paths under one ``archive/`` folder."""

    root: Path

    @classmethod
    def at(cls, root: str | Path) -> ArchiveLayout:
        return cls(Path(root))

    @property
    def lock(self) -> Path:
        return self.root / ".lock"

    @property
    def history(self) -> Path:
        return self.root / "history"

    @property
    def snapshots(self) -> Path:
        return self.root / "snapshots.json"

    @property
    def pending(self) -> Path:
        return self.root / "wayback-pending.json"

    @property
    def warc_dir(self) -> Path:
        return self.root / "warc"

    @property
    def warc_index(self) -> Path:
        return self.root / "warc-index.json"

    @property
    def warc_indexed(self) -> Path:
        return self.root / "warc-indexed.json"

    @property
    def runs(self) -> Path:
        return self.root / "runs"

    @property
    def archive_command_reports(self) -> Path:
        """Where ``citewatch archive`` (which has no --reports-dir) writes its reports."""
        return self.runs / "reports"

    @property
    def cited_copies(self) -> Path:
        """The archived copies from the citation time, read once (a copy from then does not change)."""
        return self.root / "cited-copies"

    def run_report(self, name: str) -> Path:
        return self.runs / f"{name}.json"

    def warc_file(self, run_id: str) -> Path:
        return self.warc_dir / f"citewatch-{run_id}.warc.gz"

    def warc_files(self) -> list[Path]:
        return sorted(self.warc_dir.glob("citewatch-*.warc.gz"))


class ArchiveBusy(InputError):
    """Another run holds the archive's lock past our wait: a refusal printed as one line."""


def _holder_line(command: str) -> str:
    started = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    return f"pid {os.getpid()} on {socket.gethostname()}, started {started}: {command}\n"


def _read_holder(fd: int) -> str:
    try:
        os.lseek(fd, 0, os.SEEK_SET)
        text = os.read(fd, 4096).decode("utf-8", "replace").strip()
    except OSError:
        return ""
    return "".join(ch for ch in text.splitlines()[0] if ch.isprintable()) if text else ""


_IGNORED = ".lock\n.*.tmp\n"
_IGNORED_BEFORE = (".lock\n",)  # what earlier releases wrote: brought up to date


def _ignore_lock(root: Path) -> None:
    """archive/ is committed by scheduled jobs (``git add archive``): the lock file stays
    (deleting it on release would let two runs lock two different files), so a
    ``.gitignore`` beside it keeps it out of commits, with the temporary files a killed run
    leaves (removed by the next run, but a job may commit in between). A person's own
    .gitignore is kept."""
    ignore = root / ".gitignore"
    try:
        if ignore.exists() and ignore.read_text(encoding="utf-8") not in _IGNORED_BEFORE:
            return
        ignore.write_text(_IGNORED, encoding="utf-8")
    except (OSError, ValueError):
        pass  # an unwritable archive/ is reported by the write check, not here


def _remove_leftovers(layout: ArchiveLayout) -> None:
    """The temporary files of runs killed while they wrote, in the folders of archive/'s
    few large files (the history's many folders are not listed: their files are small and
    .gitignore keeps them out of commits)."""
    for folder in (layout.root, layout.warc_dir, layout.runs, layout.archive_command_reports, layout.cited_copies):
        remove_leftovers(folder)


@contextlib.contextmanager
def locked(root: str | Path, wait: float = LOCK_WAIT, command: str | None = None) -> Iterator[None]:
    """Hold ``archive/.lock`` for the body; wait at most ``wait`` seconds for another run.

    The holder (pid, host, start time, command) is written into the file so a refused run
    can say who it waited for. Re-entrant within a process is not needed: one run, one lock.
    """
    layout = ArchiveLayout.at(root)
    layout.root.mkdir(parents=True, exist_ok=True)
    _ignore_lock(layout.root)
    fd = os.open(layout.lock, os.O_RDWR | os.O_CREAT | getattr(os, "O_CLOEXEC", 0), 0o666)
    try:
        deadline = time.monotonic() + max(0.0, wait)
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except BlockingIOError:
                if time.monotonic() >= deadline:
                    holder = _read_holder(fd) or "another citewatch run"
                    raise ArchiveBusy(
                        f"{layout.root} is in use by {holder} (waited {wait:g} s; run again when it has finished)"
                    ) from None
                time.sleep(_POLL)
        _remove_leftovers(layout)
        os.ftruncate(fd, 0)
        os.pwrite(fd, _holder_line(command or " ".join(["citewatch", *sys.argv[1:]])[:300]).encode(), 0)
        try:
            yield
        finally:
            os.ftruncate(fd, 0)
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)
