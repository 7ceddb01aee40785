"""Citations → Results: the check and verify stages joined per citation, and what counts
against the exit status.

URLs are checked once each, however many citations (or articles) cite them;
every citation then gets its own verdicts against the shared page metadata.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, MutableSequence, Sequence

from .archive.history import History
from .check import RAN_OUT, CheckRun, CheckSettings, OnFetch, OnProgress, UrlOutcome, check_run
from .errors import InputError
from .fetch import Fetcher
from .model import Citation, Finding, LinkCheck, Problem, Result, Status
from .offline import stored_outcomes
from .quotes.verdicts import DriftVerdict, QuoteVerdict
from .result_spool import ResultSpool
from .rules import UrlRules, accepted_check, excluded_check
from .vocab import FindingCode, Severity

DEFAULT_FAIL_ON = tuple(s.value for s in Status.in_order() if s.is_failure)
VERDICT_TOKENS = {
    "title:mismatch",
    "title:partial",
    "date:mismatch",
    "publisher:mismatch",
    "publisher:likely-typo",
}
#: does the source still say it? (not in the default: a quote a person must read first)
QUOTE_TOKENS = {f"quote:{v}" for v in QuoteVerdict if v.is_failure} | {
    f"drift:{v}" for v in DriftVerdict if v.is_failure
}


#: what the check's map of outcomes keeps of a URL whose results are spooled
_HANDED_ON = LinkCheck(url="", status=Status.SKIPPED, reason="verified: its check is on its citations' results")


def no_url_check(citation: Citation) -> LinkCheck:
    return LinkCheck(url="", status=Status.SKIPPED, reason="no URL in the footnote", checked_at=dt.datetime.now(dt.UTC))


def result_for(c: Citation, outcome: UrlOutcome | None) -> Result:
    from .verify import match_publisher, verify  # lxml, rapidfuzz: not needed to start checking

    r = Result(citation=c)
    if c.bad_url is not None:
        r.check = LinkCheck(
            url=c.bad_url,
            status=Status.ERROR,
            reason=f"malformed URL in citations.yaml (line {c.line}): {c.bad_url!r}",
            checked_at=dt.datetime.now(dt.UTC),
        )
        r.publisher_match = match_publisher(c.publisher, None)
    elif outcome is None:
        r.check = no_url_check(c)
        r.publisher_match = match_publisher(c.publisher, None)
    else:
        r.check, r.page = outcome.check, outcome.page
        if outcome.local:
            r.snapshots.append(outcome.local)
        url = outcome.check.final_url or c.url
        unread = f"no page was read ({outcome.check.status}: {outcome.check.reason})"
        r.title_match, r.date_match, r.publisher_match = verify(c, outcome.page, url, unread)
        if outcome.page is not None:
            r.verified_against = "live page"
    return r


class VerifyAsChecked:
    """Verifies each citation as soon as its URL's check arrives, in the thread that
    collects results, while other URLs are still in flight; a run then ends without a
    burst of verification after the last response (0.1 s per 2,000 citations on the
    benchmark). Use as the ``on_progress`` of ``check_urls``, then ``results``.

    ``spool``: where each result goes as it is verified (``run``'s results on disk, one
    record per citation: result_spool.py); without one they are held in memory."""

    def __init__(
        self, citations: Sequence[Citation], on_progress: OnProgress | None = None, spool: ResultSpool | None = None
    ) -> None:
        self._citations = citations
        self._citing: dict[str, list[int]] = {}
        for i, c in enumerate(citations):
            if c.url and c.bad_url is None:
                self._citing.setdefault(c.url, []).append(i)
        self._spool = spool
        self._done: dict[int, Result] = {}
        self._on_progress = on_progress

    def __call__(self, url: str, outcome: UrlOutcome) -> None:
        for i in self._citing.get(url, ()):
            result = result_for(self._citations[i], outcome)
            if self._spool is None:
                self._done[i] = result
            else:
                self._spool[i] = result
        if self._on_progress:
            self._on_progress(url, outcome)

    def results(self, outcomes: dict[str, UrlOutcome]) -> Sequence[Result]:
        """One Result per citation, in order: those verified on arrival, the rest (no URL,
        a malformed one) now."""
        citations, spool = self._citations, self._spool
        if spool is None:
            return with_repeats(
                [
                    self._done.get(i) or result_for(c, outcomes.get(c.url) if c.url else None)
                    for i, c in enumerate(citations)
                ]
            )
        for i, c in enumerate(citations):
            if not spool.has(i):
                spool[i] = result_for(c, outcomes.get(c.url) if c.url else None)
        with_repeats(spool, citations)
        return spool


def with_repeats(
    results: MutableSequence[Result], citations: Sequence[Citation] | None = None
) -> MutableSequence[Result]:
    """An Ibid. or a duplicate note without an address of its own says which note it repeats
    and how that one fared ("same as note 3 (live)"), instead of "no URL in the footnote".
    ``citations``: the results' citations, when reading a result costs (a spool): only
    the repeats and the notes they repeat are read."""
    if citations is None:
        citations = [r.citation for r in results]
    by_id = {c.id: i for i, c in enumerate(citations)}
    for i, c in enumerate(citations):
        if not c.same_as or c.url or c.bad_url is not None:
            continue
        r = results[i]
        if r.check is None:
            continue
        target, hops = by_id.get(c.same_as), 0
        while target is not None and citations[target].same_as and not citations[target].url and hops < 20:
            target, hops = by_id.get(citations[target].same_as), hops + 1
        how = ""
        if target is not None:
            check = r.check if target == i else results[target].check
            if check is not None:
                how = f" ({check.status.value})" if citations[target].url else f": {check.reason}"
        r.check.reason = f"same as note {c.same_as}{how}"
        results[i] = r  # a result read from a spool is a copy: put it back
    return results


def check_citations(
    citations: list[Citation],
    settings: CheckSettings,
    history: History | None,
    on_fetch: OnFetch | None = None,
    on_progress: OnProgress | None = None,
    fetcher: Fetcher | None = None,
) -> list[Result]:
    """One Result per citation, in order; each distinct URL fetched once (``fetcher``: a
    caller's own, kept open for the archive stage after)."""
    return check_citations_run(citations, settings, history, on_fetch, on_progress, fetcher)[0]


def check_citations_run(
    citations: list[Citation],
    settings: CheckSettings,
    history: History | None,
    on_fetch: OnFetch | None = None,
    on_progress: OnProgress | None = None,
    fetcher: Fetcher | None = None,
    spool: ResultSpool | None = None,
) -> tuple[Sequence[Result], CheckRun]:
    """The results, and what the run found beside them (no host reachable, hosts that
    asked us to slow down, URLs --max-time left unchecked). The project's rules apply
    here: an excluded URL is never requested, an accepted answer counts as live
    (rules.py); with --offline the history answers instead of the network (offline.py).
    ``spool``: the results go there as they are verified (and it is what is returned); the
    run's map of outcomes then says of a URL verified on arrival only that it was."""
    urls = [c.url for c in citations if c.url]
    verifier = VerifyAsChecked(citations, on_progress, spool)
    rules = settings.rules
    now = dt.datetime.now(dt.UTC)
    outcomes: dict[str, UrlOutcome] = {}
    to_check = []
    for url in dict.fromkeys(urls):
        rule = rules.excluded_by(url)
        if rule is None:
            to_check.append(url)
        else:
            outcomes[url] = UrlOutcome(excluded_check(url, rule, now))
            verifier(url, outcomes[url])

    def as_ruled(url: str, outcome: UrlOutcome) -> None:
        verifier(url, _accepted(outcome, rules))
        if spool is not None and outcome.check.reason != RAN_OUT:
            # the check, the page and the copy are on the spooled results now: the check's
            # map of outcomes (every URL's, held until the check ends) keeps none of them,
            # not ~1.4 KB per URL in memory. The map is read after only for citations that
            # were not verified as their URL arrived, and for URLs --max-time left unchecked
            outcome.check, outcome.page, outcome.local = _HANDED_ON, None, None

    if settings.offline:
        run = CheckRun(stored_outcomes(to_check, history, settings.confirm, on_progress=as_ruled))
    else:
        run = check_run(to_check, settings, history, on_fetch=on_fetch, on_progress=as_ruled, fetcher=fetcher)
    outcomes.update({url: _accepted(o, rules) for url, o in run.outcomes.items()})
    run.outcomes = outcomes
    return verifier.results(outcomes), run


def _accepted(outcome: UrlOutcome, rules: UrlRules) -> UrlOutcome:
    rule = rules.accepting(outcome.check)
    if rule is None:
        return outcome
    return UrlOutcome(accepted_check(outcome.check, rule), None, outcome.local)


def problems(
    results: Iterable[Result], fail_on: Iterable[str] = DEFAULT_FAIL_ON, findings: Iterable[Finding] = ()
) -> list[Problem]:
    """What counts against the exit status. Failing statuses count only once confirmed;
    findings about the notes and links count when ``fail_on`` names their code or
    ``findings:SEVERITY`` with that severity or a worse one."""
    fail_on = set(fail_on)
    thresholds = [s for s in Severity if f"findings:{s.value}" in fail_on]
    found = [
        Problem(f.footnote or "", f"{f.code}: {f.message}")
        for f in findings
        if f.code in fail_on or any(f.severity.at_least(t) for t in thresholds)
    ]
    for r in results:
        check = r.check
        if check is not None and check.status.value in fail_on:
            if not check.status.is_failure or check.confirmed:
                found.append(Problem(r.citation.id, f"{check.status.value}: {check.reason}"))
        for name, match in (("title", r.title_match), ("date", r.date_match), ("publisher", r.publisher_match)):
            if match is not None and f"{name}:{match.verdict}" in fail_on:
                found.append(Problem(r.citation.id, f"{name} {match.verdict}: {match.cited!r} vs {match.found!r}"))
        found += _quote_problems(r, fail_on)
    return found


def _quote_problems(r: Result, fail_on: set[str]) -> list[Problem]:
    found = [
        Problem(r.citation.id, f"quote {q.verdict}: “{q.text}”") for q in r.quotes if f"quote:{q.verdict}" in fail_on
    ]
    if r.drift is not None and f"drift:{r.drift.verdict}" in fail_on:
        similarity = f" (similarity {r.drift.similarity:.2f})" if r.drift.similarity is not None else ""
        found.append(Problem(r.citation.id, f"drift {r.drift.verdict} since cited{similarity}"))
    return found


def parse_fail_on(value: str) -> tuple[str, ...]:
    tokens = tuple(t.strip() for t in value.split(",") if t.strip())
    finding_tokens = {c.value for c in FindingCode} | {f"findings:{s.value}" for s in Severity}
    valid = {s.value for s in Status} | VERDICT_TOKENS | QUOTE_TOKENS | finding_tokens
    bad = [t for t in tokens if t not in valid]
    if bad:
        raise InputError(
            f"unknown --fail-on {'value' if len(bad) == 1 else 'values'}: {', '.join(bad)} (choose from {', '.join(sorted(valid))})"
        )
    return tokens
