"""What each run saw, per URL, under ``archive/history/`` — the tool's memory.

One small JSON file per URL, one check per line, so a scheduled CI job's
commit shows a readable diff. Each file is replaced atomically as soon as its
check finishes: an interrupted run keeps everything it completed.

From this memory come three things the report needs: whether a failure is
*confirmed* (it persisted over several checks and days — a weekly job must not
cry wolf over one bad afternoon), whether a URL is fresh enough to skip, and
what changed since the previous run.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import os
import re
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from ..files import read_text, write_atomic
from ..model import FAILING, LinkCheck, Status
from .layout import ArchiveLayout

MAX_CHECKS = 60


@dataclass
class ConfirmPolicy:
    checks: int = 3
    days: float = 3.0


_CLOCK_SLACK = dt.timedelta(minutes=10)  # two machines' clocks may differ this much without harm


def _parse_time(value: str | None) -> dt.datetime | None:
    if not value or type(value) is not str:
        return None
    try:
        t = dt.datetime.fromisoformat(value)
    except ValueError:
        return None  # a date edited by hand: no time, as for a check without one
    return t if t.tzinfo else t.replace(tzinfo=dt.UTC)


class History:
    def __init__(self, root: str | Path) -> None:
        self.root = ArchiveLayout.at(root).history
        # file names per host folder, listed once: a URL a run has never seen costs no
        # failed open (see files.py for why each system call counts)
        self._names: dict[Path, set[str]] = {}
        self._listing = threading.Lock()
        self._folders: dict[str | None, Path] = {}  # hostname → its folder

    def _place(self, url: str) -> tuple[Path, str]:
        """The URL's folder and file name. The folder is worked out once per host: a cached
        run asks for 2,000 URLs on a few hosts, and Path arithmetic costs more than a read."""
        hostname = urlsplit(url).hostname
        folder = self._folders.get(hostname)
        if folder is None:
            host = re.sub(r"[^a-z0-9.-]", "_", (hostname or "no-host").lower())[:100] or "no-host"
            folder = self._folders.setdefault(hostname, self.root / host)
        return folder, hashlib.sha256(url.encode("utf-8")).hexdigest()[:16] + ".json"

    def path_for(self, url: str) -> Path:
        folder, name = self._place(url)
        return folder / name

    def _known(self, folder: Path) -> set[str]:
        names = self._names.get(folder)
        if names is None:
            with self._listing:
                names = self._names.get(folder)
                if names is None:
                    try:
                        names = set(os.listdir(folder))
                    except (FileNotFoundError, NotADirectoryError):
                        names = set()
                    self._names[folder] = names
        return names

    def checks(self, url: str) -> list[dict[str, Any]]:
        return _parsed(self._text(url))

    def checks_unless(self, url: str, passed_over: Callable[[dict[str, Any]], bool]) -> list[dict[str, Any]] | None:
        """``checks(url)``, or None when ``passed_over`` says so of the last check alone,
        which is read from the file's last line (``record``'s layout) without parsing the
        60 before it: a run looking for the fresh URLs among many stale ones parses only
        the fresh ones' files (the stale ones are read in full by their own check). A file
        in any other layout is parsed whole."""
        text = self._text(url)
        if text and len(text) > 2048:  # a check or two: parsing it all costs no more
            end = text.rfind("}\n  ]")
            start = text.rfind("\n    {", 0, end)
            if start >= 0:
                try:
                    last = json.loads(text[start + 5 : end + 1])
                except ValueError:
                    last = None
                if isinstance(last, dict) and passed_over(last):
                    return None
        return _parsed(text)

    def _text(self, url: str) -> str | None:
        folder, name = self._place(url)
        if name not in self._known(folder):
            return None
        try:
            return read_text(os.path.join(folder, name))
        except (OSError, ValueError):
            return None  # gone, unreadable, not UTF-8: no history (a damaged file is rewritten)

    def last(self, url: str) -> dict[str, Any] | None:
        checks = self.checks(url)
        return checks[-1] if checks else None

    def record(self, url: str, entry: dict[str, Any], previous: list[dict[str, Any]] | None = None) -> None:
        """``previous``: the checks the caller has just read, so the file is not read twice."""
        # No lock across URLs: each URL has its own file and one worker at a time (a run
        # checks each distinct URL once); a global lock here serialised every worker.
        checks = ((self.checks(url) if previous is None else previous) + [entry])[-MAX_CHECKS:]
        lines = ",\n".join("    " + json.dumps(c, ensure_ascii=False, sort_keys=True) for c in checks)
        text = "{\n" + f'  "url": {json.dumps(url, ensure_ascii=False)},\n  "checks": [\n{lines}\n  ]\n' + "}\n"
        folder, name = self._place(url)
        write_atomic(folder / name, text, keep_mode=False)
        self._known(folder).add(name)

    def all_urls(self) -> list[str]:
        urls = []
        for path in sorted(self.root.glob("*/*.json")):
            try:
                urls.append(json.loads(path.read_text(encoding="utf-8"))["url"])
            except (OSError, ValueError, KeyError, TypeError):
                continue
        return urls


def _parsed(text: str | None) -> list[dict[str, Any]]:
    if not text:
        return []
    try:
        data = json.loads(text)
    except ValueError:
        return _salvaged(text)  # a damaged history file must not stop a run; it is rewritten
    checks = data.get("checks", []) if isinstance(data, dict) else []
    if type(checks) is not list:
        return []
    # archive/ is committed and merged by people: a check that is not the tool's (not an
    # object, a status of no vocabulary, an 'at' that is not a date) is left out, not a
    # traceback that stops the run; the file is written again without it
    if all(_is_check(c) for c in checks):
        return checks
    return [c for c in checks if _is_check(c)]


def _salvaged(text: str) -> list[dict[str, Any]]:
    """The checks of a file that does not parse, read line by line (``record`` writes one
    check per line). Two branches' weekly jobs each adding a check leave git's conflict
    markers in the file, and a file cut short ends mid-line: taken as never checked, the
    URL lost every earlier check and a failing streak started over. Both sides' checks
    are kept, once each, in time order."""
    found: dict[str, dict[str, Any]] = {}
    for line in text.splitlines():
        piece = line.strip().removesuffix(",")
        if not (piece.startswith("{") and piece.endswith("}")):
            continue
        try:
            check = json.loads(piece)
        except ValueError:
            continue
        if _is_check(check):
            found.setdefault(json.dumps(check, sort_keys=True), check)
    return sorted(found.values(), key=lambda c: _parse_time(c["at"]))[-MAX_CHECKS:]


_STATUSES = frozenset(s.value for s in Status)


def _is_check(c: object) -> bool:
    """A check as ``check_entry`` writes it, in the fields the run reads back as they are
    (written out plainly: it runs for every stored check a run reads)."""
    if type(c) is not dict:
        return False
    get = c.get
    at, reason, final_url, warc, code = get("at"), get("reason"), get("final_url"), get("warc"), get("http_status")
    return (
        get("status") in _STATUSES
        and type(at) is str
        and (reason is None or type(reason) is str)
        and (final_url is None or type(final_url) is str)
        and (warc is None or type(warc) is str)
        and (code is None or type(code) is int)
        and _valid_time(at)
    )


def _valid_time(text: str) -> bool:
    try:
        dt.datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


def check_entry(check: LinkCheck, extra: dict[str, Any] | None = None) -> dict[str, Any]:
    entry = {
        "at": (check.checked_at or dt.datetime.now(dt.UTC)).isoformat(timespec="seconds"),
        "status": check.status.value,
        "reason": check.reason,
        "http_status": check.http_status,
        "final_url": check.final_url,
        "paywalled": check.paywalled or None,
    }
    if extra:
        entry.update(extra)
    return {k: v for k, v in entry.items() if v is not None}


def annotate(check: LinkCheck, previous: list[dict[str, Any]], policy: ConfirmPolicy) -> LinkCheck:
    """Fill confirmed / failing_since / previous_status from the checks before this one."""
    skipped = Status.SKIPPED.value  # an enum member's value is a property call, per check
    real = [c for c in previous if c.get("status") != skipped]
    if real:
        check.previous_status = Status(real[-1]["status"])
    if check.status not in FAILING:
        return check
    now = check.checked_at or dt.datetime.now(dt.UTC)
    streak = [now]
    failing = {s.value for s in FAILING}  # once, not per check: 60 checks of a failing URL
    for c in reversed(real):
        if c.get("status") in failing:
            t = _parse_time(c.get("at"))
            if t:
                streak.append(min(t, now))  # a check dated ahead (a wrong clock) counts as now: no early confirmation
        else:
            break
    first = min(streak)
    check.failing_since = first
    check.failing_checks = len(streak)
    span_days = (max(streak) - first).total_seconds() / 86400
    check.confirmed = len(streak) >= policy.checks and span_days >= policy.days
    return check


def fresh(previous: list[dict[str, Any]], recheck_after: dt.timedelta, now: dt.datetime) -> dict[str, Any] | None:
    """The last check if it was recent and healthy (live/redirected): no need to fetch again."""
    skipped = Status.SKIPPED.value  # an enum member's value is a property call, per check
    real = [c for c in previous if c.get("status") != skipped]
    if not real or real[-1].get("status") not in (Status.LIVE.value, Status.REDIRECTED.value):
        return None
    at = _parse_time(real[-1].get("at"))
    # a check dated ahead of now (a runner's wrong clock, or ours set back since) is not
    # fresh: "now - at < recheck_after" held it fresh until the clock caught up, a year
    # of "live (fresh in the cache)" for a page that may have died
    if at and -_CLOCK_SLACK < now - at < recheck_after:
        return real[-1]
    return None
