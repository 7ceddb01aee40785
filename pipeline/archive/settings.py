"""Which archive services a run uses, and how each is set up.

The command line builds an ``ArchiveSettings``; ``services_for`` turns it into the list of
services the stage asks, in order: the Wayback Machine first (it can capture), then the
Memento archives (lookup only, asked for a dead page the Wayback Machine has no good copy
of). A new archive service gets its settings field here and its line in ``services_for``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .memento import AGGREGATOR, ARCHIVE_TODAY, MementoService, MementoSettings
from .service import ArchiveService
from .wayback import WaybackService, WaybackSettings


@dataclass
class ArchiveSettings:
    wayback: WaybackSettings | None = field(default_factory=WaybackSettings.from_env)  # None: --no-wayback
    memento: list[MementoSettings] = field(default_factory=list)  # TimeMaps to ask (--memento); none by default
    workers: int = 4

    @classmethod
    def from_options(
        cls,
        *,
        no_wayback: bool,
        wayback_endpoint: str,
        max_age: dt.timedelta,
        anonymous: bool,
        captures_per_minute: float,
        cdx_per_minute: float,
        user_agent: str,
        memento: tuple[str, ...] = (),
        wayback_poll: float = 5.0,
        **_: Any,
    ) -> ArchiveSettings:
        """From the command line's archive options (cli.archive_options)."""
        wayback = None
        if not no_wayback:
            wayback = WaybackSettings.from_env(
                endpoint=wayback_endpoint,
                max_age=max_age,
                anonymous=anonymous,
                captures_per_minute=captures_per_minute,
                cdx_per_minute=cdx_per_minute,
                # a job's status is asked once per poll: the two paces move together
                poll_interval=wayback_poll,
                status_per_minute=max(30.0, 60.0 / wayback_poll) if wayback_poll > 0 else 6000.0,
                user_agent=user_agent,
            )
        timemaps = [AGGREGATOR if t == "aggregator" else ARCHIVE_TODAY if t == "archive.today" else t for t in memento]
        return cls(wayback=wayback, memento=[MementoSettings(timemap=t, user_agent=user_agent) for t in timemaps])

    def describe(self) -> str:
        """The stage's one-line announcement."""
        parts = []
        if self.wayback is not None:
            parts.append("Wayback Machine lookups" + (" and captures" if self.wayback.has_keys else ""))
        if self.memento:
            parts.append("Memento lookups for dead pages")
        return ", ".join(parts) if parts else "no archive service (url_status only)"


def services_for(settings: ArchiveSettings, root: str | Path) -> list[ArchiveService]:
    services: list[ArchiveService] = []
    if settings.wayback is not None:
        services.append(WaybackService(settings.wayback, root))
    services.extend(MementoService(m) for m in settings.memento)
    return services
