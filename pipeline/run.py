"""The whole job for one or many articles: extract → check → verify → archive → report.

URLs are gathered from every article first and checked once, so a site's
whole archive of articles costs one request per distinct source. Each article
then gets its own report; several articles also get an index report.
"""

from __future__ import annotations

import json
import os
import sys
from collections.abc import Callable, Iterator, MutableSequence, Sequence
from dataclasses import dataclass, field
from enum import StrEnum
from pathlib import Path
from typing import Any

from . import citations as cit
from .archive.history import History
from .archive.layout import LOCK_WAIT, ArchiveLayout, locked
from .archive.policy import write_back
from .archive.stage import ArchiveSettings, SaveClock, archive_results
from .archive.warc import WarcArchive
from .check import CheckSettings, OnFetch, OnProgress
from .errors import InputError
from .extract import citations_for, extract, no_sources_message, own_citations
from .fetch import Fetcher
from .files import safe_stem, write_atomic
from .footnotes import ArticleError
from .model import Citation, Fetch, Finding, LinkCheck, PageMeta, Result, Severity, Snapshot, Status
from .quotes.check import deviated
from .quotes.stage import QuoteSettings, SourceTexts, keep_last_verdicts, read_snapshots, source_texts
from .report import html as html_report
from .report import index as index_report
from .report import json as json_report
from .report import junit as junit_report
from .report import markdown as md_report
from .report import model as report_model
from .report.changes import changes_since
from .report.model import Report
from .result_spool import ResultSpool
from .results import DEFAULT_FAIL_ON, check_citations_run, problems
from .shard import Shard
from .vocab import ExitStatus
from .wording import plural


@dataclass
class Job:
    """One article (optional) and its citations file."""

    citations: Path
    article: Path | None = None
    fmt: str | None = None
    text: str | None = None  # the article itself, when it came from stdin (``article`` is its name)

    namespace: str | None = None  # shares a file another article owns: its ids are NAMESPACE:…
    note: str | None = None  # why it uses the citations file it uses, when the user should hear it
    source: str | None = None  # article.source in the citations file, when no article is given
    title: str | None = None  # the article's title, once extracted

    @property
    def name(self) -> str:
        if self.article is not None:
            return self.article.stem
        return Path(self.source).stem if self.source else self.citations.stem


def plan_jobs(
    articles: tuple[Path, ...] | list[Path],
    shared_file: Path | None,
    citations_dir: Path,
    fmt: str | None,
    default_file: Path = Path("citations.yaml"),
) -> list[Job]:
    """Which citations file each article gets: several articles share ``shared_file`` when
    one is given (ids become ARTICLE:N), else each gets ``citations_dir/<name>.yaml`` (or
    the default file, where an earlier run of it alone left its sources and hand edits); one
    article (or none: the file as it is) uses ``shared_file`` or ``default_file``."""
    if len(articles) > 1 and shared_file is not None:
        jobs = [Job(shared_file, a, fmt) for a in articles]
    elif len(articles) > 1:  # each its own file (one an earlier run of it alone wrote, if any)
        choices = [(a, own_citations(a, default_file, citations_dir)) for a in articles]
        jobs = [Job(c.path, a, fmt, note=c.note) for a, c in choices]
    elif articles:  # one article: its own file, never another article's unless given on purpose
        choice = citations_for(
            articles[0], shared_file or default_file, citations_dir, explicit=shared_file is not None
        )
        jobs = [Job(choice.path, articles[0], fmt, namespace=choice.namespace, note=choice.note)]
    else:
        jobs = [Job(shared_file or default_file, None, fmt)]
    if len({j.name for j in jobs}) < len(jobs):
        raise InputError("several articles share a file name; give them distinct names")
    return jobs


@dataclass
class RunSettings:
    check: CheckSettings = field(default_factory=CheckSettings)
    archive: ArchiveSettings = field(default_factory=ArchiveSettings)
    quotes: QuoteSettings = field(default_factory=QuoteSettings)
    archive_dir: Path = Path("archive")
    reports_dir: Path = Path("reports")
    local_copy: bool = True
    fail_on: tuple[str, ...] = DEFAULT_FAIL_ON
    junit: Path | None = None
    step_summary: Path | None = None  # GITHUB_STEP_SUMMARY
    shard: Shard | None = None  # --shard K/N: only the citations of these sites (shard.py)
    lock_wait: float = LOCK_WAIT  # seconds to wait for another run writing archive_dir


@dataclass
class JobReport:
    job: Job
    model: Report  # what printers and renderers take
    paths: list[Path]
    exit_status: int

    @property
    def report(self) -> dict[str, Any]:
        """The report as its JSON file holds it."""
        return json_report.to_dict(self.model)


@dataclass
class RunOutcome:
    reports: list[JobReport]
    notes: list[str]
    exit_status: int
    wayback_unreachable: str | None = None  # the archive stage could not reach the Wayback Machine
    offline: str | None = None  # no host could be reached: nothing was checked (said even with -q)


def citation_findings(cf: cit.CitationsFile) -> list[Finding]:
    """Bad entries in citations.yaml, reported in the report's findings (and their rows)."""
    return [
        Finding(p.code, p.message, c.id, p.line or c.line, Severity.ERROR) for c in cf.citations for p in c.problems
    ]


def saved_run(archive_dir: Path, name: str) -> Report | None:
    """The report the last run of ``name`` saved in archive/runs/, typed; None if there is
    none. One that cannot be read back is an input error naming the file."""
    path = ArchiveLayout.at(archive_dir).run_report(name)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return None
    except (OSError, ValueError) as e:
        raise InputError(f"{path}: cannot read this saved run ({e})") from None
    try:
        return json_report.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as e:
        raise InputError(f"{path}: not a saved citewatch run ({type(e).__name__}: {e})") from None


def _previous_run(archive_dir: Path, name: str) -> Report | None:
    """The last run as this one compares with it (report.changes, keep_last_verdicts) and
    the index counts it: read result by result, each kept as only what is compared (at
    200,000 results the whole saved run, parsed, was several GB); None when there is none,
    or it is damaged: this run then compares with nothing, and replaces it."""
    path = ArchiveLayout.at(archive_dir).run_report(name)
    try:
        with open(path, encoding="utf-8") as lines:
            return json_report.read_saved(lines, _as_compared)
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass  # another layout (reformatted by hand?), or damaged: the careful reader decides
    try:
        return saved_run(archive_dir, name)
    except InputError:
        return None


def _as_compared(r: Result) -> Result:
    """What changes_since and keep_last_verdicts read of a last run's result: its status
    (and the one a fresh URL stood for), whether confirmed, its page's title, its quotes."""
    check = (
        LinkCheck("", r.check.status, "", confirmed=r.check.confirmed, previous_status=r.check.previous_status)
        if r.check
        else None
    )
    page = PageMeta(title=r.page.title) if r.page else None
    return Result(
        Citation(r.citation.id, citing_text=r.citation.citing_text), check, page, quotes=r.quotes, drift=r.drift
    )


def _write_reports(
    job: Job,
    results: MutableSequence[Result],
    findings: list[Finding],
    cf: cit.CitationsFile,
    settings: RunSettings,
    newly_archived: list[str],
    notes: list[str],
    save_run: bool = True,
    could_not_check: bool = False,
) -> JobReport:
    previous = _previous_run(settings.archive_dir, job.name)
    if previous is not None and previous.results:  # (nothing to keep: not a pass over the results)
        keep_last_verdicts(results, previous.results)
    found = problems(results, settings.fail_on, findings)
    status = ExitStatus.INPUT if could_not_check else ExitStatus.for_problems(found)
    if job.title is not None:  # extracted this run (and maybe sharing the file): the article speaks
        article_meta = {"title": job.title, "source": job.source or ""}
    else:
        article_meta = {k: str(v) for k, v in dict(cf.doc.get("article") or {}).items()}
    report = report_model.build(
        job.name,
        results,
        findings,
        article=article_meta,
        changes=changes_since(previous, results, newly_archived),
        exit_status=status,
        notes=notes,
        problems=found,
    )
    paths = write_report_files(report, settings.reports_dir, settings.junit)
    if save_run:  # the JSON report's own text: copied, not encoded again
        json_path = next(p for p in paths if p.suffix == ".json" and p.parent == settings.reports_dir)
        write_atomic(ArchiveLayout.at(settings.archive_dir).run_report(job.name), _text_of(json_path))
    if settings.step_summary:
        with open(settings.step_summary, "a", encoding="utf-8") as f:
            f.write(md_report.summary(report) + "\n")
    return JobReport(job, report, paths, status)


def _text_of(path: Path, block: int = 1 << 20) -> Iterator[str]:
    with open(path, encoding="utf-8", newline="") as f:
        while text := f.read(block):
            yield text


def write_report_files(report: Report, reports_dir: Path, junit: Path | None) -> list[Path]:
    """Each format rendered, then its file replaced atomically, one at a time (a report of
    200,000 results is tens of MB of Markdown and HTML: never both held at once); the JSON
    streamed (its pieces are encoded as they are written: 290 MB at 200,000 results)."""
    stem = safe_stem(report.name)  # never a path out of reports_dir, whatever the saved run says
    renderers: dict[Path, Callable[[Report], str | Iterator[str]]] = {
        reports_dir / f"{stem}.md": md_report.pieces,
        reports_dir / f"{stem}.html": html_report.render,
        reports_dir / f"{stem}.json": json_report.pieces,
    }
    if junit:
        target = junit if junit.suffix == ".xml" else junit / f"{stem}.xml"
        renderers[target] = junit_report.render
    for path, render in renderers.items():
        write_atomic(path, render(report))
    return list(renderers)


def write_index(reports: list[tuple[str, Report]], reports_dir: Path) -> list[Path]:
    """index.md and index.html: each article's counts and a link to its report."""
    rows = [index_report.IndexRow.of(name, report) for name, report in reports]
    paths = [reports_dir / "index.md", reports_dir / "index.html"]
    write_atomic(paths[0], index_report.render_markdown(rows))
    write_atomic(paths[1], index_report.render_html(rows))
    return paths


class Stage(StrEnum):
    """The steps of a run, in order; each one starts with a ``StageStarted`` event."""

    EXTRACT = "extract"
    CHECK = "check"
    ARCHIVE = "archive"
    REPORT = "report"


@dataclass(frozen=True)
class StageStarted:
    """Progress as a value: which stage starts, what it works on, and for the check stage
    how many distinct URLs it will look at (the size of its progress bar)."""

    stage: Stage
    detail: str
    urls: int = 0

    def __str__(self) -> str:
        return f"{self.stage}: {self.detail}"


OnStage = Callable[[StageStarted], None]


@dataclass
class _Loaded:
    """Each job's citations file, its citations and the findings about them."""

    files: list[cit.CitationsFile]
    citations: list[list[Citation]]
    findings: list[list[Finding]]


def _load(jobs: list[Job], say: OnStage, shard: Shard | None = None) -> _Loaded:
    # several articles, one citations file: ids are namespaced per article ("post:1")
    shared = len(jobs) > 1 and len({j.citations for j in jobs}) == 1
    files: list[cit.CitationsFile] = []
    findings: list[list[Finding]] = []
    for job in jobs:
        if job.article is not None:
            say(StageStarted(Stage.EXTRACT, f"{job.article} → {job.citations}"))
            job.namespace = job.name if shared else job.namespace
            ex = extract(job.article, job.citations, job.fmt, lenient=True, namespace=job.namespace, content=job.text)
            if not ex.sources:
                raise ArticleError(no_sources_message(job.article))
            job.title, job.source = ex.article.title, str(job.article)
            files.append(ex.file)
            findings.append(ex.findings)
        else:
            cf = cit.load_for_run(job.citations, lenient=True)
            source = (cf.doc.get("article") or {}).get("source")
            job.source = str(source) if source else None
            files.append(cf)
            findings.append([])
    if shared:  # one in-memory file for every job, so write-backs never overwrite each other
        files = [cit.load(jobs[0].citations, lenient=True)] * len(jobs)
    per_job = [
        [
            c
            for c in (shard.select(cf.citations) if shard else cf.citations)
            if not job.namespace or c.id.startswith(f"{job.namespace}:")
        ]
        for job, cf in zip(jobs, files, strict=True)
    ]
    for i, cf in enumerate(files):
        ids = {c.id for c in per_job[i]}
        findings[i] = findings[i] + [f for f in citation_findings(cf) if f.footnote in ids]
    return _Loaded(files, per_job, findings)


def _split(results: Sequence[Result], sizes: list[int]) -> list[Sequence[Result]]:
    """Each job's run of the results (views of a spool: nothing is read)."""
    out, start = [], 0
    for n in sizes:
        out.append(results[start : start + n])
        start += n
    return out


def run(
    jobs: list[Job],
    settings: RunSettings,
    on_progress: OnProgress | None = None,
    on_stage: OnStage | None = None,
) -> RunOutcome:
    """Extract (when articles are given), check and verify every distinct URL once for all
    jobs, archive, then write each job's reports (and an index for several) — holding
    archive_dir's lock: a second run on the same archive waits for this one (bounded), since
    both would read, extend and rewrite the same shared files."""
    with locked(settings.archive_dir, settings.lock_wait):
        return _run(jobs, settings, on_progress, on_stage)


def _run(
    jobs: list[Job],
    settings: RunSettings,
    on_progress: OnProgress | None,
    on_stage: OnStage | None,
) -> RunOutcome:
    say = on_stage or (lambda _event: None)
    loaded = _load(jobs, say, settings.shard)
    everything = [c for cs in loaded.citations for c in cs]
    urls = dict.fromkeys(c.url for c in everything if c.url)
    say(
        StageStarted(
            Stage.CHECK, f"{plural(len(urls), 'distinct URL')} from {plural(len(jobs), 'article')}", urls=len(urls)
        )
    )
    warc = WarcArchive(settings.archive_dir) if settings.local_copy else None
    fetcher = Fetcher(settings.check.fetch)
    notes: list[str] = []
    newly: list[str] = []
    files = [cf for cs, cf in zip(loaded.citations, loaded.files, strict=True) for _ in cs]
    texts = source_texts(
        list(zip(everything, files, strict=True)),
        settings.quotes,
        settings.archive_dir,
        fetcher,
        settings.archive.wayback,
    )
    wayback_unreachable = None
    spool = ResultSpool(everything)  # each result on disk as it is verified, read back one at a time
    try:
        try:
            results, checked = check_citations_run(
                everything,
                settings.check,
                History(settings.archive_dir),
                _on_fetch(warc, texts),
                on_progress,
                fetcher,
                spool,
            )
            # each result holds its URL's outcome: the map of them all is not kept for the rest of the run
            offline, slowdowns = checked.offline, checked.slowdowns
            del checked
            if offline:  # nothing recorded or archived; reports that say why nothing was checked
                return _offline_reports(jobs, loaded, results, settings, offline)
            notes.extend(slowdown.sentence() for slowdown in slowdowns)
            say(StageStarted(Stage.ARCHIVE, settings.archive.describe()))
            # the archive stage and the quotes' finish work on what they read of each result
            # (_held), put on the spooled results after in one pass
            items = [(_held(r), cf) for r, cf in zip(results, files, strict=True)]
            out = archive_results(items, settings.archive_dir, settings.archive, fetcher)
            notes.extend(out.notes)
            newly = out.newly_archived
            wayback_unreachable = out.unreachable
            snapshots = read_snapshots(ArchiveLayout.at(settings.archive_dir).snapshots)
            held = [h for h, _ in items]
            texts.finish(held, snapshots, settings.archive.workers, archive_down=out.unreachable is not None)
            _write_deviated(items, notes)
            del texts, items, snapshots  # the verdicts are on the results now; the reports need only those
            _put_back(held, results)
            del held
        finally:
            fetcher.close()
            if warc:
                warc.close()
        say(StageStarted(Stage.REPORT, str(settings.reports_dir)))
        per_job = _split(results, [len(cs) for cs in loaded.citations])
        reports = _write_all(jobs, loaded, per_job, settings, newly, notes)
    except BaseException:  # Ctrl-C, a full disk: the spool's space is given back at once
        spool.close()
        raise
    status = max((r.exit_status for r in reports), default=ExitStatus.OK)
    return RunOutcome(reports, notes, status, wayback_unreachable)


def _write_all(
    jobs: list[Job],
    loaded: _Loaded,
    per_job: list[Sequence[Result]],
    settings: RunSettings,
    newly: list[str],
    notes: list[str],
    **how: bool,
) -> list[JobReport]:
    """Each job's reports, and the index when there are several."""
    reports = [
        _write_reports(job, rs, f, cf, settings, newly, notes, **how)
        for job, rs, f, cf in zip(jobs, per_job, loaded.findings, loaded.files, strict=True)
    ]
    if len(reports) > 1:
        write_index([(r.job.name, r.model) for r in reports], settings.reports_dir)
    return reports


def _offline_reports(
    jobs: list[Job], loaded: _Loaded, results: MutableSequence[Result], settings: RunSettings, why: str
) -> RunOutcome:
    """A machine that reaches no host learnt nothing about the sources: each URL is
    ``skipped`` with the reason, the reports are written (a newcomer running the example
    without a network still sees them), no run is saved (the next run compares with the last
    real one) and the exit status is 1: the run could not do its job."""
    for i, r in enumerate(results):
        if r.citation.url:
            r.check = LinkCheck(r.citation.url, Status.SKIPPED, f"not checked: {why}")
            results[i] = r  # a result read from a spool is a copy: put it back
    per_job = _split(results, [len(cs) for cs in loaded.citations])
    reports = _write_all(jobs, loaded, per_job, settings, [], [why], save_run=False, could_not_check=True)
    return RunOutcome(reports, [], ExitStatus.INPUT, offline=why)


def _on_fetch(warc: WarcArchive | None, texts: SourceTexts) -> OnFetch:
    """Each fetched page, while its body is in memory: its source text read for the quotes,
    and its local copy written."""

    def on_fetch(fetched: Fetch, check: LinkCheck) -> Snapshot | None:
        texts.on_fetch(fetched, check)
        return warc.write(fetched, check) if warc else None

    return on_fetch


def _put_back(held: list[Result], results: MutableSequence[Result]) -> None:
    """What the archive stage and the quotes' finish wrote on each result's ``_held`` view,
    put on the result: the copy the archive stage found first among the copies, its note,
    for a dead page verified against the copy that page and its verdicts, and the quote and
    drift verdicts."""
    for i, h in enumerate(held):
        r = results[i]
        r.check, r.snapshots[:0], r.archive_note = h.check, h.snapshots, h.archive_note
        if h.page is not None:  # verified against the copy
            r.page, r.verified_against = h.page, h.verified_against
            r.title_match, r.date_match, r.publisher_match = h.title_match, h.date_match, h.publisher_match
        r.quotes, r.drift = h.quotes, h.drift
        results[i] = r


def _held(r: Result) -> Result:
    """What the archive stage and the quotes' finish read of a result (the citation, the
    check, the quotes) without what they only write or never read (the page's metadata,
    the three verdicts, the copies: most of a result), its check's strings that equal the
    citation's address (or another check's reason) shared, not a copy each per citation."""
    c, check = r.citation, r.check
    if check is not None:
        check.url = c.url if c.url is not None and check.url == c.url else check.url
        check.final_url = c.url if c.url is not None and check.final_url == c.url else check.final_url
        check.reason = sys.intern(check.reason)
    return Result(c, check, verified_against=r.verified_against, quotes=r.quotes, drift=r.drift)


def _write_deviated(items: list[tuple[Result, cit.CitationsFile]], notes: list[str]) -> None:
    """``url_status: deviated`` for a citation whose quote the copy from then holds and the
    page no longer does (the archive stage wrote the other url_status values)."""
    clock = SaveClock(notes)
    for r, cf in items:
        if deviated(r.quotes) and write_back(r, cf, None, None):
            clock.changed(cf)
    clock.save_all()


@dataclass
class Rendered:
    paths: list[Path]  # every file written, the index last
    reports: int  # how many articles' reports


def rerender(
    archive_dir: Path, reports_dir: Path, names: list[str] | None = None, junit: Path | None = None
) -> Rendered:
    """Re-render reports from archive/runs/*.json without touching the network, and the
    index of every saved run. Nothing saved is an InputError: there is nothing to render."""
    written: list[Path] = []
    runs_dir = ArchiveLayout.at(archive_dir).runs
    available = sorted(p.stem for p in runs_dir.glob("*.json"))
    if not available:
        raise InputError(f"{runs_dir}: no saved run, nothing to render (`citewatch run` saves one)")
    for name in names or available:
        report = saved_run(archive_dir, name) if safe_stem(name) == name else None
        if report is None:
            raise InputError(f"{runs_dir / (name + '.json')}: no saved run (available: {', '.join(available)})")
        written += write_report_files(report, reports_dir, junit)
    saved = [(name, _previous_run(archive_dir, name)) for name in available]  # a damaged one: left out
    written += write_index([(name, report) for name, report in saved if report is not None], reports_dir)
    return Rendered(written, len(names or available))


def step_summary_path() -> Path | None:
    p = os.environ.get("GITHUB_STEP_SUMMARY")
    return Path(p) if p else None
