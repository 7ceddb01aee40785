"""Which rows an HTML report lists, and how a large one carries every problem and stays small.

Up to ``FULL_LIST`` citations the page lists every row, in citation order. Past that it
lists what is worth a look (every failure, block, redirect, doubtful verdict, quote not
found), most severe first: the first ``HTML_ROWS`` as full rows with their evidence
(~1.4 KB each; what a reader without JavaScript sees), the others as compact records
(~250 bytes each) in a JSON data block that the page's script turns into rows when asked.
At 200,000 citations with 20,000 failing, full rows for every problem made a 28 MB page;
records make it ~7 MB. The quiet rows (live, as cited) stay in the JSON report, which the
page can load on demand too.

One pass over the results, holding only the rows it lists: a report may hand its results
over as an iterator.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from ..model import Match, Result
from ..quotes.verdicts import DriftVerdict, QuoteVerdict
from ..textsafe import clean, safe_href
from ..vocab import Status, Verdict

FULL_LIST = 2_000  # citations a report lists in full; a larger one lists what is worth a look
HTML_ROWS = 1_000  # of those, the most severe, as full rows; the rest as records
TEXT_CAP = 300  # characters of a title, reason or quote in a record (the JSON report has it whole)
ROWS_BUDGET = 2_000_000  # characters of full rows at most (~1.4 KB each; a row with long titles takes more)
DATA_BUDGET = 7_000_000  # bytes of records at most: with the rows, the page stays under 10 MB whatever they hold


def worth_a_look(r: Result) -> bool:
    """Kept in a large report's page: every row but a source that answered as cited."""
    status = r.check.standing_status if r.check else None
    if status is not Status.LIVE:
        return True
    if any(q.verdict.is_failure for q in r.quotes) or (r.drift is not None and r.drift.verdict.is_failure):
        return True
    return any(m is not None and Verdict(m.verdict).is_alarm for m in (r.title_match, r.date_match, r.publisher_match))


def severity(item: tuple[int, Result]) -> tuple[int, int, int, int]:
    """Most severe first: confirmed failures, then by status in the report's order (dead,
    soft-404, unreachable, blocked, timeout, error, redirected, live, skipped; no URL last),
    a mismatch before a warning, then citation order."""
    i, r = item
    status = r.check.standing_status if r.check else None
    order = status.order if status else len(Status)
    tones = [Verdict(m.verdict).tone for m in (r.title_match, r.date_match, r.publisher_match) if m is not None]
    doubt = 0 if "bad" in tones else 1 if "warn" in tones else 2
    return (0 if r.check and r.check.confirmed else 1, order, doubt, i)


@dataclass
class Listing:
    """What the page lists: ``rows`` (index in the run, result), and the filters' choices."""

    total: int = 0
    rows: list[tuple[int, Result]] = field(default_factory=list)
    statuses: set[str] = field(default_factory=set)
    verdicts: set[str] = field(default_factory=set)

    @property
    def large(self) -> bool:
        return self.total > FULL_LIST


def listing(results: Iterable[Result]) -> Listing:
    out = Listing()
    for i, r in enumerate(results):
        out.total += 1
        out.statuses.add(r.check.status.value if r.check else "")
        if r.title_match:
            out.verdicts.add(str(r.title_match.verdict))
        if out.total <= FULL_LIST or worth_a_look(r):
            out.rows.append((i, r))
        if out.total == FULL_LIST + 1:  # from now on a large report: drop the quiet rows kept so far
            out.rows = [(j, x) for j, x in out.rows if worth_a_look(x)]
    if out.large:
        out.rows.sort(key=severity)
    return out


def _text(value: Any) -> str:
    text = clean(value)
    return text if len(text) <= TEXT_CAP else text[: TEXT_CAP - 1] + "…"


class Strings:
    """The values many rows share ("unverified", "no page was read (dead: HTTP 404 Not
    Found)", an outlet's name), written once in the block: a record holds their index."""

    def __init__(self) -> None:
        self.index: dict[str, int] = {}
        self.size = 0  # bytes they take in the block

    def __call__(self, value: Any) -> str | int:
        text = _text(value)
        if not text:
            return ""
        if text not in self.index:
            self.index[text] = len(self.index)
            self.size += len(text.encode("utf-8")) + 3
        return self.index[text]


def _link(url: str | None) -> str | list[str]:
    """A record's address: the string when it may be a link, ``[text]`` when it is shown only."""
    if not url:
        return ""
    return safe_href(url) or [_text(url)]


def _match(m: Match | None, shared: Strings, cited: str | None = None) -> list[Any] | int:
    """[verdict, score, detail, cited, found, suggestion], without the empty ones at the end;
    ``cited`` left out when it is the citation's own (the record has that)."""
    if m is None:
        return 0
    v = Verdict(m.verdict)
    score = f"{m.score:.2f}" if m.score is not None and v.shows_score else ""
    said = "" if cited is not None and m.cited == cited else _text(m.cited)
    out = [shared(v.value), score, shared(m.detail), said, _text(m.found), _text(m.suggestion)]
    while out[-1] == "":
        out.pop()
    return out


def _archive(r: Result, shared: Strings) -> list[Any] | int:
    c = r.citation
    if c.archive_url:
        return [shared(c.archive_date.isoformat() if c.archive_date else "snapshot"), _link(c.archive_url)]
    note = shared(r.archive_note)
    if r.local_copy:
        return [shared("local copy"), "", note]
    return ["", "", note] if note != "" else 0


def check_line(r: Result, elapsed: bool = True) -> str:
    """The evidence's "Check" line: HTTP status, time, failing since when."""
    check = r.check
    if check is None:
        return ""
    bits = [f"HTTP {check.http_status}" if check.http_status else "", f"{check.elapsed_ms} ms" if elapsed else ""]
    if check.truncated:
        bits.append("body capped")
    if check.failing_since:
        bits.append(f"failing since {check.failing_since.isoformat()[:10]} ({check.failing_checks} checks)")
    return " · ".join(b for b in bits if b)


def flag(r: Result) -> str:
    """What follows a failing status: " confirmed", or " · failing since <day>"."""
    check = r.check
    if not (check and check.status.is_failure):
        return ""
    since = check.failing_since.isoformat()[:10] if check.failing_since else ""
    return " confirmed" if check.confirmed else f" · failing since {since}"


def cited_as(r: Result) -> str:
    """The "Cited as" cell: publisher · title, else the link's words (report.js says it alike)."""
    c = r.citation
    return " · ".join(x for x in (clean(c.publisher), clean(c.title)) if x) or (
        f"“{clean(c.link_text)}”" if c.link_text else "—"
    )


#: a record's fields, in order; the names the JSON report uses where they mean the same
COLUMNS = (
    "id", "publisher", "title", "link_text", "status", "flag", "paywalled", "reason", "page_title",
    "title_match", "date_match", "publisher_match", "archive", "quotes", "drift", "url", "final_url", "check",
)  # fmt: skip
#: the fields that hold an index into the shared strings (inside a list, every number is one)
SHARED = ("publisher", "status", "flag", "reason", "drift", "check")


def record(r: Result, shared: Strings) -> list[Any]:
    """One row as a record, its fields in ``COLUMNS`` order. The time a check took is left
    out: the rest of its line is the same for every 404 found the same day."""
    check, c = r.check, r.citation
    drift = r.drift.verdict.value if r.drift and r.drift.verdict is not DriftVerdict.UNKNOWN else ""
    final = check.final_url if check and check.final_url and check.final_url != c.url else None
    return [
        clean(c.id), shared(c.publisher), _text(c.title), _text(c.link_text), shared(check.status.value if check else ""),
        shared(flag(r)), 1 if check and check.paywalled else 0, shared(check.reason if check else None),
        _text(r.page.title if r.page else None), _match(r.title_match, shared, c.title),
        _match(r.date_match, shared), _match(r.publisher_match, shared, c.publisher), _archive(r, shared),
        [[shared(q.verdict.value), _text(q.text)] for q in r.quotes] or 0, shared(drift), _link(c.url),
        _link(final), shared(check_line(r, elapsed=False)),
    ]  # fmt: skip


def _script_safe(text: str) -> str:
    """JSON that can sit inside <script>: no "</script>", "<!--" or "&" can appear in it,
    because every < > & (found only inside strings) is written as its \\u escape."""
    return text.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")


def classes() -> dict[str, dict[str, str]]:
    """Each value's stylesheet class, from the enums that own them."""
    return {
        "status": {s.value: s.css_class for s in Status},
        "verdict": {v.value: v.css_class for v in Verdict},
        "quote": {q.value: f"v-{q.tone}" for q in QuoteVerdict},
        "drift": {d.value: f"v-{d.tone}" for d in DriftVerdict},
    }


@dataclass
class DataBlock:
    json: str  # safe inside <script type="application/json">
    carried: int  # records in it
    left_out: int  # problems past the budget: in the JSON report only


def data_block(rows: Iterable[tuple[int, Result]], budget: int = DATA_BUDGET) -> DataBlock:
    """The records of ``rows``, as many as ``budget`` bytes hold (shared strings included)."""
    shared, encoded, size, left_out = Strings(), [], 0, 0
    for _, r in rows:
        if left_out:
            left_out += 1
            continue
        text = _script_safe(json.dumps(record(r, shared), ensure_ascii=False, separators=(",", ":")))
        size += len(text.encode("utf-8")) + 1
        if size + shared.size > budget:
            left_out += 1
            continue
        encoded.append(text)
    head = {
        "columns": COLUMNS,
        "shared": SHARED,
        "classes": classes(),
        "drift_labels": {d.value: d.label for d in DriftVerdict},
        "strings": list(shared.index),
    }
    text = _script_safe(json.dumps(head, ensure_ascii=False, separators=(",", ":")))
    return DataBlock(f'{text[:-1]},"rows":[{",".join(encoded)}]}}', len(encoded), left_out)
