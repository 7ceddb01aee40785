"""Every fixed word citewatch uses for a state, each one enum that owns its meaning.

A status's report order, its severity, whether it is a failure, whether the source was
reached, its terminal colour and its CSS class are all written on the member itself, so a
new status is one line here (and a test checks that every member has every property).
The string values are what citations.yaml, the JSON report and the history files hold.
"""

from __future__ import annotations

from collections.abc import Sized
from enum import IntEnum, StrEnum


class ExitStatus(IntEnum):
    """How a command ends, for the scheduled job that runs it. The one table of exit codes:
    ``--help``, docs/cli.md and README.md all show ``exit_status_table``'s rows."""

    OK = 0
    INPUT = 1
    PROBLEMS = 2
    INTERRUPTED = 130

    @property
    def meaning(self) -> str:
        return _EXIT_MEANINGS[self]

    @classmethod
    def for_problems(cls, problems: Sized) -> ExitStatus:
        """The one rule: any problem --fail-on counts makes the exit status 2."""
        return cls.PROBLEMS if len(problems) else cls.OK


_EXIT_MEANINGS = {
    ExitStatus.OK: "nothing confirmed wrong",
    ExitStatus.INPUT: "usage, input or config error (one line on stderr naming the file and line), or nothing to do",
    ExitStatus.PROBLEMS: "confirmed problems: by default a confirmed `dead`, `soft-404` or `unreachable`; `--fail-on`"
    " picks statuses and verdicts, e.g. `--fail-on dead,blocked,title:mismatch`",
    ExitStatus.INTERRUPTED: "interrupted (Ctrl-C, or SIGTERM from a cancelled CI job): what was finished is kept and the next run resumes",
}


def exit_status_table(markdown: bool = False) -> str:
    """The exit codes, one per line: for ``--help`` (plain) or README.md (a Markdown table)."""
    if markdown:
        rows = [f"| {s.value} | {s.meaning} |" for s in ExitStatus]
        return "\n".join(["| code | meaning |", "|---|---|", *rows])
    import textwrap

    return "\n".join(
        textwrap.fill(s.meaning.replace("`", ""), 78, initial_indent=f"  {s.value:<4} ", subsequent_indent=" " * 7)
        for s in ExitStatus
    )


class Severity(StrEnum):
    ERROR = "error"
    WARNING = "warning"
    INFO = "info"

    def __str__(self) -> str:
        return self.value

    def at_least(self, threshold: Severity) -> bool:
        """``--fail-on findings:warning`` is a threshold, as a compiler's is: a run with an
        error must not pass a gate set at warning."""
        order = (Severity.INFO, Severity.WARNING, Severity.ERROR)
        return order.index(self) >= order.index(threshold)

    @property
    def colour(self) -> str | None:
        """Terminal colour of the word (click's names); None: the terminal's own."""
        return {Severity.ERROR: "red", Severity.WARNING: "yellow"}.get(self)


class Described(StrEnum):
    """A vocabulary whose members carry their meaning beside their value: a member is
    written ``NAME = "value", meaning…`` and its own ``__init__`` stores the meaning."""

    def __new__(cls, value: str, *meaning: object) -> Described:
        member = str.__new__(cls, value)
        member._value_ = value
        return member

    def __str__(self) -> str:  # click echoes and f-strings show the value
        return self.value


class Status(Described):
    """Outcome of checking one URL (DESIGN.md §3). The values are what JSON and reports show.

    ``is_reached``: the source's own page answered and was read (live, or after a permanent
    redirect). A bot wall (``blocked``) answered instead of the source, so its page is not
    the source's: no metadata, no local copy, no "retitled", no ``url_status: live``.
    ``is_failure``: evidence the source is gone; counts once history confirms it.
    ``is_unverifiable``: no conclusion either way (the page could not be judged).
    """

    # value, report order, severity, failure, reached, unverifiable, terminal colour, meaning
    DEAD = "dead", 0, Severity.ERROR, True, False, False, "red", "404, 410 or another 4xx/5xx that persists"
    SOFT_404 = "soft-404", 1, Severity.ERROR, True, False, False, "red", "answers 2xx but is a 'not found' page"
    UNREACHABLE = "unreachable", 2, Severity.ERROR, True, False, False, "red", "DNS, connection or TLS failure"
    BLOCKED = "blocked", 3, Severity.WARNING, False, False, True, "magenta", "a bot wall or 401/403/429"
    TIMEOUT = "timeout", 4, Severity.WARNING, False, False, True, "yellow", "no complete answer within the deadline"
    ERROR = "error", 5, Severity.WARNING, False, False, True, "red", "redirect loop, malformed response, other"
    REDIRECTED = "redirected", 6, Severity.WARNING, False, True, False, "yellow", "moved for good: update the URL"
    LIVE = "live", 7, Severity.INFO, False, True, False, "green", "2xx, the page is what it claims to be"
    SKIPPED = "skipped", 8, Severity.INFO, False, False, True, "bright_black", "not checked (no URL, refused, fresh)"

    order: int
    severity: Severity
    is_failure: bool
    is_reached: bool
    is_unverifiable: bool
    colour: str
    meaning: str

    def __init__(
        self,
        value: str,
        order: int,
        severity: Severity,
        failure: bool,
        reached: bool,
        unverifiable: bool,
        colour: str,
        meaning: str,
    ) -> None:
        self.order, self.severity, self.colour, self.meaning = order, severity, colour, meaning
        self.is_failure, self.is_reached, self.is_unverifiable = failure, reached, unverifiable

    @property
    def label(self) -> str:
        """The word a person reads (reports, terminal): the value itself."""
        return self.value

    @property
    def css_class(self) -> str:
        """The report stylesheet's class for this status (report.css: ``.s-dead`` …)."""
        return f"s-{self.value}"

    @property
    def is_worth_capturing(self) -> bool:
        """An archive may be asked to capture the address now: its page answered, or a bot
        wall answered for it (an archive's crawler may be let through where we were not)."""
        return self.is_reached or self is Status.BLOCKED

    @classmethod
    def in_order(cls) -> list[Status]:
        """Worst first, as reports list them."""
        return sorted(cls, key=lambda s: s.order)


#: Statuses that count as a failure of the source; they become "confirmed" only
#: when history shows them persisting (DESIGN.md §3).
FAILING = frozenset(s for s in Status if s.is_failure)


class Tone(StrEnum):
    """How a report shows a verdict: its colour says whether a person should look."""

    OK = "ok"  # the footnote agrees with the page
    WARN = "warn"  # close but not the same, or another language: worth a look
    BAD = "bad"  # the page positively says something else
    NEUTRAL = "neutral"  # nothing to compare, or nothing ties the name to the page: no alarm

    def __str__(self) -> str:
        return self.value


class Verdict(Described):
    """How a footnote's title, date or publisher compares with the page (DESIGN.md §3).

    A verdict comes only from a page that was read (live, or an archived copy); without
    one it is ``unverified``, never a mismatch. ``mismatch`` needs positive evidence of
    something else; a name that cannot be tied to the page is ``unconfirmed``. Both of
    those, and ``unknown``, are neutral in every report: they say "not checked", not
    "wrong", and a reader must not chase them."""

    # value, tone, whether its similarity score means something to a reader
    MATCH = "match", Tone.OK, True
    PARTIAL = "partial", Tone.WARN, True  # close, or one contains the other: worth a look
    ALIAS = "alias", Tone.OK, True  # another name of the same outlet
    OTHER_LANGUAGE = "other-language", Tone.WARN, False  # footnote and page in different languages
    LIKELY_TYPO = "likely-typo", Tone.WARN, True
    OFF_BY_DAYS = "off-by-days", Tone.WARN, True  # a date 2–31 days away (the detail says how many)
    MISMATCH = "mismatch", Tone.BAD, True
    UNCONFIRMED = "unconfirmed", Tone.NEUTRAL, False  # a page was read, but nothing on it ties the name to it
    UNVERIFIED = "unverified", Tone.NEUTRAL, False  # no page was read: nothing to compare with
    UNKNOWN = "unknown", Tone.NEUTRAL, False  # the footnote or the page gives no value to compare

    tone: Tone
    shows_score: bool

    def __init__(self, value: str, tone: Tone, shows_score: bool) -> None:
        self.tone, self.shows_score = tone, shows_score

    @property
    def is_alarm(self) -> bool:
        """The footnote looks wrong: a person should look (what "false alarms" count)."""
        return self.tone in (Tone.WARN, Tone.BAD)

    @property
    def css_class(self) -> str:
        """The report stylesheet's class for this verdict (report.css: ``.v-ok`` …)."""
        return f"v-{self.tone}"


class FetchError(Described):
    """Why a fetch has no answer to classify, and the status that makes."""

    TIMEOUT = "timeout", Status.TIMEOUT
    UNREACHABLE = "unreachable", Status.UNREACHABLE
    ERROR = "error", Status.ERROR  # malformed answer, redirect loop, bad URL
    SKIPPED = "skipped", Status.SKIPPED  # not fetched: not an http(s) URL
    REFUSED = "refused", Status.SKIPPED  # the address guard refused it (private address)

    status: Status

    def __init__(self, value: str, status: Status) -> None:
        self.status = status


class SnapshotKind(StrEnum):
    """Where an archived copy lives."""

    WAYBACK = "wayback"  # the Wayback Machine
    ARCHIVE = "archive"  # another archive: one the footnote cites (archive.today, Perma.cc …) or a Memento archive
    LOCAL = "local"  # a WARC record under archive/

    def __str__(self) -> str:
        return self.value

    @property
    def is_public(self) -> bool:
        """A copy anyone can open by its address (a local one is a path in archive/)."""
        return self is not SnapshotKind.LOCAL


class UrlStatus(StrEnum):
    """The ``url_status`` written back to citations.yaml: Wikipedia CS1's values."""

    LIVE = "live"
    DEAD = "dead"  # a confirmed failure
    USURPED = "usurped"  # the domain now serves something else (parked)
    UNFIT = "unfit"  # set by people: the source became unsuitable
    DEVIATED = "deviated"  # the page no longer says what was cited (quote evidence only)

    def __str__(self) -> str:
        return self.value

    @property
    def original_unusable(self) -> bool:
        """The original address should not be the link a reader follows first: it is
        gone, or it now serves something else (an export links the archived copy)."""
        return self in (UrlStatus.DEAD, UrlStatus.USURPED, UrlStatus.UNFIT)

    @property
    def original_hidden(self) -> bool:
        """The original address is not linked at all (CS1 hides it too): a domain taken
        over by someone else, or a page unfit to send readers to."""
        return self in (UrlStatus.USURPED, UrlStatus.UNFIT)


class FindingCode(StrEnum):
    """What a finding about the notes (or about citations.yaml) is. Its severity is the
    finding's own (an out-of-order marker is worth less than a missing note)."""

    NOTE_NOT_CITED = "note-not-cited"
    MARKER_WITHOUT_NOTE = "marker-without-note"
    MARKER_OUT_OF_ORDER = "marker-out-of-order"
    IBID = "ibid"
    IBID_WITHOUT_ANTECEDENT = "ibid-without-antecedent"
    DUPLICATE_NOTE = "duplicate-note"
    SAME_SOURCE = "same-source"
    DUPLICATE_ID = "duplicate-id"
    UNPARSED_NOTE = "unparsed-note"
    PUBLISHER_TYPO = "publisher-typo"
    MISSING_URL = "missing-url"
    MISSING_DATE = "missing-date"
    MISSING_TITLE = "missing-title"
    MISSING_PUBLISHER = "missing-publisher"
    NOTE_CHANGED = "note-changed"
    NOTE_REMOVED = "note-removed"
    BAD_CITATION = "bad-citation"  # an entry of citations.yaml a lenient load kept
    RELATIVE_LINKS = "relative-links"  # body links left out: nothing to resolve them against

    def __str__(self) -> str:
        return self.value

    @property
    def groups_in_summary(self) -> bool:
        """A finding that hits many notes at once (no URL, no date) reads better as one line."""
        return self.value.startswith("missing-")


class Cause(StrEnum):
    """Why a check has its status, where something downstream acts on the why (the human
    wording stays in ``LinkCheck.reason``): a parked domain's citation is ``usurped``."""

    PARKED = "parked"  # the domain is parked or for sale: someone else holds it now
